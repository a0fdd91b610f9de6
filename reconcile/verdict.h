// What reconcile concludes about a workload: the RuntimeCompliant condition's content
// (contract/condition.h) plus the evidence and recommendation behind it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "contract/condition.h"

namespace gt::reconcile {

// The condition's status and reasons are the contract's (contract/condition.h); reconcile
// uses them under its own names so its rules read `reason::kOOMKilled`.
using contract::ConditionStatus;
using contract::ToString;
namespace reason = contract::reason;

// One measured fact behind a verdict, for people and for `--output json`.
struct Evidence {
  std::string reason;  // the rule, e.g. "MemoryThrashing"
  std::string container;
  std::string pod;
  std::string node;
  std::string signal;  // e.g. "memory PSI some"
  double value = 0;    // the observed figure, in the signal's unit (percent, ratio, count)
  double threshold = 0;
  std::chrono::seconds sustained{0};  // how long the signal has held past its threshold
  std::string detail;                 // one short human-readable sentence
};

// What declared limit would have held, from observed peaks and stall.
struct Recommendation {
  std::string container;
  std::optional<uint64_t> memory_limit_bytes;
  std::optional<uint64_t> cpu_limit_millicores;
  std::optional<uint64_t> pids_limit;
  std::string text;  // e.g. "memory limit >= 2.6Gi"
};

// A limit the kernel enforces that is not the one declared (an admission webhook or a
// LimitRange, an in-place resize, a cgroup set by hand, a kubelet that does not enforce CPU
// limits). The verdict is judged on the enforced one and says so.
enum class LimitResource : uint8_t { kMemory, kCpu };
std::string_view ToString(LimitResource resource);  // "memory", "cpu"

struct LimitDrift {
  std::string container;
  std::string pod;
  std::string node;
  LimitResource resource = LimitResource::kMemory;
  std::optional<uint64_t> declared;  // bytes or millicores; empty: none declared
  std::optional<uint64_t> enforced;  // empty: no limit enforced
};

struct Verdict {
  ConditionStatus status = ConditionStatus::kUnknown;
  std::string reason{reason::kObserving};
  std::string message;  // one line a person can act on
  std::vector<Evidence> evidence;
  std::vector<Recommendation> recommendations;
  std::vector<LimitDrift> drift;  // one per container and resource, the first replica's
};

}  // namespace gt::reconcile
