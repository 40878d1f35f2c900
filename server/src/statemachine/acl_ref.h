#pragma once
// AclRef: a shared, immutable ACL list. Most znodes carry one of a handful of lists, which
// DataTree interns; a znode holds one pointer to its list (a std::shared_ptr would be two: the
// list and its control block), and the count of holders lives with the list.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "zk/records.h"

namespace corral {

class AclRef {
 public:
  AclRef() = default;
  AclRef(std::nullptr_t) {}  // NOLINT: reads as a null pointer
  static AclRef Make(zk::AclList list) { return AclRef(new Shared{{1}, std::move(list)}); }

  AclRef(const AclRef& other) : shared_(other.shared_) { Retain(); }
  AclRef& operator=(const AclRef& other) {
    AclRef copy(other);
    std::swap(shared_, copy.shared_);
    return *this;
  }
  AclRef(AclRef&& other) noexcept : shared_(std::exchange(other.shared_, nullptr)) {}
  AclRef& operator=(AclRef&& other) noexcept {
    AclRef moved(std::move(other));
    std::swap(shared_, moved.shared_);
    return *this;
  }
  ~AclRef() {
    // acq_rel: the last holder must see every other holder's reads done before it deletes.
    if (shared_ != nullptr && shared_->holders.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      delete shared_;
    }
  }

  const zk::AclList* get() const { return shared_ == nullptr ? nullptr : &shared_->list; }
  const zk::AclList& operator*() const { return shared_->list; }
  const zk::AclList* operator->() const { return &shared_->list; }
  explicit operator bool() const { return shared_ != nullptr; }
  // Holders of this list, this one included (0 for a null ref).
  int64_t use_count() const {
    return shared_ == nullptr ? 0 : shared_->holders.load(std::memory_order_relaxed);
  }

  friend bool operator==(const AclRef& a, const AclRef& b) { return a.shared_ == b.shared_; }
  friend bool operator==(const AclRef& a, std::nullptr_t) { return a.shared_ == nullptr; }

 private:
  struct Shared {
    std::atomic<int64_t> holders;
    zk::AclList list;
  };
  explicit AclRef(Shared* shared) : shared_(shared) {}
  void Retain() {
    if (shared_ != nullptr) shared_->holders.fetch_add(1, std::memory_order_relaxed);
  }

  Shared* shared_ = nullptr;
};

}  // namespace corral
