#include "kube/leader_election.h"

namespace gt::kube {
namespace {

int Seconds(Duration d) {
  return static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(d).count());
}

std::optional<WallTime> TimeField(const Json& spec, const char* key) {
  const auto it = spec.find(key);
  if (it == spec.end() || !it->is_string()) return std::nullopt;
  return ParseTime(it->get<std::string>());
}

void WriteSpec(Json& lease, const LeaderElectionRecord& r) {
  if (!lease.contains("spec") || !lease["spec"].is_object()) lease["spec"] = Json::object();
  Json& spec = lease["spec"];
  spec["holderIdentity"] = r.holder_identity;
  spec["leaseDurationSeconds"] = r.lease_duration_seconds;
  spec["leaseTransitions"] = r.leader_transitions;
  if (r.acquire_time) spec["acquireTime"] = FormatMicroTime(*r.acquire_time);
  if (r.renew_time) spec["renewTime"] = FormatMicroTime(*r.renew_time);
}

}  // namespace

KubeLeaseLock::KubeLeaseLock(KubeClient& client, std::string ns, std::string name)
    : client_(client), ns_(std::move(ns)), name_(std::move(name)) {}

Result<std::optional<LeaderElectionRecord>> KubeLeaseLock::Get() {
  const std::string path = "/apis/coordination.k8s.io/v1/namespaces/" + ns_ + "/leases/" + name_;
  auto r = client_.Get(path);
  if (!r) return r.error();
  if (r->not_found()) return std::optional<LeaderElectionRecord>();
  if (!r->ok()) return ToError(*r, path);
  if (!r->body.is_object()) return MakeError(ErrorCode::kMalformed, "lease is not an object", path);
  LeaderElectionRecord rec;
  const Json& spec = ObjectField(r->body, "spec");
  {
    rec.holder_identity = StringField(spec, "holderIdentity");
    rec.lease_duration_seconds = static_cast<int>(IntField(spec, "leaseDurationSeconds"));
    rec.leader_transitions = static_cast<int>(IntField(spec, "leaseTransitions"));
    rec.acquire_time = TimeField(spec, "acquireTime");
    rec.renew_time = TimeField(spec, "renewTime");
  }
  std::lock_guard lock(mu_);
  last_ = std::move(r->body);
  return std::optional<LeaderElectionRecord>(rec);
}

Status KubeLeaseLock::Create(const LeaderElectionRecord& record) {
  const std::string path = "/apis/coordination.k8s.io/v1/namespaces/" + ns_ + "/leases";
  Json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                {"kind", "Lease"},
                {"metadata", {{"name", name_}, {"namespace", ns_}}}};
  WriteSpec(lease, record);
  auto r = client_.Create(path, lease);
  if (!r) return r.error();
  if (!r->ok()) return ToError(*r, path);
  std::lock_guard lock(mu_);
  last_ = std::move(r->body);
  return OkStatus();
}

Status KubeLeaseLock::Update(const LeaderElectionRecord& record) {
  const std::string path = "/apis/coordination.k8s.io/v1/namespaces/" + ns_ + "/leases/" + name_;
  Json lease;
  {
    std::lock_guard lock(mu_);
    if (!last_.is_object()) {
      return MakeError(ErrorCode::kInvalid, "lease not initialized, call Get or Create first",
                       path);
    }
    lease = last_;  // keeps metadata.resourceVersion: the write is conditional on it
  }
  WriteSpec(lease, record);
  auto r = client_.Update(path, lease);
  if (!r) return r.error();
  if (!r->ok()) return ToError(*r, path);  // 409: someone else wrote first
  std::lock_guard lock(mu_);
  last_ = std::move(r->body);
  return OkStatus();
}

Status ValidateLeaderElectionConfig(const LeaderElectionConfig& c) {
  // The same rules as client-go's NewLeaderElector.
  if (c.identity.empty())
    return MakeError(ErrorCode::kInvalid, "leader election identity is empty");
  if (c.lease_duration <= c.renew_deadline) {
    return MakeError(ErrorCode::kInvalid, "leaseDuration must be greater than renewDeadline");
  }
  if (c.renew_deadline <=
      Duration(static_cast<Duration::rep>(1.2 * static_cast<double>(c.retry_period.count())))) {
    return MakeError(ErrorCode::kInvalid, "renewDeadline must be greater than retryPeriod*1.2");
  }
  if (c.lease_duration.count() < 1 || c.renew_deadline.count() < 1 || c.retry_period.count() < 1) {
    return MakeError(ErrorCode::kInvalid, "leader election durations must be positive");
  }
  return OkStatus();
}

