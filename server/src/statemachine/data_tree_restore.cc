// DataTree::RestoreNode: rebuilding a tree from a snapshot, one node at a time.
#include "base/assert.h"
#include "statemachine/data_tree.h"
#include "statemachine/path.h"

namespace corral {

bool DataTree::RestoreNode(std::string p, Znode node) {
  CORRAL_ASSERT(node.children.empty(), "restored nodes link their children themselves");
  if (p == "/") {
    NodeIndex::Entry* root_entry = nodes_.Find("/");
    Znode& root = root_entry->node;
    if (!root.children.empty()) return false;  // the root comes first
    approximate_data_size_ +=
        static_cast<int64_t>(node.data.size()) - static_cast<int64_t>(root.data.size());
    IndexOwner(p, root.ephemeral_owner, false);
    IndexOwner(p, node.ephemeral_owner, true);
    root = std::move(node);
    restore_path_.entries.assign(1, root_entry);
    return true;
  }
  // Structure only (the full path rules were checked when the node was created): the path must
  // be its parent's path, one slash and a non-empty name, so ForEach finds it again.
  size_t slash = p.rfind('/');
  if (p.size() < 2 || p[0] != '/' || slash == p.size() - 1 || (slash > 0 && p[slash - 1] == '/')) {
    return false;
  }
  std::string_view parent_path = path::Parent(p);
  // Depth-first order: the parent is the previous node or one of its ancestors.
  while (!restore_path_.entries.empty() && restore_path_.entries.back()->path() != parent_path) {
    restore_path_.entries.pop_back();
  }
  if (restore_path_.entries.empty()) {  // another order: look it up
    NodeIndex::Entry* parent_entry = nodes_.Find(parent_path);
    if (parent_entry == nullptr) return false;
    restore_path_.entries.push_back(parent_entry);
  }
  Znode& parent = restore_path_.entries.back()->node;
  std::string_view name = path::Basename(p);
  // A name above every child the parent has so far (sorted sibling order) cannot be one of
  // them, so the path is new: no lookup needed. The children index and the node index agree
  // (every node is its parent's child), which is what makes that proof hold.
  bool in_order = parent.children.empty() || name > parent.children.last();
  int64_t size = static_cast<int64_t>(p.size() + node.data.size());
  int64_t owner = node.ephemeral_owner;
  NodeIndex::Entry* entry;
  if (in_order) {
    entry = nodes_.EmplaceAbsent(p, std::move(node));
    // At the end of the sorted children: constant time.
    parent.children.Insert(path::Basename(entry->path()), /*at_end=*/true);
  } else {
    auto [emplaced, inserted] = nodes_.Emplace(p, std::move(node));
    if (!inserted) return false;
    entry = emplaced;
    parent.children.Insert(path::Basename(entry->path()));
  }
  restore_path_.entries.push_back(entry);
  approximate_data_size_ += size;
  IndexOwner(p, owner, true);
  return true;
}

}  // namespace corral
