#include "kube/backoff.h"

#include <gtest/gtest.h>

namespace gt::kube {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(Backoff, DoublesUpToCapThenStays) {
  Backoff b{milliseconds(100), 2.0, 0.0, 100, seconds(1)};
  const Uniform zero = [] { return 0.0; };
  EXPECT_EQ(b.Step(zero), milliseconds(100));
  EXPECT_EQ(b.Step(zero), milliseconds(200));
  EXPECT_EQ(b.Step(zero), milliseconds(400));
  EXPECT_EQ(b.Step(zero), milliseconds(800));
  EXPECT_EQ(b.Step(zero), seconds(1));  // capped; steps end
  EXPECT_EQ(b.Step(zero), seconds(1));
  EXPECT_EQ(b.steps, 0);
}

TEST(Backoff, JitterStaysWithinBounds) {
  Backoff b{milliseconds(800), 2.0, 1.0, 1 << 30, seconds(30)};
  const Uniform rand = DefaultUniform();
  Duration base = milliseconds(800);
  for (int i = 0; i < 20; ++i) {
    const Duration d = b.Step(rand);
    EXPECT_GE(d, base);
    EXPECT_LT(d, 2 * base);
    base = std::min<Duration>(base * 2, seconds(30));
  }
  // Extremes of the random source map to the extremes of the interval.
  EXPECT_EQ(Jitter(seconds(2), 1.0, [] { return 0.0; }), seconds(2));
  EXPECT_EQ(Jitter(seconds(2), 0.5, [] { return 0.999999; }),
            seconds(2) + milliseconds(999) + std::chrono::microseconds(999));
  EXPECT_EQ(Jitter(seconds(2), 0.0, [] { return 0.5; }), seconds(3));  // factor <= 0 means 1
}

TEST(BackoffManager, GrowsOnFailuresAndResetsAfterQuiet) {
  BackoffManager m([] { return 0.0; });
  Duration now = seconds(100);
  EXPECT_EQ(m.Next(now), milliseconds(800));
  EXPECT_EQ(m.Next(now += seconds(1)), milliseconds(1600));
  EXPECT_EQ(m.Next(now += seconds(1)), milliseconds(3200));
  EXPECT_EQ(m.Next(now += std::chrono::minutes(3)), milliseconds(800));
}

TEST(RetryAfter, ParsesSecondsOnly) {
  EXPECT_EQ(ParseRetryAfter("3"), seconds(3));
  EXPECT_EQ(ParseRetryAfter(" 10 "), seconds(10));
  EXPECT_EQ(ParseRetryAfter("0"), seconds(0));
  EXPECT_FALSE(ParseRetryAfter("-1"));
  EXPECT_FALSE(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"));
  EXPECT_FALSE(ParseRetryAfter(""));
}

// Found by kube_retry_after_fuzz: delay-seconds is digits only, so no sign, not even on 0.
TEST(RetryAfter, RefusesSigns) {
  EXPECT_FALSE(ParseRetryAfter("-0"));
  EXPECT_FALSE(ParseRetryAfter(" -0 "));
  EXPECT_FALSE(ParseRetryAfter("+5"));
}

}  // namespace
}  // namespace gt::kube
