// The real AgentClient: GET /v1/samples over HTTPS with mutual TLS (Boost.Beast + OpenSSL).
// The agent's certificate must chain to --agent-ca and name `server_name`; anything else is
// refused before a byte of HTTP is sent.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "controller/ports.h"
#include "tls/context.h"

namespace gt::controller {

struct AgentTlsOptions {
  std::string ca_file;    // --agent-ca: the only roots trusted for agents
  std::string cert_file;  // --tls-cert: our client certificate
  std::string key_file;   // --tls-key
  // The name agents' certificates carry (certs' default: groundtruth-agent). Pod IPs move,
  // so the name, not the address, is what is verified.
  std::string server_name = "groundtruth-agent";
  // For the whole exchange: connect, handshake, request, response. A hanging agent costs
  // one in-flight slot for this long, then it is an error.
  std::chrono::milliseconds timeout{5000};
  size_t max_response_bytes = 64u << 20;
  // How often the CA, certificate and key files are looked at for a rotation (cert-manager,
  // a Secret volume update): a changed set is used from the next scrape on.
  std::chrono::nanoseconds reload_check = std::chrono::seconds(10);
};

class MtlsAgentClient final : public AgentClient {
 public:
  static Result<std::unique_ptr<MtlsAgentClient>> Create(const AgentTlsOptions& options);
  ~MtlsAgentClient() override;

  Result<wire::SamplesResponse> Fetch(const AgentTarget& agent, uint64_t since) override;

  // Our client certificate as currently loaded, how many rotations were picked up, and why
  // the latest change on disk could not be loaded (the previous files stay in use).
  tls::CertificateFacts certificate() const;
  uint64_t tls_reloads() const;
  std::optional<Error> tls_reload_error() const;

 private:
  struct Impl;
  explicit MtlsAgentClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "10.0.0.5:9443" or "[fd00::5]:9443" -> host, port. Port 0 only when `allow_any_port`
// (a listener asking the kernel for a free port).
Result<std::pair<std::string, uint16_t>> SplitEndpoint(const std::string& endpoint,
                                                       bool allow_any_port = false);

}  // namespace gt::controller
