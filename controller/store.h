// What the informers have seen, indexed for the questions the controller asks: which pods
// run a workload's current pod template, and which agent reads a node. Not thread-safe:
// the Controller serialises access.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/reading.h"
#include "controller/model.h"
#include "controller/ports.h"

namespace gt::controller {

class WorkloadStore {
 public:
  void UpsertWorkload(Workload workload);
  void DeleteWorkload(const WorkloadKey& key);
  const Workload* FindWorkload(const WorkloadKey& key) const;
  const std::map<WorkloadKey, Workload>& workloads() const { return workloads_; }

  void UpsertReplicaSet(ReplicaSet replica_set);
  void DeleteReplicaSet(const std::string& uid);

  // `now` stamps container ids seen for the first time (ContainerState::id_seen_at).
  void UpsertPod(Pod pod, MonotonicTime now);
  void DeletePod(const std::string& uid);
  const Pod* FindPod(const std::string& uid) const;
  size_t pod_count() const { return pods_.size(); }

  void UpsertAgent(AgentPod agent);
  void DeleteAgent(const std::string& uid);
  // One agent per node that has one with an IP, a ready one preferred; "ip:port".
  std::vector<AgentTarget> AgentTargets(uint16_t port) const;
  bool HasAgentOn(const std::string& node) const;

  // Live pods (bound to a node, not terminating, not finished) of the workload's current
  // pod template:
  //  Deployment: pods of the ReplicaSet whose template equals the Deployment's (the
  //    Deployment controller's own test), else — once the Deployment controller has seen
  //    this generation — of the ReplicaSet carrying the Deployment's revision.
  //  StatefulSet: controller-revision-hash == status.updateRevision, trusted only once
  //    status.observedGeneration has reached `template_generation`.
  //  DaemonSet: the controller-revision-hash of the newest pod-template-generation, which
  //    must have reached `template_generation`.
  // `template_generation`: the generation at which the current template was first seen;
  // 0 when it predates this controller.
  std::vector<const Pod*> CurrentPods(const Workload& workload, int64_t template_generation) const;

 private:
  std::vector<const Pod*> LivePodsOwnedBy(const std::string& owner_uid) const;

  std::map<WorkloadKey, Workload> workloads_;
  std::unordered_map<std::string, ReplicaSet> replica_sets_;
  std::unordered_map<std::string, std::vector<std::string>> replica_sets_by_owner_;
  std::unordered_map<std::string, Pod> pods_;
  std::unordered_map<std::string, std::vector<std::string>> pods_by_owner_;
  std::unordered_map<std::string, AgentPod> agents_;
};

}  // namespace gt::controller
