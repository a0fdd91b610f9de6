// The window arithmetic every rule stands on.
#include "reconcile/series.h"

#include <gtest/gtest.h>

namespace gt::reconcile::series {
namespace {

using std::chrono::seconds;

CgroupReading At(int64_t s, uint64_t stall_us) {
  CgroupReading r;
  r.time = seconds(s);
  r.memory.pressure = Pressure{PressureLine{0, 0, 0, stall_us}, std::nullopt};
  return r;
}

std::optional<Ratio> Some(const Step<CgroupReading>& s) {
  return PsiShare(s.prev->memory.pressure, s.cur->memory.pressure, false, s.micros());
}

std::optional<double> Share(const std::vector<Step<CgroupReading>>& steps, int64_t from,
                            int64_t to) {
  std::optional<Ratio> r = Sum(steps, seconds(from), seconds(to), Some);
  if (!r) return std::nullopt;
  return r->value();
}

TEST(BuildSteps, KeepsOrderedReadingsInsideTheSpanAndMarksGaps) {
  std::vector<CgroupReading> rs = {At(5, 0),  At(10, 0), At(20, 0),  At(20, 0),
                                   At(15, 0), At(30, 0), At(200, 0), At(900, 0)};
  auto steps = BuildSteps(rs, seconds(10), seconds(300), seconds(60));
  ASSERT_EQ(steps.size(), 3u);  // 10->20, 20->30, 30->200 (5 s is before, 900 s after now)
  EXPECT_EQ(steps[0].start, seconds(10));
  EXPECT_FALSE(steps[1].gap);
  EXPECT_TRUE(steps[2].gap);  // 170 s > 60 s
}

TEST(Sum, ApportionsIntervalsAtTheWindowEdges) {
  // 0-10 s: no stall; 10-20 s: 100% stall; 20-30 s: 50%.
  std::vector<CgroupReading> rs = {At(0, 0), At(10, 0), At(20, 10'000'000), At(30, 15'000'000)};
  auto steps = BuildSteps(rs, seconds(0), seconds(30), seconds(60));
  EXPECT_DOUBLE_EQ(*Share(steps, 0, 30), 0.5);
  EXPECT_DOUBLE_EQ(*Share(steps, 15, 25), 0.75);  // 5 s at 100% + 5 s at 50%
  EXPECT_DOUBLE_EQ(*Share(steps, 10, 20), 1.0);
}

TEST(Sum, OnlyCoveredWindowsAreJudged) {
  std::vector<CgroupReading> rs = {At(0, 0), At(10, 5'000'000), At(100, 50'000'000),
                                   At(110, 55'000'000)};
  auto steps = BuildSteps(rs, seconds(0), seconds(200), seconds(60));
  EXPECT_TRUE(Share(steps, 0, 10).has_value());
  EXPECT_FALSE(Share(steps, 0, 20).has_value());     // runs into the 90 s gap
  EXPECT_FALSE(Share(steps, 105, 120).has_value());  // past the last reading
  EXPECT_FALSE(Share(steps, 10, 10).has_value());    // empty window
}

TEST(Sum, ACounterThatGoesDownIsARestartNotARate) {
  std::vector<CgroupReading> rs = {At(0, 1'000'000'000), At(10, 1'005'000'000), At(20, 1'000),
                                   At(30, 2'000)};
  auto steps = BuildSteps(rs, seconds(0), seconds(30), seconds(60));
  EXPECT_DOUBLE_EQ(*Share(steps, 0, 10), 0.5);
  EXPECT_FALSE(Share(steps, 0, 30).has_value());  // the reset interval has no rate
  EXPECT_DOUBLE_EQ(*Share(steps, 20, 30), 0.0001);
}

TEST(PsiShare, NeverMoreThanTheWallTime) {
  std::vector<CgroupReading> rs = {At(0, 0), At(10, 12'000'000)};
  auto steps = BuildSteps(rs, seconds(0), seconds(10), seconds(60));
  EXPECT_DOUBLE_EQ(*Share(steps, 0, 10), 1.0);
}

}  // namespace
}  // namespace gt::reconcile::series
