#include "collectors/discovery.h"

#include <dirent.h>

#include <algorithm>

#include "collectors/fs.h"
#include "collectors/kernel_files.h"

namespace gt::collectors {
namespace {

constexpr int kRootSearchDepth = 3;

bool IsHex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

bool IsUidChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
         c == '_';
}

std::string Join(std::string_view a, std::string_view b) {
  std::string out(a);
  if (!b.empty()) {
    if (!out.empty() && out.back() != '/') out += '/';
    out.append(b);
  }
  return out;
}

// Subdirectory names of `path`; kGone if it vanished.
Result<std::vector<std::string>> ListDirs(const std::string& path) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return ErrnoError(errno, "list", path);
  std::vector<std::string> out;
  while (struct dirent* entry = ::readdir(dir)) {
    std::string_view name(entry->d_name);
    if (name == "." || name == "..") continue;
    bool is_dir = entry->d_type == DT_DIR;
    if (entry->d_type == DT_UNKNOWN) is_dir = IsDir(Join(path, name));
    if (is_dir) out.emplace_back(name);
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end());
  return out;
}

bool IsKubepodsRoot(std::string_view name) {
  return name == "kubepods" || name == "kubepods.slice" || name.ends_with("-kubepods.slice");
}

// "burstable" / "<x>-burstable.slice" -> burstable; likewise besteffort.
std::optional<std::string> QosFromCgroupName(std::string_view name) {
  for (std::string_view qos : {"burstable", "besteffort"}) {
    if (name == qos) return std::string(qos);
    std::string suffix = "-" + std::string(qos) + ".slice";
    if (name.ends_with(suffix)) return std::string(qos);
  }
  return std::nullopt;
}

std::string HierarchyRoot(const HostPaths& paths, CgroupLayout layout) {
  if (layout == CgroupLayout::kV2) return paths.cgroup;
  return Join(paths.cgroup, files::kV1Memory);
}

Status CollectPod(const std::string& hierarchy, const std::string& relative, std::string uid,
                  std::string qos, std::vector<DiscoveredPod>& out) {
  auto children = ListDirs(Join(hierarchy, relative));
  if (!children) {
    if (children.error().gone()) return OkStatus();  // pod deleted while we looked
    return children.error();
  }
  DiscoveredPod pod{std::move(uid), std::move(qos), relative, {}};
  for (const std::string& child : *children) {
    auto container = ContainerFromCgroupName(child);
    if (!container) continue;
    container->relative_path = Join(relative, child);
    pod.containers.push_back(std::move(*container));
  }
  std::sort(pod.containers.begin(), pod.containers.end(),
            [](const auto& a, const auto& b) { return a.container_id < b.container_id; });
  out.push_back(std::move(pod));
  return OkStatus();
}

Status CollectPods(const std::string& hierarchy, const std::string& relative,
                   const std::string& qos, std::vector<DiscoveredPod>& out) {
  auto children = ListDirs(Join(hierarchy, relative));
  if (!children) {
    if (children.error().gone()) return OkStatus();
    return children.error();
  }
  for (const std::string& child : *children) {
    if (auto uid = PodUidFromCgroupName(child)) {
      if (auto st = CollectPod(hierarchy, Join(relative, child), *uid, qos, out); !st) return st;
    } else if (qos == "guaranteed") {
      if (auto child_qos = QosFromCgroupName(child)) {
        if (auto st = CollectPods(hierarchy, Join(relative, child), *child_qos, out); !st)
          return st;
      }
    }
  }
  return OkStatus();
}

Status FindRoots(const std::string& hierarchy, const std::string& relative, int depth,
                 std::vector<std::string>& roots) {
  auto children = ListDirs(Join(hierarchy, relative));
  if (!children) {
    if (children.error().gone()) return OkStatus();
    return children.error();
  }
  for (const std::string& child : *children) {
    std::string path = Join(relative, child);
    if (IsKubepodsRoot(child)) {
      roots.push_back(path);
    } else if (depth + 1 < kRootSearchDepth && !child.ends_with(".scope")) {
      if (auto st = FindRoots(hierarchy, path, depth + 1, roots); !st) return st;
    }
  }
  return OkStatus();
}

}  // namespace

