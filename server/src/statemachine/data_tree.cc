#include "statemachine/data_tree.h"

#include <algorithm>
#include <tuple>

#include "base/assert.h"
#include "statemachine/path.h"
#include "zk/codes.h"

namespace corral {
namespace {

bool AclLess(const zk::AclList& a, const zk::AclList& b) {
  auto key = [](const zk::Acl& x) { return std::tie(x.perms, x.id.scheme, x.id.id); };
  return std::lexicographical_compare(
      a.begin(), a.end(), b.begin(), b.end(),
      [&](const zk::Acl& x, const zk::Acl& y) { return key(x) < key(y); });
}

const std::set<std::string> kNoPaths;

}  // namespace

zk::Stat Znode::ToStat() const {
  zk::Stat s;
  s.czxid = czxid;
  s.mzxid = mzxid;
  s.ctime = ctime;
  s.mtime = mtime;
  s.version = version;
  // ZooKeeper keeps the number of child creations and reports changes: every created child
  // that is gone was also deleted once (DataNode.copyStat).
  s.cversion = static_cast<int32_t>(static_cast<uint32_t>(cversion()) * 2u -
                                    static_cast<uint32_t>(children.size()));
  s.aversion = aversion;
  // Clients see the owner of real ephemerals only; container and TTL markers read as 0
  // (ZooKeeper's DataNode.copyStat).
  bool marker = ephemeral_owner == zk::kContainerEphemeralOwner ||
                (ephemeral_owner & zk::kTtlMask) == zk::kTtlMask;
  s.ephemeral_owner = marker ? 0 : ephemeral_owner;
  s.data_length = static_cast<int32_t>(data.size());
  s.num_children = static_cast<int32_t>(children.size());
  s.pzxid = pzxid();
  return s;
}

NodeKind KindOf(int64_t owner, bool extended_types_enabled) {
  if (owner == 0) return NodeKind::kPersistent;
  if (owner == zk::kContainerEphemeralOwner) return NodeKind::kContainer;
  if (extended_types_enabled && (owner & zk::kTtlMask) == zk::kTtlMask) return NodeKind::kTtl;
  return NodeKind::kEphemeral;
}

int64_t TtlOf(int64_t owner) { return owner & zk::kMaxTtlMs; }

void UndoLog::Rollback() {
  for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) (*it)();
  steps_.clear();
}

DataTree::DataTree() : acl_cache_(&AclLess) {
  Znode root;
  root.acl = InternAcl({zk::Acl{zk::kPermAll, zk::Id{"world", "anyone"}}});
  nodes_.Emplace("/", std::move(root));
  approximate_data_size_ = 1;
}

const Znode* DataTree::Find(const std::string& p) const {
  // ZooKeeper also files the root under "" (reads of "" answer for "/").
  NodeIndex::Entry* e = nodes_.Find(p.empty() ? std::string_view("/") : std::string_view(p));
  return e == nullptr ? nullptr : &e->node;
}

Znode* DataTree::FindMutable(const std::string& p) {
  NodeIndex::Entry* e = nodes_.Find(p);
  return e == nullptr ? nullptr : &e->node;
}

AclRef DataTree::InternAcl(const zk::AclList& acl) {
  auto it = acl_cache_.find(acl);
  if (it != acl_cache_.end()) return it->second;
  // The cache holds every list it gave out; lists no znode holds any more (only the cache does)
  // go when it has doubled since the last sweep, so distinct lists cost amortized constant time
  // and the cache stays within twice the lists in use.
  if (acl_cache_.size() >= 2 * acl_cache_size_after_sweep_ && acl_cache_.size() >= 64) {
    std::erase_if(acl_cache_, [](const auto& cached) { return cached.second.use_count() == 1; });
    acl_cache_size_after_sweep_ = acl_cache_.size();
  }
  AclRef ref = AclRef::Make(acl);
  acl_cache_.emplace(acl, ref);
  return ref;
}

