// The controller's budget at cluster scale: 10,000 workloads (7,000 Deployments with their
// ReplicaSets, 3,000 StatefulSets), 50,000 pods on 1,000 nodes, one agent per node serving
// in-process payloads. The informer input is Kubernetes JSON through the same trim and
// conversion the real informers use; the judge is the real reconcile::Judge.
//
// Reported as counters: rss_mib (VmRSS after everything), pass_ms (full reconcile pass:
// judge every workload), steady_writes (applies sent by passes when nothing changed: must
// be 0), events_per_s (watch events converted and ingested). Exits 1 when RSS is over the
// 300 MiB budget or a steady pass wrote.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "controller/controller.h"
#include "controller/convert.h"
#include "controller/main.h"
#include "controller/reconcile_judge.h"
#include "controller/scraper.h"

namespace gt::controller {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr int kDeployments = 7000;
constexpr int kStatefulSets = 3000;
constexpr int kPodsPerWorkload = 5;
constexpr int kNodes = 1000;
constexpr double kRssBudgetMiB = 300;
bool over_budget = false;  // set by BM_SteadyStatePass

double RssMiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

std::string Uid(const char* kind, int i) {
  char buffer[96];
  std::snprintf(buffer, sizeof(buffer), "%s-%08d-0000-4000-8000-000000000000", kind, i);
  return buffer;
}

std::string ContainerId(int pod) {
  char buffer[96];
  std::snprintf(buffer, sizeof(buffer), "%064d", pod);
  return buffer;
}

json Template(int i) {
  return json{{"metadata", {{"labels", {{"app", "app-" + std::to_string(i)}}}}},
              {"spec",
               {{"containers",
                 json::array({{{"name", "app"},
                               {"image", "registry.example/app:1.0." + std::to_string(i)},
                               {"env", json::array({{{"name", "MODE"}, {"value", "prod"}}})},
                               {"resources",
                                {{"limits", {{"memory", "512Mi"}, {"cpu", "500m"}}},
                                 {"requests", {{"memory", "256Mi"}, {"cpu", "100m"}}}}}}})}}}};
}

json WorkloadObject(const char* kind, int i) {
  return json{
      {"apiVersion", "apps/v1"},
      {"kind", kind},
      {"metadata",
       {{"name", "app-" + std::to_string(i)},
        {"namespace", "ns-" + std::to_string(i % 200)},
        {"uid", Uid(kind, i)},
        {"resourceVersion", "1"},
        {"generation", 1},
        {"labels", {{"app.kubernetes.io/instance", "app-" + std::to_string(i)}}},
        {"annotations", {{"deployment.kubernetes.io/revision", "1"}}},
        {"managedFields", json::array({{{"manager", "argocd-controller"}}})}}},
      {"spec", {{"replicas", kPodsPerWorkload}, {"template", Template(i)}}},
      {"status", {{"observedGeneration", 1}, {"updateRevision", "rev-" + std::to_string(i)}}},
  };
}

json PodObject(int pod, int workload, bool stateful, const std::string& owner_uid) {
  json labels = stateful ? json{{"controller-revision-hash", "rev-" + std::to_string(workload)}}
                         : json{{"pod-template-hash", "h" + std::to_string(workload)}};
  return json{
      {"metadata",
       {{"name", "app-" + std::to_string(workload) + "-" + std::to_string(pod)},
        {"namespace", "ns-" + std::to_string(workload % 200)},
        {"uid", Uid("pod", pod)},
        {"resourceVersion", "1"},
        {"labels", labels},
        {"ownerReferences", json::array({{{"kind", stateful ? "StatefulSet" : "ReplicaSet"},
                                          {"name", "x"},
                                          {"uid", owner_uid},
                                          {"controller", true}}})}}},
      {"spec",
       {{"nodeName", "node-" + std::to_string(pod % kNodes)},
        {"containers", Template(workload)["spec"]["containers"]},
        {"volumes", json::array({{{"name", "token"}}})}}},
      {"status",
       {{"phase", "Running"},
        {"podIP", "10.0.0.1"},
        {"conditions", json::array({{{"type", "Ready"}, {"status", "True"}}})},
        {"containerStatuses",
         json::array({{{"name", "app"},
                       {"containerID", "containerd://" + ContainerId(pod)},
                       {"state", {{"running", {{"startedAt", "2026-01-01T00:00:00Z"}}}}}}})}}},
  };
}

// Healthy readings: well inside the limit, no pressure, no throttling.
CgroupReading Healthy(MonotonicTime t, uint64_t round) {
  CgroupReading r;
  r.time = t;
  r.memory.usage_bytes = 200u << 20;
  r.memory.limit_bytes = 512u << 20;
  r.memory.inactive_file_bytes = 20u << 20;
  r.memory.pgfault = 1000 * round;
  r.memory.pressure = Pressure{};
  r.cpu.usage_us = 1'000'000 * round;
  r.cpu.nr_periods = 100 * round;
  r.cpu.quota_us = 50000;
  r.cpu.pressure = Pressure{};
  r.io.pressure = Pressure{};
  r.pids.current = 12;
  r.process_count = 3;
  return r;
}

bool DefaultWindows() {
  const char* v = std::getenv("GT_BENCH_DEFAULT_WINDOWS");
  return v != nullptr && std::string_view(v) == "1";
}

// Samples per scrape: with the shipped defaults the agent samples every 5 s and the
// controller scrapes every 10 s, so each scrape brings two per container.
int SamplesPerScrape() { return DefaultWindows() ? 2 : 1; }

class FakeAgents final : public AgentClient {
 public:
  FakeAgents(Clock& clock, std::vector<std::vector<std::pair<std::string, std::string>>> by_node)
      : clock_(clock), by_node_(std::move(by_node)) {}
  Result<wire::SamplesResponse> Fetch(const AgentTarget& agent, uint64_t since) override {
    int node = std::stoi(agent.node.substr(5));
    const int n = SamplesPerScrape();
    wire::SamplesResponse response;
    response.node = {agent.node, "boot"};
    response.cursor = since + n;
    for (int k = 0; k < n; ++k) {
      wire::Sample sample;
      sample.seq = since + k + 1;
      sample.monotonic = clock_.Monotonic() - std::chrono::seconds(5) * (n - 1 - k);
      sample.node.time = sample.monotonic;
      sample.node.mem_total_bytes = 64ull << 30;
      sample.node.commit_limit_bytes = 64ull << 30;
      sample.node.committed_as_bytes = 20ull << 30;
      sample.node.memory_pressure = Pressure{};
      for (const auto& [pod, container] : by_node_[node]) {
        wire::PodSample p;
        p.uid = pod;
        wire::ContainerSample c;
        c.id = container;
        c.reading = Healthy(sample.monotonic, sample.seq);
        p.containers.push_back(std::move(c));
        sample.pods.push_back(std::move(p));
      }
      response.samples.push_back(std::move(sample));
    }
    return response;
  }

