// The RuntimeCompliant condition groundtruth writes on a workload: its type, its statuses
// and its reasons (README "The condition"). Every part that reads or writes it uses these.
#pragma once

#include <optional>
#include <string_view>

namespace gt::contract {

inline constexpr std::string_view kConditionType = "RuntimeCompliant";

enum class ConditionStatus { kTrue, kFalse, kUnknown };
std::string_view ToString(ConditionStatus status);  // "True", "False", "Unknown"
// Exactly "True", "False" or "Unknown" (the API's spelling); anything else is nullopt.
std::optional<ConditionStatus> ParseConditionStatus(std::string_view text);

// Reasons: one CamelCase word each, as docs/rules.md lists them.
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

// Not a reason of the condition: the evidence entry that tells a limit the kernel enforces
// other than the declared one (docs/contract.md, "Declared and enforced limits").
inline constexpr std::string_view kLimitDriftEvidence = "LimitDrift";

}  // namespace gt::contract
