#include "tls/context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <ctime>
#include <limits>

#include "common/file.h"

namespace gt::tls {
namespace {

namespace ssl = boost::asio::ssl;

Error Failed(const std::string& what, const std::string& path, const boost::system::error_code& e) {
  return MakeError(ErrorCode::kInvalid, what + ": " + e.message(), path);
}

// Hardening shared by both sides: TLS 1.2+, no renegotiation, TLS 1.2 suites forward-secret
// AEAD only (every TLS 1.3 suite is of that kind).
Status Harden(Context& context, Side side) {
  boost::system::error_code ec;
  context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                          ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                          ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                      ec);
  if (ec) return Failed("TLS options", "", ec);
  SSL_CTX* ctx = context.native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
  // An idle connection gives its ~34 KiB of record buffers back between requests.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  if (side == Side::kServer) SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20");
  return OkStatus();
}

// PEM files are small: read bounded, and only when regular, so that a device or a FIFO given
// by mistake neither hangs nor exhausts the process.
constexpr size_t kMaxPemBytes = 1u << 20;

Status LoadOwnPair(Context& context, const Files& files) {
  auto cert = ReadRegularFile(files.cert, kMaxPemBytes);
  if (!cert) return cert.error();
  auto key = ReadRegularFile(files.key, kMaxPemBytes);
  if (!key) return key.error();
  boost::system::error_code ec;
  context.use_certificate_chain(boost::asio::buffer(*cert), ec);
  if (ec) return Failed("cannot load certificate", files.cert, ec);
  context.use_private_key(boost::asio::buffer(*key), ssl::context::pem, ec);
  if (ec) return Failed("cannot load private key", files.key, ec);
  if (SSL_CTX_check_private_key(context.native_handle()) != 1) {
    return MakeError(ErrorCode::kInvalid, "private key does not match the certificate", files.key);
  }
  return OkStatus();
}

// Tells clients which CA to present a certificate from (every certificate in the CA file).
void TellClientsTheCa(SSL_CTX* ctx, const std::string& ca_pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(ca_pem.data(), int(ca_pem.size())),
                                                BIO_free);
  while (bio) {
    std::unique_ptr<X509, decltype(&X509_free)> cert(
        PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
    if (!cert) break;
    SSL_CTX_add_client_CA(ctx, cert.get());  // copies the subject name
  }
  ERR_clear_error();  // the end of the file reads as a PEM error
}

// The peer must chain to `ca`, carry the purpose of its side and, when given, the name.
Status VerifyPeer(Context& context, const Files& files, const ContextOptions& options) {
  auto ca = ReadRegularFile(files.ca, kMaxPemBytes);
  if (!ca) return ca.error();
  boost::system::error_code ec;
  context.add_certificate_authority(boost::asio::buffer(*ca), ec);
  if (ec) return Failed("cannot load CA", files.ca, ec);
  SSL_CTX* ctx = context.native_handle();
  if (options.side == Side::kServer) TellClientsTheCa(ctx, *ca);
  context.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
  if (ec) return Failed("TLS verify mode", "", ec);
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx);
  X509_VERIFY_PARAM_set_purpose(
      param, options.side == Side::kServer ? X509_PURPOSE_SSL_CLIENT : X509_PURPOSE_SSL_SERVER);
  if (!options.peer_name.empty() &&
      X509_VERIFY_PARAM_set1_host(param, options.peer_name.data(), options.peer_name.size()) != 1) {
    return MakeError(ErrorCode::kInvalid,
                     "cannot require the peer name \"" + options.peer_name + "\"");
  }
  return OkStatus();
}

std::chrono::system_clock::time_point ToTimePoint(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return {};
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string Utc(std::chrono::system_clock::time_point t) {
  const std::time_t s = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

const char* PurposeName(Side side) { return side == Side::kServer ? "serverAuth" : "clientAuth"; }

}  // namespace

Result<std::shared_ptr<Context>> MakeContext(const Files& files, const ContextOptions& options) {
  if (files.ca.empty() || files.cert.empty() || files.key.empty()) {
    return MakeError(ErrorCode::kInvalid, "mutual TLS needs a CA, a certificate and a key file");
  }
  try {
    auto context = std::make_shared<Context>(
        options.side == Side::kServer ? ssl::context::tls_server : ssl::context::tls_client);
    if (Status s = Harden(*context, options.side); !s) return s.error();
    if (Status s = LoadOwnPair(*context, files); !s) return s.error();
    if (Status s = VerifyPeer(*context, files, options); !s) return s.error();
    return context;
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalid, std::string("TLS context: ") + e.what(), files.cert);
  }
}

