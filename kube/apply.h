// Server-side apply of the RuntimeCompliant condition and its annotation mirror on apps/v1
// workloads, always with field manager "groundtruth" (docs/contract.md: never kubectl's nor a
// GitOps tool's manager name).
#pragma once

#include <string>

#include "common/result.h"
#include "contract/workload.h"
#include "kube/client.h"
#include "kube/time_format.h"

namespace gt::kube {

// Kinds, their resources and the field manager are the contract's (contract/workload.h).
using contract::kFieldManager;
using contract::WorkloadKind;

// /apis/apps/v1/namespaces/<ns>/deployments; all namespaces' collection when ns is empty.
std::string WorkloadCollectionPath(WorkloadKind kind, const std::string& ns);
std::string WorkloadPath(WorkloadKind kind, const std::string& ns, const std::string& name);
std::string WorkloadStatusPath(WorkloadKind kind, const std::string& ns, const std::string& name);

struct ConditionApply {
  std::string type;
  std::string status;
  std::string reason;
  std::string message;
  WallTime last_transition_time;
  WallTime last_update_time;  // written on Deployments only: the others' schema lacks it
};

// The apply configuration for /status: only our condition. conditions is a map list keyed
// by type, so the API server merges it with the conditions other managers own.
Json ConditionApplyConfig(WorkloadKind kind, const std::string& ns, const std::string& name,
                          const ConditionApply& condition);
Json AnnotationApplyConfig(WorkloadKind kind, const std::string& ns, const std::string& name,
                           const std::string& key, const std::string& value);

// PATCH .../status?fieldManager=groundtruth&force=true. Non-2xx answers become Errors.
Result<Json> ApplyCondition(KubeClient& client, WorkloadKind kind, const std::string& ns,
                            const std::string& name, const ConditionApply& condition);
// PATCH the workload itself with only metadata.annotations[key].
Result<Json> ApplyAnnotation(KubeClient& client, WorkloadKind kind, const std::string& ns,
                             const std::string& name, const std::string& key,
                             const std::string& value);

// The object's identity alone. Applied with our field manager, the API server removes every
// field that manager owned there and no longer applies, and keeps every other manager's:
// how groundtruth takes back what it wrote. A non-empty uid makes the apply fail on a
// re-created object of the same name instead of touching it.
Json WithdrawalApplyConfig(WorkloadKind kind, const std::string& ns, const std::string& name,
                           const std::string& uid);
// Withdraws our condition (apply of the identity to /status) and then our annotation (to
// the object): the controller's way when a workload leaves scope, and `groundtruth
// cleanup`'s. Returns the object as the last apply answered it.
Result<Json> WithdrawOurFields(KubeClient& client, WorkloadKind kind, const std::string& ns,
                               const std::string& name, const std::string& uid);

// What of the contract's condition and verdict annotation our field manager owns on an
// object, by apply (metadata.managedFields). A field only another manager owns is not ours.
struct OwnedFields {
  bool condition = false;
  bool annotation = false;
  bool any() const { return condition || annotation; }
};
OwnedFields OwnedByUs(const Json& object);

}  // namespace gt::kube
