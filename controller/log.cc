#include "controller/log.h"

#include <ctime>
#include <nlohmann/json.hpp>

namespace gt::controller {

Result<LogFormat> ParseLogFormat(std::string_view text) {
  if (text == "text") return LogFormat::kText;
  if (text == "json") return LogFormat::kJson;
  return MakeError(ErrorCode::kInvalid,
                   "--log-format must be \"text\" or \"json\", not \"" + std::string(text) + "\"");
}

void Logger::Write(char severity, std::string_view message,
                   std::initializer_list<LogField> fields) {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()) %
                std::chrono::seconds(1);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char stamp[40];
  std::string line;
  if (format_ == LogFormat::kJson) {
    std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    char frac[16];
    std::snprintf(frac, sizeof(frac), ".%06lldZ", static_cast<long long>(micros.count()));
    nlohmann::json record = {
        {"ts", std::string(stamp) + frac},
        {"level", severity == 'E'   ? "error"
                  : severity == 'W' ? "warning"
                                    : "info"},
        {"msg", message},
    };
    for (const auto& [key, value] : fields) record[std::string(key)] = value;
    line = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    std::strftime(stamp, sizeof(stamp), "%m%d %H:%M:%S", &tm);
    char frac[16];
    std::snprintf(frac, sizeof(frac), ".%06lld", static_cast<long long>(micros.count()));
    line += severity;
    line += stamp;
    line += frac;
    line += ' ';
    line += message;
    for (const auto& [key, value] : fields) {
      line += ' ';
      line += key;
      line += '=';
      bool quote = value.empty() || value.find_first_of(" \"=") != std::string::npos;
      if (quote) {
        line +=
            nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      } else {
        line += value;
      }
    }
  }
  line += '\n';
  std::lock_guard lock(mu_);
  out_ << line << std::flush;
}

}  // namespace gt::controller
