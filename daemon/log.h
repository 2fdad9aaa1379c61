// Logging to stderr, one line per event, each prefixed with the sd-daemon
// level marker (<3> error, <4> warning, <6> info, <7> debug) so journald
// files it at the right priority. Thread-safe: whole lines are written under
// a lock. The level can change at run time (SIGHUP reload).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace blink {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

std::optional<LogLevel> parse_log_level(std::string_view name);
std::string_view log_level_name(LogLevel level);

void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);
void log_line(LogLevel level, std::string_view message);

inline void log_debug(std::string_view m) { log_line(LogLevel::kDebug, m); }
inline void log_info(std::string_view m) { log_line(LogLevel::kInfo, m); }
inline void log_warning(std::string_view m) { log_line(LogLevel::kWarning, m); }
inline void log_error(std::string_view m) { log_line(LogLevel::kError, m); }

// Formats one `key=value` field of a structured line: the value is quoted
// (with \" and \\ escaped, newlines as \n) when it is empty or holds a space,
// quote, backslash, '=' or control character.
std::string kv(std::string_view key, std::string_view value);
std::string kv(std::string_view key, double value);  // %.4g, or an integer as such
std::string kv(std::string_view key, long long value);
inline std::string kv(std::string_view key, const char* value) {
  return kv(key, std::string_view(value));
}
inline std::string kv(std::string_view key, const std::string& value) {
  return kv(key, std::string_view(value));
}
inline std::string kv(std::string_view key, int value) {
  return kv(key, static_cast<long long>(value));
}
inline std::string kv(std::string_view key, size_t value) {
  return kv(key, static_cast<long long>(value));
}

}  // namespace blink
