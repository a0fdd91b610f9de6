//go:build tools

// Package tools pins the control-plane commands that run.sh builds, so that
// go.mod and go.sum resolve them at the release the harness targets.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
