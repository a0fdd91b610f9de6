#include "collectors/parse.h"

#include <gtest/gtest.h>

namespace gt::collectors {
namespace {

constexpr std::string_view kPath = "/cg/x";

void ExpectMalformedAt(const Error& e, int line) {
  EXPECT_EQ(e.code, ErrorCode::kMalformed) << e.ToString();
  EXPECT_EQ(e.path, kPath);
  EXPECT_EQ(e.line, line) << e.ToString();
}

TEST(ParseNumber, AcceptsTrailingNewlineRejectsGarbage) {
  EXPECT_EQ(*ParseNumber("4096\n", kPath), 4096u);
  EXPECT_EQ(*ParseNumber("18446744073709551615", kPath), UINT64_MAX);
  ExpectMalformedAt(ParseNumber("", kPath).error(), 1);
  ExpectMalformedAt(ParseNumber("12ab\n", kPath).error(), 1);
  ExpectMalformedAt(ParseNumber("-1\n", kPath).error(), 1);
  ExpectMalformedAt(ParseNumber("18446744073709551616\n", kPath).error(), 1);  // overflow
  ExpectMalformedAt(ParseNumber("1\n2\n", kPath).error(), 2);
}

TEST(ParseMaxOrNumber, MaxIsEmpty) {
  EXPECT_FALSE(ParseMaxOrNumber("max\n", kPath)->has_value());
  EXPECT_EQ(ParseMaxOrNumber("268435456\n", kPath)->value(), 268435456u);
  ExpectMalformedAt(ParseMaxOrNumber("maximum\n", kPath).error(), 1);
  ExpectMalformedAt(ParseMaxOrNumber("\n", kPath).error(), 1);
}

TEST(ParseV1MemoryLimit, HugePageAlignedNumberIsNoLimit) {
  EXPECT_FALSE(ParseV1MemoryLimit("9223372036854771712\n", kPath)->has_value());
  EXPECT_FALSE(ParseV1MemoryLimit("4611686018427387904\n", kPath)->has_value());  // 2^62
  EXPECT_EQ(ParseV1MemoryLimit("67108864\n", kPath)->value(), 67108864u);
}

TEST(ParseV1CfsQuota, MinusOneIsNoQuota) {
  EXPECT_FALSE(ParseV1CfsQuota("-1\n", kPath)->has_value());
  EXPECT_EQ(ParseV1CfsQuota("50000\n", kPath)->value(), 50000u);
  ExpectMalformedAt(ParseV1CfsQuota("max\n", kPath).error(), 1);
}

TEST(ParseFlatKeyed, PicksWantedKeysSkipsOthers) {
  uint64_t anon = 0, file = 0, missing = 7;
  bool file_seen = false, missing_seen = false;
  const FlatKeyedField fields[] = {
      {"anon", &anon}, {"file", &file, &file_seen}, {"absent", &missing, &missing_seen}};
  auto st = ParseFlatKeyed("anon 1048576\nkernel_stack 16384\nfile 2097152\nnew_key x y\n", kPath,
                           fields);
  ASSERT_TRUE(st) << st.error().ToString();
  EXPECT_EQ(anon, 1048576u);
  EXPECT_EQ(file, 2097152u);
  EXPECT_TRUE(file_seen);
  EXPECT_FALSE(missing_seen);
  EXPECT_EQ(missing, 7u);  // untouched
}

TEST(ParseFlatKeyed, KeyPrefixDoesNotMatch) {
  uint64_t file = 0;
  const FlatKeyedField fields[] = {{"file", &file}};
  ASSERT_TRUE(ParseFlatKeyed("file_mapped 10\nfile_dirty 3\n", kPath, fields));
  EXPECT_EQ(file, 0u);
}

TEST(ParseFlatKeyed, GarbageValueOfWantedKeyNamesLine) {
  uint64_t oom_kill = 0;
  const FlatKeyedField fields[] = {{"oom_kill", &oom_kill}};
  ExpectMalformedAt(ParseFlatKeyed("low 0\nhigh 0\noom_kill many\n", kPath, fields).error(), 3);
  ExpectMalformedAt(ParseFlatKeyed("oom_kill 1 2\n", kPath, fields).error(), 1);
  ExpectMalformedAt(ParseFlatKeyed("oom_kill\n", kPath, fields).error(), 1);
}

TEST(ParseCpuMax, QuotaAndPeriod) {
  auto unlimited = ParseCpuMax("max 100000\n", kPath);
  ASSERT_TRUE(unlimited);
  EXPECT_FALSE(unlimited->quota_us.has_value());
  EXPECT_EQ(unlimited->period_us, 100000u);
  auto half = ParseCpuMax("50000 100000\n", kPath);
  ASSERT_TRUE(half);
  EXPECT_EQ(*half->quota_us, 50000u);
  auto quota_only = ParseCpuMax("20000\n", kPath);  // writing only $MAX is allowed
  ASSERT_TRUE(quota_only);
  EXPECT_EQ(quota_only->period_us, 100000u);
  ExpectMalformedAt(ParseCpuMax("50000 100000 7\n", kPath).error(), 1);
  ExpectMalformedAt(ParseCpuMax("half 100000\n", kPath).error(), 1);
}

TEST(ParsePressure, SomeAndFull) {
  auto p = ParsePressure(
      "some avg10=34.50 avg60=12.00 avg300=1.25 total=123456789\n"
      "full avg10=20.00 avg60=8.00 avg300=0.50 total=98765\n",
      kPath);
  ASSERT_TRUE(p) << p.error().ToString();
  EXPECT_DOUBLE_EQ(p->some.avg10, 34.5);
  EXPECT_DOUBLE_EQ(p->some.avg300, 1.25);
  EXPECT_EQ(p->some.total_us, 123456789u);
  ASSERT_TRUE(p->full.has_value());
  EXPECT_DOUBLE_EQ(p->full->avg60, 8.0);
  EXPECT_EQ(p->full->total_us, 98765u);
}

TEST(ParsePressure, CpuBefore513HasNoFull) {
  auto p = ParsePressure("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", kPath);
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->full.has_value());
}

TEST(ParsePressure, Malformed) {
  ExpectMalformedAt(ParsePressure("", kPath).error(), 1);
  ExpectMalformedAt(
      ParsePressure("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nhalf avg10=1 total=2\n", kPath)
          .error(),
      2);
  ExpectMalformedAt(ParsePressure("some avg10=x avg60=0.00 avg300=0.00 total=0\n", kPath).error(),
                    1);
  ExpectMalformedAt(ParsePressure("some avg10=0.00 avg60=0.00 avg300=0.00\n", kPath).error(), 1);
}

TEST(ParseIoStat, SumsDevicesSkipsUnknownKeys) {
  auto io = ParseIoStat(
      "8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n"
      "8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0 cost.vrate=100.00\n",
      kPath);
  ASSERT_TRUE(io) << io.error().ToString();
  EXPECT_EQ(io->read_bytes, 1459300u);
  EXPECT_EQ(io->write_bytes, 314773704u);
  EXPECT_EQ(io->read_ios, 193u);
  EXPECT_EQ(io->write_ios, 355u);
  EXPECT_EQ(ParseIoStat("", kPath)->read_bytes, 0u);  // no I/O yet: empty file
  ExpectMalformedAt(ParseIoStat("8:0 rbytes=1\nsda rbytes=2\n", kPath).error(), 2);
  ExpectMalformedAt(ParseIoStat("8:0 rbytes=lots\n", kPath).error(), 1);
}

TEST(ParseV1Blkio, ReadAndWriteSummedTotalsSkipped) {
  auto io = ParseV1Blkio(
      "8:0 Read 1234\n8:0 Write 5678\n8:0 Sync 6912\n8:0 Async 0\n8:0 Discard 0\n"
      "8:0 Total 6912\n8:16 Read 1\n8:16 Write 2\n8:16 Total 3\nTotal 6915\n",
      kPath);
  ASSERT_TRUE(io) << io.error().ToString();
  EXPECT_EQ(io->read, 1235u);
  EXPECT_EQ(io->write, 5680u);
  EXPECT_EQ(ParseV1Blkio("Total 0\n", kPath)->read, 0u);
  ExpectMalformedAt(ParseV1Blkio("8:0 Read 1\n8:0 Write\n", kPath).error(), 2);
}

TEST(ParseIdList, SortedUnique) {
  std::vector<int32_t> ids{99};
  ASSERT_TRUE(ParseIdList("40\n12\n40\n7\n", kPath, ids));
  EXPECT_EQ(ids, (std::vector<int32_t>{7, 12, 40}));
  ASSERT_TRUE(ParseIdList("", kPath, ids));
  EXPECT_TRUE(ids.empty());
  ExpectMalformedAt(ParseIdList("1\n2\nthree\n", kPath, ids).error(), 3);
  ExpectMalformedAt(ParseIdList("0\n", kPath, ids).error(), 1);
}

TEST(ParseMeminfo, KilobytesToBytes) {
  auto m = ParseMeminfo(
      "MemTotal:       24683444 kB\nMemFree:        24000000 kB\nMemAvailable:   24384904 kB\n"
      "CommitLimit:    12341720 kB\nCommitted_AS:     512052 kB\nHugePages_Total:       0\n",
      kPath);
  ASSERT_TRUE(m) << m.error().ToString();
  EXPECT_EQ(m->mem_total_bytes, 24683444ull * 1024);
  EXPECT_EQ(m->mem_available_bytes, 24384904ull * 1024);
  EXPECT_EQ(m->commit_limit_bytes, 12341720ull * 1024);
  EXPECT_EQ(m->committed_as_bytes, 512052ull * 1024);
  ExpectMalformedAt(ParseMeminfo("MemTotal: 1 kB\nMemAvailable: lots kB\n", kPath).error(), 2);
  EXPECT_EQ(ParseMeminfo("MemFree: 1 kB\n", kPath).error().code, ErrorCode::kMalformed);
}

TEST(ParseVmstat, SplitAndLegacyRefaults) {
  auto v = ParseVmstat(
      "pgmajfault 2156\nworkingset_refault_anon 3\nworkingset_refault_file 99\n"
      "pswpin 4\npswpout 5\n",
      kPath);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->pgmajfault, 2156u);
  EXPECT_EQ(v->workingset_refault_file, 99u);
  EXPECT_EQ(v->pswpin, 4u);
  EXPECT_EQ(v->pswpout, 5u);
  EXPECT_EQ(ParseVmstat("workingset_refault 42\n", kPath)->workingset_refault_file, 42u);
}

