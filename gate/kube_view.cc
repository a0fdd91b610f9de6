#include "gate/kube_view.h"

#include "kube/client.h"
#include "kube/time_format.h"

namespace gt::gate {

using kube::IntField;
using kube::ObjectField;
using kube::StringField;

Observed ObservedFromObject(const nlohmann::json& object) {
  Observed o;
  o.exists = true;
  const auto& meta = ObjectField(object, "metadata");
  o.generation = IntField(meta, "generation");
  const auto& annotations = ObjectField(meta, "annotations");
  const std::string mirror =
      StringField(annotations, std::string(contract::kVerdictAnnotation).c_str());
  if (!mirror.empty()) o.mirror = contract::ParseVerdictAnnotation(mirror);
  const auto& status = ObjectField(object, "status");
  const auto it = status.find("conditions");
  if (it != status.end() && it->is_array()) {
    for (const auto& c : *it) {
      if (!c.is_object() || StringField(c, "type") != contract::kConditionType) continue;
      ConditionView view;
      view.status = contract::ParseConditionStatus(StringField(c, "status"))
                        .value_or(ConditionStatus::kUnknown);
      view.reason = StringField(c, "reason");
      view.message = StringField(c, "message");
      view.last_transition = kube::ParseTime(StringField(c, "lastTransitionTime"));
      o.condition = std::move(view);
      break;
    }
  }
  return o;
}

WorkloadKey KeyOf(WorkloadKind kind, const nlohmann::json& object) {
  const auto& meta = ObjectField(object, "metadata");
  return {kind, StringField(meta, "namespace"), StringField(meta, "name")};
}

}  // namespace gt::gate
