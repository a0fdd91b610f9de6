// Readings: what the kernel reported for one cgroup or one node at one instant.
// Raw cumulative counters and gauges only; rates are derived by the consumer (reconcile),
// which is also where counter resets are handled. Plain structs, standard library only,
// so collectors, agent, controller and reconcile can all share them without depending
// on one another.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gt {

// CLOCK_MONOTONIC time of a reading (nanoseconds since boot). Rates use this, never wall time.
using MonotonicTime = std::chrono::nanoseconds;

// One line of a PSI file: "some avg10=0.00 avg60=0.00 avg300=0.00 total=0".
struct PressureLine {
  double avg10 = 0;  // percent
  double avg60 = 0;
  double avg300 = 0;
  uint64_t total_us = 0;  // cumulative stall time, microseconds
};

// A whole PSI file (memory.pressure, cpu.pressure, io.pressure, /proc/pressure/*).
struct Pressure {
  PressureLine some;
  std::optional<PressureLine> full;  // absent in /proc/pressure/cpu before Linux 5.13
};

struct MemoryReading {
  // Gauges. An empty limit means "max" / unlimited: never a sentinel number.
  uint64_t usage_bytes = 0;                  // v2 memory.current, v1 memory.usage_in_bytes
  std::optional<uint64_t> limit_bytes;       // v2 memory.max, v1 memory.limit_in_bytes
  std::optional<uint64_t> high_bytes;        // v2 memory.high (v2 only)
  std::optional<uint64_t> peak_bytes;        // v2 memory.peak, v1 memory.max_usage_in_bytes
  uint64_t anon_bytes = 0;                   // memory.stat anon / v1 total_rss
  uint64_t file_bytes = 0;                   // memory.stat file / v1 total_cache
  uint64_t active_file_bytes = 0;            // memory.stat active_file / v1 total_active_file
  uint64_t inactive_file_bytes = 0;          // memory.stat inactive_file / v1 total_inactive_file
  std::optional<uint64_t> swap_usage_bytes;  // v2 memory.swap.current
  std::optional<uint64_t> swap_limit_bytes;  // v2 memory.swap.max (empty: max or absent)

  // Cumulative counters.
  uint64_t pgfault = 0;                  // memory.stat pgfault / v1 total_pgfault
  uint64_t pgmajfault = 0;               // memory.stat pgmajfault / v1 total_pgmajfault
  uint64_t workingset_refault_file = 0;  // memory.stat workingset_refault_file (v1: same name)
  uint64_t workingset_refault_anon = 0;
  uint64_t events_low = 0;       // memory.events low
  uint64_t events_high = 0;      // memory.events high
  uint64_t events_max = 0;       // memory.events max; v1: memory.failcnt (limit hits)
  uint64_t events_oom = 0;       // memory.events oom; v1: oom_control under_oom transitions n/a
  uint64_t events_oom_kill = 0;  // memory.events(.local) oom_kill; v1: memory.oom_control oom_kill

  std::optional<Pressure> pressure;  // v2 memory.pressure (hybrid hosts: from the unified tree)

  // Working set as cAdvisor and the kubelet define it: usage minus inactive file pages.
  uint64_t working_set_bytes() const {
    return usage_bytes > inactive_file_bytes ? usage_bytes - inactive_file_bytes : 0;
  }
};

struct CpuReading {
  uint64_t usage_us = 0;             // cpu.stat usage_usec; v1 cpuacct.usage / 1000
  uint64_t user_us = 0;              // cpu.stat user_usec
  uint64_t system_us = 0;            // cpu.stat system_usec
  uint64_t nr_periods = 0;           // cpu.stat nr_periods (v1 cpu.stat too)
  uint64_t nr_throttled = 0;         // cpu.stat nr_throttled
  uint64_t throttled_us = 0;         // cpu.stat throttled_usec; v1 throttled_time / 1000
  std::optional<uint64_t> quota_us;  // cpu.max first field, v1 cpu.cfs_quota_us; empty: max / -1
  uint64_t period_us = 100000;       // cpu.max second field, v1 cpu.cfs_period_us
  std::optional<Pressure> pressure;
};

struct IoReading {
  uint64_t read_bytes =
      0;  // io.stat rbytes summed over devices; v1 blkio.throttle.io_service_bytes
  uint64_t write_bytes = 0;  // io.stat wbytes
  uint64_t read_ios = 0;     // io.stat rios; v1 blkio.throttle.io_serviced
  uint64_t write_ios = 0;    // io.stat wios
  std::optional<Pressure> pressure;
};

struct PidsReading {
  uint64_t current = 0;           // pids.current
  std::optional<uint64_t> limit;  // pids.max; empty: max
  uint64_t events_max = 0;        // pids.events max (forks refused at the limit)
};

// A thread seen in uninterruptible sleep (state D) when the cgroup was read.
struct BlockedThread {
  int32_t pid = 0;
  int32_t tid = 0;
  uint64_t start_time_ticks = 0;  // field 22 of stat: tells a reused tid from the same thread
  std::string comm;
};

// TCP and interface counters of one network namespace (/proc/<pid>/net/snmp, net/dev).
struct NetReading {
  uint64_t tcp_out_segs = 0;      // Tcp: OutSegs
  uint64_t tcp_retrans_segs = 0;  // Tcp: RetransSegs
  uint64_t rx_bytes = 0;          // net/dev, summed over interfaces other than lo
  uint64_t tx_bytes = 0;
  uint64_t rx_dropped = 0;
  uint64_t tx_dropped = 0;
};

// Everything read from one container (or pod) cgroup in one pass.
struct CgroupReading {
  MonotonicTime time{0};
  MemoryReading memory;
  CpuReading cpu;
  IoReading io;
  PidsReading pids;
  uint32_t process_count = 0;          // entries in cgroup.procs
  std::vector<BlockedThread> blocked;  // threads in state D at `time`
  std::optional<NetReading> net;       // from one process of the cgroup, if any
};

struct NodeReading {
  MonotonicTime time{0};
  // /proc/meminfo, bytes
  uint64_t mem_total_bytes = 0;
  uint64_t mem_available_bytes = 0;
  uint64_t committed_as_bytes = 0;
  uint64_t commit_limit_bytes = 0;
  // /proc/vmstat, cumulative
  uint64_t pgmajfault = 0;
  uint64_t workingset_refault_file = 0;
  uint64_t pswpin = 0;
  uint64_t pswpout = 0;
  // /proc/loadavg
  double load1 = 0, load5 = 0, load15 = 0;
  uint32_t procs_running = 0;
  // /proc/pressure/*; empty when the kernel has no PSI
  std::optional<Pressure> memory_pressure;
  std::optional<Pressure> cpu_pressure;
  std::optional<Pressure> io_pressure;
};

}  // namespace gt
