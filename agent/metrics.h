// Counters the sampler and the server update lock-free and /metrics renders.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "agent/ring.h"
#include "common/exposition.h"
#include "common/reading.h"

namespace gt::agent {

struct AgentMetrics {
  std::atomic<uint64_t> samples_taken{0};
  std::atomic<uint64_t> sample_failures{0};
  std::atomic<uint64_t> read_errors{0};
  DurationHistogram sample_duration{
      {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}};
  std::atomic<uint64_t> last_sample_duration_ns{0};
  std::atomic<int64_t> last_sample_monotonic_ns{-1};  // -1: no sample yet
  std::atomic<uint64_t> cgroups_tracked{0};
  std::atomic<uint64_t> pods_tracked{0};

  std::atomic<uint64_t> connections_active{0};  // authenticated, being served
  std::atomic<uint64_t> handshakes_pending{0};  // connections holding a handshake place
  // Refused at accept (the peer's or the pool's bound) or, once authenticated, with a 429
  // because max_connections were being served.
  std::atomic<uint64_t> connections_rejected{0};
  // The peer spoke TLS and failed: no, untrusted or wrong certificate, bad protocol.
  std::atomic<uint64_t> tls_handshake_failures{0};
  // Our serving certificate: its expiry (Unix seconds), rotations picked up from disk, and
  // whether the files on disk changed but do not load (the previous ones stay in use).
  std::atomic<int64_t> tls_certificate_expiry_seconds{0};
  std::atomic<uint64_t> tls_reloads{0};
  std::atomic<int> tls_reload_failing{0};
  // The handshake never finished: deadline, evicted for a newcomer, or closed by the peer
  // (a port check, a scanner).
  std::atomic<uint64_t> handshakes_abandoned{0};
  std::atomic<uint64_t> request_errors{0};  // unreadable, oversized or timed-out requests
  std::atomic<uint64_t> reply_bytes{0};     // reply bodies alive (set when rendered)
  std::atomic<uint64_t> replies_built{0};
  std::atomic<uint64_t> replies_shared{0};

  // Scrape requests by HTTP status code.
  static constexpr std::array<int, 10> kCodes = {200, 400, 404, 405, 413, 429, 431, 500, 503, 0};
  std::array<std::atomic<uint64_t>, kCodes.size()> requests_by_code{};
  void CountRequest(int code);

  // Where process_* metrics are read from (a test points it at files it writes).
  ProcSource proc;

  // Prometheus text exposition format 0.0.4.
  std::string Render(const Ring& ring, MonotonicTime now) const;
};

}  // namespace gt::agent
