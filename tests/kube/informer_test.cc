#include "kube/informer.h"

#include <gtest/gtest.h>

#include "tests/kube/fake_client.h"

namespace gt::kube {
namespace {

using testing::Ev;
using testing::Obj;
using testing::ScriptedClient;

struct Log {
  std::vector<std::string> lines;
  ResourceEventHandler Handler() {
    return ResourceEventHandler{
        [this](const Json& o) { lines.push_back("add " + ObjectKey(o)); },
        [this](const Json& old_o, const Json& new_o) {
          lines.push_back("update " + ObjectKey(new_o) + " " +
                          old_o["metadata"].value("resourceVersion", "") + "->" +
                          new_o["metadata"].value("resourceVersion", ""));
        },
        [this](const Json& o) { lines.push_back("delete " + ObjectKey(o)); }};
  }
};

InformerOptions PathOnly(std::string path) {
  InformerOptions o;
  o.path = std::move(path);
  return o;
}

StopSleeper NoSleep() {
  return [](Duration, std::stop_token) {};
}

TEST(Informer, ListWatchBookmarkThen410Relists) {
  ScriptedClient client;
  FakeClock clock;
  client.lists.push_back(ListResult{{Obj("n", "a", "1"), Obj("n", "b", "2")}, "5"});
  client.watches.push_back(
      {{Ev(WatchEventType::kAdded, Obj("n", "c", "6")),
        Ev(WatchEventType::kModified, Obj("n", "a", "7")),
        Ev(WatchEventType::kBookmark, Json{{"metadata", {{"resourceVersion", "9"}}}})},
       OkStatus()});  // the server ended the watch at timeoutSeconds
  client.watches.push_back({{Ev(WatchEventType::kDeleted, Obj("n", "b", "10"))},
                            MakeError(ErrorCode::kGone, "too old resource version")});
  client.lists.push_back(ListResult{{Obj("n", "a", "17"), Obj("n", "d", "18")}, "20"});

  InformerOptions opts;
  opts.path = "/api/v1/pods";
  opts.field_selector = "spec.nodeName=node-1";
  Informer inf(
      client, clock, opts, [] { return 0.5; }, NoSleep());
  Log log;
  inf.AddEventHandler(log.Handler());
  EXPECT_FALSE(inf.HasSynced());

  std::stop_source stop;
  Status first = inf.ListAndWatch(stop.get_token());
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, ErrorCode::kGone);
  EXPECT_TRUE(inf.HasSynced());
  EXPECT_EQ(inf.last_sync_resource_version(), "10");

  client.stop_when_exhausted = &stop;
  Status second = inf.ListAndWatch(stop.get_token());
  EXPECT_TRUE(second);

  const std::vector<std::string> want = {"add n/a",         "add n/b",    "add n/c",
                                         "update n/a 1->7", "delete n/b", "update n/a 7->17",
                                         "add n/d",         "delete n/c"};
  EXPECT_EQ(log.lines, want);
  ASSERT_EQ(client.list_calls.size(), 2u);
  EXPECT_EQ(client.list_calls[0].resource_version, "0");  // first list: any cached state
  EXPECT_EQ(client.list_calls[0].field_selector, "spec.nodeName=node-1");
  EXPECT_EQ(client.list_calls[1].resource_version, "");  // after 410: a consistent read
  ASSERT_GE(client.watch_calls.size(), 3u);
  EXPECT_EQ(client.watch_calls[0].resource_version, "5");
  EXPECT_EQ(client.watch_calls[1].resource_version, "9");  // resumed from the bookmark
  EXPECT_EQ(client.watch_calls[2].resource_version, "20");
  EXPECT_TRUE(client.watch_calls[0].allow_bookmarks);
  EXPECT_EQ(client.watch_calls[0].timeout, std::chrono::seconds(450));  // 300 * (1 + 0.5)
  EXPECT_EQ(inf.size(), 2u);
  ASSERT_NE(inf.Get("n/d"), nullptr);
  EXPECT_EQ(inf.Get("n/c"), nullptr);
}

TEST(Informer, DisconnectResumesWatchWithoutRelist) {
  ScriptedClient client;
  FakeClock clock;
  std::stop_source stop;
  client.stop_when_exhausted = &stop;
  client.lists.push_back(ListResult{{Obj("n", "a", "1")}, "3"});
  client.watches.push_back({{Ev(WatchEventType::kModified, Obj("n", "a", "4"))},
                            MakeError(ErrorCode::kUnavailable, "connection reset")});
  client.watches.push_back({{Ev(WatchEventType::kModified, Obj("n", "a", "5"))}, OkStatus()});
  std::vector<std::string> errors;
  InformerOptions opts = PathOnly("/apis/apps/v1/deployments");
  opts.on_error = [&](const Error& e) { errors.push_back(e.message); };
  Informer inf(
      client, clock, opts, [] { return 0.0; }, NoSleep());
  EXPECT_TRUE(inf.ListAndWatch(stop.get_token()));
  EXPECT_EQ(errors, std::vector<std::string>{"connection reset"});
  EXPECT_EQ(client.list_calls.size(), 1u);
  ASSERT_GE(client.watch_calls.size(), 2u);
  EXPECT_EQ(client.watch_calls[1].resource_version, "4");
  EXPECT_EQ((*inf.Get("n/a"))["metadata"]["resourceVersion"], "5");
}

TEST(Informer, TransformAndResync) {
  ScriptedClient client;
  FakeClock clock;
  std::stop_source stop;
  client.stop_when_exhausted = &stop;
  Json big = Obj("", "node-1", "1");  // cluster-scoped key is the bare name
  big["metadata"]["managedFields"] = Json::array({Json::object()});
  client.lists.push_back(ListResult{{big}, "2"});
  InformerOptions opts;
  opts.path = "/api/v1/nodes";
  opts.transform = [](Json& o) { o["metadata"].erase("managedFields"); };
  Informer inf(
      client, clock, opts, [] { return 0.0; }, NoSleep());
  Log log;
  inf.AddEventHandler(log.Handler());
  EXPECT_TRUE(inf.ListAndWatch(stop.get_token()));
  auto node = inf.Get("node-1");
  ASSERT_NE(node, nullptr);
  EXPECT_FALSE((*node)["metadata"].contains("managedFields"));
  inf.Resync();
  EXPECT_EQ(log.lines.back(), "update node-1 1->1");
}

TEST(Informer, ListFailureLeavesItUnsynced) {
  ScriptedClient client;
  FakeClock clock;
  client.lists.push_back(MakeError(ErrorCode::kPermission, "HTTP 403 Forbidden"));
  Informer inf(
      client, clock, PathOnly("/api/v1/pods"), [] { return 0.0; }, NoSleep());
  std::stop_source stop;
  Status st = inf.ListAndWatch(stop.get_token());
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kPermission);
  EXPECT_FALSE(inf.HasSynced());
  EXPECT_TRUE(client.watch_calls.empty());
}

TEST(Informer, ThreadStartsSyncsAndStops) {
  ScriptedClient client;
  FakeClock clock;
  client.lists.push_back(ListResult{{Obj("n", "a", "1")}, "3"});
  // No watches scripted: every watch returns at once; the loop must still stop on request.
  Informer inf(
      client, clock, PathOnly("/api/v1/pods"), [] { return 0.0; },
      [](Duration, std::stop_token) { std::this_thread::yield(); });
  inf.Start();
  while (!inf.HasSynced()) std::this_thread::yield();
  inf.Stop();
  EXPECT_EQ(inf.size(), 1u);
}

}  // namespace
}  // namespace gt::kube
