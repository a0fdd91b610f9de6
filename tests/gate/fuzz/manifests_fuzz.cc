// The gate's manifest reader (gate/manifests.h): the input as a manifest file
// (WorkloadsFromManifests) and as text (WorkloadsFromManifestText, what kustomize renders
// and standard input go through). Kustomizations are rendered by the real kustomize, a
// separate process, so they are not fuzzed here. Never a crash,
// throw, leak or hang; what is found is only apps/v1 workloads with a name and a namespace.
// Seeds (seeds/manifests) follow the Kubernetes object YAML (kubectl apply's multi-document
// files and List kinds) and kustomize's Kustomization file (kubectl.kubernetes.io
// "Declarative Management of Kubernetes Objects Using Kustomize"; kustomize's
// api/types/kustomization.go for resources, bases, namespace, namePrefix, nameSuffix).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gate/manifests.h"
#include "tests/fuzz_scratch.h"

namespace {

void Check(const gt::Result<std::vector<gt::gate::WorkloadKey>>& found) {
  if (!found) return;
  for (const gt::gate::WorkloadKey& key : *found) {
    // The kind is a WorkloadKind, so only Deployment, StatefulSet or DaemonSet by type.
    if (key.name.empty() || key.ns.empty()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const gt::fuzz::Scratch& scratch = gt::fuzz::ScratchDir();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Check(gt::gate::WorkloadsFromManifests(scratch.Write("input/manifest.yaml", text), "default"));
  Check(gt::gate::WorkloadsFromManifestText(std::string(text), "fuzz", "default"));
  return 0;
}
