#include "agent/server.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <future>

#include "agent/certs.h"
#include "agent/log.h"
#include "agent/sampler.h"
#include "agent/server_detail.h"
#include "tls_client.h"
#include "tree.h"

namespace gt::agent {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
using testing::Get;
using testing::Reply;

// The server counts a failure on its own thread after the client has seen it: poll briefly.
template <typename Pred>
bool Eventually(Pred pred) {
  for (int i = 0; i < 500; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogEnabled(false);
    TlsBundleOptions tls;
    tls.agent_ips = {"127.0.0.1"};
    auto bundle = MakeTlsBundle(tls);
    ASSERT_TRUE(bundle) << bundle.error().ToString();
    bundle_ = *bundle;
    ASSERT_TRUE(WriteTlsBundle(bundle_, tls_dir_.path(), true));
    auto other = MakeTlsBundle(TlsBundleOptions{});
    ASSERT_TRUE(other);
    stranger_ = other->controller;

    host_.AddPod(1, 2);
    SamplerOptions so;
    so.host = host_.paths();
    auto sampler = Sampler::Create(so, ring_, clock_, metrics_);
    ASSERT_TRUE(sampler);
    sampler_ = std::move(*sampler);
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(sampler_->SampleOnce());
      clock_.Advance(std::chrono::seconds(5));
    }
  }
  void TearDown() override {
    if (server_) server_->Stop();
    SetLogEnabled(true);
  }

  void StartServer(ServerOptions options = {}) {
    options.listen = "127.0.0.1:0";
    options.tls_ca = tls_dir_.path() + "/ca.crt";
    options.tls_cert = tls_dir_.path() + "/agent.crt";
    options.tls_key = tls_dir_.path() + "/agent.key";
    auto server = Server::Start(options, ring_, metrics_, clock_,
                                ServedNode{{"node-a", "boot-1"}, std::chrono::seconds(5)});
    ASSERT_TRUE(server) << server.error().ToString();
    server_ = std::move(*server);
  }

  Reply Fetch(const std::string& target, const PemPair* client) {
    return Get(server_->port(), target, bundle_.ca.cert, client);
  }

  testing::TempDir tls_dir_;
  TlsBundle bundle_;
  PemPair stranger_;
  testing::FakeHost host_;
  FakeClock clock_;
  Ring ring_{RingLimits{}};
  AgentMetrics metrics_;
  std::unique_ptr<Sampler> sampler_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, ClientWithCertificateFromTheCaGetsSamples) {
  StartServer();
  Reply r = Fetch("/v1/samples?since=1", &bundle_.controller);
  ASSERT_EQ(r.status, 200) << r.error;
  auto decoded = wire::DecodeSamplesResponse(r.body);
  ASSERT_TRUE(decoded) << decoded.error().ToString();
  EXPECT_EQ(decoded->node.name, "node-a");
  EXPECT_EQ(decoded->node.boot_id, "boot-1");
  EXPECT_EQ(decoded->interval_seconds, 5u);
  EXPECT_EQ(decoded->cursor, 3u);
  EXPECT_FALSE(decoded->truncated);
  ASSERT_EQ(decoded->samples.size(), 2u);
  EXPECT_EQ(decoded->samples[0].seq, 2u);
  ASSERT_EQ(decoded->samples[1].pods.size(), 1u);
  EXPECT_EQ(decoded->samples[1].pods[0].containers.size(), 2u);

  r = Fetch("/v1/samples?since=3", &bundle_.controller);
  ASSERT_EQ(r.status, 200);
  decoded = wire::DecodeSamplesResponse(r.body);
  ASSERT_TRUE(decoded);
  EXPECT_TRUE(decoded->samples.empty());
  EXPECT_EQ(decoded->cursor, 3u);

  EXPECT_EQ(Fetch("/v1/samples", &bundle_.controller).status, 200);
  EXPECT_EQ(Fetch("/v1/samples?since=abc", &bundle_.controller).status, 400);
  EXPECT_EQ(Fetch("/nope", &bundle_.controller).status, 404);
  Reply health = Fetch("/healthz", &bundle_.controller);
  EXPECT_EQ(health.status, 200);
  clock_.Advance(std::chrono::minutes(1));
  EXPECT_EQ(Fetch("/healthz", &bundle_.controller).status, 503);

  Reply metrics = Fetch("/metrics", &bundle_.controller);
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("groundtruth_agent_samples_total 3\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("groundtruth_agent_ring_samples 3\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("groundtruth_agent_scrape_requests_total{code=\"200\"} 4\n"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("groundtruth_agent_last_sample_age_seconds 65\n"), std::string::npos);
}

TEST_F(ServerTest, CertificatesRotatedOnDiskServeNewConnections) {
  ServerOptions options;
  options.tls_reload_check = std::chrono::seconds(10);
  StartServer(options);
  ASSERT_EQ(Fetch("/v1/samples?since=3", &bundle_.controller).status, 200);
  // A renewal with a new CA as well (the hardest case): files replaced by rename, as a
  // Secret volume update or cert-manager does.
  TlsBundleOptions tls;
  tls.agent_ips = {"127.0.0.1"};
  auto next = MakeTlsBundle(tls);
  ASSERT_TRUE(next);
  ASSERT_TRUE(WriteTlsBundle(*next, tls_dir_.path(), true));
  // Before the next check the loaded files still serve.
  EXPECT_EQ(Fetch("/v1/samples?since=3", &bundle_.controller).status, 200);
  clock_.Advance(std::chrono::seconds(11));
  Reply renewed = Get(server_->port(), "/v1/samples?since=3", next->ca.cert, &next->controller);
  EXPECT_EQ(renewed.status, 200) << renewed.error;
  EXPECT_NE(Fetch("/v1/samples?since=3", &bundle_.controller).status, 200);
  Reply metrics = Get(server_->port(), "/metrics", next->ca.cert, &next->controller);
  EXPECT_NE(metrics.body.find("groundtruth_agent_tls_reloads_total 1\n"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("groundtruth_agent_tls_reload_failing 0\n"), std::string::npos);
}

TEST_F(ServerTest, ClientCertificateForAnotherNameIsRefused) {
  StartServer();
  CertRequest request;
  request.common_name = "intruder";
  request.dns_names = {"intruder"};
  request.client_auth = true;
  auto intruder = IssueCert(bundle_.ca, request);  // the same CA, another name
  ASSERT_TRUE(intruder);
  EXPECT_NE(Fetch("/v1/samples?since=3", &*intruder).status, 200);
  EXPECT_EQ(Fetch("/v1/samples?since=3", &bundle_.controller).status, 200);
}

std::string Gunzip(const std::string& gz) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out;
  char buf[65536];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  }
  inflateEnd(&z);
  EXPECT_EQ(rc, Z_STREAM_END);
  return out;
}

