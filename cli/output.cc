#include "cli/output.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <nlohmann/json.hpp>

#include "common/duration.h"
#include "common/version.h"
#include "contract/condition.h"
#include "reconcile/format.h"

namespace gt::cli {
namespace {

using json = nlohmann::ordered_json;

void WriteAll(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    text.remove_prefix(static_cast<size_t>(n));
  }
}

double Seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

json EvidenceJson(const reconcile::Evidence& e) {
  return json{{"reason", e.reason},
              {"container", e.container},
              {"pod", e.pod},
              {"node", e.node},
              {"signal", e.signal},
              {"value", e.value},
              {"threshold", e.threshold},
              {"sustainedSeconds", e.sustained.count()},
              {"detail", e.detail}};
}

json RecommendationJson(const reconcile::Recommendation& r) {
  json out{{"container", r.container}, {"text", r.text}};
  if (r.memory_limit_bytes) {
    out["memoryLimit"] = reconcile::FormatBytes(*r.memory_limit_bytes);
    out["memoryLimitBytes"] = *r.memory_limit_bytes;
  }
  if (r.cpu_limit_millicores) {
    out["cpuLimit"] = reconcile::FormatMillicores(*r.cpu_limit_millicores);
    out["cpuLimitMillicores"] = *r.cpu_limit_millicores;
  }
  if (r.pids_limit) out["pidsLimit"] = *r.pids_limit;
  return out;
}

// One resource's limit, declared against enforced: {"declared": "2", "declaredMillicores":
// 2000, "enforced": "200m", "enforcedMillicores": 200, "drift": true}; null where none.
json LimitJson(reconcile::LimitResource resource, std::optional<uint64_t> declared,
               std::optional<uint64_t> enforced, bool drift) {
  const char* unit = resource == reconcile::LimitResource::kMemory ? "Bytes" : "Millicores";
  auto text = [&](std::optional<uint64_t> v) {
    return v ? json(reconcile::FormatLimit(resource, v)) : json(nullptr);
  };
  auto number = [](std::optional<uint64_t> v) { return v ? json(*v) : json(nullptr); };
  return json{{"declared", text(declared)},
              {std::string("declared") + unit, number(declared)},
              {"enforced", text(enforced)},
              {std::string("enforced") + unit, number(enforced)},
              {"drift", drift}};
}

json LimitsJson(const Report& r) {
  auto drifted = [&](reconcile::LimitResource resource) {
    for (const reconcile::LimitDrift& d : r.verdict.drift) {
      if (d.resource == resource && d.container == r.container) return true;
    }
    return false;
  };
  const reconcile::DeclaredLimits declared = r.declared.value_or(reconcile::DeclaredLimits{});
  return json{
      {"memory",
       LimitJson(reconcile::LimitResource::kMemory, declared.memory_limit_bytes,
                 r.enforced.memory_limit_bytes, drifted(reconcile::LimitResource::kMemory))},
      {"cpu", LimitJson(reconcile::LimitResource::kCpu, declared.cpu_limit_millicores,
                        r.enforced.cpu_limit_millicores, drifted(reconcile::LimitResource::kCpu))}};
}

const reconcile::Recommendation* RecommendationFor(const reconcile::Verdict& v,
                                                   std::string_view container) {
  for (const reconcile::Recommendation& r : v.recommendations) {
    if (r.container == container) return &r;
  }
  return v.recommendations.empty() ? nullptr : &v.recommendations.front();
}

}  // namespace

