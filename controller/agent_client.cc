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

#include "common/clock.h"
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
  SystemClock clock;
  std::unique_ptr<tls::ReloadingContext> context;
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
  if (options.ca_file.empty() || options.cert_file.empty() || options.key_file.empty()) {
    return MakeError(ErrorCode::kInvalid,
                     "agent mutual TLS needs --agent-ca, --tls-cert and --tls-key");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  // The agent's certificate must chain to --agent-ca, allow serverAuth and name server_name.
  tls::ContextOptions context_options{tls::Side::kClient, options.server_name};
  auto context = tls::ReloadingContext::Create(
      tls::Files{options.ca_file, options.cert_file, options.key_file}, context_options,
      options.reload_check, impl->clock.Monotonic());
  if (!context) return context.error();
  impl->context = std::move(*context);
  return std::unique_ptr<MtlsAgentClient>(new MtlsAgentClient(std::move(impl)));
}

tls::CertificateFacts MtlsAgentClient::certificate() const { return impl_->context->facts(); }
uint64_t MtlsAgentClient::tls_reloads() const { return impl_->context->reloads(); }
std::optional<Error> MtlsAgentClient::tls_reload_error() const {
  return impl_->context->last_error();
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
    // This exchange keeps the context it started with, even if the files rotate meanwhile.
    std::shared_ptr<tls::Context> context = impl_->context->Current(impl_->clock.Monotonic());
    beast::ssl_stream<beast::tcp_stream> stream(io, *context);
    if (!SSL_set_tlsext_host_name(stream.native_handle(), options.server_name.c_str())) {
      return MakeError(ErrorCode::kInvalid, "cannot set TLS server name", url);
    }

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
