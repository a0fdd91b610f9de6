#include "contract/condition.h"

namespace gt::contract {

std::string_view ToString(ConditionStatus status) {
  switch (status) {
    case ConditionStatus::kTrue:
      return "True";
    case ConditionStatus::kFalse:
      return "False";
    case ConditionStatus::kUnknown:
      return "Unknown";
  }
  return "Unknown";
}

std::optional<ConditionStatus> ParseConditionStatus(std::string_view text) {
  for (ConditionStatus status :
       {ConditionStatus::kTrue, ConditionStatus::kFalse, ConditionStatus::kUnknown}) {
    if (text == ToString(status)) return status;
  }
  return std::nullopt;
}

}  // namespace gt::contract
