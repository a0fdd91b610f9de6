#include "contract/workload.h"

namespace gt::contract {

std::string_view KindName(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::kDaemonSet:
      return "DaemonSet";
    case WorkloadKind::kDeployment:
      return "Deployment";
    case WorkloadKind::kStatefulSet:
      return "StatefulSet";
  }
  return "";
}

std::string_view ResourceName(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::kDaemonSet:
      return "daemonsets";
    case WorkloadKind::kDeployment:
      return "deployments";
    case WorkloadKind::kStatefulSet:
      return "statefulsets";
  }
  return "";
}

std::optional<WorkloadKind> ParseWorkloadKind(std::string_view kind) {
  for (WorkloadKind known : kWorkloadKinds) {
    if (kind == KindName(known)) return known;
  }
  return std::nullopt;
}

std::string WorkloadKey::ToString() const {
  std::string out(KindName(kind));
  out += '/';
  out += ns;
  out += '/';
  out += name;
  return out;
}

}  // namespace gt::contract
