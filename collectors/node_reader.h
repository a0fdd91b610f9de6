// Node-wide readings: /proc/meminfo, /proc/vmstat, /proc/loadavg, /proc/pressure/*.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "collectors/host.h"
#include "common/reading.h"
#include "common/result.h"

namespace gt::collectors {

class NodeReader {
 public:
  // Opens the files once; /proc/pressure/* may be absent (kernel without PSI).
  static Result<std::unique_ptr<NodeReader>> Open(const HostPaths& paths);
  virtual ~NodeReader() = default;
  virtual Result<NodeReading> Read(MonotonicTime now) = 0;
  // Every file held open, by full path (for diagnostics and the benchmark's floor).
  virtual std::vector<std::string> OpenFilePaths() const = 0;
};

}  // namespace gt::collectors
