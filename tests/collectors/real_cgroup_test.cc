// Real processes in real cgroups on this machine; asserts what CgroupReader reads.
// ctest LABEL cgroup. Skipped (with the reason) when not root or without cgroups.
#include "tests/collectors/real_cgroup.h"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

#include "collectors/cgroup_reader.h"
#include "collectors/discovery.h"
#include "collectors/node_reader.h"

namespace gt::collectors {
namespace {

using namespace std::chrono_literals;
using testing::CgroupSandbox;

constexpr uint64_t kMiB = 1024 * 1024;

MonotonicTime Now() {
  return std::chrono::duration_cast<MonotonicTime>(
      std::chrono::steady_clock::now().time_since_epoch());
}

class RealCgroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = testing::RealCgroupsUnavailable(host_);
    if (!why.empty()) GTEST_SKIP() << why;
    layout_ = *DetectLayout(host_);
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    sandbox_ = std::make_unique<CgroupSandbox>(
        host_, layout_, std::string("gt-test-") + info->name() + "-" + std::to_string(::getpid()));
    ASSERT_TRUE(sandbox_->ok()) << sandbox_->error();
  }
  void TearDown() override {
    if (sandbox_) {
      sandbox_->Destroy();
      for (const auto& dir : sandbox_->Dirs("")) {
        EXPECT_FALSE(std::filesystem::exists(dir)) << "left behind: " << dir;
      }
    }
  }

  std::unique_ptr<CgroupReader> OpenReader(const std::string& sub) {
    auto reader = CgroupReader::Open(host_, layout_, sandbox_->Rel(sub));
    EXPECT_TRUE(reader) << reader.error().ToString();
    return reader ? std::move(*reader) : nullptr;
  }

  // Spawns `body` in <sub>; `body` gets the write end of a pipe to say "ready".
  pid_t SpawnReady(const std::string& sub, std::function<void(int ready_fd)> body) {
    int ready[2];
    EXPECT_EQ(::pipe(ready), 0);
    pid_t pid = sandbox_->Spawn(sub, [&] {
      ::close(ready[0]);
      body(ready[1]);
    });
    ::close(ready[1]);
    bool ok = pid > 0 && testing::WaitReadable(ready[0], 20s);
    ::close(ready[0]);
    EXPECT_TRUE(ok) << "child did not get ready";
    return ok ? pid : -1;
  }

  static void SayReady(int fd) {
    char c = 'r';
    (void)!::write(fd, &c, 1);
  }

  // A process in <own> with a network namespace of its own, one in <host> in the host's.
  bool SpawnOwnAndHostNamespaces() {
    if (!sandbox_->Make("own") || !sandbox_->Make("host")) return false;
    const pid_t own = SpawnReady("own", [](int ready) {
      if (::unshare(CLONE_NEWNET) != 0) ::_exit(2);
      SayReady(ready);
      for (;;) ::pause();
    });
    const pid_t host = SpawnReady("host", [](int ready) {
      SayReady(ready);
      for (;;) ::pause();
    });
    return own > 0 && host > 0;
  }

  HostPaths host_;
  CgroupLayout layout_ = CgroupLayout::kV2;
  std::unique_ptr<CgroupSandbox> sandbox_;
};

