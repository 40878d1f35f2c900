#include "sim/abort_reporter.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace corral::sim {
namespace {

// Formatted ahead of time: a signal handler may only call async-signal-safe functions.
char g_message[256];
volatile sig_atomic_t g_message_bytes = 0;

void OnAbort(int) {
  if (g_message_bytes > 0) {
    ssize_t ignored = write(STDERR_FILENO, g_message, static_cast<size_t>(g_message_bytes));
    static_cast<void>(ignored);
  }
  // SA_RESETHAND restored the default action; returning lets abort() finish the process.
}

}  // namespace

void InstallAbortReporter() {
  struct sigaction action;
  std::memset(&action, 0, sizeof(action));
  action.sa_handler = OnAbort;
  action.sa_flags = SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  sigaction(SIGABRT, &action, nullptr);
}

void SetCurrentRun(uint64_t seed, int members) {
  g_message_bytes = 0;
  const int n = std::snprintf(
      g_message, sizeof(g_message),
      "corral-sim: aborted during seed %llu (%d members); replay: corral-sim --seed %llu "
      "--members %d --verbose\n",
      static_cast<unsigned long long>(seed), members, static_cast<unsigned long long>(seed),
      members);
  g_message_bytes = n > 0 && n < static_cast<int>(sizeof(g_message)) ? n : 0;
}

void ClearCurrentRun() { g_message_bytes = 0; }

}  // namespace corral::sim
