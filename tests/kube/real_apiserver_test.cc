// The client against a real kube-apiserver. Runs when GT_KUBE_E2E_KUBECONFIG names an
// admin kubeconfig (tests/e2e: `go run ./cmd/cluster` prints one); skipped otherwise.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <optional>

#include "kube/apply.h"
#include "kube/config.h"
#include "kube/events.h"
#include "kube/informer.h"
#include "kube/leader_election.h"
#include "kube/rest_client.h"

namespace gt::kube {
namespace {

class RealApiServer : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* path = std::getenv("GT_KUBE_E2E_KUBECONFIG");
    if (path == nullptr || *path == '\0') GTEST_SKIP() << "GT_KUBE_E2E_KUBECONFIG not set";
    KubeconfigOptions o;
    o.explicit_path = path;
    auto rc = LoadKubeconfig(o, clock_);
    ASSERT_TRUE(rc) << rc.error().ToString();
    auto c = RestClient::Create(*rc, clock_);
    ASSERT_TRUE(c) << c.error().ToString();
    client_ = std::move(*c);
    ns_ = "gt-kube-e2e-" + std::to_string(getpid()) + "-" + std::to_string(++counter_);
    auto created = client_->Create(
        "/api/v1/namespaces",
        Json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns_}}}});
    ASSERT_TRUE(created) << created.error().ToString();
    ASSERT_TRUE(created->ok()) << created->StatusMessage();
  }
  void TearDown() override {
    if (client_) (void)client_->Delete("/api/v1/namespaces/" + ns_);
  }

  Json Deployment(const std::string& name) const {
    return Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
      "metadata":{"name":")" +
                       name + R"(","namespace":")" + ns_ + R"("},
      "spec":{"replicas":0,"selector":{"matchLabels":{"app":")" +
                       name + R"("}},
        "template":{"metadata":{"labels":{"app":")" +
                       name + R"("}},
          "spec":{"containers":[{"name":"c","image":"busybox"}]}}}})");
  }

  SystemClock clock_;
  std::unique_ptr<RestClient> client_;
  std::string ns_;
  static inline int counter_ = 0;
};

TEST_F(RealApiServer, PaginatedListOfNamespaces) {
  ListOptions lo;
  lo.limit = 1;  // forces continue tokens: a fresh cluster has at least four namespaces
  auto list = client_->List("/api/v1/namespaces", lo);
  ASSERT_TRUE(list) << list.error().ToString();
  EXPECT_GE(list->items.size(), 4u);
  EXPECT_FALSE(list->resource_version.empty());
  auto pods = client_->List("/api/v1/pods", ListOptions{});
  ASSERT_TRUE(pods) << pods.error().ToString();
}

