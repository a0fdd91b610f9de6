// The readers and discovery over committed fixture hosts, one per layout / driver / runtime
// (tests/fixtures/README.md), and edge cases over temp trees.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "collectors/cgroup_reader.h"
#include "collectors/discovery.h"
#include "collectors/node_reader.h"
#include "tests/collectors/temp_tree.h"

namespace gt::collectors {
namespace {

using std::chrono::seconds;

constexpr char kUidGuaranteed[] = "0b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b";
constexpr char kUidBurstable[] = "1a2b3c4d-5e6f-4071-8293-a4b5c6d7e8f9";
constexpr char kUidBestEffort[] = "2f3e4d5c-6b7a-4988-9706-a5b4c3d2e1f0";

std::string Cid(char c) {
  return std::string(8, c) + "0123456789abcdef0123456789abcdef0123456789abcdef01234567";
}

struct HostCase {
  std::string name;
  CgroupLayout layout;
  std::string runtime;  // what discovery can tell from names
};

void PrintTo(const HostCase& c, std::ostream* os) { *os << c.name; }

HostPaths FixtureHost(const std::string& name) {
  std::string root = std::string(GT_FIXTURES_DIR) + "/" + name;
  return HostPaths{root + "/proc", root + "/cgroup"};
}

class FixtureHostTest : public ::testing::TestWithParam<HostCase> {
 protected:
  HostPaths paths() const { return FixtureHost(GetParam().name); }
  bool v2() const { return GetParam().layout == CgroupLayout::kV2; }

