#include "contract/workload.h"

#include <gtest/gtest.h>

#include <set>

namespace gt::contract {
namespace {

TEST(WorkloadKind, NamesAndResourcesOfEachKind) {
  EXPECT_EQ(KindName(WorkloadKind::kDeployment), "Deployment");
  EXPECT_EQ(KindName(WorkloadKind::kStatefulSet), "StatefulSet");
  EXPECT_EQ(KindName(WorkloadKind::kDaemonSet), "DaemonSet");
  EXPECT_EQ(ResourceName(WorkloadKind::kDeployment), "deployments");
  EXPECT_EQ(ResourceName(WorkloadKind::kStatefulSet), "statefulsets");
  EXPECT_EQ(ResourceName(WorkloadKind::kDaemonSet), "daemonsets");
  for (WorkloadKind kind : kWorkloadKinds) EXPECT_EQ(ParseWorkloadKind(KindName(kind)), kind);
}

TEST(WorkloadKind, OtherKindsAreNotWorkloads) {
  for (std::string_view other : {"", "ReplicaSet", "Pod", "Job", "deployment", "deployments"}) {
    EXPECT_FALSE(ParseWorkloadKind(other)) << other;
  }
}

TEST(WorkloadKey, PrintsKindNamespaceName) {
  EXPECT_EQ((WorkloadKey{WorkloadKind::kDeployment, "shop", "web"}).ToString(),
            "Deployment/shop/web");
  EXPECT_EQ((WorkloadKey{WorkloadKind::kStatefulSet, "db", "mysql"}).ToString(),
            "StatefulSet/db/mysql");
}

TEST(WorkloadKey, SortsByKindNameThenNamespaceThenName) {
  std::set<WorkloadKey> keys = {{WorkloadKind::kStatefulSet, "a", "x"},
                                {WorkloadKind::kDeployment, "b", "y"},
                                {WorkloadKind::kDeployment, "a", "z"},
                                {WorkloadKind::kDaemonSet, "z", "z"}};
  std::vector<std::string> printed;
  for (const WorkloadKey& k : keys) printed.push_back(k.ToString());
  EXPECT_EQ(printed, (std::vector<std::string>{"DaemonSet/z/z", "Deployment/a/z", "Deployment/b/y",
                                               "StatefulSet/a/x"}));
}

}  // namespace
}  // namespace gt::contract
