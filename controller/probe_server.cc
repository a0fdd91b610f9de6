#include "controller/probe_server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>

#include "controller/agent_client.h"

namespace gt::controller {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const ProbeHandlers& handlers)
      : stream_(std::move(socket)), handlers_(handlers) {}

  void Start() {
    // A slow or silent client is dropped instead of holding a connection open.
    stream_.expires_after(std::chrono::seconds(5));
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (!ec) self->Respond();
                     });
  }

 private:
  void Respond() {
    std::string_view target(request_.target().data(), request_.target().size());
    target = target.substr(0, target.find('?'));
    response_.version(request_.version());
    response_.keep_alive(false);
    response_.set(http::field::content_type, "text/plain; charset=utf-8");
    if (request_.method() != http::verb::get && request_.method() != http::verb::head) {
      response_.result(http::status::method_not_allowed);
      response_.body() = "method not allowed\n";
    } else if (target == "/metrics") {
      response_.result(http::status::ok);
      response_.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      response_.body() = handlers_.metrics ? handlers_.metrics() : std::string();
    } else if (target == "/healthz" || target == "/livez") {
      bool ok = !handlers_.healthy || handlers_.healthy();
      const std::string stalled = ok && handlers_.stalled ? handlers_.stalled() : std::string();
      ok = ok && stalled.empty();
      response_.result(ok ? http::status::ok : http::status::service_unavailable);
      response_.body() = ok                ? "ok\n"
                         : stalled.empty() ? "unhealthy\n"
                                           : "stalled: " + stalled + "\n";
    } else if (target == "/readyz") {
      bool ok = !handlers_.ready || handlers_.ready();
      response_.result(ok ? http::status::ok : http::status::service_unavailable);
      response_.body() = ok ? "ok\n" : "informers not synced\n";
    } else {
      response_.result(http::status::not_found);
      response_.body() = "not found\n";
    }
    response_.prepare_payload();
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code, size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  const ProbeHandlers& handlers_;
};

}  // namespace

struct ProbeServer::Impl {
  ProbeHandlers handlers;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread thread;

  void Accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) std::make_shared<Session>(std::move(socket), handlers)->Start();
      Accept();
    });
  }
};

ProbeServer::ProbeServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ProbeServer::~ProbeServer() {
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

uint16_t ProbeServer::port() const { return impl_->acceptor.local_endpoint().port(); }

Result<std::unique_ptr<ProbeServer>> ProbeServer::Start(const std::string& bind,
                                                        ProbeHandlers handlers) {
  std::string spec = bind;
  if (!spec.empty() && spec.front() == ':') spec = "0.0.0.0" + spec;
  auto split = SplitEndpoint(spec, /*allow_any_port=*/true);
  if (!split) return MakeError(ErrorCode::kInvalid, "bad bind address \"" + bind + "\"");
  beast::error_code ec;
  auto address = asio::ip::make_address(split->first, ec);
  if (ec)
    return MakeError(ErrorCode::kInvalid, "bad bind address \"" + bind + "\": " + ec.message());
  auto impl = std::make_unique<Impl>();
  impl->handlers = std::move(handlers);
  tcp::endpoint endpoint(address, split->second);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return MakeError(ErrorCode::kUnavailable, "cannot listen on " + bind + ": " + ec.message());
  impl->Accept();
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<ProbeServer>(new ProbeServer(std::move(impl)));
}

}  // namespace gt::controller
