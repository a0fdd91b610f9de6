// RestClient against a TLS fake for the faults a real API server does not produce on demand.
#include "kube/rest_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "kube/exec_plugin.h"
#include "tests/kube/fake_apiserver.h"
#include "tests/kube/test_certs.h"

namespace gt::kube {
namespace {

using testing::FakeApiServer;
using testing::FakeConnection;
using testing::FakeRequest;
using testing::MakeSelfSigned;
using testing::MakeSigned;
using testing::TestCert;

const TestCert& Ca() {
  static const TestCert ca = MakeSelfSigned("fake-ca", "DNS:fake-ca");
  return ca;
}
// Names only a DNS name: connecting to 127.0.0.1 verifies only with tls-server-name.
const TestCert& ServerCert() {
  static const TestCert c = MakeSigned(Ca(), "fake-apiserver", "DNS:fake-apiserver");
  return c;
}
const TestCert& IpServerCert() {
  static const TestCert c = MakeSigned(Ca(), "fake-apiserver", "IP:127.0.0.1");
  return c;
}

RestConfig ConfigFor(const FakeApiServer& server, std::string token = "secret") {
  RestConfig rc;
  rc.server = server.url();
  rc.ca_pem = Ca().cert_pem;
  rc.tls_server_name = "fake-apiserver";
  Credentials c;
  c.bearer_token = std::move(token);
  rc.credentials = std::make_shared<StaticCredentials>(c);
  return rc;
}

std::unique_ptr<RestClient> MakeClient(RestConfig rc, Clock& clock, RestClientOptions o = {}) {
  auto c = RestClient::Create(std::move(rc), clock, std::move(o));
  EXPECT_TRUE(c) << c.error().ToString();
  return std::move(*c);
}

TEST(RestClient, GetVerifiesServerNameAndSendsToken) {
  FakeApiServer server(ServerCert(), [](const FakeRequest& req, FakeConnection& c) {
    c.Respond(200, R"({"kind":"Pod","metadata":{"name":"p"},"auth":")" +
                       req.Header("authorization") + "\"}");
  });
  FakeClock clock;
  auto client = MakeClient(ConfigFor(server), clock);
  auto r = client->Get("/api/v1/namespaces/n/pods/p");
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->http_status, 200);
  EXPECT_EQ(r->body["auth"], "Bearer secret");
  EXPECT_EQ(server.requests().at(0).Header("user-agent"), "groundtruth");
}

TEST(RestClient, RefusesServerCertificateForAnotherName) {
  FakeApiServer server(ServerCert(),
                       [](const FakeRequest&, FakeConnection& c) { c.Respond(200, "{}"); });
  FakeClock clock;
  RestConfig rc = ConfigFor(server);
  rc.tls_server_name.clear();  // the certificate does not name 127.0.0.1
  RestClientOptions o;
  o.max_read_retries = 0;
  auto r = MakeClient(rc, clock, o)->Get("/version");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(server.requests().empty());
}

TEST(RestClient, RefusesServerSignedByAnotherCa) {
  FakeApiServer server(IpServerCert(),
                       [](const FakeRequest&, FakeConnection& c) { c.Respond(200, "{}"); });
  FakeClock clock;
  RestConfig rc = ConfigFor(server);
  rc.tls_server_name.clear();
  {
    RestClientOptions o;
    o.max_read_retries = 0;
    auto ok = MakeClient(rc, clock, o)->Get("/version");
    ASSERT_TRUE(ok) << ok.error().ToString();  // IP SAN verifies without tls-server-name
  }
  rc.ca_pem = MakeSelfSigned("other-ca", "DNS:x").cert_pem;
  RestClientOptions o;
  o.max_read_retries = 0;
  auto r = MakeClient(rc, clock, o)->Get("/version");
  ASSERT_FALSE(r);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(RestClient, PresentsClientCertificate) {
  const TestCert client_cert = MakeSigned(Ca(), "system:groundtruth", "");
  FakeApiServer server(
      ServerCert(), [](const FakeRequest&, FakeConnection& c) { c.Respond(200, "{}"); },
      Ca().cert_pem);
  FakeClock clock;
  RestConfig rc = ConfigFor(server, "");
  rc.credentials = std::make_shared<StaticCredentials>(
      Credentials{"", client_cert.cert_pem, client_cert.key_pem});
  auto r = MakeClient(rc, clock)->Get("/version");
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(server.last_client_cn(), "system:groundtruth");
}

TEST(RestClient, HonoursRetryAfterOn429) {
  std::atomic<int> n{0};
  FakeApiServer server(ServerCert(), [&](const FakeRequest&, FakeConnection& c) {
    if (n++ < 2) {
      c.Respond(429, R"({"kind":"Status","reason":"TooManyRequests"})", {{"Retry-After", "3"}});
    } else {
      c.Respond(201, R"({"metadata":{"name":"e"}})");
    }
  });
  FakeClock clock;
  const auto t0 = clock.Monotonic();
  auto r =
      MakeClient(ConfigFor(server), clock)->Create("/api/v1/namespaces/n/events", Json{{"a", 1}});
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->http_status, 201);
  EXPECT_EQ(server.requests().size(), 3u);
  EXPECT_EQ(clock.Monotonic() - t0, std::chrono::seconds(6));  // waited exactly as told
  EXPECT_EQ(server.requests()[2].body, R"({"a":1})");
}

