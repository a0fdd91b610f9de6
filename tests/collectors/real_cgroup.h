// Real cgroups on the machine running the tests and the benchmark: a sandbox root created in
// every hierarchy, child processes placed in it, and everything killed and removed at the end.
// Test-only: the collectors themselves never write.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "collectors/host.h"

namespace gt::collectors::testing {

// Why real-cgroup tests cannot run here, or "" when they can.
inline std::string RealCgroupsUnavailable(const HostPaths& paths) {
  if (::geteuid() != 0) return "needs root to create cgroups (run ctest as root, or -LE cgroup)";
  auto layout = DetectLayout(paths);
  if (!layout) return "no cgroup filesystem: " + layout.error().ToString();
  return "";
}

class CgroupSandbox {
 public:
  // `root` is relative, e.g. "gt-test-1234"; it is created in every hierarchy.
  CgroupSandbox(HostPaths paths, CgroupLayout layout, std::string root)
      : paths_(std::move(paths)), layout_(layout), root_(std::move(root)) {
    if (layout_ == CgroupLayout::kV2) {
      hierarchies_.push_back(paths_.cgroup);
    } else {
      for (const char* name : {"memory", "cpu", "cpuacct", "pids", "blkio"}) {
        std::error_code ec;
        auto real = std::filesystem::canonical(paths_.cgroup + "/" + name, ec);
        if (ec) continue;
        bool seen = false;
        for (const auto& h : hierarchies_) seen |= h == real.string();
        if (!seen) hierarchies_.push_back(real.string());
      }
      if (layout_ == CgroupLayout::kHybrid) hierarchies_.push_back(paths_.cgroup + "/unified");
    }
    ok_ = Make("");
  }

  ~CgroupSandbox() { Destroy(); }
  CgroupSandbox(const CgroupSandbox&) = delete;
  CgroupSandbox& operator=(const CgroupSandbox&) = delete;

  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  const std::string& root() const { return root_; }
  CgroupLayout layout() const { return layout_; }
  // Relative path of a cgroup under the sandbox root, as readers take it.
  std::string Rel(const std::string& sub) const { return sub.empty() ? root_ : root_ + "/" + sub; }

  // Creates <root>/<sub> (and parents) in every hierarchy.
  bool Make(const std::string& sub) {
    std::string rel = Rel(sub);
    for (const auto& h : hierarchies_) {
      std::error_code ec;
      std::filesystem::create_directories(h + "/" + rel, ec);
      if (ec) return Fail("mkdir " + h + "/" + rel + ": " + ec.message());
    }
    if (layout_ == CgroupLayout::kV2) {
      // Enable the controllers for children at every level from the root down.
      std::string dir = paths_.cgroup;
      std::string parts = rel;
      WriteFile(dir + "/cgroup.subtree_control", "+memory +cpu +io +pids");
      size_t pos = 0;
      while ((pos = parts.find('/', pos)) != std::string::npos) {
        WriteFile(dir + "/" + parts.substr(0, pos) + "/cgroup.subtree_control",
                  "+memory +cpu +io +pids");
        ++pos;
      }
    }
    return true;
  }

  bool SetMemoryLimit(const std::string& sub, uint64_t bytes) {
    if (layout_ == CgroupLayout::kV2) return Write(sub, "", "memory.max", std::to_string(bytes));
    return Write(sub, "memory", "memory.limit_in_bytes", std::to_string(bytes));
  }
  bool SetCpuQuota(const std::string& sub, uint64_t quota_us, uint64_t period_us) {
    if (layout_ == CgroupLayout::kV2) {
      return Write(sub, "", "cpu.max", std::to_string(quota_us) + " " + std::to_string(period_us));
    }
    return Write(sub, "cpu", "cpu.cfs_period_us", std::to_string(period_us)) &&
           Write(sub, "cpu", "cpu.cfs_quota_us", std::to_string(quota_us));
  }
  bool SetPidsMax(const std::string& sub, uint64_t n) {
    return Write(sub, layout_ == CgroupLayout::kV2 ? "" : "pids", "pids.max", std::to_string(n));
  }

