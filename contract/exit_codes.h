// The process exit codes of `groundtruth run`, `check`, `gate` and the other subcommands.
#pragma once

#include "contract/condition.h"

namespace gt::contract {

inline constexpr int kExitCompliant = 0;
inline constexpr int kExitNotCompliant = 1;
inline constexpr int kExitUnknown = 2;  // also: the gate timed out
inline constexpr int kExitUsage = 3;    // bad flags or configuration

constexpr int ExitCodeFor(ConditionStatus status) {
  switch (status) {
    case ConditionStatus::kTrue:
      return kExitCompliant;
    case ConditionStatus::kFalse:
      return kExitNotCompliant;
    case ConditionStatus::kUnknown:
      return kExitUnknown;
  }
  return kExitUnknown;
}

}  // namespace gt::contract
