package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"groundtruth/tests/e2e/harness"
)

// The documents whose fenced blocks are copy-paste snippets for users. Each block carries
// a marker on the line before it: `<!-- tested by tests/e2e/docs_test.go: NAME -->` (run
// below), `<!-- tested by tests/e2e/gate_test.go -->`, `<!-- snippet: NAME -->`
// (tests/health), or `<!-- not run by the tests: WHY -->`.
var snippetDocs = []string{"README.md", "docs/integrations.md", "docs/operations.md", "docs/gate.md"}

// docsTestedHere are the snippet names TestDocsSnippets runs.
var docsTestedHere = []string{"readme-run-check", "readme-quickstart", "operations-install",
	"argocd-kubectl-patch", "kubectl-verdict", "gate-select", "operations-uninstall"}

var fenceOpen = regexp.MustCompile("^```")

// TestDocsSnippetsMarked keeps the claim "every snippet is exercised" honest: a new block
// without a marker, or a marker naming a test that does not run it, fails here.
func TestDocsSnippetsMarked(t *testing.T) {
	docs := append([]string(nil), snippetDocs...)
	readmes, _ := filepath.Glob(filepath.Join(repoRoot(t), "manifests", "*", "README.md"))
	more, _ := filepath.Glob(filepath.Join(repoRoot(t), "manifests", "*", "*", "README.md"))
	for _, p := range append(readmes, more...) {
		rel, _ := filepath.Rel(repoRoot(t), p)
		docs = append(docs, rel)
	}
	known := map[string]bool{}
	for _, n := range docsTestedHere {
		known["tested by tests/e2e/docs_test.go: "+n] = true
	}
	healthDocs := regexp.MustCompile(`docSnippet\(t, "([a-z-]+)"\)`).FindAllStringSubmatch(readDoc(t, "tests/health/docs_test.go"), -1)
	for _, m := range healthDocs {
		known["snippet: "+m[1]] = true
	}
	known["tested by tests/e2e/gate_test.go"] = true
	marker := regexp.MustCompile(`^<!-- (.*?) -->$`)
	blocks := 0
	for _, doc := range docs {
		lines := strings.Split(readDoc(t, doc), "\n")
		inside := false
		for i, line := range lines {
			if !fenceOpen.MatchString(line) {
				continue
			}
			if inside {
				inside = false
				continue
			}
			inside = true
			blocks++
			prev := ""
			if i > 0 {
				prev = lines[i-1]
			}
			m := marker.FindStringSubmatch(prev)
			switch {
			case m == nil:
				t.Errorf("%s:%d: a fenced block without a marker saying which test runs it", doc, i+1)
			case strings.HasPrefix(m[1], "not run by the tests: "):
			case !known[m[1]]:
				t.Errorf("%s:%d: marker %q names no test that runs this block", doc, i+1, m[1])
			}
		}
	}
	if blocks == 0 {
		t.Fatal("found no fenced blocks at all")
	}
}

