#include "reconcile/judge.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>
#include <vector>

#include "reconcile/history.h"
#include "reconcile/limits.h"
#include "reconcile/series.h"

namespace gt::reconcile {
namespace {

using namespace series;  // NOLINT: the window arithmetic this file is built on

using std::chrono::nanoseconds;

// Refault counters count pages; every Linux architecture Kubernetes runs on uses 4 KiB
// pages for the page cache accounting these counters come from.
constexpr double kPageBytes = 4096;

// A thrashing message mentions CPU starvation from this CPU PSI some share on: reclaim that
// waits for a CPU counts as memory stall too (docs/rules.md, "CPU starvation inflates memory
// stall"). Context for the reader, not a rule threshold.
constexpr double kCpuStarvedNote = 0.25;

using CStep = Step<CgroupReading>;
using NStep = Step<NodeReading>;

// The limit the kernel enforces, never the declared one: a workload lives under what its
// cgroup says, whatever Git says (a difference is drift, told beside the verdict).
std::optional<uint64_t> MemoryLimit(const CgroupReading& r) { return r.memory.limit_bytes; }

std::optional<double> QuotaCores(const CgroupReading& r) {
  if (!r.cpu.quota_us || r.cpu.period_us == 0) return std::nullopt;
  return static_cast<double>(*r.cpu.quota_us) / static_cast<double>(r.cpu.period_us);
}

// What one rule sees at the end of one interval.
struct Tick {
  bool onset = false;  // the sustained condition holds for the windows ending here
  MonotonicTime onset_since{0};
  Signal signal = Signal::kNone;
  std::vector<std::pair<Signal, Ratio>> onset_figures;  // over the onset windows
  std::optional<bool> hot;  // this interval past the threshold; empty: not known (gap, reset)
  std::vector<std::pair<Signal, Ratio>> figures;  // this interval, by signal
  double peak = 0;
  uint64_t events = 0;        // counter rises in this interval
  uint64_t onset_events = 0;  // counter rises over the onset windows
  std::string what;
  // CPUThrottled only: its figures over the window ending here, as far as it weighed them
  // (time only past the periods ratio, usage and stall only past both), for peaks.
  std::optional<double> window_periods, window_time, window_usage, window_stall;
};

// Records what `measure` says over [from, to] as an onset figure named `name`.
template <typename R, typename Measure>
void OnsetFigure(Tick& k, Signal name, const std::vector<Step<R>>& steps, MonotonicTime from,
                 MonotonicTime to, Measure measure) {
  if (std::optional<Ratio> r = Sum(steps, from, to, measure))
    k.onset_figures.emplace_back(name, *r);
}

// Records what `measure` says about one interval as a figure named `name`.
template <typename R, typename Measure>
void IntervalFigure(Tick& k, Signal name, const Step<R>& step, Measure measure) {
  if (std::optional<Ratio> r = measure(step)) k.figures.emplace_back(name, *r);
}

void Apply(RuleTrack& t, const Tick& k, MonotonicTime start, MonotonicTime end, Seconds recovery) {
  if (!t.violation) {
    if (k.onset && k.onset_since >= t.cleared) {
      Violation fresh;
      fresh.since = k.onset_since;
      fresh.last_hot = end;
      fresh.signal = k.signal;
      for (const auto& [signal, figure] : k.onset_figures) fresh.figure(signal) = figure;
      fresh.peak = k.peak;
      fresh.events = k.onset_events;
      fresh.what = k.what;
      t.violation = Boxed<Violation>(std::move(fresh));
    }
    return;
  }
  Violation& v = *t.violation;
  if (!k.hot) {
    v.calm_since.reset();  // unknown time is neither violation nor recovery
    return;
  }
  if (*k.hot) {
    v.last_hot = end;
    v.calm_since.reset();
    for (const auto& [signal, figure] : k.figures) {
      v.figure(signal).num += figure.num;
      v.figure(signal).den += figure.den;
    }
    v.peak = std::max(v.peak, k.peak);
    v.events += k.events;
    if (!k.what.empty()) v.what = k.what;
    return;
  }
  v.events += k.events;
  if (!v.calm_since) v.calm_since = start;
  if (end - *v.calm_since >= recovery) {
    t.violation.reset();  // its details are never read again: a new onset starts afresh
    t.cleared = end;
  }
}

struct Instance {
  const ContainerObservation* obs = nullptr;
  const CgroupReading* newest = nullptr;  // the newest reading of this generation up to now
  std::string key;
  std::vector<CgroupReading> readings;  // the state's recent readings, then the observation's
  std::vector<CStep> steps;             // over `readings`
  bool has_memory_psi = false;
};

// "Any rise" rules: a rise is the onset, and every interval without one is calm.
Tick CounterRule(const CStep& s, uint64_t before, uint64_t after) {
  Tick k;
  std::optional<uint64_t> d = Rise(before, after);
  if (!d) return k;  // a reset: the new value is the new baseline, not a rise
  k.hot = *d > 0;
  k.onset = *d > 0;
  k.onset_since = s.end;
  k.events = *d;
  k.onset_events = *d;
  return k;
}

Tick OomKilledTick(const CStep& s) {
  return CounterRule(s, s.prev->memory.events_oom_kill, s.cur->memory.events_oom_kill);
}

Tick PidsExhaustedTick(const CStep& s) {
  Tick k = CounterRule(s, s.prev->pids.events_max, s.cur->pids.events_max);
  k.peak = static_cast<double>(std::max(s.prev->pids.current, s.cur->pids.current));
  return k;
}

Tick MemoryThrashingTick(const Instance& in, size_t i, const Policy::MemoryThrashing& p) {
  const CStep& s = in.steps[i];
  Tick k;
  if (s.gap) return k;
  const Seconds span = p.window * std::max(1, p.windows);
  if (in.has_memory_psi) {
    auto some = [](const CStep& x) {
      return PsiShare(x.prev->memory.pressure, x.cur->memory.pressure, false, x.micros());
    };
    auto full = [](const CStep& x) {
      return PsiShare(x.prev->memory.pressure, x.cur->memory.pressure, true, x.micros());
    };
    auto cpu_some = [](const CStep& x) {
      return PsiShare(x.prev->cpu.pressure, x.cur->cpu.pressure, false, x.micros());
    };
    std::optional<Ratio> some_now = some(s);
    std::optional<Ratio> full_now = full(s);
    if (some_now) {
      k.hot = some_now->value() >= p.psi_some || (full_now && full_now->value() >= p.psi_full);
    }
    IntervalFigure(k, Signal::kSome, s, some);
    IntervalFigure(k, Signal::kFull, s, full);
    IntervalFigure(k, Signal::kCpuSome, s, cpu_some);
    bool every = true;
    for (int w = 0; w < std::max(1, p.windows) && every; ++w) {
      std::optional<Ratio> r =
          Sum(in.steps, s.end - p.window * (w + 1), s.end - p.window * w, some);
      every = r && r->value() >= p.psi_some;
    }
    if (every) {
      k.onset = true;
      k.onset_since = s.end - span;
      k.signal = Signal::kSome;
    } else if (std::optional<Ratio> f = Sum(in.steps, s.end - p.full_window, s.end, full);
               f && f->value() >= p.psi_full) {
      k.onset = true;
      k.onset_since = s.end - p.full_window;
      k.signal = Signal::kFull;
    }
    if (k.onset) {
      OnsetFigure(k, Signal::kSome, in.steps, k.onset_since, s.end, some);
      OnsetFigure(k, Signal::kFull, in.steps, k.onset_since, s.end, full);
      OnsetFigure(k, Signal::kCpuSome, in.steps, k.onset_since, s.end, cpu_some);
    }
    return k;
  }
  // No PSI for this cgroup: reclaim evidence while the working set presses on the limit.
  // Refaults alone are not enough: a streaming reader refaults millions of pages healthily.
  const std::optional<uint64_t> limit = MemoryLimit(*s.cur);
  if (!limit || *limit == 0) {
    k.hot = false;
    return k;
  }
  const double cap = p.working_set_ratio * static_cast<double>(*limit);
  auto pressing = [&](const CgroupReading& r) {
    return static_cast<double>(r.memory.working_set_bytes()) >= cap;
  };
  auto refaults = [](const CStep& x) -> std::optional<Ratio> {
    std::optional<uint64_t> d =
        Rise(x.prev->memory.workingset_refault_file, x.cur->memory.workingset_refault_file);
    if (!d) return std::nullopt;
    return Ratio{static_cast<double>(*d), x.seconds()};
  };
  auto majfaults = [](const CStep& x) -> std::optional<Ratio> {
    std::optional<uint64_t> d = Rise(x.prev->memory.pgmajfault, x.cur->memory.pgmajfault);
    if (!d) return std::nullopt;
    return Ratio{static_cast<double>(*d), x.seconds()};
  };
  std::optional<Ratio> rf = refaults(s);
  std::optional<Ratio> mf = majfaults(s);
  if (rf && mf) {
    k.hot = pressing(*s.prev) && pressing(*s.cur) &&
            (rf->value() >= p.refault_rate || mf->value() >= p.major_fault_rate);
  }
  IntervalFigure(k, Signal::kRefaults, s, refaults);
  IntervalFigure(k, Signal::kMajorFaults, s, majfaults);
  bool every = true;
  for (int w = 0; w < std::max(1, p.windows) && every; ++w) {
    const MonotonicTime from = s.end - p.window * (w + 1);
    const MonotonicTime to = s.end - p.window * w;
    std::optional<Ratio> r = Sum(in.steps, from, to, refaults);
    std::optional<Ratio> m = Sum(in.steps, from, to, majfaults);
    every = r && m && (r->value() >= p.refault_rate || m->value() >= p.major_fault_rate) &&
            HoldsAtEveryReading(in.steps, from, to, pressing);
  }
  if (every) {
    k.onset = true;
    k.onset_since = s.end - span;
    k.signal = Signal::kRefaults;
    OnsetFigure(k, Signal::kRefaults, in.steps, k.onset_since, s.end, refaults);
    OnsetFigure(k, Signal::kMajorFaults, in.steps, k.onset_since, s.end, majfaults);
  }
  return k;
}

Tick MemorySaturatedTick(const Instance& in, size_t i, const Policy::MemorySaturated& p) {
  const CStep& s = in.steps[i];
  Tick k;
  if (s.gap) return k;
  const std::optional<uint64_t> limit = MemoryLimit(*s.cur);
  if (!limit || *limit == 0) {
    k.hot = false;
    return k;
  }
  const double cap = p.working_set_ratio * static_cast<double>(*limit);
  auto pressing = [&](const CgroupReading& r) {
    return static_cast<double>(r.memory.working_set_bytes()) >= cap;
  };
  auto limit_hits = [](const CStep& x) -> std::optional<Ratio> {
    std::optional<uint64_t> d = Rise(x.prev->memory.events_max, x.cur->memory.events_max);
    if (!d) return std::nullopt;
    return Ratio{static_cast<double>(*d), 0};
  };
  k.hot = pressing(*s.cur);
  k.peak = static_cast<double>(s.cur->memory.working_set_bytes());
  k.events = Rise(s.prev->memory.events_max, s.cur->memory.events_max).value_or(0);
  const MonotonicTime from = s.end - p.window;
  std::optional<Ratio> hits = Sum(in.steps, from, s.end, limit_hits);
  if (hits && hits->num > 0 && HoldsAtEveryReading(in.steps, from, s.end, pressing)) {
    k.onset = true;
    k.onset_since = from;
    k.signal = Signal::kWorkingSet;
    k.onset_events = ToCount(std::round(hits->num));
  }
  return k;
}

Tick CpuThrottledTick(const Instance& in, size_t i, const Policy::CpuThrottled& p) {
  const CStep& s = in.steps[i];
  Tick k;
  if (s.gap) return k;
  const std::optional<double> cores = QuotaCores(*s.cur);
  if (!cores) {
    k.hot = false;  // no quota: CFS cannot throttle
    return k;
  }
  auto throttled = [](const CStep& x) -> std::optional<Ratio> {
    std::optional<uint64_t> t = Rise(x.prev->cpu.nr_throttled, x.cur->cpu.nr_throttled);
    std::optional<uint64_t> n = Rise(x.prev->cpu.nr_periods, x.cur->cpu.nr_periods);
    if (!t || !n) return std::nullopt;
    return Ratio{static_cast<double>(*t), static_cast<double>(*n)};
  };
  // Demand: what ran plus what was held back, per wall second. throttled_usec adds up the
  // time each of the cgroup's runqueues spent throttled; CPU PSI some is the time some task
  // of the cgroup was runnable and not running, throttled or waiting behind neighbours. On
  // a saturated node a throttled task also waits its turn, so throttled_usec alone misses
  // what it would run on an idle one (one busy thread under 200m beside two neighbours on 2
  // cores, measured here: usage 200m, throttled 713m, PSI some 802m; idle demand 1000m).
  // The larger of the two is held back: PSI some counts one waiting task at a time and
  // throttled_usec every runqueue, so neither overcounts, and the sum is a lower bound.
  auto demand = [](const CStep& x) -> std::optional<Ratio> {
    std::optional<uint64_t> u = Rise(x.prev->cpu.usage_us, x.cur->cpu.usage_us);
    std::optional<uint64_t> t = Rise(x.prev->cpu.throttled_us, x.cur->cpu.throttled_us);
    if (!u || !t) return std::nullopt;
    double held = static_cast<double>(*t);
    if (std::optional<Ratio> waited =
            PsiShare(x.prev->cpu.pressure, x.cur->cpu.pressure, false, x.micros())) {
      held = std::max(held, waited->num);
    }
    return Ratio{static_cast<double>(*u) + held, x.micros()};
  };
  auto usage = [&](const CStep& x) -> std::optional<Ratio> {
    std::optional<uint64_t> u = Rise(x.prev->cpu.usage_us, x.cur->cpu.usage_us);
    if (!u) return std::nullopt;
    return Ratio{static_cast<double>(*u), x.micros() * *cores};
  };
  auto psi = [](const CStep& x) {
    return PsiShare(x.prev->cpu.pressure, x.cur->cpu.pressure, false, x.micros());
  };
  auto throttled_time = [](const CStep& x) -> std::optional<Ratio> {
    std::optional<uint64_t> t = Rise(x.prev->cpu.throttled_us, x.cur->cpu.throttled_us);
    if (!t) return std::nullopt;
    return Ratio{static_cast<double>(*t), x.micros()};
  };
  std::optional<Ratio> now = throttled(s);
  if (now) {
    k.hot = now->value() > p.ratio;
    k.figures.emplace_back(Signal::kPeriods, *now);
    IntervalFigure(k, Signal::kDemand, s, demand);
    IntervalFigure(k, Signal::kCpuSome, s, psi);
    IntervalFigure(k, Signal::kUsage, s, usage);
  }
  const MonotonicTime from = s.end - p.window;
  std::optional<Ratio> share = Sum(in.steps, from, s.end, throttled);
  if (share) k.window_periods = share->value();
  if (!share || share->value() <= p.ratio) return k;
  // Throttled periods alone are the mixin's noisy alert: a burst throttled for 2 ms of a
  // 100 ms period counts as much as a period lost whole. The throttling must cost wall time,
  // and the container must either use its quota or stall on CPU well past what node
  // contention alone causes (a never-throttled container on a saturated node: 24-29%).
  std::optional<Ratio> held = Sum(in.steps, from, s.end, throttled_time);
  if (held) k.window_time = held->value();
  if (!held || held->value() < p.throttled_time) return k;
  std::optional<Ratio> stall = Sum(in.steps, from, s.end, psi);
  std::optional<Ratio> used = Sum(in.steps, from, s.end, usage);
  k.window_usage = used ? std::optional<double>(used->value()) : std::nullopt;
  k.window_stall = stall ? std::optional<double>(stall->value()) : std::nullopt;
  const bool qualified =
      (stall && stall->value() >= p.psi_some) || (used && used->value() >= p.usage_ratio);
  if (!qualified) return k;
  k.onset = true;
  k.onset_since = from;
  k.signal = Signal::kPeriods;
  k.onset_figures.emplace_back(Signal::kPeriods, *share);
  OnsetFigure(k, Signal::kDemand, in.steps, from, s.end, demand);
  OnsetFigure(k, Signal::kCpuSome, in.steps, from, s.end, psi);
  OnsetFigure(k, Signal::kUsage, in.steps, from, s.end, usage);
  return k;
}

Tick IoContentionTick(const Instance& in, size_t i, const Policy::IoContention& p) {
  const CStep& s = in.steps[i];
  Tick k;
  if (s.gap) return k;
  auto full = [](const CStep& x) {
    return PsiShare(x.prev->io.pressure, x.cur->io.pressure, true, x.micros());
  };
  if (std::optional<Ratio> now = full(s)) {
    k.hot = now->value() >= p.psi_full;
    k.figures.emplace_back(Signal::kFull, *now);
  }
  std::optional<Ratio> r = Sum(in.steps, s.end - p.window, s.end, full);
  if (r && r->value() >= p.psi_full) {
    k.onset = true;
    k.onset_since = s.end - p.window;
    k.signal = Signal::kFull;
    k.onset_figures.emplace_back(Signal::kFull, *r);
  }
  return k;
}

bool Contains(const std::vector<BlockedThread>& threads, const BlockedThread& t) {
  return std::any_of(threads.begin(), threads.end(), [&](const BlockedThread& o) {
    return o.pid == t.pid && o.tid == t.tid && o.start_time_ticks == t.start_time_ticks;
  });
}

Tick ProcessesBlockedTick(const Instance& in, size_t i, const Policy::ProcessesBlocked& p) {
  const CStep& s = in.steps[i];
  Tick k;
  nanoseconds longest{0};
  const BlockedThread* who = nullptr;
  for (const BlockedThread& t : s.cur->blocked) {
    // The same thread (pid, tid and start time: a reused tid is another thread) in every
    // reading back to where its stretch began.
    MonotonicTime first = s.cur->time;
    for (size_t j = i + 1; j-- > 0;) {
      const CStep& back = in.steps[j];
      if (back.gap || !Contains(back.prev->blocked, t)) break;
      first = back.prev->time;
    }
    if (s.cur->time - first > longest || who == nullptr) {
      longest = s.cur->time - first;
      who = &t;
    }
  }
  k.hot = longest >= p.window;
  k.peak = Secs(longest);
  if (who != nullptr) {
    k.what = "thread " + std::to_string(who->tid) + " (" + who->comm + ")";
  }
  if (longest >= p.window) {
    k.onset = true;
    k.onset_since = s.end - longest;
    k.signal = Signal::kBlocked;
  }
  return k;
}

Tick NetworkDegradedTick(const Instance& in, size_t i, const Policy::NetworkDegraded& p) {
  const CStep& s = in.steps[i];
  Tick k;
  // A hostNetwork pod's namespace is the node's: its counters are every workload's traffic.
  // The agent leaves them out too; this holds for readings that carry them anyway.
  if (s.gap || in.obs->host_network) return k;
  auto retrans = [](const CStep& x) -> std::optional<Ratio> {
    if (!x.prev->net || !x.cur->net) return std::nullopt;
    std::optional<uint64_t> r = Rise(x.prev->net->tcp_retrans_segs, x.cur->net->tcp_retrans_segs);
    std::optional<uint64_t> o = Rise(x.prev->net->tcp_out_segs, x.cur->net->tcp_out_segs);
    if (!r || !o) return std::nullopt;
    return Ratio{static_cast<double>(*r), static_cast<double>(*o)};
  };
  if (std::optional<Ratio> now = retrans(s)) {
    k.hot = now->den > 0 && now->value() > p.ratio;
    k.figures.emplace_back(Signal::kRetransmits, *now);
  }
  std::optional<Ratio> r = Sum(in.steps, s.end - p.window, s.end, retrans);
  if (r && r->den >= static_cast<double>(p.min_segments) && r->value() > p.ratio) {
    k.onset = true;
    k.onset_since = s.end - p.window;
    k.signal = Signal::kRetransmits;
    k.onset_figures.emplace_back(Signal::kRetransmits, *r);
  }
  return k;
}

Tick NodeOvercommittedTick(const std::vector<NStep>& steps, size_t i,
                           const Policy::NodeOvercommitted& p) {
  const NStep& s = steps[i];
  Tick k;
  if (s.gap) return k;
  auto committed = [&](const NodeReading& r) {
    return r.commit_limit_bytes > 0 &&
           static_cast<double>(r.committed_as_bytes) >
               p.commit_ratio * static_cast<double>(r.commit_limit_bytes);
  };
  auto psi = [](const NStep& x) {
    return PsiShare(x.prev->memory_pressure, x.cur->memory_pressure, false, x.micros());
  };
  std::optional<Ratio> psi_now = psi(s);
  k.hot = committed(*s.cur) || (psi_now && psi_now->value() >= p.psi_some);
  if (psi_now) k.figures.emplace_back(Signal::kPsi, *psi_now);
  if (committed(*s.cur)) {
    k.what = "Committed_AS " + FormatBytes(s.cur->committed_as_bytes) + " > CommitLimit " +
             FormatBytes(s.cur->commit_limit_bytes);
  }
  const MonotonicTime from = s.end - p.window;
  if (HoldsAtEveryReading(steps, from, s.end, committed)) {
    k.onset = true;
    k.onset_since = from;
    k.signal = Signal::kCommit;
    return k;
  }
  std::optional<Ratio> r = Sum(steps, from, s.end, psi);
  if (r && r->value() >= p.psi_some) {
    k.onset = true;
    k.onset_since = from;
    k.signal = Signal::kPsi;
    k.onset_figures.emplace_back(Signal::kPsi, *r);
  }
  return k;
}

// A CPUThrottled window that did not fire joins the near miss a Compliant message explains.
void FoldCpuNearMiss(Peaks& peaks, const Tick& k) {
  if (k.onset || !k.window_periods) return;
  CpuNearMiss& m = peaks.cpu_near_miss;
  m.periods = std::max(m.periods, *k.window_periods);
  auto fold = [](std::optional<double>& slot, std::optional<double> v) {
    if (v) slot = std::max(slot.value_or(0), *v);
  };
  fold(m.time, k.window_time);
  fold(m.usage, k.window_usage);
  fold(m.stall, k.window_stall);
}

void UpdatePeaks(Peaks& peaks, const Instance& in, size_t i, const Policy& policy) {
  const CStep& s = in.steps[i];
  for (const CgroupReading* r : {s.prev, s.cur}) {
    peaks.working_set_bytes = std::max(peaks.working_set_bytes, r->memory.working_set_bytes());
    peaks.file_bytes = std::max(peaks.file_bytes, r->memory.file_bytes);
    peaks.pids = std::max(peaks.pids, r->pids.current);
  }
  peaks.memory_limit_bytes = MemoryLimit(*s.cur);
  peaks.pids_limit = s.cur->pids.limit ? s.cur->pids.limit : in.obs->declared.pids_limit;
  peaks.quota_cores = QuotaCores(*s.cur);
  if (s.gap) return;
  if (std::optional<uint64_t> d =
          Rise(s.prev->memory.workingset_refault_file, s.cur->memory.workingset_refault_file)) {
    peaks.refault_bytes_per_s =
        std::max(peaks.refault_bytes_per_s, static_cast<double>(*d) * kPageBytes / s.seconds());
  }
  std::optional<Ratio> psi =
      Sum(in.steps, s.end - policy.memory_thrashing.window, s.end, [](const CStep& x) {
        return PsiShare(x.prev->memory.pressure, x.cur->memory.pressure, false, x.micros());
      });
  if (psi) peaks.memory_psi_some = std::max(peaks.memory_psi_some, psi->value());
}

void AdvanceInstance(InstanceTrack& track, const Instance& in, const Policy& p) {
  // A rule switched off (an annotation changed) takes its violation with it.
  const std::pair<Rule, bool> switches[] = {
      {Rule::kOOMKilled, p.oom_killed.enabled},
      {Rule::kMemoryThrashing, p.memory_thrashing.enabled},
      {Rule::kMemorySaturated, p.memory_saturated.enabled},
      {Rule::kPidsExhausted, p.pids_exhausted.enabled},
      {Rule::kCPUThrottled, p.cpu_throttled.enabled},
      {Rule::kIOContention, p.io_contention.enabled},
      {Rule::kProcessesBlocked, p.processes_blocked.enabled},
      {Rule::kNetworkDegraded, p.network_degraded.enabled},
  };
  for (const auto& [rule, enabled] : switches) {
    if (!enabled) track.rule(rule) = RuleTrack{};
  }
  for (size_t i = 0; i < in.steps.size(); ++i) {
    const CStep& s = in.steps[i];
    if (s.end <= track.processed_until) continue;
    if (!s.gap) track.covered += s.end - s.start;
    UpdatePeaks(track.peaks, in, i, p);
    auto apply = [&](Rule rule, const Tick& k, Seconds recovery) {
      Apply(track.rule(rule), k, s.start, s.end, recovery);
    };
    if (p.oom_killed.enabled) {
      apply(Rule::kOOMKilled, s.gap ? Tick{} : OomKilledTick(s), p.oom_killed.recovery);
    }
    if (p.memory_thrashing.enabled) {
      apply(Rule::kMemoryThrashing, MemoryThrashingTick(in, i, p.memory_thrashing),
            RecoveryOf(p.memory_thrashing));
    }
    if (p.memory_saturated.enabled) {
      apply(Rule::kMemorySaturated, MemorySaturatedTick(in, i, p.memory_saturated),
            RecoveryOf(p.memory_saturated));
    }
    if (p.pids_exhausted.enabled) {
      apply(Rule::kPidsExhausted, s.gap ? Tick{} : PidsExhaustedTick(s), p.pids_exhausted.recovery);
    }
    if (p.cpu_throttled.enabled) {
      const Tick k = CpuThrottledTick(in, i, p.cpu_throttled);
      FoldCpuNearMiss(track.peaks, k);
      apply(Rule::kCPUThrottled, k, RecoveryOf(p.cpu_throttled));
    }
    if (p.io_contention.enabled) {
      apply(Rule::kIOContention, IoContentionTick(in, i, p.io_contention),
            RecoveryOf(p.io_contention));
    }
    if (p.processes_blocked.enabled) {
      apply(Rule::kProcessesBlocked, ProcessesBlockedTick(in, i, p.processes_blocked),
            RecoveryOf(p.processes_blocked));
    }
    if (p.network_degraded.enabled) {
      apply(Rule::kNetworkDegraded, NetworkDegradedTick(in, i, p.network_degraded),
            RecoveryOf(p.network_degraded));
    }
    track.processed_until = s.end;
  }
  // A lone first reading still tells the limits and the gauges.
  if (in.steps.empty() && in.newest != nullptr) {
    const CgroupReading& r = *in.newest;
    track.peaks.working_set_bytes =
        std::max(track.peaks.working_set_bytes, r.memory.working_set_bytes());
    track.peaks.memory_limit_bytes = MemoryLimit(r);
    track.peaks.quota_cores = QuotaCores(r);
  }
}

void AdvanceNode(NodeTrack& track, const std::vector<NStep>& steps, const Policy& p) {
  if (!p.node_overcommitted.enabled) track.overcommitted = RuleTrack{};
  for (size_t i = 0; i < steps.size(); ++i) {
    const NStep& s = steps[i];
    if (s.end <= track.processed_until) continue;
    if (p.node_overcommitted.enabled) {
      Apply(track.overcommitted, NodeOvercommittedTick(steps, i, p.node_overcommitted), s.start,
            s.end, RecoveryOf(p.node_overcommitted));
    }
    track.processed_until = s.end;
  }
}

// How far back the rules' windows reach from the newest reading.
Seconds Lookback(const Policy& p) {
  return std::max({p.memory_thrashing.window * std::max(1, p.memory_thrashing.windows),
                   p.memory_thrashing.full_window, p.memory_saturated.window,
                   p.cpu_throttled.window, p.io_contention.window, p.network_degraded.window});
}

// The accepted readings (those BuildSteps made steps of) from the one at or before `cutoff`
// on: the interval straddling a window's start is apportioned, so it must stay.
template <typename R>
std::vector<const R*> FromCutoff(const std::vector<Step<R>>& steps, MonotonicTime cutoff) {
  std::vector<const R*> chain;
  size_t first = 0;
  for (size_t k = 0; k < steps.size(); ++k) {
    if (steps[k].start <= cutoff) first = k;
  }
  if (steps.empty()) return chain;
  chain.push_back(steps[first].prev);
  for (size_t k = first; k < steps.size(); ++k) chain.push_back(steps[k].cur);
  return chain;
}

// The one accepted reading when there is no step yet.
template <typename R>
const R* LoneReading(const std::vector<R>& readings, MonotonicTime from, MonotonicTime now) {
  const R* lone = nullptr;
  for (const R& r : readings) {
    if (r.time < from || r.time > now) continue;
    if (lone != nullptr && r.time <= lone->time) continue;
    lone = &r;
  }
  return lone;
}

// What the next evaluation's windows can reach: the longest window back from the newest
// reading, and further back while a thread of the newest reading has been in D (its
// stretch is measured back to where it began).
std::vector<const CgroupReading*> Retained(const Instance& in, MonotonicTime from,
                                           MonotonicTime now, const Policy& p) {
  if (in.steps.empty()) {
    const CgroupReading* lone = LoneReading(in.readings, from, now);
    if (lone == nullptr) return {};
    return {lone};
  }
  MonotonicTime cutoff = in.steps.back().end - Lookback(p);
  for (const BlockedThread& t : in.steps.back().cur->blocked) {
    for (size_t j = in.steps.size(); j-- > 0;) {
      const CStep& back = in.steps[j];
      if (back.gap || !Contains(back.prev->blocked, t)) break;
      cutoff = std::min(cutoff, back.prev->time);
    }
  }
  return FromCutoff(in.steps, cutoff);
}

std::vector<const NodeReading*> RetainedNode(const std::vector<NodeReading>& all,
                                             const std::vector<NStep>& steps, MonotonicTime from,
                                             MonotonicTime now, const Policy& p) {
  if (steps.empty()) {
    const NodeReading* lone = LoneReading(all, from, now);
    if (lone == nullptr) return {};
    return {lone};
  }
  return FromCutoff(steps, steps.back().end - Seconds(p.node_overcommitted.window));
}

std::string Where(const ContainerObservation& c) {
  std::string out = "container " + c.container;
  if (!c.pod.empty()) {
    out += " (pod " + c.pod;
    if (!c.node.empty()) out += " on " + c.node;
    out += ")";
  } else if (!c.node.empty()) {
    out += " (on " + c.node + ")";
  }
  return out;
}

std::string Past(double value, double threshold) { return value > threshold ? " > " : " >= "; }

// Where no memory limit is enforced: whether one was declared (drift) or not.
std::string NoMemoryLimit(const ContainerObservation* c) {
  if (c != nullptr && c->limits_declared && c->declared.memory_limit_bytes) {
    return "no memory limit enforced";
  }
  return c != nullptr && c->limits_declared ? "no memory limit declared" : "no memory limit";
}

std::string WorkingSetAgainstLimit(const Peaks& peaks, const ContainerObservation* c) {
  std::string out = "working set " + FormatBytes(peaks.working_set_bytes);
  if (peaks.memory_limit_bytes)
    return out + " of " + FormatBytes(*peaks.memory_limit_bytes) + " limit";
  return out + ", " + NoMemoryLimit(c);
}

struct Finding {
  Rule rule_id = Rule::kOOMKilled;
  std::string reason;
  const ContainerObservation* container = nullptr;  // null for a node finding
  std::string node;
  const InstanceTrack* track = nullptr;  // null for a node finding
  const RuleTrack* rule = nullptr;
};

// The sentence for one violation, without the "container ... :" prefix, and its evidence.
Evidence Describe(const Finding& f, const Policy& p) {
  const Violation& t = *f.rule->violation;
  Evidence e;
  e.reason = f.reason;
  if (f.container != nullptr) {
    e.container = f.container->container;
    e.pod = f.container->pod;
    e.node = f.container->node;
  } else {
    e.node = f.node;
  }
  e.sustained = WholeSeconds(t.last_hot - t.since);
  const std::string held = " for " + FormatDuration(e.sustained);
  auto figure = [&](Signal name) -> std::optional<double> {
    const Figure& it = t.figure(name);
    if (it.den <= 0) return std::nullopt;
    return it.value();
  };
  const double v = figure(t.signal).value_or(0);
  const Peaks* peaks = f.track != nullptr ? &f.track->peaks : nullptr;
  std::string& d = e.detail;
  if (f.reason == reason::kOOMKilled) {
    e.signal = "OOM kills";
    e.value = static_cast<double>(t.events);
    e.threshold = 0;
    d = "OOM-killed " + std::to_string(t.events) + (t.events == 1 ? " time" : " times");
    if (peaks->memory_limit_bytes) {
      d += " at memory limit " + FormatBytes(*peaks->memory_limit_bytes);
    } else {
      d += ", " + NoMemoryLimit(f.container);
    }
  } else if (f.reason == reason::kMemoryThrashing) {
    const auto& r = p.memory_thrashing;
    if (t.signal == Signal::kRefaults) {
      e.signal = "file refaults per second";
      e.value = v;
      e.threshold = r.refault_rate;
      d = "file refaults " + std::to_string(ToCount(std::round(v))) +
          "/s with working set >= " + FormatPercent(r.working_set_ratio) + " of limit" + held +
          " (no memory PSI)";
    } else {
      // Report the signal that tripped while its average still holds; PSI some otherwise,
      // which is always at least the full share and past its own threshold while hot.
      bool full = t.signal == Signal::kFull;
      if (full && figure(Signal::kFull).value_or(0) < r.psi_full) full = false;
      const double x = figure(full ? Signal::kFull : Signal::kSome).value_or(0);
      const double threshold = full ? r.psi_full : r.psi_some;
      e.signal = full ? "memory PSI full" : "memory PSI some";
      e.value = x * 100;
      e.threshold = threshold * 100;
      d = e.signal + " " + FormatPercent(x) + Past(x, threshold) + FormatPercent(threshold) + held;
      // A task waiting for CPU inside reclaim counts as stalled on memory too: say so when
      // the container was CPU-starved at the same time.
      if (std::optional<double> cpu = figure(Signal::kCpuSome); cpu && *cpu >= kCpuStarvedNote) {
        d += " while CPU PSI some was " + FormatPercent(*cpu);
      }
    }
    d += "; " + WorkingSetAgainstLimit(*peaks, f.container);
  } else if (f.reason == reason::kMemorySaturated) {
    const auto& r = p.memory_saturated;
    e.signal = "working set / limit";
    const double limit = static_cast<double>(peaks->memory_limit_bytes.value_or(0));
    e.value = limit > 0 ? t.peak / limit * 100 : 0;
    e.threshold = r.working_set_ratio * 100;
    d = "working set " + FormatBytes(ToCount(t.peak)) +
        " >= " + FormatPercent(r.working_set_ratio) + " of " +
        FormatBytes(peaks->memory_limit_bytes.value_or(0)) + " limit" + held + " with " +
        std::to_string(t.events) + " limit hits";
  } else if (f.reason == reason::kCPUThrottled) {
    const auto& r = p.cpu_throttled;
    e.signal = "throttled CFS periods";
    e.value = v * 100;
    e.threshold = r.ratio * 100;
    d = "throttled in " + FormatPercent(v) + " of CFS periods" + Past(v, r.ratio) +
        FormatPercent(r.ratio) + held;
    if (std::optional<double> demand = figure(Signal::kDemand); demand && peaks->quota_cores) {
      d += "; CPU demand " + FormatMillicores(ToCount(std::round(*demand * 1000))) + " against a " +
           FormatMillicores(ToCount(std::round(*peaks->quota_cores * 1000))) + " limit";
    }
  } else if (f.reason == reason::kIOContention) {
    const auto& r = p.io_contention;
    e.signal = "I/O PSI full";
    e.value = v * 100;
    e.threshold = r.psi_full * 100;
    d = "I/O PSI full " + FormatPercent(v) + Past(v, r.psi_full) + FormatPercent(r.psi_full) + held;
  } else if (f.reason == reason::kProcessesBlocked) {
    const auto& r = p.processes_blocked;
    e.signal = "seconds in state D";
    e.value = t.peak;
    e.threshold = static_cast<double>(r.window.count());
    d = t.what + " in uninterruptible sleep (D) for " +
        FormatDuration(
            Seconds(static_cast<int64_t>(std::min<uint64_t>(ToCount(t.peak), INT64_MAX)))) +
        " >= " + FormatDuration(r.window);
  } else if (f.reason == reason::kPidsExhausted) {
    e.signal = "forks refused at pids limit";
    e.value = static_cast<double>(t.events);
    e.threshold = 0;
    d = std::to_string(t.events) + (t.events == 1 ? " fork" : " forks") + " refused at pids limit";
    if (peaks->pids_limit) d += " " + std::to_string(*peaks->pids_limit);
    d += ", peak " + std::to_string(peaks->pids) + " pids";
  } else if (f.reason == reason::kNetworkDegraded) {
    const auto& r = p.network_degraded;
    e.signal = "TCP retransmitted / sent segments";
    e.value = v * 100;
    e.threshold = r.ratio * 100;
    d = "TCP retransmits " + FormatPercent(v) + " of sent segments" + Past(v, r.ratio) +
        FormatPercent(r.ratio) + held;
  } else if (f.reason == reason::kNodeOvercommitted) {
    const auto& r = p.node_overcommitted;
    if (t.signal == Signal::kPsi) {
      e.signal = "node memory PSI some";
      e.value = v * 100;
      e.threshold = r.psi_some * 100;
      d = "node " + f.node + " memory PSI some " + FormatPercent(v) + Past(v, r.psi_some) +
          FormatPercent(r.psi_some) + held;
    } else {
      e.signal = "Committed_AS / CommitLimit";
      e.value = t.peak;
      e.threshold = r.commit_ratio;
      d = "node " + f.node + " overcommitted: " + t.what + held;
    }
  }
  return e;
}

uint64_t RoundUpMillicores(double millicores) {
  return ToCount(std::ceil(millicores / 100 - 1e-9) * 100);
}

// What would have held, per container name, from every instance's violations.
std::vector<Recommendation> Recommend(const std::vector<Finding>& findings, const Policy& p) {
  std::map<std::string, Recommendation> by_container;
  for (const Finding& f : findings) {
    if (f.container == nullptr) continue;
    const Peaks& peaks = f.track->peaks;
    const Violation& t = *f.rule->violation;
    Recommendation& rec = by_container[f.container->container];
    rec.container = f.container->container;
    auto raise = [](std::optional<uint64_t>& slot, uint64_t v) {
      slot = std::max(slot.value_or(0), v);
    };
    if (f.reason == reason::kOOMKilled || f.reason == reason::kMemoryThrashing ||
        f.reason == reason::kMemorySaturated) {
      // The limit was hit, so the demand was at least the limit; while thrashing, the file
      // pages refaulted per second (capped at the page cache it had) were missing too.
      double demand = static_cast<double>(
          std::max(peaks.working_set_bytes, peaks.memory_limit_bytes.value_or(0)));
      if (f.reason == reason::kMemoryThrashing) {
        demand += std::min(peaks.refault_bytes_per_s, static_cast<double>(peaks.file_bytes));
      }
      raise(rec.memory_limit_bytes,
            RoundUpBytes(ToCount(demand * p.recommendation.memory_headroom)));
    } else if (const Figure& demand = t.figure(Signal::kDemand);
               f.reason == reason::kCPUThrottled && demand.den > 0) {
      const double wanted = demand.value() * 1000 * p.recommendation.cpu_headroom;
      const double quota = peaks.quota_cores.value_or(0) * 1000;
      raise(rec.cpu_limit_millicores, RoundUpMillicores(std::max(wanted, quota + 100)));
    } else if (f.reason == reason::kPidsExhausted) {
      const double peak = static_cast<double>(std::max(peaks.pids, peaks.pids_limit.value_or(0)));
      const uint64_t wanted =
          ToCount(std::ceil(peak * p.recommendation.pids_headroom / 10 - 1e-9) * 10);
      raise(rec.pids_limit, std::max<uint64_t>(wanted, ToCount(peak + 1)));
    }
  }
  std::vector<Recommendation> out;
  for (auto& [name, rec] : by_container) {
    std::vector<std::string> parts;
    if (rec.memory_limit_bytes)
      parts.push_back("memory limit >= " + FormatBytes(*rec.memory_limit_bytes));
    if (rec.cpu_limit_millicores)
      parts.push_back("CPU limit >= " + FormatMillicores(*rec.cpu_limit_millicores));
    if (rec.pids_limit) parts.push_back("pids limit >= " + std::to_string(*rec.pids_limit));
    if (parts.empty()) continue;
    for (size_t i = 0; i < parts.size(); ++i) rec.text += (i ? ", " : "") + parts[i];
    out.push_back(std::move(rec));
  }
  return out;
}

// A container's names and declared limits, without its readings.
ContainerObservation Identity(const ContainerObservation& c) {
  ContainerObservation who;
  who.container = c.container;
  who.pod = c.pod;
  who.node = c.node;
  who.declared = c.declared;
  who.host_network = c.host_network;
  who.limits_declared = c.limits_declared;
  return who;
}

// A departing replica's unfinished violations pass to its container's Legacy; one already
// there (another replica that went before) keeps its own.
void Bequeath(InstanceTrack track, std::map<std::string, Legacy>& legacies) {
  if (!track.who) return;  // nothing violated: nothing to hand on
  auto [it, fresh] = legacies.try_emplace(track.who->container);
  Legacy& legacy = it->second;
  if (fresh) {
    legacy.who = std::move(*track.who);
    track.who.reset();
    track.recent.clear();
    legacy.track = std::move(track);
    return;
  }
  for (size_t r = 0; r < kRuleCount; ++r) {
    if (!legacy.track.rules[r].active()) legacy.track.rules[r] = std::move(track.rules[r]);
  }
  legacy.track.processed_until = std::max(legacy.track.processed_until, track.processed_until);
}

// A new replica takes over what its departed predecessors were still violating: it ends
// only after the new replica's recovery window of calm, as it would have for the old one.
void Inherit(InstanceTrack& track, std::map<std::string, Legacy>& legacies,
             const std::string& container) {
  auto it = legacies.find(container);
  if (it == legacies.end()) return;
  for (size_t r = 0; r < kRuleCount; ++r) {
    if (it->second.track.rules[r].active()) track.rules[r] = std::move(it->second.track.rules[r]);
  }
  // And the time its predecessors were observed: the generation's, not the pod's.
  track.covered = it->second.track.covered;
  legacies.erase(it);
}

// The network rule does not apply to a hostNetwork pod; said rather than passed silently.
std::optional<Evidence> HostNetworkNote(const std::vector<Instance>& instances) {
  for (const Instance& in : instances) {
    if (!in.obs->host_network) continue;
    Evidence e;
    e.reason = std::string(reason::kNetworkDegraded);
    e.container = in.obs->container;
    e.pod = in.obs->pod;
    e.node = in.obs->node;
    e.signal = "TCP retransmits";
    e.detail = std::string(reason::kNetworkDegraded) + " not judged: pod " + in.obs->pod +
               " is hostNetwork, and its network namespace's TCP counters are the whole node's";
    return e;
  }
  return std::nullopt;
}

// Each container's drift at its newest reading, once per container, resource and figures:
// the replicas of a Deployment resized by one webhook drift alike.
std::vector<LimitDrift> DriftOf(const std::vector<Instance>& instances) {
  std::vector<LimitDrift> out;
  for (const Instance& in : instances) {
    for (LimitDrift& d : DriftAt(*in.obs, *in.newest)) {
      const bool told = std::any_of(out.begin(), out.end(), [&](const LimitDrift& o) {
        return o.container == d.container && o.resource == d.resource && o.declared == d.declared &&
               o.enforced == d.enforced;
      });
      if (!told) out.push_back(std::move(d));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const LimitDrift& a, const LimitDrift& b) {
    return std::tie(a.container, a.resource) < std::tie(b.container, b.resource);
  });
  return out;
}

Evidence DriftEvidence(const LimitDrift& d) {
  Evidence e;
  e.reason = std::string(contract::kLimitDriftEvidence);
  e.container = d.container;
  e.pod = d.pod;
  e.node = d.node;
  const std::string what = d.resource == LimitResource::kMemory ? "memory limit" : "CPU limit";
  e.signal = what;
  e.value = static_cast<double>(d.enforced.value_or(0));
  e.threshold = static_cast<double>(d.declared.value_or(0));
  e.detail = what + " " + FormatLimit(d.resource, d.enforced) + " enforced by the kernel, " +
             FormatLimit(d.resource, d.declared) + " declared; judged on the enforced";
  return e;
}

// "; judged on the limits the kernel enforces, not the declared: CPU 200m (2 declared)",
// naming the container when the workload has several.
std::string DriftNotes(const std::vector<LimitDrift>& drift,
                       const std::vector<Instance>& instances) {
  std::set<std::string> names;
  for (const Instance& in : instances) names.insert(in.obs->container);
  std::string out;
  for (size_t i = 0; i < drift.size();) {
    const std::string& container = drift[i].container;
    out += "; ";
    if (names.size() > 1) out += "container " + container + " ";
    out += "judged on the limits the kernel enforces, not the declared: ";
    for (size_t first = i; i < drift.size() && drift[i].container == container; ++i) {
      out += (i > first ? ", " : "") + DescribeDrift(drift[i]);
    }
  }
  return out;
}

// A Compliant message's figures never read like a violation on their own: each comes with
// what its rule required. Memory PSI some is a peak over one window; the rule wants it in
// `windows` consecutive ones.
std::string MemoryPsiBeside(const Peaks& peaks, const Policy::MemoryThrashing& r) {
  const std::string peak = FormatPercent(peaks.memory_psi_some);
  if (peaks.memory_psi_some < r.psi_some) {
    return "memory PSI some " + peak + " (below " + FormatPercent(r.psi_some) + ")";
  }
  return "memory PSI some up to " + peak + " (MemoryThrashing: >= " + FormatPercent(r.psi_some) +
         " in " + std::to_string(std::max(1, r.windows)) + " consecutive " +
         FormatDuration(r.window) + " windows)";
}

// How near CPUThrottled came, over the windows where it did not fire, stopped by the first
// of its conditions that failed: throttled periods, then throttled time, then quota use or
// CPU stall.
std::string CpuNearMissText(const CpuNearMiss& m, const Policy::CpuThrottled& r) {
  if (m.usage || m.stall) {
    std::string out = "CPU throttled in > " + FormatPercent(r.ratio) +
                      " of periods and >= " + FormatPercent(r.throttled_time) + " of the time but";
    if (m.usage) {
      out += " using at most " + FormatPercent(*m.usage) + " of the quota (below " +
             FormatPercent(r.usage_ratio) + ")";
    }
    if (m.usage && m.stall) out += " with";
    if (m.stall) {
      out += " CPU PSI some at most " + FormatPercent(*m.stall) + " (below " +
             FormatPercent(r.psi_some) + ")";
    }
    return out;
  }
  if (m.time) {
    return "CPU throttled in up to " + FormatPercent(m.periods) + " of periods but at most " +
           FormatPercent(*m.time) + " of the time (below " + FormatPercent(r.throttled_time) + ")";
  }
  return "CPU throttled in " + FormatPercent(m.periods) + " of periods (below " +
         FormatPercent(r.ratio) + ")";
}

std::string NodeNotes(const std::vector<Evidence>& notes) {
  std::string out;
  for (const Evidence& e : notes) out += "; " + e.detail + " (not counted against this workload)";
  return out;
}

}  // namespace

std::string_view ToString(Rule rule) {
  switch (rule) {
    case Rule::kOOMKilled:
      return reason::kOOMKilled;
    case Rule::kMemoryThrashing:
      return reason::kMemoryThrashing;
    case Rule::kMemorySaturated:
      return reason::kMemorySaturated;
    case Rule::kPidsExhausted:
      return reason::kPidsExhausted;
    case Rule::kCPUThrottled:
      return reason::kCPUThrottled;
    case Rule::kIOContention:
      return reason::kIOContention;
    case Rule::kProcessesBlocked:
      return reason::kProcessesBlocked;
    case Rule::kNetworkDegraded:
      return reason::kNetworkDegraded;
    case Rule::kNodeOvercommitted:
      return reason::kNodeOvercommitted;
  }
  return {};
}

size_t HeapBytes(const JudgeState& state) {
  // A std::map node: three pointers and a colour ahead of the value.
  constexpr size_t kNode = 4 * sizeof(void*);
  auto text = [](const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; };
  size_t bytes = 0;
  auto rule = [&](const RuleTrack& r) {
    return r.violation ? sizeof(Violation) + text(r.violation->what) : 0;
  };
  for (const auto& [key, track] : state.instances) {
    bytes += kNode + sizeof(key) + sizeof(track) + text(key) + text(track.recent);
    for (const RuleTrack& r : track.rules) bytes += rule(r);
  }
  for (const auto& [key, track] : state.nodes) {
    bytes += kNode + sizeof(key) + sizeof(track) + text(key) + text(track.recent) +
             rule(track.overcommitted);
  }
  auto who = [&](const ContainerObservation& c) {
    return text(c.container) + text(c.pod) + text(c.node);
  };
  for (const auto& [key, track] : state.instances) {
    if (track.who) bytes += sizeof(ContainerObservation) + who(*track.who);
  }
  for (const auto& [name, legacy] : state.legacies) {
    bytes += kNode + sizeof(name) + sizeof(legacy) + text(name) + who(legacy.who);
    for (const RuleTrack& r : legacy.track.rules) bytes += rule(r);
  }
  for (const std::string& name : state.proven) bytes += kNode + sizeof(name) + text(name);
  return bytes;
}

Judgement Judge(const WorkloadObservation& obs, const Policy& p, JudgeState previous,
                MonotonicTime now) {
  Judgement j;
  j.state = std::move(previous);
  if (!j.state.generation || *j.state.generation != obs.generation) {
    // A new pod template: nothing observed about the previous one may speak for it.
    j.state = JudgeState{};
    j.state.generation = obs.generation;
  }
  Verdict& verdict = j.verdict;
  const std::string generation = std::to_string(obs.generation);

  // Instances with readings recent enough to speak for the present.
  std::vector<Instance> instances;
  std::set<std::string> keep;
  for (const ContainerObservation& c : obs.containers) {
    Instance in;
    in.obs = &c;
    in.key = c.pod + "/" + c.container;
    // The readings held from earlier evaluations, then the ones passed now. A caller may
    // pass only what is new (or nothing new: then the held ones speak until they age out);
    // readings passed again are newer than none of the held ones, and BuildSteps skips
    // them, so passing the whole history or only what is new gives the same steps.
    auto held = j.state.instances.find(in.key);
    if (held != j.state.instances.end()) in.readings = UnpackReadings(held->second.recent);
    in.readings.insert(in.readings.end(), c.readings.begin(), c.readings.end());
    for (const CgroupReading& r : in.readings) {
      if (r.time >= obs.observing_since && r.time <= now &&
          (in.newest == nullptr || r.time > in.newest->time)) {
        in.newest = &r;
      }
    }
    if (in.newest == nullptr || now - in.newest->time > p.observation.max_age) continue;
    in.steps = BuildSteps(in.readings, obs.observing_since, now, p.observation.max_gap);
    in.has_memory_psi =
        (held != j.state.instances.end() && held->second.memory_psi_seen) ||
        std::any_of(c.readings.begin(), c.readings.end(),
                    [](const CgroupReading& r) { return r.memory.pressure.has_value(); });
    keep.insert(in.key);
    instances.push_back(std::move(in));
  }
  // An instance without data is forgotten; what it was still violating passes to its
  // container's Legacy, which no reading speaks for once it is older than max_age.
  for (auto it = j.state.instances.begin(); it != j.state.instances.end();) {
    if (keep.count(it->first) == 0) {
      Bequeath(std::move(it->second), j.state.legacies);
      it = j.state.instances.erase(it);
    } else {
      ++it;
    }
  }
  std::erase_if(j.state.legacies, [&](const auto& entry) {
    return now - entry.second.track.processed_until > p.observation.max_age;
  });

  std::vector<Finding> findings;
  std::vector<Evidence> node_notes;
  auto find = [&](const InstanceTrack& track, const ContainerObservation& who) {
    for (size_t r = 0; r < kRuleCount; ++r) {
      const RuleTrack& rule = track.rules[r];
      if (rule.active()) {
        findings.push_back(Finding{static_cast<Rule>(r),
                                   std::string(ToString(static_cast<Rule>(r))), &who, who.node,
                                   &track, &rule});
      }
    }
  };
  for (const Instance& in : instances) {
    auto [it, fresh] = j.state.instances.try_emplace(in.key);
    InstanceTrack& track = it->second;
    if (fresh) Inherit(track, j.state.legacies, in.obs->container);
    AdvanceInstance(track, in, p);
    track.recent = PackReadings(Retained(in, obs.observing_since, now, p));
    track.memory_psi_seen = in.has_memory_psi;
    if (track.covered >= p.observation.window) j.state.proven.insert(in.obs->container);
    j.state.last_reading = std::max(j.state.last_reading, in.newest->time);
    const size_t before = findings.size();
    find(track, *in.obs);
    if (findings.size() == before) {
      track.who.reset();
    } else if (!track.who) {
      track.who = Boxed<ContainerObservation>(Identity(*in.obs));
    }
  }
  for (const auto& [name, legacy] : j.state.legacies) find(legacy.track, legacy.who);
  verdict.drift = DriftOf(instances);
  const std::string drift_notes = DriftNotes(verdict.drift, instances);
  std::vector<Evidence> drift_evidence;
  for (const LimitDrift& d : verdict.drift) drift_evidence.push_back(DriftEvidence(d));
  std::set<std::string> nodes;
  for (const Instance& in : instances) {
    if (in.obs->node.empty()) {
      for (const auto& [name, readings] : obs.nodes) nodes.insert(name);
    } else {
      nodes.insert(in.obs->node);
    }
  }
  for (const std::string& node : nodes) {
    auto readings = obs.nodes.find(node);
    if (readings == obs.nodes.end()) continue;
    NodeTrack& track = j.state.nodes[node];
    std::vector<NodeReading> all = UnpackNodeReadings(track.recent);
    all.insert(all.end(), readings->second.begin(), readings->second.end());
    const std::vector<NStep> steps =
        BuildSteps(all, obs.observing_since, now, p.observation.max_gap);
    AdvanceNode(track, steps, p);
    track.recent = PackReadings(RetainedNode(all, steps, obs.observing_since, now, p));
    if (track.overcommitted.active()) {
      Finding f{
          Rule::kNodeOvercommitted, std::string(reason::kNodeOvercommitted), nullptr, node, nullptr,
          &track.overcommitted};
      if (p.node_overcommit_blames_workload) {
        findings.push_back(f);
      } else {
        node_notes.push_back(Describe(f, p));
      }
    }
  }

  const std::optional<Evidence> host_network = HostNetworkNote(instances);
  if (!findings.empty()) {
    std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
      auto key = [](const Finding& f) {
        return std::make_tuple(f.rule_id, f.container ? f.container->container : "",
                               f.container ? f.container->pod : "", f.node);
      };
      return key(a) < key(b);
    });
    for (const Finding& f : findings) verdict.evidence.push_back(Describe(f, p));
    verdict.recommendations = Recommend(findings, p);
    const Finding& top = findings.front();
    verdict.status = ConditionStatus::kFalse;
    verdict.reason = top.reason;
    verdict.message = (top.container ? Where(*top.container) + ": " : std::string()) +
                      verdict.evidence.front().detail;
    if (top.container) {
      for (const Recommendation& rec : verdict.recommendations) {
        if (rec.container == top.container->container) verdict.message += "; suggest " + rec.text;
      }
    }
    std::vector<std::string> others;
    for (const Finding& f : findings) {
      if (f.reason != top.reason &&
          std::find(others.begin(), others.end(), f.reason) == others.end()) {
        others.push_back(f.reason);
      }
    }
    if (!others.empty()) {
      verdict.message += "; also ";
      for (size_t i = 0; i < others.size(); ++i) verdict.message += (i ? ", " : "") + others[i];
    }
    verdict.message += drift_notes + NodeNotes(node_notes);
    verdict.evidence.insert(verdict.evidence.end(), node_notes.begin(), node_notes.end());
    if (host_network) verdict.evidence.push_back(*host_network);
    verdict.evidence.insert(verdict.evidence.end(), drift_evidence.begin(), drift_evidence.end());
    return j;
  }

  verdict.evidence = node_notes;
  if (host_network) verdict.evidence.push_back(*host_network);
  verdict.evidence.insert(verdict.evidence.end(), drift_evidence.begin(), drift_evidence.end());
  const nanoseconds since_start = now - obs.observing_since;
  if (since_start < p.observation.window) {
    verdict.status = ConditionStatus::kUnknown;
    verdict.reason = reason::kObserving;
    verdict.message = "observing generation " + generation + ": " +
                      FormatDuration(WholeSeconds(since_start)) + " of " +
                      FormatDuration(p.observation.window) + " observed" + drift_notes +
                      NodeNotes(node_notes);
    return j;
  }
  if (instances.empty() && !j.state.proven.empty() &&
      now - j.state.last_reading <= p.observation.max_age) {
    // Every replica went away (replaced, rescheduled, scaled to zero) after the generation
    // was judged: the verdict stands until their successors' readings say otherwise.
    verdict.status = ConditionStatus::kTrue;
    verdict.reason = reason::kCompliant;
    verdict.message = "every rule held over " + FormatDuration(p.observation.window) +
                      " of generation " + generation +
                      "; its pods were replaced and the new ones have no readings yet" +
                      NodeNotes(node_notes);
    return j;
  }
  if (instances.empty()) {
    // The generation's continuity is broken: new replicas must be observed afresh.
    j.state.proven.clear();
    verdict.status = ConditionStatus::kUnknown;
    verdict.reason = reason::kNoData;
    verdict.message = obs.containers.empty()
                          ? "no running pod of generation " + generation
                          : "no readings newer than " + FormatDuration(p.observation.max_age) +
                                " for any container of generation " + generation +
                                " (no running pod, or agents unreachable)";
    return j;
  }
  // Compliant needs every container (by name) observed for the whole window by at least one
  // of its replicas; gaps do not count as observed.
  std::map<std::string, nanoseconds> covered;
  for (const Instance& in : instances) {
    nanoseconds& c = covered[in.obs->container];
    c = std::max(c, j.state.instances[in.key].covered);
    if (j.state.proven.count(in.obs->container) != 0)
      c = std::max<nanoseconds>(c, p.observation.window);
  }
  nanoseconds least = covered.begin()->second;
  for (const auto& [name, c] : covered) least = std::min(least, c);
  if (least < p.observation.window) {
    verdict.status = ConditionStatus::kUnknown;
    verdict.reason = reason::kObserving;
    verdict.message = "observing generation " + generation + ": " +
                      FormatDuration(WholeSeconds(least)) + " of " +
                      FormatDuration(p.observation.window) + " covered by readings" + drift_notes +
                      NodeNotes(node_notes);
    return j;
  }

  // Compliant: summarise the instance closest to its memory limit.
  const Instance* closest = &instances.front();
  auto fill = [&](const Instance& in) {
    const Peaks& pk = j.state.instances[in.key].peaks;
    if (!pk.memory_limit_bytes || *pk.memory_limit_bytes == 0) return 0.0;
    return static_cast<double>(pk.working_set_bytes) / static_cast<double>(*pk.memory_limit_bytes);
  };
  for (const Instance& in : instances) {
    if (fill(in) > fill(*closest)) closest = &in;
  }
  const InstanceTrack& ct = j.state.instances[closest->key];
  std::string msg = Where(*closest->obs) + ": every rule holds over " +
                    FormatDuration(WholeSeconds(ct.covered)) +
                    (ct.covered < p.observation.window
                         ? " (a replacement replica; the generation was observed for " +
                               FormatDuration(p.observation.window) + ")"
                         : std::string()) +
                    "; peak " + WorkingSetAgainstLimit(ct.peaks, closest->obs);
  if (closest->has_memory_psi) msg += ", " + MemoryPsiBeside(ct.peaks, p.memory_thrashing);
  if (ct.peaks.quota_cores) msg += ", " + CpuNearMissText(ct.peaks.cpu_near_miss, p.cpu_throttled);
  if (instances.size() > 1) msg += "; " + std::to_string(instances.size()) + " containers judged";
  if (host_network) msg += "; " + host_network->detail;
  verdict.status = ConditionStatus::kTrue;
  verdict.reason = reason::kCompliant;
  verdict.message = msg + drift_notes + NodeNotes(node_notes);
  return j;
}

}  // namespace gt::reconcile
