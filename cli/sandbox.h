// A transient cgroup for `groundtruth run`: the only code in groundtruth that writes
// cgroups (collectors only read). Created in every hierarchy of the host's layout with the
// declared limits, the workload started inside it, and everything removed again on exit.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "collectors/host.h"
#include "common/result.h"

namespace gt::cli {

struct SandboxLimits {
  std::optional<uint64_t> memory_bytes;
  std::optional<uint64_t> cpu_millicores;  // CFS quota over a 100ms period, as the kubelet
  std::optional<uint64_t> pids;
};

// The kubelet's MilliCPUToQuota: quota = millicores * period / 1000, at least 1ms.
uint64_t CpuQuotaMicros(uint64_t millicores, uint64_t period_us);

class Sandbox {
 public:
  // Creates "groundtruth/run-<pid>" in each hierarchy (v2: one; v1: memory, cpu, cpuacct,
  // pids, blkio where mounted; hybrid: those plus unified/ for PSI) and writes the limits.
  // kPermission when the kernel refuses (not root, read-only cgroupfs): the message says so.
  static Result<std::unique_ptr<Sandbox>> Create(const collectors::HostPaths& paths,
                                                 collectors::CgroupLayout layout,
                                                 const SandboxLimits& limits);
  ~Sandbox();  // Destroy(), errors ignored
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  // Relative to each hierarchy root, for collectors::CgroupReader::Open.
  const std::string& relative_path() const { return relative_; }
  // Every directory created, one per hierarchy.
  const std::vector<std::string>& directories() const { return dirs_; }

  // Forks; the child joins every hierarchy (cgroup.procs) and then execs argv (PATH
  // searched), with stdout and stderr on `output_fd` when it is >= 0. Returns once the exec
  // has happened, or an error if joining or exec failed (nothing is left running then).
  Result<pid_t> Start(const std::vector<std::string>& argv, int output_fd);

  // Non-blocking: the workload's main process exit, as a wait status, once it has exited.
  // Also reaps orphans of the workload (this process is made their subreaper).
  std::optional<int> PollExit();

  // SIGKILLs every process of the cgroup until none is left (bounded), reaps them.
  void KillAll();

  // KillAll, then removes the directories (retrying briefly while the kernel lets go).
  // Idempotent.
  Status Destroy();

 private:
  Sandbox() = default;
  std::vector<pid_t> Members() const;

  std::string relative_;
  std::vector<std::string> dirs_;     // created, in creation order
  std::vector<std::string> parents_;  // the "groundtruth" directories, removed when empty
  pid_t child_ = -1;
  std::optional<int> child_status_;
  bool destroyed_ = false;
};

}  // namespace gt::cli
