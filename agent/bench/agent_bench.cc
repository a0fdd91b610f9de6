// Agent budget (issue 3): CPU per sample of a 110-pod x 3-container node, and RSS at steady
// state (ring full, server up) <= 10 MiB. Real cgroups when root can create them (empty
// cgroups, so the kernel still generates every file on read), a fixture tree otherwise.
// Prints its figures; exits non-zero when over budget.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "agent/certs.h"
#include "agent/log.h"
#include "agent/main.h"
#include "agent/sampler.h"
#include "agent/server.h"

namespace gt::agent {
namespace {

constexpr int kPods = 110;
constexpr int kContainers = 3;
constexpr double kRssBudgetMiB = 10.0;

std::string PodUid(int pod) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012x", pod);
  return buf;
}
std::string ContainerId(int pod, int c) {
  char buf[65];
  std::snprintf(buf, sizeof buf, "%08x%056x", pod, c);
  return buf;
}

void Write(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << text;
}

// A node's worth of pod and container cgroups, removed on destruction.
class Node {
 public:
  Node() {
    if (::geteuid() == 0 && MakeReal()) return;
    MakeFixture();
  }
  ~Node() {
    if (real_) {
      for (const std::string& h : hierarchies_) {
        for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) ::rmdir((h + "/" + *it).c_str());
      }
    } else {
      std::error_code ec;
      std::filesystem::remove_all(fixture_, ec);
    }
  }
  collectors::HostPaths host() const {
    if (real_) return collectors::HostPaths{};
    return {fixture_ + "/proc", fixture_ + "/cgroup"};
  }
  const std::string& kubepods() const { return kubepods_; }
  bool real() const { return real_; }

 private:
  std::vector<std::string> Layout() {
    std::vector<std::string> dirs = {top_, kubepods_, kubepods_ + "/burstable"};
    for (int p = 0; p < kPods; ++p) {
      std::string pod = kubepods_ + "/burstable/pod" + PodUid(p);
      dirs.push_back(pod);
      for (int c = 0; c < kContainers; ++c) dirs.push_back(pod + "/" + ContainerId(p, c));
    }
    return dirs;
  }

  bool MakeReal() {
    auto layout = collectors::DetectLayout(collectors::HostPaths{});
    if (!layout) return false;
    if (*layout == collectors::CgroupLayout::kV2) {
      hierarchies_ = {"/sys/fs/cgroup"};
    } else {
      for (const char* c : {"memory", "cpu", "cpuacct", "pids", "blkio", "unified"}) {
        std::string dir = std::string("/sys/fs/cgroup/") + c;
        if (::access((dir + "/cgroup.procs").c_str(), W_OK) == 0) hierarchies_.push_back(dir);
      }
    }
    if (hierarchies_.empty()) return false;
    top_ = "gt-agent-bench-" + std::to_string(::getpid());
    kubepods_ = top_ + "/kubepods";
    dirs_ = Layout();
    real_ = true;
    for (const std::string& h : hierarchies_) {
      for (const std::string& d : dirs_) {
        if (::mkdir((h + "/" + d).c_str(), 0755) != 0 && errno != EEXIST) return false;
      }
    }
    return true;
  }

