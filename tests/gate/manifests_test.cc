#include "gate/manifests.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace gt::gate {
namespace {

namespace fs = std::filesystem;

class ManifestsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() /
        ("gt-gate-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path Write(const std::string& rel, const std::string& text) {
    fs::path p = dir_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p;
  }
  fs::path dir_;
};

constexpr const char* kApp = R"(apiVersion: v1
kind: Service
metadata: {name: web}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: data}
---
apiVersion: extensions/v1beta1
kind: Deployment
metadata: {name: ancient}
)";

TEST_F(ManifestsTest, DirectoryKeepsAppsV1WorkloadsWithDefaultNamespace) {
  Write("app.yaml", kApp);
  Write("sub/agent.yml", "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent}\n");
  Write("README.md", "not yaml: [");
  auto keys = WorkloadsFromManifests(dir_.string(), "ci");
  ASSERT_TRUE(keys) << keys.error().ToString();
  std::vector<WorkloadKey> want = {{WorkloadKind::kDaemonSet, "ci", "agent"},
                                   {WorkloadKind::kDeployment, "ci", "web"},
                                   {WorkloadKind::kStatefulSet, "data", "db"}};
  EXPECT_EQ(*keys, want);
}

TEST_F(ManifestsTest, KustomizationNamespacePrefixSuffixNested) {
  Write("base/app.yaml", kApp);
  Write("base/kustomization.yaml", "resources: [app.yaml]\nnamePrefix: base-\n");
  Write("overlay/kustomization.yaml",
        "namespace: prod\nnameSuffix: -v2\nresources:\n- ../base\n- extra.yaml\n");
  Write("overlay/extra.yaml", "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent}\n");
  auto keys = WorkloadsFromKustomization((dir_ / "overlay").string(), "default");
  ASSERT_TRUE(keys) << keys.error().ToString();
  std::vector<WorkloadKey> want = {{WorkloadKind::kDaemonSet, "prod", "agent-v2"},
                                   {WorkloadKind::kDeployment, "prod", "base-web-v2"},
                                   {WorkloadKind::kStatefulSet, "prod", "base-db-v2"}};
  EXPECT_EQ(*keys, want);
}

// Found by gate_manifests_fuzz: yaml-cpp 0.7's LoadAll never returns on a document it cannot
// parse but does not reject (a lone ","), and allocates until the OOM killer steps in.
TEST_F(ManifestsTest, MalformedDocumentDoesNotHangTheReader) {
  Write("app.yaml", std::string(kApp) + "---\n,\n");
  auto keys = WorkloadsFromManifests((dir_ / "app.yaml").string(), "ci");
  ASSERT_TRUE(keys) << keys.error().ToString();
  EXPECT_EQ(keys->size(), 2u);
}

TEST_F(ManifestsTest, DocumentsSplitAtSeparatorLinesAsKubectlDoes) {
  Write("a.yaml",
        "# leading comment\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\n"
        "--- # second\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: b}\n---\n");
  auto keys = WorkloadsFromManifests((dir_ / "a.yaml").string(), "ns");
  ASSERT_TRUE(keys) << keys.error().ToString();
  std::vector<WorkloadKey> want = {{WorkloadKind::kDaemonSet, "ns", "b"},
                                   {WorkloadKind::kDeployment, "ns", "a"}};
  EXPECT_EQ(*keys, want);

  Write("b.yaml", "apiVersion: apps/v1\n--- kind: Deployment\n");
  auto bad = WorkloadsFromManifests((dir_ / "b.yaml").string(), "ns");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().line, 2);

  Write("c.yaml", "apiVersion: apps/v1\n---\nkind: [\n");
  auto broken = WorkloadsFromManifests((dir_ / "c.yaml").string(), "ns");
  ASSERT_FALSE(broken);
  EXPECT_GE(broken.error().line, 3);  // counted in the file, not in the document
}

TEST_F(ManifestsTest, ErrorsNameTheInput) {
  auto missing = WorkloadsFromManifests((dir_ / "nope").string(), "ns");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().ToString().find("nope"), std::string::npos);

  Write("bad/x.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: [\n");
  auto bad = WorkloadsFromManifests((dir_ / "bad").string(), "ns");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().ToString().find("x.yaml"), std::string::npos);

  Write("empty/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n");
  EXPECT_FALSE(WorkloadsFromManifests((dir_ / "empty").string(), "ns"));

  Write("remote/kustomization.yaml", "resources: [https://example.invalid/x]\n");
  auto remote = WorkloadsFromKustomization((dir_ / "remote").string(), "ns");
  ASSERT_FALSE(remote);
  EXPECT_NE(remote.error().message.find("not supported"), std::string::npos);

  EXPECT_FALSE(WorkloadsFromKustomization(dir_.string(), "ns")) << "no kustomization.yaml";

  Write("loop/kustomization.yaml", "resources: [.]\n");
  EXPECT_FALSE(WorkloadsFromKustomization((dir_ / "loop").string(), "ns"));
}

}  // namespace
}  // namespace gt::gate
