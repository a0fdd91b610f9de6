// The controller's own view of Kubernetes objects: only the fields it acts on, in plain
// structs. Kubernetes JSON is converted to and from these in exactly one place
// (controller/convert.h); everything else in controller/ sees only these types.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/reading.h"
#include "contract/annotation.h"
#include "contract/condition.h"
#include "contract/workload.h"
#include "reconcile/observation.h"
#include "reconcile/verdict.h"

namespace gt::controller {

// The condition, the annotations, workload kinds and keys are the contract's (contract/).
using contract::kAnnotationPrefix;
using contract::kConditionType;
using contract::kEnabledAnnotation;
using contract::kFieldManager;
using contract::kVerdictAnnotation;
using contract::WorkloadKey;
using contract::WorkloadKind;

// The RuntimeCompliant condition as it lives on a workload's status. Times are RFC 3339
// strings exactly as the API server returned them, so a kept lastTransitionTime is
// written back byte for byte.
struct Condition {
  reconcile::ConditionStatus status = reconcile::ConditionStatus::kUnknown;
  std::string reason;
  std::string message;
  std::string last_transition_time;
  std::string last_update_time;  // Deployment only; empty elsewhere
};

struct Workload {
  WorkloadKey key;
  std::string uid;
  std::string resource_version;
  int64_t generation = 0;
  int64_t observed_generation = 0;  // status.observedGeneration
  // Our hash of spec.template: it changes exactly when the pod template does, which is
  // what "a new generation" means for the verdict (a scale bumps generation, not this).
  uint64_t template_hash = 0;
  std::string deployment_revision;  // Deployment: deployment.kubernetes.io/revision
  std::string update_revision;      // StatefulSet: status.updateRevision

  bool gitops_managed = false;  // Argo CD or Flux tracking label/annotation present
  bool opted_out = false;       // groundtruth.dev/enabled: "false"
  // groundtruth.dev/<rule>.<parameter> annotations, keyed "<rule>.<parameter>".
  std::map<std::string, std::string> overrides;
  std::string verdict_annotation;      // live groundtruth.dev/runtime-compliant, empty if absent
  std::optional<Condition> condition;  // live RuntimeCompliant condition
};

struct ReplicaSet {
  std::string ns;
  std::string name;
  std::string uid;
  std::string owner_uid;       // controller ownerReference (a Deployment), empty if none
  std::string revision;        // deployment.kubernetes.io/revision
  uint64_t template_hash = 0;  // spec.template without the pod-template-hash label
};

struct ContainerSpec {
  std::string name;
  reconcile::DeclaredLimits declared;
};

struct ContainerState {
  std::string name;
  std::string id;  // runtime id without the "containerd://" scheme; empty until created
  bool running = false;
  // When this controller first saw `id` (set by the store): grace before "no data".
  MonotonicTime id_seen_at{0};
};

struct Pod {
  std::string ns;
  std::string name;
  std::string uid;
  std::string node;
  std::string ip;
  std::string phase;
  bool ready = false;
  bool terminating = false;   // metadata.deletionTimestamp set
  bool host_network = false;  // spec.hostNetwork: its network namespace is the node's
  std::string owner_kind;     // controller ownerReference
  std::string owner_uid;
  std::string pod_template_hash;         // label pod-template-hash (Deployment pods)
  std::string controller_revision_hash;  // label controller-revision-hash (STS, DS)
  int64_t pod_template_generation = 0;   // label pod-template-generation (DS)
  std::vector<ContainerSpec> containers;
  std::vector<ContainerState> statuses;
};

// An agent pod: where to scrape the readings of one node.
struct AgentPod {
  std::string ns;
  std::string name;
  std::string uid;
  std::string node;
  std::string ip;
  bool ready = false;
};

// An Event about a verdict transition on a workload.
struct EventRecord {
  WorkloadKey workload;
  std::string uid;
  bool warning = false;  // Warning for False, Normal otherwise
  std::string reason;
  std::string message;
};

}  // namespace gt::controller
