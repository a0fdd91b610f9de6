#include "common/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace gt {

namespace {

ErrorCode CodeOf(int err) {
  return err == ENOENT                   ? ErrorCode::kNotFound
         : err == EACCES || err == EPERM ? ErrorCode::kPermission
                                         : ErrorCode::kIo;
}

const char* FileTypeName(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

Result<std::string> ReadRegularFile(const std::string& path, size_t max_bytes) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    const int err = errno;
    return MakeError(CodeOf(err), std::string("cannot read: ") + std::strerror(err), path);
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { close(fd); }
  } closer{fd};
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    return MakeError(CodeOf(err), std::string("cannot stat: ") + std::strerror(err), path);
  }
  if (!S_ISREG(st.st_mode)) {
    return MakeError(ErrorCode::kInvalid,
                     std::string("refused: ") + FileTypeName(st.st_mode) + ", not a regular file",
                     path);
  }
  const auto too_large = [&] {
    return MakeError(ErrorCode::kInvalid,
                     "refused: larger than " + std::to_string(max_bytes) + " bytes", path);
  };
  if (static_cast<uint64_t>(st.st_size) > max_bytes) return too_large();
  std::string out;
  out.resize(static_cast<size_t>(st.st_size));
  size_t have = 0;
  for (;;) {
    // One byte more than allowed shows a file that grew past the cap while being read.
    if (have == out.size()) out.resize(std::min(max_bytes + 1, std::max<size_t>(4096, have * 2)));
    const ssize_t got = read(fd, out.data() + have, out.size() - have);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int err = errno;
      return MakeError(CodeOf(err), std::string("read failed: ") + std::strerror(err), path);
    }
    if (got == 0) break;
    have += static_cast<size_t>(got);
    if (have > max_bytes) return too_large();
  }
  out.resize(have);
  return out;
}

}  // namespace gt
