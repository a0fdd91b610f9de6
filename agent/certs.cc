#include "agent/certs.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "agent/log.h"
#include "common/duration.h"
#include "common/version.h"

namespace gt::agent {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

// The newest OpenSSL error, drained from the thread's queue.
Error OpenSslError(const std::string& what) {
  unsigned long code = ERR_get_error();
  char buf[256] = "unknown error";
  if (code != 0) ERR_error_string_n(code, buf, sizeof buf);
  ERR_clear_error();
  return MakeError(ErrorCode::kIo, what + ": " + buf);
}

Result<PkeyPtr> NewP256Key() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return OpenSslError("cannot generate EC P-256 key");
  return key;
}

bool ValidDnsName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  size_t label = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || (c == '*' && i == 0 && name.size() > 1 && name[1] == '.');
    if (!ok || ++label > 63) return false;
  }
  return label > 0;
}

bool ValidIp(const std::string& ip) {
  unsigned char buf[16];
  return inet_pton(AF_INET, ip.c_str(), buf) == 1 || inet_pton(AF_INET6, ip.c_str(), buf) == 1;
}

Status AddExtension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
  if (!ext) return OpenSslError(std::string("cannot make extension ") + OBJ_nid2sn(nid));
  if (X509_add_ext(cert, ext.get(), -1) != 1) return OpenSslError("cannot add extension");
  return OkStatus();
}

Status SetSerial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return OpenSslError("no randomness for serial");
  bytes[0] &= 0x7f;  // positive, as RFC 5280 requires
  bytes[0] |= 0x01;  // and non-zero
  BnPtr bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
    return OpenSslError("cannot set serial");
  }
  return OkStatus();
}

Status SetName(X509_NAME* name, std::string_view common_name) {
  std::string cn(common_name);
  if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>("groundtruth"), -1, -1,
                                 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                 0) != 1) {
    return OpenSslError("cannot set name \"" + cn + "\"");
  }
  return OkStatus();
}

// A certificate with key, validity (backdated 5 min for clock skew), serial and subject set.
Result<X509Ptr> NewCert(EVP_PKEY* key, std::string_view common_name,
                        std::chrono::seconds validity) {
  if (validity.count() <= 0) return MakeError(ErrorCode::kInvalid, "validity must be positive");
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1) return OpenSslError("cannot make cert");
  if (Status s = SetSerial(cert.get()); !s) return s.error();
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(validity.count())) ==
          nullptr) {
    return OpenSslError("cannot set validity");
  }
  if (X509_set_pubkey(cert.get(), key) != 1) return OpenSslError("cannot set public key");
  if (Status s = SetName(X509_get_subject_name(cert.get()), common_name); !s) return s.error();
  return cert;
}

Result<PemPair> ToPem(X509* cert, EVP_PKEY* key) {
  PemPair out;
  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  BioPtr key_bio(BIO_new(BIO_s_mem()));
  if (!cert_bio || !key_bio || PEM_write_bio_X509(cert_bio.get(), cert) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslError("cannot write PEM");
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(cert_bio.get(), &data);
  out.cert.assign(data, static_cast<size_t>(n));
  n = BIO_get_mem_data(key_bio.get(), &data);
  out.key.assign(data, static_cast<size_t>(n));
  return out;
}

Result<X509Ptr> ParseCert(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) return OpenSslError("cannot parse CA certificate");
  return cert;
}

Result<PkeyPtr> ParseKey(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) return OpenSslError("cannot parse CA private key");
  return key;
}

std::string Base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Status WriteFileAtomically(const std::string& path, const std::string& content, mode_t mode,
                           bool overwrite) {
  if (!overwrite && ::access(path.c_str(), F_OK) == 0) {
    return MakeError(ErrorCode::kInvalid, "exists; pass --force to replace it", path);
  }
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return MakeError(ErrorCode::kIo, std::strerror(errno), tmp);
  ::fchmod(fd, mode);  // umask may have narrowed or the file pre-existed
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return MakeError(ErrorCode::kIo, std::strerror(saved), tmp);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return MakeError(ErrorCode::kIo, std::strerror(errno), tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return MakeError(ErrorCode::kIo, std::strerror(errno), path);
  }
  return OkStatus();
}

}  // namespace

