#include "kube/config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "kube/base64.h"
#include "kube/exec_plugin.h"
#include "kube/time_format.h"
#include "tests/kube/test_certs.h"

namespace gt::kube {
namespace {

namespace fs = std::filesystem;
using testing::MakeSelfSigned;
using testing::MakeSigned;
using testing::TestCert;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "gt-kube-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& content,
                    bool executable = false) const {
    const std::string p = path_ + "/" + name;
    fs::create_directories(fs::path(p).parent_path());
    std::ofstream(p, std::ios::trunc) << content;
    if (executable) chmod(p.c_str(), 0755);
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

const TestCert& Ca() {
  static const TestCert ca = MakeSelfSigned("test-ca", "DNS:localhost");
  return ca;
}
const TestCert& Client() {
  static const TestCert c = MakeSigned(Ca(), "groundtruth", "");
  return c;
}

KubeconfigOptions Explicit(const std::string& path) {
  KubeconfigOptions o;
  o.explicit_path = path;
  return o;
}

std::string GoodConfig() {
  return R"(apiVersion: v1
kind: Config
current-context: main
clusters:
- name: c1
  cluster:
    server: https://10.0.0.1:6443
    certificate-authority-data: )" +
         Base64Encode(Ca().cert_pem) + R"(
    tls-server-name: kubernetes
- name: c2
  cluster:
    server: https://10.0.0.2:6443
    certificate-authority: pki/ca.crt
contexts:
- name: main
  context: {cluster: c1, user: token-user, namespace: apps}
- name: other
  context: {cluster: c2, user: cert-user}
users:
- name: token-user
  user:
    token: abc123
- name: cert-user
  user:
    client-certificate: pki/client.crt
    client-key: pki/client.key
)";
}

TEST(Kubeconfig, CurrentContextWithCaDataAndToken) {
  TempDir dir;
  FakeClock clock;
  auto rc = LoadKubeconfig(Explicit(dir.Write("config", GoodConfig())), clock);
  ASSERT_TRUE(rc) << rc.error().ToString();
  EXPECT_EQ(rc->server, "https://10.0.0.1:6443");
  EXPECT_EQ(rc->ca_pem, Ca().cert_pem);
  EXPECT_EQ(rc->tls_server_name, "kubernetes");
  EXPECT_EQ(rc->namespace_name, "apps");
  auto creds = rc->credentials->Current();
  ASSERT_TRUE(creds);
  EXPECT_EQ(creds->bearer_token, "abc123");
  EXPECT_TRUE(creds->client_cert_pem.empty());
}

TEST(Kubeconfig, ContextOverrideResolvesRelativeFilesAgainstTheConfigDir) {
  TempDir dir;
  dir.Write("kube/pki/ca.crt", Ca().cert_pem);
  dir.Write("kube/pki/client.crt", Client().cert_pem);
  dir.Write("kube/pki/client.key", Client().key_pem);
  FakeClock clock;
  KubeconfigOptions o = Explicit(dir.Write("kube/config", GoodConfig()));
  o.context_override = "other";
  auto rc = LoadKubeconfig(o, clock);
  ASSERT_TRUE(rc) << rc.error().ToString();
  EXPECT_EQ(rc->server, "https://10.0.0.2:6443");
  EXPECT_EQ(rc->ca_pem, Ca().cert_pem);
  EXPECT_EQ(rc->namespace_name, "default");
  auto creds = rc->credentials->Current();
  ASSERT_TRUE(creds);
  EXPECT_EQ(creds->client_cert_pem, Client().cert_pem);
  EXPECT_EQ(creds->client_key_pem, Client().key_pem);
  EXPECT_TRUE(creds->bearer_token.empty());
}