TEST_F(RealCgroupTest, MemoryOfAProcessAllocating32MiB) {
  ASSERT_TRUE(sandbox_->Make("mem"));
  ASSERT_TRUE(sandbox_->SetMemoryLimit("mem", 64 * kMiB)) << sandbox_->error();
  pid_t pid = SpawnReady("mem", [](int ready) {
    size_t size = 32 * kMiB;
    auto* p = static_cast<char*>(
        ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (p == MAP_FAILED) ::_exit(2);
    std::memset(p, 0x5a, size);  // fault every page in: charged to this cgroup
    SayReady(ready);
    for (;;) ::pause();
  });
  ASSERT_GT(pid, 0);
  auto reader = OpenReader("mem");
  ASSERT_TRUE(reader);
  auto r = reader->Read(Now());
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_GE(r->memory.usage_bytes, 32 * kMiB);
  EXPECT_LT(r->memory.usage_bytes, 64 * kMiB);
  EXPECT_GE(r->memory.anon_bytes, 30 * kMiB);
  ASSERT_TRUE(r->memory.limit_bytes.has_value());
  EXPECT_EQ(*r->memory.limit_bytes, 64 * kMiB);
  ASSERT_TRUE(r->memory.peak_bytes.has_value());
  EXPECT_GE(*r->memory.peak_bytes, r->memory.usage_bytes);
  EXPECT_EQ(r->memory.events_oom_kill, 0u);
  EXPECT_EQ(r->process_count, 1u);
  EXPECT_EQ(r->pids.current, 1u);
  if (layout_ != CgroupLayout::kV1) {
    EXPECT_TRUE(r->memory.pressure.has_value());
    EXPECT_TRUE(r->cpu.pressure.has_value());
    EXPECT_TRUE(r->io.pressure.has_value());
  }
  // The child shares the host's network namespace: the node's TCP counters are not its own.
  EXPECT_FALSE(r->net.has_value());
  EXPECT_TRUE(r->blocked.empty());
}

// A pod has a network namespace of its own; a hostNetwork pod (or a process of the host)
// shares PID 1's, whose counters are the whole node's. Only the former is read.
TEST_F(RealCgroupTest, NetworkCountersOnlyFromANamespaceOfItsOwn) {
  ASSERT_TRUE(SpawnOwnAndHostNamespaces());
  auto own_reader = OpenReader("own");
  auto host_reader = OpenReader("host");
  ASSERT_TRUE(own_reader && host_reader);
  auto o = own_reader->Read(Now());
  auto h = host_reader->Read(Now());
  ASSERT_TRUE(o) << o.error().ToString();
  ASSERT_TRUE(h) << h.error().ToString();
  ASSERT_TRUE(o->net.has_value());
  EXPECT_EQ(o->net->tcp_out_segs, 0u);  // a fresh namespace has sent nothing
  EXPECT_FALSE(h->net.has_value());
  // Twice: the decision is kept for the same process.
  auto h2 = host_reader->Read(Now());
  ASSERT_TRUE(h2);
  EXPECT_FALSE(h2->net.has_value());
  for (const std::string& path : host_reader->OpenFilePaths()) {
    EXPECT_EQ(path.find("/net/"), std::string::npos) << path;
  }
}

// The agent runs as uid 65532 without capabilities (manifests/base/agent.yaml). Such a
// reader may not follow another user's /proc/<pid>/ns/net (ptrace access mode), yet it must
// still tell a process in the host's namespace from one with a namespace of its own: the
// former's counters are the whole node's. The readers run in a child that dropped to the
// manifest's identity; the processes read belong to root, as a pod's do to their own users.
struct UnprivilegedNetRead {
  uint32_t uid = 0;
  uint64_t effective_caps = ~uint64_t{0};
  bool namespace_link_readable = true;  // /proc/1/ns/net: false is the case under test
  bool own_ok = false, own_net = false, host_ok = false, host_net = false;
  uint64_t own_out_segs = ~uint64_t{0};
};

TEST_F(RealCgroupTest, NetworkCountersAsTheManifestsUserWithoutCapabilities) {
  ASSERT_TRUE(SpawnOwnAndHostNamespaces());
  const std::string own_rel = sandbox_->Rel("own"), host_rel = sandbox_->Rel("host");
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  pid_t reader = ::fork();
  ASSERT_GE(reader, 0);
  if (reader == 0) {
    ::close(out[0]);
    UnprivilegedNetRead r;
    constexpr uid_t kAgent = 65532;
    // Groups, then gid, then uid: changing every uid away from 0 clears the permitted and
    // effective capability sets (capabilities(7), no SECBIT_KEEP_CAPS).
    if (::setgroups(0, nullptr) != 0 || ::setresgid(kAgent, kAgent, kAgent) != 0 ||
        ::setresuid(kAgent, kAgent, kAgent) != 0) {
      ::_exit(3);
    }
    r.uid = ::getuid();
    struct __user_cap_header_struct header {
      _LINUX_CAPABILITY_VERSION_3, 0
    };
    struct __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &header, data) == 0) {
      r.effective_caps = data[0].effective | (uint64_t{data[1].effective} << 32);
    }
    std::array<char, 64> link{};
    r.namespace_link_readable =
        ::readlink((host_.proc + "/1/ns/net").c_str(), link.data(), link.size()) > 0;
    auto read = [&](const std::string& rel, bool& ok, bool& net) -> std::optional<NetReading> {
      auto opened = CgroupReader::Open(host_, layout_, rel);
      if (!opened) return std::nullopt;
      auto reading = (*opened)->Read(Now());
      ok = reading.has_value();
      net = ok && reading->net.has_value();
      return ok ? reading->net : std::nullopt;
    };
    if (auto n = read(own_rel, r.own_ok, r.own_net)) r.own_out_segs = n->tcp_out_segs;
    read(host_rel, r.host_ok, r.host_net);
    (void)!::write(out[1], &r, sizeof r);
    ::_exit(0);
  }
  ::close(out[1]);
  UnprivilegedNetRead r;
  ASSERT_TRUE(testing::WaitReadable(out[0], 20s));
  const ssize_t n = ::read(out[0], &r, sizeof r);
  ::close(out[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(reader, &status, 0), reader);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "reader child status " << status;
  ASSERT_EQ(n, static_cast<ssize_t>(sizeof r));
  EXPECT_EQ(r.uid, 65532u);
  EXPECT_EQ(r.effective_caps, 0u);
  EXPECT_FALSE(r.namespace_link_readable) << "this kernel lets uid 65532 follow PID 1's ns/net";
  ASSERT_TRUE(r.own_ok && r.host_ok);
  EXPECT_TRUE(r.own_net) << "a namespace of its own is read without privileges";
  EXPECT_EQ(r.own_out_segs, 0u);  // its own fresh namespace's, not the node's
  EXPECT_FALSE(r.host_net) << "the node's TCP counters were attributed to the container";
}

