// `groundtruth run` and `check` end to end on this machine's real cgroups (root only):
// the three examples judged as README.md promises, and the sandbox always cleaned up.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "run_binary.h"

namespace gt {
namespace {

using testing::Ran;
using testing::RunCommand;

const std::string kBin = GT_BINARY;
const std::string kExamplesBin = GT_EXAMPLES_BIN;
const std::string kExamples = GT_EXAMPLES_SRC;
const std::string kData = GT_CLI_TESTDATA;
const std::string kCgroupRoot = "/sys/fs/cgroup";

bool CanWriteCgroups() {
  return ::geteuid() == 0 && ::access((kCgroupRoot + "/memory").c_str(), W_OK) == 0;
}

#define REQUIRE_CGROUPS() \
  if (!CanWriteCgroups()) GTEST_SKIP() << "needs root and a writable cgroup v1/hybrid tree"

nlohmann::json Condition(const Ran& ran) {
  nlohmann::json doc = nlohmann::json::parse(ran.out, nullptr, false);
  EXPECT_FALSE(doc.is_discarded()) << "stdout is not one JSON document:\n" << ran.out;
  if (doc.is_discarded() || !doc.contains("condition")) return {};
  return doc["condition"];
}

// No run-<pid> cgroup left behind by the groundtruth process `pid`, in any hierarchy.
void ExpectCleanedUp(pid_t pid) {
  for (const char* h : {"memory", "cpu", "cpuacct", "pids", "blkio", "unified"}) {
    const std::string dir = kCgroupRoot + "/" + h + "/groundtruth/run-" + std::to_string(pid);
    EXPECT_FALSE(std::filesystem::exists(dir)) << dir << " was left behind";
  }
}

// The run's cgroup, named in the JSON document, is gone from every hierarchy.
void ExpectCgroupRemoved(const std::string& json_text) {
  nlohmann::json doc = nlohmann::json::parse(json_text, nullptr, false);
  if (doc.is_discarded()) return;
  const std::string relative = doc["observation"].value("cgroup", "");
  ASSERT_EQ(relative.rfind("groundtruth/run-", 0), 0u) << relative;
  for (const char* h : {"memory", "cpu", "cpuacct", "pids", "blkio", "unified"}) {
    const std::string dir = kCgroupRoot + "/" + h + "/" + relative;
    EXPECT_FALSE(std::filesystem::exists(dir)) << dir << " was left behind";
  }
}

Ran RunExample(const std::string& example, const std::string& program, const std::string& window) {
  return RunCommand({kBin, "run", "--manifest", kExamples + "/" + example + "/deployment.yaml",
                     "--window", window, "--output", "json", "--", kExamplesBin + "/" + program});
}

TEST(RunCgroupTest, MemoryThrashIsJudgedFalseMemoryThrashing) {
  REQUIRE_CGROUPS();
  Ran ran = RunExample("memory-thrash", "thrash", "20s");
  nlohmann::json c = Condition(ran);
  EXPECT_EQ(c.value("type", ""), "RuntimeCompliant");
  EXPECT_EQ(c.value("status", ""), "False") << ran.out;
  EXPECT_EQ(c.value("reason", ""), "MemoryThrashing") << ran.out;
  EXPECT_EQ(ran.exit_code, 1);
  EXPECT_NE(c.value("message", "").find("64Mi"), std::string::npos) << c.value("message", "");
  ASSERT_TRUE(c.contains("recommendation") && c["recommendation"].is_object()) << ran.out;
  // The suggestion must exceed the limit that thrashed.
  EXPECT_GT(c["recommendation"].value("memoryLimitBytes", uint64_t{0}), uint64_t{64} << 20);
  EXPECT_FALSE(c.value("lastTransitionTime", "").empty());
  ExpectCgroupRemoved(ran.out);
}

TEST(RunCgroupTest, HealthyCacheIsJudgedTrueCompliant) {
  REQUIRE_CGROUPS();
  Ran ran = RunExample("healthy-cache", "stream", "20s");
  nlohmann::json c = Condition(ran);
  EXPECT_EQ(c.value("status", ""), "True") << ran.out;
  EXPECT_EQ(c.value("reason", ""), "Compliant") << ran.out;
  EXPECT_EQ(ran.exit_code, 0);
}

TEST(RunCgroupTest, CpuThrottleIsJudgedCPUThrottled) {
  REQUIRE_CGROUPS();
  Ran ran = RunExample("cpu-throttle", "burn", "10s");
  nlohmann::json c = Condition(ran);
  EXPECT_EQ(c.value("status", ""), "False") << ran.out;
  EXPECT_EQ(c.value("reason", ""), "CPUThrottled") << ran.out;
  EXPECT_EQ(ran.exit_code, 1);
}

TEST(RunCgroupTest, ALimitTooSmallToStartIsJudgedOOMKilled) {
  REQUIRE_CGROUPS();
  // 100Ki cannot hold a shell: the kernel kills it at once, and the run says so.
  Ran ran = RunCommand({kBin, "run", "--manifest", kData + "/daemonset.yaml", "--window", "5s",
                        "--output", "json", "--", "sh", "-c", "sleep 3"});
  nlohmann::json c = Condition(ran);
  EXPECT_EQ(c.value("status", ""), "False") << ran.out;
  EXPECT_EQ(c.value("reason", ""), "OOMKilled") << ran.out;
  EXPECT_EQ(ran.exit_code, 1);
}

TEST(RunCgroupTest, ACommandThatCannotRunIsAUsageErrorAndLeavesNothing) {
  REQUIRE_CGROUPS();
  Ran ran = RunCommand({kBin, "run", "--manifest", kData + "/sandbox.yaml", "--window", "2s", "--",
                        "/nonexistent/groundtruth-workload"});
  EXPECT_EQ(ran.exit_code, 3) << ran.err;
  EXPECT_NE(ran.err.find("/nonexistent/groundtruth-workload"), std::string::npos) << ran.err;
  EXPECT_TRUE(ran.out.empty()) << ran.out;
}

TEST(RunCgroupTest, WorkloadOutputStaysOffStdout) {
  REQUIRE_CGROUPS();
  Ran ran =
      RunCommand({kBin, "run", "--manifest", kData + "/sandbox.yaml", "--window", "2s", "--output",
                  "json", "--", "sh", "-c", "echo to-stdout; echo to-stderr >&2"});
  EXPECT_FALSE(nlohmann::json::parse(ran.out, nullptr, false).is_discarded()) << ran.out;
  EXPECT_EQ(ran.out.find("to-stdout"), std::string::npos);
  EXPECT_NE(ran.err.find("to-stdout"), std::string::npos) << ran.err;
  EXPECT_NE(ran.err.find("to-stderr"), std::string::npos) << ran.err;
}

TEST(RunCgroupTest, EarlyExitIsJudgedOnWhatWasSeenAndCleanedUp) {
  REQUIRE_CGROUPS();
  Ran ran = RunCommand({kBin, "run", "--manifest", kData + "/sandbox.yaml", "--window", "30s",
                        "--output", "json", "--", "sh", "-c", "sleep 3; exit 7"});
  nlohmann::json doc = nlohmann::json::parse(ran.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << ran.out;
  EXPECT_LT(doc["observation"].value("observedSeconds", 99.0), 10.0);
  bool says_status_7 = false;
  for (const auto& note : doc["notes"]) {
    says_status_7 = says_status_7 || note.get<std::string>().find("status 7") != std::string::npos;
  }
  EXPECT_TRUE(says_status_7) << ran.out;
  EXPECT_NE(doc["condition"].value("status", ""), "");
  ExpectCgroupRemoved(ran.out);
}

TEST(RunCgroupTest, MemoryLimitAndProcessMembershipAreReal) {
  REQUIRE_CGROUPS();
  // The workload reports its own cgroups and the limit it lives under.
  Ran ran = RunCommand(
      {kBin, "run", "--manifest", kData + "/sandbox.yaml", "--window", "2s", "--pids-limit", "50",
       "--output", "json", "--", "sh", "-c",
       "cat /proc/self/cgroup; d=$(awk -F: '$2==\"memory\"{print $3}' /proc/self/cgroup); "
       "echo limit=$(cat /sys/fs/cgroup/memory$d/memory.limit_in_bytes); "
       "p=$(awk -F: '$2==\"pids\"{print $3}' /proc/self/cgroup); "
       "echo pids=$(cat /sys/fs/cgroup/pids$p/pids.max); "
       "c=$(awk -F: '$2==\"cpu\"{print $3}' /proc/self/cgroup); "
       "echo quota=$(cat /sys/fs/cgroup/cpu$c/cpu.cfs_quota_us)"});
  EXPECT_NE(ran.err.find("memory:/groundtruth/run-"), std::string::npos) << ran.err;
  EXPECT_NE(ran.err.find("0::/groundtruth/run-"), std::string::npos) << ran.err;  // unified: PSI
  EXPECT_NE(ran.err.find("limit=67108864"), std::string::npos) << ran.err;
  EXPECT_NE(ran.err.find("pids=50"), std::string::npos) << ran.err;
  EXPECT_NE(ran.err.find("quota=10000"), std::string::npos) << ran.err;  // 100m of 100ms
}

// A native sidecar's limits, from a manifest on standard input, are the limits the run
// enforces and judges against (64Mi and 200m; not the app's 512Mi, nor the classic init
// container's 4Gi).
TEST(RunCgroupTest, NativeSidecarFromStandardInputRunsUnderItsOwnLimits) {
  REQUIRE_CGROUPS();
  Ran ran = RunCommand({"/bin/sh", "-c", "m=\"$1\"; shift; exec \"$0\" \"$@\" < \"$m\"", kBin,
                        kData + "/native_sidecar.yaml", "run", "-f", "-", "--container", "proxy",
                        "--window", "2s", "--output", "json", "--", "sh", "-c",
                        "d=$(awk -F: '$2==\"memory\"{print $3}' /proc/self/cgroup); "
                        "echo limit=$(cat /sys/fs/cgroup/memory$d/memory.limit_in_bytes); "
                        "c=$(awk -F: '$2==\"cpu\"{print $3}' /proc/self/cgroup); "
                        "echo quota=$(cat /sys/fs/cgroup/cpu$c/cpu.cfs_quota_us)"});
  EXPECT_NE(ran.exit_code, 3) << ran.err;  // judged (the verdict itself is not the point)
  EXPECT_NE(ran.err.find("limit=67108864"), std::string::npos) << ran.err;
  EXPECT_NE(ran.err.find("quota=20000"), std::string::npos) << ran.err;  // 200m of 100ms
  nlohmann::json doc = nlohmann::json::parse(ran.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << ran.out;
  EXPECT_EQ(doc["workload"].value("container", ""), "proxy") << ran.out;
  ExpectCgroupRemoved(ran.out);
}

TEST(RunCgroupTest, SigtermKillsTheWorkloadAndRemovesTheCgroups) {
  REQUIRE_CGROUPS();
  const std::string marker = ::testing::TempDir() + "/gt-sigterm-" + std::to_string(::getpid());
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    const std::string script = "echo $$ > " + marker + "; exec sleep 300";
    ::execl(kBin.c_str(), kBin.c_str(), "run", "--manifest", (kData + "/sandbox.yaml").c_str(),
            "--window", "60s", "--", "sh", "-c", script.c_str(), nullptr);
    ::_exit(127);
  }
  // Wait for the workload to start, then interrupt groundtruth.
  pid_t workload = 0;
  for (int i = 0; i < 200 && workload == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream in(marker);
    in >> workload;
  }
  ASSERT_GT(workload, 0) << "the workload never started";
  EXPECT_TRUE(
      std::filesystem::exists(kCgroupRoot + "/memory/groundtruth/run-" + std::to_string(pid)));
  ::kill(pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);  // interrupted before the window: Unknown
  EXPECT_NE(::kill(workload, 0), 0) << "workload " << workload << " survived";
  ExpectCleanedUp(pid);
  std::filesystem::remove(marker);
}

TEST(CheckCgroupTest, JudgesAnExistingCgroupReadOnly) {
  REQUIRE_CGROUPS();
  // A cgroup made by hand, as a systemd service or a container runtime would have.
  const std::string name = "gt-cli-check-" + std::to_string(::getpid());
  std::vector<std::string> dirs;
  for (const char* h : {"memory", "cpu", "cpuacct", "pids", "blkio", "unified"}) {
    const std::string dir = kCgroupRoot + "/" + h + "/" + name;
    if (::mkdir(dir.c_str(), 0755) == 0) dirs.push_back(dir);
  }
  std::ofstream(kCgroupRoot + "/memory/" + name + "/memory.limit_in_bytes") << "268435456";
  const pid_t sleeper = ::fork();
  if (sleeper == 0) {
    for (const std::string& dir : dirs) std::ofstream(dir + "/cgroup.procs") << "0";
    ::execlp("sleep", "sleep", "60", nullptr);
    ::_exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  Ran ran = RunCommand({kBin, "check", "--cgroup", kCgroupRoot + "/memory/" + name, "--for", "3s",
                        "--output", "json"});
  const std::string limit_after = [&] {
    std::ifstream in(kCgroupRoot + "/memory/" + name + "/memory.limit_in_bytes");
    std::string s;
    in >> s;
    return s;
  }();
  ::kill(sleeper, SIGKILL);
  ::waitpid(sleeper, nullptr, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) ::rmdir(it->c_str());

  nlohmann::json c = Condition(ran);
  EXPECT_EQ(c.value("status", ""), "True") << ran.out << ran.err;
  EXPECT_EQ(ran.exit_code, 0);
  EXPECT_EQ(limit_after, "268435456");  // check never writes
  // Without a manifest nothing is declared, so nothing drifts: the kernel's limits are all.
  nlohmann::json doc = nlohmann::json::parse(ran.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded());
  EXPECT_TRUE(doc["limits"]["memory"]["declared"].is_null()) << ran.out;
  EXPECT_EQ(doc["limits"]["memory"].value("enforced", ""), "256Mi") << ran.out;
  EXPECT_FALSE(doc["limits"]["memory"].value("drift", true)) << ran.out;
}

// The seed's drift: a manifest that says 2 CPUs and 1Gi against a cgroup the kernel holds to
// 200m and 256Mi (an admission webhook, an in-place resize, a hand-made cgroup). A busy
// process is throttled by the 200m it lives under, so that is what it is judged on, and the
// message, the evidence and the JSON say declared against enforced.
TEST(CheckCgroupTest, EnforcedLimitsOtherThanDeclaredAreJudgedAndTold) {
  REQUIRE_CGROUPS();
  const std::string name = "gt-cli-drift-" + std::to_string(::getpid());
  std::vector<std::string> dirs;
  for (const char* h : {"memory", "cpu", "cpuacct", "pids", "blkio", "unified"}) {
    const std::string dir = kCgroupRoot + "/" + h + "/" + name;
    if (::mkdir(dir.c_str(), 0755) == 0) dirs.push_back(dir);
  }
  std::ofstream(kCgroupRoot + "/memory/" + name + "/memory.limit_in_bytes") << "268435456";
  std::ofstream(kCgroupRoot + "/cpu/" + name + "/cpu.cfs_period_us") << "100000";
  std::ofstream(kCgroupRoot + "/cpu/" + name + "/cpu.cfs_quota_us") << "20000";
  const pid_t busy = ::fork();
  if (busy == 0) {
    for (const std::string& dir : dirs) std::ofstream(dir + "/cgroup.procs") << "0";
    ::execlp("sh", "sh", "-c", "while :; do :; done", nullptr);
    ::_exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  Ran ran = RunCommand({kBin, "check", "--cgroup", kCgroupRoot + "/memory/" + name, "-f",
                        kData + "/drift.yaml", "--for", "5s", "--output", "json"});
  ::kill(busy, SIGKILL);
  ::waitpid(busy, nullptr, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) ::rmdir(it->c_str());

  nlohmann::json doc = nlohmann::json::parse(ran.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << ran.out << ran.err;
  const nlohmann::json& c = doc["condition"];
  EXPECT_EQ(c.value("reason", ""), "CPUThrottled") << ran.out;
  EXPECT_EQ(ran.exit_code, 1);
  const std::string message = c.value("message", "");
  EXPECT_NE(message.find("against a 200m limit"), std::string::npos) << message;
  EXPECT_NE(message.find("judged on the limits the kernel enforces, not the declared: "
                         "memory 256Mi (1Gi declared), CPU 200m (2 declared)"),
            std::string::npos)
      << message;
  // The suggestion is from what the 200m held back, not from the 2 nobody enforced.
  EXPECT_GT(c["recommendation"].value("cpuLimitMillicores", uint64_t{0}), uint64_t{200});
  int drift_evidence = 0;
  for (const auto& e : c["evidence"]) drift_evidence += e.value("reason", "") == "LimitDrift";
  EXPECT_EQ(drift_evidence, 2) << c["evidence"].dump();
  const nlohmann::json& cpu = doc["limits"]["cpu"];
  EXPECT_EQ(cpu.value("declared", ""), "2");
  EXPECT_EQ(cpu.value("declaredMillicores", 0), 2000);
  EXPECT_EQ(cpu.value("enforced", ""), "200m");
  EXPECT_EQ(cpu.value("enforcedMillicores", 0), 200);
  EXPECT_TRUE(cpu.value("drift", false));
  const nlohmann::json& memory = doc["limits"]["memory"];
  EXPECT_EQ(memory.value("declaredBytes", uint64_t{0}), uint64_t{1} << 30);
  EXPECT_EQ(memory.value("enforcedBytes", uint64_t{0}), uint64_t{256} << 20);
  EXPECT_TRUE(memory.value("drift", false));
}

}  // namespace
}  // namespace gt
