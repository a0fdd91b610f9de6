#include "agent/replies.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "agent/log.h"
#include "agent/sampler.h"
#include "tree.h"

namespace gt::agent {
namespace {

std::string Gunzip(const std::string& gz) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out;
  char buf[65536];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  }
  inflateEnd(&z);
  EXPECT_EQ(rc, Z_STREAM_END);
  return out;
}

class RepliesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogEnabled(false);
    for (int p = 0; p < 8; ++p) host_.AddPod(p, 3);
    SamplerOptions so;
    so.host = host_.paths();
    auto sampler = Sampler::Create(so, ring_, clock_, metrics_);
    ASSERT_TRUE(sampler);
    sampler_ = std::move(*sampler);
    for (int i = 0; i < 4; ++i) {
      ASSERT_TRUE(sampler_->SampleOnce());
      clock_.Advance(std::chrono::seconds(5));
    }
  }
  void TearDown() override { SetLogEnabled(true); }

  // What the agent sent before replies were shared: every sample inflated, then enveloped.
  std::string Expected(uint64_t since, size_t max_json) {
    RingSlice slice = ring_.Since(since, max_json);
    std::vector<std::string> texts;
    for (const auto& s : slice.samples) texts.push_back(*s->Json());
    std::vector<std::string_view> views(texts.begin(), texts.end());
    return wire::EncodeResponse(node_, slice.cursor, 5, slice.truncated, slice.more, views);
  }

  testing::FakeHost host_;
  FakeClock clock_;
  Ring ring_{RingLimits{}};
  AgentMetrics metrics_;
  std::unique_ptr<Sampler> sampler_;
  wire::NodeIdentity node_{"node-a", "boot-1"};
};

TEST_F(RepliesTest, BodiesAreTheWireEncodingGzippedOrNot) {
  ReplyBudget budget(64 << 20);
  SampleReplies replies(ring_, budget, 4 << 20, node_, 5);
  for (uint64_t since : {0, 2, 4, 9}) {
    auto plain = replies.Get(since, false);
    ASSERT_TRUE(plain) << plain.error().ToString();
    EXPECT_EQ(**plain, Expected(since, 4 << 20)) << "since=" << since;
    auto gz = replies.Get(since, true);
    ASSERT_TRUE(gz);
    EXPECT_EQ(Gunzip(**gz), **plain);
    if (since < 4) {
      EXPECT_LT((*gz)->size(), (*plain)->size() / 4);
    }
  }
  // Cut at the size bound: "more", and the cursor says where to go on.
  SampleReplies small(ring_, budget, 1, node_, 5);
  auto cut = small.Get(0, false);
  ASSERT_TRUE(cut);
  EXPECT_EQ(**cut, Expected(0, 1));
  auto decoded = wire::DecodeSamplesResponse(**cut);
  ASSERT_TRUE(decoded);
  EXPECT_TRUE(decoded->more);
  EXPECT_EQ(decoded->samples.size(), 1u);
}

TEST_F(RepliesTest, OneBodyPerQuestionAndSampleChargedOnce) {
  ReplyBudget budget(64 << 20);
  SampleReplies replies(ring_, budget, 4 << 20, node_, 5);
  auto a = replies.Get(0, false);
  auto b = replies.Get(0, false);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->get(), b->get());
  EXPECT_EQ(replies.built(), 1u);
  EXPECT_EQ(replies.shared(), 1u);
  EXPECT_EQ(budget.used(), (*a)->size());
  ASSERT_TRUE(sampler_->SampleOnce());  // a new newest sample: a new body
  auto c = replies.Get(0, false);
  ASSERT_TRUE(c);
  EXPECT_NE(c->get(), a->get());
  EXPECT_EQ(budget.used(), (*a)->size() + (*c)->size());
  a->reset();
  b->reset();
  EXPECT_EQ(budget.used(), (*c)->size());  // the old body went with its last holder
}

TEST_F(RepliesTest, ABodyBeyondTheBudgetIsRefusedUntilHeldOnesGo) {
  ReplyBudget probe(64 << 20);
  size_t one = (*SampleReplies(ring_, probe, 4 << 20, node_, 5).Get(0, false))->size();
  ReplyBudget budget(one + one / 2);
  SampleReplies replies(ring_, budget, 4 << 20, node_, 5);
  auto held = replies.Get(0, false);  // a client that never reads holds it
  ASSERT_TRUE(held);
  auto other = replies.Get(1, false);  // a different body of about the same size
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(other.error().message.find("held for replies"), std::string::npos);
  EXPECT_TRUE(replies.Get(0, false));  // the same question shares the held body
  held->reset();
  // Kept for reuse but held by no one: given up to make room.
  EXPECT_TRUE(replies.Get(1, false));
  EXPECT_LE(budget.used(), budget.max());
}

TEST_F(RepliesTest, AGzipBodyIsChargedWhatItKeeps) {
  ReplyBudget budget(64 << 20);
  SampleReplies replies(ring_, budget, 4 << 20, node_, 5);
  auto gz = replies.Get(0, true);
  ASSERT_TRUE(gz);
  EXPECT_GE(budget.used(), (*gz)->size());
  EXPECT_LT(budget.used(), (*gz)->size() + 4096);
  gz->reset();
  SampleReplies other(ring_, budget, 4 << 20, node_, 5);
  EXPECT_GT(budget.used(), 0u);  // still kept by `replies` for reuse
}

}  // namespace
}  // namespace gt::agent