TEST(Kubeconfig, KubeconfigListMergesFirstDefinitionWins) {
  TempDir dir;
  const std::string ca = Base64Encode(Ca().cert_pem);
  const std::string a = dir.Write("a", R"(clusters:
- name: c
  cluster: {server: "https://first:6443", certificate-authority-data: )" +
                                           ca + R"(}
users:
- name: u
  user: {token: first}
)");
  const std::string b = dir.Write("b", R"(current-context: ctx
clusters:
- name: c
  cluster: {server: "https://second:6443"}
contexts:
- name: ctx
  context: {cluster: c, user: u}
users:
- name: u
  user: {token: second}
)");
  FakeClock clock;
  KubeconfigOptions o;
  o.env_kubeconfig = a + ":" + dir.path() + "/missing:" + b;
  auto rc = LoadKubeconfig(o, clock);
  ASSERT_TRUE(rc) << rc.error().ToString();
  EXPECT_EQ(rc->server, "https://first:6443");
  EXPECT_EQ(rc->credentials->Current()->bearer_token, "first");
}

TEST(Kubeconfig, TokenFileIsReadAndReReadAsItRotates) {
  TempDir dir;
  dir.Write("token", "  one\n");
  FakeClock clock;
  auto rc = LoadKubeconfig(Explicit(dir.Write("config", R"(current-context: x
clusters: [{name: c, cluster: {server: "https://h:1"}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
users: [{name: u, user: {tokenFile: token}}]
)")),
                           clock);
  ASSERT_TRUE(rc) << rc.error().ToString();
  EXPECT_EQ(rc->credentials->Current()->bearer_token, "one");
  dir.Write("token", "two");
  EXPECT_EQ(rc->credentials->Current()->bearer_token, "one");
  clock.Advance(std::chrono::seconds(61));
  EXPECT_EQ(rc->credentials->Current()->bearer_token, "two");
}

TEST(Kubeconfig, InsecureRefusedUnlessAllowed) {
  TempDir dir;
  const std::string path = dir.Write("config", R"(current-context: x
clusters: [{name: c, cluster: {server: "https://h:1", insecure-skip-tls-verify: true}}]
contexts: [{name: x, context: {cluster: c}}]
)");
  FakeClock clock;
  auto refused = LoadKubeconfig(Explicit(path), clock);
  ASSERT_FALSE(refused);
  // The message names what to do, not a flag: no flag turns the check off.
  EXPECT_EQ(refused.error().message.find("--"), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find("certificate-authority"), std::string::npos);
  KubeconfigOptions o = Explicit(path);
  o.allow_insecure = true;
  auto allowed = LoadKubeconfig(o, clock);
  ASSERT_TRUE(allowed) << allowed.error().ToString();
  EXPECT_TRUE(allowed->insecure_skip_tls_verify);
}

struct MalformedCase {
  const char* name;
  std::string yaml;
  std::string want;  // substring of the error message
};

class KubeconfigMalformed : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(KubeconfigMalformed, NamesTheFileAndTheProblem) {
  TempDir dir;
  const std::string path = dir.Write("config", GetParam().yaml);
  FakeClock clock;
  auto rc = LoadKubeconfig(Explicit(path), clock);
  ASSERT_FALSE(rc) << GetParam().name;
  EXPECT_EQ(rc.error().path, path) << rc.error().ToString();
  EXPECT_NE(rc.error().message.find(GetParam().want), std::string::npos) << rc.error().ToString();
}

const std::string kCtx =
    "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n";
const std::string kCluster = "clusters: [{name: c, cluster: {server: \"https://h:1\"}}]\n";

INSTANTIATE_TEST_SUITE_P(
    Cases, KubeconfigMalformed,
    ::testing::Values(
        MalformedCase{"not yaml", "clusters: [unclosed\n", "not valid YAML"},
        MalformedCase{"not a map", "- a\n- b\n", "not a YAML map"},
        MalformedCase{"wrong kind", "kind: Pod\n", "want Config"},
        MalformedCase{"clusters not list", "clusters: {a: b}\n", "\"clusters\" must be a list"},
        MalformedCase{"entry without name", "clusters: [{cluster: {server: x}}]\n", "has no name"},
        MalformedCase{
            "duplicate name",
            kCluster + "clusters2: 1\n" + "users: [{name: u, user: {}}, {name: u, user: {}}]\n",
            "duplicate name \"u\""},
        MalformedCase{"server not string", "clusters: [{name: c, cluster: {server: [a]}}]\n",
                      "\"server\" must be a string"},
        MalformedCase{"no current context", kCluster, "no current-context"},
        MalformedCase{"missing context", kCluster + "current-context: nope\n",
                      "context \"nope\" does not exist"},
        MalformedCase{"missing cluster", kCtx + "users: [{name: u, user: {}}]\n",
                      "cluster \"c\" was not found for context \"x\""},
        MalformedCase{"missing user", kCtx + kCluster,
                      "user \"u\" was not found for context \"x\""},
        MalformedCase{"no server",
                      kCtx + "clusters: [{name: c, cluster: {}}]\nusers: [{name: u, user: {}}]\n",
                      "no server found for cluster \"c\""},
        MalformedCase{"http server",
                      kCtx + "clusters: [{name: c, cluster: {server: \"http://h:1\"}}]\nusers: "
                             "[{name: u, user: {}}]\n",
                      "is not https"},
        MalformedCase{"bad base64",
                      kCtx +
                          "clusters: [{name: c, cluster: {server: \"https://h\", "
                          "certificate-authority-data: \"@@@\"}}]\nusers: [{name: u, user: {}}]\n",
                      "certificate-authority-data of cluster \"c\" is not valid base64"},
        MalformedCase{"ca not pem",
                      kCtx +
                          "clusters: [{name: c, cluster: {server: \"https://h\", "
                          "certificate-authority-data: aGVsbG8=}}]\nusers: [{name: u, user: {}}]\n",
                      "holds no PEM certificate"},
        MalformedCase{"ca file missing",
                      kCtx + "clusters: [{name: c, cluster: {server: \"https://h\", "
                             "certificate-authority: nope.crt}}]\nusers: [{name: u, user: {}}]\n",
                      "certificate-authority of cluster \"c\""},
        MalformedCase{
            "ca data and file",
            kCtx + "clusters: [{name: c, cluster: {server: \"https://h\", certificate-authority: "
                   "a, certificate-authority-data: aGVsbG8=}}]\nusers: [{name: u, user: {}}]\n",
            "are both specified"},
        MalformedCase{"cert without key",
                      kCtx + kCluster + "users: [{name: u, user: {client-certificate: c.crt}}]\n",
                      "client-key-data or client-key must be specified"},
        MalformedCase{"token file missing",
                      kCtx + kCluster + "users: [{name: u, user: {tokenFile: nope}}]\n",
                      "tokenFile of user \"u\""},
        MalformedCase{"exec without command",
                      kCtx + kCluster +
                          "users: [{name: u, user: {exec: {apiVersion: "
                          "client.authentication.k8s.io/v1beta1}}}]\n",
                      "command must be specified"},
        MalformedCase{"exec v1 without interactiveMode",
                      kCtx + kCluster +
                          "users: [{name: u, user: {exec: {apiVersion: "
                          "client.authentication.k8s.io/v1, command: x}}}]\n",
                      "interactiveMode must be specified"},
        MalformedCase{
            "exec bad version",
            kCtx + kCluster + "users: [{name: u, user: {exec: {apiVersion: v9, command: x}}}]\n",
            "unsupported apiVersion"},
        MalformedCase{
            "insecure with ca",
            kCtx +
                "clusters: [{name: c, cluster: {server: \"https://h\", insecure-skip-tls-verify: "
                "true, certificate-authority: a}}]\nusers: [{name: u, user: {}}]\n",
            "insecure flag is not allowed"},
        MalformedCase{"insecure not bool",
                      kCtx + "clusters: [{name: c, cluster: {server: \"https://h\", "
                             "insecure-skip-tls-verify: maybe}}]\nusers: [{name: u, user: {}}]\n",
                      "must be true or false"}),
    [](const ::testing::TestParamInfo<MalformedCase>& info) {
      std::string n = info.param.name;
      for (auto& c : n) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return n;
    });

TEST(Kubeconfig, MalformedYamlErrorCarriesLine) {
  TempDir dir;
  FakeClock clock;
  const std::string path =
      dir.Write("config", "current-context: x\nclusters:\n- name: c\n  cluster: {server: [}\n");
  auto rc = LoadKubeconfig(Explicit(path), clock);
  ASSERT_FALSE(rc);
  EXPECT_GT(rc.error().line, 0);
  EXPECT_EQ(rc.error().code, ErrorCode::kMalformed);
}

TEST(Kubeconfig, ExplicitMissingFileIsAnError) {
  FakeClock clock;
  auto rc = LoadKubeconfig(Explicit("/nonexistent/kubeconfig"), clock);
  ASSERT_FALSE(rc);
  EXPECT_EQ(rc.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(rc.error().path, "/nonexistent/kubeconfig");
}

// An exec plugin that counts its runs in a file and prints a token naming the run.
// `expiry_file` holds the expirationTimestamp to print; empty: none.
std::string PluginScript(const std::string& dir, const std::string& api_version,
                         const std::string& expiry_file) {
  return "#!/bin/sh\n"
         "n=$(cat " +
         dir + "/runs 2>/dev/null || echo 0); n=$((n+1)); echo $n > " + dir +
         "/runs\n"
         "[ \"$GT_EXTRA\" = yes ] || { echo 'env missing' >&2; exit 3; }\n"
         "[ \"$1\" = --flag ] || { echo 'arg missing' >&2; exit 4; }\n"
         "echo \"$KUBERNETES_EXEC_INFO\" > " +
         dir +
         "/exec-info\n"
         "cat <<EOF\n"
         "{\"apiVersion\":\"" +
         api_version + "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"tok-$n\"" +
         (expiry_file.empty() ? "" : ",\"expirationTimestamp\":\"$(cat " + expiry_file + ")\"") +
         "}}\nEOF\n";
}

std::string ExecConfigYaml(const std::string& api_version, const std::string& command) {
  return "current-context: x\n"
         "clusters: [{name: c, cluster: {server: \"https://h:1\"}}]\n"
         "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
         "users:\n- name: u\n  user:\n    exec:\n      apiVersion: " +
         api_version + "\n      command: " + command +
         "\n      args: [--flag]\n      env: [{name: GT_EXTRA, value: \"yes\"}]\n"
         "      interactiveMode: Never\n      provideClusterInfo: true\n";
}

TEST(ExecPlugin, CachesUntilExpiryThenReRunsAndReRunsOn401) {
  for (const std::string version :
       {"client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"}) {
    TempDir dir;
    FakeClock clock;
    const std::string expiry =
        dir.Write("expiry", FormatTime(clock.Wall() + std::chrono::minutes(5)));
    dir.Write("bin/plugin.sh", PluginScript(dir.path(), version, expiry), true);
    // Relative command with a '/': resolved against the kubeconfig's directory.
    auto rc = LoadKubeconfig(
        Explicit(dir.Write("config", ExecConfigYaml(version, "./bin/plugin.sh"))), clock);
    ASSERT_TRUE(rc) << rc.error().ToString();
    auto first = rc->credentials->Current();
    ASSERT_TRUE(first) << first.error().ToString();
    EXPECT_EQ(first->bearer_token, "tok-1");
    EXPECT_EQ(rc->credentials->Current()->bearer_token, "tok-1");  // cached
    clock.Advance(std::chrono::minutes(6));
    dir.Write("expiry", FormatTime(clock.Wall() + std::chrono::minutes(5)));
    auto second = rc->credentials->Current();
    ASSERT_TRUE(second);
    EXPECT_EQ(second->bearer_token, "tok-2");  // expired: re-run
    rc->credentials->Invalidate(*first);       // a stale 401 does not drop the fresh one
    EXPECT_EQ(rc->credentials->Current()->bearer_token, "tok-2");
    rc->credentials->Invalidate(*second);  // 401 on the current one: re-run
    EXPECT_EQ(rc->credentials->Current()->bearer_token, "tok-3");
    std::ifstream info(dir.path() + "/exec-info");
    std::string text((std::istreambuf_iterator<char>(info)), {});
    EXPECT_NE(text.find("\"interactive\":false"), std::string::npos) << text;
    EXPECT_NE(text.find("https://h:1"), std::string::npos) << text;
  }
}

TEST(ExecPlugin, FailuresAreErrors) {
  TempDir dir;
  FakeClock clock;
  const std::string v1 = "client.authentication.k8s.io/v1";
  // Exits non-zero: the message carries stderr's last line.
  dir.Write("fail.sh", "#!/bin/sh\necho 'login required' >&2\nexit 1\n", true);
  ExecConfig cfg;
  cfg.api_version = v1;
  cfg.command = dir.path() + "/fail.sh";
  cfg.interactive_mode = "Never";
  auto r = ExecCredentialSource(cfg, clock).Current();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("login required"), std::string::npos);
  // Wrong apiVersion in the answer.
  dir.Write("v.sh",
            "#!/bin/sh\necho "
            "'{\"apiVersion\":\"client.authentication.k8s.io/"
            "v1beta1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\"}}'\n",
            true);
  cfg.command = dir.path() + "/v.sh";
  r = ExecCredentialSource(cfg, clock).Current();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("plugin returned version"), std::string::npos);
  // Garbage output.
  dir.Write("g.sh", "#!/bin/sh\necho 'hello'\n", true);
  cfg.command = dir.path() + "/g.sh";
  r = ExecCredentialSource(cfg, clock).Current();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kMalformed);
  // Missing binary: the install hint is shown.
  cfg.command = dir.path() + "/nope";
  cfg.install_hint = "install the foo plugin";
  r = ExecCredentialSource(cfg, clock).Current();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("install the foo plugin"), std::string::npos);
}

