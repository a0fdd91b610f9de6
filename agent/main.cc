#include "agent/main.h"

#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "agent/log.h"
#include "agent/sampler.h"
#include "agent/server.h"
#include "collectors/host.h"
#include "common/duration.h"
#include "common/version.h"

namespace gt::agent {
namespace {

// Each served connection may hold TLS buffers and a reply in the kernel's send buffer: a few
// hundred KiB at worst, so thousands would not fit the DaemonSet's memory limit.
constexpr long long kMaxConnectionsBound = 1024;

std::string DefaultNodeName() {
  if (const char* env = std::getenv("NODE_NAME"); env != nullptr && *env != '\0') return env;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0 && host[0] != '\0') return host;
  return "unknown";
}

}  // namespace

void TuneAllocatorForSteadyState() {
  mallopt(M_MMAP_THRESHOLD, 64 * 1024);
  mallopt(M_ARENA_MAX, 2);
}

int AgentMain(int argc, char** argv) {
  CLI::App app{
      "Node agent: samples pod and container cgroups into a bounded ring and serves "
      "them over HTTPS with mutual TLS."};
  app.name("groundtruth agent");
  app.set_version_flag("--version", VersionLine("groundtruth agent"));
  std::string interval_text = "5s";
  std::string retention_text = "15m";
  std::string node_name = DefaultNodeName();
  size_t ring_max_mib = 4;
  ServerOptions server;
  // Signed, so that a negative value is refused by name rather than wrapped to a huge bound.
  long long max_connections = static_cast<long long>(server.max_connections);
  SamplerOptions sampler;
  app.add_option("--interval", interval_text, "Sampling interval (Go duration)")
      ->capture_default_str();
  app.add_option("--retention", retention_text,
                 "How far back the ring reaches, at most (also bounded by --ring-max-mib)")
      ->capture_default_str();
  app.add_option("--ring-max-mib", ring_max_mib,
                 "Memory bound of the ring in MiB (compressed samples); retention shrinks on "
                 "nodes whose samples do not fit")
      ->capture_default_str();
  app.add_option("--listen", server.listen, "host:port to serve HTTPS on")->capture_default_str();
  app.add_option("--probe-listen", server.probe_listen,
                 "host:port to serve plain-HTTP GET /healthz (200 while samples are fresh) "
                 "and GET /metrics (the agent's own counters) on, for the kubelet's probes "
                 "and Prometheus; no readings; empty: none")
      ->capture_default_str();
  app.add_option("--node-name", node_name,
                 "Node name reported to the controller (default: "
                 "$NODE_NAME, else the hostname)");
  app.add_option("--host-proc", sampler.host.proc, "The host's /proc")->capture_default_str();
  app.add_option("--host-sys", sampler.host.cgroup, "The host's cgroup root (/sys/fs/cgroup)")
      ->capture_default_str();
  app.add_option("--kubepods-cgroup", sampler.kubepods_relative,
                 "Read only pods under this cgroup (relative path); default: find kubepods");
  app.add_option("--tls-ca", server.tls_ca, "CA (PEM) that client certificates must chain to")
      ->required();
  app.add_option("--tls-cert", server.tls_cert, "This agent's certificate (PEM)")->required();
  app.add_option("--tls-key", server.tls_key, "This agent's private key (PEM)")->required();
  app.add_option("--tls-client-name", server.tls_client_name,
                 "The name a client certificate must carry (DNS SAN, or CN without SANs); "
                 "empty: any certificate the CA signed for clientAuth")
      ->capture_default_str();
  app.add_option("--max-connections", max_connections,
                 "Authenticated client connections served at once (1-" +
                     std::to_string(kMaxConnectionsBound) +
                     "); one more is answered 429. Connections still in the TLS handshake "
                     "have their own bounded pool")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 3;
  }

  auto interval = ParseDuration(interval_text);
  auto retention = ParseDuration(retention_text);
  if (!interval || *interval < std::chrono::milliseconds(100)) {
    std::cerr << "groundtruth agent: --interval: expected a duration of at least 100ms\n";
    return 3;
  }
  if (!retention || *retention < *interval) {
    std::cerr << "groundtruth agent: --retention: expected a duration no shorter than --interval\n";
    return 3;
  }
  if (ring_max_mib == 0) {
    std::cerr << "groundtruth agent: --ring-max-mib must be at least 1\n";
    return 3;
  }
  if (max_connections < 1 || max_connections > kMaxConnectionsBound) {
    std::cerr << "groundtruth agent: --max-connections: expected 1 to " << kMaxConnectionsBound
              << ", got " << max_connections << "\n";
    return 3;
  }
  server.max_connections = static_cast<size_t>(max_connections);
  for (const auto& [flag, value] :
       {std::pair<const char*, const std::string&>{"--listen", server.listen},
        {"--probe-listen", server.probe_listen}}) {
    if (value.empty() && std::string_view(flag) == "--probe-listen") continue;
    if (auto parsed = ParseListenAddress(value); !parsed) {
      std::cerr << "groundtruth agent: " << flag << ": " << parsed.error().message << " (got \""
                << value << "\"; expected host:port with a numeric host, e.g. 0.0.0.0:9443)\n";
      return 3;
    }
  }
  sampler.interval = *interval;
  TuneAllocatorForSteadyState();

  // SIGTERM/SIGINT are taken by sigwait below; every thread started after this inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  // About 20 descriptors per cgroup stay open between ticks.
  if (auto limit = collectors::RaiseOpenFileLimit(); !limit) {
    LogWarning("cannot raise the open file limit: " + limit.error().ToString());
  }

  SystemClock clock;
  AgentMetrics metrics;
  RingLimits limits;
  limits.max_samples = static_cast<size_t>(*retention / *interval);
  limits.max_bytes = ring_max_mib * 1024 * 1024;
  Ring ring(limits);

  auto boot_id = ReadBootId(sampler.host);
  if (!boot_id) {
    LogError("cannot read the boot id: " + boot_id.error().ToString());
    return 1;
  }
  auto made = Sampler::Create(sampler, ring, clock, metrics);
  if (!made) {
    LogError("cannot start sampling: " + made.error().ToString());
    return 1;
  }
  std::unique_ptr<Sampler> sampling = std::move(*made);

  ServedNode node{wire::NodeIdentity{node_name, *boot_id}, *interval};
  auto started = Server::Start(server, ring, metrics, clock, node);
  if (!started) {
    LogError("cannot serve: " + started.error().ToString());
    return 1;
  }
  std::unique_ptr<Server> serving = std::move(*started);
  LogInfo("agent started: node=" + node_name + " boot_id=" + *boot_id + " listen=" + server.listen +
          " port=" + std::to_string(serving->port()) +
          (server.probe_listen.empty() ? std::string()
                                       : " probe_listen=" + server.probe_listen + " probe_port=" +
                                             std::to_string(serving->probe_port())) +
          " interval=" + FormatDuration(*interval) + " ring=" + std::to_string(limits.max_samples) +
          " samples/" + std::to_string(ring_max_mib) + "MiB proc=" + sampler.host.proc +
          " cgroup=" + sampler.host.cgroup + " tls_ca=" + server.tls_ca);

  std::thread sampler_thread([&] { sampling->Run(); });
  int sig = 0;
  sigwait(&signals, &sig);
  LogInfo(std::string("stopping on ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT"));
  serving->Stop();
  sampling->Stop();
  sampler_thread.join();
  LogInfo("agent stopped after " + std::to_string(metrics.samples_taken.load()) + " samples");
  return 0;
}

}  // namespace gt::agent
