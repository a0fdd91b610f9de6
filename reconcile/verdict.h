// What reconcile concludes about a workload: the RuntimeCompliant condition's content
// (DESIGN.md "The condition") plus the evidence and recommendation behind it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gt::reconcile {

enum class ConditionStatus { kTrue, kFalse, kUnknown };
std::string_view ToString(ConditionStatus status);  // "True", "False", "Unknown"

// Reasons: one CamelCase word each, exactly as DESIGN.md lists them.
namespace reason {
inline constexpr std::string_view kCompliant = "Compliant";
inline constexpr std::string_view kObserving = "Observing";
inline constexpr std::string_view kNoData = "NoData";
inline constexpr std::string_view kOOMKilled = "OOMKilled";
inline constexpr std::string_view kMemoryThrashing = "MemoryThrashing";
inline constexpr std::string_view kMemorySaturated = "MemorySaturated";
inline constexpr std::string_view kCPUThrottled = "CPUThrottled";
inline constexpr std::string_view kIOContention = "IOContention";
inline constexpr std::string_view kProcessesBlocked = "ProcessesBlocked";
inline constexpr std::string_view kPidsExhausted = "PidsExhausted";
inline constexpr std::string_view kNodeOvercommitted = "NodeOvercommitted";
inline constexpr std::string_view kNetworkDegraded = "NetworkDegraded";
}  // namespace reason

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

struct Verdict {
  ConditionStatus status = ConditionStatus::kUnknown;
  std::string reason{reason::kObserving};
  std::string message;  // one line a person can act on
  std::vector<Evidence> evidence;
  std::vector<Recommendation> recommendations;
};

}  // namespace gt::reconcile
