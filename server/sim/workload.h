#pragma once
// Workload: what the simulated clients do during a run's chaos phase. Each client connects to a
// random live member, opens a session, then submits a mix of writes with up to
// client_outstanding_max in flight: plain creates (often NODEEXISTS), sequential creates,
// ephemerals (removed again when their session closes), setData and delete with versions read
// from the member's local state (mostly right, sometimes stale or wrong: BADVERSION), and now
// and then a closeSession after which the client starts a new session. Clients that wait too
// long give up on their member (Simulation::ExpireClients) and reconnect elsewhere. With
// reconfig_ppm, clients also ask for membership changes (NextReconfig).
#include <string>

#include "sim/sim_random.h"
#include "statemachine/txn.h"

namespace corral::sim {

class Simulation;
struct SimClient;

class Workload {
 public:
  Workload(Simulation* sim, SimRandom random) : sim_(sim), random_(random) {}
  void Tick();

 private:
  void Act(int client);
  Txn NextWrite(const SimClient& client);
  // A change of the membership the client's member knows: mostly one that the single-server
  // rule allows (a member added from outside, a voter or observer removed, a role changed),
  // sometimes two voters at once, which the leader must refuse.
  Txn NextReconfig(const SimClient& client);
  int32_t VersionFor(const SimClient& client, const std::string& path);

  Simulation* sim_;
  SimRandom random_;
  uint64_t data_counter_ = 0;
};

}  // namespace corral::sim
