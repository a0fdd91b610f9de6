// Kubernetes resource quantities ("2Gi", "500m", "1.5", "1e3", "0.5G") parsed exactly as
// k8s.io/apimachinery pkg/api/resource/quantity.go ParseQuantity does: same grammar, same
// suffixes, no floating point, values finer than 1n rounded away from zero, BinarySI
// capped at 2^63-1. One deliberate difference: apimachinery keeps arbitrarily large
// decimal values (inf.Dec); here magnitudes beyond ~1.7e29 are an error, not a value.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/result.h"

namespace gt {

class Quantity {
 public:
  // apimachinery's three formats; remembered from the suffix the value was written with.
  enum class Format { kDecimalSI, kBinarySI, kDecimalExponent };

  // Never throws. Errors are kMalformed with the offending text in the message.
  static Result<Quantity> Parse(std::string_view text);

  static Quantity FromNano(__int128 nano, Format format = Format::kDecimalSI) {
    return Quantity(nano, format);
  }

  // The exact value in units of 10^-9 (what apimachinery keeps at most).
  __int128 nano() const { return nano_; }
  Format format() const { return format_; }
  bool negative() const { return nano_ < 0; }
  bool zero() const { return nano_ == 0; }

  // ceil(q), away from zero, as apimachinery's Value(); empty when it does not fit int64
  // (apimachinery overflows silently there).
  std::optional<int64_t> Value() const { return ScaledCeil(1'000'000'000); }
  // ceil(q * 1000), away from zero, as apimachinery's MilliValue().
  std::optional<int64_t> MilliValue() const { return ScaledCeil(1'000'000); }

  friend bool operator==(const Quantity& a, const Quantity& b) { return a.nano_ == b.nano_; }
  friend auto operator<=>(const Quantity& a, const Quantity& b) { return a.nano_ <=> b.nano_; }

 private:
  Quantity(__int128 nano, Format format) : nano_(nano), format_(format) {}
  std::optional<int64_t> ScaledCeil(int64_t nano_per_unit) const;

  __int128 nano_ = 0;
  Format format_ = Format::kDecimalSI;
};

}  // namespace gt
