// Policy: every threshold and window of the rules (docs/rules.md),
// with the defaults docs/rules.md cites. Ratios are fractions (0.10 is 10%).
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "common/result.h"

namespace gt::reconcile {

using Seconds = std::chrono::seconds;

struct Policy {
  // How long a generation must be observed before it can be called Compliant, and what
  // counts as data at all.
  struct Observation {
    Seconds window{300};   // the longest rule window: a True verdict has seen every rule's
    Seconds max_gap{60};   // a longer interval between two readings is a gap, not data
    Seconds max_age{120};  // a container whose newest reading is older has no data
  } observation;

  struct OomKilled {
    bool enabled = true;
    // How long after the last kill the verdict stays False. Not shortened by WithWindow:
    // a short run must not forget a kill it saw.
    Seconds recovery{600};
  } oom_killed;

  struct MemoryThrashing {
    bool enabled = true;
    double psi_some = 0.10;  // memory PSI some, averaged over each of `windows` windows
    Seconds window{60};
    int windows = 2;         // consecutive windows that must all reach psi_some
    double psi_full = 0.50;  // or memory PSI full over full_window
    Seconds full_window{20};
    // Only where the cgroup has no PSI: reclaim evidence while the working set presses on
    // the limit (per second, over the same consecutive windows).
    double refault_rate = 1000;      // workingset_refault_file pages/s
    double major_fault_rate = 1000;  // pgmajfault/s
    double working_set_ratio = 0.90;
    std::optional<Seconds> recovery;  // default: window * windows
  } memory_thrashing;

  struct MemorySaturated {
    bool enabled = true;
    double working_set_ratio = 0.90;  // of the memory limit, at every reading of the window
    Seconds window{300};              // ...with memory.events max / failcnt rising in it
    std::optional<Seconds> recovery;
  } memory_saturated;

  struct CpuThrottled {
    bool enabled = true;
    double ratio = 0.25;  // throttled CFS periods / all periods, strictly above
    Seconds window{300};
    // The throttling must cost time: Δ throttled_usec / Δt over the window at least this...
    double throttled_time = 0.10;
    double usage_ratio = 0.70;  // ...and usage / quota over the window at least this...
    double psi_some = 0.50;     // ...or CPU PSI some over the window at least this
    std::optional<Seconds> recovery;
  } cpu_throttled;

  struct IoContention {
    bool enabled = true;
    double psi_full = 0.25;  // I/O PSI full over the window (corpus: fsync loop 11-14%)
    Seconds window{300};
    std::optional<Seconds> recovery;
  } io_contention;

  struct ProcessesBlocked {
    bool enabled = true;
    Seconds window{120};  // one thread in state D in every reading for this long
    std::optional<Seconds> recovery;
  } processes_blocked;

  struct PidsExhausted {
    bool enabled = true;
    Seconds recovery{300};  // not shortened by WithWindow, as oom_killed
  } pids_exhausted;

  struct NodeOvercommitted {
    bool enabled = true;
    double commit_ratio = 1.0;  // Committed_AS > commit_ratio * CommitLimit at every reading
    double psi_some = 0.10;     // or node memory PSI some over the window
    Seconds window{300};
    std::optional<Seconds> recovery;
  } node_overcommitted;
  // Node overcommit is the node's problem, not the workload's: by default it is reported in
  // the message and the evidence but never turns the verdict False.
  bool node_overcommit_blames_workload = false;

  struct NetworkDegraded {
    bool enabled = true;
    double ratio = 0.01;  // TCP RetransSegs / OutSegs over the window, strictly above
    Seconds window{300};
    uint64_t min_segments = 1000;  // fewer sent segments in the window: too few to judge
    std::optional<Seconds> recovery;
  } network_degraded;

  struct Recommendation {
    double memory_headroom = 1.3;
    double cpu_headroom = 1.2;
    double pids_headroom = 1.25;
  } recommendation;
};

Policy DefaultPolicy();

// Shortens every sustained/recovery window so that a short run (CI, `groundtruth run
// --window 20s`) can reach a verdict: when the longest window (observation window included)
// exceeds `window`, all of them are scaled by the same factor so the longest equals
// `window` (never below 1s). The OOM-kill and pids hold times are left alone.
Policy WithWindow(Policy policy, std::chrono::seconds window);

// One "groundtruth.dev/<rule>.<parameter>" override, e.g. ("cpu-throttled.ratio", "0.5").
// Rules in kebab-case; parameters as docs/rules.md lists them. Ratios accept "0.1" or "10%",
// windows Go durations ("90s", "2m"), switches "true"/"false". A bad key or value is an
// Error (kInvalid) naming the key and what is wrong, and leaves `policy` unchanged.
Status ApplyOverride(Policy& policy, std::string_view rule_dot_parameter, std::string_view value);

// The recovery window in force: the explicit one, or the rule's own window.
Seconds RecoveryOf(const Policy::MemoryThrashing& rule);
Seconds RecoveryOf(const Policy::MemorySaturated& rule);
Seconds RecoveryOf(const Policy::CpuThrottled& rule);
Seconds RecoveryOf(const Policy::IoContention& rule);
Seconds RecoveryOf(const Policy::ProcessesBlocked& rule);
Seconds RecoveryOf(const Policy::NodeOvercommitted& rule);
Seconds RecoveryOf(const Policy::NetworkDegraded& rule);

}  // namespace gt::reconcile
