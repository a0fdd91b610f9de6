package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"groundtruth/tests/e2e/harness"
)

// TestLoop is issue 3's "what it must show", end to end on one cluster:
// real kube-apiserver and kube-controller-manager, agents reading real
// cgroups, the controller holding only manifests/base's RBAC (item 10: every
// step below runs that way). Steps share the cluster and run in order; each
// says which item it shows.
func TestLoop(t *testing.T) {
	e := startLoop(t)
	c := e.c
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	apps := c.Client.AppsV1()

	// Workloads present before the controller starts (captured without the
	// condition); the thrash workload starts once the controller runs, so its
	// onset-to-condition latency is the controller's.
	steady := deployment("steady", 1, podTemplate("steady", sleeper("app")), "node-1")
	rolled := deployment("rolled", 2, podTemplate("rolled", sleeper("app")), "")
	rolled.Spec.Template.Spec.NodeSelector = map[string]string{realAgentLabel: "true"}
	onNode2 := deployment("on-node-2", 1, podTemplate("on-node-2", sleeper("app")), "node-2")
	onNode3 := deployment("on-node-3", 1, podTemplate("on-node-3", sleeper("app")), badAgentNode)
	for _, d := range []*appsv1.Deployment{steady, rolled, onNode2, onNode3} {
		if _, err := apps.Deployments(loopAppNS).Create(ctx, d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	sts := &appsv1.StatefulSet{
		ObjectMeta: gitopsMeta("web"),
		Spec: appsv1.StatefulSetSpec{
			Replicas: ptr.To[int32](1), ServiceName: "web",
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: podTemplate("web", sleeper("app")),
		},
	}
	sts.Spec.Template.Spec.NodeSelector = map[string]string{realAgentLabel: "true"}
	if _, err := apps.StatefulSets(loopAppNS).Create(ctx, sts, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ds := &appsv1.DaemonSet{
		ObjectMeta: gitopsMeta("node-local"),
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "node-local"}},
			Template: podTemplate("node-local", sleeper("app")),
		},
	}
	ds.Spec.Template.Spec.NodeSelector = map[string]string{realAgentLabel: "true"}
	if _, err := apps.DaemonSets(loopAppNS).Create(ctx, ds, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.waitFor(ctx, "workloads ready", 90*time.Second, func(ctx context.Context) (bool, error) {
		for _, name := range []string{"steady", "rolled", "on-node-2", "on-node-3"} {
			d, err := apps.Deployments(loopAppNS).Get(ctx, name, metav1.GetOptions{})
			if err != nil || d.Status.ReadyReplicas != *d.Spec.Replicas {
				return false, nil
			}
		}
		s, err := apps.StatefulSets(loopAppNS).Get(ctx, "web", metav1.GetOptions{})
		if err != nil || s.Status.ReadyReplicas != 1 {
			return false, nil
		}
		d, err := apps.DaemonSets(loopAppNS).Get(ctx, "node-local", metav1.GetOptions{})
		return err == nil && d.Status.NumberReady == 2, nil
	})
	e.captureAll(ctx, "without-condition")

	// Never False without data: every verdict the two nodes' workloads show
	// is recorded from a watch for the whole test.
	node2Seen := e.record(ctx, "deploy", "on-node-2")
	node3Seen := e.record(ctx, "deploy", "on-node-3")

	ctl := e.startController("--scope=gitops")
	controllers := []*controllerProc{ctl}
	var apiRestart restartWindow
	defer func() {
		// Item 10: with only manifests/base's RBAC, nothing was refused.
		// A restarted kube-apiserver answers 403 for a moment while its RBAC
		// caches fill: refusals then are the control plane's, not the RBAC's.
		for _, p := range controllers {
			var refused []string
			for _, line := range p.logLines("Forbidden") {
				if !apiRestart.covers(line) {
					refused = append(refused, line)
				}
			}
			if len(refused) > 0 {
				t.Errorf("%s was refused by the API server with manifests/base's RBAC:\n%s", p.name, strings.Join(refused, "\n"))
			}
		}
		if t.Failed() {
			for _, p := range controllers {
				t.Logf("--- %s log (tail) ---\n%s", p.name, tail(p.logText(), 60))
			}
		}
	}()

	thrashData := t.TempDir()
	t.Run("1 thrash detected", func(t *testing.T) {
		// The data directory outlives this subtest: item 16 replaces the pod, and its
		// successors read the same file.
		tmpl := thrashTemplate(e.examples, thrashData)
		thrash := deployment("memory-thrash", 1, tmpl, "node-1")
		if _, err := apps.Deployments(loopAppNS).Create(ctx, thrash, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		waitCtx, cancelWait := context.WithTimeout(ctx, 3*time.Minute)
		defer cancelWait()
		kubectlWait := make(chan error, 1)
		go func() {
			_, err := c.Kubectl(waitCtx, "-n", loopAppNS, "wait", "--for=condition=RuntimeCompliant=False",
				"deploy/memory-thrash", "--timeout=170s")
			kubectlWait <- err
		}()
		var started time.Time
		e.waitFor(ctx, "thrash container running", 60*time.Second, func(ctx context.Context) (bool, error) {
			l, err := c.Client.CoreV1().Pods(loopAppNS).List(ctx, metav1.ListOptions{LabelSelector: "app=memory-thrash"})
			if err != nil || len(l.Items) != 1 || len(l.Items[0].Status.ContainerStatuses) != 1 ||
				l.Items[0].Status.ContainerStatuses[0].State.Running == nil {
				return false, nil
			}
			started = l.Items[0].Status.ContainerStatuses[0].State.Running.StartedAt.Time
			return true, nil
		})
		// The condition and its mirror annotation are two writes: wait for both.
		v := e.waitVerdict(ctx, "deploy", "memory-thrash", 2*time.Minute+10*time.Second, "False/MemoryThrashing",
			func(v verdict) bool {
				return v.Present && v.Status == "False" && strings.HasPrefix(v.Annotation, "False/")
			})
		seen := time.Now()
		if v.Reason != "MemoryThrashing" {
			t.Errorf("thrash workload judged False for %s, want MemoryThrashing: %s", v.Reason, v)
		}
		latency := v.LastTransition.Sub(started)
		t.Logf("DETECTION LATENCY (suite policy: windows scaled so the longest is 20s, i.e. thrashing some 4s x2 / full 1s; agent interval 1s, controller interval 2s): onset (container start %s) -> condition False (lastTransitionTime %s) = %s; seen by a poller after %s; message: %s",
			started.UTC().Format(time.RFC3339), v.LastTransition.UTC().Format(time.RFC3339), latency, seen.Sub(started).Round(100*time.Millisecond), v.Msg)
		if seen.Sub(started) > 2*time.Minute+time.Second { // startedAt has whole seconds
			t.Errorf("detected %s after onset, more than the 2 minutes issue 3 allows", seen.Sub(started))
		}
		if !strings.Contains(v.Annotation, "False/MemoryThrashing/") {
			t.Errorf("annotation mirror %q does not carry the verdict", v.Annotation)
		}
		// The mirror annotation must not chase its own generation: a Deployment's
		// generation moves with every annotation change.
		time.Sleep(6 * time.Second)
		if later, err := e.get(ctx, "deploy", "memory-thrash"); err == nil && later.Generation > v.Generation+1 {
			t.Errorf("Deployment generation ran from %d to %d in 6 s of steady verdict (annotation %q): writes chasing their own generation bump", v.Generation, later.Generation, later.Annotation)
		}
		if err := <-kubectlWait; err != nil {
			t.Errorf("kubectl wait --for=condition=RuntimeCompliant=False: %v", err)
		}
		if d, err := apps.Deployments(loopAppNS).Get(ctx, "memory-thrash", metav1.GetOptions{}); err == nil {
			d.APIVersion, d.Kind = "apps/v1", "Deployment"
			e.capture(ctx, "deployment-false-memorythrashing.json", d)
		}
	})

	// Beyond the list: a workload that leaves scope must not keep a verdict nobody
	// maintains (Argo CD would show it Degraded forever), and one that comes back is judged
	// afresh, never with the verdict it left with.
	t.Run("11 opt-out withdraws the verdict, opt-in judges afresh", func(t *testing.T) {
		optIn := func(value string) {
			t.Helper()
			patch := `{"metadata":{"annotations":{"groundtruth.dev/enabled":` + value + `}}}`
			if _, err := apps.Deployments(loopAppNS).Patch(ctx, "memory-thrash", types.MergePatchType,
				[]byte(patch), metav1.PatchOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		optIn(`"false"`)
		e.waitVerdict(ctx, "deploy", "memory-thrash", 30*time.Second, "its condition and annotation withdrawn",
			func(v verdict) bool { return !v.Present && v.Annotation == "" })
		optIn(`null`)
		v := e.waitVerdict(ctx, "deploy", "memory-thrash", 30*time.Second, "judged again",
			func(v verdict) bool { return v.Present })
		if v.Status != "Unknown" || v.Reason != "Observing" {
			t.Errorf("first verdict after opting back in: %s, want Unknown/Observing", v)
		}
		e.waitVerdict(ctx, "deploy", "memory-thrash", 2*time.Minute, "False/MemoryThrashing again",
			func(v verdict) bool { return v.Status == "False" && strings.HasPrefix(v.Annotation, "False/") })
	})

	t.Run("16 a verdict outlives the pod it was measured on", func(t *testing.T) {
		verdictOutlivesPod(t, e, ctx)
	})

	t.Run("9 agent refuses clients without the CA's certificate", func(t *testing.T) {
		url := e.agentURL(ctx, "node-1", "/v1/samples?since=0")
		if resp, err := e.agentClient(nil).Get(url); err == nil {
			resp.Body.Close()
			t.Errorf("agent answered %s to a client without a certificate", resp.Status)
		} else {
			t.Logf("no client certificate: refused: %v", err)
		}
		other := e.agentClient(&harness.KeyPair{CertFile: c.Dir + "/admin.crt", KeyFile: c.Dir + "/admin.key"})
		if resp, err := other.Get(url); err == nil {
			resp.Body.Close()
			t.Errorf("agent answered %s to a client certificate from another CA", resp.Status)
		} else {
			t.Logf("certificate from another CA: refused: %v", err)
		}
		resp, err := e.agentClient(&e.ctlCert).Get(url)
		if err != nil {
			t.Fatalf("the controller's certificate is refused: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("with the controller's certificate: %s", resp.Status)
		}
	})

	// Item 2 runs in the background for its two minutes while other items
	// work on other objects; its verdict is checked after item 3/5.
	var steadyRec *recorder
	var steadyStart verdict
	steadyCtx, steadyStop := context.WithCancel(ctx)
	defer steadyStop()
	t.Run("2 healthy gets True", func(t *testing.T) {
		// The condition and its mirror annotation are two writes: wait for both.
		steadyStart = e.waitVerdict(ctx, "deploy", "steady", 90*time.Second, "True/Compliant", func(v verdict) bool {
			return v.is("True", "Compliant") && strings.HasPrefix(v.Annotation, "True/Compliant/")
		})
		// The annotation moved the Deployment's generation, and the Deployment controller
		// answers with a status write of its own (observedGeneration): steady state starts
		// once it has.
		lastVersion, quietSince := "", time.Now()
		e.waitFor(ctx, "the Deployment controller to observe the steady Deployment's generation", 30*time.Second,
			func(ctx context.Context) (bool, error) {
				d, err := apps.Deployments(loopAppNS).Get(ctx, "steady", metav1.GetOptions{})
				if err != nil || !deploymentSettled(d) {
					return false, nil
				}
				if d.ResourceVersion != lastVersion {
					lastVersion, quietSince = d.ResourceVersion, time.Now()
				}
				return time.Since(quietSince) >= 3*time.Second, nil
			})
		if v, err := e.get(ctx, "deploy", "steady"); err == nil {
			steadyStart = v
		}
		if d, err := apps.Deployments(loopAppNS).Get(ctx, "steady", metav1.GetOptions{}); err == nil {
			d.APIVersion, d.Kind = "apps/v1", "Deployment"
			e.capture(ctx, "deployment-true-compliant.json", d)
		}
		steadyRec = e.record(steadyCtx, "deploy", "steady")
	})
	steadySince := time.Now()

	t.Run("4 StatefulSet condition re-asserted after the StatefulSet controller wipes it", func(t *testing.T) {
		e.waitVerdict(ctx, "sts", "web", 90*time.Second, "a condition", func(v verdict) bool { return v.Present })
		rec := e.record(ctx, "sts", "web")
		for i, replicas := range []int32{2, 1} {
			if _, err := apps.StatefulSets(loopAppNS).Patch(ctx, "web", types.MergePatchType,
				[]byte(fmt.Sprintf(`{"spec":{"replicas":%d}}`, replicas)), metav1.PatchOptions{}); err != nil {
				t.Fatal(err)
			}
			e.waitFor(ctx, "statefulset scaled", 60*time.Second, func(ctx context.Context) (bool, error) {
				s, err := apps.StatefulSets(loopAppNS).Get(ctx, "web", metav1.GetOptions{})
				return err == nil && s.Status.ReadyReplicas == replicas && s.Status.ObservedGeneration == s.Generation, nil
			})
			time.Sleep(3 * time.Second)
			t.Logf("scale %d -> %d replicas done", i, replicas)
		}
		var wipes int
		var gone *time.Time
		for _, s := range rec.snapshot() {
			switch {
			case !s.v.Present && gone == nil:
				at := s.at
				gone = &at
				wipes++
			case s.v.Present && gone != nil:
				back := s.at.Sub(*gone)
				t.Logf("condition wiped at %s, back after %s", gone.Format("15:04:05.000"), back.Round(time.Millisecond))
				if back > 2*time.Second {
					t.Errorf("condition back only %s after the StatefulSet controller wiped it (issue 3: within 2 s)", back)
				}
				gone = nil
			}
		}
		if gone != nil {
			t.Errorf("condition wiped at %s and not back", gone.Format("15:04:05.000"))
		}
		if wipes == 0 {
			// This release's StatefulSet controller keeps foreign conditions; wipe it
			// the way an older one would: a full status update without it.
			t.Logf("the StatefulSet controller never wiped the condition in this run; wiping it with a status update")
			for i := 0; i < 3; i++ {
				s, err := apps.StatefulSets(loopAppNS).Get(ctx, "web", metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				var kept []appsv1.StatefulSetCondition
				for _, c := range s.Status.Conditions {
					if c.Type != conditionType {
						kept = append(kept, c)
					}
				}
				s.Status.Conditions = kept
				if _, err := apps.StatefulSets(loopAppNS).UpdateStatus(ctx, s, metav1.UpdateOptions{}); err != nil {
					t.Fatal(err)
				}
				wiped := time.Now()
				v := e.waitVerdict(ctx, "sts", "web", 10*time.Second, "its condition back", func(v verdict) bool { return v.Present })
				back := time.Since(wiped)
				t.Logf("condition wiped by a status update, back after %s: %s", back.Round(time.Millisecond), v)
				if back > 2*time.Second {
					t.Errorf("condition back only %s after it was wiped (issue 3: within 2 s)", back)
				}
				time.Sleep(time.Second)
			}
		}
		if s, err := apps.StatefulSets(loopAppNS).Get(ctx, "web", metav1.GetOptions{}); err == nil {
			s.APIVersion, s.Kind = "apps/v1", "StatefulSet"
			e.capture(ctx, "statefulset-with-condition.json", s)
		}
		if d, err := apps.DaemonSets(loopAppNS).Get(ctx, "node-local", metav1.GetOptions{}); err == nil {
			d.APIVersion, d.Kind = "apps/v1", "DaemonSet"
			e.capture(ctx, "daemonset-with-condition.json", d)
		}
	})

	// Garbage and hanging agents are shown in item 7, by the restarted
	// controllers: the controller logs an agent's first failure, not every one.
	t.Run("9 controller refuses an agent whose certificate does not verify", func(t *testing.T) {
		// node-3's stand-in presents the right name from the wrong CA.
		e.waitVerdict(ctx, "deploy", "on-node-3", 60*time.Second, "Unknown/NoData", func(v verdict) bool { return v.is("Unknown", "NoData") })
		if lines := ctl.logLines("agent scrape failed"); !containsAny(lines, "certif", "verif", "handshake", "TLS", "tls") {
			t.Errorf("no log line says node-3's agent certificate failed to verify; scrape failures logged:\n%s", strings.Join(lines, "\n"))
		} else {
			t.Logf("log: %s", firstWith(lines, "certif", "verif", "handshake", "TLS", "tls"))
		}
	})

	t.Run("6 agent stopped gives NoData never False, back gives the verdict", func(t *testing.T) {
		e.waitVerdict(ctx, "deploy", "on-node-2", 90*time.Second, "True/Compliant", func(v verdict) bool { return v.is("True", "Compliant") })
		stopped := time.Now()
		e.stopAgent(ctx, "node-2")
		v := e.waitVerdict(ctx, "deploy", "on-node-2", 60*time.Second, "Unknown/NoData", func(v verdict) bool { return v.is("Unknown", "NoData") })
		t.Logf("agent stopped -> %s after %s", v, time.Since(stopped).Round(100*time.Millisecond))
		restarted := time.Now()
		e.startAgent(ctx, "node-2")
		v = e.waitVerdict(ctx, "deploy", "on-node-2", 90*time.Second, "True/Compliant again", func(v verdict) bool { return v.is("True", "Compliant") })
		t.Logf("agent back -> %s after %s", v, time.Since(restarted).Round(100*time.Millisecond))
	})

	t.Run("3 and 5 scale and roll", func(t *testing.T) {
		before := e.waitVerdict(ctx, "deploy", "rolled", 60*time.Second, "True/Compliant", func(v verdict) bool { return v.is("True", "Compliant") })
		rec := e.record(ctx, "deploy", "rolled")
		if _, err := apps.Deployments(loopAppNS).Patch(ctx, "rolled", types.MergePatchType,
			[]byte(`{"spec":{"replicas":3}}`), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		e.waitFor(ctx, "scaled to 3", 60*time.Second, func(ctx context.Context) (bool, error) {
			d, err := apps.Deployments(loopAppNS).Get(ctx, "rolled", metav1.GetOptions{})
			return err == nil && d.Status.ReadyReplicas == 3 && d.Status.ObservedGeneration == d.Generation, nil
		})
		time.Sleep(4 * time.Second) // two passes
		after, _ := e.get(ctx, "deploy", "rolled")
		if !after.is("True", "Compliant") || !after.LastTransition.Equal(before.LastTransition) {
			t.Errorf("after scaling 2 -> 3: %s (lastTransitionTime %s, was %s)", after, after.LastTransition, before.LastTransition)
		}
		// Roll: a new pod template.
		// The generation of the new template is the one the patch's own answer carries: a
		// Get after it could already see the controller's next mirror write (one more).
		d, err := apps.Deployments(loopAppNS).Patch(ctx, "rolled", types.MergePatchType,
			[]byte(`{"spec":{"template":{"metadata":{"annotations":{"e2e/rollout":"2"}}}}}`), metav1.PatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		gen := d.Generation
		e.waitFor(ctx, "rolled out", 90*time.Second, func(ctx context.Context) (bool, error) {
			d, err := apps.Deployments(loopAppNS).Get(ctx, "rolled", metav1.GetOptions{})
			return err == nil && d.Status.UpdatedReplicas == 3 && d.Status.ReadyReplicas == 3 && d.Status.Replicas == 3 && d.Status.ObservedGeneration == d.Generation, nil
		})
		e.waitVerdict(ctx, "deploy", "rolled", 90*time.Second, "True/Compliant for the new template",
			func(v verdict) bool {
				return v.is("True", "Compliant") && v.annotationGeneration() >= gen
			})
		// Item 3: the condition is on the object at every step of the rollout.
		// Item 5: the first verdict about the new generation is Unknown/Observing.
		firstNew := ""
		for _, s := range rec.snapshot() {
			if !s.v.Present {
				t.Errorf("condition missing at %s during scale/rollout: %s", s.at.Format("15:04:05.000"), s.v)
			}
			if firstNew == "" && s.v.annotationGeneration() >= gen {
				firstNew = s.v.Annotation
				if !s.v.is("Unknown", "Observing") {
					t.Errorf("first verdict on generation %d is %s, want Unknown/Observing", gen, s.v)
				}
			}
		}
		if !strings.HasPrefix(firstNew, "Unknown/Observing/") {
			t.Errorf("new pod template: first annotation %q, want Unknown/Observing/%d", firstNew, gen)
		}
	})

	t.Run("2 no status write for 2 minutes of steady state", func(t *testing.T) {
		if steadyRec == nil {
			t.Skip("no True verdict to hold")
		}
		if rest := 2*time.Minute - time.Since(steadySince); rest > 0 {
			time.Sleep(rest)
		}
		steadyStop()
		v := steadyStart
		for _, s := range steadyRec.snapshot() {
			if s.v.ResourceVersion != v.ResourceVersion {
				t.Errorf("steady Deployment modified at %s: %s (groundtruth's managed fields %v, were %v)",
					s.at.Format(time.RFC3339), s.v, s.v.ManagedByGT, v.ManagedByGT)
			}
		}
		after, err := e.get(ctx, "deploy", "steady")
		if err != nil {
			t.Fatal(err)
		}
		if after.ResourceVersion != v.ResourceVersion {
			t.Errorf("steady Deployment changed in 2 minutes of steady state: resourceVersion %s -> %s (%s)", v.ResourceVersion, after.ResourceVersion, after)
		}
		t.Logf("2 minutes after True/Compliant: resourceVersion still %s, %s", after.ResourceVersion, after)
	})

	t.Run("7 controller restart keeps lastTransitionTime; leader election", func(t *testing.T) {
		names := []struct{ kind, name string }{{"deploy", "steady"}, {"deploy", "memory-thrash"}, {"deploy", "rolled"}, {"sts", "web"}, {"ds", "node-local"}}
		before := map[string]verdict{}
		for _, n := range names {
			v, err := e.get(ctx, n.kind, n.name)
			if err != nil || !v.Present {
				t.Fatalf("%s/%s before restart: %v %s", n.kind, n.name, err, v)
			}
			before[n.name] = v
		}
		ctl.stop(syscall.SIGTERM)
		e.bad.setMode("garbage") // bad input: node-3's agent now answers garbage
		ctl2 := e.startController("--scope=gitops")
		controllers = append(controllers, ctl2)
		time.Sleep(15 * time.Second)
		if ctl2.exited() {
			t.Fatalf("restarted controller exited (garbage from node-3's agent?): %v", ctl2.err)
		}
		if lines := ctl2.logLines("agent scrape failed", "node-3"); len(lines) == 0 {
			t.Errorf("no log line about node-3's agent answering garbage")
		} else {
			t.Logf("garbage agent: %s", lines[0])
		}
		for _, n := range names {
			v, _ := e.get(ctx, n.kind, n.name)
			b := before[n.name]
			if !v.LastTransition.Equal(b.LastTransition) || v.Status != b.Status {
				t.Errorf("%s/%s after controller restart: %s, lastTransitionTime %s (was %s, %s)", n.kind, n.name, v, v.LastTransition, b.LastTransition, b)
			}
		}
		ctl2.stop(syscall.SIGTERM)

		e.bad.setMode("hang") // bad input: node-3's agent now never answers
		a := e.startController("--scope=gitops", "--leader-elect")
		b := e.startController("--scope=gitops", "--leader-elect")
		controllers = append(controllers, a, b)
		var leader, follower *controllerProc
		e.waitFor(ctx, "a leader", 40*time.Second, func(context.Context) (bool, error) {
			la, lb := len(a.logLines("became leader")) > 0, len(b.logLines("became leader")) > 0
			if la && lb {
				return false, fmt.Errorf("both replicas say they became leader")
			}
			switch {
			case la:
				leader, follower = a, b
			case lb:
				leader, follower = b, a
			}
			return leader != nil, nil
		})
		// A change that needs a write: a new template on steady.
		roll := func(n int) int64 {
			d, err := apps.Deployments(loopAppNS).Patch(ctx, "steady", types.MergePatchType,
				[]byte(fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{"e2e/rollout":"%d"}}}}}`, n)), metav1.PatchOptions{})
			if err != nil {
				t.Fatal(err)
			}
			return d.Generation
		}
		gen := roll(1)
		e.waitVerdict(ctx, "deploy", "steady", 30*time.Second, "Observing on the new template",
			func(v verdict) bool { return v.annotationGeneration() >= gen })
		time.Sleep(3 * time.Second)
		if n := len(follower.logLines("condition written")); n != 0 {
			t.Errorf("the follower %s wrote %d conditions", follower.name, n)
		}
		if n := len(leader.logLines("condition written")); n == 0 {
			t.Errorf("the leader %s wrote nothing, yet the condition changed", leader.name)
		}
		if lines := append(leader.logLines("agent scrape failed", "node-3"), follower.logLines("agent scrape failed", "node-3")...); len(lines) == 0 {
			t.Errorf("no log line about node-3's hanging agent")
		} else {
			t.Logf("hanging agent: %s", lines[0])
		}
		if v, _ := e.get(ctx, "deploy", "on-node-3"); !v.is("Unknown", "NoData") {
			t.Errorf("on-node-3 with a hanging agent: %s, want Unknown/NoData", v)
		}
		killed := time.Now()
		leader.stop(syscall.SIGKILL) // no graceful release: the lease must expire
		e.waitFor(ctx, "the follower takes over", 30*time.Second, func(context.Context) (bool, error) {
			return len(follower.logLines("became leader")) > 0, nil
		})
		took := time.Since(killed)
		t.Logf("follower %s took over %s after the leader was killed", follower.name, took.Round(100*time.Millisecond))
		if took > 15*time.Second+2*time.Second+3*time.Second {
			t.Errorf("takeover after %s: more than the 15 s lease plus a retry period", took)
		}
		gen = roll(2)
		e.waitVerdict(ctx, "deploy", "steady", 30*time.Second, "written by the new leader",
			func(v verdict) bool { return v.annotationGeneration() >= gen })
		ctl = follower
	})

	t.Run("8 API server restarted mid-watch", func(t *testing.T) {
		recCtx, recStop := context.WithCancel(ctx)
		defer recStop()
		rec := e.record(recCtx, "deploy", "steady")
		apiRestart.from = time.Now()
		if err := c.RestartAPIServer(ctx); err != nil {
			t.Fatal(err)
		}
		apiRestart.to = time.Now().Add(15 * time.Second)
		d, err := apps.Deployments(loopAppNS).Patch(ctx, "steady", types.MergePatchType,
			[]byte(`{"spec":{"template":{"metadata":{"annotations":{"e2e/rollout":"after-restart"}}}}}`), metav1.PatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		newGen := fmt.Sprintf("generation %d", d.Generation)
		v := e.waitVerdict(ctx, "deploy", "steady", 60*time.Second, "Unknown/Observing on the template changed after the restart",
			func(v verdict) bool { return v.is("Unknown", "Observing") && strings.Contains(v.Msg, newGen) })
		t.Logf("after the API server restart: %s", v)
		// The mirror must never vouch for the new generation while the verdict is
		// still about an older one: a gate would pass on the previous release.
		time.Sleep(2 * time.Second)
		recStop()
		for _, s := range rec.snapshot() {
			if s.v.annotationGeneration() >= d.Generation && s.v.Present && !strings.Contains(s.v.Msg, newGen) &&
				!strings.HasPrefix(s.v.Annotation, "Unknown/Observing/") {
				t.Errorf("at %s the annotation %q vouches for generation >= %d, but the condition is about an older template: %s",
					s.at.Format("15:04:05.000"), s.v.Annotation, d.Generation, s.v)
			}
		}
		if _, err := apps.StatefulSets(loopAppNS).Patch(ctx, "web", types.MergePatchType, []byte(`{"spec":{"replicas":2}}`), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		e.waitFor(ctx, "statefulset scaled after the restart", 60*time.Second, func(ctx context.Context) (bool, error) {
			s, err := apps.StatefulSets(loopAppNS).Get(ctx, "web", metav1.GetOptions{})
			return err == nil && s.Status.ReadyReplicas == 2, nil
		})
		e.waitVerdict(ctx, "sts", "web", 10*time.Second, "its condition after the restart", func(v verdict) bool { return v.Present })
		if ctl.exited() {
			t.Errorf("controller exited across the API server restart: %v", ctl.err)
		}
	})

	cancel2 := func(r *recorder, name string) {
		for _, s := range r.snapshot() {
			if s.v.Present && s.v.Status == "False" {
				t.Errorf("%s was judged False at %s without data: %s", name, s.at.Format(time.RFC3339), s.v)
			}
		}
	}
	cancel2(node2Seen, "on-node-2 (agent stopped)")
	cancel2(node3Seen, "on-node-3 (agent unverifiable, garbage, hanging)")
	e.captureAll(ctx, "end")
}

// restartWindow is when the API server was restarting, for log lines stamped
// klog-style ("W1124 05:35:51.455570 ...", local time of this machine).
type restartWindow struct{ from, to time.Time }

func (w restartWindow) covers(line string) bool {
	f := strings.Fields(line)
	if w.from.IsZero() || len(f) < 2 {
		return false
	}
	at, err := time.ParseInLocation("15:04:05.000000", f[1], time.Local)
	if err != nil {
		return false
	}
	y, m, d := w.from.Date()
	at = time.Date(y, m, d, at.Hour(), at.Minute(), at.Second(), at.Nanosecond(), time.Local)
	return !at.Before(w.from.Add(-time.Second)) && !at.After(w.to)
}

func containsAny(lines []string, words ...string) bool { return firstWith(lines, words...) != "" }

func firstWith(lines []string, words ...string) string {
	for _, l := range lines {
		for _, w := range words {
			if strings.Contains(l, w) {
				return l
			}
		}
	}
	return ""
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// captureAll saves every loop workload as the API server returns it.
func (e *loopEnv) captureAll(ctx context.Context, stage string) {
	if os.Getenv("GT_CAPTURE") != "1" {
		return
	}
	apps := e.c.Client.AppsV1()
	if l, err := apps.Deployments(loopAppNS).List(ctx, metav1.ListOptions{}); err == nil {
		for i := range l.Items {
			d := &l.Items[i]
			d.APIVersion, d.Kind = "apps/v1", "Deployment"
			e.capture(ctx, fmt.Sprintf("%s-deployment-%s.json", stage, d.Name), d)
		}
	}
	if l, err := apps.StatefulSets(loopAppNS).List(ctx, metav1.ListOptions{}); err == nil {
		for i := range l.Items {
			s := &l.Items[i]
			s.APIVersion, s.Kind = "apps/v1", "StatefulSet"
			e.capture(ctx, fmt.Sprintf("%s-statefulset-%s.json", stage, s.Name), s)
		}
	}
	if l, err := apps.DaemonSets(loopAppNS).List(ctx, metav1.ListOptions{}); err == nil {
		for i := range l.Items {
			d := &l.Items[i]
			d.APIVersion, d.Kind = "apps/v1", "DaemonSet"
			e.capture(ctx, fmt.Sprintf("%s-daemonset-%s.json", stage, d.Name), d)
		}
	}
}

// deploymentSettled: the Deployment controller has nothing left to write of its own
// accord: it observed the current generation, every replica is updated and available,
// and its Progressing condition says the rollout completed. Before that, each of its
// syncs may write status, so a test that reads a version and then expects it to hold
// would race it (under load, the controller's writes come seconds late).
func deploymentSettled(d *appsv1.Deployment) bool {
	st := d.Status
	if st.ObservedGeneration != d.Generation || d.Spec.Replicas == nil {
		return false
	}
	want := *d.Spec.Replicas
	if st.Replicas != want || st.UpdatedReplicas != want || st.AvailableReplicas != want || st.ReadyReplicas != want {
		return false
	}
	for _, c := range st.Conditions {
		if c.Type == appsv1.DeploymentProgressing {
			return c.Status == corev1.ConditionTrue && c.Reason == "NewReplicaSetAvailable"
		}
	}
	return false
}
