#include "controller/store.h"

#include <gtest/gtest.h>

#include "fakes.h"

namespace gt::controller {
namespace {

using namespace testing;

std::vector<std::string> Names(const std::vector<const Pod*>& pods) {
  std::vector<std::string> out;
  for (const Pod* p : pods) out.push_back(p->name);
  return out;
}

ReplicaSet MustRs(const json& object) { return *ReplicaSetFromJson(object); }

TEST(Store, DeploymentPodsOfTheReplicaSetWithTheCurrentTemplateOnly) {
  WorkloadStore store;
  json deploy = WorkloadJson("Deployment", "web", "d1", 2, PodTemplate("web", "nginx:2"));
  Workload w = MustWorkload(WorkloadKind::kDeployment, deploy);
  store.UpsertWorkload(w);
  store.UpsertReplicaSet(
      MustRs(ReplicaSetJson("web-old", "rs-old", "d1", "1", PodTemplate("web", "nginx:1"), "old")));
  store.UpsertReplicaSet(
      MustRs(ReplicaSetJson("web-new", "rs-new", "d1", "2", PodTemplate("web", "nginx:2"), "new")));
  store.UpsertReplicaSet(
      MustRs(ReplicaSetJson("other", "rs-other", "d2", "2", PodTemplate("web", "nginx:2"), "new")));
  MonotonicTime t{0};
  store.UpsertPod(MustPod(PodJson("web-old-1", "p1", "ReplicaSet", "rs-old", "n1", "c1")), t);
  store.UpsertPod(MustPod(PodJson("web-new-1", "p2", "ReplicaSet", "rs-new", "n1", "c2")), t);
  store.UpsertPod(MustPod(PodJson("web-new-2", "p3", "ReplicaSet", "rs-new", "n2", "c3")), t);
  store.UpsertPod(MustPod(PodJson("other-1", "p4", "ReplicaSet", "rs-other", "n2", "c4")), t);
  json pending = PodJson("web-new-3", "p5", "ReplicaSet", "rs-new", "", "");
  store.UpsertPod(MustPod(pending), t);  // not bound yet
  json leaving = PodJson("web-new-4", "p6", "ReplicaSet", "rs-new", "n3", "c6");
  leaving["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  store.UpsertPod(MustPod(leaving), t);
  EXPECT_EQ(Names(store.CurrentPods(w, 0)), (std::vector<std::string>{"web-new-1", "web-new-2"}));

  // A pod moving to another owner is re-indexed; a deleted one is gone.
  store.UpsertPod(MustPod(PodJson("web-new-1", "p2", "ReplicaSet", "rs-old", "n1", "c2")), t);
  store.DeletePod("p3");
  EXPECT_TRUE(store.CurrentPods(w, 0).empty());
}

TEST(Store, DeploymentFallsBackToRevisionOnlyOnceTheDeploymentControllerCaughtUp) {
  WorkloadStore store;
  json deploy = WorkloadJson("Deployment", "web", "d1", 5, PodTemplate("web", "nginx:2"),
                             {{"app.kubernetes.io/instance", "x"}},
                             {{"deployment.kubernetes.io/revision", "3"}});
  deploy["status"]["observedGeneration"] = 4;
  // A template the hash does not recognise (e.g. a field the server defaults differently).
  store.UpsertReplicaSet(
      MustRs(ReplicaSetJson("web-3", "rs3", "d1", "3", PodTemplate("web", "nginx:2b"), "h3")));
  store.UpsertPod(MustPod(PodJson("web-3-a", "p1", "ReplicaSet", "rs3", "n1", "c1")),
                  MonotonicTime{0});
  Workload lagging = MustWorkload(WorkloadKind::kDeployment, deploy);
  EXPECT_TRUE(store.CurrentPods(lagging, 0).empty());
  deploy["status"]["observedGeneration"] = 5;
  Workload current = MustWorkload(WorkloadKind::kDeployment, deploy);
  EXPECT_EQ(Names(store.CurrentPods(current, 0)), (std::vector<std::string>{"web-3-a"}));
}

TEST(Store, StatefulSetPodsOfTheUpdateRevision) {
  WorkloadStore store;
  json sts = WorkloadJson("StatefulSet", "db", "s1", 3, PodTemplate("db", "mysql:8"));
  sts["status"]["updateRevision"] = "db-new";
  MonotonicTime t{0};
  store.UpsertPod(MustPod(PodJson("db-0", "p0", "StatefulSet", "s1", "n1", "c0",
                                  {{"controller-revision-hash", "db-new"}})),
                  t);
  store.UpsertPod(MustPod(PodJson("db-1", "p1", "StatefulSet", "s1", "n2", "c1",
                                  {{"controller-revision-hash", "db-old"}})),
                  t);
  Workload w = MustWorkload(WorkloadKind::kStatefulSet, sts);
  EXPECT_EQ(Names(store.CurrentPods(w, 0)), (std::vector<std::string>{"db-0"}));
  // The template changed at generation 4 and the StatefulSet controller has not seen it:
  // updateRevision is stale, so no pod is current yet.
  EXPECT_TRUE(store.CurrentPods(w, 4).empty());
}

TEST(Store, DaemonSetPodsOfTheNewestTemplateGeneration) {
  WorkloadStore store;
  json ds = WorkloadJson("DaemonSet", "log", "ds1", 7, PodTemplate("log", "fluent:2"));
  MonotonicTime t{0};
  store.UpsertPod(
      MustPod(PodJson("log-a", "pa", "DaemonSet", "ds1", "n1", "ca",
                      {{"controller-revision-hash", "r2"}, {"pod-template-generation", "6"}})),
      t);
  store.UpsertPod(
      MustPod(PodJson("log-b", "pb", "DaemonSet", "ds1", "n2", "cb",
                      {{"controller-revision-hash", "r2"}, {"pod-template-generation", "5"}})),
      t);
  store.UpsertPod(
      MustPod(PodJson("log-c", "pc", "DaemonSet", "ds1", "n3", "cc",
                      {{"controller-revision-hash", "r1"}, {"pod-template-generation", "4"}})),
      t);
  Workload w = MustWorkload(WorkloadKind::kDaemonSet, ds);
  // log-b was created at generation 5 with the same template (same revision hash).
  EXPECT_EQ(Names(store.CurrentPods(w, 0)), (std::vector<std::string>{"log-a", "log-b"}));
  EXPECT_TRUE(store.CurrentPods(w, 7).empty());  // template changed at 7, no pod has it yet
}

TEST(Store, AgentTargetsOnePerNodeReadyPreferred) {
  WorkloadStore store;
  store.UpsertAgent(*AgentPodFromJson(AgentJson("a1", "u1", "n1", "10.0.0.1", false)));
  store.UpsertAgent(*AgentPodFromJson(AgentJson("a2", "u2", "n1", "10.0.0.2", true)));
  store.UpsertAgent(*AgentPodFromJson(AgentJson("a3", "u3", "n2", "fd00::3", true)));
  store.UpsertAgent(*AgentPodFromJson(AgentJson("a4", "u4", "n3", "", true)));  // no IP yet
  auto targets = store.AgentTargets(9443);
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets[0].node, "n1");
  EXPECT_EQ(targets[0].endpoint, "10.0.0.2:9443");
  EXPECT_EQ(targets[0].agent_uid, "u2");
  EXPECT_EQ(targets[1].endpoint, "[fd00::3]:9443");
  store.DeleteAgent("u2");
  EXPECT_EQ(store.AgentTargets(9443)[0].endpoint, "10.0.0.1:9443");
}

TEST(Store, ContainerIdFirstSeenIsKeptAcrossUpdates) {
  WorkloadStore store;
  json pod = PodJson("a", "p", "StatefulSet", "s", "n", "c1");
  store.UpsertPod(MustPod(pod), MonotonicTime{std::chrono::seconds(10)});
  store.UpsertPod(MustPod(pod), MonotonicTime{std::chrono::seconds(20)});
  EXPECT_EQ(store.FindPod("p")->statuses[0].id_seen_at, std::chrono::seconds(10));
  json restarted = PodJson("a", "p", "StatefulSet", "s", "n", "c2");
  store.UpsertPod(MustPod(restarted), MonotonicTime{std::chrono::seconds(30)});
  EXPECT_EQ(store.FindPod("p")->statuses[0].id_seen_at, std::chrono::seconds(30));
}

}  // namespace
}  // namespace gt::controller
