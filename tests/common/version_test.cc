// The build's identity: what --version, `groundtruth version` and groundtruth_build_info say.
#include "common/version.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <regex>
#include <string>

namespace gt {
namespace {

// `git rev-parse --short=12 HEAD` of the source tree, or "" without git.
std::string SourceRevision() {
  std::string out;
  FILE* p = ::popen("git -C '" GT_SOURCE_DIR "' rev-parse --short=12 HEAD 2>/dev/null", "r");
  if (p == nullptr) return out;
  char buf[64];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  ::pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

TEST(Version, IsTheProjectVersion) { EXPECT_EQ(Build().version, GT_PROJECT_VERSION); }

TEST(Version, RevisionIsTheTreeItWasBuiltFrom) {
  const std::string head = SourceRevision();
  if (head.empty()) GTEST_SKIP() << "no git here: the build says " << Build().revision;
  // CMake configures again when HEAD moves, so a build is never stale about its revision.
  const std::string revision(Build().revision);
  EXPECT_EQ(revision.substr(0, revision.find('+')), head);
  EXPECT_TRUE(std::regex_match(std::string(Build().date), std::regex(R"(\d{4}-\d{2}-\d{2})")))
      << Build().date;
}

TEST(Version, LineNamesBinaryVersionRevisionAndDate) {
  EXPECT_EQ(VersionLine("groundtruth agent"), "groundtruth agent " + std::string(Build().version) +
                                                  " (revision " + std::string(Build().revision) +
                                                  ", " + std::string(Build().date) + ")");
}

TEST(Version, BuildInfoIsOnePrometheusGaugeSeries) {
  const std::string text = BuildInfoMetric();
  EXPECT_EQ(text.rfind("# HELP groundtruth_build_info ", 0), 0u) << text;
  EXPECT_NE(text.find("\n# TYPE groundtruth_build_info gauge\n"), std::string::npos) << text;
  const std::regex series(
      R"(\ngroundtruth_build_info\{version="[0-9A-Za-z.+-]+",revision="[0-9A-Za-z.+-]+"\} 1\n$)");
  EXPECT_TRUE(std::regex_search(text, series)) << text;
}

}  // namespace
}  // namespace gt
