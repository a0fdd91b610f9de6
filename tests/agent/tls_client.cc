#include "tls_client.h"

#include <openssl/ssl.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace gt::agent::testing {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;

Reply Get(uint16_t port, const std::string& target, const std::string& ca_pem,
          const PemPair* client, std::chrono::seconds timeout, const std::string& extra_header,
          const std::string& source) {
  Reply reply;
  net::io_context ioc;
  ssl::context ctx(ssl::context::tls_client);
  beast::error_code ec;
  ctx.add_certificate_authority(net::buffer(ca_pem), ec);
  if (client != nullptr) {
    ctx.use_certificate_chain(net::buffer(client->cert), ec);
    ctx.use_private_key(net::buffer(client->key), ssl::context::pem, ec);
  }
  ctx.set_verify_mode(ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
  SSL_set1_host(stream.native_handle(), "groundtruth-agent");
  beast::get_lowest_layer(stream).expires_after(timeout);
  net::ip::tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port);
  auto fail = [&](const char* what, const beast::error_code& e) {
    reply.error = std::string(what) + ": " + e.message();
    return reply;
  };
  if (!source.empty()) {
    auto& socket = beast::get_lowest_layer(stream).socket();
    socket.open(net::ip::tcp::v4(), ec);
    if (!ec) socket.bind(net::ip::tcp::endpoint(net::ip::make_address(source), 0), ec);
    if (ec) return fail("bind", ec);
  }
  // Async calls with deadlines, run to completion, so a stalled server fails the call.
  beast::get_lowest_layer(stream).async_connect(ep, [&](beast::error_code e) { ec = e; });
  ioc.run();
  if (ec) return fail("connect", ec);
  ioc.restart();
  stream.async_handshake(ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
  ioc.run();
  if (ec) return fail("handshake", ec);
  ioc.restart();
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: groundtruth-agent\r\n" +
                        extra_header + "Connection: close\r\n\r\n";
  net::async_write(stream, net::buffer(request), [&](beast::error_code e, size_t) { ec = e; });
  ioc.run();
  if (ec) return fail("write", ec);
  ioc.restart();
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256 * 1024 * 1024);
  http::async_read(stream, buffer, parser, [&](beast::error_code e, size_t) { ec = e; });
  ioc.run();
  if (ec) return fail("read", ec);
  reply.status = static_cast<int>(parser.get().result_int());
  reply.body = parser.get().body();
  if (auto it = parser.get().find(http::field::retry_after); it != parser.get().end()) {
    reply.retry_after = std::string(it->value());
  }
  return reply;
}

Reply PlainGet(uint16_t port, const std::string& target, std::chrono::seconds timeout,
               const std::string& host) {
  Reply reply;
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  stream.expires_after(timeout);
  net::ip::tcp::endpoint ep(net::ip::make_address(host), port);
  auto fail = [&](const char* what, const beast::error_code& e) {
    reply.error = std::string(what) + ": " + e.message();
    return reply;
  };
  stream.async_connect(ep, [&](beast::error_code e) { ec = e; });
  ioc.run();
  if (ec) return fail("connect", ec);
  ioc.restart();
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: agent\r\nConnection: close\r\n\r\n";
  net::async_write(stream, net::buffer(request), [&](beast::error_code e, size_t) { ec = e; });
  ioc.run();
  if (ec) return fail("write", ec);
  ioc.restart();
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  http::async_read(stream, buffer, parser, [&](beast::error_code e, size_t) { ec = e; });
  ioc.run();
  if (ec) return fail("read", ec);
  reply.status = static_cast<int>(parser.get().result_int());
  reply.body = parser.get().body();
  return reply;
}

}  // namespace gt::agent::testing
