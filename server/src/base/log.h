#pragma once
// Logging: one line per event, to stderr by default. Thread-safe (a line is written with one
// write call). The member id prefix is set once at start.
#include <sstream>
#include <string>

namespace corral {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetLogLevel(LogLevel level);
bool ParseLogLevel(const std::string& name, LogLevel* level);
void SetLogMemberId(long member_id);
bool LogEnabled(LogLevel level);
void LogLine(LogLevel level, const std::string& message);

namespace internal {
class LogMessage {
 public:
  explicit LogMessage(LogLevel level) : level_(level) {}
  ~LogMessage() { LogLine(level_, stream_.str()); }
  std::ostringstream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};
}  // namespace internal

}  // namespace corral

#define CORRAL_LOG(level)                                 \
  if (!::corral::LogEnabled(::corral::LogLevel::level)) { \
  } else                                                  \
    ::corral::internal::LogMessage(::corral::LogLevel::level).stream()