TEST(ExecPlugin, ParsesClientCertificateCredentials) {
  const std::string json =
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",
    "status":{"clientCertificateData":"CERT","clientKeyData":"KEY","expirationTimestamp":"2030-01-02T03:04:05Z"}})";
  auto c = ParseExecCredential(json, "client.authentication.k8s.io/v1", "p");
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->credentials.client_cert_pem, "CERT");
  EXPECT_EQ(c->credentials.client_key_pem, "KEY");
  ASSERT_TRUE(c->expiry);
  EXPECT_EQ(FormatTime(*c->expiry), "2030-01-02T03:04:05Z");
  auto half = ParseExecCredential(
      R"({"apiVersion":"v","kind":"ExecCredential","status":{"clientCertificateData":"CERT"}})",
      "v", "p");
  EXPECT_FALSE(half);
}

TEST(InCluster, ReadsServiceAccountAndRotatesToken) {
  TempDir dir;
  dir.Write("sa/token", "first-token\n");
  dir.Write("sa/ca.crt", Ca().cert_pem);
  dir.Write("sa/namespace", "groundtruth-system");
  FakeClock clock;
  InClusterEnv env{"10.96.0.1", "443", ""};
  auto rc = LoadInClusterConfig(env, InClusterPaths::Under(dir.path() + "/sa"), clock);
  ASSERT_TRUE(rc) << rc.error().ToString();
  EXPECT_EQ(rc->server, "https://10.96.0.1:443");
  EXPECT_EQ(rc->namespace_name, "groundtruth-system");
  EXPECT_EQ(rc->ca_pem, Ca().cert_pem);
  EXPECT_EQ(rc->credentials->Current()->bearer_token, "first-token");
  dir.Write("sa/token", "second-token\n");  // the kubelet rotates the projected token
  clock.Advance(std::chrono::seconds(30));
  EXPECT_EQ(rc->credentials->Current()->bearer_token, "first-token");
  clock.Advance(std::chrono::seconds(31));
  EXPECT_EQ(rc->credentials->Current()->bearer_token, "second-token");
  // A 401 forces an early re-read.
  dir.Write("sa/token", "third-token\n");
  rc->credentials->Invalidate(*rc->credentials->Current());
  EXPECT_EQ(rc->credentials->Current()->bearer_token, "third-token");
  // A vanished file keeps the last good token.
  fs::remove(dir.path() + "/sa/token");
  clock.Advance(std::chrono::minutes(2));
  EXPECT_EQ(rc->credentials->Current()->bearer_token, "third-token");
}

