// How `gate` prints its result: a table for people, one JSON document (docs/contract.md "The
// command line": top-level `workloads`), or JUnit XML for CI systems.
#pragma once

#include <chrono>
#include <string>

#include "gate/decision.h"

namespace gt::gate {

enum class Format { kTable, kJson, kJunit };

struct ReportInput {
  const Gate* gate = nullptr;
  Outcome outcome = Outcome::kWaiting;
  MonotonicTime now{0};
  std::chrono::system_clock::time_point wall_now;
};

std::string RenderTable(const ReportInput& in);
std::string RenderJson(const ReportInput& in);
std::string RenderJunit(const ReportInput& in);

std::string XmlEscape(const std::string& text);

}  // namespace gt::gate
