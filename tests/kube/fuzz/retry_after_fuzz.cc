// ParseRetryAfter as an API server's 429/5xx header reaches it: RFC 9110 section 10.2.3,
// Retry-After = HTTP-date / delay-seconds, delay-seconds = 1*DIGIT (the date form is not
// used by the API server and reads as absent). Never a crash; what is accepted is digits
// (with surrounding spaces) and reads as their value, saturated. Seeds: seeds/retry_after.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "kube/backoff.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto delay = gt::kube::ParseRetryAfter(in);
  if (!delay) return 0;
  while (!in.empty() && in.front() == ' ') in.remove_prefix(1);
  while (!in.empty() && in.back() == ' ') in.remove_suffix(1);
  if (in.empty()) std::abort();
  for (char c : in) {
    if (c < '0' || c > '9') std::abort();
  }
  if (delay->count() < 0) std::abort();
  return 0;
}
