#pragma once
// Logging: one line per event, to standard output by default (what a container runtime
// collects) or appended to a file. Thread-safe (a line is written with one write call, so lines
// of different threads never interleave). The member id prefix is set once at start; events
// that concern a transaction or a state carry its zxid in the text ("zxid 0x100000003").
#include <sstream>
#include <string>

#include "base/status.h"

namespace corral {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetLogLevel(LogLevel level);
bool ParseLogLevel(const std::string& name, LogLevel* level);
void SetLogMemberId(long member_id);
// Appends every later line to `path` (created if missing) instead of standard output. Call once
// at start, before other threads log.
Status SetLogFile(const std::string& path);
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
