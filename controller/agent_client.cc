#include "controller/agent_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>
#include <charconv>
#include <optional>

#include "kube/credentials.h"
#include "wire/samples.h"

namespace gt::controller {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

std::string Describe(const beast::error_code& ec) {
  std::string text = ec.message();
  // OpenSSL's reason is more useful than asio's generic category text.
  if (ec.category() == asio::error::get_ssl_category()) {
    char buffer[256];
    ERR_error_string_n(static_cast<unsigned long>(ec.value()), buffer, sizeof(buffer));
    text = buffer;
  }
  return text;
}

}  // namespace

struct MtlsAgentClient::Impl {
  AgentTlsOptions options;
  ssl::context context{ssl::context::tls_client};
};

MtlsAgentClient::MtlsAgentClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MtlsAgentClient::~MtlsAgentClient() = default;

Result<std::pair<std::string, uint16_t>> SplitEndpoint(const std::string& endpoint,
                                                       bool allow_any_port) {
  std::string host;
  std::string_view port_text;
  if (!endpoint.empty() && endpoint.front() == '[') {
    auto close = endpoint.find("]:");
    if (close == std::string::npos) {
      return MakeError(ErrorCode::kInvalid, "bad agent endpoint", endpoint);
    }
    host = endpoint.substr(1, close - 1);
    port_text = std::string_view(endpoint).substr(close + 2);
  } else {
    auto colon = endpoint.rfind(':');
    if (colon == std::string::npos) {
      return MakeError(ErrorCode::kInvalid, "bad agent endpoint", endpoint);
    }
    host = endpoint.substr(0, colon);
    port_text = std::string_view(endpoint).substr(colon + 1);
  }
  uint16_t port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() ||
      (port == 0 && !allow_any_port)) {
    return MakeError(ErrorCode::kInvalid, "bad agent port", endpoint);
  }
  return std::make_pair(host, port);
}

Result<std::unique_ptr<MtlsAgentClient>> MtlsAgentClient::Create(const AgentTlsOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (options.ca_file.empty() || options.cert_file.empty() || options.key_file.empty()) {
    return MakeError(ErrorCode::kInvalid,
                     "agent mutual TLS needs --agent-ca, --tls-cert and --tls-key");
  }
  beast::error_code ec;
  ssl::context& context = impl->context;
  context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  context.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
  // Read bounded and only from regular files (kube::ReadFile): a device or a FIFO given
  // by mistake must not hang or exhaust the controller before it logs a line.
  auto ca = kube::ReadFile(options.ca_file);
  if (!ca) return ca.error();
  auto cert = kube::ReadFile(options.cert_file);
  if (!cert) return cert.error();
  auto key = kube::ReadFile(options.key_file);
  if (!key) return key.error();
  if (!ec) context.add_certificate_authority(asio::buffer(*ca), ec);
  if (ec)
    return MakeError(ErrorCode::kInvalid, "cannot load agent CA: " + ec.message(), options.ca_file);
  context.use_certificate_chain(asio::buffer(*cert), ec);
  if (ec) {
    return MakeError(ErrorCode::kInvalid, "cannot load client certificate: " + ec.message(),
                     options.cert_file);
  }
  context.use_private_key(asio::buffer(*key), ssl::context::pem, ec);
  if (ec) {
    return MakeError(ErrorCode::kInvalid, "cannot load client key: " + ec.message(),
                     options.key_file);
  }
  return std::unique_ptr<MtlsAgentClient>(new MtlsAgentClient(std::move(impl)));
}

Result<wire::SamplesResponse> MtlsAgentClient::Fetch(const AgentTarget& agent, uint64_t since) {
  const AgentTlsOptions& options = impl_->options;
  auto endpoint = SplitEndpoint(agent.endpoint);
  if (!endpoint) return endpoint.error();
  const std::string url = "https://" + agent.endpoint + std::string(wire::kSamplesPath);
  try {
    beast::error_code ec;
    auto address = asio::ip::make_address(endpoint->first, ec);
    if (ec) return MakeError(ErrorCode::kInvalid, "agent address: " + ec.message(), url);

    asio::io_context io;
    beast::ssl_stream<beast::tcp_stream> stream(io, impl_->context);
    if (!SSL_set_tlsext_host_name(stream.native_handle(), options.server_name.c_str())) {
      return MakeError(ErrorCode::kInvalid, "cannot set TLS server name", url);
    }
    stream.set_verify_callback(ssl::host_name_verification(options.server_name));

    http::request<http::empty_body> request{
        http::verb::get, std::string(wire::kSamplesPath) + "?since=" + std::to_string(since), 11};
    request.set(http::field::host, options.server_name);
    request.set(http::field::user_agent, "groundtruth-controller");
    request.set(http::field::accept, "application/json");
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(options.max_response_bytes);

    std::optional<Error> failure;
    auto fail = [&](const std::string& step, const beast::error_code& error) {
      if (error == beast::error::timeout) {
        failure = MakeError(
            ErrorCode::kUnavailable,
            step + " timed out after " + std::to_string(options.timeout.count()) + "ms", url);
      } else {
        failure = MakeError(ErrorCode::kUnavailable, step + ": " + Describe(error), url);
      }
    };
    // One deadline for the whole exchange, whatever the agent does or does not send.
    beast::get_lowest_layer(stream).expires_after(options.timeout);
    beast::get_lowest_layer(stream).async_connect(
        tcp::endpoint(address, endpoint->second), [&](beast::error_code error) {
          if (error) return fail("connect", error);
          stream.async_handshake(ssl::stream_base::client, [&](beast::error_code error) {
            if (error) {
              return fail(
                  "TLS handshake (is the agent's certificate from --agent-ca, for "
                  "the name " +
                      options.server_name + "?)",
                  error);
            }
            http::async_write(stream, request, [&](beast::error_code error, size_t) {
              if (error) return fail("request", error);
              http::async_read(stream, buffer, parser, [&](beast::error_code error, size_t) {
                if (error) return fail("response", error);
                beast::get_lowest_layer(stream).close();
              });
            });
          });
        });
    io.run();
    if (failure) return *failure;
    const auto& response = parser.get();
    if (response.result() != http::status::ok) {
      std::string body = response.body().substr(0, 200);
      return MakeError(ErrorCode::kUnavailable,
                       "agent answered HTTP " + std::to_string(response.result_int()) + ": " + body,
                       url);
    }
    auto decoded = wire::DecodeSamplesResponse(response.body());
    if (!decoded) {
      return MakeError(ErrorCode::kMalformed, "agent sent bad samples: " + decoded.error().message,
                       url);
    }
    return decoded;
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kUnavailable, std::string("agent request failed: ") + e.what(),
                     url);
  }
}

}  // namespace gt::controller
