// StateMachine::Apply: the write side. Checks follow the order ZooKeeper's PrepRequestProcessor
// applies them in, so the first failing check (and so the error code a client sees) is the same.
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "base/assert.h"
#include "config/dynamic_config.h"
#include "statemachine/path.h"
#include "statemachine/quota.h"
#include "statemachine/state_machine.h"
#include "zk/codes.h"

namespace corral {

struct StateMachine::OpContext {
  const Txn& txn;
  UndoLog* undo;  // null outside multi
  std::vector<WatchTrigger>* triggers;
};

namespace {

// ZooKeeper's checkAndIncVersion: -1 matches any version; the new version wraps as Java's int.
bool VersionMatches(int32_t current, int32_t expected) {
  return expected == -1 || expected == current;
}

// The parent part as ZooKeeper's getParentPathAndValidate computes it ("" for children of /).
std::string ParentOf(const std::string& p) {
  size_t slash = p.rfind('/');
  return slash == 0 ? "/" : p.substr(0, slash);
}

bool IsSpecialPath(const std::string& p) {
  return p == "/" || p == kZooKeeperPath || p == kQuotaPath || p == kConfigPath;
}

}  // namespace

StateMachine::StateMachine(StateMachineOptions options) : options_(std::move(options)) {
  // Built-in nodes, present from the first start (ZooKeeper creates them in its DataTree
  // constructor with zxid 0). /zookeeper/config is read-only for everyone but the super user.
  AclRef open = tree_.InternAcl({zk::Acl{zk::kPermAll, zk::Id{"world", "anyone"}}});
  tree_.Create(kZooKeeperPath, "", false, open, 0, 0, 0, nullptr);
  tree_.Create(kQuotaPath, "", false, open, 0, 0, 0, nullptr);
  tree_.Create(kConfigPath, "", false,
               tree_.InternAcl({zk::Acl{zk::kPermRead, zk::Id{"world", "anyone"}}}), 0, 0, 0,
               nullptr);
  // ZooKeeper builds these without touching cversion/pzxid of their parents.
  for (const char* p : {"/", kZooKeeperPath}) {
    Znode* n = tree_.FindMutable(p);
    n->set_cversion(0);
    n->set_pzxid(0);
  }
  tree_.FindMutable(kConfigPath)->aversion = -1;  // as ZooKeeper builds it
}

void StateMachine::SetConfigData(const std::string& text) {
  tree_.ReplaceData(kConfigPath, text, nullptr);
}

int32_t StateMachine::ApplyCreate(const OpContext& ctx, int32_t type, const zk::CreateRequest& req,
                                  std::string* created_path, zk::Stat* stat) {
  // The flags choose the name (sequential) and the mode checks; the opcode chooses the kind
  // of node: createContainer always makes a container and createTTL a TTL node, while
  // create/create2 make an ephemeral or a persistent node (ZooKeeper's Create*Txn records).
  int32_t flags = req.flags;
  if (!zk::IsValidCreateMode(flags)) return zk::kBadArguments;
  bool ttl_mode = zk::IsTtlMode(flags);
  bool sequential = flags == zk::kPersistentSequential || flags == zk::kEphemeralSequential ||
                    flags == zk::kPersistentSequentialWithTtl;
  bool ephemeral = flags == zk::kEphemeral || flags == zk::kEphemeralSequential;
  int64_t ttl = type == zk::kCreateTtl ? req.ttl : -1;
  if (ttl_mode && !options_.extended_types_enabled) return zk::kUnimplemented;
  if (ttl_mode ? (ttl <= 0 || ttl > zk::kMaxTtlMs) : ttl >= 0) return zk::kBadArguments;
  // createTTL with a non-TTL mode and ttl < 0 passes ZooKeeper's checks and then kills its
  // commit thread (docs/compatibility.md); refusing it like any other bad TTL is the sane answer.
  if (type == zk::kCreateTtl && !ttl_mode) return zk::kBadArguments;

  const std::string& requested = req.path;
  size_t last_slash = requested.rfind('/');
  if (last_slash == std::string::npos || requested.find('\0') != std::string::npos) {
    return zk::kBadArguments;
  }
  zk::AclList acl;
  if (int32_t err = acl::FixupAcl(req.acl, ctx.txn.identities, &acl); err != zk::kOk) return err;
  std::string parent_path = last_slash == 0 ? "/" : requested.substr(0, last_slash);
  const Znode* parent = tree_.Find(parent_path);
  if (parent == nullptr) return zk::kNoNode;
  if (!acl::Permits(*parent->acl, zk::kPermCreate, ctx.txn.identities)) return zk::kNoAuth;
  std::string p = requested;
  if (sequential) {
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "%010d", parent->cversion());
    p += suffix;
  }
  if (!path::IsValid(p)) return zk::kBadArguments;
  if (tree_.Find(p) != nullptr) return zk::kNodeExists;
  if (KindOf(parent->ephemeral_owner, options_.extended_types_enabled) == NodeKind::kEphemeral) {
    return zk::kNoChildrenForEphemerals;
  }
  auto data_bytes = static_cast<int64_t>(req.data.size());
  if (options_.enforce_quota) {
    if (int32_t err = quota::Check(tree_, p, data_bytes, 1); err != zk::kOk) return err;
  }
  int64_t owner = 0;
  if (type == zk::kCreateContainer) {
    owner = zk::kContainerEphemeralOwner;
  } else if (type == zk::kCreateTtl && ttl_mode) {
    owner = zk::kTtlMask | ttl;
  } else if (ephemeral) {
    owner = ctx.txn.session_id;
  }
  // Create returns the new node and leaves `parent` where it was (nodes never move).
  const Znode* created = tree_.Create(p, req.data, req.data_null, tree_.InternAcl(acl), owner,
                                      ctx.txn.zxid, ctx.txn.time_ms, ctx.undo);
  ctx.triggers->push_back({p, zk::kEventNodeCreated, created->acl});
  ctx.triggers->push_back(
      {std::string(path::Parent(p)), zk::kEventNodeChildrenChanged, parent->acl});
  *created_path = p;
  *stat = created->ToStat();  // before the quota upkeep below, as ZooKeeper reports it
  quota::OnCreated(tree_, p, ctx.undo);
  quota::Track(tree_, p, data_bytes, 1, ctx.undo);
  return zk::kOk;
}

