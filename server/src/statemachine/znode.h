#pragma once
// Znode: one node of the tree with every field ZooKeeper stores for it (DataTree owns them).
// Laid out to be small: with 100-byte data a znode is mostly its own bookkeeping, and a tree of
// half a million of them must fit in a small fraction of what ZooKeeper's heap takes
// (docs/benchmarks.md). A leaf's fields fit in 72 bytes; what only a parent needs is in
// `children`.
#include <cstdint>

#include "statemachine/acl_ref.h"
#include "statemachine/child_names.h"
#include "statemachine/znode_data.h"
#include "zk/records.h"

namespace corral {

struct Znode {
  ZnodeData data;  // also says whether the data is null
  AclRef acl;
  // Stat without the derived fields (dataLength, numChildren) and the parent's (below).
  int64_t czxid = 0, mzxid = 0, ctime = 0, mtime = 0;
  int64_t ephemeral_owner = 0;
  int32_t version = 0, aversion = 0;
  ChildNames children;

  // The zxid of the last change of the children: czxid until a child is created or deleted.
  // Set czxid first.
  int64_t pzxid() const {
    const ChildNames::ParentCounters* c = children.counters();
    return c != nullptr && c->has_pzxid ? c->pzxid : czxid;
  }
  void set_pzxid(int64_t zxid) {
    if (zxid == pzxid()) return;
    ChildNames::ParentCounters& c = children.mutable_counters();
    c.has_pzxid = true;
    c.pzxid = zxid;
  }
  // Children ever created here: the sequential suffix. Stat reports 2 * cversion - numChildren.
  int32_t cversion() const {
    const ChildNames::ParentCounters* c = children.counters();
    return c == nullptr ? 0 : c->cversion;
  }
  void set_cversion(int32_t value) {
    if (value == cversion()) return;
    children.mutable_counters().cversion = value;
  }

  zk::Stat ToStat() const;
};

}  // namespace corral