TEST_F(ServerTest, SamplesAreGzippedWhenTheClientAsks) {
  StartServer();
  Reply r = Get(server_->port(), "/v1/samples?since=0", bundle_.ca.cert, &bundle_.controller,
                std::chrono::seconds(10), "Accept-Encoding: gzip\r\n");
  ASSERT_EQ(r.status, 200) << r.error;
  ASSERT_GE(r.body.size(), 2u);
  EXPECT_EQ(r.body.substr(0, 2), "\x1f\x8b");
  auto decoded = wire::DecodeSamplesResponse(Gunzip(r.body));
  ASSERT_TRUE(decoded) << decoded.error().ToString();
  EXPECT_EQ(decoded->samples.size(), 3u);
  r = Get(server_->port(), "/v1/samples?since=0", bundle_.ca.cert, &bundle_.controller,
          std::chrono::seconds(10), "Accept-Encoding: gzip;q=0, identity\r\n");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(wire::DecodeSamplesResponse(r.body));
}

TEST_F(ServerTest, ClientWithoutCertificateIsRefused) {
  StartServer();
  Reply r = Fetch("/v1/samples", nullptr);
  EXPECT_EQ(r.status, 0) << r.body;
  EXPECT_FALSE(r.error.empty());
  EXPECT_TRUE(Eventually([&] { return metrics_.tls_handshake_failures.load() >= 1; }));
}

TEST_F(ServerTest, ClientWithCertificateFromAnotherCaIsRefused) {
  StartServer();
  Reply r = Fetch("/v1/samples", &stranger_);
  EXPECT_EQ(r.status, 0) << r.body;
  EXPECT_FALSE(r.error.empty());
}

TEST_F(ServerTest, OversizedRequestIsRefused) {
  StartServer();
  std::string huge = "X-Padding: " + std::string(64 * 1024, 'a') + "\r\n";
  Reply r = Get(server_->port(), "/v1/samples", bundle_.ca.cert, &bundle_.controller,
                std::chrono::seconds(10), huge);
  EXPECT_NE(r.status, 200);
  if (r.status != 0) {
    EXPECT_EQ(r.status, 431);
  }
  EXPECT_TRUE(Eventually([&] { return metrics_.request_errors.load() >= 1; }));
  // The server is still there for well-behaved clients.
  EXPECT_EQ(Fetch("/healthz", &bundle_.controller).status, 200);
}