TEST(ParseLoadavg, AllFields) {
  auto l = ParseLoadavg("0.20 0.18 0.12 1/80 11206\n", kPath);
  ASSERT_TRUE(l);
  EXPECT_DOUBLE_EQ(l->load1, 0.20);
  EXPECT_DOUBLE_EQ(l->load15, 0.12);
  EXPECT_EQ(l->running, 1u);
  EXPECT_EQ(l->total, 80u);
  EXPECT_EQ(l->last_pid, 11206);
  ExpectMalformedAt(ParseLoadavg("0.20 0.18 0.12 80 11206\n", kPath).error(), 1);
  ExpectMalformedAt(ParseLoadavg("", kPath).error(), 1);
}

TEST(ParseProcStat, CommWithParensAndSpaces) {
  std::string line =
      "1234 (my (odd) name) D 1 1234 1234 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 3 0 56789 1000 "
      "10 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  auto s = ParseProcStat(line, kPath);
  ASSERT_TRUE(s) << s.error().ToString();
  EXPECT_EQ(s->pid, 1234);
  EXPECT_EQ(s->comm, "my (odd) name");
  EXPECT_EQ(s->state, 'D');
  EXPECT_EQ(s->ppid, 1);
  EXPECT_EQ(s->num_threads, 3);
  EXPECT_EQ(s->start_time_ticks, 56789u);
}