// The incident groundtruth exists for, in small: anonymous memory plus a file re-read in a
// loop, together larger than the limit. The kernel keeps evicting and re-reading the file:
// limit hits and file refaults rise, memory PSI accrues stall, no OOM kill. (Reads with
// pread, not mmap, so the re-reads are refaults but not major faults.)
TEST_F(RealCgroupTest, ThrashingSignals) {
  ASSERT_TRUE(sandbox_->Make("thrash"));
  ASSERT_TRUE(sandbox_->SetMemoryLimit("thrash", 32 * kMiB)) << sandbox_->error();
  // On a disk file system (not tmpfs, whose pages cannot be dropped without swap).
  std::string data = std::filesystem::current_path().string() + "/gt-thrash-" +
                     std::to_string(::getpid()) + ".dat";
  pid_t pid = SpawnReady("thrash", [data](int ready) {
    size_t anon = 20 * kMiB;
    auto* p = static_cast<char*>(
        ::mmap(nullptr, anon, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (p == MAP_FAILED) ::_exit(2);
    std::memset(p, 1, anon);
    // Written from inside the cgroup so its page cache is charged here.
    int fd = ::open(data.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) ::_exit(3);
    ::unlink(data.c_str());
    std::vector<char> block(1 << 20, 7);
    for (int i = 0; i < 24; ++i) (void)!::write(fd, block.data(), block.size());
    ::fsync(fd);
    SayReady(ready);
    for (;;) {
      for (off_t off = 0; off < off_t{24} << 20; off += block.size()) {
        (void)!::pread(fd, block.data(), block.size(), off);
      }
    }
  });
  ASSERT_GT(pid, 0);
  auto reader = OpenReader("thrash");
  ASSERT_TRUE(reader);
  auto first = reader->Read(Now());
  ASSERT_TRUE(first) << first.error().ToString();
  Result<CgroupReading> later = first;
  for (int i = 0; i < 150; ++i) {  // bounded wait for the kernel to show it
    std::this_thread::sleep_for(100ms);
    later = reader->Read(Now());
    ASSERT_TRUE(later) << later.error().ToString();
    if (later->memory.workingset_refault_file > first->memory.workingset_refault_file + 1000 &&
        later->memory.events_max > first->memory.events_max) {
      break;
    }
  }
  EXPECT_GT(later->memory.workingset_refault_file, first->memory.workingset_refault_file + 1000);
  EXPECT_GT(later->memory.events_max, first->memory.events_max);  // limit hits (v1 failcnt)
  EXPECT_EQ(later->memory.events_oom_kill, 0u);
  EXPECT_LE(later->memory.usage_bytes, 32 * kMiB);
  if (layout_ != CgroupLayout::kV1) {
    ASSERT_TRUE(later->memory.pressure.has_value());
    EXPECT_GT(later->memory.pressure->some.total_us, first->memory.pressure->some.total_us);
  }
}

TEST_F(RealCgroupTest, ThrottlingCountersRiseUnderAQuota) {
  ASSERT_TRUE(sandbox_->Make("cpu"));
  ASSERT_TRUE(sandbox_->SetCpuQuota("cpu", 10000, 100000)) << sandbox_->error();  // 0.1 CPU
  pid_t pid = SpawnReady("cpu", [](int ready) {
    SayReady(ready);
    volatile uint64_t x = 0;
    for (;;) x = x + 1;
  });
  ASSERT_GT(pid, 0);
  auto reader = OpenReader("cpu");
  ASSERT_TRUE(reader);
  auto first = reader->Read(Now());
  ASSERT_TRUE(first) << first.error().ToString();
  EXPECT_EQ(first->cpu.quota_us, 10000u);
  EXPECT_EQ(first->cpu.period_us, 100000u);
  // Wait until the kernel has throttled it in a few more periods (bounded, not timed).
  Result<CgroupReading> later = first;
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(50ms);
    later = reader->Read(Now());
    ASSERT_TRUE(later) << later.error().ToString();
    // Counters move at different moments (throttled time accrues at unthrottle): wait for all.
    if (later->cpu.nr_throttled >= first->cpu.nr_throttled + 3 &&
        later->cpu.throttled_us > first->cpu.throttled_us &&
        later->cpu.nr_periods > first->cpu.nr_periods &&
        later->cpu.usage_us > first->cpu.usage_us) {
      break;
    }
  }
  EXPECT_GE(later->cpu.nr_throttled, first->cpu.nr_throttled + 3);
  EXPECT_GT(later->cpu.throttled_us, first->cpu.throttled_us);
  EXPECT_GT(later->cpu.nr_periods, first->cpu.nr_periods);
  EXPECT_GT(later->cpu.usage_us, first->cpu.usage_us);
}

TEST_F(RealCgroupTest, ForksRefusedAtPidsMax) {
  ASSERT_TRUE(sandbox_->Make("pids"));
  ASSERT_TRUE(sandbox_->SetPidsMax("pids", 3)) << sandbox_->error();
  pid_t pid = SpawnReady("pids", [](int ready) {
    for (int i = 0; i < 10; ++i) {
      pid_t child = ::fork();
      if (child == 0) {
        for (;;) ::pause();
      }
      if (child < 0) break;  // EAGAIN: pids.max reached
    }
    SayReady(ready);
    for (;;) ::pause();
  });
  ASSERT_GT(pid, 0);
  auto reader = OpenReader("pids");
  ASSERT_TRUE(reader);
  auto r = reader->Read(Now());
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->pids.limit, 3u);
  EXPECT_EQ(r->pids.current, 3u);
  EXPECT_GE(r->pids.events_max, 1u);
  EXPECT_EQ(r->process_count, 3u);
}

