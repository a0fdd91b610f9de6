// A scenario's `groundtruth run --record` file: one sample per line as the agent serves it
// (wire/samples.h), read back for the verdict-quality row (verdict_row.cc).
#pragma once

#include <string>
#include <vector>

#include "common/reading.h"
#include "common/result.h"

namespace gt::scenarios {

struct Recorded {
  std::vector<CgroupReading> cgroup;  // the first pod's first container, sample by sample
  std::vector<NodeReading> node;
};

// kNotFound when the file cannot be opened; kMalformed naming the line that does not decode.
Result<Recorded> ReadRecord(const std::string& path);

}  // namespace gt::scenarios
