// Mutual TLS between the agent (server) and the controller (its client): contexts built from
// PEM files, and rebuilt when those files change on disk, so a certificate rotated by
// cert-manager or by a Secret volume update is used without a restart.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/reading.h"
#include "common/result.h"

namespace gt::tls {

using Context = boost::asio::ssl::context;

struct Files {
  std::string ca;    // PEM: the only roots trusted for the peer
  std::string cert;  // PEM: our certificate chain
  std::string key;   // PEM: our private key
};

enum class Side { kServer, kClient };

struct ContextOptions {
  Side side = Side::kServer;
  // The name the peer's certificate must carry (a DNS name in its SAN, or its CN when it has
  // none), checked with the chain. Empty: any certificate the CA signed for the right purpose.
  std::string peer_name;
};

// TLS 1.2 or later, forward-secret AEAD suites, our chain and key (which must match), and the
// peer verified against `ca` for the purpose its side needs: a server accepts only client
// certificates that allow clientAuth, a client only server certificates that allow serverAuth.
Result<std::shared_ptr<Context>> MakeContext(const Files& files, const ContextOptions& options);

// What a person needs to know about our own certificate before it bites.
struct CertificateFacts {
  std::chrono::system_clock::time_point not_before;
  std::chrono::system_clock::time_point not_after;
  bool purpose_ok = true;  // allows our side's purpose (serverAuth for a server, clientAuth)
};
Result<CertificateFacts> InspectCertificate(const std::string& cert_file, Side side);

// Warnings worth a log line at start or after a reload: expired, not yet valid, expiring
// within `soon`, or made for the other side's purpose. Empty when none applies.
std::vector<std::string> CertificateWarnings(const CertificateFacts& facts, Side side,
                                             std::chrono::system_clock::time_point now,
                                             std::chrono::seconds soon);

// The files' identity on disk (device, inode, size, modification time), following symlinks:
// it changes when a file is rewritten, replaced by rename, or its Secret volume's `..data`
// symlink is swapped.
struct Stamp {
  std::vector<uint64_t> parts;
  bool operator==(const Stamp&) const = default;
};
Stamp StampOf(const Files& files);

// The context for new connections. `Current` looks at the files at most once per
// `check_every`; when they changed and build cleanly, new connections get the new context,
// while connections already open keep the one they started with (each holds its shared_ptr).
// A change that does not build (a rotation caught half-written: new certificate, old key)
// keeps the previous context and is reported by `last_error` until a later check succeeds.
class ReloadingContext {
 public:
  static Result<std::unique_ptr<ReloadingContext>> Create(Files files, ContextOptions options,
                                                          std::chrono::nanoseconds check_every,
                                                          MonotonicTime now);

  std::shared_ptr<Context> Current(MonotonicTime now);

  uint64_t reloads() const;
  std::optional<Error> last_error() const;
  CertificateFacts facts() const;  // of the certificate the current context serves

 private:
  ReloadingContext(Files files, ContextOptions options, std::chrono::nanoseconds check_every);
  Status Load(MonotonicTime now);

  const Files files_;
  const ContextOptions options_;
  const std::chrono::nanoseconds check_every_;
  mutable std::mutex mu_;
  std::shared_ptr<Context> context_;
  Stamp stamp_;
  CertificateFacts facts_;
  MonotonicTime checked_{0};
  uint64_t reloads_ = 0;
  std::optional<Error> last_error_;
};

}  // namespace gt::tls
