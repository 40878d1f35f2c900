// The commands that read and write znodes: ls, get, set, create, delete, deleteall, stat,
// sync, tree, config.
#include <algorithm>

#include "ctl/commands.h"
#include "ctl/znode_format.h"
#include "ctl/znode_tree.h"
#include "zk/codes.h"

namespace corral::ctl {
namespace {

constexpr char kConfigPath[] = "/zookeeper/config";

std::string PathArg(const ParsedArgs& args, size_t index, const std::string& fallback = "/") {
  return index < args.positionals.size() ? args.positionals[index] : fallback;
}

// set and delete: the path, its -v VERSION (-1, any version, without the flag), the session.
client::ZkClient* VersionedPathClient(CommandContext& ctx, const ParsedArgs& args,
                                      const Command& command, int32_t* version, int* exit_status) {
  *version = -1;
  if (args.Has("-v")) {
    auto v = ParseInteger(args.Value("-v"), "the version (-v)", -1, INT32_MAX);
    if (!v.ok()) {
      *exit_status = ReportUsage(ctx, v.status().message(), &command);
      return nullptr;
    }
    *version = static_cast<int32_t>(*v);
  }
  return PathClient(ctx, args.positionals[0], command, exit_status);
}

// With --json, {"path": PATH, KEY: VALUE}; nothing in text mode.
void PrintJsonFact(CommandContext& ctx, const std::string& path, const std::string& key,
                   int64_t value) {
  if (!ctx.json()) return;
  JsonWriter json;
  json.BeginObject().Key("path").String(path).Key(key).Int(value).EndObject();
  PrintJson(ctx, json);
}

// Text: the stat lines; JSON: a "stat" member of the open object.
void PrintStatText(CommandContext& ctx, const zk::Stat& stat) { *ctx.out << StatText(stat); }

void PrintPathAndStat(CommandContext& ctx, const std::string& path, const zk::Stat& stat,
                      bool with_stat) {
  if (ctx.json()) {
    JsonWriter json;
    json.BeginObject().Key("path").String(path).Key("stat");
    StatJson(json, stat);
    json.EndObject();
    PrintJson(ctx, json);
  } else if (with_stat) {
    PrintStatText(ctx, stat);
  }
}

void FlattenTree(const ZnodeTree& tree, std::vector<std::string>* paths) {
  paths->push_back(tree.path);
  for (const auto& child : tree.children) FlattenTree(child, paths);
}

void TreeJson(JsonWriter& json, const ZnodeTree& tree) {
  json.BeginObject().Key("path").String(tree.path).Key("children").BeginArray();
  for (const auto& child : tree.children) TreeJson(json, child);
  json.EndArray().EndObject();
}

void TreeText(std::ostream& out, const ZnodeTree& tree, const std::string& indent) {
  for (size_t i = 0; i < tree.children.size(); ++i) {
    bool last = i + 1 == tree.children.size();
    const ZnodeTree& child = tree.children[i];
    out << indent << (last ? "└── " : "├── ") << LastPathComponent(child.path) << "\n";
    TreeText(out, child, indent + (last ? "    " : "│   "));
  }
}

}  // namespace

int RunLs(CommandContext& ctx, const ParsedArgs& args) {
  const Command& command = *FindCommand("ls");
  std::string path = PathArg(args, 0);
  if (args.Has("-R") && args.Has("-w")) {
    return ReportUsage(ctx, "-R and -w cannot be combined", &command);
  }
  int rc = kExitOk;
  client::ZkClient* zk = PathClient(ctx, path, command, &rc);
  if (zk == nullptr) return rc;
  if (args.Has("-R")) {
    ZnodeTree tree;
    int32_t err = FetchTree(*zk, path, /*depth_max=*/-1, &tree);
    if (err != zk::kOk) return ReportZkError(ctx, err, path);
    std::vector<std::string> paths;
    FlattenTree(tree, &paths);
    if (ctx.json()) {
      JsonWriter json;
      json.BeginObject().Key("path").String(path).Key("paths").BeginArray();
      for (const auto& p : paths) json.String(p);
      json.EndArray().EndObject();
      PrintJson(ctx, json);
    } else {
      for (const auto& p : paths) *ctx.out << p << "\n";
    }
    return kExitOk;
  }
  std::vector<std::string> children;
  zk::Stat stat;
  int32_t err = zk->GetChildren(path, args.Has("-w"), &children, &stat);
  if (err != zk::kOk) return ReportZkError(ctx, err, path);
  std::sort(children.begin(), children.end());
  if (ctx.json()) {
    JsonWriter json;
    json.BeginObject().Key("path").String(path).Key("children").BeginArray();
    for (const auto& c : children) json.String(c);
    json.EndArray();
    if (args.Has("-s")) {
      json.Key("stat");
      StatJson(json, stat);
    }
    json.EndObject();
    PrintJson(ctx, json);
    return kExitOk;
  }
  for (const auto& c : children) *ctx.out << c << "\n";
  if (args.Has("-s")) PrintStatText(ctx, stat);
  return kExitOk;
}

int RunGet(CommandContext& ctx, const ParsedArgs& args) {
  const std::string& path = args.positionals[0];
  int rc = kExitOk;
  client::ZkClient* zk = PathClient(ctx, path, *FindCommand("get"), &rc);
  if (zk == nullptr) return rc;
  std::optional<std::string> data;
  zk::Stat stat;
  int32_t err = zk->GetData(path, args.Has("-w"), &data, &stat);
  if (err != zk::kOk) return ReportZkError(ctx, err, path);
  if (ctx.json()) {
    JsonWriter json;
    json.BeginObject().Key("path").String(path);
    DataJson(json, data);
    json.Key("stat");
    StatJson(json, stat);
    json.EndObject();
    PrintJson(ctx, json);
    return kExitOk;
  }
  // zkCli prints "null" for null data; the JSON output tells it from the four letters.
  *ctx.out << (data ? DataText(*data) : "null") << "\n";
  if (args.Has("-s")) PrintStatText(ctx, stat);
  return kExitOk;
}

int RunSet(CommandContext& ctx, const ParsedArgs& args) {
  const std::string& path = args.positionals[0];
  int32_t version;
  int rc = kExitOk;
  client::ZkClient* zk = VersionedPathClient(ctx, args, *FindCommand("set"), &version, &rc);
  if (zk == nullptr) return rc;
  zk::Stat stat;
  int32_t err = zk->SetData(path, args.positionals[1], version, &stat);
  if (err != zk::kOk) return ReportZkError(ctx, err, path);
  PrintPathAndStat(ctx, path, stat, args.Has("-s"));
  return kExitOk;
}

StatusOr<client::CreateOptions> CreateModeFromFlags(const ParsedArgs& args) {
  bool ephemeral = args.Has("-e");
  bool sequential = args.Has("-s");
  bool container = args.Has("-c");
  bool ttl = args.Has("-t");
  client::CreateOptions options;
  if (container && (ephemeral || sequential || ttl)) {
    return Status::InvalidArgument("-c (container) cannot be combined with -e, -s or -t");
  }
  if (ttl && ephemeral) return Status::InvalidArgument("-t (TTL) cannot be combined with -e");
  if (ttl) {
    auto ms = ParseInteger(args.Value("-t"), "the TTL in ms (-t)", 1, zk::kMaxTtlMs);
    if (!ms.ok()) return ms.status();
    options.ttl_ms = *ms;
    options.mode = sequential ? zk::kPersistentSequentialWithTtl : zk::kPersistentWithTtl;
  } else if (container) {
    options.mode = zk::kContainer;
  } else if (ephemeral) {
    options.mode = sequential ? zk::kEphemeralSequential : zk::kEphemeral;
  } else {
    options.mode = sequential ? zk::kPersistentSequential : zk::kPersistent;
  }
  return options;
}

int RunCreate(CommandContext& ctx, const ParsedArgs& args) {
  const Command& command = *FindCommand("create");
  const std::string& path = args.positionals[0];
  auto options = CreateModeFromFlags(args);
  if (!options.ok()) return ReportUsage(ctx, options.status().message(), &command);
  zk::AclList acl = {zk::Acl{zk::kPermAll, zk::Id{"world", "anyone"}}};
  if (args.positionals.size() > 2) {
    auto parsed = ParseAclList(args.positionals[2]);
    if (!parsed.ok()) return ReportUsage(ctx, parsed.status().message(), &command);
    acl = std::move(*parsed);
  }
  std::optional<std::string_view> data;
  if (args.positionals.size() > 1) data = args.positionals[1];
  int rc = kExitOk;
  client::ZkClient* zk = PathClient(ctx, path, command, &rc);
  if (zk == nullptr) return rc;
  std::string created;
  zk::Stat stat;
  int32_t err = zk->Create(path, data, acl, *options, &created, &stat);
  if (err != zk::kOk) return ReportZkError(ctx, err, path);
  if (ctx.json()) {
    PrintPathAndStat(ctx, created, stat, true);
  } else {
    *ctx.out << "Created " << created << "\n";
  }
  return kExitOk;
}

int RunDelete(CommandContext& ctx, const ParsedArgs& args) {
  const std::string& path = args.positionals[0];
  int32_t version;
  int rc = kExitOk;
  client::ZkClient* zk = VersionedPathClient(ctx, args, *FindCommand("delete"), &version, &rc);
  if (zk == nullptr) return rc;
  int32_t err = zk->Delete(path, version);
  if (err != zk::kOk) return ReportZkError(ctx, err, path);
  PrintJsonFact(ctx, path, "deleted", 1);
  return kExitOk;
}

int RunDeleteAll(CommandContext& ctx, const ParsedArgs& args) {
  const std::string& path = args.positionals[0];
  int rc = kExitOk;
  client::ZkClient* zk = PathClient(ctx, path, *FindCommand("deleteall"), &rc);
  if (zk == nullptr) return rc;
  int64_t deleted = 0;
  std::string failed_path;
  int32_t err = DeleteTree(*zk, path, &deleted, &failed_path);
  if (err != zk::kOk) return ReportZkError(ctx, err, failed_path);
  PrintJsonFact(ctx, path, "deleted", deleted);
  return kExitOk;
}

int RunStat(CommandContext& ctx, const ParsedArgs& args) {
  const std::string& path = args.positionals[0];
  int rc = kExitOk;
  client::ZkClient* zk = PathClient(ctx, path, *FindCommand("stat"), &rc);
  if (zk == nullptr) return rc;
  zk::Stat stat;
  int32_t err = zk->Exists(path, args.Has("-w"), &stat);
  if (err != zk::kOk) return ReportZkError(ctx, err, path);
  PrintPathAndStat(ctx, path, stat, true);
  return kExitOk;
}

int RunSync(CommandContext& ctx, const ParsedArgs& args) {
  const std::string& path = args.positionals[0];
  int rc = kExitOk;
  client::ZkClient* zk = PathClient(ctx, path, *FindCommand("sync"), &rc);
  if (zk == nullptr) return rc;
  int32_t err = zk->Sync(path);
  if (err != zk::kOk) return ReportZkError(ctx, err, path);
  if (ctx.json()) {
    JsonWriter json;
    json.BeginObject().Key("path").String(path).Key("synced").Bool(true).EndObject();
    PrintJson(ctx, json);
  } else {
    *ctx.out << "Sync is OK\n";
  }
  return kExitOk;
}

int RunTree(CommandContext& ctx, const ParsedArgs& args) {
  const Command& command = *FindCommand("tree");
  std::string path = PathArg(args, 0);
  int64_t depth_max = -1;
  if (args.Has("-d")) {
    auto depth = ParseInteger(args.Value("-d"), "the depth (-d)", 0, 1 << 20);
    if (!depth.ok()) return ReportUsage(ctx, depth.status().message(), &command);
    depth_max = *depth;
  }
  int rc = kExitOk;
  client::ZkClient* zk = PathClient(ctx, path, command, &rc);
  if (zk == nullptr) return rc;
  ZnodeTree tree;
  int32_t err = FetchTree(*zk, path, static_cast<int>(depth_max), &tree);
  if (err != zk::kOk) return ReportZkError(ctx, err, path);
  if (ctx.json()) {
    JsonWriter json;
    TreeJson(json, tree);
    PrintJson(ctx, json);
  } else {
    *ctx.out << path << "\n";
    TreeText(*ctx.out, tree, "");
  }
  return kExitOk;
}

int RunConfig(CommandContext& ctx, const ParsedArgs& args) {
  int rc = kExitOk;
  client::ZkClient* zk = ConnectedClient(ctx, &rc);
  if (zk == nullptr) return rc;
  std::optional<std::string> data;
  zk::Stat stat;
  int32_t err = zk->GetData(kConfigPath, false, &data, &stat);
  if (err != zk::kOk) return ReportZkError(ctx, err, kConfigPath);
  if (ctx.json()) {
    JsonWriter json;
    json.BeginObject().Key("config").String(DataText(data.value_or(""))).Key("stat");
    StatJson(json, stat);
    json.EndObject();
    PrintJson(ctx, json);
    return kExitOk;
  }
  std::string text = DataText(data.value_or(""));
  *ctx.out << text << (text.empty() || text.ends_with("\n") ? "" : "\n");
  if (args.Has("-s")) PrintStatText(ctx, stat);
  return kExitOk;
}

}  // namespace corral::ctl
