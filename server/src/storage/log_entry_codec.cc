#include "storage/log_entry_codec.h"

#include <cstdint>
#include <utility>
#include <vector>

#include "base/varint.h"

namespace corral::storage {
namespace {

// Field numbers of proto/log.proto's LogEntry and Identity.
constexpr uint32_t kZxidField = 1;
constexpr uint32_t kSessionIdField = 2;
constexpr uint32_t kXidField = 3;
constexpr uint32_t kTimeMsField = 4;
constexpr uint32_t kTypeField = 5;
constexpr uint32_t kRequestField = 6;
constexpr uint32_t kIdentitiesField = 7;
constexpr uint32_t kSchemeField = 1;
constexpr uint32_t kIdField = 2;

// Wire types.
constexpr uint32_t kVarint = 0;
constexpr uint32_t kFixed64 = 1;
constexpr uint32_t kLengthDelimited = 2;
constexpr uint32_t kFixed32 = 5;

// int32 and int64 fields both travel as the 64-bit two's complement (a negative int32 takes
// ten bytes, as protobuf writes it).
uint64_t AsVarint(int64_t value) { return static_cast<uint64_t>(value); }

size_t IntFieldSize(int64_t value) { return value == 0 ? 0 : 1 + VarintSize(AsVarint(value)); }

void PutIntField(uint32_t field, int64_t value, std::string* out) {
  if (value == 0) return;  // proto3 leaves defaults out
  PutVarint(field << 3 | kVarint, out);
  PutVarint(AsVarint(value), out);
}

size_t BytesFieldSize(size_t length) { return 1 + VarintSize(length) + length; }

void PutBytesField(uint32_t field, std::string_view bytes, std::string* out) {
  PutVarint(field << 3 | kLengthDelimited, out);
  PutVarint(bytes.size(), out);
  out->append(bytes);
}

size_t IdentitySize(const zk::Id& id) {
  return (id.scheme.empty() ? 0 : BytesFieldSize(id.scheme.size())) +
         (id.id.empty() ? 0 : BytesFieldSize(id.id.size()));
}

class Parser {
 public:
  explicit Parser(std::string_view bytes) : at_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  bool done() const { return at_ == end_; }

  bool Varint(uint64_t* value) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at_ == end_) return false;
      const auto byte = static_cast<uint8_t>(*at_++);
      result |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *value = result;
        return true;
      }
    }
    return false;  // more than ten bytes
  }

  bool Bytes(std::string_view* value) {
    uint64_t length = 0;
    if (!Varint(&length) || length > static_cast<uint64_t>(end_ - at_)) return false;
    *value = std::string_view(at_, static_cast<size_t>(length));
    at_ += length;
    return true;
  }

  bool Skip(uint32_t wire_type) {
    uint64_t ignored = 0;
    std::string_view ignored_bytes;
    switch (wire_type) {
      case kVarint:
        return Varint(&ignored);
      case kFixed64:
        return Advance(8);
      case kLengthDelimited:
        return Bytes(&ignored_bytes);
      case kFixed32:
        return Advance(4);
      default:
        return false;  // groups (deprecated, never in these messages) and invalid types
    }
  }

  // Reads a tag; false at a malformed one (field number 0 is invalid).
  bool Tag(uint32_t* field, uint32_t* wire_type) {
    uint64_t tag = 0;
    if (!Varint(&tag) || tag > UINT32_MAX || (tag >> 3) == 0) return false;
    *field = static_cast<uint32_t>(tag >> 3);
    *wire_type = static_cast<uint32_t>(tag & 7);
    return true;
  }

 private:
  bool Advance(size_t n) {
    if (static_cast<size_t>(end_ - at_) < n) return false;
    at_ += n;
    return true;
  }

  const char* at_;
  const char* end_;
};

bool ParseIdentity(std::string_view bytes, zk::Id* id) {
  Parser p(bytes);
  while (!p.done()) {
    uint32_t field = 0, wire_type = 0;
    if (!p.Tag(&field, &wire_type)) return false;
    std::string_view value;
    if ((field == kSchemeField || field == kIdField) && wire_type == kLengthDelimited) {
      if (!p.Bytes(&value)) return false;
      (field == kSchemeField ? id->scheme : id->id).assign(value);
    } else if (!p.Skip(wire_type)) {
      return false;
    }
  }
  return true;
}

}  // namespace

size_t LogEntryBytesSize(const Txn& txn) {
  size_t n = IntFieldSize(txn.zxid) + IntFieldSize(txn.session_id) + IntFieldSize(txn.xid) +
             IntFieldSize(txn.time_ms) + IntFieldSize(txn.type);
  if (!txn.request->empty()) n += BytesFieldSize(txn.request->size());
  for (const zk::Id& id : *txn.identities) n += BytesFieldSize(IdentitySize(id));
  return n;
}

void AppendLogEntryBytes(const Txn& txn, std::string* out) {
  PutIntField(kZxidField, txn.zxid, out);
  PutIntField(kSessionIdField, txn.session_id, out);
  PutIntField(kXidField, txn.xid, out);
  PutIntField(kTimeMsField, txn.time_ms, out);
  PutIntField(kTypeField, txn.type, out);
  if (!txn.request->empty()) PutBytesField(kRequestField, *txn.request, out);
  for (const zk::Id& id : *txn.identities) {
    PutVarint(kIdentitiesField << 3 | kLengthDelimited, out);
    PutVarint(IdentitySize(id), out);
    if (!id.scheme.empty()) PutBytesField(kSchemeField, id.scheme, out);
    if (!id.id.empty()) PutBytesField(kIdField, id.id, out);
  }
}

bool ParseLogEntryBytes(std::string_view bytes, Txn* txn) {
  *txn = Txn();
  std::vector<zk::Id> identities;
  Parser p(bytes);
  while (!p.done()) {
    uint32_t field = 0, wire_type = 0;
    if (!p.Tag(&field, &wire_type)) return false;
    uint64_t number = 0;
    std::string_view value;
    if (field >= kZxidField && field <= kTypeField && wire_type == kVarint) {
      if (!p.Varint(&number)) return false;
      const auto wide = static_cast<int64_t>(number);
      const auto narrow = static_cast<int32_t>(static_cast<uint32_t>(number));  // as protobuf
      switch (field) {
        case kZxidField:
          txn->zxid = wide;
          break;
        case kSessionIdField:
          txn->session_id = wide;
          break;
        case kXidField:
          txn->xid = narrow;
          break;
        case kTimeMsField:
          txn->time_ms = wide;
          break;
        default:
          txn->type = narrow;
          break;
      }
    } else if (field == kRequestField && wire_type == kLengthDelimited) {
      if (!p.Bytes(&value)) return false;
      txn->request = std::string(value);
    } else if (field == kIdentitiesField && wire_type == kLengthDelimited) {
      if (!p.Bytes(&value)) return false;
      if (!ParseIdentity(value, &identities.emplace_back())) return false;
    } else if (!p.Skip(wire_type)) {
      return false;
    }
  }
  if (!identities.empty()) {
    // Consecutive entries mostly come from the same few sessions with the same identities:
    // share one copy between them, as the leader does, instead of holding one per entry.
    thread_local SharedValue<std::vector<zk::Id>> last;
    if (*last != identities) last = std::move(identities);
    txn->identities = last;
  }
  return true;
}

}  // namespace corral::storage
