// What this build is: the project version, the git revision and the date of that revision.
// One definition for every binary's --version, `groundtruth version` and the
// groundtruth_build_info metric of every /metrics.
#pragma once

#include <string>
#include <string_view>

namespace gt {

struct BuildInfo {
  std::string_view version;   // CMake's project(VERSION), e.g. "0.1.0"
  std::string_view revision;  // `git rev-parse --short=12 HEAD`, "+dirty" if modified; or "unknown"
  std::string_view date;      // the revision's commit date (reproducible), YYYY-MM-DD; or "unknown"
};

const BuildInfo& Build();

// "groundtruth-agent 0.1.0 (revision 0123456789ab, 2026-12-03)"
std::string VersionLine(std::string_view binary);

// The Prometheus text of groundtruth_build_info{version,revision} 1, with HELP and TYPE.
std::string BuildInfoMetric();

}  // namespace gt
