#include "reconcile/policy.h"

#include <gtest/gtest.h>

namespace gt::reconcile {
namespace {

using std::chrono::seconds;

TEST(DefaultPolicy, MatchesTheDocumentedDefaults) {
  const Policy p = DefaultPolicy();
  EXPECT_DOUBLE_EQ(p.memory_thrashing.psi_some, 0.10);
  EXPECT_EQ(p.memory_thrashing.window, seconds(60));
  EXPECT_EQ(p.memory_thrashing.windows, 2);
  EXPECT_DOUBLE_EQ(p.memory_thrashing.psi_full, 0.50);
  EXPECT_EQ(p.memory_thrashing.full_window, seconds(20));
  EXPECT_DOUBLE_EQ(p.memory_saturated.working_set_ratio, 0.90);
  EXPECT_EQ(p.memory_saturated.window, seconds(300));
  EXPECT_DOUBLE_EQ(p.cpu_throttled.ratio, 0.25);
  EXPECT_EQ(p.cpu_throttled.window, seconds(300));
  EXPECT_DOUBLE_EQ(p.cpu_throttled.throttled_time, 0.10);
  EXPECT_DOUBLE_EQ(p.cpu_throttled.usage_ratio, 0.70);
  EXPECT_DOUBLE_EQ(p.cpu_throttled.psi_some, 0.50);
  EXPECT_DOUBLE_EQ(p.io_contention.psi_full, 0.25);
  EXPECT_EQ(p.io_contention.window, seconds(300));
  EXPECT_EQ(p.processes_blocked.window, seconds(120));
  EXPECT_DOUBLE_EQ(p.network_degraded.ratio, 0.01);
  EXPECT_FALSE(p.node_overcommit_blames_workload);
  // Recovery defaults to the rule's own sustained span.
  EXPECT_EQ(RecoveryOf(p.memory_thrashing), seconds(120));
  EXPECT_EQ(RecoveryOf(p.cpu_throttled), seconds(300));
}

TEST(ApplyOverride, AcceptsEachKindOfValue) {
  Policy p = DefaultPolicy();
  ASSERT_TRUE(ApplyOverride(p, "cpu-throttled.ratio", "0.5"));
  EXPECT_DOUBLE_EQ(p.cpu_throttled.ratio, 0.5);
  ASSERT_TRUE(ApplyOverride(p, "memory-thrashing.psi-some", "20%"));
  EXPECT_DOUBLE_EQ(p.memory_thrashing.psi_some, 0.20);
  ASSERT_TRUE(ApplyOverride(p, "memory-thrashing.window", "1m30s"));
  EXPECT_EQ(p.memory_thrashing.window, seconds(90));
  ASSERT_TRUE(ApplyOverride(p, "io-contention.recovery", "10m"));
  EXPECT_EQ(RecoveryOf(p.io_contention), seconds(600));
  ASSERT_TRUE(ApplyOverride(p, "node-overcommitted.blame", "true"));
  EXPECT_TRUE(p.node_overcommit_blames_workload);
  ASSERT_TRUE(ApplyOverride(p, "oom-killed.enabled", "false"));
  EXPECT_FALSE(p.oom_killed.enabled);
  ASSERT_TRUE(ApplyOverride(p, "memory-thrashing.windows", "3"));
  EXPECT_EQ(p.memory_thrashing.windows, 3);
  ASSERT_TRUE(ApplyOverride(p, "network-degraded.min-segments", "50"));
  EXPECT_EQ(p.network_degraded.min_segments, 50u);
  ASSERT_TRUE(ApplyOverride(p, "memory-thrashing.refault-rate", "250.5"));
  EXPECT_DOUBLE_EQ(p.memory_thrashing.refault_rate, 250.5);
  ASSERT_TRUE(ApplyOverride(p, "recommendation.memory-headroom", "1.5"));
  EXPECT_DOUBLE_EQ(p.recommendation.memory_headroom, 1.5);
  ASSERT_TRUE(ApplyOverride(p, " observation.window ", " 10m "));
  EXPECT_EQ(p.observation.window, seconds(600));
}

TEST(ApplyOverride, RejectsBadKeysAndValuesAndLeavesPolicyAlone) {
  const struct {
    const char* key;
    const char* value;
    const char* says;  // part of the message
  } cases[] = {
      {"cpu-throttled", "0.5", "expected <rule>.<parameter>"},
      {"cpu-throttling.ratio", "0.5", "unknown rule"},
      {"cpu-throttled.ratios", "0.5", "unknown parameter"},
      {"cpu-throttled.ratio", "1.5", "between 0 and 1"},
      {"cpu-throttled.ratio", "150%", "between 0 and 1"},
      {"cpu-throttled.ratio", "-0.1", "between 0 and 1"},
      {"cpu-throttled.ratio", "half", "not a ratio"},
      {"cpu-throttled.ratio", "", "not a ratio"},
      {"cpu-throttled.window", "300", "not a duration"},
      {"cpu-throttled.window", "500ms", "at least 1s"},
      {"cpu-throttled.window", "-5m", "at least 1s"},
      {"cpu-throttled.window", "9999h", "at most"},
      {"cpu-throttled.enabled", "yes", "true or false"},
      {"memory-thrashing.windows", "0", "whole number from 1"},
      {"memory-thrashing.windows", "2.5", "whole number from 1"},
      {"memory-thrashing.refault-rate", "0", "greater than 0"},
      {"memory-thrashing.refault-rate", "nan", "not a number"},
      {"network-degraded.min-segments", "-1", "whole number"},
      {"recommendation.cpu-headroom", "0.5", "between 1 and 10"},
  };
  for (const auto& c : cases) {
    Policy p = DefaultPolicy();
    Status s = ApplyOverride(p, c.key, c.value);
    ASSERT_FALSE(s) << c.key << "=" << c.value;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalid);
    EXPECT_NE(s.error().message.find(std::string("groundtruth.dev/") + c.key), std::string::npos)
        << s.error().message;
    EXPECT_NE(s.error().message.find(c.says), std::string::npos) << s.error().message;
    EXPECT_DOUBLE_EQ(p.cpu_throttled.ratio, 0.25);
    EXPECT_EQ(p.cpu_throttled.window, seconds(300));
    EXPECT_TRUE(p.cpu_throttled.enabled);
    EXPECT_EQ(p.memory_thrashing.windows, 2);
  }
}

TEST(WithWindow, ScalesEveryWindowSoTheLongestFits) {
  const Policy p = WithWindow(DefaultPolicy(), seconds(20));
  EXPECT_EQ(p.observation.window, seconds(20));
  EXPECT_EQ(p.cpu_throttled.window, seconds(20));
  EXPECT_EQ(*p.cpu_throttled.recovery, seconds(20));
  EXPECT_EQ(p.memory_thrashing.window, seconds(4));       // 60 * 20/300
  EXPECT_EQ(RecoveryOf(p.memory_thrashing), seconds(8));  // 120 * 20/300
  EXPECT_EQ(p.processes_blocked.window, seconds(8));
  EXPECT_EQ(p.memory_thrashing.full_window, seconds(1));  // 1.33s rounds to 1s
  // Hold times after an OOM kill or a refused fork stay: a short run must not forget them.
  EXPECT_EQ(p.oom_killed.recovery, seconds(600));
  EXPECT_EQ(p.pids_exhausted.recovery, seconds(300));
  // Thresholds are untouched.
  EXPECT_DOUBLE_EQ(p.memory_thrashing.psi_some, 0.10);
}

TEST(WithWindow, LeavesShorterPoliciesAlone) {
  const Policy p = WithWindow(DefaultPolicy(), seconds(600));
  EXPECT_EQ(p.observation.window, seconds(300));
  EXPECT_EQ(p.memory_thrashing.window, seconds(60));
  EXPECT_EQ(RecoveryOf(p.memory_thrashing), seconds(120));
}

TEST(WithWindow, NeverBelowOneSecond) {
  const Policy p = WithWindow(DefaultPolicy(), seconds(0));
  EXPECT_EQ(p.observation.window, seconds(1));
  EXPECT_EQ(p.memory_thrashing.full_window, seconds(1));
}

}  // namespace
}  // namespace gt::reconcile
