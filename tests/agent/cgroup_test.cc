// Real cgroups (LABEL cgroup; needs root): a process in a container cgroup laid out as the
// kubelet's cgroupfs driver does, sampled by the agent and fetched over mutual TLS.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include "agent/certs.h"
#include "agent/log.h"
#include "agent/sampler.h"
#include "agent/server.h"
#include "collectors/host.h"
#include "tls_client.h"
#include "tree.h"

namespace gt::agent {
namespace {

constexpr const char* kCgroupRoot = "/sys/fs/cgroup";
constexpr const char* kPodUid = "6a1f5c2e-0b7d-4c3e-9f1a-2b3c4d5e6f70";
constexpr const char* kContainerId =
    "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00";

// The hierarchies a cgroup must exist in for the collectors to read it on this host.
std::vector<std::string> Hierarchies(collectors::CgroupLayout layout) {
  std::vector<std::string> out;
  if (layout == collectors::CgroupLayout::kV2) return {kCgroupRoot};
  for (const char* c : {"memory", "cpu", "cpuacct", "pids", "blkio", "unified"}) {
    std::string dir = std::string(kCgroupRoot) + "/" + c;
    if (::access((dir + "/cgroup.procs").c_str(), W_OK) == 0) out.push_back(dir);
  }
  return out;
}

bool WriteText(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

class AgentCgroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to create cgroups";
    auto layout = collectors::DetectLayout(collectors::HostPaths{});
    if (!layout) GTEST_SKIP() << layout.error().ToString();
    layout_ = *layout;
    hierarchies_ = Hierarchies(layout_);
    if (hierarchies_.empty()) GTEST_SKIP() << "no writable cgroup hierarchy";
    SetLogEnabled(false);
    top_ = "gt-agent-test-" + std::to_string(::getpid());
    kubepods_ = top_ + "/kubepods";
    pod_ = kubepods_ + "/burstable/pod" + kPodUid;
    container_ = pod_ + "/" + kContainerId;
    for (const std::string& h : hierarchies_) {
      for (const std::string& rel : {top_, kubepods_, kubepods_ + "/burstable", pod_, container_}) {
        ASSERT_TRUE(::mkdir((h + "/" + rel).c_str(), 0755) == 0 || errno == EEXIST)
            << h << "/" << rel << ": " << std::strerror(errno);
      }
    }
    if (layout_ != collectors::CgroupLayout::kV2) {
      WriteText(std::string(kCgroupRoot) + "/memory/" + container_ + "/memory.limit_in_bytes",
                std::to_string(64 << 20));
    } else {
      WriteText(std::string(kCgroupRoot) + "/" + container_ + "/memory.max",
                std::to_string(64 << 20));
    }
  }

  void TearDown() override {
    if (child_ > 0) {
      ::kill(child_, SIGKILL);
      ::waitpid(child_, nullptr, 0);
    }
    for (const std::string& h : hierarchies_) {
      for (const std::string& rel : {container_, pod_, kubepods_ + "/burstable", kubepods_, top_}) {
        ::rmdir((h + "/" + rel).c_str());
      }
    }
    SetLogEnabled(true);
  }

  // A child that, once moved into the container cgroup, touches 16 MiB and sleeps.
  void StartWorkload() {
    int go[2];
    ASSERT_EQ(::pipe(go), 0);
    child_ = ::fork();
    ASSERT_GE(child_, 0);
    if (child_ == 0) {
      char byte;
      ::close(go[1]);
      if (::read(go[0], &byte, 1) != 1) _exit(1);
      size_t size = 16 << 20;
      void* mem = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (mem == MAP_FAILED) _exit(2);
      std::memset(mem, 1, size);
      for (;;) ::pause();
    }
    ::close(go[0]);
    for (const std::string& h : hierarchies_) {
      ASSERT_TRUE(WriteText(h + "/" + container_ + "/cgroup.procs", std::to_string(child_)))
          << h << ": " << std::strerror(errno);
    }
    ASSERT_EQ(::write(go[1], "g", 1), 1);
    ::close(go[1]);
  }