TEST_F(RealApiServer, ServerSideApplyOfConditionAndAnnotation) {
  const std::string base = "/apis/apps/v1/namespaces/" + ns_ + "/deployments";
  auto created = client_->Create(base, Deployment("db"));
  ASSERT_TRUE(created && created->ok())
      << (created ? created->StatusMessage() : created.error().ToString());
  ConditionApply cond{"RuntimeCompliant",          "False",       "MemoryThrashing",
                      "memory PSI some 34% > 10%", clock_.Wall(), clock_.Wall()};
  auto applied = ApplyCondition(*client_, WorkloadKind::kDeployment, ns_, "db", cond);
  ASSERT_TRUE(applied) << applied.error().ToString();
  auto annotated = ApplyAnnotation(*client_, WorkloadKind::kDeployment, ns_, "db",
                                   "groundtruth.dev/runtime-compliant", "False/MemoryThrashing/1");
  ASSERT_TRUE(annotated) << annotated.error().ToString();

  auto got = client_->Get(base + "/db");
  ASSERT_TRUE(got && got->ok());
  const Json& obj = got->body;
  bool found = false;
  for (const Json& c : obj["status"].value("conditions", Json::array())) {
    if (c.value("type", "") == "RuntimeCompliant") {
      found = true;
      EXPECT_EQ(c["status"], "False");
      EXPECT_EQ(c["reason"], "MemoryThrashing");
      EXPECT_EQ(c["lastTransitionTime"], FormatTime(cond.last_transition_time));
    }
  }
  EXPECT_TRUE(found) << obj["status"].dump();
  EXPECT_EQ(obj["metadata"]["annotations"]["groundtruth.dev/runtime-compliant"],
            "False/MemoryThrashing/1");
  EXPECT_EQ(obj["spec"]["replicas"], 0);  // the main-resource apply touched no spec field
  bool status_manager = false;
  for (const Json& mf : obj["metadata"]["managedFields"]) {
    if (mf.value("manager", "") == "groundtruth" && mf.value("subresource", "") == "status")
      status_manager = true;
  }
  EXPECT_TRUE(status_manager);

  // StatefulSet: the condition type has no lastUpdateTime; the apply must still be accepted.
  Json sts = Deployment("pg");
  sts["kind"] = "StatefulSet";
  sts["spec"]["serviceName"] = "pg";
  auto sts_created = client_->Create("/apis/apps/v1/namespaces/" + ns_ + "/statefulsets", sts);
  ASSERT_TRUE(sts_created && sts_created->ok())
      << (sts_created ? sts_created->StatusMessage() : "");
  auto sts_applied = ApplyCondition(*client_, WorkloadKind::kStatefulSet, ns_, "pg", cond);
  EXPECT_TRUE(sts_applied) << sts_applied.error().ToString();
}

// What the controller's annotation mirror relies on: an apply carrying
// metadata.resourceVersion is conditional (409 once the object moved), and a Deployment's
// generation moves by exactly one when its annotations change.
TEST_F(RealApiServer, ApplyWithAResourceVersionIsConditional) {
  const std::string base = "/apis/apps/v1/namespaces/" + ns_ + "/deployments";
  auto created = client_->Create(base, Deployment("db"));
  ASSERT_TRUE(created && created->ok());
  auto config = [&](const std::string& value, const std::string& version) {
    Json c = AnnotationApplyConfig(WorkloadKind::kDeployment, ns_, "db",
                                   "groundtruth.dev/runtime-compliant", value);
    c["metadata"]["resourceVersion"] = version;
    return c;
  };
  // The real Deployment controller writes the new object's status at a time of its own
  // choosing, so the version read may be stale by the time the apply lands: that 409 is
  // the routine case the controller plans again from, and so does this test. Each try
  // reads the object afresh; the version and generation kept are those of the try the
  // server accepted, so what follows does not depend on who won the race.
  std::string v1;
  int64_t g1 = 0;
  std::optional<ApiResponse> applied;
  for (int attempt = 0; attempt < 20; ++attempt) {
    auto live = client_->Get(base + "/db");
    ASSERT_TRUE(live && live->ok());
    v1 = live->body["metadata"]["resourceVersion"].get<std::string>();
    g1 = live->body["metadata"]["generation"].get<int64_t>();
    auto r = client_->Apply(base + "/db", config("True/Compliant/2", v1), kFieldManager, true);
    ASSERT_TRUE(r) << r.error().ToString();
    if (r->http_status != 409) {
      applied = std::move(*r);
      break;
    }
    EXPECT_EQ(ToError(*r, base + "/db").code, ErrorCode::kConflict);
  }
  ASSERT_TRUE(applied && applied->ok()) << (applied ? applied->StatusMessage() : "20 conflicts");
  EXPECT_EQ(applied->body["metadata"]["generation"].get<int64_t>(), g1 + 1);
  // v1 is stale now (our own apply moved the object past it): refused, object untouched.
  auto stale = client_->Apply(base + "/db", config("False/OOMKilled/3", v1), kFieldManager, true);
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->http_status, 409);
  EXPECT_EQ(ToError(*stale, base + "/db").code, ErrorCode::kConflict);
  auto got = client_->Get(base + "/db");
  ASSERT_TRUE(got && got->ok());
  EXPECT_EQ(got->body["metadata"]["annotations"]["groundtruth.dev/runtime-compliant"],
            "True/Compliant/2");
}

