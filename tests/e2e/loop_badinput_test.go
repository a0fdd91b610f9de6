package e2e

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"groundtruth/tests/e2e/harness"
)

// TestLoopBadKubeconfig: the controller given a malformed kubeconfig exits
// with the configuration error code (3) and a line naming the problem; given
// an unreachable API server it stays up, says so, and writes nothing (there
// is nothing to write to). No cluster needed.
func TestLoopBadKubeconfig(t *testing.T) {
	gt := harness.GroundtruthBinary(t)
	dir := t.TempDir()
	for name, body := range map[string]string{
		"not-yaml":   "apiVersion: v1\nclusters: [ {{{\n",
		"no-context": "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n",
		"bad-ca": "apiVersion: v1\nkind: Config\ncurrent-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n" +
			"clusters: [{name: k, cluster: {server: 'https://127.0.0.1:1', certificate-authority-data: 'not base64!'}}]\nusers: [{name: u, user: {token: t}}]\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".kubeconfig")
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, gt, "controller", "--kubeconfig="+path,
				"--metrics-bind-address=0", "--health-probe-bind-address=0").CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 3 {
				t.Fatalf("want exit 3 for a malformed kubeconfig, got %v:\n%s", err, out)
			}
			if !strings.Contains(strings.ToLower(string(out)), "kubeconfig") {
				t.Errorf("the error does not say the kubeconfig is at fault:\n%s", out)
			}
			if strings.Count(strings.TrimSpace(string(out)), "\n") > 3 {
				t.Errorf("want a short, clear error, got:\n%s", out)
			}
			t.Logf("%s: %s", name, strings.TrimSpace(string(out)))
		})
	}

	t.Run("unreachable server", func(t *testing.T) {
		path := filepath.Join(dir, "unreachable.kubeconfig")
		body := "apiVersion: v1\nkind: Config\ncurrent-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n" +
			"clusters: [{name: k, cluster: {server: 'https://127.0.0.1:1', insecure-skip-tls-verify: false}}]\nusers: [{name: u, user: {token: t}}]\n"
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		log := filepath.Join(dir, "unreachable.log")
		f, err := os.Create(log)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		ca, err := harness.NewCA(dir, "e2e-agents")
		if err != nil {
			t.Fatal(err)
		}
		kp, err := ca.PeerCert(dir, "controller", []string{"controller"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(gt, "controller", "--kubeconfig="+path, "--metrics-bind-address=0", "--health-probe-bind-address=0",
			"--agent-ca="+ca.CertFile, "--tls-cert="+kp.CertFile, "--tls-key="+kp.KeyFile)
		cmd.Stdout, cmd.Stderr = f, f
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			out, _ := os.ReadFile(log)
			// Exiting with a clear error is acceptable too; a crash is not.
			var ee *exec.ExitError
			if errors.As(err, &ee) && ee.ExitCode() > 3 || ee != nil && ee.ExitCode() < 0 {
				t.Fatalf("controller crashed on an unreachable API server: %v\n%s", err, out)
			}
			t.Logf("exited: %v\n%s", err, out)
		case <-time.After(12 * time.Second):
			_ = cmd.Process.Signal(os.Interrupt)
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				<-done
				t.Errorf("controller did not stop on SIGINT while the API server was unreachable")
			}
			out, _ := os.ReadFile(log)
			said := false
			for _, line := range strings.Split(string(out), "\n") {
				l := strings.ToLower(line)
				if !strings.Contains(l, "starting") && (strings.Contains(l, "127.0.0.1:1") ||
					strings.Contains(l, "connect") || strings.Contains(l, "refused") || strings.Contains(l, "unreachable")) {
					said = true
				}
			}
			if !said {
				t.Errorf("in 12 s no log line says the API server is unreachable:\n%s", tail(string(out), 20))
			}
			t.Logf("stayed up, logging:\n%s", tail(string(out), 5))
		}
	})
}
