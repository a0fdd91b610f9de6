#include "kube/watch_decode.h"

#include <gtest/gtest.h>

#include <vector>

namespace gt::kube {
namespace {

// One event per line, as the API server's JSON watch encoder writes them.
const std::vector<std::string> kLines = {
    R"({"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"a","namespace":"n","resourceVersion":"10"}}})",
    R"({"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"12"}}})",
    R"({"type":"MODIFIED","object":{"kind":"Pod","metadata":{"name":"a","namespace":"n","resourceVersion":"13"}}})",
    R"({"type":"DELETED","object":{"kind":"Pod","metadata":{"name":"a","namespace":"n","resourceVersion":"14"}}})",
    R"({"type":"ERROR","object":{"kind":"Status","status":"Failure","reason":"Expired","code":410}})",
};

std::string Stream() {
  std::string s;
  for (const auto& l : kLines) s += l + "\n";
  return s;
}

std::vector<WatchEvent> DecodeInChunks(const std::string& stream, size_t chunk) {
  LineSplitter lines;
  std::vector<WatchEvent> out;
  for (size_t i = 0; i < stream.size(); i += chunk) {
    Status st =
        lines.Feed(std::string_view(stream).substr(i, chunk), [&](std::string_view line) -> Status {
          auto ev = DecodeWatchEvent(line);
          if (!ev) return ev.error();
          out.push_back(std::move(*ev));
          return OkStatus();
        });
    EXPECT_TRUE(st) << st.error().ToString();
  }
  EXPECT_FALSE(lines.has_partial());
  return out;
}

TEST(WatchDecode, SameEventsWhateverTheChunking) {
  for (size_t chunk : {1u, 2u, 7u, 64u, 100000u}) {
    auto events = DecodeInChunks(Stream(), chunk);
    ASSERT_EQ(events.size(), 5u) << "chunk " << chunk;
    EXPECT_EQ(events[0].type, WatchEventType::kAdded);
    EXPECT_EQ(events[1].type, WatchEventType::kBookmark);
    EXPECT_EQ(events[1].object["metadata"]["resourceVersion"], "12");
    EXPECT_EQ(events[2].type, WatchEventType::kModified);
    EXPECT_EQ(events[3].type, WatchEventType::kDeleted);
    EXPECT_EQ(events[4].type, WatchEventType::kError);
    EXPECT_EQ(ErrorEventCode(events[4]), 410);
    EXPECT_TRUE(IsResourceExpired(events[4]));
    EXPECT_FALSE(IsResourceExpired(events[0]));
  }
}

TEST(WatchDecode, CrLfAndBlankLinesAreTolerated) {
  auto events = DecodeInChunks(
      "\r\n"
      R"({"type":"ADDED","object":{"metadata":{"name":"x"}}})"
      "\r\n\n",
      3);
  ASSERT_EQ(events.size(), 1u);
}

TEST(WatchDecode, RejectsMalformedEvents) {
  EXPECT_FALSE(DecodeWatchEvent("{not json"));
  EXPECT_FALSE(DecodeWatchEvent("[1,2]"));
  EXPECT_FALSE(DecodeWatchEvent(R"({"type":"ADDED"})"));
  EXPECT_FALSE(DecodeWatchEvent(R"({"type":"ADDED","object":"x"})"));
  EXPECT_FALSE(DecodeWatchEvent(R"({"type":"EXPLODED","object":{}})"));
  auto e = DecodeWatchEvent("{not json");
  EXPECT_EQ(e.error().code, ErrorCode::kMalformed);
}

TEST(WatchDecode, ErrorEventOtherThan410IsNotExpiry) {
  auto ev = DecodeWatchEvent(
      R"({"type":"ERROR","object":{"kind":"Status","code":500,"message":"boom"}})");
  ASSERT_TRUE(ev);
  EXPECT_EQ(ErrorEventCode(*ev), 500);
  EXPECT_FALSE(IsResourceExpired(*ev));
}

TEST(WatchDecode, OverlongLineIsRefused) {
  LineSplitter lines(16);
  Status st = lines.Feed(std::string(17, 'x'), [](std::string_view) { return OkStatus(); });
  EXPECT_FALSE(st);
}

}  // namespace
}  // namespace gt::kube
