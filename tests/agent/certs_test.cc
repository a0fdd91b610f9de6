#include "agent/certs.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "tree.h"

namespace gt::agent {
namespace {

X509* ParsePem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

// Verifies `leaf` against `ca` for `purpose`, as a TLS peer would.
bool Verifies(const std::string& ca_pem, const std::string& leaf_pem, int purpose) {
  X509* ca = ParsePem(ca_pem);
  X509* leaf = ParsePem(leaf_pem);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, nullptr);
  X509_STORE_CTX_set_purpose(ctx, purpose);
  bool ok = X509_verify_cert(ctx) == 1;
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  X509_free(leaf);
  X509_free(ca);
  return ok;
}

TEST(CertsTest, BundleChainsToItsCaWithTheRightPurposes) {
  TlsBundleOptions options;
  options.agent_ips = {"10.0.0.7", "::1"};
  auto bundle = MakeTlsBundle(options);
  ASSERT_TRUE(bundle) << bundle.error().ToString();
  EXPECT_TRUE(Verifies(bundle->ca.cert, bundle->agent.cert, X509_PURPOSE_SSL_SERVER));
  EXPECT_TRUE(Verifies(bundle->ca.cert, bundle->controller.cert, X509_PURPOSE_SSL_CLIENT));
  // The agent's certificate cannot be used as a client, nor the controller's as a server.
  EXPECT_FALSE(Verifies(bundle->ca.cert, bundle->agent.cert, X509_PURPOSE_SSL_CLIENT));
  EXPECT_FALSE(Verifies(bundle->ca.cert, bundle->controller.cert, X509_PURPOSE_SSL_SERVER));

  auto other = MakeTlsBundle(options);
  ASSERT_TRUE(other);
  EXPECT_FALSE(Verifies(other->ca.cert, bundle->agent.cert, X509_PURPOSE_SSL_SERVER));

  X509* agent = ParsePem(bundle->agent.cert);
  ASSERT_NE(agent, nullptr);
  EXPECT_EQ(X509_check_host(agent, "groundtruth-agent", 0, 0, nullptr), 1);
  // The agents' own namespace (manifests/base/namespace.yaml), not the controller's.
  EXPECT_EQ(X509_check_host(agent, "groundtruth-agent.groundtruth-agent.svc", 0, 0, nullptr), 1);
  EXPECT_NE(X509_check_host(agent, "groundtruth-agent.groundtruth-system.svc", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(agent, "10.0.0.7", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(agent, "::1", 0), 1);
  EXPECT_NE(X509_check_host(agent, "evil.example", 0, 0, nullptr), 1);
  EVP_PKEY* key = X509_get0_pubkey(agent);
  EXPECT_EQ(EVP_PKEY_get_base_id(key), EVP_PKEY_EC);
  EXPECT_EQ(EVP_PKEY_get_bits(key), 256);
  X509_free(agent);
  EXPECT_NE(bundle->agent.key.find("BEGIN PRIVATE KEY"), std::string::npos);
}

TEST(CertsTest, RefusesNamesThatWouldInjectExtensions) {
  TlsBundleOptions options;
  options.agent_dns = {"agent,DNS:evil.example"};
  EXPECT_FALSE(MakeTlsBundle(options));
  options.agent_dns = {"ok.example"};
  options.agent_ips = {"10.0.0.1,IP:1.2.3.4"};
  EXPECT_FALSE(MakeTlsBundle(options));
  options.agent_ips = {};
  options.controller_name = "has space";
  EXPECT_FALSE(MakeTlsBundle(options));
}

TEST(CertsTest, ExistingCaSignsNewLeaves) {
  auto first = MakeTlsBundle(TlsBundleOptions{});
  ASSERT_TRUE(first);
  auto second = MakeTlsBundle(TlsBundleOptions{}, &first->ca);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->ca.cert, first->ca.cert);
  EXPECT_TRUE(Verifies(first->ca.cert, second->agent.cert, X509_PURPOSE_SSL_SERVER));
  PemPair mismatched{first->ca.cert, second->agent.key};
  EXPECT_FALSE(MakeTlsBundle(TlsBundleOptions{}, &mismatched));
}

TEST(CertsTest, WritesFilesWithPrivateKeysUnreadableByOthers) {
  testing::TempDir dir;
  auto bundle = MakeTlsBundle(TlsBundleOptions{});
  ASSERT_TRUE(bundle);
  ASSERT_TRUE(WriteTlsBundle(*bundle, dir.path() + "/tls", false));
  struct stat st;
  ASSERT_EQ(::stat((dir.path() + "/tls/agent.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir.path() + "/tls/ca.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir.path() + "/tls/ca.crt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  std::ifstream in(dir.path() + "/tls/controller.crt");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), bundle->controller.cert);
  // Existing material is not replaced by accident.
  EXPECT_FALSE(WriteTlsBundle(*bundle, dir.path() + "/tls", false));
  EXPECT_TRUE(WriteTlsBundle(*bundle, dir.path() + "/tls", true));
}

TEST(CertsTest, SecretYamlMatchesTheManifests) {
  auto bundle = MakeTlsBundle(TlsBundleOptions{});
  ASSERT_TRUE(bundle);
  // Each Secret in the namespace of the pods that mount it: a pod mounts its own
  // namespace's Secrets only.
  std::string yaml = KubernetesSecretsYaml(*bundle, "groundtruth-agent", "groundtruth-system");
  EXPECT_NE(yaml.find("name: groundtruth-agent-tls\n  namespace: groundtruth-agent\n"),
            std::string::npos);
  EXPECT_NE(yaml.find("name: groundtruth-controller-tls\n  namespace: groundtruth-system\n"),
            std::string::npos);
  EXPECT_NE(yaml.find("type: kubernetes.io/tls"), std::string::npos);
  EXPECT_NE(yaml.find("  ca.crt: "), std::string::npos);
  EXPECT_EQ(yaml.find("BEGIN"), std::string::npos);  // base64 only
  // The CA key stays out of the cluster: base64 of its PEM does not appear.
  std::string ca_key_b64_prefix =
      "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t";  // "-----BEGIN PRIVATE KEY-----"
  size_t keys = 0;
  for (size_t at = yaml.find(ca_key_b64_prefix); at != std::string::npos;
       at = yaml.find(ca_key_b64_prefix, at + 1)) {
    ++keys;
  }
  EXPECT_EQ(keys, 2u);  // tls.key of the two secrets
}

// Runs `groundtruth certs ARGS...`, returning its exit code and what it printed.
std::pair<int, std::string> RunCerts(std::vector<std::string> args) {
  args.insert(args.begin(), "certs");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  int rc = CertsMain(static_cast<int>(argv.size()), argv.data());
  std::string out = ::testing::internal::GetCapturedStdout();
  return {rc, out + ::testing::internal::GetCapturedStderr()};
}

TEST(CertsTest, SecretsCommandPutsEachSecretInItsNamespace) {
  auto [rc, out] = RunCerts({"--kubernetes-secrets"});
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("name: groundtruth-agent-tls\n  namespace: groundtruth-agent\n"),
            std::string::npos);
  EXPECT_NE(out.find("name: groundtruth-controller-tls\n  namespace: groundtruth-system\n"),
            std::string::npos);

  std::tie(rc, out) = RunCerts(
      {"--kubernetes-secrets", "--agent-namespace=gt-nodes", "--controller-namespace=gt-ctl"});
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("name: groundtruth-agent-tls\n  namespace: gt-nodes\n"), std::string::npos);
  EXPECT_NE(out.find("name: groundtruth-controller-tls\n  namespace: gt-ctl\n"), std::string::npos);

  // The form that once named one namespace for both is refused, not half obeyed.
  std::tie(rc, out) = RunCerts({"--kubernetes-secrets", "groundtruth-system"});
  EXPECT_EQ(rc, 3) << out;
  EXPECT_NE(out.find("groundtruth-system"), std::string::npos) << out;
}

}  // namespace
}  // namespace gt::agent