TEST(RestClient, RetryAfterGivesUpAfterMaxRetries) {
  FakeApiServer server(ServerCert(), [](const FakeRequest&, FakeConnection& c) {
    c.Respond(503, R"({"kind":"Status","message":"overloaded"})", {{"Retry-After", "1"}});
  });
  FakeClock clock;
  RestClientOptions o;
  o.max_retries = 2;
  o.max_read_retries = 0;
  auto r = MakeClient(ConfigFor(server), clock, o)->Get("/api/v1/pods");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->http_status, 503);
  EXPECT_EQ(ToError(*r, "/api/v1/pods").code, ErrorCode::kUnavailable);
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(RestClient, ReadRetries500ButWritesDoNot) {
  std::atomic<int> n{0};
  FakeApiServer server(ServerCert(), [&](const FakeRequest&, FakeConnection& c) {
    if (n++ == 0) {
      c.Respond(500, R"({"kind":"Status","message":"etcd hiccup"})");
    } else {
      c.Respond(200, R"({"ok":true})");
    }
  });
  FakeClock clock;
  auto client = MakeClient(ConfigFor(server), clock);
  auto get = client->Get("/api/v1/pods");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->http_status, 200);
  n = 0;
  auto put = client->Update("/api/v1/namespaces/n/pods/p", Json::object());
  ASSERT_TRUE(put);
  EXPECT_EQ(put->http_status, 500);  // a write is not repeated without the server's Retry-After
  EXPECT_EQ(put->StatusMessage(), "etcd hiccup");
}

TEST(RestClient, MalformedJsonIsAnError) {
  FakeApiServer server(
      ServerCert(), [](const FakeRequest&, FakeConnection& c) { c.Respond(200, "{\"kind\": "); });
  FakeClock clock;
  auto r = MakeClient(ConfigFor(server), clock)->Get("/api/v1/pods");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kMalformed);
}

TEST(RestClient, HangingServerTimesOut) {
  FakeApiServer server(ServerCert(),
                       [](const FakeRequest&, FakeConnection& c) { c.HangUntilStopped(); });
  FakeClock clock;
  RestClientOptions o;
  o.request_timeout = std::chrono::seconds(1);
  o.max_read_retries = 1;
  auto r = MakeClient(ConfigFor(server), clock, o)->Get("/api/v1/pods");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(server.requests().size(), 2u);  // a read is tried again once
}

TEST(RestClient, UnreachableServerIsUnavailable) {
  int port;
  {
    FakeApiServer gone(ServerCert(), [](const FakeRequest&, FakeConnection&) {});
    port = gone.port();
  }
  FakeClock clock;
  RestConfig rc;
  rc.server = "https://127.0.0.1:" + std::to_string(port);
  rc.ca_pem = Ca().cert_pem;
  RestClientOptions o;
  o.max_read_retries = 2;
  auto r = MakeClient(rc, clock, o)->Get("/version");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_GT(clock.Monotonic(), FakeClock().Monotonic());  // backed off between attempts
}

