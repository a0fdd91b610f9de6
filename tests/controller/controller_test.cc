#include "controller/controller.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <sstream>

#include "common/clock.h"
#include "fakes.h"

namespace gt::controller {
namespace {

using namespace testing;
using namespace std::chrono_literals;
using reconcile::ConditionStatus;

const WorkloadKey kWeb{WorkloadKind::kDeployment, "shop", "web"};
const WorkloadKey kDb{WorkloadKind::kStatefulSet, "shop", "db"};

class ControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    writer_.objects = &objects_;
    ctl_ = NewController();
  }

  std::unique_ptr<Controller> NewController(ControllerOptions options = {}) {
    return std::make_unique<Controller>(options, clock_, judge_, writer_, events_, leadership_,
                                        metrics_, log_);
  }

  // The cluster as the API server holds it: a Deployment with its ReplicaSet and a pod, a
  // StatefulSet with a pod, an agent on the node.
  void Populate(Controller& ctl) {
    if (objects_.empty()) {
      objects_[kWeb] = WorkloadJson("Deployment", "web", "d1", 1, PodTemplate("web", "nginx:1"));
      objects_[kDb] = WorkloadJson("StatefulSet", "db", "s1", 1, PodTemplate("db", "mysql:8"));
      objects_[kDb]["status"]["updateRevision"] = "db-1";
    }
    ctl.UpsertWorkload(MustWorkload(kWeb.kind, objects_[kWeb]));
    ctl.UpsertWorkload(MustWorkload(kDb.kind, objects_[kDb]));
    ctl.UpsertReplicaSet(*ReplicaSetFromJson(
        ReplicaSetJson("web-1", "rs1", "d1", "1", PodTemplate("web", "nginx:1"), "h1")));
    ctl.UpsertPod(MustPod(PodJson("web-1-a", "p1", "ReplicaSet", "rs1", "node-1", "c-web")));
    ctl.UpsertPod(MustPod(PodJson("db-0", "p2", "StatefulSet", "s1", "node-1", "c-db",
                                  {{"controller-revision-hash", "db-1"}})));
    ctl.UpsertAgent(*AgentPodFromJson(AgentJson("agent-x", "a1", "node-1", "10.1.0.5")));
  }

  // The informer delivers what the writes (applied by writer_ at once) made of the objects.
  void Reflect(Controller& ctl) {
    std::set<WorkloadKey> touched;
    for (const auto& write : writer_.conditions) touched.insert(write.key);
    for (const auto& write : writer_.annotations) touched.insert(write.key);
    for (const auto& key : writer_.withdrawals) touched.insert(key);
    writer_.Clear();
    for (const WorkloadKey& key : touched)
      ctl.UpsertWorkload(MustWorkload(key.kind, objects_[key]));
  }

  wire::SamplesResponse Samples(
      uint64_t cursor, MonotonicTime agent_time,
      const std::vector<std::pair<std::string, std::string>>& containers) {
    wire::SamplesResponse r;
    r.node = {"node-1", "boot-1"};
    r.cursor = cursor;
    wire::Sample s;
    s.seq = cursor;
    s.monotonic = agent_time;
    s.node.time = agent_time;
    for (const auto& [pod, id] : containers) {
      wire::PodSample p;
      p.uid = pod;
      wire::ContainerSample c;
      c.id = id;
      c.reading.time = agent_time;
      c.reading.memory.usage_bytes = 100;
      p.containers.push_back(c);
      s.pods.push_back(p);
    }
    r.samples.push_back(s);
    return r;
  }

  std::map<WorkloadKey, json> objects_;
  FakeClock clock_;
  FakeJudge judge_;
  FakeStatusWriter writer_;
  FakeEvents events_;
  FakeLeadership leadership_;
  Metrics metrics_;
  std::ostringstream log_text_;
  Logger log_{log_text_};
  std::unique_ptr<Controller> ctl_;
};

