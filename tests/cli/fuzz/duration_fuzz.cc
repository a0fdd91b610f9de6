// libFuzzer: any bytes into ParseDuration; parsed durations must survive a format round trip.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/duration.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  gt::Result<std::chrono::nanoseconds> d = gt::ParseDuration(text);
  if (d) {
    gt::Result<std::chrono::nanoseconds> again = gt::ParseDuration(gt::FormatDuration(*d));
    if (!again || *again != *d) std::abort();
  }
  return 0;
}
