// Synthetic reading series for reconcile tests: a container sampled every `every` seconds,
// each reading a copy of the previous one advanced by a per-step change.
#pragma once

#include <chrono>
#include <functional>
#include <vector>

#include "common/reading.h"
#include "reconcile/observation.h"

namespace gt::reconcile::testing {

using std::chrono::seconds;

inline constexpr uint64_t kMi = uint64_t{1} << 20;
inline constexpr uint64_t kGi = uint64_t{1} << 30;
inline const MonotonicTime kStart = seconds(1000);

// A healthy container: 2Gi limit, 1Gi working set, memory/cpu/io PSI present and at zero,
// a 1-CPU quota lightly used.
inline CgroupReading Healthy(MonotonicTime t = kStart) {
  CgroupReading r;
  r.time = t;
  r.memory.usage_bytes = kGi;
  r.memory.limit_bytes = 2 * kGi;
  r.memory.pressure = Pressure{PressureLine{}, PressureLine{}};
  r.cpu.quota_us = 100000;
  r.cpu.period_us = 100000;
  r.cpu.pressure = Pressure{PressureLine{}, PressureLine{}};
  r.io.pressure = Pressure{PressureLine{}, PressureLine{}};
  r.pids.current = 10;
  r.pids.limit = 100;
  r.process_count = 3;
  return r;
}

// What happens during one step: `dt_us` is the step's length in microseconds; `i` counts
// steps from 1.
using Change = std::function<void(CgroupReading& r, int i, double dt_us)>;

inline void Quiet(CgroupReading& r, int, double dt_us) {
  // Light CPU use, well inside the quota, never throttled.
  r.cpu.usage_us += static_cast<uint64_t>(dt_us * 0.1);
  r.cpu.nr_periods += static_cast<uint64_t>(dt_us / 100000);
}

// Appends `steps` readings `every` apart, each advanced by `change`.
inline void Extend(std::vector<CgroupReading>& series, int steps, seconds every,
                   const Change& change) {
  for (int i = 1; i <= steps; ++i) {
    CgroupReading next = series.back();
    next.time += every;
    const double dt_us = std::chrono::duration<double, std::micro>(every).count();
    Quiet(next, i, dt_us);
    change(next, i, dt_us);
    series.push_back(next);
  }
}

inline std::vector<CgroupReading> Series(const CgroupReading& first, int steps, seconds every,
                                         const Change& change) {
  std::vector<CgroupReading> s{first};
  Extend(s, steps, every, change);
  return s;
}

// Stall shares as PSI totals grow: `some` and `full` are fractions of wall time.
inline Change MemoryStall(double some, double full = 0) {
  return [=](CgroupReading& r, int, double dt_us) {
    r.memory.pressure->some.total_us += static_cast<uint64_t>(some * dt_us);
    r.memory.pressure->full->total_us += static_cast<uint64_t>(full * dt_us);
  };
}

inline Change Both(Change a, Change b) {
  return [=](CgroupReading& r, int i, double dt_us) {
    a(r, i, dt_us);
    b(r, i, dt_us);
  };
}

inline void Nothing(CgroupReading&, int, double) {}

inline ContainerObservation Container(std::vector<CgroupReading> readings,
                                      std::string name = "mysql", std::string pod = "mysql-0",
                                      std::string node = "node-3") {
  ContainerObservation c;
  c.container = std::move(name);
  c.pod = std::move(pod);
  c.node = std::move(node);
  c.declared.memory_limit_bytes = 2 * kGi;
  c.declared.cpu_limit_millicores = 1000;
  c.readings = std::move(readings);
  return c;
}

inline WorkloadObservation Workload(std::vector<ContainerObservation> containers,
                                    int64_t generation = 1, MonotonicTime since = kStart) {
  WorkloadObservation w;
  w.generation = generation;
  w.observing_since = since;
  w.containers = std::move(containers);
  return w;
}

}  // namespace gt::reconcile::testing
