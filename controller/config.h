// --config: the controller's policy overrides, in the same vocabulary as the per-workload
// annotations (docs/rules.md):
//
//   window: 5m            # optional: shorten every rule window (WithWindow)
//   rules:
//     cpu-throttled:
//       ratio: "0.5"
//     memory-thrashing:
//       psi-some: 15%
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "reconcile/policy.h"

namespace gt::controller {

Result<reconcile::Policy> PolicyFromYaml(std::string_view yaml, const std::string& origin);
Result<reconcile::Policy> LoadPolicyFile(const std::string& path);

}  // namespace gt::controller
