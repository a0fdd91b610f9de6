// The gate's manifest readers (gate/manifests.h): the input as a manifest file
// (WorkloadsFromManifests) and as a kustomization.yaml (WorkloadsFromKustomization) whose
// resources may name a fixed base kustomization and manifest beside it. Never a crash,
// throw, leak or hang; what is found is only apps/v1 workloads with a name and a namespace.
// Seeds (seeds/manifests) follow the Kubernetes object YAML (kubectl apply's multi-document
// files and List kinds) and kustomize's Kustomization file (kubectl.kubernetes.io
// "Declarative Management of Kubernetes Objects Using Kustomize"; kustomize's
// api/types/kustomization.go for resources, bases, namespace, namePrefix, nameSuffix).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "gate/manifests.h"
#include "tests/fuzz_scratch.h"

namespace {

void Check(const gt::Result<std::vector<gt::gate::WorkloadKey>>& found) {
  if (!found) return;
  for (const gt::gate::WorkloadKey& key : *found) {
    if (key.kind != "Deployment" && key.kind != "StatefulSet" && key.kind != "DaemonSet") {
      std::abort();
    }
    if (key.name.empty() || key.namespace_name.empty()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const gt::fuzz::Scratch& scratch = gt::fuzz::ScratchDir();
  static const bool tree = [&] {
    scratch.Write("base/kustomization.yaml",
                  "resources:\n- deploy.yaml\nnamePrefix: base-\nnamespace: base\n");
    scratch.Write("base/deploy.yaml",
                  "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\n");
    scratch.Write("app.yaml",
                  "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\n"
                  "  namespace: infra\n");
    return true;
  }();
  (void)tree;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Check(gt::gate::WorkloadsFromManifests(scratch.Write("input/manifest.yaml", text), "default"));
  scratch.Write("kust/kustomization.yaml", text);
  Check(gt::gate::WorkloadsFromKustomization((scratch.dir() / "kust").string(), "default"));
  return 0;
}
