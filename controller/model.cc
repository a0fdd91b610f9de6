#include "controller/model.h"

namespace gt::controller {

std::string_view KindName(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::kDeployment:
      return "Deployment";
    case WorkloadKind::kStatefulSet:
      return "StatefulSet";
    case WorkloadKind::kDaemonSet:
      return "DaemonSet";
  }
  return "Unknown";
}

std::string WorkloadKey::ToString() const {
  std::string out(KindName(kind));
  out += ' ';
  out += ns;
  out += '/';
  out += name;
  return out;
}

std::string_view StatusText(reconcile::ConditionStatus status) {
  switch (status) {
    case reconcile::ConditionStatus::kTrue:
      return "True";
    case reconcile::ConditionStatus::kFalse:
      return "False";
    case reconcile::ConditionStatus::kUnknown:
      return "Unknown";
  }
  return "Unknown";
}

}  // namespace gt::controller
