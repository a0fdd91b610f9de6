// The controller core's narrow view of the outside world. Real implementations adapt
// kube/ and wire/ (controller/kube_adapters.h, controller/agent_client.h); tests use fakes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/reading.h"
#include "common/result.h"
#include "controller/model.h"
#include "reconcile/observation.h"
#include "reconcile/verdict.h"
#include "wire/samples.h"

namespace gt::controller {

// One agent to scrape: the agent pod on `node`, reached at `endpoint` ("ip:port").
struct AgentTarget {
  std::string node;
  std::string agent_uid;  // a new agent pod is a new process: its cursor starts over
  std::string endpoint;
};

class AgentClient {
 public:
  virtual ~AgentClient() = default;
  // GET /v1/samples?since=<since>. Must return within its own timeout; a refused
  // certificate, a hang or garbage is an Error, never an exception.
  virtual Result<wire::SamplesResponse> Fetch(const AgentTarget& agent, uint64_t since) = 0;
};

// What an object is after one of our writes.
struct Applied {
  std::string resource_version;
  int64_t generation = 0;
};

// Writes through server-side apply with field manager "groundtruth". Called only by the
// leader, and never with the controller's lock held.
class StatusWriter {
 public:
  virtual ~StatusWriter() = default;
  virtual Result<Applied> ApplyCondition(const WorkloadKey& key, std::string_view uid,
                                         const Condition& condition) = 0;
  // Applied only while the object is still at `resource_version` (else kConflict): the
  // mirror names a generation, and on a Deployment the write itself moves it by one.
  virtual Result<Applied> ApplyAnnotation(const WorkloadKey& key, std::string_view uid,
                                          std::string_view value,
                                          std::string_view resource_version) = 0;
  // Removes our condition and our annotation (applies that own neither).
  virtual Status Withdraw(const WorkloadKey& key, std::string_view uid) = 0;
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void Emit(const EventRecord& event) = 0;  // best effort: a lost Event is logged
};

class Leadership {
 public:
  virtual ~Leadership() = default;
  virtual bool IsLeader() const = 0;
};

class AlwaysLeader final : public Leadership {
 public:
  bool IsLeader() const override { return true; }
};

// Turns one workload's observation into a verdict. Keeps the per-workload judge state
// (sustained windows, hysteresis) itself, keyed by workload.
class Judge {
 public:
  virtual ~Judge() = default;
  // `overrides`: the workload's groundtruth.dev/<rule>.<parameter> annotations.
  virtual reconcile::Verdict Evaluate(const WorkloadKey& key,
                                      const reconcile::WorkloadObservation& observation,
                                      const std::map<std::string, std::string>& overrides,
                                      MonotonicTime now) = 0;
  // A new pod template or a deleted workload: start over.
  virtual void Forget(const WorkloadKey& key) = 0;
};

}  // namespace gt::controller
