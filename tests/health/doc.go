// Package health proves groundtruth's health-check integrations with the engines that
// run them: Argo CD's own Lua VM and built-in health (argo-cd util/lua, gitops-engine
// pkg/health) and Flux's own CEL evaluator (fluxcd/pkg/runtime/cel) against kstatus.
//
// The snippets under test are the shipped files, read from manifests/argocd and
// manifests/flux, so the docs, the manifests and these tests cannot drift apart.
package health
