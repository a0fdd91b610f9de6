// Temporary host trees for agent tests: a /proc and a cgroup v2 hierarchy in kubelet's
// cgroupfs layout (kubepods/<qos>/pod<uid>/<container id>), built in code.
#pragma once

#include <string>
#include <vector>

#include "collectors/host.h"

namespace gt::agent::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void MakeDirs(const std::string& path);
void WriteFile(const std::string& path, const std::string& content);
void RemoveTree(const std::string& path);

class FakeHost {
 public:
  FakeHost();
  collectors::HostPaths paths() const { return {root_.path() + "/proc", root_.path() + "/cgroup"}; }

  static std::string ContainerId(int pod, int container);
  static std::string PodUid(int pod);
  // Adds pod `pod` with `containers` containers; memory.current of each is `usage_bytes`.
  void AddPod(int pod, int containers, uint64_t usage_bytes = 100 << 20);
  void RemovePod(int pod);
  std::string PodDir(int pod) const;

 private:
  void WriteCgroup(const std::string& dir, uint64_t usage_bytes);
  TempDir root_;
};

}  // namespace gt::agent::testing
