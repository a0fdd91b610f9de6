// tls/context against real OpenSSL handshakes over a socket pair, with certificates made by
// agent/certs.cc, and rotations written to disk the way Secret volumes and cert-manager do.
#include "tls/context.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/certs.h"

namespace gt::tls {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

class TlsDir {
 public:
  TlsDir() {
    char tmpl[] = "/tmp/gt-tls-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  ~TlsDir() { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  // Replaces a file by rename, as a Secret volume update or cert-manager does.
  void Write(const std::string& name, const std::string& content) const {
    const std::string tmp = Path("." + name + ".tmp");
    std::ofstream(tmp) << content;
    std::filesystem::rename(tmp, Path(name));
  }

 private:
  std::string dir_;
};

agent::TlsBundle Bundle(const std::string& controller_name = "groundtruth-controller",
                        std::chrono::seconds validity = 24h * 365) {
  agent::TlsBundleOptions options;
  options.controller_name = controller_name;
  options.validity = validity;
  auto bundle = agent::MakeTlsBundle(options);
  EXPECT_TRUE(bundle) << bundle.error().ToString();
  return *bundle;
}

// Files for one side, from a bundle: the agent serves with its pair, the controller presents
// its own; both trust the bundle's CA.
Files WriteSide(const TlsDir& dir, const agent::TlsBundle& b, Side side) {
  const agent::PemPair& own = side == Side::kServer ? b.agent : b.controller;
  const std::string prefix = side == Side::kServer ? "server" : "client";
  dir.Write(prefix + "-ca.crt", b.ca.cert);
  dir.Write(prefix + ".crt", own.cert);
  dir.Write(prefix + ".key", own.key);
  return Files{dir.Path(prefix + "-ca.crt"), dir.Path(prefix + ".crt"), dir.Path(prefix + ".key")};
}

// Runs both handshakes over a connected socket pair; true when both succeed.
bool Handshake(Context& server, Context& client, const std::string& server_name) {
  asio::io_context io;
  asio::ssl::stream<asio::local::stream_protocol::socket> s(io, server), c(io, client);
  asio::local::connect_pair(s.next_layer(), c.next_layer());
  SSL_set_tlsext_host_name(c.native_handle(), server_name.c_str());
  boost::system::error_code server_ec, client_ec;
  std::thread server_side([&] { s.handshake(asio::ssl::stream_base::server, server_ec); });
  c.handshake(asio::ssl::stream_base::client, client_ec);
  if (client_ec) s.next_layer().close();  // the server may wait for a reply that never comes
  server_side.join();
  return !server_ec && !client_ec;
}

ContextOptions ServerOptions() { return {Side::kServer, "groundtruth-controller"}; }
ContextOptions ClientOptions() { return {Side::kClient, "groundtruth-agent"}; }

TEST(TlsContext, MutualHandshakeBetweenTheBundlesTwoSides) {
  TlsDir dir;
  auto b = Bundle();
  auto server = MakeContext(WriteSide(dir, b, Side::kServer), ServerOptions());
  auto client = MakeContext(WriteSide(dir, b, Side::kClient), ClientOptions());
  ASSERT_TRUE(server) << server.error().ToString();
  ASSERT_TRUE(client) << client.error().ToString();
  EXPECT_TRUE(Handshake(**server, **client, "groundtruth-agent"));
}

TEST(TlsContext, ServerRefusesAClientCertificateWithAnotherName) {
  TlsDir dir;
  auto b = Bundle("someone-else");  // same CA, client certificate for another name
  auto server = MakeContext(WriteSide(dir, b, Side::kServer), ServerOptions());
  auto client = MakeContext(WriteSide(dir, b, Side::kClient), ClientOptions());
  ASSERT_TRUE(server && client);
  EXPECT_FALSE(Handshake(**server, **client, "groundtruth-agent"));
  // The same certificates pass when the server asks for no name: the name is what refused.
  auto any_name = MakeContext(WriteSide(dir, b, Side::kServer), {Side::kServer, ""});
  ASSERT_TRUE(any_name);
  EXPECT_TRUE(Handshake(**any_name, **client, "groundtruth-agent"));
}

TEST(TlsContext, ServerRefusesACertificateMadeForServing) {
  // The agent's own certificate (serverAuth only) presented as a client's, with the name the
  // server asks for: the purpose refuses it.
  TlsDir dir;
  auto b = Bundle();
  Files server_files = WriteSide(dir, b, Side::kServer);
  auto server = MakeContext(server_files, {Side::kServer, "groundtruth-agent"});
  auto client = MakeContext(server_files, ClientOptions());
  ASSERT_TRUE(server && client);
  EXPECT_FALSE(Handshake(**server, **client, "groundtruth-agent"));
}

TEST(TlsContext, MismatchedKeyIsAnErrorNamingTheKeyFile) {
  TlsDir dir;
  auto a = Bundle(), b = Bundle();
  Files files = WriteSide(dir, a, Side::kServer);
  dir.Write("server.key", b.agent.key);
  auto context = MakeContext(files, ServerOptions());
  ASSERT_FALSE(context);
  EXPECT_EQ(context.error().path, files.key);
  EXPECT_NE(context.error().message.find("private key"), std::string::npos)
      << context.error().message;
}

TEST(TlsContext, MissingFileIsAnErrorNamingIt) {
  TlsDir dir;
  Files files = WriteSide(dir, Bundle(), Side::kClient);
  files.ca = dir.Path("nowhere.crt");
  auto context = MakeContext(files, ClientOptions());
  ASSERT_FALSE(context);
  EXPECT_EQ(context.error().path, files.ca);
}

TEST(TlsContext, FifoOrDeviceIsRefusedNotWaitedOn) {
  TlsDir dir;
  Files files = WriteSide(dir, Bundle(), Side::kServer);
  ASSERT_EQ(::mkfifo(dir.Path("fifo").c_str(), 0600), 0);
  files.key = dir.Path("fifo");  // opening it for reading would wait for a writer forever
  auto fifo = MakeContext(files, ServerOptions());
  ASSERT_FALSE(fifo);
  EXPECT_EQ(fifo.error().path, files.key);
  files.key = "/dev/zero";  // endless
  auto device = MakeContext(files, ServerOptions());
  ASSERT_FALSE(device);
  EXPECT_EQ(device.error().path, "/dev/zero");
}

TEST(ReloadingContext, PicksUpARotationAtTheNextCheck) {
  TlsDir dir;
  auto first = Bundle(), second = Bundle();
  Files files = WriteSide(dir, first, Side::kServer);
  auto r = ReloadingContext::Create(files, ServerOptions(), 10s, MonotonicTime(0));
  ASSERT_TRUE(r) << r.error().ToString();
  auto before = (*r)->Current(MonotonicTime(1s));
  WriteSide(dir, second, Side::kServer);
  // Not looked at before the check interval: connections keep the loaded files.
  EXPECT_EQ((*r)->Current(MonotonicTime(5s)), before);
  auto after = (*r)->Current(MonotonicTime(11s));
  EXPECT_NE(after, before);
  EXPECT_EQ((*r)->reloads(), 1u);
  EXPECT_FALSE((*r)->last_error());
  // The new context is the second bundle's: a client of the second CA completes a handshake,
  // one of the first does not; the old context (held by open connections) still works.
  auto client2 = MakeContext(WriteSide(dir, second, Side::kClient), ClientOptions());
  ASSERT_TRUE(client2);
  EXPECT_TRUE(Handshake(*after, **client2, "groundtruth-agent"));
  auto client1 = MakeContext(WriteSide(dir, first, Side::kClient), ClientOptions());
  ASSERT_TRUE(client1);
  EXPECT_FALSE(Handshake(*after, **client1, "groundtruth-agent"));
  EXPECT_TRUE(Handshake(*before, **client1, "groundtruth-agent"));
  // Unchanged files: no reload however often it looks.
  EXPECT_EQ((*r)->Current(MonotonicTime(30s)), after);
  EXPECT_EQ((*r)->reloads(), 1u);
}

TEST(ReloadingContext, HalfWrittenRotationKeepsThePreviousFilesUntilComplete) {
  TlsDir dir;
  auto first = Bundle(), second = Bundle();
  Files files = WriteSide(dir, first, Side::kServer);
  auto r = ReloadingContext::Create(files, ServerOptions(), 1s, MonotonicTime(0));
  ASSERT_TRUE(r);
  auto before = (*r)->Current(MonotonicTime(0));
  dir.Write("server.crt", second.agent.cert);  // the new certificate, the old key
  EXPECT_EQ((*r)->Current(MonotonicTime(2s)), before);
  ASSERT_TRUE((*r)->last_error());
  EXPECT_EQ((*r)->last_error()->path, files.key);
  EXPECT_EQ((*r)->reloads(), 0u);
  dir.Write("server.key", second.agent.key);
  dir.Write("server-ca.crt", second.ca.cert);
  EXPECT_NE((*r)->Current(MonotonicTime(4s)), before);
  EXPECT_FALSE((*r)->last_error());
  EXPECT_EQ((*r)->reloads(), 1u);
}

TEST(Certificate, FactsAndWarnings) {
  TlsDir dir;
  auto b = Bundle("groundtruth-controller", 2h);
  Files server = WriteSide(dir, b, Side::kServer);
  auto facts = InspectCertificate(server.cert, Side::kServer);
  ASSERT_TRUE(facts) << facts.error().ToString();
  EXPECT_TRUE(facts->purpose_ok);
  const auto now = std::chrono::system_clock::now();
  EXPECT_NEAR(std::chrono::duration<double>(facts->not_after - now).count(), 7200, 120);
  EXPECT_TRUE(CertificateWarnings(*facts, Side::kServer, now, 1h).empty());
  auto soon = CertificateWarnings(*facts, Side::kServer, now, 24h);
  ASSERT_EQ(soon.size(), 1u);
  EXPECT_NE(soon[0].find("expires at"), std::string::npos);
  auto expired = CertificateWarnings(*facts, Side::kServer, now + 3h, 24h);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_NE(expired[0].find("expired at"), std::string::npos);
  // The agent's certificate used as the controller's: wrong purpose, said at start.
  auto as_client = InspectCertificate(server.cert, Side::kClient);
  ASSERT_TRUE(as_client);
  EXPECT_FALSE(as_client->purpose_ok);
  auto wrong = CertificateWarnings(*as_client, Side::kClient, now, 1h);
  ASSERT_EQ(wrong.size(), 1u);
  EXPECT_NE(wrong[0].find("clientAuth"), std::string::npos);
}

TEST(Certificate, NotPemIsMalformed) {
  TlsDir dir;
  dir.Write("junk.crt", "not a certificate\n");
  auto facts = InspectCertificate(dir.Path("junk.crt"), Side::kServer);
  ASSERT_FALSE(facts);
  EXPECT_EQ(facts.error().code, ErrorCode::kMalformed);
  EXPECT_EQ(facts.error().path, dir.Path("junk.crt"));
}

}  // namespace
}  // namespace gt::tls
