// Base64Decode as kubeconfig *-data fields reach it (RFC 4648 section 4, the standard
// alphabet; padding optional, line breaks ignored): never a crash, and whatever
// Base64Encode writes decodes back to the bytes encoded. Seeds: seeds/base64 (RFC 4648 section 10
// test vectors).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "kube/base64.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using gt::kube::Base64Decode;
  using gt::kube::Base64Encode;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  // Any bytes encode, and decode back to themselves.
  const auto back = Base64Decode(Base64Encode(in));
  if (!back || *back != in) std::abort();
  (void)Base64Decode(in);
  return 0;
}
