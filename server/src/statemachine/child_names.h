#pragma once
// ChildNames: a znode's child names, sorted, so iteration is deterministic.
//
// Why not std::set<std::string>: a set spends 64 bytes on a short name (a 32-byte tree node
// and a 32-byte string), more than the 100-byte znode whose name it is costs in data; on a
// tree of half a million znodes the child sets were a sixth of the memory. Here names are packed
// one after another, each as its length (a varint) and its bytes, into sorted chunks of at most
// kChunkBytesMax bytes: a short name costs its length plus one byte. Lookups find the chunk by
// binary search over the chunks' first names and then scan one chunk (a few hundred names at
// most), which is as fast as a tree's descent for the directory sizes ZooKeeper users have and
// touches fewer cache lines. Names appended in order (sequential nodes, bulk loads, a snapshot's
// sorted order) go to the end of the last chunk without a search.
//
// Most znodes are leaves, so the chunks are allocated with the first child: a leaf pays one
// pointer. The two counters only a parent needs (pzxid, cversion) live here for the same reason
// (Znode reads them through pzxid() and cversion()).
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace corral {

class ChildNames {
  struct Chunk {
    std::vector<char> bytes;  // names in order, each a varint length and its bytes
    uint32_t count = 0;
    uint32_t last_offset = 0;  // where the greatest name of the chunk starts
  };

 public:
  // A forward iterator over the names in order; a name is valid until the next change.
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = const std::string_view*;
    using reference = std::string_view;

    const_iterator() = default;
    std::string_view operator*() const { return name_; }
    const std::string_view* operator->() const { return &name_; }
    const_iterator& operator++();
    const_iterator operator++(int) {
      const_iterator before = *this;
      ++*this;
      return before;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) {
      return a.chunk_ == b.chunk_ && a.offset_ == b.offset_;
    }

   private:
    friend class ChildNames;
    const_iterator(const Chunk* chunk, const Chunk* chunks_end, size_t offset);
    // Decodes the name at (chunk_, offset_), moving to the next chunk at the end of one.
    void Settle();

    const Chunk* chunk_ = nullptr;  // == chunks_end_ at the end
    const Chunk* chunks_end_ = nullptr;
    size_t offset_ = 0;
    size_t next_offset_ = 0;
    std::string_view name_;
  };

  // The zxid of the last change of the children (unset: the znode's czxid, as when created) and
  // the number of children ever created here.
  struct ParentCounters {
    int32_t cversion = 0;
    bool has_pzxid = false;
    int64_t pzxid = 0;
  };

  // A chunk grows to about this many bytes before it splits.
  static constexpr size_t kChunkBytesMax = 2048;

  ChildNames() = default;
  ChildNames(const ChildNames& other)
      : rep_(other.rep_ == nullptr ? nullptr : std::make_unique<Rep>(*other.rep_)) {}
  ChildNames& operator=(const ChildNames& other) {
    if (this != &other) rep_ = other.rep_ == nullptr ? nullptr : std::make_unique<Rep>(*other.rep_);
    return *this;
  }
  ChildNames(ChildNames&&) noexcept = default;
  ChildNames& operator=(ChildNames&&) noexcept = default;

  bool empty() const { return rep_ == nullptr || rep_->size == 0; }
  size_t size() const { return rep_ == nullptr ? 0 : rep_->size; }
  const_iterator begin() const;
  const_iterator end() const;
  bool contains(std::string_view name) const;
  // The greatest name; the set must not be empty.
  std::string_view last() const;

  // Adds `name` (nothing if present). With at_end, a name sorting after every present one goes
  // in without a search (growing names: sequential nodes, bulk loads, a snapshot's sorted
  // order); a wrong guess costs one comparison.
  void Insert(std::string_view name, bool at_end = false);
  // Removes `name`; false when absent. The chunk list stays allocated (it is likely to be
  // refilled).
  bool Erase(std::string_view name);

  friend bool operator==(const ChildNames& a, const ChildNames& b);
  friend bool operator==(const ChildNames& a, const std::set<std::string>& b);

  // Null while no child was ever added and no counter set.
  const ParentCounters* counters() const { return rep_ == nullptr ? nullptr : &rep_->counters; }
  ParentCounters& mutable_counters() {
    if (rep_ == nullptr) rep_ = std::make_unique<Rep>();
    return rep_->counters;
  }

  // Heap bytes held (for tests that check the representation stays compact).
  size_t allocated_bytes() const;

 private:
  struct Rep {
    std::vector<Chunk> chunks;  // in order; none is empty
    size_t size = 0;
    ParentCounters counters;
  };
  struct Position {
    size_t chunk = 0;
    size_t offset = 0;  // where the name is, or where it would go
    bool found = false;
  };

  Position Locate(std::string_view name) const;
  void InsertAt(const Position& at, std::string_view name);
  void SplitIfFull(size_t chunk);

  std::unique_ptr<Rep> rep_;  // null: no child ever
};

}  // namespace corral
