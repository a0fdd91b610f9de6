#include "contract/condition.h"

#include <gtest/gtest.h>

#include "contract/exit_codes.h"

namespace gt::contract {
namespace {

TEST(ConditionStatus, SpelledAsTheApiDoes) {
  EXPECT_EQ(kConditionType, "RuntimeCompliant");
  EXPECT_EQ(ToString(ConditionStatus::kTrue), "True");
  EXPECT_EQ(ToString(ConditionStatus::kFalse), "False");
  EXPECT_EQ(ToString(ConditionStatus::kUnknown), "Unknown");
}

TEST(ConditionStatus, ParsesItsOwnSpellingOnly) {
  for (ConditionStatus s :
       {ConditionStatus::kTrue, ConditionStatus::kFalse, ConditionStatus::kUnknown}) {
    EXPECT_EQ(ParseConditionStatus(ToString(s)), s);
  }
  for (std::string_view bad : {"", "true", "TRUE", "Yes", "True ", "Unknown/"}) {
    EXPECT_FALSE(ParseConditionStatus(bad)) << '"' << bad << '"';
  }
}

// Moved from tests/cli/output_test.cc (OutputTest.ExitCodes) with the function.
TEST(ExitCodes, OneCodePerStatus) {
  EXPECT_EQ(ExitCodeFor(ConditionStatus::kTrue), 0);
  EXPECT_EQ(ExitCodeFor(ConditionStatus::kFalse), 1);
  EXPECT_EQ(ExitCodeFor(ConditionStatus::kUnknown), 2);
  EXPECT_EQ(kExitCompliant, 0);
  EXPECT_EQ(kExitNotCompliant, 1);
  EXPECT_EQ(kExitUnknown, 2);
  EXPECT_EQ(kExitUsage, 3);
}

}  // namespace
}  // namespace gt::contract
