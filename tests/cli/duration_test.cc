#include "common/duration.h"

#include <gtest/gtest.h>

namespace gt {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;

nanoseconds D(std::string_view text) {
  Result<nanoseconds> d = ParseDuration(text);
  EXPECT_TRUE(d.has_value()) << text;
  return d.value_or(nanoseconds(-1));
}

TEST(DurationTest, ForPeopleRoundsToWhatAPersonReads) {
  EXPECT_EQ(FormatDurationForPeople(nanoseconds(7'012'529'640)), "7s");
  EXPECT_EQ(FormatDurationForPeople(milliseconds(7'060)), "7.1s");
  EXPECT_EQ(FormatDurationForPeople(nanoseconds(350'400'000)), "350ms");
  EXPECT_EQ(FormatDurationForPeople(milliseconds(42'600)), "43s");
  EXPECT_EQ(FormatDurationForPeople(seconds(130) + milliseconds(200)), "2m10s");
  EXPECT_EQ(FormatDurationForPeople(minutes(12) + seconds(31)), "13m");
  EXPECT_EQ(FormatDurationForPeople(hours(1) + minutes(5) + seconds(2)), "1h5m");
  EXPECT_EQ(FormatDurationForPeople(seconds(0)), "0s");
  EXPECT_EQ(FormatDurationForPeople(-milliseconds(7'060)), "-7.1s");
  // The ends of the range: no overflow, still a duration.
  EXPECT_FALSE(FormatDurationForPeople(nanoseconds::max()).empty());
  EXPECT_FALSE(FormatDurationForPeople(nanoseconds::min()).empty());
  for (nanoseconds d : {nanoseconds(7'012'529'640), nanoseconds(minutes(12) + seconds(31))}) {
    EXPECT_TRUE(ParseDuration(FormatDurationForPeople(d)).has_value());
  }
}

TEST(DurationTest, ParsesGoForms) {
  EXPECT_EQ(D("30s"), seconds(30));
  EXPECT_EQ(D("2m10s"), minutes(2) + seconds(10));
  EXPECT_EQ(D("1h"), hours(1));
  EXPECT_EQ(D("500ms"), milliseconds(500));
  EXPECT_EQ(D("1.5h"), minutes(90));
  EXPECT_EQ(D(".5s"), milliseconds(500));
  EXPECT_EQ(D("1.s"), seconds(1));
  EXPECT_EQ(D("0"), nanoseconds(0));
  EXPECT_EQ(D("+5s"), seconds(5));
  EXPECT_EQ(D("-5s"), seconds(-5));
  EXPECT_EQ(D("1h2m3s4ms5us6ns"), hours(1) + minutes(2) + seconds(3) + milliseconds(4) +
                                      std::chrono::microseconds(5) + nanoseconds(6));
  EXPECT_EQ(D("3\xC2\xB5s"), std::chrono::microseconds(3));
  EXPECT_EQ(D("2562047h47m16.854775807s"), nanoseconds(INT64_MAX));
  EXPECT_EQ(D("-2562047h47m16.854775808s"), nanoseconds(INT64_MIN));
}

TEST(DurationTest, RejectsWhatGoRejects) {
  for (std::string_view bad : {"", "5", "s", ".s", "1x", "1.5.5s", "-", "1h 2m", " 1s",
                               "2562047h47m16.854775808s", "9999999999999999999s"}) {
    Result<nanoseconds> d = ParseDuration(bad);
    EXPECT_FALSE(d.has_value()) << "'" << bad << "' parsed";
    if (!d) {
      EXPECT_NE(d.error().message.find(std::string(bad)), std::string::npos);
    }
  }
}

TEST(DurationTest, FormatsCompactly) {
  EXPECT_EQ(FormatDuration(minutes(2) + seconds(10)), "2m10s");
  EXPECT_EQ(FormatDuration(hours(1)), "1h");
  EXPECT_EQ(FormatDuration(milliseconds(500)), "500ms");
  EXPECT_EQ(FormatDuration(milliseconds(1500)), "1.5s");
  EXPECT_EQ(FormatDuration(nanoseconds(0)), "0s");
  EXPECT_EQ(FormatDuration(seconds(-3)), "-3s");
}

TEST(DurationTest, RoundTrips) {
  for (std::string_view text : {"2m10s", "1h", "500ms", "1.5s", "1h0m1s", "90m"}) {
    EXPECT_EQ(D(FormatDuration(D(text))), D(text)) << text;
  }
}

}  // namespace
}  // namespace gt
