// The collectors' budget (issue 2): one scrape of a node of 110 pods x 3 containers, real
// cgroups on this machine, costs at most 1.3x a floor measured in the same run, the floor being
// a bare loop of pread at offset 0 over descriptors kept open on the very files the scrape reads;
// a scraping process peaks at <= 10 MiB RSS.
//
// Creates 330 container cgroups in the kubelet cgroupfs layout under a test-only root
// (kubepods-gtbench/...) in every hierarchy, with a sleeping process in every tenth container,
// runs BM_PreadFloor, BM_Scrape and BM_OpenReadClose (for contrast), prints the ratio and the
// peak RSS of a separate scraping process, removes the cgroups. Needs root.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "collectors/cgroup_reader.h"
#include "collectors/discovery.h"
#include "collectors/node_reader.h"
#include "tests/collectors/real_cgroup.h"

namespace gt::collectors {
namespace {

using testing::CgroupSandbox;

constexpr int kPods = 110;
constexpr int kContainersPerPod = 3;
constexpr int kProcessEvery = 10;  // a real process in every tenth container
constexpr char kRoot[] = "kubepods-gtbench";
constexpr double kRatioBudget = 1.3;
constexpr double kRssBudgetMiB = 10.0;
constexpr int kRssScrapes = 20;

MonotonicTime Now() {
  return std::chrono::duration_cast<MonotonicTime>(
      std::chrono::steady_clock::now().time_since_epoch());
}

std::string PodUid(int i) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%08x-0000-4000-8000-%012x", 0x6b000000 + i, i);
  return buf;
}

std::string ContainerId(int pod, int c) {
  char buf[80];
  std::snprintf(buf, sizeof(buf), "%016x%016x%016x%016x", 0xbe9c4u, pod, c, 0x5eedu);
  return buf;
}

// Opens a reader for every container of the bench root, as an agent would after discovery.
struct Scraper {
  std::unique_ptr<NodeReader> node;
  std::vector<std::unique_ptr<CgroupReader>> containers;

  std::string Open(const HostPaths& host, CgroupLayout layout) {
    auto pods = DiscoverPodsUnder(host, layout, kRoot);
    if (!pods) return pods.error().ToString();
    for (const auto& pod : *pods) {
      for (const auto& c : pod.containers) {
        auto reader = CgroupReader::Open(host, layout, c.relative_path);
        if (!reader) return reader.error().ToString();
        containers.push_back(std::move(*reader));
      }
    }
    auto n = NodeReader::Open(host);
    if (!n) return n.error().ToString();
    node = std::move(*n);
    return "";
  }

  // One scrape; returns the number of failed reads (0 expected).
  int Scrape() {
    int failures = 0;
    MonotonicTime now = Now();
    auto n = node->Read(now);
    benchmark::DoNotOptimize(n);
    failures += !n;
    for (auto& reader : containers) {
      auto r = reader->Read(now);
      benchmark::DoNotOptimize(r);
      failures += !r;
    }
    return failures;
  }

