// Issue 10: the Kubernetes client under a hostile or broken peer and bad local input. Every
// wait ends: a trickling answer at the request deadline, a hung exec plugin (with what it
// forked) at its exit deadline, a Retry-After loop at Shutdown(); oversized answers and
// files are refused with a message naming them. Time bounds here are only "does not hang".
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "kube/config.h"
#include "kube/credentials.h"
#include "kube/exec_plugin.h"
#include "kube/rest_client.h"
#include "kube/url.h"
#include "tests/kube/fake_apiserver.h"
#include "tests/kube/test_certs.h"

namespace gt::kube {
namespace {

namespace fs = std::filesystem;
using testing::FakeApiServer;
using testing::FakeConnection;
using testing::FakeRequest;
using testing::MakeSelfSigned;
using testing::MakeSigned;
using testing::TestCert;
using Clock = std::chrono::steady_clock;

// Generous: what "does not hang" means here; the deadlines under test are far shorter.
constexpr auto kNoHang = std::chrono::seconds(20);

const TestCert& Ca() {
  static const TestCert ca = MakeSelfSigned("fake-ca", "DNS:fake-ca");
  return ca;
}
const TestCert& ServerCert() {
  static const TestCert c = MakeSigned(Ca(), "fake-apiserver", "DNS:fake-apiserver");
  return c;
}

RestConfig ConfigFor(const std::string& url) {
  RestConfig rc;
  rc.server = url;
  rc.ca_pem = Ca().cert_pem;
  rc.tls_server_name = "fake-apiserver";
  rc.credentials = std::make_shared<StaticCredentials>(Credentials{"secret", "", ""});
  return rc;
}

std::unique_ptr<RestClient> MakeClient(RestConfig rc, gt::Clock& clock, RestClientOptions o) {
  auto c = RestClient::Create(std::move(rc), clock, std::move(o));
  EXPECT_TRUE(c) << c.error().ToString();
  return c ? std::move(*c) : nullptr;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "gt-hostile-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& content,
                    bool executable = false) const {
    const std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::trunc) << content;
    if (executable) chmod(p.c_str(), 0755);
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// --- request deadline, body cap, shutdown ---

TEST(Hostile, TricklingAnswerEndsAtTheRequestDeadline) {
  // One byte every 50 ms: cpprestsdk's per-read timeout (as long as the deadline) never fires.
  std::atomic<bool> done{false};
  FakeApiServer server(ServerCert(), [&](const FakeRequest&, FakeConnection& c) {
    c.StartChunked();
    const std::string body = R"({"kind":"PodList","items":[)" + std::string(1000, ' ');
    for (size_t i = 0; i < body.size() && !done; ++i) {
      c.Chunk(body.substr(i, 1));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  SystemClock clock;
  RestClientOptions o;
  o.request_timeout = std::chrono::milliseconds(600);
  o.max_read_retries = 0;
  auto client = MakeClient(ConfigFor(server.url()), clock, o);
  const auto started = Clock::now();
  auto r = client->List("/api/v1/pods", ListOptions{});
  done = true;
  EXPECT_LT(Clock::now() - started, kNoHang);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("600ms request deadline"), std::string::npos)
      << r.error().ToString();
}

TEST(Hostile, TricklingWatchIsCutAfterItsTimeoutPlusGrace) {
  std::atomic<bool> done{false};
  FakeApiServer server(ServerCert(), [&](const FakeRequest&, FakeConnection& c) {
    c.StartChunked();
    for (int i = 0; i < 400 && !done; ++i) {  // whitespace between events: no event, no end
      c.Chunk("\n");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  SystemClock clock;
  RestClientOptions o;
  o.watch_grace = std::chrono::seconds(1);
  WatchOptions wo;
  wo.timeout = std::chrono::seconds(1);
  auto client = MakeClient(ConfigFor(server.url()), clock, o);
  Status st = client->Watch(
      "/api/v1/pods", wo, [](WatchEvent&&) {}, std::stop_token());
  done = true;
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(st.error().message.find("grace"), std::string::npos) << st.error().ToString();
}

TEST(Hostile, AnswerOverTheBodyCapIsRefused) {
  const std::string big = R"({"items":[")" + std::string(5000, 'x') + R"("]})";
  FakeApiServer server(ServerCert(), [&](const FakeRequest& req, FakeConnection& c) {
    if (req.Path() == "/declared") {
      c.Respond(200, big);  // Content-Length says it all
    } else {
      c.StartChunked();  // no length: counted as it arrives
      for (size_t i = 0; i < big.size(); i += 100) c.Chunk(big.substr(i, 100));
      c.EndChunked();
    }
  });
  SystemClock clock;
  RestClientOptions o;
  o.max_body_bytes = 4096;
  o.max_read_retries = 0;
  auto client = MakeClient(ConfigFor(server.url()), clock, o);
  for (const char* path : {"/declared", "/chunked"}) {
    auto r = client->Get(path);
    ASSERT_FALSE(r) << path;
    EXPECT_EQ(r.error().code, ErrorCode::kMalformed) << path;
    EXPECT_NE(r.error().message.find("4096 bytes cap"), std::string::npos) << r.error().ToString();
  }
  o.max_body_bytes = 8192;  // the same answers fit under a larger cap
  auto roomy = MakeClient(ConfigFor(server.url()), clock, o);
  EXPECT_TRUE(roomy->Get("/declared"));
  EXPECT_TRUE(roomy->Get("/chunked"));
}

TEST(Hostile, ShutdownInterruptsARetryAfterLoop) {
  FakeApiServer server(ServerCert(), [](const FakeRequest&, FakeConnection& c) {
    c.Respond(429, R"({"kind":"Status","reason":"TooManyRequests"})", {{"Retry-After", "60"}});
  });
  SystemClock clock;  // real waits: 10 x 60 s unless the stop ends them
  auto client = MakeClient(ConfigFor(server.url()), clock, RestClientOptions{});
  const auto started = Clock::now();
  std::thread stopper([&] {
    while (server.requests().empty() && Clock::now() - started < kNoHang) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    client->Shutdown();
  });
  auto r = client->Create("/api/v1/namespaces/n/events", Json{{"a", 1}});
  stopper.join();
  EXPECT_LT(Clock::now() - started, kNoHang);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("shutting down"), std::string::npos) << r.error().ToString();
  EXPECT_EQ(server.requests().size(), 1u);
  // After Shutdown nothing is sent at all.
  EXPECT_FALSE(client->Get("/version"));
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(Hostile, ShutdownCancelsAHangingRequestAndWatch) {
  FakeApiServer server(ServerCert(),
                       [](const FakeRequest&, FakeConnection& c) { c.HangUntilStopped(); });
  SystemClock clock;
  auto client = MakeClient(ConfigFor(server.url()), clock, RestClientOptions{});  // 30 s deadline
  const auto started = Clock::now();
  std::thread stopper([&] {
    while (server.requests().size() < 2 && Clock::now() - started < kNoHang) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    client->Shutdown();
  });
  Status watched = OkStatus();
  std::thread watcher(
      [&] { watched = client->Watch("/api/v1/pods", WatchOptions{}, [](WatchEvent&&) {}, {}); });
  auto r = client->Get("/api/v1/pods");
  watcher.join();
  stopper.join();
  EXPECT_LT(Clock::now() - started, kNoHang);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("shutting down"), std::string::npos) << r.error().ToString();
  ASSERT_FALSE(watched);
  EXPECT_NE(watched.error().message.find("shutting down"), std::string::npos);
}

// --- exec plugin ---

// The state letter of /proc/<pid>/stat; 0 when the process is gone.
char ProcessState(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  const auto paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size() ? 0 : text[paren + 2];
}

// Gone, or a zombie waiting for whoever reaps orphans here: either way it was killed.
bool DiesWithin(pid_t pid, std::chrono::seconds bound) {
  const auto until = Clock::now() + bound;
  while (Clock::now() < until) {
    const char state = ProcessState(pid);
    if (state == 0 || state == 'Z' || state == 'X') return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

pid_t ReadPid(const std::string& path) {
  for (int i = 0; i < 500; ++i) {
    std::ifstream in(path);
    pid_t pid = 0;
    if (in >> pid && pid > 0) return pid;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return 0;
}

// Closes its output (so reading it ends at once), forks a child that holds on, and sleeps.
std::string HungPluginScript(const std::string& dir) {
  return "#!/bin/sh\n"
         "exec >&- 2>&-\n"
         "sleep 300 &\n"
         "echo $! > " +
         dir + "/child\n" + "echo $$ > " + dir + "/plugin\n" + "sleep 300\n";
}

ExecConfig PluginConfig(const std::string& command, std::chrono::milliseconds timeout) {
  ExecConfig cfg;
  cfg.api_version = "client.authentication.k8s.io/v1";
  cfg.command = command;
  cfg.interactive_mode = "Never";
  cfg.timeout = timeout;
  return cfg;
}

TEST(Hostile, HungPluginIsKilledWithItsProcessGroupAtTheDeadline) {
  TempDir dir;
  const std::string script = dir.Write("hung.sh", HungPluginScript(dir.path()), true);
  FakeClock clock;
  ExecCredentialSource source(PluginConfig(script, std::chrono::seconds(2)), clock);
  const auto started = Clock::now();
  auto r = source.Current();
  EXPECT_LT(Clock::now() - started, kNoHang);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("did not exit within 2s"), std::string::npos)
      << r.error().ToString();
  EXPECT_NE(r.error().message.find("process group"), std::string::npos);
  EXPECT_EQ(r.error().path, script);
  const pid_t plugin = ReadPid(dir.path() + "/plugin");
  const pid_t child = ReadPid(dir.path() + "/child");
  ASSERT_GT(plugin, 0);
  ASSERT_GT(child, 0);
  EXPECT_TRUE(DiesWithin(plugin, std::chrono::seconds(5)));  // reaped by us
  EXPECT_TRUE(DiesWithin(child, std::chrono::seconds(5)));   // killed with the group
  if (ProcessState(child) != 0) kill(child, SIGKILL);
}

TEST(Hostile, ShutdownKillsARunningPlugin) {
  TempDir dir;
  const std::string script = dir.Write("hung.sh", HungPluginScript(dir.path()), true);
  FakeClock clock;
  auto source = std::make_shared<ExecCredentialSource>(
      PluginConfig(script, std::chrono::milliseconds(std::chrono::minutes(5))), clock);
  RestConfig rc = ConfigFor("https://127.0.0.1:1");
  rc.credentials = source;
  auto client = MakeClient(rc, clock, RestClientOptions{});
  std::thread stopper([&] {
    ReadPid(dir.path() + "/plugin");  // it is running
    client->Shutdown();
  });
  const auto started = Clock::now();
  auto r = client->Get("/version");
  stopper.join();
  EXPECT_LT(Clock::now() - started, kNoHang);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("shutting down"), std::string::npos) << r.error().ToString();
  const pid_t child = ReadPid(dir.path() + "/child");
  ASSERT_GT(child, 0);
  EXPECT_TRUE(DiesWithin(child, std::chrono::seconds(5)));
  if (ProcessState(child) != 0) kill(child, SIGKILL);
}

// --- local input ---

TEST(Hostile, ReadFileRefusesDevicesFifosAndHugeFiles) {
  TempDir dir;
  const std::string fifo = dir.path() + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const std::string huge = dir.path() + "/huge";
  {
    const int fd = open(huge.c_str(), O_CREAT | O_WRONLY, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(ftruncate(fd, kMaxConfigFileBytes + 1), 0);  // sparse: costs no disk
    close(fd);
  }
  struct Case {
    std::string path;
    const char* says;
  };
  for (const Case& c : {Case{"/dev/zero", "character device"}, Case{fifo, "FIFO"},
                        Case{dir.path(), "directory"}, Case{huge, "larger than 4194304 bytes"}}) {
    const auto started = Clock::now();
    auto r = ReadFile(c.path);
    EXPECT_LT(Clock::now() - started, kNoHang);
    ASSERT_FALSE(r) << c.path;
    EXPECT_EQ(r.error().path, c.path);
    EXPECT_NE(r.error().ToString().find(c.says), std::string::npos) << r.error().ToString();
  }
  EXPECT_EQ(*ReadFile(dir.Write("ok", "token\n")), "token\n");
  EXPECT_EQ(*ReadFile(dir.Write("empty", "")), "");
  auto small_cap = ReadFile(dir.Write("five", "12345"), 4);
  ASSERT_FALSE(small_cap);
}

std::string KubeconfigWith(const std::string& server, const std::string& user) {
  return "current-context: x\n"
         "clusters: [{name: c, cluster: {server: \"" +
         server +
         "\"}}]\n"
         "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
         "users: [{name: u, user: {" +
         user + "}}]\n";
}

TEST(Hostile, KubeconfigWithAnUnreadableTokenFileNamesIt) {
  TempDir dir;
  const std::string fifo = dir.path() + "/token-fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  FakeClock clock;
  for (const std::string& token_file : {std::string("/dev/zero"), fifo}) {
    KubeconfigOptions o;
    o.explicit_path =
        dir.Write("config", KubeconfigWith("https://h:6443", "tokenFile: " + token_file));
    auto rc = LoadKubeconfig(o, clock);
    ASSERT_FALSE(rc) << token_file;
    EXPECT_NE(rc.error().ToString().find(token_file), std::string::npos) << rc.error().ToString();
    EXPECT_NE(rc.error().ToString().find("not a regular file"), std::string::npos);
  }
  KubeconfigOptions o;  // the kubeconfig itself
  o.explicit_path = "/dev/zero";
  auto rc = LoadKubeconfig(o, clock);
  ASSERT_FALSE(rc);
  EXPECT_NE(rc.error().ToString().find("/dev/zero"), std::string::npos);
}

TEST(Hostile, ServerUrlsAreCheckedAtLoad) {
  for (const char* bad : {"https://[::1", "https://[::1]x", "https://[nope]:443", "https://h:0",
                          "https://h:99999", "https://h:port", "https://", "https://h h",
                          "https://h/?q=1", "https://:443", "https://h\x01"}) {
    Status st = CheckServerUrl(bad);
    EXPECT_FALSE(st) << bad;
  }
  for (const char* good :
       {"https://h", "https://10.0.0.1:6443", "https://[::1]:6443", "https://[fd00::1]",
        "https://api.example.com:443/prefix", "https://user:pass@h:6443"}) {
    Status st = CheckServerUrl(good);
    EXPECT_TRUE(st) << good << ": " << st.error().ToString();
  }
  TempDir dir;
  FakeClock clock;
  KubeconfigOptions o;
  o.explicit_path = dir.Write("config", KubeconfigWith("https://[::1", "token: t"));
  auto rc = LoadKubeconfig(o, clock);
  ASSERT_FALSE(rc);
  EXPECT_NE(rc.error().ToString().find("closing ']'"), std::string::npos) << rc.error().ToString();
  EXPECT_NE(rc.error().ToString().find("https://[::1"), std::string::npos);
  auto in_cluster =
      LoadInClusterConfig({"::1]", "443", ""}, InClusterPaths::Under(dir.path()), clock);
  ASSERT_FALSE(in_cluster);
  EXPECT_NE(in_cluster.error().message.find("KUBERNETES_SERVICE_HOST"), std::string::npos);
}

TEST(Hostile, CredentialsInTheServerUrlAreNeverPrinted) {
  EXPECT_EQ(RedactUrl("https://user:hunter2@h:6443/p"), "https://REDACTED@h:6443/p");
  EXPECT_EQ(RedactUrl("https://h:6443/p@x"), "https://h:6443/p@x");  // '@' in the path only
  EXPECT_EQ(RedactUrl("https://h"), "https://h");
  int port;
  {
    FakeApiServer gone(ServerCert(), [](const FakeRequest&, FakeConnection&) {});
    port = gone.port();
  }
  SystemClock clock;
  RestClientOptions o;
  o.max_read_retries = 0;
  auto client =
      MakeClient(ConfigFor("https://user:hunter2@127.0.0.1:" + std::to_string(port)), clock, o);
  auto r = client->Get("/version");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().ToString().find("hunter2"), std::string::npos) << r.error().ToString();
  EXPECT_NE(r.error().ToString().find("REDACTED@127.0.0.1"), std::string::npos);
  TempDir dir;
  KubeconfigOptions ko;
  ko.explicit_path = dir.Write("config", KubeconfigWith("https://user:hunter2@h:0", "token: t"));
  auto rc = LoadKubeconfig(ko, clock);
  ASSERT_FALSE(rc);
  EXPECT_EQ(rc.error().ToString().find("hunter2"), std::string::npos) << rc.error().ToString();
}

}  // namespace
}  // namespace gt::kube