 private:
  Clock& clock_;
  std::vector<std::vector<std::pair<std::string, std::string>>> by_node_;
};

// Applies what the controller wrote back onto the workloads and delivers them again, as
// the API server and the informer would.
class Cluster final : public StatusWriter {
 public:
  Result<Applied> ApplyCondition(const WorkloadKey& key, std::string_view,
                                 const Condition& condition) override {
    ++writes;
    Workload& w = workloads.at(key);
    if (w.condition) last_change = w.condition->message + " -> " + condition.message;
    w.condition = condition;
    w.resource_version = std::to_string(++version);
    changed.push_back(key);
    return Applied{w.resource_version, w.generation};
  }
  Result<Applied> ApplyAnnotation(const WorkloadKey& key, std::string_view, std::string_view value,
                                  std::string_view resource_version) override {
    ++writes;
    Workload& w = workloads.at(key);
    if (!resource_version.empty() && resource_version != w.resource_version) {
      return MakeError(ErrorCode::kConflict, "HTTP 409 Conflict");
    }
    // As the API server does: a Deployment's annotations are part of its generation.
    if (key.kind == WorkloadKind::kDeployment && w.verdict_annotation != value) ++w.generation;
    w.verdict_annotation = value;
    w.resource_version = std::to_string(++version);
    changed.push_back(key);
    return Applied{w.resource_version, w.generation};
  }
  Status Withdraw(const WorkloadKey&, std::string_view) override {
    ++writes;
    return OkStatus();
  }
  void Deliver(Controller& controller) {
    for (const WorkloadKey& key : changed) controller.UpsertWorkload(workloads.at(key));
    changed.clear();
  }
  std::map<WorkloadKey, Workload> workloads;
  std::vector<WorkloadKey> changed;
  uint64_t writes = 0;
  uint64_t version = 100;
  std::string last_change;
};

class NoEvents final : public EventSink {
 public:
  void Emit(const EventRecord&) override { ++count; }
  uint64_t count = 0;
};

struct World {
  FakeClock clock;
  std::ostringstream log_text;
  Logger log{log_text};
  Metrics metrics;
  Cluster cluster;
  NoEvents events;
  AlwaysLeader leader;
  std::unique_ptr<ReconcileJudge> judge;
  std::unique_ptr<Controller> controller;
  std::unique_ptr<FakeAgents> agents;
  std::vector<json> pod_objects;  // a sample of the watch stream, for the ingestion benchmark
  double ingest_events_per_s = 0;
  double setup_rss_mib = 0;

