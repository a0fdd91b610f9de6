// client-go exec credential plugins (client.authentication.k8s.io/v1 and v1beta1).
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "kube/credentials.h"
#include "kube/time_format.h"

namespace gt::kube {

struct ExecConfig {
  std::string api_version;  // client.authentication.k8s.io/v1 or /v1beta1
  std::string command;      // resolved against the kubeconfig's dir when it holds a '/'
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;  // added to this process's environment
  std::string install_hint;
  std::string interactive_mode;  // Never, IfAvailable, Always; we never have a terminal
  bool provide_cluster_info = false;
  // For KUBERNETES_EXEC_INFO when provide_cluster_info is set.
  std::string cluster_server;
  std::string cluster_ca_pem;
  std::string cluster_tls_server_name;
  // client-go has none; a hung plugin must not hang us. The plugin must have exited by
  // then (not merely closed its output), or its whole process group is killed.
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
};

struct ExecCredential {
  Credentials credentials;
  std::optional<WallTime> expiry;  // status.expirationTimestamp; empty: valid until a 401
};

// Parses the plugin's stdout. `api_version` must match what the kubeconfig asked for.
Result<ExecCredential> ParseExecCredential(std::string_view json, const std::string& api_version,
                                           const std::string& command);

// Runs the plugin when there is no credential, when it has expired, or after a 401.
class ExecCredentialSource final : public CredentialSource {
 public:
  ExecCredentialSource(ExecConfig config, Clock& clock)
      : config_(std::move(config)), clock_(clock) {}
  Result<Credentials> Current() override;
  void Invalidate(const Credentials& used) override;
  void Shutdown() override { shutdown_ = true; }
  int runs() const { return runs_; }

 private:
  Result<ExecCredential> Run();

  ExecConfig config_;
  Clock& clock_;
  std::mutex mu_;
  std::optional<ExecCredential> cached_;
  int runs_ = 0;
  std::atomic<bool> shutdown_{false};
};

}  // namespace gt::kube
