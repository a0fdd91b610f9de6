// Fakes of the controller's ports and builders of Kubernetes JSON for tests.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/convert.h"
#include "controller/ports.h"

namespace gt::controller::testing {

using nlohmann::json;

// Returns a scripted verdict per workload (default True/Compliant) and records its input.
class FakeJudge final : public Judge {
 public:
  reconcile::Verdict Evaluate(const WorkloadKey& key,
                              const reconcile::WorkloadObservation& observation,
                              const std::map<std::string, std::string>& overrides,
                              MonotonicTime) override {
    observations[key] = observation;
    this->overrides[key] = overrides;
    ++evaluations;
    auto it = verdicts.find(key);
    if (it != verdicts.end()) return it->second;
    return Compliant();
  }
  void Forget(const WorkloadKey& key) override { forgotten.push_back(key); }

  static reconcile::Verdict Compliant(std::string message = "all 1 containers within limits") {
    return reconcile::Verdict{
        reconcile::ConditionStatus::kTrue, "Compliant", std::move(message), {}, {}, {}};
  }
  static reconcile::Verdict Violated(std::string reason, std::string message) {
    return reconcile::Verdict{
        reconcile::ConditionStatus::kFalse, std::move(reason), std::move(message), {}, {}, {}};
  }
  static reconcile::Verdict Unknown(std::string reason, std::string message = "no data") {
    return reconcile::Verdict{
        reconcile::ConditionStatus::kUnknown, std::move(reason), std::move(message), {}, {}, {}};
  }

  std::map<WorkloadKey, reconcile::Verdict> verdicts;
  std::map<WorkloadKey, reconcile::WorkloadObservation> observations;
  std::map<WorkloadKey, std::map<std::string, std::string>> overrides;
  std::vector<WorkloadKey> forgotten;
  int evaluations = 0;
};

// The API server's side of our writes. With `objects` set it applies each write to the
// object there at once, as the server would: a Deployment's generation moves with its
// annotations, and an annotation apply carrying a resourceVersion is refused (kConflict)
// once the object has moved past it. Every write is recorded either way.
class FakeStatusWriter final : public StatusWriter {
 public:
  struct ConditionWrite {
    WorkloadKey key;
    std::string uid;
    Condition condition;
  };
  struct AnnotationWrite {
    WorkloadKey key;
    std::string uid;
    std::string value;
    std::string resource_version;  // the precondition sent
  };
  Result<Applied> ApplyCondition(const WorkloadKey& key, std::string_view uid,
                                 const Condition& condition) override;
  Result<Applied> ApplyAnnotation(const WorkloadKey& key, std::string_view uid,
                                  std::string_view value,
                                  std::string_view resource_version) override;
  Status Withdraw(const WorkloadKey& key, std::string_view uid) override;
  size_t total() const { return conditions.size() + annotations.size() + withdrawals.size(); }
  void Clear() {
    conditions.clear();
    annotations.clear();
    withdrawals.clear();
  }