TEST_F(RealCgroupTest, ThreadInStateD) {
  ASSERT_TRUE(sandbox_->Make("blocked"));
  int tid_pipe[2];
  ASSERT_EQ(::pipe(tid_pipe), 0);
  // A thread that calls vfork() waits in TASK_KILLABLE (shown as D) until its child execs
  // or exits; the child just sleeps.
  pid_t pid = SpawnReady("blocked", [&](int ready) {
    std::thread worker([&] {
      pid_t tid = static_cast<pid_t>(::syscall(SYS_gettid));
      (void)!::write(tid_pipe[1], &tid, sizeof(tid));
      SayReady(ready);
      if (::vfork() == 0) {
        for (;;) ::pause();
      }
    });
    for (;;) ::pause();
  });
  ASSERT_GT(pid, 0);
  pid_t blocked_tid = 0;
  ASSERT_EQ(::read(tid_pipe[0], &blocked_tid, sizeof(blocked_tid)), (ssize_t)sizeof(blocked_tid));
  ::close(tid_pipe[0]);
  ::close(tid_pipe[1]);
  ASSERT_NE(blocked_tid, pid);
  auto reader = OpenReader("blocked");
  ASSERT_TRUE(reader);
  Result<CgroupReading> r = reader->Read(Now());
  // Until the vfork happened and was seen whole: cgroup.procs is read before the task
  // states, so one pass can catch the thread entering D before its child was listed.
  for (int i = 0; i < 100 && r && (r->blocked.empty() || r->process_count < 2); ++i) {
    std::this_thread::sleep_for(20ms);
    r = reader->Read(Now());
  }
  ASSERT_TRUE(r) << r.error().ToString();
  ASSERT_EQ(r->blocked.size(), 1u);
  EXPECT_EQ(r->blocked[0].pid, pid);
  EXPECT_EQ(r->blocked[0].tid, blocked_tid);
  EXPECT_GT(r->blocked[0].start_time_ticks, 0u);
  EXPECT_EQ(r->process_count, 2u);  // the process and its vfork child
}

