#include "reconcile/policy.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <functional>
#include <string>
#include <variant>

#include "common/duration.h"

namespace gt::reconcile {
namespace {

// What kind of value a parameter takes decides how its text is parsed and checked.
using RatioRef = double& (*)(Policy&);
using NumberRef = double& (*)(Policy&);
using WindowRef = Seconds& (*)(Policy&);
using RecoveryRef = std::optional<Seconds>& (*)(Policy&);
using SwitchRef = bool& (*)(Policy&);
using CountRef = int& (*)(Policy&);
using SegmentsRef = uint64_t& (*)(Policy&);

struct Ratio {
  RatioRef ref;
};
struct Rate {
  NumberRef ref;
};
struct Headroom {
  NumberRef ref;
};
struct Window {
  WindowRef ref;
};
struct Recovery {
  RecoveryRef ref;
};
struct Switch {
  SwitchRef ref;
};
struct Count {
  CountRef ref;
};
struct Segments {
  SegmentsRef ref;
};
using Setter = std::variant<Ratio, Rate, Headroom, Window, Recovery, Switch, Count, Segments>;

struct Parameter {
  std::string_view key;
  Setter setter;
};

// clang-format off
const std::array kParameters = {
  Parameter{"observation.window", Window{[](Policy& p) -> Seconds& { return p.observation.window; }}},
  Parameter{"observation.max-gap", Window{[](Policy& p) -> Seconds& { return p.observation.max_gap; }}},
  Parameter{"observation.max-age", Window{[](Policy& p) -> Seconds& { return p.observation.max_age; }}},

  Parameter{"oom-killed.enabled", Switch{[](Policy& p) -> bool& { return p.oom_killed.enabled; }}},
  Parameter{"oom-killed.recovery", Window{[](Policy& p) -> Seconds& { return p.oom_killed.recovery; }}},

  Parameter{"memory-thrashing.enabled", Switch{[](Policy& p) -> bool& { return p.memory_thrashing.enabled; }}},
  Parameter{"memory-thrashing.psi-some", Ratio{[](Policy& p) -> double& { return p.memory_thrashing.psi_some; }}},
  Parameter{"memory-thrashing.window", Window{[](Policy& p) -> Seconds& { return p.memory_thrashing.window; }}},
  Parameter{"memory-thrashing.windows", Count{[](Policy& p) -> int& { return p.memory_thrashing.windows; }}},
  Parameter{"memory-thrashing.psi-full", Ratio{[](Policy& p) -> double& { return p.memory_thrashing.psi_full; }}},
  Parameter{"memory-thrashing.full-window", Window{[](Policy& p) -> Seconds& { return p.memory_thrashing.full_window; }}},
  Parameter{"memory-thrashing.refault-rate", Rate{[](Policy& p) -> double& { return p.memory_thrashing.refault_rate; }}},
  Parameter{"memory-thrashing.major-fault-rate", Rate{[](Policy& p) -> double& { return p.memory_thrashing.major_fault_rate; }}},
  Parameter{"memory-thrashing.working-set-ratio", Ratio{[](Policy& p) -> double& { return p.memory_thrashing.working_set_ratio; }}},
  Parameter{"memory-thrashing.recovery", Recovery{[](Policy& p) -> std::optional<Seconds>& { return p.memory_thrashing.recovery; }}},

  Parameter{"memory-saturated.enabled", Switch{[](Policy& p) -> bool& { return p.memory_saturated.enabled; }}},
  Parameter{"memory-saturated.working-set-ratio", Ratio{[](Policy& p) -> double& { return p.memory_saturated.working_set_ratio; }}},
  Parameter{"memory-saturated.window", Window{[](Policy& p) -> Seconds& { return p.memory_saturated.window; }}},
  Parameter{"memory-saturated.recovery", Recovery{[](Policy& p) -> std::optional<Seconds>& { return p.memory_saturated.recovery; }}},

  Parameter{"cpu-throttled.enabled", Switch{[](Policy& p) -> bool& { return p.cpu_throttled.enabled; }}},
  Parameter{"cpu-throttled.ratio", Ratio{[](Policy& p) -> double& { return p.cpu_throttled.ratio; }}},
  Parameter{"cpu-throttled.window", Window{[](Policy& p) -> Seconds& { return p.cpu_throttled.window; }}},
  Parameter{"cpu-throttled.throttled-time", Ratio{[](Policy& p) -> double& { return p.cpu_throttled.throttled_time; }}},
  Parameter{"cpu-throttled.psi-some", Ratio{[](Policy& p) -> double& { return p.cpu_throttled.psi_some; }}},
  Parameter{"cpu-throttled.usage-ratio", Ratio{[](Policy& p) -> double& { return p.cpu_throttled.usage_ratio; }}},
  Parameter{"cpu-throttled.recovery", Recovery{[](Policy& p) -> std::optional<Seconds>& { return p.cpu_throttled.recovery; }}},

  Parameter{"io-contention.enabled", Switch{[](Policy& p) -> bool& { return p.io_contention.enabled; }}},
  Parameter{"io-contention.psi-full", Ratio{[](Policy& p) -> double& { return p.io_contention.psi_full; }}},
  Parameter{"io-contention.window", Window{[](Policy& p) -> Seconds& { return p.io_contention.window; }}},
  Parameter{"io-contention.recovery", Recovery{[](Policy& p) -> std::optional<Seconds>& { return p.io_contention.recovery; }}},

  Parameter{"processes-blocked.enabled", Switch{[](Policy& p) -> bool& { return p.processes_blocked.enabled; }}},
  Parameter{"processes-blocked.window", Window{[](Policy& p) -> Seconds& { return p.processes_blocked.window; }}},
  Parameter{"processes-blocked.recovery", Recovery{[](Policy& p) -> std::optional<Seconds>& { return p.processes_blocked.recovery; }}},

  Parameter{"pids-exhausted.enabled", Switch{[](Policy& p) -> bool& { return p.pids_exhausted.enabled; }}},
  Parameter{"pids-exhausted.recovery", Window{[](Policy& p) -> Seconds& { return p.pids_exhausted.recovery; }}},

  Parameter{"node-overcommitted.enabled", Switch{[](Policy& p) -> bool& { return p.node_overcommitted.enabled; }}},
  Parameter{"node-overcommitted.blame", Switch{[](Policy& p) -> bool& { return p.node_overcommit_blames_workload; }}},
  Parameter{"node-overcommitted.commit-ratio", Rate{[](Policy& p) -> double& { return p.node_overcommitted.commit_ratio; }}},
  Parameter{"node-overcommitted.psi-some", Ratio{[](Policy& p) -> double& { return p.node_overcommitted.psi_some; }}},
  Parameter{"node-overcommitted.window", Window{[](Policy& p) -> Seconds& { return p.node_overcommitted.window; }}},
  Parameter{"node-overcommitted.recovery", Recovery{[](Policy& p) -> std::optional<Seconds>& { return p.node_overcommitted.recovery; }}},

  Parameter{"network-degraded.enabled", Switch{[](Policy& p) -> bool& { return p.network_degraded.enabled; }}},
  Parameter{"network-degraded.ratio", Ratio{[](Policy& p) -> double& { return p.network_degraded.ratio; }}},
  Parameter{"network-degraded.window", Window{[](Policy& p) -> Seconds& { return p.network_degraded.window; }}},
  Parameter{"network-degraded.min-segments", Segments{[](Policy& p) -> uint64_t& { return p.network_degraded.min_segments; }}},
  Parameter{"network-degraded.recovery", Recovery{[](Policy& p) -> std::optional<Seconds>& { return p.network_degraded.recovery; }}},

  Parameter{"recommendation.memory-headroom", Headroom{[](Policy& p) -> double& { return p.recommendation.memory_headroom; }}},
  Parameter{"recommendation.cpu-headroom", Headroom{[](Policy& p) -> double& { return p.recommendation.cpu_headroom; }}},
  Parameter{"recommendation.pids-headroom", Headroom{[](Policy& p) -> double& { return p.recommendation.pids_headroom; }}},
};
// clang-format on

Error Bad(std::string_view key, std::string_view value, std::string_view why) {
  std::string msg = "groundtruth.dev/";
  msg += key;
  msg += ": \"";
  msg += value;
  msg += "\": ";
  msg += why;
  return MakeError(ErrorCode::kInvalid, std::move(msg));
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<double> ParseNumber(std::string_view s) {
  double out = 0;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, out);
  if (ec != std::errc() || ptr != end || !std::isfinite(out)) return std::nullopt;
  return out;
}

Result<double> ParseRatio(std::string_view key, std::string_view value) {
  std::string_view s = value;
  bool percent = false;
  if (!s.empty() && s.back() == '%') {
    percent = true;
    s.remove_suffix(1);
  }
  std::optional<double> n = ParseNumber(s);
  if (!n) return Bad(key, value, "not a ratio; write e.g. 0.25 or 25%");
  double ratio = percent ? *n / 100 : *n;
  if (ratio < 0 || ratio > 1)
    return Bad(key, value, "a ratio must lie between 0 and 1 (0% and 100%)");
  return ratio;
}

Result<Seconds> ParseWindow(std::string_view key, std::string_view value) {
  Result<std::chrono::nanoseconds> d = ParseDuration(value);
  if (!d) return Bad(key, value, "not a duration; write e.g. 90s, 5m or 1m30s");
  if (*d < std::chrono::seconds(1)) return Bad(key, value, "a window must be at least 1s");
  if (*d > std::chrono::hours(24 * 7)) return Bad(key, value, "a window must be at most 168h");
  return std::chrono::duration_cast<Seconds>(*d);
}

Result<bool> ParseSwitch(std::string_view key, std::string_view value) {
  if (value == "true") return true;
  if (value == "false") return false;
  return Bad(key, value, "write true or false");
}

Seconds Scale(Seconds s, double factor) {
  auto scaled = static_cast<Seconds::rep>(std::llround(static_cast<double>(s.count()) * factor));
  return Seconds(std::max<Seconds::rep>(1, scaled));
}

}  // namespace

Policy DefaultPolicy() { return Policy{}; }

Seconds RecoveryOf(const Policy::MemoryThrashing& r) {
  return r.recovery.value_or(r.window * std::max(1, r.windows));
}
Seconds RecoveryOf(const Policy::MemorySaturated& r) { return r.recovery.value_or(r.window); }
Seconds RecoveryOf(const Policy::CpuThrottled& r) { return r.recovery.value_or(r.window); }
Seconds RecoveryOf(const Policy::IoContention& r) { return r.recovery.value_or(r.window); }
Seconds RecoveryOf(const Policy::ProcessesBlocked& r) { return r.recovery.value_or(r.window); }
Seconds RecoveryOf(const Policy::NodeOvercommitted& r) { return r.recovery.value_or(r.window); }
Seconds RecoveryOf(const Policy::NetworkDegraded& r) { return r.recovery.value_or(r.window); }

Policy WithWindow(Policy p, std::chrono::seconds window) {
  if (window < Seconds(1)) window = Seconds(1);
  // Recovery windows are made explicit first so that they scale with everything else.
  p.memory_thrashing.recovery = RecoveryOf(p.memory_thrashing);
  p.memory_saturated.recovery = RecoveryOf(p.memory_saturated);
  p.cpu_throttled.recovery = RecoveryOf(p.cpu_throttled);
  p.io_contention.recovery = RecoveryOf(p.io_contention);
  p.processes_blocked.recovery = RecoveryOf(p.processes_blocked);
  p.node_overcommitted.recovery = RecoveryOf(p.node_overcommitted);
  p.network_degraded.recovery = RecoveryOf(p.network_degraded);

  std::vector<Seconds*> windows = {
      &p.observation.window,           &p.memory_thrashing.window,
      &p.memory_thrashing.full_window, &*p.memory_thrashing.recovery,
      &p.memory_saturated.window,      &*p.memory_saturated.recovery,
      &p.cpu_throttled.window,         &*p.cpu_throttled.recovery,
      &p.io_contention.window,         &*p.io_contention.recovery,
      &p.processes_blocked.window,     &*p.processes_blocked.recovery,
      &p.node_overcommitted.window,    &*p.node_overcommitted.recovery,
      &p.network_degraded.window,      &*p.network_degraded.recovery,
  };
  // The thrashing rule's sustained span is window * windows: that is what must fit.
  Seconds longest = p.memory_thrashing.window * std::max(1, p.memory_thrashing.windows);
  for (const Seconds* w : windows) longest = std::max(longest, *w);
  if (longest <= window) return p;
  const double factor = static_cast<double>(window.count()) / static_cast<double>(longest.count());
  for (Seconds* w : windows) *w = Scale(*w, factor);
  return p;
}

Status ApplyOverride(Policy& policy, std::string_view rule_dot_parameter, std::string_view value) {
  const std::string_view key = Trim(rule_dot_parameter);
  const std::string_view text = Trim(value);
  const Parameter* param = nullptr;
  for (const Parameter& candidate : kParameters) {
    if (candidate.key == key) param = &candidate;
  }
  if (param == nullptr) {
    const size_t dot = key.find('.');
    const std::string_view rule = key.substr(0, dot);
    bool known_rule = false;
    for (const Parameter& candidate : kParameters) {
      if (candidate.key.substr(0, candidate.key.find('.')) == rule) known_rule = true;
    }
    if (dot == std::string_view::npos) {
      return Bad(key, value, "expected <rule>.<parameter>, e.g. cpu-throttled.ratio");
    }
    if (!known_rule) return Bad(key, value, "unknown rule (see docs/rules.md)");
    return Bad(key, value, "unknown parameter for this rule (see docs/rules.md)");
  }
  Policy updated = policy;
  Status status = std::visit(
      [&](const auto& setter) -> Status {
        using T = std::decay_t<decltype(setter)>;
        if constexpr (std::is_same_v<T, Ratio>) {
          Result<double> r = ParseRatio(key, text);
          if (!r) return r.error();
          setter.ref(updated) = *r;
        } else if constexpr (std::is_same_v<T, Rate> || std::is_same_v<T, Headroom>) {
          std::optional<double> n = ParseNumber(text);
          if (!n) return Bad(key, value, "not a number");
          if constexpr (std::is_same_v<T, Headroom>) {
            if (*n < 1 || *n > 10) return Bad(key, value, "headroom must lie between 1 and 10");
          } else {
            if (*n <= 0) return Bad(key, value, "must be greater than 0");
          }
          setter.ref(updated) = *n;
        } else if constexpr (std::is_same_v<T, Window>) {
          Result<Seconds> w = ParseWindow(key, text);
          if (!w) return w.error();
          setter.ref(updated) = *w;
        } else if constexpr (std::is_same_v<T, Recovery>) {
          Result<Seconds> w = ParseWindow(key, text);
          if (!w) return w.error();
          setter.ref(updated) = *w;
        } else if constexpr (std::is_same_v<T, Switch>) {
          Result<bool> b = ParseSwitch(key, text);
          if (!b) return b.error();
          setter.ref(updated) = *b;
        } else if constexpr (std::is_same_v<T, Count>) {
          int n = 0;
          auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
          if (ec != std::errc() || ptr != text.data() + text.size() || n < 1 || n > 60) {
            return Bad(key, value, "must be a whole number from 1 to 60");
          }
          setter.ref(updated) = n;
        } else {
          uint64_t n = 0;
          auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
          if (ec != std::errc() || ptr != text.data() + text.size()) {
            return Bad(key, value, "must be a whole number");
          }
          setter.ref(updated) = n;
        }
        return OkStatus();
      },
      param->setter);
  if (!status) return status;
  policy = updated;
  return OkStatus();
}

}  // namespace gt::reconcile
