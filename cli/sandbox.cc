#include "cli/sandbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "collectors/kernel_files.h"

namespace gt::cli {
namespace {

namespace files = collectors::files;

constexpr char kParentName[] = "groundtruth";
constexpr uint64_t kCfsPeriodUs = 100000;  // the kubelet's default CFS period

bool IsPermissionErrno(int err) { return err == EACCES || err == EPERM || err == EROFS; }

Error SysError(int err, const std::string& what, const std::string& path) {
  if (IsPermissionErrno(err)) {
    return MakeError(ErrorCode::kPermission,
                     what + ": " + std::strerror(err) +
                         " (groundtruth run creates a cgroup for the workload: run it as root, "
                         "or with write access to the cgroup hierarchy)",
                     path);
  }
  return MakeError(ErrorCode::kIo, what + ": " + std::strerror(err), path);
}

// Writes `value` to a control file the way the kernel wants it: one write(2).
Status WriteControl(const std::string& path, const std::string& value) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return SysError(errno, "cannot open for writing", path);
  const ssize_t n = ::write(fd, value.data(), value.size());
  const int err = errno;
  ::close(fd);
  if (n < 0) return SysError(err, "cannot write \"" + value + "\"", path);
  return OkStatus();
}

// Async-signal-safe variant for the child between fork and exec.
bool ChildWrite(const char* path, const char* value) {
  const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const ssize_t n = ::write(fd, value, std::strlen(value));
  ::close(fd);
  return n >= 0;
}

// The hierarchies a run's cgroup lives in, by layout. For v1, one directory per mounted
// controller the collectors read; controllers co-mounted (cpu,cpuacct) share a directory.
std::vector<std::string> HierarchyRoots(const collectors::HostPaths& paths,
                                        collectors::CgroupLayout layout) {
  std::vector<std::string> roots;
  if (layout == collectors::CgroupLayout::kV2) {
    roots.push_back(paths.cgroup);
    return roots;
  }
  std::set<std::string> seen;  // by real path: cpu and cpuacct may be one mount
  for (const char* controller :
       {files::kV1Memory, files::kV1Cpu, files::kV1Cpuacct, files::kV1Pids, files::kV1Blkio}) {
    const std::string root = paths.cgroup + "/" + controller;
    char resolved[PATH_MAX];
    if (::realpath(root.c_str(), resolved) == nullptr) continue;  // not mounted here
    struct stat st {};
    if (::stat(resolved, &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    if (!seen.insert(resolved).second) continue;
    roots.push_back(root);
  }
  if (layout == collectors::CgroupLayout::kHybrid) {
    roots.push_back(paths.cgroup + "/" + files::kHybridUnified);
  }
  return roots;
}

bool HasFile(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// A run whose groundtruth process is gone (killed, crashed) leaves its cgroup behind:
// empty it and remove it, so stale runs neither hold memory nor confuse the next one.
void ReapStaleRuns(const std::vector<std::string>& roots) {
  for (const std::string& root : roots) {
    const std::string parent = root + "/" + kParentName;
    DIR* dir = ::opendir(parent.c_str());
    if (dir == nullptr) continue;
    std::vector<std::string> stale;
    while (const dirent* entry = ::readdir(dir)) {
      const std::string_view name = entry->d_name;
      if (name.rfind("run-", 0) != 0) continue;
      const std::string pid_text(name.substr(4));
      char* end = nullptr;
      const long pid = std::strtol(pid_text.c_str(), &end, 10);
      if (pid <= 0 || end == nullptr || *end != '\0') continue;
      // Alive (or not ours to judge): leave it.
      if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
      stale.push_back(parent + "/" + std::string(name));
    }
    ::closedir(dir);
    for (const std::string& path : stale) {
      for (int attempt = 0; attempt < 20 && ::rmdir(path.c_str()) != 0 && errno == EBUSY;
           ++attempt) {
        std::ifstream procs(path + "/" + files::kCgroupProcs);
        pid_t member = 0;
        while (procs >> member) ::kill(member, SIGKILL);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }
}

}  // namespace

uint64_t CpuQuotaMicros(uint64_t millicores, uint64_t period_us) {
  constexpr uint64_t kMinQuotaUs = 1000;  // kubelet minQuotaPeriod
  const uint64_t quota = millicores * period_us / 1000;
  return quota < kMinQuotaUs ? kMinQuotaUs : quota;
}

Result<std::unique_ptr<Sandbox>> Sandbox::Create(const collectors::HostPaths& paths,
                                                 collectors::CgroupLayout layout,
                                                 const SandboxLimits& limits) {
  std::unique_ptr<Sandbox> box(new Sandbox());
  box->relative_ = std::string(kParentName) + "/run-" + std::to_string(::getpid());
  const std::vector<std::string> roots = HierarchyRoots(paths, layout);
  if (roots.empty()) {
    return MakeError(ErrorCode::kNotFound, "no cgroup hierarchy mounted", paths.cgroup);
  }
  const bool v2 = layout == collectors::CgroupLayout::kV2;
  ReapStaleRuns(roots);
  for (const std::string& root : roots) {
    const std::string parent = root + "/" + kParentName;
    if (::mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST) {
      return SysError(errno, "cannot create cgroup", parent);
    }
    box->parents_.push_back(parent);
    if (v2) {
      // Controllers must be enabled top-down for the run's cgroup to have memory.max etc.
      for (const std::string& dir : {root, parent}) {
        for (const char* controller : {"+memory", "+cpu", "+pids", "+io"}) {
          // A controller the kernel lacks is not fatal here; its limit write reports it.
          (void)WriteControl(dir + "/cgroup.subtree_control", controller);
        }
      }
    }
    const std::string dir = root + "/" + box->relative_;
    if (::mkdir(dir.c_str(), 0755) != 0) {
      const int err = errno;
      return SysError(
          err, err == EEXIST ? "a run with this pid already exists" : "cannot create cgroup", dir);
    }
    box->dirs_.push_back(dir);
  }

  // Limits, in whichever hierarchy carries each controller.
  for (const std::string& dir : box->dirs_) {
    if (limits.memory_bytes) {
      const std::string value = std::to_string(*limits.memory_bytes);
      if (v2 && HasFile(dir + "/" + files::kMemoryMax)) {
        if (Status s = WriteControl(dir + "/" + files::kMemoryMax, value); !s) return s.error();
        // No swap for the run: a limit that swaps is not the limit the manifest declares.
        if (HasFile(dir + "/" + files::kMemorySwapMax)) {
          (void)WriteControl(dir + "/" + files::kMemorySwapMax, "0");
        }
      } else if (!v2 && HasFile(dir + "/" + files::kV1MemoryLimit)) {
        if (Status s = WriteControl(dir + "/" + files::kV1MemoryLimit, value); !s) return s.error();
      }
    }
    if (limits.cpu_millicores) {
      const uint64_t quota = CpuQuotaMicros(*limits.cpu_millicores, kCfsPeriodUs);
      if (v2 && HasFile(dir + "/" + files::kCpuMax)) {
        const std::string value = std::to_string(quota) + " " + std::to_string(kCfsPeriodUs);
        if (Status s = WriteControl(dir + "/" + files::kCpuMax, value); !s) return s.error();
      } else if (!v2 && HasFile(dir + "/" + files::kV1CfsQuota)) {
        if (Status s = WriteControl(dir + "/" + files::kV1CfsPeriod, std::to_string(kCfsPeriodUs));
            !s) {
          return s.error();
        }
        if (Status s = WriteControl(dir + "/" + files::kV1CfsQuota, std::to_string(quota)); !s) {
          return s.error();
        }
      }
    }
    if (limits.pids && HasFile(dir + "/" + files::kPidsMax)) {
      if (Status s = WriteControl(dir + "/" + files::kPidsMax, std::to_string(*limits.pids)); !s) {
        return s.error();
      }
    }
  }
  // Every limit asked for must have landed somewhere, or the run would judge a lie.
  auto landed = [&](const char* v2_file, const char* v1_file) {
    for (const std::string& dir : box->dirs_) {
      if (HasFile(dir + "/" + (v2 ? v2_file : v1_file))) return true;
    }
    return false;
  };
  if (limits.memory_bytes && !landed(files::kMemoryMax, files::kV1MemoryLimit)) {
    return MakeError(ErrorCode::kUnavailable, "no memory controller to enforce the memory limit",
                     paths.cgroup);
  }
  if (limits.cpu_millicores && !landed(files::kCpuMax, files::kV1CfsQuota)) {
    return MakeError(ErrorCode::kUnavailable, "no cpu controller to enforce the CPU limit",
                     paths.cgroup);
  }
  if (limits.pids && !landed(files::kPidsMax, files::kPidsMax)) {
    return MakeError(ErrorCode::kUnavailable, "no pids controller to enforce --pids-limit",
                     paths.cgroup);
  }
  return box;
}

Sandbox::~Sandbox() { (void)Destroy(); }

Result<pid_t> Sandbox::Start(const std::vector<std::string>& argv, int output_fd) {
  if (argv.empty()) return MakeError(ErrorCode::kInvalid, "no command to run");
  // Orphans of the workload are re-parented to us, so KillAll can reap them.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);

  std::vector<std::string> procs_files;
  for (const std::string& dir : dirs_) procs_files.push_back(dir + "/" + files::kCgroupProcs);
  std::vector<const char*> procs_c;
  for (const std::string& f : procs_files) procs_c.push_back(f.c_str());
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  // The child reports a failure before exec through this pipe; EOF means exec happened.
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return SysError(errno, "pipe", "");

  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(report[0]);
    ::close(report[1]);
    return SysError(err, "fork", "");
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls from here to exec.
    ::close(report[0]);
    struct Failure {
      int stage;  // 1: join, 2: exec
      int err;
      int index;
    };
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGPIPE, SIG_DFL);
    // If groundtruth itself dies (SIGKILL, a crash), its workload must not run on unjudged.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    for (size_t i = 0; i < procs_c.size(); ++i) {
      if (!ChildWrite(procs_c[i], "0")) {
        Failure f{1, errno, static_cast<int>(i)};
        (void)!::write(report[1], &f, sizeof f);
        ::_exit(127);
      }
    }
    if (output_fd >= 0) {
      ::dup2(output_fd, STDOUT_FILENO);
      ::dup2(output_fd, STDERR_FILENO);
    }
    ::execvp(args[0], args.data());
    Failure f{2, errno, 0};
    (void)!::write(report[1], &f, sizeof f);
    ::_exit(127);
  }
  ::close(report[1]);
  struct {
    int stage;
    int err;
    int index;
  } failure{};
  ssize_t n;
  do {
    n = ::read(report[0], &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  ::close(report[0]);
  child_ = pid;
  if (n == static_cast<ssize_t>(sizeof failure)) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    child_status_ = status;
    if (failure.stage == 1) {
      return SysError(failure.err, "cannot move the workload into its cgroup",
                      procs_files[static_cast<size_t>(failure.index)]);
    }
    return MakeError(ErrorCode::kInvalid,
                     "cannot run \"" + argv[0] + "\": " + std::strerror(failure.err));
  }
  return pid;
}

std::optional<int> Sandbox::PollExit() {
  // Reap everything that has exited: the main process and any re-parented orphans.
  for (;;) {
    int status = 0;
    const pid_t p = ::waitpid(-1, &status, WNOHANG);
    if (p <= 0) break;
    if (p == child_) child_status_ = status;
  }
  return child_status_;
}

std::vector<pid_t> Sandbox::Members() const {
  std::vector<pid_t> pids;
  for (const std::string& dir : dirs_) {
    std::ifstream in(dir + "/" + files::kCgroupProcs);
    pid_t pid = 0;
    while (in >> pid) pids.push_back(pid);
  }
  return pids;
}

void Sandbox::KillAll() {
  using namespace std::chrono_literals;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  for (;;) {
    std::vector<pid_t> members = Members();
    if (child_ > 0 && !child_status_) members.push_back(child_);
    (void)PollExit();
    if (members.empty()) break;
    for (pid_t pid : members) ::kill(pid, SIGKILL);
    if (std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(10ms);
    (void)PollExit();
  }
  // The main process is our child: wait for it so no zombie outlives the run.
  if (child_ > 0 && !child_status_) {
    int status = 0;
    if (::waitpid(child_, &status, 0) == child_) child_status_ = status;
  }
}

Status Sandbox::Destroy() {
  using namespace std::chrono_literals;
  if (destroyed_) return OkStatus();
  KillAll();
  Status result = OkStatus();
  // Children before parents, last created first.
  for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
    bool removed = false;
    int err = 0;
    for (int attempt = 0; attempt < 50 && !removed; ++attempt) {
      if (::rmdir(it->c_str()) == 0 || errno == ENOENT) {
        removed = true;
        break;
      }
      err = errno;
      if (err != EBUSY) break;
      std::this_thread::sleep_for(20ms);  // exiting tasks leave the cgroup asynchronously
      KillAll();
    }
    if (!removed && result) result = SysError(err, "cannot remove cgroup", *it);
  }
  // Shared by concurrent runs: removed only when this was the last one.
  for (const std::string& parent : parents_) ::rmdir(parent.c_str());
  destroyed_ = true;
  return result;
}

}  // namespace gt::cli