TEST(RestClient, ListFollowsContinueAndFallsBackWhenTokenExpires) {
  std::atomic<bool> expire{false};
  FakeApiServer server(ServerCert(), [&](const FakeRequest& req, FakeConnection& c) {
    const std::string cont = req.Query("continue");
    if (cont.empty()) {
      if (req.Query("limit").empty()) {
        c.Respond(
            200,
            R"({"metadata":{"resourceVersion":"99"},"items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}},{"metadata":{"name":"c"}}]})");
      } else {
        c.Respond(
            200,
            R"({"metadata":{"resourceVersion":"40","continue":"tok+/1"},"items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]})");
      }
    } else if (expire) {
      c.Respond(410, R"({"kind":"Status","reason":"Expired","code":410})");
    } else {
      EXPECT_EQ(cont, "tok+/1");
      c.Respond(200,
                R"({"metadata":{"resourceVersion":"40"},"items":[{"metadata":{"name":"c"}}]})");
    }
  });
  FakeClock clock;
  auto client = MakeClient(ConfigFor(server), clock);
  ListOptions lo;
  lo.limit = 2;
  lo.label_selector = "app=db,tier in (a,b)";
  auto list = client->List("/api/v1/pods", lo);
  ASSERT_TRUE(list) << list.error().ToString();
  ASSERT_EQ(list->items.size(), 3u);
  EXPECT_EQ(list->resource_version, "40");
  const auto reqs = server.requests();
  EXPECT_EQ(reqs[0].Query("limit"), "2");
  EXPECT_EQ(reqs[0].Query("labelSelector"), "app=db,tier in (a,b)");

  expire = true;
  auto full = client->List("/api/v1/pods", lo);
  ASSERT_TRUE(full) << full.error().ToString();
  EXPECT_EQ(full->items.size(), 3u);
  EXPECT_EQ(full->resource_version, "99");
}

// Issue 10: each page is handed on before the next one is asked for, so a caller that keeps
// little of each item never holds more than one page of the list.
TEST(RestClient, ListEachHandsOnEachPageBeforeAskingForTheNext) {
  std::atomic<int> served{0};
  FakeApiServer server(ServerCert(), [&](const FakeRequest& req, FakeConnection& c) {
    const std::string cont = req.Query("continue");
    ++served;
    if (cont.empty()) {
      c.Respond(200, R"({"metadata":{"resourceVersion":"7","continue":"2"},"items":[)"
                     R"({"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]})");
    } else if (cont == "2") {
      c.Respond(200, R"({"metadata":{"resourceVersion":"7","continue":"3"},"items":[)"
                     R"({"metadata":{"name":"c"}},{"metadata":{"name":"d"}}]})");
    } else {
      c.Respond(200, R"({"metadata":{"resourceVersion":"7"},"items":[{"metadata":{"name":"e"}}]})");
    }
  });
  FakeClock clock;
  auto client = MakeClient(ConfigFor(server), clock);
  ListOptions lo;
  lo.limit = 2;
  std::vector<std::string> seen;  // item @ pages served when it was handed on
  ListSink sink;
  sink.on_item = [&](Json&& item) {
    seen.push_back(StringField(item["metadata"], "name") + "@" + std::to_string(served.load()));
  };
  auto version = client->ListEach("/api/v1/pods", lo, sink);
  ASSERT_TRUE(version) << version.error().ToString();
  EXPECT_EQ(*version, "7");
  EXPECT_EQ(seen, (std::vector<std::string>{"a@1", "b@1", "c@2", "d@2", "e@3"}));
}

TEST(RestClient, ListEachRefusesAMalformedPageNamingTheServer) {
  FakeApiServer server(ServerCert(), [](const FakeRequest& req, FakeConnection& c) {
    if (req.Query("continue").empty()) {
      c.Respond(200, R"({"metadata":{"continue":"2"},"items":[{"metadata":{"name":"a"}}]})");
    } else {
      c.Respond(200, R"({"metadata":{},"items":{"not":"an array"}})");
    }
  });
  FakeClock clock;
  auto client = MakeClient(ConfigFor(server), clock);
  ListOptions lo;
  lo.limit = 1;
  int items = 0;
  ListSink sink;
  sink.on_item = [&](Json&&) { ++items; };
  auto version = client->ListEach("/api/v1/pods", lo, sink);
  ASSERT_FALSE(version);
  EXPECT_EQ(version.error().code, ErrorCode::kMalformed);
  EXPECT_NE(version.error().ToString().find("items is not an array"), std::string::npos);
  EXPECT_NE(version.error().ToString().find(server.url()), std::string::npos)
      << version.error().ToString();
  EXPECT_EQ(items, 1);  // the first page was handed on; the caller drops it with the error
}

