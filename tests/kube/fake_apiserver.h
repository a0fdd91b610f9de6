// A minimal HTTPS server (Boost.Beast) for faults a real API server does not produce on
// demand: 429s, 500s, dropped and hanging connections, garbage bodies. Each connection is
// served on its own thread; the test's handler decides what to write.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>  // before Boost.Asio: 1.74's awaitable.hpp uses std::exchange without it
#include <vector>

#include "tests/kube/test_certs.h"

namespace gt::kube::testing {

struct FakeRequest {
  std::string method;
  std::string target;  // path and query
  std::string body;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string Header(const std::string& name) const;
  std::string Query(const std::string& key) const;  // percent-decoded; "" when absent
  std::string Path() const;
};

class FakeConnection {
 public:
  virtual ~FakeConnection() = default;
  virtual void Respond(int status, const std::string& body,
                       const std::vector<std::pair<std::string, std::string>>& headers = {}) = 0;
  virtual void StartChunked(int status = 200) = 0;
  virtual void Chunk(const std::string& data) = 0;
  virtual void EndChunked() = 0;
  virtual void Drop() = 0;              // close the TCP connection without a word
  virtual void HangUntilStopped() = 0;  // say nothing until the server is destroyed
};

class FakeApiServer {
 public:
  using Handler = std::function<void(const FakeRequest&, FakeConnection&)>;
  // `client_ca_pem` non-empty: require client certificates from that CA.
  FakeApiServer(TestCert server_cert, Handler handler, std::string client_ca_pem = {});
  ~FakeApiServer();

  int port() const { return port_; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  std::vector<FakeRequest> requests() const;
  std::string last_client_cn() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace gt::kube::testing
