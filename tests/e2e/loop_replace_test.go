package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// The suite policy's observation.max-age (loopPolicy): a generation with no reading
// newer than this has no data.
const loopMaxAge = 15 * time.Second

// runningPod is the one pod of app that runs and is not being deleted, or nil.
func (e *loopEnv) runningPod(ctx context.Context, app string) *corev1.Pod {
	l, err := e.c.Client.CoreV1().Pods(loopAppNS).List(ctx, metav1.ListOptions{LabelSelector: "app=" + app})
	if err != nil {
		return nil
	}
	var found *corev1.Pod
	for i := range l.Items {
		p := &l.Items[i]
		if p.DeletionTimestamp != nil || len(p.Status.ContainerStatuses) == 0 ||
			p.Status.ContainerStatuses[0].State.Running == nil {
			continue
		}
		if found != nil {
			return nil // more than one: not settled
		}
		found = p
	}
	return found
}

// replacePod deletes app's running pod as an eviction or a drain would, waits for its
// controller's replacement to run, and then for longer than max-age: long enough for
// the verdict to have dropped to NoData if it belonged to the pod.
func (e *loopEnv) replacePod(ctx context.Context, app string) {
	e.t.Helper()
	var old *corev1.Pod
	e.waitFor(ctx, app+" running", 60*time.Second, func(ctx context.Context) (bool, error) {
		old = e.runningPod(ctx, app)
		return old != nil, nil
	})
	if err := e.c.Client.CoreV1().Pods(loopAppNS).Delete(ctx, old.Name, metav1.DeleteOptions{}); err != nil {
		e.t.Fatal(err)
	}
	e.waitFor(ctx, app+" replaced", 60*time.Second, func(ctx context.Context) (bool, error) {
		p := e.runningPod(ctx, app)
		return p != nil && p.UID != old.UID, nil
	})
	time.Sleep(loopMaxAge + 2*time.Second)
}

// heldThroughout reports every recorded verdict that differs from want in status,
// reason or lastTransitionTime, or whose annotation does not mirror it.
func heldThroughout(t *testing.T, what string, rec *recorder, want verdict) {
	t.Helper()
	prefix := want.Status + "/" + want.Reason + "/"
	seen := rec.snapshot()
	if len(seen) == 0 {
		t.Fatalf("%s: nothing recorded", what)
	}
	for _, s := range seen {
		if !s.v.is(want.Status, want.Reason) || !s.v.LastTransition.Equal(want.LastTransition) ||
			!strings.HasPrefix(s.v.Annotation, prefix) {
			t.Errorf("%s: at %s %s (lastTransitionTime %s), want %s/%s since %s throughout",
				what, s.at.Format("15:04:05.000"), s.v, s.v.LastTransition.Format(time.RFC3339),
				want.Status, want.Reason, want.LastTransition.Format(time.RFC3339))
		}
	}
	t.Logf("%s: %d versions of the object, all %s/%s since %s", what, len(seen), want.Status, want.Reason,
		want.LastTransition.Format(time.RFC3339))
}

