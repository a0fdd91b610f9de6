// Kernel file names, in one place. Sources: Documentation/admin-guide/cgroup-v2.rst,
// Documentation/admin-guide/cgroup-v1/{memory,blkio-controller,cpuacct,pids}.rst,
// Documentation/scheduler/sched-bwc.rst, Documentation/accounting/psi.rst, proc(5).
#pragma once

namespace gt::collectors::files {

// Every cgroup, both versions.
inline constexpr char kCgroupProcs[] = "cgroup.procs";
inline constexpr char kCgroupControllers[] = "cgroup.controllers";  // v2 only
inline constexpr char kV2Threads[] = "cgroup.threads";
inline constexpr char kV1Tasks[] = "tasks";

// cgroup v2
inline constexpr char kMemoryCurrent[] = "memory.current";
inline constexpr char kMemoryMax[] = "memory.max";
inline constexpr char kMemoryHigh[] = "memory.high";
inline constexpr char kMemoryPeak[] = "memory.peak";  // Linux 5.19+
inline constexpr char kMemoryEvents[] = "memory.events";
inline constexpr char kMemoryEventsLocal[] = "memory.events.local";  // Linux 5.2+
inline constexpr char kMemoryStat[] = "memory.stat";
inline constexpr char kMemoryPressure[] = "memory.pressure";
inline constexpr char kMemorySwapCurrent[] = "memory.swap.current";
inline constexpr char kMemorySwapMax[] = "memory.swap.max";
inline constexpr char kCpuMax[] = "cpu.max";
inline constexpr char kCpuStat[] = "cpu.stat";
inline constexpr char kCpuPressure[] = "cpu.pressure";
inline constexpr char kIoStat[] = "io.stat";
inline constexpr char kIoPressure[] = "io.pressure";
inline constexpr char kPidsCurrent[] = "pids.current";  // also v1
inline constexpr char kPidsMax[] = "pids.max";          // also v1
inline constexpr char kPidsEvents[] = "pids.events";    // also v1

// cgroup v1
inline constexpr char kV1MemoryUsage[] = "memory.usage_in_bytes";
inline constexpr char kV1MemoryLimit[] = "memory.limit_in_bytes";
inline constexpr char kV1MemoryMaxUsage[] = "memory.max_usage_in_bytes";
inline constexpr char kV1MemoryFailcnt[] = "memory.failcnt";
inline constexpr char kV1MemoryOomControl[] = "memory.oom_control";
inline constexpr char kV1MemoryStat[] = "memory.stat";
inline constexpr char kV1CfsQuota[] = "cpu.cfs_quota_us";
inline constexpr char kV1CfsPeriod[] = "cpu.cfs_period_us";
inline constexpr char kV1CpuStat[] = "cpu.stat";
inline constexpr char kV1CpuacctUsage[] = "cpuacct.usage";
inline constexpr char kV1CpuacctStat[] = "cpuacct.stat";
inline constexpr char kV1BlkioBytes[] = "blkio.throttle.io_service_bytes";
inline constexpr char kV1BlkioIos[] = "blkio.throttle.io_serviced";

// v1 controller hierarchies under <cgroup>/, and the v2 tree of a hybrid host.
inline constexpr char kV1Memory[] = "memory";
inline constexpr char kV1Cpu[] = "cpu";
inline constexpr char kV1Cpuacct[] = "cpuacct";
inline constexpr char kV1Pids[] = "pids";
inline constexpr char kV1Blkio[] = "blkio";
inline constexpr char kHybridUnified[] = "unified";

// /proc
inline constexpr char kMeminfo[] = "meminfo";
inline constexpr char kVmstat[] = "vmstat";
inline constexpr char kLoadavg[] = "loadavg";
inline constexpr char kPressureMemory[] = "pressure/memory";
inline constexpr char kPressureCpu[] = "pressure/cpu";
inline constexpr char kPressureIo[] = "pressure/io";
inline constexpr char kNetSnmp[] = "net/snmp";
inline constexpr char kNetDev[] = "net/dev";
// A symlink whose target names the namespace, e.g. "net:[4026531840]"; equal targets are the
// same namespace (namespaces(7)).
inline constexpr char kNetNamespace[] = "ns/net";

}  // namespace gt::collectors::files
