#include "agent/server.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <charconv>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include "agent/admission.h"
#include "agent/log.h"
#include "agent/replies.h"
#include "agent/server_detail.h"
#include "tls/context.h"

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
  std::string ip = host.empty() ? std::string("0.0.0.0") : std::string(host);
  beast::error_code bad_ip;
  net::ip::make_address(ip, bad_ip);
  if (bad_ip) {
    return MakeError(ErrorCode::kInvalid, "host must be a numeric IP address", std::string(listen));
  }
  return std::make_pair(ip, static_cast<uint16_t>(port));
}

namespace {

// Logs the first few of a kind of connection failure, then one in a thousand: a port scan
// or a misconfigured client must not flood the log.
bool WorthLogging(uint64_t nth) { return nth <= 10 || nth % 1000 == 0; }

// A body shared between responses (agent/replies.h): writing it copies nothing.
struct SharedBody {
  using value_type = SharedText;
  static std::uint64_t size(const value_type& body) { return body ? body->size() : 0; }

  class writer {
   public:
    using const_buffers_type = net::const_buffer;
    template <bool isRequest, class Fields>
    writer(const http::header<isRequest, Fields>&, const value_type& body) : body_(body) {}
    void init(beast::error_code& ec) { ec = {}; }
    boost::optional<std::pair<const_buffers_type, bool>> get(beast::error_code& ec) {
      ec = {};
      if (done_ || !body_ || body_->empty()) return boost::none;
      done_ = true;
      return {{net::const_buffer(body_->data(), body_->size()), false}};
    }

   private:
    const value_type& body_;
    bool done_ = false;
  };
};

using Response = http::response<SharedBody>;

struct Shared {
  Shared(const ServerOptions& o, const Ring& r, AgentMetrics& m, const Clock& c, ServedNode n)
      : options(o),
        ring(r),
        metrics(m),
        clock(c),
        node(std::move(n)),
        handshakes(Admission::Limits{o.max_handshakes, o.max_handshakes_per_peer,
                                     o.handshake_evict_after}),
        probes(Admission::Limits{o.max_probe_connections, 0, std::chrono::milliseconds(0)}),
        budget(o.max_reply_bytes),
        replies(r, budget, o.max_reply_json_bytes, node.identity, IntervalSeconds()) {}

  uint32_t IntervalSeconds() const {
    return static_cast<uint32_t>(
        std::chrono::duration_cast<std::chrono::seconds>(node.interval).count());
  }

