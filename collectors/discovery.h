// Finds pod and container cgroups by the names the kubelet and the container runtimes give
// them. Sources (cited in tests/fixtures/*/README.md):
//   kubelet pkg/kubelet/cm/cgroup_manager_linux.go, qos_container_manager_linux.go,
//   pod_container_manager_linux.go: QoS parents "kubepods" / "burstable" / "besteffort",
//   Guaranteed pods directly under kubepods; pod cgroup "pod<uid>"; with the systemd
//   driver every component becomes a slice named by its ancestry with '-' in the UID
//   escaped to '_': kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid>.slice.
//   containerd (systemd driver): cri-containerd-<id>.scope; CRI-O: crio-<id>.scope (and
//   crio-conmon-<id>.scope for its monitor, skipped); docker: docker-<id>.scope; with the
//   cgroupfs driver the container cgroup is <pod cgroup>/<id> (CRI-O: crio-<id>).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/host.h"
#include "common/result.h"

namespace gt::collectors {

struct DiscoveredContainer {
  std::string container_id;
  std::string runtime;  // containerd | cri-o | docker; "" when the name does not say (cgroupfs)
  std::string relative_path;
};

struct DiscoveredPod {
  std::string pod_uid;
  std::string qos;  // guaranteed | burstable | besteffort
  std::string relative_path;
  std::vector<DiscoveredContainer> containers;
};

// Searches the top three levels of the hierarchy (v2 root, or the v1 memory hierarchy) for
// the kubelet's root cgroup ("kubepods", "kubepods.slice", "<x>-kubepods.slice" as with
// --cgroup-root or kind) and lists its pods. Sorted by pod UID, containers by ID.
Result<std::vector<DiscoveredPod>> DiscoverPods(const HostPaths& paths, CgroupLayout layout);

// Lists the pods under one known kubepods cgroup (relative path), e.g. a test root.
Result<std::vector<DiscoveredPod>> DiscoverPodsUnder(const HostPaths& paths, CgroupLayout layout,
                                                     std::string_view kubepods_relative);

// Name rules, exposed for tests.
// "pod<uid>" or "<...>-pod<uid with _>.slice" -> the UID with '-' restored.
std::optional<std::string> PodUidFromCgroupName(std::string_view name);
// "cri-containerd-<id>.scope", "crio-<id>.scope", "docker-<id>.scope", "crio-<id>", "<hex id>".
std::optional<DiscoveredContainer> ContainerFromCgroupName(std::string_view name);

}  // namespace gt::collectors
