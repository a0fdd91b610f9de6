// The real adapters against real sockets: the mTLS agent client against a TLS server that
// plays an agent, the probe server, the reconcile judge and the --config loader.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "agent/certs.h"
#include "controller/agent_client.h"
#include "controller/config.h"
#include "controller/controller.h"
#include "controller/kube_adapters.h"
#include "controller/probe_server.h"
#include "controller/reconcile_judge.h"
#include "fakes.h"
#include "kube/config.h"
#include "kube/rest_client.h"
#include "wire/samples.h"

namespace gt::controller {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

std::string WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
  return path.string();
}

// A one-connection-at-a-time TLS server standing in for an agent: requires a client
// certificate from `client_ca` and answers every request with `body`.
class FakeAgent {
 public:
  FakeAgent(const agent::PemPair& server, const std::string& client_ca_pem, std::string body,
            bool hang = false)
      : body_(std::move(body)), hang_(hang) {
    context_.use_certificate_chain(asio::buffer(server.cert));
    context_.use_private_key(asio::buffer(server.key), ssl::context::pem);
    context_.add_certificate_authority(asio::buffer(client_ca_pem));
    context_.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    acceptor_.open(tcp::v4());
    acceptor_.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    acceptor_.listen();
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeAgent() {
    stop_ = true;
    beast::error_code ignored;
    tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ignored);
    thread_.join();
  }
  std::string endpoint() const {
    return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  std::string requested_target() const { return target_; }

 private:
  void Serve() {
    while (!stop_) {
      tcp::socket socket(io_);
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stop_) return;
      if (hang_) {
        while (!stop_) std::this_thread::sleep_for(10ms);
        return;
      }
      ssl::stream<tcp::socket> stream(std::move(socket), context_);
      stream.handshake(ssl::stream_base::server, ec);
      if (ec) continue;
      beast::flat_buffer buffer;
      http::request<http::string_body> request;
      http::read(stream, buffer, request, ec);
      if (ec) continue;
      target_ = std::string(request.target());
      http::response<http::string_body> response{http::status::ok, request.version()};
      response.set(http::field::content_type, "application/json");
      response.body() = body_;
      response.prepare_payload();
      http::write(stream, response, ec);
      stream.shutdown(ec);
    }
  }

  asio::io_context io_;
  ssl::context context_{ssl::context::tls_server};
  tcp::acceptor acceptor_{io_};
  std::string body_;
  bool hang_;
  std::atomic<bool> stop_{false};
  std::string target_;
  std::thread thread_;
};

class AgentClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("gt-controller-tls-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    auto bundle = agent::MakeTlsBundle(agent::TlsBundleOptions{});
    ASSERT_TRUE(bundle) << bundle.error().ToString();
    bundle_ = *bundle;
    auto other = agent::MakeTlsBundle(agent::TlsBundleOptions{});
    ASSERT_TRUE(other);
    other_ = *other;
    options_.ca_file = WriteFile(dir_ / "ca.crt", bundle_.ca.cert);
    options_.cert_file = WriteFile(dir_ / "controller.crt", bundle_.controller.cert);
    options_.key_file = WriteFile(dir_ / "controller.key", bundle_.controller.key);
    options_.timeout = 2000ms;
    wire::SamplesResponse response;
    response.node = {"node-1", "boot-1"};
    response.cursor = 9;
    wire::Sample sample;
    sample.seq = 9;
    sample.monotonic = 5s;
    wire::PodSample pod;
    pod.uid = "p1";
    wire::ContainerSample container;
    container.id = "abc";
    container.reading.memory.usage_bytes = 42;
    pod.containers.push_back(container);
    sample.pods.push_back(pod);
    response.samples.push_back(sample);
    samples_json_ = wire::EncodeResponse(response);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  agent::TlsBundle bundle_, other_;
  AgentTlsOptions options_;
  std::string samples_json_;
};

