// For tests that bound a child process's memory: one field of /proc/<pid>/status.
#pragma once

#include <sys/types.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace gt::test_util {

// The value in KiB of a /proc/<pid>/status line such as "VmHWM:", or -1 if the process or
// the line is gone.
inline long StatusKiB(pid_t pid, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field));
  }
  return -1;
}

}  // namespace gt::test_util