  ServerOptions options;
  const Ring& ring;
  AgentMetrics& metrics;
  const Clock& clock;
  ServedNode node;
  std::unique_ptr<tls::ReloadingContext> tls;  // set by Init
  Admission handshakes;
  Admission probes;
  ReplyBudget budget;
  SampleReplies replies;
};

// The TLS context for a connection being accepted now (rebuilt if the files rotated), and the
// certificate's state on /metrics.
std::shared_ptr<tls::Context> TlsForNewConnection(Shared& s) {
  std::shared_ptr<tls::Context> context = s.tls->Current(s.clock.Monotonic());
  const tls::CertificateFacts facts = s.tls->facts();
  s.metrics.tls_certificate_expiry_seconds.store(
      std::chrono::duration_cast<std::chrono::seconds>(facts.not_after.time_since_epoch()).count());
  s.metrics.tls_reloads.store(s.tls->reloads());
  s.metrics.tls_reload_failing.store(s.tls->last_error().has_value() ? 1 : 0);
  return context;
}

Response TextResponse(int status, std::string body, const char* content_type = "text/plain") {
  Response res{static_cast<http::status>(status), 11};
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.body() = std::make_shared<const std::string>(std::move(body));
  return res;
}

// 429: come back after a sampling interval, when held replies have gone and a new sample
// is there to fetch anyway.
Response Busy(const Shared& s, std::string why) {
  Response res = TextResponse(429, std::move(why) + "\n");
  res.set(http::field::retry_after, std::to_string(std::max<uint32_t>(1, s.IntervalSeconds())));
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

Response SamplesReply(Shared& s, std::string_view query, bool gzip) {
  Result<uint64_t> since = SinceParameter(query);
  if (!since) return TextResponse(400, since.error().message + "\n");
  Result<SharedText> body = s.replies.Get(*since, gzip);
  if (!body && body.error().code == ErrorCode::kUnavailable) {
    return Busy(s, body.error().message);
  }
  if (!body) {
    LogError("cannot build reply: " + body.error().ToString());
    return TextResponse(500, "stored sample unreadable\n");
  }
  Response res{http::status::ok, 11};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  if (gzip) res.set(http::field::content_encoding, "gzip");
  res.body() = std::move(*body);
  return res;
}

Response HealthReply(const Shared& s) {
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

Response MetricsReply(Shared& s) {
  s.metrics.reply_bytes.store(s.budget.used());
  s.metrics.replies_built.store(s.replies.built());
  s.metrics.replies_shared.store(s.replies.shared());
  return TextResponse(200, s.metrics.Render(s.ring, s.clock.Monotonic()),
                      "text/plain; version=0.0.4");
}

template <typename Request>
std::pair<std::string_view, std::string_view> PathAndQuery(const Request& req) {
  std::string_view target(req.target().data(), req.target().size());
  size_t q = target.find('?');
  return {target.substr(0, q),
          q == std::string_view::npos ? std::string_view() : target.substr(q + 1)};
}

Response Route(Shared& s, const http::request<http::string_body>& req) {
  if (req.method() != http::verb::get) {
    Response res = TextResponse(405, "only GET\n");
    res.set(http::field::allow, "GET");
    return res;
  }
  auto [path, query] = PathAndQuery(req);
  if (path == wire::kSamplesPath) {
    auto accept = req.find(http::field::accept_encoding);
    bool gzip = accept != req.end() &&
                AcceptsGzip(std::string_view(accept->value().data(), accept->value().size()));
    Response res = SamplesReply(s, query, gzip);
    res.set(http::field::vary, "Accept-Encoding");
    return res;
  }
  if (path == "/healthz") return HealthReply(s);
  if (path == "/metrics") return MetricsReply(s);
  return TextResponse(404, "not found\n");
}

std::string PeerAddress(const tcp::socket& socket) {
  beast::error_code ec;
  tcp::endpoint ep = socket.remote_endpoint(ec);
  return ec ? std::string() : ep.address().to_string();
}

class Session : public Admission::Holder, public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, std::shared_ptr<Shared> shared, std::string peer)
      : context_(TlsForNewConnection(*shared)),
        stream_(std::move(socket), *context_),
        shared_(std::move(shared)),
        peer_(std::move(peer)) {}
  ~Session() override {
    if (stage_ == Stage::kServing) shared_->metrics.connections_active.fetch_sub(1);
    LeavePool();
  }

  void Start(uint64_t ticket) {
    ticket_ = ticket;
    shared_->metrics.handshakes_pending.fetch_add(1);
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::Handshake, shared_from_this()));
  }

  // Taken out of the handshake pool for a newcomer: close unless it got through meanwhile.
  void Evict() override {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->stage_ == Stage::kServing) return;
      self->evicted_ = true;
      beast::get_lowest_layer(self->stream_).close();
    });
  }

 private:
  // kHandshake and kOverflow hold a place in the handshake pool; kServing one of
  // max_connections.
  enum class Stage { kHandshake, kServing, kOverflow };

  void LeavePool() {
    if (ticket_ == 0) return;
    shared_->handshakes.Leave(ticket_);
    shared_->metrics.handshakes_pending.fetch_sub(1);
    ticket_ = 0;
  }

  void Handshake() {
    beast::get_lowest_layer(stream_).expires_after(shared_->options.handshake_timeout);
    stream_.async_handshake(ssl::stream_base::server,
                            beast::bind_front_handler(&Session::OnHandshake, shared_from_this()));
  }

  void OnHandshake(beast::error_code ec) {
    if (ec) return HandshakeFailed(ec);
    AgentMetrics& m = shared_->metrics;
    if (m.connections_active.fetch_add(1) < shared_->options.max_connections) {
      stage_ = Stage::kServing;
      LeavePool();
    } else {
      // Authenticated, so it is told why: one 429, then the connection closes. It keeps its
      // handshake place meanwhile, so these too are bounded.
      m.connections_active.fetch_sub(1);
      stage_ = Stage::kOverflow;
      uint64_t n = m.connections_rejected.fetch_add(1) + 1;
      if (WorthLogging(n)) {
        LogWarning("connection limit " + std::to_string(shared_->options.max_connections) +
                   " reached; answering 429 to " + Peer() + " (#" + std::to_string(n) + ")");
      }
    }
    Read();
  }

  void HandshakeFailed(beast::error_code ec) {
    AgentMetrics& m = shared_->metrics;
    if (evicted_) {
      m.handshakes_abandoned.fetch_add(1);
      return;  // made room for a newcomer: expected under pressure, not logged
    }
    if (ec.category() != net::error::get_ssl_category()) {
      // Deadline, reset or closed before finishing: a port check, a scanner or a slow socket.
      uint64_t n = m.handshakes_abandoned.fetch_add(1) + 1;
      if (WorthLogging(n) && ec == beast::error::timeout) {
        LogWarning("TLS handshake from " + Peer() + " not finished within " +
                   std::to_string(shared_->options.handshake_timeout.count()) + "ms; closed (#" +
                   std::to_string(n) + ")");
      }
      return;
    }
    uint64_t n = m.tls_handshake_failures.fetch_add(1) + 1;
    if (WorthLogging(n)) {
      LogWarning("TLS handshake failed from " + Peer() + ": " + ec.message() + " (failure #" +
                 std::to_string(n) + ")");
    }
  }

  void Read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_->options.max_request_header_bytes));
    parser_->body_limit(shared_->options.max_request_body_bytes);
    auto deadline = shared_->options.read_timeout;
    if (stage_ == Stage::kOverflow)
      deadline = std::min(deadline, shared_->options.handshake_timeout);
    beast::get_lowest_layer(stream_).expires_after(deadline);
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
    if (stage_ == Stage::kOverflow) {
      Response res =
          Busy(*shared_, "too many connections (" +
                             std::to_string(shared_->options.max_connections) + " being served)");
      res.keep_alive(false);
      return Write(std::move(res));
    }
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
    keep_alive_ = res.keep_alive();
    response_ = std::move(res);
    response_.prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(shared_->options.write_timeout);
    http::async_write(stream_, response_,
                      beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, std::size_t) {
    response_ = {};  // the reply's body is released as soon as it is written (or not)
    if (ec) return;
    if (keep_alive_ && stage_ == Stage::kServing) return Read();
    Shutdown();
  }

  void Shutdown() {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) {});
  }

  std::string Peer() {
    beast::error_code ec;
    tcp::endpoint ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    if (ec) return peer_.empty() ? "unknown peer" : peer_;
    return ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  // Declared before the stream, which is built on it: this connection keeps the files it
  // started with, even if they rotate while it is open.
  std::shared_ptr<tls::Context> context_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  std::shared_ptr<Shared> shared_;
  std::string peer_;
  // Sized for a request's header and body: created empty, grown by the first read.
  beast::flat_buffer buffer_{shared_->options.max_request_header_bytes +
                             shared_->options.max_request_body_bytes + 1024};
  std::optional<http::request_parser<http::string_body>> parser_;
  Response response_;
  bool keep_alive_ = false;
  uint64_t ticket_ = 0;
  Stage stage_ = Stage::kHandshake;
  bool evicted_ = false;
};

