#include "gate/report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace gt::gate {
namespace {

using std::chrono::seconds;
using CS = ConditionStatus;

Observed Seen(int64_t gen, CS s, const std::string& reason, int64_t vgen, const std::string& msg) {
  Observed o;
  o.exists = true;
  o.generation = gen;
  o.mirror = contract::VerdictAnnotation{s, reason, vgen};
  o.condition =
      ConditionView{s, reason, msg, std::chrono::system_clock::time_point(seconds(1'800'000'000))};
  return o;
}

TEST(Report, JsonHasDesignShape) {
  Gate g(Policy{seconds(0), seconds(60)}, seconds(0));
  g.Observe({WorkloadKind::kDeployment, "ns", "web"}, Seen(2, CS::kTrue, "Compliant", 2, "ok"),
            seconds(1));
  const Outcome o = g.Decide(seconds(1));
  auto doc = nlohmann::json::parse(RenderJson({&g, o, seconds(1), {}}));
  ASSERT_EQ(doc["workloads"].size(), 1u);
  const auto& w = doc["workloads"][0];
  EXPECT_EQ(w["kind"], "Deployment");
  EXPECT_EQ(w["namespace"], "ns");
  EXPECT_EQ(w["name"], "web");
  EXPECT_EQ(w["condition"]["type"], "RuntimeCompliant");
  EXPECT_EQ(w["condition"]["status"], "True");
  EXPECT_EQ(w["condition"]["lastTransitionTime"], "2027-01-15T08:00:00Z");
  EXPECT_EQ(doc["result"], "passed");
}

TEST(Report, JunitCountsAndEscapes) {
  Gate g(Policy{seconds(10), seconds(60)}, seconds(0));
  g.Observe({WorkloadKind::kDeployment, "ns", "bad"},
            Seen(1, CS::kFalse, "MemoryThrashing", 1, "psi <34%> & \"more\""), seconds(1));
  g.Observe({WorkloadKind::kDeployment, "ns", "slow"}, Seen(2, CS::kTrue, "Compliant", 1, "old"),
            seconds(1));
  const Outcome o = g.Decide(seconds(1));
  ASSERT_EQ(o, Outcome::kFailed);
  const std::string xml = RenderJunit({&g, o, seconds(1), {}});
  EXPECT_NE(xml.find("tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"1\""), std::string::npos)
      << xml;
  EXPECT_NE(xml.find("psi &lt;34%&gt; &amp; &quot;more&quot;"), std::string::npos) << xml;
  EXPECT_EQ(xml.find("<34%>"), std::string::npos);
}

TEST(Report, JunitTimeoutIsAnError) {
  Gate g(Policy{seconds(10), seconds(60)}, seconds(0));
  g.Observe({WorkloadKind::kDaemonSet, "ns", "agent"}, Seen(2, CS::kTrue, "Compliant", 1, "old"),
            seconds(1));
  const Outcome o = g.Decide(seconds(60));
  ASSERT_EQ(o, Outcome::kTimedOut);
  const std::string xml = RenderJunit({&g, o, seconds(60), {}});
  EXPECT_NE(xml.find("errors=\"1\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<error message=\"True/Compliant: verdict is about generation 1"),
            std::string::npos)
      << xml;
}

TEST(Report, TableListsEveryWorkload) {
  Gate g(Policy{seconds(0), seconds(60)}, seconds(0));
  g.Expect({WorkloadKind::kStatefulSet, "ns", "db"});
  const std::string table = RenderTable({&g, Outcome::kTimedOut, seconds(60), {}});
  EXPECT_NE(table.find("KIND"), std::string::npos);
  EXPECT_NE(table.find("db"), std::string::npos);
  EXPECT_NE(table.find("gate timed out"), std::string::npos);
}

}  // namespace
}  // namespace gt::gate
