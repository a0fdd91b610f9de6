// The observation loop shared by `run` and `check`: sample a cgroup (and the node) every
// interval, judge incrementally, show the live line, stop when the window is complete, the
// workload ends, or the user interrupts; then deliver the final verdict.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cli/output.h"
#include "collectors/cgroup_reader.h"
#include "collectors/node_reader.h"
#include "common/clock.h"
#include "reconcile/judge.h"
#include "reconcile/limits.h"

namespace gt::cli {

// Wakes the loop: SIGINT/SIGTERM (interrupt) and SIGCHLD (the workload may have exited),
// through a self-pipe so that poll(2) sees them.
class SignalPipe {
 public:
  // Installs the handlers; one instance per process.
  static Result<SignalPipe*> Install();
  int fd() const;
  // Drains the pipe; returns whether SIGINT or SIGTERM arrived since the last call.
  bool DrainInterrupted();
  // The signal that interrupted, for the exit message (0: none).
  int last_interrupt() const;
};

struct SessionConfig {
  reconcile::Policy policy;  // overrides applied, not yet shortened to the window
  std::chrono::seconds window{60};
  std::chrono::nanoseconds interval{std::chrono::seconds(1)};
  reconcile::DeclaredLimits declared;
  bool limits_declared = true;  // false: `check` without a manifest
  std::string container;
  std::string pod;
  std::string node;
  // A reading taken before the workload started (`run`'s new cgroup), so that counters
  // rising before the first sample count as rises. Empty for `check`.
  std::optional<CgroupReading> baseline;
};

enum class SessionEnd {
  kWindowComplete,
  kWorkloadExited,  // run: the command's main process exited
  kCgroupGone,      // check: the cgroup was removed
  kInterrupted,     // SIGINT / SIGTERM
};

struct SessionResult {
  SessionEnd end = SessionEnd::kWindowComplete;
  reconcile::Verdict verdict;
  std::chrono::system_clock::time_point last_transition;
  std::chrono::nanoseconds observed{0};   // first to last reading
  std::chrono::seconds judged_window{0};  // the window the final verdict used
  size_t readings = 0;
  reconcile::EnforcedLimits enforced;  // at the last reading
  std::vector<std::string> notes;
};

struct SessionHooks {
  // Extra descriptor to watch (run: the workload's output pipe), -1 for none, and what to do
  // when it is readable.
  int watch_fd = -1;
  std::function<void()> on_readable;
  // Whether the workload has ended (run: main process exited). Checked on every wake-up.
  std::function<bool()> workload_exited;
  // Every reading as it is taken, with the node's when that was readable (run --record).
  std::function<void(const CgroupReading&, const NodeReading*)> on_reading;
};

// Runs the loop. Errors (a cgroup that cannot be read at all) end it with an Error.
Result<SessionResult> Observe(const SessionConfig& config, collectors::CgroupReader& cgroup,
                              collectors::NodeReader* node, Clock& clock, SignalPipe& signals,
                              LiveLine& live, const SessionHooks& hooks);

// The figures of the live line from the last two readings.
LiveFigures FiguresFrom(const CgroupReading* previous, const CgroupReading& current);

}  // namespace gt::cli
