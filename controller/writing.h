// docs/contract.md's rules of writing, as a pure decision: given the verdict the controller wants
// on a workload, what the informer last saw on it, and what this controller wrote before,
// which server-side applies (if any) to send and which Event to emit.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/reading.h"
#include "controller/model.h"
#include "reconcile/verdict.h"

namespace gt::controller {

struct Desired {
  reconcile::ConditionStatus status = reconcile::ConditionStatus::kUnknown;
  std::string reason;
  std::string message;
  int64_t generation = 0;  // live metadata.generation, mirrored in the annotation
};

// What this controller remembers of its own successful writes to one workload.
struct WriteMemory {
  std::optional<Condition> condition;
  std::string condition_base_version;  // the live resourceVersion the write was planned on
  MonotonicTime condition_written_at{0};
  std::string annotation;
  // Versions that predate the annotation write: the one it was planned on and the one our
  // condition write (sent just before it) produced.
  std::vector<std::string> annotation_base_versions;
  MonotonicTime annotation_written_at{0};
  // Our condition and annotation were withdrawn since the workload left scope. Once only:
  // what an apply of nothing leaves behind is another manager's, not ours to chase.
  bool withdrawn = false;
};

struct WritePlan {
  std::optional<Condition> condition;     // apply this to /status
  std::optional<std::string> annotation;  // apply this annotation value
  std::optional<EventRecord> event;       // a transition to announce
  bool withdraw = false;  // remove our condition and annotation: the workload left scope
  bool empty() const { return !condition && !annotation && !withdraw; }
};

struct WriteTiming {
  std::chrono::system_clock::time_point wall;  // for lastTransitionTime / lastUpdateTime
  MonotonicTime now{0};
  // How long to trust that a write not yet seen by the informer landed, before sending it
  // again (the watch normally shows it within milliseconds).
  std::chrono::nanoseconds settle = std::chrono::seconds(30);
};

WritePlan PlanWrite(const Desired& desired, const Workload& live, const WriteMemory& memory,
                    const WriteTiming& timing);

// A workload out of scope (opted out, or no longer GitOps-managed) must not keep a verdict
// nobody maintains: Argo CD would show it Degraded forever. Withdraw what we wrote, once.
WritePlan PlanWithdrawal(const Workload& live, const WriteMemory& memory);

// Messages carry figures that move every pass ("34%", "2m10s"); a difference in figures
// alone is not a meaningful change and causes no write.
bool SameMeaning(std::string_view a, std::string_view b);

// The condition as `desired` would have it, ignoring times.
bool ConditionMatches(const Condition& condition, const Desired& desired);

}  // namespace gt::controller
