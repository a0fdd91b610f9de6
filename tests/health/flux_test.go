package health

import (
	"context"
	"testing"

	fluxstatus "github.com/fluxcd/cli-utils/pkg/kstatus/status"
	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	"github.com/fluxcd/pkg/runtime/cel"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"
)

// shippedFluxChecks reads spec.healthCheckExprs from the shipped patch with Flux's own API
// type, strictly, as kustomize-controller v1.10.1 decodes a Kustomization.
func shippedFluxChecks(t *testing.T) *kustomizev1.Kustomization {
	t.Helper()
	var k kustomizev1.Kustomization
	if err := yaml.UnmarshalStrict([]byte(readFile(t, fluxPatchPath)), &k); err != nil {
		t.Fatal(err)
	}
	if len(k.Spec.HealthCheckExprs) != len(fluxKinds) {
		t.Fatalf("want %d healthCheckExprs, got %d", len(fluxKinds), len(k.Spec.HealthCheckExprs))
	}
	return &k
}

// fluxReader is the status reader kustomize-controller builds from spec.healthCheckExprs
// (fluxcd/pkg/runtime/cel NewStatusReader), the one its health check polls with.
type fluxReader struct {
	read func(u *unstructured.Unstructured) (status.Status, error)
}

func newFluxReader(t *testing.T) fluxReader {
	t.Helper()
	k := shippedFluxChecks(t)
	factory, err := cel.NewStatusReader(k.Spec.HealthCheckExprs)
	if err != nil {
		t.Fatal(err)
	}
	reader := factory(nil)
	return fluxReader{read: func(u *unstructured.Unstructured) (status.Status, error) {
		if !reader.Supports(u.GroupVersionKind().GroupKind()) {
			t.Fatalf("Flux reader does not take %s", u.GroupVersionKind())
		}
		rs, err := reader.ReadStatusForObject(context.Background(), nil, u)
		if err != nil {
			return "", err
		}
		if rs.Error != nil {
			return "", rs.Error
		}
		return status.Status(rs.Status), nil
	}}
}

// fluxOutcome is what a Flux health check does with a status: done, failed, or wait.
// kstatus's Terminating and Unknown are waited on as InProgress is.
func fluxOutcome(s status.Status) status.Status {
	switch s {
	case status.CurrentStatus, status.FailedStatus:
		return s
	}
	return status.InProgressStatus
}

func kstatusOf(t *testing.T, u *unstructured.Unstructured) status.Status {
	t.Helper()
	res, err := status.Compute(u)
	if err != nil {
		t.Fatalf("%s: kstatus: %v", u.GetName(), err)
	}
	fork, err := fluxstatus.Compute(u)
	if err != nil || string(fork.Status) != string(res.Status) {
		t.Fatalf("%s: fluxcd/cli-utils kstatus %v (%v) differs from sigs.k8s.io/cli-utils %s", u.GetName(), fork, err, res.Status)
	}
	return res.Status
}

// fluxCorpus: objects as the API server serves them. The expressions, like any CEL
// health check, read spec and status, which the API server always serializes for
// apps/v1 workloads; rendered manifests without them are not live objects.
func fluxCorpus(t *testing.T, samples []sample) []sample {
	var out []sample
	for _, s := range samples {
		_, hasSpec := s.obj.Object["spec"]
		_, hasStatus := s.obj.Object["status"]
		if hasSpec && hasStatus {
			out = append(out, s)
		}
	}
	return out
}

func TestFluxExpressionsMatchKstatusWithoutVerdict(t *testing.T) {
	reader := newFluxReader(t)
	seen := map[status.Status]bool{}
	corpus := fluxCorpus(t, loadCorpus(t))
	for _, s := range corpus {
		want := fluxOutcome(kstatusOf(t, s.obj))
		got, err := reader.read(s.obj)
		if err != nil {
			t.Errorf("%s: %v", s.name, err)
			continue
		}
		seen[want] = true
		if got != want {
			t.Errorf("%s: Flux CEL %s, kstatus %s", s.name, got, want)
		}
	}
	for _, st := range []status.Status{status.CurrentStatus, status.InProgressStatus, status.FailedStatus} {
		if !seen[st] {
			t.Errorf("corpus has no object kstatus calls %s", st)
		}
	}
	t.Logf("%d live objects compared", len(corpus))
}

// The three expressions of a kind never hold together and one always holds, so Flux's
// order (inProgress first) cannot swallow a failure such as ProgressDeadlineExceeded.
func TestFluxExpressionsPartitionEveryObject(t *testing.T) {
	k := shippedFluxChecks(t)
	exprs := map[string][3]*cel.Expression{}
	for _, hc := range k.Spec.HealthCheckExprs {
		var e [3]*cel.Expression
		for i, src := range []string{hc.InProgress, hc.Failed, hc.Current} {
			x, err := cel.NewExpression(src)
			if err != nil {
				t.Fatalf("%s: %v", hc.Kind, err)
			}
			e[i] = x
		}
		exprs[hc.Kind] = e
	}
	for _, s := range fluxCorpus(t, loadCorpus(t)) {
		for _, c := range verdictCases {
			u := withVerdict(s.obj, c)
			holds := 0
			for _, e := range exprs[u.GetKind()] {
				ok, err := e.EvaluateBoolean(context.Background(), u.UnstructuredContent())
				if err != nil {
					t.Fatalf("%s %s: %v", s.name, c.name, err)
				}
				if ok {
					holds++
				}
			}
			if holds != 1 {
				t.Errorf("%s with verdict %s: %d of inProgress/failed/current hold", s.name, c.name, holds)
			}
		}
	}
}

// fluxOverlay: RuntimeCompliant False fails, Unknown/Observing waits, anything else leaves
// kstatus's outcome; an object being deleted or not yet observed at its generation waits
// whatever its verdict (Flux's evaluator and kstatus answer before any verdict).
func fluxOverlay(u *unstructured.Unstructured, kstatus status.Status, v *effective) status.Status {
	if kstatus == status.TerminatingStatus {
		return status.InProgressStatus
	}
	observed, found, _ := unstructured.NestedInt64(u.Object, "status", "observedGeneration")
	if found && observed != u.GetGeneration() {
		return status.InProgressStatus
	}
	outcome := fluxOutcome(kstatus)
	switch {
	case v == nil:
		return outcome
	case v.status == "False":
		return status.FailedStatus
	case v.status == "Unknown" && v.reason == "Observing" && outcome == status.CurrentStatus:
		return status.InProgressStatus
	}
	return outcome
}

func TestFluxOverlayOnEveryObjectAndVerdict(t *testing.T) {
	reader := newFluxReader(t)
	failedOnFalse := 0
	for _, s := range fluxCorpus(t, verdictCorpus(t)) {
		for _, c := range verdictCases {
			u := withVerdict(s.obj, c)
			want := fluxOverlay(u, kstatusOf(t, u), wantFor(c, u.GetGeneration()))
			got, err := reader.read(u)
			if err != nil {
				t.Errorf("%s with verdict %s: %v", s.name, c.name, err)
				continue
			}
			if got != want {
				t.Errorf("%s with verdict %s: Flux CEL %s, want %s", s.name, c.name, got, want)
			}
			if c.name == "thrashing" && got == status.FailedStatus {
				failedOnFalse++
			}
		}
	}
	if failedOnFalse == 0 {
		t.Error("no object failed on RuntimeCompliant=False")
	}
}
