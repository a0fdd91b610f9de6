#include "gate/manifests.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "gate/kustomize.h"

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

// The PATH to find the real kustomize on: $GT_TEST_KUBECTL's directory (the e2e harness
// keeps one in ~/.cache/groundtruth-e2e/<version>/bin), else $PATH. Empty when neither
// kubectl nor kustomize is there.
std::string RendererSearchPath() {
  if (const char* kubectl = std::getenv("GT_TEST_KUBECTL"); kubectl && *kubectl) {
    const std::string dir = fs::path(kubectl).parent_path().string();
    if (KustomizeCommand(".", dir)) return dir;
  }
  const std::string path = SearchPathFromEnv();
  return KustomizeCommand(".", path) ? path : std::string();
}

#define REQUIRE_KUSTOMIZE(path)                                                          \
  if ((path).empty())                                                                    \
  GTEST_SKIP() << "neither kubectl nor kustomize on PATH (or $GT_TEST_KUBECTL): cannot " \
                  "render a kustomization with the real kustomize"

TEST_F(ManifestsTest, KustomizationRenderedByKustomizeNamespacePrefixSuffixNested) {
  const std::string path = RendererSearchPath();
  REQUIRE_KUSTOMIZE(path);
  Write("base/app.yaml", kApp);
  Write("base/kustomization.yaml", "resources: [app.yaml]\nnamePrefix: base-\n");
  Write("overlay/kustomization.yaml",
        "namespace: prod\nnameSuffix: -v2\nresources:\n- ../base\n- extra.yaml\n");
  Write("overlay/extra.yaml", "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent}\n");
  auto keys = WorkloadsFromKustomization((dir_ / "overlay").string(), "default", path);
  ASSERT_TRUE(keys) << keys.error().ToString();
  std::vector<WorkloadKey> want = {{WorkloadKind::kDaemonSet, "prod", "agent-v2"},
                                   {WorkloadKind::kDeployment, "prod", "base-web-v2"},
                                   {WorkloadKind::kStatefulSet, "prod", "base-db-v2"}};
  EXPECT_EQ(*keys, want);
  // --manifests on a kustomization directory renders it the same way.
  auto via_manifests = WorkloadsFromManifests((dir_ / "overlay").string(), "default", path);
  ASSERT_TRUE(via_manifests) << via_manifests.error().ToString();
  EXPECT_EQ(*via_manifests, want);
}

// The overlay the gate's own subset got wrong: a component and a patch that renames. The
// subset waited for "web" in "default"; kustomize says the object is "canary-shop" in "prod".
TEST_F(ManifestsTest, ComponentsAndRenamingPatchAreWhatKustomizeRenders) {
  const std::string path = RendererSearchPath();
  REQUIRE_KUSTOMIZE(path);
  Write("base/web.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n");
  Write("base/kustomization.yaml", "resources: [web.yaml]\n");
  Write("components/rename/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n"
        "- target: {kind: Deployment, name: web}\n"
        "  patch: |-\n    - op: replace\n      path: /metadata/name\n      value: shop\n");
  Write("overlay/kustomization.yaml",
        "namespace: prod\nnamePrefix: canary-\nresources: [../base]\n"
        "components: [../components/rename]\n");
  auto keys = WorkloadsFromKustomization((dir_ / "overlay").string(), "default", path);
  ASSERT_TRUE(keys) << keys.error().ToString();
  std::vector<WorkloadKey> want = {{WorkloadKind::kDeployment, "prod", "canary-shop"}};
  EXPECT_EQ(*keys, want);
}

TEST_F(ManifestsTest, KustomizeFailureIsAnErrorQuotingIt) {
  const std::string path = RendererSearchPath();
  REQUIRE_KUSTOMIZE(path);
  Write("broken/kustomization.yaml", "resources: [missing.yaml]\n");
  auto broken = WorkloadsFromKustomization((dir_ / "broken").string(), "ns", path);
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message.find("failed"), std::string::npos) << broken.error().message;
  EXPECT_NE(broken.error().message.find("missing.yaml"), std::string::npos)
      << broken.error().message;
}

// Without kubectl or kustomize, -k refuses and says what to install; it never falls back
// to a guess.
TEST_F(ManifestsTest, NoRendererOnPathSaysWhatToInstall) {
  Write("k/kustomization.yaml", "resources: [web.yaml]\n");
  Write("k/web.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n");
  fs::create_directories(dir_ / "empty-bin");
  auto keys =
      WorkloadsFromKustomization((dir_ / "k").string(), "ns", (dir_ / "empty-bin").string());
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().code, ErrorCode::kNotFound);
  EXPECT_NE(keys.error().message.find("install kubectl"), std::string::npos)
      << keys.error().message;
  EXPECT_NE(keys.error().message.find("kustomize"), std::string::npos);
  EXPECT_FALSE(WorkloadsFromManifests((dir_ / "k").string(), "ns", (dir_ / "empty-bin").string()));
}

TEST_F(ManifestsTest, ListItemsAndStandardInput) {
  const std::string list =
      "apiVersion: v1\nkind: List\nitems:\n"
      "- {apiVersion: v1, kind: Service, metadata: {name: web}}\n"
      "- {apiVersion: apps/v1, kind: Deployment, metadata: {name: web}}\n"
      "- {apiVersion: apps/v1, kind: StatefulSet, metadata: {name: db, namespace: data}}\n";
  std::vector<WorkloadKey> want = {{WorkloadKind::kDeployment, "ci", "web"},
                                   {WorkloadKind::kStatefulSet, "data", "db"}};
  Write("list.yaml", list);
  auto from_file = WorkloadsFromManifests((dir_ / "list.yaml").string(), "ci");
  ASSERT_TRUE(from_file) << from_file.error().ToString();
  EXPECT_EQ(*from_file, want);

  std::istringstream input(list);
  std::streambuf* saved = std::cin.rdbuf(input.rdbuf());
  auto from_stdin = WorkloadsFromManifests("-", "ci");
  std::cin.rdbuf(saved);
  ASSERT_TRUE(from_stdin) << from_stdin.error().ToString();
  EXPECT_EQ(*from_stdin, want);

  std::istringstream empty("");
  saved = std::cin.rdbuf(empty.rdbuf());
  auto nothing = WorkloadsFromManifests("-", "ci");
  std::cin.rdbuf(saved);
  ASSERT_FALSE(nothing);
  EXPECT_NE(nothing.error().ToString().find("stdin"), std::string::npos);
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

  EXPECT_FALSE(WorkloadsFromKustomization(dir_.string(), "ns")) << "no kustomization.yaml";
}

}  // namespace
}  // namespace gt::gate
