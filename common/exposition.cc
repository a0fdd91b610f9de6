#include "common/exposition.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

namespace gt {
namespace {

std::string Number(double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", value);
  return buf;
}

void Gauge(std::string& out, std::string_view name, std::string_view type, std::string_view help,
           double value) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  out.append(name).append(" ").append(Number(value)).append("\n");
}

std::optional<std::string> ReadSmall(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// /proc/<pid>/stat fields after the command name, which is in parentheses and may itself hold
// spaces and parentheses: the fields start after the last ')'. fields[0] is field 3 (state).
std::vector<std::string> StatFields(const std::string& stat) {
  std::vector<std::string> fields;
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return fields;
  std::istringstream in(stat.substr(close + 1));
  std::string field;
  while (in >> field) fields.push_back(field);
  return fields;
}

std::optional<double> Field(const std::vector<std::string>& fields, size_t number) {
  if (number < 3 || number - 3 >= fields.size()) return std::nullopt;
  try {
    size_t used = 0;
    double value = std::stod(fields[number - 3], &used);
    if (used != fields[number - 3].size()) return std::nullopt;
    return value;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<double> BootTime(const std::string& stat_path) {
  std::optional<std::string> text = ReadSmall(stat_path);
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("btime ", 0) == 0) {
      try {
        return std::stod(line.substr(6));
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

// The soft limit on open files from <self>/limits ("Max open files  1024  4096  files").
std::optional<double> MaxOpenFiles(const std::string& limits_path) {
  std::optional<std::string> text = ReadSmall(limits_path);
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Max open files", 0) != 0) continue;
    std::istringstream fields(line.substr(14));
    std::string soft;
    fields >> soft;
    if (soft == "unlimited") return static_cast<double>(RLIM_INFINITY);
    try {
      return std::stod(soft);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::optional<double> OpenFiles(const std::string& fd_dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(fd_dir, ec);
  if (ec) return std::nullopt;
  double n = 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return std::nullopt;
    ++n;
  }
  return n;  // as the client libraries count: the directory's own descriptor included
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  return out;
}

DurationHistogram::DurationHistogram(std::vector<double> upper_bounds_seconds)
    : bounds_(std::move(upper_bounds_seconds)) {
  if (bounds_.size() > kMaxBuckets) bounds_.resize(kMaxBuckets);
  std::sort(bounds_.begin(), bounds_.end());
}

void DurationHistogram::Observe(std::chrono::nanoseconds duration) {
  int64_t ns = std::max<int64_t>(duration.count(), 0);
  double seconds = static_cast<double>(ns) / 1e9;
  size_t bucket = std::lower_bound(bounds_.begin(), bounds_.end(), seconds) - bounds_.begin();
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<uint64_t>(ns), std::memory_order_relaxed);
}

uint64_t DurationHistogram::count() const {
  uint64_t n = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) n += counts_[i].load(std::memory_order_relaxed);
  return n;
}

void DurationHistogram::Render(std::string& out, std::string_view name,
                               std::string_view help) const {
  std::string base(name);
  out.append("# HELP ").append(base).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(base).append(" histogram\n");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    char le[32];
    std::snprintf(le, sizeof le, "%g", bounds_[i]);
    out.append(base)
        .append("_bucket{le=\"")
        .append(le)
        .append("\"} ")
        .append(std::to_string(cumulative))
        .append("\n");
  }
  cumulative += counts_[bounds_.size()].load(std::memory_order_relaxed);
  out.append(base).append("_bucket{le=\"+Inf\"} ").append(std::to_string(cumulative)).append("\n");
  out.append(base).append("_sum ").append(
      Number(static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9));
  out.append("\n").append(base).append("_count ").append(std::to_string(cumulative)).append("\n");
}

std::string ProcessMetrics(const ProcSource& source) {
  std::string out;
  std::optional<std::string> stat = ReadSmall(source.self + "/stat");
  std::vector<std::string> fields = stat ? StatFields(*stat) : std::vector<std::string>();
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  std::optional<double> utime = Field(fields, 14), stime = Field(fields, 15);
  if (utime && stime && ticks > 0) {
    Gauge(out, "process_cpu_seconds_total", "counter",
          "Total user and system CPU time spent in seconds.", (*utime + *stime) / ticks);
  }
  if (std::optional<double> vsize = Field(fields, 23)) {
    Gauge(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", *vsize);
  }
  if (std::optional<double> rss = Field(fields, 24); rss && page > 0) {
    Gauge(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
          *rss * page);
  }
  std::optional<double> start = Field(fields, 22), boot = BootTime(source.stat);
  if (start && boot && ticks > 0) {
    Gauge(out, "process_start_time_seconds", "gauge",
          "Start time of the process since unix epoch in seconds.", *boot + *start / ticks);
  }
  if (std::optional<double> open = OpenFiles(source.self + "/fd")) {
    Gauge(out, "process_open_fds", "gauge", "Number of open file descriptors.", *open);
  }
  if (std::optional<double> max = MaxOpenFiles(source.self + "/limits")) {
    Gauge(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.", *max);
  }
  return out;
}

}  // namespace gt
