#include "agent/server.h"

#include <openssl/ssl.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <charconv>
#include <optional>
#include <thread>
#include <vector>

#include "agent/log.h"
#include "agent/server_detail.h"

namespace gt::agent {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

Result<std::pair<std::string, uint16_t>> ParseListenAddress(std::string_view listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos) {
    return MakeError(ErrorCode::kInvalid, "listen address needs a port (host:port)",
                     std::string(listen));
  }
  std::string_view host = listen.substr(0, colon);
  std::string_view port_text = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535 ||
      port_text.empty()) {
    return MakeError(ErrorCode::kInvalid, "bad port", std::string(listen));
  }
  return std::make_pair(host.empty() ? std::string("0.0.0.0") : std::string(host),
                        static_cast<uint16_t>(port));
}

namespace {

// Logs the first few of a kind of connection failure, then one in a thousand: a port scan
// or a misconfigured client must not flood the log.
bool WorthLogging(uint64_t nth) { return nth <= 10 || nth % 1000 == 0; }

struct Shared {
  ServerOptions options;
  const Ring& ring;
  AgentMetrics& metrics;
  const Clock& clock;
  ServedNode node;
  ssl::context tls{ssl::context::tls_server};
};

using Response = http::response<http::string_body>;

Response TextResponse(int status, std::string body, const char* content_type = "text/plain") {
  Response res{static_cast<http::status>(status), 11};
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.body() = std::move(body);
  return res;
}

// `since` from "since=<n>&...": empty query or absent parameter -> 0.
Result<uint64_t> SinceParameter(std::string_view query) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (param.substr(0, 6) != "since=") continue;
    std::string_view value = param.substr(6);
    uint64_t since = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), since);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
      return MakeError(ErrorCode::kInvalid, "since: expected an unsigned integer cursor");
    }
    return since;
  }
  return uint64_t{0};
}

// gzip (RFC 1952) at level 1: a 110-pod sample is ~0.4 MiB of JSON and shrinks ~30x, which
// is what the controller's inbound bandwidth across all nodes is made of.
Result<std::string> Gzip(std::string_view data) {
  z_stream z{};
  if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return MakeError(ErrorCode::kIo, "deflateInit2 failed");
  }
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return MakeError(ErrorCode::kIo, "deflate did not finish");
  return out;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// An element's weight is above zero: no "q" parameter, or a qvalue (0[.ddd] / 1[.000])
