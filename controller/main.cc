#include "controller/main.h"

#include <malloc.h>
#include <pthread.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>

#include "common/clock.h"
#include "common/duration.h"
#include "common/version.h"
#include "contract/exit_codes.h"
#include "controller/agent_client.h"
#include "controller/config.h"
#include "controller/controller.h"
#include "controller/kube_adapters.h"
#include "controller/liveness.h"
#include "controller/probe_server.h"
#include "controller/reconcile_judge.h"
#include "controller/scraper.h"
#include "kube/config.h"
#include "kube/events.h"
#include "kube/leader_election.h"
#include "kube/rest_client.h"
#include "kube/url.h"

namespace gt::controller {
namespace {

constexpr int kUsage = contract::kExitUsage;

struct Flags {
  std::string kubeconfig, context, watch_namespace;
  std::string scope = "gitops";
  bool leader_elect = false;
  std::string leader_election_namespace = "groundtruth-system";
  std::string leader_election_id = "groundtruth-controller";
  std::string metrics_bind = ":8080";
  std::string health_bind = ":8081";
  std::string log_format = "text";
  int verbosity = 0;
  std::string agent_ca, tls_cert, tls_key;
  std::string agent_server_name = "groundtruth-agent";
  uint16_t agent_port = 9443;
  std::string agent_namespace = "groundtruth-agent";
  std::string agent_selector = "app.kubernetes.io/name=groundtruth-agent";
  std::string interval = "10s";
  std::string scrape_timeout = "5s";
  size_t max_in_flight = 16;
  std::string config;
  std::string progress_deadline = "20m";
};

// After SIGTERM: how long the leader gets to release its Lease through a slow API server
// before every request is cancelled, and when the process exits whatever still runs.
constexpr auto kLeaseReleaseGrace = std::chrono::milliseconds(1500);
constexpr auto kExitBound = std::chrono::milliseconds(4500);

std::string Identity() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  std::random_device random;
  char suffix[16];
  std::snprintf(suffix, sizeof(suffix), "_%08x", random());
  return std::string(host) + suffix;
}

Result<kube::RestConfig> LoadRestConfig(const Flags& flags, Clock& clock) {
  // client-go's order: an explicit kubeconfig, else in-cluster when running in a pod, else
  // $KUBECONFIG / ~/.kube/config.
  auto env = kube::InClusterEnv::FromEnvironment();
  if (flags.kubeconfig.empty() && flags.context.empty() && !env.service_host.empty()) {
    return kube::LoadInClusterConfig(env, kube::InClusterPaths{}, clock);
  }
  return kube::LoadKubeconfig(kube::KubeconfigOptionsFromEnv(flags.kubeconfig, flags.context),
                              clock);
}

}  // namespace

void TuneAllocator() {
#ifdef M_ARENA_MAX
  // glibc gives each thread that allocates its own arena (up to 8 per core), and memory
  // freed in one stays there. Scraper threads decode agent payloads whose readings the
  // reconcile thread keeps; at 10,000 workloads, RSS was ~60 MiB above the live heap with
  // an arena per thread, ~10 MiB less with two (docs/benchmarks.md, controller). Two, not
  // one, keep the scrapers' allocations from contending with the reconcile thread.
  mallopt(M_ARENA_MAX, 2);
#endif
}

