// The gate's decision over many workloads in time: fresh True held for the soak passes,
// any fresh False fails at once, anything else past the timeout is unknown. Time is a
// parameter; nothing here sleeps or reads a clock.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/reading.h"
#include "gate/verdict.h"

namespace gt::gate {

struct Policy {
  std::chrono::nanoseconds soak{0};
  std::chrono::nanoseconds timeout{std::chrono::minutes(10)};
};

enum class Outcome { kWaiting, kPassed, kFailed, kTimedOut };
const char* OutcomeName(Outcome o);

struct Row {
  WorkloadKey key;
  Observed observed;
  Verdict verdict;
  std::optional<MonotonicTime> true_since;  // fresh True, uninterrupted, since
  std::optional<MonotonicTime> seen_at;  // when the current status/reason/generation was first seen
  bool soaked = false;
};

class Gate {
 public:
  Gate(Policy policy, MonotonicTime start);

  // Adds a workload the gate must judge (no-op if known): Unknown until observed.
  void Expect(const WorkloadKey& key);
  // Records what the API server shows. Returns a progress line when the gate's view of
  // this workload changed (status, reason, freshness or generation), else nullopt.
  std::optional<std::string> Observe(const WorkloadKey& key, const Observed& observed,
                                     MonotonicTime now);

  Outcome Decide(MonotonicTime now);
  // The next instant at which Decide can change without a new observation (a soak
  // completing, the timeout).
  MonotonicTime NextDeadline() const;

  const std::map<WorkloadKey, Row>& rows() const { return rows_; }
  const Policy& policy() const { return policy_; }
  MonotonicTime start() const { return start_; }

 private:
  Policy policy_;
  MonotonicTime start_;
  std::map<WorkloadKey, Row> rows_;
};

}  // namespace gt::gate
