#include "contract/annotation.h"

#include <charconv>

namespace gt::contract {

std::string FormatVerdictAnnotation(ConditionStatus status, std::string_view reason,
                                    int64_t generation) {
  std::string out(ToString(status));
  out += '/';
  out += reason;
  out += '/';
  out += std::to_string(generation);
  return out;
}

namespace {

std::optional<int64_t> ParseGeneration(std::string_view text) {
  int64_t generation = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, generation);
  if (ec != std::errc() || ptr != end || generation < 1) return std::nullopt;
  return generation;
}

}  // namespace

std::optional<VerdictAnnotation> ParseVerdictAnnotation(std::string_view value) {
  const size_t first = value.find('/');
  if (first == std::string_view::npos) return std::nullopt;
  const size_t second = value.find('/', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  const auto status = ParseConditionStatus(value.substr(0, first));
  const std::string_view reason = value.substr(first + 1, second - first - 1);
  const auto generation = ParseGeneration(value.substr(second + 1));
  if (!status || reason.empty() || !generation) return std::nullopt;
  return VerdictAnnotation{*status, std::string(reason), *generation};
}

}  // namespace gt::contract
