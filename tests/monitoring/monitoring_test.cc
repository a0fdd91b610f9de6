// manifests/components/prometheus, checked with the real tools: promtool (from Debian's
// prometheus package, fetched by promtool.sh) for the alert rules and the dashboard's
// queries, kustomize (kubectl kustomize) for the component over the base.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "agent/metrics.h"
#include "controller/metrics.h"

namespace gt {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

const fs::path kSource = GT_SOURCE_DIR;
const fs::path kComponent = kSource / "manifests" / "components" / "prometheus";

struct Ran {
  int code = -1;
  std::string output;  // stdout and stderr
};

Ran Shell(const std::string& command) {
  Ran ran;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return ran;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) ran.output.append(buf.data(), n);
  int status = pclose(pipe);
  ran.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return ran;
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFile(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

class MonitoringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("gt-monitoring-" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // promtool's path, fetched once; empty (and the test skipped) only where apt is missing.
  std::string Promtool() {
    Ran ran = Shell(Quote((kSource / "tests" / "monitoring" / "promtool.sh").string()));
    if (ran.code == 77) return "";
    EXPECT_EQ(ran.code, 0) << ran.output;
    std::string path = ran.output.substr(0, ran.output.find_last_not_of("\n") + 1);
    path = path.substr(path.rfind('\n') == std::string::npos ? 0 : path.rfind('\n') + 1);
    return path;
  }

  fs::path dir_;
};

#define REQUIRE_PROMTOOL(path)                                                            \
  const std::string path = Promtool();                                                    \
  if (HasFailure()) return;                                                               \
  if (path.empty())                                                                       \
  GTEST_SKIP() << "apt-get, apt-cache or dpkg-deb not found: cannot fetch promtool from " \
                  "Debian's prometheus package"

// The PrometheusRule's rule groups, as a plain Prometheus rule file.
std::string RuleFile() {
  YAML::Node rule = YAML::LoadFile((kComponent / "prometheusrule.yaml").string());
  YAML::Emitter out;
  out << rule["spec"];
  return out.c_str();
}

TEST_F(MonitoringTest, AlertRulesPassPromtoolCheckAndTheirUnitTests) {
  REQUIRE_PROMTOOL(promtool);
  WriteFile(dir_ / "rules.yaml", RuleFile());
  fs::copy_file(kSource / "tests" / "monitoring" / "alerts_test.yaml", dir_ / "alerts_test.yaml");
  Ran check = Shell(Quote(promtool) + " check rules " + Quote((dir_ / "rules.yaml").string()));
  EXPECT_EQ(check.code, 0) << check.output;
  EXPECT_NE(check.output.find("SUCCESS: 8 rules found"), std::string::npos) << check.output;
  Ran test = Shell("cd " + Quote(dir_.string()) + " && " + Quote(promtool) +
                   " test rules alerts_test.yaml");
  EXPECT_EQ(test.code, 0) << test.output;
  EXPECT_NE(test.output.find("SUCCESS"), std::string::npos) << test.output;
}

// promtool's own verdict on a broken rule: proof the check above can fail.
TEST_F(MonitoringTest, PromtoolRefusesABrokenRule) {
  REQUIRE_PROMTOOL(promtool);
  WriteFile(dir_ / "bad.yaml",
            "groups:\n- name: x\n  rules:\n  - alert: Bad\n    expr: sum by (node (up)\n");
  Ran check = Shell(Quote(promtool) + " check rules " + Quote((dir_ / "bad.yaml").string()));
  EXPECT_NE(check.code, 0) << check.output;
}

// Every alert has a case where it fires and one where it must stay quiet.
TEST_F(MonitoringTest, EveryAlertIsTestedFiringAndQuiet) {
  std::set<std::string> alerts;
  for (const YAML::Node& group :
       YAML::LoadFile((kComponent / "prometheusrule.yaml").string())["spec"]["groups"]) {
    for (const YAML::Node& rule : group["rules"]) alerts.insert(rule["alert"].as<std::string>());
  }
  ASSERT_EQ(alerts.size(), 8u);
  std::map<std::string, std::pair<int, int>> cases;  // alert: (firing, quiet)
  for (const YAML::Node& test :
       YAML::LoadFile((kSource / "tests" / "monitoring" / "alerts_test.yaml").string())["tests"]) {
    for (const YAML::Node& c : test["alert_rule_test"]) {
      auto& [firing, quiet] = cases[c["alertname"].as<std::string>()];
      ++(c["exp_alerts"].size() > 0 ? firing : quiet);
    }
  }
  for (const std::string& alert : alerts) {
    EXPECT_GT(cases[alert].first, 0) << alert << " is never tested firing";
    EXPECT_GT(cases[alert].second, 0) << alert << " is never tested quiet";
  }
}

void CollectExprs(const json& node, std::vector<std::string>& out) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "expr" && value.is_string()) {
        out.push_back(value.get<std::string>());
      } else {
        CollectExprs(value, out);
      }
    }
  } else if (node.is_array()) {
    for (const json& item : node) CollectExprs(item, out);
  }
}

