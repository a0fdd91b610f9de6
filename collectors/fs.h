// Descriptor-level file access shared by the readers: open once, re-read with pread at
// offset 0. Internal to collectors.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace gt::collectors {

// errno -> ErrorCode: a vanished cgroup or process (ENOENT, ENODEV, ESRCH) is kGone.
Error ErrnoError(int err, std::string_view what, std::string path);

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(Fd&& other) noexcept : fd_(other.Release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = other.Release();
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Reset();

 private:
  int fd_ = -1;
};

// Opens directory `relative` beneath the directory `root_fd` (symlinks may not lead out of
// it: openat2 RESOLVE_BENEATH where the kernel has it). `path` names it in errors.
Result<Fd> OpenDirBeneath(int root_fd, const std::string& relative, const std::string& path);
Result<Fd> OpenDir(const std::string& path);

// Opens a file of a directory read-only. ENOENT yields an invalid Fd and no error when
// `optional`: a kernel without that file.
Result<Fd> OpenFileAt(int dir_fd, const char* name, const std::string& dir_path, bool optional);

// The calling thread's read buffer, reused across reads so steady-state scrapes do not
// allocate. Grows when a file does not fit.
std::vector<char>& ThreadReadBuffer();

// Reads the whole file from offset 0 into the thread's buffer. The view is valid until the
// next call on this thread. `dir_path` and `name` only build the error.
Result<std::string_view> PreadAll(int fd, std::string_view dir_path, std::string_view name);

// Whether `path` exists as a directory / as anything.
bool IsDir(const std::string& path);
bool Exists(const std::string& path);

}  // namespace gt::collectors