void DataTree::IndexOwner(const std::string& p, int64_t owner, bool add) {
  // Index by the owner's bit pattern whatever extendedTypesEnabled says: a TTL-marked owner is
  // never a real session id, so no ephemeral is lost from the session index.
  std::set<std::string>* index = nullptr;
  if (owner == 0) return;
  if (owner == zk::kContainerEphemeralOwner) {
    index = &containers_;
  } else if ((owner & zk::kTtlMask) == zk::kTtlMask) {
    index = &ttl_nodes_;
  }
  if (index != nullptr) {
    if (add)
      index->insert(p);
    else
      index->erase(p);
    return;
  }
  if (add) {
    ephemerals_[owner].insert(p);
  } else {
    auto it = ephemerals_.find(owner);
    if (it != ephemerals_.end()) {
      it->second.erase(p);
      if (it->second.empty()) ephemerals_.erase(it);
    }
  }
}

Znode* DataTree::Create(const std::string& p, std::string_view data, bool data_null, AclRef acl,
                        int64_t owner, int64_t zxid, int64_t time_ms, UndoLog* undo) {
  NodeIndex::Entry* parent_entry = nodes_.Find(path::Parent(p));
  CORRAL_ASSERT(parent_entry != nullptr, "Create without a parent");
  Znode* parent = &parent_entry->node;
  if (undo != nullptr) {
    undo->Add([this, p, old_cversion = parent->cversion(), old_pzxid = parent->pzxid()] {
      Znode* n = FindMutable(p);
      approximate_data_size_ -= static_cast<int64_t>(p.size() + n->data.size());
      IndexOwner(p, n->ephemeral_owner, false);
      restore_path_.entries.clear();
      nodes_.Erase(p);
      Znode* par = FindMutable(std::string(path::Parent(p)));
      par->children.Erase(path::Basename(p));
      par->set_cversion(old_cversion);
      par->set_pzxid(old_pzxid);
    });
  }
  // Names often grow (sequential nodes, bulk loads): try the end first.
  parent->children.Insert(path::Basename(p), /*at_end=*/true);
  parent->set_cversion(parent->cversion() + 1);
  parent->set_pzxid(zxid);
  Znode n;
  approximate_data_size_ += static_cast<int64_t>(p.size() + data.size());
  n.data.Assign(data, data_null);
  n.acl = std::move(acl);
  n.czxid = n.mzxid = zxid;  // and so pzxid
  n.ctime = n.mtime = time_ms;
  n.ephemeral_owner = owner;
  auto [entry, inserted] = nodes_.Emplace(p, std::move(n));
  CORRAL_ASSERT(inserted, "Create of an existing node");
  IndexOwner(p, owner, true);
  return &entry->node;
}

void DataTree::Delete(const std::string& p, int64_t zxid, UndoLog* undo) {
  NodeIndex::Entry* entry = nodes_.Find(p);
  CORRAL_ASSERT(entry != nullptr, "Delete of a missing node");
  Znode& node = entry->node;
  CORRAL_ASSERT(node.children.empty(), "Delete of a node with children");
  Znode* parent = FindMutable(std::string(path::Parent(p)));
  CORRAL_ASSERT(parent != nullptr, "node without parent");
  if (undo != nullptr) {
    undo->Add([this, p, saved = node, old_pzxid = parent->pzxid()]() mutable {
      Znode* par = FindMutable(std::string(path::Parent(p)));
      par->children.Insert(path::Basename(p));
      par->set_pzxid(old_pzxid);
      approximate_data_size_ += static_cast<int64_t>(p.size() + saved.data.size());
      IndexOwner(p, saved.ephemeral_owner, true);
      nodes_.Emplace(p, std::move(saved));
    });
  }
  approximate_data_size_ -= static_cast<int64_t>(p.size() + node.data.size());
  IndexOwner(p, node.ephemeral_owner, false);
  restore_path_.entries.clear();
  nodes_.Erase(p);
  parent->children.Erase(path::Basename(p));
  parent->set_pzxid(zxid);  // the stored cversion counts creations only (see ToStat)
}

