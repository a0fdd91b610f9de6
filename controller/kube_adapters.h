// The controller's ports implemented on kube/: informers feeding the Controller, server-side
// apply, Events, and the Lease.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "controller/controller.h"
#include "controller/liveness.h"
#include "controller/log.h"
#include "controller/metrics.h"
#include "controller/ports.h"
#include "kube/client.h"
#include "kube/events.h"
#include "kube/informer.h"
#include "kube/leader_election.h"

namespace gt::controller {

class KubeStatusWriter final : public StatusWriter {
 public:
  explicit KubeStatusWriter(kube::KubeClient& client) : client_(client) {}
  Result<Applied> ApplyCondition(const WorkloadKey& key, std::string_view uid,
                                 const Condition& condition) override;
  Result<Applied> ApplyAnnotation(const WorkloadKey& key, std::string_view uid,
                                  std::string_view value,
                                  std::string_view resource_version) override;
  Status Withdraw(const WorkloadKey& key, std::string_view uid) override;

 private:
  kube::KubeClient& client_;
};

class KubeEventSink final : public EventSink {
 public:
  KubeEventSink(kube::EventRecorder& recorder, Metrics& metrics, Logger& log)
      : recorder_(recorder), metrics_(metrics), log_(log) {}
  void Emit(const EventRecord& event) override;

 private:
  kube::EventRecorder& recorder_;
  Metrics& metrics_;
  Logger& log_;
};

class ElectorLeadership final : public Leadership {
 public:
  explicit ElectorLeadership(const kube::LeaderElector& elector) : elector_(elector) {}
  bool IsLeader() const override { return elector_.IsLeader(); }

 private:
  const kube::LeaderElector& elector_;
};

struct InformerScope {
  std::string watch_namespace;  // --namespace: empty watches every namespace
  std::string agent_namespace = "groundtruth-agent";
  std::string agent_selector = "app.kubernetes.io/name=groundtruth-agent";
};

// Deployments, StatefulSets, DaemonSets, ReplicaSets, Pods and agent Pods, each on its own
// watch thread, converted (controller/convert.h) and handed to the Controller.
class Informers {
 public:
  // Each informer beats `liveness` (when given) as "informer <path>". A failure repeated
  // at every retry is logged once, then once per kRepeatLogPeriod with the count held back.
  static constexpr std::chrono::minutes kRepeatLogPeriod{5};
  Informers(kube::KubeClient& client, Clock& clock, Controller& controller, Logger& log,
            const InformerScope& scope, Liveness* liveness = nullptr);
  ~Informers();
  void Start();
  void Stop();
  void RequestStop();  // without waiting: their failures from here on are not logged
  bool HasSynced() const;

 private:
  std::vector<std::unique_ptr<RepeatFilter>> error_filters_;
  std::vector<std::unique_ptr<kube::Informer>> informers_;
};

}  // namespace gt::controller
