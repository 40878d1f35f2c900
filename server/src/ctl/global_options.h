#pragma once
// corralctl's own options, before the command:
//   corralctl [-server HOST:PORT[,HOST:PORT...]] [--json] [--timeout-ms N]
//             [--session-timeout-ms N] [--auth SCHEME:CREDENTIALS]... [COMMAND ARGS...]
// No command means the interactive shell.
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "client/endpoint.h"

namespace corral::ctl {

struct GlobalOptions {
  std::string connect_string = "127.0.0.1:2181";
  std::vector<client::Endpoint> servers;
  bool json = false;
  // Bounds connecting and each request (and the whole exchange of 4lw and admin).
  int timeout_ms = 10000;
  int session_timeout_ms = 30000;
  // Credentials added (addauth) as soon as the session is up: scheme, then what follows ':'.
  std::vector<std::pair<std::string, std::string>> auths;
  bool help = false;
  bool version = false;
  std::vector<std::string> command;  // the command and its arguments; empty: the shell
};

StatusOr<GlobalOptions> ParseGlobalOptions(const std::vector<std::string>& args);

std::string GlobalUsage();

}  // namespace corral::ctl
