// Package health proves groundtruth's health-check integrations with the engines that
// run them: Argo CD's own Lua VM and built-in health (argo-cd util/lua, gitops-engine
// pkg/health) and Flux's own CEL evaluator (fluxcd/pkg/runtime/cel) against kstatus.
//
// The snippets under test are the shipped files, read from manifests/argocd and
// manifests/flux, so the docs, the manifests and these tests cannot drift apart.
//
// The corpus: testdata/argo (Argo CD's own test data, sources in SOURCE.md),
// testdata/handmade (one object per branch of either tool's rollout logic) and, when
// present, testdata/captured: *.yaml, *.yml or *.json files of objects captured from the
// end-to-end suite's control plane (`kubectl get deploy,sts,ds -A -o yaml` output, Lists
// included). Captured objects lose any RuntimeCompliant condition and annotation they
// carry; the verdict tests place every verdict on every object themselves.
package health