TEST(InCluster, NotInClusterAndIpv6) {
  FakeClock clock;
  auto none = LoadInClusterConfig(InClusterEnv{}, InClusterPaths{}, clock);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kNotFound);
  TempDir dir;
  dir.Write("token", "t");
  dir.Write("ca.crt", Ca().cert_pem);
  auto rc = LoadInClusterConfig(InClusterEnv{"fd00::1", "6443", "from-env"},
                                InClusterPaths::Under(dir.path()), clock);
  ASSERT_TRUE(rc) << rc.error().ToString();
  EXPECT_EQ(rc->server, "https://[fd00::1]:6443");
  EXPECT_EQ(rc->namespace_name, "from-env");
}

TEST(Base64, RoundTripAndRejects) {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    auto d = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, s);
  }
  EXPECT_FALSE(Base64Decode("ab=c"));
  EXPECT_FALSE(Base64Decode("a"));
  EXPECT_FALSE(Base64Decode("a$bc"));
  EXPECT_EQ(*Base64Decode("aGVs\nbG8="), "hello");
}

TEST(TimeFormat, ParsesKubernetesTimes) {
  auto t = ParseTime("2026-11-24T03:35:15.123456Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(FormatMicroTime(*t), "2026-11-24T03:35:15.123456Z");
  EXPECT_EQ(FormatTime(*ParseTime("2026-11-24T05:35:15+02:00")), "2026-11-24T03:35:15Z");
  EXPECT_FALSE(ParseTime("2026-11-24 03:35:15Z"));
  EXPECT_FALSE(ParseTime("2026-13-24T03:35:15Z"));
  EXPECT_FALSE(ParseTime("yesterday"));
  // Beyond what system_clock holds in nanoseconds: clamped, not overflowed (found by fuzzing).
  EXPECT_EQ(FormatTime(*ParseTime("4060-01-02T03:04:05Z")), "2200-01-01T00:00:00Z");
  EXPECT_EQ(FormatTime(*ParseTime("0001-01-01T00:00:00Z")), "1900-01-01T00:00:00Z");
  EXPECT_EQ(FormatTime(*ParseTime("2199-12-31T23:59:59Z")), "2199-12-31T23:59:59Z");
}

// Found by kube_time_fuzz: a sign passed for a two-digit field, and days past the month's
// end rolled over into the next month, where RFC 3339 has neither.
TEST(TimeFormat, RefusesSignsAndDaysPastTheMonth) {
  EXPECT_FALSE(ParseTime("2026-11-24T-1:35:15Z"));
  EXPECT_FALSE(ParseTime("2026-11-24T03:-5:15Z"));
  EXPECT_FALSE(ParseTime("2026-11-24T03:35:15+-1:00"));
  EXPECT_FALSE(ParseTime("2024-02-30T23:59:59Z"));
  EXPECT_FALSE(ParseTime("2023-02-29T00:00:00Z"));
  EXPECT_FALSE(ParseTime("2026-04-31T00:00:00Z"));
  EXPECT_EQ(FormatTime(*ParseTime("2024-02-29T00:00:00Z")), "2024-02-29T00:00:00Z");
  EXPECT_EQ(FormatTime(*ParseTime("2000-02-29T00:00:00Z")), "2000-02-29T00:00:00Z");
  EXPECT_FALSE(ParseTime("1900-02-29T00:00:00Z"));
}

}  // namespace
}  // namespace gt::kube
