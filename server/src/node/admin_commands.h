#pragma once
// The admin API's commands (ZooKeeper's AdminServer, /commands/<name>): their names and
// aliases, which need a serving member and which need authentication, and the request and
// answer types. The answers are built by Node::RunAdminCommand (node/admin_commands.cc) on the
// core thread, as JSON objects with ZooKeeper's field names; the HTTP side lives in
// runtime/admin_server.h. Nothing here does I/O.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "zk/records.h"

namespace corral {

struct AdminCommand {
  std::string_view name;  // the primary name, which answers carry in "command"
  std::vector<std::string_view> aliases;
  // Answers "not currently serving" while the member does not serve (ZooKeeper's
  // isServerRequired); the others answer from any state.
  bool needs_serving = true;
  // Needs an Authorization header whose identities have every permission on "/" (ZooKeeper
  // 3.9's AuthRequest(Perms.ALL, "/"): its snapshot and restore commands).
  bool needs_auth = false;
};

// Every command, primary names sorted (the order of the /commands listing).
const std::vector<AdminCommand>& AdminCommands();
// By primary name or alias; null when unknown.
const AdminCommand* FindAdminCommand(std::string_view name);

struct AdminRequest {
  const AdminCommand* command = nullptr;
  std::map<std::string, std::string> params;  // query parameters, first value of each
  // The Authorization header ("digest user:password", or "ip"), empty when absent.
  std::string authorization;
  std::string remote_ip;
};

struct AdminResponse {
  int http_status = 200;
  Json body = Json::Object();  // "command" and "error" first, then the command's fields
  std::map<std::string, std::string> headers;
};

// A response with "command" and "error" set, as ZooKeeper's CommandResponse starts.
AdminResponse AdminResponseFor(std::string_view command, const std::string& error = "",
                               int http_status = 200);

// The identities an Authorization header proves (ZooKeeper 3.9's "<scheme> <auth>" form):
// "digest user:password" (super when it matches super_digest) or "ip" (the remote address).
// Empty when the header is malformed or the credentials are wrong.
std::vector<zk::Id> AdminIdentities(const std::string& authorization, const std::string& remote_ip,
                                    const std::string& super_digest);

// The readiness command (Corral's own, for Kubernetes probes and the operator).
inline constexpr std::string_view kReadyCommand = "ready";

}  // namespace corral