  collectors::CgroupLayout layout_{};
  std::vector<std::string> hierarchies_;
  std::string top_, kubepods_, pod_, container_;
  pid_t child_ = -1;
};

TEST_F(AgentCgroupTest, SamplesARealContainerAndServesItOverMutualTls) {
  StartWorkload();
  SystemClock clock;
  Ring ring(RingLimits{});
  AgentMetrics metrics;
  SamplerOptions options;
  options.kubepods_relative = kubepods_;
  auto sampler = Sampler::Create(options, ring, clock, metrics);
  ASSERT_TRUE(sampler) << sampler.error().ToString();

  // Until the child has touched its memory (it runs on its own; poll, no fixed sleep).
  uint64_t usage = 0;
  for (int i = 0; i < 100 && usage < (16u << 20); ++i) {
    ASSERT_TRUE((*sampler)->SampleOnce());
    auto json = ring.Since(ring.newest_seq() - 1, SIZE_MAX).samples.at(0)->Json();
    ASSERT_TRUE(json);
    auto doc = wire::DecodeSamplesResponse(wire::EncodeResponse(
        wire::NodeIdentity{"n", "b"}, 0, 5, false, false, {std::string_view(*json)}));
    ASSERT_TRUE(doc) << doc.error().ToString();
    if (!doc->samples[0].pods.empty() && !doc->samples[0].pods[0].containers.empty()) {
      usage = doc->samples[0].pods[0].containers[0].reading.memory.usage_bytes;
    }
    if (usage < (16u << 20)) ::usleep(50 * 1000);
  }
  EXPECT_GE(usage, 16u << 20);

  testing::TempDir tls_dir;
  TlsBundleOptions tls;
  tls.agent_ips = {"127.0.0.1"};
  auto bundle = MakeTlsBundle(tls);
  ASSERT_TRUE(bundle);
  ASSERT_TRUE(WriteTlsBundle(*bundle, tls_dir.path(), true));
  ServerOptions so;
  so.listen = "127.0.0.1:0";
  so.tls_ca = tls_dir.path() + "/ca.crt";
  so.tls_cert = tls_dir.path() + "/agent.crt";
  so.tls_key = tls_dir.path() + "/agent.key";
  auto boot_id = ReadBootId(collectors::HostPaths{});
  ASSERT_TRUE(boot_id);
  auto server = Server::Start(so, ring, metrics, clock,
                              ServedNode{{"this-node", *boot_id}, std::chrono::seconds(5)});
  ASSERT_TRUE(server) << server.error().ToString();

  auto reply =
      testing::Get((*server)->port(), "/v1/samples?since=0", bundle->ca.cert, &bundle->controller);
  ASSERT_EQ(reply.status, 200) << reply.error;
  auto decoded = wire::DecodeSamplesResponse(reply.body);
  ASSERT_TRUE(decoded) << decoded.error().ToString();
  EXPECT_EQ(decoded->node.boot_id, *boot_id);
  const wire::Sample& newest = decoded->samples.back();
  EXPECT_GT(newest.node.mem_total_bytes, 0u);
  ASSERT_EQ(newest.pods.size(), 1u);
  EXPECT_EQ(newest.pods[0].uid, kPodUid);
  EXPECT_EQ(newest.pods[0].qos, "burstable");
  ASSERT_EQ(newest.pods[0].containers.size(), 1u);
  const wire::ContainerSample& c = newest.pods[0].containers[0];
  EXPECT_EQ(c.id, kContainerId);
  EXPECT_GE(c.reading.process_count, 1u);
  EXPECT_GE(c.reading.memory.usage_bytes, 16u << 20);
  EXPECT_EQ(c.reading.memory.limit_bytes, std::optional<uint64_t>(64u << 20));
  if (layout_ != collectors::CgroupLayout::kV1) {
    EXPECT_TRUE(c.reading.memory.pressure.has_value());  // v2 or the hybrid unified tree
  }

  // Without a client certificate the same agent refuses.
  auto refused = testing::Get((*server)->port(), "/v1/samples", bundle->ca.cert, nullptr);
  EXPECT_EQ(refused.status, 0);
  (*server)->Stop();
}

}  // namespace
}  // namespace gt::agent
