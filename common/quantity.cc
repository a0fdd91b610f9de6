#include "common/quantity.h"

#include <array>
#include <charconv>
#include <limits>

namespace gt {
namespace {

// Largest magnitude kept, in nano units: well inside __int128 so that the caps and the
// rounding below never overflow.
constexpr __int128 kMaxNano = static_cast<__int128>(1) << 125;
constexpr __int128 kNanoPerUnit = 1'000'000'000;
// apimachinery's maxAllowed: BinarySI values are silently capped at 2^63-1.
constexpr __int128 kBinaryCapNano =
    static_cast<__int128>(std::numeric_limits<int64_t>::max()) * kNanoPerUnit;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The pieces apimachinery's parseQuantityString splits a quantity into.
struct Split {
  bool positive = true;
  std::string_view value;   // sign, digits and point: what inf.Dec.SetString would see
  std::string_view num;     // integer digits, leading zeros stripped
  std::string_view denom;   // fraction digits
  std::string_view suffix;  // e.g. "Gi", "m", "e3", "E"
};

// Mirrors parseQuantityString (quantity.go): sign, leading zeros, integer digits,
// optional '.' and fraction digits, then suffix letters from "eEinumkKMGTP", an optional
// sign and digits to the end. Anything else is malformed. Returns false on malformed.
bool SplitQuantity(std::string_view s, Split& out) {
  size_t pos = 0;
  const size_t end = s.size();
  if (pos < end && (s[0] == '-' || s[0] == '+')) {
    out.positive = s[0] != '-';
    ++pos;
  }
  while (pos < end && s[pos] == '0') ++pos;
  if (pos >= end) {  // only sign and zeros: apimachinery returns 0 here, suffix-less
    out.num = {};
    out.value = "0";
    return true;
  }
  size_t i = pos;
  while (i < end && IsDigit(s[i])) ++i;
  out.num = s.substr(pos, i - pos);
  pos = i;
  if (pos >= end) {
    out.value = s;
    return true;
  }
  if (s[pos] == '.') {
    ++pos;
    i = pos;
    while (i < end && IsDigit(s[i])) ++i;
    out.denom = s.substr(pos, i - pos);
    pos = i;
    if (pos >= end) {
      out.value = s;
      return true;
    }
  }
  out.value = s.substr(0, pos);
  const size_t suffix_start = pos;
  constexpr std::string_view kSuffixLetters = "eEinumkKMGTP";
  while (pos < end && kSuffixLetters.find(s[pos]) != std::string_view::npos) ++pos;
  if (pos < end && (s[pos] == '-' || s[pos] == '+')) ++pos;
  while (pos < end && IsDigit(s[pos])) ++pos;
  if (pos != end) return false;
  out.suffix = s.substr(suffix_start);
  return true;
}

struct SuffixMeaning {
  int base = 10;
  int64_t exponent = 0;
  Quantity::Format format = Quantity::Format::kDecimalSI;
};

// Mirrors suffixHandler.interpret (suffix.go): the decimal SI table, then the binary SI
// table, then "e"/"E" followed by a signed integer.
std::optional<SuffixMeaning> InterpretSuffix(std::string_view suffix) {
  struct Entry {
    std::string_view text;
    int base;
    int exponent;
  };
  static constexpr std::array<Entry, 16> kTable = {{
      {"n", 10, -9},
      {"u", 10, -6},
      {"m", 10, -3},
      {"", 10, 0},
      {"k", 10, 3},
      {"M", 10, 6},
      {"G", 10, 9},
      {"T", 10, 12},
      {"P", 10, 15},
      {"E", 10, 18},
      {"Ki", 2, 10},
      {"Mi", 2, 20},
      {"Gi", 2, 30},
      {"Ti", 2, 40},
      {"Pi", 2, 50},
      {"Ei", 2, 60},
  }};
  for (const Entry& e : kTable) {
    if (e.text == suffix) {
      return SuffixMeaning{
          e.base, e.exponent,
          e.base == 2 ? Quantity::Format::kBinarySI : Quantity::Format::kDecimalSI};
    }
  }
  if (suffix.size() > 1 && (suffix[0] == 'e' || suffix[0] == 'E')) {
    std::string_view digits = suffix.substr(1);
    // Go's strconv.ParseInt accepts a leading '+'; std::from_chars does not.
    bool negative = false;
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
      negative = digits[0] == '-';
      digits.remove_prefix(1);
    }
    if (digits.empty()) return std::nullopt;
    int64_t exponent = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), exponent);
    if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
    // apimachinery parses 64 bits and then keeps int32(parsed): it wraps, and so do we.
    const auto wrapped =
        static_cast<int32_t>(static_cast<uint64_t>(negative ? -exponent : exponent));
    return SuffixMeaning{10, wrapped, Quantity::Format::kDecimalExponent};
  }
  return std::nullopt;
}