TEST_F(AgentClientTest, FetchesSamplesFromAnAgentItTrusts) {
  FakeAgent agent(bundle_.agent, bundle_.ca.cert, samples_json_);
  auto client = MtlsAgentClient::Create(options_);
  ASSERT_TRUE(client) << client.error().ToString();
  auto samples = (*client)->Fetch({"node-1", "a1", agent.endpoint()}, 7);
  ASSERT_TRUE(samples) << samples.error().ToString();
  EXPECT_EQ(agent.requested_target(), "/v1/samples?since=7");
  EXPECT_EQ(samples->cursor, 9u);
  ASSERT_EQ(samples->samples.size(), 1u);
  EXPECT_EQ(samples->samples[0].pods[0].containers[0].reading.memory.usage_bytes, 42u);
}

TEST_F(AgentClientTest, RefusesAnAgentWhoseCertificateDoesNotVerify) {
  FakeAgent impostor(other_.agent, bundle_.ca.cert, samples_json_);  // another CA's cert
  auto client = MtlsAgentClient::Create(options_);
  ASSERT_TRUE(client);
  auto samples = (*client)->Fetch({"node-1", "a1", impostor.endpoint()}, 0);
  ASSERT_FALSE(samples);
  EXPECT_NE(samples.error().message.find("TLS handshake"), std::string::npos)
      << samples.error().ToString();
  EXPECT_NE(samples.error().message.find("certificate verify failed"), std::string::npos)
      << samples.error().ToString();
}

TEST_F(AgentClientTest, RefusesAnAgentCertificateForAnotherName) {
  FakeAgent agent(bundle_.agent, bundle_.ca.cert, samples_json_);
  options_.server_name = "someone-else";
  auto client = MtlsAgentClient::Create(options_);
  ASSERT_TRUE(client);
  EXPECT_FALSE((*client)->Fetch({"node-1", "a1", agent.endpoint()}, 0));
}

TEST_F(AgentClientTest, AnAgentRefusingOurCertificateIsAnError) {
  FakeAgent agent(bundle_.agent, other_.ca.cert, samples_json_);  // trusts another CA
  auto client = MtlsAgentClient::Create(options_);
  ASSERT_TRUE(client);
  EXPECT_FALSE((*client)->Fetch({"node-1", "a1", agent.endpoint()}, 0));
}

TEST_F(AgentClientTest, GarbageIsMalformedAndAHangTimesOut) {
  {
    FakeAgent garbage(bundle_.agent, bundle_.ca.cert, "{\"cursor\": \"many\", \"samples\": 3");
    auto client = MtlsAgentClient::Create(options_);
    auto samples = (*client)->Fetch({"node-1", "a1", garbage.endpoint()}, 0);
    ASSERT_FALSE(samples);
    EXPECT_EQ(samples.error().code, ErrorCode::kMalformed);
  }
  {
    FakeAgent hanging(bundle_.agent, bundle_.ca.cert, samples_json_, /*hang=*/true);
    options_.timeout = 300ms;
    auto client = MtlsAgentClient::Create(options_);
    auto samples = (*client)->Fetch({"node-1", "a1", hanging.endpoint()}, 0);
    ASSERT_FALSE(samples);
    EXPECT_NE(samples.error().message.find("timed out"), std::string::npos)
        << samples.error().ToString();
  }
}

TEST_F(AgentClientTest, MissingTlsMaterialIsAConfigurationError) {
  AgentTlsOptions none;
  EXPECT_FALSE(MtlsAgentClient::Create(none));
  options_.key_file = (dir_ / "absent.key").string();
  auto client = MtlsAgentClient::Create(options_);
  ASSERT_FALSE(client);
  EXPECT_NE(client.error().path.find("absent.key"), std::string::npos);
}

std::pair<int, std::string> Get(uint16_t port, const std::string& target) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, "localhost");
  http::write(socket, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(socket, buffer, response);
  return {response.result_int(), response.body()};
}

TEST(ProbeServer, ServesMetricsHealthAndReadiness) {
  std::atomic<bool> ready{false};
  ProbeHandlers handlers;
  handlers.metrics = [] {
    return std::string("groundtruth_controller_reconcile_passes_total 3\n");
  };
  handlers.ready = [&] { return ready.load(); };
  auto server = ProbeServer::Start("127.0.0.1:0", handlers);
  ASSERT_TRUE(server) << server.error().ToString();
  uint16_t port = (*server)->port();
  EXPECT_EQ(Get(port, "/metrics").second, "groundtruth_controller_reconcile_passes_total 3\n");
  EXPECT_EQ(Get(port, "/healthz").first, 200);
  EXPECT_EQ(Get(port, "/readyz").first, 503);
  ready = true;
  EXPECT_EQ(Get(port, "/readyz").first, 200);
  EXPECT_EQ(Get(port, "/nope").first, 404);
  EXPECT_FALSE(ProbeServer::Start("not-an-address", handlers));
}

