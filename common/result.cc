#include "common/result.h"

namespace gt {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kGone:
      return "gone";
    case ErrorCode::kNotFound:
      return "not found";
    case ErrorCode::kMalformed:
      return "malformed";
    case ErrorCode::kInvalid:
      return "invalid";
    case ErrorCode::kPermission:
      return "permission denied";
    case ErrorCode::kIo:
      return "i/o error";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kConflict:
      return "conflict";
  }
  return "unknown";
}

std::string Error::ToString() const {
  std::string out;
  if (!path.empty()) {
    out += path;
    if (line > 0) out += ":" + std::to_string(line);
    out += ": ";
  }
  out += message;
  return out;
}

}  // namespace gt
