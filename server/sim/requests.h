#pragma once
// Builders for the log entries simulated clients submit: the same jute-encoded request bodies a
// real client's requests become (zk/records.h), wrapped in a Txn the way the node wraps them.
// zxid and time_ms stay 0: the leader stamps them.
#include <cstdint>
#include <string>

#include "statemachine/txn.h"

namespace corral::sim {

Txn CreateSessionTxn(int64_t session_id, int32_t xid, int32_t timeout_ms);
Txn CloseSessionTxn(int64_t session_id, int32_t xid);
// flags: zk::CreateFlags (persistent, ephemeral, sequential...).
Txn CreateTxn(int64_t session_id, int32_t xid, const std::string& path, const std::string& data,
              int32_t flags);
Txn SetDataTxn(int64_t session_id, int32_t xid, const std::string& path, const std::string& data,
               int32_t version);
Txn DeleteTxn(int64_t session_id, int32_t xid, const std::string& path, int32_t version);

}  // namespace corral::sim
