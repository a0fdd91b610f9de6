// Lease-based leader election with client-go's semantics (tools/leaderelection): a lease
// held by someone else is respected until leaseDuration has passed since *we* last saw it
// change (local observation, so clock skew between replicas does not matter); writes are
// conditional on resourceVersion.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "kube/backoff.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "kube/time_format.h"

namespace gt::kube {

struct LeaderElectionRecord {
  std::string holder_identity;
  int lease_duration_seconds = 0;
  std::optional<WallTime> acquire_time;
  std::optional<WallTime> renew_time;
  int leader_transitions = 0;
  bool operator==(const LeaderElectionRecord&) const = default;
};

// Storage for the record. Update is conditional on the version the last Get returned;
// losing that race is an Error (the caller retries on its next period).
class LeaseLock {
 public:
  virtual ~LeaseLock() = default;
  virtual Result<std::optional<LeaderElectionRecord>> Get() = 0;  // nullopt: no lease yet
  virtual Status Create(const LeaderElectionRecord& record) = 0;
  virtual Status Update(const LeaderElectionRecord& record) = 0;
  virtual std::string Describe() const = 0;
};

// coordination.k8s.io/v1 Lease NAMESPACE/NAME.
class KubeLeaseLock final : public LeaseLock {
 public:
  KubeLeaseLock(KubeClient& client, std::string ns, std::string name);
  Result<std::optional<LeaderElectionRecord>> Get() override;
  Status Create(const LeaderElectionRecord& record) override;
  Status Update(const LeaderElectionRecord& record) override;
  std::string Describe() const override { return ns_ + "/" + name_; }

 private:
  KubeClient& client_;
  std::string ns_, name_;
  std::mutex mu_;
  Json last_;  // the Lease as last read: carries the resourceVersion an Update is conditional on
};

struct LeaderElectionConfig {
  std::string identity;  // unique per replica: pod name + random suffix
  Duration lease_duration{std::chrono::seconds(15)};
  Duration renew_deadline{std::chrono::seconds(10)};
  Duration retry_period{std::chrono::seconds(2)};
  bool release_on_cancel = true;
  // Called on the elector's thread; must return promptly (start work elsewhere).
  std::function<void()> on_started_leading;
  std::function<void()> on_stopped_leading;
  std::function<void(const std::string& identity)> on_new_leader;
  // Told of failed reads and writes of the lease (client-go logs them), for the caller's log.
  std::function<void(const Error&)> on_error;
};

Status ValidateLeaderElectionConfig(const LeaderElectionConfig& config);

class LeaderElector {
 public:
  LeaderElector(LeaseLock& lock, Clock& clock, LeaderElectionConfig config,
                Uniform rand = DefaultUniform(), StopSleeper sleep = RealStopSleeper());

  // Acquires (retrying every retryPeriod, jittered), leads and renews until a renewal fails
  // for renewDeadline or `stop` is requested; releases the lease on stop; returns after
  // on_stopped_leading (called on every return, as in client-go, even if we never led).
  // Like client-go, a lost leadership is not re-contested: restart the process.
  void Run(std::stop_token stop);

  // One attempt; true when we hold the lease afterwards. Exposed for the state machine tests.
  bool TryAcquireOrRenew();
  // Gives the lease up (holder "", duration 1 s) if we hold it.
  bool Release();

  // True while we hold the lease and our last successful write is younger than
  // renewDeadline. The second condition is stricter than client-go (which trusts the record
  // until its renew loop gives up): a renewal stuck in a slow request must not leave us
  // acting as leader after the lease may have passed to another replica.
  bool IsLeader() const;
  std::string GetLeader() const;

 private:
  void Observe(const LeaderElectionRecord& record);
  bool Failed(const Error& error) const;  // reports, returns false

  LeaseLock& lock_;
  Clock& clock_;
  LeaderElectionConfig config_;
  Uniform rand_;
  StopSleeper sleep_;
  mutable std::mutex mu_;
  LeaderElectionRecord observed_;
  MonotonicTime observed_time_{};
  std::optional<MonotonicTime> written_at_;  // our last successful Create/Update
  std::string reported_leader_;
};

}  // namespace gt::kube