  // The Burstable pod's first container (holds process 4242).
  std::string BurstableContainer() const {
    auto pods = DiscoverPods(paths(), GetParam().layout);
    EXPECT_TRUE(pods) << pods.error().ToString();
    if (!pods) return {};
    for (const auto& pod : *pods) {
      if (pod.pod_uid == kUidBurstable && !pod.containers.empty()) {
        return pod.containers.front().relative_path;
      }
    }
    ADD_FAILURE() << "burstable pod not found";
    return {};
  }
};

TEST_P(FixtureHostTest, DetectsLayout) {
  auto layout = DetectLayout(paths());
  ASSERT_TRUE(layout) << layout.error().ToString();
  EXPECT_EQ(*layout, GetParam().layout);
}

TEST_P(FixtureHostTest, DiscoversPodsOfEveryQosClass) {
  auto pods = DiscoverPods(paths(), GetParam().layout);
  ASSERT_TRUE(pods) << pods.error().ToString();
  ASSERT_EQ(pods->size(), 3u);
  const auto& g = (*pods)[0];
  const auto& b = (*pods)[1];
  const auto& e = (*pods)[2];
  EXPECT_EQ(g.pod_uid, kUidGuaranteed);
  EXPECT_EQ(g.qos, "guaranteed");
  EXPECT_EQ(b.pod_uid, kUidBurstable);
  EXPECT_EQ(b.qos, "burstable");
  EXPECT_EQ(e.pod_uid, kUidBestEffort);
  EXPECT_EQ(e.qos, "besteffort");
  ASSERT_EQ(g.containers.size(), 1u);
  ASSERT_EQ(b.containers.size(), 2u);  // CRI-O's conmon scope is not a container
  ASSERT_EQ(e.containers.size(), 1u);
  EXPECT_EQ(g.containers[0].container_id, Cid('a'));
  EXPECT_EQ(b.containers[0].container_id, Cid('b'));
  EXPECT_EQ(b.containers[1].container_id, Cid('c'));
  EXPECT_EQ(e.containers[0].container_id, Cid('d'));
  for (const auto& pod : *pods) {
    for (const auto& c : pod.containers) {
      EXPECT_EQ(c.runtime, GetParam().runtime) << c.relative_path;
      EXPECT_TRUE(c.relative_path.starts_with(pod.relative_path + "/")) << c.relative_path;
      // The path discovery returns is the one the reader opens.
      auto reader = CgroupReader::Open(paths(), GetParam().layout, c.relative_path);
      EXPECT_TRUE(reader) << reader.error().ToString();
    }
  }
}

TEST_P(FixtureHostTest, ReadsContainerCgroup) {
  std::string rel = BurstableContainer();
  auto reader = CgroupReader::Open(paths(), GetParam().layout, rel);
  ASSERT_TRUE(reader) << reader.error().ToString();
  EXPECT_EQ((*reader)->relative_path(), rel);
  auto r = (*reader)->Read(seconds(5));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->time, seconds(5));
  const MemoryReading& m = r->memory;
  EXPECT_EQ(m.usage_bytes, 104857600u);
  ASSERT_TRUE(m.limit_bytes.has_value());
  EXPECT_EQ(*m.limit_bytes, 209715200u);
  EXPECT_EQ(m.anon_bytes, 52428800u);
  EXPECT_EQ(m.file_bytes, 41943040u);
  if (v2()) {
    EXPECT_FALSE(m.high_bytes.has_value());  // "max"
    EXPECT_EQ(m.peak_bytes, 104857600u + 4096);
    EXPECT_EQ(m.inactive_file_bytes, 20971520u);
    EXPECT_EQ(m.working_set_bytes(), 104857600u - 20971520u);
    EXPECT_EQ(m.pgfault, 123456u);
    EXPECT_EQ(m.pgmajfault, 789u);
    EXPECT_EQ(m.workingset_refault_file, 31337u);
    EXPECT_EQ(m.workingset_refault_anon, 5u);
    EXPECT_EQ(m.events_max, 17u);
    EXPECT_EQ(m.events_oom, 2u);
    EXPECT_EQ(m.events_oom_kill, 1u);
    EXPECT_EQ(m.swap_usage_bytes, 0u);
    EXPECT_FALSE(m.swap_limit_bytes.has_value());
    EXPECT_EQ(r->cpu.usage_us, 5000000u);
    EXPECT_EQ(r->cpu.user_us, 3000000u);
    EXPECT_EQ(r->cpu.system_us, 2000000u);
    EXPECT_EQ(r->cpu.nr_periods, 1000u);
    EXPECT_EQ(r->cpu.nr_throttled, 400u);
    EXPECT_EQ(r->cpu.throttled_us, 2500000u);
    EXPECT_EQ(r->io.read_bytes, 1048577u);
    EXPECT_EQ(r->io.write_bytes, 2097154u);
    EXPECT_EQ(r->io.read_ios, 19u);
    EXPECT_EQ(r->io.write_ios, 36u);
    EXPECT_EQ(r->pids.current, 3u);
    EXPECT_EQ(r->pids.limit, 1024u);
    EXPECT_EQ(r->pids.events_max, 2u);
  } else {
    EXPECT_FALSE(m.high_bytes.has_value());  // v2 only
    EXPECT_EQ(m.peak_bytes, 104857600u + 8192);
    EXPECT_EQ(m.inactive_file_bytes, 10485760u);
    EXPECT_EQ(m.active_file_bytes, 31457280u);
    EXPECT_EQ(m.pgfault, 654321u);
    EXPECT_EQ(m.pgmajfault, 321u);
    EXPECT_EQ(m.workingset_refault_file, 4242u);
    EXPECT_EQ(m.workingset_refault_anon, 7u);
    EXPECT_EQ(m.events_max, 23u);  // failcnt
    EXPECT_EQ(m.events_oom_kill, 1u);
    EXPECT_EQ(m.swap_usage_bytes, 0u);  // total_swap
    EXPECT_EQ(r->cpu.usage_us, 7000000u);
    EXPECT_EQ(r->cpu.user_us, 4000000u);  // 400 ticks of USER_HZ 100
    EXPECT_EQ(r->cpu.system_us, 3000000u);
    EXPECT_EQ(r->cpu.nr_periods, 2000u);
    EXPECT_EQ(r->cpu.nr_throttled, 500u);
    EXPECT_EQ(r->cpu.throttled_us, 3000000u);
    EXPECT_EQ(r->io.read_bytes, 4096u);
    EXPECT_EQ(r->io.write_bytes, 8192u);
    EXPECT_EQ(r->io.read_ios, 1u);
    EXPECT_EQ(r->io.write_ios, 2u);
    EXPECT_EQ(r->pids.current, 5u);
    EXPECT_FALSE(r->pids.limit.has_value());
  }
  EXPECT_EQ(r->cpu.quota_us, 50000u);
  EXPECT_EQ(r->cpu.period_us, 100000u);

