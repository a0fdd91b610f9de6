#include "collectors/fs.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gt::collectors {
namespace {

// Files larger than this are not kernel counters; refuse rather than grow without bound.
constexpr size_t kMaxFileBytes = size_t{16} << 20;
constexpr size_t kInitialBufferBytes = size_t{64} << 10;

std::string Join(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!name.empty()) {
    if (!out.empty() && out.back() != '/') out += '/';
    out.append(name);
  }
  return out;
}

}  // namespace

Error ErrnoError(int err, std::string_view what, std::string path) {
  ErrorCode code = ErrorCode::kIo;
  switch (err) {
    case ENOENT:
    case ENODEV:
    case ESRCH:
      code = ErrorCode::kGone;
      break;
    case EACCES:
    case EPERM:
      code = ErrorCode::kPermission;
      break;
    default:
      break;
  }
  std::string message(what);
  message += ": ";
  message += std::strerror(err);
  return MakeError(code, std::move(message), std::move(path));
}

void Fd::Reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Result<Fd> OpenDirBeneath(int root_fd, const std::string& relative, const std::string& path) {
  const char* rel = relative.empty() ? "." : relative.c_str();
  struct open_how how = {};
  how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  long fd = ::syscall(SYS_openat2, root_fd, rel, &how, sizeof(how));
  if (fd < 0 && (errno == ENOSYS || errno == EPERM)) {
    // Kernels before 5.6 (or seccomp filters) lack openat2; callers already reject "..".
    fd = ::openat(root_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  }
  if (fd < 0) return ErrnoError(errno, "open directory", path);
  return Fd(static_cast<int>(fd));
}

Result<Fd> OpenDir(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "open directory", path);
  return Fd(fd);
}

Result<Fd> OpenFileAt(int dir_fd, const char* name, const std::string& dir_path, bool optional) {
  int fd = ::openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (optional && errno == ENOENT) return Fd();
    return ErrnoError(errno, "open", Join(dir_path, name));
  }
  return Fd(fd);
}

std::vector<char>& ThreadReadBuffer() {
  thread_local std::vector<char> buffer(kInitialBufferBytes);
  return buffer;
}

Result<std::string_view> PreadAll(int fd, std::string_view dir_path, std::string_view name) {
  std::vector<char>& buffer = ThreadReadBuffer();
  for (;;) {
    ssize_t n = ::pread(fd, buffer.data(), buffer.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "read", Join(dir_path, name));
    }
    if (static_cast<size_t>(n) < buffer.size()) {
      return std::string_view(buffer.data(), static_cast<size_t>(n));
    }
    // Filled the buffer: the file may be longer. Kernel files regenerate at offset 0, so
    // read again whole with more room rather than stitching two generations together.
    if (buffer.size() >= kMaxFileBytes) {
      return MakeError(ErrorCode::kMalformed, "file larger than 16 MiB", Join(dir_path, name));
    }
    buffer.resize(buffer.size() * 2);
  }
}

bool IsDir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace gt::collectors
