// Window arithmetic over reading series (internal to reconcile; header-only templates):
// intervals between consecutive readings, gaps, counter resets, and sums over a window
// that count only the time readings actually cover.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/reading.h"
#include "reconcile/judge.h"

namespace gt::reconcile::series {

using std::chrono::nanoseconds;

inline double Secs(nanoseconds d) { return std::chrono::duration<double>(d).count(); }
inline Seconds WholeSeconds(nanoseconds d) {
  return std::chrono::duration_cast<Seconds>(std::max(d, nanoseconds(0)));
}

// A cumulative counter's rise between two readings; empty when it went down, which means
// the cgroup was re-created (container restart): the new value is the new baseline.
inline std::optional<uint64_t> Rise(uint64_t before, uint64_t after) {
  if (after < before) return std::nullopt;
  return after - before;
}

using Ratio = Figure;

// The interval between two consecutive readings of one cgroup (or node).
template <typename R>
struct Step {
  const R* prev = nullptr;
  const R* cur = nullptr;
  MonotonicTime start{0}, end{0};
  bool gap = false;  // longer than max_gap: not data, breaks every sustained stretch
  double seconds() const { return Secs(end - start); }
  double micros() const { return std::chrono::duration<double, std::micro>(end - start).count(); }
};

template <typename R>
std::vector<Step<R>> BuildSteps(const std::vector<R>& readings, MonotonicTime from,
                                MonotonicTime now, Seconds max_gap) {
  std::vector<Step<R>> steps;
  const R* prev = nullptr;
  for (const R& r : readings) {
    if (r.time < from || r.time > now) continue;
    if (prev != nullptr && r.time <= prev->time) continue;  // duplicate or out of order
    if (prev != nullptr) {
      steps.push_back(Step<R>{prev, &r, prev->time, r.time, r.time - prev->time > max_gap});
    }
    prev = &r;
  }
  return steps;
}

// Sums a per-interval measure over [from, to], apportioning the intervals that straddle
// the bounds. Empty unless known intervals cover the whole span: a window is judged only
// on time it actually covers, and a gap or a reset never adds up to a violation.
template <typename R, typename Measure>
std::optional<Ratio> Sum(const std::vector<Step<R>>& steps, MonotonicTime from, MonotonicTime to,
                         Measure measure) {
  if (to <= from) return std::nullopt;
  auto it = std::partition_point(steps.begin(), steps.end(),
                                 [&](const Step<R>& s) { return s.end <= from; });
  Ratio sum;
  nanoseconds covered{0};
  for (; it != steps.end() && it->start < to; ++it) {
    if (it->gap) return std::nullopt;
    std::optional<Ratio> r = measure(*it);
    if (!r) return std::nullopt;
    const MonotonicTime lo = std::max(it->start, from);
    const MonotonicTime hi = std::min(it->end, to);
    const double share = Secs(hi - lo) / it->seconds();
    sum.num += r->num * share;
    sum.den += r->den * share;
    covered += hi - lo;
  }
  if (covered < to - from) return std::nullopt;
  return sum;
}

template <typename R, typename Measure>
bool HoldsAtEveryReading(const std::vector<Step<R>>& steps, MonotonicTime from, MonotonicTime to,
                         Measure pred) {
  std::optional<Ratio> r = Sum(steps, from, to, [&](const Step<R>& s) -> std::optional<Ratio> {
    return Ratio{pred(*s.prev) && pred(*s.cur) ? 1.0 : 0.0, 1.0};
  });
  return r && r->num >= r->den - 1e-9;
}

inline std::optional<Ratio> PsiShare(const std::optional<Pressure>& before,
                                     const std::optional<Pressure>& after, bool full,
                                     double micros) {
  if (!before || !after) return std::nullopt;
  if (full && (!before->full || !after->full)) return std::nullopt;
  const uint64_t b = full ? before->full->total_us : before->some.total_us;
  const uint64_t a = full ? after->full->total_us : after->some.total_us;
  std::optional<uint64_t> d = Rise(b, a);
  if (!d) return std::nullopt;
  return Ratio{std::min(static_cast<double>(*d), micros), micros};
}

}  // namespace gt::reconcile::series
