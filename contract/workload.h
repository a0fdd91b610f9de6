// The workloads groundtruth judges: the apps/v1 kinds, their API resources, the key that
// names one workload and its one printed form, and the field manager it writes under.
#pragma once

#include <array>
#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace gt::contract {

inline constexpr std::string_view kWorkloadApiVersion = "apps/v1";
// Server-side apply's manager name for every write (never kubectl's nor a GitOps tool's).
inline constexpr char kFieldManager[] = "groundtruth";

// Declared in alphabetical order, so keys sort as their kind names do (the gate's report
// rows are in this order).
enum class WorkloadKind { kDaemonSet, kDeployment, kStatefulSet };
inline constexpr std::array<WorkloadKind, 3> kWorkloadKinds = {
    WorkloadKind::kDaemonSet, WorkloadKind::kDeployment, WorkloadKind::kStatefulSet};

std::string_view KindName(WorkloadKind kind);      // "Deployment"
std::string_view ResourceName(WorkloadKind kind);  // "deployments"
// "Deployment", "StatefulSet", "DaemonSet"; anything else (any other case too) is nullopt.
std::optional<WorkloadKind> ParseWorkloadKind(std::string_view kind);

// One workload, across every part: the controller's informers, the gate's selection.
struct WorkloadKey {
  WorkloadKind kind = WorkloadKind::kDeployment;
  std::string ns;
  std::string name;

  friend auto operator<=>(const WorkloadKey&, const WorkloadKey&) = default;
  friend bool operator==(const WorkloadKey&, const WorkloadKey&) = default;
  std::string ToString() const;  // "Deployment/shop/mysql": kind/namespace/name
};

}  // namespace gt::contract
