// Reads one cgroup (a container or a pod) on every sample, cheaply: its directories and
// files are opened once and re-read with pread at offset 0.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "collectors/host.h"
#include "common/reading.h"
#include "common/result.h"

namespace gt::collectors {

// Not thread-safe: one thread reads a given reader at a time (different readers may be read
// from different threads; each thread has its own read buffer).
class CgroupReader {
 public:
  struct Options {
    // Scan the cgroup's threads for state D (/proc/<pid>/task/<tid>/stat).
    bool blocked_threads = true;
    // Read TCP and interface counters of the cgroup's network namespace through one of its
    // processes. Containers of one pod share it: a caller may read it for one of them only.
    bool network = true;
  };

  // `relative_path` is the same under every hierarchy, e.g. "kubepods/burstable/pod<uid>/<id>"
  // or "kubepods.slice/.../cri-containerd-<id>.scope"; ".." is rejected. kNotFound when the
  // cgroup does not exist (in v1: in the memory or cpu hierarchy).
  static Result<std::unique_ptr<CgroupReader>> Open(const HostPaths& paths, CgroupLayout layout,
                                                    std::string relative_path);
  static Result<std::unique_ptr<CgroupReader>> Open(const HostPaths& paths, CgroupLayout layout,
                                                    std::string relative_path, Options options);

  virtual ~CgroupReader() = default;

  // One pass over every file. kGone when the cgroup vanished (normal on a node: the caller
  // drops the reader); kMalformed names the file and line. Files the kernel does not have
  // leave their fields empty (optional) or zero.
  virtual Result<CgroupReading> Read(MonotonicTime now) = 0;

  virtual const std::string& relative_path() const = 0;
  virtual CgroupLayout layout() const = 0;

  // Every file currently held open, by full path (for diagnostics and the benchmark's floor).
  virtual std::vector<std::string> OpenFilePaths() const = 0;
};

}  // namespace gt::collectors