int ControllerMain(int argc, char** argv) {
  TuneAllocator();
  Flags flags;
  CLI::App app{"groundtruth controller: writes RuntimeCompliant on GitOps-managed workloads",
               "groundtruth controller"};
  app.set_version_flag("--version", VersionLine("groundtruth controller"));
  app.add_option("--kubeconfig", flags.kubeconfig, "kubeconfig file (default: in-cluster)");
  app.add_option("--context", flags.context, "kubeconfig context");
  app.add_option("--namespace,-n", flags.watch_namespace, "watch only this namespace");
  app.add_option("--scope", flags.scope, "gitops (GitOps-managed workloads only) or all");
  app.add_flag("--leader-elect", flags.leader_elect, "elect a leader on a Lease; only it writes");
  app.add_option("--leader-election-namespace", flags.leader_election_namespace);
  app.add_option("--leader-election-id", flags.leader_election_id, "the Lease's name");
  app.add_option("--metrics-bind-address", flags.metrics_bind, "/metrics listener; 0 disables");
  app.add_option("--health-probe-bind-address", flags.health_bind,
                 "/healthz and /readyz listener; 0 disables");
  app.add_option("--log-format", flags.log_format, "text or json");
  app.add_option("-v,--v", flags.verbosity, "log verbosity");
  app.add_option("--agent-ca", flags.agent_ca, "CA that agents' certificates must chain to");
  app.add_option("--tls-cert", flags.tls_cert, "client certificate presented to agents");
  app.add_option("--tls-key", flags.tls_key, "its private key");
  app.add_option("--agent-server-name", flags.agent_server_name,
                 "name agents' certificates must carry");
  app.add_option("--agent-port", flags.agent_port, "agents' HTTPS port");
  app.add_option("--agent-namespace", flags.agent_namespace, "namespace of the agent pods");
  app.add_option("--agent-selector", flags.agent_selector, "label selector of the agent pods");
  app.add_option("--interval", flags.interval, "scrape and reconcile period (Go duration)");
  app.add_option("--scrape-timeout", flags.scrape_timeout, "per-agent request timeout");
  app.add_option("--max-in-flight", flags.max_in_flight, "concurrent agent scrapes");
  app.add_option("--config", flags.config, "YAML policy overrides");
  app.add_option("--progress-deadline", flags.progress_deadline,
                 "/healthz fails when an informer, the reconcile loop or the scrape loop has not "
                 "moved for this long (Go duration)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kUsage;
  }

  auto log_format = ParseLogFormat(flags.log_format);
  if (!log_format) {
    std::cerr << "groundtruth controller: " << log_format.error().message << "\n";
    return kUsage;
  }
  Logger log(std::cerr, *log_format, flags.verbosity);
  auto usage = [&](const std::string& message) {
    log.Error(message);
    return kUsage;
  };
  auto scope = ParseScope(flags.scope);
  if (!scope) return usage(scope.error().message);
  auto interval = ParseDuration(flags.interval);
  auto scrape_timeout = ParseDuration(flags.scrape_timeout);
  if (!interval || *interval < std::chrono::seconds(1)) return usage("--interval: need >= 1s");
  if (!scrape_timeout || *scrape_timeout <= std::chrono::nanoseconds(0)) {
    return usage("--scrape-timeout: need a positive duration");
  }
  if (flags.max_in_flight == 0) return usage("--max-in-flight: need >= 1");
  auto progress_deadline = ParseDuration(flags.progress_deadline);
  if (!progress_deadline || *progress_deadline < std::chrono::seconds(1)) {
    return usage("--progress-deadline: need a duration >= 1s");
  }
  reconcile::Policy policy = reconcile::DefaultPolicy();
  if (!flags.config.empty()) {
    auto loaded = LoadPolicyFile(flags.config);
    if (!loaded) return usage("--config: " + loaded.error().ToString());
    policy = *loaded;
  }

  // Signals are taken by one thread with sigwait; every thread started from here on (the
  // REST client's among them) inherits the mask, so none is interrupted mid-syscall and
  // none takes SIGTERM's default action.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  SystemClock clock;
  auto rest_config = LoadRestConfig(flags, clock);
  if (!rest_config) return usage("kubeconfig: " + rest_config.error().ToString());
  auto client = kube::RestClient::Create(*rest_config, clock);
  if (!client) return usage("Kubernetes client: " + client.error().ToString());

  AgentTlsOptions tls;
  tls.ca_file = flags.agent_ca;
  tls.cert_file = flags.tls_cert;
  tls.key_file = flags.tls_key;
  tls.server_name = flags.agent_server_name;
  tls.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*scrape_timeout);
  auto agents = MtlsAgentClient::Create(tls);
  if (!agents) return usage(agents.error().ToString());
  for (const std::string& warning :
       tls::CertificateWarnings((*agents)->certificate(), tls::Side::kClient, clock.Wall(),
                                std::chrono::hours(24 * 7))) {
    log.Warn(warning, {{"file", flags.tls_cert}});
  }

  std::string identity = Identity();
  Metrics metrics;
  ReconcileJudge judge(policy, log);
  KubeStatusWriter writer(**client);
  kube::EventRecorderOptions event_options;
  event_options.host = identity;
  kube::EventRecorder recorder(**client, clock, event_options);
  KubeEventSink events(recorder, metrics, log);

  RepeatFilter lease_errors(clock, Informers::kRepeatLogPeriod);
  std::unique_ptr<kube::KubeLeaseLock> lease;
  std::unique_ptr<kube::LeaderElector> elector;
  std::unique_ptr<Leadership> leadership;
  if (flags.leader_elect) {
    lease = std::make_unique<kube::KubeLeaseLock>(**client, flags.leader_election_namespace,
                                                  flags.leader_election_id);
    kube::LeaderElectionConfig election;
    election.identity = identity;
    election.on_started_leading = [&] { log.Info("became leader", {{"identity", identity}}); };
    election.on_stopped_leading = [&] { log.Info("stopped leading", {{"identity", identity}}); };
    election.on_error = [&](const Error& error) {
      // Retried every couple of seconds: the same failure is logged once per few minutes.
      if (!lease_errors.Admit(error.ToString())) return;
      log.Warn("lease read or write failed",
               {{"lease", flags.leader_election_namespace + "/" + flags.leader_election_id},
                {"error", error.ToString()}});
    };
    election.on_new_leader = [&](const std::string& who) {
      log.Info("leader observed", {{"leader", who}});
    };
    if (Status valid = kube::ValidateLeaderElectionConfig(election); !valid) {
      return usage("leader election: " + valid.error().message);
    }
    elector = std::make_unique<kube::LeaderElector>(*lease, clock, election);
    leadership = std::make_unique<ElectorLeadership>(*elector);
  } else {
    leadership = std::make_unique<AlwaysLeader>();
  }

  ControllerOptions options;
  options.scope = *scope;
  options.agent_port = flags.agent_port;
  Controller controller(options, clock, judge, writer, events, *leadership, metrics, log);
  InformerScope informer_scope{flags.watch_namespace, flags.agent_namespace, flags.agent_selector};
  Liveness liveness(clock, *progress_deadline);
  Informers informers(**client, clock, controller, log, informer_scope, &liveness);

  std::atomic<bool> stopping{false};
  ProbeHandlers probes;
  probes.metrics = [&] {
    metrics.SetTlsCertificate((*agents)->certificate().not_after, (*agents)->tls_reloads(),
                              (*agents)->tls_reload_error().has_value());
    return metrics.Render();
  };
  probes.healthy = [&] { return !stopping.load(); };
  probes.stalled = [&] {
    std::string stalled = liveness.Stalled();
    if (!stalled.empty()) log.Error("liveness check failing", {{"stalled", stalled}});
    return stalled;
  };
  probes.ready = [&] { return informers.HasSynced(); };
  std::vector<std::unique_ptr<ProbeServer>> servers;
  for (const std::string& bind : {flags.metrics_bind, flags.health_bind}) {
    if (bind == "0" || bind.empty()) continue;
    if (!servers.empty() && bind == flags.metrics_bind) continue;  // same listener twice
    auto server = ProbeServer::Start(bind, probes);
    if (!server) return usage(server.error().ToString());
    servers.push_back(std::move(*server));
  }

  log.Info("starting", {{"identity", identity},
                        {"scope", flags.scope},
                        {"namespace", flags.watch_namespace.empty() ? "*" : flags.watch_namespace},
                        {"server", kube::RedactUrl(rest_config->server)},
                        {"leader-elect", flags.leader_elect ? "true" : "false"}});
  informers.Start();
  std::jthread election_thread;
  // Run returns when the lease is lost (e.g. the API server was down past the renew
  // deadline): stand for election again, or this replica would never write again.
  if (elector)
    election_thread = std::jthread([&](std::stop_token stop) {
      while (!stop.stop_requested()) elector->Run(stop);
    });

  // Shutdown is bounded: every loop below ends at `stopping`; requests still in flight after
  // the Lease's grace are cancelled; whatever still runs at kExitBound is abandoned.
  std::mutex done_mu;
  std::condition_variable done_cv;
  bool done = false;
  std::jthread signal_thread([&] {
    int signal = 0;
    sigwait(&signals, &signal);
    const auto signalled = std::chrono::steady_clock::now();
    std::unique_lock lock(done_mu);
    if (done) return;  // woken by the main thread on its way out
    log.Info("shutting down", {{"signal", std::to_string(signal)}});
    stopping = true;
    controller.Stop();
    if (done_cv.wait_until(lock, signalled + kLeaseReleaseGrace, [&] { return done; })) return;
    (*client)->Shutdown();
    if (done_cv.wait_until(lock, signalled + kExitBound, [&] { return done; })) return;
    log.Error("shutdown did not finish in time; exiting without it",
              {{"bound", std::to_string(kExitBound.count()) + "ms"}});
    std::_Exit(1);
  });

  while (!stopping && !informers.HasSynced()) {
    liveness.Beat("reconcile");
    controller.WaitForDirty(std::chrono::milliseconds(200));
  }
  if (!stopping)
    log.Info("informers synced", {{"workloads", std::to_string(controller.workload_count())}});

  ScraperOptions scraper_options;
  scraper_options.max_in_flight = flags.max_in_flight;
  Scraper scraper(controller, **agents, scraper_options);
  std::jthread scrape_thread([&](std::stop_token stop) {
    while (!stop.stop_requested() && !stopping) {
      liveness.Beat("scrape");
      auto started = clock.Monotonic();
      scraper.ScrapeAll();
      auto elapsed = clock.Monotonic() - started;
      for (auto waited = elapsed; waited < *interval && !stop.stop_requested() && !stopping;
           waited += std::chrono::milliseconds(100)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  });

  auto next_pass = clock.Monotonic();
  while (!stopping) {
    liveness.Beat("reconcile");
    auto now = clock.Monotonic();
    if (now >= next_pass) {
      PassStats stats = controller.RunPass();
      log.V(1, "pass",
            {{"judged", std::to_string(stats.judged)},
             {"writes", std::to_string(stats.planned_writes)}});
      next_pass = now + *interval;
    } else {
      controller.WaitForDirty(next_pass - now);
      controller.CheckDirty();
    }
  }

  informers.RequestStop();
  scrape_thread.request_stop();
  scrape_thread.join();
  if (election_thread.joinable()) {
    election_thread.request_stop();
    election_thread.join();  // releases the Lease so the other replica takes over at once
  }
  (*client)->Shutdown();  // nothing needs the API server now: the informers' requests end
  informers.Stop();
  {
    std::lock_guard lock(done_mu);
    done = true;
  }
  done_cv.notify_all();
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  return 0;
}

}  // namespace gt::controller