// with a non-zero digit. A malformed weight counts as zero: never gzip on a guess.
bool WeightAboveZero(std::string_view params) {
  while (!params.empty()) {
    const size_t semi = params.find(';');
    const std::string_view param = TrimOws(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    if (param.size() < 2 || !EqualsNoCase(param.substr(0, 2), "q=")) continue;
    const std::string_view q = param.substr(2);
    if (q.empty() || q.size() > 5 || (q[0] != '0' && q[0] != '1')) return false;
    if (q.size() > 1 && q[1] != '.') return false;
    const std::string_view decimals = q.substr(std::min<size_t>(2, q.size()));
    if (decimals.find_first_not_of(q[0] == '1' ? "0" : "0123456789") != std::string_view::npos) {
      return false;
    }
    return q[0] == '1' || decimals.find_first_not_of('0') != std::string_view::npos;
  }
  return true;
}

// RFC 9110 section 12.5.3: a list of codings, each with an optional weight. gzip (or its
// alias x-gzip) is acceptable when listed with a weight above zero, or, when not listed,
// when "*" is; "gzip;q=0" and "gzip;q=0.0" refuse it, "nogzip" is another coding.
bool AcceptsGzip(std::string_view accept_encoding) {
  std::optional<bool> gzip, any;
  while (true) {
    const size_t comma = accept_encoding.find(',');
    const std::string_view element = accept_encoding.substr(0, comma);
    const size_t semi = element.find(';');
    const std::string_view coding = TrimOws(element.substr(0, semi));
    const bool positive =
        semi == std::string_view::npos || WeightAboveZero(element.substr(semi + 1));
    if (EqualsNoCase(coding, "gzip") || EqualsNoCase(coding, "x-gzip")) {
      gzip = gzip.value_or(false) || positive;
    } else if (coding == "*") {
      any = any.value_or(false) || positive;
    }
    if (comma == std::string_view::npos) break;
    accept_encoding.remove_prefix(comma + 1);
  }
  return gzip ? *gzip : any.value_or(false);
}

Response SamplesReply(Shared& s, std::string_view query) {
  Result<uint64_t> since = SinceParameter(query);
  if (!since) return TextResponse(400, since.error().message + "\n");
  // Only pointers are copied under the ring's lock; inflating happens here, unlocked.
  RingSlice slice = s.ring.Since(*since, s.options.max_reply_json_bytes);
  std::vector<std::string> texts;
  texts.reserve(slice.samples.size());
  for (const auto& sample : slice.samples) {
    Result<std::string> json = sample->Json();
    if (!json) {
      LogError("cannot inflate stored sample " + std::to_string(sample->seq()) + ": " +
               json.error().ToString());
      return TextResponse(500, "stored sample unreadable\n");
    }
    texts.push_back(std::move(*json));
  }
  std::vector<std::string_view> views(texts.begin(), texts.end());
  auto interval_s = std::chrono::duration_cast<std::chrono::seconds>(s.node.interval).count();
  std::string body =
      wire::EncodeResponse(s.node.identity, slice.cursor, static_cast<uint32_t>(interval_s),
                           slice.truncated, slice.more, views);
  return TextResponse(200, std::move(body), "application/json");
}

Response HealthReply(Shared& s) {
  int64_t last = s.metrics.last_sample_monotonic_ns.load();
  if (last < 0) return TextResponse(503, "no sample yet\n");
  auto age = s.clock.Monotonic() - MonotonicTime(last);
  if (age > 3 * s.node.interval + std::chrono::seconds(1)) {
    return TextResponse(
        503, "newest sample is " +
                 std::to_string(std::chrono::duration_cast<std::chrono::seconds>(age).count()) +
                 "s old\n");
  }
  return TextResponse(200, "ok\n");
}

Response Route(Shared& s, const http::request<http::string_body>& req) {
  if (req.method() != http::verb::get) {
    Response res = TextResponse(405, "only GET\n");
    res.set(http::field::allow, "GET");
    return res;
  }
  std::string_view target(req.target().data(), req.target().size());
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  if (path == wire::kSamplesPath) {
    Response res = SamplesReply(s, query);
    auto accept = req.find(http::field::accept_encoding);
    if (res.result_int() == 200 && accept != req.end() &&
        AcceptsGzip(std::string_view(accept->value().data(), accept->value().size()))) {
      if (Result<std::string> gz = Gzip(res.body()); gz) {
        res.body() = std::move(*gz);
        res.set(http::field::content_encoding, "gzip");
      }
    }
    res.set(http::field::vary, "Accept-Encoding");
    return res;
  }
  if (path == "/healthz") return HealthReply(s);
  if (path == "/metrics") {
    return TextResponse(200, s.metrics.Render(s.ring, s.clock.Monotonic()),
                        "text/plain; version=0.0.4");
  }
  return TextResponse(404, "not found\n");
}

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, std::shared_ptr<Shared> shared)
      : stream_(std::move(socket), shared->tls),
        shared_(std::move(shared)),
        buffer_(shared_->options.max_request_header_bytes +
                shared_->options.max_request_body_bytes + 1024) {}
  ~Session() { shared_->metrics.connections_active.fetch_sub(1); }

  void Start() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::Handshake, shared_from_this()));
  }

 private:
  void Handshake() {
    beast::get_lowest_layer(stream_).expires_after(shared_->options.handshake_timeout);
    stream_.async_handshake(ssl::stream_base::server,
                            beast::bind_front_handler(&Session::OnHandshake, shared_from_this()));
  }

  void OnHandshake(beast::error_code ec) {
    if (ec) {
      uint64_t n = shared_->metrics.tls_handshake_failures.fetch_add(1) + 1;
      if (WorthLogging(n)) {
        LogWarning("TLS handshake failed from " + Peer() + ": " + ec.message() + " (failure #" +
                   std::to_string(n) + ")");
      }
      return;  // the socket closes with this session
    }
    Read();
  }

  void Read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_->options.max_request_header_bytes));
    parser_->body_limit(shared_->options.max_request_body_bytes);
    beast::get_lowest_layer(stream_).expires_after(shared_->options.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) return Shutdown();
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      return Refuse(431, "request header too large\n", ec);
    }
    if (ec == http::error::body_limit) return Refuse(413, "request body too large\n", ec);
    if (ec && ec.category() == beast::error_code(http::error::bad_target).category()) {
      return Refuse(400, "malformed request\n", ec);
    }
    if (ec) {
      // Timed out, reset, or TLS failure mid-stream: nothing more can be said to this peer.
      if (ec != beast::error::timeout && ec != net::error::operation_aborted &&
          ec != net::ssl::error::stream_truncated) {
        shared_->metrics.request_errors.fetch_add(1);
      } else if (ec == beast::error::timeout) {
        uint64_t n = shared_->metrics.request_errors.fetch_add(1) + 1;
        if (WorthLogging(n)) LogWarning("request from " + Peer() + " timed out; closed");
      }
      return;
    }
    http::request<http::string_body> req = parser_->release();
    Response res = Route(*shared_, req);
    res.keep_alive(req.keep_alive());
    Write(std::move(res));
  }

  void Refuse(int status, std::string body, beast::error_code ec) {
    uint64_t n = shared_->metrics.request_errors.fetch_add(1) + 1;
    if (WorthLogging(n)) {
      LogWarning("refused request from " + Peer() + ": " + ec.message() + " (" +
                 std::to_string(status) + ")");
    }
    Response res = TextResponse(status, std::move(body));
    res.keep_alive(false);
    Write(std::move(res));
  }

  void Write(Response res) {
    shared_->metrics.CountRequest(static_cast<int>(res.result_int()));
    response_ = std::move(res);
    response_.prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(shared_->options.write_timeout);
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, std::size_t) {
    if (ec) return;
    bool again = response_.keep_alive();
    response_ = {};  // a large reply is not kept for the life of an idle connection
    if (again) return Read();
    Shutdown();
  }

  void Shutdown() {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) {});
  }

  std::string Peer() {
    beast::error_code ec;
    tcp::endpoint ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    if (ec) return "unknown peer";
    return ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  beast::ssl_stream<beast::tcp_stream> stream_;
  std::shared_ptr<Shared> shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Response response_;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, tcp::acceptor acceptor, std::shared_ptr<Shared> shared)
      : ioc_(ioc), acceptor_(std::move(acceptor)), shared_(std::move(shared)), backoff_(ioc) {}

  void Accept() {
    acceptor_.async_accept(net::make_strand(ioc_),
                           beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
  }

  void Close() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      self->acceptor_.close(ec);
      self->backoff_.cancel();
    });
  }

 private:
  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // Out of descriptors, typically: wait a little instead of spinning on accept.
      LogWarning("accept failed: " + ec.message());
      backoff_.expires_after(std::chrono::milliseconds(200));
      backoff_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
        if (!wait_ec) self->Accept();
      });
      return;
    }
    if (shared_->metrics.connections_active.load() >= shared_->options.max_connections) {
      uint64_t n = shared_->metrics.connections_rejected.fetch_add(1) + 1;
      if (WorthLogging(n)) {
        LogWarning("connection limit " + std::to_string(shared_->options.max_connections) +
                   " reached; closing new connection (#" + std::to_string(n) + ")");
      }
      beast::error_code close_ec;
      socket.close(close_ec);
    } else {
      shared_->metrics.connections_active.fetch_add(1);
      std::make_shared<Session>(std::move(socket), shared_)->Start();
    }
    Accept();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  std::shared_ptr<Shared> shared_;
  net::steady_timer backoff_;
};

