// Where a request's identity comes from: a fixed token or certificate, a token file that
// rotates, or an exec plugin. The REST client asks before each request and connection.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "common/result.h"

namespace gt::kube {

struct Credentials {
  std::string bearer_token;     // empty: no Authorization header
  std::string client_cert_pem;  // empty: no client certificate
  std::string client_key_pem;
  bool operator==(const Credentials&) const = default;
};

class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  virtual Result<Credentials> Current() = 0;
  // The server answered 401 to `used`: drop it so the next Current() fetches anew
  // (client-go re-runs an exec plugin on 401 unless the credential already changed).
  virtual void Invalidate(const Credentials& used) { (void)used; }
  // The client is shutting down (from any thread): end any wait in Current() now.
  virtual void Shutdown() {}
};

class StaticCredentials final : public CredentialSource {
 public:
  explicit StaticCredentials(Credentials c) : creds_(std::move(c)) {}
  Result<Credentials> Current() override { return creds_; }

 private:
  Credentials creds_;
};

// A bearer token re-read from a file (projected service-account tokens rotate), at most
// once per `period` like client-go's cachingTokenSource; a failed re-read keeps the last
// good token. Optional client certificate passes through unchanged.
class FileTokenSource final : public CredentialSource {
 public:
  static constexpr std::chrono::minutes kDefaultPeriod{1};
  FileTokenSource(std::string path, Clock& clock, Credentials base = {},
                  std::chrono::nanoseconds period = kDefaultPeriod);
  Result<Credentials> Current() override;
  void Invalidate(const Credentials& used) override;

 private:
  std::string path_;
  Clock& clock_;
  std::chrono::nanoseconds period_;
  std::mutex mu_;
  Credentials creds_;
  bool have_ = false;
  MonotonicTime read_at_{};
};

// Configuration files (kubeconfig, token, CA, certificate, key) are small; a larger one is a
// mistake or an attack, refused before it is read into memory.
inline constexpr size_t kMaxConfigFileBytes = 4u << 20;

// Reads a whole regular file of at most `max_bytes`; anything else (a device such as
// /dev/zero, a FIFO that would block forever, a directory, a larger file) is refused.
// Errors name the path.
Result<std::string> ReadFile(const std::string& path, size_t max_bytes = kMaxConfigFileBytes);
// client-go trims surrounding whitespace from token files.
std::string TrimSpace(std::string s);

}  // namespace gt::kube
