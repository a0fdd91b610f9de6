#include "gate/decision.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/duration.h"

namespace gt::gate {

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kWaiting:
      return "waiting";
    case Outcome::kPassed:
      return "passed";
    case Outcome::kFailed:
      return "failed";
    case Outcome::kTimedOut:
      return "timed out";
  }
  return "waiting";
}

Gate::Gate(Policy policy, MonotonicTime start) : policy_(policy), start_(start) {}

void Gate::Expect(const WorkloadKey& key) {
  if (rows_.count(key)) return;
  Row row;
  row.key = key;
  row.verdict = ReadVerdict(row.observed);
  row.verdict.reason = "NotSeen";
  row.verdict.message = "not observed yet";
  rows_.emplace(key, std::move(row));
}

std::optional<std::string> Gate::Observe(const WorkloadKey& key, const Observed& observed,
                                         MonotonicTime now) {
  Expect(key);
  Row& row = rows_.at(key);
  const Verdict before = row.verdict;
  const int64_t generation_before = row.observed.generation;
  const bool existed = row.observed.exists;
  row.observed = observed;
  row.verdict = ReadVerdict(observed);
  const Verdict& after = row.verdict;

  const bool generation_changed = existed && observed.generation != generation_before;
  const bool fresh_true = after.fresh && after.status == ConditionStatus::kTrue;
  // The soak timer measures one uninterrupted stretch of fresh True on one generation.
  if (!fresh_true || generation_changed) row.true_since.reset();
  if (fresh_true && !row.true_since) row.true_since = now;

  const bool changed = !existed || generation_changed || before.status != after.status ||
                       before.reason != after.reason || before.fresh != after.fresh ||
                       before.message != after.message;
  if (!changed) return std::nullopt;
  row.seen_at = now;
  std::string freshness = after.fresh ? "fresh" : "stale: " + after.stale_why;
  std::string line =
      fmt::format("{} generation {}: {}/{} ({})", key.ToString(), observed.generation,
                  contract::ToString(after.status), after.reason, freshness);
  if (fresh_true && policy_.soak.count() > 0)
    line += fmt::format("; soaking for {}", FormatDurationForPeople(policy_.soak));
  if (!after.message.empty()) line += ": " + after.message;
  return line;
}

Outcome Gate::Decide(MonotonicTime now) {
  bool all_soaked = !rows_.empty();
  for (auto& [key, row] : rows_) {
    if (row.verdict.fresh && row.verdict.status == ConditionStatus::kFalse) return Outcome::kFailed;
    row.soaked = row.true_since && now - *row.true_since >= policy_.soak;
    if (!row.soaked) all_soaked = false;
  }
  if (all_soaked) return Outcome::kPassed;
  if (now - start_ >= policy_.timeout) return Outcome::kTimedOut;
  return Outcome::kWaiting;
}

MonotonicTime Gate::NextDeadline() const {
  MonotonicTime next = start_ + policy_.timeout;
  for (const auto& [key, row] : rows_) {
    if (row.true_since && !row.soaked) next = std::min(next, *row.true_since + policy_.soak);
  }
  return next;
}

}  // namespace gt::gate
