// A minimal HTTPS client for agent tests, with or without a client certificate.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "agent/certs.h"

namespace gt::agent::testing {

struct Reply {
  int status = 0;  // 0: no HTTP response (refused, reset, timed out)
  std::string body;
  std::string error;        // why there was no response
  std::string retry_after;  // the Retry-After header, when there was one
};

// GET https://127.0.0.1:<port><target>, trusting `ca_pem` and checking the server's name is
// "groundtruth-agent" (as the controller does when it dials a pod IP). `source`: the local
// address to connect from (any of 127/8 is loopback), so tests can play distinct peers.
Reply Get(uint16_t port, const std::string& target, const std::string& ca_pem,
          const PemPair* client, std::chrono::seconds timeout = std::chrono::seconds(10),
          const std::string& extra_header = "", const std::string& source = "");

// GET http://<host>:<port><target> in plain HTTP (the agent's probe port).
Reply PlainGet(uint16_t port, const std::string& target,
               std::chrono::seconds timeout = std::chrono::seconds(10),
               const std::string& host = "127.0.0.1");

}  // namespace gt::agent::testing
