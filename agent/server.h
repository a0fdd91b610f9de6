// The agent's HTTPS endpoint: mutual TLS (TLS 1.2+, a client certificate signed by the
// configured CA is required), async I/O on a small thread pool, per-connection deadlines and
// bounded request size. Capacity is split so that no client can take what others need:
//   - connections still in the TLS handshake sit in a small pool shared fairly by source
//     address (agent/admission.h) under a short deadline, so idle or slow sockets cannot hold
//     the places of authenticated clients;
//   - authenticated connections are bounded by max_connections; one more gets 429;
//   - reply bodies are built once and shared (agent/replies.h) within a byte budget; a reply
//     beyond it gets 429 with Retry-After, so memory does not grow with what clients do.
// A separate plain-HTTP port answers only GET /healthz, for the kubelet's probes, and
// GET /metrics, for Prometheus (the agent's own counters: no readings, nothing secret).
//
//   GET /v1/samples?since=<cursor>   wire format v1 (wire/samples.h); gzip if accepted
//   GET /healthz                     200 while samples are fresh, 503 otherwise
//   GET /metrics                     Prometheus text format
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "agent/metrics.h"
#include "agent/ring.h"
#include "common/clock.h"
#include "common/result.h"
#include "wire/samples.h"

namespace gt::agent {

struct ServerOptions {
  std::string listen = "0.0.0.0:9443";  // host:port, [v6]:port or :port; port 0 picks one
  std::string tls_ca;                   // PEM file: CA that client certificates must chain to
  std::string tls_cert;                 // PEM file: this agent's certificate (chain)
  std::string tls_key;                  // PEM file: its private key
  // The name a client's certificate must carry (the controller's, as `groundtruth certs` and
  // the cert-manager overlay issue it); empty: any client certificate the CA signed.
  std::string tls_client_name = "groundtruth-controller";
  // How often the three PEM files are looked at for a rotation (cert-manager, a Secret volume
  // update): new connections get the new files, open ones keep theirs.
  std::chrono::nanoseconds tls_reload_check = std::chrono::seconds(10);
  // host:port for plain-HTTP GET /healthz (liveness: the sampler's freshness, no data) and
  // GET /metrics (the agent's own counters); empty: no probe port.
  std::string probe_listen;
  int threads = 2;
  size_t max_connections = 64;         // authenticated connections served at once
  size_t max_handshakes = 64;          // connections not yet authenticated, from anyone
  size_t max_handshakes_per_peer = 4;  // of those, from one source address
  std::chrono::milliseconds handshake_timeout{3'000};
  // A full handshake pool gives a newcomer a place held this long by a peer as heavy as it.
  std::chrono::milliseconds handshake_evict_after{500};
  std::chrono::milliseconds read_timeout{10'000};  // a whole request, and idle keep-alive
  std::chrono::milliseconds write_timeout{30'000};
  size_t max_request_header_bytes = 8 * 1024;
  size_t max_request_body_bytes = 0;              // GET only
  size_t max_reply_json_bytes = 4 * 1024 * 1024;  // then "more": true
  // Reply bodies alive at once (shared, being written or being built); beyond: 429.
  size_t max_reply_bytes = 16 * 1024 * 1024;
  // SO_SNDBUF of each connection (0: the kernel's autotuning, up to 4 MiB per socket on
  // Linux). Socket buffers are charged to the pod's memory cgroup as well.
  int socket_send_buffer_bytes = 64 * 1024;
  size_t max_probe_connections = 8;
  std::chrono::milliseconds probe_timeout{2'000};
};

struct ServedNode {
  wire::NodeIdentity identity;
  std::chrono::nanoseconds interval{std::chrono::seconds(5)};
};

class Server {
 public:
  // Binds, loads the TLS material and starts serving; errors name the file or address.
  static Result<std::unique_ptr<Server>> Start(const ServerOptions& options, const Ring& ring,
                                               AgentMetrics& metrics, const Clock& clock,
                                               ServedNode node);
  virtual ~Server() = default;
  virtual uint16_t port() const = 0;
  virtual uint16_t probe_port() const = 0;  // 0 without a probe port
  // Stops accepting, drops open connections and joins the threads. Idempotent.
  virtual void Stop() = 0;
};

// "0.0.0.0:9443" -> ("0.0.0.0", 9443); "[::1]:0"; ":9443" -> ("0.0.0.0", 9443). The host
// must be a numeric IPv4 or IPv6 address: the agent resolves no names.
Result<std::pair<std::string, uint16_t>> ParseListenAddress(std::string_view listen);

}  // namespace gt::agent
