package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestLoopMetrics: what Prometheus would scrape, from the real processes on the
// suite's cluster. The controller's groundtruth_workload_verdict follows the
// condition it wrote on the object and goes when the workload is deleted; the
// agent's plain probe port serves its own metrics (process_* included) without a
// certificate, as the PodMonitor of manifests/components/prometheus scrapes it.
func TestLoopMetrics(t *testing.T) {
	e := startLoop(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	apps := e.c.Client.AppsV1()

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	e.startController("--metrics-bind-address=" + addr)
	scrape := func(url string) string {
		resp, err := http.Get(url)
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return ""
		}
		return string(b)
	}

	d := deployment("metered", 1, podTemplate("metered", sleeper("app")), "node-1")
	if _, err := apps.Deployments(loopAppNS).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	v := e.waitVerdict(ctx, "deploy", "metered", 90*time.Second, "a condition", func(v verdict) bool { return v.Present })
	prefix := fmt.Sprintf(`groundtruth_workload_verdict{namespace=%q,kind="Deployment",name="metered",`, loopAppNS)
	var text string
	e.waitFor(ctx, "the verdict on /metrics as on the object", 60*time.Second, func(ctx context.Context) (bool, error) {
		cur, err := e.get(ctx, "deploy", "metered")
		if err != nil {
			return false, nil
		}
		v = cur
		text = scrape("http://" + addr + "/metrics")
		want := prefix + fmt.Sprintf(`status=%q,reason=%q} 1`, v.Status, v.Reason)
		return strings.Contains(text, want) && strings.Count(text, prefix) == 1, nil
	})
	for _, name := range []string{"process_resident_memory_bytes ", "process_cpu_seconds_total ",
		"groundtruth_controller_reconcile_pass_duration_seconds_bucket{le=\"+Inf\"} ",
		`groundtruth_controller_scrape_errors_total{node="node-1"} `} {
		if !strings.Contains(text, "\n"+name) {
			t.Errorf("controller /metrics has no %s\n%s", name, text)
		}
	}

	// The agent's plain port: no certificate, the agent's own metrics.
	agent := fmt.Sprintf("http://%s/metrics", net.JoinHostPort(e.agentPod(ctx, "node-1").Status.PodIP, fmt.Sprint(agentProbePort)))
	a := scrape(agent)
	for _, name := range []string{"groundtruth_agent_samples_total ", "process_resident_memory_bytes ",
		"process_open_fds ", `groundtruth_agent_sample_duration_seconds_bucket{le="+Inf"} `} {
		if !strings.Contains(a, "\n"+name) {
			t.Errorf("agent %s has no %s\n%s", agent, name, a)
		}
	}

	if err := apps.Deployments(loopAppNS).Delete(ctx, "metered", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.waitFor(ctx, "the deleted workload's series gone", 60*time.Second, func(ctx context.Context) (bool, error) {
		text = scrape("http://" + addr + "/metrics")
		return text != "" && !strings.Contains(text, prefix), nil
	})
}