  std::map<WorkloadKey, json>* objects = nullptr;
  bool fail = false;
  bool annotation_owned_elsewhere = false;  // e.g. set in Git: our apply of nothing keeps it
  std::vector<ConditionWrite> conditions;
  std::vector<AnnotationWrite> annotations;
  std::vector<WorkloadKey> withdrawals;
};

class FakeEvents final : public EventSink {
 public:
  void Emit(const EventRecord& event) override { events.push_back(event); }
  std::vector<EventRecord> events;
};

class FakeLeadership final : public Leadership {
 public:
  bool IsLeader() const override { return leader; }
  bool leader = true;
};

// --- Kubernetes JSON builders -------------------------------------------------------------

inline json PodTemplate(const std::string& app, const std::string& image,
                        const std::string& memory_limit = "2Gi") {
  return json{
      {"metadata", {{"labels", {{"app", app}}}, {"creationTimestamp", nullptr}}},
      {"spec",
       {{"containers", json::array({{{"name", app},
                                     {"image", image},
                                     {"resources",
                                      {{"limits", {{"memory", memory_limit}, {"cpu", "500m"}}},
                                       {"requests", {{"memory", "1Gi"}, {"cpu", "250m"}}}}}}})}}},
  };
}

inline json WorkloadJson(const std::string& kind, const std::string& name, const std::string& uid,
                         int64_t generation, const json& pod_template,
                         const json& labels = {{"app.kubernetes.io/instance", "shop"}},
                         const json& annotations = json::object()) {
  return json{
      {"apiVersion", "apps/v1"},
      {"kind", kind},
      {"metadata",
       {{"name", name},
        {"namespace", "shop"},
        {"uid", uid},
        {"resourceVersion", "1"},
        {"generation", generation},
        {"labels", labels},
        {"annotations", annotations}}},
      {"spec", {{"replicas", 1}, {"template", pod_template}}},
      {"status", {{"observedGeneration", generation}}},
  };
}

inline json ReplicaSetJson(const std::string& name, const std::string& uid,
                           const std::string& owner_uid, const std::string& revision,
                           json pod_template, const std::string& hash) {
  pod_template["metadata"]["labels"]["pod-template-hash"] = hash;
  return json{
      {"apiVersion", "apps/v1"},
      {"kind", "ReplicaSet"},
      {"metadata",
       {{"name", name},
        {"namespace", "shop"},
        {"uid", uid},
        {"annotations", {{"deployment.kubernetes.io/revision", revision}}},
        {"ownerReferences", json::array({{{"apiVersion", "apps/v1"},
                                          {"kind", "Deployment"},
                                          {"name", "x"},
                                          {"uid", owner_uid},
                                          {"controller", true}}})}}},
      {"spec", {{"template", pod_template}}},
  };
}

inline json PodJson(const std::string& name, const std::string& uid, const std::string& owner_kind,
                    const std::string& owner_uid, const std::string& node,
                    const std::string& container_id, const json& labels = json::object(),
                    const std::string& memory_limit = "2Gi") {
  return json{
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata",
       {{"name", name},
        {"namespace", "shop"},
        {"uid", uid},
        {"labels", labels},
        {"ownerReferences",
         json::array(
             {{{"kind", owner_kind}, {"name", "x"}, {"uid", owner_uid}, {"controller", true}}})}}},
      {"spec",
       {{"nodeName", node},
        {"containers", json::array({{{"name", "app"},
                                     {"resources", {{"limits", {{"memory", memory_limit}}}}}}})}}},
      {"status",
       {{"phase", "Running"},
        {"podIP", "10.0.0.9"},
        {"conditions", json::array({{{"type", "Ready"}, {"status", "True"}}})},
        {"containerStatuses",
         json::array({{{"name", "app"},
                       {"containerID", "containerd://" + container_id},
                       {"state", {{"running", {{"startedAt", "2026-01-01T00:00:00Z"}}}}}}})}}},
  };
}

inline json AgentJson(const std::string& name, const std::string& uid, const std::string& node,
                      const std::string& ip, bool ready = true) {
  return json{
      {"metadata",
       {{"name", name},
        {"namespace", "groundtruth-agent"},
        {"uid", uid},
        {"labels", {{"app.kubernetes.io/name", "groundtruth-agent"}}}}},
      {"spec", {{"nodeName", node}}},
      {"status",
       {{"podIP", ip},
        {"conditions", json::array({{{"type", "Ready"}, {"status", ready ? "True" : "False"}}})}}},
  };
}

// A workload object as the API server would show it after our condition was applied.
inline void SetLiveCondition(json& object, const Condition& condition) {
  json entry = {{"type", "RuntimeCompliant"},
                {"status", std::string(contract::ToString(condition.status))},
                {"reason", condition.reason},
                {"message", condition.message},
                {"lastTransitionTime", condition.last_transition_time}};
  if (!condition.last_update_time.empty()) entry["lastUpdateTime"] = condition.last_update_time;
  json& conditions = object["status"]["conditions"];
  if (!conditions.is_array()) conditions = json::array();
  for (auto& c : conditions) {
    if (c["type"] == "RuntimeCompliant") {
      c = entry;
      return;
    }
  }
  conditions.push_back(entry);
}

