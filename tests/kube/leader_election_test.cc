#include "kube/leader_election.h"

#include <gtest/gtest.h>

namespace gt::kube {
namespace {

using std::chrono::seconds;

// A lease store with the API server's optimistic concurrency: an Update is refused when
// someone wrote since the caller's Get.
class FakeLeaseStore {
 public:
  std::optional<LeaderElectionRecord> record;
  int version = 0;
  int writes = 0;
};

class FakeLock final : public LeaseLock {
 public:
  explicit FakeLock(FakeLeaseStore& store) : store_(store) {}
  Result<std::optional<LeaderElectionRecord>> Get() override {
    if (fail_gets) return MakeError(ErrorCode::kUnavailable, "apiserver down");
    seen_version_ = store_.version;
    return store_.record;
  }
  Status Create(const LeaderElectionRecord& r) override {
    if (store_.record) return MakeError(ErrorCode::kInvalid, "HTTP 409 AlreadyExists");
    store_.record = r;
    ++store_.version;
    ++store_.writes;
    seen_version_ = store_.version;  // the API server answers with the new resourceVersion
    return OkStatus();
  }
  Status Update(const LeaderElectionRecord& r) override {
    if (seen_version_ != store_.version) return MakeError(ErrorCode::kInvalid, "HTTP 409 Conflict");
    store_.record = r;
    ++store_.version;
    ++store_.writes;
    seen_version_ = store_.version;  // the API server answers with the new resourceVersion
    return OkStatus();
  }
  std::string Describe() const override { return "fake"; }
  bool fail_gets = false;

