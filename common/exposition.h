// Pieces of the Prometheus text exposition format (0.0.4) that both /metrics share: label
// escaping, a lock-free duration histogram, and the process_* metrics every Prometheus
// client library exports, read from /proc. The project writes its exposition by hand: its
// metrics are few, and this keeps the lean agent free of a metrics library.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gt {

// A label value with \, " and newline escaped, as the text format requires.
std::string EscapeLabelValue(std::string_view value);

// A histogram of durations with fixed bucket bounds (seconds, ascending). Observe is
// lock-free and may run on any thread; Render reads each counter once, so a render racing an
// observation may be off by that observation between buckets and _sum, never more.
class DurationHistogram {
 public:
  static constexpr size_t kMaxBuckets = 16;
  // At most kMaxBuckets bounds (more are ignored); +Inf is implicit.
  explicit DurationHistogram(std::vector<double> upper_bounds_seconds);

  void Observe(std::chrono::nanoseconds duration);
  uint64_t count() const;

  // "# HELP", "# TYPE name histogram", the cumulative _bucket{le=...} lines, _sum and _count.
  void Render(std::string& out, std::string_view name, std::string_view help) const;

 private:
  std::vector<double> bounds_;
  std::array<std::atomic<uint64_t>, kMaxBuckets + 1> counts_{};  // per bucket, not cumulative
  std::atomic<uint64_t> sum_ns_{0};
};

// Where the process_* figures come from: /proc/self and /proc/stat (btime) by default; a
// test points these at files it writes.
struct ProcSource {
  std::string self = "/proc/self";
  std::string stat = "/proc/stat";
};

// process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
// process_start_time_seconds, process_open_fds and process_max_fds, each with HELP and TYPE,
// named and typed as the Prometheus client libraries name them. A figure whose source cannot
// be read or parsed is left out (never a made-up 0).
std::string ProcessMetrics(const ProcSource& source = {});

}  // namespace gt
