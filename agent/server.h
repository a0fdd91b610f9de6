// The agent's HTTPS endpoint: mutual TLS (TLS 1.2+, a client certificate signed by the
// configured CA is required), async I/O on a small thread pool, per-connection deadlines,
// bounded request size and bounded concurrent connections, so a slow or hostile client
// costs one connection slot for at most a timeout and never stalls the sampler.
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
  int threads = 2;
  size_t max_connections = 64;
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds read_timeout{10'000};  // a whole request, and idle keep-alive
  std::chrono::milliseconds write_timeout{30'000};
  size_t max_request_header_bytes = 8 * 1024;
  size_t max_request_body_bytes = 0;              // GET only
  size_t max_reply_json_bytes = 4 * 1024 * 1024;  // then "more": true
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
  // Stops accepting, drops open connections and joins the threads. Idempotent.
  virtual void Stop() = 0;
};

// "0.0.0.0:9443" -> ("0.0.0.0", 9443); "[::1]:0"; ":9443" -> ("0.0.0.0", 9443).
Result<std::pair<std::string, uint16_t>> ParseListenAddress(std::string_view listen);

}  // namespace gt::agent
