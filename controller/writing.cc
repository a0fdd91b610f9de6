#include "controller/writing.h"

#include <algorithm>

#include "contract/annotation.h"
#include "controller/convert.h"

namespace gt::controller {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// A Go-style duration unit at `i` ("h", "m", "s", "ms", "us", "ns") not followed by a
// letter; its length, or 0.
size_t DurationUnit(std::string_view text, size_t i) {
  for (std::string_view unit : {"ms", "us", "ns", "h", "m", "s"}) {
    if (text.substr(i, unit.size()) == unit &&
        (i + unit.size() == text.size() || !IsLetter(text[i + unit.size()]))) {
      return unit.size();
    }
  }
  return 0;
}

// Each figure becomes '#', each duration ("2m10s", "5m", "45s") becomes '~', so that
// "34% for 2m10s" and "41% for 5m" have the same shape; names keep their digits.
std::string Shape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  auto skip_number = [&](size_t i) {
    while (i < text.size() &&
           (IsDigit(text[i]) || (text[i] == '.' && i + 1 < text.size() && IsDigit(text[i + 1])))) {
      ++i;
    }
    return i;
  };
  for (size_t i = 0; i < text.size();) {
    // Digits inside a name ("mysql-0", "node-3", "x2k4") are identity, not figures.
    bool in_name = i > 0 && (IsLetter(text[i - 1]) || IsDigit(text[i - 1]) || text[i - 1] == '-' ||
                             text[i - 1] == '_' || text[i - 1] == '.');
    if (!IsDigit(text[i]) || in_name) {
      out += text[i++];
      continue;
    }
    i = skip_number(i);
    bool duration = false;
    while (size_t unit = DurationUnit(text, i)) {
      duration = true;
      i += unit;
      if (i < text.size() && IsDigit(text[i])) {
        i = skip_number(i);
      } else {
        break;
      }
    }
    out += duration ? '~' : '#';
  }
  return out;
}

bool SameVerdict(const Condition& c, const Desired& d) {
  return c.status == d.status && c.reason == d.reason;
}

}  // namespace

WritePlan PlanWithdrawal(const Workload& live, const WriteMemory& memory) {
  WritePlan plan;
  plan.withdraw = !memory.withdrawn && (live.condition || !live.verdict_annotation.empty());
  return plan;
}

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

  std::string current =
      contract::FormatVerdictAnnotation(desired.status, desired.reason, desired.generation);
  // The API server bumps a Deployment's generation on any annotation change (annotations
  // are copied to its ReplicaSets), so the mirror names the generation our write creates;
  // naming the current one would chase it forever. StatefulSets and DaemonSets bump on
  // spec changes only.
  std::string annotation = live.key.kind == WorkloadKind::kDeployment
                               ? contract::FormatVerdictAnnotation(desired.status, desired.reason,
                                                                   desired.generation + 1)
                               : current;
  bool annotation_in_flight =
      memory.annotation == annotation &&
      std::find(memory.annotation_base_versions.begin(), memory.annotation_base_versions.end(),
                live.resource_version) != memory.annotation_base_versions.end() &&
      timing.now - memory.annotation_written_at < timing.settle;
  if (live.verdict_annotation != current && !annotation_in_flight) {
    plan.annotation = std::move(annotation);
  }
  return plan;
}

}  // namespace gt::controller
