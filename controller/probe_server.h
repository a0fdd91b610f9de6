// Plain-HTTP /metrics, /healthz and /readyz on a Boost.Beast server (probes and Prometheus
// scrapes inside the cluster; nothing secret is served).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/result.h"

namespace gt::controller {

struct ProbeHandlers {
  std::function<std::string()> metrics;
  std::function<bool()> healthy;
  // Non-empty: why /healthz and /livez fail although `healthy` holds (a loop stopped
  // moving; controller/liveness.h). The kubelet then restarts the controller.
  std::function<std::string()> stalled;
  std::function<bool()> ready;
};

class ProbeServer {
 public:
  // `bind`: ":8080", "0.0.0.0:8080", "127.0.0.1:0", "[::]:8081". Serves on its own thread.
  static Result<std::unique_ptr<ProbeServer>> Start(const std::string& bind,
                                                    ProbeHandlers handlers);
  ~ProbeServer();  // stops and joins
  uint16_t port() const;

 private:
  struct Impl;
  explicit ProbeServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gt::controller
