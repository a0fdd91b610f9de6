#include "contract/annotation.h"

#include <gtest/gtest.h>

namespace gt::contract {
namespace {

TEST(VerdictAnnotation, FormatsStatusReasonGeneration) {
  EXPECT_EQ(FormatVerdictAnnotation(ConditionStatus::kUnknown, "Observing", 12),
            "Unknown/Observing/12");
  EXPECT_EQ(FormatVerdictAnnotation({ConditionStatus::kFalse, "MemoryThrashing", 3}),
            "False/MemoryThrashing/3");
}

TEST(VerdictAnnotation, AcceptsTheDesignFormat) {
  auto parsed = ParseVerdictAnnotation("False/OOMKilled/3");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->status, ConditionStatus::kFalse);
  EXPECT_EQ(parsed->reason, "OOMKilled");
  EXPECT_EQ(parsed->generation, 3);

  auto m = ParseVerdictAnnotation("True/Compliant/7");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, ConditionStatus::kTrue);
  EXPECT_EQ(m->reason, "Compliant");
  EXPECT_EQ(m->generation, 7);

  auto unknown = ParseVerdictAnnotation("Unknown/NoData/9223372036854775807");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, ConditionStatus::kUnknown);
  EXPECT_EQ(unknown->generation, INT64_MAX);
}

// Moved from tests/gate/decision_test.cc (ParseMirror.AcceptsTheDesignFormatOnly).
TEST(VerdictAnnotation, GateMirrorFormsMovedFromGate) {
  auto m = ParseVerdictAnnotation("True/Compliant/7");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, ConditionStatus::kTrue);
  EXPECT_EQ(m->reason, "Compliant");
  EXPECT_EQ(m->generation, 7);
  EXPECT_FALSE(ParseVerdictAnnotation("True/Compliant"));
  EXPECT_FALSE(ParseVerdictAnnotation("Yes/Compliant/7"));
  EXPECT_FALSE(ParseVerdictAnnotation("True//7"));
  EXPECT_FALSE(ParseVerdictAnnotation("True/Compliant/7x"));
  EXPECT_FALSE(ParseVerdictAnnotation("True/Compliant/0"));
  EXPECT_FALSE(ParseVerdictAnnotation("True/Compliant/99999999999999999999999"));
}

// Moved from tests/controller/convert_test.cc (Convert.VerdictAnnotationRoundTrip).
TEST(VerdictAnnotation, ControllerRoundTripMovedFromController) {
  EXPECT_EQ(FormatVerdictAnnotation(ConditionStatus::kUnknown, "Observing", 12),
            "Unknown/Observing/12");
  auto parsed = ParseVerdictAnnotation("False/OOMKilled/3");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->status, ConditionStatus::kFalse);
  EXPECT_EQ(parsed->reason, "OOMKilled");
  EXPECT_EQ(parsed->generation, 3);
  EXPECT_FALSE(ParseVerdictAnnotation("Maybe/X/3"));
  EXPECT_FALSE(ParseVerdictAnnotation("True/Compliant/"));
  EXPECT_FALSE(ParseVerdictAnnotation("True/Compliant/3x"));
}

// The one rule for both readers: the gate's (non-empty reason, generation >= 1), the
// stricter of the two the tree had; the controller's parser accepted "True//0".
TEST(VerdictAnnotation, RefusesEveryOtherForm) {
  for (std::string_view bad : {
           "",                                        // empty
           "True",                                    // one part
           "True/Compliant",                          // two parts
           "True/Compliant/",                         // no generation
           "Maybe/X/3",                               // unknown status
           "Yes/Compliant/7",                         // unknown status
           "true/Compliant/7",                        // status is case-sensitive
           "/Compliant/7",                            // no status
           "True//7",                                 // empty reason
           "True//0",                                 // empty reason and generation 0
           "True/Compliant/0",                        // generation below 1
           "True/Compliant/-3",                       // negative generation
           "True/Compliant/+3",                       // sign
           "True/Compliant/ 3",                       // leading space
           "True/Compliant/3 ",                       // trailing space
           "True/Compliant/3x",                       // trailing text
           "True/Compliant/7x",                       // trailing text
           "True/Compliant/3/4",                      // four parts (reason has no '/')
           "True/Compliant/99999999999999999999999",  // beyond int64
       }) {
    EXPECT_FALSE(ParseVerdictAnnotation(bad)) << '"' << bad << '"';
  }
}

TEST(VerdictAnnotation, RoundTripsEveryStatusAndReason) {
  for (ConditionStatus status :
       {ConditionStatus::kTrue, ConditionStatus::kFalse, ConditionStatus::kUnknown}) {
    for (std::string_view reason :
         {reason::kCompliant, reason::kObserving, reason::kNoData, reason::kOOMKilled,
          reason::kMemoryThrashing, reason::kNetworkDegraded}) {
      for (int64_t generation : {int64_t{1}, int64_t{42}, INT64_MAX}) {
        const VerdictAnnotation written{status, std::string(reason), generation};
        const std::string text = FormatVerdictAnnotation(written);
        auto read = ParseVerdictAnnotation(text);
        ASSERT_TRUE(read) << text;
        EXPECT_EQ(*read, written) << text;
        EXPECT_EQ(FormatVerdictAnnotation(*read), text);
      }
    }
  }
}

TEST(VerdictAnnotation, KeysShareThePrefix) {
  EXPECT_TRUE(kVerdictAnnotation.starts_with(kAnnotationPrefix));
  EXPECT_TRUE(kEnabledAnnotation.starts_with(kAnnotationPrefix));
  EXPECT_EQ(kVerdictAnnotation, "groundtruth.dev/runtime-compliant");
  EXPECT_EQ(kEnabledAnnotation, "groundtruth.dev/enabled");
}

}  // namespace
}  // namespace gt::contract