int32_t StateMachine::ApplyDelete(const OpContext& ctx, int32_t type,
                                  const zk::DeleteRequest& req) {
  // deleteContainer is the reaper's own entry (session 0); a client may not send it.
  if (type == zk::kDeleteContainer && ctx.txn.session_id != 0) return zk::kBadArguments;
  const std::string& p = req.path;
  if (p.rfind('/') == std::string::npos || p.find('\0') != std::string::npos || IsSpecialPath(p)) {
    return zk::kBadArguments;
  }
  std::string parent_path = ParentOf(p);
  const Znode* parent = tree_.Find(parent_path);
  if (parent == nullptr) return zk::kNoNode;
  if (type == zk::kDelete && !acl::Permits(*parent->acl, zk::kPermDelete, ctx.txn.identities)) {
    return zk::kNoAuth;
  }
  const Znode* node = tree_.Find(p);
  if (node == nullptr) return zk::kNoNode;
  if (type == zk::kDeleteContainer) {
    // Issued by the reaper; re-checked here so every replica decides from the same state.
    if (!node->children.empty()) return zk::kNotEmpty;
    NodeKind kind = KindOf(node->ephemeral_owner, options_.extended_types_enabled);
    if (kind == NodeKind::kContainer) {
      if (node->cversion() <= 0) return zk::kBadVersion;
    } else if (kind == NodeKind::kTtl) {
      if (ctx.txn.time_ms - node->mtime <= TtlOf(node->ephemeral_owner)) return zk::kBadVersion;
    } else {
      return zk::kBadVersion;
    }
  } else {
    if (!VersionMatches(node->version, req.version)) return zk::kBadVersion;
    if (!node->children.empty()) return zk::kNotEmpty;
  }
  AclRef node_acl = node->acl;
  auto data_bytes = static_cast<int64_t>(node->data.size());
  tree_.Delete(p, ctx.txn.zxid, ctx.undo);
  quota::Track(tree_, p, -data_bytes, -1, ctx.undo);
  ctx.triggers->push_back({p, zk::kEventNodeDeleted, node_acl});
  ctx.triggers->push_back(
      {parent_path, zk::kEventNodeChildrenChanged, tree_.Find(parent_path)->acl});
  return zk::kOk;
}

int32_t StateMachine::ApplySetData(const OpContext& ctx, const zk::SetDataRequest& req,
                                   zk::Stat* stat) {
  if (!path::IsValid(req.path)) return zk::kBadArguments;
  const Znode* node = tree_.Find(req.path);
  if (node == nullptr) return zk::kNoNode;
  if (!acl::Permits(*node->acl, zk::kPermWrite, ctx.txn.identities)) return zk::kNoAuth;
  // ZooKeeper's order: ACL, then quota, then version.
  int64_t bytes_delta =
      static_cast<int64_t>(req.data.size()) - static_cast<int64_t>(node->data.size());
  if (options_.enforce_quota) {
    if (int32_t err = quota::Check(tree_, req.path, bytes_delta, 0); err != zk::kOk) return err;
  }
  if (!VersionMatches(node->version, req.version)) return zk::kBadVersion;
  tree_.SetData(req.path, req.data, req.data_null, ctx.txn.zxid, ctx.txn.time_ms, ctx.undo);
  quota::Track(tree_, req.path, bytes_delta, 0, ctx.undo);
  node = tree_.Find(req.path);
  ctx.triggers->push_back({req.path, zk::kEventNodeDataChanged, node->acl});
  *stat = node->ToStat();
  return zk::kOk;
}

