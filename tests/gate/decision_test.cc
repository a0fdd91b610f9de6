#include "gate/decision.h"

#include <gtest/gtest.h>

#include "common/clock.h"

namespace gt::gate {
namespace {

using std::chrono::seconds;
using CS = ConditionStatus;

const WorkloadKey kWeb{WorkloadKind::kDeployment, "shop", "web"};
const WorkloadKey kDb{WorkloadKind::kStatefulSet, "shop", "db"};

Observed Workload(int64_t generation, CS status, const std::string& reason, int64_t verdict_gen,
                  bool with_condition = true) {
  Observed o;
  o.exists = true;
  o.generation = generation;
  o.mirror = contract::VerdictAnnotation{status, reason, verdict_gen};
  if (with_condition) o.condition = ConditionView{status, reason, "container x: " + reason, {}};
  return o;
}

class GateTest : public ::testing::Test {
 protected:
  FakeClock clock;
  Gate gate{Policy{seconds(60), seconds(300)}, clock.Monotonic()};
  void Advance(seconds d) { clock.Advance(d); }
  Outcome Decide() { return gate.Decide(clock.Monotonic()); }
  void See(const WorkloadKey& k, const Observed& o) { gate.Observe(k, o, clock.Monotonic()); }
};

// ParseMirror.AcceptsTheDesignFormatOnly moved to tests/contract/annotation_test.cc with the
// one parser of the annotation (contract::ParseVerdictAnnotation).

TEST(ReadVerdict, FreshOnlyWhenMirrorGenerationMatchesAndConditionAgrees) {
  EXPECT_TRUE(ReadVerdict(Workload(3, CS::kTrue, "Compliant", 3)).fresh);
  EXPECT_TRUE(ReadVerdict(Workload(3, CS::kTrue, "Compliant", 3, false)).fresh);
  Verdict stale = ReadVerdict(Workload(4, CS::kTrue, "Compliant", 3));
  EXPECT_FALSE(stale.fresh);
  EXPECT_NE(stale.stale_why.find("generation 3"), std::string::npos);
  Observed disagree = Workload(3, CS::kTrue, "Compliant", 3);
  disagree.condition->status = CS::kFalse;
  disagree.condition->reason = "MemoryThrashing";
  EXPECT_FALSE(ReadVerdict(disagree).fresh);
  Observed condition_only = Workload(3, CS::kTrue, "Compliant", 3);
  condition_only.mirror.reset();
  EXPECT_FALSE(ReadVerdict(condition_only).fresh);
  EXPECT_FALSE(ReadVerdict(Observed{}).fresh);
}

TEST_F(GateTest, FreshTruePassesOnlyAfterTheSoak) {
  See(kWeb, Workload(2, CS::kTrue, "Compliant", 2));
  EXPECT_EQ(Decide(), Outcome::kWaiting);
  EXPECT_EQ(gate.NextDeadline(), clock.Monotonic() + seconds(60));
  Advance(seconds(59));
  EXPECT_EQ(Decide(), Outcome::kWaiting);
  Advance(seconds(1));
  EXPECT_EQ(Decide(), Outcome::kPassed);
}

TEST_F(GateTest, ZeroSoakPassesOnTheFirstFreshTrue) {
  Gate g{Policy{seconds(0), seconds(300)}, clock.Monotonic()};
  g.Observe(kWeb, Workload(2, CS::kTrue, "Compliant", 2), clock.Monotonic());
  EXPECT_EQ(g.Decide(clock.Monotonic()), Outcome::kPassed);
}

TEST_F(GateTest, LeavingTrueRestartsTheSoak) {
  See(kWeb, Workload(2, CS::kTrue, "Compliant", 2));
  Advance(seconds(50));
  See(kWeb, Workload(2, CS::kUnknown, "NoData", 2));
  Advance(seconds(5));
  See(kWeb, Workload(2, CS::kTrue, "Compliant", 2));
  Advance(seconds(50));
  EXPECT_EQ(Decide(), Outcome::kWaiting) << "the first 50s must not count";
  Advance(seconds(10));
  EXPECT_EQ(Decide(), Outcome::kPassed);
}

TEST_F(GateTest, RepeatedIdenticalObservationsKeepTheSoak) {
  See(kWeb, Workload(2, CS::kTrue, "Compliant", 2));
  for (int i = 0; i < 6; ++i) {
    Advance(seconds(10));
    EXPECT_FALSE(gate.Observe(kWeb, Workload(2, CS::kTrue, "Compliant", 2), clock.Monotonic()));
  }
  EXPECT_EQ(Decide(), Outcome::kPassed);
}

TEST_F(GateTest, ANewGenerationRestartsTheSoakEvenIfTrueAgainAtOnce) {
  See(kWeb, Workload(2, CS::kTrue, "Compliant", 2));
  Advance(seconds(50));
  See(kWeb, Workload(3, CS::kTrue, "Compliant", 3));
  Advance(seconds(50));
  EXPECT_EQ(Decide(), Outcome::kWaiting);
  Advance(seconds(10));
  EXPECT_EQ(Decide(), Outcome::kPassed);
}

TEST_F(GateTest, StaleTrueNeverPassesAndTimesOut) {
  See(kWeb, Workload(4, CS::kTrue, "Compliant", 3));
  Advance(seconds(299));
  EXPECT_EQ(Decide(), Outcome::kWaiting);
  Advance(seconds(1));
  EXPECT_EQ(Decide(), Outcome::kTimedOut);
}

TEST_F(GateTest, StaleFalseDoesNotFail) {
  See(kWeb, Workload(4, CS::kFalse, "MemoryThrashing", 3));
  EXPECT_EQ(Decide(), Outcome::kWaiting);
}

TEST_F(GateTest, FreshFalseFailsAtOnceWhateverTheOthers) {
  See(kWeb, Workload(2, CS::kTrue, "Compliant", 2));
  See(kDb, Workload(1, CS::kUnknown, "Observing", 1));
  EXPECT_EQ(Decide(), Outcome::kWaiting);
  Advance(seconds(1));
  See(kDb, Workload(1, CS::kFalse, "MemoryThrashing", 1));
  EXPECT_EQ(Decide(), Outcome::kFailed);
}

TEST_F(GateTest, AllWorkloadsMustBeSoaked) {
  gate.Expect(kDb);
  See(kWeb, Workload(2, CS::kTrue, "Compliant", 2));
  Advance(seconds(120));
  EXPECT_EQ(Decide(), Outcome::kWaiting) << "db was never seen";
  See(kDb, Workload(1, CS::kTrue, "Compliant", 1));
  Advance(seconds(59));
  EXPECT_EQ(Decide(), Outcome::kWaiting);
  EXPECT_EQ(gate.NextDeadline(), clock.Monotonic() + seconds(1));
  Advance(seconds(1));
  EXPECT_EQ(Decide(), Outcome::kPassed);
}

TEST_F(GateTest, UnknownPastTimeoutTimesOut) {
  See(kWeb, Workload(2, CS::kUnknown, "Observing", 2));
  EXPECT_EQ(gate.NextDeadline(), clock.Monotonic() + seconds(300));
  Advance(seconds(300));
  EXPECT_EQ(Decide(), Outcome::kTimedOut);
}

TEST_F(GateTest, DeletedWorkloadLosesItsSoak) {
  See(kWeb, Workload(2, CS::kTrue, "Compliant", 2));
  Advance(seconds(30));
  See(kWeb, Observed{});
  Advance(seconds(40));
  EXPECT_EQ(Decide(), Outcome::kWaiting);
}

TEST_F(GateTest, ObserveReportsOnlyChanges) {
  auto first = gate.Observe(kWeb, Workload(2, CS::kUnknown, "Observing", 2), clock.Monotonic());
  ASSERT_TRUE(first);
  EXPECT_NE(first->find("Deployment/shop/web"), std::string::npos);
  EXPECT_FALSE(gate.Observe(kWeb, Workload(2, CS::kUnknown, "Observing", 2), clock.Monotonic()));
  auto bumped = gate.Observe(kWeb, Workload(3, CS::kUnknown, "Observing", 2), clock.Monotonic());
  ASSERT_TRUE(bumped);
  EXPECT_NE(bumped->find("stale"), std::string::npos);
}

}  // namespace
}  // namespace gt::gate
