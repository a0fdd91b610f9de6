// What the gate reads off a workload: the groundtruth.dev/runtime-compliant mirror
// annotation, "<status>/<reason>/<generation>" (docs/contract.md), through its one parser, and the
// whole API object through ObservedFromObject and ReadVerdict. Never a crash, throw or leak; a
// parsed mirror has the status it starts with, a non-empty reason without '/', and a generation of
// 1 or more. Seeds (seeds/mirror): mirror values as the controller writes them and apps/v1 workload
// objects carrying them (kubernetes.io API reference, Deployment).
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "contract/annotation.h"
#include "gate/kube_view.h"
#include "gate/verdict.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gt::gate;
  using namespace gt::contract;
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (const auto mirror = ParseVerdictAnnotation(text)) {
    const std::string_view prefix(text.data(), text.find('/'));
    if (prefix != ToString(mirror->status)) std::abort();
    if (mirror->reason.empty() || mirror->reason.find('/') != std::string::npos) std::abort();
    if (mirror->generation < 1) std::abort();
  }
  (void)ParseConditionStatus(text);
  const nlohmann::json object = nlohmann::json::parse(text, nullptr, false);
  if (!object.is_discarded()) {
    const Observed observed = ObservedFromObject(object);
    const Verdict verdict = ReadVerdict(observed);
    if (verdict.fresh && !observed.mirror) std::abort();  // freshness needs the generation
    (void)KeyOf(WorkloadKind::kDeployment, object);
  }
  return 0;
}
