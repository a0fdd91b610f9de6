// Shared checks for the parser fuzz targets: a parser returns a value or a kMalformed error
// that names the path it was given; anything else (crash, throw, other code) is a bug.
#pragma once

#include <cstdlib>
#include <string_view>

#include "common/result.h"

namespace gt::collectors::fuzz {

inline constexpr std::string_view kPath = "/fuzz/file";

template <typename T>
void Check(const Result<T>& r) {
  if (r) return;
  const Error& e = r.error();
  if (e.code != ErrorCode::kMalformed && e.code != ErrorCode::kNotFound) std::abort();
  if (e.path != kPath) std::abort();
  if (e.line < 0) std::abort();
}

}  // namespace gt::collectors::fuzz
