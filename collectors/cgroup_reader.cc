#include "collectors/cgroup_reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>

#include "collectors/fs.h"
#include "collectors/kernel_files.h"
#include "collectors/parse.h"

namespace gt::collectors {
namespace {

// Threads per cgroup whose stat files stay open; beyond this a cgroup's further threads are
// not scanned for state D (a container with more threads is itself a finding).
constexpr size_t kMaxTrackedThreads = 4096;

// USER_HZ, the unit of v1 cpuacct.stat; 100 on every Linux ABI (sysconf(_SC_CLK_TCK)).
const uint64_t kMicrosPerTick = [] {
  long hz = ::sysconf(_SC_CLK_TCK);
  return static_cast<uint64_t>(1000000 / (hz > 0 ? hz : 100));
}();

// The directories one cgroup spans: the v2 directory, or one per v1 controller plus the
// unified directory of a hybrid host.
enum class DirKind : uint8_t { kV2, kUnified, kMemory, kCpu, kCpuacct, kPids, kBlkio, kCount };
constexpr size_t kDirCount = static_cast<size_t>(DirKind::kCount);

// What a file feeds in the reading.
enum class Slot : uint8_t {
  kProcs,
  kThreads,
  kMemCurrent,
  kMemMax,
  kMemHigh,
  kMemPeak,
  kMemEvents,
  kMemEventsLocal,
  kMemStat,
  kMemPressure,
  kSwapCurrent,
  kSwapMax,
  kCpuMax,
  kCpuStat,
  kCpuPressure,
  kIoStat,
  kIoPressure,
  kPidsCurrent,
  kPidsMax,
  kPidsEvents,
  kV1MemUsage,
  kV1MemLimit,
  kV1MemMaxUsage,
  kV1MemFailcnt,
  kV1MemOomControl,
  kV1MemStat,
  kV1CfsQuota,
  kV1CfsPeriod,
  kV1CpuStat,
  kV1CpuacctUsage,
  kV1CpuacctStat,
  kV1BlkioBytes,
  kV1BlkioIos,
};

struct FileSpec {
  DirKind dir;
  const char* name;
  Slot slot;
};

// Order matters where two files feed one field: memory.events.local (container-level
// oom_kill, counted once) comes after memory.events and overrides it.
constexpr FileSpec kV2Files[] = {
    {DirKind::kV2, files::kCgroupProcs, Slot::kProcs},
    {DirKind::kV2, files::kV2Threads, Slot::kThreads},
    {DirKind::kV2, files::kMemoryCurrent, Slot::kMemCurrent},
    {DirKind::kV2, files::kMemoryMax, Slot::kMemMax},
    {DirKind::kV2, files::kMemoryHigh, Slot::kMemHigh},
    {DirKind::kV2, files::kMemoryPeak, Slot::kMemPeak},
    {DirKind::kV2, files::kMemoryEvents, Slot::kMemEvents},
    {DirKind::kV2, files::kMemoryEventsLocal, Slot::kMemEventsLocal},
    {DirKind::kV2, files::kMemoryStat, Slot::kMemStat},
    {DirKind::kV2, files::kMemoryPressure, Slot::kMemPressure},
    {DirKind::kV2, files::kMemorySwapCurrent, Slot::kSwapCurrent},
    {DirKind::kV2, files::kMemorySwapMax, Slot::kSwapMax},
    {DirKind::kV2, files::kCpuMax, Slot::kCpuMax},
    {DirKind::kV2, files::kCpuStat, Slot::kCpuStat},
    {DirKind::kV2, files::kCpuPressure, Slot::kCpuPressure},
    {DirKind::kV2, files::kIoStat, Slot::kIoStat},
    {DirKind::kV2, files::kIoPressure, Slot::kIoPressure},
    {DirKind::kV2, files::kPidsCurrent, Slot::kPidsCurrent},
    {DirKind::kV2, files::kPidsMax, Slot::kPidsMax},
    {DirKind::kV2, files::kPidsEvents, Slot::kPidsEvents},
};

// v1 controllers; on a hybrid host the PSI files of the unified directory are added.
constexpr FileSpec kV1Files[] = {
    {DirKind::kMemory, files::kCgroupProcs, Slot::kProcs},
    {DirKind::kMemory, files::kV1Tasks, Slot::kThreads},
    {DirKind::kMemory, files::kV1MemoryUsage, Slot::kV1MemUsage},
    {DirKind::kMemory, files::kV1MemoryLimit, Slot::kV1MemLimit},
    {DirKind::kMemory, files::kV1MemoryMaxUsage, Slot::kV1MemMaxUsage},
    {DirKind::kMemory, files::kV1MemoryFailcnt, Slot::kV1MemFailcnt},
    {DirKind::kMemory, files::kV1MemoryOomControl, Slot::kV1MemOomControl},
    {DirKind::kMemory, files::kV1MemoryStat, Slot::kV1MemStat},
    {DirKind::kCpu, files::kV1CfsQuota, Slot::kV1CfsQuota},
    {DirKind::kCpu, files::kV1CfsPeriod, Slot::kV1CfsPeriod},
    {DirKind::kCpu, files::kV1CpuStat, Slot::kV1CpuStat},
    {DirKind::kCpuacct, files::kV1CpuacctUsage, Slot::kV1CpuacctUsage},
    {DirKind::kCpuacct, files::kV1CpuacctStat, Slot::kV1CpuacctStat},
    {DirKind::kBlkio, files::kV1BlkioBytes, Slot::kV1BlkioBytes},
    {DirKind::kBlkio, files::kV1BlkioIos, Slot::kV1BlkioIos},
    {DirKind::kPids, files::kPidsCurrent, Slot::kPidsCurrent},
    {DirKind::kPids, files::kPidsMax, Slot::kPidsMax},
    {DirKind::kPids, files::kPidsEvents, Slot::kPidsEvents},
};
// On a hybrid host the process lists come from the unified directory when the container
// has one: v2 lists restart at offset 0 on a kept descriptor, v1 lists need a re-open.
constexpr FileSpec kHybridListFiles[] = {
    {DirKind::kUnified, files::kCgroupProcs, Slot::kProcs},
    {DirKind::kUnified, files::kV2Threads, Slot::kThreads},
};
constexpr FileSpec kHybridFiles[] = {
    {DirKind::kUnified, files::kMemoryPressure, Slot::kMemPressure},
    {DirKind::kUnified, files::kCpuPressure, Slot::kCpuPressure},
    {DirKind::kUnified, files::kIoPressure, Slot::kIoPressure},
};

// Candidate hierarchy directory names of a v1 controller: its own mount, or a co-mount.
std::vector<std::string_view> HierarchyCandidates(DirKind kind) {
  switch (kind) {
    case DirKind::kMemory:
      return {files::kV1Memory};
    case DirKind::kCpu:
      return {files::kV1Cpu, "cpu,cpuacct", "cpuacct,cpu"};
    case DirKind::kCpuacct:
      return {files::kV1Cpuacct, "cpu,cpuacct", "cpuacct,cpu"};
    case DirKind::kPids:
      return {files::kV1Pids};
    case DirKind::kBlkio:
      return {files::kV1Blkio};
    case DirKind::kUnified:
      return {files::kHybridUnified};
    default:
      return {};
  }
}

std::string JoinPath(std::string_view a, std::string_view b) {
  std::string out(a);
  if (!b.empty()) {
    if (!out.empty() && out.back() != '/') out += '/';
    out.append(b);
  }
  return out;
}

std::string ProcPath(const std::string& proc, int32_t pid, std::string_view tail) {
  std::string out = proc;
  out += '/';
  out += std::to_string(pid);
  if (!tail.empty()) {
    out += '/';
    out.append(tail);
  }
  return out;
}

// Threads of a cgroup's processes, their stat files kept open while the set of ids the
// cgroup lists (cgroup.procs, tasks / cgroup.threads) stays the same.
class TaskScanner {
 public:
  // pids and tids sorted and unique.
  Status Scan(const std::string& proc, const std::vector<int32_t>& pids,
              const std::vector<int32_t>& tids, std::vector<BlockedThread>& blocked) {
    if (dirty_ || pids != known_pids_ || tids != known_tids_) Rebuild(proc, pids, tids);
    for (Task& task : tasks_) {
      auto text = PreadAll(task.fd.get(), task.path, "");
      if (!text) {
        dirty_ = true;  // exited between listing and reading; not blocked, not an error
        continue;
      }
      auto stat = ParseProcStat(*text, task.path);
      if (!stat) return stat.error();
      if (stat->state == 'D') {
        blocked.push_back(
            BlockedThread{task.pid, task.tid, stat->start_time_ticks, std::string(stat->comm)});
      }
    }
    return OkStatus();
  }

