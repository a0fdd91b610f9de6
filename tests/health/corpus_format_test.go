package health

import "testing"

// The format the end-to-end suite captures in (kubectl get -o yaml: a List) loads as its
// items, and a captured verdict is stripped.
func TestCapturedListFormatLoads(t *testing.T) {
	list := `apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: StatefulSet
  metadata:
    name: mysql
    namespace: demo
    generation: 2
    annotations: {groundtruth.dev/runtime-compliant: False/MemoryThrashing/2}
  spec: {replicas: 1}
  status:
    observedGeneration: 2
    conditions:
    - {type: RuntimeCompliant, status: "False", reason: MemoryThrashing, message: thrash}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: demo, generation: 1}
`
	objs := decodeDocuments(t, "list", []byte(list))
	if len(objs) != 2 || objs[0].GetKind() != "StatefulSet" || objs[1].GetName() != "web" {
		t.Fatalf("got %d objects", len(objs))
	}
	if g := objs[0].GetGeneration(); g != 2 {
		t.Fatalf("generation %d", g)
	}
	stripVerdict(objs[0])
	if _, ok := objs[0].GetAnnotations()[mirrorAnnotKey]; ok {
		t.Error("annotation kept")
	}
	if conds := objs[0].Object["status"].(map[string]any)["conditions"].([]any); len(conds) != 0 {
		t.Errorf("condition kept: %v", conds)
	}
}
