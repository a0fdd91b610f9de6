// `groundtruth cleanup`'s decisions over a scripted API: what it counts as ours (managedFields
// of field manager "groundtruth", by apply), what it sends, what a dry run leaves alone. The
// real API server's answer to the same applies is tests/e2e TestCleanup's.
#include "cli/cleanup.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "kube/apply.h"
#include "tests/kube/fake_client.h"

namespace gt {
namespace {

using kube::Json;
using kube::ListResult;
using kube::testing::ScriptedClient;

// managedFields entries as the API server writes them.
Json ConditionEntry(const std::string& manager, const std::string& operation = "Apply") {
  return Json{{"manager", manager},
              {"operation", operation},
              {"subresource", "status"},
              {"fieldsType", "FieldsV1"},
              {"fieldsV1",
               {{"f:status",
                 {{"f:conditions",
                   {{"k:{\"type\":\"RuntimeCompliant\"}",
                     {{".", Json::object()}, {"f:status", Json::object()}}}}}}}}}};
}

Json AnnotationEntry(const std::string& manager, const std::string& key) {
  return Json{{"manager", manager},
              {"operation", "Apply"},
              {"fieldsType", "FieldsV1"},
              {"fieldsV1", {{"f:metadata", {{"f:annotations", {{"f:" + key, Json::object()}}}}}}}};
}

Json Workload(const std::string& ns, const std::string& name, Json managed_fields) {
  return Json{{"metadata",
               {{"namespace", ns},
                {"name", name},
                {"uid", "uid-" + name},
                {"managedFields", std::move(managed_fields)}}},
              {"status",
               {{"conditions", Json::array({{{"type", "RuntimeCompliant"},
                                             {"status", "False"},
                                             {"reason", "MemoryThrashing"}}})}}}};
}

TEST(OwnedByUs, ReadsOnlyOurManagersApplies) {
  EXPECT_FALSE(kube::OwnedByUs(Json::object()).any());
  EXPECT_FALSE(kube::OwnedByUs(Json::array()).any());
  EXPECT_FALSE(kube::OwnedByUs(Workload("a", "w", "not a list")).any());
  auto both = kube::OwnedByUs(
      Workload("a", "w",
               Json::array({ConditionEntry("groundtruth"),
                            AnnotationEntry("groundtruth", "groundtruth.dev/runtime-compliant")})));
  EXPECT_TRUE(both.condition);
  EXPECT_TRUE(both.annotation);
  // Our words under another manager, another key under ours, our manager by Update.
  auto none = kube::OwnedByUs(
      Workload("a", "w",
               Json::array({ConditionEntry("someone-else"), ConditionEntry("groundtruth", "Update"),
                            AnnotationEntry("someone-else", "groundtruth.dev/runtime-compliant"),
                            AnnotationEntry("groundtruth", "example.com/owner")})));
  EXPECT_FALSE(none.any());
  // A list key that is not JSON, or not our type, is not our condition.
  Json odd = ConditionEntry("groundtruth");
  odd["fieldsV1"]["f:status"]["f:conditions"] = {{"k:{not json", Json::object()},
                                                 {"k:{\"type\":\"Available\"}", Json::object()}};
  EXPECT_FALSE(kube::OwnedByUs(Workload("a", "w", Json::array({odd}))).any());
}

class CleanupRun : public ::testing::Test {
 protected:
  void SetUp() override {
    out_ = std::tmpfile();
    err_ = std::tmpfile();
  }
  void TearDown() override {
    std::fclose(out_);
    std::fclose(err_);
  }
  static std::string Read(std::FILE* f) {
    std::rewind(f);
    std::string text;
    char buf[4096];
    while (size_t n = std::fread(buf, 1, sizeof buf, f)) text.append(buf, n);
    return text;
  }
  // DaemonSets, Deployments, StatefulSets: the order of contract::kWorkloadKinds.
  void Script(std::vector<Json> daemonsets, std::vector<Json> deployments,
              std::vector<Json> statefulsets) {
    for (auto* items : {&daemonsets, &deployments, &statefulsets}) {
      client_.lists.push_back(ListResult{std::move(*items), "1"});
    }
  }
  ScriptedClient client_;
  std::FILE* out_ = nullptr;
  std::FILE* err_ = nullptr;
};

TEST_F(CleanupRun, WithdrawsOursOnlyStatusFirst) {
  Script({},
         {Workload("shop", "web", Json::array({ConditionEntry("groundtruth")})),
          Workload("shop", "theirs", Json::array({ConditionEntry("someone-else")}))},
         {});
  cleanup::Outcome o = cleanup::Run(client_, cleanup::Options{}, out_, err_);
  EXPECT_EQ(o.listed, 2);
  EXPECT_EQ(o.ours, 1);
  EXPECT_EQ(o.withdrawn, 1);
  EXPECT_EQ(o.failed, 0);
  ASSERT_EQ(client_.calls.size(), 2u);
  EXPECT_EQ(client_.calls[0].path, "/apis/apps/v1/namespaces/shop/deployments/web/status");
  EXPECT_EQ(client_.calls[1].path, "/apis/apps/v1/namespaces/shop/deployments/web");
  for (const auto& call : client_.calls) {
    EXPECT_EQ(call.verb, "APPLY");
    EXPECT_EQ(call.extra, "groundtruth+force");
    // The identity alone, with the uid: nothing to keep, so all of ours goes.
    EXPECT_EQ(call.body, Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":"web","namespace":"shop","uid":"uid-web"}})"));
  }
  EXPECT_EQ(Read(out_),
            "withdrew Deployment/shop/web: condition RuntimeCompliant (False/MemoryThrashing)\n");
}

TEST_F(CleanupRun, DryRunSendsNothing) {
  Script({Workload(
             "kube-system", "node-local",
             Json::array({AnnotationEntry("groundtruth", "groundtruth.dev/runtime-compliant")}))},
         {}, {});
  cleanup::Options options;
  options.dry_run = true;
  cleanup::Outcome o = cleanup::Run(client_, options, out_, err_);
  EXPECT_EQ(o.ours, 1);
  EXPECT_EQ(o.withdrawn, 0);
  EXPECT_TRUE(client_.calls.empty());
  EXPECT_EQ(Read(out_),
            "would withdraw DaemonSet/kube-system/node-local: annotation "
            "groundtruth.dev/runtime-compliant\n");
}

TEST_F(CleanupRun, AFailedOrIneffectiveWithdrawalIsCountedAndNamed) {
  const Json ours = Json::array({ConditionEntry("groundtruth")});
  Script({}, {Workload("a", "gone", ours), Workload("a", "stuck", ours)}, {});
  client_.responses.push_back(
      kube::ApiResponse{409, {{"kind", "Status"}, {"reason", "Conflict"}, {"message", "uid"}}});
  client_.responses.push_back(kube::ApiResponse{200, Json::object()});  // stuck: /status
  client_.responses.push_back(kube::ApiResponse{200, Workload("a", "stuck", ours)});
  cleanup::Outcome o = cleanup::Run(client_, cleanup::Options{}, out_, err_);
  EXPECT_EQ(o.ours, 2);
  EXPECT_EQ(o.withdrawn, 0);
  EXPECT_EQ(o.failed, 2);
  const std::string err = Read(err_);
  EXPECT_NE(err.find("Deployment/a/gone: "), std::string::npos) << err;
  EXPECT_NE(err.find("Deployment/a/stuck: still owned by field manager groundtruth"),
            std::string::npos)
      << err;
  EXPECT_EQ(Read(out_), "");
}

TEST_F(CleanupRun, AListErrorStopsBeforeAnyWrite) {
  client_.lists.push_back(MakeError(ErrorCode::kPermission, "HTTP 403 Forbidden"));
  cleanup::Options options;
  options.namespace_name = "shop";
  cleanup::Outcome o = cleanup::Run(client_, options, out_, err_);
  EXPECT_EQ(o.list_error, "list DaemonSets in namespace shop: HTTP 403 Forbidden");
  EXPECT_TRUE(client_.calls.empty());
}

TEST_F(CleanupRun, WarnsWhileTheControllerRuns) {
  Json controller = Workload("groundtruth-system", "groundtruth-controller", Json::array());
  controller["metadata"]["labels"] = {{"app.kubernetes.io/name", "groundtruth-controller"}};
  controller["spec"] = {{"replicas", 2}};
  Script({}, {controller}, {});
  cleanup::Run(client_, cleanup::Options{}, out_, err_);
  EXPECT_NE(Read(err_).find("Deployment/groundtruth-system/groundtruth-controller still runs 2 "
                            "replica(s)"),
            std::string::npos);
}

TEST(CleanupNamespace, DnsLabelsOnly) {
  EXPECT_TRUE(cleanup::IsNamespaceName("shop-2"));
  for (const std::string& bad :
       std::vector<std::string>{"", "Shop", "a_b", "-a", "a-", "a/b", std::string(64, 'a')}) {
    EXPECT_FALSE(cleanup::IsNamespaceName(bad)) << bad;
  }
}

}  // namespace
}  // namespace gt
