#pragma once
// Where an HTTP request to the admin or metrics port goes: pure parsing of the request target,
// kept apart from the server so it is tested without sockets.
//
// Admin port, with commandURL "/commands" (ZooKeeper's default):
//   /commands and /commands/      -> the list of commands (ZooKeeper prints HTML links)
//   /commands/<name>?k=v&...      -> that command, with its query parameters
//   anything else                 -> 404
// Metrics port: /metrics -> the exposition; anything else -> 404.
#include <map>
#include <string>
#include <string_view>

namespace corral {

struct AdminRoute {
  enum class Kind { kCommandList, kCommand, kNotFound };
  Kind kind = Kind::kNotFound;
  std::string command;                        // kCommand: the name as given (maybe an alias)
  std::map<std::string, std::string> params;  // decoded; the first value of a repeated key
};

AdminRoute RouteAdminTarget(std::string_view target, std::string_view command_url);
bool IsMetricsTarget(std::string_view target);

// %XX and '+' decoding of a query component. A malformed escape is kept as written.
std::string DecodeQueryComponent(std::string_view text);

// The HTML ZooKeeper serves for the command list: one link per command, sorted.
std::string CommandListHtml(std::string_view command_url);

}  // namespace corral