Status LoadTls(ssl::context& tls, const ServerOptions& o) {
  beast::error_code ec;
  auto fail = [](const std::string& what, const std::string& path, const beast::error_code& e) {
    return MakeError(ErrorCode::kInvalid, what + ": " + e.message(), path);
  };
  tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                      ssl::context::single_dh_use,
                  ec);
  if (ec) return fail("TLS options", "", ec);
  SSL_CTX* ctx = tls.native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // TLS 1.2: forward-secret AEAD suites only (TLS 1.3 suites are all of that kind).
  SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20");
  tls.use_certificate_chain_file(o.tls_cert, ec);
  if (ec) return fail("cannot load certificate", o.tls_cert, ec);
  tls.use_private_key_file(o.tls_key, ssl::context::pem, ec);
  if (ec) return fail("cannot load private key", o.tls_key, ec);
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return MakeError(ErrorCode::kInvalid, "private key does not match the certificate", o.tls_key);
  }
  tls.load_verify_file(o.tls_ca, ec);
  if (ec) return fail("cannot load CA", o.tls_ca, ec);
  if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(o.tls_ca.c_str())) {
    SSL_CTX_set_client_CA_list(ctx, names);  // tells clients which CA to present a cert from
  }
  tls.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
  if (ec) return fail("TLS verify mode", "", ec);
  return OkStatus();
}

