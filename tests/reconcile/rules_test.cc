// One table row per rule and boundary: a synthetic series of 7 minutes (10 s samples, so the
// observation window is complete) and the verdict it must produce.
#include <gtest/gtest.h>

#include "reconcile/judge.h"
#include "series.h"

namespace gt::reconcile {
namespace {

using namespace testing;  // NOLINT: test helpers

constexpr int kSteps = 42;  // 7 minutes of 10 s readings
const seconds kEvery{10};

// Applies `change` only on steps [from, to] (1-based, inclusive).
Change During(int from, int to, Change change) {
  return [=](CgroupReading& r, int i, double dt_us) {
    if (i >= from && i <= to) change(r, i, dt_us);
  };
}

Change WorkingSet(uint64_t usage, uint64_t inactive_file = 0) {
  return [=](CgroupReading& r, int, double) {
    r.memory.usage_bytes = usage;
    r.memory.inactive_file_bytes = inactive_file;
    r.memory.file_bytes = inactive_file;
  };
}

Change LimitHits(uint64_t per_step) {
  return [=](CgroupReading& r, int, double) { r.memory.events_max += per_step; };
}

Change Refaults(uint64_t per_step, uint64_t majfaults_per_step = 0) {
  return [=](CgroupReading& r, int, double) {
    r.memory.workingset_refault_file += per_step;
    r.memory.pgmajfault += majfaults_per_step;
  };
}

Change NoMemoryPsi() {
  return [](CgroupReading& r, int, double) { r.memory.pressure.reset(); };
}

// Throttled in `share` of periods, using `usage` of the quota (1 CPU), wanting `demand` CPUs.
Change Throttled(double share, double usage, double cpu_psi = 0) {
  return [=](CgroupReading& r, int, double dt_us) {
    r.cpu.usage_us += static_cast<uint64_t>(dt_us * (usage - 0.1));  // Quiet added 0.1
    r.cpu.nr_throttled += static_cast<uint64_t>(dt_us / 100000 * share);
    r.cpu.throttled_us += static_cast<uint64_t>(dt_us * share);
    r.cpu.pressure->some.total_us += static_cast<uint64_t>(dt_us * cpu_psi);
  };
}

// Throttled in `share` of periods and for `time_share` of wall time.
Change ThrottledTime(double share, double time_share, double usage, double cpu_psi = 0) {
  return [=](CgroupReading& r, int, double dt_us) {
    r.cpu.usage_us += static_cast<uint64_t>(dt_us * (usage - 0.1));  // Quiet added 0.1
    r.cpu.nr_throttled += static_cast<uint64_t>(dt_us / 100000 * share);
    r.cpu.throttled_us += static_cast<uint64_t>(dt_us * time_share);
    r.cpu.pressure->some.total_us += static_cast<uint64_t>(dt_us * cpu_psi);
  };
}

Change IoStall(double full) {
  return [=](CgroupReading& r, int, double dt_us) {
    r.io.pressure->some.total_us += static_cast<uint64_t>(dt_us * full);
    r.io.pressure->full->total_us += static_cast<uint64_t>(dt_us * full);
  };
}

Change InD(int32_t tid, bool reuse_tid = false) {
  return [=](CgroupReading& r, int i, double) {
    r.blocked = {BlockedThread{tid, tid, reuse_tid ? static_cast<uint64_t>(i) : 42, "mysqld"}};
  };
}

Change NotInD() {
  return [](CgroupReading& r, int, double) { r.blocked.clear(); };
}

Change Net(uint64_t out_per_step, uint64_t retrans_per_step) {
  return [=](CgroupReading& r, int, double) {
    if (!r.net) r.net = NetReading{};
    r.net->tcp_out_segs += out_per_step;
    r.net->tcp_retrans_segs += retrans_per_step;
  };
}

Change Set(uint64_t MemoryReading::*field, uint64_t value) {
  return [=](CgroupReading& r, int, double) { r.memory.*field = value; };
}

struct Case {
  const char* name;
  Change change;
  std::string_view want;  // a reason; Compliant means True
  CgroupReading first = Healthy();
};

CgroupReading WithPsiTotals(uint64_t total) {
  CgroupReading r = Healthy();
  r.memory.pressure->some.total_us = total;
  r.memory.pressure->full->total_us = total;
  return r;
}

CgroupReading WithOomKills(uint64_t n) {
  CgroupReading r = Healthy();
  r.memory.events_oom_kill = n;
  return r;
}

CgroupReading NoPsi() {
  CgroupReading r = Healthy();
  r.memory.pressure.reset();
  return r;
}

CgroupReading NoQuota() {
  CgroupReading r = Healthy();
  r.cpu.quota_us.reset();
  return r;
}

class RuleTable : public ::testing::TestWithParam<Case> {};

TEST_P(RuleTable, Verdict) {
  const Case& c = GetParam();
  std::vector<CgroupReading> s = Series(c.first, kSteps, kEvery, c.change);
  const WorkloadObservation w = Workload({Container(s)});
  // Judged at every reading, as the controller does: a healthy case must never have been
  // False on the way, not only at the end.
  JudgeState state;
  Judgement j;
  for (const CgroupReading& r : s) {
    j = Judge(w, DefaultPolicy(), state, r.time);
    state = j.state;
    if (c.want == reason::kCompliant) {
      EXPECT_NE(j.verdict.status, ConditionStatus::kFalse)
          << "at " << (r.time - kStart).count() / 1'000'000'000 << "s: " << j.verdict.message;
    }
  }
  EXPECT_EQ(j.verdict.reason, c.want) << j.verdict.message;
  EXPECT_EQ(j.verdict.status,
            c.want == reason::kCompliant ? ConditionStatus::kTrue : ConditionStatus::kFalse)
      << j.verdict.message;
  EXPECT_FALSE(j.verdict.message.empty());
  EXPECT_EQ(j.verdict.message.find('\n'), std::string::npos);
  // One evaluation over the whole history agrees with the step-by-step one.
  EXPECT_EQ(Judge(w, DefaultPolicy(), JudgeState{}, s.back().time).verdict.message,
            j.verdict.message);
  // So does the controller's feed: each call gets only the readings since the previous call
  // plus the last one it had (the rest of every window comes from the state), every 20 s.
  JudgeState fed;
  Judgement f;
  WorkloadObservation feed = w;
  size_t base = 0;
  for (size_t i = 0; i < s.size(); i += 2) {
    feed.containers[0].readings.assign(s.begin() + static_cast<ptrdiff_t>(base),
                                       s.begin() + static_cast<ptrdiff_t>(i) + 1);
    base = i;
    f = Judge(feed, DefaultPolicy(), std::move(fed), s[i].time);
    fed = f.state;
    Judgement whole = Judge(w, DefaultPolicy(), JudgeState{}, s[i].time);
    EXPECT_EQ(f.verdict.message, whole.verdict.message)
        << "at " << (s[i].time - kStart).count() / 1'000'000'000 << "s";
  }
}

const double k95 = 0.95 * 2 * kGi;

INSTANTIATE_TEST_SUITE_P(
    Rules, RuleTable,
    ::testing::Values(
        Case{"healthy", Nothing, reason::kCompliant},
        // MemoryThrashing: PSI some over two consecutive 60 s windows.
        Case{"some_34pct", MemoryStall(0.34), reason::kMemoryThrashing},
        Case{"some_exactly_10pct", MemoryStall(0.10), reason::kMemoryThrashing},
        Case{"some_just_under_10pct", MemoryStall(0.099), reason::kCompliant},
        Case{"some_12pct_for_120s", During(25, 36, MemoryStall(0.12)), reason::kMemoryThrashing},
        Case{"some_12pct_for_90s_too_short", During(10, 18, MemoryStall(0.12)), reason::kCompliant},
        Case{"some_high_in_one_window_only", During(1, 6, MemoryStall(0.34)), reason::kCompliant},
        // ...or PSI full over 20 s.
        Case{"full_50pct_for_20s", During(38, 39, MemoryStall(0.5, 0.5)), reason::kMemoryThrashing},
        Case{"full_45pct_for_20s", During(38, 39, MemoryStall(0.45, 0.45)), reason::kCompliant},
        Case{"full_60pct_for_10s_too_short", During(10, 10, MemoryStall(0.6, 0.6)),
             reason::kCompliant},
        // Calibration from a real host: a streaming reader refaults millions of pages through
        // its limit with PSI near zero; it is healthy and refaults alone must not say otherwise.
        Case{"streaming_refaults_without_stall",
             Both(Both(WorkingSet(2 * kGi, static_cast<uint64_t>(1.2 * kGi)), LimitHits(1000)),
                  Both(Refaults(200000), MemoryStall(0.005))),
             reason::kCompliant},
        Case{"refaults_at_the_limit_without_stall",
             Both(WorkingSet(static_cast<uint64_t>(k95)), Refaults(200000, 50000)),
             reason::kCompliant},
        // Without per-cgroup PSI: refaults while the working set presses on the limit.
        Case{"no_psi_refaults_at_limit",
             Both(NoMemoryPsi(), Both(WorkingSet(static_cast<uint64_t>(k95)), Refaults(50000))),
             reason::kMemoryThrashing, NoPsi()},
        Case{"no_psi_majfaults_at_limit",
             Both(NoMemoryPsi(), Both(WorkingSet(static_cast<uint64_t>(k95)), Refaults(0, 50000))),
             reason::kMemoryThrashing, NoPsi()},
        Case{"no_psi_refaults_below_limit",
             Both(NoMemoryPsi(), Both(WorkingSet(kGi), Refaults(50000))), reason::kCompliant,
             NoPsi()},
        Case{"no_psi_few_refaults_at_limit",
             Both(NoMemoryPsi(), Both(WorkingSet(static_cast<uint64_t>(k95)), Refaults(5000))),
             reason::kCompliant, NoPsi()},
        // MemorySaturated: working set >= 90% for 5 min with limit hits.
        Case{"saturated", Both(WorkingSet(static_cast<uint64_t>(k95)), LimitHits(10)),
             reason::kMemorySaturated},
        Case{"saturated_without_limit_hits", WorkingSet(static_cast<uint64_t>(k95)),
             reason::kCompliant},
        Case{"below_90pct_with_limit_hits",
             Both(WorkingSet(static_cast<uint64_t>(0.85 * 2 * kGi)), LimitHits(10)),
             reason::kCompliant},
        Case{"page_cache_fills_the_limit", Both(WorkingSet(2 * kGi, kGi), LimitHits(10)),
             reason::kCompliant},
        Case{"saturated_for_4min_only",
             Both(During(18, 42, WorkingSet(static_cast<uint64_t>(k95))), LimitHits(10)),
             reason::kCompliant},
        // CPUThrottled: > 25% of periods, qualified by PSI or usage near the quota.
        Case{"throttled_at_quota", Throttled(0.5, 0.95), reason::kCPUThrottled},
        Case{"throttled_exactly_25pct", Throttled(0.25, 0.95), reason::kCompliant},
        Case{"throttled_bursty_without_stall", Throttled(0.5, 0.3), reason::kCompliant},
        Case{"throttled_bursty_with_cpu_stall", Throttled(0.5, 0.3, 0.6), reason::kCPUThrottled},
        // Corpus (docs/verdict-quality.md): short bursts on a saturated node. Throttled in 30%
        // of periods but only 5.7% of the time, 25% of the quota used, CPU PSI some 28% from
        // node contention (a never-throttled container measured 24-29%): not an incident.
        Case{"bursts_on_a_saturated_node", ThrottledTime(0.30, 0.057, 0.25, 0.28),
             reason::kCompliant},
        Case{"bursts_throttled_little_time_at_quota", ThrottledTime(0.30, 0.05, 0.95),
             reason::kCompliant},
        // Corpus: demand above the quota on a saturated node used only 80% of it.
        Case{"over_quota_on_a_saturated_node", ThrottledTime(0.9, 0.28, 0.75),
             reason::kCPUThrottled},
        Case{"throttled_2min_of_5_only", During(31, 42, Throttled(0.5, 0.95)), reason::kCompliant},
        Case{"no_quota", Throttled(0.0, 0.95), reason::kCompliant, NoQuota()},
        // IOContention: I/O PSI full >= 25%. Corpus (docs/verdict-quality.md): an fsync
        // commit loop at 20 commits/s reached 11-14%, a throttled writer 94-100%.
        Case{"io_full_30pct", IoStall(0.30), reason::kIOContention},
        Case{"io_full_exactly_25pct", IoStall(0.25), reason::kIOContention},
        Case{"io_full_20pct_commit_loop_like", IoStall(0.20), reason::kCompliant},
        Case{"io_full_14pct", IoStall(0.14), reason::kCompliant},
        // ProcessesBlocked: the same thread in D across samples for 120 s.
        Case{"thread_in_d_130s", Both(During(25, 38, InD(77)), During(39, 42, NotInD())),
             reason::kProcessesBlocked},
        Case{"thread_in_d_110s", Both(During(25, 36, InD(77)), During(37, 42, NotInD())),
             reason::kCompliant},
        Case{"tid_reused_is_another_thread", InD(77, true), reason::kCompliant},
        Case{"different_threads_alternating",
             [](CgroupReading& r, int i,
                double) { r.blocked = {BlockedThread{100 + i % 2, 100 + i % 2, 42, "worker"}}; },
             reason::kCompliant},
        // PidsExhausted: any rise of pids.events max.
        Case{"fork_refused",
             During(20, 20,
                    [](CgroupReading& r, int, double) {
                      r.pids.events_max += 3;
                      r.pids.current = 100;
                    }),
             reason::kPidsExhausted},
        // OOMKilled: any rise; a counter going down is a restart, not a rise.
        Case{"oom_kill", During(20, 20, Set(&MemoryReading::events_oom_kill, 1)),
             reason::kOOMKilled},
        Case{"oom_counter_reset_by_restart",
             During(20, 42, Set(&MemoryReading::events_oom_kill, 0)), reason::kCompliant,
             WithOomKills(3)},
        Case{"psi_totals_reset_by_restart",
             During(20, 20,
                    [](CgroupReading& r, int, double) {
                      r.memory.pressure->some.total_us = 1000;
                      r.memory.pressure->full->total_us = 1000;
                    }),
             reason::kCompliant, WithPsiTotals(1'000'000'000'000)},
        // NetworkDegraded.
        Case{"retransmits_2pct", Net(10000, 200), reason::kNetworkDegraded},
        Case{"retransmits_under_1pct", Net(10000, 90), reason::kCompliant},
        Case{"retransmits_on_too_few_segments", Net(20, 5), reason::kCompliant}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

// A hostNetwork pod's namespace is the node's: retransmits read there are every workload's
// traffic, so the network rule does not judge it, and the verdict says so rather than
// passing it silently. Its other rules still apply.
TEST(HostNetwork, RetransmitsAreNotJudgedAndTheVerdictSaysWhy) {
  std::vector<CgroupReading> s = Series(Healthy(), kSteps, kEvery, Net(10000, 500));
  ContainerObservation c = Container(s);
  c.host_network = true;
  Judgement j = Judge(Workload({c}), DefaultPolicy(), JudgeState{}, s.back().time);
  EXPECT_EQ(j.verdict.status, ConditionStatus::kTrue) << j.verdict.message;
  EXPECT_EQ(j.verdict.reason, reason::kCompliant);
  EXPECT_NE(j.verdict.message.find("NetworkDegraded not judged: pod " + c.pod + " is hostNetwork"),
            std::string::npos)
      << j.verdict.message;
  ASSERT_EQ(j.verdict.evidence.size(), 1u);
  EXPECT_EQ(j.verdict.evidence[0].reason, reason::kNetworkDegraded);
  EXPECT_EQ(j.verdict.evidence[0].pod, c.pod);

  // The same readings from a pod with a namespace of its own are judged.
  c.host_network = false;
  EXPECT_EQ(Judge(Workload({c}), DefaultPolicy(), JudgeState{}, s.back().time).verdict.reason,
            reason::kNetworkDegraded);

  // Another rule still finds a hostNetwork pod; the note goes with its evidence.
  std::vector<CgroupReading> stalled =
      Series(Healthy(), kSteps, kEvery, Both(Net(10000, 500), MemoryStall(0.34)));
  ContainerObservation t = Container(stalled);
  t.host_network = true;
  Judgement k = Judge(Workload({t}), DefaultPolicy(), JudgeState{}, stalled.back().time);
  EXPECT_EQ(k.verdict.reason, reason::kMemoryThrashing) << k.verdict.message;
  ASSERT_FALSE(k.verdict.evidence.empty());
  EXPECT_EQ(k.verdict.evidence.back().reason, reason::kNetworkDegraded);
  EXPECT_NE(k.verdict.evidence.back().detail.find("not judged"), std::string::npos);
}

// A Compliant message shows no figure that reads like a violation without what its rule
// required: throttled in every period is not CPUThrottled when it costs little time, or
// when the container neither uses its quota nor stalls, and the message says which.
TEST(CompliantMessage, EveryFigureComesWithWhatItsRuleRequired) {
  auto message = [](Change change) {
    std::vector<CgroupReading> s = Series(Healthy(), kSteps, kEvery, change);
    Verdict v =
        Judge(Workload({Container(s)}), DefaultPolicy(), JudgeState{}, s.back().time).verdict;
    EXPECT_EQ(v.reason, reason::kCompliant) << v.message;
    return v.message;
  };
  const std::string quiet = message(Nothing);
  EXPECT_NE(quiet.find("memory PSI some 0% (below 10%), CPU throttled in 0% of periods "
                       "(below 25%)"),
            std::string::npos)
      << quiet;
  // Every period throttled, for 2% of the time: the "100% of periods".
  const std::string brief = message(ThrottledTime(1.0, 0.02, 0.95));
  EXPECT_NE(brief.find("CPU throttled in up to 100% of periods but at most 2% of the time "
                       "(below 10%)"),
            std::string::npos)
      << brief;
  // Throttled long enough, but far from the quota and without stall.
  const std::string bursty = message(Throttled(0.5, 0.3));
  EXPECT_NE(bursty.find("CPU throttled in > 25% of periods and >= 10% of the time but using at "
                        "most 30% of the quota (below 70%) with CPU PSI some at most 0% (below "
                        "50%)"),
            std::string::npos)
      << bursty;
  // Memory stall past the threshold in one window, never in two consecutive ones.
  const std::string stalled = message(During(10, 14, MemoryStall(0.5)));
  EXPECT_NE(stalled.find("memory PSI some up to 42% (MemoryThrashing: >= 10% in 2 consecutive 1m "
                         "windows)"),
            std::string::npos)
      << stalled;
}

}  // namespace
}  // namespace gt::reconcile
