// The judge's packed recent readings: every field a rule reads survives a pack and unpack
// exactly (counters that fall, absent optionals, threads in D), and a damaged pack is empty.
#include "reconcile/history.h"

#include <gtest/gtest.h>

#include <limits>

#include "series.h"

namespace gt::reconcile {
namespace {

using namespace testing;  // NOLINT: test helpers

// The fields the rules read (judge.cc), compared one by one.
void ExpectSameForRules(const CgroupReading& a, const CgroupReading& b) {
  EXPECT_EQ(a.time, b.time);
  EXPECT_EQ(a.memory.working_set_bytes(), b.memory.working_set_bytes());
  EXPECT_EQ(a.memory.usage_bytes, b.memory.usage_bytes);
  EXPECT_EQ(a.memory.inactive_file_bytes, b.memory.inactive_file_bytes);
  EXPECT_EQ(a.memory.file_bytes, b.memory.file_bytes);
  EXPECT_EQ(a.memory.limit_bytes, b.memory.limit_bytes);
  EXPECT_EQ(a.memory.pgmajfault, b.memory.pgmajfault);
  EXPECT_EQ(a.memory.workingset_refault_file, b.memory.workingset_refault_file);
  EXPECT_EQ(a.memory.events_max, b.memory.events_max);
  EXPECT_EQ(a.memory.events_oom_kill, b.memory.events_oom_kill);
  auto same_psi = [](const std::optional<Pressure>& x, const std::optional<Pressure>& y) {
    ASSERT_EQ(x.has_value(), y.has_value());
    if (!x) return;
    EXPECT_EQ(x->some.total_us, y->some.total_us);
    ASSERT_EQ(x->full.has_value(), y->full.has_value());
    if (x->full) {
      EXPECT_EQ(x->full->total_us, y->full->total_us);
    }
  };
  same_psi(a.memory.pressure, b.memory.pressure);
  same_psi(a.cpu.pressure, b.cpu.pressure);
  same_psi(a.io.pressure, b.io.pressure);
  EXPECT_EQ(a.cpu.usage_us, b.cpu.usage_us);
  EXPECT_EQ(a.cpu.nr_periods, b.cpu.nr_periods);
  EXPECT_EQ(a.cpu.nr_throttled, b.cpu.nr_throttled);
  EXPECT_EQ(a.cpu.throttled_us, b.cpu.throttled_us);
  EXPECT_EQ(a.cpu.quota_us, b.cpu.quota_us);
  EXPECT_EQ(a.cpu.period_us, b.cpu.period_us);
  EXPECT_EQ(a.pids.current, b.pids.current);
  EXPECT_EQ(a.pids.limit, b.pids.limit);
  EXPECT_EQ(a.pids.events_max, b.pids.events_max);
  ASSERT_EQ(a.net.has_value(), b.net.has_value());
  if (a.net) {
    EXPECT_EQ(a.net->tcp_out_segs, b.net->tcp_out_segs);
    EXPECT_EQ(a.net->tcp_retrans_segs, b.net->tcp_retrans_segs);
  }
  ASSERT_EQ(a.blocked.size(), b.blocked.size());
  for (size_t i = 0; i < a.blocked.size(); ++i) {
    EXPECT_EQ(a.blocked[i].pid, b.blocked[i].pid);
    EXPECT_EQ(a.blocked[i].tid, b.blocked[i].tid);
    EXPECT_EQ(a.blocked[i].start_time_ticks, b.blocked[i].start_time_ticks);
    EXPECT_EQ(a.blocked[i].comm, b.blocked[i].comm);
  }
}

std::vector<CgroupReading> Varied() {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  std::vector<CgroupReading> s = Series(Healthy(), 3, seconds(5), MemoryStall(0.3, 0.1));
  s[1].memory.limit_bytes.reset();  // "max"
  s[1].cpu.quota_us.reset();
  s[1].pids.limit.reset();
  s[1].memory.pressure->full.reset();
  s[1].io.pressure.reset();
  s[1].net = NetReading{.tcp_out_segs = kMax, .tcp_retrans_segs = 7};
  s[1].blocked = {BlockedThread{-1, 77, kMax, "nfsd"}, BlockedThread{12, 13, 0, ""}};
  s[2].cpu.usage_us = 0;  // a restart: counters fall
  s[2].memory.events_oom_kill = kMax;
  s[2].cpu.pressure.reset();
  s[3].memory.usage_bytes = kMax;
  s[3].memory.inactive_file_bytes = 1;
  s[3].time = MonotonicTime(std::numeric_limits<int64_t>::max());
  return s;
}

TEST(History, EveryFieldARuleReadsRoundTrips) {
  std::vector<CgroupReading> s = Varied();
  std::vector<const CgroupReading*> in;
  for (const CgroupReading& r : s) in.push_back(&r);
  std::vector<CgroupReading> out = UnpackReadings(PackReadings(in));
  ASSERT_EQ(out.size(), s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    SCOPED_TRACE(i);
    ExpectSameForRules(s[i], out[i]);
  }
}

TEST(History, HealthyReadingsPackSmall) {
  // What lets minutes of history per container fit in the controller's budget.
  std::vector<CgroupReading> s = Series(Healthy(), 60, seconds(5), Nothing);
  std::vector<const CgroupReading*> in;
  for (const CgroupReading& r : s) in.push_back(&r);
  EXPECT_LE(PackReadings(in).size(), 61u * 20);
  EXPECT_TRUE(PackReadings(std::vector<const CgroupReading*>{}).empty());
  EXPECT_TRUE(UnpackReadings("").empty());
}

TEST(History, NodeReadingsKeepWhatNodeOvercommittedReads) {
  NodeReading a;
  a.time = seconds(5);
  a.committed_as_bytes = 30 * kGi;
  a.commit_limit_bytes = 20 * kGi;
  a.memory_pressure = Pressure{PressureLine{.total_us = 123}, PressureLine{}};
  NodeReading b = a;
  b.time = seconds(10);
  b.committed_as_bytes = 1;  // falls
  b.memory_pressure.reset();
  std::vector<NodeReading> out =
      UnpackNodeReadings(PackReadings(std::vector<const NodeReading*>{&a, &b}));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].time, a.time);
  EXPECT_EQ(out[0].committed_as_bytes, a.committed_as_bytes);
  EXPECT_EQ(out[0].commit_limit_bytes, a.commit_limit_bytes);
  ASSERT_TRUE(out[0].memory_pressure);
  EXPECT_EQ(out[0].memory_pressure->some.total_us, 123u);
  EXPECT_TRUE(out[0].memory_pressure->full);
  EXPECT_EQ(out[1].time, b.time);
  EXPECT_EQ(out[1].committed_as_bytes, 1u);
  EXPECT_EQ(out[1].commit_limit_bytes, b.commit_limit_bytes);
  EXPECT_FALSE(out[1].memory_pressure);
}

TEST(History, ADamagedPackIsEmpty) {
  std::vector<CgroupReading> s = Varied();
  std::vector<const CgroupReading*> in;
  for (const CgroupReading& r : s) in.push_back(&r);
  const std::string packed = PackReadings(in);
  for (size_t cut = 1; cut < packed.size(); ++cut) {
    EXPECT_TRUE(UnpackReadings(std::string_view(packed).substr(0, cut)).size() < s.size()) << cut;
  }
  EXPECT_TRUE(UnpackReadings(std::string(12, '\xff')).empty());
}

}  // namespace
}  // namespace gt::reconcile
