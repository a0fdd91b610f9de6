#include "collectors/host.h"

#include <sys/resource.h>

#include <cerrno>

#include "collectors/fs.h"
#include "collectors/kernel_files.h"
#include "collectors/parse.h"

namespace gt::collectors {

const char* CgroupLayoutName(CgroupLayout layout) {
  switch (layout) {
    case CgroupLayout::kV2:
      return "v2";
    case CgroupLayout::kV1:
      return "v1";
    case CgroupLayout::kHybrid:
      return "hybrid";
  }
  return "unknown";
}

Result<CgroupLayout> DetectLayout(const HostPaths& paths) {
  if (!IsDir(paths.cgroup)) {
    return MakeError(ErrorCode::kNotFound, "no cgroup filesystem here", paths.cgroup);
  }
  if (Exists(paths.cgroup + "/" + files::kCgroupControllers)) return CgroupLayout::kV2;
  bool v1 =
      IsDir(paths.cgroup + "/" + files::kV1Memory) || IsDir(paths.cgroup + "/" + files::kV1Cpu);
  if (!v1) {
    return MakeError(ErrorCode::kNotFound, "neither cgroup v2 nor v1 controller hierarchies found",
                     paths.cgroup);
  }
  const std::string unified = paths.cgroup + "/" + files::kHybridUnified;
  if (Exists(unified + "/" + files::kCgroupControllers)) return CgroupLayout::kHybrid;
  return CgroupLayout::kV1;
}

Result<std::string> CleanRelativePath(std::string_view path) {
  const std::string original(path);
  std::string out;
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      return MakeError(ErrorCode::kInvalid, "cgroup path may not contain \"..\"", original);
    }
    if (!out.empty()) out += '/';
    out.append(part);
  }
  return out;
}

Result<std::string> CgroupPathOfProcess(const HostPaths& paths, CgroupLayout layout, int32_t pid) {
  std::string path = paths.proc + "/" + std::to_string(pid) + "/cgroup";
  auto dir = OpenDir(paths.proc + "/" + std::to_string(pid));
  if (!dir) return dir.error();
  auto fd = OpenFileAt(dir->get(), "cgroup", paths.proc + "/" + std::to_string(pid), false);
  if (!fd) return fd.error();
  auto text = PreadAll(fd->get(), path, "");
  if (!text) return text.error();
  auto cgroup = ParseProcCgroup(*text, path, layout == CgroupLayout::kV2 ? "" : files::kV1Memory);
  if (!cgroup) return cgroup.error();
  return CleanRelativePath(*cgroup);
}

Result<uint64_t> RaiseOpenFileLimit() {
  struct rlimit limit;
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
    return ErrnoError(errno, "getrlimit", "RLIMIT_NOFILE");
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      return ErrnoError(errno, "setrlimit", "RLIMIT_NOFILE");
    }
  }
  return static_cast<uint64_t>(limit.rlim_cur);
}

}  // namespace gt::collectors
