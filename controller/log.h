// Structured log lines, klog-like text or JSON (--log-format), one line per record.
#pragma once

#include <chrono>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.h"

namespace gt::controller {

enum class LogFormat { kText, kJson };
Result<LogFormat> ParseLogFormat(std::string_view text);  // "text" | "json"

using LogField = std::pair<std::string_view, std::string>;

class Logger {
 public:
  // `out` must outlive the logger. `verbosity` is -v: V(n) lines print when n <= verbosity.
  Logger(std::ostream& out, LogFormat format = LogFormat::kText, int verbosity = 0)
      : out_(out), format_(format), verbosity_(verbosity) {}

  void Info(std::string_view message, std::initializer_list<LogField> fields = {}) {
    Write('I', message, fields);
  }
  void Warn(std::string_view message, std::initializer_list<LogField> fields = {}) {
    Write('W', message, fields);
  }
  void Error(std::string_view message, std::initializer_list<LogField> fields = {}) {
    Write('E', message, fields);
  }
  void V(int level, std::string_view message, std::initializer_list<LogField> fields = {}) {
    if (level <= verbosity_) Write('I', message, fields);
  }
  bool Enabled(int level) const { return level <= verbosity_; }

 private:
  void Write(char severity, std::string_view message, std::initializer_list<LogField> fields);

  std::mutex mu_;
  std::ostream& out_;
  LogFormat format_;
  int verbosity_;
};

}  // namespace gt::controller
