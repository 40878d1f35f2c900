#include "storage/log_entry_proto.h"

#include <utility>

#include "proto/log.pb.h"

namespace corral::storage {

void TxnToLogEntry(const Txn& txn, proto::LogEntry* entry) {
  entry->set_zxid(txn.zxid);
  entry->set_session_id(txn.session_id);
  entry->set_xid(txn.xid);
  entry->set_time_ms(txn.time_ms);
  entry->set_type(txn.type);
  entry->set_request(txn.request);
  for (const auto& id : txn.identities) {
    proto::Identity* p = entry->add_identities();
    p->set_scheme(id.scheme);
    p->set_id(id.id);
  }
}

void TxnFromLogEntry(proto::LogEntry* entry, Txn* txn) {
  txn->zxid = entry->zxid();
  txn->session_id = entry->session_id();
  txn->xid = entry->xid();
  txn->time_ms = entry->time_ms();
  txn->type = entry->type();
  txn->request = std::move(*entry->mutable_request());
  txn->identities.clear();
  txn->identities.reserve(static_cast<size_t>(entry->identities_size()));
  for (auto& id : *entry->mutable_identities()) {
    txn->identities.push_back(zk::Id{std::move(*id.mutable_scheme()), std::move(*id.mutable_id())});
  }
}

}  // namespace corral::storage
