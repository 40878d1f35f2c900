#pragma once
// Txn: one entry of the replicated log. Corral logs the request, not its effect: the entry holds
// the client's request body plus the context the leader stamped on it (zxid, time, session,
// identities), and StateMachine::Apply computes the same outcome on every replica.
#include <cstdint>
#include <string>
#include <vector>

#include "base/shared_value.h"
#include "zk/records.h"

namespace corral {

// Entry types that are not client opcodes. A new leader's first entry (zxid epoch<<32 | 0) is an
// epoch start: it changes nothing, and committing it commits every older entry before it (a
// leader never counts copies of older epochs' entries; see consensus/replica.h).
inline constexpr int32_t kTxnEpochStart = -20;

struct Txn {
  int64_t zxid = 0;
  int64_t session_id = 0;
  int32_t xid = 0;
  int64_t time_ms = 0;  // leader's wall clock when it stamped the entry; Apply never reads a clock
  int32_t type = 0;     // zk::OpCode
  // The two fields with heap data are shared, not copied, when the entry is: the log, every
  // follower's append message and the batches to persist and apply all hold the same bytes.
  SharedValue<std::string> request;  // jute-encoded request body (no RequestHeader)
  // Identities of the session when the request was submitted; ACL checks in Apply use these so
  // that every replica decides the same way.
  SharedValue<std::vector<zk::Id>> identities;
};

// Body of a createSession entry (not a client record: the leader builds it).
struct CreateSessionBody {
  int32_t timeout_ms = 0;
  std::string passwd;
};
std::string EncodeCreateSession(const CreateSessionBody& body);
bool DecodeCreateSession(const std::string& bytes, CreateSessionBody* body);

}  // namespace corral