  bool psi = GetParam().layout != CgroupLayout::kV1;
  ASSERT_EQ(m.pressure.has_value(), psi);
  ASSERT_EQ(r->cpu.pressure.has_value(), psi);
  ASSERT_EQ(r->io.pressure.has_value(), psi);
  if (psi) {
    EXPECT_DOUBLE_EQ(m.pressure->some.avg10, 34.5);
    ASSERT_TRUE(m.pressure->full.has_value());
    EXPECT_DOUBLE_EQ(m.pressure->full->avg10, 20.25);
    EXPECT_EQ(m.pressure->some.total_us, 987654u);
    EXPECT_DOUBLE_EQ(r->cpu.pressure->some.avg10, 12.0);
    EXPECT_DOUBLE_EQ(r->io.pressure->full->avg10, 0.5);
  }

  EXPECT_EQ(r->process_count, 1u);
  ASSERT_EQ(r->blocked.size(), 1u);
  EXPECT_EQ(r->blocked[0].pid, 4242);
  EXPECT_EQ(r->blocked[0].tid, 4243);
  EXPECT_EQ(r->blocked[0].comm, "worker (x)");
  EXPECT_EQ(r->blocked[0].start_time_ticks, 5001u);
  ASSERT_TRUE(r->net.has_value());
  EXPECT_EQ(r->net->tcp_out_segs, 4800u);
  EXPECT_EQ(r->net->tcp_retrans_segs, 12u);
  EXPECT_EQ(r->net->rx_bytes, 5678u);
  EXPECT_EQ(r->net->tx_bytes, 910u);
  EXPECT_EQ(r->net->rx_dropped, 3u);
  EXPECT_EQ(r->net->tx_dropped, 1u);

  // A second pass over the same descriptors gives the same figures.
  auto again = (*reader)->Read(seconds(6));
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_EQ(again->memory.usage_bytes, m.usage_bytes);
  EXPECT_EQ(again->blocked.size(), 1u);
}

TEST_P(FixtureHostTest, BestEffortHasNoLimits) {
  auto pods = DiscoverPods(paths(), GetParam().layout);
  ASSERT_TRUE(pods);
  const auto& rel = pods->back().containers.at(0).relative_path;
  auto reader = CgroupReader::Open(paths(), GetParam().layout, rel);
  ASSERT_TRUE(reader) << reader.error().ToString();
  auto r = (*reader)->Read(seconds(1));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_FALSE(r->memory.limit_bytes.has_value());
  EXPECT_FALSE(r->cpu.quota_us.has_value());
  EXPECT_EQ(r->process_count, 0u);
  EXPECT_TRUE(r->blocked.empty());
  EXPECT_FALSE(r->net.has_value());  // no process to enter the namespace through
}

// A process in PID 1's network namespace (hostNetwork) would report the node's TCP counters:
// they are left out. The committed fixture's process has a namespace of its own (read above).
TEST_P(FixtureHostTest, HostNetworkNamespaceIsNotRead) {
  testing::TempTree tree;
  tree.CopyFrom(std::string(GT_FIXTURES_DIR) + "/" + GetParam().name);
  const HostPaths host{tree.root() + "/proc", tree.root() + "/cgroup"};
  std::filesystem::remove(tree.Path("proc/4242/ns/net"));
  std::filesystem::create_symlink("net:[4026531840]", tree.Path("proc/4242/ns/net"));
  const std::string rel = BurstableContainer();  // the same relative path in the copy
  auto reader = CgroupReader::Open(host, GetParam().layout, rel);
  ASSERT_TRUE(reader) << reader.error().ToString();
  auto r = (*reader)->Read(seconds(1));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->process_count, 1u);
  EXPECT_FALSE(r->net.has_value());
}