 private:
  FakeLeaseStore& store_;
  int seen_version_ = -1;
};

LeaderElectionConfig Config(const std::string& id) {
  LeaderElectionConfig c;
  c.identity = id;
  return c;
}

TEST(LeaderElection, AcquireRenewAndRespectAnotherHolder) {
  FakeLeaseStore store;
  FakeClock clock;
  FakeLock lock_a(store), lock_b(store);
  LeaderElector a(lock_a, clock, Config("a"));
  LeaderElector b(lock_b, clock, Config("b"));

  ASSERT_TRUE(a.TryAcquireOrRenew());  // no lease yet: created
  EXPECT_TRUE(a.IsLeader());
  EXPECT_EQ(store.record->holder_identity, "a");
  EXPECT_EQ(store.record->lease_duration_seconds, 15);
  EXPECT_EQ(store.record->leader_transitions, 0);
  const auto acquired = store.record->acquire_time;

  EXPECT_FALSE(b.TryAcquireOrRenew());  // held and fresh
  EXPECT_EQ(b.GetLeader(), "a");

  clock.Advance(seconds(2));
  ASSERT_TRUE(a.TryAcquireOrRenew());  // renew keeps acquireTime, moves renewTime
  EXPECT_EQ(store.record->acquire_time, acquired);
  EXPECT_EQ(*store.record->renew_time, clock.Wall());

  // b saw the record change at t+2: the lease is valid for 15 s from *b's* observation.
  clock.Advance(seconds(1));
  EXPECT_FALSE(b.TryAcquireOrRenew());
  clock.Advance(seconds(13));
  EXPECT_FALSE(b.TryAcquireOrRenew());  // 14 s since b saw it change
  clock.Advance(seconds(2));
  ASSERT_TRUE(b.TryAcquireOrRenew());  // a stopped renewing: taken over
  EXPECT_EQ(store.record->holder_identity, "b");
  EXPECT_EQ(store.record->leader_transitions, 1);
  EXPECT_EQ(*store.record->acquire_time, clock.Wall());

  EXPECT_FALSE(a.TryAcquireOrRenew());  // a sees b's fresh lease
  EXPECT_FALSE(a.IsLeader());
}

TEST(LeaderElection, StopsClaimingLeadershipWhenRenewalsStall) {
  FakeLeaseStore store;
  FakeClock clock;
  FakeLock lock(store);
  LeaderElector a(lock, clock, Config("a"));
  ASSERT_TRUE(a.TryAcquireOrRenew());
  clock.Advance(seconds(9));
  EXPECT_TRUE(a.IsLeader());
  clock.Advance(seconds(1));  // renewDeadline since the last write: another may take over at 15 s
  EXPECT_FALSE(a.IsLeader());
  ASSERT_TRUE(a.TryAcquireOrRenew());
  EXPECT_TRUE(a.IsLeader());
}

TEST(LeaderElection, ConflictingWriteLoses) {
  FakeLeaseStore store;
  FakeClock clock;
  FakeLock lock_a(store), lock_b(store);
  LeaderElector a(lock_a, clock, Config("a"));
  ASSERT_TRUE(a.TryAcquireOrRenew());
  // Between a's Get and Update another writer bumps the version.
  class Racing final : public LeaseLock {
   public:
    Racing(FakeLock& inner, FakeLeaseStore& store) : inner_(inner), store_(store) {}
    Result<std::optional<LeaderElectionRecord>> Get() override {
      auto r = inner_.Get();
      ++store_.version;
      return r;
    }
    Status Create(const LeaderElectionRecord& r) override { return inner_.Create(r); }
    Status Update(const LeaderElectionRecord& r) override { return inner_.Update(r); }
    std::string Describe() const override { return "racing"; }

   private:
    FakeLock& inner_;
    FakeLeaseStore& store_;
  } racing(lock_b, store);
  LeaderElector a2(racing, clock, Config("a"));
  clock.Advance(seconds(1));
  EXPECT_FALSE(a2.TryAcquireOrRenew());
  EXPECT_EQ(store.record->renew_time, std::optional<WallTime>(clock.Wall() - seconds(1)));
}

// Sleeps advance the fake clock; `on_sleep` lets a test act between periods.
StopSleeper Advancing(FakeClock& clock, std::function<void()> on_sleep) {
  return [&clock, on_sleep](Duration d, std::stop_token) {
    clock.Advance(d);
    if (on_sleep) on_sleep();
  };
}

TEST(LeaderElection, RunLeadsUntilRenewDeadlineThenStops) {
  FakeLeaseStore store;
  FakeClock clock;
  FakeLock lock(store);
  int started = 0, stopped = 0, sleeps = 0;
  std::vector<std::string> leaders;
  LeaderElectionConfig cfg = Config("a");
  int errors = 0;
  cfg.on_error = [&](const Error&) { ++errors; };
  cfg.on_started_leading = [&] { ++started; };
  cfg.on_stopped_leading = [&] { ++stopped; };
  cfg.on_new_leader = [&](const std::string& id) { leaders.push_back(id); };
  // After five renewals the API server becomes unreachable.
  LeaderElector e(
      lock, clock, cfg, [] { return 0.0; }, Advancing(clock, [&] {
        if (++sleeps == 5) lock.fail_gets = true;
      }));
  const MonotonicTime t0 = clock.Monotonic();
  std::stop_source stop;
  e.Run(stop.get_token());
  EXPECT_EQ(started, 1);
  EXPECT_EQ(stopped, 1);
  EXPECT_FALSE(e.IsLeader());
  EXPECT_EQ(leaders, std::vector<std::string>{"a"});
  // Leadership lasted the renewals (5 x 2 s) plus no more than renewDeadline (10 s).
  const auto held = clock.Monotonic() - t0;
  EXPECT_GE(held, seconds(18));
  EXPECT_LE(held, seconds(22));
  EXPECT_EQ(store.record->holder_identity, "a");  // not released: we could not reach it
  EXPECT_GE(errors, 5);                           // each failed renewal was reported
}

TEST(LeaderElection, StopReleasesTheLease) {
  FakeLeaseStore store;
  FakeClock clock;
  FakeLock lock(store);
  std::stop_source stop;
  int sleeps = 0;
  LeaderElectionConfig cfg = Config("a");
  LeaderElector e(
      lock, clock, cfg, [] { return 0.0; }, Advancing(clock, [&] {
        if (++sleeps == 3) stop.request_stop();
      }));
  e.Run(stop.get_token());
  ASSERT_TRUE(store.record);
  EXPECT_EQ(store.record->holder_identity, "");
  EXPECT_EQ(store.record->lease_duration_seconds, 1);

  // Released: another replica acquires at once, without waiting out 15 s.
  FakeLock lock_b(store);
  LeaderElector b(lock_b, clock, Config("b"));
  EXPECT_TRUE(b.TryAcquireOrRenew());
  EXPECT_EQ(store.record->leader_transitions, 1);
}

TEST(LeaderElection, WaitsForHolderThenAcquires) {
  FakeLeaseStore store;
  FakeClock clock;
  store.record = LeaderElectionRecord{"other", 15, clock.Wall(), clock.Wall(), 4};
  FakeLock lock(store);
  std::stop_source stop;
  int started = 0;
  LeaderElectionConfig cfg = Config("a");
  cfg.on_started_leading = [&] {
    ++started;
    stop.request_stop();
  };
  const MonotonicTime t0 = clock.Monotonic();
  LeaderElector e(
      lock, clock, cfg, [] { return 0.0; }, Advancing(clock, nullptr));
  e.Run(stop.get_token());
  EXPECT_EQ(started, 1);
  EXPECT_GE(clock.Monotonic() - t0, seconds(15));
  EXPECT_LE(clock.Monotonic() - t0, seconds(18));
  EXPECT_EQ(store.record->leader_transitions, 5);
}

TEST(LeaderElection, ValidatesDurationsLikeClientGo) {
  EXPECT_TRUE(ValidateLeaderElectionConfig(Config("a")));
  LeaderElectionConfig c = Config("a");
  c.renew_deadline = seconds(15);
  EXPECT_FALSE(ValidateLeaderElectionConfig(c));
  c = Config("a");
  c.retry_period = seconds(9);
  EXPECT_FALSE(ValidateLeaderElectionConfig(c));
  EXPECT_FALSE(ValidateLeaderElectionConfig(Config("")));
}

}  // namespace
}  // namespace gt::kube
