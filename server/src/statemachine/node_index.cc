#include "statemachine/node_index.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <new>

#include "base/assert.h"

namespace corral {
namespace {

constexpr size_t kMinCapacity = 8;

// Grows when the next insert would make the table more than 3/4 full: linear probing stays at a
// few slots per lookup (one or two cache lines) up to there.
bool OverLoad(size_t count, size_t capacity) { return count * 4 > capacity * 3; }

// Why 1.5 and not 2: the slots are the index's whole cost, and right after growing by 2 the
// table is 3/8 full. Growing by 1.5 keeps 1.33-2 slots per entry instead of 1.33-2.67 (at
// 500,000 znodes: 5.4 MB in three 2 MiB huge pages instead of four); the extra rehashing costs
// about one more pass over the entries in total, spread over the inserts.
size_t GrownCapacity(size_t capacity) { return std::max(kMinCapacity, capacity + capacity / 2); }

// The smallest capacity that holds `count` entries: what Reserve (a restore, which knows the
// count) asks for, with no growth step rounding it up.
size_t CapacityFor(size_t count) { return std::max(kMinCapacity, (count * 4 + 2) / 3); }

}  // namespace

uint64_t NodeIndex::Hash(std::string_view path) {
  // libstdc++'s string hash (MurmurHash2, 64-bit); its low bits pick the slot.
  return std::hash<std::string_view>{}(path);
}

NodeIndex::Slot NodeIndex::SlotOf(Entry* entry, uint64_t hash) {
  auto address = reinterpret_cast<uintptr_t>(entry);
  CORRAL_ASSERT(address != 0 && (address & ~kAddressMask) == 0,
                "a heap address does not fit the 48 bits a NodeIndex slot has for it");
  return (hash & ~kAddressMask) | address;
}

// Znode then path_size_ with nothing between: the path's bytes start at BlockBytes(0).
static_assert(sizeof(NodeIndex::Entry) == sizeof(Znode) + 8 && alignof(Znode) == 8);

NodeIndex::Entry* NodeIndex::Entry::Make(std::string_view path, Znode node) {
  CORRAL_ASSERT(path.size() <= UINT32_MAX, "a path over 4 GiB");
  // The data's bytes follow the path in the same block (ZnodeData's inline bytes).
  size_t data_size = node.data.inline_bytes();
  // The path starts inside the Entry's tail padding (BlockBytes(0) < sizeof(Entry)), so a short
  // path with no data still gets a block of at least the object's size.
  void* block = ::operator new(std::max(sizeof(Entry), BlockBytes(path.size()) + data_size));
  auto* entry = new (block) Entry(std::move(node), static_cast<uint32_t>(path.size()));
  char* bytes = static_cast<char*>(block) + BlockBytes(0);
  CORRAL_ASSERT(bytes == entry->path_bytes(), "Entry's path is not where its block puts it");
  std::memcpy(bytes, path.data(), path.size());
  if (data_size > 0) entry->node.data.MoveInline(bytes + path.size());
  return entry;
}

void NodeIndex::Entry::Destroy(Entry* entry) {
  if (entry == nullptr) return;
  // Unsized: the block's inline data may have shrunk since, and the allocator knows the size.
  entry->~Entry();
  ::operator delete(static_cast<void*>(entry));
}

NodeIndex::~NodeIndex() { Clear(); }

NodeIndex::NodeIndex(const NodeIndex& other) : slots_(other.slots_.size()), size_(other.size_) {
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot from = other.slots_[i];
    if (from != 0) slots_[i] = SlotOf(CopyOf(EntryOf(from)), from);  // same tag, same place
  }
  for (size_t k = 0; k < other.queued_count_; ++k) {
    const Queued& from = other.queued_[(other.queued_first_ + k) & (kQueueSlots - 1)];
    Place(CopyOf(from.entry), from.hash);
  }
}

NodeIndex& NodeIndex::operator=(const NodeIndex& other) {
  if (this != &other) *this = NodeIndex(other);
  return *this;
}

NodeIndex::NodeIndex(NodeIndex&& other) noexcept { *this = std::move(other); }

NodeIndex& NodeIndex::operator=(NodeIndex&& other) noexcept {
  if (this != &other) {
    Clear();
    slots_ = std::move(other.slots_);
    size_ = other.size_;
    std::copy(std::begin(other.queued_), std::end(other.queued_), std::begin(queued_));
    queued_first_ = other.queued_first_;
    queued_count_ = other.queued_count_;
    other.slots_.clear();
    other.size_ = 0;
    other.queued_count_ = 0;
  }
  return *this;
}

void NodeIndex::Clear() {
  for (Slot slot : slots_) Entry::Destroy(EntryOf(slot));
  for (size_t k = 0; k < queued_count_; ++k) {
    Entry::Destroy(queued_[(queued_first_ + k) & (kQueueSlots - 1)].entry);
  }
  slots_.clear();
  size_ = 0;
  queued_count_ = 0;
}

size_t NodeIndex::HomeOf(uint64_t hash) const {
  // The hash's low 48 bits as a fraction of the table (the top 16 are the slot's tag, so the
  // home says nothing about the tag): any capacity, not only powers of two, without a division.
  return static_cast<size_t>((static_cast<unsigned __int128>(hash << 16) * slots_.size()) >> 64);
}