// Grafana's variables as a value of each kind the queries use them in.
std::string WithVariablesFilledIn(std::string expr) {
  for (const auto& [variable, value] : std::vector<std::pair<std::string, std::string>>{
           {"$__rate_interval", "5m"}, {"$__interval", "1m"}, {"$namespace", ".*"}}) {
    for (size_t at = expr.find(variable); at != std::string::npos; at = expr.find(variable)) {
      expr.replace(at, variable.size(), value);
    }
  }
  return expr;
}

TEST_F(MonitoringTest, EveryDashboardQueryParses) {
  REQUIRE_PROMTOOL(promtool);
  json dashboard = json::parse(ReadFile(kComponent / "dashboard.json"));
  ASSERT_TRUE(dashboard.contains("panels"));
  for (const json& panel : dashboard["panels"]) {
    ASSERT_TRUE(panel.contains("targets")) << panel["title"];
    for (const json& target : panel["targets"]) {
      EXPECT_TRUE(target.contains("expr")) << panel["title"] << " has a target without a query";
    }
  }
  std::vector<std::string> exprs;
  CollectExprs(dashboard["panels"], exprs);
  ASSERT_GE(exprs.size(), 10u);
  // Each query as a recording rule: promtool check rules parses every expression.
  YAML::Emitter rules;
  rules << YAML::BeginMap << YAML::Key << "groups" << YAML::Value << YAML::BeginSeq
        << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "dashboard" << YAML::Key
        << "rules" << YAML::Value << YAML::BeginSeq;
  for (size_t i = 0; i < exprs.size(); ++i) {
    std::string expr = WithVariablesFilledIn(exprs[i]);
    EXPECT_EQ(expr.find('$'), std::string::npos) << "a Grafana variable left in: " << exprs[i];
    rules << YAML::BeginMap << YAML::Key << "record" << YAML::Value
          << "dashboard:query_" + std::to_string(i) << YAML::Key << "expr" << YAML::Value << expr
          << YAML::EndMap;
  }
  rules << YAML::EndSeq << YAML::EndMap << YAML::EndSeq << YAML::EndMap;
  WriteFile(dir_ / "dashboard-rules.yaml", rules.c_str());
  Ran check =
      Shell(Quote(promtool) + " check rules " + Quote((dir_ / "dashboard-rules.yaml").string()));
  EXPECT_EQ(check.code, 0) << check.output << "\n" << rules.c_str();
  EXPECT_NE(check.output.find("SUCCESS: " + std::to_string(exprs.size()) + " rules found"),
            std::string::npos)
      << check.output;
}

