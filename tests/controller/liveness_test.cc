// Liveness (which loops stopped moving) and RepeatFilter (a failure retried every few
// seconds is logged once, then at most once per period), on a fake clock.
#include "controller/liveness.h"

#include <gtest/gtest.h>

namespace gt::controller {
namespace {

using std::chrono::seconds;

TEST(Liveness, FailsOnlyForTheLoopPastItsDeadline) {
  FakeClock clock;
  Liveness liveness(clock, seconds(60));
  EXPECT_EQ(liveness.Stalled(), "");  // nothing registered yet: nothing to fail
  liveness.Beat("informer /api/v1/pods");
  liveness.Beat("reconcile");
  clock.Advance(seconds(60));
  EXPECT_EQ(liveness.Stalled(), "");  // at the deadline: still fine
  liveness.Beat("reconcile");
  clock.Advance(seconds(1));
  EXPECT_EQ(liveness.Stalled(), "informer /api/v1/pods: no progress for 61s");
  clock.Advance(seconds(60));
  EXPECT_EQ(liveness.Stalled(),
            "informer /api/v1/pods: no progress for 121s; reconcile: no progress for 61s");
  liveness.Beat("informer /api/v1/pods");
  liveness.Beat("reconcile");
  EXPECT_EQ(liveness.Stalled(), "");  // moving again
}

TEST(RepeatFilter, LogsChangesAtOnceAndRepeatsOncePerPeriod) {
  FakeClock clock;
  RepeatFilter filter(clock, seconds(300));
  EXPECT_EQ(filter.Admit("exec plugin exited with status 1: login required"), 0u);
  for (int i = 0; i < 10; ++i) {
    clock.Advance(seconds(5));
    EXPECT_FALSE(filter.Admit("exec plugin exited with status 1: login required"));
  }
  clock.Advance(seconds(250));  // 300 s since it was logged
  EXPECT_EQ(filter.Admit("exec plugin exited with status 1: login required"), 10u);
  EXPECT_FALSE(filter.Admit("exec plugin exited with status 1: login required"));
  EXPECT_EQ(filter.Admit("connection refused"), 0u);  // a different failure: at once
  EXPECT_EQ(filter.Admit("exec plugin exited with status 1: login required"), 0u);
}

}  // namespace
}  // namespace gt::controller
