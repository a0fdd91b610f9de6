// Cgroup directory names as pod and container discovery reads them: the kubelet's pod
// cgroups, "pod<uid>" (cgroupfs driver) and "kubepods-<qos>-pod<uid with '-' as '_'>.slice"
// (systemd driver, systemd.unit(5) escaping), and the runtimes' container scopes
// ("cri-containerd-<id>.scope", "crio-<id>.scope", "docker-<id>.scope", bare ids). Never a
// crash; a UID is non-empty and made of UID characters, '_' restored to '-' under systemd;
// a container ID is hex. Seeds: seeds/pod_uid (names of those shapes, as in the fixture hosts of
// tests/fixtures).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "collectors/discovery.h"

namespace {

bool UidChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
         c == '_';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view name(reinterpret_cast<const char*>(data), size);
  if (const auto uid = gt::collectors::PodUidFromCgroupName(name)) {
    if (uid->empty() || uid->size() >= name.size()) std::abort();
    for (char c : *uid) {
      if (!UidChar(c)) std::abort();
    }
    if (name.ends_with(".slice") && uid->find('_') != std::string::npos) std::abort();
  }
  if (const auto container = gt::collectors::ContainerFromCgroupName(name)) {
    if (container->container_id.empty() ||
        container->container_id.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
      std::abort();
    }
  }
  return 0;
}
