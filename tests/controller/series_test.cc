#include "controller/series.h"

#include <gtest/gtest.h>

namespace gt::controller {
namespace {

using namespace std::chrono_literals;

CgroupReading At(std::chrono::seconds t) {
  CgroupReading r;
  r.time = t;
  return r;
}

TEST(SeriesStore, JudgedReadingsAreDroppedAndAnOverlappingScrapeStaysOut) {
  SeriesStore store;
  store.Append("p1", "c1", At(10s));
  store.Append("p1", "c1", At(15s));
  store.Append("p1", "c1", At(15s));  // the same reading scraped twice
  ASSERT_TRUE(store.Find("p1", "c1"));
  EXPECT_EQ(store.Find("p1", "c1")->size(), 2u);
  store.DropJudged("p1", "c1");
  // Known, nothing left to judge: the judge holds what it was given.
  ASSERT_TRUE(store.Find("p1", "c1"));
  EXPECT_TRUE(store.Find("p1", "c1")->empty());
  EXPECT_EQ(store.reading_count(), 0u);
  // A scrape that overlaps the judged ones adds only what is newer.
  store.Append("p1", "c1", At(15s));
  store.Append("p1", "c1", At(20s));
  ASSERT_EQ(store.Find("p1", "c1")->size(), 1u);
  EXPECT_EQ(store.Find("p1", "c1")->front().time, 20s);
  EXPECT_FALSE(store.Find("p1", "c2"));
}

TEST(SeriesStore, ASeriesNotScrapedWithinTheRetentionIsForgotten) {
  SeriesStore store(SeriesOptions{.retention = 60s, .max_samples = 8});
  store.Append("p1", "c1", At(10s));
  store.Append("p2", "c2", At(50s));
  store.DropJudged("p1", "c1");
  store.DropJudged("p2", "c2");
  store.Prune(100s);
  EXPECT_FALSE(store.Find("p1", "c1"));
  ASSERT_TRUE(store.Find("p2", "c2"));
  EXPECT_EQ(store.container_count(), 1u);
}

TEST(SeriesStore, ABacklogIsBoundedNewestKept) {
  SeriesStore store(SeriesOptions{.retention = 600s, .max_samples = 3});
  for (int t = 1; t <= 10; ++t) store.Append("p1", "c1", At(std::chrono::seconds(t)));
  const auto readings = store.Find("p1", "c1");
  ASSERT_TRUE(readings);
  ASSERT_EQ(readings->size(), 3u);
  EXPECT_EQ(readings->front().time, 8s);
  EXPECT_EQ(readings->back().time, 10s);
}

}  // namespace
}  // namespace gt::controller
