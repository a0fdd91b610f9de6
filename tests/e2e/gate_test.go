package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"groundtruth/tests/e2e/harness"
)

// gateRun is one `groundtruth gate` invocation: exit code, stdout, stderr, wall time.
type gateRun struct {
	code     int
	stdout   string
	stderr   string
	duration time.Duration
}

func runGate(t *testing.T, ctx context.Context, dir string, env []string, name string, args ...string) gateRun {
	t.Helper()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	began := time.Now()
	err := cmd.Run()
	r := gateRun{stdout: out.String(), stderr: errb.String(), duration: time.Since(began)}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	default:
		t.Fatalf("run %s %v: %v", name, args, err)
	}
	t.Logf("%s %s -> exit %d in %s\nstderr:\n%s", name, strings.Join(args, " "), r.code,
		r.duration.Round(time.Millisecond), r.stderr)
	return r
}

func gateDeployment(ns, name string, labels map[string]string) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "app", Image: "registry.example/sleeper:1", Command: []string{"sleep", "infinity"},
				}}},
			},
		},
	}
}

// playVerdict writes what the controller would: the condition on /status and the mirror
// annotation on the object, both by server-side apply with field manager "groundtruth".
// The API server bumps a Deployment's generation on any annotation change, so the mirror
// names the generation its own write creates (controller/writing.cc does the same).
func playVerdict(t *testing.T, ctx context.Context, c *harness.Cluster, ns, name, status, reason, message string) {
	t.Helper()
	deployments := c.Client.AppsV1().Deployments(ns)
	live, err := deployments.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	generation := live.Generation + 1
	cond := map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"status": map[string]any{"conditions": []any{map[string]any{
			"type": "RuntimeCompliant", "status": status, "reason": reason, "message": message,
			"lastTransitionTime": time.Now().UTC().Format(time.RFC3339),
			"lastUpdateTime":     time.Now().UTC().Format(time.RFC3339),
		}}},
	}
	body, _ := json.Marshal(cond)
	if _, err := deployments.Patch(ctx, name, types.ApplyPatchType, body,
		metav1.PatchOptions{FieldManager: "groundtruth", Force: ptr.To(true)}, "status"); err != nil {
		t.Fatalf("apply condition on %s: %v", name, err)
	}
	mirror := map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": name, "namespace": ns, "annotations": map[string]any{
			"groundtruth.dev/runtime-compliant": fmt.Sprintf("%s/%s/%d", status, reason, generation),
		}},
	}
	body, _ = json.Marshal(mirror)
	if _, err := deployments.Patch(ctx, name, types.ApplyPatchType, body,
		metav1.PatchOptions{FieldManager: "groundtruth", Force: ptr.To(true)}); err != nil {
		t.Fatalf("apply annotation on %s: %v", name, err)
	}
}

// checkJUnit parses the document with Python's xml.etree, as a CI system's parser would,
// and returns "tests failures errors skipped" of the first testsuite.
func checkJUnit(t *testing.T, doc string) string {
	t.Helper()
	const script = `import sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read())
assert root.tag == "testsuites", root.tag
s = root.find("testsuite")
cases = s.findall("testcase")
assert len(cases) == int(s.get("tests")), (len(cases), s.get("tests"))
for c in cases: assert c.get("name") and c.get("classname")
print(s.get("tests"), s.get("failures"), s.get("errors"), s.get("skipped"))`
	cmd := exec.Command("python3", "-c", script)
	cmd.Stdin = strings.NewReader(doc)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("JUnit output does not parse: %v\n%s\ndocument:\n%s", err, out, doc)
	}
	return strings.TrimSpace(string(out))
}

// docCommands returns the `groundtruth gate ...` command lines of docs/gate.md's CI snippets.
func docCommands(t *testing.T) []string {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("..", "..", "docs", "gate.md"))
	if err != nil {
		t.Fatalf("read docs/gate.md: %v", err)
	}
	re := regexp.MustCompile(`(?m)^\s*(?:run: |- )(groundtruth gate .*)$`)
	var lines []string
	for _, m := range re.FindAllStringSubmatch(string(text), -1) {
		lines = append(lines, m[1])
	}
	if len(lines) != 2 {
		t.Fatalf("want the GitHub Actions and GitLab CI command lines in docs/gate.md, found %q", lines)
	}
	return lines
}

