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

}  // namespace
}  // namespace gt::kube