TEST_F(ControllerTest, WritesOnceThenNothingInSteadyState) {
  Populate(*ctl_);
  judge_.verdicts[kWeb] = FakeJudge::Compliant("all 1 containers within limits for 5m");
  ctl_->RunPass();
  ASSERT_EQ(writer_.conditions.size(), 2u);
  ASSERT_EQ(writer_.annotations.size(), 2u);
  EXPECT_EQ(writer_.conditions[0].condition.status, ConditionStatus::kTrue);
  EXPECT_EQ(writer_.conditions[0].uid, "d1");
  // The API server bumps a Deployment's generation for the annotation write itself.
  EXPECT_EQ(writer_.annotations[0].value, "True/Compliant/2");
  EXPECT_EQ(writer_.annotations[1].value, "True/Compliant/1");  // the StatefulSet
  EXPECT_EQ(events_.events.size(), 2u);
  EXPECT_FALSE(events_.events[0].warning);
  Reflect(*ctl_);
  ctl_->CheckDirty();
  for (int i = 0; i < 20; ++i) {
    clock_.Advance(10s);
    judge_.verdicts[kWeb] =
        FakeJudge::Compliant("all 1 containers within limits for " + std::to_string(i) + "m");
    ctl_->RunPass();
    ctl_->CheckDirty();
  }
  EXPECT_EQ(writer_.total(), 0u);
  EXPECT_EQ(events_.events.size(), 2u);
}

TEST_F(ControllerTest, NewPodTemplateResetsToObservingAtOnce) {
  Populate(*ctl_);
  ctl_->RunPass();
  Reflect(*ctl_);
  ctl_->CheckDirty();
  events_.events.clear();

  json& web = objects_[kWeb];
  web["spec"]["template"] = PodTemplate("web", "nginx:2");
  web["metadata"]["generation"] = 3;  // 2 after our first annotation
  BumpVersion(web);
  ctl_->UpsertWorkload(MustWorkload(kWeb.kind, web));
  ctl_->CheckDirty();  // the watch event alone, no pass
  ASSERT_EQ(writer_.conditions.size(), 1u);
  EXPECT_EQ(writer_.conditions[0].condition.status, ConditionStatus::kUnknown);
  EXPECT_EQ(writer_.conditions[0].condition.reason, "Observing");
  ASSERT_EQ(writer_.annotations.size(), 1u);
  EXPECT_EQ(writer_.annotations[0].value, "Unknown/Observing/4");
  EXPECT_EQ(judge_.forgotten, std::vector<WorkloadKey>{kWeb});
  EXPECT_TRUE(events_.events.empty());

  // The old ReplicaSet's pod does not count for the new template.
  Reflect(*ctl_);
  judge_.verdicts[kWeb] = FakeJudge::Unknown("Observing", "observing for 0s");
  ctl_->RunPass();
  EXPECT_TRUE(judge_.observations[kWeb].containers.empty());
  EXPECT_EQ(judge_.observations[kWeb].generation, 3);
}

TEST_F(ControllerTest, ScaleKeepsTheVerdictAndMovesTheAnnotationGeneration) {
  Populate(*ctl_);
  ctl_->RunPass();
  Reflect(*ctl_);
  json& web = objects_[kWeb];
  web["spec"]["replicas"] = 3;
  web["metadata"]["generation"] = 3;  // 2 after our first annotation
  BumpVersion(web);
  ctl_->UpsertWorkload(MustWorkload(kWeb.kind, web));
  ctl_->CheckDirty();
  EXPECT_TRUE(writer_.conditions.empty());
  ASSERT_EQ(writer_.annotations.size(), 1u);
  EXPECT_EQ(writer_.annotations[0].value, "True/Compliant/4");
  EXPECT_TRUE(judge_.forgotten.empty());
  Reflect(*ctl_);  // generation 4 now, as the annotation says: nothing more to write
  ctl_->CheckDirty();
  ctl_->RunPass();
  EXPECT_EQ(writer_.total(), 0u);
}

std::string LiveAnnotation(const json& object) {
  return object["metadata"]["annotations"]["groundtruth.dev/runtime-compliant"].get<std::string>();
}

