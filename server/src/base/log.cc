#include "base/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace corral {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<long> g_member_id{0};
std::atomic<int> g_fd{STDOUT_FILENO};

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarn:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
  }
  return "?";
}
}  // namespace

void SetLogLevel(LogLevel level) { g_level = static_cast<int>(level); }
void SetLogMemberId(long member_id) { g_member_id = member_id; }

Status SetLogFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::IoError("cannot open the log file " + path + ": " + std::strerror(errno));
  }
  g_fd = fd;  // never closed: lines may be logged until the process exits
  return Status::Ok();
}
bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= g_level.load(); }

bool ParseLogLevel(const std::string& name, LogLevel* level) {
  if (name == "debug" || name == "DEBUG")
    *level = LogLevel::kDebug;
  else if (name == "info" || name == "INFO")
    *level = LogLevel::kInfo;
  else if (name == "warn" || name == "WARN")
    *level = LogLevel::kWarn;
  else if (name == "error" || name == "ERROR")
    *level = LogLevel::kError;
  else
    return false;
  return true;
}

void LogLine(LogLevel level, const std::string& message) {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm_utc;
  gmtime_r(&secs, &tm_utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm_utc);
  char prefix[96];
  std::snprintf(prefix, sizeof prefix, "%s.%03lldZ %-5s [myid:%ld] ", stamp,
                static_cast<long long>(ms % 1000), LevelName(level), g_member_id.load());
  std::string line = prefix + message + "\n";
  // One write per line so concurrent lines never interleave.
  ssize_t ignored = ::write(g_fd.load(), line.data(), line.size());
  (void)ignored;
}

}  // namespace corral
