package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"groundtruth/tests/e2e/harness"
)

// TestManifestsBase applies the shipped kustomize base to a real API server
// (strict field validation), runs its workloads on a fake node, and checks
// the RBAC it grants against what DESIGN.md says the controller does:
// watch workloads and pods, write workload status, emit Events, hold a
// Lease; and that the agent's account can do none of the writing.
func TestManifestsBase(t *testing.T) {
	base := filepath.Join("..", "..", "manifests", "base")
	if _, err := os.Stat(filepath.Join(base, "kustomization.yaml")); err != nil {
		t.Skipf("no kustomize base at %s", base)
	}
	c := harness.Start(t)
	c.FakeKubelet("node-1")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	const ns = "groundtruth-system"
	if _, err := c.ApplyKustomization(ctx, ns, base); err != nil {
		t.Fatalf("apply %s: %v", base, err)
	}
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		ds, err := c.Client.AppsV1().DaemonSets(ns).Get(ctx, "groundtruth-agent", metav1.GetOptions{})
		if err != nil || ds.Status.DesiredNumberScheduled != 1 || ds.Status.NumberReady != 1 {
			return false, nil
		}
		d, err := c.Client.AppsV1().Deployments(ns).Get(ctx, "groundtruth-controller", metav1.GetOptions{})
		return err == nil && d.Spec.Replicas != nil && d.Status.ReadyReplicas == *d.Spec.Replicas, nil
	})
	if err != nil {
		out, _ := c.Kubectl(ctx, "-n", ns, "get", "ds,deploy,pods", "-o", "wide")
		t.Fatalf("the base's agent DaemonSet and controller Deployment never became ready on a Linux node: %v\n%s", err, out)
	}

	canI := func(sa, verb, resource string, flags ...string) bool {
		args := append([]string{"auth", "can-i", verb, resource, "--as=system:serviceaccount:" + ns + ":" + sa}, flags...)
		out, _ := c.Kubectl(ctx, args...) // exits 1 for "no"
		return strings.TrimSpace(out) == "yes"
	}
	for _, check := range []struct{ verb, resource string }{
		{"watch", "deployments.apps"}, {"watch", "statefulsets.apps"}, {"watch", "daemonsets.apps"},
		{"watch", "replicasets.apps"}, {"watch", "pods"},
		{"patch", "deployments.apps/status"}, {"patch", "statefulsets.apps/status"}, {"patch", "daemonsets.apps/status"},
	} {
		if !canI("groundtruth-controller", check.verb, check.resource, "--all-namespaces") {
			t.Errorf("controller cannot %s %s cluster-wide", check.verb, check.resource)
		}
	}
	if !canI("groundtruth-controller", "create", "events", "-n", "default") &&
		!canI("groundtruth-controller", "create", "events.events.k8s.io", "-n", "default") {
		t.Errorf("controller cannot create Events")
	}
	if !canI("groundtruth-controller", "update", "leases.coordination.k8s.io", "-n", ns) {
		t.Errorf("controller cannot update its Lease in %s", ns)
	}
	for _, check := range []struct{ verb, resource string }{
		{"patch", "deployments.apps"}, {"patch", "deployments.apps/status"}, {"list", "secrets"},
	} {
		if canI("groundtruth-agent", check.verb, check.resource, "--all-namespaces") {
			t.Errorf("agent may %s %s: more than it needs", check.verb, check.resource)
		}
	}
	if canI("groundtruth-controller", "list", "secrets", "--all-namespaces") {
		t.Errorf("controller may list secrets cluster-wide: more than it needs")
	}
}