  std::vector<std::string> Files() const {
    std::vector<std::string> out = node->OpenFilePaths();
    for (const auto& reader : containers) {
      auto paths = reader->OpenFilePaths();
      out.insert(out.end(), paths.begin(), paths.end());
    }
    return out;
  }
};

// A fresh process (re-exec'ed) that discovers, opens and scrapes, then reports its peak RSS.
int RssChild(const std::string& layout_name) {
  HostPaths host;
  CgroupLayout layout = layout_name == "v2"   ? CgroupLayout::kV2
                        : layout_name == "v1" ? CgroupLayout::kV1
                                              : CgroupLayout::kHybrid;
  (void)RaiseOpenFileLimit();
  Scraper scraper;
  if (std::string err = scraper.Open(host, layout); !err.empty()) {
    std::fprintf(stderr, "rss child: %s\n", err.c_str());
    return 1;
  }
  for (int i = 0; i < kRssScrapes; ++i) {
    if (scraper.Scrape() != 0) return 1;
  }
  struct rusage usage;
  ::getrusage(RUSAGE_SELF, &usage);
  std::printf("%ld\n", usage.ru_maxrss);  // KiB
  return 0;
}

// Runs RssChild in a new process image; returns peak RSS in KiB or -1.
long MeasureScraperRss(CgroupLayout layout) {
  char self[4096];
  ssize_t len = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (len <= 0) return -1;
  self[len] = '\0';
  std::string cmd = std::string(self) + " --gt-scrape-rss " + CgroupLayoutName(layout);
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  long kib = -1;
  if (std::fscanf(p, "%ld", &kib) != 1) kib = -1;
  if (::pclose(p) != 0) return -1;
  return kib;
}

// Collects each benchmark's median real time per iteration.
class Reporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      // Reported in the run's time unit; keep nanoseconds.
      double to_ns = 1e9 / benchmark::GetTimeUnitMultiplier(run.time_unit);
      const std::string& name = run.run_name.function_name;
      if (run.run_type == Run::RT_Aggregate && run.aggregate_name == "median") {
        median_ns[name] = run.GetAdjustedRealTime() * to_ns;
        median_cpu_ns[name] = run.GetAdjustedCPUTime() * to_ns;
      } else if (run.run_type == Run::RT_Iteration) {
        double t = run.GetAdjustedCPUTime() * to_ns;
        auto& best = min_cpu_ns[name];
        best = best == 0 ? t : std::min(best, t);
      }
    }
  }
  std::map<std::string, double> median_ns;      // wall time
  std::map<std::string, double> median_cpu_ns;  // CPU time of the process (user + system)
  std::map<std::string, double> min_cpu_ns;
};

