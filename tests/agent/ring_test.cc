#include "agent/ring.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace gt::agent {
namespace {

std::shared_ptr<const StoredSample> Make(uint64_t seq, size_t json_bytes = 100) {
  // Digits of the seq repeated: compresses like a real sample does, differs per seq. Fixed
  // width, so that every seq compresses to about the same size (the byte-bound test counts).
  std::string json = "{\"seq\":" + std::to_string(seq) + ",\"pad\":\"";
  while (json.size() + 2 < json_bytes) {
    char digits[24];
    std::snprintf(digits, sizeof digits, "%08llu",
                  static_cast<unsigned long long>(seq * 7919 + json.size()));
    json += digits;
  }
  json.resize(json_bytes - 2);
  json += "\"}";
  auto stored = StoredSample::Compress(seq, MonotonicTime(seq * 5'000'000'000), json);
  EXPECT_TRUE(stored);
  return *stored;
}

std::vector<uint64_t> Seqs(const RingSlice& slice) {
  std::vector<uint64_t> out;
  for (const auto& s : slice.samples) out.push_back(s->seq());
  return out;
}

TEST(RingTest, CompressedSampleInflatesToTheSameText) {
  std::string json(50000, 'x');
  json += "{\"tail\":1}";
  auto stored = StoredSample::Compress(1, MonotonicTime(1), json);
  ASSERT_TRUE(stored);
  EXPECT_LT((*stored)->stored_bytes(), json.size() / 10);
  auto back = (*stored)->Json();
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, json);
}

TEST(RingTest, CountBoundEvictsOldest) {
  Ring ring(RingLimits{3, 1 << 30});
  for (uint64_t seq = 1; seq <= 5; ++seq) ASSERT_TRUE(ring.Append(Make(seq)));
  EXPECT_EQ(ring.size(), 3u);
  EXPECT_EQ(ring.evicted(), 2u);
  EXPECT_EQ(Seqs(ring.Since(0, SIZE_MAX)), (std::vector<uint64_t>{3, 4, 5}));
}

TEST(RingTest, ByteBoundEvictsOldestButKeepsTheNewest) {
  size_t one = Make(1, 4000)->stored_bytes();
  Ring ring(RingLimits{1000, one * 4 + one / 2});
  for (uint64_t seq = 1; seq <= 20; ++seq) {
    ASSERT_TRUE(ring.Append(Make(seq, 4000)));
    EXPECT_LE(ring.stored_bytes(), one * 5) << seq;
  }
  EXPECT_EQ(ring.size(), 4u);
  EXPECT_EQ(ring.newest_seq(), 20u);

  // A single sample larger than the whole budget still leaves the newest one held.
  Ring tiny(RingLimits{10, 16});
  ASSERT_TRUE(tiny.Append(Make(1, 4000)));
  ASSERT_TRUE(tiny.Append(Make(2, 4000)));
  EXPECT_EQ(Seqs(tiny.Since(0, SIZE_MAX)), (std::vector<uint64_t>{2}));
}

TEST(RingTest, RefusesSeqsThatDoNotIncrease) {
  Ring ring(RingLimits{});
  ASSERT_TRUE(ring.Append(Make(5)));
  EXPECT_FALSE(ring.Append(Make(5)));
  EXPECT_FALSE(ring.Append(Make(4)));
  EXPECT_TRUE(ring.Append(Make(6)));
}

TEST(RingTest, SinceReturnsOnlyNewerSamples) {
  Ring ring(RingLimits{10, 1 << 30});
  for (uint64_t seq = 1; seq <= 6; ++seq) ASSERT_TRUE(ring.Append(Make(seq)));
  RingSlice slice = ring.Since(4, SIZE_MAX);
  EXPECT_EQ(Seqs(slice), (std::vector<uint64_t>{5, 6}));
  EXPECT_EQ(slice.cursor, 6u);
  EXPECT_FALSE(slice.truncated);
  EXPECT_FALSE(slice.more);

  // Caught up: nothing new, the cursor stays.
  slice = ring.Since(6, SIZE_MAX);
  EXPECT_TRUE(slice.samples.empty());
  EXPECT_EQ(slice.cursor, 6u);
  EXPECT_FALSE(slice.truncated);

  // First contact on a ring that still holds seq 1: nothing was lost.
  slice = ring.Since(0, SIZE_MAX);
  EXPECT_EQ(slice.samples.size(), 6u);
  EXPECT_FALSE(slice.truncated);
}

TEST(RingTest, CursorOlderThanTheRingSaysTruncated) {
  Ring ring(RingLimits{3, 1 << 30});
  for (uint64_t seq = 1; seq <= 10; ++seq) ASSERT_TRUE(ring.Append(Make(seq)));
  RingSlice slice = ring.Since(2, SIZE_MAX);
  EXPECT_EQ(Seqs(slice), (std::vector<uint64_t>{8, 9, 10}));
  EXPECT_TRUE(slice.truncated);
  // The sample right before the oldest held: nothing missed.
  slice = ring.Since(7, SIZE_MAX);
  EXPECT_EQ(Seqs(slice), (std::vector<uint64_t>{8, 9, 10}));
  EXPECT_FALSE(slice.truncated);
}

TEST(RingTest, CursorFromAnEarlierRunReturnsEverythingTruncated) {
  Ring ring(RingLimits{});
  for (uint64_t seq = 1; seq <= 3; ++seq) ASSERT_TRUE(ring.Append(Make(seq)));
  RingSlice slice = ring.Since(500, SIZE_MAX);
  EXPECT_EQ(Seqs(slice), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_TRUE(slice.truncated);
  EXPECT_EQ(slice.cursor, 3u);
}

TEST(RingTest, ReplyBoundCutsAndSaysMore) {
  Ring ring(RingLimits{});
  for (uint64_t seq = 1; seq <= 5; ++seq) ASSERT_TRUE(ring.Append(Make(seq, 1000)));
  RingSlice slice = ring.Since(0, 2500);
  EXPECT_EQ(Seqs(slice), (std::vector<uint64_t>{1, 2}));
  EXPECT_TRUE(slice.more);
  EXPECT_EQ(slice.cursor, 2u);
  slice = ring.Since(slice.cursor, 2500);
  EXPECT_EQ(Seqs(slice), (std::vector<uint64_t>{3, 4}));
  slice = ring.Since(slice.cursor, 2500);
  EXPECT_EQ(Seqs(slice), (std::vector<uint64_t>{5}));
  EXPECT_FALSE(slice.more);
  // A sample larger than the bound is still returned, alone.
  slice = ring.Since(0, 10);
  EXPECT_EQ(Seqs(slice), (std::vector<uint64_t>{1}));
  EXPECT_TRUE(slice.more);
}

TEST(RingTest, EmptyRing) {
  Ring ring(RingLimits{});
  RingSlice slice = ring.Since(9, SIZE_MAX);
  EXPECT_TRUE(slice.samples.empty());
  EXPECT_EQ(slice.cursor, 9u);
  EXPECT_FALSE(slice.truncated);
  EXPECT_EQ(ring.newest_seq(), 0u);
}

}  // namespace
}  // namespace gt::agent
