// Scripted simulator scenarios for members that restart. A member that has just started
// campaigns within a few ticks (Replica::StartFirstElectionTimer) instead of a whole election
// timeout, so that a restarted ensemble serves again quickly; these check that the early
// campaign costs a healthy ensemble nothing.
#include <gtest/gtest.h>

#include <string>

#include "scenario.h"

namespace corral::sim::scenario {
namespace {

// A follower restarts while the leader is healthy, and the leader's messages to it are held
// until it has campaigned, for two election timeouts: its pre-votes must be ignored by the
// members that hear the leader, and once the leader's messages arrive it follows, in the same
// epoch, under the same leader.
TEST(Restart, EarlyCampaignOfARestartedFollowerChangesNoLeaderAndNoEpoch) {
  Simulation sim(Scripted(3));
  const MemberId leader = WaitForLeader(sim);
  ASSERT_NE(leader, 0);
  const int client = OpenClient(sim, leader);
  ASSERT_GE(client, 0);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Acked(Create(sim, client, "/r" + std::to_string(i))));
  const int64_t epoch = sim.member(leader).replica().epoch();
  const MemberId follower = leader == 1 ? 2 : 1;
  sim.Crash(follower);
  int campaigns = 0;
  sim.OnSend([&](const consensus::Message& m) {
    campaigns += m.from == follower && m.type == MessageType::kVoteRequest ? 1 : 0;
  });
  sim.Hold(Between(leader, follower));
  sim.Restart(follower);
  ASSERT_TRUE(sim.RunUntil([&] { return campaigns > 0; }, 100));
  ASSERT_TRUE(sim.RunTicks(2 * sim.config().replica.election_timeout_ticks));
  sim.OnSend(nullptr);
  sim.Hold(nullptr);
  sim.Release(Between(leader, follower));
  ASSERT_TRUE(sim.RunUntil([&] { return sim.member(follower).replica().Synced(); }, 200));
  EXPECT_EQ(sim.Leader(), leader);
  for (MemberId id : sim.member_ids()) {
    EXPECT_EQ(sim.member(id).replica().epoch(), epoch) << "member " << id;
  }
  ExpectConsistentEnd(sim);
  EXPECT_TRUE(EveryMemberHas(sim, "/r4"));
}

}  // namespace
}  // namespace corral::sim::scenario