  void MakeFixture() {
    real_ = false;
    char tmpl[] = "/tmp/gt-agent-bench-XXXXXX";
    fixture_ = ::mkdtemp(tmpl);
    top_ = "";
    kubepods_ = "kubepods";
    const std::string proc = fixture_ + "/proc";
    Write(proc + "/sys/kernel/random/boot_id", "0d4c6a36-4c2b-4b4e-9a6e-2f1f7c3b9a10\n");
    Write(proc + "/meminfo", "MemTotal: 16384000 kB\nMemAvailable: 12000000 kB\n");
    Write(proc + "/vmstat", "pgmajfault 123\n");
    Write(proc + "/loadavg", "0.50 0.40 0.30 2/345 6789\n");
    const std::string psi =
        "some avg10=1.00 avg60=0.50 avg300=0.25 total=1000\n"
        "full avg10=0.00 avg60=0.00 avg300=0.00 total=10\n";
    for (const char* f : {"memory", "cpu", "io"}) Write(proc + "/pressure/" + f, psi);
    const std::string cg = fixture_ + "/cgroup";
    Write(cg + "/cgroup.controllers", "cpu io memory pids\n");
    for (const std::string& d : Layout()) {
      const std::string dir = cg + "/" + d;
      Write(dir + "/cgroup.controllers", "cpu io memory pids\n");
      Write(dir + "/cgroup.procs", "");
      Write(dir + "/memory.current", "104857600\n");
      Write(dir + "/memory.max", "209715200\n");
      Write(dir + "/memory.stat",
            "anon 52428800\nfile 10485760\nactive_file 4194304\ninactive_file 6291456\n"
            "pgfault 1000\npgmajfault 7\nworkingset_refault_anon 0\nworkingset_refault_file 3\n");
      Write(dir + "/memory.events", "low 0\nhigh 0\nmax 2\noom 0\noom_kill 0\n");
      Write(dir + "/memory.pressure", psi);
      Write(dir + "/cpu.max", "50000 100000\n");
      Write(dir + "/cpu.stat",
            "usage_usec 5000000\nuser_usec 4000000\nsystem_usec 1000000\nnr_periods 100\n"
            "nr_throttled 10\nthrottled_usec 200000\n");
      Write(dir + "/cpu.pressure", psi);
      Write(dir + "/io.stat", "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2\n");
      Write(dir + "/io.pressure", psi);
      Write(dir + "/pids.current", "3\n");
      Write(dir + "/pids.max", "max\n");
      Write(dir + "/pids.events", "max 0\n");
    }
  }

  bool real_ = false;
  std::vector<std::string> hierarchies_;
  std::vector<std::string> dirs_;
  std::string fixture_, top_, kubepods_;
};

void BM_SampleNode(benchmark::State& state) {
  SetLogEnabled(false);
  Node node;
  SystemClock clock;
  Ring ring(RingLimits{});
  AgentMetrics metrics;
  SamplerOptions options;
  options.host = node.host();
  options.kubepods_relative = node.kubepods();
  auto sampler = Sampler::Create(options, ring, clock, metrics);
  if (!sampler) {
    state.SkipWithError(sampler.error().ToString().c_str());
    return;
  }
  for (auto _ : state) {
    if (!(*sampler)->SampleOnce()) state.SkipWithError("sample failed");
  }
  auto newest = ring.Since(ring.newest_seq() - 1, SIZE_MAX).samples.at(0);
  state.counters["cgroups"] = static_cast<double>((*sampler)->open_readers());
  state.counters["json_bytes"] = static_cast<double>(newest->json_bytes());
  state.counters["stored_bytes"] = static_cast<double>(newest->stored_bytes());
  state.counters["ring_samples_at_4MiB"] =
      static_cast<double>(RingLimits{}.max_bytes / newest->stored_bytes());
  state.counters["real_cgroups"] = node.real() ? 1 : 0;
  state.SetLabel(node.real() ? "real cgroups" : "fixture tree");
}
BENCHMARK(BM_SampleNode)->Unit(benchmark::kMillisecond)->MinTime(3.0);

// The share of a sample spent encoding and compressing (the rest is reading cgroup files).
void BM_EncodeAndStore(benchmark::State& state) {
  SetLogEnabled(false);
  Node node;
  SystemClock clock;
  Ring ring(RingLimits{});
  AgentMetrics metrics;
  SamplerOptions options;
  options.host = node.host();
  options.kubepods_relative = node.kubepods();
  auto sampler = Sampler::Create(options, ring, clock, metrics);
  if (!sampler || !(*sampler)->SampleOnce()) {
    state.SkipWithError("no sample");
    return;
  }
  auto json = ring.Since(0, SIZE_MAX).samples.at(0)->Json();
  auto decoded = wire::DecodeSamplesResponse(wire::EncodeResponse(
      wire::NodeIdentity{"n", "b"}, 1, 5, false, false, {std::string_view(*json)}));
  if (!decoded) {
    state.SkipWithError(decoded.error().ToString().c_str());
    return;
  }
  const wire::Sample& sample = decoded->samples.at(0);
  for (auto _ : state) {
    std::string text = wire::EncodeSample(sample);
    auto stored = StoredSample::Compress(1, MonotonicTime(0), text);
    benchmark::DoNotOptimize(stored);
  }
}
BENCHMARK(BM_EncodeAndStore)->Unit(benchmark::kMillisecond);

