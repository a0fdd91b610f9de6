package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"groundtruth/tests/e2e/harness"
)

// Helpers shared by manifests_dryrun_test.go and docs_test.go: a user's working copy of
// the repository, the docs' marked snippets, and kubectl as a user's shell runs it.

// repoRoot is the repository checkout, as an absolute path.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// userCheckout lays out what a user who cloned the repository and built it has, in a
// temporary directory: a copy of manifests/ (without TLS files left from a local run) and
// build/cli/groundtruth (the binary under test). Snippets that write files (`groundtruth
// certs --out manifests/...`) then run verbatim without touching the real checkout.
func userCheckout(t *testing.T, gt string) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(repoRoot(t), "manifests")
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		dst := filepath.Join(dir, "manifests", rel)
		if d.IsDir() {
			if d.Name() == "tls" {
				return filepath.SkipDir
			}
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatalf("copy manifests: %v", err)
	}
	if gt != "" {
		if err := os.MkdirAll(filepath.Join(dir, "build", "cli"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(gt, filepath.Join(dir, "build", "cli", "groundtruth")); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// readDoc returns a file of the repository (a path relative to its root).
func readDoc(t *testing.T, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// testedSnippet returns the fenced block that follows
// `<!-- tested by tests/e2e/docs_test.go: NAME -->` in a document of the repository.
func testedSnippet(t *testing.T, doc, name string) string {
	t.Helper()
	return markedBlock(t, doc, "tested by tests/e2e/docs_test.go: "+name)
}

// healthSnippet returns the block marked `<!-- snippet: NAME -->` (tests/health's markers
// in docs/integrations.md).
func healthSnippet(t *testing.T, name string) string {
	t.Helper()
	return markedBlock(t, "docs/integrations.md", "snippet: "+name)
}

func markedBlock(t *testing.T, doc, marker string) string {
	t.Helper()
	re := regexp.MustCompile("(?s)<!-- " + regexp.QuoteMeta(marker) + " -->\n```[a-z]*\n(.*?)```")
	m := re.FindStringSubmatch(readDoc(t, doc))
	if m == nil {
		t.Fatalf("%s: no fenced block after <!-- %s -->", doc, marker)
	}
	return m[1]
}

// snippetDir lays out a directory as docs/integrations.md describes it: the snippet as
// kustomization.yaml, the user's own manifests beside it, a groundtruth checkout at
// ./groundtruth.
func snippetDir(t *testing.T, snippet string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["kustomization.yaml"] = snippet
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(repoRoot(t), filepath.Join(dir, "groundtruth")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shellRun is one shell script's result.
type shellRun struct {
	code   int
	stdout string
	output string // stdout, then stderr
}

// runShell runs a snippet with `sh -e` in dir, as a user's terminal would: kubectl and
// groundtruth on PATH, KUBECONFIG pointing at the cluster.
func runShell(t *testing.T, ctx context.Context, c *harness.Cluster, gt, dir, script string, env ...string) shellRun {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"kubectl": filepath.Join(c.BinDir, "kubectl"), "groundtruth": gt} {
		if target == "" {
			continue
		}
		if err := os.Symlink(target, filepath.Join(bin, name)); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.CommandContext(ctx, "sh", "-e", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"PATH=" + bin + ":" + os.Getenv("PATH"), "KUBECONFIG=" + c.Kubeconfig}, env...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	began := time.Now()
	err := cmd.Run()
	r := shellRun{stdout: out.String(), output: out.String() + errb.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	default:
		t.Fatalf("sh -c %q: %v", script, err)
	}
	t.Logf("$ %s\n-> exit %d in %s\n%s", strings.TrimSpace(script), r.code, time.Since(began).Round(time.Millisecond), r.output)
	return r
}

// kubectlJSON runs kubectl and decodes its JSON output (a List for several objects).
func kubectlJSON(t *testing.T, ctx context.Context, c *harness.Cluster, args ...string) []map[string]any {
	t.Helper()
	objs, _ := kubectlJSONStderr(t, ctx, c, args...)
	return objs
}

// kubectlJSONStderr is kubectlJSON that also returns what kubectl wrote to stderr on
// success (the API server's warnings).
func kubectlJSONStderr(t *testing.T, ctx context.Context, c *harness.Cluster, args ...string) ([]map[string]any, string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, filepath.Join(c.BinDir, "kubectl"), append([]string{"--kubeconfig=" + c.Kubeconfig}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("kubectl %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	var doc map[string]any
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("kubectl %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	if items, ok := doc["items"].([]any); ok && doc["kind"] == "List" {
		var objs []map[string]any
		for _, it := range items {
			if m, ok := it.(map[string]any); ok {
				objs = append(objs, m)
			}
		}
		return objs, errb.String()
	}
	return []map[string]any{doc}, errb.String()
}

// field walks nested maps: field(obj, "metadata", "name").
func field(obj map[string]any, path ...string) any {
	var cur any = obj
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func str(obj map[string]any, path ...string) string {
	s, _ := field(obj, path...).(string)
	return s
}

// find returns the object of that kind and name, or nil.
func find(objs []map[string]any, kind, name string) map[string]any {
	for _, o := range objs {
		if o["kind"] == kind && str(o, "metadata", "name") == name {
			return o
		}
	}
	return nil
}