// promtool's lint of both /metrics as the binaries render them (with every kind of series
// present): the text parses, and names, types and units follow Prometheus' conventions.
TEST_F(MonitoringTest, BothExpositionsPassPromtoolCheckMetrics) {
  REQUIRE_PROMTOOL(promtool);
  controller::Metrics controller;
  controller.PassDone(12ms);
  controller.ScrapeDone("node-1", true, 20ms);
  controller.ScrapeDone("node-2", false, 5s);
  controller.WriteDone("condition", true);
  controller.EventEmitted(true);
  controller.SetWorkloads(1, 1, 0);
  controller.SetTlsCertificate(std::chrono::system_clock::now() + 24h, 1, false);
  controller::WorkloadVerdicts verdicts;
  verdicts[{contract::WorkloadKind::kDeployment, "shop", "web"}] = {
      "False", "MemoryThrashing", {{"MemoryThrashing", "memory PSI some", 42.5, 20}}};
  verdicts[{contract::WorkloadKind::kStatefulSet, "shop", "db"}] = {"True", "Compliant", {}};
  controller.SetVerdicts(verdicts);

  agent::AgentMetrics agent;
  agent.samples_taken = 3;
  agent.sample_duration.Observe(3ms);
  agent.last_sample_monotonic_ns = 0;
  agent::Ring ring(agent::RingLimits{});
  const std::string docs = ReadFile(kSource / "docs" / "operations.md");

  for (const auto& [who, text] : std::vector<std::pair<std::string, std::string>>{
           {"controller", controller.Render()},
           {"agent", agent.Render(ring, MonotonicTime(std::chrono::seconds(2)))}}) {
    WriteFile(dir_ / (who + ".txt"), text);
    Ran check =
        Shell(Quote(promtool) + " check metrics < " + Quote((dir_ / (who + ".txt")).string()));
    EXPECT_EQ(check.code, 0) << who << ":\n" << check.output << "\n" << text;
    EXPECT_EQ(check.output, "") << who << ":\n" << check.output;
    // docs/operations.md's table names each: in full, or as `..._<rest>` after its prefix.
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.rfind("# TYPE ", 0) != 0) continue;
      std::string name = line.substr(7, line.find(' ', 7) - 7);
      std::string rest = name;
      for (const char* prefix :
           {"groundtruth_controller", "groundtruth_agent", "groundtruth_workload"}) {
        if (name.rfind(prefix, 0) == 0) rest = name.substr(std::string(prefix).size());
      }
      EXPECT_TRUE(docs.find("`" + name + "`") != std::string::npos ||
                  docs.find("`" + name + "{") != std::string::npos ||
                  docs.find("`..." + rest + "`") != std::string::npos ||
                  docs.find("`..." + rest + "{") != std::string::npos)
          << name << " is exported but docs/operations.md's metrics table does not name it";
    }
  }
}

// Every groundtruth metric the rules and the dashboard query is one the binaries export (a
// parse check cannot see a misspelt name): its name is in controller/ or agent/metrics.cc.
TEST_F(MonitoringTest, EveryQueriedMetricIsExported) {
  const std::string exported =
      ReadFile(kSource / "controller" / "metrics.cc") + ReadFile(kSource / "agent" / "metrics.cc");
  const std::string queries =
      ReadFile(kComponent / "prometheusrule.yaml") + ReadFile(kComponent / "dashboard.json");
  std::set<std::string> names;
  for (size_t at = queries.find("groundtruth_"); at != std::string::npos;
       at = queries.find("groundtruth_", at + 1)) {
    size_t end = queries.find_first_not_of("abcdefghijklmnopqrstuvwxyz_", at);
    std::string name = queries.substr(at, end - at);
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (name.ends_with(suffix) && name.size() > std::string(suffix).size()) {
        name.resize(name.size() - std::string(suffix).size());
      }
    }
    names.insert(name);
  }
  // The regex matchers name two metrics at once: groundtruth_(agent|controller)_...
  names.erase("groundtruth_");
  EXPECT_GE(names.size(), 10u);
  auto exports = [&](const std::string& name) {
    for (size_t at = exported.find('"' + name); at != std::string::npos;
         at = exported.find('"' + name, at + 1)) {
      char next = exported[at + 1 + name.size()];
      if (!(next == '_' || (next >= 'a' && next <= 'z'))) return true;  // not a longer name
    }
    return false;
  };
  for (const std::string& name : names) {
    EXPECT_TRUE(exports(name)) << name << " is queried but neither metrics.cc exports it";
  }
}

// The kubectl (or kustomize) to render with: $GT_TEST_KUBECTL, else kubectl on PATH.
std::string Kustomize() {
  if (const char* kubectl = std::getenv("GT_TEST_KUBECTL"); kubectl && *kubectl) {
    return Quote(kubectl) + " kustomize";
  }
  if (Shell("command -v kubectl").code == 0) return "kubectl kustomize";
  if (Shell("command -v kustomize").code == 0) return "kustomize build";
  return "";
}

