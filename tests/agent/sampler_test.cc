#include "agent/sampler.h"

#include <gtest/gtest.h>

#include "agent/log.h"
#include "tree.h"

namespace gt::agent {
namespace {

using testing::FakeHost;

// The newest sample in the ring, decoded through the wire format as a scraper sees it.
wire::Sample Newest(const Ring& ring) {
  RingSlice slice = ring.Since(ring.newest_seq() - 1, SIZE_MAX);
  EXPECT_EQ(slice.samples.size(), 1u);
  Result<std::string> json = slice.samples.at(0)->Json();
  EXPECT_TRUE(json);
  std::string doc = wire::EncodeResponse(wire::NodeIdentity{"n", "b"}, slice.cursor, 5, false,
                                         false, {std::string_view(*json)});
  Result<wire::SamplesResponse> decoded = wire::DecodeSamplesResponse(doc);
  EXPECT_TRUE(decoded) << decoded.error().ToString();
  return decoded->samples.at(0);
}

class SamplerTest : public ::testing::Test {
 protected:
  void SetUp() override { SetLogEnabled(false); }
  void TearDown() override { SetLogEnabled(true); }

  std::unique_ptr<Sampler> MakeSampler() {
    SamplerOptions options;
    options.host = host_.paths();
    auto sampler = Sampler::Create(options, ring_, clock_, metrics_);
    EXPECT_TRUE(sampler) << sampler.error().ToString();
    return std::move(*sampler);
  }

  FakeHost host_;
  FakeClock clock_;
  Ring ring_{RingLimits{}};
  AgentMetrics metrics_;
};

TEST_F(SamplerTest, ReadsEveryPodAndContainerOfTheNode) {
  host_.AddPod(1, 2, 100 << 20);
  host_.AddPod(2, 1, 300 << 20);
  auto sampler = MakeSampler();
  ASSERT_TRUE(sampler->SampleOnce());
  EXPECT_EQ(sampler->open_readers(), 5u);  // 2 pods + 3 containers

  wire::Sample s = Newest(ring_);
  EXPECT_EQ(s.seq, 1u);
  EXPECT_EQ(s.monotonic, clock_.Monotonic());
  EXPECT_EQ(s.node.mem_total_bytes, 16384000ull * 1024);
  ASSERT_TRUE(s.node.memory_pressure);
  EXPECT_EQ(s.node.memory_pressure->some.total_us, 1000u);
  ASSERT_EQ(s.pods.size(), 2u);
  const wire::PodSample& pod = s.pods[0];
  EXPECT_EQ(pod.uid, FakeHost::PodUid(1));
  EXPECT_EQ(pod.qos, "burstable");
  ASSERT_TRUE(pod.reading);
  EXPECT_EQ(pod.reading->memory.usage_bytes, 200u << 20);
  ASSERT_EQ(pod.containers.size(), 2u);
  EXPECT_EQ(pod.containers[0].id, FakeHost::ContainerId(1, 0));
  const CgroupReading& r = pod.containers[0].reading;
  EXPECT_EQ(r.memory.usage_bytes, 100u << 20);
  EXPECT_EQ(r.memory.limit_bytes, std::optional<uint64_t>(200u << 20));
  EXPECT_FALSE(r.memory.high_bytes);
  EXPECT_EQ(r.memory.inactive_file_bytes, 6291456u);
  ASSERT_TRUE(r.memory.pressure);
  EXPECT_EQ(r.memory.pressure->some.avg10, 12.5);
  EXPECT_EQ(r.cpu.quota_us, std::optional<uint64_t>(50000));
  EXPECT_EQ(r.cpu.nr_throttled, 10u);
  EXPECT_EQ(r.pids.current, 3u);
  EXPECT_FALSE(r.pids.limit);
  EXPECT_EQ(s.pods[1].containers.at(0).reading.memory.usage_bytes, 300u << 20);
  EXPECT_EQ(metrics_.samples_taken.load(), 1u);
  EXPECT_EQ(metrics_.read_errors.load(), 0u);
}

TEST_F(SamplerTest, KeepsReadersAcrossTicksAndClosesThoseOfVanishedCgroups) {
  host_.AddPod(1, 3);
  host_.AddPod(2, 3);
  auto sampler = MakeSampler();
  ASSERT_TRUE(sampler->SampleOnce());
  EXPECT_EQ(sampler->open_readers(), 8u);

  // The same files re-read: a changed value shows without reopening.
  testing::WriteFile(host_.PodDir(1) + "/" + FakeHost::ContainerId(1, 0) + "/memory.current",
                     "777\n");
  clock_.Advance(std::chrono::seconds(5));
  ASSERT_TRUE(sampler->SampleOnce());
  wire::Sample s = Newest(ring_);
  EXPECT_EQ(s.seq, 2u);
  EXPECT_EQ(s.pods.at(0).containers.at(0).reading.memory.usage_bytes, 777u);
  EXPECT_EQ(s.pods.at(0).containers.at(0).reading.time, clock_.Monotonic());

  host_.RemovePod(2);
  clock_.Advance(std::chrono::seconds(5));
  ASSERT_TRUE(sampler->SampleOnce());
  EXPECT_EQ(sampler->open_readers(), 4u);
  s = Newest(ring_);
  ASSERT_EQ(s.pods.size(), 1u);
  EXPECT_EQ(s.pods[0].uid, FakeHost::PodUid(1));

  host_.AddPod(3, 1);
  clock_.Advance(std::chrono::seconds(5));
  ASSERT_TRUE(sampler->SampleOnce());
  EXPECT_EQ(sampler->open_readers(), 6u);
  EXPECT_EQ(Newest(ring_).pods.size(), 2u);
  EXPECT_EQ(metrics_.read_errors.load(), 0u);
  EXPECT_EQ(ring_.size(), 4u);
}

TEST_F(SamplerTest, NodeWithoutPodsStillSamplesTheNode) {
  auto sampler = MakeSampler();
  ASSERT_TRUE(sampler->SampleOnce());
  wire::Sample s = Newest(ring_);
  EXPECT_TRUE(s.pods.empty());
  EXPECT_EQ(s.node.mem_available_bytes, 12000000ull * 1024);
}

TEST_F(SamplerTest, BootIdComesFromTheHostProc) {
  auto id = ReadBootId(host_.paths());
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, "0d4c6a36-4c2b-4b4e-9a6e-2f1f7c3b9a10");
  collectors::HostPaths missing{"/nonexistent-proc", "/nonexistent"};
  EXPECT_FALSE(ReadBootId(missing));
}

TEST_F(SamplerTest, RingStaysWithinBytesWhateverTheNodeRuns) {
  for (int pod = 0; pod < 30; ++pod) host_.AddPod(pod, 3);
  SamplerOptions options;
  options.host = host_.paths();
  Ring small(RingLimits{180, 64 * 1024});
  auto sampler = Sampler::Create(options, small, clock_, metrics_);
  ASSERT_TRUE(sampler);
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE((*sampler)->SampleOnce());
    clock_.Advance(std::chrono::seconds(5));
    EXPECT_LE(small.stored_bytes(), 64u * 1024);
  }
  EXPECT_LT(small.size(), 40u);
  EXPECT_GT(small.evicted(), 0u);
}

}  // namespace
}  // namespace gt::agent