// commandLines splits a shell snippet into its commands: backslash continuations joined,
// blank lines dropped.
func commandLines(block string) []string {
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(block, "\\\n", ""), "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	return lines
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for rel, text := range files {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDocsSnippets runs the marked snippets of README.md and docs/ as a user would paste
// them, against a real control plane with one fake node. Only placeholders are filled in
// (NAME, a cgroup path), each noted where it is done.
func TestDocsSnippets(t *testing.T) {
	c := harness.Start(t)
	gt := harness.GroundtruthBinary(t)
	node := c.FakeKubelet("node-1")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	// deploy/my-app of the quickstart and NAME of the kubectl snippets: a running
	// Deployment with the verdict the controller would write.
	deployments := c.Client.AppsV1().Deployments("default")
	if _, err := deployments.Create(ctx, gateDeployment("default", "my-app", nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	const message = "container app (pod my-app on node-1): every rule holds over 5m; peak working set 1Mi of 64Mi limit"
	playVerdict(t, ctx, c, "default", "my-app", "True", "Compliant", message)

	t.Run("readme-quickstart", func(t *testing.T) {
		checkout := userCheckout(t, gt)
		if r := runShell(t, ctx, c, "", checkout, testedSnippet(t, "README.md", "readme-quickstart")); r.code != 0 {
			t.Fatalf("exit %d", r.code)
		}
		checkInstalled(t, ctx, c, filepath.Join(checkout, "manifests", "overlays", "self-signed", "tls"))
	})

	t.Run("operations-install", func(t *testing.T) {
		checkout := userCheckout(t, gt)
		if r := runShell(t, ctx, c, "", checkout, testedSnippet(t, "docs/operations.md", "operations-install")); r.code != 0 {
			t.Fatalf("exit %d", r.code)
		}
		checkInstalled(t, ctx, c, filepath.Join(checkout, "manifests", "overlays", "self-signed", "tls"))
	})

	t.Run("argocd-kubectl-patch", func(t *testing.T) {
		checkout := userCheckout(t, gt)
		writeFiles(t, checkout, map[string]string{"argocd-cm.yaml": argoInstallStandIn})
		if _, err := c.Kubectl(ctx, "create", "namespace", "argocd"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Kubectl(ctx, "-n", "argocd", "apply", "-f", filepath.Join(checkout, "argocd-cm.yaml")); err != nil {
			t.Fatal(err)
		}
		if r := runShell(t, ctx, c, "", checkout, testedSnippet(t, "docs/integrations.md", "argocd-kubectl-patch")); r.code != 0 {
			t.Fatalf("exit %d", r.code)
		}
		checkArgoHealthKeys(t, kubectlJSON(t, ctx, c, "-n", "argocd", "get", "configmap", "argocd-cm", "-o", "json")[0])
	})

	// NAME is the placeholder: my-app here.
	t.Run("kubectl-verdict", func(t *testing.T) {
		script := strings.ReplaceAll(testedSnippet(t, "docs/integrations.md", "kubectl-verdict"), "NAME", "my-app")
		r := runShell(t, ctx, c, "", t.TempDir(), script)
		if r.code != 0 {
			t.Fatalf("exit %d", r.code)
		}
		live, err := deployments.Get(ctx, "my-app", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"deployment.apps/my-app condition met", message,
			fmt.Sprintf("True/Compliant/%d", live.Generation)} {
			if !strings.Contains(r.output, want) {
				t.Errorf("output lacks %q", want)
			}
		}
	})

	// Run as written: the workloads carry a fresh False verdict, so each command must fail
	// fast (exit 1) whatever its soak and timeout, and JUnit must name the failure.
	t.Run("gate-select", func(t *testing.T) {
		if _, err := c.Kubectl(ctx, "create", "namespace", "shop"); err != nil {
			t.Fatal(err)
		}
		labels := map[string]string{"app.kubernetes.io/part-of": "shop"}
		if _, err := c.Client.AppsV1().Deployments("shop").Create(ctx, gateDeployment("shop", "web", labels), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		playVerdict(t, ctx, c, "shop", "web", "False", "MemoryThrashing",
			"container app (pod web-1 on node-1): memory PSI some 34% > 10% for 2m10s")
		manifest := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  replicas: 1\n"
		work := t.TempDir()
		writeFiles(t, work, map[string]string{
			"deploy/rendered.yaml":                    manifest,
			"deploy/base/web.yaml":                    manifest,
			"deploy/base/kustomization.yaml":          "resources:\n- web.yaml\n",
			"deploy/overlays/prod/kustomization.yaml": "namespace: shop\nresources:\n- ../../base\n",
			// README's CI line names overlays/prod, relative to the repository it runs in.
			"overlays/prod/kustomization.yaml": "namespace: shop\nresources:\n- ../../deploy/base\n",
		})
		lines := commandLines(testedSnippet(t, "docs/gate.md", "gate-select"))
		readme := regexp.MustCompile("`(groundtruth gate -k [^`]*)`").FindStringSubmatch(readDoc(t, "README.md"))
		if len(lines) != 3 || readme == nil {
			t.Fatalf("want the three command lines of docs/gate.md and README's CI gate line, found %q and %q", lines, readme)
		}
		for _, line := range append(lines, readme[1]) {
			os.Remove(filepath.Join(work, "gate-junit.xml"))
			r := runShell(t, ctx, c, gt, work, line)
			result := r.stdout
			if strings.Contains(line, "> gate-junit.xml") {
				doc, err := os.ReadFile(filepath.Join(work, "gate-junit.xml"))
				if err != nil {
					t.Fatalf("%s: %v", line, err)
				}
				result = string(doc)
			}
			if r.code != 1 || !strings.Contains(result, "MemoryThrashing") {
				t.Errorf("%s: exit %d, want 1 and a result naming MemoryThrashing:\n%s", line, r.code, result)
			}
			if strings.Contains(line, "--output junit") {
				if got := checkJUnit(t, result); got != "1 1 0 0" {
					t.Errorf("%s: junit counts %q, want 1 failure", line, got)
				}
			}
		}
	})

	// `run` verbatim (sudo dropped: the suite runs as root and this machine has no sudo);
	// `check` with its placeholder cgroup replaced by the cgroup of my-app's pod on the fake
	// node, interrupted after a few seconds of its 5m window (Ctrl-C prints the report).
	t.Run("readme-run-check", func(t *testing.T) {
		lines := commandLines(testedSnippet(t, "README.md", "readme-run-check"))
		if len(lines) != 2 {
			t.Fatalf("want the run and check lines, found %q", lines)
		}
		checkout := userCheckout(t, gt)
		writeFiles(t, checkout, map[string]string{
			"deploy.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: my-server}
spec:
  selector: {matchLabels: {app: my-server}}
  template:
    metadata: {labels: {app: my-server}}
    spec:
      containers:
        - name: sidecar
          image: busybox
        - name: app
          image: my-server
          resources: {limits: {memory: 64Mi, cpu: 500m}}
`,
			"pg.yaml": `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: pg}
spec:
  selector: {matchLabels: {app: pg}}
  serviceName: pg
  template:
    metadata: {labels: {app: pg}}
    spec:
      containers:
        - name: postgres
          image: postgres:17
          resources: {limits: {memory: 256Mi}}
`,
			"my-server": "#!/bin/sh\necho my-server serving\nsleep 2\n",
		})
		args := strings.Fields(lines[0])
		if args[0] != "sudo" {
			t.Fatalf("the run line no longer starts with sudo: %q", lines[0])
		}
		run := exec.CommandContext(ctx, args[1], args[2:]...)
		run.Dir = checkout
		out, err := run.CombinedOutput()
		t.Logf("$ %s\n%s", lines[0], out)
		// The verdict on a 2 s sleep is True, but a busy test machine is not this test's
		// subject: any verdict will do, a usage error (exit 3) will not.
		if code := run.ProcessState.ExitCode(); code < 0 || code > 2 || !strings.Contains(string(out), "Deployment/my-server: RuntimeCompliant=") ||
			!strings.Contains(string(out), "container app,") || !strings.Contains(string(out), "my-server serving") {
			t.Errorf("run: %v", err)
		}

		var pod *corev1.Pod
		err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			pods, err := c.Client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=my-app"})
			if err != nil || len(pods.Items) != 1 || pods.Items[0].Status.Phase != corev1.PodRunning {
				return false, nil
			}
			pod = &pods.Items[0]
			return true, nil
		})
		if err != nil {
			t.Fatalf("my-app's pod never ran: %v", err)
		}
		const placeholder = "system.slice/postgresql.service"
		args = strings.Fields(strings.Replace(lines[1], placeholder, strings.TrimPrefix(node.PodCgroup(pod), "/"), 1))
		if args[0] != "sudo" || !strings.Contains(lines[1], placeholder) {
			t.Fatalf("the check line changed: %q", lines[1])
		}
		check := exec.CommandContext(ctx, args[1], args[2:]...)
		check.Dir = checkout
		var buf bytes.Buffer
		check.Stdout, check.Stderr = &buf, &buf
		if err := check.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * time.Second)
		check.Process.Signal(syscall.SIGINT)
		err = check.Wait()
		t.Logf("$ %s\n-> %v\n%s", strings.Join(args, " "), err, buf.String())
		for _, want := range []string{"StatefulSet/pg: RuntimeCompliant=Unknown (Observing)", "container postgres", "of 5m window", "interrupted"} {
			if !strings.Contains(buf.String(), want) {
				t.Errorf("check output lacks %q", want)
			}
		}
	})

	// Last, as it removes what the others read: the install stopped, the verdicts on my-app
	// (and shop/web, when gate-select ran) withdrawn, the manifests deleted. The TLS files
	// the overlay's generator reads are made as the install made them (not part of it).
	t.Run("operations-uninstall", func(t *testing.T) {
		checkout := userCheckout(t, gt)
		if r := runShell(t, ctx, c, "", checkout, "build/cli/groundtruth certs --out manifests/overlays/self-signed/tls"); r.code != 0 {
			t.Fatalf("certs: exit %d", r.code)
		}
		r := runShell(t, ctx, c, "", checkout, testedSnippet(t, "docs/operations.md", "operations-uninstall"))
		if r.code != 0 {
			t.Fatalf("exit %d", r.code)
		}
		for _, want := range []string{"would withdraw Deployment/default/my-app: condition RuntimeCompliant (True/Compliant)",
			"withdrew Deployment/default/my-app: condition RuntimeCompliant (True/Compliant)"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("output lacks %q", want)
			}
		}
		live, err := deployments.Get(ctx, "my-app", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, cond := range live.Status.Conditions {
			if cond.Type == "RuntimeCompliant" {
				t.Errorf("my-app still carries %v", cond)
			}
		}
		if v, ok := live.Annotations["groundtruth.dev/runtime-compliant"]; ok {
			t.Errorf("my-app still carries the annotation %q", v)
		}
		if _, err := c.Client.RbacV1().ClusterRoles().Get(ctx, "groundtruth-controller", metav1.GetOptions{}); err == nil {
			t.Errorf("the controller's ClusterRole is still there after kubectl delete -k")
		}
	})
}

// checkInstalled checks what the self-signed install leaves in the cluster: the base's
// workloads, and the two TLS Secrets holding the files `groundtruth certs` wrote, each in the
// namespace of the pods that mount it.
func checkInstalled(t *testing.T, ctx context.Context, c *harness.Cluster, tlsDir string) {
	t.Helper()
	if _, err := c.Client.AppsV1().DaemonSets(agentNS).Get(ctx, "groundtruth-agent", metav1.GetOptions{}); err != nil {
		t.Errorf("agent DaemonSet: %v", err)
	}
	if _, err := c.Client.AppsV1().Deployments(controllerNS).Get(ctx, "groundtruth-controller", metav1.GetOptions{}); err != nil {
		t.Errorf("controller Deployment: %v", err)
	}
	// Each Secret beside the pods that mount it.
	for _, x := range []struct{ ns, secret, cert string }{
		{agentNS, "groundtruth-agent-tls", "agent"}, {controllerNS, "groundtruth-controller-tls", "controller"},
	} {
		secret, cert := x.secret, x.cert
		s, err := c.Client.CoreV1().Secrets(x.ns).Get(ctx, secret, metav1.GetOptions{})
		if err != nil {
			t.Errorf("Secret %s: %v", secret, err)
			continue
		}
		var keys []string
		for k := range s.Data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		want, _ := os.ReadFile(filepath.Join(tlsDir, cert+".crt"))
		if strings.Join(keys, ",") != "ca.crt,tls.crt,tls.key" || len(want) == 0 || !bytes.Equal(s.Data["tls.crt"], want) {
			t.Errorf("Secret %s: keys %v, tls.crt is %s's certificate: %v", secret, keys, cert,
				base64.StdEncoding.EncodeToString(s.Data["tls.crt"]) == base64.StdEncoding.EncodeToString(want))
		}
	}
}

// TestDocsFlags checks that every flag the docs name for a subcommand is one its --help
// lists: a renamed flag breaks a user's copied command line before anything else does.
func TestDocsFlags(t *testing.T) {
	gt := harness.GroundtruthBinary(t)
	section := func(doc, heading string) string {
		text := readDoc(t, doc)
		i := strings.Index(text, "\n## "+heading+"\n")
		if i < 0 {
			t.Fatalf("%s: no section %q", doc, heading)
		}
		text = text[i+1:]
		if j := strings.Index(text[3:], "\n## "); j >= 0 {
			text = text[:j+3]
		}
		return text
	}
	flag := regexp.MustCompile("`(--[a-z][a-z0-9-]*)")
	for _, c := range []struct{ command, doc, text string }{
		{"agent", "docs/operations.md", section("docs/operations.md", "The agent")},
		{"controller", "docs/operations.md", section("docs/operations.md", "The controller")},
		{"gate", "docs/gate.md", readDoc(t, "docs/gate.md")},
		{"cleanup", "docs/operations.md", section("docs/operations.md", "Uninstall")},
		{"run", "README.md", section("README.md", "What you see")},
	} {
		out, err := exec.Command(gt, c.command, "--help").CombinedOutput()
		if err != nil {
			t.Fatalf("groundtruth %s --help: %v\n%s", c.command, err, out)
		}
		help := regexp.MustCompile(`--[a-z][a-z0-9-]*`).FindAllString(string(out), -1)
		listed := map[string]bool{}
		for _, f := range help {
			listed[f] = true
		}
		named := flag.FindAllStringSubmatch(c.text, -1)
		if len(named) == 0 {
			t.Errorf("%s names no flag of %s: has the section moved?", c.doc, c.command)
		}
		t.Logf("%s: %d flags of groundtruth %s", c.doc, len(named), c.command)
		for _, m := range named {
			if !listed[m[1]] {
				t.Errorf("%s names %s for groundtruth %s, which has no such flag", c.doc, m[1], c.command)
			}
		}
	}
}
