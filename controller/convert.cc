#include "controller/convert.h"

#include <charconv>
#include <ctime>
#include <nlohmann/json.hpp>

#include "common/quantity.h"
#include "controller/scope.h"

namespace gt::controller {
namespace {

using nlohmann::json;

const json* Field(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string Str(const json& object, const char* key) {
  const json* field = Field(object, key);
  return field != nullptr && field->is_string() ? field->get<std::string>() : std::string();
}

bool Bool(const json& object, const char* key) {
  const json* field = Field(object, key);
  return field != nullptr && field->is_boolean() && field->get<bool>();
}

int64_t Int(const json& object, const char* key) {
  const json* field = Field(object, key);
  return field != nullptr && field->is_number_integer() ? field->get<int64_t>() : 0;
}

const json& Obj(const json& object, const char* key) {
  static const json kEmpty = json::object();
  const json* field = Field(object, key);
  return field != nullptr && field->is_object() ? *field : kEmpty;
}

const json& Arr(const json& object, const char* key) {
  static const json kEmpty = json::array();
  const json* field = Field(object, key);
  return field != nullptr && field->is_array() ? *field : kEmpty;
}

std::map<std::string, std::string> StringMap(const json& object) {
  std::map<std::string, std::string> out;
  if (!object.is_object()) return out;
  for (const auto& [key, value] : object.items()) {
    if (value.is_string()) out.emplace(key, value.get<std::string>());
  }
  return out;
}

int64_t ParseInt(std::string_view text) {
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && ptr == text.data() + text.size() ? value : 0;
}

// FNV-1a: stable across runs and builds, unlike std::hash.
uint64_t Fnv1a(std::string_view bytes) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// Where a trimmed object keeps the hash of the pod template it no longer carries.
constexpr const char* kTrimmedTemplateHash = "x-groundtruth-template-hash";

// nlohmann::json objects keep keys sorted, so dump() is a canonical form.
uint64_t TemplateHash(json pod_template, bool drop_hash_label) {
  if (drop_hash_label && pod_template.is_object()) {
    auto meta = pod_template.find("metadata");
    if (meta != pod_template.end() && meta->is_object()) {
      auto labels = meta->find("labels");
      if (labels != meta->end() && labels->is_object()) labels->erase("pod-template-hash");
    }
  }
  return Fnv1a(pod_template.dump());
}

uint64_t SpecTemplateHash(const json& spec, bool drop_hash_label) {
  const json* trimmed = Field(spec, kTrimmedTemplateHash);
  if (trimmed != nullptr && trimmed->is_string()) {
    uint64_t hash = 0;
    const std::string& text = trimmed->get_ref<const std::string&>();
    std::from_chars(text.data(), text.data() + text.size(), hash);
    return hash;
  }
  return TemplateHash(Obj(spec, "template"), drop_hash_label);
}

// Keeps only `keys` of an object (nothing if it is not one).
void KeepOnly(json& object, std::initializer_list<const char*> keys) {
  if (!object.is_object()) return;
  json kept = json::object();
  for (const char* key : keys) {
    auto it = object.find(key);
    if (it != object.end()) kept[key] = std::move(*it);
  }
  object = std::move(kept);
}

void TrimMetadata(json& object, bool keep_annotations) {
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return;  // erase() would throw on a non-object
  KeepOnly(*meta, {"name", "namespace", "uid", "resourceVersion", "generation", "labels",
                   "annotations", "ownerReferences", "deletionTimestamp"});
  if (!keep_annotations) {
    meta->erase("annotations");
    return;
  }
  auto annotations = meta->find("annotations");
  if (annotations != meta->end() && annotations->is_object()) {
    annotations->erase("kubectl.kubernetes.io/last-applied-configuration");
  }
}

void ReplaceTemplateByHash(json& object, bool drop_hash_label) {
  auto spec = object.find("spec");
  if (spec == object.end() || !spec->is_object()) return;
  uint64_t hash = SpecTemplateHash(*spec, drop_hash_label);
  KeepOnly(*spec, {});
  (*spec)[kTrimmedTemplateHash] = std::to_string(hash);
}

void TrimContainers(json& containers) {
  if (!containers.is_array()) return;
  for (json& container : containers) KeepOnly(container, {"name", "resources", "restartPolicy"});
}

struct Meta {
  std::string ns, name, uid, resource_version;
  int64_t generation = 0;
  std::map<std::string, std::string> labels, annotations;
  bool terminating = false;
  std::string owner_kind, owner_uid;
};

Result<Meta> ReadMeta(const json& object, const char* what) {
  if (!object.is_object()) {
    return MakeError(ErrorCode::kMalformed, std::string(what) + ": not a JSON object");
  }
  const json& meta = Obj(object, "metadata");
  Meta out;
  out.ns = Str(meta, "namespace");
  out.name = Str(meta, "name");
  out.uid = Str(meta, "uid");
  if (out.name.empty() || out.uid.empty()) {
    return MakeError(ErrorCode::kMalformed,
                     std::string(what) + ": metadata.name or metadata.uid missing", out.ns);
  }
  out.resource_version = Str(meta, "resourceVersion");
  out.generation = Int(meta, "generation");
  out.labels = StringMap(Obj(meta, "labels"));
  out.annotations = StringMap(Obj(meta, "annotations"));
  out.terminating =
      Field(meta, "deletionTimestamp") != nullptr && !Field(meta, "deletionTimestamp")->is_null();
  for (const json& ref : Arr(meta, "ownerReferences")) {
    const json* controller = Field(ref, "controller");
    if (controller != nullptr && controller->is_boolean() && controller->get<bool>()) {
      out.owner_kind = Str(ref, "kind");
      out.owner_uid = Str(ref, "uid");
      break;
    }
  }
  return out;
}

std::string Label(const std::map<std::string, std::string>& labels, const char* key) {
  auto it = labels.find(key);
  return it == labels.end() ? std::string() : it->second;
}

std::optional<uint64_t> Bytes(const json& list, const char* resource) {
  std::string text = Str(list, resource);
  if (text.empty()) return std::nullopt;
  auto quantity = Quantity::Parse(text);
  if (!quantity || quantity->negative()) return std::nullopt;
  auto value = quantity->Value();
  if (!value) return std::nullopt;
  return static_cast<uint64_t>(*value);
}

std::optional<uint64_t> Millis(const json& list, const char* resource) {
  std::string text = Str(list, resource);
  if (text.empty()) return std::nullopt;
  auto quantity = Quantity::Parse(text);
  if (!quantity || quantity->negative()) return std::nullopt;
  auto value = quantity->MilliValue();
  if (!value) return std::nullopt;
  return static_cast<uint64_t>(*value);
}

ContainerSpec ReadContainerSpec(const json& container) {
  ContainerSpec spec;
  spec.name = Str(container, "name");
  const json& resources = Obj(container, "resources");
  const json& limits = Obj(resources, "limits");
  const json& requests = Obj(resources, "requests");
  spec.declared.memory_limit_bytes = Bytes(limits, "memory");
  spec.declared.memory_request_bytes = Bytes(requests, "memory");
  spec.declared.cpu_limit_millicores = Millis(limits, "cpu");
  spec.declared.cpu_request_millicores = Millis(requests, "cpu");
  return spec;
}

ContainerState ReadContainerState(const json& status) {
  ContainerState state;
  state.name = Str(status, "name");
  state.id = std::string(StripRuntimeScheme(Str(status, "containerID")));
  state.running = Field(Obj(status, "state"), "running") != nullptr;
  return state;
}

bool PodReady(const json& status) {
  for (const json& condition : Arr(status, "conditions")) {
    if (Str(condition, "type") == "Ready") return Str(condition, "status") == "True";
  }
  return false;
}

}  // namespace

std::string_view StripRuntimeScheme(std::string_view container_id) {
  auto pos = container_id.find("://");
  return pos == std::string_view::npos ? container_id : container_id.substr(pos + 3);
}

Result<Workload> WorkloadFromJson(WorkloadKind kind, const json& object) {
  try {
    auto meta = ReadMeta(object, "workload");
    if (!meta) return meta.error();
    Workload out;
    out.key = WorkloadKey{kind, meta->ns, meta->name};
    out.uid = meta->uid;
    out.resource_version = meta->resource_version;
    out.generation = meta->generation;
    const json& spec = Obj(object, "spec");
    const json& status = Obj(object, "status");
    out.observed_generation = Int(status, "observedGeneration");
    out.template_hash = SpecTemplateHash(spec, false);
    if (kind == WorkloadKind::kDeployment) {
      out.deployment_revision = Label(meta->annotations, "deployment.kubernetes.io/revision");
    }
    if (kind == WorkloadKind::kStatefulSet) out.update_revision = Str(status, "updateRevision");
    out.gitops_managed = IsGitOpsManaged(meta->labels, meta->annotations);
    for (const auto& [key, value] : meta->annotations) {
      if (!key.starts_with(kAnnotationPrefix)) continue;
      std::string_view rest = std::string_view(key).substr(kAnnotationPrefix.size());
      if (key == kEnabledAnnotation) {
        out.opted_out = value == "false";
      } else if (key == kVerdictAnnotation) {
        out.verdict_annotation = value;
      } else if (rest.find('.') != std::string_view::npos) {
        out.overrides.emplace(std::string(rest), value);
      }
    }
    for (const json& condition : Arr(status, "conditions")) {
      if (Str(condition, "type") != kConditionType) continue;
      auto parsed = contract::ParseConditionStatus(Str(condition, "status"));
      if (!parsed) break;  // not ours to interpret: treated as absent and rewritten
      Condition c;
      c.status = *parsed;
      c.reason = Str(condition, "reason");
      c.message = Str(condition, "message");
      c.last_transition_time = Str(condition, "lastTransitionTime");
      c.last_update_time = Str(condition, "lastUpdateTime");
      out.condition = std::move(c);
      break;
    }
    return out;
  } catch (const json::exception& e) {
    return MakeError(ErrorCode::kMalformed, std::string("workload: ") + e.what());
  }
}

Result<ReplicaSet> ReplicaSetFromJson(const json& object) {
  try {
    auto meta = ReadMeta(object, "replicaset");
    if (!meta) return meta.error();
    ReplicaSet out;
    out.ns = meta->ns;
    out.name = meta->name;
    out.uid = meta->uid;
    if (meta->owner_kind == "Deployment") out.owner_uid = meta->owner_uid;
    out.revision = Label(meta->annotations, "deployment.kubernetes.io/revision");
    out.template_hash = SpecTemplateHash(Obj(object, "spec"), true);
    return out;
  } catch (const json::exception& e) {
    return MakeError(ErrorCode::kMalformed, std::string("replicaset: ") + e.what());
  }
}

Result<Pod> PodFromJson(const json& object) {
  try {
    auto meta = ReadMeta(object, "pod");
    if (!meta) return meta.error();
    Pod out;
    out.ns = meta->ns;
    out.name = meta->name;
    out.uid = meta->uid;
    out.terminating = meta->terminating;
    out.owner_kind = meta->owner_kind;
    out.owner_uid = meta->owner_uid;
    out.pod_template_hash = Label(meta->labels, "pod-template-hash");
    out.controller_revision_hash = Label(meta->labels, "controller-revision-hash");
    out.pod_template_generation = ParseInt(Label(meta->labels, "pod-template-generation"));
    const json& spec = Obj(object, "spec");
    const json& status = Obj(object, "status");
    out.node = Str(spec, "nodeName");
    out.host_network = Bool(spec, "hostNetwork");
    out.ip = Str(status, "podIP");
    out.phase = Str(status, "phase");
    out.ready = PodReady(status);
    for (const json& container : Arr(spec, "containers")) {
      out.containers.push_back(ReadContainerSpec(container));
    }
    // Native sidecars (init containers that keep running) are judged like containers.
    for (const json& container : Arr(spec, "initContainers")) {
      if (Str(container, "restartPolicy") == "Always") {
        out.containers.push_back(ReadContainerSpec(container));
      }
    }
    for (const char* list : {"containerStatuses", "initContainerStatuses"}) {
      for (const json& container : Arr(status, list)) {
        out.statuses.push_back(ReadContainerState(container));
      }
    }
    return out;
  } catch (const json::exception& e) {
    return MakeError(ErrorCode::kMalformed, std::string("pod: ") + e.what());
  }
}

Result<AgentPod> AgentPodFromJson(const json& object) {
  try {
    auto meta = ReadMeta(object, "agent pod");
    if (!meta) return meta.error();
    AgentPod out;
    out.ns = meta->ns;
    out.name = meta->name;
    out.uid = meta->uid;
    out.node = Str(Obj(object, "spec"), "nodeName");
    const json& status = Obj(object, "status");
    out.ip = Str(status, "podIP");
    out.ready = PodReady(status) && !meta->terminating;
    return out;
  } catch (const json::exception& e) {
    return MakeError(ErrorCode::kMalformed, std::string("agent pod: ") + e.what());
  }
}

json ConditionApplyBody(const WorkloadKey& key, std::string_view uid, const Condition& condition) {
  json entry = {
      {"type", kConditionType},
      {"status", contract::ToString(condition.status)},
      {"reason", condition.reason},
      {"message", condition.message},
      {"lastTransitionTime", condition.last_transition_time},
  };
  // StatefulSet and DaemonSet conditions have no lastUpdateTime; the server would drop it.
  if (key.kind == WorkloadKind::kDeployment && !condition.last_update_time.empty()) {
    entry["lastUpdateTime"] = condition.last_update_time;
  }
  return json{
      {"apiVersion", contract::kWorkloadApiVersion},
      {"kind", contract::KindName(key.kind)},
      {"metadata", {{"name", key.name}, {"namespace", key.ns}, {"uid", uid}}},
      {"status", {{"conditions", json::array({entry})}}},
  };
}

json AnnotationApplyBody(const WorkloadKey& key, std::string_view uid, std::string_view value,
                         std::string_view resource_version) {
  json body = {
      {"apiVersion", contract::kWorkloadApiVersion},
      {"kind", contract::KindName(key.kind)},
      {"metadata",
       {{"name", key.name},
        {"namespace", key.ns},
        {"uid", uid},
        {"annotations", {{kVerdictAnnotation, value}}}}},
  };
  if (!resource_version.empty()) body["metadata"]["resourceVersion"] = resource_version;
  return body;
}

void TrimWorkload(json& object) {
  if (!object.is_object()) return;
  TrimMetadata(object, true);
  ReplaceTemplateByHash(object, false);
  auto status = object.find("status");
  if (status != object.end()) {
    KeepOnly(*status, {"observedGeneration", "updateRevision", "conditions"});
  }
}

void TrimReplicaSet(json& object) {
  if (!object.is_object()) return;
  TrimMetadata(object, true);
  ReplaceTemplateByHash(object, true);
  object.erase("status");
}

void TrimPod(json& object) {
  if (!object.is_object()) return;
  TrimMetadata(object, false);
  auto spec = object.find("spec");
  if (spec != object.end()) {
    KeepOnly(*spec, {"nodeName", "hostNetwork", "containers", "initContainers"});
    if (spec->is_object()) {
      if (spec->contains("containers")) TrimContainers((*spec)["containers"]);
      if (spec->contains("initContainers")) TrimContainers((*spec)["initContainers"]);
    }
  }
  auto status = object.find("status");
  if (status != object.end()) {
    KeepOnly(*status,
             {"phase", "podIP", "conditions", "containerStatuses", "initContainerStatuses"});
    if (status->is_object()) {
      for (const char* list : {"containerStatuses", "initContainerStatuses"}) {
        auto it = status->find(list);
        if (it == status->end() || !it->is_array()) continue;
        for (json& container : *it) KeepOnly(container, {"name", "containerID", "state"});
      }
    }
  }
}

std::string ResourceVersionOf(const json& object) {
  return Str(Obj(object, "metadata"), "resourceVersion");
}

int64_t GenerationOf(const json& object) { return Int(Obj(object, "metadata"), "generation"); }

std::string FormatKubeTime(std::chrono::system_clock::time_point t) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

}  // namespace gt::controller
