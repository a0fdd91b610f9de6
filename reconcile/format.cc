#include "reconcile/format.h"

#include <array>
#include <cmath>
#include <cstdio>

namespace gt::reconcile {
namespace {

struct Unit {
  const char* suffix;
  uint64_t bytes;
};
constexpr std::array<Unit, 5> kUnits = {{
    {"Pi", uint64_t{1} << 50},
    {"Ti", uint64_t{1} << 40},
    {"Gi", uint64_t{1} << 30},
    {"Mi", uint64_t{1} << 20},
    {"Ki", uint64_t{1} << 10},
}};

std::string TrimDecimals(std::string s) {
  if (s.find('.') == std::string::npos) return s;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return TrimDecimals(buf);
}

}  // namespace

uint64_t ToCount(double value) {
  if (!(value > 0)) return 0;
  // 2^64 is exactly representable; every double below it converts without overflow.
  if (value >= 18446744073709551616.0) return UINT64_MAX;
  return static_cast<uint64_t>(value);
}

std::string FormatBytes(uint64_t bytes) {
  for (const Unit& unit : kUnits) {
    if (bytes >= unit.bytes) {
      return Fixed(static_cast<double>(bytes) / static_cast<double>(unit.bytes), 2) + unit.suffix;
    }
  }
  return std::to_string(bytes) + "B";
}

std::string FormatDuration(std::chrono::seconds d) {
  int64_t s = d.count();
  if (s <= 0) return "0s";
  std::string out;
  if (s >= 3600) out += std::to_string(s / 3600) + "h";
  if (s % 3600 >= 60) out += std::to_string(s % 3600 / 60) + "m";
  if (s % 60 != 0) out += std::to_string(s % 60) + "s";
  return out;
}

std::string FormatPercent(double fraction) {
  double pct = fraction * 100;
  if (!(pct > 0)) return "0%";
  return Fixed(pct, pct >= 10 ? 0 : 1) + "%";
}

std::string FormatMillicores(uint64_t millicores) {
  if (millicores % 1000 == 0) return std::to_string(millicores / 1000);
  return std::to_string(millicores) + "m";
}

uint64_t RoundUpBytes(uint64_t bytes) {
  for (const Unit& unit : kUnits) {
    if (bytes < unit.bytes) continue;
    const double v = static_cast<double>(bytes) / static_cast<double>(unit.bytes);
    // Two significant digits: the step is a power of ten one digit below the leading one.
    const double step = std::pow(10.0, std::floor(std::log10(v)) - 1);
    const double rounded = std::ceil(v / step - 1e-9) * step;
    return ToCount(std::ceil(rounded * static_cast<double>(unit.bytes)));
  }
  return bytes;
}

}  // namespace gt::reconcile
