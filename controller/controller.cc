#include "controller/controller.h"

#include <algorithm>

#include "contract/annotation.h"
#include "controller/convert.h"

namespace gt::controller {
namespace {

using reconcile::ConditionStatus;

reconcile::Verdict ObservingVerdict(const Workload& workload) {
  reconcile::Verdict verdict;
  verdict.status = ConditionStatus::kUnknown;
  verdict.reason = std::string(reconcile::reason::kObserving);
  verdict.message = "new pod template (generation " + std::to_string(workload.generation) +
                    "): observing, no verdict yet";
  return verdict;
}

std::string ErrorText(const Error& error) { return error.ToString(); }

// The verdict as /metrics shows it: status, reason and, per (rule, signal), the worst figure
// over the workload's containers (one series each, however many pods).
WorkloadVerdictMetric VerdictMetric(const reconcile::Verdict& verdict) {
  WorkloadVerdictMetric metric{std::string(contract::ToString(verdict.status)), verdict.reason, {}};
  for (const reconcile::Evidence& evidence : verdict.evidence) {
    auto same = std::find_if(metric.figures.begin(), metric.figures.end(), [&](const auto& f) {
      return f.rule == evidence.reason && f.signal == evidence.signal;
    });
    if (same == metric.figures.end()) {
      metric.figures.push_back(
          {evidence.reason, evidence.signal, evidence.value, evidence.threshold});
    } else if (evidence.value > same->value) {
      same->value = evidence.value;
      same->threshold = evidence.threshold;
    }
  }
  return metric;
}

}  // namespace

Controller::Controller(ControllerOptions options, Clock& clock, Judge& judge, StatusWriter& writer,
                       EventSink& events, const Leadership& leadership, Metrics& metrics,
                       Logger& log)
    : options_(options),
      clock_(clock),
      judge_(judge),
      writer_(writer),
      events_(events),
      leadership_(leadership),
      metrics_(metrics),
      log_(log),
      started_(clock.Monotonic()),
      series_(options.series) {}

void Controller::StartObserving(Runtime& runtime, const Workload& workload, MonotonicTime now) {
  runtime.template_hash = workload.template_hash;
  runtime.epoch_generation = workload.generation;
  runtime.observing_since = now;
  runtime.verdict = ObservingVerdict(workload);
  runtime.warm = false;
}

void Controller::UpsertWorkload(Workload workload) {
  metrics_.WatchEvent();
  MonotonicTime now = clock_.Monotonic();
  std::lock_guard lock(mu_);
  auto [it, created] = runtimes_.try_emplace(workload.key);
  Runtime& runtime = it->second;
  const bool in_scope = InScope(workload, options_.scope);
  if (created) {
    StartObserving(runtime, workload, now);
    runtime.template_generation = 0;  // the template predates this controller
    // Warm start: the verdict on the object stands until this controller has its own, so
    // a restart neither flaps the condition nor moves lastTransitionTime. Only when the
    // annotation vouches that it is about this very generation.
    auto annotation = contract::ParseVerdictAnnotation(workload.verdict_annotation);
    if (workload.condition && annotation && annotation->generation == workload.generation &&
        annotation->status == workload.condition->status &&
        annotation->reason == workload.condition->reason) {
      runtime.verdict.status = workload.condition->status;
      runtime.verdict.reason = workload.condition->reason;
      runtime.verdict.message = workload.condition->message;
      runtime.warm = true;
    }
  } else if (workload.template_hash != runtime.template_hash) {
    // A new pod template: the verdict about the previous one must not stand a moment longer.
    StartObserving(runtime, workload, now);
    runtime.template_generation = workload.generation;
    judge_.Forget(workload.key);
    log_.Info("new pod template: observing", {{"workload", workload.key.ToString()},
                                              {"generation", std::to_string(workload.generation)}});
  } else if (in_scope && !runtime.in_scope) {
    // Back in scope: what was judged before it left (frozen since, with a gap where its
    // readings stopped) says nothing about now.
    StartObserving(runtime, workload, now);
    judge_.Forget(workload.key);
  }
  if (runtime.in_scope && !in_scope) {
    judge_.Forget(workload.key);       // not judged while out: free what its windows held
    runtime.memory.withdrawn = false;  // ours to withdraw once, on each departure
  }
  runtime.in_scope = in_scope;
  dirty_.insert(workload.key);
  store_.UpsertWorkload(std::move(workload));
  dirty_cv_.notify_all();
}

void Controller::DeleteWorkload(const WorkloadKey& key) {
  metrics_.WatchEvent();
  std::lock_guard lock(mu_);
  store_.DeleteWorkload(key);
  runtimes_.erase(key);
  dirty_.erase(key);
  judge_.Forget(key);
}

void Controller::UpsertReplicaSet(ReplicaSet replica_set) {
  metrics_.WatchEvent();
  std::lock_guard lock(mu_);
  store_.UpsertReplicaSet(std::move(replica_set));
}

void Controller::DeleteReplicaSet(const std::string& uid) {
  metrics_.WatchEvent();
  std::lock_guard lock(mu_);
  store_.DeleteReplicaSet(uid);
}

void Controller::UpsertPod(Pod pod) {
  metrics_.WatchEvent();
  MonotonicTime now = clock_.Monotonic();
  std::lock_guard lock(mu_);
  store_.UpsertPod(std::move(pod), now);
}

void Controller::DeletePod(const std::string& uid) {
  metrics_.WatchEvent();
  std::lock_guard lock(mu_);
  store_.DeletePod(uid);
  series_.ForgetPod(uid);
}

void Controller::UpsertAgent(AgentPod agent) {
  metrics_.WatchEvent();
  std::lock_guard lock(mu_);
  store_.UpsertAgent(std::move(agent));
}

void Controller::DeleteAgent(const std::string& uid) {
  metrics_.WatchEvent();
  std::lock_guard lock(mu_);
  store_.DeleteAgent(uid);
  agents_.erase(uid);
}

std::vector<ScrapeRequest> Controller::PlanScrapes() const {
  std::lock_guard lock(mu_);
  std::vector<ScrapeRequest> out;
  std::set<std::string> nodes;
  for (AgentTarget& target : store_.AgentTargets(options_.agent_port)) {
    auto it = agents_.find(target.agent_uid);
    uint64_t since = it == agents_.end() ? 0 : it->second.cursor;
    nodes.insert(target.node);
    out.push_back(ScrapeRequest{std::move(target), since});
  }
  metrics_.RetainScrapeNodes(nodes);
  return out;
}

void Controller::IngestScrape(const ScrapeRequest& request, Result<wire::SamplesResponse> response,
                              std::chrono::nanoseconds took) {
  MonotonicTime now = clock_.Monotonic();
  const AgentTarget& target = request.target;
  metrics_.ScrapeDone(target.node, response.has_value(), took);
  std::lock_guard lock(mu_);
  AgentState& agent = agents_[target.agent_uid];
  if (!response) {
    // Missing readings age out into NoData in the Judge; they never become a violation.
    ++agent.failures;
    if (agent.failures == 1 || agent.failures % 30 == 0) {
      log_.Warn("agent scrape failed; its node's readings are missing",
                {{"node", target.node},
                 {"agent", target.endpoint},
                 {"failures", std::to_string(agent.failures)},
                 {"error", ErrorText(response.error())}});
    }
    return;
  }
  if (agent.failures > 0) {
    log_.Info("agent scrape recovered", {{"node", target.node}, {"agent", target.endpoint}});
  }
  agent.failures = 0;
  wire::SamplesResponse& samples = *response;
  if (samples.node.boot_id != agent.boot_id) {
    agent.boot_id = samples.node.boot_id;
    agent.offset.reset();  // a new boot: a new monotonic clock
  }
  // The agent restarted (its sequence starts over, or our cursor is from its previous
  // run): ask from the beginning next time.
  bool restarted = samples.cursor < request.since || (samples.truncated && samples.samples.empty());
  agent.cursor = restarted ? 0 : samples.cursor;
  if (samples.samples.empty()) return;

  // Readings carry the node's CLOCK_MONOTONIC; the Judge compares them with ours. The
  // smallest (our now - their newest) seen is the closest bound on the offset: a sample
  // is never younger than zero.
  std::chrono::nanoseconds candidate = now - samples.samples.back().monotonic;
  if (!agent.offset || candidate < *agent.offset) agent.offset = candidate;
  const std::chrono::nanoseconds offset = *agent.offset;

  for (wire::Sample& sample : samples.samples) {
    NodeReading node = sample.node;
    node.time = sample.monotonic + offset;
    series_.AppendNode(target.node, node);
    for (wire::PodSample& pod : sample.pods) {
      if (store_.FindPod(pod.uid) == nullptr) continue;  // not a pod we judge
      for (wire::ContainerSample& container : pod.containers) {
        CgroupReading reading = std::move(container.reading);
        reading.time = (reading.time.count() != 0 ? reading.time : sample.monotonic) + offset;
        series_.Append(pod.uid, container.id, reading);
      }
    }
  }
}

reconcile::WorkloadObservation Controller::Observe(
    const Workload& workload, const Runtime& runtime, MonotonicTime now,
    std::vector<std::pair<std::string, std::string>>* judged) const {
  reconcile::WorkloadObservation observation;
  observation.generation = runtime.epoch_generation;
  observation.observing_since = runtime.observing_since;
  std::set<std::string> nodes;
  for (const Pod* pod : store_.CurrentPods(workload, runtime.template_generation)) {
    for (const ContainerSpec& spec : pod->containers) {
      auto state = std::find_if(pod->statuses.begin(), pod->statuses.end(),
                                [&](const ContainerState& s) { return s.name == spec.name; });
      if (state == pod->statuses.end() || state->id.empty()) continue;  // not created yet
      std::optional<std::vector<CgroupReading>> readings = series_.Find(pod->uid, state->id);
      // Scraped before but nothing new since the last pass: still passed (without
      // readings), so the judge keeps judging from the readings it holds until they age out.
      bool never_scraped = !readings;
      if (never_scraped && now - state->id_seen_at < options_.new_container_grace) continue;
      reconcile::ContainerObservation container;
      container.container = spec.name;
      container.pod = pod->name;
      container.node = pod->node;
      container.declared = spec.declared;
      container.host_network = pod->host_network;
      if (!never_scraped) {
        container.readings = std::move(*readings);
        judged->emplace_back(pod->uid, state->id);
      }
      observation.containers.push_back(std::move(container));
      nodes.insert(pod->node);
    }
  }
  for (const std::string& node : nodes) {
    const std::vector<NodeReading>* readings = series_.FindNode(node);
    if (readings != nullptr) observation.nodes.emplace(node, *readings);
  }
  return observation;
}

void Controller::Adopt(Runtime& runtime, reconcile::Verdict verdict, MonotonicTime now) {
  if (runtime.warm) {
    // Keep the verdict read back from the object until we have one of our own.
    if (verdict.reason == reconcile::reason::kObserving) return;
    if (verdict.reason == reconcile::reason::kNoData && now - started_ < options_.startup_grace) {
      return;
    }
    runtime.warm = false;
  }
  runtime.verdict = std::move(verdict);
}

std::optional<Controller::PendingWrite> Controller::Plan(const Workload& workload, Runtime& runtime,
                                                         MonotonicTime now) const {
  WritePlan plan;
  if (runtime.in_scope) {
    Desired desired{runtime.verdict.status, runtime.verdict.reason, runtime.verdict.message,
                    workload.generation};
    plan = PlanWrite(desired, workload, runtime.memory,
                     WriteTiming{clock_.Wall(), now, options_.settle});
  } else {
    plan = PlanWithdrawal(workload, runtime.memory);
  }
  if (plan.empty()) return std::nullopt;
  return PendingWrite{workload.key, workload.uid, workload.resource_version, workload.generation,
                      std::move(plan)};
}

PassStats Controller::RunPass() {
  std::lock_guard cycle(cycle_mu_);
  auto started = clock_.Monotonic();
  PassStats stats;
  std::vector<PendingWrite> writes;
  WorkloadVerdicts verdicts;
  bool leader = leadership_.IsLeader();
  {
    std::lock_guard lock(mu_);
    MonotonicTime now = clock_.Monotonic();
    series_.Prune(now);
    std::vector<std::pair<std::string, std::string>> judged;
    std::set<std::string> judged_nodes;
    for (const auto& [key, workload] : store_.workloads()) {
      auto it = runtimes_.find(key);
      if (it == runtimes_.end()) continue;
      Runtime& runtime = it->second;
      if (!runtime.in_scope) {
        if (leader) {
          if (auto pending = Plan(workload, runtime, now)) writes.push_back(std::move(*pending));
        }
        continue;
      }
      judged.clear();
      reconcile::WorkloadObservation observation = Observe(workload, runtime, now, &judged);
      Adopt(runtime, judge_.Evaluate(key, observation, workload.overrides, now), now);
      for (const auto& [pod_uid, container_id] : judged) series_.DropJudged(pod_uid, container_id);
      for (const auto& [node, readings] : observation.nodes) judged_nodes.insert(node);
      ++stats.judged;
      switch (runtime.verdict.status) {
        case ConditionStatus::kTrue:
          ++stats.true_count;
          break;
        case ConditionStatus::kFalse:
          ++stats.false_count;
          break;
        case ConditionStatus::kUnknown:
          ++stats.unknown_count;
          break;
      }
      if (leader) {
        verdicts.emplace(key, VerdictMetric(runtime.verdict));
        if (auto pending = Plan(workload, runtime, now)) writes.push_back(std::move(*pending));
      }
    }
    // Node readings serve every workload on the node: cut back once all have been judged.
    for (const std::string& node : judged_nodes) series_.KeepNewestNode(node);
    dirty_.clear();
  }
  stats.planned_writes = writes.size();
  Execute(writes);
  metrics_.SetWorkloads(stats.true_count, stats.false_count, stats.unknown_count);
  metrics_.SetVerdicts(std::move(verdicts));
  metrics_.PassDone(clock_.Monotonic() - started);
  return stats;
}

size_t Controller::CheckDirty() {
  std::lock_guard cycle(cycle_mu_);
  std::vector<PendingWrite> writes;
  size_t checked = 0;
  bool leader = leadership_.IsLeader();
  {
    std::lock_guard lock(mu_);
    if (leader != was_leader_) {
      was_leader_ = leader;
      metrics_.SetLeader(leader);
      log_.Info(leader ? "leading: writing conditions" : "not leading: judging only");
      // Whatever the previous leader left, or failed to write, is checked now.
      if (leader) {
        for (const auto& [key, workload] : store_.workloads()) dirty_.insert(key);
      }
    }
    MonotonicTime now = clock_.Monotonic();
    for (const WorkloadKey& key : dirty_) {
      const Workload* workload = store_.FindWorkload(key);
      auto it = runtimes_.find(key);
      if (workload == nullptr || it == runtimes_.end()) continue;
      checked += it->second.in_scope;
      if (leader) {
        if (auto pending = Plan(*workload, it->second, now)) writes.push_back(std::move(*pending));
      }
    }
    dirty_.clear();
  }
  Execute(writes);
  return checked;
}

void Controller::Execute(std::vector<PendingWrite>& writes) {
  for (PendingWrite& write : writes) {
    if (write.plan.withdraw) {
      Withdraw(write);
      continue;
    }
    // The annotation is applied only on the object the plan was made from: it names a
    // generation, and on a Deployment the write itself adds one. Our condition write moves
    // the resourceVersion but not the generation, so its result is that object too.
    std::string object_version = write.base_version;
    bool object_moved = false;
    bool condition_ok = false;
    if (write.plan.condition) {
      auto result = writer_.ApplyCondition(write.key, write.uid, *write.plan.condition);
      metrics_.WriteDone("condition", result.has_value());
      if (result) {
        condition_ok = true;
        object_version = result->resource_version;
        object_moved = result->generation != write.generation;
        log_.Info("condition written",
                  {{"workload", write.key.ToString()},
                   {"status", std::string(contract::ToString(write.plan.condition->status))},
                   {"reason", write.plan.condition->reason},
                   {"message", write.plan.condition->message}});
        std::lock_guard lock(mu_);
        if (auto it = runtimes_.find(write.key); it != runtimes_.end()) {
          WriteMemory& memory = it->second.memory;
          memory.condition = *write.plan.condition;
          memory.condition_base_version = write.base_version;
          memory.condition_written_at = clock_.Monotonic();
        }
      } else {
        log_.Warn("condition write failed; retried on the next pass",
                  {{"workload", write.key.ToString()}, {"error", ErrorText(result.error())}});
      }
    }
    // Someone wrote the workload after the pass read it: normal, and the informer is about
    // to bring the new object, from which the annotation is planned again.
    auto replanned = [&] {
      log_.Info("workload changed since the pass; its annotation is planned again",
                {{"workload", write.key.ToString()}});
    };
    if (write.plan.annotation && object_moved) {
      replanned();
    } else if (write.plan.annotation) {
      auto result =
          writer_.ApplyAnnotation(write.key, write.uid, *write.plan.annotation, object_version);
      bool conflict = !result && result.error().code == ErrorCode::kConflict;
      metrics_.WriteDone("annotation", std::string_view(result     ? "ok"
                                                        : conflict ? "conflict"
                                                                   : "error"));
      if (result) {
        std::lock_guard lock(mu_);
        if (auto it = runtimes_.find(write.key); it != runtimes_.end()) {
          WriteMemory& memory = it->second.memory;
          memory.annotation = *write.plan.annotation;
          memory.annotation_base_versions = {write.base_version};
          if (object_version != write.base_version) {
            memory.annotation_base_versions.push_back(object_version);
          }
          memory.annotation_written_at = clock_.Monotonic();
        }
      } else if (conflict) {
        replanned();
      } else {
        log_.Warn("annotation write failed; retried on the next pass",
                  {{"workload", write.key.ToString()}, {"error", ErrorText(result.error())}});
      }
    }
    if (write.plan.event && condition_ok) events_.Emit(*write.plan.event);
  }
}

void Controller::Withdraw(const PendingWrite& write) {
  Status withdrawn = writer_.Withdraw(write.key, write.uid);
  metrics_.WriteDone("withdrawal", withdrawn.has_value());
  if (!withdrawn) {
    log_.Warn("out of scope, but removing its condition failed; retried on the next pass",
              {{"workload", write.key.ToString()}, {"error", ErrorText(withdrawn.error())}});
    return;
  }
  log_.Info("out of scope: its condition and annotation are removed",
            {{"workload", write.key.ToString()}});
  std::lock_guard lock(mu_);
  if (auto it = runtimes_.find(write.key); it != runtimes_.end()) {
    WriteMemory& memory = it->second.memory;
    memory = WriteMemory{};  // nothing of ours is on the object any more
    memory.withdrawn = true;
  }
}

bool Controller::WaitForDirty(std::chrono::nanoseconds timeout) {
  std::unique_lock lock(mu_);
  dirty_cv_.wait_for(lock, timeout, [&] { return stopped_ || !dirty_.empty(); });
  return !dirty_.empty();
}

void Controller::Stop() {
  std::lock_guard lock(mu_);
  stopped_ = true;
  dirty_cv_.notify_all();
}

std::optional<reconcile::Verdict> Controller::VerdictOf(const WorkloadKey& key) const {
  std::lock_guard lock(mu_);
  auto it = runtimes_.find(key);
  if (it == runtimes_.end()) return std::nullopt;
  return it->second.verdict;
}

size_t Controller::workload_count() const {
  std::lock_guard lock(mu_);
  return store_.workloads().size();
}

}  // namespace gt::controller
