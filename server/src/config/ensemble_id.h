#pragma once
// The ensemble id: a 64-bit name for one ensemble that every peer frame carries
// (proto/peer.proto), so a member never accepts messages from a member of another ensemble —
// say a server whose DNS name now points at a pod of a different cluster, or a test ensemble on
// the same hosts and ports as a production one.
//
// It is FNV-1a 64 of a string every member of the ensemble computes alike from its config:
//   ensembleId set:  "corral-ensemble-id:" + the value
//   not set:         "corral-servers:" + "<id>=<host>;" for each server.N line in increasing id
//                    order, hosts lower-cased (DNS names ignore case)
// The prefixes keep a configured name from ever equalling a derived one. Ports are left out of
// the derived form (so are roles and client addresses): they say how to reach a member, not
// which ensemble it is in. Two ensembles with the same ids on the same hosts therefore need
// distinct ensembleId settings, and so does an ensemble whose membership changes (reconfig):
// the derived id changes with its server lines.
#include <cstdint>
#include <string_view>

#include "config/config.h"

namespace corral {

uint64_t EnsembleIdOf(const Config& config);

// FNV-1a, 64 bits: simple, fixed by its spec, identical on every machine and compiler.
uint64_t Fnv1a64(std::string_view bytes);

}  // namespace corral
