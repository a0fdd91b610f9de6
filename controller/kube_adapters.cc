#include "controller/kube_adapters.h"

#include "controller/convert.h"
#include "kube/apply.h"

namespace gt::controller {
namespace {

std::string Path(WorkloadKind kind, const std::string& ns, const std::string& name, bool status) {
  return status ? kube::WorkloadStatusPath(kind, ns, name) : kube::WorkloadPath(kind, ns, name);
}

Result<Applied> SendApply(kube::KubeClient& client, const std::string& path,
                          const nlohmann::json& body) {
  auto response = client.Apply(path, body, std::string(kFieldManager), /*force=*/true);
  if (!response) return response.error();
  if (!response->ok()) return kube::ToError(*response, path);
  return Applied{ResourceVersionOf(response->body), GenerationOf(response->body)};
}

std::string Collection(const std::string& group_version, const std::string& ns,
                       const std::string& resource) {
  std::string base = group_version == "v1" ? "/api/v1" : "/apis/" + group_version;
  return ns.empty() ? base + "/" + resource : base + "/namespaces/" + ns + "/" + resource;
}

template <typename Convert, typename Upsert, typename Delete>
kube::ResourceEventHandler Handler(Logger& log, std::string what, Convert convert, Upsert upsert,
                                   Delete remove) {
  auto add = [&log, what, convert, upsert](const nlohmann::json& object) {
    auto converted = convert(object);
    if (!converted) {
      log.Warn("ignoring object that does not convert",
               {{"kind", what}, {"error", converted.error().ToString()}});
      return;
    }
    upsert(std::move(*converted));
  };
  kube::ResourceEventHandler handler;
  handler.on_add = add;
  handler.on_update = [add](const nlohmann::json&, const nlohmann::json& object) { add(object); };
  handler.on_delete = [convert, remove](const nlohmann::json& object) {
    auto converted = convert(object);
    if (converted) remove(*converted);
  };
  return handler;
}

}  // namespace

Result<Applied> KubeStatusWriter::ApplyCondition(const WorkloadKey& key, std::string_view uid,
                                                 const Condition& condition) {
  return SendApply(client_, Path(key.kind, key.ns, key.name, true),
                   ConditionApplyBody(key, uid, condition));
}

Result<Applied> KubeStatusWriter::ApplyAnnotation(const WorkloadKey& key, std::string_view uid,
                                                  std::string_view value,
                                                  std::string_view resource_version) {
  return SendApply(client_, Path(key.kind, key.ns, key.name, false),
                   AnnotationApplyBody(key, uid, value, resource_version));
}

Status KubeStatusWriter::Withdraw(const WorkloadKey& key, std::string_view uid) {
  // One withdrawal for the controller and `groundtruth cleanup` (kube/apply.h).
  auto withdrawn = kube::WithdrawOurFields(client_, key.kind, key.ns, key.name, std::string(uid));
  if (!withdrawn) return withdrawn.error();
  return OkStatus();
}

void KubeEventSink::Emit(const EventRecord& event) {
  kube::ObjectReference reference{std::string(contract::kWorkloadApiVersion),
                                  std::string(contract::KindName(event.workload.kind)),
                                  event.workload.ns,
                                  event.workload.name,
                                  event.uid,
                                  ""};
  Status sent = recorder_.Record(
      reference, event.warning ? kube::EventType::kWarning : kube::EventType::kNormal, event.reason,
      event.message);
  metrics_.EventEmitted(sent.has_value());
  if (!sent) {
    log_.Warn("event not recorded", {{"workload", event.workload.ToString()},
                                     {"reason", event.reason},
                                     {"error", sent.error().ToString()}});
  }
}

Informers::Informers(kube::KubeClient& client, Clock& clock, Controller& controller, Logger& log,
                     const InformerScope& scope, Liveness* liveness) {
  auto make = [&](std::string path, std::string selector, std::function<void(nlohmann::json&)> trim,
                  kube::ResourceEventHandler handler) {
    kube::InformerOptions options;
    options.path = std::move(path);
    options.label_selector = std::move(selector);
    options.transform = std::move(trim);
    error_filters_.push_back(std::make_unique<RepeatFilter>(clock, kRepeatLogPeriod));
    options.on_error = [&log, filter = error_filters_.back().get(),
                        what = options.path](const Error& error) {
      const std::string text = error.ToString();
      const auto held_back = filter->Admit(text);
      if (!held_back) return;
      if (*held_back == 0) {
        log.Warn("list/watch failed; retrying with backoff", {{"resource", what}, {"error", text}});
        return;
      }
      log.Warn("list/watch failed; retrying with backoff",
               {{"resource", what},
                {"error", text},
                {"repeats-not-logged", std::to_string(*held_back)}});
    };
    if (liveness != nullptr) {
      options.on_progress =
          [liveness,
           loop = "informer " + options.path +
                  (options.label_selector.empty() ? std::string() : "?" + options.label_selector)] {
            liveness->Beat(loop);
          };
    }
    auto informer = std::make_unique<kube::Informer>(client, clock, options);
    informer->AddEventHandler(std::move(handler));
    informers_.push_back(std::move(informer));
  };
  Controller* ctl = &controller;
  for (WorkloadKind kind : contract::kWorkloadKinds) {
    make(kube::WorkloadCollectionPath(kind, scope.watch_namespace), "", TrimWorkload,
         Handler(
             log, std::string(contract::KindName(kind)),
             [kind](const nlohmann::json& o) { return WorkloadFromJson(kind, o); },
             [ctl](Workload w) { ctl->UpsertWorkload(std::move(w)); },
             [ctl](const Workload& w) { ctl->DeleteWorkload(w.key); }));
  }
  make(Collection("apps/v1", scope.watch_namespace, "replicasets"), "", TrimReplicaSet,
       Handler(
           log, "ReplicaSet", [](const nlohmann::json& o) { return ReplicaSetFromJson(o); },
           [ctl](ReplicaSet rs) { ctl->UpsertReplicaSet(std::move(rs)); },
           [ctl](const ReplicaSet& rs) { ctl->DeleteReplicaSet(rs.uid); }));
  make(Collection("v1", scope.watch_namespace, "pods"), "", TrimPod,
       Handler(
           log, "Pod", [](const nlohmann::json& o) { return PodFromJson(o); },
           [ctl](Pod pod) { ctl->UpsertPod(std::move(pod)); },
           [ctl](const Pod& pod) { ctl->DeletePod(pod.uid); }));
  make(Collection("v1", scope.agent_namespace, "pods"), scope.agent_selector, TrimPod,
       Handler(
           log, "agent Pod", [](const nlohmann::json& o) { return AgentPodFromJson(o); },
           [ctl](AgentPod agent) { ctl->UpsertAgent(std::move(agent)); },
           [ctl](const AgentPod& agent) { ctl->DeleteAgent(agent.uid); }));
}

Informers::~Informers() { Stop(); }

void Informers::Start() {
  for (auto& informer : informers_) informer->Start();
}

void Informers::RequestStop() {
  for (auto& informer : informers_) informer->RequestStop();
}

void Informers::Stop() {
  RequestStop();  // all at once, then wait for each
  for (auto& informer : informers_) informer->Stop();
}

bool Informers::HasSynced() const {
  for (const auto& informer : informers_) {
    if (!informer->HasSynced()) return false;
  }
  return true;
}

}  // namespace gt::controller
