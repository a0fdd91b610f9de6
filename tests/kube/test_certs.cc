#include "tests/kube/test_certs.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace gt::kube::testing {
namespace {

EVP_PKEY* NewKey() {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nullptr);
  EVP_PKEY* key = nullptr;
  EVP_PKEY_keygen_init(ctx);
  EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, NID_X9_62_prime256v1);
  EVP_PKEY_keygen(ctx, &key);
  EVP_PKEY_CTX_free(ctx);
  return key;
}

void AddExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) throw std::runtime_error("bad extension " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

std::string Pem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

std::string Pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

TestCert Make(const std::string& cn, const std::string& san, X509* issuer_cert,
              EVP_PKEY* issuer_key, bool ca) {
  EVP_PKEY* key = NewKey();
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600L * 24 * 365 * 20);  // beyond FakeClock's wall time
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, issuer_cert ? X509_get_subject_name(issuer_cert) : name);
  X509* issuer = issuer_cert ? issuer_cert : cert;
  AddExt(cert, issuer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
  AddExt(
      cert, issuer, NID_key_usage,
      ca ? "critical,digitalSignature,keyCertSign" : "critical,digitalSignature,keyEncipherment");
  AddExt(cert, issuer, NID_ext_key_usage, "serverAuth,clientAuth");
  if (!san.empty()) AddExt(cert, issuer, NID_subject_alt_name, san);
  X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256());
  TestCert out{Pem(cert), Pem(key)};
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

}  // namespace

TestCert MakeSelfSigned(const std::string& common_name, const std::string& san) {
  return Make(common_name, san, nullptr, nullptr, true);
}

TestCert MakeSigned(const TestCert& ca, const std::string& common_name, const std::string& san) {
  BIO* cb = BIO_new_mem_buf(ca.cert_pem.data(), static_cast<int>(ca.cert_pem.size()));
  X509* ca_cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
  BIO_free(cb);
  BIO* kb = BIO_new_mem_buf(ca.key_pem.data(), static_cast<int>(ca.key_pem.size()));
  EVP_PKEY* ca_key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
  BIO_free(kb);
  TestCert out = Make(common_name, san, ca_cert, ca_key, false);
  X509_free(ca_cert);
  EVP_PKEY_free(ca_key);
  return out;
}

}  // namespace gt::kube::testing
