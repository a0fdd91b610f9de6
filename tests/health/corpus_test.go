package health

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Corpus folders: Argo CD's own test data (sources cited in testdata/argo/SOURCE.md),
// hand-made objects for every branch of the rollout logic, and objects the end-to-end
// suite captures from its real control plane (optional: loaded when present).
var corpusDirs = []string{"testdata/argo", "testdata/handmade", "testdata/captured"}

type sample struct {
	name string // file:index/kind/name, for failure messages
	obj  *unstructured.Unstructured
}

func isWorkload(u *unstructured.Unstructured) bool {
	if u.GetAPIVersion() != "apps/v1" {
		return false
	}
	switch u.GetKind() {
	case "Deployment", "StatefulSet", "DaemonSet":
		return true
	}
	return false
}

// decodeDocuments reads every YAML or JSON document of a stream the way client-go hands
// objects over: integers stay int64 (runtime.Decode with the unstructured JSON scheme), and
// a List is flattened into its items.
func decodeDocuments(t *testing.T, path string, data []byte) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := reader.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(bytes.TrimSpace(doc)) == 0 || strings.TrimSpace(stripComments(string(doc))) == "" {
			continue
		}
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		decoded, err := runtime.Decode(unstructured.UnstructuredJSONScheme, js)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		switch o := decoded.(type) {
		case *unstructured.Unstructured:
			out = append(out, o)
		case *unstructured.UnstructuredList:
			for i := range o.Items {
				out = append(out, &o.Items[i])
			}
		}
	}
	return out
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line)
			b.WriteString("\n")
		}
	}
	return b.String()
}

func loadCorpus(t *testing.T) []sample {
	t.Helper()
	var samples []sample
	for _, dir := range corpusDirs {
		var files []string
		for _, ext := range []string{"*.yaml", "*.yml", "*.json"} {
			m, _ := filepath.Glob(filepath.Join(dir, ext))
			files = append(files, m...)
		}
		sort.Strings(files)
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for i, u := range decodeDocuments(t, f, data) {
				if !isWorkload(u) {
					continue
				}
				stripVerdict(u)
				samples = append(samples, sample{
					name: f + ":" + strconv.Itoa(i) + "/" + u.GetKind() + "/" + u.GetName(),
					obj:  u,
				})
			}
		}
	}
	if len(samples) == 0 {
		t.Fatal("empty corpus")
	}
	return samples
}

// stripVerdict removes a verdict an object was captured with (objects from the end-to-end
// control plane carry groundtruth's own), so the corpus holds the bare rollout states and
// the verdict tests place each verdict themselves.
func stripVerdict(u *unstructured.Unstructured) {
	if conds, found, _ := unstructured.NestedSlice(u.Object, "status", "conditions"); found {
		kept := conds[:0]
		for _, c := range conds {
			if m, ok := c.(map[string]any); ok && m["type"] == "RuntimeCompliant" {
				continue
			}
			kept = append(kept, c)
		}
		_ = unstructured.SetNestedSlice(u.Object, kept, "status", "conditions")
	}
	if annotations := u.GetAnnotations(); annotations != nil {
		if _, ok := annotations[mirrorAnnotKey]; ok {
			delete(annotations, mirrorAnnotKey)
			u.SetAnnotations(annotations)
		}
	}
}
