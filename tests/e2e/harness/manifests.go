package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
)

// ApplyManifests server-side-applies every object of the given YAML or JSON
// files (multi-document YAML allowed) and returns them as applied. Objects
// without a namespace that need one go to defaultNamespace. Kustomize
// overlays are not expanded: pass plain manifest files, or the output of
// ApplyKustomization.
func (c *Cluster) ApplyManifests(ctx context.Context, defaultNamespace string, paths ...string) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		decoder := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			var u unstructured.Unstructured
			if err := decoder.Decode(&u.Object); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			if len(u.Object) == 0 {
				continue
			}
			objs = append(objs, &u)
		}
	}
	return c.ApplyObjects(ctx, defaultNamespace, objs...)
}

// ApplyKustomization renders a kustomization directory with `kubectl
// kustomize` and applies the result, as `kubectl apply -k` would.
func (c *Cluster) ApplyKustomization(ctx context.Context, defaultNamespace, dir string) ([]*unstructured.Unstructured, error) {
	out, err := exec.CommandContext(ctx, filepath.Join(c.BinDir, "kubectl"), "kustomize", dir).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("kubectl kustomize %s: %w: %s", dir, err, ee.Stderr)
		}
		return nil, fmt.Errorf("kubectl kustomize %s: %w", dir, err)
	}
	f, err := os.CreateTemp(c.Dir, "kustomized-*.yaml")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.Write(out); err != nil {
		return nil, err
	}
	return c.ApplyManifests(ctx, defaultNamespace, f.Name())
}

// ApplyObjects server-side-applies objects with field manager "e2e-harness".
func (c *Cluster) ApplyObjects(ctx context.Context, defaultNamespace string, objs ...*unstructured.Unstructured) ([]*unstructured.Unstructured, error) {
	disc, err := discovery.NewDiscoveryClientForConfig(c.Config)
	if err != nil {
		return nil, err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))
	dyn, err := dynamic.NewForConfig(c.Config)
	if err != nil {
		return nil, err
	}
	force := true
	var applied []*unstructured.Unstructured
	for _, u := range objs {
		gvk := u.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			return applied, fmt.Errorf("%s %s: %w", gvk, u.GetName(), err)
		}
		res := dyn.Resource(m.Resource)
		var ri dynamic.ResourceInterface = res
		if m.Scope.Name() == "namespace" {
			if u.GetNamespace() == "" {
				u.SetNamespace(defaultNamespace)
			}
			if err := c.ensureNamespace(ctx, u.GetNamespace()); err != nil {
				return applied, err
			}
			ri = res.Namespace(u.GetNamespace())
		}
		body, err := u.MarshalJSON()
		if err != nil {
			return applied, err
		}
		out, err := ri.Patch(ctx, u.GetName(), types.ApplyPatchType, body,
			// Strict: an unknown or duplicate field in a manifest is an error
			// here, not a silently dropped setting in production.
			metav1.PatchOptions{FieldManager: "e2e-harness", Force: &force, FieldValidation: "Strict"})
		if err != nil {
			return applied, fmt.Errorf("apply %s %s/%s: %w", gvk.Kind, u.GetNamespace(), u.GetName(), err)
		}
		applied = append(applied, out)
	}
	return applied, nil
}
