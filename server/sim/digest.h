#pragma once
// Digests the checker compares across members. The state digest walks the whole tree in path
// order (every stored znode field, the ACL, the ephemeral owner) and the session table: two
// replicas at the same applied zxid must produce the same value, whatever path (log replay,
// snapshot transfer, restart) brought each there.
#include <cstdint>
#include <string>

#include "statemachine/state_machine.h"
#include "statemachine/txn.h"

namespace corral::sim {

uint64_t StateDigest(const StateMachine& state);
// Identity of a log entry: every field the leader stamped, so two different entries under one
// zxid never hash alike by accident.
uint64_t EntryHash(const Txn& txn);
// What Apply answered (error, response body, closed sessions): equal on every member.
uint64_t ResultHash(const ApplyResult& result);
// "0x<epoch>:<counter>" for messages.
std::string ZxidString(int64_t zxid);

}  // namespace corral::sim