size_t NodeIndex::Probe(std::string_view path, uint64_t hash) const {
  uint64_t tag = hash & ~kAddressMask;
  size_t i = HomeOf(hash);
  while (true) {
    Slot slot = slots_[i];
    if (slot == 0) return i;
    // The tag first: the entry (a likely cache miss) is read only on a probable match.
    if ((slot & ~kAddressMask) == tag && EntryOf(slot)->path() == path) return i;
    i = Next(i);
  }
}

NodeIndex::Entry* NodeIndex::Find(std::string_view path) const {
  if (size_ == 0) return nullptr;
  uint64_t hash = Hash(path);
  if (Slot found = slots_[Probe(path, hash)]; found != 0) return EntryOf(found);
  for (size_t k = 0; k < queued_count_; ++k) {
    const Queued& q = queued_[(queued_first_ + k) & (kQueueSlots - 1)];
    if (q.hash == hash && q.entry->path() == path) return q.entry;
  }
  return nullptr;
}

std::pair<NodeIndex::Entry*, bool> NodeIndex::Emplace(std::string_view path, Znode node) {
  PlaceQueued();
  uint64_t hash = Hash(path);
  if (size_ > 0) {
    if (Slot present = slots_[Probe(path, hash)]; present != 0) return {EntryOf(present), false};
  }
  MakeRoomForOne();
  Entry* entry = Entry::Make(path, std::move(node));
  Place(entry, hash);
  ++size_;
  return {entry, true};
}

NodeIndex::Entry* NodeIndex::EmplaceAbsent(std::string_view path, Znode node) {
  uint64_t hash = Hash(path);
  MakeRoomForOne();
  __builtin_prefetch(&slots_[HomeOf(hash)], /*rw=*/1);
  if (queued_count_ == kQueueSlots) {
    const Queued& oldest = queued_[queued_first_];
    Place(oldest.entry, oldest.hash);
    queued_first_ = (queued_first_ + 1) & (kQueueSlots - 1);
    --queued_count_;
  }
  Entry* entry = Entry::Make(path, std::move(node));
  queued_[(queued_first_ + queued_count_) & (kQueueSlots - 1)] = Queued{hash, entry};
  ++queued_count_;
  ++size_;
  return entry;
}

void NodeIndex::MakeRoomForOne() {
  if (slots_.empty() || OverLoad(size_ + 1, slots_.size())) {
    GrowTo(GrownCapacity(slots_.size()));
  }
}

void NodeIndex::Place(Entry* entry, uint64_t hash) {
  size_t i = HomeOf(hash);
  while (slots_[i] != 0) i = Next(i);
  slots_[i] = SlotOf(entry, hash);
}

void NodeIndex::PlaceQueued() {
  for (size_t k = 0; k < queued_count_; ++k) {
    const Queued& q = queued_[(queued_first_ + k) & (kQueueSlots - 1)];
    Place(q.entry, q.hash);
  }
  queued_first_ = 0;
  queued_count_ = 0;
}

bool NodeIndex::Erase(std::string_view path) {
  if (size_ == 0) return false;
  PlaceQueued();
  size_t hole = Probe(path, Hash(path));
  if (slots_[hole] == 0) return false;
  Entry::Destroy(EntryOf(slots_[hole]));
  --size_;
  // Backward shift: every later slot of the run whose home is not between the hole and itself
  // (so its probe from home would cross the hole) moves into the hole, which moves on to it.
  size_t i = hole;
  while (true) {
    i = Next(i);
    Slot slot = slots_[i];
    if (slot == 0) break;
    size_t home = HomeOf(Hash(EntryOf(slot)->path()));
    size_t distance_from_home = Distance(home, i);
    size_t distance_from_hole = Distance(hole, i);
    if (distance_from_home >= distance_from_hole) {
      slots_[hole] = slot;
      hole = i;
    }
  }
  slots_[hole] = 0;
  return true;
}

void NodeIndex::Reserve(size_t count) {
  size_t capacity = CapacityFor(count);
  if (capacity > slots_.size()) GrowTo(capacity);
}

void NodeIndex::GrowTo(size_t capacity) {
  CORRAL_ASSERT(capacity >= kMinCapacity && !OverLoad(size_, capacity),
                "NodeIndex capacity must have room for every entry");
  // A large array is allocated in whole huge pages (base/huge_page_allocator.h), all resident
  // once touched: the slots that fill the last one cost nothing and shorten every probe.
  if (capacity * sizeof(Slot) >= kHugePageBytes) {
    capacity = HugePagesBytes(capacity * sizeof(Slot)) / sizeof(Slot);
  }
  decltype(slots_) old(capacity);
  old.swap(slots_);
  // A slot keeps only 16 bits of the hash: each entry's path is hashed again. Entries are read
  // a few ahead, so their cache misses overlap.
  constexpr size_t kAhead = 8;
  for (size_t j = 0; j < old.size(); ++j) {
    if (j + kAhead < old.size() && old[j + kAhead] != 0) {
      __builtin_prefetch(EntryOf(old[j + kAhead]));
    }
    if (old[j] == 0) continue;
    Entry* entry = EntryOf(old[j]);
    Place(entry, Hash(entry->path()));
  }
  PlaceQueued();
}

}  // namespace corral
