// Figures as people read them in a condition message.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace gt::reconcile {

// Binary units with at most two decimals, trailing zeros dropped: "1.98Gi", "2Gi", "512B".
std::string FormatBytes(uint64_t bytes);

// Go-like, without zero parts: "2m10s", "5m", "1h", "0s".
std::string FormatDuration(std::chrono::seconds d);

// A fraction as a percent: "34%" from 10% up, "2.5%" below, "0%".
std::string FormatPercent(double fraction);

// Millicores as a Kubernetes quantity: "1200m", "2".
std::string FormatMillicores(uint64_t millicores);

// A computed figure as a count, without undefined behaviour: NaN and negatives give 0, and
// anything beyond uint64_t gives its maximum.
uint64_t ToCount(double value);

// Rounds a byte count up to a figure worth writing in a manifest: two significant digits
// of its binary unit ("2.57Gi" -> "2.6Gi", "114Mi" -> "120Mi").
uint64_t RoundUpBytes(uint64_t bytes);

}  // namespace gt::reconcile