// The plain-HTTP probe port: GET /healthz and /metrics, one request per connection, a short
// deadline. No client certificate, so it serves nothing but whether the sampler is fresh and
// the agent's own counters (no readings, no pod or workload names): what the kubelet and
// Prometheus need, without a certificate from our CA.
class ProbeSession : public Admission::Holder, public std::enable_shared_from_this<ProbeSession> {
 public:
  ProbeSession(tcp::socket&& socket, std::shared_ptr<Shared> shared)
      : stream_(std::move(socket)), shared_(std::move(shared)) {}
  ~ProbeSession() override {
    if (ticket_ != 0) shared_->probes.Leave(ticket_);
  }

  void Start(uint64_t ticket) {
    ticket_ = ticket;
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }

  void Evict() override {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->stream_.close(); });
  }

 private:
  void Read() {
    parser_.header_limit(1024);
    stream_.expires_after(shared_->options.probe_timeout);
    http::async_read(stream_, buffer_, parser_,
                     beast::bind_front_handler(&ProbeSession::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec) return;
    const auto& req = parser_.get();
    if (req.method() != http::verb::get) {
      response_ = TextResponse(405, "only GET\n");
      response_.set(http::field::allow, "GET");
    } else if (PathAndQuery(req).first == "/healthz") {
      response_ = HealthReply(*shared_);
    } else if (PathAndQuery(req).first == "/metrics") {
      response_ = MetricsReply(*shared_);
    } else {
      response_ = TextResponse(404, "only /healthz and /metrics here\n");
    }
    response_.keep_alive(false);
    response_.prepare_payload();
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code, size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  beast::tcp_stream stream_;
  std::shared_ptr<Shared> shared_;
  beast::flat_buffer buffer_{2048};
  http::request_parser<http::empty_body> parser_;
  Response response_;
  uint64_t ticket_ = 0;
};

// Accepts connections and hands each socket to `admit`.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  using Admit = std::function<void(tcp::socket&&)>;
  Listener(net::io_context& ioc, tcp::acceptor acceptor, Admit admit)
      : ioc_(ioc), acceptor_(std::move(acceptor)), admit_(std::move(admit)), backoff_(ioc) {}

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
    admit_(std::move(socket));
    Accept();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  Admit admit_;
  net::steady_timer backoff_;
};

