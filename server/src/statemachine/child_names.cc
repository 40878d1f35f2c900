#include "statemachine/child_names.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "base/assert.h"

namespace corral {
namespace {

// Reads the name starting at `offset` into *name; returns where the next one starts.
size_t ReadName(const std::vector<char>& bytes, size_t offset, std::string_view* name) {
  uint64_t length = 0;
  for (int shift = 0;; shift += 7) {
    auto byte = static_cast<uint8_t>(bytes[offset++]);
    length |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) break;
  }
  *name = std::string_view(bytes.data() + offset, length);
  return offset + length;
}

std::string_view NameAt(const std::vector<char>& bytes, size_t offset) {
  std::string_view name;
  ReadName(bytes, offset, &name);
  return name;
}

// Where the last name of non-empty `bytes` starts (a scan: names are only readable forwards).
uint32_t LastNameOffset(const std::vector<char>& bytes) {
  std::string_view unused;
  size_t last = 0;
  while (true) {
    size_t next = ReadName(bytes, last, &unused);
    if (next == bytes.size()) return static_cast<uint32_t>(last);
    last = next;
  }
}

size_t EncodedSize(std::string_view name) {
  size_t n = 1;
  for (uint64_t v = name.size(); v >= 0x80; v >>= 7) ++n;
  return n + name.size();
}

// Writes `name` encoded into `bytes` at `offset`, moving what follows once.
void InsertEncoded(std::string_view name, size_t offset, std::vector<char>* bytes) {
  char header[10];
  size_t header_size = 0;
  uint64_t v = name.size();
  while (v >= 0x80) {
    header[header_size++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  header[header_size++] = static_cast<char>(v);
  size_t old_size = bytes->size();
  size_t new_size = old_size + header_size + name.size();
  // Capacities are powers of two up to a chunk's size (allocator size classes), not doublings
  // of the first name's size: a full chunk then wastes nothing.
  if (new_size > bytes->capacity()) bytes->reserve(std::bit_ceil(new_size));
  bytes->resize(new_size);
  char* at = bytes->data() + offset;
  std::memmove(at + header_size + name.size(), at, old_size - offset);
  std::memcpy(at, header, header_size);
  if (!name.empty()) std::memcpy(at + header_size, name.data(), name.size());
}

// A vector emptied to a quarter of its capacity gives the rest back (amortized: it must grow
// or shrink by half its size again before the next reallocation).
template <typename T>
void ShrinkIfSparse(std::vector<T>* v) {
  if (v->capacity() > 16 && v->size() < v->capacity() / 4) v->shrink_to_fit();
}

}  // namespace

ChildNames::const_iterator::const_iterator(const Chunk* chunk, const Chunk* chunks_end,
                                           size_t offset)
    : chunk_(chunk), chunks_end_(chunks_end), offset_(offset) {
  Settle();
}

void ChildNames::const_iterator::Settle() {
  while (chunk_ != chunks_end_ && offset_ >= chunk_->bytes.size()) {
    ++chunk_;
    offset_ = 0;
  }
  if (chunk_ != chunks_end_) next_offset_ = ReadName(chunk_->bytes, offset_, &name_);
}

ChildNames::const_iterator& ChildNames::const_iterator::operator++() {
  offset_ = next_offset_;
  Settle();
  return *this;
}

ChildNames::const_iterator ChildNames::begin() const {
  if (empty()) return end();
  const Chunk* first = rep_->chunks.data();
  return const_iterator(first, first + rep_->chunks.size(), 0);
}

ChildNames::const_iterator ChildNames::end() const {
  if (rep_ == nullptr) return const_iterator();
  const Chunk* past = rep_->chunks.data() + rep_->chunks.size();
  return const_iterator(past, past, 0);
}

std::string_view ChildNames::last() const {
  CORRAL_ASSERT(!empty(), "last() of no children");
  const Chunk& chunk = rep_->chunks.back();
  return NameAt(chunk.bytes, chunk.last_offset);
}

bool ChildNames::contains(std::string_view name) const { return Locate(name).found; }

ChildNames::Position ChildNames::Locate(std::string_view name) const {
  Position at;
  if (empty()) return at;
  const std::vector<Chunk>& chunks = rep_->chunks;
  // The last chunk whose first name is not above `name` holds it, if any chunk does.
  size_t low = 0, high = chunks.size();
  while (low < high) {
    size_t middle = low + (high - low) / 2;
    if (NameAt(chunks[middle].bytes, 0) <= name) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  at.chunk = low == 0 ? 0 : low - 1;
  const std::vector<char>& bytes = chunks[at.chunk].bytes;
  size_t offset = 0;
  while (offset < bytes.size()) {
    std::string_view present;
    size_t next = ReadName(bytes, offset, &present);
    if (present >= name) {
      at.offset = offset;
      at.found = present == name;
      return at;
    }
    offset = next;
  }
  at.offset = bytes.size();
  return at;
}

void ChildNames::Insert(std::string_view name, bool at_end) {
  if (rep_ == nullptr) rep_ = std::make_unique<Rep>();
  std::vector<Chunk>& chunks = rep_->chunks;
  if (chunks.empty()) {
    chunks.emplace_back();
    InsertAt(Position{}, name);
    return;
  }
  if (at_end && name > last()) {
    if (chunks.back().bytes.size() + EncodedSize(name) > kChunkBytesMax) {
      // A full last chunk stays full: appending in order packs chunks completely.
      chunks.emplace_back();
      InsertAt(Position{chunks.size() - 1, 0, false}, name);
    } else {
      InsertAt(Position{chunks.size() - 1, chunks.back().bytes.size(), false}, name);
    }
    return;
  }
  Position at = Locate(name);
  if (!at.found) InsertAt(at, name);
}

void ChildNames::InsertAt(const Position& at, std::string_view name) {
  Chunk& chunk = rep_->chunks[at.chunk];
  size_t old_size = chunk.bytes.size();
  InsertEncoded(name, at.offset, &chunk.bytes);
  if (chunk.count == 0 || at.offset == old_size) {
    chunk.last_offset = static_cast<uint32_t>(at.offset);
  } else {
    chunk.last_offset += static_cast<uint32_t>(chunk.bytes.size() - old_size);
  }
  ++chunk.count;
  ++rep_->size;
  SplitIfFull(at.chunk);
}

void ChildNames::SplitIfFull(size_t index) {
  std::vector<Chunk>& chunks = rep_->chunks;
  Chunk& full = chunks[index];
  if (full.bytes.size() <= kChunkBytesMax || full.count < 2) return;
  // Cut at the first name boundary past the middle, so both halves keep at least one name.
  size_t offset = 0, previous = 0;
  uint32_t left_count = 0;
  std::string_view unused;
  while (offset < full.bytes.size() / 2 || left_count == 0) {
    previous = offset;
    offset = ReadName(full.bytes, offset, &unused);
    ++left_count;
  }
  if (offset == full.bytes.size()) {  // one huge name at the end: cut before it
    offset = previous;
    --left_count;
  }
  Chunk right;
  right.bytes.assign(full.bytes.begin() + static_cast<std::ptrdiff_t>(offset), full.bytes.end());
  right.count = full.count - left_count;
  right.last_offset = full.last_offset - static_cast<uint32_t>(offset);
  full.bytes.resize(offset);
  full.bytes.shrink_to_fit();
  full.count = left_count;
  full.last_offset = LastNameOffset(full.bytes);
  chunks.insert(chunks.begin() + static_cast<std::ptrdiff_t>(index) + 1, std::move(right));
}

bool ChildNames::Erase(std::string_view name) {
  Position at = Locate(name);
  if (!at.found) return false;
  std::vector<Chunk>& chunks = rep_->chunks;
  Chunk& chunk = chunks[at.chunk];
  std::string_view unused;
  size_t next = ReadName(chunk.bytes, at.offset, &unused);
  size_t removed = next - at.offset;
  chunk.bytes.erase(chunk.bytes.begin() + static_cast<std::ptrdiff_t>(at.offset),
                    chunk.bytes.begin() + static_cast<std::ptrdiff_t>(next));
  --chunk.count;
  --rep_->size;
  if (chunk.count == 0) {
    chunks.erase(chunks.begin() + static_cast<std::ptrdiff_t>(at.chunk));
    ShrinkIfSparse(&chunks);
    return true;
  }
  ShrinkIfSparse(&chunk.bytes);
  if (at.offset < chunk.last_offset) {
    chunk.last_offset -= static_cast<uint32_t>(removed);
  } else if (at.offset == chunk.last_offset) {  // the greatest name went: find the new one
    chunk.last_offset = LastNameOffset(chunk.bytes);
  }
  // Deletes leave chunks sparse; a small chunk joins a neighbour while both fit in half a chunk,
  // so a directory emptied down to a few names holds a few chunks, not one per survivor.
  size_t left = at.chunk;
  if (left + 1 == chunks.size()) {
    if (left == 0) return true;
    --left;
  }
  Chunk& a = chunks[left];
  Chunk& b = chunks[left + 1];
  if (a.bytes.size() + b.bytes.size() <= kChunkBytesMax / 2) {
    a.last_offset = static_cast<uint32_t>(a.bytes.size()) + b.last_offset;
    a.bytes.insert(a.bytes.end(), b.bytes.begin(), b.bytes.end());
    a.count += b.count;
    chunks.erase(chunks.begin() + static_cast<std::ptrdiff_t>(left) + 1);
    ShrinkIfSparse(&chunks);
  }
  return true;
}

bool operator==(const ChildNames& a, const ChildNames& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

bool operator==(const ChildNames& a, const std::set<std::string>& b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(),
                    [](std::string_view x, const std::string& y) { return x == y; });
}

size_t ChildNames::allocated_bytes() const {
  if (rep_ == nullptr) return 0;
  size_t bytes = sizeof(Rep) + rep_->chunks.capacity() * sizeof(Chunk);
  for (const Chunk& chunk : rep_->chunks) bytes += chunk.bytes.capacity();
  return bytes;
}

}  // namespace corral
