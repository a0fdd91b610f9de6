package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"groundtruth/tests/e2e/harness"
)

// cleanupWorkload is one object of TestCleanup: kind, namespace, name.
type cleanupWorkload struct{ kind, ns, name string }

func (w cleanupWorkload) resource() string { return strings.ToLower(w.kind) + "s" }
func (w cleanupWorkload) String() string   { return w.kind + " " + w.ns + "/" + w.name }

// workloadObject is a minimal apps/v1 object of the kind with 0 replicas (a DaemonSet
// has none: no node runs here, so none of its pods either).
func workloadObject(w cleanupWorkload, labels map[string]any) *unstructured.Unstructured {
	spec := map[string]any{
		"selector": map[string]any{"matchLabels": map[string]any{"app": w.name}},
		"template": map[string]any{
			"metadata": map[string]any{"labels": map[string]any{"app": w.name}},
			"spec": map[string]any{"containers": []any{map[string]any{
				"name": "app", "image": "registry.example/sleeper:1", "command": []any{"sleep", "infinity"},
			}}},
		},
	}
	if w.kind != "DaemonSet" {
		spec["replicas"] = int64(0)
	}
	if w.kind == "StatefulSet" {
		spec["serviceName"] = w.name
	}
	meta := map[string]any{"name": w.name, "namespace": w.ns}
	if labels != nil {
		meta["labels"] = labels
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": w.kind, "metadata": meta, "spec": spec,
	}}
}

// applyAs server-side-applies body (without apiVersion/kind/metadata identity, added here)
// to the workload or its /status as `manager`.
func applyAs(t *testing.T, ctx context.Context, c *harness.Cluster, manager string, w cleanupWorkload, body map[string]any, status bool) {
	t.Helper()
	body["apiVersion"], body["kind"] = "apps/v1", w.kind
	meta, _ := body["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
	}
	meta["name"], meta["namespace"] = w.name, w.ns
	body["metadata"] = meta
	data, _ := json.Marshal(body)
	req := c.Client.AppsV1().RESTClient().Patch(types.ApplyPatchType).Namespace(w.ns).
		Resource(w.resource()).Name(w.name).Param("fieldManager", manager).Param("force", "true").Body(data)
	if status {
		req = req.SubResource("status")
	}
	if err := req.Do(ctx).Error(); err != nil {
		t.Fatalf("apply as %s to %s (status %v): %v", manager, w, status, err)
	}
}

// applyCondition writes a condition of `type` as `manager` on /status.
func applyCondition(t *testing.T, ctx context.Context, c *harness.Cluster, manager string, w cleanupWorkload, typ, status, reason string) {
	t.Helper()
	now := time.Now().UTC().Format(time.RFC3339)
	cond := map[string]any{"type": typ, "status": status, "reason": reason, "message": reason + " (e2e)", "lastTransitionTime": now}
	if w.kind == "Deployment" {
		cond["lastUpdateTime"] = now
	}
	applyAs(t, ctx, c, manager, w, map[string]any{"status": map[string]any{"conditions": []any{cond}}}, true)
}

func applyAnnotation(t *testing.T, ctx context.Context, c *harness.Cluster, manager string, w cleanupWorkload, key, value string) {
	t.Helper()
	applyAs(t, ctx, c, manager, w, map[string]any{"metadata": map[string]any{"annotations": map[string]any{key: value}}}, false)
}