// Opens a TLS connection with the controller's certificate and sends half a request.
struct StalledClient {
  net::io_context ioc;
  ssl::context ctx{ssl::context::tls_client};
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream;
  beast::error_code ec;

  StalledClient(uint16_t port, const TlsBundle& bundle) {
    ctx.add_certificate_authority(net::buffer(bundle.ca.cert));
    ctx.use_certificate_chain(net::buffer(bundle.controller.cert));
    ctx.use_private_key(net::buffer(bundle.controller.key), ssl::context::pem);
    stream.emplace(ioc, ctx);
    beast::get_lowest_layer(*stream).connect(
        net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    stream->handshake(ssl::stream_base::client);
    net::write(*stream, net::buffer(std::string("GET /v1/samples HTTP/1.1\r\nHost: a\r\nX-")));
  }

  // Waits (up to `limit`) for the server to end the connection; true if it did.
  bool ClosedByServer(std::chrono::seconds limit) {
    char byte;
    beast::get_lowest_layer(*stream).expires_after(limit);
    stream->async_read_some(net::buffer(&byte, 1), [&](beast::error_code e, size_t) { ec = e; });
    ioc.run();
    return ec && ec != beast::error::timeout;
  }
};

TEST_F(ServerTest, StalledClientsDoNotBlockOthersAndAreDroppedAtTheirDeadline) {
  ServerOptions options;
  options.threads = 1;  // even a single I/O thread serves others while clients stall
  options.read_timeout = std::chrono::milliseconds(500);
  options.handshake_timeout = std::chrono::milliseconds(500);
  StartServer(options);

  StalledClient stalled(server_->port(), bundle_);
  // A TCP client that never starts TLS.
  net::io_context raw_ioc;
  net::ip::tcp::socket raw(raw_ioc);
  raw.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), server_->port()));

  for (int i = 0; i < 3; ++i) {
    Reply r = Fetch("/v1/samples?since=2", &bundle_.controller);
    ASSERT_EQ(r.status, 200) << r.error;
  }
  EXPECT_TRUE(stalled.ClosedByServer(std::chrono::seconds(20)));
  char byte;
  beast::error_code raw_ec;
  raw.read_some(net::buffer(&byte, 1), raw_ec);  // returns once the server drops it
  EXPECT_TRUE(raw_ec);
  EXPECT_TRUE(Eventually([&] { return metrics_.request_errors.load() >= 1; }));
  // A socket that never spoke TLS is an abandoned handshake, not a TLS failure.
  EXPECT_TRUE(Eventually([&] { return metrics_.handshakes_abandoned.load() >= 1; }));
  EXPECT_EQ(metrics_.tls_handshake_failures.load(), 0u);
}

// A raw TCP socket from `source` (a loopback address: all of 127/8 is local) to `port`.
net::ip::tcp::socket RawSocket(net::io_context& ioc, const std::string& source, uint16_t port) {
  net::ip::tcp::socket socket(ioc);
  socket.open(net::ip::tcp::v4());
  socket.bind(net::ip::tcp::endpoint(net::ip::make_address(source), 0));
  socket.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  return socket;
}

