// Declared against enforced limits: what counts as the same limit once the kubelet and the
// kernel have written it, and how the verdict judges on the enforced one and says so.
#include "reconcile/limits.h"

#include <gtest/gtest.h>

#include "reconcile/judge.h"
#include "series.h"

namespace gt::reconcile {
namespace {

using namespace testing;  // NOLINT: test helpers

const seconds kEvery{10};

MonotonicTime At(int64_t s) { return kStart + seconds(s); }

CpuReading Quota(uint64_t quota_us, uint64_t period_us = 100000) {
  CpuReading cpu;
  cpu.quota_us = quota_us;
  cpu.period_us = period_us;
  return cpu;
}

TEST(SameCpuLimit, TheKubeletsQuotaIsTheDeclaredLimit) {
  EXPECT_TRUE(SameCpuLimit(2000, Quota(200000)));
  EXPECT_TRUE(SameCpuLimit(200, Quota(20000)));
  EXPECT_TRUE(SameCpuLimit(250, Quota(12500, 50000)));  // another period, same share
  EXPECT_TRUE(SameCpuLimit(5, Quota(1000)));            // the 1 ms floor: 5m runs as 10m
  EXPECT_TRUE(SameCpuLimit(std::nullopt, CpuReading{}));
  EXPECT_TRUE(SameCpuLimit(0, CpuReading{}));  // a zero limit is none
}

TEST(SameCpuLimit, AnotherQuotaOrNoneIsDrift) {
  EXPECT_FALSE(SameCpuLimit(2000, Quota(20000)));          // 2 declared, 200m enforced
  EXPECT_FALSE(SameCpuLimit(2000, CpuReading{}));          // not enforced (cpuCFSQuota off)
  EXPECT_FALSE(SameCpuLimit(std::nullopt, Quota(50000)));  // a LimitRange default
  EXPECT_FALSE(SameCpuLimit(UINT64_MAX, Quota(50000)));    // no overflow
}

TEST(SameMemoryLimit, PageRoundingIsNotDrift) {
  EXPECT_TRUE(SameMemoryLimit(1000000000, 999997440));  // "1G", rounded down to 4 KiB pages
  EXPECT_TRUE(SameMemoryLimit(2 * kGi, 2 * kGi));
  EXPECT_TRUE(SameMemoryLimit(std::nullopt, std::nullopt));
  EXPECT_FALSE(SameMemoryLimit(2 * kGi, 256 * kMi));
  EXPECT_FALSE(SameMemoryLimit(512 * kMi, std::nullopt));
  EXPECT_FALSE(SameMemoryLimit(std::nullopt, 256 * kMi));
}

TEST(DescribeDrift, BothSidesInTheManifestsUnits) {
  EXPECT_EQ(DescribeDrift({"c", "", "", LimitResource::kCpu, 2000, 200}), "CPU 200m (2 declared)");
  EXPECT_EQ(DescribeDrift({"c", "", "", LimitResource::kMemory, 512 * kMi, std::nullopt}),
            "memory none (512Mi declared)");
  EXPECT_EQ(DescribeDrift({"c", "", "", LimitResource::kMemory, std::nullopt, 256 * kMi}),
            "memory 256Mi (none declared)");
  // Too close for the short form to tell apart: exact bytes.
  EXPECT_EQ(DescribeDrift({"c", "", "", LimitResource::kMemory, 2 * kGi, 2 * kGi + kMi}),
            "memory 2148532224B (2147483648B declared)");
}

// The seed's case: a manifest that says 2 CPUs on a cgroup held to 200m. The kernel's 200m
// is what throttles the workload, so it is what the verdict is judged on and quotes; the
// declared 2 is told beside it.
TEST(Drift, CpuThrottledAgainstTheEnforcedQuotaAndSaysSo) {
  CgroupReading first = Healthy();
  first.cpu.quota_us = 20000;  // 200m
  auto s = Series(first, 36, kEvery, [](CgroupReading& r, int, double dt_us) {
    r.cpu.usage_us += static_cast<uint64_t>(dt_us * 0.1);  // + 0.1 from Quiet: the whole quota
    r.cpu.nr_throttled += static_cast<uint64_t>(dt_us / 100000);
    r.cpu.throttled_us += static_cast<uint64_t>(dt_us * 0.8);
  });
  ContainerObservation c = Container(s);
  c.declared.cpu_limit_millicores = 2000;
  Verdict v = Judge(Workload({c}), DefaultPolicy(), JudgeState{}, At(360)).verdict;
  EXPECT_EQ(v.reason, reason::kCPUThrottled) << v.message;
  EXPECT_NE(v.message.find("CPU demand 1 against a 200m limit"), std::string::npos) << v.message;
  EXPECT_NE(v.message.find("; judged on the limits the kernel enforces, not the declared: "
                           "CPU 200m (2 declared)"),
            std::string::npos)
      << v.message;
  ASSERT_EQ(v.drift.size(), 1u);
  EXPECT_EQ(v.drift[0].resource, LimitResource::kCpu);
  EXPECT_EQ(v.drift[0].declared, 2000u);
  EXPECT_EQ(v.drift[0].enforced, 200u);
  EXPECT_EQ(v.drift[0].pod, "mysql-0");
  ASSERT_EQ(v.evidence.size(), 2u);
  EXPECT_EQ(v.evidence[0].reason, "CPUThrottled");
  EXPECT_EQ(v.evidence[1].reason, "LimitDrift");
  EXPECT_EQ(v.evidence[1].signal, "CPU limit");
  EXPECT_DOUBLE_EQ(v.evidence[1].value, 200);
  EXPECT_DOUBLE_EQ(v.evidence[1].threshold, 2000);
  EXPECT_EQ(v.evidence[1].detail,
            "CPU limit 200m enforced by the kernel, 2 declared; judged on the enforced");
}

// memory.max at 256Mi under a manifest of 2Gi: the working set fills the enforced limit and
// the kernel reclaims at it; judged against the 2Gi it would be 12% full and Compliant.
TEST(Drift, MemorySaturatedAgainstTheEnforcedLimit) {
  CgroupReading first = Healthy();
  first.memory.limit_bytes = 256 * kMi;
  first.memory.usage_bytes = 250 * kMi;
  auto s =
      Series(first, 40, kEvery, [](CgroupReading& r, int, double) { r.memory.events_max += 5; });
  Verdict v = Judge(Workload({Container(s)}), DefaultPolicy(), JudgeState{}, At(400)).verdict;
  EXPECT_EQ(v.reason, reason::kMemorySaturated) << v.message;
  EXPECT_NE(v.message.find("of 256Mi limit"), std::string::npos) << v.message;
  EXPECT_NE(v.message.find("memory 256Mi (2Gi declared)"), std::string::npos) << v.message;
}

TEST(Drift, ACompliantVerdictTellsItToo) {
  CgroupReading first = Healthy();
  first.memory.limit_bytes = 4 * kGi;  // raised in place
  auto s = Series(first, 40, kEvery, Nothing);
  Verdict v = Judge(Workload({Container(s)}), DefaultPolicy(), JudgeState{}, At(400)).verdict;
  EXPECT_EQ(v.reason, reason::kCompliant) << v.message;
  EXPECT_NE(v.message.find("peak working set 1Gi of 4Gi limit"), std::string::npos) << v.message;
  EXPECT_NE(v.message.find("; judged on the limits the kernel enforces, not the declared: "
                           "memory 4Gi (2Gi declared)"),
            std::string::npos)
      << v.message;
  ASSERT_EQ(v.evidence.size(), 1u);
  EXPECT_EQ(v.evidence[0].reason, "LimitDrift");

  // And while observing, so a gate waiting on the release sees it from the start.
  Verdict early = Judge(Workload({Container(s)}), DefaultPolicy(), JudgeState{}, At(60)).verdict;
  EXPECT_EQ(early.reason, reason::kObserving);
  EXPECT_NE(early.message.find("memory 4Gi (2Gi declared)"), std::string::npos) << early.message;
}

// A limit declared but not enforced is not judged as if it were: the refault path of
// MemoryThrashing needs a limit for the working set to press on, and there is none.
TEST(Drift, ADeclaredLimitTheKernelDoesNotEnforceIsNotJudged) {
  CgroupReading first = Healthy();
  first.memory.limit_bytes.reset();
  first.memory.usage_bytes = static_cast<uint64_t>(1.95 * kGi);
  first.memory.pressure.reset();  // no PSI: the refault path judges
  auto s = Series(first, 40, kEvery, [](CgroupReading& r, int, double) {
    r.memory.workingset_refault_file += 50000;  // 5000 pages/s
  });
  Verdict v = Judge(Workload({Container(s)}), DefaultPolicy(), JudgeState{}, At(400)).verdict;
  EXPECT_EQ(v.reason, reason::kCompliant) << v.message;
  EXPECT_NE(v.message.find("peak working set 1.95Gi, no memory limit enforced"), std::string::npos)
      << v.message;
  EXPECT_NE(v.message.find("memory none (2Gi declared)"), std::string::npos) << v.message;
}

TEST(Drift, NothingToTellWhenTheLimitsAgreeOrNothingWasDeclared) {
  auto s = Series(Healthy(), 40, kEvery, Nothing);
  Verdict same = Judge(Workload({Container(s)}), DefaultPolicy(), JudgeState{}, At(400)).verdict;
  EXPECT_TRUE(same.drift.empty());
  EXPECT_EQ(same.message.find("declared"), std::string::npos) << same.message;

  ContainerObservation unknown = Container(s);
  unknown.declared = DeclaredLimits{};
  unknown.limits_declared = false;  // `check` without a manifest
  Verdict v = Judge(Workload({unknown}), DefaultPolicy(), JudgeState{}, At(400)).verdict;
  EXPECT_TRUE(v.drift.empty());
  EXPECT_TRUE(v.evidence.empty());
  EXPECT_NE(v.message.find("peak working set 1Gi of 2Gi limit,"), std::string::npos) << v.message;
}

// Three replicas resized alike are one drift; a workload of two containers names the one
// that drifted.
TEST(Drift, OncePerContainerAndNamedAmongSeveral) {
  CgroupReading first = Healthy();
  first.cpu.quota_us = 50000;  // 500m, 1 declared
  auto s = Series(first, 40, kEvery, Nothing);
  Verdict v = Judge(Workload({Container(s, "web", "web-1"), Container(s, "web", "web-2"),
                              Container(s, "web", "web-3")}),
                    DefaultPolicy(), JudgeState{}, At(400))
                  .verdict;
  EXPECT_EQ(v.drift.size(), 1u);
  EXPECT_NE(v.message.find("; judged on the limits the kernel enforces, not the declared: CPU "
                           "500m (1 declared)"),
            std::string::npos)
      << v.message;

  Verdict two =
      Judge(Workload({Container(s, "web", "web-1"),
                      Container(Series(Healthy(), 40, kEvery, Nothing), "proxy", "web-1")}),
            DefaultPolicy(), JudgeState{}, At(400))
          .verdict;
  ASSERT_EQ(two.drift.size(), 1u);
  EXPECT_NE(two.message.find("; container web judged on the limits the kernel enforces, not the "
                             "declared: CPU 500m (1 declared)"),
            std::string::npos)
      << two.message;
}

}  // namespace
}  // namespace gt::reconcile