TEST_F(RealApiServer, InformerSeesAddsUpdatesDeletes) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> seen;
  InformerOptions opts;
  opts.path = "/apis/apps/v1/namespaces/" + ns_ + "/deployments";
  opts.min_watch_timeout = std::chrono::seconds(5);
  Informer inf(*client_, clock_, opts);
  auto note = [&](const std::string& s) {
    std::lock_guard lock(mu);
    seen.push_back(s);
    cv.notify_all();
  };
  inf.AddEventHandler({[&](const Json& o) { note("add " + ObjectKey(o)); },
                       [&](const Json&, const Json& o) { note("update " + ObjectKey(o)); },
                       [&](const Json& o) { note("delete " + ObjectKey(o)); }});
  inf.Start();
  auto wait_for = [&](const std::string& s) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(30),
                       [&] { return std::find(seen.begin(), seen.end(), s) != seen.end(); });
  };
  for (int i = 0; i < 300 && !inf.HasSynced(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(inf.HasSynced());
  const std::string base = "/apis/apps/v1/namespaces/" + ns_ + "/deployments";
  ASSERT_TRUE(client_->Create(base, Deployment("web")));
  EXPECT_TRUE(wait_for("add " + ns_ + "/web"));
  ASSERT_TRUE(client_->Patch(base + "/web", Json{{"metadata", {{"labels", {{"x", "y"}}}}}},
                             PatchType::kMerge));
  EXPECT_TRUE(wait_for("update " + ns_ + "/web"));
  ASSERT_TRUE(client_->Delete(base + "/web"));
  EXPECT_TRUE(wait_for("delete " + ns_ + "/web"));
  // Re-watches past timeoutSeconds (5-10 s) keep delivering.
  std::this_thread::sleep_for(std::chrono::seconds(11));
  ASSERT_TRUE(client_->Create(base, Deployment("late")));
  EXPECT_TRUE(wait_for("add " + ns_ + "/late"));
  inf.Stop();
}

// Runs when GT_KUBE_E2E_RESTART_APISERVER names a command that restarts the API server
// (same port and store): the informer must reconnect on its own and miss nothing.
TEST_F(RealApiServer, InformerSurvivesApiServerRestart) {
  const char* restart = std::getenv("GT_KUBE_E2E_RESTART_APISERVER");
  if (restart == nullptr || *restart == '\0')
    GTEST_SKIP() << "GT_KUBE_E2E_RESTART_APISERVER not set";
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> seen;
  InformerOptions opts;
  opts.path = "/api/v1/namespaces/" + ns_ + "/configmaps";
  Informer inf(*client_, clock_, opts);
  inf.AddEventHandler({[&](const Json& o) {
                         std::lock_guard lock(mu);
                         seen.push_back("add " + ObjectKey(o));
                         cv.notify_all();
                       },
                       [&](const Json&, const Json& o) {
                         std::lock_guard lock(mu);
                         seen.push_back("update " + ObjectKey(o) + " " +
                                        StringField(ObjectField(o, "data"), "k"));
                         cv.notify_all();
                       },
                       nullptr});
  inf.Start();
  auto wait_for = [&](const std::string& s) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(90),
                       [&] { return std::find(seen.begin(), seen.end(), s) != seen.end(); });
  };
  const std::string base = "/api/v1/namespaces/" + ns_ + "/configmaps";
  auto cm = [](const std::string& name, const std::string& v) {
    return Json{{"apiVersion", "v1"},
                {"kind", "ConfigMap"},
                {"metadata", {{"name", name}}},
                {"data", {{"k", v}}}};
  };
  ASSERT_TRUE(client_->Create(base, cm("before", "1")));
  ASSERT_TRUE(wait_for("add " + ns_ + "/before"));
  ASSERT_EQ(std::system(restart), 0) << restart;
  // Writes as soon as the server answers again; the informer must see each of them.
  bool written = false;
  for (int i = 0; i < 60 && !written; ++i) {
    auto r = client_->Create(base, cm("after", "1"));
    written = r && r->ok();
    if (!written) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  ASSERT_TRUE(written);
  ASSERT_TRUE(client_->Patch(base + "/before", Json{{"data", {{"k", "2"}}}}, PatchType::kMerge));
  EXPECT_TRUE(wait_for("add " + ns_ + "/after"));
  EXPECT_TRUE(wait_for("update " + ns_ + "/before 2"));
  inf.Stop();
}