class BeastServer final : public Server {
 public:
  BeastServer(std::shared_ptr<Shared> shared, int threads)
      : shared_(std::move(shared)), ioc_(threads) {}
  ~BeastServer() override { Stop(); }

  Status Init() {
    const ServerOptions& o = shared_->options;
    if (o.tls_ca.empty() || o.tls_cert.empty() || o.tls_key.empty()) {
      return MakeError(ErrorCode::kInvalid,
                       "mutual TLS needs --tls-ca, --tls-cert and --tls-key; the agent does not "
                       "serve plain HTTP");
    }
    if (Status tls = LoadTls(shared_->tls, o); !tls) return tls;
    auto address = ParseListenAddress(o.listen);
    if (!address) return address.error();
    beast::error_code ec;
    net::ip::address ip = net::ip::make_address(address->first, ec);
    if (ec) return MakeError(ErrorCode::kInvalid, "bad listen host: " + ec.message(), o.listen);
    tcp::endpoint endpoint(ip, address->second);
    tcp::acceptor acceptor(ioc_);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return MakeError(ErrorCode::kUnavailable, "cannot listen: " + ec.message(), o.listen);
    port_ = acceptor.local_endpoint(ec).port();
    listener_ = std::make_shared<Listener>(ioc_, std::move(acceptor), shared_);
    listener_->Accept();
    for (int i = 0; i < std::max(1, o.threads); ++i) {
      threads_.emplace_back([this] { RunLoop(); });
    }
    return OkStatus();
  }

  uint16_t port() const override { return port_; }

  void Stop() override {
    if (stopped_.exchange(true)) return;
    if (listener_) listener_->Close();
    ioc_.stop();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
  }

 private:
  void RunLoop() {
    while (!ioc_.stopped()) {
      try {
        ioc_.run();
        return;
      } catch (const std::exception& e) {
        // A handler threw (allocation failure, say): log and keep serving other clients.
        LogError(std::string("server handler failed: ") + e.what());
      }
    }
  }

  std::shared_ptr<Shared> shared_;
  net::io_context ioc_;
  std::shared_ptr<Listener> listener_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  std::atomic<bool> stopped_{false};
};

}  // namespace

Result<std::unique_ptr<Server>> Server::Start(const ServerOptions& options, const Ring& ring,
                                              AgentMetrics& metrics, const Clock& clock,
                                              ServedNode node) {
  try {
    auto shared = std::make_shared<Shared>(Shared{options, ring, metrics, clock, std::move(node)});
    auto server = std::make_unique<BeastServer>(shared, options.threads);
    if (Status started = server->Init(); !started) return started.error();
    return std::unique_ptr<Server>(std::move(server));
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kIo, std::string("cannot start server: ") + e.what(),
                     options.listen);
  }
}

namespace detail {

Result<uint64_t> SinceParameter(std::string_view query) { return agent::SinceParameter(query); }

bool AcceptsGzip(std::string_view accept_encoding) { return agent::AcceptsGzip(accept_encoding); }

Response Answer(const ServerOptions& options, const Ring& ring, AgentMetrics& metrics,
                const Clock& clock, const ServedNode& node, const Request& request) {
  Shared shared{options, ring, metrics, clock, node};
  return Route(shared, request);
}

}  // namespace detail

}  // namespace gt::agent