// Someone scales the Deployment between the pass reading it and our writes: the mirror must
// not name a generation computed from the object it read.
TEST_F(ControllerTest, AnnotationIsNotWrittenOnAnObjectThatMovedSinceThePass) {
  Populate(*ctl_);
  json& web = objects_[kWeb];
  web["spec"]["replicas"] = 3;  // the scale lands on the server; the informer has not seen it
  web["metadata"]["generation"] = 2;
  BumpVersion(web);
  ctl_->RunPass();
  ASSERT_EQ(writer_.conditions.size(), 2u);  // the condition does not name a generation
  // The condition write showed generation 2, not the 1 the pass planned on: no annotation.
  ASSERT_EQ(writer_.annotations.size(), 1u);
  EXPECT_EQ(writer_.annotations[0].key, kDb);
  EXPECT_NE(log_text_.str().find("workload changed since the pass"), std::string::npos);
  Reflect(*ctl_);
  ctl_->CheckDirty();  // planned again from generation 2
  ASSERT_EQ(writer_.annotations.size(), 1u);
  EXPECT_EQ(writer_.annotations[0].value, "True/Compliant/3");
  EXPECT_FALSE(writer_.annotations[0].resource_version.empty());  // a conditional apply
  Reflect(*ctl_);
  EXPECT_EQ(LiveAnnotation(objects_[kWeb]),
            "True/Compliant/" + std::to_string(GenerationOf(objects_[kWeb])));
  ctl_->CheckDirty();
  ctl_->RunPass();
  EXPECT_EQ(writer_.total(), 0u);
}

// Only the annotation is due (someone removed it) and the object moves again before our
// write lands: the server refuses it (409), which is routine, and the next plan is right.
TEST_F(ControllerTest, AnnotationRefusedOnAStaleVersionIsPlannedAgain) {
  Populate(*ctl_);
  ctl_->RunPass();
  Reflect(*ctl_);
  json& web = objects_[kWeb];
  web["metadata"]["annotations"].erase("groundtruth.dev/runtime-compliant");
  web["metadata"]["generation"] = web["metadata"]["generation"].get<int64_t>() + 1;
  BumpVersion(web);
  ctl_->UpsertWorkload(MustWorkload(kWeb.kind, web));
  web["spec"]["replicas"] = 4;  // lands before our write; the informer has not seen it
  web["metadata"]["generation"] = web["metadata"]["generation"].get<int64_t>() + 1;
  BumpVersion(web);
  log_text_.str("");
  ctl_->CheckDirty();
  EXPECT_TRUE(writer_.annotations.empty());
  EXPECT_NE(log_text_.str().find("workload changed since the pass"), std::string::npos);
  EXPECT_EQ(log_text_.str().find("annotation write failed"), std::string::npos);
  ctl_->UpsertWorkload(MustWorkload(kWeb.kind, web));
  ctl_->CheckDirty();
  ASSERT_EQ(writer_.annotations.size(), 1u);
  Reflect(*ctl_);
  EXPECT_EQ(LiveAnnotation(objects_[kWeb]),
            "True/Compliant/" + std::to_string(GenerationOf(objects_[kWeb])));
}