// Without ptrace access (a non-root agent), ns/net cannot be followed: the namespace is told
// by the inode of net/snmp, which every process of one namespace shares. Here the process's
// net/snmp is PID 1's file (a hard link, as the kernel's per-namespace entry would be).
TEST_P(FixtureHostTest, HostNamespaceToldByNetSnmpInodeWhenTheLinkIsUnreadable) {
  testing::TempTree tree;
  tree.CopyFrom(std::string(GT_FIXTURES_DIR) + "/" + GetParam().name);
  const HostPaths host{tree.root() + "/proc", tree.root() + "/cgroup"};
  std::filesystem::remove(tree.Path("proc/4242/ns/net"));
  std::filesystem::create_directories(tree.Path("proc/1/net"));
  std::filesystem::create_hard_link(tree.Path("proc/4242/net/snmp"), tree.Path("proc/1/net/snmp"));
  auto reader = CgroupReader::Open(host, GetParam().layout, BurstableContainer());
  ASSERT_TRUE(reader) << reader.error().ToString();
  auto r = (*reader)->Read(seconds(1));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_FALSE(r->net.has_value());

  // A copy is another file: another namespace, whose counters are the container's.
  std::filesystem::remove(tree.Path("proc/1/net/snmp"));
  std::filesystem::copy_file(tree.Path("proc/4242/net/snmp"), tree.Path("proc/1/net/snmp"));
  auto again = (*reader)->Read(seconds(2));
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_TRUE(again->net.has_value());
}

// Neither identity can be compared with the host's (no ns/net link, no PID 1 or 2 net/snmp):
// the reading is left out rather than risk attributing the node's counters.
TEST_P(FixtureHostTest, NamespaceThatCannotBePlacedIsNotRead) {
  testing::TempTree tree;
  tree.CopyFrom(std::string(GT_FIXTURES_DIR) + "/" + GetParam().name);
  const HostPaths host{tree.root() + "/proc", tree.root() + "/cgroup"};
  std::filesystem::remove(tree.Path("proc/4242/ns/net"));
  auto reader = CgroupReader::Open(host, GetParam().layout, BurstableContainer());
  ASSERT_TRUE(reader) << reader.error().ToString();
  auto r = (*reader)->Read(seconds(1));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->process_count, 1u);
  EXPECT_FALSE(r->net.has_value());
}

// `ip netns exec` and runtime shims start in the host's namespace and enter the pod's before
// exec, under the same pid: a sample taken before the switch must not decide for good.
TEST_P(FixtureHostTest, ProcessThatLeavesTheHostNamespaceIsReadAfterwards) {
  testing::TempTree tree;
  tree.CopyFrom(std::string(GT_FIXTURES_DIR) + "/" + GetParam().name);
  const HostPaths host{tree.root() + "/proc", tree.root() + "/cgroup"};
  const std::string link = tree.Path("proc/4242/ns/net");
  const std::filesystem::path own_namespace = std::filesystem::read_symlink(link);
  std::filesystem::remove(link);
  std::filesystem::create_symlink(std::filesystem::read_symlink(tree.Path("proc/1/ns/net")), link);
  auto reader = CgroupReader::Open(host, GetParam().layout, BurstableContainer());
  ASSERT_TRUE(reader) << reader.error().ToString();
  auto before = (*reader)->Read(seconds(1));
  ASSERT_TRUE(before) << before.error().ToString();
  EXPECT_FALSE(before->net.has_value());

  std::filesystem::remove(link);
  std::filesystem::create_symlink(own_namespace, link);
  auto after = (*reader)->Read(seconds(2));
  ASSERT_TRUE(after) << after.error().ToString();
  EXPECT_TRUE(after->net.has_value());
}

// cgroup v2 memory.events is hierarchical, memory.events.local is not: a kill in a container
// shows in its pod's memory.events too, and must be counted once, at the container.
TEST(OomKill, CountedAtContainerNotPod) {
  for (const char* host : {"v2-systemd-containerd", "v2-cgroupfs-containerd"}) {
    SCOPED_TRACE(host);
    HostPaths paths = FixtureHost(host);
    auto pods = DiscoverPods(paths, CgroupLayout::kV2);
    ASSERT_TRUE(pods);
    const DiscoveredPod& pod = (*pods)[1];
    auto pod_reader = CgroupReader::Open(paths, CgroupLayout::kV2, pod.relative_path);
    ASSERT_TRUE(pod_reader);
    auto at_pod = (*pod_reader)->Read(seconds(1));
    ASSERT_TRUE(at_pod) << at_pod.error().ToString();
    EXPECT_EQ(at_pod->memory.events_oom_kill, 0u);
    auto container_reader =
        CgroupReader::Open(paths, CgroupLayout::kV2, pod.containers.at(0).relative_path);
    ASSERT_TRUE(container_reader);
    auto at_container = (*container_reader)->Read(seconds(1));
    ASSERT_TRUE(at_container);
    EXPECT_EQ(at_container->memory.events_oom_kill, 1u);
  }
}

