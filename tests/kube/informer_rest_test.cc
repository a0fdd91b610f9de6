// Informer + RestClient over real HTTP against the TLS fake: disconnects resume the watch
// from the last resource version; 410 relists; nothing is missed.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "kube/informer.h"
#include "kube/rest_client.h"
#include "tests/kube/fake_apiserver.h"

namespace gt::kube {
namespace {

using testing::FakeApiServer;
using testing::FakeConnection;
using testing::FakeRequest;
using testing::MakeSelfSigned;

std::string Pod(const std::string& name, const std::string& rv) {
  return R"({"metadata":{"name":")" + name + R"(","namespace":"n","resourceVersion":")" + rv +
         "\"}}";
}
std::string Event(const std::string& type, const std::string& name, const std::string& rv) {
  return R"({"type":")" + type + R"(","object":)" + Pod(name, rv) + "}\n";
}

TEST(InformerOverHttp, ResumesAfterDropAndRelistsAfter410) {
  const auto cert = MakeSelfSigned("apiserver", "IP:127.0.0.1");
  std::atomic<int> lists{0}, watches{0};
  std::mutex mu;
  std::vector<std::string> watch_versions, list_versions;
  FakeApiServer server(cert, [&](const FakeRequest& req, FakeConnection& c) {
    if (req.Query("watch") != "true") {
      {
        std::lock_guard lock(mu);
        list_versions.push_back(req.Query("resourceVersion"));
      }
      if (lists++ == 0) {
        c.Respond(200, R"({"metadata":{"resourceVersion":"10"},"items":[)" + Pod("a", "5") + "]}");
      } else {
        c.Respond(200, R"({"metadata":{"resourceVersion":"30"},"items":[)" + Pod("a", "11") + "," +
                           Pod("b", "12") + "," + Pod("c", "25") + "]}");
      }
      return;
    }
    {
      std::lock_guard lock(mu);
      watch_versions.push_back(req.Query("resourceVersion"));
    }
    const int n = watches++;
    c.StartChunked();
    if (n == 0) {
      c.Chunk(Event("MODIFIED", "a", "11"));
      c.Drop();  // the API server went away mid-watch
    } else if (n == 1) {
      c.Chunk(Event("ADDED", "b", "12"));
      c.Chunk(R"({"type":"ERROR","object":{"kind":"Status","reason":"Expired","code":410}})"
              "\n");
      c.EndChunked();
    } else {
      c.Chunk(Event("ADDED", "d", "31"));
      c.HangUntilStopped();
    }
  });

  FakeClock clock;
  RestConfig rc;
  rc.server = server.url();
  rc.ca_pem = cert.cert_pem;
  auto client = RestClient::Create(rc, clock);
  ASSERT_TRUE(client) << client.error().ToString();
  InformerOptions opts;
  opts.path = "/api/v1/pods";
  Informer inf(
      **client, clock, opts, [] { return 0.0; },
      [](Duration, std::stop_token) { std::this_thread::yield(); });
  std::condition_variable cv;
  std::vector<std::string> log;
  auto note = [&](std::string s) {
    std::lock_guard lock(mu);
    log.push_back(std::move(s));
    cv.notify_all();
  };
  inf.AddEventHandler({[&](const Json& o) { note("add " + ObjectKey(o)); },
                       [&](const Json& a, const Json& b) {
                         note("update " + ObjectKey(b) + " " +
                              StringField(a["metadata"], "resourceVersion") + "->" +
                              StringField(b["metadata"], "resourceVersion"));
                       },
                       [&](const Json& o) { note("delete " + ObjectKey(o)); }});
  inf.Start();
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] {
      return std::find(log.begin(), log.end(), "add n/d") != log.end();
    }));
  }
  inf.Stop();
  const std::vector<std::string> want = {
      "add n/a",           "update n/a 5->11", "add n/b", "update n/a 11->11",
      "update n/b 12->12", "add n/c",          "add n/d"};
  EXPECT_EQ(log, want);
  EXPECT_EQ(watch_versions, (std::vector<std::string>{"10", "11", "30"}));
  EXPECT_EQ(list_versions, (std::vector<std::string>{"0", ""}));
  EXPECT_EQ(inf.size(), 4u);
}