int Main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--gt-scrape-rss") == 0) return RssChild(argv[2]);

  HostPaths host;
  if (std::string why = testing::RealCgroupsUnavailable(host); !why.empty()) {
    std::fprintf(stderr, "collectors_bench: %s\n", why.c_str());
    return 3;
  }
  CgroupLayout layout = *DetectLayout(host);
  (void)RaiseOpenFileLimit();

  // Interleave repetitions of the three benchmarks so that load from other work on the machine
  // falls on all of them alike.
  std::vector<char*> args(argv, argv + argc);
  std::string reps = "--benchmark_repetitions=7";
  std::string interleave = "--benchmark_enable_random_interleaving=true";
  std::string unit = "--benchmark_time_unit=ms";
  args.insert(args.begin() + 1, {reps.data(), interleave.data(), unit.data()});
  int bargc = static_cast<int>(args.size());
  benchmark::Initialize(&bargc, args.data());

  // A previous run that died may have left its tree.
  CgroupSandbox(host, layout, kRoot).Destroy();
  CgroupSandbox sandbox(host, layout, kRoot);
  if (!sandbox.ok()) {
    std::fprintf(stderr, "collectors_bench: %s\n", sandbox.error().c_str());
    return 1;
  }
  int containers = 0;
  for (int p = 0; p < kPods; ++p) {
    const char* qos = p % 3 == 0 ? "" : p % 3 == 1 ? "burstable/" : "besteffort/";
    std::string pod = std::string(qos) + "pod" + PodUid(p);
    for (int c = 0; c < kContainersPerPod; ++c, ++containers) {
      std::string sub = pod + "/" + ContainerId(p, c);
      if (!sandbox.Make(sub)) {
        std::fprintf(stderr, "collectors_bench: %s\n", sandbox.error().c_str());
        return 1;
      }
      if (p % 3 != 2) sandbox.SetMemoryLimit(sub, (256 + p) << 20);
      if (p % 3 != 2) sandbox.SetCpuQuota(sub, 50000, 100000);
      if (containers % kProcessEvery == 0) {
        pid_t pid = sandbox.Spawn(sub, [] {
          for (;;) ::pause();
        });
        if (pid < 0) {
          std::fprintf(stderr, "collectors_bench: cannot start a process in %s\n", sub.c_str());
          return 1;
        }
      }
    }
  }

  Scraper scraper;
  if (std::string err = scraper.Open(host, layout); !err.empty()) {
    std::fprintf(stderr, "collectors_bench: %s\n", err.c_str());
    return 1;
  }
  if (scraper.containers.size() != static_cast<size_t>(kPods * kContainersPerPod)) {
    std::fprintf(stderr, "collectors_bench: discovered %zu containers, expected %d\n",
                 scraper.containers.size(), kPods * kContainersPerPod);
    return 1;
  }
  if (int failures = scraper.Scrape(); failures != 0) {  // also opens task and net files
    std::fprintf(stderr, "collectors_bench: %d reads failed\n", failures);
    return 1;
  }
  const std::vector<std::string> files = scraper.Files();
  std::vector<int> fds;
  for (const auto& path : files) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::fprintf(stderr, "collectors_bench: open %s: %s\n", path.c_str(), std::strerror(errno));
      return 1;
    }
    fds.push_back(fd);
  }

  std::vector<char> buffer(64 << 10);
  benchmark::RegisterBenchmark("BM_PreadFloor", [&](benchmark::State& state) {
    for (auto _ : state) {
      for (int fd : fds) {
        ssize_t n = ::pread(fd, buffer.data(), buffer.size(), 0);
        benchmark::DoNotOptimize(n);
      }
    }
    state.counters["files"] = static_cast<double>(fds.size());
    state.counters["us_per_file"] =
        benchmark::Counter(static_cast<double>(state.iterations() * fds.size()),
                           benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  });
  benchmark::RegisterBenchmark("BM_Scrape", [&](benchmark::State& state) {
    int failures = 0;
    for (auto _ : state) failures += scraper.Scrape();
    if (failures != 0) state.SkipWithError("reads failed during the scrape");
    state.counters["cgroups"] = static_cast<double>(scraper.containers.size());
  });
  benchmark::RegisterBenchmark("BM_OpenReadClose", [&](benchmark::State& state) {
    for (auto _ : state) {
      for (const auto& path : files) {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        ssize_t n = ::read(fd, buffer.data(), buffer.size());
        benchmark::DoNotOptimize(n);
        ::close(fd);
      }
    }
  });

  Reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  long rss_kib = MeasureScraperRss(layout);
  for (int fd : fds) ::close(fd);
  sandbox.Destroy();

  // Cost is CPU time (user + system: the kernel's work of generating the files is most of it);
  // wall time is shown too but on a shared machine it also measures waiting for a core.
  double floor = reporter.median_cpu_ns["BM_PreadFloor"];
  double scrape = reporter.median_cpu_ns["BM_Scrape"];
  double orc = reporter.median_cpu_ns["BM_OpenReadClose"];
  if (floor <= 0 || scrape <= 0) {
    std::printf("collectors_bench: benchmarks filtered out; no ratio\n");
    return 0;
  }
  double ratio = scrape / floor;
  double best_ratio = reporter.min_cpu_ns["BM_Scrape"] / reporter.min_cpu_ns["BM_PreadFloor"];
  double wall_ratio = reporter.median_ns["BM_Scrape"] / reporter.median_ns["BM_PreadFloor"];
  double rss_mib = rss_kib / 1024.0;
  size_t n = files.size();
  std::printf("\ncollectors budget (%s host, %zu container cgroups + node, %zu files a scrape):\n",
              CgroupLayoutName(layout), scraper.containers.size(), n);
  std::printf("  floor: pread on open fds   %7.2f ms CPU  (%.2f us a file)\n", floor / 1e6,
              floor / 1e3 / n);
  std::printf("  scrape                     %7.2f ms CPU  (%.2f us a file)\n", scrape / 1e6,
              scrape / 1e3 / n);
  std::printf("  open/read/close            %7.2f ms CPU  (%.2f us a file, %.2fx the floor)\n",
              orc / 1e6, orc / 1e3 / n, orc / floor);
  std::printf(
      "  scrape / floor             %7.3f (median CPU; best %.3f, median wall %.3f); budget %.1f\n",
      ratio, best_ratio, wall_ratio, kRatioBudget);
  std::printf("  scraper peak RSS           %7.2f MiB; budget %.1f MiB\n", rss_mib, kRssBudgetMiB);
  bool ok = ratio <= kRatioBudget && rss_kib > 0 && rss_mib <= kRssBudgetMiB;
  std::printf("  %s\n", ok ? "WITHIN BUDGET" : "OVER BUDGET");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace gt::collectors

int main(int argc, char** argv) { return gt::collectors::Main(argc, argv); }
