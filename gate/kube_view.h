// The one place where a workload's API object becomes the gate's Observed.
#pragma once

#include <nlohmann/json.hpp>

#include "gate/verdict.h"

namespace gt::gate {

Observed ObservedFromObject(const nlohmann::json& object);
WorkloadKey KeyOf(WorkloadKind kind, const nlohmann::json& object);

}  // namespace gt::gate
