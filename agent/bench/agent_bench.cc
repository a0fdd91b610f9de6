// Agent budget (issue 3): CPU per sample of a 110-pod x 3-container node, and RSS at steady
// state (ring full, server up) <= 10 MiB, measured on the real groundtruth-agent process and,
// for comparison, on the old path (the groundtruth binary running the agent in process). Real
// cgroups when root can create them (empty cgroups, so the kernel still generates every file
// on read), a fixture tree otherwise. Prints its figures; exits non-zero when over budget.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "agent/certs.h"
#include "agent/log.h"
#include "agent/sampler.h"
#include "tls_client.h"
#include "wire/samples.h"

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

// The agent's memory as a node sees it: a real agent process, its ring filled past its bound,
// its server up and scraped from the cursor as the controller does, measured by VmRSS (every
// resident page it maps, shared-library pages included) and split by mapping from smaps.
struct Footprint {
  long rss_kib = 0, anon_kib = 0, file_kib = 0, hwm_kib = 0;
  long image_kib = 0;      // the executable's own file pages
  long libraries_kib = 0;  // shared-library file pages
  long heap_kib = 0;       // anonymous: [heap], malloc arenas, thread stacks, bss
  std::vector<std::pair<std::string, long>> libraries;  // largest first
  uint64_t samples = 0, ring_samples = 0, ring_bytes = 0;
  std::string error;
};

long StatusKiB(pid_t pid, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field));
  }
  return -1;
}

void ReadSmaps(pid_t pid, const std::string& image, Footprint& f) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/smaps");
  std::string line, mapping;
  std::vector<std::pair<std::string, long>> libs;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (std::isxdigit(static_cast<unsigned char>(line[0])) && line.find('-') < 16 &&
        line.find(':') > line.find(' ')) {
      // "start-end perms offset dev inode [path]": the path is the 6th field.
      std::istringstream fields(line);
      std::string skip;
      for (int i = 0; i < 5; ++i) fields >> skip;
      mapping.clear();
      std::getline(fields >> std::ws, mapping);
      continue;
    }
    if (line.rfind("Rss:", 0) != 0) continue;
    long kib = std::atol(line.c_str() + 4);
    if (mapping.empty() || mapping[0] == '[') {
      f.heap_kib += kib;
    } else if (std::filesystem::path(mapping).filename() == image) {
      f.image_kib += kib;
    } else {
      f.libraries_kib += kib;
      std::string name = std::filesystem::path(mapping).filename();
      auto it = std::find_if(libs.begin(), libs.end(), [&](auto& l) { return l.first == name; });
      if (it == libs.end())
        libs.emplace_back(name, kib);
      else
        it->second += kib;
    }
  }
  std::sort(libs.begin(), libs.end(), [](auto& a, auto& b) { return a.second > b.second; });
  f.libraries = std::move(libs);
}

uint64_t MetricValue(const std::string& text, const std::string& name) {
  size_t at = text.find("\n" + name + " ");
  if (at == std::string::npos) return 0;
  return std::strtoull(text.c_str() + at + name.size() + 2, nullptr, 10);
}

// Runs `argv` (an agent) on the bench node until it has taken `samples` samples, scraping
// /v1/samples from the cursor every 200 ms, then measures it and stops it with SIGTERM.
Footprint MeasureAgent(std::vector<std::string> argv, const Node& node, const std::string& tls,
                       const TlsBundle& bundle, uint64_t samples) {
  Footprint f;
  const std::string log = tls + "/agent-" + std::to_string(::getpid()) + ".log";
  collectors::HostPaths host = node.host();
  for (const std::string& a :
       {std::string("--listen=127.0.0.1:0"), std::string("--interval=100ms"),
        // 180 samples and 4 MiB: the ring's default bounds (15 min at 5 s).
        std::string("--retention=18s"), std::string("--ring-max-mib=4"), "--host-proc=" + host.proc,
        "--host-sys=" + host.cgroup, "--kubepods-cgroup=" + node.kubepods(),
        "--tls-ca=" + tls + "/ca.crt", "--tls-cert=" + tls + "/agent.crt",
        "--tls-key=" + tls + "/agent.key"}) {
    argv.push_back(a);
  }
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 2);
    ::execv(args[0], args.data());
    _exit(127);
  }
  uint16_t port = 0;
  uint64_t cursor = 0;
  std::string metrics;
  for (int waited = 0; waited < 600; ++waited) {  // two minutes at most
    ::usleep(200'000);
    if (port == 0) {
      std::ifstream in(log);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      size_t at = text.find(" port=");
      if (at != std::string::npos) port = static_cast<uint16_t>(std::atoi(text.c_str() + at + 6));
      if (port == 0) continue;
    }
    testing::Reply reply = testing::Get(port, "/v1/samples?since=" + std::to_string(cursor),
                                        bundle.ca.cert, &bundle.controller);
    if (reply.status == 200) {
      if (auto decoded = wire::DecodeSamplesResponse(reply.body)) cursor = decoded->cursor;
    }
    if (cursor >= samples) break;
  }
  testing::Reply reply = testing::Get(port, "/metrics", bundle.ca.cert, &bundle.controller);
  f.samples = MetricValue(reply.body, "groundtruth_agent_samples_total");
  f.ring_samples = MetricValue(reply.body, "groundtruth_agent_ring_samples");
  f.ring_bytes = MetricValue(reply.body, "groundtruth_agent_ring_bytes");
  if (cursor < samples) {
    f.error = "agent " + argv[0] + " reached sample " + std::to_string(cursor) + " of " +
              std::to_string(samples) + " (log " + log + ")";
  }
  f.rss_kib = StatusKiB(pid, "VmRSS:");
  f.anon_kib = StatusKiB(pid, "RssAnon:");
  f.file_kib = StatusKiB(pid, "RssFile:");
  f.hwm_kib = StatusKiB(pid, "VmHWM:");
  ReadSmaps(pid, std::filesystem::path(argv[0]).filename(), f);
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (f.error.empty()) ::unlink(log.c_str());
  return f;
}

