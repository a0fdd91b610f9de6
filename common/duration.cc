#include "common/duration.h"

#include <array>
#include <cstdint>
#include <limits>

namespace gt {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

Error Invalid(std::string_view text, std::string_view why) {
  std::string msg = "invalid duration \"";
  msg += text;
  msg += "\": ";
  msg += why;
  return MakeError(ErrorCode::kMalformed, std::move(msg));
}

struct Unit {
  std::string_view name;
  uint64_t nanos;
};
constexpr std::array<Unit, 8> kUnits = {{
    {"ns", 1},
    {"us", 1'000},
    {"\xC2\xB5s", 1'000},  // U+00B5 micro sign
    {"\xCE\xBCs", 1'000},  // U+03BC Greek mu
    {"ms", 1'000'000},
    {"s", 1'000'000'000},
    {"m", 60'000'000'000},
    {"h", 3'600'000'000'000},
}};

}  // namespace

// Grammar of Go's time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+ , or "0".
Result<std::chrono::nanoseconds> ParseDuration(std::string_view text) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) return Invalid(text, "empty");
  // Magnitude limit as Go: 1<<63-1, or 1<<63 when negative.
  const unsigned __int128 limit =
      static_cast<unsigned __int128>(std::numeric_limits<int64_t>::max()) + (negative ? 1 : 0);
  unsigned __int128 total = 0;
  while (!s.empty()) {
    if (!(IsDigit(s[0]) || s[0] == '.')) return Invalid(text, "expected a number, e.g. 30s, 2m10s");
    unsigned __int128 whole = 0;
    size_t i = 0;
    for (; i < s.size() && IsDigit(s[i]); ++i) {
      whole = whole * 10 + static_cast<unsigned>(s[i] - '0');
      if (whole > limit) return Invalid(text, "out of range");
    }
    const bool has_whole = i > 0;
    std::string_view frac;
    if (i < s.size() && s[i] == '.') {
      size_t j = i + 1;
      while (j < s.size() && IsDigit(s[j])) ++j;
      frac = s.substr(i + 1, j - i - 1);
      i = j;
    }
    if (!has_whole && frac.empty()) return Invalid(text, "expected digits");
    size_t u = i;
    while (u < s.size() && !IsDigit(s[u]) && s[u] != '.') ++u;
    const std::string_view unit_name = s.substr(i, u - i);
    if (unit_name.empty()) return Invalid(text, "missing unit (ns, us, ms, s, m, h)");
    const Unit* unit = nullptr;
    for (const Unit& candidate : kUnits) {
      if (candidate.name == unit_name) unit = &candidate;
    }
    if (unit == nullptr) {
      return Invalid(text, "unknown unit \"" + std::string(unit_name) + "\" (ns, us, ms, s, m, h)");
    }
    unsigned __int128 part = whole * unit->nanos;
    // Fraction digits beyond nanosecond precision of the unit do not change the result.
    unsigned __int128 frac_value = 0;
    unsigned __int128 frac_scale = 1;
    for (char c : frac) {
      if (frac_scale > unit->nanos) break;
      frac_value = frac_value * 10 + static_cast<unsigned>(c - '0');
      frac_scale *= 10;
    }
    part += frac_value * unit->nanos / frac_scale;
    total += part;
    if (part > limit || total > limit) return Invalid(text, "out of range");
    s.remove_prefix(u);
  }
  const auto magnitude = static_cast<uint64_t>(total);
  if (negative) {
    // -(2^63) is representable; negate in unsigned space to avoid overflow.
    return std::chrono::nanoseconds(static_cast<int64_t>(~magnitude + 1));
  }
  return std::chrono::nanoseconds(static_cast<int64_t>(magnitude));
}

std::string FormatDuration(std::chrono::nanoseconds d) {
  int64_t ns = d.count();
  std::string out;
  uint64_t mag = ns < 0 ? ~static_cast<uint64_t>(ns) + 1 : static_cast<uint64_t>(ns);
  if (ns < 0) out += '-';
  if (mag == 0) return "0s";
  auto fraction = [](uint64_t rest, uint64_t scale) {
    std::string digits;
    while (rest > 0 && scale > 1) {
      scale /= 10;
      digits += static_cast<char>('0' + rest / scale);
      rest %= scale;
    }
    return digits.empty() ? digits : "." + digits;
  };
  if (mag < 1'000) return out + std::to_string(mag) + "ns";
  if (mag < 1'000'000)
    return out + std::to_string(mag / 1'000) + fraction(mag % 1'000, 1'000) + "us";
  if (mag < 1'000'000'000) {
    return out + std::to_string(mag / 1'000'000) + fraction(mag % 1'000'000, 1'000'000) + "ms";
  }
  const uint64_t hours = mag / 3'600'000'000'000;
  mag %= 3'600'000'000'000;
  const uint64_t minutes = mag / 60'000'000'000;
  mag %= 60'000'000'000;
  if (hours > 0) out += std::to_string(hours) + "h";
  if (minutes > 0) out += std::to_string(minutes) + "m";
  if (mag > 0) {
    out += std::to_string(mag / 1'000'000'000) + fraction(mag % 1'000'000'000, 1'000'000'000) + "s";
  }
  return out;
}

std::string FormatDurationForPeople(std::chrono::nanoseconds d) {
  using std::chrono::milliseconds;
  using std::chrono::minutes;
  using std::chrono::seconds;
  const bool negative = d.count() < 0;
  // Rounds half up to a multiple of `step`, in nanoseconds, without overflow near the ends.
  auto round = [](std::chrono::nanoseconds v, std::chrono::nanoseconds step) {
    const int64_t q = v.count() / step.count();
    const int64_t r = v.count() % step.count();
    return std::chrono::nanoseconds((q + (r >= step.count() - r ? 1 : 0)) * step.count());
  };
  const std::chrono::nanoseconds mag =
      d == std::chrono::nanoseconds::min() ? std::chrono::nanoseconds::max() : (negative ? -d : d);
  std::chrono::nanoseconds rounded;
  if (mag < seconds(1)) {
    rounded = round(mag, milliseconds(1));
  } else if (mag < seconds(10)) {
    rounded = round(mag, milliseconds(100));
  } else if (mag < minutes(10)) {
    rounded = round(mag, seconds(1));
  } else {
    rounded = mag >= std::chrono::nanoseconds::max() - minutes(1) ? mag - mag % minutes(1)
                                                                  : round(mag, minutes(1));
  }
  return FormatDuration(negative ? -rounded : rounded);
}

}  // namespace gt
