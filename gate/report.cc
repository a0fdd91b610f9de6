#include "gate/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/duration.h"
#include "common/version.h"
#include "kube/time_format.h"

namespace gt::gate {
namespace {

std::string Age(const Row& row, std::chrono::system_clock::time_point wall_now) {
  if (!row.observed.condition || !row.observed.condition->last_transition) return "-";
  auto age = wall_now - *row.observed.condition->last_transition;
  if (age < std::chrono::seconds(0)) age = {};
  return FormatDurationForPeople(age);
}

// What the gate makes of a row, one word for the table's STATUS column.
std::string GateStatus(const Row& row) {
  const std::string status(contract::ToString(row.verdict.status));
  return row.verdict.fresh ? status : status + "(stale)";
}

std::string Message(const Row& row) {
  std::string m = row.verdict.message;
  if (!row.verdict.fresh && !row.verdict.stale_why.empty())
    m = m.empty() ? row.verdict.stale_why : row.verdict.stale_why + "; " + m;
  std::replace(m.begin(), m.end(), '\n', ' ');
  return m;
}

}  // namespace

std::string XmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // XML 1.0 forbids most control characters even escaped.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r')
          out += ' ';
        else
          out += c;
    }
  }
  return out;
}

std::string RenderTable(const ReportInput& in) {
  std::vector<std::array<std::string, 7>> lines;
  lines.push_back({"KIND", "NAMESPACE", "NAME", "STATUS", "REASON", "AGE", "MESSAGE"});
  for (const auto& [key, row] : in.gate->rows()) {
    lines.push_back({std::string(KindName(key.kind)), key.ns, key.name, GateStatus(row),
                     row.verdict.reason, Age(row, in.wall_now), Message(row)});
  }
  std::array<size_t, 7> width{};
  for (const auto& l : lines)
    for (size_t i = 0; i < 6; ++i) width[i] = std::max(width[i], l[i].size());
  std::string out;
  for (const auto& l : lines) {
    for (size_t i = 0; i < 6; ++i) out += fmt::format("{:<{}}   ", l[i], width[i]);
    out += l[6];
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += '\n';
  }
  out += fmt::format("gate {}\n", OutcomeName(in.outcome));
  return out;
}

std::string RenderJson(const ReportInput& in) {
  nlohmann::ordered_json workloads = nlohmann::ordered_json::array();
  for (const auto& [key, row] : in.gate->rows()) {
    nlohmann::ordered_json condition;
    condition["type"] = contract::kConditionType;
    condition["status"] = contract::ToString(row.verdict.status);
    condition["reason"] = row.verdict.reason;
    condition["message"] = row.verdict.message;
    if (row.observed.condition && row.observed.condition->last_transition)
      condition["lastTransitionTime"] = kube::FormatTime(*row.observed.condition->last_transition);
    else
      condition["lastTransitionTime"] = nullptr;
    nlohmann::ordered_json w;
    w["kind"] = KindName(key.kind);
    w["namespace"] = key.ns;
    w["name"] = key.name;
    w["condition"] = std::move(condition);
    // Added fields (docs/contract.md: add, never rename): what the gate made of the verdict.
    w["generation"] = row.observed.generation;
    w["verdictGeneration"] =
        row.observed.mirror ? nlohmann::ordered_json(row.observed.mirror->generation) : nullptr;
    w["fresh"] = row.verdict.fresh;
    if (!row.verdict.fresh) w["staleReason"] = row.verdict.stale_why;
    w["soaked"] = row.soaked;
    workloads.push_back(std::move(w));
  }
  nlohmann::ordered_json doc;
  doc["version"] = Build().version;
  doc["revision"] = Build().revision;
  doc["workloads"] = std::move(workloads);
  doc["result"] = OutcomeName(in.outcome);
  doc["soak"] = FormatDuration(in.gate->policy().soak);
  doc["elapsed"] = FormatDuration(
      std::chrono::duration_cast<std::chrono::milliseconds>(in.now - in.gate->start()));
  return doc.dump(2) + "\n";
}

std::string RenderJunit(const ReportInput& in) {
  int failures = 0, errors = 0, skipped = 0;
  std::string cases;
  const double elapsed = std::chrono::duration<double>(in.now - in.gate->start()).count();
  for (const auto& [key, row] : in.gate->rows()) {
    const std::string message = Message(row);
    std::string body;
    const bool fresh_false = row.verdict.fresh && row.verdict.status == ConditionStatus::kFalse;
    if (fresh_false) {
      ++failures;
      body = fmt::format("    <failure message=\"{}\" type=\"{}\">{}</failure>\n",
                         XmlEscape(message), XmlEscape(row.verdict.reason), XmlEscape(message));
    } else if (!row.soaked) {
      // A gate stopped by another workload's failure never finished judging this one.
      if (in.outcome == Outcome::kFailed) {
        ++skipped;
        body = fmt::format(
            "    <skipped message=\"{}\"/>\n",
            XmlEscape("not decided: the gate stopped at the first failure; " + message));
      } else {
        ++errors;
        const std::string why =
            row.verdict.fresh && row.verdict.status == ConditionStatus::kTrue
                ? "compliant but not for the whole soak of " +
                      FormatDurationForPeople(in.gate->policy().soak)
                : fmt::format("{}/{}: {}", contract::ToString(row.verdict.status),
                              row.verdict.reason, message);
        body = fmt::format("    <error message=\"{}\" type=\"{}\">{}</error>\n", XmlEscape(why),
                           XmlEscape(row.verdict.reason), XmlEscape(why));
      }
    }
    const std::string open =
        fmt::format("  <testcase classname=\"groundtruth.{}.{}\" name=\"{}\" time=\"{:.3f}\"",
                    XmlEscape(std::string(KindName(key.kind))), XmlEscape(key.ns),
                    XmlEscape(key.name), elapsed);
    if (body.empty())
      cases += open + "/>\n";
    else
      cases += open + ">\n" + body + "  </testcase>\n";
  }
  const size_t tests = in.gate->rows().size();
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<testsuites name=\"groundtruth gate\" tests=\"{0}\" failures=\"{1}\" errors=\"{2}\" "
      "skipped=\"{3}\" time=\"{4:.3f}\">\n"
      "<testsuite name=\"RuntimeCompliant\" tests=\"{0}\" failures=\"{1}\" errors=\"{2}\" "
      "skipped=\"{3}\" time=\"{4:.3f}\" timestamp=\"{5}\">\n{6}</testsuite>\n</testsuites>\n",
      tests, failures, errors, skipped, elapsed, kube::FormatTime(in.wall_now), cases);
}

}  // namespace gt::gate
