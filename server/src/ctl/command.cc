#include "ctl/command.h"

#include "ctl/znode_format.h"

namespace corral::ctl {

client::ZkClient* ConnectedClient(CommandContext& ctx, int* exit_status) {
  auto client = ctx.connection->Client();
  if (client.ok()) return *client;
  *exit_status = ReportFailure(ctx, client.status().message());
  return nullptr;
}

client::ZkClient* PathClient(CommandContext& ctx, const std::string& path, const Command& command,
                             int* exit_status) {
  // ZooKeeper checks paths itself (BadArguments), but a path without its leading '/' is almost
  // always a typo worth a usage message rather than a round trip.
  if (!path.starts_with("/")) {
    *exit_status = ReportUsage(ctx, "a znode path starts with '/': \"" + path + "\"", &command);
    return nullptr;
  }
  return ConnectedClient(ctx, exit_status);
}

int ReportZkError(CommandContext& ctx, int32_t err, const std::string& path) {
  if (ctx.json()) {
    JsonWriter json;
    json.BeginObject().Key("error").String(ZkErrorName(err)).Key("code").Int(err);
    if (!path.empty()) json.Key("path").String(path);
    json.EndObject();
    *ctx.err << json.str() << "\n";
  } else {
    *ctx.err << "Error: " << ZkErrorName(err) << (path.empty() ? "" : " for " + path) << "\n";
  }
  return kExitFailed;
}

int ReportFailure(CommandContext& ctx, const std::string& message) {
  if (ctx.json()) {
    JsonWriter json;
    json.BeginObject().Key("error").String(message).EndObject();
    *ctx.err << json.str() << "\n";
  } else {
    *ctx.err << "Error: " << message << "\n";
  }
  return kExitFailed;
}

int ReportUsage(CommandContext& ctx, const std::string& message, const Command* command) {
  *ctx.err << "Error: " << message << "\n";
  if (command != nullptr) *ctx.err << "usage: " << command->synopsis << "\n";
  return kExitUsage;
}

void PrintJson(CommandContext& ctx, const JsonWriter& json) { *ctx.out << json.str() << "\n"; }

}  // namespace corral::ctl
