// Bad input to the built binary: each case exits 3 with a message naming the input.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "run_binary.h"

namespace gt {
namespace {

using testing::Ran;
using testing::RunCommand;

const std::string kBin = GT_BINARY;
const std::string kData = GT_CLI_TESTDATA;

Ran Groundtruth(std::vector<std::string> args) {
  args.insert(args.begin(), kBin);
  return RunCommand(args);
}

void ExpectUsageError(const Ran& ran, const std::string& mentions) {
  EXPECT_EQ(ran.exit_code, 3) << ran.err;
  EXPECT_NE(ran.err.find(mentions), std::string::npos) << "stderr: " << ran.err;
  EXPECT_TRUE(ran.out.empty()) << "stdout: " << ran.out;
}

TEST(CliErrorsTest, MissingManifest) {
  ExpectUsageError(Groundtruth({"run", "--manifest", kData + "/nope.yaml", "--", "true"}),
                   "nope.yaml");
}

TEST(CliErrorsTest, MalformedManifestNamesFileAndLine) {
  Ran ran = Groundtruth({"run", "--manifest", kData + "/malformed.yaml", "--", "true"});
  ExpectUsageError(ran, "malformed.yaml:");
  EXPECT_NE(ran.err.find("malformed YAML"), std::string::npos) << ran.err;
}

TEST(CliErrorsTest, NoWorkload) {
  ExpectUsageError(Groundtruth({"run", "--manifest", kData + "/no_workload.yaml", "--", "true"}),
                   "no workload");
}

// `-f -` reads the manifest from standard input, for `run` and for `check`; errors name it.
TEST(CliErrorsTest, DashManifestIsStandardInput) {
  for (const std::string command : {"run -f - -- true", "check -f - --cgroup / --for 5s"}) {
    Ran ran = RunCommand({"/bin/sh", "-c", "exec \"$0\" " + command + " < \"$1\"", kBin,
                          kData + "/no_workload.yaml"});
    ExpectUsageError(ran, "stdin: no workload");
  }
}

TEST(CliErrorsTest, UnknownContainerListsTheKnownOnes) {
  Ran ran =
      Groundtruth({"run", "--manifest", kData + "/multi.yaml", "--container", "db", "--", "true"});
  ExpectUsageError(ran, "\"db\"");
  EXPECT_NE(ran.err.find("web, sidecar"), std::string::npos) << ran.err;
}

TEST(CliErrorsTest, BadQuantityNamesFieldAndValue) {
  Ran ran = Groundtruth({"run", "--manifest", kData + "/bad_quantity.yaml", "--", "true"});
  ExpectUsageError(ran, "resources.limits.memory");
  EXPECT_NE(ran.err.find("2GiB"), std::string::npos) << ran.err;
}

TEST(CliErrorsTest, BadFlags) {
  ExpectUsageError(
      Groundtruth({"run", "--manifest", kData + "/pod.yaml", "--window", "soon", "--", "true"}),
      "soon");
  ExpectUsageError(
      Groundtruth({"run", "--manifest", kData + "/pod.yaml", "--window", "-5s", "--", "true"}),
      "-5s");
  ExpectUsageError(
      Groundtruth({"run", "--manifest", kData + "/pod.yaml", "--output", "xml", "--", "true"}),
      "xml");
  ExpectUsageError(
      Groundtruth({"run", "--manifest", kData + "/pod.yaml", "--window", "500ms", "--", "true"}),
      "--window must be at least 1s");
  ExpectUsageError(Groundtruth({"run", "--manifest", kData + "/pod.yaml", "--window", "5s",
                                "--interval", "10s", "--", "true"}),
                   "--interval must not exceed --window");
  ExpectUsageError(Groundtruth({"check", "--cgroup", "x", "--for", "5s", "--interval", "0s"}),
                   "--interval");
  ExpectUsageError(Groundtruth({"check", "--cgroup", "x", "--for", "5s", "--interval", "6s"}),
                   "--interval must not exceed --window");
  ExpectUsageError(Groundtruth({"run", "--manifest", kData + "/pod.yaml"}), "command");
  ExpectUsageError(Groundtruth({"run", "--", "true"}), "--manifest");
  ExpectUsageError(Groundtruth({"frobnicate"}), "frobnicate");
  ExpectUsageError(Groundtruth({"check", "--cgroup", "../../etc", "--for", "2s"}), "..");
  ExpectUsageError(Groundtruth({"check", "--cgroup", "groundtruth-no-such-cgroup", "--for", "2s"}),
                   "groundtruth-no-such-cgroup");
}

TEST(CliErrorsTest, BadOverrideAnnotationNamesTheKey) {
  const std::string path = ::testing::TempDir() + "/override.yaml";
  std::ofstream(path) << "kind: Pod\nmetadata:\n  name: p\n  annotations:\n"
                         "    groundtruth.dev/cpu-throttled.ratio: \"lots\"\n"
                         "spec: {containers: [{name: a}]}\n";
  ExpectUsageError(Groundtruth({"run", "--manifest", path, "--", "true"}), "cpu-throttled.ratio");
}

TEST(CliErrorsTest, NotRootSaysCgroupsNeedRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to drop to an unprivileged user";
  if (::access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "no setpriv";
  // The unprivileged user must be able to read the binary and the manifest.
  const std::string dir = ::testing::TempDir() + "/gt-notroot-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(kBin, dir + "/groundtruth",
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(kData + "/daemonset.yaml", dir + "/daemonset.yaml",
                             std::filesystem::copy_options::overwrite_existing);
  ::chmod(dir.c_str(), 0755);
  ::chmod((dir + "/groundtruth").c_str(), 0755);
  ::chmod((dir + "/daemonset.yaml").c_str(), 0644);
  Ran ran = RunCommand({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        dir + "/groundtruth", "run", "--manifest", dir + "/daemonset.yaml",
                        "--window", "2s", "--", "true"});
  std::filesystem::remove_all(dir);
  ExpectUsageError(ran, "cgroups need root");
}

// `cleanup` stops before any request on bad flags or an unusable kubeconfig, naming it.
TEST(CliErrorsTest, CleanupBadFlagsAndKubeconfig) {
  ExpectUsageError(Groundtruth({"cleanup", "--kubeconfig", kData + "/nope.kubeconfig"}),
                   "nope.kubeconfig");
  ExpectUsageError(Groundtruth({"cleanup", "--kubeconfig", kData + "/malformed.yaml"}),
                   "malformed.yaml");
  ExpectUsageError(Groundtruth({"cleanup", "-n", "Shop_1"}), "\"Shop_1\" is not a namespace");
  ExpectUsageError(Groundtruth({"cleanup", "--namespace="}), "--namespace");
  ExpectUsageError(Groundtruth({"cleanup", "--dry-run=maybe"}), "maybe");
  ExpectUsageError(Groundtruth({"cleanup", "--selector", "app=web"}), "--selector");
  ExpectUsageError(Groundtruth({"cleanup", "extra"}), "extra");
  // An empty environment: no $KUBECONFIG, no ~/.kube/config.
  Ran ran = RunCommand({"/usr/bin/env", "-i", "HOME=/nonexistent", kBin, "cleanup"});
  ExpectUsageError(ran, "kubeconfig");
}

// An API server that cannot be reached: exit 3, the list named, nothing withdrawn.
TEST(CliErrorsTest, CleanupUnreachableServerNamesTheList) {
  const std::string path = ::testing::TempDir() + "/unreachable.kubeconfig";
  std::ofstream(path) << "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
                         "clusters: [{name: k, cluster: {server: \"https://127.0.0.1:1\"}}]\n"
                         "users: [{name: u, user: {token: t}}]\n"
                         "contexts: [{name: c, context: {cluster: k, user: u}}]\n";
  Ran ran = Groundtruth({"cleanup", "--kubeconfig", path});
  ExpectUsageError(ran, "list DaemonSets in all namespaces");
  EXPECT_NE(ran.err.find("nothing withdrawn"), std::string::npos) << ran.err;
}

TEST(CliErrorsTest, CleanupHelpListsItsFlags) {
  Ran ran = Groundtruth({"cleanup", "--help"});
  EXPECT_EQ(ran.exit_code, 0);
  for (const char* flag : {"--kubeconfig", "--context", "--namespace", "--dry-run"}) {
    EXPECT_NE(ran.out.find(flag), std::string::npos) << flag << " in " << ran.out;
  }
}

}  // namespace
}  // namespace gt
