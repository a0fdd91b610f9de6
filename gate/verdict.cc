#include "gate/verdict.h"

#include <fmt/format.h>

namespace gt::gate {

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
      v.message = fmt::format("no {} verdict yet", contract::kConditionType);
    }
    v.stale_why = fmt::format("no {} annotation", contract::kVerdictAnnotation);
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
                              contract::ToString(o.condition->status), o.condition->reason,
                              contract::ToString(o.mirror->status), o.mirror->reason);
    return v;
  }
  v.fresh = true;
  return v;
}

}  // namespace gt::gate