TEST(ProbeServer, HealthFailsWhileALoopIsStalled) {
  std::string stalled;
  std::mutex mu;
  ProbeHandlers handlers;
  handlers.healthy = [] { return true; };
  handlers.stalled = [&] {
    std::lock_guard lock(mu);
    return stalled;
  };
  auto server = ProbeServer::Start("127.0.0.1:0", handlers);
  ASSERT_TRUE(server) << server.error().ToString();
  const uint16_t port = (*server)->port();
  EXPECT_EQ(Get(port, "/healthz").first, 200);
  {
    std::lock_guard lock(mu);
    stalled = "informer /api/v1/pods: no progress for 1201s";
  }
  for (const char* path : {"/healthz", "/livez"}) {
    const auto [status, body] = Get(port, path);
    EXPECT_EQ(status, 503) << path;
    EXPECT_EQ(body, "stalled: informer /api/v1/pods: no progress for 1201s\n");
  }
  EXPECT_EQ(Get(port, "/readyz").first, 200);  // readiness is another question
}

reconcile::ContainerObservation Container(std::vector<CgroupReading> readings) {
  reconcile::ContainerObservation c;
  c.container = "app";
  c.pod = "web-1";
  c.node = "node-1";
  c.declared.memory_limit_bytes = 1ull << 30;
  c.readings = std::move(readings);
  return c;
}

TEST(ReconcileJudge, MissingReadingsAreNoDataNeverFalse) {
  std::ostringstream text;
  Logger log(text);
  ReconcileJudge judge(reconcile::DefaultPolicy(), log);
  WorkloadKey key{WorkloadKind::kDeployment, "shop", "web"};
  reconcile::WorkloadObservation observation;
  observation.generation = 1;
  observation.observing_since = MonotonicTime(100s);
  observation.containers.push_back(Container({}));
  auto verdict = judge.Evaluate(key, observation, {}, MonotonicTime(1000s));
  EXPECT_EQ(verdict.status, reconcile::ConditionStatus::kUnknown);
  EXPECT_EQ(verdict.reason, "NoData");

  // Readings that stopped long ago (an agent gone quiet) are no data either.
  CgroupReading stale;
  stale.time = MonotonicTime(200s);
  stale.memory.usage_bytes = 100;
  observation.containers[0].readings = {stale};
  verdict = judge.Evaluate(key, observation, {}, MonotonicTime(2000s));
  EXPECT_NE(verdict.status, reconcile::ConditionStatus::kFalse);
}

