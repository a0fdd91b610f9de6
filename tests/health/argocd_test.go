package health

import (
	"context"
	"strings"
	"testing"

	"github.com/argoproj/argo-cd/gitops-engine/v3/pkg/health"
	argolua "github.com/argoproj/argo-cd/v3/util/lua"
	"github.com/argoproj/argo-cd/v3/util/settings"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/yaml"
)

const argoNamespace = "argocd"

// shippedPatch reads the argocd-cm patch exactly as users install it.
func shippedPatch(t *testing.T) *corev1.ConfigMap {
	t.Helper()
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict([]byte(readFile(t, argoPatchPath)), &cm); err != nil {
		t.Fatal(err)
	}
	return &cm
}

// argoOverrides turns the shipped patch into resource overrides with Argo CD's own settings
// manager, the code the application controller uses to read argocd-cm (util/settings
// GetResourceOverrides), so the key names and the default useOpenLibs=false are Argo CD's.
func argoOverrides(t *testing.T, data map[string]string) argolua.ResourceHealthOverrides {
	t.Helper()
	partOf := map[string]string{"app.kubernetes.io/part-of": "argocd"}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "argocd-cm", Namespace: argoNamespace, Labels: partOf},
		Data:       data,
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "argocd-secret", Namespace: argoNamespace, Labels: partOf},
		Data:       map[string][]byte{"server.secretkey": []byte("test")},
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	mgr := settings.NewSettingsManager(ctx, fake.NewClientset(cm, secret), argoNamespace)
	overrides, err := mgr.GetResourceOverrides()
	if err != nil {
		t.Fatal(err)
	}
	return argolua.ResourceHealthOverrides(overrides)
}

func shippedOverrides(t *testing.T) argolua.ResourceHealthOverrides {
	t.Helper()
	overrides := argoOverrides(t, shippedPatch(t).Data)
	for _, k := range argoKinds {
		o, ok := overrides["apps/"+k.kind]
		if !ok || o.HealthLua == "" {
			t.Fatalf("argocd-cm patch: no health.lua for apps/%s", k.kind)
		}
		if o.UseOpenLibs {
			t.Fatalf("apps/%s: the patch must run in the default sandbox", k.kind)
		}
	}
	return overrides
}

// argoHealth is what the application controller computes: gitops-engine's
// GetResourceHealth with argocd-cm's overrides (nil: the built-in Go checks alone).
func argoHealth(t *testing.T, u *unstructured.Unstructured, overrides argolua.ResourceHealthOverrides) *health.HealthStatus {
	t.Helper()
	var o health.HealthOverride
	if overrides != nil {
		o = overrides
	}
	hs, err := health.GetResourceHealth(u, o)
	if err != nil {
		t.Fatalf("%s: %v", u.GetName(), err)
	}
	if hs == nil {
		t.Fatalf("%s: no health", u.GetName())
	}
	return hs
}

// The sandbox the tests run in is the production one: a script that needs the string
// library fails there, as it would in the application controller.
func TestArgoSandboxHasNoStringLibrary(t *testing.T) {
	overrides := argoOverrides(t, map[string]string{
		"resource.customizations.health.apps_Deployment": `return { status = string.sub("Healthy", 1) }`,
	})
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "x"}, "spec": map[string]any{}, "status": map[string]any{},
	}}
	if _, err := health.GetResourceHealth(u, overrides); err == nil {
		t.Fatal("string library reachable: the test does not run Argo CD's default sandbox")
	}
	ok := argoOverrides(t, map[string]string{
		"resource.customizations.health.apps_Deployment":      `return { status = string.sub("Healthy", 1) }`,
		"resource.customizations.useOpenLibs.apps_Deployment": "true",
	})
	if hs, err := health.GetResourceHealth(u, ok); err != nil || hs.Status != health.HealthStatusHealthy {
		t.Fatalf("with useOpenLibs the same script should work: %v %v", hs, err)
	}
}

func TestArgoOverlayIsIdenticalInEveryScript(t *testing.T) {
	cm := shippedPatch(t)
	overlay := readFile(t, argoLuaDir+"/"+overlayFile)
	for _, k := range argoKinds {
		if !strings.HasPrefix(cm.Data[k.key], overlay) {
			t.Errorf("%s does not start with the shared overlay", k.key)
		}
	}
}

const noVerdictNote = "groundtruth: no RuntimeCompliant verdict yet"

func withNote(message, note string) string {
	if message == "" {
		return note
	}
	return message + "; " + note
}

// Without a verdict the scripts agree with Argo CD's built-in health on every object:
// the same status, the same message, plus a note that no verdict exists yet.
func TestArgoScriptsMatchBuiltinWithoutVerdict(t *testing.T) {
	overrides := shippedOverrides(t)
	for _, s := range loadCorpus(t) {
		builtin := argoHealth(t, s.obj, nil)
		got := argoHealth(t, s.obj, overrides)
		if got.Status != builtin.Status {
			t.Errorf("%s: status %q, built-in %q (%s)", s.name, got.Status, builtin.Status, builtin.Message)
			continue
		}
		want := withNote(builtin.Message, noVerdictNote)
		if s.obj.GetDeletionTimestamp() != nil {
			want = builtin.Message // gitops-engine answers "Pending deletion" after any check
		}
		if got.Message != want {
			t.Errorf("%s: message\n got %q\nwant %q", s.name, got.Message, want)
		}
	}
}
