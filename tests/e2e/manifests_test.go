package e2e

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"groundtruth/tests/e2e/harness"
)

// The two namespaces of manifests/base/namespace.yaml: the controller's enforces Pod
// Security `restricted`, the agents' `privileged` (their hostPath volumes).
const (
	controllerNS = "groundtruth-system"
	agentNS      = "groundtruth-agent"
)

// TestManifestsBase applies the shipped kustomize base to a real API server
// (strict field validation, Pod Security admission), runs its workloads on a
// fake node, and checks the RBAC it grants against what docs/operations.md says
// the controller does: watch workloads and pods, write workload status, emit
// Events, hold a Lease; and that the agent's account can do none of the writing.
func TestManifestsBase(t *testing.T) {
	base := filepath.Join("..", "..", "manifests", "base")
	if _, err := os.Stat(filepath.Join(base, "kustomization.yaml")); err != nil {
		t.Skipf("no kustomize base at %s", base)
	}
	c := harness.Start(t)
	c.FakeKubelet("node-1")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	const ns = controllerNS
	if _, err := c.ApplyKustomization(ctx, ns, base); err != nil {
		t.Fatalf("apply %s: %v", base, err)
	}
	// Both became ready, so Pod Security admitted the controller's pods in its restricted
	// namespace (the ReplicaSet controller's creates are refused otherwise).
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		ds, err := c.Client.AppsV1().DaemonSets(agentNS).Get(ctx, "groundtruth-agent", metav1.GetOptions{})
		if err != nil || ds.Status.DesiredNumberScheduled != 1 || ds.Status.NumberReady != 1 {
			return false, nil
		}
		d, err := c.Client.AppsV1().Deployments(ns).Get(ctx, "groundtruth-controller", metav1.GetOptions{})
		return err == nil && d.Spec.Replicas != nil && d.Status.ReadyReplicas == *d.Spec.Replicas, nil
	})
	if err != nil {
		out, _ := c.Kubectl(ctx, "get", "ds,deploy,rs,pods", "-A", "-o", "wide")
		events, _ := c.Kubectl(ctx, "-n", ns, "get", "events")
		out += events
		t.Fatalf("the base's agent DaemonSet and controller Deployment never became ready on a Linux node: %v\n%s", err, out)
	}

	checkPodSecurity(t, ctx, c)

	canI := func(sa, verb, resource string, flags ...string) bool {
		saNS := ns
		if sa == "groundtruth-agent" {
			saNS = agentNS
		}
		args := append([]string{"auth", "can-i", verb, resource, "--as=system:serviceaccount:" + saNS + ":" + sa}, flags...)
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

// checkPodSecurity proves the namespaces' Pod Security labels against the real API server's
// admission: the controller's namespace enforces `restricted` and admits the controller's
// pod, it refuses the agent's pod for its hostPath volumes and for nothing else (the same pod
// with those volumes swapped for emptyDir passes), and the agents' namespace admits it.
// Pods are built from the live workloads' templates and created as dry runs.
func checkPodSecurity(t *testing.T, ctx context.Context, c *harness.Cluster) {
	t.Helper()
	for ns, level := range map[string]string{controllerNS: "restricted", agentNS: "privileged"} {
		n, err := c.Client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, mode := range []string{"enforce", "audit", "warn"} {
			key := "pod-security.kubernetes.io/" + mode
			if n.Labels[key] != level || n.Labels[key+"-version"] == "" || n.Labels[key+"-version"] == "latest" {
				t.Errorf("namespace %s: %s=%q version %q, want %s at a pinned version",
					ns, key, n.Labels[key], n.Labels[key+"-version"], level)
			}
		}
	}
	ds, err := c.Client.AppsV1().DaemonSets(agentNS).Get(ctx, "groundtruth-agent", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	deploy, err := c.Client.AppsV1().Deployments(controllerNS).Get(ctx, "groundtruth-controller", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The controller's live pods are in its namespace, not only its template.
	pods, err := c.Client.CoreV1().Pods(controllerNS).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=groundtruth-controller"})
	if err != nil || len(pods.Items) == 0 {
		t.Errorf("no controller pods in %s: %v", controllerNS, err)
	}
	// The account is each namespace's own: ServiceAccount admission refuses a pod naming a
	// missing account before Pod Security looks at it.
	podIn := func(ns, account string, tmpl corev1.PodTemplateSpec) *corev1.Pod {
		spec := *tmpl.Spec.DeepCopy()
		spec.ServiceAccountName = account
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "pod-security-", Namespace: ns, Labels: map[string]string{"e2e": "pod-security"}},
			Spec:       spec,
		}
	}
	create := func(p *corev1.Pod) error {
		_, err := c.Client.CoreV1().Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err
	}
	if err := create(podIn(controllerNS, "groundtruth-controller", deploy.Spec.Template)); err != nil {
		t.Errorf("namespace %s refuses the controller's pod: %v", controllerNS, err)
	}
	if err := create(podIn(agentNS, "groundtruth-agent", ds.Spec.Template)); err != nil {
		t.Errorf("namespace %s refuses the agent's pod: %v", agentNS, err)
	}
	err = create(podIn(controllerNS, "groundtruth-controller", ds.Spec.Template))
	if err == nil {
		t.Fatalf("namespace %s admits the agent's pod with its hostPath volumes: Pod Security is not enforced", controllerNS)
	}
	msg := err.Error()
	if !strings.Contains(msg, `violates PodSecurity "restricted:`) || !strings.Contains(msg, "hostPath") {
		t.Fatalf("the agent's pod refused in %s, but not by Pod Security for hostPath: %v", controllerNS, err)
	}
	// "violates PodSecurity "restricted:v1.30": <check> (<detail>), <check> (<detail>)":
	// every failed check names hostPath volumes.
	checks := msg[strings.Index(msg, "violates PodSecurity"):]
	checks = checks[strings.Index(checks, `": `)+3:]
	failed := regexp.MustCompile(`(?:^|\), )([^()]+?) \(`).FindAllStringSubmatch(checks, -1)
	if len(failed) == 0 {
		t.Errorf("no failed check named in %v", err)
	}
	for _, check := range failed {
		if !strings.Contains(check[1], "hostPath") && !strings.Contains(check[1], "volume") {
			t.Errorf("restricted refuses the agent's pod for more than its hostPath volumes: %q in %v", check[1], err)
		}
	}
	t.Logf("restricted refuses the agent's pod: %v", err)
	withoutHostPath := podIn(controllerNS, "groundtruth-controller", ds.Spec.Template)
	for i, v := range withoutHostPath.Spec.Volumes {
		if v.HostPath != nil {
			withoutHostPath.Spec.Volumes[i].VolumeSource = corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
		}
	}
	if err := create(withoutHostPath); err != nil {
		t.Errorf("the agent's pod without its hostPath volumes is refused in %s: it asks more than hostPath: %v", controllerNS, err)
	}
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