std::optional<std::string> PodUidFromCgroupName(std::string_view name) {
  std::string_view uid;
  bool systemd = false;
  if (name.ends_with(".slice")) {
    size_t at = name.rfind("-pod");
    if (at == std::string_view::npos) return std::nullopt;
    uid = name.substr(at + 4, name.size() - (at + 4) - 6);
    systemd = true;
  } else if (name.starts_with("pod")) {
    uid = name.substr(3);
  } else {
    return std::nullopt;
  }
  if (uid.empty() || !std::all_of(uid.begin(), uid.end(), IsUidChar)) return std::nullopt;
  std::string out(uid);
  if (systemd) std::replace(out.begin(), out.end(), '_', '-');  // systemd escaping of '-'
  return out;
}

std::optional<DiscoveredContainer> ContainerFromCgroupName(std::string_view name) {
  struct Pattern {
    std::string_view prefix, suffix, runtime;
  };
  static constexpr Pattern kPatterns[] = {
      {"cri-containerd-", ".scope", "containerd"},
      {"crio-conmon-", ".scope", ""},  // CRI-O's monitor process, not a container
      {"crio-conmon-", "", ""},
      {"crio-", ".scope", "cri-o"},
      {"docker-", ".scope", "docker"},
      {"crio-", "", "cri-o"},
      {"", "", ""},  // cgroupfs: the bare ID (containerd or docker: the name does not say)
  };
  for (const Pattern& p : kPatterns) {
    if (!name.starts_with(p.prefix) || !name.ends_with(p.suffix)) continue;
    if (name.size() < p.prefix.size() + p.suffix.size()) continue;
    std::string_view id =
        name.substr(p.prefix.size(), name.size() - p.prefix.size() - p.suffix.size());
    if (p.prefix == "crio-conmon-") return std::nullopt;
    // Container IDs are 64 hex digits from all three runtimes; accept shorter test IDs.
    if (id.size() < 12 || id.size() > 128 || !IsHex(id)) {
      if (p.prefix.empty()) return std::nullopt;
      continue;
    }
    return DiscoveredContainer{std::string(id), std::string(p.runtime), {}};
  }
  return std::nullopt;
}

Result<std::vector<DiscoveredPod>> DiscoverPodsUnder(const HostPaths& paths, CgroupLayout layout,
                                                     std::string_view kubepods_relative) {
  auto clean = CleanRelativePath(kubepods_relative);
  if (!clean) return clean.error();
  std::string hierarchy = HierarchyRoot(paths, layout);
  if (!IsDir(Join(hierarchy, *clean))) {
    return MakeError(ErrorCode::kNotFound, "no such cgroup", Join(hierarchy, *clean));
  }
  std::vector<DiscoveredPod> pods;
  if (auto st = CollectPods(hierarchy, *clean, "guaranteed", pods); !st) return st.error();
  std::sort(pods.begin(), pods.end(),
            [](const auto& a, const auto& b) { return a.pod_uid < b.pod_uid; });
  return pods;
}

Result<std::vector<DiscoveredPod>> DiscoverPods(const HostPaths& paths, CgroupLayout layout) {
  std::string hierarchy = HierarchyRoot(paths, layout);
  std::vector<std::string> roots;
  if (auto st = FindRoots(hierarchy, "", 0, roots); !st) return st.error();
  std::vector<DiscoveredPod> pods;
  for (const std::string& root : roots) {
    if (auto st = CollectPods(hierarchy, root, "guaranteed", pods); !st) return st.error();
  }
  std::sort(pods.begin(), pods.end(),
            [](const auto& a, const auto& b) { return a.pod_uid < b.pod_uid; });
  return pods;
}

}  // namespace gt::collectors