// A new TLS connection takes a place in the handshake pool or is closed at once.
void AdmitTls(const std::shared_ptr<Shared>& shared, tcp::socket&& socket) {
  beast::error_code ec;
  if (shared->options.socket_send_buffer_bytes > 0) {
    socket.set_option(net::socket_base::send_buffer_size(shared->options.socket_send_buffer_bytes),
                      ec);
  }
  // Admitted before a session exists: a refused connection costs no TLS state.
  std::string peer = PeerAddress(socket);
  Admission::Decision decision = shared->handshakes.Admit(peer, {}, Admission::Clock::now());
  if (decision.evicted) decision.evicted->Evict();
  if (decision.ticket != 0) {
    auto session = std::make_shared<Session>(std::move(socket), shared, peer);
    shared->handshakes.Attach(decision.ticket, session);
    return session->Start(decision.ticket);
  }
  uint64_t n = shared->metrics.connections_rejected.fetch_add(1) + 1;
  socket.close(ec);
  if (WorthLogging(n)) {
    LogWarning("handshake places full for " + peer + " (" +
               std::to_string(shared->handshakes.held_by(peer)) + " of its own, " +
               std::to_string(shared->handshakes.size()) + " in all); closing new connection (#" +
               std::to_string(n) + ")");
  }
}

void AdmitProbe(const std::shared_ptr<Shared>& shared, tcp::socket&& socket) {
  std::string peer = PeerAddress(socket);
  auto session = std::make_shared<ProbeSession>(std::move(socket), shared);
  Admission::Decision decision = shared->probes.Admit(peer, session, Admission::Clock::now());
  if (decision.evicted) decision.evicted->Evict();
  if (decision.ticket != 0) session->Start(decision.ticket);
}