// Opted out (or no longer GitOps-managed): the verdict nobody maintains any more is removed
// once, or Argo CD would show the app Degraded forever; opted back in, it is judged again.
TEST_F(ControllerTest, AWorkloadLeavingScopeLosesItsConditionAndAnnotation) {
  Populate(*ctl_);
  judge_.verdicts[kWeb] = FakeJudge::Unknown("MemoryThrashing", "thrashing");
  judge_.verdicts[kWeb].status = ConditionStatus::kFalse;
  ctl_->RunPass();
  Reflect(*ctl_);
  ASSERT_TRUE(MustWorkload(kWeb.kind, objects_[kWeb]).condition);
  json& web = objects_[kWeb];
  web["metadata"]["annotations"]["groundtruth.dev/enabled"] = "false";
  web["metadata"]["generation"] = web["metadata"]["generation"].get<int64_t>() + 1;
  BumpVersion(web);
  ctl_->UpsertWorkload(MustWorkload(kWeb.kind, web));
  ctl_->CheckDirty();
  ASSERT_EQ(writer_.withdrawals, std::vector<WorkloadKey>{kWeb});
  EXPECT_TRUE(writer_.conditions.empty());
  EXPECT_NE(log_text_.str().find("out of scope: its condition and annotation are removed"),
            std::string::npos);
  ctl_->RunPass();  // the watch has not shown it yet: not sent twice
  EXPECT_EQ(writer_.withdrawals.size(), 1u);
  Reflect(*ctl_);
  Workload live = MustWorkload(kWeb.kind, objects_[kWeb]);
  EXPECT_FALSE(live.condition);
  EXPECT_TRUE(live.verdict_annotation.empty());
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(10s);
    ctl_->RunPass();
    ctl_->CheckDirty();
  }
  EXPECT_EQ(writer_.total(), 0u);  // out of scope and clean: nothing more

  // Opted back in: what was judged before it left says nothing about now.
  events_.events.clear();
  web["metadata"]["annotations"].erase("groundtruth.dev/enabled");
  web["metadata"]["generation"] = web["metadata"]["generation"].get<int64_t>() + 1;
  BumpVersion(web);
  ctl_->UpsertWorkload(MustWorkload(kWeb.kind, web));
  ctl_->CheckDirty();  // the watch event alone, no pass
  ASSERT_EQ(writer_.conditions.size(), 1u);
  EXPECT_EQ(writer_.conditions[0].key, kWeb);
  EXPECT_EQ(writer_.conditions[0].condition.status, ConditionStatus::kUnknown);
  EXPECT_EQ(writer_.conditions[0].condition.reason, "Observing");
  EXPECT_TRUE(events_.events.empty());
  EXPECT_EQ(std::count(judge_.forgotten.begin(), judge_.forgotten.end(), kWeb), 2);  // out, in
  EXPECT_TRUE(writer_.withdrawals.empty());
}

// What an apply of nothing leaves behind belongs to another manager (the annotation set in
// Git, say): withdrawn once per departure, never chased.
TEST_F(ControllerTest, WithdrawalIsOnceEvenWhenSomethingStays) {
  writer_.annotation_owned_elsewhere = true;
  Populate(*ctl_);
  ctl_->RunPass();
  Reflect(*ctl_);
  json& web = objects_[kWeb];
  web["metadata"]["labels"] = json::object();  // no longer GitOps-managed
  BumpVersion(web);
  ctl_->UpsertWorkload(MustWorkload(kWeb.kind, web));
  ctl_->CheckDirty();
  ASSERT_EQ(writer_.withdrawals.size(), 1u);
  Reflect(*ctl_);
  EXPECT_FALSE(MustWorkload(kWeb.kind, objects_[kWeb]).verdict_annotation.empty());
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(1min);
    ctl_->RunPass();
    ctl_->CheckDirty();
  }
  EXPECT_EQ(writer_.total(), 0u);
}

// A StatefulSet never judged by this controller and never written: leaving it alone is free.
TEST_F(ControllerTest, AnOutOfScopeWorkloadWithoutOurConditionIsNotWritten) {
  objects_[kWeb] = WorkloadJson("Deployment", "web", "d1", 1, PodTemplate("web", "nginx:1"));
  objects_[kWeb]["metadata"]["labels"] = json::object();  // not GitOps-managed
  ctl_->UpsertWorkload(MustWorkload(kWeb.kind, objects_[kWeb]));
  ctl_->RunPass();
  ctl_->CheckDirty();
  EXPECT_EQ(writer_.total(), 0u);
}

TEST_F(ControllerTest, WipedStatefulSetConditionIsReassertedOnTheWatchEvent) {
  Populate(*ctl_);
  ctl_->RunPass();
  Reflect(*ctl_);
  std::string transition =
      objects_[kDb]["status"]["conditions"][0]["lastTransitionTime"].get<std::string>();
  events_.events.clear();
  clock_.Advance(1h);

  // The StatefulSet controller rebuilds its status and drops foreign conditions.
  json& db = objects_[kDb];
  db["status"] = {{"observedGeneration", 1}, {"replicas", 1}, {"updateRevision", "db-1"}};
  BumpVersion(db);
  ctl_->UpsertWorkload(MustWorkload(kDb.kind, db));
  ctl_->CheckDirty();
  ASSERT_EQ(writer_.conditions.size(), 1u);
  EXPECT_EQ(writer_.conditions[0].key, kDb);
  EXPECT_EQ(writer_.conditions[0].condition.last_transition_time, transition);
  EXPECT_TRUE(writer_.annotations.empty());  // annotations are not touched by the wipe
  EXPECT_TRUE(events_.events.empty());       // not a transition
}

