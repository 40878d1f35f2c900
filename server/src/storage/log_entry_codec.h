#pragma once
// The one mapping between a Txn (statemachine/txn.h) and its bytes: the wire form of
// proto::LogEntry (proto/log.proto). The transaction log stores it and the peer transport sends
// it, so a field added to Txn is added here once and reaches both.
//
// Written by hand rather than through the generated class: building a proto::LogEntry (and an
// Identity message per identity) for every entry, once per disk write and once per follower,
// allocated and copied the request each time, and in 3-member write profiles that was the
// largest remaining source of allocations (docs/benchmarks.md). The bytes are exactly what the
// generated serializer writes (fields in number order, proto3 defaults omitted; a test compares
// the two), and the parser accepts whatever a protobuf parser would accept for this message.
#include <string>
#include <string_view>

#include "statemachine/txn.h"

namespace corral::storage {

// Appends the bytes of txn as a proto::LogEntry to *out.
void AppendLogEntryBytes(const Txn& txn, std::string* out);
// How many bytes AppendLogEntryBytes appends for txn.
size_t LogEntryBytesSize(const Txn& txn);
// Decodes the bytes of a proto::LogEntry into *txn. false: not a valid encoding (truncated
// varint or field, a group, a length past the end); *txn is then unspecified.
bool ParseLogEntryBytes(std::string_view bytes, Txn* txn);

}  // namespace corral::storage
