// DataTree::RestoreNode: rebuilding a tree from a snapshot, one node at a time.
#include "base/assert.h"
#include "statemachine/data_tree.h"
#include "statemachine/path.h"

namespace corral {

bool DataTree::RestoreNode(std::string p, Znode node) {
  CORRAL_ASSERT(node.children.empty(), "restored nodes link their children themselves");
  if (p == "/") {
    Znode& root = nodes_.at("/");
    if (!root.children.empty()) return false;  // the root comes first
    approximate_data_size_ +=
        static_cast<int64_t>(node.data.size()) - static_cast<int64_t>(root.data.size());
    IndexOwner(p, root.ephemeral_owner, false);
    IndexOwner(p, node.ephemeral_owner, true);
    root = std::move(node);
    return true;
  }
  // Structure only (the full path rules were checked when the node was created): the path must
  // be its parent's path, one slash and a non-empty name, so ForEach finds it again.
  size_t slash = p.rfind('/');
  if (p.size() < 2 || p[0] != '/' || slash == p.size() - 1 || (slash > 0 && p[slash - 1] == '/')) {
    return false;
  }
  Znode* parent = FindMutable(std::string(path::Parent(p)));
  if (parent == nullptr) return false;
  int64_t size = static_cast<int64_t>(p.size() + node.data.size());
  int64_t owner = node.ephemeral_owner;
  auto [it, inserted] = nodes_.emplace(std::move(p), std::move(node));
  if (!inserted) return false;
  // Children arrive in sorted order, so the end is the right place: constant time.
  parent->children.emplace_hint(parent->children.end(), path::Basename(it->first));
  approximate_data_size_ += size;
  IndexOwner(it->first, owner, true);
  return true;
}

}  // namespace corral
