// What `gate` reads off one workload and how it decides: pure logic over small types, no
// Kubernetes client and no JSON (kube_view.h converts API objects in one place).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/reading.h"
#include "contract/annotation.h"
#include "contract/condition.h"
#include "contract/workload.h"

namespace gt::gate {

// The condition's words, the verdict annotation and workload keys are the contract's.
using contract::ConditionStatus;
using contract::WorkloadKey;
using contract::WorkloadKind;

struct ConditionView {
  ConditionStatus status = ConditionStatus::kUnknown;
  std::string reason;
  std::string message;
  std::optional<std::chrono::system_clock::time_point> last_transition;
};

// The workload as the API server last showed it.
struct Observed {
  bool exists = false;
  int64_t generation = 0;                             // metadata.generation
  std::optional<contract::VerdictAnnotation> mirror;  // groundtruth.dev/runtime-compliant
  std::optional<ConditionView> condition;             // RuntimeCompliant, when present
};

// The verdict the gate may act on. Fresh: the mirror speaks about the current generation
// and the condition, when present, agrees with it. A stale verdict never passes or fails.
struct Verdict {
  ConditionStatus status = ConditionStatus::kUnknown;  // as written (mirror, else condition)
  std::string reason;
  std::string message;
  bool fresh = false;
  std::string stale_why;  // why not fresh, for people
};
Verdict ReadVerdict(const Observed& observed);

}  // namespace gt::gate