TEST(RestClient, ApplySendsApplyPatchWithFieldManager) {
  FakeApiServer server(ServerCert(),
                       [](const FakeRequest& req, FakeConnection& c) { c.Respond(200, req.body); });
  FakeClock clock;
  auto r = MakeClient(ConfigFor(server), clock)
               ->Apply("/apis/apps/v1/namespaces/n/deployments/d/status",
                       Json{{"kind", "Deployment"}}, "groundtruth", true);
  ASSERT_TRUE(r) << r.error().ToString();
  const FakeRequest req = server.requests().at(0);
  EXPECT_EQ(req.method, "PATCH");
  EXPECT_EQ(req.Path(), "/apis/apps/v1/namespaces/n/deployments/d/status");
  EXPECT_EQ(req.Query("fieldManager"), "groundtruth");
  EXPECT_EQ(req.Query("force"), "true");
  EXPECT_EQ(req.Header("content-type").rfind("application/apply-patch+yaml", 0), 0u);
}

TEST(RestClient, ReRunsExecPluginOn401) {
  // The server accepts only the second token the plugin hands out.
  FakeApiServer server(ServerCert(), [](const FakeRequest& req, FakeConnection& c) {
    if (req.Header("authorization") == "Bearer tok-2") {
      c.Respond(200, "{}");
    } else {
      c.Respond(401, R"({"kind":"Status","reason":"Unauthorized","code":401})");
    }
  });
  char tmpl[] = "/tmp/gt-kube-exec-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string script = dir + "/plugin.sh";
  FILE* f = std::fopen(script.c_str(), "w");
  std::fprintf(
      f,
      "#!/bin/sh\nn=$(cat %s/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > %s/n\n"
      "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
      "\"status\":{\"token\":\"tok-'$n'\"}}'\n",
      dir.c_str(), dir.c_str());
  std::fclose(f);
  chmod(script.c_str(), 0755);
  FakeClock clock;
  ExecConfig ec;
  ec.api_version = "client.authentication.k8s.io/v1";
  ec.command = script;
  ec.interactive_mode = "Never";
  auto source = std::make_shared<ExecCredentialSource>(ec, clock);
  RestConfig rc = ConfigFor(server);
  rc.credentials = source;
  auto r = MakeClient(rc, clock)->Get("/version");
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->http_status, 200);
  EXPECT_EQ(source->runs(), 2);
  std::system(("rm -rf " + dir).c_str());
}

// --- watch ---

std::string Line(const std::string& type, const std::string& name, const std::string& rv) {
  return R"({"type":")" + type + R"(","object":{"kind":"Pod","metadata":{"name":")" + name +
         R"(","namespace":"n","resourceVersion":")" + rv + "\"}}}\n";
}

TEST(RestClientWatch, DecodesChunkedEventsAndBookmarks) {
  FakeApiServer server(ServerCert(), [](const FakeRequest&, FakeConnection& c) {
    c.StartChunked();
    const std::string all =
        Line("ADDED", "a", "11") +
        R"({"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"15"}}})"
        "\n" +
        Line("MODIFIED", "a", "16") + Line("DELETED", "a", "17");
    // Event boundaries deliberately fall inside chunks.
    for (size_t i = 0; i < all.size(); i += 37) c.Chunk(all.substr(i, 37));
    c.EndChunked();
  });
  FakeClock clock;
  auto client = MakeClient(ConfigFor(server), clock);
  std::vector<std::string> got;
  WatchOptions wo;
  wo.resource_version = "10";
  wo.timeout = std::chrono::seconds(420);
  wo.field_selector = "spec.nodeName=n1";
  Status st = client->Watch(
      "/api/v1/pods", wo,
      [&](WatchEvent&& e) {
        got.push_back(std::string(WatchEventTypeName(e.type)) + " " +
                      e.object["metadata"].value("resourceVersion", ""));
      },
      std::stop_token());
  ASSERT_TRUE(st) << st.error().ToString();
  EXPECT_EQ(got,
            (std::vector<std::string>{"ADDED 11", "BOOKMARK 15", "MODIFIED 16", "DELETED 17"}));
  const FakeRequest req = server.requests().at(0);
  EXPECT_EQ(req.Query("watch"), "true");
  EXPECT_EQ(req.Query("allowWatchBookmarks"), "true");
  EXPECT_EQ(req.Query("resourceVersion"), "10");
  EXPECT_EQ(req.Query("timeoutSeconds"), "420");
  EXPECT_EQ(req.Query("fieldSelector"), "spec.nodeName=n1");
}

