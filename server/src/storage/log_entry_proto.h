#pragma once
// The one mapping between a Txn (statemachine/txn.h) and its protobuf form, proto::LogEntry
// (proto/log.proto). The transaction log stores it and the peer transport sends it, so a field
// added to Txn is added here once and reaches both.
#include "statemachine/txn.h"

namespace corral::proto {
class LogEntry;
}  // namespace corral::proto

namespace corral::storage {

void TxnToLogEntry(const Txn& txn, proto::LogEntry* entry);
// Moves the strings out of *entry (which is left valid but unspecified).
void TxnFromLogEntry(proto::LogEntry* entry, Txn* txn);

}  // namespace corral::storage
