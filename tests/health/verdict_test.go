package health

import (
	"strconv"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// condition is a RuntimeCompliant condition as the controller writes it.
type condition struct{ status, reason, message string }

// verdictCase places a verdict on an object (condition, annotation mirror, or both) and
// states the verdict the object then carries for its generation, which both integrations
// must act on. mirror builds the annotation value from the object's generation.
type verdictCase struct {
	name   string
	cond   *condition
	mirror func(gen int64) string // nil: no annotation
	want   *effective             // nil: no verdict at all
}

// effective is the verdict an integration acts on. fromMirror: the condition is absent and
// the annotation alone carries it.
type effective struct {
	status, reason, message string
	fromMirror              bool
}

func mirrorOf(s, r string, delta int64) func(int64) string {
	return func(gen int64) string { return s + "/" + r + "/" + strconv.FormatInt(gen+delta, 10) }
}

func staleMessage(value string, gen int64) string {
	return "verdict groundtruth.dev/runtime-compliant=" + value + " is not for generation " + strconv.FormatInt(gen, 10)
}

const fromMirrorMessage = "from annotation groundtruth.dev/runtime-compliant (condition not present)"

// verdictCases: every way a verdict can sit on a workload. want is filled per object
// (it may mention the generation) by wantFor.
var verdictCases = []verdictCase{
	{name: "none"},
	{name: "compliant", cond: &condition{"True", "Compliant", "all rules hold"}, mirror: mirrorOf("True", "Compliant", 0)},
	{name: "thrashing", cond: &condition{"False", "MemoryThrashing", "container mysql (pod mysql-0 on node-3): memory PSI some 34% > 10% for 2m10s"}, mirror: mirrorOf("False", "MemoryThrashing", 0)},
	{name: "oom-condition-only", cond: &condition{"False", "OOMKilled", "container app (pod app-1 on node-1): OOM kill"}},
	{name: "observing", cond: &condition{"Unknown", "Observing", "first window not complete"}, mirror: mirrorOf("Unknown", "Observing", 0)},
	{name: "nodata", cond: &condition{"Unknown", "NoData", "agents unreachable"}, mirror: mirrorOf("Unknown", "NoData", 0)},
	{name: "stale-false", cond: &condition{"False", "MemoryThrashing", "old release thrashed"}, mirror: mirrorOf("False", "MemoryThrashing", -1)},
	{name: "stale-true", cond: &condition{"True", "Compliant", ""}, mirror: mirrorOf("True", "Compliant", -1)},
	{name: "condition-and-mirror-disagree", cond: &condition{"False", "CPUThrottled", "throttled"}, mirror: mirrorOf("True", "Compliant", 0)},
	{name: "future-reason", cond: &condition{"False", "FutureRule", "a rule this script does not know"}, mirror: mirrorOf("False", "FutureRule", 0)},
	{name: "empty-mirror", cond: &condition{"False", "PidsExhausted", "pids.max hit"}, mirror: func(int64) string { return "" }},
	{name: "mirror-only-false", mirror: mirrorOf("False", "OOMKilled", 0)},
	{name: "mirror-only-true", mirror: mirrorOf("True", "Compliant", 0)},
	{name: "mirror-only-observing", mirror: mirrorOf("Unknown", "Observing", 0)},
	{name: "mirror-only-nodata", mirror: mirrorOf("Unknown", "NoData", 0)},
	{name: "mirror-only-stale", mirror: mirrorOf("False", "OOMKilled", -1)},
	{name: "mirror-only-garbage", mirror: func(int64) string { return "yes" }},
}

// wantFor states, case by case, the verdict an object carries (docs/contract.md "When it is written":
// the annotation's generation dates the verdict; a verdict of another generation is
// Unknown/Observing).
func wantFor(c verdictCase, gen int64) *effective {
	g := strconv.FormatInt(gen, 10)
	switch c.name {
	case "none":
		return nil
	case "compliant":
		return &effective{status: "True", reason: "Compliant", message: "all rules hold"}
	case "thrashing", "oom-condition-only", "observing", "nodata", "future-reason", "empty-mirror":
		return &effective{status: c.cond.status, reason: c.cond.reason, message: c.cond.message}
	case "stale-false":
		return &effective{status: "Unknown", reason: "Observing", message: staleMessage("False/MemoryThrashing/"+strconv.FormatInt(gen-1, 10), gen)}
	case "stale-true":
		return &effective{status: "Unknown", reason: "Observing", message: staleMessage("True/Compliant/"+strconv.FormatInt(gen-1, 10), gen)}
	case "condition-and-mirror-disagree":
		return &effective{status: "Unknown", reason: "Observing", message: "condition RuntimeCompliant False/CPUThrottled and annotation True/Compliant/" + g + " disagree"}
	case "mirror-only-false":
		return &effective{status: "False", reason: "OOMKilled", message: fromMirrorMessage, fromMirror: true}
	case "mirror-only-true":
		return &effective{status: "True", reason: "Compliant", message: fromMirrorMessage, fromMirror: true}
	case "mirror-only-observing":
		return &effective{status: "Unknown", reason: "Observing", message: fromMirrorMessage, fromMirror: true}
	case "mirror-only-nodata":
		return &effective{status: "Unknown", reason: "NoData", message: fromMirrorMessage, fromMirror: true}
	case "mirror-only-stale":
		return &effective{status: "Unknown", reason: "Observing", message: staleMessage("False/OOMKilled/"+strconv.FormatInt(gen-1, 10), gen)}
	case "mirror-only-garbage":
		return &effective{status: "Unknown", reason: "Observing", message: staleMessage("yes", gen)}
	}
	panic("no expectation for verdict case " + c.name)
}

// withVerdict returns a copy of u carrying the case's condition and annotation.
func withVerdict(u *unstructured.Unstructured, c verdictCase) *unstructured.Unstructured {
	out := u.DeepCopy()
	if c.cond != nil {
		conds, _, _ := unstructured.NestedSlice(out.Object, "status", "conditions")
		conds = append(conds, map[string]any{
			"type": "RuntimeCompliant", "status": c.cond.status, "reason": c.cond.reason,
			"message": c.cond.message, "lastTransitionTime": "2026-11-24T03:00:00Z",
		})
		if err := unstructured.SetNestedSlice(out.Object, conds, "status", "conditions"); err != nil {
			panic(err)
		}
	}
	if c.mirror != nil {
		annotations := out.GetAnnotations()
		if annotations == nil {
			annotations = map[string]string{}
		}
		annotations[mirrorAnnotKey] = c.mirror(out.GetGeneration())
		out.SetAnnotations(annotations)
	}
	return out
}

// verdictCorpus: the objects a verdict can sit on. The controller only judges objects the
// API server has given a generation, so objects without one (rendered manifests in Argo
// CD's test data) carry no verdict here.
func verdictCorpus(t *testing.T) []sample {
	var out []sample
	for _, s := range loadCorpus(t) {
		if s.obj.GetGeneration() > 0 {
			out = append(out, s)
		}
	}
	return out
}