// A reader opened on an empty cgroup (a container about to start) must see processes that
// join later: cgroup v1 caches cgroup.procs per open file, so a kept descriptor would not.
TEST_F(RealCgroupTest, SeesProcessesThatJoinAfterOpen) {
  ASSERT_TRUE(sandbox_->Make("later"));
  auto reader = OpenReader("later");
  ASSERT_TRUE(reader);
  auto empty = reader->Read(Now());
  ASSERT_TRUE(empty) << empty.error().ToString();
  EXPECT_EQ(empty->process_count, 0u);
  pid_t pid = SpawnReady("later", [](int ready) {
    SayReady(ready);
    for (;;) ::pause();
  });
  ASSERT_GT(pid, 0);
  auto joined = reader->Read(Now());
  ASSERT_TRUE(joined) << joined.error().ToString();
  EXPECT_EQ(joined->process_count, 1u);
}

TEST_F(RealCgroupTest, GoneAfterRmdir) {
  ASSERT_TRUE(sandbox_->Make("short"));
  pid_t pid = SpawnReady("short", [](int ready) {
    SayReady(ready);
    for (;;) ::pause();
  });
  ASSERT_GT(pid, 0);
  auto reader = OpenReader("short");
  ASSERT_TRUE(reader);
  ASSERT_TRUE(reader->Read(Now()));
  ASSERT_TRUE(sandbox_->Remove("short"));
  auto r = reader->Read(Now());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kGone) << r.error().ToString();
  // Re-created under the same name (pods churn): the same reader finds the new one.
  ASSERT_TRUE(sandbox_->Make("short"));
  ASSERT_TRUE(sandbox_->SetMemoryLimit("short", 48 * kMiB));
  auto again = reader->Read(Now());
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_EQ(again->memory.limit_bytes, 48 * kMiB);
}