TEST_P(FixtureHostTest, ReadsNode) {
  auto reader = NodeReader::Open(paths());
  ASSERT_TRUE(reader) << reader.error().ToString();
  auto n = (*reader)->Read(seconds(9));
  ASSERT_TRUE(n) << n.error().ToString();
  EXPECT_EQ(n->time, seconds(9));
  EXPECT_EQ(n->mem_total_bytes, 24683444ull * 1024);
  EXPECT_EQ(n->mem_available_bytes, 22000000ull * 1024);
  EXPECT_EQ(n->committed_as_bytes, 13000000ull * 1024);
  EXPECT_EQ(n->commit_limit_bytes, 12341720ull * 1024);
  EXPECT_EQ(n->pgmajfault, 2156u);
  EXPECT_EQ(n->workingset_refault_file, 36340145u);
  EXPECT_EQ(n->pswpin, 3u);
  EXPECT_EQ(n->pswpout, 4u);
  EXPECT_DOUBLE_EQ(n->load1, 1.5);
  EXPECT_DOUBLE_EQ(n->load15, 0.25);
  EXPECT_EQ(n->procs_running, 3u);
  ASSERT_TRUE(n->memory_pressure.has_value());
  EXPECT_DOUBLE_EQ(n->memory_pressure->some.avg10, 2.0);
  ASSERT_TRUE(n->cpu_pressure.has_value());
  EXPECT_FALSE(n->cpu_pressure->full.has_value());
  ASSERT_TRUE(n->io_pressure.has_value());
}

INSTANTIATE_TEST_SUITE_P(
    Hosts, FixtureHostTest,
    ::testing::Values(HostCase{"v2-systemd-containerd", CgroupLayout::kV2, "containerd"},
                      HostCase{"v2-cgroupfs-containerd", CgroupLayout::kV2, ""},
                      HostCase{"v1-cgroupfs-docker", CgroupLayout::kV1, ""},
                      HostCase{"v1-systemd-crio", CgroupLayout::kV1, "cri-o"},
                      HostCase{"hybrid-cgroupfs-containerd", CgroupLayout::kHybrid, ""}),
    [](const auto& info) {
      std::string name = info.param.name;
      for (char& c : name) {
        if (c == '-') c = '_';
      }
      return name;
    });

// Edge cases over a writable copy of the v2 host.
class EdgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tree_.CopyFrom(std::string(GT_FIXTURES_DIR) + "/v2-cgroupfs-containerd");
    paths_ = HostPaths{tree_.Path("proc"), tree_.Path("cgroup")};
  }
  std::string Container() const {
    return "kubepods/burstable/pod" + std::string(kUidBurstable) + "/" + Cid('b');
  }
  std::string File(const std::string& name) const { return "cgroup/" + Container() + "/" + name; }
  std::unique_ptr<CgroupReader> OpenReader() {
    auto reader = CgroupReader::Open(paths_, CgroupLayout::kV2, Container());
    EXPECT_TRUE(reader) << reader.error().ToString();
    return reader ? std::move(*reader) : nullptr;
  }

  testing::TempTree tree_;
  HostPaths paths_;
};

TEST_F(EdgeTest, MaxLimitsAreEmpty) {
  tree_.File(File("memory.max"), "max\n");
  tree_.File(File("pids.max"), "max\n");
  tree_.File(File("cpu.max"), "max 100000\n");
  auto r = OpenReader()->Read(seconds(1));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_FALSE(r->memory.limit_bytes.has_value());
  EXPECT_FALSE(r->pids.limit.has_value());
  EXPECT_FALSE(r->cpu.quota_us.has_value());
}

