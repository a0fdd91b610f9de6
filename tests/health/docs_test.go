package health

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"

	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

const docsPath = repoRoot + "/docs/integrations.md"

// docSnippet returns the fenced block that follows `<!-- snippet: NAME -->` in the docs.
func docSnippet(t *testing.T, name string) string {
	t.Helper()
	re := regexp.MustCompile("(?s)<!-- snippet: " + regexp.QuoteMeta(name) + " -->\n```[a-z]*\n(.*?)```")
	m := re.FindStringSubmatch(readFile(t, docsPath))
	if m == nil {
		t.Fatalf("%s: no snippet %q", docsPath, name)
	}
	return m[1]
}

func kubectl(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl (with its built-in kustomize) is not installed")
	}
	return path
}

// snippetDir lays out a directory as the docs describe it: the snippet as kustomization.yaml,
// the user's own manifests beside it, and a groundtruth checkout at ./groundtruth.
func snippetDir(t *testing.T, snippet string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["kustomization.yaml"] = snippet
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(root, filepath.Join(dir, "groundtruth")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return out
}

const argoInstallStandIn = `apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  labels: {app.kubernetes.io/name: argocd-cm, app.kubernetes.io/part-of: argocd}
data:
  url: https://argocd.example.com
`

func checkArgoCM(t *testing.T, cm *corev1.ConfigMap) {
	t.Helper()
	if cm.Data["url"] != "https://argocd.example.com" {
		t.Errorf("the patch lost argocd-cm's own settings: %v", cm.Data)
	}
	want := shippedPatch(t).Data
	for key, script := range want {
		if cm.Data[key] != script {
			t.Errorf("argocd-cm %s differs from the shipped patch", key)
		}
	}
	overrides := argoOverrides(t, cm.Data)
	for _, k := range argoKinds {
		if overrides["apps/"+k.kind].HealthLua != want[k.key] {
			t.Errorf("Argo CD does not read the installed apps/%s script", k.kind)
		}
	}
}

func TestDocsArgoKustomizeInstall(t *testing.T) {
	bin := kubectl(t)
	dir := snippetDir(t, docSnippet(t, "argocd-kustomization"), map[string]string{"install.yaml": argoInstallStandIn})
	docs := decodeDocuments(t, "kubectl kustomize", run(t, bin, "kustomize", dir))
	for _, u := range docs {
		if u.GetKind() == "ConfigMap" && u.GetName() == "argocd-cm" {
			if u.GetNamespace() != "argocd" {
				t.Errorf("namespace %q", u.GetNamespace())
			}
			var cm corev1.ConfigMap
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &cm); err != nil {
				t.Fatal(err)
			}
			checkArgoCM(t, &cm)
			return
		}
	}
	t.Fatal("no argocd-cm in the kustomize output")
}

// The documented `kubectl patch --type merge --patch-file` against the live ConfigMap,
// run on a local copy (--local) since the test has no cluster.
func TestDocsArgoKubectlPatch(t *testing.T) {
	bin := kubectl(t)
	if !regexp.MustCompile(`kubectl -n argocd patch configmap argocd-cm --type merge \\\n\s+--patch-file manifests/argocd/argocd-cm-health.yaml`).MatchString(readFile(t, docsPath)) {
		t.Fatal("docs no longer show the kubectl patch command this test runs")
	}
	live := filepath.Join(t.TempDir(), "argocd-cm.yaml")
	if err := os.WriteFile(live, []byte(argoInstallStandIn), 0o644); err != nil {
		t.Fatal(err)
	}
	out := run(t, bin, "patch", "--local", "-f", live, "--type", "merge", "--patch-file", argoPatchPath, "-o", "yaml")
	var cm corev1.ConfigMap
	u := decodeDocuments(t, "kubectl patch", out)[0]
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &cm); err != nil {
		t.Fatal(err)
	}
	checkArgoCM(t, &cm)
}

const fluxAppsStandIn = `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: shop, namespace: flux-system}
spec:
  interval: 10m
  path: ./deploy/shop
  prune: true
  sourceRef: {kind: GitRepository, name: shop}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: db, namespace: flux-system}
spec:
  interval: 5m
  path: ./deploy/db
  prune: false
  sourceRef: {kind: GitRepository, name: db}
  healthCheckExprs:
  - apiVersion: example.com/v1
    kind: Widget
    current: status.ready
---
apiVersion: v1
kind: ConfigMap
metadata: {name: untouched, namespace: flux-system}
data: {a: b}
`

func TestDocsFluxKustomizeInstall(t *testing.T) {
	bin := kubectl(t)
	dir := snippetDir(t, docSnippet(t, "flux-kustomization"), map[string]string{"apps.yaml": fluxAppsStandIn})
	want := shippedFluxChecks(t).Spec.HealthCheckExprs
	patched := 0
	for _, u := range decodeDocuments(t, "kubectl kustomize", run(t, bin, "kustomize", dir)) {
		if u.GetKind() != "Kustomization" {
			if _, ok := u.Object["spec"]; ok {
				t.Errorf("%s/%s gained a spec", u.GetKind(), u.GetName())
			}
			continue
		}
		var k kustomizev1.Kustomization
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &k); err != nil {
			t.Fatal(err)
		}
		if !k.Spec.Wait || !reflect.DeepEqual(k.Spec.HealthCheckExprs, want) {
			t.Errorf("%s: wait=%v, healthCheckExprs not the shipped ones", k.Name, k.Spec.Wait)
		}
		if k.Spec.Path == "" || k.Spec.SourceRef.Name != k.Name {
			t.Errorf("%s: the patch lost the Kustomization's own spec", k.Name)
		}
		patched++
	}
	if patched != 2 {
		t.Fatalf("patched %d Flux Kustomizations, want 2", patched)
	}
}