// TestGate plays the controller by writing verdicts through the API and checks the gate's
// decisions: pass only after the soak, fail fast on False, exit 2 on a stale verdict from
// the previous generation, exit 3 on bad input; JUnit output parses; the docs' CI command
// lines work as written.
func TestGate(t *testing.T) {
	c := harness.Start(t)
	gt := harness.GroundtruthBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const ns = "gate"
	if _, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	deployments := c.Client.AppsV1().Deployments(ns)
	for _, name := range []string{"good", "thrash", "stale"} {
		labels := map[string]string{"gate-case": name, "app.kubernetes.io/instance": name}
		if _, err := deployments.Create(ctx, gateDeployment(ns, name, labels), metav1.CreateOptions{}); err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
	}
	kube := "--kubeconfig=" + c.Kubeconfig
	work := t.TempDir()

	t.Run("usage errors exit 3", func(t *testing.T) {
		for _, args := range [][]string{
			{"gate", kube}, // nothing selected
			{"gate", kube, "--namespace", ns, "--selector", "gate-case=nobody"}, // no workload matches
			{"gate", kube, "--manifests", filepath.Join(work, "missing.yaml")},  // unreadable manifests
			{"gate", "--kubeconfig=" + filepath.Join(work, "nope"), "-n", ns},   // no kubeconfig
			{"gate", kube, "-n", ns, "--soak", "forever"},                       // bad duration
			{"gate", kube, "-n", ns, "--soak", "2m", "--timeout", "1m"},         // soak cannot fit
		} {
			r := runGate(t, ctx, work, nil, gt, args...)
			if r.code != 3 || r.stdout != "" {
				t.Errorf("%v: exit %d stdout %q, want exit 3 and nothing on stdout", args, r.code, r.stdout)
			}
		}
	})

	// The compliant workload: the verdict appears while the gate waits; it must not pass
	// before the soak has elapsed since the verdict was written.
	t.Run("compliant passes only after the soak", func(t *testing.T) {
		const soak = 8 * time.Second
		done := make(chan gateRun, 1)
		go func() {
			done <- runGate(t, ctx, work, nil, gt, "gate", kube, "--namespace", ns, "--selector", "gate-case=good",
				"--soak", soak.String(), "--timeout", "60s", "--output", "junit")
		}()
		time.Sleep(2 * time.Second)
		written := time.Now()
		playVerdict(t, ctx, c, ns, "good", "True", "Compliant", "every rule holds")
		r := <-done
		if r.code != 0 {
			t.Fatalf("exit %d, want 0\n%s", r.code, r.stdout)
		}
		if since := time.Since(written); since < soak {
			t.Fatalf("gate passed %s after the verdict, before the %s soak", since, soak)
		}
		if got := checkJUnit(t, r.stdout); got != "1 0 0 0" {
			t.Errorf("junit counts %q, want 1 test, no failure", got)
		}
		if !strings.Contains(r.stderr, "Deployment/gate/good generation") {
			t.Errorf("no progress line on stderr")
		}
	})

	t.Run("False fails fast", func(t *testing.T) {
		playVerdict(t, ctx, c, ns, "thrash", "False", "MemoryThrashing",
			"container app (pod thrash-0 on node-1): memory PSI some 34% > 10% for 2m10s")
		// The good one is soaking too: a failure elsewhere must not wait for it.
		r := runGate(t, ctx, work, nil, gt, "gate", kube, "--namespace", ns, "--selector", "gate-case in (good,thrash)",
			"--soak", "50s", "--timeout", "60s", "--output", "json")
		if r.code != 1 {
			t.Fatalf("exit %d, want 1\n%s", r.code, r.stdout)
		}
		if r.duration > 20*time.Second {
			t.Errorf("took %s: not fast", r.duration)
		}
		var doc struct {
			Workloads []struct {
				Kind, Namespace, Name string
				Condition             struct{ Type, Status, Reason, Message string }
			}
		}
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
			t.Fatalf("json output: %v\n%s", err, r.stdout)
		}
		found := false
		for _, w := range doc.Workloads {
			if w.Name == "thrash" {
				found = w.Kind == "Deployment" && w.Namespace == ns && w.Condition.Type == "RuntimeCompliant" &&
					w.Condition.Status == "False" && w.Condition.Reason == "MemoryThrashing" &&
					strings.Contains(w.Condition.Message, "PSI")
			}
		}
		if !found || len(doc.Workloads) != 2 {
			t.Errorf("json workloads %+v", doc.Workloads)
		}
	})

	t.Run("stale verdict of the previous generation exits 2", func(t *testing.T) {
		d, err := deployments.Get(ctx, "stale", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		playVerdict(t, ctx, c, ns, "stale", "True", "Compliant", "every rule holds")
		// A new release: the template changes, metadata.generation advances, the verdict does not.
		// The Deployment controller may still be writing the status the verdict's annotation
		// (a generation bump) caused: retry on conflict, as any client must.
		err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
			cur, err := deployments.Get(ctx, "stale", metav1.GetOptions{})
			if err != nil {
				return err
			}
			cur.Spec.Template.Annotations = map[string]string{"release": "2"}
			d, err = deployments.Update(ctx, cur, metav1.UpdateOptions{})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if d.Generation < 2 {
			t.Fatalf("generation %d did not advance", d.Generation)
		}
		r := runGate(t, ctx, work, nil, gt, "gate", kube, "-n", ns, "-l", "gate-case=stale",
			"--soak", "0s", "--timeout", "6s", "--output", "junit")
		if r.code != 2 {
			t.Fatalf("exit %d, want 2\n%s", r.code, r.stdout)
		}
		if got := checkJUnit(t, r.stdout); got != "1 0 1 0" {
			t.Errorf("junit counts %q, want 1 error", got)
		}
		if !strings.Contains(r.stdout, fmt.Sprintf("verdict is about generation %d, workload is at generation %d",
			d.Generation-1, d.Generation)) {
			t.Errorf("junit does not say why the verdict is stale:\n%s", r.stdout)
		}
		table := runGate(t, ctx, work, nil, gt, "gate", kube, "-n", ns, "-l", "gate-case=stale", "--timeout", "2s")
		if table.code != 2 || !strings.Contains(table.stdout, "True(stale)") {
			t.Errorf("table: exit %d\n%s", table.code, table.stdout)
		}
	})

	// docs/gate.md's CI command lines, run as written by a shell with the CI's variables.
	t.Run("docs CI snippets", func(t *testing.T) {
		bin := filepath.Join(work, "bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(gt, filepath.Join(bin, "groundtruth")); err != nil {
			t.Fatal(err)
		}
		d, err := deployments.Get(ctx, "good", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// The overlay renames the base's "web" to "good" through a component's patch: the
		// gate's old kustomize subset waited for "web"; the real kustomize names "good".
		manifest := fmt.Sprintf("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: %d\n", *d.Spec.Replicas)
		files := map[string]string{
			"deploy/base/deployment.yaml":    manifest + "---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\n",
			"deploy/base/kustomization.yaml": "resources:\n- deployment.yaml\n",
			"deploy/components/rename/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n" +
				"patches:\n- target: {kind: Deployment, name: web}\n  patch: |-\n    - op: replace\n      path: /metadata/name\n      value: good\n",
			"deploy/overlays/prod/kustomization.yaml": "namespace: " + ns + "\nresources:\n- ../../base\ncomponents:\n- ../../components/rename\n",
		}
		for rel, text := range files {
			p := filepath.Join(work, rel)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		// gate -k renders with the kubectl on PATH: the harness's own, ahead of any other.
		env := []string{"PATH=" + bin + ":" + c.BinDir + ":" + os.Getenv("PATH"), "KUBECONFIG=" + c.Kubeconfig,
			"SOAK=2s", "TIMEOUT=30s", "NAMESPACE=" + ns, "CI_ENVIRONMENT_SLUG=good"}
		for _, line := range docCommands(t) {
			os.Remove(filepath.Join(work, "gate-junit.xml"))
			r := runGate(t, ctx, work, env, "sh", "-c", line)
			if r.code != 0 {
				t.Errorf("%s: exit %d", line, r.code)
				continue
			}
			doc, err := os.ReadFile(filepath.Join(work, "gate-junit.xml"))
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			if got := checkJUnit(t, string(doc)); got != "1 0 0 0" {
				t.Errorf("%s: junit counts %q", line, got)
			}
		}

		// A v1 List on standard input: what `kubectl get -o yaml` writes for a selection.
		piped := runGate(t, ctx, work, env, "sh", "-c", "kubectl get deployments -n \"$NAMESPACE\" -l gate-case=good -o yaml | "+
			"groundtruth gate --manifests - --soak \"$SOAK\" --timeout \"$TIMEOUT\" --output json")
		if piped.code != 0 || !strings.Contains(piped.stdout, `"name": "good"`) {
			t.Errorf("kubectl get -o yaml | gate --manifests -: exit %d\n%s", piped.code, piped.stdout)
		}

		// Without kubectl or kustomize on PATH, -k refuses (exit 3) and says what to install;
		// it never falls back to a guess.
		bare := runGate(t, ctx, work, []string{"PATH=" + bin}, gt, "gate", kube, "-k", "deploy/overlays/prod", "--timeout", "10s")
		if bare.code != 3 || bare.stdout != "" || !strings.Contains(bare.stderr, "install kubectl") {
			t.Errorf("-k without kubectl or kustomize: exit %d, stderr %q; want exit 3 naming what to install", bare.code, bare.stderr)
		}
	})
}