const YAML::Node* Find(const std::vector<YAML::Node>& objects, const std::string& kind,
                       const std::string& name) {
  for (const YAML::Node& o : objects) {
    if (o["kind"].as<std::string>() == kind && o["metadata"]["name"].as<std::string>() == name) {
      return &o;
    }
  }
  return nullptr;
}

// The component added to a user's kustomization over the base, as docs/operations.md says:
// it renders, and what it scrapes exists in what the base runs.
TEST_F(MonitoringTest, ComponentRendersOverTheBaseAndMatchesItsPods) {
  const std::string kustomize = Kustomize();
  if (kustomize.empty()) GTEST_SKIP() << "neither kubectl nor kustomize: cannot render";
  WriteFile(dir_ / "kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            "resources:\n  - " +
                fs::relative(kSource / "manifests" / "base", dir_).string() +
                "\ncomponents:\n  - " + fs::relative(kComponent, dir_).string() + "\n");
  Ran rendered = Shell(kustomize + " " + Quote(dir_.string()));
  ASSERT_EQ(rendered.code, 0) << rendered.output;
  std::vector<YAML::Node> objects = YAML::LoadAll(rendered.output);

  const YAML::Node* agent = Find(objects, "DaemonSet", "groundtruth-agent");
  const YAML::Node* controller = Find(objects, "Deployment", "groundtruth-controller");
  ASSERT_TRUE(agent && controller) << rendered.output;
  ASSERT_TRUE(Find(objects, "PrometheusRule", "groundtruth"));
  const YAML::Node* dashboard = Find(objects, "ConfigMap", "groundtruth-dashboard");
  ASSERT_TRUE(dashboard);
  EXPECT_EQ((*dashboard)["metadata"]["labels"]["grafana_dashboard"].as<std::string>(), "1");
  EXPECT_EQ((*dashboard)["data"]["groundtruth.json"].as<std::string>(),
            ReadFile(kComponent / "dashboard.json"));

  // Each PodMonitor selects its workload's pods and scrapes a port those pods name.
  for (const auto& [monitor, workload] : std::vector<std::pair<std::string, const YAML::Node*>>{
           {"groundtruth-agent", agent}, {"groundtruth-controller", controller}}) {
    const YAML::Node* pm = Find(objects, "PodMonitor", monitor);
    ASSERT_TRUE(pm) << monitor;
    const YAML::Node pod = (*workload)["spec"]["template"];
    for (const auto& label : (*pm)["spec"]["selector"]["matchLabels"]) {
      EXPECT_EQ(pod["metadata"]["labels"][label.first.as<std::string>()].as<std::string>(""),
                label.second.as<std::string>())
          << monitor << " selects a label its pods do not carry";
    }
    EXPECT_TRUE((*pm)["spec"]["namespaceSelector"]["any"].as<bool>()) << monitor;
    std::set<std::string> ports;
    for (const YAML::Node& port : pod["spec"]["containers"][0]["ports"]) {
      ports.insert(port["name"].as<std::string>());
    }
    for (const YAML::Node& endpoint : (*pm)["spec"]["podMetricsEndpoints"]) {
      EXPECT_TRUE(ports.count(endpoint["port"].as<std::string>()))
          << monitor << " scrapes port " << endpoint["port"] << ", which its pods do not name";
    }
  }
  // The agent's metrics port is its plain probe port, which the NetworkPolicy opens to the
  // monitoring namespace.
  int probe_port = 0;
  for (const YAML::Node& port : (*agent)["spec"]["template"]["spec"]["containers"][0]["ports"]) {
    if (port["name"].as<std::string>() == "probe") probe_port = port["containerPort"].as<int>();
  }
  EXPECT_EQ(probe_port, 9444);
  const YAML::Node* policy = Find(objects, "NetworkPolicy", "groundtruth-agent-metrics");
  ASSERT_TRUE(policy);
  const YAML::Node ingress = (*policy)["spec"]["ingress"][0];
  EXPECT_EQ(ingress["ports"][0]["port"].as<int>(), probe_port);
  EXPECT_EQ(ingress["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
                .as<std::string>(),
            "monitoring");
}

}  // namespace
}  // namespace gt
