// ParseTime as Kubernetes timestamps reach it (metav1.Time and MicroTime: RFC 3339
// section 5.6, "2026-11-24T03:35:15Z", fractions and numeric offsets): never a crash, only
// RFC 3339 date-times are accepted, and an accepted UTC time reads back as written.
// Seeds: seeds/time.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "kube/time_format.h"

namespace {

bool Digit(char c) { return c >= '0' && c <= '9'; }

// RFC 3339 section 5.6's date-time, shape only: full-date "T" partial-time time-offset.
bool Rfc3339Shape(std::string_view s) {
  const std::string_view shape = "dddd-dd-ddTdd:dd:dd";
  if (s.size() < shape.size() + 1) return false;
  for (size_t i = 0; i < shape.size(); i++) {
    if (shape[i] == 'd' ? !Digit(s[i])
                        : (shape[i] == 'T' ? (s[i] != 'T' && s[i] != 't') : s[i] != shape[i])) {
      return false;
    }
  }
  size_t pos = shape.size();
  if (s[pos] == '.') {
    const size_t start = ++pos;
    while (pos < s.size() && Digit(s[pos])) pos++;
    if (pos == start) return false;
  }
  const std::string_view offset = s.substr(pos);
  if (offset == "Z" || offset == "z") return true;
  return offset.size() == 6 && (offset[0] == '+' || offset[0] == '-') && Digit(offset[1]) &&
         Digit(offset[2]) && offset[3] == ':' && Digit(offset[4]) && Digit(offset[5]);
}

int DaysIn(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto t = gt::kube::ParseTime(in);
  if (!t) return 0;
  if (!Rfc3339Shape(in)) std::abort();
  const int year = std::stoi(std::string(in.substr(0, 4)));
  const int month = std::stoi(std::string(in.substr(5, 2)));
  const int day = std::stoi(std::string(in.substr(8, 2)));
  if (month < 1 || month > 12 || day < 1 || day > DaysIn(year, month)) std::abort();
  // Seconds-precision UTC inside the clamped range [1900, 2200) formats back to the input
  // (60, a leap second, rolls over to the next minute and is left out).
  const bool utc_seconds = in.size() == 20 && (in[19] == 'Z' || in[19] == 'z');
  if (utc_seconds && year >= 1900 && year < 2200 && in.substr(17, 2) != "60") {
    std::string want(in);
    want[10] = 'T';
    want[19] = 'Z';
    if (gt::kube::FormatTime(*t) != want) std::abort();
  }
  return 0;
}