TEST_F(ControllerTest, RestartKeepsTheVerdictAndItsTransitionTime) {
  Populate(*ctl_);
  ctl_->RunPass();
  Reflect(*ctl_);
  std::string transition =
      objects_[kWeb]["status"]["conditions"][0]["lastTransitionTime"].get<std::string>();

  clock_.Advance(1h);
  FakeJudge fresh_judge;  // a restarted controller: no judge state
  auto restarted = std::make_unique<Controller>(ControllerOptions{}, clock_, fresh_judge, writer_,
                                                events_, leadership_, metrics_, log_);
  Populate(*restarted);  // the informers list the live objects, conditions included
  events_.events.clear();
  fresh_judge.verdicts[kWeb] = FakeJudge::Unknown("Observing", "first window not complete");
  fresh_judge.verdicts[kDb] = FakeJudge::Unknown("NoData", "no readings yet");  // not scraped
  restarted->CheckDirty();
  restarted->RunPass();
  EXPECT_EQ(writer_.total(), 0u);
  fresh_judge.verdicts.clear();  // now both are judged Compliant
  clock_.Advance(5min);
  restarted->RunPass();
  EXPECT_EQ(writer_.total(), 0u);
  EXPECT_TRUE(events_.events.empty());

  // A later transition moves lastTransitionTime.
  fresh_judge.verdicts[kWeb] = FakeJudge::Violated("MemoryThrashing", "container web: PSI 40%");
  restarted->RunPass();
  ASSERT_EQ(writer_.conditions.size(), 1u);
  EXPECT_NE(writer_.conditions[0].condition.last_transition_time, transition);
  ASSERT_EQ(events_.events.size(), 1u);
  EXPECT_TRUE(events_.events[0].warning);
}

TEST_F(ControllerTest, ObjectFromAnotherGenerationIsNotTakenAsAVerdict) {
  objects_[kWeb] = WorkloadJson("Deployment", "web", "d1", 3, PodTemplate("web", "nginx:1"));
  SetLiveCondition(objects_[kWeb], Condition{ConditionStatus::kTrue, "Compliant", "ok",
                                             "2026-01-01T00:00:00Z", ""});
  objects_[kWeb]["metadata"]["annotations"]["groundtruth.dev/runtime-compliant"] =
      "True/Compliant/2";
  ctl_->UpsertWorkload(MustWorkload(kWeb.kind, objects_[kWeb]));
  ctl_->CheckDirty();
  ASSERT_EQ(writer_.conditions.size(), 1u);
  EXPECT_EQ(writer_.conditions[0].condition.reason, "Observing");
  EXPECT_EQ(writer_.annotations[0].value, "Unknown/Observing/4");
}

TEST_F(ControllerTest, OnlyTheLeaderWrites) {
  leadership_.leader = false;
  Populate(*ctl_);
  ctl_->CheckDirty();
  ctl_->RunPass();
  EXPECT_EQ(writer_.total(), 0u);
  EXPECT_TRUE(events_.events.empty());
  EXPECT_EQ(judge_.evaluations, 2);  // a follower still judges, to take over warm

  leadership_.leader = true;
  ctl_->CheckDirty();  // taking the lead checks everything at once
  EXPECT_EQ(writer_.conditions.size(), 2u);
  EXPECT_EQ(writer_.annotations.size(), 2u);
}

TEST_F(ControllerTest, FailedWriteIsRetriedOnTheNextPass) {
  Populate(*ctl_);
  writer_.fail = true;
  ctl_->RunPass();
  EXPECT_EQ(writer_.total(), 0u);
  EXPECT_TRUE(events_.events.empty());
  writer_.fail = false;
  clock_.Advance(10s);
  ctl_->RunPass();
  EXPECT_EQ(writer_.conditions.size(), 2u);
  EXPECT_EQ(events_.events.size(), 2u);
  EXPECT_NE(log_text_.str().find("condition write failed"), std::string::npos);
}

