#include "agent/metrics.h"

#include <cstdio>

#include "common/version.h"

namespace gt::agent {
namespace {

void Metric(std::string& out, const char* name, const char* type, const char* help, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", value);  // whole seconds of a Unix time exact
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  out.append(name).append(" ").append(buf).append("\n");
}

}  // namespace

void AgentMetrics::CountRequest(int code) {
  for (size_t i = 0; i < kCodes.size(); ++i) {
    if (kCodes[i] == code || kCodes[i] == 0) {
      requests_by_code[i].fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
}

std::string AgentMetrics::Render(const Ring& ring, MonotonicTime now) const {
  std::string out;
  out.reserve(4096);
  out += BuildInfoMetric();
  out += ProcessMetrics(proc);
  uint64_t taken = samples_taken.load();
  Metric(out, "groundtruth_agent_samples_total", "counter", "Samples taken since start.", taken);
  Metric(out, "groundtruth_agent_sample_failures_total", "counter",
         "Ticks that produced no sample.", sample_failures.load());
  sample_duration.Render(out, "groundtruth_agent_sample_duration_seconds",
                         "Time to discover, read, encode and store one sample.");
  char buf[160];
  Metric(out, "groundtruth_agent_last_sample_duration_seconds", "gauge",
         "Duration of the newest sample.", last_sample_duration_ns.load() / 1e9);
  int64_t last = last_sample_monotonic_ns.load();
  if (last >= 0) {
    Metric(out, "groundtruth_agent_last_sample_age_seconds", "gauge",
           "Seconds since the newest sample was taken.",
           static_cast<double>(now.count() - last) / 1e9);
  }
  Metric(out, "groundtruth_agent_read_errors_total", "counter",
         "Cgroup or node reads that failed for a reason other than the cgroup vanishing.",
         read_errors.load());
  Metric(out, "groundtruth_agent_cgroups", "gauge", "Pod and container cgroups being read.",
         cgroups_tracked.load());
  Metric(out, "groundtruth_agent_pods", "gauge", "Pods found in the newest sample.",
         pods_tracked.load());
  Metric(out, "groundtruth_agent_ring_samples", "gauge", "Samples held in the ring.", ring.size());
  Metric(out, "groundtruth_agent_ring_bytes", "gauge", "Compressed bytes held in the ring.",
         ring.stored_bytes());
  Metric(out, "groundtruth_agent_ring_evicted_total", "counter",
         "Samples dropped from the ring to stay within its bounds.", ring.evicted());
  Metric(out, "groundtruth_agent_connections_active", "gauge",
         "Authenticated client connections being served.", connections_active.load());
  Metric(out, "groundtruth_agent_handshakes_pending", "gauge",
         "Connections not yet authenticated (TLS handshake in progress).",
         handshakes_pending.load());
  Metric(out, "groundtruth_agent_connections_rejected_total", "counter",
         "Connections refused: over the per-peer or total handshake bound at accept, or "
         "answered 429 over --max-connections.",
         connections_rejected.load());
  Metric(out, "groundtruth_agent_tls_handshake_failures_total", "counter",
         "TLS handshakes that failed (no, untrusted or wrong client certificate, bad protocol).",
         tls_handshake_failures.load());
  Metric(out, "groundtruth_agent_tls_certificate_expiry_timestamp_seconds", "gauge",
         "When the agent's serving certificate expires (Unix time).",
         tls_certificate_expiry_seconds.load());
  Metric(out, "groundtruth_agent_tls_reloads_total", "counter",
         "Certificate rotations on disk picked up.", tls_reloads.load());
  Metric(out, "groundtruth_agent_tls_reload_failing", "gauge",
         "1 while the files on disk changed but do not load (the previous ones stay in use).",
         tls_reload_failing.load());
  Metric(out, "groundtruth_agent_handshakes_abandoned_total", "counter",
         "Handshakes that never finished: deadline passed, evicted for a newcomer, or closed "
         "by the peer.",
         handshakes_abandoned.load());
  Metric(out, "groundtruth_agent_reply_bytes", "gauge",
         "Bytes of /v1/samples reply bodies held (shared, being written or built).",
         reply_bytes.load());
  Metric(out, "groundtruth_agent_replies_built_total", "counter",
         "/v1/samples reply bodies encoded.", replies_built.load());
  Metric(out, "groundtruth_agent_replies_shared_total", "counter",
         "/v1/samples replies served from a body already built for another client.",
         replies_shared.load());
  Metric(out, "groundtruth_agent_request_errors_total", "counter",
         "Requests that could not be read: oversized, malformed or timed out.",
         request_errors.load());
  out.append(
      "# HELP groundtruth_agent_scrape_requests_total HTTP requests served, by status code.\n"
      "# TYPE groundtruth_agent_scrape_requests_total counter\n");
  for (size_t i = 0; i < kCodes.size(); ++i) {
    std::snprintf(buf, sizeof buf, "groundtruth_agent_scrape_requests_total{code=\"%s\"} %llu\n",
                  kCodes[i] == 0 ? "other" : std::to_string(kCodes[i]).c_str(),
                  static_cast<unsigned long long>(requests_by_code[i].load()));
    out.append(buf);
  }
  return out;
}

}  // namespace gt::agent
