#include "controller/writing.h"

#include <gtest/gtest.h>

namespace gt::controller {
namespace {

using reconcile::ConditionStatus;
using namespace std::chrono_literals;

Workload Live(WorkloadKind kind = WorkloadKind::kDeployment) {
  Workload w;
  w.key = {kind, "shop", "web"};
  w.uid = "u1";
  w.resource_version = "10";
  w.generation = 3;
  return w;
}

WriteTiming At(int64_t wall_seconds) {
  return WriteTiming{std::chrono::system_clock::time_point(std::chrono::seconds(wall_seconds)),
                     MonotonicTime(std::chrono::seconds(wall_seconds)), 30s};
}

TEST(Writing, FiguresAloneAreNotAMeaningfulChange) {
  EXPECT_TRUE(
      SameMeaning("memory PSI some 34% > 10% for 2m10s", "memory PSI some 41.5% > 10% for 3m0s"));
  EXPECT_FALSE(SameMeaning("container mysql: PSI 34%", "container nginx: PSI 34%"));
  EXPECT_FALSE(SameMeaning("all 3 containers within limits", "all 3 containers over limits"));
  EXPECT_TRUE(SameMeaning("every rule holds over 1m; peak 200Mi",
                          "every rule holds over 5m10s; peak 210.5Mi"));
  EXPECT_TRUE(SameMeaning("observing: 45s of 5m covered", "observing: 2m of 5m covered"));
  EXPECT_FALSE(SameMeaning("container app (pod mysql-0 on node-3)",
                           "container app (pod mysql-1 on node-3)"));
  EXPECT_FALSE(SameMeaning("on node-3: 34%", "on node-4: 34%"));
}

TEST(Writing, NothingToWriteInSteadyState) {
  Workload live = Live();
  live.condition = Condition{ConditionStatus::kTrue, "Compliant", "all 2 containers ok for 5m",
                             "1970-01-01T00:00:05Z", "1970-01-01T00:00:05Z"};
  live.verdict_annotation = "True/Compliant/3";
  Desired desired{ConditionStatus::kTrue, "Compliant", "all 2 containers ok for 15m", 3};
  EXPECT_TRUE(PlanWrite(desired, live, {}, At(100)).empty());
}

TEST(Writing, TransitionSetsTimesAndAnnouncesIt) {
  Workload live = Live();
  live.condition = Condition{ConditionStatus::kTrue, "Compliant", "ok", "1970-01-01T00:00:05Z",
                             "1970-01-01T00:00:05Z"};
  live.verdict_annotation = "True/Compliant/3";
  Desired desired{ConditionStatus::kFalse, "OOMKilled", "container app was OOM-killed", 3};
  WritePlan plan = PlanWrite(desired, live, {}, At(100));
  ASSERT_TRUE(plan.condition);
  EXPECT_EQ(plan.condition->last_transition_time, "1970-01-01T00:01:40Z");
  EXPECT_EQ(plan.condition->last_update_time, "1970-01-01T00:01:40Z");
  ASSERT_TRUE(plan.annotation);
  EXPECT_EQ(*plan.annotation, "False/OOMKilled/4");  // the generation our write produces
  ASSERT_TRUE(plan.event);
  EXPECT_TRUE(plan.event->warning);
  EXPECT_EQ(plan.event->reason, "OOMKilled");
}

TEST(Writing, ReasonChangeKeepsTransitionTime) {
  Workload live = Live(WorkloadKind::kStatefulSet);
  live.condition =
      Condition{ConditionStatus::kFalse, "MemoryThrashing", "x", "1970-01-01T00:00:05Z", ""};
  live.verdict_annotation = "False/MemoryThrashing/3";
  Desired desired{ConditionStatus::kFalse, "OOMKilled", "y", 3};
  WritePlan plan = PlanWrite(desired, live, {}, At(100));
  ASSERT_TRUE(plan.condition);
  EXPECT_EQ(plan.condition->last_transition_time, "1970-01-01T00:00:05Z");
  EXPECT_EQ(plan.condition->last_update_time, "");  // StatefulSet: no lastUpdateTime
  EXPECT_TRUE(plan.event);
}

TEST(Writing, WipedConditionIsReassertedWithItsTransitionTimeAndNoEvent) {
  Workload live = Live(WorkloadKind::kStatefulSet);
  live.verdict_annotation = "True/Compliant/3";
  live.resource_version = "12";
  WriteMemory memory;
  memory.condition =
      Condition{ConditionStatus::kTrue, "Compliant", "ok", "1970-01-01T00:00:05Z", ""};
  memory.condition_base_version = "10";
  memory.condition_written_at = MonotonicTime(99s);
  Desired desired{ConditionStatus::kTrue, "Compliant", "ok", 3};
  WritePlan plan = PlanWrite(desired, live, memory, At(100));
  ASSERT_TRUE(plan.condition);
  EXPECT_EQ(plan.condition->last_transition_time, "1970-01-01T00:00:05Z");
  EXPECT_FALSE(plan.annotation);
  EXPECT_FALSE(plan.event);
}

TEST(Writing, AWriteNotYetSeenByTheInformerIsNotRepeatedUntilItSettles) {
  Workload live = Live();
  live.resource_version = "10";
  WriteMemory memory;
  memory.condition = Condition{ConditionStatus::kTrue, "Compliant", "ok", "t", "t"};
  memory.condition_base_version = "10";
  memory.condition_written_at = MonotonicTime(95s);
  memory.annotation = "True/Compliant/4";  // a Deployment: the generation the write makes
  memory.annotation_base_versions = {"10", "11"};
  memory.annotation_written_at = MonotonicTime(95s);
  Desired desired{ConditionStatus::kTrue, "Compliant", "ok", 3};
  EXPECT_TRUE(PlanWrite(desired, live, memory, At(100)).empty());
  live.resource_version = "11";  // our condition write, not yet the annotation
  live.condition = memory.condition;
  EXPECT_TRUE(PlanWrite(desired, live, memory, At(100)).empty());
  live.resource_version = "10";
  live.condition.reset();
  EXPECT_FALSE(PlanWrite(desired, live, memory, At(200)).empty());  // lost: send again
}

TEST(Writing, NewGenerationMovesTheAnnotationOnly) {
  Workload live = Live();
  live.generation = 4;
  live.condition = Condition{ConditionStatus::kTrue, "Compliant", "ok", "t", "t"};
  live.verdict_annotation = "True/Compliant/3";
  WritePlan plan = PlanWrite({ConditionStatus::kTrue, "Compliant", "ok", 4}, live, {}, At(100));
  EXPECT_FALSE(plan.condition);
  ASSERT_TRUE(plan.annotation);
  EXPECT_EQ(*plan.annotation, "True/Compliant/5");
  // The server bumped the generation for our annotation: now it is current, nothing to do.
  live.generation = 5;
  live.verdict_annotation = "True/Compliant/5";
  EXPECT_TRUE(PlanWrite({ConditionStatus::kTrue, "Compliant", "ok", 5}, live, {}, At(101)).empty());
}

TEST(Writing, StatefulSetAnnotationNamesItsCurrentGeneration) {
  Workload live = Live(WorkloadKind::kStatefulSet);
  live.condition = Condition{ConditionStatus::kTrue, "Compliant", "ok", "t", ""};
  WritePlan plan = PlanWrite({ConditionStatus::kTrue, "Compliant", "ok", 3}, live, {}, At(100));
  ASSERT_TRUE(plan.annotation);
  EXPECT_EQ(*plan.annotation, "True/Compliant/3");
}

TEST(Writing, FirstObservingIsNotAnEvent) {
  WritePlan plan =
      PlanWrite({ConditionStatus::kUnknown, "Observing", "new", 3}, Live(), {}, At(100));
  EXPECT_TRUE(plan.condition);
  EXPECT_FALSE(plan.event);
}

}  // namespace
}  // namespace gt::controller
