// How `run` and `check` (and `gate`) show a verdict: the RuntimeCompliant condition as it
// would be written on the workload, as text for people or one JSON document for machines
// (docs/contract.md "The command line"), plus the live line shown while sampling.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reconcile/limits.h"
#include "reconcile/verdict.h"

namespace gt::cli {

enum class OutputFormat { kText, kTable, kJson };

// A verdict with what it is about, ready to print.
struct Report {
  reconcile::Verdict verdict;
  std::chrono::system_clock::time_point last_transition;
  std::string kind;  // Deployment, ..., or "cgroup" for `check` without a manifest kind
  std::string name;
  std::string namespace_name;
  std::string container;
  std::string cgroup;  // the cgroup judged, relative to the hierarchy root
  std::chrono::nanoseconds observed{0};
  std::chrono::nanoseconds window{0};
  size_t readings = 0;
  // The container's limits as declared (none when nothing declares them: `check` without a
  // manifest) and as the kernel enforced them at the last reading.
  std::optional<reconcile::DeclaredLimits> declared;
  reconcile::EnforcedLimits enforced;
  std::vector<std::string> notes;
};

// RFC 3339, UTC, second precision, as metav1.Time serialises.
std::string FormatKubeTime(std::chrono::system_clock::time_point t);

// The `condition` object: type, status, reason, message, lastTransitionTime, evidence,
// recommendation (the selected container's, or null).
nlohmann::ordered_json ConditionJson(const reconcile::Verdict& verdict,
                                     std::chrono::system_clock::time_point last_transition,
                                     std::string_view container);

// One JSON document: {"version": ..., "revision": ..., "condition": ..., "workload": {...},
// "limits": {...}, "observation": {...}, "notes": [...]}.
std::string RenderJson(const Report& report);

// For people: a headline, the condition block as `kubectl get -o yaml` would show it
// under status.conditions, then evidence, recommendation and notes.
std::string RenderText(const Report& report);

// For a terminal or a script that reads columns: a header and one row, as `gate -o table`
// (KIND NAMESPACE NAME CONTAINER STATUS REASON OBSERVED MESSAGE).
std::string RenderTable(const Report& report);

// Key figures of the latest interval, for the live line.
struct LiveFigures {
  std::string container;
  uint64_t working_set_bytes = 0;
  std::optional<uint64_t> memory_limit_bytes;
  std::optional<double> memory_psi_some;  // avg10, percent
  std::optional<double> memory_psi_full;
  std::optional<double> cpu_throttled;  // share of CFS periods throttled in the interval, 0..1
  std::optional<double> cpu_cores;      // usage in the interval
  uint64_t oom_kills = 0;
  std::chrono::nanoseconds elapsed{0};
  std::chrono::nanoseconds window{0};
  std::string status;  // verdict so far, e.g. "Unknown/Observing"
};

// One line, no newline, fitting `columns` (0: no limit).
std::string RenderLiveLine(const LiveFigures& figures, size_t columns);

// Redraws a single status line on a terminal: "\r" + clear-to-end, never a newline until
// Clear(). Inactive (prints nothing) unless enabled.
class LiveLine {
 public:
  LiveLine(int fd, bool enabled) : fd_(fd), enabled_(enabled) {}
  ~LiveLine() { Clear(); }
  bool enabled() const { return enabled_; }
  void Show(const LiveFigures& figures);
  // Removes the line (before other output goes to the same terminal).
  void Clear();
  // Clear, write text, redraw the last line.
  void Interleave(std::string_view text);

 private:
  int fd_;
  bool enabled_;
  bool shown_ = false;
  bool mid_line_ = false;  // the workload's last output did not end its line
  std::string last_;
};

}  // namespace gt::cli
