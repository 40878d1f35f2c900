#pragma once
// Znode: one node of the tree with every field ZooKeeper stores for it (DataTree owns them).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "statemachine/child_names.h"
#include "zk/records.h"

namespace corral {

// Shared, immutable ACL lists: most znodes carry one of a handful of lists.
using AclRef = std::shared_ptr<const zk::AclList>;

struct Znode {
  std::string data;
  AclRef acl;
  // Stat without the derived fields (dataLength, numChildren).
  int64_t czxid = 0, mzxid = 0, ctime = 0, mtime = 0, pzxid = 0;
  int32_t version = 0, aversion = 0;
  // Children ever created here: the sequential suffix. Stat reports 2 * cversion - numChildren.
  int32_t cversion = 0;
  bool data_null = false;  // created or set with a null buffer: getData answers null, not ""
  int64_t ephemeral_owner = 0;
  ChildNames children;

  zk::Stat ToStat() const;
};

}  // namespace corral