Result<PemPair> MakeCa(std::string_view common_name, std::chrono::seconds validity) {
  auto key = NewP256Key();
  if (!key) return key.error();
  auto cert = NewCert(key->get(), common_name, validity);
  if (!cert) return cert.error();
  X509* x = cert->get();
  if (X509_set_issuer_name(x, X509_get_subject_name(x)) != 1) {
    return OpenSslError("cannot set issuer");
  }
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  for (auto [nid, value] :
       {std::pair<int, const char*>{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
        {NID_key_usage, "critical,keyCertSign,cRLSign"},
        {NID_subject_key_identifier, "hash"},
        {NID_authority_key_identifier, "keyid:always"}}) {
    if (Status s = AddExtension(x, &ctx, nid, value); !s) return s.error();
  }
  if (X509_sign(x, key->get(), EVP_sha256()) <= 0) return OpenSslError("cannot sign CA");
  return ToPem(x, key->get());
}

Result<PemPair> IssueCert(const PemPair& ca, const CertRequest& request) {
  if (!request.server_auth && !request.client_auth) {
    return MakeError(ErrorCode::kInvalid, "a certificate needs serverAuth or clientAuth");
  }
  std::string san;
  for (const std::string& dns : request.dns_names) {
    if (!ValidDnsName(dns)) {
      return MakeError(ErrorCode::kInvalid, "not a DNS name: \"" + dns + "\"");
    }
    san += (san.empty() ? "DNS:" : ",DNS:") + dns;
  }
  for (const std::string& ip : request.ip_addresses) {
    if (!ValidIp(ip)) return MakeError(ErrorCode::kInvalid, "not an IP address: \"" + ip + "\"");
    san += (san.empty() ? "IP:" : ",IP:") + ip;
  }
  if (request.server_auth && san.empty()) {
    return MakeError(ErrorCode::kInvalid,
                     "a server certificate needs at least one DNS name or IP address");
  }
  auto ca_cert = ParseCert(ca.cert);
  if (!ca_cert) return ca_cert.error();
  auto ca_key = ParseKey(ca.key);
  if (!ca_key) return ca_key.error();
  if (X509_check_private_key(ca_cert->get(), ca_key->get()) != 1) {
    ERR_clear_error();
    return MakeError(ErrorCode::kInvalid, "CA key does not match the CA certificate");
  }
  auto key = NewP256Key();
  if (!key) return key.error();
  auto cert = NewCert(key->get(), request.common_name, request.validity);
  if (!cert) return cert.error();
  X509* x = cert->get();
  if (X509_set_issuer_name(x, X509_get_subject_name(ca_cert->get())) != 1) {
    return OpenSslError("cannot set issuer");
  }
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, ca_cert->get(), x, nullptr, nullptr, 0);
  std::string eku = request.server_auth && request.client_auth ? "serverAuth,clientAuth"
                    : request.server_auth                      ? "serverAuth"
                                                               : "clientAuth";
  std::vector<std::pair<int, std::string>> extensions = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, "critical,digitalSignature,keyAgreement"},
      {NID_ext_key_usage, eku},
      {NID_subject_key_identifier, "hash"},
      {NID_authority_key_identifier, "keyid:always"}};
  if (!san.empty()) extensions.emplace_back(NID_subject_alt_name, san);
  for (const auto& [nid, value] : extensions) {
    if (Status s = AddExtension(x, &ctx, nid, value); !s) return s.error();
  }
  if (X509_sign(x, ca_key->get(), EVP_sha256()) <= 0) return OpenSslError("cannot sign cert");
  return ToPem(x, key->get());
}

Result<TlsBundle> MakeTlsBundle(const TlsBundleOptions& options, const PemPair* existing_ca) {
  TlsBundle bundle;
  if (existing_ca != nullptr) {
    bundle.ca = *existing_ca;
  } else {
    auto ca = MakeCa(options.ca_name, options.validity);
    if (!ca) return ca.error();
    bundle.ca = std::move(*ca);
  }
  CertRequest agent;
  agent.common_name = "groundtruth-agent";
  agent.dns_names = options.agent_dns;
  if (agent.dns_names.empty()) {
    agent.dns_names = {"groundtruth-agent",
                       "groundtruth-agent." + options.agent_namespace + ".svc"};
  }
  agent.ip_addresses = options.agent_ips;
  agent.server_auth = true;
  agent.validity = options.validity;
  auto agent_pem = IssueCert(bundle.ca, agent);
  if (!agent_pem) return agent_pem.error();
  bundle.agent = std::move(*agent_pem);

  CertRequest controller;
  controller.common_name = options.controller_name;
  if (!ValidDnsName(options.controller_name)) {
    return MakeError(ErrorCode::kInvalid, "controller name must be a DNS-style name: \"" +
                                              options.controller_name + "\"");
  }
  controller.dns_names = {options.controller_name};
  controller.client_auth = true;
  controller.validity = options.validity;
  auto controller_pem = IssueCert(bundle.ca, controller);
  if (!controller_pem) return controller_pem.error();
  bundle.controller = std::move(*controller_pem);
  return bundle;
}

Status WriteTlsBundle(const TlsBundle& bundle, const std::string& dir, bool overwrite) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return MakeError(ErrorCode::kIo, ec.message(), dir);
  struct File {
    const char* name;
    const std::string* content;
    mode_t mode;
  };
  const File files[] = {{"ca.crt", &bundle.ca.cert, 0644},
                        {"ca.key", &bundle.ca.key, 0600},
                        {"agent.crt", &bundle.agent.cert, 0644},
                        {"agent.key", &bundle.agent.key, 0600},
                        {"controller.crt", &bundle.controller.cert, 0644},
                        {"controller.key", &bundle.controller.key, 0600}};
  if (!overwrite) {
    for (const File& f : files) {
      std::string path = dir + "/" + f.name;
      if (::access(path.c_str(), F_OK) == 0) {
        return MakeError(ErrorCode::kInvalid, "exists; pass --force to replace it", path);
      }
    }
  }
  for (const File& f : files) {
    if (Status s = WriteFileAtomically(dir + "/" + f.name, *f.content, f.mode, true); !s) return s;
  }
  return OkStatus();
}

