// Where the host's kernel files are, and which cgroup layout they use.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace gt::collectors {

// The only place the /proc and /sys/fs/cgroup literals live. An agent in a pod passes
// {"/host/proc", "/host/sys/fs/cgroup"}; tests pass a fixture tree.
struct HostPaths {
  std::string proc = "/proc";
  std::string cgroup = "/sys/fs/cgroup";
};

enum class CgroupLayout {
  kV2,      // one unified hierarchy at <cgroup>
  kV1,      // one hierarchy per controller at <cgroup>/<controller>, no PSI per cgroup
  kHybrid,  // v1 controllers plus the v2 unified tree at <cgroup>/unified (PSI files only)
};

const char* CgroupLayoutName(CgroupLayout layout);

// v2 if <cgroup>/cgroup.controllers exists; hybrid if <cgroup>/unified/cgroup.controllers does
// and v1 controller directories are present; v1 if only controller directories are.
Result<CgroupLayout> DetectLayout(const HostPaths& paths);

// Normalises a cgroup path relative to a hierarchy root ("/kubepods//burstable/" ->
// "kubepods/burstable") and rejects any ".." so it cannot escape the root; "" is the root.
Result<std::string> CleanRelativePath(std::string_view path);

// The cgroup of a process as a path relative to the hierarchy roots (v2 line of
// /proc/<pid>/cgroup, or the memory controller's line on v1 and hybrid hosts), cleaned so it
// cannot escape the root. kGone when the process has exited.
Result<std::string> CgroupPathOfProcess(const HostPaths& paths, CgroupLayout layout, int32_t pid);

// A scraping process keeps about 20 descriptors per cgroup open; raises the soft
// RLIMIT_NOFILE to the hard limit. Returns the new soft limit.
Result<uint64_t> RaiseOpenFileLimit();

}  // namespace gt::collectors
