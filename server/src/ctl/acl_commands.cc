// The commands about access: getAcl, setAcl, addauth, whoami.
#include "ctl/commands.h"
#include "ctl/znode_format.h"
#include "zk/codes.h"

namespace corral::ctl {

int RunGetAcl(CommandContext& ctx, const ParsedArgs& args) {
  const std::string& path = args.positionals[0];
  int rc = kExitOk;
  client::ZkClient* zk = PathClient(ctx, path, *FindCommand("getAcl"), &rc);
  if (zk == nullptr) return rc;
  zk::AclList acl;
  zk::Stat stat;
  int32_t err = zk->GetAcl(path, &acl, &stat);
  if (err != zk::kOk) return ReportZkError(ctx, err, path);
  if (ctx.json()) {
    JsonWriter json;
    json.BeginObject().Key("path").String(path).Key("acl");
    AclJson(json, acl);
    json.Key("stat");
    StatJson(json, stat);
    json.EndObject();
    PrintJson(ctx, json);
    return kExitOk;
  }
  for (const auto& a : acl) *ctx.out << AclText(a) << "\n";
  if (args.Has("-s")) *ctx.out << StatText(stat);
  return kExitOk;
}

int RunSetAcl(CommandContext& ctx, const ParsedArgs& args) {
  const Command& command = *FindCommand("setAcl");
  const std::string& path = args.positionals[0];
  auto acl = ParseAclList(args.positionals[1]);
  if (!acl.ok()) return ReportUsage(ctx, acl.status().message(), &command);
  int32_t aversion = -1;
  if (args.Has("-v")) {
    auto v = ParseInteger(args.Value("-v"), "the ACL version (-v)", -1, INT32_MAX);
    if (!v.ok()) return ReportUsage(ctx, v.status().message(), &command);
    aversion = static_cast<int32_t>(*v);
  }
  int rc = kExitOk;
  client::ZkClient* zk = PathClient(ctx, path, command, &rc);
  if (zk == nullptr) return rc;
  zk::Stat stat;
  int32_t err = zk->SetAcl(path, *acl, aversion, &stat);
  if (err != zk::kOk) return ReportZkError(ctx, err, path);
  if (ctx.json()) {
    JsonWriter json;
    json.BeginObject().Key("path").String(path).Key("stat");
    StatJson(json, stat);
    json.EndObject();
    PrintJson(ctx, json);
  } else if (args.Has("-s")) {
    *ctx.out << StatText(stat);
  }
  return kExitOk;
}

int RunAddAuth(CommandContext& ctx, const ParsedArgs& args) {
  const std::string& scheme = args.positionals[0];
  const std::string auth = args.positionals.size() > 1 ? args.positionals[1] : "";
  int rc = kExitOk;
  client::ZkClient* zk = ConnectedClient(ctx, &rc);
  if (zk == nullptr) return rc;
  int32_t err = zk->AddAuth(scheme, auth);
  if (err != zk::kOk) return ReportZkError(ctx, err, "");
  if (ctx.json()) {
    JsonWriter json;
    json.BeginObject().Key("scheme").String(scheme).Key("added").Bool(true).EndObject();
    PrintJson(ctx, json);
  }
  return kExitOk;
}

int RunWhoAmI(CommandContext& ctx, const ParsedArgs& args) {
  int rc = kExitOk;
  client::ZkClient* zk = ConnectedClient(ctx, &rc);
  if (zk == nullptr) return rc;
  std::vector<std::pair<std::string, std::string>> identities;
  int32_t err = zk->WhoAmI(&identities);
  if (err != zk::kOk) return ReportZkError(ctx, err, "");
  if (ctx.json()) {
    JsonWriter json;
    json.BeginArray();
    for (const auto& [scheme, id] : identities) {
      json.BeginObject().Key("scheme").String(scheme).Key("id").String(id).EndObject();
    }
    json.EndArray();
    PrintJson(ctx, json);
    return kExitOk;
  }
  for (const auto& [scheme, id] : identities) *ctx.out << scheme << ":" << id << "\n";
  return kExitOk;
}

}  // namespace corral::ctl