// True when the server closed `socket` within `limit`.
bool ClosedWithin(net::ip::tcp::socket& socket, std::chrono::seconds limit) {
  timeval tv{static_cast<time_t>(limit.count()), 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char byte;
  beast::error_code ec;
  socket.read_some(net::buffer(&byte, 1), ec);
  return ec == net::error::eof || ec == net::error::connection_reset;
}

TEST_F(ServerTest, AuthenticatedConnectionsBeyondTheBoundGet429) {
  ServerOptions options;
  options.max_connections = 2;
  StartServer(options);
  // Idle sockets that never finish a handshake do not take an authenticated place.
  net::io_context ioc;
  std::vector<net::ip::tcp::socket> idle;
  for (int i = 0; i < 3; ++i) idle.push_back(RawSocket(ioc, "127.0.0.2", server_->port()));
  ASSERT_EQ(Fetch("/healthz", &bundle_.controller).status, 200);

  std::vector<std::unique_ptr<StalledClient>> held;
  for (int i = 0; i < 2; ++i)
    held.push_back(std::make_unique<StalledClient>(server_->port(), bundle_));
  ASSERT_TRUE(Eventually([&] { return metrics_.connections_active.load() == 2; }));
  Reply r = Fetch("/v1/samples?since=0", &bundle_.controller);
  EXPECT_EQ(r.status, 429) << r.error;
  EXPECT_EQ(r.retry_after, "5");
  EXPECT_EQ(metrics_.connections_rejected.load(), 1u);
  held.clear();
  ASSERT_TRUE(Eventually([&] { return metrics_.connections_active.load() == 0; }));
  EXPECT_EQ(Fetch("/healthz", &bundle_.controller).status, 200);
}

TEST_F(ServerTest, OnePeerCannotHoldMoreThanItsHandshakePlaces) {
  ServerOptions options;
  options.max_handshakes_per_peer = 2;
  StartServer(options);
  net::io_context ioc;
  auto first = RawSocket(ioc, "127.0.0.2", server_->port());
  auto second = RawSocket(ioc, "127.0.0.2", server_->port());
  ASSERT_TRUE(Eventually([&] { return metrics_.handshakes_pending.load() == 2; }));
  auto third = RawSocket(ioc, "127.0.0.2", server_->port());
  EXPECT_TRUE(ClosedWithin(third, std::chrono::seconds(10)));
  EXPECT_TRUE(Eventually([&] { return metrics_.connections_rejected.load() == 1u; }));
  // Another address is not that peer.
  EXPECT_EQ(Fetch("/v1/samples?since=2", &bundle_.controller).status, 200);
}

TEST_F(ServerTest, AFullHandshakePoolMakesRoomForANewPeer) {
  ServerOptions options;
  options.max_handshakes = 4;
  options.max_handshakes_per_peer = 3;
  options.handshake_timeout = std::chrono::seconds(30);  // only eviction frees a place here
  StartServer(options);
  net::io_context ioc;
  std::vector<net::ip::tcp::socket> idle;
  for (int i = 0; i < 3; ++i) idle.push_back(RawSocket(ioc, "127.0.0.2", server_->port()));
  idle.push_back(RawSocket(ioc, "127.0.0.3", server_->port()));
  ASSERT_TRUE(Eventually([&] { return metrics_.handshakes_pending.load() == 4; }));
  // The pool is full: the controller takes the oldest place of the heaviest peer.
  EXPECT_EQ(Fetch("/v1/samples?since=2", &bundle_.controller).status, 200);
  EXPECT_TRUE(ClosedWithin(idle[0], std::chrono::seconds(10)));
  EXPECT_EQ(metrics_.tls_handshake_failures.load(), 0u);
  EXPECT_TRUE(Eventually([&] { return metrics_.handshakes_abandoned.load() >= 1; }));
}

TEST_F(ServerTest, ProbePortAnswersHealthAndMetricsOnlyInPlainHttp) {
  ServerOptions options;
  options.probe_listen = "127.0.0.1:0";
  StartServer(options);
  ASSERT_NE(server_->probe_port(), 0);
  Reply r = testing::PlainGet(server_->probe_port(), "/healthz");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "ok\n");
  EXPECT_EQ(testing::PlainGet(server_->probe_port(), "/v1/samples?since=0").status, 404);
  // The agent's own counters, for Prometheus without a certificate from our CA: the same
  // text as over TLS, with process_* and the sample duration histogram; never readings.
  Reply metrics = testing::PlainGet(server_->probe_port(), "/metrics");
  EXPECT_EQ(metrics.status, 200) << metrics.error;
  for (const char* line :
       {"\ngroundtruth_agent_samples_total ", "\nprocess_resident_memory_bytes ",
        "\nprocess_cpu_seconds_total ", "\nprocess_open_fds ", "\nprocess_start_time_seconds ",
        "# TYPE groundtruth_agent_sample_duration_seconds histogram\n",
        "\ngroundtruth_agent_sample_duration_seconds_bucket{le=\"+Inf\"} ",
        "\ngroundtruth_agent_tls_certificate_expiry_timestamp_seconds "}) {
    EXPECT_NE(metrics.body.find(line), std::string::npos) << line << "\n" << metrics.body;
  }
  EXPECT_EQ(metrics.body.find("\"pods\""), std::string::npos) << "no readings on the plain port";
  // A TCP check of the probe port is not a TLS failure either.
  {
    net::io_context ioc;
    auto check = RawSocket(ioc, "127.0.0.1", server_->probe_port());
  }
  clock_.Advance(std::chrono::minutes(1));
  r = testing::PlainGet(server_->probe_port(), "/healthz");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("s old"), std::string::npos) << r.body;
  EXPECT_EQ(metrics_.tls_handshake_failures.load(), 0u);
  EXPECT_EQ(metrics_.handshakes_abandoned.load(), 0u);
}