  void AppendPaths(std::vector<std::string>& out) const {
    for (const Task& task : tasks_) out.push_back(task.path);
  }

  void Clear() {
    tasks_.clear();
    known_pids_.clear();
    known_tids_.clear();
  }

 private:
  struct Task {
    int32_t pid;
    int32_t tid;
    Fd fd;
    std::string path;
  };

  void Rebuild(const std::string& proc, const std::vector<int32_t>& pids,
               const std::vector<int32_t>& tids) {
    std::vector<Task> old = std::move(tasks_);
    tasks_.clear();
    auto add = [&](int32_t pid, int32_t tid) {
      if (tasks_.size() >= kMaxTrackedThreads) return;
      for (Task& t : old) {
        if (t.tid == tid && t.pid == pid && t.fd.valid()) {
          tasks_.push_back(std::move(t));
          return;
        }
      }
      std::string path = ProcPath(proc, pid, "task/" + std::to_string(tid) + "/stat");
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return;  // exited meanwhile, or hidden from us
      tasks_.push_back(Task{pid, tid, Fd(fd), std::move(path)});
    };
    if (tids.empty() || tids == pids) {
      // Single-threaded processes (or no thread list): each process is its only thread.
      for (int32_t pid : pids) add(pid, pid);
    } else {
      for (int32_t pid : pids) {
        std::string task_dir = ProcPath(proc, pid, "task");
        DIR* dir = ::opendir(task_dir.c_str());
        if (dir == nullptr) continue;
        while (struct dirent* entry = ::readdir(dir)) {
          int32_t tid = 0;
          std::string_view name(entry->d_name);
          auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), tid);
          if (ec != std::errc() || ptr != name.data() + name.size()) continue;
          if (std::binary_search(tids.begin(), tids.end(), tid)) add(pid, tid);
        }
        ::closedir(dir);
      }
    }
    known_pids_ = pids;
    known_tids_ = tids;
    dirty_ = false;
  }

