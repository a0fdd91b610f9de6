// KubeClient over HTTPS with cpprestsdk's http_client (client side only).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/result.h"
#include "kube/backoff.h"
#include "kube/client.h"
#include "kube/config.h"

namespace gt::kube {

struct RestClientOptions {
  // The whole of one attempt (connect, TLS, headers and body) must end within this, or it is
  // cancelled: cpprestsdk's own timeout restarts on every read, so a server trickling a byte
  // at a time would hold a request forever. Real time, not the injected Clock: it bounds I/O.
  std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
  // A larger answer is refused (the connection closed as soon as the cap is passed): one
  // page of a list is a few MiB, and a broken or hostile server must not exhaust memory.
  size_t max_body_bytes = 64u << 20;
  // client-go retries a 429/5xx carrying Retry-After up to 10 times.
  int max_retries = 10;
  // Retry-After longer than this is cut short (a broken server must not park us for hours).
  std::chrono::seconds max_retry_after{60};
  // Reads (GET/LIST) also retry connection failures and 5xx without Retry-After, with backoff.
  int max_read_retries = 4;
  Backoff read_backoff{std::chrono::milliseconds(200), 2.0, 0.5, 1 << 30, std::chrono::seconds(5)};
  // Watch connections are cut this long after the server's timeoutSeconds should have ended
  // them: a silent or trickling peer (half-open TCP) is detected instead of waiting forever.
  std::chrono::seconds watch_grace{30};
  std::string user_agent = "groundtruth";
  Uniform rand = DefaultUniform();
};

class RestClient final : public KubeClient {
 public:
  static Result<std::unique_ptr<RestClient>> Create(RestConfig config, Clock& clock,
                                                    RestClientOptions options = {});
  ~RestClient() override;

  Result<ApiResponse> Get(const std::string& path) override;
  Result<ListResult> List(const std::string& path, const ListOptions& options) override;
  Result<std::string> ListEach(const std::string& path, const ListOptions& options,
                               const ListSink& sink) override;
  Status Watch(const std::string& path, const WatchOptions& options, const WatchHandler& on_event,
               std::stop_token stop) override;
  Result<ApiResponse> Create(const std::string& path, const Json& object) override;
  Result<ApiResponse> Update(const std::string& path, const Json& object) override;
  Result<ApiResponse> Patch(const std::string& path, const Json& patch, PatchType type) override;
  Result<ApiResponse> Delete(const std::string& path) override;
  Result<ApiResponse> Apply(const std::string& path, const Json& config,
                            const std::string& field_manager, bool force) override;

  const RestConfig& config() const;

  // Stops the client for good, from any thread (on SIGTERM): in-flight requests and watches
  // are cancelled, Retry-After and backoff waits end, an exec plugin being run is killed,
  // and every later call fails at once with kUnavailable. Nothing stays blocked in here.
  void Shutdown();

 private:
  struct Impl;
  explicit RestClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Appends `key=value` (value percent-encoded) with '?' or '&' as needed.
std::string AddQuery(std::string path, const std::string& key, const std::string& value);

}  // namespace gt::kube
