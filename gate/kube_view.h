// The one place where a workload's API object becomes the gate's Observed.
#pragma once

#include <nlohmann/json.hpp>

#include "gate/verdict.h"

namespace gt::gate {

Observed ObservedFromObject(const nlohmann::json& object);
WorkloadKey KeyOf(const std::string& kind, const nlohmann::json& object);
// deployments, statefulsets, daemonsets; empty for anything else.
std::string ResourceOf(const std::string& kind);

}  // namespace gt::gate
