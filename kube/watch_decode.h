// Decoding the watch stream: newline-delimited JSON events, arriving in arbitrary chunks.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "kube/client.h"

namespace gt::kube {

// Joins chunks into complete lines; a line longer than `max_line_bytes` is an error
// (a hostile or broken peer must not grow our memory without bound).
class LineSplitter {
 public:
  explicit LineSplitter(size_t max_line_bytes = 64u << 20) : max_(max_line_bytes) {}
  // Calls `on_line` for each complete line (without '\n'); stops early if it returns an Error.
  Status Feed(std::string_view chunk, const std::function<Status(std::string_view)>& on_line);
  bool has_partial() const { return !partial_.empty(); }

 private:
  size_t max_;
  std::string partial_;
};

// One line: {"type":"ADDED","object":{...}}.
Result<WatchEvent> DecodeWatchEvent(std::string_view line);

// For an ERROR event: the Status code (410 when the resource version is too old).
int ErrorEventCode(const WatchEvent& e);
bool IsResourceExpired(const WatchEvent& e);

}  // namespace gt::kube
