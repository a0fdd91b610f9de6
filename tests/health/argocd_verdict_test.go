package health

import (
	"testing"

	"github.com/argoproj/argo-cd/gitops-engine/v3/pkg/health"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// argoOverlay is the overlay table of docs/integrations.md: what Argo CD shows for a
// built-in result and a verdict.
func argoOverlay(builtin *health.HealthStatus, v *effective) health.HealthStatus {
	if v == nil {
		return health.HealthStatus{Status: builtin.Status, Message: withNote(builtin.Message, noVerdictNote)}
	}
	detail := "RuntimeCompliant " + v.status + "/" + v.reason
	if v.message != "" {
		detail += ": " + v.message
	}
	switch {
	case v.status == "False":
		message := v.message
		if message == "" || v.fromMirror {
			message = detail
		}
		if builtin.Status == health.HealthStatusDegraded {
			message += "; " + builtin.Message
		}
		return health.HealthStatus{Status: health.HealthStatusDegraded, Message: message}
	case v.status == "True":
		return health.HealthStatus{Status: builtin.Status, Message: builtin.Message}
	case v.status == "Unknown" && v.reason == "Observing" &&
		(builtin.Status == health.HealthStatusHealthy || builtin.Status == health.HealthStatusSuspended):
		return health.HealthStatus{Status: health.HealthStatusProgressing, Message: "groundtruth: " + detail}
	}
	return health.HealthStatus{Status: builtin.Status, Message: withNote(builtin.Message, "groundtruth: "+detail)}
}

func TestArgoOverlayOnEveryObjectAndVerdict(t *testing.T) {
	overrides := shippedOverrides(t)
	corpus := verdictCorpus(t)
	seen := map[health.HealthStatusCode]bool{}
	for _, s := range corpus {
		for _, c := range verdictCases {
			u := withVerdict(s.obj, c)
			builtin := argoHealth(t, u, nil)
			seen[builtin.Status] = true
			got := argoHealth(t, u, overrides)
			want := argoOverlay(builtin, wantFor(c, u.GetGeneration()))
			if u.GetDeletionTimestamp() != nil {
				want = *builtin // gitops-engine reports "Pending deletion" after any check
			}
			if got.Status != want.Status || got.Message != want.Message {
				t.Errorf("%s with verdict %s:\n got %s %q\nwant %s %q", s.name, c.name, got.Status, got.Message, want.Status, want.Message)
			}
		}
	}
	for _, code := range []health.HealthStatusCode{health.HealthStatusHealthy, health.HealthStatusSuspended, health.HealthStatusProgressing, health.HealthStatusDegraded} {
		if !seen[code] {
			t.Errorf("corpus has no object that is built-in %s", code)
		}
	}
}

// A few outcomes spelled out, as a reader of docs/integrations.md would expect them.
func TestArgoOverlayExamples(t *testing.T) {
	overrides := shippedOverrides(t)
	byName := map[string]sample{}
	for _, s := range verdictCorpus(t) {
		if s.obj.GetNamespace() == "shop" || s.obj.GetNamespace() == "db" {
			byName[s.obj.GetKind()+"/"+s.obj.GetName()] = s
		}
	}
	find := func(name string) verdictCase {
		for _, c := range verdictCases {
			if c.name == name {
				return c
			}
		}
		t.Fatalf("no case %s", name)
		return verdictCase{}
	}
	for _, tc := range []struct {
		object, verdict string
		status          health.HealthStatusCode
		message         string
	}{
		{"Deployment/healthy", "none", health.HealthStatusHealthy, "groundtruth: no RuntimeCompliant verdict yet"},
		{"Deployment/healthy", "compliant", health.HealthStatusHealthy, ""},
		{"Deployment/healthy", "thrashing", health.HealthStatusDegraded, "container mysql (pod mysql-0 on node-3): memory PSI some 34% > 10% for 2m10s"},
		{"Deployment/healthy", "observing", health.HealthStatusProgressing, "groundtruth: RuntimeCompliant Unknown/Observing: first window not complete"},
		{"Deployment/healthy", "nodata", health.HealthStatusHealthy, "groundtruth: RuntimeCompliant Unknown/NoData: agents unreachable"},
		{"Deployment/healthy", "stale-false", health.HealthStatusProgressing, "groundtruth: RuntimeCompliant Unknown/Observing: verdict groundtruth.dev/runtime-compliant=False/MemoryThrashing/2 is not for generation 3"},
		{"Deployment/paused", "observing", health.HealthStatusProgressing, "groundtruth: RuntimeCompliant Unknown/Observing: first window not complete"},
		{"Deployment/deadline-exceeded", "observing", health.HealthStatusDegraded, "Deployment \"deadline-exceeded\" exceeded its progress deadline; groundtruth: RuntimeCompliant Unknown/Observing: first window not complete"},
		{"Deployment/deadline-exceeded", "oom-condition-only", health.HealthStatusDegraded, "container app (pod app-1 on node-1): OOM kill; Deployment \"deadline-exceeded\" exceeded its progress deadline"},
		{"StatefulSet/healthy", "mirror-only-false", health.HealthStatusDegraded, "RuntimeCompliant False/OOMKilled: from annotation groundtruth.dev/runtime-compliant (condition not present)"},
		{"StatefulSet/not-ready", "thrashing", health.HealthStatusDegraded, "container mysql (pod mysql-0 on node-3): memory PSI some 34% > 10% for 2m10s"},
	} {
		s, ok := byName[tc.object]
		if !ok {
			t.Fatalf("no object %s", tc.object)
		}
		got := argoHealth(t, withVerdict(s.obj, find(tc.verdict)), overrides)
		if got.Status != tc.status || got.Message != tc.message {
			t.Errorf("%s + %s: got %s %q, want %s %q", tc.object, tc.verdict, got.Status, got.Message, tc.status, tc.message)
		}
	}
}

// Issue 16, through Argo CD: every version a workload passed through while its pods were
// deleted and replaced on the end-to-end cluster (tests/e2e TestLoop item 16, GT_CAPTURE=1),
// as the API server served it, verdict included. The thrashing Deployment stays Degraded
// at every step, even with no replica available; the compliant StatefulSet is never
// Degraded and shows what Argo CD's own check shows (Progressing while web-0 is recreated:
// Argo CD's, not groundtruth's).
func TestArgoHealthHoldsThroughPodReplacement(t *testing.T) {
	overrides := shippedOverrides(t)
	sequence := func(file string) []*unstructured.Unstructured {
		t.Helper()
		path := "testdata/captured/" + file
		items := decodeDocuments(t, path, []byte(readFile(t, path)))
		if len(items) < 3 {
			t.Fatalf("%s: %d objects, want the whole replacement", path, len(items))
		}
		return items
	}
	unavailable := 0
	for i, u := range sequence("replacement-deployment-memory-thrash.json") {
		got := argoHealth(t, u, overrides)
		if got.Status != health.HealthStatusDegraded {
			t.Errorf("memory-thrash version %d (resourceVersion %s): Argo CD shows %s %q, want Degraded throughout",
				i, u.GetResourceVersion(), got.Status, got.Message)
		}
		if n, _, _ := unstructured.NestedInt64(u.Object, "status", "availableReplicas"); n == 0 {
			unavailable++
		}
	}
	if unavailable == 0 {
		t.Error("the capture never caught the Deployment without an available replica: it proves little")
	}
	for i, u := range sequence("replacement-statefulset-web.json") {
		got := argoHealth(t, u, overrides)
		builtin := argoHealth(t, u, nil)
		if got.Status == health.HealthStatusDegraded || got.Status != builtin.Status {
			t.Errorf("web version %d: Argo CD shows %s %q, built-in %s", i, got.Status, got.Message, builtin.Status)
		}
	}
}