TEST_F(ControllerTest, ScopeAndOptOut) {
  objects_[kWeb] = WorkloadJson("Deployment", "web", "d1", 1, PodTemplate("web", "nginx:1"),
                                {{"app", "web"}});  // no GitOps tool
  objects_[kDb] =
      WorkloadJson("StatefulSet", "db", "s1", 1, PodTemplate("db", "mysql:8"),
                   {{"app.kubernetes.io/instance", "db"}}, {{"groundtruth.dev/enabled", "false"}});
  for (auto& [key, object] : objects_) ctl_->UpsertWorkload(MustWorkload(key.kind, object));
  ctl_->RunPass();
  EXPECT_EQ(judge_.evaluations, 0);
  EXPECT_EQ(writer_.total(), 0u);

  ControllerOptions all;
  all.scope = Scope::kAll;
  auto everything = NewController(all);
  for (auto& [key, object] : objects_) everything->UpsertWorkload(MustWorkload(key.kind, object));
  everything->RunPass();
  EXPECT_EQ(judge_.evaluations, 1);  // the opted-out StatefulSet stays out
  EXPECT_TRUE(judge_.observations.contains(kWeb));
}

TEST_F(ControllerTest, AnnotationOverridesReachTheJudge) {
  objects_[kWeb] = WorkloadJson("Deployment", "web", "d1", 1, PodTemplate("web", "nginx:1"),
                                {{"app.kubernetes.io/instance", "web"}},
                                {{"groundtruth.dev/cpu-throttled.ratio", "0.5"},
                                 {"groundtruth.dev/memory-thrashing.window", "30s"},
                                 {"unrelated.io/x", "y"}});
  ctl_->UpsertWorkload(MustWorkload(kWeb.kind, objects_[kWeb]));
  ctl_->RunPass();
  EXPECT_EQ(judge_.overrides[kWeb],
            (std::map<std::string, std::string>{{"cpu-throttled.ratio", "0.5"},
                                                {"memory-thrashing.window", "30s"}}));
}

TEST_F(ControllerTest, ScrapedReadingsArePairedWithContainersOnOurClock) {
  Populate(*ctl_);
  auto plan = ctl_->PlanScrapes();
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].target.endpoint, "10.1.0.5:9443");
  EXPECT_EQ(plan[0].since, 0u);
  // The agent's clock is 900 s behind ours; a pod we do not know is ignored.
  MonotonicTime agent_now = clock_.Monotonic() - 900s;
  ctl_->IngestScrape(plan[0], Samples(7, agent_now, {{"p1", "c-web"}, {"p-unknown", "c-x"}}));
  EXPECT_EQ(ctl_->PlanScrapes()[0].since, 7u);
  ctl_->RunPass();
  const auto& observation = judge_.observations[kWeb];
  ASSERT_EQ(observation.containers.size(), 1u);
  const auto& container = observation.containers[0];
  EXPECT_EQ(container.pod, "web-1-a");
  EXPECT_EQ(container.node, "node-1");
  EXPECT_EQ(container.declared.memory_limit_bytes, 2ull << 30);
  ASSERT_EQ(container.readings.size(), 1u);
  EXPECT_EQ(container.readings[0].time, clock_.Monotonic());
  ASSERT_TRUE(observation.nodes.contains("node-1"));

  // The agent restarted: its sequence starts over, and so does our cursor.
  clock_.Advance(10s);
  ctl_->IngestScrape(ctl_->PlanScrapes()[0], Samples(2, agent_now + 10s, {}));
  EXPECT_EQ(ctl_->PlanScrapes()[0].since, 0u);
}

// The judge learns which pods share the node's network namespace: the pod's spec, not the
// agent, is the authority on hostNetwork.
TEST_F(ControllerTest, HostNetworkOfThePodReachesTheJudge) {
  Populate(*ctl_);
  json pod = PodJson("web-1-a", "p1", "ReplicaSet", "rs1", "node-1", "c-web");
  pod["spec"]["hostNetwork"] = true;
  TrimPod(pod);  // as the informer stores it
  ctl_->UpsertPod(MustPod(pod));
  auto plan = ctl_->PlanScrapes();
  ASSERT_EQ(plan.size(), 1u);
  ctl_->IngestScrape(plan[0], Samples(1, clock_.Monotonic(), {{"p1", "c-web"}, {"p2", "c-db"}}));
  ctl_->RunPass();
  ASSERT_EQ(judge_.observations[kWeb].containers.size(), 1u);
  EXPECT_TRUE(judge_.observations[kWeb].containers[0].host_network);
  ASSERT_EQ(judge_.observations[kDb].containers.size(), 1u);
  EXPECT_FALSE(judge_.observations[kDb].containers[0].host_network);
}

