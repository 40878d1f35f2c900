// Scripted reproductions of consensus-core bugs the simulator found (CORE_BUGS.md). Tests for
// bugs not fixed yet are DISABLED_; run them with --gtest_also_run_disabled_tests, and enable
// each once its fix lands.
#include <gtest/gtest.h>

#include "scenario.h"

namespace corral::sim::scenario {
namespace {

// CORE_BUGS.md #3: a candidate whose election timer fires again starts a pre-vote round while
// still a candidate; pre-vote grants for epoch e+1 then sat in the same tally as real votes for
// epoch e, and a late real grant made it leader of epoch e without a majority of real votes.
// Member 2 campaigns in epoch 1 and only member 4 hears its real request; member 3 grants its
// next pre-vote (epoch 2); then member 4's real grant arrives. Two real votes of five (its own
// and 4's) must not make member 2 a leader.
TEST(CoreRegression, PreVoteGrantsAreNotVotes) {
  Simulation sim(Scripted(5));
  for (MemberId id : {1, 3, 4, 5}) sim.SetClockRate(id, 0);  // only member 2 times out
  sim.Hold([](const consensus::Message& m) {
    const bool vote_request = m.type == MessageType::kVoteRequest;
    const bool vote_reply = m.type == MessageType::kVoteReply;
    return (m.from == 2 && vote_request && !m.pre_vote && m.to != 4) ||  // only 4 hears it
           (m.from == 4 && m.to == 2 && vote_reply && !m.pre_vote) ||    // 4's grant waits
           (m.to == 2 && vote_reply && m.pre_vote && m.epoch == 2 && m.from != 3);
  });
  auto real_grant_from_4 = [](const consensus::Message& m) {
    return m.from == 4 && m.to == 2 && m.type == MessageType::kVoteReply && !m.pre_vote &&
           m.granted;
  };
  ASSERT_TRUE(sim.RunUntil([&] { return sim.HeldCount(real_grant_from_4) == 1; }, 200));
  ASSERT_EQ(sim.member(2).replica().role(), Role::kCandidate);
  ASSERT_EQ(sim.member(2).replica().epoch(), 1);

  bool pre_grant_from_3 = false;
  sim.OnSend([&](const consensus::Message& m) {
    pre_grant_from_3 |= m.from == 3 && m.to == 2 && m.type == MessageType::kVoteReply &&
                        m.pre_vote && m.granted && m.epoch == 2;
  });
  ASSERT_TRUE(sim.RunUntil([&] { return pre_grant_from_3; }, 200));
  ASSERT_TRUE(sim.RunTicks(2));  // delivered
  sim.Release(real_grant_from_4);
  ASSERT_TRUE(sim.RunTicks(2));
  EXPECT_FALSE(sim.member(2).replica().role() == Role::kLeader &&
               sim.member(2).replica().epoch() == 1)
      << "member 2 leads epoch 1 with two real votes of five";
}

}  // namespace
}  // namespace corral::sim::scenario