inline void BumpVersion(json& object) {
  std::string rv = object["metadata"]["resourceVersion"].get<std::string>();
  object["metadata"]["resourceVersion"] = std::to_string(std::stoll(rv) + 1);
}

inline Workload MustWorkload(WorkloadKind kind, const json& object) {
  auto w = WorkloadFromJson(kind, object);
  if (!w) throw std::runtime_error(w.error().ToString());
  return *w;
}

inline Pod MustPod(const json& object) {
  auto p = PodFromJson(object);
  if (!p) throw std::runtime_error(p.error().ToString());
  return *p;
}

inline Result<Applied> FakeStatusWriter::ApplyCondition(const WorkloadKey& key,
                                                        std::string_view uid,
                                                        const Condition& condition) {
  if (fail) return MakeError(ErrorCode::kUnavailable, "injected failure");
  conditions.push_back({key, std::string(uid), condition});
  if (objects == nullptr) return Applied{"w" + std::to_string(total()), 0};
  json& object = (*objects)[key];
  SetLiveCondition(object, condition);
  BumpVersion(object);
  return Applied{ResourceVersionOf(object), GenerationOf(object)};
}

inline Result<Applied> FakeStatusWriter::ApplyAnnotation(const WorkloadKey& key,
                                                         std::string_view uid,
                                                         std::string_view value,
                                                         std::string_view resource_version) {
  if (fail) return MakeError(ErrorCode::kUnavailable, "injected failure");
  if (objects == nullptr) {
    annotations.push_back(
        {key, std::string(uid), std::string(value), std::string(resource_version)});
    return Applied{"w" + std::to_string(total()), 0};
  }
  json& object = (*objects)[key];
  if (!resource_version.empty() && resource_version != ResourceVersionOf(object)) {
    return MakeError(ErrorCode::kConflict, "HTTP 409 Conflict: the object has been modified");
  }
  annotations.push_back({key, std::string(uid), std::string(value), std::string(resource_version)});
  json& annotation = object["metadata"]["annotations"]["groundtruth.dev/runtime-compliant"];
  // As the API server does: a Deployment's annotations are part of its generation.
  if (key.kind == WorkloadKind::kDeployment && annotation != value) {
    object["metadata"]["generation"] = object["metadata"]["generation"].get<int64_t>() + 1;
  }
  annotation = std::string(value);
  BumpVersion(object);
  return Applied{ResourceVersionOf(object), GenerationOf(object)};
}

inline Status FakeStatusWriter::Withdraw(const WorkloadKey& key, std::string_view) {
  if (fail) return MakeError(ErrorCode::kUnavailable, "injected failure");
  withdrawals.push_back(key);
  if (objects == nullptr) return OkStatus();
  json& object = (*objects)[key];
  json& conditions = object["status"]["conditions"];
  if (conditions.is_array()) {
    for (auto c = conditions.begin(); c != conditions.end(); ++c) {
      if ((*c)["type"] == "RuntimeCompliant") {
        conditions.erase(c);
        break;
      }
    }
  }
  BumpVersion(object);  // the /status apply
  json& annotations = object["metadata"]["annotations"];
  if (!annotation_owned_elsewhere && annotations.is_object() &&
      annotations.contains("groundtruth.dev/runtime-compliant")) {
    annotations.erase("groundtruth.dev/runtime-compliant");
    if (key.kind == WorkloadKind::kDeployment) {
      object["metadata"]["generation"] = object["metadata"]["generation"].get<int64_t>() + 1;
    }
  }
  BumpVersion(object);  // the apply to the object itself
  return OkStatus();
}

}  // namespace gt::controller::testing
