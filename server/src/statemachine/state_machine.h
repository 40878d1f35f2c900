#pragma once
// StateMachine: the replicated state (znode tree and sessions) and the two ways to use it.
//   Apply(txn)  — a committed log entry; a pure function of (state, txn): the same on every
//                 replica. It computes the ZooKeeper outcome (error code, response body) and the
//                 watch triggers the entry causes. It never reads a clock or does I/O.
//   Read(...)   — a read request served locally, against the current state.
// Thread-compatible: one thread (the node's core thread) owns it.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "statemachine/acl.h"
#include "statemachine/data_tree.h"
#include "statemachine/txn.h"
#include "statemachine/write_op.h"

namespace corral {

struct StateMachineOptions {
  bool extended_types_enabled = false;  // TTL nodes
  std::string super_digest;             // for addauth digest checks done by the node
  // Hard quota limits refuse writes (enforceQuota). Apply depends on it, so every member of an
  // ensemble must use the same value.
  bool enforce_quota = false;
};

// An event the watch manager must deliver: `type` happened at `path`. `acl` is the node's ACL
// at the time (for deletes, the deleted node's), so per-event ACL checks (CVE-2024-23944) can
// run after the node is gone.
struct WatchTrigger {
  std::string path;
  int32_t type = 0;  // zk::EventType
  AclRef acl;
};

struct ApplyResult {
  int32_t err = 0;
  std::string body;  // encoded response record(s); empty when err != 0 (multi: always present)
  std::vector<WatchTrigger> triggers;
  // Sessions the entry ended (closeSession); the node drops their connections and watches.
  std::vector<int64_t> closed_sessions;
};

enum class WatchKind { kNone, kData, kChild };

struct ReadResult {
  int32_t err = 0;
  std::string body;
  // The watch the request asked for, when ZooKeeper would register it (exists registers one
  // even on NONODE; getData/getChildren only when they succeed).
  WatchKind watch = WatchKind::kNone;
  std::string watch_path;
};

struct SessionInfo {
  int32_t timeout_ms = 0;
  std::string passwd;
};

class StateMachine {
 public:
  explicit StateMachine(StateMachineOptions options);
  // Restores a state machine from a snapshot (storage/snapshot.cc): the tree as
  // DataTree::RestoreNode rebuilt it, the sessions, and the zxid of the last entry the state
  // includes. The built-in nodes come from the snapshot like every other node.
  StateMachine(StateMachineOptions options, DataTree tree, std::map<int64_t, SessionInfo> sessions,
               int64_t last_applied_zxid)
      : options_(std::move(options)),
        tree_(std::move(tree)),
        sessions_(std::move(sessions)),
        last_applied_zxid_(last_applied_zxid) {}

  ApplyResult Apply(const Txn& txn);

  // Serves exists, getData, getACL, getChildren(2), getAllChildrenNumber, getEphemerals and
  // multiRead. `request` is the body after the RequestHeader. A body that does not decode gives
  // kMarshallingError; the caller closes such connections.
  ReadResult Read(int32_t type, const std::string& request, const acl::Identities& ids,
                  int64_t session_id) const;

  const DataTree& tree() const { return tree_; }
  const std::map<int64_t, SessionInfo>& sessions() const { return sessions_; }
  int64_t last_applied_zxid() const { return last_applied_zxid_; }
  const StateMachineOptions& options() const { return options_; }
  // The config text at /zookeeper/config (set by the node until reconfig owns it).
  void SetConfigData(const std::string& text);

 private:
  struct OpContext;
  int32_t ApplyCreate(const OpContext& ctx, int32_t type, const zk::CreateRequest& req,
                      std::string* created_path, zk::Stat* stat);
  int32_t ApplyDelete(const OpContext& ctx, int32_t type, const zk::DeleteRequest& req);
  int32_t ApplySetData(const OpContext& ctx, const zk::SetDataRequest& req, zk::Stat* stat);
  int32_t ApplySetAcl(const OpContext& ctx, const zk::SetAclRequest& req, zk::Stat* stat);
  int32_t ApplyCheck(const OpContext& ctx, const zk::CheckVersionRequest& req);
  ApplyResult ApplyMulti(const OpContext& ctx, const std::string& request);
  ApplyResult ApplyReconfig(const Txn& txn);
  ApplyResult ApplyOp(const OpContext& ctx, const WriteOp& op);
  void CloseSession(const OpContext& ctx, int64_t session_id, ApplyResult* result);

  StateMachineOptions options_;
  DataTree tree_;
  std::map<int64_t, SessionInfo> sessions_;
  int64_t last_applied_zxid_ = 0;
};

// Well-known paths.
inline constexpr char kZooKeeperPath[] = "/zookeeper";
inline constexpr char kQuotaPath[] = "/zookeeper/quota";
inline constexpr char kConfigPath[] = "/zookeeper/config";

}  // namespace corral
