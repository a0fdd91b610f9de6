#include "tree.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace gt::agent::testing {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "gt-agent-XXXXXX").string();
  char* made = ::mkdtemp(tmpl.data());
  EXPECT_NE(made, nullptr);
  path_ = tmpl;
}

TempDir::~TempDir() { RemoveTree(path_); }

void MakeDirs(const std::string& path) { std::filesystem::create_directories(path); }

void WriteFile(const std::string& path, const std::string& content) {
  MakeDirs(std::filesystem::path(path).parent_path().string());
  std::ofstream out(path, std::ios::trunc);
  out << content;
}

void RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

FakeHost::FakeHost() {
  const std::string proc = root_.path() + "/proc";
  WriteFile(proc + "/sys/kernel/random/boot_id", "0d4c6a36-4c2b-4b4e-9a6e-2f1f7c3b9a10\n");
  WriteFile(proc + "/meminfo",
            "MemTotal:       16384000 kB\nMemFree:         8000000 kB\n"
            "MemAvailable:   12000000 kB\nCommitLimit:    20000000 kB\n"
            "Committed_AS:    9000000 kB\n");
  WriteFile(proc + "/vmstat", "pgmajfault 123\nworkingset_refault_file 45\npswpin 0\npswpout 0\n");
  WriteFile(proc + "/loadavg", "0.50 0.40 0.30 2/345 6789\n");
  const std::string psi =
      "some avg10=1.00 avg60=0.50 avg300=0.25 total=1000\n"
      "full avg10=0.00 avg60=0.00 avg300=0.00 total=10\n";
  WriteFile(proc + "/pressure/memory", psi);
  WriteFile(proc + "/pressure/cpu", psi);
  WriteFile(proc + "/pressure/io", psi);
  const std::string cg = root_.path() + "/cgroup";
  WriteFile(cg + "/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
  WriteFile(cg + "/kubepods/cgroup.controllers", "cpu io memory pids\n");
  WriteFile(cg + "/kubepods/burstable/cgroup.controllers", "cpu io memory pids\n");
  WriteFile(cg + "/kubepods/besteffort/cgroup.controllers", "cpu io memory pids\n");
}

std::string FakeHost::ContainerId(int pod, int container) {
  char buf[65];
  std::snprintf(buf, sizeof buf, "%08x%056x", pod, container);
  return buf;
}

std::string FakeHost::PodUid(int pod) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012x", pod);
  return buf;
}

std::string FakeHost::PodDir(int pod) const {
  return root_.path() + "/cgroup/kubepods/burstable/pod" + PodUid(pod);
}

void FakeHost::WriteCgroup(const std::string& dir, uint64_t usage_bytes) {
  WriteFile(dir + "/cgroup.controllers", "cpu io memory pids\n");
  WriteFile(dir + "/cgroup.procs", "");
  WriteFile(dir + "/memory.current", std::to_string(usage_bytes) + "\n");
  WriteFile(dir + "/memory.max", std::to_string(usage_bytes * 2) + "\n");
  WriteFile(dir + "/memory.high", "max\n");
  WriteFile(dir + "/memory.stat",
            "anon 52428800\nfile 10485760\nactive_file 4194304\ninactive_file 6291456\n"
            "pgfault 1000\npgmajfault 7\nworkingset_refault_anon 0\n"
            "workingset_refault_file 3\n");
  WriteFile(dir + "/memory.events", "low 0\nhigh 0\nmax 2\noom 0\noom_kill 0\n");
  WriteFile(dir + "/memory.pressure",
            "some avg10=12.50 avg60=3.00 avg300=1.00 total=123456\n"
            "full avg10=1.00 avg60=0.50 avg300=0.10 total=2345\n");
  WriteFile(dir + "/cpu.max", "50000 100000\n");
  WriteFile(dir + "/cpu.stat",
            "usage_usec 5000000\nuser_usec 4000000\nsystem_usec 1000000\nnr_periods 100\n"
            "nr_throttled 10\nthrottled_usec 200000\n");
  WriteFile(dir + "/cpu.pressure",
            "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
            "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
  WriteFile(dir + "/io.stat", "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n");
  WriteFile(dir + "/io.pressure",
            "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
            "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
  WriteFile(dir + "/pids.current", "3\n");
  WriteFile(dir + "/pids.max", "max\n");
  WriteFile(dir + "/pids.events", "max 0\n");
}

void FakeHost::AddPod(int pod, int containers, uint64_t usage_bytes) {
  const std::string dir = PodDir(pod);
  WriteCgroup(dir, usage_bytes * static_cast<uint64_t>(containers));
  for (int c = 0; c < containers; ++c) WriteCgroup(dir + "/" + ContainerId(pod, c), usage_bytes);
}

void FakeHost::RemovePod(int pod) { RemoveTree(PodDir(pod)); }

}  // namespace gt::agent::testing