TEST(ParseProcStat, CommMayContainClosingParenThenSpaceAndLetter) {
  auto s = ParseProcStat("7 (a) R (b) S 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 42 0 0\n", kPath);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->comm, "a) R (b");
  EXPECT_EQ(s->state, 'S');
  EXPECT_EQ(s->start_time_ticks, 42u);
}

TEST(ParseProcStat, Truncated) {
  ExpectMalformedAt(ParseProcStat("7 (a) S 1 7\n", kPath).error(), 1);
  ExpectMalformedAt(ParseProcStat("7 a S 1\n", kPath).error(), 1);
  ExpectMalformedAt(ParseProcStat("", kPath).error(), 1);
}

TEST(ParseNetSnmp, TcpOutAndRetrans) {
  auto n = ParseNetSnmp(
      "Ip: Forwarding DefaultTTL\nIp: 1 64\n"
      "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails "
      "EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors\n"
      "Tcp: 1 200 120000 -1 10 5 0 0 2 5000 4800 12 0 3 0\n"
      "Udp: InDatagrams NoPorts\nUdp: 1 2\n",
      kPath);
  ASSERT_TRUE(n) << n.error().ToString();
  EXPECT_EQ(n->tcp_out_segs, 4800u);
  EXPECT_EQ(n->tcp_retrans_segs, 12u);
  ExpectMalformedAt(ParseNetSnmp("Tcp: OutSegs RetransSegs\nTcp: 5\n", kPath).error(), 2);
  EXPECT_EQ(ParseNetSnmp("Ip: a\nIp: 1\n", kPath).error().code, ErrorCode::kMalformed);
}

