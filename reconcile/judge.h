// Judge: declared limits + reading series + policy -> the RuntimeCompliant verdict.
// Pure: no I/O, no clock of its own (`now` is a parameter). Incremental: each call advances
// the state over the readings newer than the last call saw, and the state keeps the readings
// its windows still need, so a caller may pass only the readings since the previous call
// (plus the last one it passed, or not), a sliding window, or the whole history, and gets
// the same verdict.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

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

// The rules, in severity order: the first violated is the verdict's reason. A closed set
// (docs/contract.md lists every reason), so per-rule state is a fixed array indexed by rule.
enum class Rule : uint8_t {
  kOOMKilled,
  kMemoryThrashing,
  kMemorySaturated,
  kPidsExhausted,
  kCPUThrottled,
  kIOContention,
  kProcessesBlocked,
  kNetworkDegraded,
  kNodeOvercommitted,
};
inline constexpr size_t kRuleCount = 9;
std::string_view ToString(Rule rule);  // the reason, e.g. "MemoryThrashing"

// The signals rules measure and report; every figure of a violation is one of these.
enum class Signal : uint8_t {
  kNone,
  kSome,         // memory PSI some (IOContention: none; its signal is kFull)
  kFull,         // memory or I/O PSI full
  kCpuSome,      // CPU PSI some
  kRefaults,     // file refaults per second
  kMajorFaults,  // major faults per second
  kWorkingSet,
  kPeriods,  // throttled share of CFS periods
  kDemand,   // CPU demand (usage + throttled) per wall second
  kUsage,    // CPU usage per quota
  kBlocked,  // a thread in D
  kRetransmits,
  kCommit,  // node Committed_AS / CommitLimit
  kPsi,     // node memory PSI some
};
inline constexpr size_t kSignalCount = 14;

// A copyable owning pointer: state is copied between evaluations, and a rule's violation
// details exist only while it is violated (most rules of most containers never are).
template <typename T>
class Boxed {
 public:
  Boxed() = default;
  explicit Boxed(T value) : p_(std::make_unique<T>(std::move(value))) {}
  Boxed(const Boxed& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  Boxed(Boxed&&) noexcept = default;
  Boxed& operator=(const Boxed& o) {
    if (this != &o) p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
    return *this;
  }
  Boxed& operator=(Boxed&&) noexcept = default;
  explicit operator bool() const { return p_ != nullptr; }
  T& operator*() const { return *p_; }
  T* operator->() const { return p_.get(); }
  void reset() { p_.reset(); }

 private:
  std::unique_ptr<T> p_;
};

// A violation in progress: onset, hysteresis and the figures its message reports.
struct Violation {
  MonotonicTime since{0};     // when the violating signal began (start of its onset window)
  MonotonicTime last_hot{0};  // the latest reading at which the signal was past its threshold
  std::optional<MonotonicTime> calm_since;  // start of the current unbroken calm stretch
  Signal signal = Signal::kNone;            // which of the rule's signals fired
  // Every signal the rule measures, summed over the onset windows and hot time, by Signal;
  // den == 0: not measured.
  std::array<Figure, kSignalCount> figures{};
  double peak = 0;      // rule-specific peak (seconds in D, commit ratio)
  uint64_t events = 0;  // counter rises seen (OOM kills, refused forks)
  std::string what;     // rule-specific detail (the blocked thread)
  const Figure& figure(Signal s) const { return figures[static_cast<size_t>(s)]; }
  Figure& figure(Signal s) { return figures[static_cast<size_t>(s)]; }
};

// One rule's bookkeeping for one container instance (or node).
struct RuleTrack {
  MonotonicTime cleared{0};  // end of the previous violation
  Boxed<Violation> violation;
  bool active() const { return static_cast<bool>(violation); }
};

// How near CPUThrottled came over the windows of a generation where it did not fire: the
// largest throttled share of periods; over the windows past the rule's ratio, the largest
// share of time throttled; over those past both, the largest quota use and CPU PSI some.
// For a Compliant message that says why a throttled container is not CPUThrottled.
struct CpuNearMiss {
  double periods = 0;
  std::optional<double> time;
  std::optional<double> usage;
  std::optional<double> stall;
};

// Peaks over the generation, for the recommendation and the Compliant summary.
struct Peaks {
  uint64_t working_set_bytes = 0;
  uint64_t file_bytes = 0;
  double refault_bytes_per_s = 0;
  double memory_psi_some = 0;  // over the thrashing rule's window
  CpuNearMiss cpu_near_miss;
  uint64_t pids = 0;
  std::optional<uint64_t> memory_limit_bytes;  // the limit in force at the latest reading
  std::optional<uint64_t> pids_limit;
  std::optional<double> quota_cores;
};

struct InstanceTrack {
  MonotonicTime processed_until{0};  // the newest reading already folded in
  MonotonicTime covered{0};          // time covered by readings (gaps excluded)
  Peaks peaks;
  std::array<RuleTrack, kRuleCount> rules;  // by Rule
  RuleTrack& rule(Rule r) { return rules[static_cast<size_t>(r)]; }
  // The readings the rules' windows still reach back to (the longest window, plus the
  // stretch of a thread still in D), so a caller need not pass them again. A container's
  // packed (history.h).
  std::string recent;
  bool memory_psi_seen = false;  // any reading had memory PSI: the rules that use it apply
  // Who this replica is (no readings), kept only while one of its rules is violated: what
  // its Legacy names if the replica goes away mid-violation.
  Boxed<ContainerObservation> who;
};

// What a replica that went away (deleted, evicted, its node drained) leaves the generation:
// its unfinished violations. A verdict belongs to the generation, not to a pod, so they
// hold until a new replica of the same container takes them over (and ends them only after
// its own recovery window of calm readings), or until no reading of them is newer than
// observation.max_age.
struct Legacy {
  ContainerObservation who;  // the departed replica (no readings)
  InstanceTrack track;       // its peaks and active violations (no readings)
};

// A node's: only NodeOvercommitted reads node readings.
struct NodeTrack {
  MonotonicTime processed_until{0};
  RuleTrack overcommitted;
  std::string recent;  // packed (history.h)
};

// State carried between evaluations: per container instance ("<pod>/<container>") and per
// node, each with its rules' tracks by reason.
struct JudgeState {
  std::optional<int64_t> generation;
  std::map<std::string, InstanceTrack> instances;
  std::map<std::string, NodeTrack> nodes;
  std::map<std::string, Legacy> legacies;  // by container name
  // Container names some replica has observed for a whole window: a replacement replica
  // inherits the observation, so a new pod does not reset the verdict to Observing. Cleared
  // with the generation, and when the generation has had no reading for max_age (NoData).
  std::set<std::string> proven;
  MonotonicTime last_reading{0};  // the newest reading of any replica of the generation
};

struct Judgement {
  Verdict verdict;
  JudgeState state;
};

// About what a state occupies on the heap (map nodes, keys, packed readings, violations):
// for the controller's benchmark, which must know where its memory goes.
size_t HeapBytes(const JudgeState& state);

// `previous` by value: a caller that keeps the state moves it in.
Judgement Judge(const WorkloadObservation& observation, const Policy& policy, JudgeState previous,
                MonotonicTime now);

}  // namespace gt::reconcile