// verdictOutlivesPod is issue 16: a verdict belongs to the workload's generation, so
// pods of that generation coming and going neither reset nor flap it.
func verdictOutlivesPod(t *testing.T, e *loopEnv, ctx context.Context) {
	apps := e.c.Client.AppsV1()
	isThrash := func(v verdict) bool {
		return v.is("False", "MemoryThrashing") && strings.HasPrefix(v.Annotation, "False/MemoryThrashing/")
	}

	t.Run("thrashing Deployment's pod deleted twice keeps False", func(t *testing.T) {
		before := e.waitVerdict(ctx, "deploy", "memory-thrash", 2*time.Minute, "False/MemoryThrashing", isThrash)
		recCtx, stop := context.WithCancel(ctx)
		rec := e.record(recCtx, "deploy", "memory-thrash")
		e.replacePod(ctx, "memory-thrash")
		e.replacePod(ctx, "memory-thrash")
		stop()
		heldThroughout(t, "memory-thrash through two pod replacements", rec, before)
		e.captureSequence(ctx, "replacement-deployment-memory-thrash.json", rec)
	})

	t.Run("compliant StatefulSet's pod deleted keeps True", func(t *testing.T) {
		before := e.waitVerdict(ctx, "sts", "web", 90*time.Second, "True/Compliant", func(v verdict) bool {
			return v.is("True", "Compliant") && strings.HasPrefix(v.Annotation, "True/Compliant/")
		})
		recCtx, stop := context.WithCancel(ctx)
		rec := e.record(recCtx, "sts", "web")
		e.replacePod(ctx, "web") // same name web-0, new UID
		stop()
		heldThroughout(t, "web through a pod replacement", rec, before)
		e.captureSequence(ctx, "replacement-statefulset-web.json", rec)
	})

	t.Run("scaled to zero: NoData only after max-age, then the new pods' verdict", func(t *testing.T) {
		e.waitVerdict(ctx, "deploy", "memory-thrash", time.Minute, "False/MemoryThrashing", isThrash)
		rec := e.record(ctx, "deploy", "memory-thrash")
		scale := func(n string) {
			t.Helper()
			if _, err := apps.Deployments(loopAppNS).Patch(ctx, "memory-thrash", types.MergePatchType,
				[]byte(`{"spec":{"replicas":`+n+`}}`), metav1.PatchOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		scaled := time.Now()
		scale("0")
		noData := e.waitVerdict(ctx, "deploy", "memory-thrash", time.Minute, "Unknown/NoData",
			func(v verdict) bool { return v.is("Unknown", "NoData") })
		// A lower bound only, and a loose one: the newest reading the controller had when the
		// pod went away may be a few seconds old (agent interval, scrape, pass), so NoData may
		// come a little before max-age after the scale-down, but never within half of it (a
		// verdict that belonged to the pod went to NoData at the next pass, ~1 s).
		for _, s := range rec.snapshot() {
			if s.v.is("Unknown", "NoData") {
				if early := s.at.Sub(scaled); early < loopMaxAge/2 {
					t.Errorf("NoData %s after scaling to zero, before max-age (%s) could have passed: %s", early, loopMaxAge, s.v)
				}
				break
			}
			if !isThrash(s.v) {
				t.Errorf("scaled to zero: %s before NoData, want False/MemoryThrashing held", s.v)
			}
		}
		t.Logf("scaled to zero -> %s after %s", noData, time.Since(scaled).Round(100*time.Millisecond))
		seen := len(rec.snapshot())
		scale("1")
		e.waitVerdict(ctx, "deploy", "memory-thrash", 2*time.Minute, "False/MemoryThrashing again", isThrash)
		for _, s := range rec.snapshot()[seen:] {
			if s.v.is("True", "") {
				t.Errorf("back from zero: %s before the new pod was judged False; its readings were not yet observed for a window", s.v)
			}
		}
	})

	t.Run("kubectl rollout restart is a new template: Observing, then the verdict", func(t *testing.T) {
		before := e.waitVerdict(ctx, "deploy", "memory-thrash", time.Minute, "False/MemoryThrashing", isThrash)
		rec := e.record(ctx, "deploy", "memory-thrash")
		if _, err := e.c.Kubectl(ctx, "-n", loopAppNS, "rollout", "restart", "deploy/memory-thrash"); err != nil {
			t.Fatal(err)
		}
		after := e.waitVerdict(ctx, "deploy", "memory-thrash", 2*time.Minute, "False/MemoryThrashing on the new template",
			func(v verdict) bool { return isThrash(v) && v.annotationGeneration() > before.annotationGeneration() })
		observed := false
		for _, s := range rec.snapshot() {
			observed = observed || (s.v.is("Unknown", "Observing") && s.v.annotationGeneration() > before.annotationGeneration())
		}
		if !observed {
			t.Errorf("rollout restart: never Unknown/Observing on the new template before %s", after)
		}
		if after.LastTransition.Equal(before.LastTransition) {
			t.Errorf("rollout restart: lastTransitionTime %s kept across a new template", after.LastTransition)
		}
	})
}

// captureSequence writes every version a recorder saw as one List for tests/health
// (GT_CAPTURE=1): the rollout states a pod replacement passes through, on which Argo CD's
// health with the shipped Lua must follow the held verdict.
func (e *loopEnv) captureSequence(ctx context.Context, file string, rec *recorder) {
	var items []any
	for _, s := range rec.snapshot() {
		items = append(items, s.obj)
	}
	e.capture(ctx, file, map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
}