std::string KubernetesSecretsYaml(const TlsBundle& bundle, std::string_view agent_namespace,
                                  std::string_view controller_namespace) {
  auto secret = [&](const std::string& name, std::string_view ns, const PemPair& pair) {
    return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: " + name +
           "\n  namespace: " + std::string(ns) +
           "\n  labels:\n    app.kubernetes.io/part-of: groundtruth\ntype: kubernetes.io/tls\n"
           "data:\n  tls.crt: " +
           Base64(pair.cert) + "\n  tls.key: " + Base64(pair.key) +
           "\n  ca.crt: " + Base64(bundle.ca.cert) + "\n";
  };
  return secret("groundtruth-agent-tls", agent_namespace, bundle.agent) + "---\n" +
         secret("groundtruth-controller-tls", controller_namespace, bundle.controller);
}

int CertsMain(int argc, char** argv) {
  CLI::App app{"Generate the CA and certificates for agent <-> controller mutual TLS."};
  app.name("groundtruth certs");
  app.set_version_flag("--version", VersionLine("groundtruth certs"));
  std::string out_dir;
  bool secrets = false;
  std::string validity_text = "8760h";
  std::string ca_cert_path, ca_key_path;
  bool force = false;
  TlsBundleOptions options;
  app.add_option("--out", out_dir,
                 "Directory to write ca.crt/key, agent.crt/key, controller.crt/key");
  app.add_flag("--kubernetes-secrets", secrets,
               "Print the two Secrets (kubernetes.io/tls + ca.crt) to stdout, each in its "
               "namespace");
  app.add_option("--agent-namespace", options.agent_namespace,
                 "Namespace of the agents: their Secret, and their certificate's "
                 "groundtruth-agent.<namespace>.svc")
      ->capture_default_str();
  app.add_option("--controller-namespace", options.controller_namespace,
                 "Namespace of the controller: its Secret")
      ->capture_default_str();
  app.add_option("--agent-dns", options.agent_dns,
                 "DNS subjectAltName of the agent certificate (repeatable; default "
                 "groundtruth-agent and groundtruth-agent.<agent-namespace>.svc)");
  app.add_option("--agent-ip", options.agent_ips,
                 "IP subjectAltName of the agent certificate (repeatable)");
  app.add_option("--controller-name", options.controller_name,
                 "Common name of the controller's client certificate")
      ->capture_default_str();
  app.add_option("--ca-name", options.ca_name, "Common name of the CA")->capture_default_str();
  app.add_option("--validity", validity_text, "Validity of every certificate (Go duration)")
      ->capture_default_str();
  app.add_option("--ca-cert", ca_cert_path, "Sign with this existing CA certificate (PEM)");
  app.add_option("--ca-key", ca_key_path, "Key of --ca-cert (PEM)");
  app.add_flag("--force", force, "Replace existing files in --out");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 3;
  }
  if (out_dir.empty() && !secrets) {
    std::cerr << "groundtruth certs: give --out DIR and/or --kubernetes-secrets\n";
    return 3;
  }
  auto validity = ParseDuration(validity_text);
  if (!validity || validity->count() <= 0) {
    std::cerr << "groundtruth certs: --validity: expected a positive duration such as 8760h\n";
    return 3;
  }
  options.validity = std::chrono::duration_cast<std::chrono::seconds>(*validity);

  PemPair existing;
  if (!ca_cert_path.empty() || !ca_key_path.empty()) {
    if (ca_cert_path.empty() || ca_key_path.empty()) {
      std::cerr << "groundtruth certs: --ca-cert and --ca-key go together\n";
      return 3;
    }
    std::ifstream cert_in(ca_cert_path), key_in(ca_key_path);
    if (!cert_in || !key_in) {
      std::cerr << "groundtruth certs: cannot read " << (cert_in ? ca_key_path : ca_cert_path)
                << "\n";
      return 3;
    }
    std::stringstream c, k;
    c << cert_in.rdbuf();
    k << key_in.rdbuf();
    existing = PemPair{c.str(), k.str()};
  }
  auto bundle = MakeTlsBundle(options, existing.cert.empty() ? nullptr : &existing);
  if (!bundle) {
    std::cerr << "groundtruth certs: " << bundle.error().ToString() << "\n";
    return bundle.error().code == ErrorCode::kInvalid ? 3 : 1;
  }
  if (!out_dir.empty()) {
    if (Status s = WriteTlsBundle(*bundle, out_dir, force); !s) {
      std::cerr << "groundtruth certs: " << s.error().ToString() << "\n";
      return s.error().code == ErrorCode::kInvalid ? 3 : 1;
    }
    LogInfo("wrote ca.crt, ca.key, agent.crt, agent.key, controller.crt, controller.key to " +
            out_dir + " (keys mode 0600)");
  }
  if (secrets) {
    std::cout << KubernetesSecretsYaml(*bundle, options.agent_namespace,
                                       options.controller_namespace);
  }
  return 0;
}

}  // namespace gt::agent