TEST_F(EdgeTest, EmptyFileIsMalformedAndNamesIt) {
  auto reader = OpenReader();
  tree_.File(File("memory.current"), "");
  auto r = reader->Read(seconds(1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kMalformed);
  EXPECT_EQ(r.error().path, tree_.Path(File("memory.current")));
  EXPECT_EQ(r.error().line, 1);
}

TEST_F(EdgeTest, GarbageLineIsMalformedWithLine) {
  auto reader = OpenReader();
  tree_.File(File("memory.stat"), "anon 1\nfile 2\npgmajfault twelve\n");
  auto r = reader->Read(seconds(1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kMalformed);
  EXPECT_EQ(r.error().path, tree_.Path(File("memory.stat")));
  EXPECT_EQ(r.error().line, 3);
  EXPECT_NE(r.error().ToString().find("memory.stat:3: "), std::string::npos)
      << r.error().ToString();
}

TEST_F(EdgeTest, CounterResetIsReportedRaw) {
  auto reader = OpenReader();
  auto before = reader->Read(seconds(1));
  ASSERT_TRUE(before);
  EXPECT_EQ(before->cpu.usage_us, 5000000u);
  // Container restarted under the same cgroup name: counters start again. The reader reports
  // what the kernel says; rates and resets are the consumer's business.
  tree_.File(File("cpu.stat"),
             "usage_usec 10\nuser_usec 5\nsystem_usec 5\nnr_periods 1\n"
             "nr_throttled 0\nthrottled_usec 0\n");
  auto after = reader->Read(seconds(2));
  ASSERT_TRUE(after) << after.error().ToString();
  EXPECT_EQ(after->cpu.usage_us, 10u);
  EXPECT_EQ(after->cpu.nr_throttled, 0u);
}

TEST_F(EdgeTest, FilesAnOlderKernelLacksLeaveFieldsEmpty) {
  for (const char* name :
       {"memory.peak", "memory.events.local", "memory.pressure", "cpu.pressure", "io.pressure",
        "memory.swap.current", "memory.swap.max", "io.stat", "pids.max"}) {
    tree_.Remove(File(name));
  }
  auto r = OpenReader()->Read(seconds(1));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_FALSE(r->memory.peak_bytes.has_value());
  EXPECT_FALSE(r->memory.pressure.has_value());
  EXPECT_FALSE(r->cpu.pressure.has_value());
  EXPECT_FALSE(r->io.pressure.has_value());
  EXPECT_FALSE(r->memory.swap_usage_bytes.has_value());
  EXPECT_EQ(r->memory.events_oom_kill, 1u);  // falls back to memory.events
  EXPECT_EQ(r->memory.usage_bytes, 104857600u);
}

TEST_F(EdgeTest, VanishedCgroup) {
  tree_.Remove("cgroup/" + Container());
  auto reader = CgroupReader::Open(paths_, CgroupLayout::kV2, Container());
  ASSERT_FALSE(reader);
  EXPECT_EQ(reader.error().code, ErrorCode::kNotFound);
}

TEST_F(EdgeTest, VanishedProcessIsNotAnError) {
  auto reader = OpenReader();
  tree_.Remove("proc/4242");
  auto r = reader->Read(seconds(1));
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->process_count, 1u);  // still listed by cgroup.procs at read time
  EXPECT_TRUE(r->blocked.empty());
  EXPECT_FALSE(r->net.has_value());
}

TEST_F(EdgeTest, ThreadLeavingStateD) {
  auto reader = OpenReader();
  auto first = reader->Read(seconds(1));
  ASSERT_TRUE(first);
  ASSERT_EQ(first->blocked.size(), 1u);
  tree_.File("proc/4242/task/4243/stat",
             "4243 (worker (x)) S 1 4242 4242 0 -1 0 0 0 0 0 0 0 0 0 20 0 2 0 5001 0 0\n");
  auto second = reader->Read(seconds(2));
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->blocked.empty());
}