// Decimal digit string (most significant first) times a small factor, exactly.
std::string MultiplyDigits(std::string_view digits, uint64_t factor) {
  std::string out(digits.size() + 20, '0');
  unsigned __int128 carry = 0;
  size_t w = out.size();
  for (size_t r = digits.size(); r-- > 0;) {
    unsigned __int128 v = static_cast<unsigned __int128>(digits[r] - '0') * factor + carry;
    out[--w] = static_cast<char>('0' + static_cast<int>(v % 10));
    carry = v / 10;
  }
  while (carry > 0) {
    out[--w] = static_cast<char>('0' + static_cast<int>(carry % 10));
    carry /= 10;
  }
  return out.substr(w);
}

Error Malformed(std::string_view text, std::string_view why) {
  std::string msg = "invalid quantity \"";
  msg += text;
  msg += "\": ";
  msg += why;
  return MakeError(ErrorCode::kMalformed, std::move(msg));
}

}  // namespace

Result<Quantity> Quantity::Parse(std::string_view text) {
  if (text.empty()) return Malformed(text, "empty");
  if (text == "0") return Quantity(0, Format::kDecimalSI);

  Split split;
  if (!SplitQuantity(text, split)) {
    return Malformed(text, "expected a number with an optional suffix, e.g. 512Mi, 1.5, 500m");
  }
  std::optional<SuffixMeaning> meaning = InterpretSuffix(split.suffix);
  if (!meaning) {
    return Malformed(text, "unknown suffix; use Ki Mi Gi Ti Pi Ei, n u m k M G T P E, or eN");
  }

  // apimachinery takes an int64 fast path when the digits fit; otherwise it hands the
  // value string to inf.Dec.SetString, which refuses a string without digits ("Pi", "+.e-10").
  // Only digit-less strings can tell the two paths apart, so only they need this check.
  bool has_digit = false;
  for (char c : split.value) has_digit = has_digit || IsDigit(c);
  if (!has_digit) {
    const std::string_view num = split.num.empty() ? std::string_view("0") : split.num;
    int64_t precision = 0;
    int64_t scale = 0;
    if (meaning->base == 10) {
      scale = meaning->exponent;
      precision = 18 - static_cast<int64_t>(num.size() + split.denom.size());
    } else {
      precision = 15 - static_cast<int64_t>(num.size()) - (meaning->exponent * 3 / 10) - 1;
    }
    scale -= static_cast<int64_t>(split.denom.size());
    if (precision < 0 || scale < -9) return Malformed(text, "no digits");
    return Quantity(0, meaning->format);
  }

  // value = digits * 10^scale (* 2^exponent for binary suffixes), digits = num + denom.
  std::string digits(split.num);
  digits += split.denom;
  int64_t scale = -static_cast<int64_t>(split.denom.size());
  if (meaning->base == 10) {
    scale += meaning->exponent;
  } else {
    digits = MultiplyDigits(digits, uint64_t{1} << meaning->exponent);
  }
  const size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return Quantity(0, meaning->format);
  std::string_view significant = std::string_view(digits).substr(first);

  // In nano units: shift left by (scale + 9) decimal places; a negative shift drops
  // digits, and any non-zero dropped digit rounds the magnitude up (inf.RoundUp).
  const int64_t shift = scale + 9;
  bool round_up = false;
  if (shift < 0) {
    const uint64_t drop = static_cast<uint64_t>(-shift);
    if (drop >= significant.size()) {
      round_up = true;  // non-zero but finer than 1n
      significant = {};
    } else {
      std::string_view dropped = significant.substr(significant.size() - drop);
      round_up = dropped.find_first_not_of('0') != std::string_view::npos;
      significant.remove_suffix(drop);
    }
  }
  const bool binary = meaning->format == Format::kBinarySI;
  auto too_large = [&]() -> Result<Quantity> {
    if (binary) return Quantity(split.positive ? kBinaryCapNano : -kBinaryCapNano, meaning->format);
    return Malformed(text, "too large");
  };
  if (shift > 0 && static_cast<uint64_t>(shift) + significant.size() > 39) return too_large();
  __int128 nano = 0;
  // Checked before each step: kMaxNano * 10 itself would overflow __int128.
  for (char c : significant) {
    if (nano > kMaxNano / 10) return too_large();
    nano = nano * 10 + (c - '0');
  }
  for (int64_t i = 0; i < shift; ++i) {
    if (nano > kMaxNano / 10) return too_large();
    nano *= 10;
  }
  if (round_up) nano += 1;
  if (binary && nano > kBinaryCapNano) nano = kBinaryCapNano;
  Format format = meaning->format;
  // apimachinery: a BinarySI value strictly between 0 and 1 is kept as DecimalSI.
  if (binary && nano < kNanoPerUnit) format = Format::kDecimalSI;
  return Quantity(split.positive ? nano : -nano, format);
}

std::optional<int64_t> Quantity::ScaledCeil(int64_t nano_per_unit) const {
  const __int128 magnitude = nano_ < 0 ? -nano_ : nano_;
  __int128 units = magnitude / nano_per_unit;
  if (magnitude % nano_per_unit != 0) units += 1;  // away from zero, as apimachinery
  if (nano_ < 0) units = -units;
  if (units > std::numeric_limits<int64_t>::max() || units < std::numeric_limits<int64_t>::min()) {
    return std::nullopt;
  }
  return static_cast<int64_t>(units);
}

}  // namespace gt
