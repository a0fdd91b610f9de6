// Declared limits against the ones the kernel enforces. The rules judge the enforced ones
// (what the workload actually lives under); a difference is drift, and the verdict tells it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/reading.h"
#include "reconcile/observation.h"
#include "reconcile/verdict.h"

namespace gt::reconcile {

// A cgroup's limits in the units a manifest declares them. Empty: none enforced ("max").
struct EnforcedLimits {
  std::optional<uint64_t> memory_limit_bytes;
  std::optional<uint64_t> cpu_limit_millicores;  // CFS quota per period
};

EnforcedLimits EnforcedBy(const CgroupReading& reading);

// Whether the enforced limit is the declared one as the kubelet writes it: memory rounded
// down to whole pages by the kernel (64 KiB allowed, the largest page size Kubernetes nodes
// use), CPU as the CFS quota millicores × period / 1000, at least 1 ms (MilliCPUToQuota),
// give or take one millicore.
bool SameMemoryLimit(std::optional<uint64_t> declared, std::optional<uint64_t> enforced);
bool SameCpuLimit(std::optional<uint64_t> declared_millicores, const CpuReading& cpu);

// The container's drift at one reading, memory first; empty when the limits agree or
// nothing was declared (limits_declared false).
std::vector<LimitDrift> DriftAt(const ContainerObservation& container,
                                const CgroupReading& reading);

// "256Mi", "200m", "2"; "none" for no limit.
std::string FormatLimit(LimitResource resource, std::optional<uint64_t> value);

// Both sides of a drift for a message: "CPU 200m (2 declared)", "memory none (512Mi declared)".
std::string DescribeDrift(const LimitDrift& drift);

}  // namespace gt::reconcile
