#pragma once
// A corralctl command: its name, synopsis, flags and handler, and what every handler gets (the
// shared session, the output streams, --json). Handlers return the process exit status:
// kExitOk, kExitFailed (ZooKeeper said no, or the service could not be reached) or kExitUsage.
// Errors go to the error stream as "Error: <ZooKeeper's name> for <path>" (or, with --json,
// as {"error": "NoNode", "code": -101, "path": "/a"}); results go to the output stream.
#include <atomic>
#include <ostream>
#include <string>
#include <vector>

#include "client/zk_client.h"
#include "ctl/flags.h"
#include "ctl/json_writer.h"
#include "ctl/service_connection.h"

namespace corral::ctl {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

struct CommandContext {
  ServiceConnection* connection = nullptr;
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  // Set (from a signal handler) to stop a command that runs until interrupted, like watch.
  const std::atomic<bool>* interrupted = nullptr;
  bool interactive = false;

  bool json() const { return connection->options().json; }
  int timeout_ms() const { return connection->options().timeout_ms; }
};

struct Command {
  std::string name;
  std::string synopsis;  // "get [-s] [-w] PATH"
  std::string summary;
  std::vector<FlagSpec> flags;
  size_t positionals_min = 0;
  size_t positionals_max = 0;
  int (*run)(CommandContext& ctx, const ParsedArgs& args) = nullptr;
};

// The client of the shared session, connecting first; on failure the error is reported and
// *exit_status set.
client::ZkClient* ConnectedClient(CommandContext& ctx, int* exit_status);

// What most znode commands start with: the path argument checked (a usage error unless it
// starts with '/'), then the session connected. nullptr after reporting a failure.
client::ZkClient* PathClient(CommandContext& ctx, const std::string& path, const Command& command,
                             int* exit_status);

int ReportZkError(CommandContext& ctx, int32_t err, const std::string& path);
int ReportFailure(CommandContext& ctx, const std::string& message);
int ReportUsage(CommandContext& ctx, const std::string& message, const Command* command);
// Writes one JSON document and a newline to the output stream.
void PrintJson(CommandContext& ctx, const JsonWriter& json);

}  // namespace corral::ctl