  World() {
    // Windows shortened to 60 s so the benchmark reaches steady state in a few rounds;
    // GT_BENCH_DEFAULT_WINDOWS=1 keeps the shipped 5 min ones and the agent's 5 s interval
    // (the judge holds the readings its windows reach back to, so memory and pass time grow
    // with both).
    judge = std::make_unique<ReconcileJudge>(
        DefaultWindows() ? reconcile::DefaultPolicy()
                         : reconcile::WithWindow(reconcile::DefaultPolicy(), 60s),
        log);
    controller = std::make_unique<Controller>(ControllerOptions{}, clock, *judge, cluster, events,
                                              leader, metrics, log);
    std::vector<std::vector<std::pair<std::string, std::string>>> by_node(kNodes);
    auto started = std::chrono::steady_clock::now();
    uint64_t ingested = 0;
    int pod = 0;
    for (int i = 0; i < kDeployments + kStatefulSets; ++i) {
      bool stateful = i >= kDeployments;
      WorkloadKind kind = stateful ? WorkloadKind::kStatefulSet : WorkloadKind::kDeployment;
      json object = WorkloadObject(stateful ? "StatefulSet" : "Deployment", i);
      TrimWorkload(object);
      Workload w = *WorkloadFromJson(kind, object);
      cluster.workloads.emplace(w.key, w);
      controller->UpsertWorkload(std::move(w));
      ++ingested;
      std::string owner = Uid(stateful ? "StatefulSet" : "Deployment", i);
      if (!stateful) {
        json rs = WorkloadObject("ReplicaSet", i);
        rs["metadata"]["ownerReferences"] = json::array(
            {{{"kind", "Deployment"}, {"name", "x"}, {"uid", owner}, {"controller", true}}});
        rs["spec"]["template"]["metadata"]["labels"]["pod-template-hash"] = "h";
        TrimReplicaSet(rs);
        controller->UpsertReplicaSet(*ReplicaSetFromJson(rs));
        ++ingested;
        owner = Uid("ReplicaSet", i);
      }
      for (int k = 0; k < kPodsPerWorkload; ++k, ++pod) {
        json object = PodObject(pod, i, stateful, owner);
        if (pod_objects.size() < 1000) pod_objects.push_back(object);
        TrimPod(object);
        controller->UpsertPod(*PodFromJson(object));
        ++ingested;
        by_node[pod % kNodes].emplace_back(Uid("pod", pod), ContainerId(pod));
      }
    }
    for (int n = 0; n < kNodes; ++n) {
      json agent = {{"metadata",
                     {{"name", "agent-" + std::to_string(n)},
                      {"namespace", "groundtruth-agent"},
                      {"uid", Uid("agent", n)}}},
                    {"spec", {{"nodeName", "node-" + std::to_string(n)}}},
                    {"status",
                     {{"podIP", "10.1." + std::to_string(n / 250) + "." + std::to_string(n % 250)},
                      {"conditions", json::array({{{"type", "Ready"}, {"status", "True"}}})}}}};
      controller->UpsertAgent(*AgentPodFromJson(agent));
      ++ingested;
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    ingest_events_per_s = ingested / seconds;
    agents = std::make_unique<FakeAgents>(clock, std::move(by_node));
    setup_rss_mib = RssMiB();
  }

  void Round() {
    clock.Advance(10s);
    Scraper scraper(*controller, *agents, ScraperOptions{1, 1});
    scraper.ScrapeAll();
    controller->RunPass();
    cluster.Deliver(*controller);
    controller->CheckDirty();
  }
};

// Rounds of 10 s until every window is full and every verdict written and seen.
int WarmUpRounds() { return DefaultWindows() ? 36 : 12; }

World& TheWorld() {
  static World* world = [] {
    TuneAllocator();     // as ControllerMain does
    return new World();  // built once, shared by the benchmarks below
  }();
  return *world;
}

void BM_Ingest(benchmark::State& state) {
  World& world = TheWorld();
  state.counters["initial_events_per_s"] = world.ingest_events_per_s;
  size_t i = 0;
  for (auto _ : state) {
    // A watch MODIFIED event for a pod: convert (trim + parse) and ingest.
    json object = world.pod_objects[i++ % world.pod_objects.size()];
    TrimPod(object);
    world.controller->UpsertPod(*PodFromJson(object));
  }
  state.counters["events_per_s"] =
      benchmark::Counter(state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Ingest)->Unit(benchmark::kMicrosecond);

void BM_SteadyStatePass(benchmark::State& state) {
  World& world = TheWorld();
  // Where memory goes: readings held between passes, then the judge's state.
  {
    world.clock.Advance(10s);
    Scraper(*world.controller, *world.agents, ScraperOptions{16, 1}).ScrapeAll();
    state.counters["rss_after_first_scrape_mib"] = RssMiB();
    world.controller->RunPass();
    world.cluster.Deliver(*world.controller);
    world.controller->CheckDirty();
    state.counters["rss_after_first_pass_mib"] = RssMiB();
  }
  // Reach steady state: Observing, then verdicts, all written and seen by the informer.
  for (int round = 0; round < WarmUpRounds(); ++round) world.Round();
  uint64_t writes_before = world.cluster.writes;
  Scraper scraper(*world.controller, *world.agents, ScraperOptions{16, 1});
  double scrape_seconds = 0;
  int passes = 0;
  PassStats stats;
  for (auto _ : state) {
    state.PauseTiming();
    world.clock.Advance(10s);
    auto scrape_started = std::chrono::steady_clock::now();
    scraper.ScrapeAll();
    scrape_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - scrape_started).count();
    state.ResumeTiming();
    stats = world.controller->RunPass();
    ++passes;
  }
  state.counters["workloads_judged"] = stats.judged;
  state.counters["true"] = stats.true_count;
  state.counters["false"] = stats.false_count;
  state.counters["unknown"] = stats.unknown_count;
  state.counters["steady_writes"] = world.cluster.writes - writes_before;
  if (world.cluster.writes != writes_before) {
    state.SetLabel("last rewrite: " + world.cluster.last_change);
  }
  state.counters["ingest_1000_agents_ms"] = passes ? 1000 * scrape_seconds / passes : 0;
  state.counters["judge_instances"] = world.judge->instance_count();
  state.counters["judge_state_mib"] = static_cast<double>(world.judge->state_bytes()) / (1 << 20);
  state.counters["rss_mib"] = RssMiB();
  over_budget = RssMiB() > kRssBudgetMiB || world.cluster.writes != writes_before;
  // Live heap (what malloc handed out and was not freed), against RSS: the rest is free
  // memory the allocator keeps, fragmentation, code and stacks.
  state.counters["heap_in_use_mib"] = static_cast<double>(mallinfo2().uordblks) / (1 << 20);
  malloc_trim(0);  // what of it is free memory glibc kept, not live data
  state.counters["rss_trimmed_mib"] = RssMiB();
  state.counters["rss_after_setup_mib"] = world.setup_rss_mib;
}
BENCHMARK(BM_SteadyStatePass)->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace
}  // namespace gt::controller

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (gt::controller::over_budget) {
    std::fprintf(stderr, "gt_controller_bench: over budget (RSS > %.0f MiB, or a steady write)\n",
                 gt::controller::kRssBudgetMiB);
    return 1;
  }
  return 0;
}
