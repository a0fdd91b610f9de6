// One line per event on stderr: "<RFC 3339 UTC> <level> <message>". Messages never carry
// key material or request bodies; callers pass only names, paths, counts and errors.
#pragma once

#include <string_view>

namespace gt::agent {

enum class LogLevel { kInfo, kWarning, kError };

void Log(LogLevel level, std::string_view message);
inline void LogInfo(std::string_view message) { Log(LogLevel::kInfo, message); }
inline void LogWarning(std::string_view message) { Log(LogLevel::kWarning, message); }
inline void LogError(std::string_view message) { Log(LogLevel::kError, message); }

// Tests silence the log.
void SetLogEnabled(bool enabled);

}  // namespace gt::agent
