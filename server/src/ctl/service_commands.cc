// The commands about the service rather than its znodes: reconfig, 4lw, admin, dump.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "client/http_get.h"
#include "client/one_shot_exchange.h"
#include "ctl/commands.h"
#include "ctl/reconfig_request.h"
#include "ctl/znode_format.h"
#include "storage/dump.h"
#include "zk/codes.h"

namespace corral::ctl {
namespace {

constexpr uint16_t kAdminPortDefault = 8080;

std::optional<std::string> OptionalFlag(const ParsedArgs& args, const std::string& flag) {
  if (!args.Has(flag)) return std::nullopt;
  return args.Value(flag);
}

// The member a sessionless command talks to: an explicit HOST:PORT, else the member of the
// shell's live connection, else the first of the connect string.
StatusOr<client::Endpoint> TargetMember(CommandContext& ctx, const std::string& explicit_target) {
  if (!explicit_target.empty()) return client::ParseEndpoint(explicit_target, 2181);
  client::Session* session = ctx.connection->session();
  if (session != nullptr) {
    std::string connected = session->connected_server();
    if (!connected.empty()) return client::ParseEndpoint(connected, 2181);
  }
  return ctx.connection->options().servers.front();
}

}  // namespace

int RunReconfig(CommandContext& ctx, const ParsedArgs& args) {
  const Command& command = *FindCommand("reconfig");
  ReconfigOptions options;
  options.add = OptionalFlag(args, "-add");
  options.remove = OptionalFlag(args, "-remove");
  options.members = OptionalFlag(args, "-members");
  options.from_version_hex = OptionalFlag(args, "-v");
  if (args.Has("-file")) {
    std::ifstream in(args.Value("-file"));
    if (!in) return ReportFailure(ctx, "cannot read " + args.Value("-file"));
    std::ostringstream contents;
    contents << in.rdbuf();
    options.file_contents = contents.str();
  }
  auto request = BuildReconfigRequest(options);
  if (!request.ok()) return ReportUsage(ctx, request.status().message(), &command);
  int rc = kExitOk;
  client::ZkClient* zk = ConnectedClient(ctx, &rc);
  if (zk == nullptr) return rc;
  std::string config;
  zk::Stat stat;
  int32_t err = zk->Reconfig(*request, &config, &stat);
  if (err != zk::kOk) return ReportZkError(ctx, err, "");
  if (ctx.json()) {
    JsonWriter json;
    json.BeginObject().Key("config").String(DataText(config)).Key("stat");
    StatJson(json, stat);
    json.EndObject();
    PrintJson(ctx, json);
    return kExitOk;
  }
  *ctx.out << DataText(config) << (config.ends_with("\n") ? "" : "\n");
  if (args.Has("-s")) *ctx.out << StatText(stat);
  return kExitOk;
}

int RunFourLetterWord(CommandContext& ctx, const ParsedArgs& args) {
  const Command& command = *FindCommand("4lw");
  const std::string& word = args.positionals[0];
  if (word.size() != 4 ||
      word.find_first_not_of("abcdefghijklmnopqrstuvwxyz") != std::string::npos) {
    return ReportUsage(ctx, "a four-letter word is four lowercase letters, not \"" + word + "\"",
                       &command);
  }
  auto target = TargetMember(ctx, args.positionals.size() > 1 ? args.positionals[1] : "");
  if (!target.ok()) return ReportUsage(ctx, target.status().message(), &command);
  client::ExchangeOptions options;
  options.timeout_ms = ctx.timeout_ms();
  auto answer = client::ExchangeOnce(*target, word, options);
  if (!answer.ok()) return ReportFailure(ctx, answer.status().message());
  if (ctx.json()) {
    JsonWriter json;
    json.BeginObject()
        .Key("server")
        .String(client::ToString(*target))
        .Key("command")
        .String(word)
        .Key("output")
        .String(DataText(*answer))
        .EndObject();
    PrintJson(ctx, json);
    return kExitOk;
  }
  *ctx.out << DataText(*answer) << (answer->empty() || answer->ends_with("\n") ? "" : "\n");
  return kExitOk;
}

int RunAdmin(CommandContext& ctx, const ParsedArgs& args) {
  const Command& command = *FindCommand("admin");
  const std::string& name = args.positionals[0];
  if (name.empty() || name.find_first_of("/?# \t") != std::string::npos) {
    return ReportUsage(ctx, "\"" + name + "\" is not an admin command name", &command);
  }
  auto member = TargetMember(ctx, args.Value("-h"));
  if (!member.ok()) return ReportUsage(ctx, member.status().message(), &command);
  client::Endpoint endpoint{member->host, kAdminPortDefault};
  if (args.Has("-p")) {
    auto port = ParseInteger(args.Value("-p"), "the admin port (-p)", 1, 65535);
    if (!port.ok()) return ReportUsage(ctx, port.status().message(), &command);
    endpoint.port = static_cast<uint16_t>(*port);
  }
  std::string target = "/commands/" + name;
  auto response = client::HttpGet(endpoint, target, ctx.timeout_ms());
  if (!response.ok()) {
    return ReportFailure(ctx, "GET http://" + client::ToString(endpoint) + target + ": " +
                                  response.status().message());
  }
  if (response->status_code < 200 || response->status_code >= 300) {
    return ReportFailure(ctx, "GET http://" + client::ToString(endpoint) + target + ": HTTP " +
                                  std::to_string(response->status_code) + " " + response->reason +
                                  (response->body.empty() ? "" : ": ") + response->body);
  }
  // The AdminServer answers JSON already: printed as it came, in both output modes.
  *ctx.out << response->body << (response->body.ends_with("\n") ? "" : "\n");
  return kExitOk;
}

int RunDump(CommandContext& ctx, const ParsedArgs& args) {
  const Command& command = *FindCommand("dump");
  const std::string& kind = args.positionals[0];
  const std::string& file = args.positionals[1];
  bool nodes = args.Has("--nodes");
  if (nodes && kind != "snapshot") return ReportUsage(ctx, "--nodes is for snapshots", &command);
  // storage/dump.h writes to a FILE*; a memory stream lets the output go to ctx.out.
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* memory = open_memstream(&buffer, &size);
  if (memory == nullptr) return ReportFailure(ctx, "open_memstream failed");
  int status;
  if (kind == "log") {
    status = storage::DumpLogSegment(file, memory);
  } else if (kind == "snapshot") {
    status = storage::DumpSnapshot(file, nodes, memory);
  } else if (kind == "meta") {
    status = storage::DumpMetaFile(file, memory);
  } else {
    std::fclose(memory);
    std::free(buffer);
    return ReportUsage(ctx, "dump takes log, snapshot or meta, not \"" + kind + "\"", &command);
  }
  std::fclose(memory);
  ctx.out->write(buffer, static_cast<std::streamsize>(size));
  std::free(buffer);
  // Same exit status as corral-dump: 0 valid, 1 corrupt, 2 unreadable.
  if (status != storage::kDumpValid) {
    *ctx.err << "Error: " << file << " is "
             << (status == storage::kDumpCorrupt ? "corrupt" : "unreadable") << "\n";
  }
  return status;
}

}  // namespace corral::ctl
