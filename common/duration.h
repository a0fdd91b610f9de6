// Go-style durations ("30s", "2m10s", "1h", "500ms", "1.5h"), as Go's time.ParseDuration
// accepts them, so flags read like kubectl's and the controller's.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/result.h"

namespace gt {

// Units: ns, us (µs, μs), ms, s, m, h; a bare "0" is zero. Negative durations parse
// (callers that need positive ones check). Fractions are exact to the nanosecond
// (Go goes through float64 there and can differ by 1ns). Never throws.
Result<std::chrono::nanoseconds> ParseDuration(std::string_view text);

// Shortest Go-like rendering without zero parts: "2m10s", "1h", "500ms", "1.5s", "0s".
std::string FormatDuration(std::chrono::nanoseconds d);

}  // namespace gt
