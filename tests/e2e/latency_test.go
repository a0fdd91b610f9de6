package e2e

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestDetectionLatencyShippedDefaults is a benchmark, not a pass/fail test:
// issue 3 item 1's thrash Deployment judged under the shipped defaults (no
// policy overrides, agent --interval 5s, controller --interval 10s), to give
// the onset-to-condition figure of docs/benchmarks.md. It takes minutes, so
// it runs only when GT_E2E_LATENCY is set (`make bench`); it fails only when
// no verdict comes at all.
func TestDetectionLatencyShippedDefaults(t *testing.T) {
	if os.Getenv("GT_E2E_LATENCY") == "" {
		t.Skip("a benchmark: set GT_E2E_LATENCY=1 (make bench does) to measure detection latency under the shipped defaults")
	}
	e := startLoopWith(t, loopTiming{policy: "# the shipped defaults\n", agentInterval: "5s", controllerInterval: "10s"})
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	e.startController("--scope=gitops")

	tmpl := thrashTemplate(e.examples, t.TempDir())
	if _, err := e.c.Client.AppsV1().Deployments(loopAppNS).Create(ctx, deployment("memory-thrash", 1, tmpl, "node-1"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var started time.Time
	e.waitFor(ctx, "thrash container running", 90*time.Second, func(ctx context.Context) (bool, error) {
		l, err := e.c.Client.CoreV1().Pods(loopAppNS).List(ctx, metav1.ListOptions{LabelSelector: "app=memory-thrash"})
		if err != nil || len(l.Items) != 1 || len(l.Items[0].Status.ContainerStatuses) != 1 ||
			l.Items[0].Status.ContainerStatuses[0].State.Running == nil {
			return false, nil
		}
		started = l.Items[0].Status.ContainerStatuses[0].State.Running.StartedAt.Time
		return true, nil
	})
	v := e.waitVerdict(ctx, "deploy", "memory-thrash", 8*time.Minute, "False",
		func(v verdict) bool { return v.Present && v.Status == "False" })
	seen := time.Now()
	line := fmt.Sprintf("DETECTION LATENCY (shipped defaults: agent interval 5s, controller interval 10s, default rule windows): onset (container start %s) -> condition False/%s (lastTransitionTime %s) = %s; seen by a poller after %s; message: %s",
		started.UTC().Format(time.RFC3339), v.Reason, v.LastTransition.UTC().Format(time.RFC3339),
		v.LastTransition.Sub(started), seen.Sub(started).Round(100*time.Millisecond), v.Msg)
	t.Log(line)
	if out := os.Getenv("GT_E2E_LATENCY_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(line+"\n"), 0o644); err != nil {
			t.Error(err)
		}
	}
	if v.Reason != "MemoryThrashing" {
		t.Errorf("thrash workload judged False for %s, want MemoryThrashing", v.Reason)
	}
}