std::string FormatKubeTime(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json ConditionJson(const reconcile::Verdict& v,
                   std::chrono::system_clock::time_point last_transition,
                   std::string_view container) {
  json evidence = json::array();
  for (const reconcile::Evidence& e : v.evidence) evidence.push_back(EvidenceJson(e));
  const reconcile::Recommendation* rec = RecommendationFor(v, container);
  return json{
      {"type", contract::kConditionType},
      {"status", reconcile::ToString(v.status)},
      {"reason", v.reason},
      {"message", v.message},
      {"lastTransitionTime", FormatKubeTime(last_transition)},
      {"evidence", std::move(evidence)},
      {"recommendation", rec != nullptr ? RecommendationJson(*rec) : json(nullptr)},
  };
}

std::string RenderJson(const Report& r) {
  json doc{
      {"version", Build().version},
      {"revision", Build().revision},
      {"condition", ConditionJson(r.verdict, r.last_transition, r.container)},
      {"workload",
       {{"kind", r.kind},
        {"namespace", r.namespace_name},
        {"name", r.name},
        {"container", r.container}}},
      {"limits", LimitsJson(r)},
      {"observation",
       {{"cgroup", r.cgroup},
        {"observedSeconds", Seconds(r.observed)},
        {"windowSeconds", Seconds(r.window)},
        {"readings", r.readings}}},
      {"notes", r.notes},
  };
  return doc.dump(2) + "\n";
}

std::string RenderText(const Report& r) {
  const reconcile::Verdict& v = r.verdict;
  std::string out;
  std::string what = r.kind.empty() ? r.cgroup : r.kind + "/" + r.name;
  if (!r.namespace_name.empty()) what = r.namespace_name + "/" + what;
  out += fmt::format("{}: {}={} ({})\n", what, contract::kConditionType,
                     reconcile::ToString(v.status), v.reason);
  out += fmt::format("  container {}, cgroup {}, observed {} of {} window, {} readings\n",
                     r.container, r.cgroup, FormatDurationForPeople(r.observed),
                     FormatDurationForPeople(r.window), r.readings);

  // The condition exactly as it would be written (status.conditions[]), quoted by a YAML
  // emitter so a message with ':' or quotes stays valid YAML.
  YAML::Emitter condition;
  condition << YAML::BeginMap << YAML::Key << "status" << YAML::Value << YAML::BeginMap << YAML::Key
            << "conditions" << YAML::Value << YAML::BeginSeq << YAML::BeginMap;
  condition << YAML::Key << "type" << YAML::Value << std::string(contract::kConditionType);
  condition << YAML::Key << "status" << YAML::Value << YAML::DoubleQuoted
            << std::string(reconcile::ToString(v.status));
  condition << YAML::Key << "reason" << YAML::Value << v.reason;
  condition << YAML::Key << "message" << YAML::Value << v.message;
  condition << YAML::Key << "lastTransitionTime" << YAML::Value << YAML::DoubleQuoted
            << FormatKubeTime(r.last_transition);
  condition << YAML::EndMap << YAML::EndSeq << YAML::EndMap << YAML::EndMap;
  out += "\n";
  std::string block = condition.c_str();
  size_t start = 0;
  while (start < block.size()) {
    size_t end = block.find('\n', start);
    if (end == std::string::npos) end = block.size();
    out += "  " + block.substr(start, end - start) + "\n";
    start = end + 1;
  }

  if (!v.evidence.empty()) {
    out += "\nEvidence:\n";
    for (const reconcile::Evidence& e : v.evidence) {
      out += fmt::format("  - {}: {}\n", e.reason, e.detail.empty() ? e.signal : e.detail);
    }
  }
  if (const reconcile::Recommendation* rec = RecommendationFor(v, r.container); rec != nullptr) {
    out += fmt::format("\nRecommendation:\n  container {}: {}\n", rec->container, rec->text);
  }
  if (!r.notes.empty()) {
    out += "\nNotes:\n";
    for (const std::string& note : r.notes) out += "  - " + note + "\n";
  }
  return out;
}

std::string RenderTable(const Report& r) {
  const reconcile::Verdict& v = r.verdict;
  auto cell = [](const std::string& text) { return text.empty() ? std::string("-") : text; };
  std::string message = v.message;
  std::replace(message.begin(), message.end(), '\n', ' ');
  const std::array<std::string, 8> head = {"KIND",   "NAMESPACE", "NAME",     "CONTAINER",
                                           "STATUS", "REASON",    "OBSERVED", "MESSAGE"};
  const std::array<std::string, 8> row = {
      r.kind.empty() ? "cgroup" : r.kind,
      cell(r.namespace_name),
      cell(r.kind.empty() ? r.cgroup : r.name),
      cell(r.container),
      std::string(reconcile::ToString(v.status)),
      v.reason,
      FormatDurationForPeople(r.observed) + "/" + FormatDurationForPeople(r.window),
      message};
  std::string out;
  for (const auto* line : {&head, &row}) {
    for (size_t i = 0; i + 1 < line->size(); ++i) {
      out += fmt::format("{:<{}}   ", (*line)[i], std::max(head[i].size(), row[i].size()));
    }
    out += line->back();
    out += '\n';
  }
  return out;
}

std::string RenderLiveLine(const LiveFigures& f, size_t columns) {
  std::string line = fmt::format("{} ", f.container);
  line += "mem " + reconcile::FormatBytes(f.working_set_bytes);
  if (f.memory_limit_bytes && *f.memory_limit_bytes > 0) {
    line += fmt::format("/{} ({:.0f}%)", reconcile::FormatBytes(*f.memory_limit_bytes),
                        100.0 * static_cast<double>(f.working_set_bytes) /
                            static_cast<double>(*f.memory_limit_bytes));
  }
  if (f.memory_psi_some) {
    line += fmt::format("  PSI some {:.1f}%", *f.memory_psi_some);
    if (f.memory_psi_full) line += fmt::format(" full {:.1f}%", *f.memory_psi_full);
  }
  if (f.cpu_cores) line += fmt::format("  cpu {:.2f}", *f.cpu_cores);
  if (f.cpu_throttled) line += fmt::format(" throttled {:.0f}%", 100.0 * *f.cpu_throttled);
  if (f.oom_kills > 0) line += fmt::format("  OOM kills {}", f.oom_kills);
  line +=
      fmt::format("  {}/{}", FormatDurationForPeople(f.elapsed), FormatDurationForPeople(f.window));
  if (!f.status.empty()) line += "  " + f.status;
  if (columns > 1 && line.size() >= columns) line.resize(columns - 1);
  return line;
}

void LiveLine::Show(const LiveFigures& figures) {
  if (!enabled_) return;
  winsize ws{};
  const size_t columns = ::ioctl(fd_, TIOCGWINSZ, &ws) == 0 ? ws.ws_col : 0;
  last_ = RenderLiveLine(figures, columns);
  // The workload left a partial line: keep it, draw below it.
  if (mid_line_) WriteAll(fd_, "\n");
  mid_line_ = false;
  WriteAll(fd_, "\r\033[K" + last_);
  shown_ = true;
}

void LiveLine::Clear() {
  if (!enabled_ || !shown_) return;
  WriteAll(fd_, "\r\033[K");
  shown_ = false;
}

void LiveLine::Interleave(std::string_view text) {
  if (!enabled_) {
    WriteAll(fd_, text);
    return;
  }
  const bool was_shown = shown_;
  Clear();
  WriteAll(fd_, text);
  if (!text.empty()) mid_line_ = text.back() != '\n';
  // Redraw only at the start of a line, or the workload's partial line would be erased.
  if (was_shown && !mid_line_) {
    WriteAll(fd_, last_);
    shown_ = true;
  }
}

}  // namespace gt::cli