TEST(RestClientWatch, ErrorEvent410IsGone) {
  FakeApiServer server(ServerCert(), [](const FakeRequest&, FakeConnection& c) {
    c.StartChunked();
    c.Chunk(Line("ADDED", "a", "11"));
    c.Chunk(
        R"j({"type":"ERROR","object":{"kind":"Status","message":"too old resource version: 1 (11)","reason":"Expired","code":410}})j"
        "\n");
    c.EndChunked();
  });
  FakeClock clock;
  int events = 0;
  Status st =
      MakeClient(ConfigFor(server), clock)
          ->Watch(
              "/api/v1/pods", WatchOptions{}, [&](WatchEvent&&) { ++events; }, std::stop_token());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kGone);
  EXPECT_EQ(events, 1);
}

TEST(RestClientWatch, Http410AnswerIsGone) {
  FakeApiServer server(ServerCert(), [](const FakeRequest&, FakeConnection& c) {
    c.Respond(410, R"({"kind":"Status","reason":"Expired","code":410})");
  });
  FakeClock clock;
  Status st = MakeClient(ConfigFor(server), clock)
                  ->Watch(
                      "/api/v1/pods", WatchOptions{}, [](WatchEvent&&) {}, std::stop_token());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kGone);
}

TEST(RestClientWatch, DroppedConnectionIsUnavailable) {
  FakeApiServer server(ServerCert(), [](const FakeRequest&, FakeConnection& c) {
    c.StartChunked();
    c.Chunk(Line("ADDED", "a", "11"));
    c.Chunk(R"({"type":"MODIFIED","obj)");  // cut mid-event
    c.Drop();
  });
  FakeClock clock;
  int events = 0;
  Status st =
      MakeClient(ConfigFor(server), clock)
          ->Watch(
              "/api/v1/pods", WatchOptions{}, [&](WatchEvent&&) { ++events; }, std::stop_token());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(events, 1);
}

TEST(RestClientWatch, MalformedEventIsMalformed) {
  FakeApiServer server(ServerCert(), [](const FakeRequest&, FakeConnection& c) {
    c.StartChunked();
    c.Chunk("this is not json\n");
    c.EndChunked();
  });
  FakeClock clock;
  Status st = MakeClient(ConfigFor(server), clock)
                  ->Watch(
                      "/api/v1/pods", WatchOptions{}, [](WatchEvent&&) {}, std::stop_token());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kMalformed);
}

TEST(RestClientWatch, SilentServerTimesOut) {
  FakeApiServer server(ServerCert(), [](const FakeRequest&, FakeConnection& c) {
    c.StartChunked();
    c.HangUntilStopped();
  });
  FakeClock clock;
  RestClientOptions o;
  o.watch_grace = std::chrono::seconds(1);
  WatchOptions wo;
  wo.timeout = std::chrono::seconds(1);
  Status st = MakeClient(ConfigFor(server), clock, o)
                  ->Watch(
                      "/api/v1/pods", wo, [](WatchEvent&&) {}, std::stop_token());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kUnavailable);
}

TEST(RestClientWatch, StopEndsAnIdleWatch) {
  std::atomic<bool> streaming{false};
  FakeApiServer server(ServerCert(), [&](const FakeRequest&, FakeConnection& c) {
    c.StartChunked();
    c.Chunk(Line("ADDED", "a", "11"));
    streaming = true;
    c.HangUntilStopped();
  });
  FakeClock clock;
  auto client = MakeClient(ConfigFor(server), clock);
  std::stop_source stop;
  std::atomic<int> events{0};
  std::thread watcher([&] {
    Status st = client->Watch(
        "/api/v1/pods", WatchOptions{}, [&](WatchEvent&&) { ++events; }, stop.get_token());
    EXPECT_TRUE(st) << st.error().ToString();
  });
  while (events.load() == 0) std::this_thread::yield();
  stop.request_stop();
  watcher.join();
  EXPECT_EQ(events.load(), 1);
}

}  // namespace
}  // namespace gt::kube