Status LoadTls(Shared& shared) {
  const ServerOptions& o = shared.options;
  auto context =
      tls::ReloadingContext::Create(tls::Files{o.tls_ca, o.tls_cert, o.tls_key},
                                    tls::ContextOptions{tls::Side::kServer, o.tls_client_name},
                                    o.tls_reload_check, shared.clock.Monotonic());
  if (!context) return context.error();
  shared.tls = std::move(*context);
  for (const std::string& warning :
       tls::CertificateWarnings(shared.tls->facts(), tls::Side::kServer, shared.clock.Wall(),
                                std::chrono::hours(24 * 7))) {
    LogWarning(o.tls_cert + ": " + warning);
  }
  (void)TlsForNewConnection(shared);  // the metrics show the certificate from the start
  return OkStatus();
}

Result<tcp::acceptor> Bind(net::io_context& ioc, const std::string& listen) {
  auto address = ParseListenAddress(listen);
  if (!address) return address.error();
  beast::error_code ec;
  tcp::endpoint endpoint(net::ip::make_address(address->first, ec), address->second);
  if (ec) return MakeError(ErrorCode::kInvalid, "bad listen host: " + ec.message(), listen);
  tcp::acceptor acceptor(ioc);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return MakeError(ErrorCode::kUnavailable, "cannot listen: " + ec.message(), listen);
  return acceptor;
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
    if (Status tls = LoadTls(*shared_); !tls) return tls;
    Result<tcp::acceptor> tls_acceptor = Bind(ioc_, o.listen);
    if (!tls_acceptor) return tls_acceptor.error();
    std::optional<tcp::acceptor> probe_acceptor;
    if (!o.probe_listen.empty()) {
      Result<tcp::acceptor> bound = Bind(ioc_, o.probe_listen);
      if (!bound) return bound.error();
      probe_acceptor.emplace(std::move(*bound));
    }
    beast::error_code ec;
    port_ = tls_acceptor->local_endpoint(ec).port();
    std::shared_ptr<Shared> shared = shared_;
    listeners_.push_back(std::make_shared<Listener>(
        ioc_, std::move(*tls_acceptor),
        [shared](tcp::socket&& socket) { AdmitTls(shared, std::move(socket)); }));
    if (probe_acceptor) {
      probe_port_ = probe_acceptor->local_endpoint(ec).port();
      listeners_.push_back(std::make_shared<Listener>(
          ioc_, std::move(*probe_acceptor),
          [shared](tcp::socket&& socket) { AdmitProbe(shared, std::move(socket)); }));
    }
    for (const auto& listener : listeners_) listener->Accept();
    for (int i = 0; i < std::max(1, o.threads); ++i) {
      threads_.emplace_back([this] { RunLoop(); });
    }
    return OkStatus();
  }

  uint16_t port() const override { return port_; }
  uint16_t probe_port() const override { return probe_port_; }

  void Stop() override {
    if (stopped_.exchange(true)) return;
    for (const auto& listener : listeners_) listener->Close();
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
  std::vector<std::shared_ptr<Listener>> listeners_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  uint16_t probe_port_ = 0;
  std::atomic<bool> stopped_{false};
};

}  // namespace

Result<std::unique_ptr<Server>> Server::Start(const ServerOptions& options, const Ring& ring,
                                              AgentMetrics& metrics, const Clock& clock,
                                              ServedNode node) {
  try {
    auto shared = std::make_shared<Shared>(options, ring, metrics, clock, std::move(node));
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
  // The server writes a shared body; callers of this seam read a plain string.
  agent::Response routed = Route(shared, request);
  Response out{routed.result(), routed.version()};
  for (const auto& field : routed) out.set(field.name_string(), field.value());
  if (routed.body()) out.body() = *routed.body();
  return out;
}

}  // namespace detail

}  // namespace gt::agent