// Writing 0 to cgroup.pressure hides a cgroup's PSI files: open descriptors then fail with
// ENODEV, like a removed cgroup. The reader must re-open, find the files absent and go on.
TEST_F(RealCgroupTest, PsiSwitchedOffIsNotGone) {
  if (layout_ == CgroupLayout::kV1) GTEST_SKIP() << "no unified tree on this host";
  ASSERT_TRUE(sandbox_->Make("psi"));
  auto reader = OpenReader("psi");
  ASSERT_TRUE(reader);
  auto on = reader->Read(Now());
  ASSERT_TRUE(on) << on.error().ToString();
  ASSERT_TRUE(on->memory.pressure.has_value());
  std::string unified =
      layout_ == CgroupLayout::kV2 ? sandbox_->Dirs("psi").front() : sandbox_->Dirs("psi").back();
  if (!CgroupSandbox::WriteFile(unified + "/cgroup.pressure", "0")) {
    GTEST_SKIP() << "kernel without per-cgroup PSI switch (cgroup.pressure, Linux 6.1+)";
  }
  auto off = reader->Read(Now());
  ASSERT_TRUE(off) << off.error().ToString();
  EXPECT_FALSE(off->memory.pressure.has_value());
  EXPECT_FALSE(off->cpu.pressure.has_value());
  EXPECT_FALSE(off->io.pressure.has_value());
}

TEST_F(RealCgroupTest, DiscoversKubeletCgroupfsLayout) {
  std::string uid = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
  std::string id(64, 'e');
  ASSERT_TRUE(sandbox_->Make("burstable/pod" + uid + "/" + id));
  auto pods = DiscoverPodsUnder(host_, layout_, sandbox_->root());
  ASSERT_TRUE(pods) << pods.error().ToString();
  ASSERT_EQ(pods->size(), 1u);
  EXPECT_EQ((*pods)[0].pod_uid, uid);
  EXPECT_EQ((*pods)[0].qos, "burstable");
  ASSERT_EQ((*pods)[0].containers.size(), 1u);
  EXPECT_EQ((*pods)[0].containers[0].container_id, id);
  auto reader = CgroupReader::Open(host_, layout_, (*pods)[0].containers[0].relative_path);
  ASSERT_TRUE(reader) << reader.error().ToString();
  EXPECT_TRUE((*reader)->Read(Now()));
}

TEST_F(RealCgroupTest, CgroupPathOfAProcess) {
  ASSERT_TRUE(sandbox_->Make("where"));
  pid_t pid = SpawnReady("where", [](int ready) {
    SayReady(ready);
    for (;;) ::pause();
  });
  ASSERT_GT(pid, 0);
  auto path = CgroupPathOfProcess(host_, layout_, pid);
  ASSERT_TRUE(path) << path.error().ToString();
  EXPECT_EQ(*path, sandbox_->Rel("where"));
  sandbox_->Kill(pid);
  auto gone = CgroupPathOfProcess(host_, layout_, pid);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::kGone);
}

TEST_F(RealCgroupTest, NodeReading) {
  auto reader = NodeReader::Open(host_);
  ASSERT_TRUE(reader) << reader.error().ToString();
  auto n = (*reader)->Read(Now());
  ASSERT_TRUE(n) << n.error().ToString();
  EXPECT_GT(n->mem_total_bytes, 0u);
  EXPECT_GT(n->commit_limit_bytes, 0u);
  EXPECT_LE(n->mem_available_bytes, n->mem_total_bytes);
}

}  // namespace
}  // namespace gt::collectors