double MiB(long kib) { return kib / 1024.0; }

void Print(const char* what, const Footprint& f) {
  std::printf(
      "%s: RSS %.1f MiB (peak %.1f) = anonymous %.1f + file-backed %.1f; by mapping: "
      "executable %.1f, shared libraries %.1f, heap/arenas/stacks %.1f MiB; %llu samples "
      "taken, ring %llu samples in %.2f MiB\n",
      what, MiB(f.rss_kib), MiB(f.hwm_kib), MiB(f.anon_kib), MiB(f.file_kib), MiB(f.image_kib),
      MiB(f.libraries_kib), MiB(f.heap_kib), static_cast<unsigned long long>(f.samples),
      static_cast<unsigned long long>(f.ring_samples), f.ring_bytes / 1048576.0);
  if (!f.libraries.empty()) {
    std::printf("  libraries:");
    for (const auto& [name, kib] : f.libraries) std::printf(" %s %.2f", name.c_str(), MiB(kib));
    std::printf(" MiB\n");
  }
}

// The lean groundtruth-agent that `groundtruth agent` execs, against the old path: the
// groundtruth binary running the agent in process (a copy with no groundtruth-agent beside it).
int SteadyState() {
  SetLogEnabled(false);
  Node node;
  char tmpl[] = "/tmp/gt-agent-bench-tls-XXXXXX";
  std::string tls_dir = ::mkdtemp(tmpl);
  auto bundle = MakeTlsBundle(TlsBundleOptions{});
  if (!bundle || !WriteTlsBundle(*bundle, tls_dir, true)) return 1;
  constexpr uint64_t kSamples = 400;  // past the ring's bounds
  Footprint lean = MeasureAgent({GT_LEAN_AGENT}, node, tls_dir, *bundle, kSamples);
  Footprint fat;
  const std::string copy = tls_dir + "/groundtruth";
  std::error_code ec;
  if (std::filesystem::copy_file(GT_GROUNDTRUTH, copy, ec)) {
    fat = MeasureAgent({copy, "agent"}, node, tls_dir, *bundle, kSamples);
  } else {
    fat.error = "cannot copy " + std::string(GT_GROUNDTRUTH) + ": " + ec.message();
  }
  std::filesystem::remove_all(tls_dir, ec);

  std::printf(
      "agent steady state (%d pods x %d containers, %s, server up and scraped, ring "
      "full):\n",
      kPods, kContainers, node.real() ? "real cgroups" : "fixture tree");
  if (fat.error.empty()) {
    Print("  groundtruth agent, in process (old path)", fat);
  } else {
    std::printf("  old path not measured: %s\n", fat.error.c_str());
  }
  if (!lean.error.empty()) {
    std::fprintf(stderr, "agent steady state: %s\n", lean.error.c_str());
    return 1;
  }
  Print("  groundtruth-agent (what `groundtruth agent` execs)", lean);
  double rss_mib = MiB(lean.rss_kib);
  if (fat.error.empty() && lean.rss_kib > 0) {
    std::printf("  lean / old path: RSS %.2fx, anonymous %.2fx, file-backed %.2fx\n",
                static_cast<double>(lean.rss_kib) / fat.rss_kib,
                static_cast<double>(lean.anon_kib) / fat.anon_kib,
                static_cast<double>(lean.file_kib) / fat.file_kib);
  }
  std::printf("  budget %.0f MiB: %s (RSS %.1f MiB)\n", kRssBudgetMiB,
              rss_mib <= kRssBudgetMiB ? "within" : "OVER", rss_mib);
  return rss_mib <= kRssBudgetMiB ? 0 : 1;
}

}  // namespace
}  // namespace gt::agent

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return gt::agent::SteadyState();
}
