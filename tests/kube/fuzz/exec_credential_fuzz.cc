// An exec credential plugin's stdout as ParseExecCredential reads it, for both API versions:
// a credential or an error, never a crash, throw or leak. A credential always carries a token
// or a certificate with its key. Seeds (seeds/exec_credential) follow the ExecCredential
// object of client.authentication.k8s.io/v1 and v1beta1 (kubernetes.io, "client-go
// credential plugins"; k8s.io/client-go/pkg/apis/clientauthentication/v1/types.go).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "kube/exec_plugin.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  for (const char* version :
       {"client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"}) {
    auto cred = gt::kube::ParseExecCredential(in, version, "fuzz-plugin");
    if (!cred) {
      if (cred.error().code != gt::ErrorCode::kMalformed) std::abort();
      continue;
    }
    const gt::kube::Credentials& c = cred->credentials;
    const bool pair = !c.client_cert_pem.empty() && !c.client_key_pem.empty();
    if (c.bearer_token.empty() && !pair) std::abort();
    if (c.client_cert_pem.empty() != c.client_key_pem.empty()) std::abort();
  }
  return 0;
}
