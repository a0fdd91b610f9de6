#include "gate/verdict.h"

#include <fmt/format.h>

#include <charconv>

namespace gt::gate {

const char* StatusName(ConditionStatus s) {
  switch (s) {
    case ConditionStatus::kTrue:
      return "True";
    case ConditionStatus::kFalse:
      return "False";
    case ConditionStatus::kUnknown:
      return "Unknown";
  }
  return "Unknown";
}

std::optional<ConditionStatus> ParseStatus(const std::string& text) {
  if (text == "True") return ConditionStatus::kTrue;
  if (text == "False") return ConditionStatus::kFalse;
  if (text == "Unknown") return ConditionStatus::kUnknown;
  return std::nullopt;
}

std::string WorkloadKey::ToString() const {
  return fmt::format("{}/{}/{}", kind, namespace_name, name);
}

// "True/Compliant/7": three parts, a known status, a non-empty reason, a generation >= 1.
std::optional<AnnotationMirror> ParseMirror(const std::string& text) {
  const size_t first = text.find('/');
  if (first == std::string::npos) return std::nullopt;
  const size_t second = text.find('/', first + 1);
  if (second == std::string::npos) return std::nullopt;
  AnnotationMirror m;
  const auto status = ParseStatus(text.substr(0, first));
  if (!status) return std::nullopt;
  m.status = *status;
  m.reason = text.substr(first + 1, second - first - 1);
  if (m.reason.empty()) return std::nullopt;
  const char* begin = text.data() + second + 1;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, m.generation);
  if (ec != std::errc() || ptr != end || m.generation < 1) return std::nullopt;
  return m;
}

Verdict ReadVerdict(const Observed& o) {
  Verdict v;
  if (!o.exists) {
    v.reason = "NotFound";
    v.message = "workload not found";
    v.stale_why = "not found";
    return v;
  }
  if (o.condition) {
    v.status = o.condition->status;
    v.reason = o.condition->reason;
    v.message = o.condition->message;
  }
  if (!o.mirror) {
    // Without the mirror there is no generation to tie a verdict to the current release.
    if (!o.condition) {
      v.reason = "NoVerdict";
      v.message = "no RuntimeCompliant verdict yet";
    }
    v.stale_why = fmt::format("no {} annotation", kMirrorAnnotation);
    return v;
  }
  if (!o.condition) {
    v.status = o.mirror->status;
    v.reason = o.mirror->reason;
  }
  if (o.mirror->generation != o.generation) {
    v.stale_why = fmt::format("verdict is about generation {}, workload is at generation {}",
                              o.mirror->generation, o.generation);
    return v;
  }
  if (o.condition &&
      (o.condition->status != o.mirror->status || o.condition->reason != o.mirror->reason)) {
    // The two are written one after the other; until both agree the verdict is in flux.
    v.stale_why = fmt::format("condition {}/{} and annotation {}/{} disagree",
                              StatusName(o.condition->status), o.condition->reason,
                              StatusName(o.mirror->status), o.mirror->reason);
    return v;
  }
  v.fresh = true;
  return v;
}

}  // namespace gt::gate
