// Judge: declared limits + reading series + policy -> the RuntimeCompliant verdict.
// Pure: no I/O, no clock of its own (`now` is a parameter). Incremental: each call advances
// the state over the readings newer than the last call saw, so a caller may pass a sliding
// window of readings or the whole history and gets the same verdict.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/reading.h"
#include "reconcile/format.h"
#include "reconcile/observation.h"
#include "reconcile/policy.h"
#include "reconcile/verdict.h"

namespace gt::reconcile {

// A ratio summed over intervals: numerator and denominator.
struct Figure {
  double num = 0;
  double den = 0;
  double value() const { return den > 0 ? num / den : 0; }
};

// One rule's bookkeeping for one container instance (or node): onset, hysteresis, figures.
struct RuleTrack {
  bool active = false;
  MonotonicTime since{0};     // when the violating signal began (start of its onset window)
  MonotonicTime last_hot{0};  // the latest reading at which the signal was past its threshold
  std::optional<MonotonicTime> calm_since;  // start of the current unbroken calm stretch
  MonotonicTime cleared{0};                 // end of the previous violation
  std::string signal;                       // which of the rule's signals fired, e.g. "full"
  // Every signal the rule measures, summed over the violation's onset windows and hot time
  // (e.g. "some", "full", "cpu some"; CPUThrottled: "periods", "demand").
  std::map<std::string, Figure> figures;
  double peak = 0;      // rule-specific peak (seconds in D, commit ratio)
  uint64_t events = 0;  // counter rises seen (OOM kills, refused forks)
  std::string what;     // rule-specific detail (the blocked thread)
};

// Peaks over the generation, for the recommendation and the Compliant summary.
struct Peaks {
  uint64_t working_set_bytes = 0;
  uint64_t file_bytes = 0;
  double refault_bytes_per_s = 0;
  double memory_psi_some = 0;  // over the thrashing rule's window
  double cpu_throttled = 0;    // share of periods, per interval
  uint64_t pids = 0;
  std::optional<uint64_t> memory_limit_bytes;  // the limit in force at the latest reading
  std::optional<uint64_t> pids_limit;
  std::optional<double> quota_cores;
};

struct InstanceTrack {
  MonotonicTime processed_until{0};  // the newest reading already folded in
  MonotonicTime covered{0};          // time covered by readings (gaps excluded)
  Peaks peaks;
  std::map<std::string, RuleTrack> rules;  // by reason
};

// State carried between evaluations: per container instance ("<pod>/<container>") and per
// node, each with its rules' tracks by reason.
struct JudgeState {
  std::optional<int64_t> generation;
  std::map<std::string, InstanceTrack> instances;
  std::map<std::string, InstanceTrack> nodes;
};

struct Judgement {
  Verdict verdict;
  JudgeState state;
};

Judgement Judge(const WorkloadObservation& observation, const Policy& policy,
                const JudgeState& previous, MonotonicTime now);

}  // namespace gt::reconcile