int32_t StateMachine::ApplySetAcl(const OpContext& ctx, const zk::SetAclRequest& req,
                                  zk::Stat* stat) {
  if (!path::IsValid(req.path)) return zk::kBadArguments;
  zk::AclList acl;
  if (int32_t err = acl::FixupAcl(req.acl, ctx.txn.identities, &acl); err != zk::kOk) return err;
  const Znode* node = tree_.Find(req.path);
  if (node == nullptr) return zk::kNoNode;
  if (!acl::Permits(*node->acl, zk::kPermAdmin, ctx.txn.identities)) return zk::kNoAuth;
  if (!VersionMatches(node->aversion, req.version)) return zk::kBadVersion;
  tree_.SetAcl(req.path, tree_.InternAcl(acl), ctx.undo);
  *stat = tree_.Find(req.path)->ToStat();
  return zk::kOk;
}

int32_t StateMachine::ApplyCheck(const OpContext& ctx, const zk::CheckVersionRequest& req) {
  if (!path::IsValid(req.path)) return zk::kBadArguments;
  const Znode* node = tree_.Find(req.path);
  if (node == nullptr) return zk::kNoNode;
  if (!acl::Permits(*node->acl, zk::kPermRead, ctx.txn.identities)) return zk::kNoAuth;
  if (!VersionMatches(node->version, req.version)) return zk::kBadVersion;
  return zk::kOk;
}

void StateMachine::CloseSession(const OpContext& ctx, int64_t session_id, ApplyResult* result) {
  // Copy: deleting ephemerals edits the index being walked.
  std::set<std::string> paths = tree_.EphemeralsOf(session_id);
  for (const auto& p : paths) {
    const Znode* node = tree_.Find(p);
    if (node == nullptr || !node->children.empty()) continue;  // ephemerals have no children
    AclRef node_acl = node->acl;
    auto data_bytes = static_cast<int64_t>(node->data.size());
    std::string parent_path = ParentOf(p);
    tree_.Delete(p, ctx.txn.zxid, nullptr);
    quota::Track(tree_, p, -data_bytes, -1, nullptr);
    result->triggers.push_back({p, zk::kEventNodeDeleted, node_acl});
    result->triggers.push_back(
        {parent_path, zk::kEventNodeChildrenChanged, tree_.Find(parent_path)->acl});
  }
  sessions_.erase(session_id);
  result->closed_sessions.push_back(session_id);
}

ApplyResult StateMachine::ApplyOp(const OpContext& ctx, const WriteOp& op) {
  ApplyResult result;
  jute::Writer w(&result.body);
  zk::Stat stat;
  switch (op.type) {
    case zk::kCreate:
    case zk::kCreate2:
    case zk::kCreateContainer:
    case zk::kCreateTtl: {
      std::string created;
      result.err = ApplyCreate(ctx, op.type, op.create, &created, &stat);
      if (result.err == zk::kOk) {
        w.WriteString(created);
        if (op.type != zk::kCreate) zk::Encode(w, stat);
      }
      break;
    }
    case zk::kDelete:
    case zk::kDeleteContainer:
      result.err = ApplyDelete(ctx, op.type, op.del);
      break;
    case zk::kSetData:
      result.err = ApplySetData(ctx, op.set_data, &stat);
      if (result.err == zk::kOk) zk::Encode(w, stat);
      break;
    case zk::kSetAcl:
      result.err = ApplySetAcl(ctx, op.set_acl, &stat);
      if (result.err == zk::kOk) zk::Encode(w, stat);
      break;
    case zk::kCheck:
      result.err = ApplyCheck(ctx, op.check);
      break;
    default:
      result.err = zk::kUnimplemented;
  }
  if (result.err != zk::kOk) result.body.clear();
  return result;
}