TEST_F(ServerTest, RepliesAreBuiltOnceAndShared) {
  StartServer();
  Reply a = Fetch("/v1/samples?since=0", &bundle_.controller);
  Reply b = Fetch("/v1/samples?since=0", &bundle_.controller);
  ASSERT_EQ(a.status, 200) << a.error;
  ASSERT_EQ(b.status, 200) << b.error;
  EXPECT_EQ(a.body, b.body);
  Reply gz = Get(server_->port(), "/v1/samples?since=0", bundle_.ca.cert, &bundle_.controller,
                 std::chrono::seconds(10), "Accept-Encoding: gzip\r\n");
  ASSERT_EQ(gz.status, 200);
  EXPECT_EQ(Gunzip(gz.body), a.body);
  Reply metrics = Fetch("/metrics", &bundle_.controller);
  EXPECT_NE(metrics.body.find("groundtruth_agent_replies_built_total 2\n"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("groundtruth_agent_replies_shared_total 1\n"), std::string::npos);
  // A new sample is a new reply.
  ASSERT_TRUE(sampler_->SampleOnce());
  Reply c = Fetch("/v1/samples?since=0", &bundle_.controller);
  ASSERT_EQ(c.status, 200);
  auto decoded = wire::DecodeSamplesResponse(c.body);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->cursor, 4u);
}

TEST_F(ServerTest, ReplyBeyondTheMemoryBudgetGets429WithRetryAfter) {
  ServerOptions options;
  options.max_reply_bytes = 1024;  // smaller than one sample's JSON
  StartServer(options);
  Reply r = Fetch("/v1/samples?since=0", &bundle_.controller);
  EXPECT_EQ(r.status, 429) << r.error;
  EXPECT_EQ(r.retry_after, "5");
  EXPECT_NE(r.body.find("held for replies"), std::string::npos) << r.body;
  // Small answers are not budgeted replies.
  EXPECT_EQ(Fetch("/healthz", &bundle_.controller).status, 200);
  Reply metrics = Fetch("/metrics", &bundle_.controller);
  EXPECT_NE(metrics.body.find("groundtruth_agent_scrape_requests_total{code=\"429\"} 1\n"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("groundtruth_agent_reply_bytes 0\n"), std::string::npos);
}

TEST_F(ServerTest, StartFailsClearlyOnBadMaterial) {
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.tls_ca = tls_dir_.path() + "/ca.crt";
  options.tls_cert = tls_dir_.path() + "/agent.crt";
  options.tls_key = tls_dir_.path() + "/controller.key";  // not the agent's key
  auto server = Server::Start(options, ring_, metrics_, clock_, ServedNode{});
  ASSERT_FALSE(server);
  EXPECT_NE(server.error().path.find("controller.key"), std::string::npos)
      << server.error().ToString();
  options.tls_key = "";
  EXPECT_FALSE(Server::Start(options, ring_, metrics_, clock_, ServedNode{}));
  options.tls_key = tls_dir_.path() + "/agent.key";
  options.tls_ca = tls_dir_.path() + "/missing.crt";
  server = Server::Start(options, ring_, metrics_, clock_, ServedNode{});
  ASSERT_FALSE(server);
  EXPECT_NE(server.error().path.find("missing.crt"), std::string::npos);
}

// Found by agent_request_fuzz: "gzip;q=0.0" (a zero weight, RFC 9110 section 12.5.3) and
// any header merely containing "gzip" ("nogzip", "gzip2") got a gzip-coded reply.
TEST(AcceptsGzipTest, FollowsTheCodingsAndTheirWeights) {
  using detail::AcceptsGzip;
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("deflate, GZIP;q=0.5"));
  EXPECT_TRUE(AcceptsGzip("x-gzip"));
  EXPECT_TRUE(AcceptsGzip("gzip ; q=1.000"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_TRUE(AcceptsGzip("gzip;q=0.001"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0.0"));
  EXPECT_FALSE(AcceptsGzip("gzip; Q=0.000, identity"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0, *"));
  EXPECT_FALSE(AcceptsGzip("*;q=0"));
  EXPECT_FALSE(AcceptsGzip("nogzip"));
  EXPECT_FALSE(AcceptsGzip("gzip2, identity"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=2"));
  EXPECT_FALSE(AcceptsGzip("identity"));
  EXPECT_FALSE(AcceptsGzip(""));
}

TEST(ListenAddressTest, Parses) {
  auto a = ParseListenAddress("0.0.0.0:9443");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->first, "0.0.0.0");
  EXPECT_EQ(a->second, 9443);
  a = ParseListenAddress(":9443");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->first, "0.0.0.0");
  a = ParseListenAddress("[::1]:0");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->first, "::1");
  EXPECT_FALSE(ParseListenAddress("9443"));
  EXPECT_FALSE(ParseListenAddress("host:99999"));
  EXPECT_FALSE(ParseListenAddress("host:"));
}

}  // namespace
}  // namespace gt::agent
