#include "reconcile/format.h"

#include <gtest/gtest.h>

namespace gt::reconcile {
namespace {

using std::chrono::seconds;
constexpr uint64_t kKi = 1024, kMi = kKi * 1024, kGi = kMi * 1024;

TEST(FormatBytes, BinaryUnitsWithTwoDecimals) {
  const struct {
    uint64_t bytes;
    const char* want;
  } cases[] = {
      {0, "0B"},
      {512, "512B"},
      {kKi, "1Ki"},
      {1536, "1.5Ki"},
      {64 * kMi, "64Mi"},
      {2 * kGi, "2Gi"},
      {static_cast<uint64_t>(1.98 * kGi), "1.98Gi"},
      {static_cast<uint64_t>(2.6 * kGi) + 1, "2.6Gi"},
      {kGi * 1024 * 3, "3Ti"},
  };
  for (const auto& c : cases) EXPECT_EQ(FormatBytes(c.bytes), c.want) << c.bytes;
}

TEST(FormatDuration, GoLikeWithoutZeroParts) {
  const struct {
    int64_t s;
    const char* want;
  } cases[] = {{0, "0s"},      {-5, "0s"},   {20, "20s"},      {60, "1m"},
               {130, "2m10s"}, {3600, "1h"}, {3661, "1h1m1s"}, {7260, "2h1m"}};
  for (const auto& c : cases) EXPECT_EQ(FormatDuration(seconds(c.s)), c.want) << c.s;
}

TEST(FormatPercent, WholeFromTenOneDecimalBelow) {
  EXPECT_EQ(FormatPercent(0.34), "34%");
  EXPECT_EQ(FormatPercent(0.10), "10%");
  EXPECT_EQ(FormatPercent(0.025), "2.5%");
  EXPECT_EQ(FormatPercent(0.0), "0%");
  EXPECT_EQ(FormatPercent(1.0), "100%");
}

TEST(FormatMillicores, KubernetesQuantity) {
  EXPECT_EQ(FormatMillicores(1200), "1200m");
  EXPECT_EQ(FormatMillicores(2000), "2");
  EXPECT_EQ(FormatMillicores(500), "500m");
}

TEST(RoundUpBytes, TwoSignificantDigitsOfTheUnit) {
  EXPECT_EQ(FormatBytes(RoundUpBytes(static_cast<uint64_t>(2.57 * kGi))), "2.6Gi");
  EXPECT_EQ(FormatBytes(RoundUpBytes(114 * kMi)), "120Mi");
  EXPECT_EQ(FormatBytes(RoundUpBytes(static_cast<uint64_t>(88.4 * kMi))), "89Mi");
  EXPECT_EQ(RoundUpBytes(2 * kGi), 2 * kGi);  // already readable: unchanged
  EXPECT_GE(RoundUpBytes(2 * kGi + 1), 2 * kGi + 1);
  EXPECT_EQ(FormatBytes(RoundUpBytes(2 * kGi + 1)), "2.1Gi");
  EXPECT_EQ(RoundUpBytes(100), 100u);
}

}  // namespace
}  // namespace gt::reconcile