  std::vector<Task> tasks_;
  std::vector<int32_t> known_pids_;
  std::vector<int32_t> known_tids_;
  bool dirty_ = true;
};

// Where a process's network namespace is, relative to the host's.
enum class NetSharing {
  kOwn,      // a namespace of its own: its counters are the workload's
  kHost,     // the host's namespace (hostNetwork): its counters are the whole node's
  kUnknown,  // cannot tell: its counters are not read, rather than risk the node's
};

// The target of /proc/<pid>/ns/net ("net:[4026531840]"); empty when it cannot be read.
// Following that link needs ptrace read access to the process: an agent running as another
// uid without CAP_SYS_PTRACE (the manifests run it as 65532 with none) gets EACCES.
std::string NetNamespaceLink(const std::string& proc, const std::string& pid) {
  const std::string path = proc + "/" + pid + "/" + files::kNetNamespace;
  std::array<char, 64> target{};
  const ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
  if (n <= 0 || static_cast<size_t>(n) >= target.size()) return "";
  return std::string(target.data(), static_cast<size_t>(n));
}

std::string IdentityOf(const struct stat& st) {
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

std::string IdentityOf(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 ? IdentityOf(st) : "";
}

// The identity of /proc/<pid>/net/snmp: "dev:inode"; empty when it cannot be stat'ed. The
// entries under /proc/<pid>/net are those of the process's network namespace, registered
// once per namespace, so every process of one namespace sees the same inode and another
// namespace's file has another. Unlike ns/net this needs no ptrace access (net/ is
// world-readable), so it is what a non-root agent can tell namespaces apart by.
std::string NetSnmpIdentity(const std::string& proc, const std::string& pid) {
  const std::string path = proc + "/" + pid + "/" + files::kNetSnmp;
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? IdentityOf(st) : "";
}

// The host's network namespace's identity: PID 1's, or kthreadd's (PID 2) where PID 1's
// cannot be read (a sandboxing init that is not dumpable: EACCES even for root), since
// kernel threads live in the initial namespaces.
std::string HostIdentity(const std::string& proc,
                         std::string (*identity)(const std::string&, const std::string&)) {
  std::string init = identity(proc, "1");
  return init.empty() ? identity(proc, "2") : init;
}

std::string HostNetSnmpIdentity(const std::string& proc) {
  return HostIdentity(proc, &NetSnmpIdentity);
}

// Where `pid`'s network namespace is, judged by the first kind of identity that can be read
// both for it and for the host's namespace (two kinds are never compared with each other).
NetSharing NetSharingOf(const std::string& proc, int32_t pid) {
  const std::string who = std::to_string(pid);
  for (auto identity : {&NetNamespaceLink, &NetSnmpIdentity}) {
    const std::string own = identity(proc, who);
    if (own.empty()) continue;
    const std::string host = HostIdentity(proc, identity);
    if (host.empty()) continue;
    return own == host ? NetSharing::kHost : NetSharing::kOwn;
  }
  return NetSharing::kUnknown;
}

// Network counters of the cgroup's namespace, read through one of its processes. A process
// in the host's namespace (that of PID 1, e.g. a hostNetwork pod) would report the whole
// node's TCP traffic as the workload's: its counters are left out (net stays empty), and so
// are those of a process whose namespace cannot be placed.
class NetScanner {
 public:
  std::optional<NetReading> Read(const std::string& proc, const std::vector<int32_t>& pids) {
    if (pids.empty()) {
      Clear();
      return std::nullopt;
    }
    // A process not known to have a namespace of its own is looked at again on every read:
    // a launcher such as `ip netns exec` or a runtime shim starts in the host's namespace
    // and enters the pod's just before exec, under the same pid. Decided once, a sample taken
    // in that instant would leave the container without network readings for its whole life.
    if (pid_ != 0 && sharing_ != NetSharing::kOwn && NetSharingOf(proc, pid_) != sharing_) {
      Clear();
    }
    if (pid_ == 0 || !std::binary_search(pids.begin(), pids.end(), pid_)) {
      Clear();
      for (int32_t pid : pids) {
        if (OpenFor(proc, pid)) break;
      }
      if (pid_ == 0) return std::nullopt;
    }
    if (sharing_ != NetSharing::kOwn) return std::nullopt;
    auto snmp_text = PreadAll(snmp_.get(), snmp_path_, "");
    if (!snmp_text) return Cleared();
    auto snmp = ParseNetSnmp(*snmp_text, snmp_path_);
    auto dev_text = PreadAll(dev_.get(), dev_path_, "");
    if (!dev_text) return Cleared();
    auto dev = ParseNetDev(*dev_text, dev_path_);
    if (!snmp || !dev) return std::nullopt;  // a namespace without TCP/IPv4 or odd content
    NetReading out;
    out.tcp_out_segs = snmp->tcp_out_segs;
    out.tcp_retrans_segs = snmp->tcp_retrans_segs;
    out.rx_bytes = dev->rx_bytes;
    out.tx_bytes = dev->tx_bytes;
    out.rx_dropped = dev->rx_dropped;
    out.tx_dropped = dev->tx_dropped;
    return out;
  }

  void AppendPaths(std::vector<std::string>& out) const {
    if (pid_ != 0 && sharing_ == NetSharing::kOwn) {
      out.push_back(snmp_path_);
      out.push_back(dev_path_);
    }
  }

  void Clear() {
    pid_ = 0;
    sharing_ = NetSharing::kUnknown;
    snmp_.Reset();
    dev_.Reset();
  }

 private:
  std::optional<NetReading> Cleared() {
    Clear();
    return std::nullopt;
  }

  bool OpenFor(const std::string& proc, int32_t pid) {
    const NetSharing sharing = NetSharingOf(proc, pid);
    if (sharing != NetSharing::kOwn) {
      // Kept (and looked at again next read) only while the process still exists.
      if (sharing == NetSharing::kUnknown && ::access(ProcPath(proc, pid, "").c_str(), F_OK) != 0) {
        return false;
      }
      pid_ = pid;
      sharing_ = sharing;
      return true;
    }
    std::string snmp_path = ProcPath(proc, pid, files::kNetSnmp);
    std::string dev_path = ProcPath(proc, pid, files::kNetDev);
    Fd snmp(::open(snmp_path.c_str(), O_RDONLY | O_CLOEXEC));
    Fd dev(::open(dev_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!snmp.valid() || !dev.valid()) return false;
    // Checked again on the file opened, which stays with the namespace it was opened in:
    // a process that entered the host's namespace between the check and the open.
    const std::string host = HostNetSnmpIdentity(proc);
    if (!host.empty() && IdentityOf(snmp.get()) == host) return false;
    pid_ = pid;
    sharing_ = NetSharing::kOwn;
    snmp_ = std::move(snmp);
    dev_ = std::move(dev);
    snmp_path_ = std::move(snmp_path);
    dev_path_ = std::move(dev_path);
    return true;
  }

  int32_t pid_ = 0;
  NetSharing sharing_ = NetSharing::kUnknown;
  Fd snmp_, dev_;
  std::string snmp_path_, dev_path_;
};

class CgroupReaderImpl final : public CgroupReader {
 public:
  CgroupReaderImpl(HostPaths paths, CgroupLayout layout, std::string relative, Options options)
      : paths_(std::move(paths)),
        layout_(layout),
        relative_(std::move(relative)),
        options_(options) {}

  Status OpenAll() {
    CloseAll();
    auto root = OpenDir(paths_.cgroup);
    if (!root) return root.error();
    if (layout_ == CgroupLayout::kV2) {
      if (auto st = OpenDirOf(root->get(), DirKind::kV2, {""}, /*required=*/true); !st) return st;
      for (const FileSpec& spec : kV2Files) {
        if (auto st = OpenFile(spec); !st) return st;
      }
      opened_ = true;
      return OkStatus();
    }
    for (DirKind kind :
         {DirKind::kMemory, DirKind::kCpu, DirKind::kCpuacct, DirKind::kPids, DirKind::kBlkio}) {
      bool required = kind == DirKind::kMemory || kind == DirKind::kCpu;
      if (auto st = OpenDirOf(root->get(), kind, HierarchyCandidates(kind), required); !st) {
        return st;
      }
    }
    for (const FileSpec& spec : kV1Files) {
      if (auto st = OpenFile(spec); !st) return st;
    }
    if (layout_ == CgroupLayout::kHybrid) {
      if (auto st =
              OpenDirOf(root->get(), DirKind::kUnified, HierarchyCandidates(DirKind::kUnified),
                        /*required=*/false);
          !st) {
        return st;
      }
      if (dirs_[Index(DirKind::kUnified)].fd.valid()) {
        std::erase_if(files_, [](const OpenedFile& f) { return IsV1PidList(*f.spec); });
        for (const FileSpec& spec : kHybridListFiles) {
          if (auto st = OpenFile(spec); !st) return st;
        }
      }
      for (const FileSpec& spec : kHybridFiles) {
        if (auto st = OpenFile(spec); !st) return st;
      }
    }
    opened_ = true;
    return OkStatus();
  }

  Result<CgroupReading> Read(MonotonicTime now) override {
    if (!opened_) {
      if (auto st = OpenAll(); !st) return Gone(st.error());
    }
    auto reading = ReadOnce(now);
    if (reading || !reading.error().gone()) return reading;
    // A file vanished: the cgroup was removed, perhaps re-created under the same name (or a
    // file was hidden, like PSI after "0" is written to cgroup.pressure). Re-open once.
    if (auto st = OpenAll(); !st) {
      opened_ = false;
      return Gone(st.error());
    }
    return ReadOnce(now);
  }

  const std::string& relative_path() const override { return relative_; }
  CgroupLayout layout() const override { return layout_; }

  std::vector<std::string> OpenFilePaths() const override {
    std::vector<std::string> out;
    for (const OpenedFile& f : files_)
      out.push_back(JoinPath(dirs_[Index(f.spec->dir)].path, f.spec->name));
    tasks_.AppendPaths(out);
    net_.AppendPaths(out);
    return out;
  }

 private:
  struct Dir {
    Fd fd;
    std::string path;
  };
  struct OpenedFile {
    Fd fd;
    const FileSpec* spec;
  };

  static size_t Index(DirKind kind) { return static_cast<size_t>(kind); }

  static Error Gone(Error e) {
    if (e.code == ErrorCode::kNotFound) e.code = ErrorCode::kGone;
    return e;
  }

  void CloseAll() {
    files_.clear();
    for (Dir& d : dirs_) {
      d.fd.Reset();
      d.path.clear();
    }
    opened_ = false;
  }

  Status OpenDirOf(int root_fd, DirKind kind, const std::vector<std::string_view>& hierarchies,
                   bool required) {
    Error last =
        MakeError(ErrorCode::kNotFound, "no such cgroup", JoinPath(paths_.cgroup, relative_));
    for (std::string_view hierarchy : hierarchies) {
      std::string relative = JoinPath(hierarchy, relative_);
      std::string path = JoinPath(paths_.cgroup, relative);
      auto fd = OpenDirBeneath(root_fd, relative, path);
      if (fd) {
        dirs_[Index(kind)] = Dir{std::move(*fd), std::move(path)};
        return OkStatus();
      }
      last = fd.error();
      if (!last.gone()) break;
    }
    if (!required && last.gone()) return OkStatus();
    if (last.gone()) last.code = ErrorCode::kNotFound;
    return last;
  }

  Status OpenFile(const FileSpec& spec) {
    const Dir& dir = dirs_[Index(spec.dir)];
    if (!dir.fd.valid()) return OkStatus();  // optional controller not mounted here
    bool required = spec.slot == Slot::kProcs;
    auto fd = OpenFileAt(dir.fd.get(), spec.name, dir.path, !required);
    if (!fd) return fd.error();
    if (fd->valid()) files_.push_back(OpenedFile{std::move(*fd), &spec});
    return OkStatus();
  }

  Result<CgroupReading> ReadOnce(MonotonicTime now) {
    CgroupReading out;
    out.time = now;
    bool have_local_oom_kill = false;
    for (const OpenedFile& file : files_) {
      const std::string& dir = dirs_[Index(file.spec->dir)].path;
      // cgroup v1 serves cgroup.procs and tasks from a pid list cached for the open file
      // (kernel/cgroup/cgroup-v1.c, cgroup_pidlist_start): a kept descriptor goes on
      // returning the processes of an earlier read. Those two are re-opened each time.
      int fd = file.fd.get();
      Fd fresh;
      if (IsV1PidList(*file.spec)) {
        auto reopened =
            OpenFileAt(dirs_[Index(file.spec->dir)].fd.get(), file.spec->name, dir, false);
        if (!reopened) return Gone(reopened.error());
        fresh = std::move(*reopened);
        fd = fresh.get();
      }
      auto text = PreadAll(fd, dir, file.spec->name);
      if (!text) {
        if (text.error().code == ErrorCode::kIo && IsPsi(file.spec->slot)) continue;
        return text.error();
      }
      if (auto st = Apply(file.spec->slot, *text, dir, file.spec->name, out, have_local_oom_kill);
          !st) {
        return st.error();
      }
    }
    out.process_count = static_cast<uint32_t>(pids_.size());
    if (options_.blocked_threads) {
      if (auto st = tasks_.Scan(paths_.proc, pids_, tids_, out.blocked); !st) return st.error();
    }
    if (options_.network) out.net = net_.Read(paths_.proc, pids_);
    return out;
  }

  static bool IsV1PidList(const FileSpec& spec) {
    return (spec.slot == Slot::kProcs || spec.slot == Slot::kThreads) && spec.dir != DirKind::kV2 &&
           spec.dir != DirKind::kUnified;
  }

  static bool IsPsi(Slot slot) {
    // PSI disabled at boot (psi=0) leaves the files but fails reads with EOPNOTSUPP.
    return slot == Slot::kMemPressure || slot == Slot::kCpuPressure || slot == Slot::kIoPressure;
  }

  Status Apply(Slot slot, std::string_view text, const std::string& dir, const char* name,
               CgroupReading& out, bool& have_local_oom_kill) {
    // Parsers take the path only to name it in errors: pass the bare name and prefix the
    // directory on failure, so the success path builds no strings.
    std::string_view p = name;
    MemoryReading& mem = out.memory;
    switch (slot) {
      case Slot::kProcs: {
        auto st = ParseIdList(text, p, pids_);
        if (!st) return Fix(st.error(), dir);
        return OkStatus();
      }
      case Slot::kThreads: {
        auto st = ParseIdList(text, p, tids_);
        if (!st) return Fix(st.error(), dir);
        return OkStatus();
      }
      case Slot::kMemCurrent:
      case Slot::kV1MemUsage:
        return Assign(ParseNumber(text, p), dir, mem.usage_bytes);
      case Slot::kMemMax:
        return Assign(ParseMaxOrNumber(text, p), dir, mem.limit_bytes);
      case Slot::kV1MemLimit:
        return Assign(ParseV1MemoryLimit(text, p), dir, mem.limit_bytes);
      case Slot::kMemHigh:
        return Assign(ParseMaxOrNumber(text, p), dir, mem.high_bytes);
      case Slot::kMemPeak:
      case Slot::kV1MemMaxUsage:
        return AssignOptional(ParseNumber(text, p), dir, mem.peak_bytes);
      case Slot::kMemEvents: {
        uint64_t oom_kill = 0;
        const FlatKeyedField fields[] = {{"low", &mem.events_low},
                                         {"high", &mem.events_high},
                                         {"max", &mem.events_max},
                                         {"oom", &mem.events_oom},
                                         {"oom_kill", &oom_kill}};
        if (auto st = ParseFlatKeyed(text, p, fields); !st) return Fix(st.error(), dir);
        if (!have_local_oom_kill) mem.events_oom_kill = oom_kill;
        return OkStatus();
      }
      case Slot::kMemEventsLocal: {
        const FlatKeyedField fields[] = {{"oom_kill", &mem.events_oom_kill, &have_local_oom_kill}};
        if (auto st = ParseFlatKeyed(text, p, fields); !st) return Fix(st.error(), dir);
        return OkStatus();
      }
      case Slot::kMemStat: {
        uint64_t legacy_refault = 0;
        bool have_split = false, have_legacy = false;
        const FlatKeyedField fields[] = {
            {"anon", &mem.anon_bytes},
            {"file", &mem.file_bytes},
            {"active_file", &mem.active_file_bytes},
            {"inactive_file", &mem.inactive_file_bytes},
            {"pgfault", &mem.pgfault},
            {"pgmajfault", &mem.pgmajfault},
            {"workingset_refault_file", &mem.workingset_refault_file, &have_split},
            {"workingset_refault_anon", &mem.workingset_refault_anon},
            {"workingset_refault", &legacy_refault, &have_legacy},  // before Linux 5.9
        };
        if (auto st = ParseFlatKeyed(text, p, fields); !st) return Fix(st.error(), dir);
        if (!have_split && have_legacy) mem.workingset_refault_file = legacy_refault;
        return OkStatus();
      }
      case Slot::kV1MemStat: {
        // Hierarchical totals (total_*): a container's own cgroup may have children.
        uint64_t legacy_refault = 0, swap = 0;
        bool have_split = false, have_legacy = false, have_swap = false;
        const FlatKeyedField fields[] = {
            {"total_rss", &mem.anon_bytes},
            {"total_cache", &mem.file_bytes},
            {"total_active_file", &mem.active_file_bytes},
            {"total_inactive_file", &mem.inactive_file_bytes},
            {"total_pgfault", &mem.pgfault},
            {"total_pgmajfault", &mem.pgmajfault},
            {"total_workingset_refault_file", &mem.workingset_refault_file, &have_split},
            {"total_workingset_refault_anon", &mem.workingset_refault_anon},
            {"total_workingset_refault", &legacy_refault, &have_legacy},
            {"total_swap", &swap, &have_swap},  // present only with swap accounting
        };
        if (auto st = ParseFlatKeyed(text, p, fields); !st) return Fix(st.error(), dir);
        if (!have_split && have_legacy) mem.workingset_refault_file = legacy_refault;
        if (have_swap) mem.swap_usage_bytes = swap;
        return OkStatus();
      }
      case Slot::kV1MemFailcnt:
        return Assign(ParseNumber(text, p), dir, mem.events_max);
      case Slot::kV1MemOomControl: {
        const FlatKeyedField fields[] = {{"oom_kill", &mem.events_oom_kill}};
        if (auto st = ParseFlatKeyed(text, p, fields); !st) return Fix(st.error(), dir);
        return OkStatus();
      }
      case Slot::kMemPressure:
        return AssignOptional(ParsePressure(text, p), dir, mem.pressure);
      case Slot::kCpuPressure:
        return AssignOptional(ParsePressure(text, p), dir, out.cpu.pressure);
      case Slot::kIoPressure:
        return AssignOptional(ParsePressure(text, p), dir, out.io.pressure);
      case Slot::kSwapCurrent:
        return AssignOptional(ParseNumber(text, p), dir, mem.swap_usage_bytes);
      case Slot::kSwapMax:
        return Assign(ParseMaxOrNumber(text, p), dir, mem.swap_limit_bytes);
      case Slot::kCpuMax: {
        auto cpu_max = ParseCpuMax(text, p);
        if (!cpu_max) return Fix(cpu_max.error(), dir);
        out.cpu.quota_us = cpu_max->quota_us;
        out.cpu.period_us = cpu_max->period_us;
        return OkStatus();
      }
      case Slot::kCpuStat: {
        const FlatKeyedField fields[] = {
            {"usage_usec", &out.cpu.usage_us},       {"user_usec", &out.cpu.user_us},
            {"system_usec", &out.cpu.system_us},     {"nr_periods", &out.cpu.nr_periods},
            {"nr_throttled", &out.cpu.nr_throttled}, {"throttled_usec", &out.cpu.throttled_us},
        };
        if (auto st = ParseFlatKeyed(text, p, fields); !st) return Fix(st.error(), dir);
        return OkStatus();
      }
      case Slot::kV1CfsQuota:
        return Assign(ParseV1CfsQuota(text, p), dir, out.cpu.quota_us);
      case Slot::kV1CfsPeriod:
        return Assign(ParseNumber(text, p), dir, out.cpu.period_us);
      case Slot::kV1CpuStat: {
        uint64_t throttled_ns = 0;
        const FlatKeyedField fields[] = {{"nr_periods", &out.cpu.nr_periods},
                                         {"nr_throttled", &out.cpu.nr_throttled},
                                         {"throttled_time", &throttled_ns}};
        if (auto st = ParseFlatKeyed(text, p, fields); !st) return Fix(st.error(), dir);
        out.cpu.throttled_us = throttled_ns / 1000;
        return OkStatus();
      }
      case Slot::kV1CpuacctUsage: {
        auto ns = ParseNumber(text, p);
        if (!ns) return Fix(ns.error(), dir);
        out.cpu.usage_us = *ns / 1000;
        return OkStatus();
      }
      case Slot::kV1CpuacctStat: {
        // cgroup-v1/cpuacct.rst: "user <ticks>\nsystem <ticks>" in USER_HZ.
        uint64_t user_ticks = 0, system_ticks = 0;
        const FlatKeyedField fields[] = {{"user", &user_ticks}, {"system", &system_ticks}};
        if (auto st = ParseFlatKeyed(text, p, fields); !st) return Fix(st.error(), dir);
        out.cpu.user_us = user_ticks * kMicrosPerTick;
        out.cpu.system_us = system_ticks * kMicrosPerTick;
        return OkStatus();
      }
      case Slot::kIoStat: {
        auto io = ParseIoStat(text, p);
        if (!io) return Fix(io.error(), dir);
        out.io.read_bytes = io->read_bytes;
        out.io.write_bytes = io->write_bytes;
        out.io.read_ios = io->read_ios;
        out.io.write_ios = io->write_ios;
        return OkStatus();
      }
      case Slot::kV1BlkioBytes: {
        auto io = ParseV1Blkio(text, p);
        if (!io) return Fix(io.error(), dir);
        out.io.read_bytes = io->read;
        out.io.write_bytes = io->write;
        return OkStatus();
      }
      case Slot::kV1BlkioIos: {
        auto io = ParseV1Blkio(text, p);
        if (!io) return Fix(io.error(), dir);
        out.io.read_ios = io->read;
        out.io.write_ios = io->write;
        return OkStatus();
      }
      case Slot::kPidsCurrent:
        return Assign(ParseNumber(text, p), dir, out.pids.current);
      case Slot::kPidsMax:
        return Assign(ParseMaxOrNumber(text, p), dir, out.pids.limit);
      case Slot::kPidsEvents: {
        const FlatKeyedField fields[] = {{"max", &out.pids.events_max}};
        if (auto st = ParseFlatKeyed(text, p, fields); !st) return Fix(st.error(), dir);
        return OkStatus();
      }
    }
    return OkStatus();
  }

  // Parsers were given the bare file name; prefix the directory so the error names the file.
  static Error Fix(Error e, const std::string& dir) {
    e.path = JoinPath(dir, e.path);
    return e;
  }
  template <typename T, typename U>
  static Status Assign(Result<T> parsed, const std::string& dir, U& field) {
    if (!parsed) return Fix(parsed.error(), dir);
    field = std::move(*parsed);
    return OkStatus();
  }
  template <typename T, typename U>
  static Status AssignOptional(Result<T> parsed, const std::string& dir, std::optional<U>& field) {
    if (!parsed) return Fix(parsed.error(), dir);
    field = std::move(*parsed);
    return OkStatus();
  }

  HostPaths paths_;
  CgroupLayout layout_;
  std::string relative_;
  Options options_;
  std::array<Dir, kDirCount> dirs_;
  std::vector<OpenedFile> files_;
  bool opened_ = false;
  std::vector<int32_t> pids_;
  std::vector<int32_t> tids_;
  TaskScanner tasks_;
  NetScanner net_;
};

}  // namespace

Result<std::unique_ptr<CgroupReader>> CgroupReader::Open(const HostPaths& paths,
                                                         CgroupLayout layout,
                                                         std::string relative_path) {
  return Open(paths, layout, std::move(relative_path), Options{});
}

Result<std::unique_ptr<CgroupReader>> CgroupReader::Open(const HostPaths& paths,
                                                         CgroupLayout layout,
                                                         std::string relative_path,
                                                         Options options) {
  auto clean = CleanRelativePath(relative_path);
  if (!clean) return clean.error();
  auto reader = std::make_unique<CgroupReaderImpl>(paths, layout, std::move(*clean), options);
  if (auto st = reader->OpenAll(); !st) return st.error();
  return std::unique_ptr<CgroupReader>(std::move(reader));
}

}  // namespace gt::collectors