// The controller keeps only the last judged reading of each container between passes; the
// sustained windows (here 2 x 60 s of memory PSI) must come from the judge's own state.
// Before it carried them, this thrashing container was judged Compliant.
TEST(ReconcileJudge, ThrashingThroughTheControllerIsFalse) {
  std::ostringstream text;
  Logger log(text);
  FakeClock clock;
  ReconcileJudge judge(reconcile::DefaultPolicy(), log);
  testing::FakeStatusWriter writer;
  testing::FakeEvents events;
  testing::FakeLeadership leadership;
  Metrics metrics;
  Controller ctl(ControllerOptions{}, clock, judge, writer, events, leadership, metrics, log);
  const testing::json template_ = testing::PodTemplate("web", "nginx:1");
  ctl.UpsertWorkload(testing::MustWorkload(
      WorkloadKind::kDeployment, testing::WorkloadJson("Deployment", "web", "d1", 1, template_)));
  ctl.UpsertReplicaSet(
      *ReplicaSetFromJson(testing::ReplicaSetJson("web-1", "rs1", "d1", "1", template_, "h1")));
  ctl.UpsertPod(
      testing::MustPod(testing::PodJson("web-1-a", "p1", "ReplicaSet", "rs1", "node-1", "c-web")));
  ctl.UpsertAgent(*AgentPodFromJson(testing::AgentJson("agent-x", "a1", "node-1", "10.1.0.5")));

  CgroupReading r;
  r.memory.usage_bytes = (2ull << 30) - (40ull << 20);  // 1.96Gi of the 2Gi limit
  r.memory.limit_bytes = 2ull << 30;
  r.memory.pressure = Pressure{PressureLine{}, PressureLine{}};
  std::optional<reconcile::Verdict> verdict;
  for (uint64_t cursor = 1; cursor <= 40; ++cursor) {  // 400 s, a pass every 10 s
    clock.Advance(10s);
    r.memory.pressure->some.total_us += 3'400'000;  // stalled 34% of the time
    r.time = clock.Monotonic();
    wire::SamplesResponse response;
    response.node = {"node-1", "boot-1"};
    response.cursor = cursor;
    wire::Sample sample;
    sample.seq = cursor;
    sample.monotonic = clock.Monotonic();
    sample.node.time = sample.monotonic;
    wire::PodSample pod;
    pod.uid = "p1";
    pod.containers.push_back(wire::ContainerSample{"c-web", "containerd", r});
    sample.pods.push_back(pod);
    response.samples.push_back(sample);
    ctl.IngestScrape(ctl.PlanScrapes().at(0), response);
    ctl.RunPass();
    verdict = ctl.VerdictOf(WorkloadKey{WorkloadKind::kDeployment, "shop", "web"});
    ASSERT_TRUE(verdict);
    EXPECT_NE(verdict->status, reconcile::ConditionStatus::kTrue) << verdict->message;
  }
  EXPECT_EQ(verdict->status, reconcile::ConditionStatus::kFalse) << verdict->message;
  EXPECT_EQ(verdict->reason, "MemoryThrashing") << verdict->message;
}

TEST(ReconcileJudge, BadOverrideIsLoggedOnceAndIgnored) {
  std::ostringstream text;
  Logger log(text);
  ReconcileJudge judge(reconcile::DefaultPolicy(), log);
  WorkloadKey key{WorkloadKind::kDeployment, "shop", "web"};
  reconcile::WorkloadObservation observation;
  std::map<std::string, std::string> overrides{{"cpu-throttled.ratio", "lots"}};
  judge.Evaluate(key, observation, overrides, MonotonicTime(10s));
  judge.Evaluate(key, observation, overrides, MonotonicTime(20s));
  std::string logged = text.str();
  size_t first = logged.find("bad override");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(logged.find("bad override", first + 1), std::string::npos);
  EXPECT_NE(logged.find("groundtruth.dev/cpu-throttled.ratio"), std::string::npos);
}

TEST(Config, PolicyOverridesFromYaml) {
  auto policy = PolicyFromYaml("rules:\n  cpu-throttled:\n    ratio: \"0.5\"\n", "test.yaml");
  ASSERT_TRUE(policy) << policy.error().ToString();
  EXPECT_DOUBLE_EQ(policy->cpu_throttled.ratio, 0.5);
  auto bad = PolicyFromYaml("rules:\n  cpu-throttled:\n    ratio: lots\n", "test.yaml");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().line, 3);
  EXPECT_FALSE(PolicyFromYaml("colour: blue\n", "test.yaml"));
  EXPECT_FALSE(PolicyFromYaml("rules: [\n", "test.yaml"));
  EXPECT_TRUE(PolicyFromYaml("", "empty.yaml"));
}

