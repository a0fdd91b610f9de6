#include <gtest/gtest.h>

#include "wire/samples.h"

namespace gt::wire {
namespace {

// Every field set to a distinct value, so a field dropped or swapped by the codec shows.
Pressure MakePressure(double base, bool with_full) {
  Pressure p;
  p.some =
      PressureLine{base + 0.11, base + 0.22, base + 0.33, static_cast<uint64_t>(base) * 1000 + 7};
  if (with_full) {
    p.full =
        PressureLine{base + 0.44, base + 0.55, base + 0.66, static_cast<uint64_t>(base) * 1000 + 9};
  }
  return p;
}

CgroupReading MakeReading(uint64_t k) {
  CgroupReading r;
  r.time = MonotonicTime(5'000'000'000 + k);
  MemoryReading& m = r.memory;
  m.usage_bytes = k + 1;
  m.limit_bytes = k + 2;
  m.high_bytes = k + 3;
  m.peak_bytes = k + 4;
  m.anon_bytes = k + 5;
  m.file_bytes = k + 6;
  m.active_file_bytes = k + 7;
  m.inactive_file_bytes = k + 8;
  m.swap_usage_bytes = k + 9;
  m.swap_limit_bytes = k + 10;
  m.pgfault = k + 11;
  m.pgmajfault = k + 12;
  m.workingset_refault_file = k + 13;
  m.workingset_refault_anon = k + 14;
  m.events_low = k + 15;
  m.events_high = k + 16;
  m.events_max = k + 17;
  m.events_oom = k + 18;
  m.events_oom_kill = k + 19;
  m.pressure = MakePressure(10, true);
  CpuReading& c = r.cpu;
  c.usage_us = k + 21;
  c.user_us = k + 22;
  c.system_us = k + 23;
  c.nr_periods = k + 24;
  c.nr_throttled = k + 25;
  c.throttled_us = k + 26;
  c.quota_us = k + 27;
  c.period_us = k + 28;
  c.pressure = MakePressure(20, false);
  r.io.read_bytes = k + 31;
  r.io.write_bytes = k + 32;
  r.io.read_ios = k + 33;
  r.io.write_ios = k + 34;
  r.io.pressure = MakePressure(30, true);
  r.pids.current = k + 41;
  r.pids.limit = k + 42;
  r.pids.events_max = k + 43;
  r.process_count = 44;
  r.blocked.push_back(BlockedThread{-45, 46, k + 47, "mysqld \"io\"\\\x01"});
  r.blocked.push_back(BlockedThread{48, 49, 50, "kworker/0:1"});
  r.net = NetReading{k + 51, k + 52, k + 53, k + 54, k + 55, k + 56};
  return r;
}

SamplesResponse MakeResponse() {
  SamplesResponse resp;
  resp.node = NodeIdentity{"node-3", "6c1f7a46-8a8e-4a0c-9d6e-0d3f1b2c3d4e"};
  resp.cursor = 43;
  resp.interval_seconds = 5;
  resp.truncated = true;
  resp.more = true;
  for (uint64_t seq : {42u, 43u}) {
    Sample s;
    s.seq = seq;
    s.monotonic = MonotonicTime(7'000'000'000 + seq);
    NodeReading& n = s.node;
    n.time = MonotonicTime(6'000'000'000 + seq);
    n.mem_total_bytes = 61;
    n.mem_available_bytes = 62;
    n.committed_as_bytes = 63;
    n.commit_limit_bytes = 64;
    n.pgmajfault = 65;
    n.workingset_refault_file = 66;
    n.pswpin = 67;
    n.pswpout = 68;
    n.load1 = 0.1;
    n.load5 = 1.0 / 3.0;
    n.load15 = 12.75;
    n.procs_running = 69;
    n.memory_pressure = MakePressure(70, true);
    n.cpu_pressure = MakePressure(80, false);
    n.io_pressure = MakePressure(90, true);
    PodSample pod;
    pod.uid = "0f3c1a5e-1111-2222-3333-444455556666";
    pod.qos = "burstable";
    pod.reading = MakeReading(1000);
    pod.containers.push_back(ContainerSample{"a1b2c3", "containerd", MakeReading(2000 + seq)});
    pod.containers.push_back(ContainerSample{"d4e5f6", "cri-o", MakeReading(3000)});
    s.pods.push_back(pod);
    PodSample bare;
    bare.uid = "best-effort-pod";
    bare.qos = "besteffort";
    s.pods.push_back(bare);
    resp.samples.push_back(s);
  }
  return resp;
}

void ExpectLine(const PressureLine& a, const PressureLine& b) {
  EXPECT_EQ(a.avg10, b.avg10);
  EXPECT_EQ(a.avg60, b.avg60);
  EXPECT_EQ(a.avg300, b.avg300);
  EXPECT_EQ(a.total_us, b.total_us);
}

void ExpectPressure(const std::optional<Pressure>& a, const std::optional<Pressure>& b) {
  ASSERT_EQ(a.has_value(), b.has_value());
  if (!a) return;
  ExpectLine(a->some, b->some);
  ASSERT_EQ(a->full.has_value(), b->full.has_value());
  if (a->full) ExpectLine(*a->full, *b->full);
}

void ExpectReading(const CgroupReading& a, const CgroupReading& b) {
  EXPECT_EQ(a.time, b.time);
  const MemoryReading& m = a.memory;
  const MemoryReading& n = b.memory;
  EXPECT_EQ(m.usage_bytes, n.usage_bytes);
  EXPECT_EQ(m.limit_bytes, n.limit_bytes);
  EXPECT_EQ(m.high_bytes, n.high_bytes);
  EXPECT_EQ(m.peak_bytes, n.peak_bytes);
  EXPECT_EQ(m.anon_bytes, n.anon_bytes);
  EXPECT_EQ(m.file_bytes, n.file_bytes);
  EXPECT_EQ(m.active_file_bytes, n.active_file_bytes);
  EXPECT_EQ(m.inactive_file_bytes, n.inactive_file_bytes);
  EXPECT_EQ(m.swap_usage_bytes, n.swap_usage_bytes);
  EXPECT_EQ(m.swap_limit_bytes, n.swap_limit_bytes);
  EXPECT_EQ(m.pgfault, n.pgfault);
  EXPECT_EQ(m.pgmajfault, n.pgmajfault);
  EXPECT_EQ(m.workingset_refault_file, n.workingset_refault_file);
  EXPECT_EQ(m.workingset_refault_anon, n.workingset_refault_anon);
  EXPECT_EQ(m.events_low, n.events_low);
  EXPECT_EQ(m.events_high, n.events_high);
  EXPECT_EQ(m.events_max, n.events_max);
  EXPECT_EQ(m.events_oom, n.events_oom);
  EXPECT_EQ(m.events_oom_kill, n.events_oom_kill);
  ExpectPressure(m.pressure, n.pressure);
  EXPECT_EQ(a.cpu.usage_us, b.cpu.usage_us);
  EXPECT_EQ(a.cpu.user_us, b.cpu.user_us);
  EXPECT_EQ(a.cpu.system_us, b.cpu.system_us);
  EXPECT_EQ(a.cpu.nr_periods, b.cpu.nr_periods);
  EXPECT_EQ(a.cpu.nr_throttled, b.cpu.nr_throttled);
  EXPECT_EQ(a.cpu.throttled_us, b.cpu.throttled_us);
  EXPECT_EQ(a.cpu.quota_us, b.cpu.quota_us);
  EXPECT_EQ(a.cpu.period_us, b.cpu.period_us);
  ExpectPressure(a.cpu.pressure, b.cpu.pressure);
  EXPECT_EQ(a.io.read_bytes, b.io.read_bytes);
  EXPECT_EQ(a.io.write_bytes, b.io.write_bytes);
  EXPECT_EQ(a.io.read_ios, b.io.read_ios);
  EXPECT_EQ(a.io.write_ios, b.io.write_ios);
  ExpectPressure(a.io.pressure, b.io.pressure);
  EXPECT_EQ(a.pids.current, b.pids.current);
  EXPECT_EQ(a.pids.limit, b.pids.limit);
  EXPECT_EQ(a.pids.events_max, b.pids.events_max);
  EXPECT_EQ(a.process_count, b.process_count);
  ASSERT_EQ(a.blocked.size(), b.blocked.size());
  for (size_t i = 0; i < a.blocked.size(); ++i) {
    EXPECT_EQ(a.blocked[i].pid, b.blocked[i].pid);
    EXPECT_EQ(a.blocked[i].tid, b.blocked[i].tid);
    EXPECT_EQ(a.blocked[i].start_time_ticks, b.blocked[i].start_time_ticks);
    EXPECT_EQ(a.blocked[i].comm, b.blocked[i].comm);
  }
  ASSERT_EQ(a.net.has_value(), b.net.has_value());
  if (a.net) {
    EXPECT_EQ(a.net->tcp_out_segs, b.net->tcp_out_segs);
    EXPECT_EQ(a.net->tcp_retrans_segs, b.net->tcp_retrans_segs);
    EXPECT_EQ(a.net->rx_bytes, b.net->rx_bytes);
    EXPECT_EQ(a.net->tx_bytes, b.net->tx_bytes);
    EXPECT_EQ(a.net->rx_dropped, b.net->rx_dropped);
    EXPECT_EQ(a.net->tx_dropped, b.net->tx_dropped);
  }
}

TEST(WireTest, RoundTripKeepsEveryField) {
  SamplesResponse in = MakeResponse();
  std::string json = EncodeResponse(in);
  Result<SamplesResponse> out = DecodeSamplesResponse(json);
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(out->node.name, in.node.name);
  EXPECT_EQ(out->node.boot_id, in.node.boot_id);
  EXPECT_EQ(out->cursor, in.cursor);
  EXPECT_EQ(out->interval_seconds, in.interval_seconds);
  EXPECT_EQ(out->truncated, in.truncated);
  EXPECT_EQ(out->more, in.more);
  ASSERT_EQ(out->samples.size(), in.samples.size());
  for (size_t i = 0; i < in.samples.size(); ++i) {
    const Sample& a = in.samples[i];
    const Sample& b = out->samples[i];
    EXPECT_EQ(a.seq, b.seq);
    EXPECT_EQ(a.monotonic, b.monotonic);
    EXPECT_EQ(a.node.time, b.node.time);
    EXPECT_EQ(a.node.mem_total_bytes, b.node.mem_total_bytes);
    EXPECT_EQ(a.node.mem_available_bytes, b.node.mem_available_bytes);
    EXPECT_EQ(a.node.committed_as_bytes, b.node.committed_as_bytes);
    EXPECT_EQ(a.node.commit_limit_bytes, b.node.commit_limit_bytes);
    EXPECT_EQ(a.node.pgmajfault, b.node.pgmajfault);
    EXPECT_EQ(a.node.workingset_refault_file, b.node.workingset_refault_file);
    EXPECT_EQ(a.node.pswpin, b.node.pswpin);
    EXPECT_EQ(a.node.pswpout, b.node.pswpout);
    EXPECT_EQ(a.node.load1, b.node.load1);
    EXPECT_EQ(a.node.load5, b.node.load5);
    EXPECT_EQ(a.node.load15, b.node.load15);
    EXPECT_EQ(a.node.procs_running, b.node.procs_running);
    ExpectPressure(a.node.memory_pressure, b.node.memory_pressure);
    ExpectPressure(a.node.cpu_pressure, b.node.cpu_pressure);
    ExpectPressure(a.node.io_pressure, b.node.io_pressure);
    ASSERT_EQ(a.pods.size(), b.pods.size());
    for (size_t p = 0; p < a.pods.size(); ++p) {
      EXPECT_EQ(a.pods[p].uid, b.pods[p].uid);
      EXPECT_EQ(a.pods[p].qos, b.pods[p].qos);
      ASSERT_EQ(a.pods[p].reading.has_value(), b.pods[p].reading.has_value());
      if (a.pods[p].reading) ExpectReading(*a.pods[p].reading, *b.pods[p].reading);
      ASSERT_EQ(a.pods[p].containers.size(), b.pods[p].containers.size());
      for (size_t c = 0; c < a.pods[p].containers.size(); ++c) {
        EXPECT_EQ(a.pods[p].containers[c].id, b.pods[p].containers[c].id);
        EXPECT_EQ(a.pods[p].containers[c].runtime, b.pods[p].containers[c].runtime);
        ExpectReading(a.pods[p].containers[c].reading, b.pods[p].containers[c].reading);
      }
    }
  }
  // Encoding what was decoded gives the same text: nothing is lost or reordered.
  EXPECT_EQ(EncodeResponse(*out), json);
}

TEST(WireTest, UnlimitedIsAbsentNotASentinel) {
  SamplesResponse in = MakeResponse();
  CgroupReading& r = in.samples[0].pods[0].containers[0].reading;
  r.memory.limit_bytes.reset();
  r.memory.pressure.reset();
  r.cpu.quota_us.reset();
  r.pids.limit.reset();
  r.net.reset();
  std::string json = EncodeSample(in.samples[0]);
  std::string first_container = json.substr(json.find("\"containers\""));
  first_container = first_container.substr(0, first_container.find("\"id\":\"d4e5f6\""));
  EXPECT_EQ(first_container.find("limitBytes"), std::string::npos);
  EXPECT_EQ(first_container.find("quotaUs"), std::string::npos);
  EXPECT_EQ(first_container.find("\"net\""), std::string::npos);
  Result<SamplesResponse> out = DecodeSamplesResponse(EncodeResponse(in));
  ASSERT_TRUE(out) << out.error().ToString();
  const CgroupReading& d = out->samples[0].pods[0].containers[0].reading;
  EXPECT_FALSE(d.memory.limit_bytes);
  EXPECT_FALSE(d.memory.pressure);
  EXPECT_FALSE(d.cpu.quota_us);
  EXPECT_FALSE(d.pids.limit);
  EXPECT_FALSE(d.net);
}

TEST(WireTest, InvalidUtf8AndControlCharactersStillDecode) {
  SamplesResponse in = MakeResponse();
  in.samples[0].pods[0].containers[0].reading.blocked[0].comm = std::string("a\xff\xc3(\n\"z", 7);
  Result<SamplesResponse> out = DecodeSamplesResponse(EncodeResponse(in));
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(out->samples[0].pods[0].containers[0].reading.blocked[0].comm,
            "a\xef\xbf\xbd\xef\xbf\xbd(\n\"z");
}

TEST(WireTest, UnknownFieldsAreIgnoredAndMissingCountersAreZero) {
  auto out = DecodeSamplesResponse(R"({"apiVersion":"groundtruth.dev/v1","future":{"x":[1]},
    "node":{"name":"n1","zone":"z"},"cursor":7,
    "samples":[{"seq":7,"monotonicNs":100,"extra":true,
      "pods":[{"uid":"u","containers":[{"id":"c","reading":{"memory":{"usageBytes":5,"newThing":"s"}}}]}]}]})");
  ASSERT_TRUE(out) << out.error().ToString();
  const CgroupReading& r = out->samples[0].pods[0].containers[0].reading;
  EXPECT_EQ(r.memory.usage_bytes, 5u);
  EXPECT_EQ(r.memory.pgmajfault, 0u);
  EXPECT_FALSE(r.memory.limit_bytes);
  EXPECT_EQ(out->node.boot_id, "");
}

struct BadCase {
  const char* json;
  const char* error;
};

class WireErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(WireErrorTest, NamesThePathThatIsWrong) {
  auto out = DecodeSamplesResponse(GetParam().json);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::kMalformed);
  EXPECT_NE(out.error().message.find(GetParam().error), std::string::npos)
      << "got: " << out.error().message;
}

#define GT_HEAD R"({"apiVersion":"groundtruth.dev/v1","node":{"name":"n"},"cursor":1,)"
#define GT_SAMPLE(pods) R"("samples":[{"seq":1,"monotonicNs":1,"pods":)" pods "}]}"

INSTANTIATE_TEST_SUITE_P(
    Malformed, WireErrorTest,
    ::testing::Values(
        BadCase{"", "not JSON"}, BadCase{"{\"apiVersion\":", "not JSON"},
        BadCase{"[1,2]", "expected a JSON object"}, BadCase{"null", "expected a JSON object"},
        BadCase{R"({"node":{"name":"n"}})", "apiVersion: required field missing"},
        BadCase{R"({"apiVersion":"groundtruth.dev/v2"})", "apiVersion: unsupported version"},
        BadCase{R"({"apiVersion":"groundtruth.dev/v1","node":"n"})", "node: expected object"},
        BadCase{R"({"apiVersion":"groundtruth.dev/v1","node":{"name":3}})",
                "node.name: expected string"},
        BadCase{GT_HEAD R"("samples":{}})", "samples: expected array"},
        BadCase{
            R"({"apiVersion":"groundtruth.dev/v1","node":{"name":"n"},"cursor":-1,"samples":[]})",
            "cursor: expected unsigned integer"},
        BadCase{
            R"({"apiVersion":"groundtruth.dev/v1","node":{"name":"n"},"cursor":1.5,"samples":[]})",
            "cursor: expected unsigned integer"},
        BadCase{GT_HEAD R"("samples":[{"seq":1,"monotonicNs":1},{"seq":"2"}]})",
                "samples[1].seq: expected unsigned integer"},
        BadCase{GT_HEAD R"("samples":[3]})", "samples[0]: expected object"},
        BadCase{GT_HEAD R"("samples":[{"seq":1}]})",
                "samples[0].monotonicNs: required field missing"},
        BadCase{
            GT_HEAD GT_SAMPLE(R"([{"uid":"a"},{"uid":"b","containers":[{"id":"x","reading":{}},)"
                              R"({"id":"y","reading":{"memory":{"usageBytes":"12"}}}]}])"),
            "samples[0].pods[1].containers[1].reading.memory.usageBytes: expected unsigned "
            "integer"},
        BadCase{
            GT_HEAD GT_SAMPLE(R"([{"uid":"a","containers":[{"id":"x","reading":{"cpu":{"pressure":)"
                              R"({"some":{"avg10":"high"}}}}}]}])"),
            "samples[0].pods[0].containers[0].reading.cpu.pressure.some.avg10: expected number"},
        BadCase{GT_HEAD GT_SAMPLE(
                    R"([{"uid":"a","containers":[{"id":"x","reading":{"io":{"pressure":{}}}}]}])"),
                "reading.io.pressure.some: required field missing"},
        BadCase{
            GT_HEAD GT_SAMPLE(
                R"([{"uid":"a","containers":[{"id":"x","reading":{"blocked":[{"pid":1e99}]}}]}])"),
            "reading.blocked[0].pid: expected integer"},
        BadCase{
            GT_HEAD GT_SAMPLE(
                R"([{"uid":"a","containers":[{"id":"x","reading":{"processCount":5000000000}}]}])"),
            "reading.processCount: unsigned integer out of range"},
        BadCase{GT_HEAD GT_SAMPLE(R"([{"uid":"a","containers":[{"reading":{}}]}])"),
                "samples[0].pods[0].containers[0].id: required field missing"},
        BadCase{GT_HEAD GT_SAMPLE(R"([{"uid":"a","containers":[{"id":"x"}]}])"),
                "samples[0].pods[0].containers[0].reading: required field missing"},
        BadCase{GT_HEAD GT_SAMPLE(R"([{"uid":"a","reading":[]}])"),
                "samples[0].pods[0].reading: expected object"},
        BadCase{GT_HEAD R"("samples":[{"seq":1,"monotonicNs":18446744073709551615}]})",
                "samples[0].monotonicNs: unsigned integer out of range"},
        BadCase{GT_HEAD R"("samples":[{"seq":1,"monotonicNs":1,"node":{"load1":null}}]})",
                "samples[0].node.load1: expected number"}));

TEST(WireTest, DeepNestingIsRefusedWithoutRecursion) {
  std::string deep(100000, '[');
  auto out = DecodeSamplesResponse(deep);
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message.find("nested deeper"), std::string::npos);
}

TEST(WireTest, TruncatedDocumentsNeverDecode) {
  std::string json = EncodeResponse(MakeResponse());
  for (size_t cut = 0; cut + 1 < json.size(); cut += 97) {
    EXPECT_FALSE(DecodeSamplesResponse(std::string_view(json).substr(0, cut))) << cut;
  }
}

}  // namespace
}  // namespace gt::wire
