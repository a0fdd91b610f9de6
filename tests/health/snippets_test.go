package health

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The shipped snippets are generated: the Argo CD patch from manifests/argocd/lua/*.lua
// (one shared overlay + one built-in rollout check per kind), the Flux Kustomization from
// the CEL fragments in flux_exprs_test.go. Run with GT_UPDATE=1 to rewrite them.
const (
	repoRoot       = "../.."
	argoLuaDir     = repoRoot + "/manifests/argocd/lua"
	argoPatchPath  = repoRoot + "/manifests/argocd/argocd-cm-health.yaml"
	overlayFile    = "overlay.lua"
	mirrorAnnotKey = "groundtruth.dev/runtime-compliant"
)

// argoKinds maps each argocd-cm key to the Lua file of that kind's built-in rollout check.
var argoKinds = []struct {
	kind, key, file string
}{
	{"Deployment", "resource.customizations.health.apps_Deployment", "deployment.lua"},
	{"StatefulSet", "resource.customizations.health.apps_StatefulSet", "statefulset.lua"},
	{"DaemonSet", "resource.customizations.health.apps_DaemonSet", "daemonset.lua"},
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// literalBlock indents text as the body of a YAML literal block scalar (`|`).
func literalBlock(text, indent string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if line != "" {
			b.WriteString(indent)
			b.WriteString(line)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func renderArgoPatch(t *testing.T) string {
	t.Helper()
	overlay := readFile(t, filepath.Join(argoLuaDir, overlayFile))
	var b strings.Builder
	b.WriteString(`# Argo CD health checks for apps/v1 Deployment, StatefulSet and DaemonSet: Argo CD's
# built-in rollout health, reproduced exactly, overlaid with groundtruth's RuntimeCompliant
# verdict (False -> Degraded, Unknown/Observing -> Progressing). Runs in the default Lua
# sandbox (no useOpenLibs). Install: docs/integrations.md.
#
# Generated from manifests/argocd/lua/*.lua; edit those and run
# GT_UPDATE=1 tests/health/run.sh. tests/health evaluates this very file.
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
data:
`)
	for _, k := range argoKinds {
		script := overlay + "\n" + readFile(t, filepath.Join(argoLuaDir, k.file))
		b.WriteString("  " + k.key + ": |\n")
		b.WriteString(literalBlock(script, "    "))
	}
	return b.String()
}

func checkGenerated(t *testing.T, path, want string) {
	t.Helper()
	if os.Getenv("GT_UPDATE") == "1" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got := readFile(t, path)
	if got != want {
		t.Fatalf("%s is out of date with its sources; run GT_UPDATE=1 tests/health/run.sh", path)
	}
}

func TestArgoPatchIsGeneratedFromLuaSources(t *testing.T) {
	checkGenerated(t, argoPatchPath, renderArgoPatch(t))
}
