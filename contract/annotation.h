// The groundtruth.dev/ annotations: the verdict mirror the controller writes (and the gate,
// Argo CD's health check and people read), the opt-out, and the per-rule overrides.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "contract/condition.h"

namespace gt::contract {

inline constexpr std::string_view kAnnotationPrefix = "groundtruth.dev/";
inline constexpr std::string_view kVerdictAnnotation = "groundtruth.dev/runtime-compliant";
inline constexpr std::string_view kEnabledAnnotation = "groundtruth.dev/enabled";  // "false": out

// groundtruth.dev/runtime-compliant: "<status>/<reason>/<generation>", e.g. "True/Compliant/7".
// The generation ties the verdict to one release of the workload (metadata.generation).
struct VerdictAnnotation {
  ConditionStatus status = ConditionStatus::kUnknown;
  std::string reason;
  int64_t generation = 0;
  friend bool operator==(const VerdictAnnotation&, const VerdictAnnotation&) = default;
};

std::string FormatVerdictAnnotation(ConditionStatus status, std::string_view reason,
                                    int64_t generation);
inline std::string FormatVerdictAnnotation(const VerdictAnnotation& a) {
  return FormatVerdictAnnotation(a.status, a.reason, a.generation);
}
// Accepts exactly three '/'-separated parts: a status ParseConditionStatus knows, a
// non-empty reason without '/', and a decimal generation >= 1 (Kubernetes starts
// metadata.generation at 1) with nothing after it. Anything else is nullopt: a reader
// treats it as no verdict at all.
std::optional<VerdictAnnotation> ParseVerdictAnnotation(std::string_view value);

}  // namespace gt::contract
