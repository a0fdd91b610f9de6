package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"groundtruth/tests/e2e/harness"
)

// TestManifestsBase applies the shipped kustomize base to a real API server
// (strict field validation), runs its workloads on a fake node, and checks
// the RBAC it grants against what docs/operations.md says the controller does:
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
	if !canI("groundtruth-controller", "update", "leases.coordination.k8s.io/groundtruth-controller", "-n", ns) {
		t.Errorf("controller cannot update its Lease in %s", ns)
	}
	// Verbs it does not use are not granted: list/watch serve every read, Events are core
	// Events, and the one Lease it renews is named.
	for _, check := range []struct{ verb, resource string }{
		{"get", "deployments.apps"}, {"get", "pods"}, {"get", "replicasets.apps"},
		{"create", "events.events.k8s.io"}, {"update", "leases.coordination.k8s.io/someone-else"},
	} {
		if canI("groundtruth-controller", check.verb, check.resource, "-n", ns) {
			t.Errorf("controller may %s %s: more than it needs", check.verb, check.resource)
		}
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
	checkControllerWritesOnlyItsOwn(t, ctx, c, ns)
}

// checkControllerWritesOnlyItsOwn proves admission-policy.yaml against the real API server:
// the controller's service account, which RBAC lets patch any workload, still writes its
// annotation and its condition, and is refused every other change.
func checkControllerWritesOnlyItsOwn(t *testing.T, ctx context.Context, c *harness.Cluster, ns string) {
	t.Helper()
	const app = "least-privilege"
	if _, err := c.Kubectl(ctx, "create", "namespace", app); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Kubectl(ctx, "-n", app, "create", "deployment", "db", "--image=registry.invalid/db", "--replicas=0"); err != nil {
		t.Fatal(err)
	}
	// Its status conditions are the Deployment controller's; wait for them so the status
	// checks below have another condition to protect.
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		d, err := c.Client.AppsV1().Deployments(app).Get(ctx, "db", metav1.GetOptions{})
		return err == nil && len(d.Status.Conditions) > 0, nil
	})
	if err != nil {
		t.Fatalf("the Deployment never got conditions: %v", err)
	}
	// Patched straight through an impersonating client: the account has no `get`, so
	// kubectl patch (which reads first) cannot act as it; the controller never reads either.
	asController := rest.CopyConfig(c.Config)
	asController.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + ns + ":groundtruth-controller"}
	client, err := kubernetes.NewForConfig(asController)
	if err != nil {
		t.Fatal(err)
	}
	patch := func(subresource, body string) error {
		var sub []string
		if subresource != "" {
			sub = []string{subresource}
		}
		_, err := client.AppsV1().Deployments(app).Patch(ctx, "db", types.StrategicMergePatchType, []byte(body), metav1.PatchOptions{}, sub...)
		return err
	}
	now := time.Now().UTC().Format(time.RFC3339)
	for _, allowed := range []struct{ what, subresource, body string }{
		{"its annotation", "", `{"metadata":{"annotations":{"groundtruth.dev/runtime-compliant":"False/MemoryThrashing/1"}}}`},
		{"its condition", "status", `{"status":{"conditions":[{"type":"RuntimeCompliant","status":"False","reason":"MemoryThrashing","message":"m","lastTransitionTime":"` + now + `"}]}}`},
		{"its annotation withdrawn", "", `{"metadata":{"annotations":{"groundtruth.dev/runtime-compliant":null}}}`},
	} {
		if err := patch(allowed.subresource, allowed.body); err != nil {
			t.Errorf("the controller's account cannot write %s: %v", allowed.what, err)
		}
	}
	for _, denied := range []struct{ what, subresource, body, message string }{
		{"the spec", "", `{"spec":{"replicas":3}}`, "may not change a workload's spec"},
		{"the pod template", "", `{"spec":{"template":{"spec":{"containers":[{"name":"db","image":"evil"}]}}}}`, "may not change a workload's spec"},
		{"a label", "", `{"metadata":{"labels":{"team":"x"}}}`, "may not change a workload's labels"},
		{"another annotation", "", `{"metadata":{"annotations":{"example.com/owner":"x"}}}`, "only the annotation groundtruth.dev/runtime-compliant"},
		{"a finalizer", "", `{"metadata":{"finalizers":["example.com/hold"]}}`, "finalizers or owner references"},
		{"another condition", "status", `{"status":{"conditions":[{"type":"Available","status":"False","reason":"X","message":"m","lastTransitionTime":"` + now + `"}]}}`, "only the RuntimeCompliant condition"},
		{"observedGeneration", "status", `{"status":{"observedGeneration":42}}`, "only the RuntimeCompliant condition"},
	} {
		err := patch(denied.subresource, denied.body)
		if err == nil {
			t.Errorf("the controller's account could change %s", denied.what)
		} else if !strings.Contains(err.Error(), denied.message) {
			t.Errorf("changing %s: refused, but not by the policy's rule (want %q): %v", denied.what, denied.message, err)
		}
	}
	d, err := c.Client.AppsV1().Deployments(app).Get(ctx, "db", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *d.Spec.Replicas != 0 || d.Labels["team"] != "" || d.Spec.Template.Spec.Containers[0].Image != "registry.invalid/db" {
		t.Errorf("the workload changed under refused patches: replicas %d, labels %v, image %s",
			*d.Spec.Replicas, d.Labels, d.Spec.Template.Spec.Containers[0].Image)
	}
}