func getWorkload(t *testing.T, ctx context.Context, c *harness.Cluster, w cleanupWorkload) *unstructured.Unstructured {
	t.Helper()
	raw, err := c.Client.AppsV1().RESTClient().Get().Namespace(w.ns).Resource(w.resource()).Name(w.name).Do(ctx).Raw()
	if err != nil {
		t.Fatalf("get %s: %v", w, err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(raw); err != nil {
		t.Fatalf("decode %s: %v", w, err)
	}
	return u
}

// conditionTypes lists status.conditions' types.
func conditionTypes(u *unstructured.Unstructured) map[string]bool {
	types := map[string]bool{}
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok {
			types[fmt.Sprint(m["type"])] = true
		}
	}
	return types
}

// groundtruthOwns says whether an Apply entry of field manager "groundtruth" still owns
// anything on the object.
func groundtruthOwns(u *unstructured.Unstructured) []string {
	var owned []string
	for _, e := range u.GetManagedFields() {
		if e.Manager == "groundtruth" && e.Operation == metav1.ManagedFieldsOperationApply &&
			e.FieldsV1 != nil && string(e.FieldsV1.Raw) != "{}" {
			owned = append(owned, e.Subresource+": "+string(e.FieldsV1.Raw))
		}
	}
	return owned
}

// TestCleanup runs `groundtruth cleanup` against a real API server: it withdraws the
// condition and annotation field manager "groundtruth" owns, by the controller's own
// server-side apply, from Deployments, StatefulSets and DaemonSets in every namespace,
// with the rights of the shipped controller ClusterRole under the shipped admission
// policy; another manager's condition and annotation (even of our type and key) stay,
// specs are untouched, a second run withdraws nothing, and --dry-run changes nothing.
func TestCleanup(t *testing.T) {
	c := harness.Start(t)
	gt := harness.GroundtruthBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	web := cleanupWorkload{"Deployment", "cleanup-a", "web"}
	db := cleanupWorkload{"StatefulSet", "cleanup-a", "db"}
	node := cleanupWorkload{"DaemonSet", "cleanup-b", "node-local"}
	foreign := cleanupWorkload{"Deployment", "cleanup-b", "foreign"} // our words, their manager
	plain := cleanupWorkload{"Deployment", "cleanup-b", "plain"}
	controller := cleanupWorkload{"Deployment", "groundtruth-system", "groundtruth-controller"}
	var objs []*unstructured.Unstructured
	for _, w := range []cleanupWorkload{web, db, node, foreign, plain} {
		objs = append(objs, workloadObject(w, nil))
	}
	ctlObj := workloadObject(controller, map[string]any{"app.kubernetes.io/name": "groundtruth-controller"})
	ctlObj.Object["spec"].(map[string]any)["replicas"] = int64(1) // still running: warned about
	objs = append(objs, ctlObj)
	if _, err := c.ApplyObjects(ctx, "default", objs...); err != nil {
		t.Fatal(err)
	}

	// What the controller writes, by the same applies (manager "groundtruth").
	applyCondition(t, ctx, c, "groundtruth", web, "RuntimeCompliant", "False", "MemoryThrashing")
	applyAnnotation(t, ctx, c, "groundtruth", web, "groundtruth.dev/runtime-compliant", "False/MemoryThrashing/2")
	applyCondition(t, ctx, c, "groundtruth", db, "RuntimeCompliant", "True", "Compliant")
	applyAnnotation(t, ctx, c, "groundtruth", db, "groundtruth.dev/runtime-compliant", "True/Compliant/1")
	applyCondition(t, ctx, c, "groundtruth", node, "RuntimeCompliant", "Unknown", "NoData")
	applyAnnotation(t, ctx, c, "groundtruth", node, "groundtruth.dev/runtime-compliant", "Unknown/NoData/1")
	// Someone else's words beside ours, and our type and key written by someone else.
	applyCondition(t, ctx, c, "someone-else", web, "Reviewed", "True", "Approved")
	applyAnnotation(t, ctx, c, "someone-else", web, "example.com/owner", "team-a")
	applyCondition(t, ctx, c, "someone-else", foreign, "RuntimeCompliant", "False", "OOMKilled")
	applyAnnotation(t, ctx, c, "someone-else", foreign, "groundtruth.dev/runtime-compliant", "False/OOMKilled/1")

	all := []cleanupWorkload{web, db, node, foreign, plain}
	specs := map[cleanupWorkload]any{}
	for _, w := range all {
		specs[w] = getWorkload(t, ctx, c, w).Object["spec"]
	}
	checkSpecs := func(when string) {
		t.Helper()
		for _, w := range all {
			if got := getWorkload(t, ctx, c, w).Object["spec"]; !reflect.DeepEqual(got, specs[w]) {
				t.Errorf("%s: %s's spec changed:\n%v\nwas\n%v", when, w, got, specs[w])
			}
		}
	}
	oursPresent := func(w cleanupWorkload) (condition, annotation bool) {
		u := getWorkload(t, ctx, c, w)
		return conditionTypes(u)["RuntimeCompliant"], u.GetAnnotations()["groundtruth.dev/runtime-compliant"] != ""
	}

	// The rights: the shipped controller ClusterRole, under the shipped admission policy.
	base := filepath.Join("..", "..", "manifests", "base")
	saKubeconfig, err := c.ServiceAccountKubeconfig(ctx, "groundtruth-system", "groundtruth-controller", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ApplyManifests(ctx, "groundtruth-system", filepath.Join(base, "rbac.yaml"),
		filepath.Join(base, "admission-policy.yaml")); err != nil {
		t.Fatal(err)
	}

	t.Run("no rights: exit 3 naming the list", func(t *testing.T) {
		nobody, err := c.ServiceAccountKubeconfig(ctx, "default", "nobody", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		r := runGate(t, ctx, "", nil, gt, "cleanup", "--kubeconfig", nobody)
		listing := regexp.MustCompile(`list (Deployment|StatefulSet|DaemonSet)s in all namespaces: .*forbidden`)
		if r.code != 3 || !listing.MatchString(r.stderr) ||
			!strings.Contains(r.stderr, "nothing withdrawn") {
			t.Errorf("without rights: exit %d, stderr %q", r.code, r.stderr)
		}
	})

	t.Run("--dry-run changes nothing", func(t *testing.T) {
		r := runGate(t, ctx, "", nil, gt, "cleanup", "--dry-run", "--kubeconfig", c.Kubeconfig)
		t.Logf("stdout:\n%s", r.stdout)
		if r.code != 0 {
			t.Fatalf("dry run: exit %d", r.code)
		}
		for _, line := range []string{
			"would withdraw Deployment/cleanup-a/web: condition RuntimeCompliant (False/MemoryThrashing), annotation groundtruth.dev/runtime-compliant",
			"would withdraw DaemonSet/cleanup-b/node-local: condition RuntimeCompliant (Unknown/NoData), annotation groundtruth.dev/runtime-compliant",
			"would withdraw StatefulSet/cleanup-a/db: ",
			"would withdraw groundtruth's verdict from 3 of 6 workloads in all namespaces; nothing changed",
		} {
			if !strings.Contains(r.stdout, line) {
				t.Errorf("dry run stdout lacks %q:\n%s", line, r.stdout)
			}
		}
		if strings.Contains(r.stdout, "foreign") || strings.Contains(r.stdout, "plain") {
			t.Errorf("dry run names a workload without groundtruth's fields:\n%s", r.stdout)
		}
		if !strings.Contains(r.stderr, "Deployment/groundtruth-system/groundtruth-controller still runs 1 replica(s)") {
			t.Errorf("no warning about the running controller: %q", r.stderr)
		}
		for _, w := range []cleanupWorkload{web, node} {
			if cond, ann := oursPresent(w); !cond || !ann {
				t.Errorf("after the dry run %s: condition %v annotation %v, want both", w, cond, ann)
			}
		}
		if _, ann := oursPresent(db); !ann {
			t.Errorf("after the dry run %s lost its annotation", db)
		}
		checkSpecs("after the dry run")
	})

	t.Run("withdraws ours only, as the controller's service account", func(t *testing.T) {
		r := runGate(t, ctx, "", nil, gt, "cleanup", "--kubeconfig", saKubeconfig)
		t.Logf("stdout:\n%s", r.stdout)
		if r.code != 0 {
			t.Fatalf("cleanup: exit %d\nstdout:\n%s", r.code, r.stdout)
		}
		for _, line := range []string{
			"withdrew Deployment/cleanup-a/web: condition RuntimeCompliant (False/MemoryThrashing), annotation groundtruth.dev/runtime-compliant",
			"withdrew DaemonSet/cleanup-b/node-local: ",
			"withdrew StatefulSet/cleanup-a/db: ",
			"cleanup: withdrew groundtruth's verdict from 3 of 6 workloads in all namespaces\n",
		} {
			if !strings.Contains(r.stdout, line) {
				t.Errorf("stdout lacks %q:\n%s", line, r.stdout)
			}
		}
		for _, w := range []cleanupWorkload{web, db, node} {
			u := getWorkload(t, ctx, c, w)
			if cond, ann := oursPresent(w); cond || ann {
				t.Errorf("%s still carries condition %v annotation %v", w, cond, ann)
			}
			if owned := groundtruthOwns(u); len(owned) > 0 {
				t.Errorf("%s: field manager groundtruth still owns %v", w, owned)
			}
		}
		u := getWorkload(t, ctx, c, web)
		if !conditionTypes(u)["Reviewed"] || u.GetAnnotations()["example.com/owner"] != "team-a" {
			t.Errorf("another manager's condition or annotation went: conditions %v annotations %v",
				conditionTypes(u), u.GetAnnotations())
		}
		f := getWorkload(t, ctx, c, foreign)
		if !conditionTypes(f)["RuntimeCompliant"] || f.GetAnnotations()["groundtruth.dev/runtime-compliant"] != "False/OOMKilled/1" {
			t.Errorf("our condition type and annotation key written by another manager went: %v %v",
				conditionTypes(f), f.GetAnnotations())
		}
		checkSpecs("after cleanup")
	})

	t.Run("a second run is a no-op", func(t *testing.T) {
		// Removing an annotation bumps a Deployment's generation, and the Deployment
		// controller then records observedGeneration: let that settle first, so that any
		// write seen below is the second run's.
		settle := time.Now().Add(time.Minute)
		for _, w := range all {
			for w.kind == "Deployment" {
				u := getWorkload(t, ctx, c, w)
				observed, _, _ := unstructured.NestedInt64(u.Object, "status", "observedGeneration")
				if observed == u.GetGeneration() {
					break
				}
				if time.Now().After(settle) {
					t.Fatalf("%s: observedGeneration %d never reached generation %d", w, observed, u.GetGeneration())
				}
				time.Sleep(200 * time.Millisecond)
			}
		}
		before := map[cleanupWorkload]string{}
		for _, w := range all {
			before[w] = getWorkload(t, ctx, c, w).GetResourceVersion()
		}
		r := runGate(t, ctx, "", nil, gt, "cleanup", "--kubeconfig", saKubeconfig, "-n", "cleanup-a")
		if r.code != 0 || r.stdout != "cleanup: withdrew groundtruth's verdict from 0 of 2 workloads in namespace cleanup-a\n" {
			t.Errorf("second run in one namespace: exit %d, want 0 and only the summary:\n%s", r.code, r.stdout)
		}
		r = runGate(t, ctx, "", nil, gt, "cleanup", "--kubeconfig", saKubeconfig)
		if r.code != 0 || !strings.Contains(r.stdout, "from 0 of 6 workloads") {
			t.Errorf("second run over every namespace: exit %d\n%s", r.code, r.stdout)
		}
		for _, w := range all {
			if rv := getWorkload(t, ctx, c, w).GetResourceVersion(); rv != before[w] {
				t.Errorf("%s written by a second run: resourceVersion %s -> %s", w, before[w], rv)
			}
		}
	})
}
