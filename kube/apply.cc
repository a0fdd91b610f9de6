#include "kube/apply.h"

#include "contract/annotation.h"
#include "contract/condition.h"

namespace gt::kube {

std::string WorkloadCollectionPath(WorkloadKind kind, const std::string& ns) {
  std::string path = "/apis/" + std::string(contract::kWorkloadApiVersion);
  if (!ns.empty()) path += "/namespaces/" + ns;
  return path + "/" + std::string(contract::ResourceName(kind));
}

std::string WorkloadPath(WorkloadKind kind, const std::string& ns, const std::string& name) {
  return WorkloadCollectionPath(kind, ns) + "/" + name;
}

std::string WorkloadStatusPath(WorkloadKind kind, const std::string& ns, const std::string& name) {
  return WorkloadPath(kind, ns, name) + "/status";
}

namespace {

Json Skeleton(WorkloadKind kind, const std::string& ns, const std::string& name) {
  return Json{{"apiVersion", contract::kWorkloadApiVersion},
              {"kind", contract::KindName(kind)},
              {"metadata", {{"name", name}, {"namespace", ns}}}};
}

Result<Json> Send(KubeClient& client, const std::string& path, const Json& config) {
  auto r = client.Apply(path, config, kFieldManager, /*force=*/true);
  if (!r) return r.error();
  if (!r->ok()) return ToError(*r, path);
  return std::move(r->body);
}

}  // namespace

Json ConditionApplyConfig(WorkloadKind kind, const std::string& ns, const std::string& name,
                          const ConditionApply& c) {
  Json cond = {{"type", c.type},
               {"status", c.status},
               {"reason", c.reason},
               {"message", c.message},
               {"lastTransitionTime", FormatTime(c.last_transition_time)}};
  if (kind == WorkloadKind::kDeployment) cond["lastUpdateTime"] = FormatTime(c.last_update_time);
  Json config = Skeleton(kind, ns, name);
  config["status"] = {{"conditions", Json::array({cond})}};
  return config;
}

Json AnnotationApplyConfig(WorkloadKind kind, const std::string& ns, const std::string& name,
                           const std::string& key, const std::string& value) {
  Json config = Skeleton(kind, ns, name);
  config["metadata"]["annotations"] = {{key, value}};
  return config;
}

Result<Json> ApplyCondition(KubeClient& client, WorkloadKind kind, const std::string& ns,
                            const std::string& name, const ConditionApply& condition) {
  return Send(client, WorkloadStatusPath(kind, ns, name),
              ConditionApplyConfig(kind, ns, name, condition));
}

Result<Json> ApplyAnnotation(KubeClient& client, WorkloadKind kind, const std::string& ns,
                             const std::string& name, const std::string& key,
                             const std::string& value) {
  return Send(client, WorkloadPath(kind, ns, name),
              AnnotationApplyConfig(kind, ns, name, key, value));
}

Json WithdrawalApplyConfig(WorkloadKind kind, const std::string& ns, const std::string& name,
                           const std::string& uid) {
  Json config = Skeleton(kind, ns, name);
  if (!uid.empty()) config["metadata"]["uid"] = uid;
  return config;
}

Result<Json> WithdrawOurFields(KubeClient& client, WorkloadKind kind, const std::string& ns,
                               const std::string& name, const std::string& uid) {
  const Json nothing = WithdrawalApplyConfig(kind, ns, name, uid);
  auto status = Send(client, WorkloadStatusPath(kind, ns, name), nothing);
  if (!status) return status.error();
  return Send(client, WorkloadPath(kind, ns, name), nothing);
}

namespace {

// managedFields' set for a list entry is keyed "k:<its key fields as JSON>".
bool IsOurConditionKey(const std::string& key) {
  if (key.rfind("k:", 0) != 0) return false;
  Json fields = Json::parse(key.substr(2), nullptr, /*allow_exceptions=*/false);
  return fields.is_object() && StringField(fields, "type") == contract::kConditionType;
}

}  // namespace

OwnedFields OwnedByUs(const Json& object) {
  OwnedFields owned;
  const Json& metadata = ObjectField(object, "metadata");
  auto entries = metadata.find("managedFields");
  if (entries == metadata.end() || !entries->is_array()) return owned;
  const std::string annotation_key = "f:" + std::string(contract::kVerdictAnnotation);
  for (const Json& entry : *entries) {
    if (!entry.is_object() || StringField(entry, "manager") != kFieldManager ||
        StringField(entry, "operation") != "Apply") {
      continue;
    }
    const Json& set = ObjectField(entry, "fieldsV1");
    if (ObjectField(ObjectField(set, "f:metadata"), "f:annotations").contains(annotation_key)) {
      owned.annotation = true;
    }
    for (const auto& [key, value] :
         ObjectField(ObjectField(set, "f:status"), "f:conditions").items()) {
      if (IsOurConditionKey(key)) owned.condition = true;
    }
  }
  return owned;
}

}  // namespace gt::kube
