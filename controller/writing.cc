#include "controller/writing.h"

#include <algorithm>

#include "controller/convert.h"

namespace gt::controller {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Each maximal run of digits (with decimal points inside it) becomes '#'.
std::string Shape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (!IsDigit(text[i])) {
      out += text[i++];
      continue;
    }
    while (i < text.size() &&
           (IsDigit(text[i]) || (text[i] == '.' && i + 1 < text.size() && IsDigit(text[i + 1])))) {
      ++i;
    }
    out += '#';
  }
  return out;
}

bool SameVerdict(const Condition& c, const Desired& d) {
  return c.status == d.status && c.reason == d.reason;
}

}  // namespace

bool SameMeaning(std::string_view a, std::string_view b) { return a == b || Shape(a) == Shape(b); }

bool ConditionMatches(const Condition& condition, const Desired& desired) {
  return SameVerdict(condition, desired) && SameMeaning(condition.message, desired.message);
}

WritePlan PlanWrite(const Desired& desired, const Workload& live, const WriteMemory& memory,
                    const WriteTiming& timing) {
  WritePlan plan;

  bool live_matches = live.condition && ConditionMatches(*live.condition, desired);
  // Our last write is not in the informer's copy yet (same resourceVersion as when we
  // planned it): wait for the watch rather than write twice.
  bool in_flight = memory.condition && ConditionMatches(*memory.condition, desired) &&
                   live.resource_version == memory.condition_base_version &&
                   timing.now - memory.condition_written_at < timing.settle;
  if (!live_matches && !in_flight) {
    Condition next;
    next.status = desired.status;
    next.reason = desired.reason;
    next.message = desired.message;
    std::string now = FormatKubeTime(timing.wall);
    // lastTransitionTime moves only when status does; the live object is the memory that
    // survives restarts, our own memory covers a condition wiped by another controller.
    if (live.condition && live.condition->status == desired.status &&
        !live.condition->last_transition_time.empty()) {
      next.last_transition_time = live.condition->last_transition_time;
    } else if (!live.condition && memory.condition && memory.condition->status == desired.status) {
      next.last_transition_time = memory.condition->last_transition_time;
    } else {
      next.last_transition_time = now;
    }
    if (live.key.kind == WorkloadKind::kDeployment) next.last_update_time = now;

    const Condition* previous = live.condition     ? &*live.condition
                                : memory.condition ? &*memory.condition
                                                   : nullptr;
    bool transition = previous == nullptr ? desired.reason != reconcile::reason::kObserving
                                          : !SameVerdict(*previous, desired);
    if (transition && desired.reason != reconcile::reason::kObserving) {
      plan.event =
          EventRecord{live.key, live.uid, desired.status == reconcile::ConditionStatus::kFalse,
                      desired.reason, desired.message};
    }
    plan.condition = std::move(next);
  }

  std::string annotation =
      VerdictAnnotationValue(desired.status, desired.reason, desired.generation);
  bool annotation_in_flight =
      memory.annotation == annotation &&
      std::find(memory.annotation_base_versions.begin(), memory.annotation_base_versions.end(),
                live.resource_version) != memory.annotation_base_versions.end() &&
      timing.now - memory.annotation_written_at < timing.settle;
  if (live.verdict_annotation != annotation && !annotation_in_flight) {
    plan.annotation = std::move(annotation);
  }
  return plan;
}

}  // namespace gt::controller
