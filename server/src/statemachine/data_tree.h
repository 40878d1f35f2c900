#pragma once
// DataTree: the znode hierarchy, with the indexes the state machine needs (ephemerals by
// session, containers and TTL nodes for the reaper). Mutations are primitive (they do not check
// ACLs or versions: StateMachine does that) and each can record how to undo itself, which is how
// a failed multi leaves no trace.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "statemachine/node_index.h"
#include "statemachine/znode.h"
#include "zk/records.h"

namespace corral {

// Kind of node as its ephemeralOwner says (EphemeralType.java).
enum class NodeKind { kPersistent, kEphemeral, kContainer, kTtl };
NodeKind KindOf(int64_t ephemeral_owner, bool extended_types_enabled);
int64_t TtlOf(int64_t ephemeral_owner);

class UndoLog {
 public:
  void Add(std::function<void()> undo) { steps_.push_back(std::move(undo)); }
  void Rollback();  // runs the steps newest first
 private:
  std::vector<std::function<void()>> steps_;
};

class DataTree {
 public:
  DataTree();

  const Znode* Find(const std::string& path) const;
  Znode* FindMutable(const std::string& path);
  size_t node_count() const { return nodes_.size(); }
  // Bytes of paths plus data, as ZooKeeper's approximateDataSize counts them.
  int64_t approximate_data_size() const { return approximate_data_size_; }

  AclRef InternAcl(const zk::AclList& acl);
  // Distinct ACL lists interned and not yet swept (tests).
  size_t interned_acl_count() const { return acl_cache_.size(); }

  // Adds `path` under its existing parent; bumps the parent's cversion and pzxid.
  // undo (optional) records how to reverse it. Returns the new node.
  Znode* Create(const std::string& path, std::string_view data, bool data_null, AclRef acl,
                int64_t ephemeral_owner, int64_t zxid, int64_t time_ms, UndoLog* undo);
  // Removes a childless node; sets the parent's pzxid.
  void Delete(const std::string& path, int64_t zxid, UndoLog* undo);
  void SetData(const std::string& path, std::string_view data, bool data_null, int64_t zxid,
               int64_t time_ms, UndoLog* undo);
  void SetAcl(const std::string& path, AclRef acl, UndoLog* undo);
  // Replaces the data only: version, mzxid and mtime stay (what the server writes into its own
  // nodes — /zookeeper/config, quota stats — is not a client change). Size accounting follows.
  void ReplaceData(const std::string& path, std::string_view data, UndoLog* undo);

  const std::set<std::string>& EphemeralsOf(int64_t session_id) const;
  const std::map<int64_t, std::set<std::string>>& ephemerals() const { return ephemerals_; }
  // Containers and TTL nodes, the candidates the reaper looks at.
  const std::set<std::string>& containers() const { return containers_; }
  const std::set<std::string>& ttl_nodes() const { return ttl_nodes_; }
  // Nodes and data bytes of the subtree at `path`, itself included (zero when missing).
  struct SubtreeTotals {
    int64_t nodes = 0;
    int64_t data_bytes = 0;
  };
  SubtreeTotals TotalsUnder(const std::string& path) const;
  int64_t CountDescendants(const std::string& path) const;

  // Visits every node in path order (deterministic: used by digests and, later, snapshots).
  void ForEach(const std::function<void(const std::string&, const Znode&)>& fn) const;

  // Rebuilding a tree from a snapshot (storage/snapshot.cc; defined in data_tree_restore.cc).
  // Sizes the node index for `count` nodes, so a restore does not rehash as it grows.
  void ReserveNodes(size_t count) { nodes_.Reserve(count); }
  // Adds a node with every stored field as given; `node.children` must be empty (children link
  // themselves as they arrive). Nodes must arrive parents first, as ForEach visits them; "/"
  // replaces the fields of the root every tree starts with (before any other node arrives).
  // Returns false, changing nothing, when the node cannot be placed: the path is not absolute
  // or has an empty last segment, the node exists, or its parent does not.
  // Fast in ForEach order (depth first, siblings in sorted order): the parent is then found
  // without a lookup and the node is known to be new without one; any other order is accepted
  // and costs the lookups.
  bool RestoreNode(std::string path, Znode node);

 private:
  void IndexOwner(const std::string& path, int64_t owner, bool add);

  // RestoreNode's cache: the last restored node and its ancestors, root first. Snapshots list
  // nodes depth first, so a node's parent is on it and restoring needs no lookup by path.
  // Cleared by anything that erases a node (the pointers would dangle), and a copy of the tree
  // starts without it (they point into the original); a move keeps it (entries do not move).
  struct RestorePath {
    std::vector<NodeIndex::Entry*> entries;
    RestorePath() = default;
    RestorePath(const RestorePath&) {}
    RestorePath& operator=(const RestorePath&) {
      entries.clear();
      return *this;
    }
    RestorePath(RestorePath&&) noexcept = default;
    RestorePath& operator=(RestorePath&&) noexcept = default;
  };

  NodeIndex nodes_;
  RestorePath restore_path_;
  std::map<int64_t, std::set<std::string>> ephemerals_;
  std::set<std::string> containers_;
  std::set<std::string> ttl_nodes_;
  std::map<zk::AclList, AclRef, bool (*)(const zk::AclList&, const zk::AclList&)> acl_cache_;
  size_t acl_cache_size_after_sweep_ = 0;
  int64_t approximate_data_size_ = 0;
};

}  // namespace corral
