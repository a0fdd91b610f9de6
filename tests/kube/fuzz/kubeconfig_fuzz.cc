// kubeconfig files as LoadKubeconfig reads them (--kubeconfig): any bytes give a RestConfig
// or an error naming the file, never a crash, throw, hang or leak. The seeds
// (seeds/kubeconfig) follow clientcmd's v1 Config (k8s.io/client-go/tools/clientcmd/api/v1,
// https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/).
// Files the kubeconfig names relatively (token, CA, certificate, key) are looked up next to
// it, in a scratch directory holding a token and a CA certificate to find.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/clock.h"
#include "kube/config.h"
#include "tests/fuzz_scratch.h"

namespace {

// A throwaway self-signed certificate (openssl req -x509 -newkey ec -pkeyopt
// ec_paramgen_curve:P-256 -subj /CN=fuzz-root), so seeds naming ca.crt pass the PEM check.
constexpr std::string_view kCaPem = R"(-----BEGIN CERTIFICATE-----
MIIBfTCCASOgAwIBAgIUN4+YOCuoMSzh1hv4RZGLbMjEpugwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJZnV6ei1yb290MB4XDTI2MTIwMzE2MTU1NFoXDTM2MTEzMDE2
MTU1NFowFDESMBAGA1UEAwwJZnV6ei1yb290MFkwEwYHKoZIzj0CAQYIKoZIzj0D
AQcDQgAEQ9VMhGR2C8vxP+pSRO0gLBtm6/dBPAiQBgB+qA/gtDnh8oHg2Jidp2M8
a4UBJ4SbRKEw1+f2D3PNBgkV5xQ2u6NTMFEwHQYDVR0OBBYEFHacwxm3+dQnj3XC
GlaMxAxEVW3rMB8GA1UdIwQYMBaAFHacwxm3+dQnj3XCGlaMxAxEVW3rMA8GA1Ud
EwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIhAMvGhsO4amL+56pqPI5XgbDA
I1ODgtfT/HHernphwVpGAiBg0NLe+Sqy6/JmXaws33U0jpfoEr+H+eGBueG0KiEr
nQ==
-----END CERTIFICATE-----
)";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const gt::fuzz::Scratch& scratch = gt::fuzz::ScratchDir();
  static const bool files = [&] {
    scratch.Write("token", "fuzz-token\n");
    scratch.Write("ca.crt", kCaPem);
    return true;
  }();
  (void)files;
  const std::string path =
      scratch.Write("config", std::string_view(reinterpret_cast<const char*>(data), size));
  gt::FakeClock clock;
  gt::kube::KubeconfigOptions options;
  options.explicit_path = path;
  options.allow_insecure = size > 0 && data[0] % 2 == 0;
  gt::Result<gt::kube::RestConfig> config = gt::kube::LoadKubeconfig(options, clock);
  if (config) {
    // Loaded: a server, https, and a credential source to ask (never run here).
    if (config->server.rfind("https://", 0) != 0 || config->credentials == nullptr) std::abort();
  } else if (config.error().path.empty()) {
    std::abort();  // every kubeconfig error names the file it is about
  }
  return 0;
}
