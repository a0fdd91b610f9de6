#include "controller/convert.h"

#include <gtest/gtest.h>

#include "controller/scope.h"
#include "fakes.h"

namespace gt::controller {
namespace {

using namespace testing;
using reconcile::ConditionStatus;

TEST(Convert, WorkloadCarriesScopeOverridesConditionAndAnnotation) {
  json object = WorkloadJson("Deployment", "web", "u1", 4, PodTemplate("web", "nginx:1"),
                             {{"kustomize.toolkit.fluxcd.io/name", "apps"}},
                             {{"groundtruth.dev/cpu-throttled.ratio", "0.5"},
                              {"groundtruth.dev/runtime-compliant", "True/Compliant/4"},
                              {"groundtruth.dev/enabled", "true"},
                              {"deployment.kubernetes.io/revision", "7"}});
  SetLiveCondition(object, Condition{ConditionStatus::kTrue, "Compliant", "ok",
                                     "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"});
  auto w = WorkloadFromJson(WorkloadKind::kDeployment, object);
  ASSERT_TRUE(w) << w.error().ToString();
  EXPECT_EQ(w->key, (WorkloadKey{WorkloadKind::kDeployment, "shop", "web"}));
  EXPECT_EQ(w->generation, 4);
  EXPECT_TRUE(w->gitops_managed);
  EXPECT_FALSE(w->opted_out);
  EXPECT_EQ(w->deployment_revision, "7");
  EXPECT_EQ(w->overrides, (std::map<std::string, std::string>{{"cpu-throttled.ratio", "0.5"}}));
  EXPECT_EQ(w->verdict_annotation, "True/Compliant/4");
  ASSERT_TRUE(w->condition);
  EXPECT_EQ(w->condition->last_transition_time, "2026-01-01T00:00:00Z");
}

TEST(Convert, ScopeAndOptOut) {
  auto managed = [](const json& labels, const json& annotations) {
    json object =
        WorkloadJson("Deployment", "a", "u", 1, PodTemplate("a", "i"), labels, annotations);
    return MustWorkload(WorkloadKind::kDeployment, object);
  };
  EXPECT_TRUE(managed({{"app.kubernetes.io/instance", "x"}}, json::object()).gitops_managed);
  EXPECT_TRUE(managed(json::object(), {{"argocd.argoproj.io/tracking-id", "a:apps/Deployment:n/a"}})
                  .gitops_managed);
  EXPECT_TRUE(managed({{"helm.toolkit.fluxcd.io/name", "x"}}, json::object()).gitops_managed);
  Workload plain = managed({{"app", "x"}}, json::object());
  EXPECT_FALSE(plain.gitops_managed);
  EXPECT_FALSE(InScope(plain, Scope::kGitOps));
  EXPECT_TRUE(InScope(plain, Scope::kAll));
  Workload out =
      managed({{"app.kubernetes.io/instance", "x"}}, {{"groundtruth.dev/enabled", "false"}});
  EXPECT_TRUE(out.opted_out);
  EXPECT_FALSE(InScope(out, Scope::kAll));
  EXPECT_FALSE(ParseScope("some"));
}

TEST(Convert, TemplateHashIgnoresScaleAndMatchesReplicaSetWithoutHashLabel) {
  json a = WorkloadJson("Deployment", "web", "u1", 1, PodTemplate("web", "nginx:1"));
  json scaled = a;
  scaled["spec"]["replicas"] = 5;
  scaled["metadata"]["generation"] = 2;
  json rolled = WorkloadJson("Deployment", "web", "u1", 3, PodTemplate("web", "nginx:2"));
  auto wa = MustWorkload(WorkloadKind::kDeployment, a);
  EXPECT_EQ(wa.template_hash, MustWorkload(WorkloadKind::kDeployment, scaled).template_hash);
  EXPECT_NE(wa.template_hash, MustWorkload(WorkloadKind::kDeployment, rolled).template_hash);
  auto rs = ReplicaSetFromJson(
      ReplicaSetJson("web-abc", "rs1", "u1", "1", PodTemplate("web", "nginx:1"), "abc"));
  ASSERT_TRUE(rs);
  EXPECT_EQ(rs->template_hash, wa.template_hash);
  EXPECT_EQ(rs->owner_uid, "u1");
}

TEST(Convert, PodLimitsOwnerAndContainerIds) {
  json object = PodJson("web-1", "p1", "ReplicaSet", "rs1", "node-1", "abc123",
                        {{"pod-template-hash", "h"}}, "1536Mi");
  object["spec"]["containers"][0]["resources"]["limits"]["cpu"] = "1500m";
  object["spec"]["initContainers"] =
      json::array({{{"name", "proxy"}, {"restartPolicy", "Always"}}, {{"name", "init-db"}}});
  auto pod = PodFromJson(object);
  ASSERT_TRUE(pod);
  EXPECT_EQ(pod->owner_kind, "ReplicaSet");
  EXPECT_EQ(pod->owner_uid, "rs1");
  EXPECT_EQ(pod->pod_template_hash, "h");
  ASSERT_EQ(pod->containers.size(), 2u);  // the sidecar counts, the plain init container not
  EXPECT_EQ(pod->containers[0].declared.memory_limit_bytes, 1536ull << 20);
  EXPECT_EQ(pod->containers[0].declared.cpu_limit_millicores, 1500u);
  EXPECT_FALSE(pod->containers[0].declared.memory_request_bytes);
  ASSERT_EQ(pod->statuses.size(), 1u);
  EXPECT_EQ(pod->statuses[0].id, "abc123");
  EXPECT_TRUE(pod->statuses[0].running);
  EXPECT_TRUE(pod->ready);
}

TEST(Convert, MalformedObjectsAreErrorsNotExceptions) {
  EXPECT_FALSE(PodFromJson(json::array()));
  EXPECT_FALSE(PodFromJson(json{{"metadata", {{"name", 3}}}}));
  json weird = PodJson("a", "b", "ReplicaSet", "c", "n", "id");
  weird["spec"]["containers"] = "not a list";
  weird["status"]["containerStatuses"][0]["containerID"] = 7;
  weird["spec"]["nodeName"] = json::object();
  auto pod = PodFromJson(weird);
  ASSERT_TRUE(pod);
  EXPECT_TRUE(pod->containers.empty());
  EXPECT_EQ(pod->statuses[0].id, "");
  EXPECT_FALSE(WorkloadFromJson(WorkloadKind::kDaemonSet, json("x")));
}

TEST(Convert, ApplyBodiesCarryOnlyOurFields) {
  WorkloadKey sts{WorkloadKind::kStatefulSet, "db", "mysql"};
  Condition c{ConditionStatus::kFalse, "MemoryThrashing", "container mysql ...",
              "2026-01-01T00:00:00Z", "2026-01-01T00:00:05Z"};
  json body = ConditionApplyBody(sts, "u9", c);
  EXPECT_EQ(body["kind"], "StatefulSet");
  EXPECT_EQ(body["metadata"]["uid"], "u9");
  ASSERT_EQ(body["status"]["conditions"].size(), 1u);
  const json& entry = body["status"]["conditions"][0];
  EXPECT_EQ(entry["type"], "RuntimeCompliant");
  EXPECT_EQ(entry["status"], "False");
  EXPECT_FALSE(entry.contains("lastUpdateTime"));  // StatefulSet conditions have none
  EXPECT_FALSE(body.contains("spec"));
  json deploy = ConditionApplyBody({WorkloadKind::kDeployment, "a", "b"}, "u", c);
  EXPECT_EQ(deploy["status"]["conditions"][0]["lastUpdateTime"], "2026-01-01T00:00:05Z");
  json annotation = AnnotationApplyBody(sts, "u9", "False/MemoryThrashing/3", "812");
  EXPECT_EQ(annotation["metadata"]["annotations"]["groundtruth.dev/runtime-compliant"],
            "False/MemoryThrashing/3");
  EXPECT_EQ(annotation["metadata"]["resourceVersion"], "812");  // the apply's precondition
  EXPECT_FALSE(annotation.contains("status"));
  EXPECT_FALSE(AnnotationApplyBody(sts, "u9", "x", "")["metadata"].contains("resourceVersion"));
}

// The verdict annotation's format and parse assertions moved to tests/contract/annotation_test.cc
// with the one parser (contract/annotation.h).
TEST(Convert, KubeTimeIsRfc3339Utc) {
  EXPECT_EQ(FormatKubeTime(std::chrono::system_clock::time_point(std::chrono::seconds(0))),
            "1970-01-01T00:00:00Z");
}

TEST(Convert, TrimmedObjectsConvertTheSame) {
  json deploy = WorkloadJson("Deployment", "web", "u1", 4, PodTemplate("web", "nginx:1"),
                             {{"app.kubernetes.io/instance", "x"}},
                             {{"kubectl.kubernetes.io/last-applied-configuration", "{...}"},
                              {"groundtruth.dev/io-contention.psi-full", "20%"}});
  deploy["metadata"]["managedFields"] = json::array({{{"manager", "kubectl"}}});
  json trimmed = deploy;
  TrimWorkload(trimmed);
  EXPECT_FALSE(trimmed["metadata"].contains("managedFields"));
  EXPECT_FALSE(trimmed["spec"].contains("template"));
  auto full = MustWorkload(WorkloadKind::kDeployment, deploy);
  auto small = MustWorkload(WorkloadKind::kDeployment, trimmed);
  EXPECT_EQ(full.template_hash, small.template_hash);
  EXPECT_EQ(full.overrides, small.overrides);
  TrimWorkload(trimmed);  // idempotent: the informer may trim an already trimmed object
  EXPECT_EQ(MustWorkload(WorkloadKind::kDeployment, trimmed).template_hash, full.template_hash);

  json rs = ReplicaSetJson("web-h", "rs1", "u1", "1", PodTemplate("web", "nginx:1"), "h");
  json rs_trimmed = rs;
  TrimReplicaSet(rs_trimmed);
  EXPECT_EQ(ReplicaSetFromJson(rs_trimmed)->template_hash, full.template_hash);
  EXPECT_EQ(ReplicaSetFromJson(rs_trimmed)->owner_uid, "u1");

  json pod =
      PodJson("web-h-1", "p1", "ReplicaSet", "rs1", "n1", "c1", {{"pod-template-hash", "h"}});
  pod["spec"]["containers"][0]["env"] = json::array({{{"name", "A"}, {"value", "B"}}});
  pod["spec"]["volumes"] = json::array();
  json pod_trimmed = pod;
  TrimPod(pod_trimmed);
  EXPECT_FALSE(pod_trimmed["spec"].contains("volumes"));
  EXPECT_FALSE(pod_trimmed["spec"]["containers"][0].contains("env"));
  Pod a = MustPod(pod), b = MustPod(pod_trimmed);
  EXPECT_EQ(a.statuses[0].id, b.statuses[0].id);
  EXPECT_EQ(a.containers[0].declared.memory_limit_bytes,
            b.containers[0].declared.memory_limit_bytes);
  EXPECT_EQ(a.pod_template_hash, b.pod_template_hash);
  EXPECT_EQ(a.node, b.node);
  EXPECT_TRUE(b.ready);
}

// spec.hostNetwork decides whether the network rule applies: read, and kept by the trim the
// informer applies before the pod is stored.
TEST(Convert, HostNetworkIsReadAndSurvivesTheTrim) {
  json pod = PodJson("agent-x", "p1", "DaemonSet", "ds1", "n1", "c1");
  EXPECT_FALSE(MustPod(pod).host_network);
  pod["spec"]["hostNetwork"] = true;
  json trimmed = pod;
  TrimPod(trimmed);
  EXPECT_TRUE(MustPod(pod).host_network);
  EXPECT_TRUE(MustPod(trimmed).host_network);
  pod["spec"]["hostNetwork"] = "true";  // not a boolean: not taken for one
  EXPECT_FALSE(MustPod(pod).host_network);
}

// Found by controller_convert_fuzz: TrimPod threw (nlohmann type_error 307) on an object
// whose metadata is not a map, where convert.h promises never to throw; the informer
// thread would have ended the controller. The conversions reject such objects anyway.
TEST(Convert, TrimsNeverThrowOnMistypedMetadata) {
  for (json metadata : {json("x"), json(7), json::array({1}), json(nullptr)}) {
    json object = {{"metadata", metadata}, {"spec", "s"}, {"status", json::array()}};
    for (auto trim : {TrimWorkload, TrimReplicaSet, TrimPod}) {
      json copy = object;
      EXPECT_NO_THROW(trim(copy)) << metadata.dump();
    }
    EXPECT_FALSE(PodFromJson(object));
    EXPECT_FALSE(WorkloadFromJson(WorkloadKind::kDeployment, object));
  }
}

}  // namespace
}  // namespace gt::controller
