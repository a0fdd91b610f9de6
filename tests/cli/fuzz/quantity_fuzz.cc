// libFuzzer: any bytes into Quantity::Parse must return a value or an error, never crash,
// and parsed values must be self-consistent.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/quantity.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  gt::Result<gt::Quantity> q = gt::Quantity::Parse(text);
  if (q) {
    std::optional<int64_t> v = q->Value();
    std::optional<int64_t> m = q->MilliValue();
    // Both are ceilings of the same value: milli can never be less than 1000x fewer.
    if (v && m && !q->negative() && *v > 0 && *m > 0 && *m / 1000 > *v) std::abort();
  }
  return 0;
}
