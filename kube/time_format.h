// Kubernetes timestamps: metav1.Time (RFC 3339, seconds) and metav1.MicroTime (microseconds).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace gt::kube {

using WallTime = std::chrono::system_clock::time_point;

std::string FormatTime(WallTime t);       // 2026-11-24T03:35:15Z
std::string FormatMicroTime(WallTime t);  // 2026-11-24T03:35:15.123456Z
// Accepts both forms and numeric offsets (+02:00); empty on anything else.
std::optional<WallTime> ParseTime(std::string_view s);

}  // namespace gt::kube
