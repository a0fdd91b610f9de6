// The controller's own Prometheus metrics (text exposition format 0.0.4).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/exposition.h"
#include "contract/workload.h"

namespace gt::controller {

// One workload's verdict as /metrics shows it: one series per workload for its condition,
// and the worst figure per (rule, signal) behind it.
struct VerdictFigure {
  std::string rule;    // the reason the figure speaks for, e.g. "MemoryThrashing"
  std::string signal;  // e.g. "memory PSI some"
  double value = 0;
  double threshold = 0;
};
struct WorkloadVerdictMetric {
  std::string status;  // "True" | "False" | "Unknown"
  std::string reason;
  std::vector<VerdictFigure> figures;
};
using WorkloadVerdicts = std::map<contract::WorkloadKey, WorkloadVerdictMetric>;

class Metrics {
 public:
  // Where process_* metrics are read from (a test points it at files it writes).
  explicit Metrics(ProcSource proc = {}) : proc_(std::move(proc)) {}

  void PassDone(std::chrono::nanoseconds duration);
  // what: "condition" | "annotation" | "withdrawal"; result: "ok" | "error" | "conflict" (a
  // precondition that no longer held: routine, planned again, not an error).
  void WriteDone(std::string_view what, std::string_view result);
  void WriteDone(std::string_view what, bool ok) {
    WriteDone(what, std::string_view(ok ? "ok" : "error"));
  }
  // One agent scrape: its node, whether it succeeded, and how long it took.
  void ScrapeDone(const std::string& node, bool ok,
                  std::chrono::nanoseconds duration = std::chrono::nanoseconds(-1));
  // The nodes whose agents are scraped now: the error series of any other node (its agent
  // gone, the node scaled away) are dropped, so node churn does not grow /metrics.
  void RetainScrapeNodes(const std::set<std::string>& nodes);
  void WatchEvent() { watch_events_.fetch_add(1, std::memory_order_relaxed); }
  void EventEmitted(bool ok);
  void SetWorkloads(uint64_t true_count, uint64_t false_count, uint64_t unknown_count);
  // The verdicts of every workload in scope after a pass, replacing the previous set: a
  // workload whose status or reason changed has its old series replaced, one that left scope
  // or was deleted has its series removed. Only the leader's verdicts are shown (a standby
  // passes an empty set), so each workload has one series across replicas.
  void SetVerdicts(WorkloadVerdicts verdicts);
  void SetLeader(bool leader) { leader_.store(leader ? 1 : 0); }
  // Our client certificate for the agents: when it expires, how many rotations on disk were
  // picked up, and whether the latest change on disk fails to load (the old files stay in use).
  void SetTlsCertificate(std::chrono::system_clock::time_point not_after, uint64_t reloads,
                         bool reload_failing);

  uint64_t writes() const;  // successful applies, both kinds
  uint64_t passes() const { return passes_.load(); }
  uint64_t watch_events() const { return watch_events_.load(); }

  std::string Render() const;

 private:
  ProcSource proc_;
  mutable std::mutex mu_;
  std::atomic<uint64_t> passes_{0};
  std::atomic<uint64_t> watch_events_{0};
  std::atomic<int> leader_{0};
  DurationHistogram pass_seconds_{
      {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}};
  DurationHistogram scrape_seconds_{{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}};
  double pass_seconds_last_ = 0;
  WorkloadVerdicts verdicts_;
  std::map<std::pair<std::string, std::string>, uint64_t> writes_;  // (what, result)
  std::map<std::string, uint64_t> scrape_errors_;                   // by agent node
  uint64_t scrapes_ok_ = 0;
  uint64_t events_ok_ = 0, events_failed_ = 0;
  uint64_t workloads_true_ = 0, workloads_false_ = 0, workloads_unknown_ = 0;
  double tls_not_after_seconds_ = 0;
  uint64_t tls_reloads_ = 0;
  bool tls_reload_failing_ = false;
};

}  // namespace gt::controller
