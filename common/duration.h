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
// Exact: for flags and machine-read values.
std::string FormatDuration(std::chrono::nanoseconds d);

// Rounded for people, still a valid Go duration: whole milliseconds under 1s ("350ms"),
// tenths of a second under 10s ("7s", "7.1s"), whole seconds under 10m ("42s", "2m10s"),
// whole minutes from there ("12m", "1h5m"). Never "7.01252964s".
std::string FormatDurationForPeople(std::chrono::nanoseconds d);

}  // namespace gt