void DataTree::SetData(const std::string& p, std::string_view data, bool data_null, int64_t zxid,
                       int64_t time_ms, UndoLog* undo) {
  Znode* n = FindMutable(p);
  CORRAL_ASSERT(n != nullptr, "SetData of a missing node");
  if (undo != nullptr) {
    undo->Add([this, p, old_data = n->data, old_mzxid = n->mzxid, old_mtime = n->mtime,
               old_version = n->version]() mutable {
      Znode* m = FindMutable(p);
      approximate_data_size_ +=
          static_cast<int64_t>(old_data.size()) - static_cast<int64_t>(m->data.size());
      m->data = std::move(old_data);
      m->mzxid = old_mzxid;
      m->mtime = old_mtime;
      m->version = old_version;
    });
  }
  approximate_data_size_ +=
      static_cast<int64_t>(data.size()) - static_cast<int64_t>(n->data.size());
  n->data.Assign(data, data_null);
  n->mzxid = zxid;
  n->mtime = time_ms;
  n->version++;
}

void DataTree::ReplaceData(const std::string& p, std::string_view data, UndoLog* undo) {
  const Znode* n = Find(p);
  CORRAL_ASSERT(n != nullptr, "ReplaceData of a missing node");
  int32_t version = n->version;
  SetData(p, data, false, n->mzxid, n->mtime, undo);  // undo restores every field
  FindMutable(p)->version = version;
}

void DataTree::SetAcl(const std::string& p, AclRef acl, UndoLog* undo) {
  Znode* n = FindMutable(p);
  CORRAL_ASSERT(n != nullptr, "SetAcl of a missing node");
  if (undo != nullptr) {
    undo->Add([this, p, old_acl = n->acl, old_aversion = n->aversion] {
      Znode* m = FindMutable(p);
      m->acl = old_acl;
      m->aversion = old_aversion;
    });
  }
  n->acl = std::move(acl);
  n->aversion++;
}

const std::set<std::string>& DataTree::EphemeralsOf(int64_t session_id) const {
  auto it = ephemerals_.find(session_id);
  return it == ephemerals_.end() ? kNoPaths : it->second;
}

DataTree::SubtreeTotals DataTree::TotalsUnder(const std::string& p) const {
  // Iterative: paths may nest thousands deep, and recursion would follow them on the stack.
  SubtreeTotals totals;
  std::string root = p.empty() ? "/" : p;
  if (Find(root) == nullptr) return totals;
  std::vector<std::string> stack{root};
  while (!stack.empty()) {
    std::string current = std::move(stack.back());
    stack.pop_back();
    const Znode* n = Find(current);
    totals.nodes++;
    totals.data_bytes += static_cast<int64_t>(n->data.size());
    for (std::string_view child : n->children) stack.push_back(path::Join(current, child));
  }
  return totals;
}

int64_t DataTree::CountDescendants(const std::string& p) const {
  int64_t nodes = TotalsUnder(p).nodes;
  return nodes > 0 ? nodes - 1 : 0;
}

void DataTree::ForEach(const std::function<void(const std::string&, const Znode&)>& fn) const {
  // Depth-first from the root in sorted child order: deterministic across replicas.
  std::vector<std::string> stack{"/"};
  while (!stack.empty()) {
    std::string p = std::move(stack.back());
    stack.pop_back();
    const Znode* n = Find(p);
    CORRAL_ASSERT(n != nullptr, "child index names a missing node");
    fn(p, *n);
    // Pushed in order, then reversed: the stack pops the first child first.
    size_t first_child = stack.size();
    for (std::string_view child : n->children) stack.push_back(path::Join(p, child));
    std::reverse(stack.begin() + static_cast<std::ptrdiff_t>(first_child), stack.end());
  }
}

}  // namespace corral
