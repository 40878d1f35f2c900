#pragma once
// NodeIndex: DataTree's path -> znode index.
//
// Why not std::unordered_map<std::string, Znode>: a lookup there reads the bucket array, then the
// node *before* the bucket's first node (libstdc++ keeps buckets as "pointer to predecessor"),
// then the node itself: three cache misses per lookup on a tree larger than the cache. Path
// lookups were the largest user-space cost of serving reads and about 40% of loading a
// 500,000-znode snapshot. Here a lookup reads one 8-byte slot in a flat array and then the entry
// it points to.
//
// Layout: open addressing with linear probing over an array of slots, at most 3/4 full and
// grown by half; deletion shifts later slots of the same run back (no tombstones, so lookups never
// slow down after many deletes). A slot is one word: the entry's address and 16 bits of its path's
// hash, so a probe passes other paths' slots without reading their entries (1 in 65,536 costs
// a read). Growing recomputes each entry's hash, reading every entry once, as the rehash of an
// unordered_map does. Each znode lives in its own heap block together with its path (Entry:
// the Znode, the path's length, its bytes, then the data's when they fit ZnodeData's inline
// form, with no string header or second block), so a
// Znode* or Entry* stays valid until that node is erased, however the index grows:
// DataTree holds parent pointers across inserts. Per znode the index costs 10.7-16 bytes of slots
// where unordered_map cost 8-16 bytes of buckets plus 16 in each node.
//
// Not thread-safe; a const NodeIndex may be read from several threads at once.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/huge_page_allocator.h"
#include "statemachine/znode.h"

namespace corral {

class NodeIndex {
 public:
  class Entry {
   public:
    Znode node;
    std::string_view path() const { return std::string_view(path_bytes(), path_size_); }

   private:
    friend class NodeIndex;
    Entry(Znode&& n, uint32_t path_size) : node(std::move(n)), path_size_(path_size) {}
    ~Entry() = default;
    // The path's bytes follow path_size_ in the same block.
    const char* path_bytes() const { return reinterpret_cast<const char*>(&path_size_ + 1); }
    static size_t BlockBytes(size_t path_size) {
      return sizeof(Znode) + sizeof(uint32_t) + path_size;
    }
    static Entry* Make(std::string_view path, Znode node);
    static void Destroy(Entry* entry);

    uint32_t path_size_;
  };

  NodeIndex() = default;
  ~NodeIndex();
  NodeIndex(const NodeIndex& other);  // deep copy
  NodeIndex& operator=(const NodeIndex& other);
  NodeIndex(NodeIndex&& other) noexcept;
  NodeIndex& operator=(NodeIndex&& other) noexcept;

  size_t size() const { return size_; }

  Entry* Find(std::string_view path) const;
  // Adds `path` -> `node` unless `path` is present. Returns the entry for `path` (the existing
  // one when it was present: then `node` is dropped) and whether it was added.
  std::pair<Entry*, bool> Emplace(std::string_view path, Znode node);
  // Adds `path`, which the caller knows is absent (the restore proves it from the snapshot's
  // order): no key is compared. Adding a present path breaks the index; not checked.
  // Made for many in a row: the slot is written a few calls later (see queued_).
  Entry* EmplaceAbsent(std::string_view path, Znode node);
  // Removes `path` and frees its entry; false when absent.
  bool Erase(std::string_view path);
  // Sizes the slot array for `count` entries, so inserting up to that many never grows it.
  void Reserve(size_t count);

  static uint64_t Hash(std::string_view path);

 private:
  // An entry's address in the low 48 bits (where user-space addresses lie on x86-64 and arm64;
  // asserted on insert) and the top 16 bits of its path's hash above them; 0 is empty.
  using Slot = uint64_t;
  static constexpr int kTagShift = 48;
  static constexpr uint64_t kAddressMask = (uint64_t{1} << kTagShift) - 1;
  static Slot SlotOf(Entry* entry, uint64_t hash);
  static Entry* CopyOf(const Entry* entry) { return Entry::Make(entry->path(), entry->node); }
  static Entry* EntryOf(Slot slot) { return reinterpret_cast<Entry*>(slot & kAddressMask); }
  struct Queued {
    uint64_t hash = 0;
    Entry* entry = nullptr;
  };

  static constexpr size_t kQueueSlots = 8;  // a power of two

  // Where a probe for `hash` starts, and the slot after `i` (wrapping around).
  size_t HomeOf(uint64_t hash) const;
  size_t Next(size_t i) const { return i + 1 == slots_.size() ? 0 : i + 1; }
  // How far `to` is from `from` going forward (wrapping around).
  size_t Distance(size_t from, size_t to) const {
    return to >= from ? to - from : to + slots_.size() - from;
  }
  // Index of the slot holding `path`, or of the empty slot ending its probe run (queued_ not
  // included).
  size_t Probe(std::string_view path, uint64_t hash) const;
  // Makes room for one more entry, growing the array if needed.
  void MakeRoomForOne();
  // Writes the entry's slot into the first empty slot of its run. size_ is not changed.
  void Place(Entry* entry, uint64_t hash);
  void PlaceQueued();
  void GrowTo(size_t capacity);
  void Clear();

  // Empty, or at least 8. Huge pages when large: see base/huge_page_allocator.h.
  std::vector<Slot, HugePageAllocator<Slot>> slots_;
  size_t size_ = 0;  // entries, queued ones included
  // EmplaceAbsent's entries whose slots are not written yet, oldest first (a ring). Writing a
  // slot at once stalled on memory for most of each insert (a random place in an array far
  // larger than the cache, and a restore inserts hundreds of thousands in a row); instead the
  // slot's cache line is prefetched when the entry arrives and written kQueueSlots inserts
  // later. Find looks here too, so a queued entry is found; every other operation empties the
  // queue first.
  Queued queued_[kQueueSlots];
  size_t queued_first_ = 0;
  size_t queued_count_ = 0;
};

}  // namespace corral
