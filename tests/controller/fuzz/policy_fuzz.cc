// The controller's --config file as LoadPolicyFile reads it: any bytes give a Policy or an
// error naming the file; never a crash, throw or leak. Seeds (seeds/policy) follow the
// format in controller/config.h and docs/rules.md (the annotations' keys and values:
// ratios, Go durations, switches) and docs/operations.md (--config).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "controller/config.h"
#include "tests/fuzz_scratch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = gt::fuzz::ScratchDir().Write(
      "policy.yaml", std::string_view(reinterpret_cast<const char*>(data), size));
  const auto policy = gt::controller::LoadPolicyFile(path);
  if (!policy && policy.error().path != path) std::abort();
  return 0;
}
