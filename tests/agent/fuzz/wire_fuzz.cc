// The controller decodes whatever an agent (or anything listening on its port) sends.
// Properties: decoding never crashes or throws; what decodes re-encodes to text that
// decodes to the same encoding (nothing the decoder accepts is lost by the encoder).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "wire/samples.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  gt::Result<gt::wire::SamplesResponse> decoded = gt::wire::DecodeSamplesResponse(text);
  if (!decoded) return 0;
  std::string once = gt::wire::EncodeResponse(*decoded);
  gt::Result<gt::wire::SamplesResponse> again = gt::wire::DecodeSamplesResponse(once);
  if (!again) abort();
  if (gt::wire::EncodeResponse(*again) != once) abort();
  return 0;
}
