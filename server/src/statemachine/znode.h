#pragma once
// Znode: one node of the tree with every field ZooKeeper stores for it (DataTree owns them).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "zk/records.h"

namespace corral {

// Shared, immutable ACL lists: most znodes carry one of a handful of lists.
using AclRef = std::shared_ptr<const zk::AclList>;

// A znode's child names, sorted, so iteration is deterministic. Most znodes are leaves, so the
// set is allocated with the first child: a leaf pays one pointer, not an empty std::set's 48
// bytes (10% of a small znode; every byte of a large tree is also a byte to rebuild at restart).
// Reads as a const std::set; a leaf's begin() and end() are equal value-initialized iterators.
class ChildNames {
 public:
  using Set = std::set<std::string>;
  using const_iterator = Set::const_iterator;
  using const_reverse_iterator = Set::const_reverse_iterator;

  ChildNames() = default;
  ChildNames(const ChildNames& other)
      : set_(other.set_ == nullptr ? nullptr : std::make_unique<Set>(*other.set_)) {}
  ChildNames& operator=(const ChildNames& other) {
    if (this != &other) set_ = other.set_ == nullptr ? nullptr : std::make_unique<Set>(*other.set_);
    return *this;
  }
  ChildNames(ChildNames&&) noexcept = default;
  ChildNames& operator=(ChildNames&&) noexcept = default;

  bool empty() const { return set_ == nullptr || set_->empty(); }
  size_t size() const { return set_ == nullptr ? 0 : set_->size(); }
  const_iterator begin() const { return set_ == nullptr ? const_iterator() : set_->cbegin(); }
  const_iterator end() const { return set_ == nullptr ? const_iterator() : set_->cend(); }
  const_reverse_iterator rbegin() const { return const_reverse_iterator(end()); }
  const_reverse_iterator rend() const { return const_reverse_iterator(begin()); }
  bool contains(std::string_view name) const {
    return set_ != nullptr && set_->find(std::string(name)) != set_->end();
  }

  // Adds `name` (nothing if present). With at_end, a name sorting after every present one goes
  // in without a descent of the tree (growing names: sequential nodes, bulk loads, a snapshot's
  // sorted order); a wrong guess costs one comparison.
  void Insert(std::string_view name, bool at_end = false) {
    if (set_ == nullptr) set_ = std::make_unique<Set>();
    if (at_end) {
      set_->emplace_hint(set_->end(), name);
    } else {
      set_->emplace(name);
    }
  }
  // Removes `name`; false when absent. The set stays allocated (it is likely to be refilled).
  bool Erase(std::string_view name) {
    return set_ != nullptr && set_->erase(std::string(name)) == 1;
  }

  friend bool operator==(const ChildNames& a, const ChildNames& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
  }
  friend bool operator==(const ChildNames& a, const Set& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
  }

 private:
  std::unique_ptr<Set> set_;  // null: no child ever
};

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
