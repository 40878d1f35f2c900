#pragma once
// What a client's reconfig request (opcode 16) becomes in the log. The leader decides, against
// the configuration in force there, and logs either the new dynamic config text or the error
// the request earned ("error:<code>"), so every member answers the client alike when the entry
// applies (statemachine/apply.cc). docs/membership.md has the rules; the consensus core refuses
// what the single-server rule does not allow at Propose time, which the caller turns into an
// error entry too (ErrorEntryOf).
#include <cstdint>
#include <string>
#include <vector>

#include "config/dynamic_config.h"
#include "consensus/membership.h"
#include "statemachine/acl.h"

namespace corral {

struct ReconfigContext {
  bool reconfig_enabled = false;
  DynamicConfig current;       // in force, with its version (0: the static one)
  acl::Identities identities;  // the requesting session's
  zk::AclList config_acl;      // /zookeeper/config's
  // Members that are live and synced with this leader (they answered within an election
  // timeout and hold its log from this epoch on, not being probed or sent a snapshot), the
  // leader included: a new configuration needs a majority of its voters among them.
  std::vector<consensus::MemberId> caught_up;
};

// The request of the reconfig entry for `request` (the client's jute ReconfigRequest bytes).
std::string PlanReconfig(const ReconfigContext& context, const std::string& request);
std::string ErrorEntryOf(int32_t code);

}  // namespace corral
