// The one place where Kubernetes JSON meets the controller's own types (model.h): objects
// from informers in, server-side-apply bodies and Events out. Never throws.
#pragma once

#include <chrono>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "controller/model.h"

namespace gt::controller {

Result<Workload> WorkloadFromJson(WorkloadKind kind, const nlohmann::json& object);
Result<ReplicaSet> ReplicaSetFromJson(const nlohmann::json& object);
Result<Pod> PodFromJson(const nlohmann::json& object);
Result<AgentPod> AgentPodFromJson(const nlohmann::json& object);

// Informer transforms: cut an object down to what the conversions above read before the
// informer stores it, so the cache grows with the cluster's size, not its verbosity. A
// pod template is replaced by its hash (all the controller needs of it).
void TrimWorkload(nlohmann::json& object);
void TrimReplicaSet(nlohmann::json& object);
void TrimPod(nlohmann::json& object);

// metadata.resourceVersion of an object (an apply's answer); empty when absent.
std::string ResourceVersionOf(const nlohmann::json& object);
int64_t GenerationOf(const nlohmann::json& object);  // metadata.generation; 0 when absent

// Server-side apply body for the /status subresource holding only our condition (the
// conditions list is a map keyed by type, so no other condition is touched). uid makes
// the apply fail rather than create or hit a re-created object of the same name.
nlohmann::json ConditionApplyBody(const WorkloadKey& key, std::string_view uid,
                                  const Condition& condition);
// Server-side apply body for the main resource holding only our annotation.
// A non-empty `resource_version` makes the apply conditional on it (409 once it moved).
nlohmann::json AnnotationApplyBody(const WorkloadKey& key, std::string_view uid,
                                   std::string_view value, std::string_view resource_version);

// RFC 3339 in UTC with second precision, as metav1.Time serialises: "2026-11-24T03:35:30Z".
std::string FormatKubeTime(std::chrono::system_clock::time_point t);

// "containerd://0123abc" -> "0123abc"; an id without a scheme is returned as is.
std::string_view StripRuntimeScheme(std::string_view container_id);

}  // namespace gt::controller
