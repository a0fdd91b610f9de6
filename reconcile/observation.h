// What reconcile is fed: declared limits paired with the kernel's readings. Plain structs.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/reading.h"

namespace gt::reconcile {

// A container's resources as declared in Git (requests and limits). Empty: not declared.
struct DeclaredLimits {
  std::optional<uint64_t> memory_limit_bytes;
  std::optional<uint64_t> memory_request_bytes;
  std::optional<uint64_t> cpu_limit_millicores;
  std::optional<uint64_t> cpu_request_millicores;
  std::optional<uint64_t> pids_limit;  // not a pod field; from the node or `run`'s sandbox
};

struct ContainerObservation {
  std::string container;
  std::string pod;
  std::string node;
  DeclaredLimits declared;
  // The pod shares the node's network namespace (spec.hostNetwork): its TCP counters would
  // be the whole node's, so the network rule does not judge it.
  bool host_network = false;
  // Oldest first. Gaps (missed scrapes) and counter resets (restarts) are expected.
  std::vector<CgroupReading> readings;
  // False when nothing declares the limits (`check` without a manifest): the kernel's are
  // all there is, and there is no drift to tell.
  bool limits_declared = true;
};

struct WorkloadObservation {
  int64_t generation = 0;
  // When observation of this generation began (a new pod template restarts it).
  MonotonicTime observing_since{0};
  std::vector<ContainerObservation> containers;
  // Node readings by node name, oldest first.
  std::map<std::string, std::vector<NodeReading>> nodes;
};

}  // namespace gt::reconcile