// (410 on a too-old version is exercised against the fake: a fresh apiserver has not
// compacted etcd yet, so it serves any old version.)
TEST_F(RealApiServer, WatchFromListVersionDeliversThenEndsAtTimeout) {
  const std::string base = "/api/v1/namespaces/" + ns_ + "/configmaps";
  auto list = client_->List(base, ListOptions{});
  ASSERT_TRUE(list) << list.error().ToString();
  ASSERT_TRUE(client_->Create(base, Json{{"apiVersion", "v1"},
                                         {"kind", "ConfigMap"},
                                         {"metadata", {{"name", "cm"}}},
                                         {"data", {{"k", "v"}}}}));
  WatchOptions wo;
  wo.resource_version = list->resource_version;
  wo.timeout = std::chrono::seconds(3);
  std::vector<std::string> got;
  Status st = client_->Watch(
      base, wo,
      [&](WatchEvent&& e) {
        got.push_back(std::string(WatchEventTypeName(e.type)) + " " +
                      e.object["metadata"].value("name", ""));
      },
      std::stop_token());
  EXPECT_TRUE(st) << st.error().ToString();  // timeoutSeconds ends the watch cleanly
  // The controller-manager publishes kube-root-ca.crt into every new namespace, racing us.
  std::erase(got, "ADDED kube-root-ca.crt");
  EXPECT_EQ(got, std::vector<std::string>{"ADDED cm"});
}

TEST_F(RealApiServer, LeaseElectionWithOptimisticConcurrency) {
  KubeLeaseLock lock_a(*client_, ns_, "gt-leader"), lock_b(*client_, ns_, "gt-leader");
  LeaderElectionConfig ca, cb;
  ca.identity = "replica-a";
  cb.identity = "replica-b";
  LeaderElector a(lock_a, clock_, ca), b(lock_b, clock_, cb);
  ASSERT_TRUE(a.TryAcquireOrRenew());
  EXPECT_TRUE(a.IsLeader());
  EXPECT_FALSE(b.TryAcquireOrRenew());
  EXPECT_EQ(b.GetLeader(), "replica-a");
  ASSERT_TRUE(a.TryAcquireOrRenew());  // renew
  // b's copy is stale: an update conditional on its resourceVersion is refused (409).
  LeaderElectionRecord steal{"replica-b", 15, clock_.Wall(), clock_.Wall(), 1};
  Status stale = lock_b.Update(steal);
  ASSERT_FALSE(stale);
  EXPECT_NE(stale.error().message.find("409"), std::string::npos) << stale.error().ToString();
  ASSERT_TRUE(a.Release());
  EXPECT_TRUE(b.TryAcquireOrRenew());
  auto rec = lock_b.Get();
  ASSERT_TRUE(rec && rec->has_value());
  EXPECT_EQ((*rec)->holder_identity, "replica-b");
  EXPECT_EQ((*rec)->leader_transitions, 1);
}

TEST_F(RealApiServer, EventsAreCreatedThenCounted) {
  EventRecorder rec(*client_, clock_);
  ObjectReference ref{"apps/v1", "Deployment", ns_, "db", "", ""};
  ASSERT_TRUE(rec.Record(ref, EventType::kWarning, "MemoryThrashing", "psi high"));
  ASSERT_TRUE(rec.Record(ref, EventType::kWarning, "MemoryThrashing", "psi high"));
  auto list = client_->List("/api/v1/namespaces/" + ns_ + "/events", ListOptions{});
  ASSERT_TRUE(list) << list.error().ToString();
  ASSERT_EQ(list->items.size(), 1u);
  EXPECT_EQ(list->items[0]["count"], 2);
  EXPECT_EQ(list->items[0]["source"]["component"], "groundtruth");
}

}  // namespace
}  // namespace gt::kube