ApplyResult StateMachine::ApplyReconfig(const Txn& txn) {
  // The leader decided (runtime/reconfig_planner.h): the entry holds either the new dynamic
  // config, or the error its request earned ("error:<code>"), logged so every member answers
  // the client alike. The version is the entry's own zxid, known only once it was logged.
  ApplyResult result;
  constexpr std::string_view kErrorPrefix = "error:";
  if (txn.request->compare(0, kErrorPrefix.size(), kErrorPrefix) == 0) {
    result.err =
        static_cast<int32_t>(std::strtol(txn.request->c_str() + kErrorPrefix.size(), nullptr, 10));
    if (result.err == zk::kOk) result.err = zk::kMarshallingError;
    return result;
  }
  auto config = ParseDynamicConfig(txn.request.get());
  if (!config.ok()) {
    result.err = zk::kMarshallingError;
    return result;
  }
  config->version = txn.zxid;
  std::string text = FormatDynamicConfig(*config);
  tree_.SetData(kConfigPath, text, /*data_null=*/false, txn.zxid, txn.time_ms, nullptr);
  const Znode* node = tree_.Find(kConfigPath);
  result.triggers.push_back({kConfigPath, zk::kEventNodeDataChanged, node->acl});
  // ZooKeeper answers a reconfig like a getData of /zookeeper/config.
  jute::Writer w(&result.body);
  w.WriteBuffer(text);
  zk::Encode(w, node->ToStat());
  return result;
}

ApplyResult StateMachine::ApplyMulti(const OpContext& outer, const std::string& request) {
  // All or nothing: each op applies with an undo record; on the first failure everything is
  // rolled back and the results say OK for the ops before it, its own error for it, and
  // RUNTIMEINCONSISTENCY for those after it (what ZooKeeper's clients expect). The reply
  // header's err stays OK: the errors are in the results.
  std::vector<WriteOp> ops;
  if (!DecodeMulti(request, &ops)) return {zk::kMarshallingError, "", {}, {}};
  UndoLog undo;
  std::vector<WatchTrigger> triggers;
  OpContext ctx{outer.txn, &undo, &triggers};
  std::vector<ApplyResult> outcomes;
  size_t failed_at = ops.size();
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].ttl_without_record) {
      undo.Rollback();
      return {zk::kMarshallingError, "", {}, {}};
    }
    outcomes.push_back(ApplyOp(ctx, ops[i]));
    if (outcomes.back().err != zk::kOk) {
      failed_at = i;
      undo.Rollback();
      break;
    }
  }
  ApplyResult result;
  jute::Writer w(&result.body);
  for (size_t i = 0; i < ops.size(); ++i) {
    if (failed_at < ops.size()) {
      int32_t err = i < failed_at    ? zk::kOk
                    : i == failed_at ? outcomes[i].err
                                     : zk::kRuntimeInconsistency;
      zk::Encode(w, zk::MultiHeader{zk::kError, false, err});
      w.WriteInt(err);
      continue;
    }
    int32_t header_type = (ops[i].type == zk::kCreateContainer || ops[i].type == zk::kCreateTtl)
                              ? static_cast<int32_t>(zk::kCreate2)
                              : ops[i].type;
    zk::Encode(w, zk::MultiHeader{header_type, false, zk::kOk});
    result.body += outcomes[i].body;
  }
  zk::Encode(w, zk::MultiHeader{-1, true, -1});
  if (failed_at == ops.size()) result.triggers = std::move(triggers);
  return result;
}

ApplyResult StateMachine::Apply(const Txn& txn) {
  CORRAL_ASSERT(txn.zxid > last_applied_zxid_, "zxids must strictly increase");
  last_applied_zxid_ = txn.zxid;
  ApplyResult result;
  OpContext ctx{txn, nullptr, &result.triggers};
  switch (txn.type) {
    case zk::kCreateSession: {
      CreateSessionBody body;
      if (!DecodeCreateSession(txn.request, &body)) {
        result.err = zk::kMarshallingError;
        return result;
      }
      sessions_[txn.session_id] = SessionInfo{body.timeout_ms, body.passwd};
      return result;
    }
    case kTxnEpochStart:
      return result;
    case zk::kReconfig:
      // Whatever became of the session that asked: the consensus core counts with the new
      // membership from the moment the entry is in the log (consensus/membership.h), so
      // /zookeeper/config must follow it even when the answer finds no client.
      return ApplyReconfig(txn);
    case zk::kCloseSession:
      if (sessions_.count(txn.session_id) == 0) {
        result.err = zk::kSessionExpired;
        return result;
      }
      CloseSession(ctx, txn.session_id, &result);
      return result;
    default:
      break;
  }
  // Session 0 is the member itself (the container/TTL reaper); every other session must be
  // live when its request applies: it may have expired since the request was submitted.
  if (txn.session_id != 0 && sessions_.count(txn.session_id) == 0) {
    result.err = zk::kSessionExpired;
    return result;
  }
  if (txn.type == zk::kMulti) return ApplyMulti(ctx, txn.request);
  WriteOp op;
  jute::Reader r(txn.request.get());
  if (!DecodeWriteOp(txn.type, r, &op)) {
    result.err = zk::kMarshallingError;
    return result;
  }
  ApplyResult single = ApplyOp(ctx, op);
  single.triggers = std::move(result.triggers);
  return single;
}

}  // namespace corral
