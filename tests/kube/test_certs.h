// Throwaway X.509 material generated in-process for TLS tests.
#pragma once

#include <string>

namespace gt::kube::testing {

struct TestCert {
  std::string cert_pem;
  std::string key_pem;
};

// A self-signed CA that also serves as a leaf for `san` ("DNS:a,IP:127.0.0.1").
TestCert MakeSelfSigned(const std::string& common_name, const std::string& san);
// A leaf signed by `ca` (server or client use).
TestCert MakeSigned(const TestCert& ca, const std::string& common_name, const std::string& san);

}  // namespace gt::kube::testing
