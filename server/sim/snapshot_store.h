#pragma once
// SnapshotStore: snapshot bytes for the simulator. A kSnapshot message must carry "the state at
// snapshot_zxid"; serializing and parsing a whole tree per transfer would cost more than the rest
// of a run, so the simulator stores an immutable copy of the sender's state machine here and the
// message carries a token naming it. The receiver installs a copy of exactly that state, which is
// what a byte-exact transfer of a correct snapshot file would give it.
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "statemachine/state_machine.h"

namespace corral::sim {

class SnapshotStore {
 public:
  // Returns the payload to put in Message::snapshot.
  std::string Put(std::shared_ptr<const StateMachine> state);
  // The state a payload names; null when the payload is not one of ours (a corrupted or
  // invented snapshot).
  std::shared_ptr<const StateMachine> Get(const std::string& payload) const;

 private:
  std::map<uint64_t, std::shared_ptr<const StateMachine>> by_token_;
  const StateMachine* last_put_ = nullptr;  // the same copy is often sent to several members
  std::string last_payload_;
  uint64_t next_token_ = 1;
};

}  // namespace corral::sim