TEST_F(EdgeTest, MalformedThreadStat) {
  auto reader = OpenReader();
  tree_.File("proc/4242/task/4243/stat", "4243 worker D\n");
  auto r = reader->Read(seconds(1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kMalformed);
  EXPECT_EQ(r.error().path, tree_.Path("proc/4242/task/4243/stat"));
}

TEST_F(EdgeTest, PathMayNotEscapeTheRoot) {
  auto reader = CgroupReader::Open(paths_, CgroupLayout::kV2, "kubepods/../../etc");
  ASSERT_FALSE(reader);
  EXPECT_EQ(reader.error().code, ErrorCode::kInvalid);
}

TEST_F(EdgeTest, SymlinkOutOfTheRootIsRefused) {
  std::filesystem::create_directory_symlink("/", tree_.Path("cgroup/kubepods/escape"));
  auto reader = CgroupReader::Open(paths_, CgroupLayout::kV2, "kubepods/escape/tmp");
  ASSERT_FALSE(reader);
}

TEST_F(EdgeTest, CleanRelativePath) {
  EXPECT_EQ(*CleanRelativePath("/kubepods//burstable/./x/"), "kubepods/burstable/x");
  EXPECT_EQ(*CleanRelativePath(""), "");
  EXPECT_FALSE(CleanRelativePath("a/../b"));
}

// kind and --cgroup-root put the kubelet's root deeper: "kubelet.slice/kubelet-kubepods.slice"
// (systemd driver) or "<root>/kubepods" (cgroupfs).
TEST(Discovery, NestedKubeletRoots) {
  testing::TempTree tree;
  tree.File("cgroup/cgroup.controllers", "memory\n");
  std::string id(64, '9');
  tree.File(
      "cgroup/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
      "kubelet-kubepods-besteffort-pod11_22.slice/cri-containerd-" +
          id + ".scope/cgroup.procs",
      "");
  tree.File("cgroup/custom/kubepods/pod33-44/" + id + "/cgroup.procs", "");
  tree.File("cgroup/system.slice/sshd.service/cgroup.procs", "");
  auto pods = DiscoverPods(HostPaths{tree.Path("proc"), tree.Path("cgroup")}, CgroupLayout::kV2);
  ASSERT_TRUE(pods) << pods.error().ToString();
  ASSERT_EQ(pods->size(), 2u);
  EXPECT_EQ((*pods)[0].pod_uid, "11-22");
  EXPECT_EQ((*pods)[0].qos, "besteffort");
  EXPECT_EQ((*pods)[0].containers.at(0).runtime, "containerd");
  EXPECT_EQ((*pods)[1].pod_uid, "33-44");
  EXPECT_EQ((*pods)[1].qos, "guaranteed");
  EXPECT_EQ((*pods)[1].containers.at(0).relative_path, "custom/kubepods/pod33-44/" + id);
}

TEST(Discovery, NoKubeletIsNoPods) {
  testing::TempTree tree;
  tree.File("cgroup/cgroup.controllers", "memory\n");
  tree.File("cgroup/system.slice/sshd.service/cgroup.procs", "");
  auto pods = DiscoverPods(HostPaths{tree.Path("proc"), tree.Path("cgroup")}, CgroupLayout::kV2);
  ASSERT_TRUE(pods) << pods.error().ToString();
  EXPECT_TRUE(pods->empty());
}

TEST(DiscoveryNames, PodUid) {
  EXPECT_EQ(*PodUidFromCgroupName("pod1a2b-3c"), "1a2b-3c");
  EXPECT_EQ(*PodUidFromCgroupName("kubepods-burstable-pod1a2b_3c.slice"), "1a2b-3c");
  EXPECT_EQ(*PodUidFromCgroupName("kubepods-pod0b1c_2d.slice"), "0b1c-2d");
  EXPECT_FALSE(PodUidFromCgroupName("kubepods-burstable.slice"));
  EXPECT_FALSE(PodUidFromCgroupName("burstable"));
  EXPECT_FALSE(PodUidFromCgroupName("pod"));
  EXPECT_FALSE(PodUidFromCgroupName("pod../x"));
}

TEST(DiscoveryNames, Container) {
  std::string id(64, 'f');
  EXPECT_EQ(ContainerFromCgroupName("cri-containerd-" + id + ".scope")->runtime, "containerd");
  EXPECT_EQ(ContainerFromCgroupName("crio-" + id + ".scope")->runtime, "cri-o");
  EXPECT_EQ(ContainerFromCgroupName("crio-" + id)->runtime, "cri-o");
  EXPECT_EQ(ContainerFromCgroupName("docker-" + id + ".scope")->runtime, "docker");
  EXPECT_EQ(ContainerFromCgroupName(id)->runtime, "");
  EXPECT_EQ(ContainerFromCgroupName(id)->container_id, id);
  EXPECT_FALSE(ContainerFromCgroupName("crio-conmon-" + id + ".scope"));
  EXPECT_FALSE(ContainerFromCgroupName("crio-conmon-" + id));
  EXPECT_FALSE(ContainerFromCgroupName("burstable"));
  EXPECT_FALSE(ContainerFromCgroupName("cri-containerd-xyz.scope"));
}

}  // namespace
}  // namespace gt::collectors
