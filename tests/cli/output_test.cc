#include "cli/output.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "cli/sandbox.h"
#include "common/version.h"

namespace gt::cli {
namespace {

reconcile::Verdict Thrashing() {
  reconcile::Verdict v;
  v.status = reconcile::ConditionStatus::kFalse;
  v.reason = "MemoryThrashing";
  v.message =
      "container thrash: memory PSI some 34% > 10% for 2m10s; suggest memory limit >= 120Mi";
  reconcile::Evidence e;
  e.reason = "MemoryThrashing";
  e.container = "thrash";
  e.signal = "memory PSI some";
  e.value = 34;
  e.threshold = 10;
  e.sustained = std::chrono::seconds(130);
  v.evidence.push_back(e);
  reconcile::Recommendation r;
  r.container = "thrash";
  r.memory_limit_bytes = uint64_t{120} << 20;
  r.text = "memory limit >= 120Mi";
  v.recommendations.push_back(r);
  return v;
}

TEST(OutputTest, JsonHasTheConditionOfDesignMd) {
  Report report;
  report.verdict = Thrashing();
  report.last_transition =
      std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  report.kind = "Deployment";
  report.name = "memory-thrash";
  report.container = "thrash";
  const nlohmann::json doc = nlohmann::json::parse(RenderJson(report));
  const nlohmann::json& c = doc.at("condition");
  EXPECT_EQ(c.at("type"), "RuntimeCompliant");
  EXPECT_EQ(c.at("status"), "False");
  EXPECT_EQ(c.at("reason"), "MemoryThrashing");
  EXPECT_EQ(c.at("lastTransitionTime"), "2027-01-15T08:00:00Z");
  EXPECT_EQ(c.at("evidence").at(0).at("sustainedSeconds"), 130);
  EXPECT_EQ(c.at("recommendation").at("memoryLimit"), "120Mi");
  EXPECT_EQ(c.at("recommendation").at("memoryLimitBytes"), uint64_t{120} << 20);
}

TEST(OutputTest, JsonSaysWhichBuildWroteItAndKeepsExactSeconds) {
  Report report;
  report.verdict = Thrashing();
  report.observed = std::chrono::nanoseconds(7'012'529'640);
  const nlohmann::json doc = nlohmann::json::parse(RenderJson(report));
  EXPECT_EQ(doc.at("version"), std::string(Build().version));
  EXPECT_EQ(doc.at("revision"), std::string(Build().revision));
  EXPECT_DOUBLE_EQ(doc.at("observation").at("observedSeconds").get<double>(), 7.01252964);
}

TEST(OutputTest, LimitsDeclaredAgainstEnforced) {
  Report report;
  report.verdict = Thrashing();
  report.container = "thrash";
  report.declared = reconcile::DeclaredLimits{};
  report.declared->cpu_limit_millicores = 2000;
  report.enforced.cpu_limit_millicores = 200;
  report.enforced.memory_limit_bytes = uint64_t{64} << 20;
  report.verdict.drift.push_back(
      {"thrash", "", "", reconcile::LimitResource::kCpu, uint64_t{2000}, uint64_t{200}});
  const nlohmann::json limits = nlohmann::json::parse(RenderJson(report)).at("limits");
  EXPECT_EQ(limits.at("cpu").at("declared"), "2");
  EXPECT_EQ(limits.at("cpu").at("enforcedMillicores"), 200);
  EXPECT_EQ(limits.at("cpu").at("drift"), true);
  EXPECT_TRUE(limits.at("memory").at("declared").is_null());
  EXPECT_EQ(limits.at("memory").at("enforced"), "64Mi");
  EXPECT_EQ(limits.at("memory").at("drift"), false);
}

TEST(OutputTest, TableIsAHeaderAndOneRowWithDurationsForPeople) {
  Report report;
  report.verdict = Thrashing();
  report.kind = "Deployment";
  report.name = "memory-thrash";
  report.container = "thrash";
  report.observed = std::chrono::nanoseconds(7'012'529'640);
  report.window = std::chrono::seconds(20);
  const std::string table = RenderTable(report);
  ASSERT_EQ(std::count(table.begin(), table.end(), '\n'), 2) << table;
  EXPECT_EQ(table.rfind("KIND         NAMESPACE   NAME            CONTAINER   STATUS   REASON", 0),
            0u)
      << table;
  EXPECT_NE(table.find("Deployment   -           memory-thrash   thrash      False    "
                       "MemoryThrashing   7s/20s     container thrash: memory PSI some 34%"),
            std::string::npos)
      << table;
  EXPECT_EQ(RenderText(report).find("7.01"), std::string::npos);
}

TEST(OutputTest, TextShowsTheConditionAsValidYaml) {
  Report report;
  report.verdict = Thrashing();
  report.container = "thrash";
  const std::string text = RenderText(report);
  EXPECT_NE(text.find("type: RuntimeCompliant"), std::string::npos) << text;
  EXPECT_NE(text.find("status: \"False\""), std::string::npos) << text;
  // The message holds ": " and must be quoted to stay one YAML scalar.
  EXPECT_NE(text.find("message: \"container thrash: memory PSI"), std::string::npos) << text;
  EXPECT_NE(text.find("memory limit >= 120Mi"), std::string::npos) << text;
}

// OutputTest.ExitCodes moved to tests/contract/condition_test.cc (ExitCodes.OneCodePerStatus)
// with ExitCodeFor (contract/exit_codes.h).

TEST(OutputTest, LiveLineShowsKeyFiguresAndFits) {
  LiveFigures f;
  f.container = "thrash";
  f.working_set_bytes = uint64_t{61} << 20;
  f.memory_limit_bytes = uint64_t{64} << 20;
  f.memory_psi_some = 45.2;
  f.memory_psi_full = 18.04;
  f.cpu_throttled = 0.5;
  f.cpu_cores = 0.2;
  f.elapsed = std::chrono::seconds(12);
  f.window = std::chrono::seconds(20);
  f.status = "False/MemoryThrashing";
  const std::string line = RenderLiveLine(f, 0);
  EXPECT_NE(line.find("61Mi/64Mi (95%)"), std::string::npos) << line;
  EXPECT_NE(line.find("PSI some 45.2% full 18.0%"), std::string::npos) << line;
  EXPECT_NE(line.find("throttled 50%"), std::string::npos) << line;
  EXPECT_NE(line.find("12s/20s"), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_LT(RenderLiveLine(f, 40).size(), 40u);
}

TEST(SandboxTest, CpuQuotaFollowsTheKubelet) {
  EXPECT_EQ(CpuQuotaMicros(200, 100000), 20000u);
  EXPECT_EQ(CpuQuotaMicros(1500, 100000), 150000u);
  EXPECT_EQ(CpuQuotaMicros(1, 100000), 1000u);  // at least 1ms
}

}  // namespace
}  // namespace gt::cli