long StatusKiB(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field));
  }
  return -1;
}

// Run in a fresh process (exec of this binary): the agent's steady state, ring filled to its
// bound, server listening with TLS loaded; prints "rss_kib anon_kib samples ring_bytes".
int SteadyStateChild() {
  SetLogEnabled(false);
  TuneAllocatorForSteadyState();  // as AgentMain does
  Node node;
  SystemClock clock;
  Ring ring(RingLimits{});
  AgentMetrics metrics;
  SamplerOptions options;
  options.host = node.host();
  options.kubepods_relative = node.kubepods();
  auto sampler = Sampler::Create(options, ring, clock, metrics);
  if (!sampler) return 1;
  char tmpl[] = "/tmp/gt-agent-bench-tls-XXXXXX";
  std::string tls_dir = ::mkdtemp(tmpl);
  auto bundle = MakeTlsBundle(TlsBundleOptions{});
  if (!bundle || !WriteTlsBundle(*bundle, tls_dir, true)) return 1;
  ServerOptions so;
  so.listen = "127.0.0.1:0";
  so.tls_ca = tls_dir + "/ca.crt";
  so.tls_cert = tls_dir + "/agent.crt";
  so.tls_key = tls_dir + "/agent.key";
  auto server = Server::Start(so, ring, metrics, clock, ServedNode{{"bench", "b"}});
  if (!server) return 1;
  for (int i = 0; i < 400; ++i) (void)(*sampler)->SampleOnce();  // past the ring's bounds
  long rss = StatusKiB("VmRSS:");
  long anon = StatusKiB("RssAnon:");
  long hwm = StatusKiB("VmHWM:");
  std::printf("%ld %ld %ld %zu %zu\n", rss, anon, hwm, ring.size(), ring.stored_bytes());
  (*server)->Stop();
  std::filesystem::remove_all(tls_dir);
  return 0;
}

}  // namespace
}  // namespace gt::agent

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--steady-state-child") == 0) {
    return gt::agent::SteadyStateChild();
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();

  int out[2];
  if (::pipe(out) != 0) return 1;
  pid_t child = ::fork();
  if (child == 0) {
    ::dup2(out[1], 1);
    ::execl("/proc/self/exe", argv[0], "--steady-state-child", static_cast<char*>(nullptr));
    _exit(127);
  }
  ::close(out[1]);
  char buf[256] = {};
  ssize_t n = ::read(out[0], buf, sizeof buf - 1);
  int status = 0;
  ::waitpid(child, &status, 0);
  long rss = 0, anon = 0, hwm = 0;
  size_t samples = 0, bytes = 0;
  if (n <= 0 || std::sscanf(buf, "%ld %ld %ld %zu %zu", &rss, &anon, &hwm, &samples, &bytes) != 5) {
    std::fprintf(stderr, "agent steady state: child failed\n");
    return 1;
  }
  double rss_mib = rss / 1024.0;
  std::printf(
      "agent steady state (%d pods x %d containers, server up, ring full): RSS %.1f MiB "
      "(anonymous %.1f MiB, peak %.1f MiB); ring %zu samples in %.2f MiB; budget %.0f MiB: %s\n",
      gt::agent::kPods, gt::agent::kContainers, rss_mib, anon / 1024.0, hwm / 1024.0, samples,
      bytes / 1048576.0, gt::agent::kRssBudgetMiB,
      rss_mib <= gt::agent::kRssBudgetMiB ? "within" : "OVER");
  return rss_mib <= gt::agent::kRssBudgetMiB ? 0 : 1;
}
