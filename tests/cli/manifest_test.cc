#include "cli/manifest.h"

#include <gtest/gtest.h>

#include <iostream>
#include <sstream>
#include <string>

namespace gt::cli {
namespace {

const std::string kData = GT_CLI_TESTDATA;

TEST(ManifestTest, PicksFirstWorkloadAndFirstContainerOfMultiDocument) {
  Result<ManifestWorkload> w = ReadManifest(kData + "/multi.yaml", {});
  ASSERT_TRUE(w) << w.error().ToString();
  EXPECT_EQ(w->kind, "Deployment");
  EXPECT_EQ(w->name, "web");
  EXPECT_EQ(w->namespace_name, "shop");
  EXPECT_EQ(w->document, 2);
  EXPECT_EQ(w->container, "web");
  EXPECT_EQ(w->containers, (std::vector<std::string>{"web", "sidecar"}));
  EXPECT_EQ(w->declared.memory_limit_bytes, uint64_t{2} << 30);
  EXPECT_EQ(w->declared.memory_request_bytes, uint64_t{1} << 30);
  EXPECT_EQ(w->declared.cpu_limit_millicores, 1500u);
  EXPECT_EQ(w->declared.cpu_request_millicores, 250u);
  // Only rule overrides: groundtruth.dev/enabled and foreign annotations are not thresholds.
  EXPECT_EQ(w->overrides, (std::map<std::string, std::string>{{"cpu-throttled.ratio", "0.5"}}));
  ASSERT_FALSE(w->notes.empty());
  EXPECT_NE(w->notes[0].find("--container"), std::string::npos);
}

TEST(ManifestTest, SelectsByNameAndContainer) {
  Result<ManifestWorkload> sidecar = ReadManifest(kData + "/multi.yaml", {"web", "sidecar"});
  ASSERT_TRUE(sidecar) << sidecar.error().ToString();
  EXPECT_EQ(sidecar->declared.memory_limit_bytes, uint64_t{128} << 20);
  EXPECT_FALSE(sidecar->declared.cpu_limit_millicores.has_value());

  Result<ManifestWorkload> mysql = ReadManifest(kData + "/multi.yaml", {"mysql", ""});
  ASSERT_TRUE(mysql) << mysql.error().ToString();
  EXPECT_EQ(mysql->kind, "StatefulSet");
  EXPECT_EQ(mysql->document, 3);
  EXPECT_EQ(mysql->declared.memory_limit_bytes, 500'000'000u);
  EXPECT_EQ(mysql->declared.cpu_limit_millicores, 1000u);
  // Kubernetes defaults a missing request to the limit.
  EXPECT_EQ(mysql->declared.memory_request_bytes, 500'000'000u);
}

TEST(ManifestTest, PodAndDaemonSet) {
  Result<ManifestWorkload> pod = ReadManifest(kData + "/pod.yaml", {});
  ASSERT_TRUE(pod) << pod.error().ToString();
  EXPECT_EQ(pod->kind, "Pod");
  EXPECT_FALSE(pod->declared.memory_limit_bytes.has_value());
  bool says_no_limit = false;
  for (const std::string& note : pod->notes) {
    says_no_limit = says_no_limit || note.find("no memory limit") != std::string::npos;
  }
  EXPECT_TRUE(says_no_limit);

  Result<ManifestWorkload> ds = ReadManifest(kData + "/daemonset.yaml", {});
  ASSERT_TRUE(ds) << ds.error().ToString();
  EXPECT_EQ(ds->declared.memory_limit_bytes, 102400u);
  EXPECT_EQ(ds->declared.cpu_limit_millicores, 100u);
}

TEST(ManifestTest, ErrorsNameFileDocumentAndField) {
  Result<ManifestWorkload> missing = ReadManifest(kData + "/nope.yaml", {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().ToString().find("nope.yaml"), std::string::npos);

  Result<ManifestWorkload> malformed = ReadManifest(kData + "/malformed.yaml", {});
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().code, ErrorCode::kMalformed);
  EXPECT_GT(malformed.error().line, 0);
  EXPECT_NE(malformed.error().ToString().find("malformed.yaml:"), std::string::npos);

  Result<ManifestWorkload> none = ReadManifest(kData + "/no_workload.yaml", {});
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("no workload"), std::string::npos);

  Result<ManifestWorkload> container = ReadManifest(kData + "/multi.yaml", {"", "db"});
  ASSERT_FALSE(container);
  EXPECT_NE(container.error().message.find("\"db\""), std::string::npos);
  EXPECT_NE(container.error().message.find("web, sidecar"), std::string::npos);
  EXPECT_NE(container.error().message.find("document 2"), std::string::npos);

  Result<ManifestWorkload> name = ReadManifest(kData + "/multi.yaml", {"cache", ""});
  ASSERT_FALSE(name);
  EXPECT_NE(name.error().message.find("StatefulSet/mysql"), std::string::npos);