TEST_F(ControllerTest, FailingOrGarbageAgentLeavesReadingsMissingNeverInvented) {
  ControllerOptions options;
  options.new_container_grace = 20s;
  ctl_ = NewController(options);
  Populate(*ctl_);
  auto plan = ctl_->PlanScrapes();
  ctl_->IngestScrape(plan[0], MakeError(ErrorCode::kMalformed, "samples[0]: expected object"));
  ctl_->IngestScrape(plan[0], MakeError(ErrorCode::kUnavailable, "timed out after 5s"));
  EXPECT_NE(log_text_.str().find("agent scrape failed"), std::string::npos);
  EXPECT_NE(metrics_.Render().find("groundtruth_controller_scrape_errors_total{node=\"node-1\"} 2"),
            std::string::npos);
  ctl_->RunPass();
  EXPECT_TRUE(judge_.observations[kWeb].containers.empty());  // just started: left out
  clock_.Advance(30s);
  ctl_->RunPass();
  ASSERT_EQ(judge_.observations[kWeb].containers.size(), 1u);  // now: present, without data
  EXPECT_TRUE(judge_.observations[kWeb].containers[0].readings.empty());
  EXPECT_EQ(ctl_->PlanScrapes()[0].since, 0u);
}

bool Has(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

// groundtruth_workload_verdict: one series per workload, replaced when its status or reason
// changes, gone when it leaves scope or is deleted, shown by the leader only.
TEST_F(ControllerTest, VerdictMetricFollowsEachWorkload) {
  const std::string web =
      "groundtruth_workload_verdict{namespace=\"shop\",kind=\"Deployment\",name=\"web\",";
  const std::string db =
      "groundtruth_workload_verdict{namespace=\"shop\",kind=\"StatefulSet\",name=\"db\",";
  Populate(*ctl_);
  ctl_->RunPass();
  std::string text = metrics_.Render();
  EXPECT_TRUE(Has(text, web + "status=\"True\",reason=\"Compliant\"} 1\n")) << text;
  EXPECT_TRUE(Has(text, db + "status=\"True\",reason=\"Compliant\"} 1\n")) << text;

  // A False with two containers' evidence of one signal: the worst figure, one series.
  reconcile::Verdict violated = FakeJudge::Violated("MemoryThrashing", "thrashing");
  violated.evidence.push_back(
      {"MemoryThrashing", "web", "web-1-a", "node-1", "memory PSI some", 31.5, 20, 300s, ""});
  violated.evidence.push_back(
      {"MemoryThrashing", "side", "web-1-a", "node-1", "memory PSI some", 42.25, 20, 300s, ""});
  // A figure in bytes keeps every digit.
  violated.evidence.push_back({"OOMKilled", "web", "web-1-a", "node-1", "memory peak bytes",
                               2684354561, 2147483648, 0s, ""});
  judge_.verdicts[kWeb] = violated;
  clock_.Advance(10s);
  ctl_->RunPass();
  text = metrics_.Render();
  EXPECT_TRUE(Has(text, web + "status=\"False\",reason=\"MemoryThrashing\"} 1\n")) << text;
  EXPECT_FALSE(Has(text, web + "status=\"True\"")) << "the old series must be replaced";
  const std::string figure =
      "{namespace=\"shop\",kind=\"Deployment\",name=\"web\",rule=\"MemoryThrashing\","
      "signal=\"memory PSI some\"} ";
  EXPECT_TRUE(Has(text, "groundtruth_workload_evidence_value" + figure + "42.25\n")) << text;
  EXPECT_TRUE(Has(text, "groundtruth_workload_evidence_threshold" + figure + "20\n")) << text;
  EXPECT_TRUE(Has(text, "rule=\"OOMKilled\",signal=\"memory peak bytes\"} 2684354561\n")) << text;
  size_t series = 0;
  for (size_t at = text.find(web); at != std::string::npos; at = text.find(web, at + 1)) ++series;
  EXPECT_EQ(series, 1u);

  // Out of scope: gone.
  json& object = objects_[kWeb];
  object["metadata"]["annotations"]["groundtruth.dev/enabled"] = "false";
  BumpVersion(object);
  ctl_->UpsertWorkload(MustWorkload(kWeb.kind, object));
  clock_.Advance(10s);
  ctl_->RunPass();
  text = metrics_.Render();
  EXPECT_FALSE(Has(text, web)) << text;
  EXPECT_FALSE(Has(text, "groundtruth_workload_evidence_value{")) << text;
  EXPECT_TRUE(Has(text, db)) << text;

  // Deleted: gone.
  ctl_->DeleteWorkload(kDb);
  ctl_->RunPass();
  EXPECT_FALSE(Has(metrics_.Render(), db));

  // A standby shows none: the leader's series are the ones on the objects.
  ctl_->UpsertWorkload(MustWorkload(kDb.kind, objects_[kDb]));
  ctl_->RunPass();
  EXPECT_TRUE(Has(metrics_.Render(), db));
  leadership_.leader = false;
  ctl_->RunPass();
  EXPECT_FALSE(Has(metrics_.Render(), "groundtruth_workload_verdict{"));
}

TEST_F(ControllerTest, ScrapeErrorsAreCountedPerNodeFromZero) {
  Populate(*ctl_);
  auto plan = ctl_->PlanScrapes();
  ctl_->IngestScrape(plan[0], Samples(1, clock_.Monotonic(), {}), 20ms);
  std::string text = metrics_.Render();
  EXPECT_TRUE(Has(text, "groundtruth_controller_scrape_errors_total{node=\"node-1\"} 0\n")) << text;
  EXPECT_TRUE(Has(text, "groundtruth_controller_scrape_duration_seconds_bucket{le=\"0.025\"} 1\n"))
      << text;
  ctl_->IngestScrape(plan[0], MakeError(ErrorCode::kUnavailable, "timed out after 5s"), 5s);
  text = metrics_.Render();
  EXPECT_TRUE(Has(text, "groundtruth_controller_scrape_errors_total{node=\"node-1\"} 1\n")) << text;
  EXPECT_TRUE(Has(text, "groundtruth_controller_scrape_duration_seconds_count 2\n")) << text;
  // The node's agent is gone (node scaled away): its series goes with it.
  ctl_->DeleteAgent("a1");
  EXPECT_TRUE(ctl_->PlanScrapes().empty());
  EXPECT_FALSE(Has(metrics_.Render(), "scrape_errors_total{node=\"node-1\"}"));
}

TEST_F(ControllerTest, PassDurationIsAHistogramAndProcessMetricsAreShown) {
  Populate(*ctl_);
  ctl_->RunPass();
  std::string text = metrics_.Render();
  EXPECT_TRUE(
      Has(text, "# TYPE groundtruth_controller_reconcile_pass_duration_seconds histogram\n"));
  EXPECT_TRUE(
      Has(text, "groundtruth_controller_reconcile_pass_duration_seconds_bucket{le=\"+Inf\"} 1\n"));
  EXPECT_TRUE(Has(text, "groundtruth_controller_reconcile_pass_duration_seconds_count 1\n"));
  EXPECT_FALSE(Has(text, " summary\n"));
  for (const char* name : {"process_cpu_seconds_total ", "process_resident_memory_bytes ",
                           "process_start_time_seconds ", "process_open_fds ", "process_max_fds ",
                           "process_virtual_memory_bytes "}) {
    EXPECT_TRUE(Has(text, std::string("\n") + name)) << name;
  }
}

TEST_F(ControllerTest, DeletedWorkloadIsForgotten) {
  Populate(*ctl_);
  ctl_->RunPass();
  ctl_->DeleteWorkload(kWeb);
  EXPECT_FALSE(ctl_->VerdictOf(kWeb));
  EXPECT_EQ(ctl_->workload_count(), 1u);
  EXPECT_EQ(judge_.forgotten, std::vector<WorkloadKey>{kWeb});
}

}  // namespace
}  // namespace gt::controller
