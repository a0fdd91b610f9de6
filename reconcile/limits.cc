#include "reconcile/limits.h"

#include <cmath>

#include "reconcile/format.h"

namespace gt::reconcile {
namespace {

constexpr uint64_t kLargestPageBytes = 64 * 1024;
constexpr uint64_t kMinQuotaUs = 1000;  // the kubelet's minimum CFS quota

uint64_t Distance(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

}  // namespace

std::string_view ToString(LimitResource resource) {
  return resource == LimitResource::kMemory ? "memory" : "cpu";
}

EnforcedLimits EnforcedBy(const CgroupReading& r) {
  EnforcedLimits out;
  out.memory_limit_bytes = r.memory.limit_bytes;
  if (r.cpu.quota_us && r.cpu.period_us > 0) {
    out.cpu_limit_millicores = ToCount(std::round(static_cast<double>(*r.cpu.quota_us) * 1000 /
                                                  static_cast<double>(r.cpu.period_us)));
  }
  return out;
}

bool SameMemoryLimit(std::optional<uint64_t> declared, std::optional<uint64_t> enforced) {
  if (!declared || !enforced) return declared.has_value() == enforced.has_value();
  return Distance(*declared, *enforced) < kLargestPageBytes;
}

bool SameCpuLimit(std::optional<uint64_t> declared, const CpuReading& cpu) {
  const bool enforced = cpu.quota_us.has_value() && cpu.period_us > 0;
  if (!declared || *declared == 0 || !enforced) {
    // A zero CPU limit is none to the kubelet too.
    return (declared.value_or(0) > 0) == enforced;
  }
  // Kubernetes caps a CPU quantity far below where this product could overflow; a manifest
  // beyond that is drift whatever the kernel says.
  if (*declared > UINT64_MAX / cpu.period_us) return false;
  uint64_t expected = *declared * cpu.period_us / 1000;
  if (expected < kMinQuotaUs) expected = kMinQuotaUs;
  return Distance(expected, *cpu.quota_us) <= cpu.period_us / 1000;
}

std::vector<LimitDrift> DriftAt(const ContainerObservation& c, const CgroupReading& r) {
  std::vector<LimitDrift> out;
  if (!c.limits_declared) return out;
  const EnforcedLimits enforced = EnforcedBy(r);
  auto drift = [&](LimitResource resource, std::optional<uint64_t> declared,
                   std::optional<uint64_t> actual) {
    out.push_back(LimitDrift{c.container, c.pod, c.node, resource, declared, actual});
  };
  if (!SameMemoryLimit(c.declared.memory_limit_bytes, enforced.memory_limit_bytes)) {
    drift(LimitResource::kMemory, c.declared.memory_limit_bytes, enforced.memory_limit_bytes);
  }
  if (!SameCpuLimit(c.declared.cpu_limit_millicores, r.cpu)) {
    std::optional<uint64_t> declared = c.declared.cpu_limit_millicores;
    if (declared == uint64_t{0}) declared.reset();
    drift(LimitResource::kCpu, declared, enforced.cpu_limit_millicores);
  }
  return out;
}

std::string FormatLimit(LimitResource resource, std::optional<uint64_t> value) {
  if (!value) return "none";
  return resource == LimitResource::kMemory ? FormatBytes(*value) : FormatMillicores(*value);
}

std::string DescribeDrift(const LimitDrift& d) {
  std::string enforced = FormatLimit(d.resource, d.enforced);
  std::string declared = FormatLimit(d.resource, d.declared);
  if (enforced == declared && d.enforced && d.declared) {
    // Apart by less than the figures' rounding shows: the exact amounts tell them apart.
    enforced = std::to_string(*d.enforced);
    declared = std::to_string(*d.declared);
    if (d.resource == LimitResource::kMemory) {
      enforced += "B";
      declared += "B";
    }
  }
  return std::string(d.resource == LimitResource::kMemory ? "memory " : "CPU ") + enforced + " (" +
         declared + " declared)";
}

}  // namespace gt::reconcile