LeaderElector::LeaderElector(LeaseLock& lock, Clock& clock, LeaderElectionConfig config,
                             Uniform rand, StopSleeper sleep)
    : lock_(lock),
      clock_(clock),
      config_(std::move(config)),
      rand_(std::move(rand)),
      sleep_(std::move(sleep)) {}

bool LeaderElector::IsLeader() const {
  std::lock_guard lock(mu_);
  return observed_.holder_identity == config_.identity && written_at_ &&
         clock_.Monotonic() - *written_at_ < config_.renew_deadline;
}

std::string LeaderElector::GetLeader() const {
  std::lock_guard lock(mu_);
  return observed_.holder_identity;
}

void LeaderElector::Observe(const LeaderElectionRecord& record) {
  std::string changed;
  {
    std::lock_guard lock(mu_);
    observed_ = record;
    observed_time_ = clock_.Monotonic();
    written_at_ = observed_time_;  // only called after our own successful write
    if (record.holder_identity != reported_leader_) {
      reported_leader_ = record.holder_identity;
      changed = record.holder_identity;
    }
  }
  if (!changed.empty() && config_.on_new_leader) config_.on_new_leader(changed);
}

bool LeaderElector::Failed(const Error& error) const {
  if (config_.on_error) config_.on_error(error);
  return false;
}

bool LeaderElector::TryAcquireOrRenew() {
  const WallTime now = clock_.Wall();
  LeaderElectionRecord desired;
  desired.holder_identity = config_.identity;
  desired.lease_duration_seconds = Seconds(config_.lease_duration);
  desired.acquire_time = now;
  desired.renew_time = now;

  auto current = lock_.Get();
  if (!current) return Failed(current.error());
  if (!current->has_value()) {
    if (Status st = lock_.Create(desired); !st) return Failed(st.error());
    Observe(desired);
    return true;
  }
  const LeaderElectionRecord& old = **current;
  bool held_by_us;
  {
    std::lock_guard lock(mu_);
    if (!(old == observed_)) {
      observed_ = old;
      observed_time_ = clock_.Monotonic();
    }
    held_by_us = old.holder_identity == config_.identity;
    const bool still_valid =
        observed_time_ + std::chrono::seconds(old.lease_duration_seconds) > clock_.Monotonic();
    if (!old.holder_identity.empty() && still_valid && !held_by_us) return false;
  }
  if (held_by_us) {
    desired.acquire_time = old.acquire_time;
    desired.leader_transitions = old.leader_transitions;
  } else {
    desired.leader_transitions = old.leader_transitions + 1;
  }
  if (Status st = lock_.Update(desired); !st) return Failed(st.error());
  Observe(desired);
  return true;
}

bool LeaderElector::Release() {
  {
    std::lock_guard lock(mu_);
    if (observed_.holder_identity != config_.identity) return true;
  }
  LeaderElectionRecord released;
  {
    std::lock_guard lock(mu_);
    released.leader_transitions = observed_.leader_transitions;
  }
  const WallTime now = clock_.Wall();
  released.lease_duration_seconds = 1;
  released.acquire_time = now;
  released.renew_time = now;
  if (Status st = lock_.Update(released); !st) return Failed(st.error());
  Observe(released);
  return true;
}

void LeaderElector::Run(std::stop_token stop) {
  // Acquire: wait.JitterUntil(retryPeriod, 1.2).
  while (!stop.stop_requested() && !TryAcquireOrRenew()) {
    sleep_(Jitter(config_.retry_period, 1.2, rand_), stop);
  }
  if (stop.stop_requested()) {
    // client-go defers OnStoppedLeading at the top of Run: it fires even when we never led.
    if (config_.on_stopped_leading) config_.on_stopped_leading();
    return;
  }
  if (config_.on_started_leading) config_.on_started_leading();
  // Renew every retryPeriod; give up when no renewal succeeded within renewDeadline.
  while (!stop.stop_requested()) {
    const MonotonicTime deadline = clock_.Monotonic() + config_.renew_deadline;
    bool renewed = false;
    while (!stop.stop_requested() && clock_.Monotonic() < deadline) {
      if (TryAcquireOrRenew()) {
        renewed = true;
        break;
      }
      sleep_(config_.retry_period, stop);
    }
    if (!renewed) break;
    sleep_(config_.retry_period, stop);
  }
  if (stop.stop_requested() && config_.release_on_cancel) Release();
  {
    // Whatever happened, we no longer act as leader.
    std::lock_guard lock(mu_);
    if (observed_.holder_identity == config_.identity) observed_.holder_identity.clear();
  }
  if (config_.on_stopped_leading) config_.on_stopped_leading();
}

}  // namespace gt::kube