// The writes the controller ships, against a real API server: runs when
// GT_KUBE_E2E_KUBECONFIG names an admin kubeconfig (tests/e2e TestKubeClientRealApiServer
// sets it); skipped otherwise.
TEST(RealApiServerWrites, ConditionAnnotationAndWithdrawalAsShipped) {
  using nlohmann::json;
  const char* path = std::getenv("GT_KUBE_E2E_KUBECONFIG");
  if (path == nullptr || *path == '\0') GTEST_SKIP() << "GT_KUBE_E2E_KUBECONFIG not set";
  SystemClock clock;
  kube::KubeconfigOptions options;
  options.explicit_path = path;
  auto config = kube::LoadKubeconfig(options, clock);
  ASSERT_TRUE(config) << config.error().ToString();
  auto client = kube::RestClient::Create(*config, clock);
  ASSERT_TRUE(client) << client.error().ToString();
  kube::KubeClient& api = **client;
  const std::string ns = "gt-writes-" + std::to_string(getpid());
  ASSERT_TRUE(
      api.Create("/api/v1/namespaces",
                 {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}}));
  const std::string base = "/apis/apps/v1/namespaces/" + ns + "/deployments";
  json deployment = json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"web","annotations":{"team":"shop"}},
    "spec":{"replicas":0,"selector":{"matchLabels":{"app":"web"}},
      "template":{"metadata":{"labels":{"app":"web"}},
        "spec":{"containers":[{"name":"c","image":"busybox"}]}}}})");
  auto created = api.Create(base, deployment);
  ASSERT_TRUE(created && created->ok());
  const std::string uid = created->body["metadata"]["uid"];
  const int64_t generation = created->body["metadata"]["generation"];
  const WorkloadKey key{WorkloadKind::kDeployment, ns, "web"};

  KubeStatusWriter writer(api);
  Condition condition{reconcile::ConditionStatus::kFalse, "MemoryThrashing", "thrashing",
                      "2026-11-24T10:00:00Z", "2026-11-24T10:00:00Z"};
  // The real Deployment controller writes status after creation too; a conflict with it
  // is what the controller meets in a cluster, and re-plans from the newer object.
  Result<Applied> applied = MakeError(ErrorCode::kUnavailable, "not tried");
  Result<Applied> annotated = MakeError(ErrorCode::kUnavailable, "not tried");
  int conflicts = 0;
  for (int attempt = 0; attempt < 20; ++attempt) {
    applied = writer.ApplyCondition(key, uid, condition);
    ASSERT_TRUE(applied) << applied.error().ToString();
    EXPECT_EQ(applied->generation, generation);  // a status write leaves the generation
    annotated =
        writer.ApplyAnnotation(key, uid, "False/MemoryThrashing/2", applied->resource_version);
    if (annotated || annotated.error().code != ErrorCode::kConflict) break;
    ++conflicts;
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_TRUE(annotated) << annotated.error().ToString() << " after " << conflicts << " conflicts";
  EXPECT_EQ(annotated->generation, generation + 1);  // as the mirror predicts
  auto stale = writer.ApplyAnnotation(key, uid, "True/Compliant/3", applied->resource_version);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  // Another manager's condition beside ours.
  json other = {{"apiVersion", "apps/v1"},
                {"kind", "Deployment"},
                {"metadata", {{"name", "web"}, {"namespace", ns}}},
                {"status",
                 {{"conditions", json::array({{{"type", "Available"},
                                               {"status", "True"},
                                               {"reason", "MinimumReplicasAvailable"},
                                               {"message", "ok"}}})}}}};
  ASSERT_TRUE(api.Apply(base + "/web/status", other, "someone-else", true));

  ASSERT_TRUE(writer.Withdraw(key, uid));
  auto got = api.Get(base + "/web");
  ASSERT_TRUE(got && got->ok());
  auto live = WorkloadFromJson(WorkloadKind::kDeployment, got->body);
  ASSERT_TRUE(live);
  EXPECT_FALSE(live->condition);
  EXPECT_TRUE(live->verdict_annotation.empty());
  std::vector<std::string> types;
  for (const json& c : got->body["status"]["conditions"]) types.push_back(c["type"]);
  // Only ours went: the Deployment controller's own conditions and the other manager's stay.
  EXPECT_EQ(std::count(types.begin(), types.end(), "RuntimeCompliant"), 0);
  EXPECT_EQ(std::count(types.begin(), types.end(), "Available"), 1);
  EXPECT_EQ(got->body["metadata"]["annotations"]["team"], "shop");
  // A different object of the same name is not ours to write.
  EXPECT_FALSE(writer.Withdraw(key, "00000000-0000-0000-0000-000000000000"));
  (void)api.Delete("/api/v1/namespaces/" + ns);
}

}  // namespace
}  // namespace gt::controller
