// Pure parsers for kernel text files: content in, struct or Error (naming path and line) out.
// No I/O, no exceptions, no allocation on the success path except where the result owns a
// string or a vector the caller hands in. Each parser quotes the kernel lines it accepts.
// `path` is only used to build error messages.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/reading.h"
#include "common/result.h"

namespace gt::collectors {

// A single unsigned decimal, optional trailing newline: "4096\n".
Result<uint64_t> ParseNumber(std::string_view text, std::string_view path);

// cgroup v2 single-value limits (cgroup-v2.rst, memory.max, pids.max, memory.swap.max):
//   "max\n"        -> empty optional (no limit)
//   "268435456\n"  -> 268435456
Result<std::optional<uint64_t>> ParseMaxOrNumber(std::string_view text, std::string_view path);

// cgroup v1 memory.limit_in_bytes (cgroup-v1/memory.rst): a byte count; "unlimited" is
// PAGE_COUNTER_MAX pages in bytes, e.g. "9223372036854771712\n". Anything >= 2^62 is no limit.
Result<std::optional<uint64_t>> ParseV1MemoryLimit(std::string_view text, std::string_view path);

// cgroup v1 cpu.cfs_quota_us (Documentation/scheduler/sched-bwc.rst): "-1\n" means no quota,
// otherwise microseconds, e.g. "50000\n".
Result<std::optional<uint64_t>> ParseV1CfsQuota(std::string_view text, std::string_view path);

// One key of a flat-keyed file and where to store its value.
struct FlatKeyedField {
  std::string_view key;
  uint64_t* value = nullptr;
  bool* seen = nullptr;  // optional: set when the key was present
};

// Flat keyed files (cgroup-v2.rst "Format": "KEY0 VAL0\nKEY1 VAL1\n"): memory.stat,
// memory.events(.local), cpu.stat, pids.events, v1 memory.stat and memory.oom_control, and
// /proc/vmstat (proc(5)), e.g.
//   anon 1048576
//   workingset_refault_file 12
//   oom_kill 0
// Stores the value of each wanted key; other keys are skipped without being parsed, so a
// kernel adding keys never breaks us. A wanted key whose value is not a number is malformed.
Status ParseFlatKeyed(std::string_view text, std::string_view path,
                      std::span<const FlatKeyedField> fields);

// cgroup v2 cpu.max (cgroup-v2.rst): "$MAX $PERIOD", e.g. "max 100000\n" or "50000 100000\n".
struct CpuMax {
  std::optional<uint64_t> quota_us;  // empty: "max"
  uint64_t period_us = 100000;
};
Result<CpuMax> ParseCpuMax(std::string_view text, std::string_view path);

// PSI (Documentation/accounting/psi.rst), memory.pressure, cpu.pressure, io.pressure and
// /proc/pressure/*:
//   some avg10=0.00 avg60=0.00 avg300=0.00 total=0
//   full avg10=0.00 avg60=0.00 avg300=0.00 total=0
// The "full" line is absent from /proc/pressure/cpu before Linux 5.13.
Result<Pressure> ParsePressure(std::string_view text, std::string_view path);

// Sums over devices of a cgroup's I/O counters.
struct IoTotals {
  uint64_t read_bytes = 0;
  uint64_t write_bytes = 0;
  uint64_t read_ios = 0;
  uint64_t write_ios = 0;
};

// cgroup v2 io.stat (cgroup-v2.rst, nested keyed):
//   8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0
// Unknown keys are skipped; values are summed over devices.
Result<IoTotals> ParseIoStat(std::string_view text, std::string_view path);

// cgroup v1 blkio.throttle.io_service_bytes and blkio.throttle.io_serviced
// (cgroup-v1/blkio-controller.rst):
//   8:0 Read 1234
//   8:0 Write 5678
//   8:0 Sync 6912
//   8:0 Async 0
//   8:0 Discard 0
//   8:0 Total 6912
//   Total 6912
// Returns Read and Write summed over devices (the per-device Total and the last line are
// derived and skipped).
struct BlkioTotals {
  uint64_t read = 0;
  uint64_t write = 0;
};
Result<BlkioTotals> ParseV1Blkio(std::string_view text, std::string_view path);

// cgroup.procs / tasks / cgroup.threads (cgroup-v2.rst, cgroup-v1/cgroups.rst): one id a line,
// unordered, possibly with duplicates in v1:
//   1234
//   1240
// Fills `ids` (cleared first), sorted and unique, so callers can compare sets cheaply.
Status ParseIdList(std::string_view text, std::string_view path, std::vector<int32_t>& ids);

// /proc/meminfo (proc(5)), "Key:   value kB" lines:
//   MemTotal:       24683444 kB
//   MemAvailable:   24384904 kB
//   CommitLimit:    12341720 kB
//   Committed_AS:     512052 kB
struct Meminfo {
  uint64_t mem_total_bytes = 0;
  uint64_t mem_available_bytes = 0;
  uint64_t commit_limit_bytes = 0;
  uint64_t committed_as_bytes = 0;
};
Result<Meminfo> ParseMeminfo(std::string_view text, std::string_view path);

// /proc/vmstat (proc(5)), flat keyed, e.g. "pgmajfault 2156". Before Linux 5.9 file refaults
// were reported as "workingset_refault" (no _file/_anon split); that name is accepted too.
struct Vmstat {
  uint64_t pgmajfault = 0;
  uint64_t workingset_refault_file = 0;
  uint64_t pswpin = 0;
  uint64_t pswpout = 0;
};
Result<Vmstat> ParseVmstat(std::string_view text, std::string_view path);

// /proc/loadavg (proc(5)): "0.20 0.18 0.12 1/80 11206".
struct Loadavg {
  double load1 = 0, load5 = 0, load15 = 0;
  uint32_t running = 0;  // currently runnable scheduling entities
  uint32_t total = 0;    // scheduling entities that exist
  int32_t last_pid = 0;
};
Result<Loadavg> ParseLoadavg(std::string_view text, std::string_view path);

// /proc/[pid]/stat and /proc/[pid]/task/[tid]/stat (proc(5)):
//   1234 (my (odd) name) D 1 1234 1234 0 -1 4194560 ... 20 0 1 0 56789 ...
// comm is between the first '(' and the LAST ')' since it may itself hold ')' and spaces.
// Fields after comm are numbered as in proc(5): (3) state, (4) ppid, (20) num_threads,
// (22) starttime.
struct ProcStat {
  int32_t pid = 0;
  std::string_view comm;  // points into the parsed text
  char state = '?';
  int32_t ppid = 0;
  int64_t num_threads = 0;
  uint64_t start_time_ticks = 0;
};
Result<ProcStat> ParseProcStat(std::string_view text, std::string_view path);

// /proc/[pid]/net/snmp (proc(5), RFC 1213 counters), header line then value line per protocol:
//   Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens ... InSegs OutSegs RetransSegs ...
//   Tcp: 1 200 120000 -1 10 ... 5000 4800 12 ...
struct NetSnmp {
  uint64_t tcp_out_segs = 0;
  uint64_t tcp_retrans_segs = 0;
};
Result<NetSnmp> ParseNetSnmp(std::string_view text, std::string_view path);

// /proc/[pid]/net/dev (proc(5)), two header lines then one line per interface:
//   Inter-|   Receive                                                |  Transmit
//    face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets ...
//       lo: 1234 10 0 0 0 0 0 0 1234 10 0 0 0 0 0 0
//     eth0: 5678 20 0 3 0 0 0 0 910 9 0 1 0 0 0 0
// Sums every interface except lo: rx bytes (1st), rx drop (4th), tx bytes (9th), tx drop (12th).
struct NetDev {
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
  uint64_t rx_dropped = 0;
  uint64_t tx_dropped = 0;
};
Result<NetDev> ParseNetDev(std::string_view text, std::string_view path);

// /proc/[pid]/cgroup (cgroups(7)): "hierarchy-ID:controller-list:cgroup-path" lines:
//   12:memory:/kubepods/burstable/pod1234/abcd
//   0::/kubepods.slice/kubepods-pod1234.slice/cri-containerd-abcd.scope
// Returns the path of the line naming `controller` ("" selects the v2 line "0::").
Result<std::string> ParseProcCgroup(std::string_view text, std::string_view path,
                                    std::string_view controller);

}  // namespace gt::collectors
