#include "controller/store.h"

#include <algorithm>

namespace gt::controller {
namespace {

void Unindex(std::unordered_map<std::string, std::vector<std::string>>& index,
             const std::string& owner, const std::string& uid) {
  auto it = index.find(owner);
  if (it == index.end()) return;
  std::erase(it->second, uid);
  if (it->second.empty()) index.erase(it);
}

}  // namespace

void WorkloadStore::UpsertWorkload(Workload workload) {
  WorkloadKey key = workload.key;
  workloads_.insert_or_assign(std::move(key), std::move(workload));
}

void WorkloadStore::DeleteWorkload(const WorkloadKey& key) { workloads_.erase(key); }

const Workload* WorkloadStore::FindWorkload(const WorkloadKey& key) const {
  auto it = workloads_.find(key);
  return it == workloads_.end() ? nullptr : &it->second;
}

void WorkloadStore::UpsertReplicaSet(ReplicaSet replica_set) {
  auto it = replica_sets_.find(replica_set.uid);
  if (it != replica_sets_.end()) {
    if (it->second.owner_uid != replica_set.owner_uid) {
      Unindex(replica_sets_by_owner_, it->second.owner_uid, it->first);
      if (!replica_set.owner_uid.empty()) {
        replica_sets_by_owner_[replica_set.owner_uid].push_back(replica_set.uid);
      }
    }
    it->second = std::move(replica_set);
    return;
  }
  if (!replica_set.owner_uid.empty()) {
    replica_sets_by_owner_[replica_set.owner_uid].push_back(replica_set.uid);
  }
  std::string uid = replica_set.uid;
  replica_sets_.emplace(std::move(uid), std::move(replica_set));
}

void WorkloadStore::DeleteReplicaSet(const std::string& uid) {
  auto it = replica_sets_.find(uid);
  if (it == replica_sets_.end()) return;
  Unindex(replica_sets_by_owner_, it->second.owner_uid, uid);
  replica_sets_.erase(it);
}

void WorkloadStore::UpsertPod(Pod pod, MonotonicTime now) {
  auto it = pods_.find(pod.uid);
  for (ContainerState& state : pod.statuses) {
    state.id_seen_at = now;
    if (it == pods_.end() || state.id.empty()) continue;
    for (const ContainerState& old : it->second.statuses) {
      if (old.id == state.id) state.id_seen_at = old.id_seen_at;
    }
  }
  if (it != pods_.end()) {
    if (it->second.owner_uid != pod.owner_uid) {
      Unindex(pods_by_owner_, it->second.owner_uid, it->first);
      if (!pod.owner_uid.empty()) pods_by_owner_[pod.owner_uid].push_back(pod.uid);
    }
    it->second = std::move(pod);
    return;
  }
  if (!pod.owner_uid.empty()) pods_by_owner_[pod.owner_uid].push_back(pod.uid);
  std::string uid = pod.uid;
  pods_.emplace(std::move(uid), std::move(pod));
}

void WorkloadStore::DeletePod(const std::string& uid) {
  auto it = pods_.find(uid);
  if (it == pods_.end()) return;
  Unindex(pods_by_owner_, it->second.owner_uid, uid);
  pods_.erase(it);
}

const Pod* WorkloadStore::FindPod(const std::string& uid) const {
  auto it = pods_.find(uid);
  return it == pods_.end() ? nullptr : &it->second;
}

void WorkloadStore::UpsertAgent(AgentPod agent) {
  std::string uid = agent.uid;
  agents_.insert_or_assign(std::move(uid), std::move(agent));
}

void WorkloadStore::DeleteAgent(const std::string& uid) { agents_.erase(uid); }

std::vector<AgentTarget> WorkloadStore::AgentTargets(uint16_t port) const {
  std::map<std::string, const AgentPod*> by_node;
  for (const auto& [uid, agent] : agents_) {
    if (agent.node.empty() || agent.ip.empty()) continue;
    const AgentPod*& chosen = by_node[agent.node];
    if (chosen == nullptr || (agent.ready && !chosen->ready)) chosen = &agent;
  }
  std::vector<AgentTarget> out;
  out.reserve(by_node.size());
  for (const auto& [node, agent] : by_node) {
    bool v6 = agent->ip.find(':') != std::string::npos;
    std::string host = v6 ? "[" + agent->ip + "]" : agent->ip;
    out.push_back(AgentTarget{node, agent->uid, host + ":" + std::to_string(port)});
  }
  return out;
}

bool WorkloadStore::HasAgentOn(const std::string& node) const {
  return std::any_of(agents_.begin(), agents_.end(),
                     [&](const auto& entry) { return entry.second.node == node; });
}

std::vector<const Pod*> WorkloadStore::LivePodsOwnedBy(const std::string& owner_uid) const {
  std::vector<const Pod*> out;
  auto it = pods_by_owner_.find(owner_uid);
  if (it == pods_by_owner_.end()) return out;
  for (const std::string& uid : it->second) {
    const Pod& pod = pods_.at(uid);
    if (pod.node.empty() || pod.terminating || pod.phase == "Succeeded" || pod.phase == "Failed") {
      continue;
    }
    out.push_back(&pod);
  }
  return out;
}

std::vector<const Pod*> WorkloadStore::CurrentPods(const Workload& workload,
                                                   int64_t template_generation) const {
  std::vector<const Pod*> out;
  switch (workload.key.kind) {
    case WorkloadKind::kDeployment: {
      auto owned = replica_sets_by_owner_.find(workload.uid);
      if (owned == replica_sets_by_owner_.end()) return out;
      std::vector<const ReplicaSet*> current;
      for (const std::string& uid : owned->second) {
        const ReplicaSet& rs = replica_sets_.at(uid);
        if (rs.template_hash == workload.template_hash) current.push_back(&rs);
      }
      if (current.empty() && workload.observed_generation >= workload.generation &&
          !workload.deployment_revision.empty()) {
        for (const std::string& uid : owned->second) {
          const ReplicaSet& rs = replica_sets_.at(uid);
          if (rs.revision == workload.deployment_revision) current.push_back(&rs);
        }
      }
      for (const ReplicaSet* rs : current) {
        auto pods = LivePodsOwnedBy(rs->uid);
        out.insert(out.end(), pods.begin(), pods.end());
      }
      break;
    }
    case WorkloadKind::kStatefulSet: {
      if (workload.observed_generation < template_generation) return out;
      for (const Pod* pod : LivePodsOwnedBy(workload.uid)) {
        if (workload.update_revision.empty() ||
            pod->controller_revision_hash == workload.update_revision) {
          out.push_back(pod);
        }
      }
      break;
    }
    case WorkloadKind::kDaemonSet: {
      auto owned = LivePodsOwnedBy(workload.uid);
      const Pod* newest = nullptr;
      for (const Pod* pod : owned) {
        if (newest == nullptr || pod->pod_template_generation > newest->pod_template_generation) {
          newest = pod;
        }
      }
      if (newest == nullptr || newest->pod_template_generation < template_generation) return out;
      for (const Pod* pod : owned) {
        bool same = newest->controller_revision_hash.empty()
                        ? pod->pod_template_generation == newest->pod_template_generation
                        : pod->controller_revision_hash == newest->controller_revision_hash;
        if (same) out.push_back(pod);
      }
      break;
    }
  }
  std::sort(out.begin(), out.end(), [](const Pod* a, const Pod* b) { return a->name < b->name; });
  return out;
}

}  // namespace gt::controller
