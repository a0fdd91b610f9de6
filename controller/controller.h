// The controller core: informer input -> current pods -> agent readings -> Judge -> the
// RuntimeCompliant condition, written by the rules of writing. No Kubernetes client, no
// network: everything outside is a port (ports.h), so tests drive it with fakes.
//
// Threads: informer handlers and the scraper call in from any thread; RunPass and
// CheckDirty run on one reconcile thread. Writes happen without the state lock held.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "controller/log.h"
#include "controller/metrics.h"
#include "controller/model.h"
#include "controller/ports.h"
#include "controller/scope.h"
#include "controller/series.h"
#include "controller/store.h"
#include "controller/writing.h"

namespace gt::controller {

struct ControllerOptions {
  Scope scope = Scope::kGitOps;
  uint16_t agent_port = 9443;
  SeriesOptions series;
  // Trust an unconfirmed write this long before sending it again.
  std::chrono::nanoseconds settle = std::chrono::seconds(30);
  // After start (or taking the lead), a verdict read back from the object is not replaced
  // by NoData: the agents have not been scraped yet.
  std::chrono::nanoseconds startup_grace = std::chrono::seconds(45);
  // A container that just started and has no reading yet is left out of the observation
  // instead of counting as "no data" (a scale-up must not flip the verdict).
  std::chrono::nanoseconds new_container_grace = std::chrono::seconds(45);
};

struct PassStats {
  size_t judged = 0;
  size_t planned_writes = 0;  // workloads with something to write
  size_t true_count = 0, false_count = 0, unknown_count = 0;
};

struct ScrapeRequest {
  AgentTarget target;
  uint64_t since = 0;
};

class Controller {
 public:
  Controller(ControllerOptions options, Clock& clock, Judge& judge, StatusWriter& writer,
             EventSink& events, const Leadership& leadership, Metrics& metrics, Logger& log);

  // Informer feed. A workload event marks it for an immediate check (CheckDirty).
  void UpsertWorkload(Workload workload);
  void DeleteWorkload(const WorkloadKey& key);
  void UpsertReplicaSet(ReplicaSet replica_set);
  void DeleteReplicaSet(const std::string& uid);
  void UpsertPod(Pod pod);
  void DeletePod(const std::string& uid);
  void UpsertAgent(AgentPod agent);
  void DeleteAgent(const std::string& uid);

  // Scrape feed: which agents to ask for what, and their answers.
  std::vector<ScrapeRequest> PlanScrapes() const;
  // `took`: how long the scrape took (for /metrics); negative when not measured.
  void IngestScrape(const ScrapeRequest& request, Result<wire::SamplesResponse> response,
                    std::chrono::nanoseconds took = std::chrono::nanoseconds(-1));

  // Judges every workload in scope and writes what changed (leader only).
  PassStats RunPass();
  // Re-checks workloads touched by watch events since the last check or pass, with the
  // verdicts already held: re-asserts a wiped condition, resets a new pod template to
  // Unknown/Observing, refreshes the annotation's generation. Returns workloads checked.
  size_t CheckDirty();
  // Blocks until a workload event arrives, `timeout` passes, or Stop().
  bool WaitForDirty(std::chrono::nanoseconds timeout);
  void Stop();

  // For probes and tests.
  std::optional<reconcile::Verdict> VerdictOf(const WorkloadKey& key) const;
  size_t workload_count() const;

 private:
  struct Runtime {
    uint64_t template_hash = 0;
    int64_t epoch_generation = 0;     // generation the current template was judged under
    int64_t template_generation = 0;  // generation the template was first seen at; 0: before us
    MonotonicTime observing_since{0};
    reconcile::Verdict verdict;
    bool warm = false;  // verdict read back from the object, not judged by us yet
    bool in_scope = false;
    WriteMemory memory;
  };
  struct AgentState {
    uint64_t cursor = 0;
    std::string boot_id;
    std::optional<std::chrono::nanoseconds> offset;  // controller time - agent time
    uint64_t failures = 0;                           // consecutive
  };
  struct PendingWrite {
    WorkloadKey key;
    std::string uid;
    std::string base_version;  // the object the plan was made from
    int64_t generation = 0;    // its metadata.generation
    WritePlan plan;
  };

  void StartObserving(Runtime& runtime, const Workload& workload, MonotonicTime now);
  // `judged` receives (pod uid, container id) of every series put in the observation.
  reconcile::WorkloadObservation Observe(
      const Workload& workload, const Runtime& runtime, MonotonicTime now,
      std::vector<std::pair<std::string, std::string>>* judged) const;
  void Adopt(Runtime& runtime, reconcile::Verdict verdict, MonotonicTime now);
  std::optional<PendingWrite> Plan(const Workload& workload, Runtime& runtime,
                                   MonotonicTime now) const;
  void Execute(std::vector<PendingWrite>& writes);
  void Withdraw(const PendingWrite& write);

  const ControllerOptions options_;
  Clock& clock_;
  Judge& judge_;
  StatusWriter& writer_;
  EventSink& events_;
  const Leadership& leadership_;
  Metrics& metrics_;
  Logger& log_;
  const MonotonicTime started_;

  mutable std::mutex mu_;
  std::condition_variable dirty_cv_;
  bool stopped_ = false;
  WorkloadStore store_;
  SeriesStore series_;
  std::map<WorkloadKey, Runtime> runtimes_;
  std::set<WorkloadKey> dirty_;
  std::unordered_map<std::string, AgentState> agents_;  // by agent pod uid
  bool was_leader_ = false;
  MonotonicTime leader_since_{0};

  std::mutex cycle_mu_;  // one pass or check at a time, writes included
};

}  // namespace gt::controller
