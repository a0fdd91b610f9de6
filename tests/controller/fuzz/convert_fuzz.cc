// The API JSON conversions as informers feed them (controller/convert.h): any JSON gives a
// Workload (each kind), ReplicaSet, Pod or AgentPod, or a kMalformed error; never a crash,
// throw or leak. The informer transforms (Trim*) never throw either, and what an object
// converts to does not change when it is trimmed first, which is how the informer stores it.
// Seeds (seeds/convert) are apps/v1 Deployment, StatefulSet, DaemonSet and ReplicaSet and
// core/v1 Pod objects as the API server serves them (kubernetes.io API reference,
// "Workload Resources").
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>
#include <tuple>

#include "controller/convert.h"

namespace {

using namespace gt::controller;
using nlohmann::json;

auto Fields(const Condition& c) {
  return std::tie(c.status, c.reason, c.message, c.last_transition_time, c.last_update_time);
}

bool Same(const Workload& a, const Workload& b) {
  const bool conditions = a.condition.has_value() == b.condition.has_value() &&
                          (!a.condition || Fields(*a.condition) == Fields(*b.condition));
  return conditions && a.key == b.key && a.uid == b.uid &&
         a.resource_version == b.resource_version && a.generation == b.generation &&
         a.observed_generation == b.observed_generation && a.template_hash == b.template_hash &&
         a.deployment_revision == b.deployment_revision && a.update_revision == b.update_revision &&
         a.gitops_managed == b.gitops_managed && a.opted_out == b.opted_out &&
         a.overrides == b.overrides && a.verdict_annotation == b.verdict_annotation;
}

bool Same(const ReplicaSet& a, const ReplicaSet& b) {
  return std::tie(a.ns, a.name, a.uid, a.owner_uid, a.revision, a.template_hash) ==
         std::tie(b.ns, b.name, b.uid, b.owner_uid, b.revision, b.template_hash);
}

bool Same(const Pod& a, const Pod& b) {
  if (std::tie(a.ns, a.name, a.uid, a.node, a.ip, a.phase, a.ready, a.terminating, a.owner_kind,
               a.owner_uid, a.pod_template_hash, a.controller_revision_hash,
               a.pod_template_generation) !=
      std::tie(b.ns, b.name, b.uid, b.node, b.ip, b.phase, b.ready, b.terminating, b.owner_kind,
               b.owner_uid, b.pod_template_hash, b.controller_revision_hash,
               b.pod_template_generation)) {
    return false;
  }
  if (a.containers.size() != b.containers.size() || a.statuses.size() != b.statuses.size()) {
    return false;
  }
  for (size_t i = 0; i < a.containers.size(); i++) {
    const auto& x = a.containers[i].declared;
    const auto& y = b.containers[i].declared;
    if (a.containers[i].name != b.containers[i].name ||
        std::tie(x.memory_limit_bytes, x.memory_request_bytes, x.cpu_limit_millicores,
                 x.cpu_request_millicores) != std::tie(y.memory_limit_bytes, y.memory_request_bytes,
                                                       y.cpu_limit_millicores,
                                                       y.cpu_request_millicores)) {
      return false;
    }
  }
  for (size_t i = 0; i < a.statuses.size(); i++) {
    if (std::tie(a.statuses[i].name, a.statuses[i].id, a.statuses[i].running) !=
        std::tie(b.statuses[i].name, b.statuses[i].id, b.statuses[i].running)) {
      return false;
    }
  }
  return true;
}

bool Same(const AgentPod& a, const AgentPod& b) {
  return std::tie(a.ns, a.name, a.uid, a.node, a.ip, a.ready) ==
         std::tie(b.ns, b.name, b.uid, b.node, b.ip, b.ready);
}

// Converts `object` as it came and as the informer stores it after `trim`.
template <typename Convert, typename Trim>
void Check(const json& object, Convert convert, Trim trim) {
  const auto direct = convert(object);
  if (!direct && direct.error().code != gt::ErrorCode::kMalformed) std::abort();
  json trimmed = object;
  trim(trimmed);
  const auto stored = convert(trimmed);
  if (static_cast<bool>(direct) != static_cast<bool>(stored)) std::abort();
  if (direct && !Same(*direct, *stored)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const json object =
      json::parse(std::string_view(reinterpret_cast<const char*>(data), size), nullptr, false);
  if (object.is_discarded()) return 0;
  for (WorkloadKind kind :
       {WorkloadKind::kDeployment, WorkloadKind::kStatefulSet, WorkloadKind::kDaemonSet}) {
    Check(
        object, [kind](const json& o) { return WorkloadFromJson(kind, o); }, TrimWorkload);
  }
  Check(object, ReplicaSetFromJson, TrimReplicaSet);
  Check(object, PodFromJson, TrimPod);
  Check(object, AgentPodFromJson, TrimPod);
  (void)ResourceVersionOf(object);
  (void)GenerationOf(object);
  return 0;
}
