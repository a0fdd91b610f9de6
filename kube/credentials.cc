#include "kube/credentials.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "common/file.h"

namespace gt::kube {

Result<std::string> ReadFile(const std::string& path, size_t max_bytes) {
  return ReadRegularFile(path, max_bytes);
}

std::string TrimSpace(std::string s) {
  const char* ws = " \t\r\n";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

FileTokenSource::FileTokenSource(std::string path, Clock& clock, Credentials base,
                                 std::chrono::nanoseconds period)
    : path_(std::move(path)), clock_(clock), period_(period), creds_(std::move(base)) {}

Result<Credentials> FileTokenSource::Current() {
  std::lock_guard lock(mu_);
  const MonotonicTime now = clock_.Monotonic();
  if (have_ && now - read_at_ < period_) return creds_;
  auto text = ReadFile(path_);
  if (!text) {
    if (have_) return creds_;  // keep serving the last good token, as client-go does
    return text.error();
  }
  std::string token = TrimSpace(std::move(*text));
  if (token.empty()) {
    if (have_) return creds_;
    return MakeError(ErrorCode::kMalformed, "token file is empty", path_);
  }
  creds_.bearer_token = std::move(token);
  have_ = true;
  read_at_ = now;
  return creds_;
}

void FileTokenSource::Invalidate(const Credentials& used) {
  std::lock_guard lock(mu_);
  if (used.bearer_token == creds_.bearer_token) have_ = false;  // re-read on next use
}

}  // namespace gt::kube