TEST(ParseNetDev, SumsAllButLoopback) {
  auto d = ParseNetDev(
      "Inter-|   Receive                                                |  Transmit\n"
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
      "drop fifo colls carrier compressed\n"
      "    lo: 1234 10 0 0 0 0 0 0 1234 10 0 0 0 0 0 0\n"
      "  eth0: 5678 20 0 3 0 0 0 0 910 9 0 1 0 0 0 0\n"
      "  eth1: 2 1 0 0 0 0 0 0 8 1 0 0 0 0 0 0\n",
      kPath);
  ASSERT_TRUE(d) << d.error().ToString();
  EXPECT_EQ(d->rx_bytes, 5680u);
  EXPECT_EQ(d->rx_dropped, 3u);
  EXPECT_EQ(d->tx_bytes, 918u);
  EXPECT_EQ(d->tx_dropped, 1u);
  ExpectMalformedAt(ParseNetDev("h1\nh2\n  eth0: 1 2 3\n", kPath).error(), 3);
}

TEST(ParseProcCgroup, V1ControllerAndV2Line) {
  std::string_view text =
      "12:memory:/kubepods/burstable/pod1/abc\n"
      "3:cpu,cpuacct:/kubepods/burstable/pod1/abc\n"
      "1:name=systemd:/system.slice\n"
      "0::/kubepods.slice/x.scope\n";
  EXPECT_EQ(*ParseProcCgroup(text, kPath, "memory"), "/kubepods/burstable/pod1/abc");
  EXPECT_EQ(*ParseProcCgroup(text, kPath, "cpuacct"), "/kubepods/burstable/pod1/abc");
  EXPECT_EQ(*ParseProcCgroup(text, kPath, ""), "/kubepods.slice/x.scope");
  EXPECT_EQ(ParseProcCgroup(text, kPath, "pids").error().code, ErrorCode::kNotFound);
  ExpectMalformedAt(ParseProcCgroup("garbage\n", kPath, "memory").error(), 1);
}

}  // namespace
}  // namespace gt::collectors
