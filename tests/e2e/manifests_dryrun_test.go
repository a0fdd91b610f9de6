package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/yaml"

	"groundtruth/tests/e2e/harness"
)

// argoInstallStandIn stands for the Argo CD manifests a user installs (install.yaml in
// docs/integrations.md): the one object the Component patches, with a setting of its own.
const argoInstallStandIn = `apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  labels: {app.kubernetes.io/name: argocd-cm, app.kubernetes.io/part-of: argocd}
data:
  url: https://argocd.example.com
`

// fluxAppsStandIn stands for a user's Flux Kustomization objects (apps.yaml in
// docs/integrations.md): one plain, one with a health check of its own, and an object the
// Component must leave alone.
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

// TestManifestsDryRun runs `kubectl apply --dry-run=server -k` against the real API server
// (admission, defaulting, strict field validation, CRD schemas) for the base, both TLS
// overlays as their instructions say to use them, and the Argo CD and Flux Components
// as docs/integrations.md adds them to a user's kustomization.
func TestManifestsDryRun(t *testing.T) {
	c := harness.Start(t)
	gt := harness.GroundtruthBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	checkout := userCheckout(t, gt)
	manifests := filepath.Join(checkout, "manifests")
	kubectl := func(t *testing.T, args ...string) string {
		t.Helper()
		out, err := c.Kubectl(ctx, args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// The namespaces' Pod Security `warn` level is the `enforce` one: a workload whose pods
	// the namespace would refuse draws a warning on apply (pods themselves are created
	// later, by the workload controllers), so a clean dry run means admitted pods.
	dryRun := func(t *testing.T, dir string) []map[string]any {
		t.Helper()
		objs, stderr := kubectlJSONStderr(t, ctx, c, "apply", "--dry-run=server", "--validate=strict", "-k", dir, "-o", "json")
		if strings.Contains(stderr, "PodSecurity") {
			t.Errorf("dry run of %s: Pod Security would refuse pods:\n%s", dir, stderr)
		}
		return objs
	}
	// A server-side dry run persists nothing, not even the Namespaces it creates, so the
	// namespaced objects of a first install would be refused for namespaces that do not
	// exist yet. A user's dry run before the first install needs them too; they are made
	// from namespace.yaml, so their Pod Security labels are in place.
	kubectl(t, "apply", "-f", filepath.Join(manifests, "base", "namespace.yaml"))

	// secretNames returns the Secrets the base's pods mount, as namespace/name (a pod
	// mounts Secrets of its own namespace only).
	secretNames := func(objs []map[string]any) []string {
		var names []string
		for _, o := range objs {
			vols, _ := field(o, "spec", "template", "spec", "volumes").([]any)
			for _, v := range vols {
				if m, ok := v.(map[string]any); ok && str(m, "secret", "secretName") != "" {
					names = append(names, str(o, "metadata", "namespace")+"/"+str(m, "secret", "secretName"))
				}
			}
		}
		sort.Strings(names)
		return names
	}
	baseWorkloads := func(t *testing.T, objs []map[string]any) {
		t.Helper()
		for _, want := range [][2]string{{"DaemonSet", "groundtruth-agent"}, {"Deployment", "groundtruth-controller"},
			{"Namespace", "groundtruth-system"}, {"Namespace", "groundtruth-agent"}, {"NetworkPolicy", "groundtruth-agent"}, {"NetworkPolicy", "groundtruth-controller"},
			{"ValidatingAdmissionPolicy", "groundtruth-controller-writes"}, {"ValidatingAdmissionPolicyBinding", "groundtruth-controller-writes"}, {"ClusterRole", ""}, {"ServiceAccount", "groundtruth-controller"}} {
			found := false
			for _, o := range objs {
				found = found || (o["kind"] == want[0] && (want[1] == "" || str(o, "metadata", "name") == want[1]))
			}
			if !found {
				t.Errorf("dry run has no %s %s", want[0], want[1])
			}
		}
	}
	wantSecrets := []string{"groundtruth-agent/groundtruth-agent-tls", "groundtruth-system/groundtruth-controller-tls"}
	// secretNS is the namespace of the pods that mount a Secret.
	secretNS := func(name string) string {
		for _, s := range wantSecrets {
			if strings.HasSuffix(s, "/"+name) {
				return strings.TrimSuffix(s, "/"+name)
			}
		}
		return ""
	}

	t.Run("base", func(t *testing.T) {
		objs := dryRun(t, filepath.Join(manifests, "base"))
		baseWorkloads(t, objs)
		if got := secretNames(objs); !reflect.DeepEqual(got, wantSecrets) {
			t.Errorf("the base mounts Secrets %v, want %v (what both overlays provide)", got, wantSecrets)
		}
		// The warning dryRun looks for is real: the agent's DaemonSet moved into the
		// controller's namespace draws it.
		ds := find(objs, "DaemonSet", "groundtruth-agent")
		if ds == nil {
			t.Fatal("no agent DaemonSet")
		}
		ds["metadata"].(map[string]any)["namespace"] = "groundtruth-system"
		moved, err := json.Marshal(ds)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), "agent-in-restricted.json")
		if err := os.WriteFile(file, moved, 0o644); err != nil {
			t.Fatal(err)
		}
		_, stderr := kubectlJSONStderr(t, ctx, c, "apply", "--dry-run=server", "-f", file, "-o", "json")
		if !strings.Contains(stderr, `would violate PodSecurity "restricted:`) || !strings.Contains(stderr, "hostPath") {
			t.Errorf("the agent's DaemonSet in groundtruth-system drew no Pod Security warning for hostPath: %q", stderr)
		}
	})

	// The overlay's own instructions (its kustomization.yaml): make the files once with
	// `groundtruth certs --out manifests/overlays/self-signed/tls`, then apply -k.
	t.Run("self-signed", func(t *testing.T) {
		overlay := filepath.Join(manifests, "overlays", "self-signed")
		if !strings.Contains(readDoc(t, "manifests/overlays/self-signed/kustomization.yaml"),
			"groundtruth certs --out manifests/overlays/self-signed/tls") {
			t.Fatal("the overlay no longer says how to make its TLS files; update this test")
		}
		r := runShell(t, ctx, c, gt, checkout, "groundtruth certs --out manifests/overlays/self-signed/tls")
		if r.code != 0 {
			t.Fatalf("groundtruth certs: exit %d", r.code)
		}
		objs := dryRun(t, overlay)
		baseWorkloads(t, objs)
		tlsDir := filepath.Join(overlay, "tls")
		caKey, err := os.ReadFile(filepath.Join(tlsDir, "ca.key"))
		if err != nil {
			t.Fatalf("groundtruth certs wrote no CA key: %v", err)
		}
		for _, s := range []struct{ secret, cert string }{
			{"groundtruth-agent-tls", "agent"}, {"groundtruth-controller-tls", "controller"},
		} {
			o := find(objs, "Secret", s.secret)
			if o == nil {
				t.Errorf("no Secret %s in the dry run", s.secret)
				continue
			}
			if ns := str(o, "metadata", "namespace"); ns != secretNS(s.secret) {
				t.Errorf("Secret %s in namespace %q, not with the pods that mount it (%s)", s.secret, ns, secretNS(s.secret))
			}
			if str(o, "type") != "kubernetes.io/tls" {
				t.Errorf("Secret %s has type %q", s.secret, str(o, "type"))
			}
			for key, file := range map[string]string{"ca.crt": "ca.crt", "tls.crt": s.cert + ".crt", "tls.key": s.cert + ".key"} {
				want, err := os.ReadFile(filepath.Join(tlsDir, file))
				if err != nil {
					t.Fatal(err)
				}
				got, _ := base64.StdEncoding.DecodeString(str(o, "data", key))
				if string(got) != string(want) || len(want) == 0 {
					t.Errorf("Secret %s %s is not %s", s.secret, key, file)
				}
			}
		}
		for _, o := range objs {
			if o["kind"] != "Secret" {
				continue
			}
			data, _ := o["data"].(map[string]any)
			for key, v := range data {
				if got, _ := base64.StdEncoding.DecodeString(v.(string)); string(got) == string(caKey) {
					t.Errorf("the CA key is in Secret %s key %s", str(o, "metadata", "name"), key)
				}
			}
		}
		if got := secretNames(objs); !reflect.DeepEqual(got, wantSecrets) {
			t.Errorf("pods mount %v", got)
		}
	})

	// cert-manager is not installed here: its CRDs for the kinds the overlay uses are
	// (testdata/crds/cert-manager.yaml, the v1 API's schema for the fields used).
	t.Run("cert-manager", func(t *testing.T) {
		kubectl(t, "apply", "--server-side", "-f", filepath.Join("testdata", "crds", "cert-manager.yaml"))
		kubectl(t, "wait", "--for=condition=Established", "--timeout=60s",
			"crd/certificates.cert-manager.io", "crd/issuers.cert-manager.io", "crd/clusterissuers.cert-manager.io")
		// The CA's key lives in cert-manager's own namespace (its cluster resource
		// namespace), which cert-manager's install creates.
		kubectl(t, "create", "namespace", "cert-manager")
		objs := dryRun(t, filepath.Join(manifests, "overlays", "cert-manager"))
		baseWorkloads(t, objs)
		var issued []string
		for _, o := range objs {
			name, ns := str(o, "metadata", "name"), str(o, "metadata", "namespace")
			switch o["kind"] {
			case "Certificate":
				secret := str(o, "spec", "secretName")
				if want := secretNS(secret); want != "" && ns != want {
					t.Errorf("Certificate %s in namespace %q: its Secret %s is mounted in %s", name, ns, secret, want)
				}
				issuer := str(o, "spec", "issuerRef", "name")
				kind := str(o, "spec", "issuerRef", "kind")
				if i := find(objs, kind, issuer); i == nil || (kind == "Issuer" && str(i, "metadata", "namespace") != ns) {
					t.Errorf("Certificate %s: issuer %s %s is not in the overlay beside it", name, kind, issuer)
				}
				// A namespaced Issuer signs in its own namespace only: both leaves in two
				// namespaces must chain to the one CA the other side trusts.
				if want := secretNS(secret); want != "" && kind != "ClusterIssuer" {
					t.Errorf("Certificate %s: issued by %s %s, which cannot sign in both namespaces", name, kind, issuer)
				}
				issued = append(issued, ns+"/"+secret)
			case "ClusterIssuer":
				if s := str(o, "spec", "ca", "secretName"); s != "" {
					issued = append(issued, "(ca) "+s)
				}
			}
		}
		// A CA ClusterIssuer reads its Secret from cert-manager's namespace: the CA
		// Certificate must write it there.
		for _, i := range issued {
			if s, ok := strings.CutPrefix(i, "(ca) "); ok && !slices.Contains(issued, "cert-manager/"+s) {
				t.Errorf("the CA ClusterIssuer reads Secret %s, which no Certificate writes in namespace cert-manager (issued: %v)", s, issued)
			}
		}
		for _, s := range wantSecrets {
			found := false
			for _, i := range issued {
				found = found || i == s
			}
			if !found {
				t.Errorf("no Certificate writes Secret %s, which the base mounts (issued: %v)", s, issued)
			}
		}
		// The dry run is worth something only if a mistake fails it: a misspelt field and
		// a usage cert-manager does not know.
		certs := filepath.Join(manifests, "overlays", "cert-manager", "certificates.yaml")
		good, err := os.ReadFile(certs)
		if err != nil {
			t.Fatal(err)
		}
		defer os.WriteFile(certs, good, 0o644)
		for _, bad := range [][2]string{{"secretName:", "secretNmae:"}, {`"server auth"`, `"server-auth"`}} {
			if err := os.WriteFile(certs, []byte(strings.Replace(string(good), bad[0], bad[1], 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := c.Kubectl(ctx, "apply", "--dry-run=server", "--validate=strict", "-k", filepath.Dir(certs)); err == nil {
				t.Errorf("dry run accepted %s -> %s:\n%s", bad[0], bad[1], out)
			}
		}
	})

	// docs/integrations.md: the Component added to the kustomization that installs Argo
	// CD, applied over an existing argocd-cm.
	t.Run("argocd", func(t *testing.T) {
		kubectl(t, "create", "namespace", "argocd")
		live := filepath.Join(t.TempDir(), "argocd-cm.yaml")
		if err := os.WriteFile(live, []byte(argoInstallStandIn), 0o644); err != nil {
			t.Fatal(err)
		}
		kubectl(t, "-n", "argocd", "apply", "-f", live)
		dir := snippetDir(t, healthSnippet(t, "argocd-kustomization"), map[string]string{"install.yaml": argoInstallStandIn})
		objs := dryRun(t, dir)
		cm := find(objs, "ConfigMap", "argocd-cm")
		if cm == nil || str(cm, "metadata", "namespace") != "argocd" {
			t.Fatalf("no argocd-cm in namespace argocd in the dry run: %v", objs)
		}
		checkArgoHealthKeys(t, cm)
	})

	// docs/integrations.md: the Component added to the kustomization that holds a user's
	// Flux Kustomizations. Flux is not installed: its Kustomization CRD is
	// (testdata/crds/flux-kustomization.yaml).
	t.Run("flux", func(t *testing.T) {
		kubectl(t, "apply", "--server-side", "-f", filepath.Join("testdata", "crds", "flux-kustomization.yaml"))
		kubectl(t, "wait", "--for=condition=Established", "--timeout=60s", "crd/kustomizations.kustomize.toolkit.fluxcd.io")
		kubectl(t, "create", "namespace", "flux-system")
		dir := snippetDir(t, healthSnippet(t, "flux-kustomization"), map[string]string{"apps.yaml": fluxAppsStandIn})
		objs := dryRun(t, dir)
		var patch map[string]any
		if err := yaml.Unmarshal([]byte(readDoc(t, "manifests/flux/healthcheckexprs-patch.yaml")), &patch); err != nil {
			t.Fatal(err)
		}
		want := field(patch, "spec", "healthCheckExprs")
		patched := 0
		for _, o := range objs {
			name := str(o, "metadata", "name")
			if o["kind"] != "Kustomization" {
				if o["spec"] != nil {
					t.Errorf("%s %s gained a spec", o["kind"], name)
				}
				continue
			}
			patched++
			if field(o, "spec", "wait") != true {
				t.Errorf("Kustomization %s: spec.wait is not true", name)
			}
			if !reflect.DeepEqual(field(o, "spec", "healthCheckExprs"), want) {
				t.Errorf("Kustomization %s: healthCheckExprs are not the shipped ones", name)
			}
			if str(o, "spec", "sourceRef", "name") != name || str(o, "spec", "path") == "" {
				t.Errorf("Kustomization %s lost its own spec", name)
			}
		}
		if patched != 2 {
			t.Errorf("%d Flux Kustomizations in the dry run, want 2", patched)
		}
	})
}

// checkArgoHealthKeys checks that a live or dry-run argocd-cm carries the shipped Lua
// health checks for the three kinds, byte for byte, and kept its own settings.
func checkArgoHealthKeys(t *testing.T, cm map[string]any) {
	t.Helper()
	var patch map[string]any
	if err := yaml.Unmarshal([]byte(readDoc(t, "manifests/argocd/argocd-cm-health.yaml")), &patch); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"Deployment", "StatefulSet", "DaemonSet"} {
		key := "resource.customizations.health.apps_" + kind
		want := str(patch, "data", key)
		got := str(cm, "data", key)
		if want == "" || got != want {
			t.Errorf("argocd-cm %s is not the shipped Lua script (%d bytes, want %d)", key, len(got), len(want))
		}
		if !strings.Contains(got, "RuntimeCompliant") {
			t.Errorf("argocd-cm %s does not read RuntimeCompliant", key)
		}
	}
	if str(cm, "data", "url") != "https://argocd.example.com" {
		t.Errorf("argocd-cm lost its own settings: %v", cm["data"])
	}
	for key := range cm["data"].(map[string]any) {
		if strings.HasPrefix(key, "resource.customizations.useOpenLibs") {
			t.Errorf("argocd-cm sets %s: the scripts must run in the default sandbox", key)
		}
	}
}