  Result<ManifestWorkload> quantity = ReadManifest(kData + "/bad_quantity.yaml", {});
  ASSERT_FALSE(quantity);
  EXPECT_EQ(quantity.error().code, ErrorCode::kInvalid);
  EXPECT_NE(
      quantity.error().message.find("spec.template.spec.containers[0].resources.limits.memory"),
      std::string::npos);
  EXPECT_NE(quantity.error().message.find("2GiB"), std::string::npos);
  EXPECT_EQ(quantity.error().line, 12);
}

TEST(ManifestTest, ShapeSurprisesAreErrorsNotCrashes) {
  const char* cases[] = {
      "kind: Deployment\nspec: 3\n",
      "kind: Deployment\nspec: {template: {spec: {containers: {a: b}}}}\n",
      "kind: Pod\nspec: {containers: [{name: a, resources: [1]}]}\n",
      "kind: Pod\nspec: {containers: [{name: a, resources: {limits: {memory: [1]}}}]}\n",
      "kind: Pod\nspec: {containers: [{name: a, resources: {limits: {memory: \"-1\"}}}]}\n",
      "kind: Pod\nspec: {containers: [{name: a, resources: {limits: {cpu: \"0\"}}}]}\n",
      "- a\n- b\n",
      "kind: [Pod]\n",
      "kind: Pod\nmetadata: [1]\nspec: {containers: [{name: a}]}\n",
      "kind: Pod\nmetadata: {name: {a: 1}}\nspec: {containers: [{name: a}]}\n",
      "kind: Pod\nmetadata: {generation: x}\nspec: {containers: [{name: a}]}\n",
  };
  for (const char* yaml : cases) {
    Result<ManifestWorkload> w = ParseManifest(yaml, "inline.yaml", {});
    if (!w) {
      EXPECT_FALSE(w.error().message.empty()) << yaml;
    }
  }
  EXPECT_FALSE(ParseManifest(cases[0], "inline.yaml", {}));
  EXPECT_FALSE(ParseManifest(cases[4], "inline.yaml", {}));
  EXPECT_FALSE(ParseManifest(cases[5], "inline.yaml", {}));
}

TEST(ManifestTest, NativeSidecarIsJudgedAsAContainerClassicInitIsNot) {
  Result<ManifestWorkload> app = ReadManifest(kData + "/native_sidecar.yaml", {});
  ASSERT_TRUE(app) << app.error().ToString();
  EXPECT_EQ(app->container, "app");
  EXPECT_EQ(app->containers, (std::vector<std::string>{"app", "proxy"}));
  EXPECT_EQ(app->declared.memory_limit_bytes, uint64_t{512} << 20);

  Result<ManifestWorkload> proxy = ReadManifest(kData + "/native_sidecar.yaml", {"", "proxy"});
  ASSERT_TRUE(proxy) << proxy.error().ToString();
  EXPECT_EQ(proxy->container, "proxy");
  EXPECT_EQ(proxy->declared.memory_limit_bytes, uint64_t{64} << 20);
  EXPECT_EQ(proxy->declared.cpu_limit_millicores, 200u);

  // The migration runs before the pod starts; its 4Gi never bounds the running pod.
  Result<ManifestWorkload> migrate = ReadManifest(kData + "/native_sidecar.yaml", {"", "migrate"});
  ASSERT_FALSE(migrate);
  EXPECT_EQ(migrate.error().code, ErrorCode::kNotFound);
  EXPECT_NE(migrate.error().message.find("runs to completion"), std::string::npos);
  EXPECT_NE(migrate.error().message.find("app, proxy"), std::string::npos);

  // A bad quantity in a sidecar names the init container's field.
  Result<ManifestWorkload> bad = ParseManifest(
      "kind: Pod\nspec:\n  containers: [{name: a}]\n  initContainers:\n"
      "  - {name: s, restartPolicy: Always, resources: {limits: {memory: 2GiB}}}\n",
      "inline.yaml", {"", "s"});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("spec.initContainers[0].resources.limits.memory"),
            std::string::npos)
      << bad.error().message;
}

TEST(ManifestTest, ListItemsAreTheObjects) {
  Result<ManifestWorkload> first = ReadManifest(kData + "/list.yaml", {});
  ASSERT_TRUE(first) << first.error().ToString();
  EXPECT_EQ(first->kind, "Deployment");
  EXPECT_EQ(first->name, "web");
  EXPECT_EQ(first->namespace_name, "shop");
  EXPECT_EQ(first->declared.memory_limit_bytes, uint64_t{1} << 30);

  Result<ManifestWorkload> db = ReadManifest(kData + "/list.yaml", {"db", ""});
  ASSERT_TRUE(db) << db.error().ToString();
  EXPECT_EQ(db->kind, "StatefulSet");
  EXPECT_EQ(db->declared.memory_limit_bytes, uint64_t{2} << 30);

  Result<ManifestWorkload> none = ReadManifest(kData + "/list.yaml", {"cache", ""});
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("StatefulSet/db (document 1, item 3)"), std::string::npos)
      << none.error().message;

  EXPECT_FALSE(ParseManifest("kind: List\nitems: {a: b}\n", "inline.yaml", {}));
}

TEST(ManifestTest, DashReadsStandardInput) {
  std::istringstream input(
      "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
      "  - {name: a, resources: {limits: {memory: 1Mi}}}\n");
  std::streambuf* saved = std::cin.rdbuf(input.rdbuf());
  Result<ManifestWorkload> w = ReadManifest("-", {});
  std::cin.rdbuf(saved);
  ASSERT_TRUE(w) << w.error().ToString();
  EXPECT_EQ(w->name, "p");
  EXPECT_EQ(w->path, "stdin");
  EXPECT_EQ(w->declared.memory_limit_bytes, uint64_t{1} << 20);
}

}  // namespace
}  // namespace gt::cli
