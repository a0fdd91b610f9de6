#include "kube/events.h"

#include <gtest/gtest.h>

#include "kube/apply.h"
#include "tests/kube/fake_client.h"

namespace gt::kube {
namespace {

using testing::ScriptedClient;

ObjectReference Deploy() {
  Json obj = {{"metadata",
               {{"namespace", "shop"}, {"name", "db"}, {"uid", "u-1"}, {"resourceVersion", "7"}}}};
  return ReferenceTo(obj, "apps/v1", "Deployment");
}

TEST(EventRecorder, CreatesThenCountsRepeats) {
  ScriptedClient client;
  FakeClock clock;
  EventRecorderOptions opts;
  opts.host = "ctrl-0";
  EventRecorder rec(client, clock, opts);
  ASSERT_TRUE(rec.Record(Deploy(), EventType::kWarning, "MemoryThrashing", "psi 34%"));
  ASSERT_EQ(client.calls.size(), 1u);
  const auto& created = client.calls[0];
  EXPECT_EQ(created.verb, "POST");
  EXPECT_EQ(created.path, "/api/v1/namespaces/shop/events");
  EXPECT_EQ(created.body["involvedObject"]["kind"], "Deployment");
  EXPECT_EQ(created.body["involvedObject"]["uid"], "u-1");
  EXPECT_EQ(created.body["type"], "Warning");
  EXPECT_EQ(created.body["reason"], "MemoryThrashing");
  EXPECT_EQ(created.body["source"]["component"], "groundtruth");
  EXPECT_EQ(created.body["count"], 1);
  const std::string name = created.body["metadata"]["name"];
  EXPECT_EQ(name.rfind("db.", 0), 0u);

  clock.Advance(std::chrono::seconds(30));
  ASSERT_TRUE(rec.Record(Deploy(), EventType::kWarning, "MemoryThrashing", "psi 34%"));
  ASSERT_EQ(client.calls.size(), 2u);
  EXPECT_EQ(client.calls[1].verb, "PATCH");
  EXPECT_EQ(client.calls[1].extra, "strategic");
  EXPECT_EQ(client.calls[1].path, "/api/v1/namespaces/shop/events/" + name);
  EXPECT_EQ(client.calls[1].body["count"], 2);
  EXPECT_EQ(client.calls[1].body["lastTimestamp"], FormatTime(clock.Wall()));

  // A different message is a different event.
  ASSERT_TRUE(rec.Record(Deploy(), EventType::kWarning, "MemoryThrashing", "psi 50%"));
  EXPECT_EQ(client.calls.back().verb, "POST");
}

TEST(EventRecorder, AggregatesManyMessagesOfOneReason) {
  ScriptedClient client;
  FakeClock clock;
  EventRecorder rec(client, clock);
  for (int i = 0; i < 9; ++i) {
    ASSERT_TRUE(rec.Record(Deploy(), EventType::kNormal, "Scaled", "to " + std::to_string(i)));
  }
  EXPECT_EQ(client.calls.size(), 9u);
  ASSERT_TRUE(rec.Record(Deploy(), EventType::kNormal, "Scaled", "to 9"));
  EXPECT_EQ(client.calls.back().verb, "POST");
  EXPECT_EQ(client.calls.back().body["message"], "(combined from similar events): to 9");
  ASSERT_TRUE(rec.Record(Deploy(), EventType::kNormal, "Scaled", "to 10"));
  EXPECT_EQ(client.calls.back().verb, "PATCH");
  EXPECT_EQ(client.calls.back().body["count"], 2);
  // After the window, messages count afresh.
  clock.Advance(std::chrono::minutes(11));
  ASSERT_TRUE(rec.Record(Deploy(), EventType::kNormal, "Scaled", "to 11"));
  EXPECT_EQ(client.calls.back().body["message"], "to 11");
}

TEST(EventRecorder, RecreatesWhenTheEventExpired) {
  ScriptedClient client;
  FakeClock clock;
  EventRecorder rec(client, clock);
  ASSERT_TRUE(rec.Record(Deploy(), EventType::kNormal, "Compliant", "ok"));
  client.responses.push_back(ApiResponse{404, Json{{"reason", "NotFound"}}});
  ASSERT_TRUE(rec.Record(Deploy(), EventType::kNormal, "Compliant", "ok"));
  ASSERT_EQ(client.calls.size(), 3u);
  EXPECT_EQ(client.calls[1].verb, "PATCH");
  EXPECT_EQ(client.calls[2].verb, "POST");
}

TEST(EventRecorder, ServerRefusalIsAnError) {
  ScriptedClient client;
  FakeClock clock;
  EventRecorder rec(client, clock);
  client.responses.push_back(ApiResponse{403, Json{{"reason", "Forbidden"}, {"message", "no"}}});
  Status st = rec.Record(Deploy(), EventType::kNormal, "Compliant", "ok");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kPermission);
}

TEST(Apply, ConditionGoesToStatusWithOurFieldManager) {
  ScriptedClient client;
  ConditionApply c{"RuntimeCompliant",
                   "False",
                   "MemoryThrashing",
                   "container db: psi 34%",
                   WallTime(std::chrono::seconds(1'800'000'000)),
                   WallTime(std::chrono::seconds(1'800'000'100))};
  ASSERT_TRUE(ApplyCondition(client, WorkloadKind::kDeployment, "shop", "db", c));
  ASSERT_EQ(client.calls.size(), 1u);
  EXPECT_EQ(client.calls[0].verb, "APPLY");
  EXPECT_EQ(client.calls[0].path, "/apis/apps/v1/namespaces/shop/deployments/db/status");
  EXPECT_EQ(client.calls[0].extra, "groundtruth+force");
  const Json& cond = client.calls[0].body["status"]["conditions"][0];
  EXPECT_EQ(cond["type"], "RuntimeCompliant");
  EXPECT_EQ(cond["lastTransitionTime"], "2027-01-15T08:00:00Z");
  EXPECT_TRUE(cond.contains("lastUpdateTime"));
  EXPECT_EQ(client.calls[0].body["kind"], "Deployment");

  // StatefulSet's condition type has no lastUpdateTime: SSA would refuse the field.
  ASSERT_TRUE(ApplyCondition(client, WorkloadKind::kStatefulSet, "shop", "pg", c));
  EXPECT_FALSE(client.calls[1].body["status"]["conditions"][0].contains("lastUpdateTime"));
  EXPECT_EQ(client.calls[1].path, "/apis/apps/v1/namespaces/shop/statefulsets/pg/status");

  ASSERT_TRUE(ApplyAnnotation(client, WorkloadKind::kDaemonSet, "kube-system", "agent",
                              "groundtruth.dev/runtime-compliant", "True/Compliant/3"));
  EXPECT_EQ(client.calls[2].path, "/apis/apps/v1/namespaces/kube-system/daemonsets/agent");
  EXPECT_EQ(client.calls[2].body["metadata"]["annotations"]["groundtruth.dev/runtime-compliant"],
            "True/Compliant/3");
  EXPECT_FALSE(client.calls[2].body.contains("spec"));

  client.responses.push_back(
      ApiResponse{409, Json{{"reason", "Conflict"}, {"message", "conflict"}}});
  auto refused = ApplyCondition(client, WorkloadKind::kDaemonSet, "a", "b", c);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("409"), std::string::npos);
}

}  // namespace
}  // namespace gt::kube