Result<CertificateFacts> InspectCertificate(const std::string& cert_file, Side side) {
  auto pem = ReadRegularFile(cert_file, kMaxPemBytes);
  if (!pem) return pem.error();
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem->data(), int(pem->size())),
                                                BIO_free);
  if (!bio) return MakeError(ErrorCode::kIo, "cannot read certificate", cert_file);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
  if (!cert) return MakeError(ErrorCode::kMalformed, "no PEM certificate", cert_file);
  CertificateFacts facts;
  facts.not_before = ToTimePoint(X509_get0_notBefore(cert.get()));
  facts.not_after = ToTimePoint(X509_get0_notAfter(cert.get()));
  const int purpose = side == Side::kServer ? X509_PURPOSE_SSL_SERVER : X509_PURPOSE_SSL_CLIENT;
  facts.purpose_ok = X509_check_purpose(cert.get(), purpose, 0) == 1;
  return facts;
}

std::vector<std::string> CertificateWarnings(const CertificateFacts& facts, Side side,
                                             std::chrono::system_clock::time_point now,
                                             std::chrono::seconds soon) {
  std::vector<std::string> warnings;
  if (now >= facts.not_after) {
    warnings.push_back("certificate expired at " + Utc(facts.not_after));
  } else if (now < facts.not_before) {
    warnings.push_back("certificate is not valid before " + Utc(facts.not_before));
  } else if (facts.not_after - now < soon) {
    const auto hours = std::chrono::duration_cast<std::chrono::hours>(facts.not_after - now);
    warnings.push_back("certificate expires at " + Utc(facts.not_after) + " (in " +
                       std::to_string(hours.count()) + "h)");
  }
  if (!facts.purpose_ok) {
    warnings.push_back(std::string("certificate does not allow ") + PurposeName(side) +
                       ": peers will refuse it");
  }
  return warnings;
}

Stamp StampOf(const Files& files) {
  Stamp stamp;
  for (const std::string* path : {&files.ca, &files.cert, &files.key}) {
    struct stat st {};
    if (::stat(path->c_str(), &st) != 0) {
      stamp.parts.push_back(std::numeric_limits<uint64_t>::max());  // gone, e.g. mid-swap
      continue;
    }
    for (uint64_t part : {uint64_t(st.st_dev), uint64_t(st.st_ino), uint64_t(st.st_size),
                          uint64_t(st.st_mtim.tv_sec), uint64_t(st.st_mtim.tv_nsec)}) {
      stamp.parts.push_back(part);
    }
  }
  return stamp;
}

ReloadingContext::ReloadingContext(Files files, ContextOptions options,
                                   std::chrono::nanoseconds check_every)
    : files_(std::move(files)), options_(std::move(options)), check_every_(check_every) {}

Result<std::unique_ptr<ReloadingContext>> ReloadingContext::Create(
    Files files, ContextOptions options, std::chrono::nanoseconds check_every, MonotonicTime now) {
  std::unique_ptr<ReloadingContext> r(
      new ReloadingContext(std::move(files), std::move(options), check_every));
  std::lock_guard lock(r->mu_);
  if (Status s = r->Load(now); !s) return s.error();
  r->reloads_ = 0;
  return r;
}

// Called with mu_ held. The stamp is taken before reading, so a change that lands while the
// files are read is seen again at the next check.
Status ReloadingContext::Load(MonotonicTime now) {
  checked_ = now;
  Stamp stamp = StampOf(files_);
  auto context = MakeContext(files_, options_);
  if (!context) {
    last_error_ = context.error();
    return context.error();
  }
  auto facts = InspectCertificate(files_.cert, options_.side);
  if (!facts) {
    last_error_ = facts.error();
    return facts.error();
  }
  context_ = std::move(*context);
  facts_ = *facts;
  stamp_ = std::move(stamp);
  last_error_.reset();
  ++reloads_;
  return OkStatus();
}

std::shared_ptr<Context> ReloadingContext::Current(MonotonicTime now) {
  std::lock_guard lock(mu_);
  if (now - checked_ >= check_every_) {
    checked_ = now;
    if (!(StampOf(files_) == stamp_)) (void)Load(now);  // on failure the previous one stays
  }
  return context_;
}

uint64_t ReloadingContext::reloads() const {
  std::lock_guard lock(mu_);
  return reloads_;
}

std::optional<Error> ReloadingContext::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

CertificateFacts ReloadingContext::facts() const {
  std::lock_guard lock(mu_);
  return facts_;
}

}  // namespace gt::tls