  // Moves `pid` into <root>/<sub> in every hierarchy.
  bool Add(const std::string& sub, pid_t pid) {
    for (const auto& h : hierarchies_) {
      if (!WriteFile(h + "/" + Rel(sub) + "/cgroup.procs", std::to_string(pid))) return false;
    }
    return true;
  }

  // Forks a child that waits until it is in <root>/<sub>, then runs `body` (which should not
  // return; the child _exits if it does). Returns its pid, or -1.
  pid_t Spawn(const std::string& sub, const std::function<void()>& body) {
    int go[2];
    if (::pipe2(go, O_CLOEXEC) != 0) return -1;
    pid_t pid = ::fork();
    if (pid < 0) return -1;
    if (pid == 0) {
      ::close(go[1]);
      char c;
      if (::read(go[0], &c, 1) != 1) ::_exit(1);
      body();
      ::_exit(0);
    }
    ::close(go[0]);
    children_.push_back(pid);
    bool placed = Add(sub, pid);
    char c = 'g';
    if (!placed || ::write(go[1], &c, 1) != 1) {
      ::close(go[1]);
      Kill(pid);
      return -1;
    }
    ::close(go[1]);
    return pid;
  }

  void Kill(pid_t pid) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    std::erase(children_, pid);
  }

  // Kills every process in <root>/<sub> and its descendants, then removes the directories
  // deepest first, in every hierarchy.
  bool Remove(const std::string& sub) {
    bool ok = true;
    for (const auto& h : hierarchies_) KillIn(h + "/" + Rel(sub));
    ReapChildren();
    for (const auto& h : hierarchies_) ok &= RemoveTree(h + "/" + Rel(sub));
    return ok;
  }

  void Destroy() {
    if (destroyed_) return;
    destroyed_ = true;
    Remove("");
  }

  // Every hierarchy's directory of <root>/<sub>.
  std::vector<std::string> Dirs(const std::string& sub) const {
    std::vector<std::string> out;
    for (const auto& h : hierarchies_) out.push_back(h + "/" + Rel(sub));
    return out;
  }

  static bool WriteFile(const std::string& path, const std::string& value) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    bool ok = ::write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
    ::close(fd);
    return ok;
  }

 private:
  bool Fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  bool Write(const std::string& sub, const std::string& controller, const std::string& file,
             const std::string& value) {
    std::string path = layout_ == CgroupLayout::kV2
                           ? paths_.cgroup + "/" + Rel(sub) + "/" + file
                           : paths_.cgroup + "/" + controller + "/" + Rel(sub) + "/" + file;
    if (!WriteFile(path, value)) return Fail("write " + value + " to " + path);
    return true;
  }

  static void KillIn(const std::string& dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) return;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      if (entry.is_directory(ec)) KillIn(entry.path().string());
    }
    std::ifstream procs(dir + "/cgroup.procs");
    pid_t pid;
    while (procs >> pid) ::kill(pid, SIGKILL);
  }

  void ReapChildren() {
    for (pid_t pid : children_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    children_.clear();
  }

  static bool RemoveTree(const std::string& dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) return true;
    std::vector<std::string> subdirs;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      if (entry.is_directory(ec)) subdirs.push_back(entry.path().string());
    }
    bool ok = true;
    for (const auto& sub : subdirs) ok &= RemoveTree(sub);
    // A killed process leaves its cgroup a moment after it dies.
    for (int attempt = 0; attempt < 200; ++attempt) {
      if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return ok;
      if (errno != EBUSY) break;
      KillIn(dir);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  HostPaths paths_;
  CgroupLayout layout_;
  std::string root_;
  std::vector<std::string> hierarchies_;
  std::vector<pid_t> children_;
  std::string error_;
  bool ok_ = false;
  bool destroyed_ = false;
};

// Blocks until the child writes a byte on `fd` (readiness), up to `timeout`.
inline bool WaitReadable(int fd, std::chrono::milliseconds timeout) {
  struct pollfd p = {fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
}

}  // namespace gt::collectors::testing