// Issue 10: a relist is decoded page by page: each page's items are trimmed and stored before
// the next page is asked for. A continue token that expires mid-list starts the list over
// (unpaginated, as client-go's pager does) and nothing of the abandoned pages is kept.
TEST(InformerOverHttp, RelistsPageByPageAndStartsOverWhenTheTokenExpires) {
  const auto cert = MakeSelfSigned("apiserver", "IP:127.0.0.1");
  std::atomic<int> list_requests{0}, relists{0};
  FakeApiServer server(cert, [&](const FakeRequest& req, FakeConnection& c) {
    if (req.Query("watch") == "true") {
      c.StartChunked();
      if (relists.load() == 1) {
        c.Chunk(R"({"type":"ERROR","object":{"kind":"Status","reason":"Expired","code":410}})"
                "\n");
      }
      c.EndChunked();
      return;
    }
    ++list_requests;
    const bool first = req.Query("continue").empty();
    if (first && !req.Query("limit").empty()) ++relists;
    if (relists.load() == 1) {
      EXPECT_EQ(req.Query("limit"), "2");
      if (first) {
        c.Respond(200, R"({"metadata":{"resourceVersion":"10","continue":"p2"},"items":[)" +
                           Pod("a", "1") + "," + Pod("b", "2") + "]}");
      } else {
        EXPECT_EQ(req.Query("continue"), "p2");
        c.Respond(200, R"({"metadata":{"resourceVersion":"10"},"items":[)" + Pod("c", "3") + "]}");
      }
    } else if (first && !req.Query("limit").empty()) {
      c.Respond(200, R"({"metadata":{"resourceVersion":"20","continue":"q2"},"items":[)" +
                         Pod("a", "11") + "," + Pod("x", "12") + "]}");
    } else if (!first) {
      c.Respond(410, R"({"kind":"Status","reason":"Expired","code":410})");
    } else {
      c.Respond(200, R"({"metadata":{"resourceVersion":"21"},"items":[)" + Pod("a", "11") + "," +
                         Pod("c", "13") + "]}");
    }
  });

  FakeClock clock;
  RestConfig rc;
  rc.server = server.url();
  rc.ca_pem = cert.cert_pem;
  auto client = RestClient::Create(rc, clock);
  ASSERT_TRUE(client) << client.error().ToString();
  InformerOptions opts;
  opts.path = "/api/v1/pods";
  opts.page_size = 2;
  std::vector<std::string> trimmed;  // which item, after how many list requests
  opts.transform = [&](Json& o) {
    trimmed.push_back(StringField(o["metadata"], "name") + "@" +
                      std::to_string(list_requests.load()));
    o["metadata"].erase("resourceVersion");
    o["trimmed"] = true;
  };
  Informer inf(
      **client, clock, opts, [] { return 0.0; }, [](Duration, std::stop_token) {});
  std::vector<std::string> log;
  inf.AddEventHandler({[&](const Json& o) { log.push_back("add " + ObjectKey(o)); },
                       [&](const Json&, const Json& b) { log.push_back("update " + ObjectKey(b)); },
                       [&](const Json& o) { log.push_back("delete " + ObjectKey(o)); }});
  std::stop_source stop;
  Status first = inf.ListAndWatch(stop.get_token());  // lists, then the watch answers 410
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, ErrorCode::kGone);
  EXPECT_EQ(trimmed, (std::vector<std::string>{"a@1", "b@1", "c@2"}));
  EXPECT_EQ(inf.last_sync_resource_version(), "10");
  EXPECT_EQ(inf.size(), 3u);

  trimmed.clear();
  // Page 2's token expired: one full list instead (then a watch closed at once, an error).
  Status second = inf.ListAndWatch(stop.get_token());
  EXPECT_FALSE(second);
  EXPECT_EQ(trimmed, (std::vector<std::string>{"a@3", "x@3", "a@5", "c@5"}));
  EXPECT_EQ(inf.last_sync_resource_version(), "21");
  EXPECT_EQ(inf.size(), 2u);
  EXPECT_EQ(inf.Get("n/x"), nullptr);  // only in the abandoned page
  ASSERT_NE(inf.Get("n/c"), nullptr);
  EXPECT_EQ(inf.Get("n/c")->value("trimmed", false), true);
  const std::vector<std::string> want = {"add n/a",    "add n/b",    "add n/c",
                                         "update n/a", "update n/c", "delete n/b"};
  EXPECT_EQ(log, want);
}

}  // namespace
}  // namespace gt::kube
