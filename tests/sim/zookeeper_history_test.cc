// Scripted simulator scenarios for Apache ZooKeeper's historical data-loss and divergence bugs.
// Each comment says what the ZooKeeper bug was; each scenario drives the ensemble into the same
// situation with the simulator's controls (isolate, crash with unsynced writes lost, stall a
// disk, race a clock, hold messages) so that an implementation with that bug would fail it:
// the checker stops on a lost or skipped committed entry, a divergent apply, a digest mismatch,
// a message that promises what is not durable, or an acknowledged write missing at the end.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "scenario.h"

namespace corral::sim::scenario {
namespace {

std::vector<MemberId> Others(Simulation& sim, MemberId leader) {
  std::vector<MemberId> out;
  for (MemberId id : sim.member_ids()) {
    if (id != leader) out.push_back(id);
  }
  return out;
}

// The start of every "a follower syncs after falling behind" scenario: a leader with a client
// commits `writes` creates named prefix0.. while `lagging` (one of the others) is cut off.
// `lagging` is 0 when the ensemble could not get there (the caller asserts).
struct LaggingMember {
  MemberId leader = 0;
  MemberId other = 0;  // the member that kept up
  MemberId lagging = 0;
  int client = -1;
};
LaggingMember CommitWhileOneIsCutOff(Simulation& sim, int writes, const std::string& prefix) {
  LaggingMember out;
  out.leader = WaitForLeader(sim);
  if (out.leader == 0) return out;
  out.client = OpenClient(sim, out.leader);
  if (out.client < 0) return out;
  out.other = Others(sim, out.leader)[0];
  MemberId lagging = Others(sim, out.leader)[1];
  sim.Isolate(lagging);
  for (int i = 0; i < writes; ++i) {
    if (!Acked(Create(sim, out.client, prefix + std::to_string(i)))) return out;
  }
  out.lagging = lagging;
  return out;
}

// Sets *acked once `member` sends a successful append reply covering a zxid above `zxid`.
void WatchAckBeyond(Simulation& sim, MemberId member, int64_t zxid, bool* acked) {
  sim.OnSend([=](const consensus::Message& m) {
    *acked |=
        m.from == member && m.type == MessageType::kAppendReply && m.success && m.match_zxid > zxid;
  });
}

// The stored snapshot of every member is stamped with exactly the state it holds.
void ExpectSnapshotsStampedTruthfully(Simulation& sim) {
  for (MemberId id : sim.member_ids()) {
    const DiskSnapshot& s = sim.member(id).disk().snapshot();
    EXPECT_EQ(s.zxid, s.state->last_applied_zxid()) << "member " << id;
  }
}

// ZOOKEEPER-1154: data inconsistency when the member(s) with the highest zxid are not present
// at leader election. A write acknowledged by the old leader lived only on it and one follower;
// with the leader gone, the remaining members elected one of themselves without the write, and
// when the old leader came back its newer history was mishandled. Here the lagging member races
// to campaign first; it must lose to the member holding the acknowledged write, and the old
// leader's extra, never-committed entry must not come back with it.
TEST(ZooKeeperHistory, Zk1154AcknowledgedWriteSurvivesWithoutTheHighestZxidMember) {
  Simulation sim(Scripted(3));
  const MemberId leader = WaitForLeader(sim);
  ASSERT_NE(leader, 0);
  const MemberId holder = Others(sim, leader)[0];
  const MemberId lagging = Others(sim, leader)[1];
  const int client = OpenClient(sim, leader);
  ASSERT_GE(client, 0);

  sim.Isolate(lagging);
  ASSERT_TRUE(Acked(Create(sim, client, "/acked")));  // durable on leader + holder only
  sim.Isolate(leader);
  ASSERT_TRUE(sim.Submit(client, CreateTxn(0, 0, "/only-on-old-leader", "v", zk::kPersistent)));
  ASSERT_TRUE(sim.RunTicks(3));
  sim.Crash(leader, kKeepEverything);  // stays down until restarted below
  sim.HealNetwork();

  sim.SetClockRate(lagging, 4);  // the member without the write times out first
  const MemberId next = WaitForLeader(sim);
  sim.SetClockRate(lagging, 1);
  EXPECT_EQ(next, holder) << "a member without an acknowledged write was elected";
  ASSERT_TRUE(sim.RunUntil([&] { return EveryMemberHasUp(sim, "/acked"); }, 500));

  sim.Restart(leader);
  ExpectConsistentEnd(sim);
  EXPECT_TRUE(EveryMemberHas(sim, "/acked"));
  EXPECT_TRUE(NoMemberHas(sim, "/only-on-old-leader"));
}

// ZOOKEEPER-2845: data inconsistency due to retaining the database across leader election. A
// leader logged a txn it never committed, lost its quorum, restarted, and rejoined the new
// leader's epoch keeping that txn in its database: it served data nobody else had. The
// isolated leader's entry must be truncated when it rejoins and must never be applied anywhere.
TEST(ZooKeeperHistory, Zk2845UncommittedEntryOfIsolatedLeaderIsTruncated) {
  Simulation sim(Scripted(3));
  const MemberId old_leader = WaitForLeader(sim);
  ASSERT_NE(old_leader, 0);
  const int client = OpenClient(sim, old_leader);
  ASSERT_GE(client, 0);
  ASSERT_TRUE(Acked(Create(sim, client, "/before")));

  sim.Isolate(old_leader);
  ASSERT_TRUE(sim.Submit(client, CreateTxn(0, 0, "/isolated-txn", "v", zk::kPersistent)));
  ASSERT_TRUE(sim.RunTicks(3));
  const int64_t isolated_zxid = sim.member(old_leader).disk().log().back().zxid;
  ASSERT_EQ(sim.member(old_leader).disk().log().back().session_id, sim.client(client).session_id);

  // The others elect a new leader and commit in the new epoch.
  ASSERT_TRUE(sim.RunUntil(
      [&] {
        const MemberId l = sim.Leader();
        return l != 0 && l != old_leader && sim.member(l).replica().Synced();
      },
      1000));
  const MemberId new_leader = sim.Leader();
  const int client2 = OpenClient(sim, new_leader);
  ASSERT_GE(client2, 0);
  ASSERT_TRUE(Acked(Create(sim, client2, "/new-epoch")));

  // The old leader restarts with its log (the ZooKeeper bug needed the restart) and rejoins.
  sim.Crash(old_leader, kKeepEverything);
  sim.Restart(old_leader);
  ExpectConsistentEnd(sim);
  EXPECT_TRUE(NoMemberHas(sim, "/isolated-txn"));
  EXPECT_TRUE(EveryMemberHas(sim, "/new-epoch"));
  EXPECT_FALSE(sim.member(old_leader).disk().Holds(isolated_zxid) &&
               sim.member(old_leader).disk().snapshot().zxid < isolated_zxid)
      << "the uncommitted entry is still in the old leader's log";
  EXPECT_FALSE(sim.Outcome(client, 3).has_value()) << "the isolated write was acknowledged";
}

// ZOOKEEPER-3104: potential data inconsistency because a follower in SNAP sync took a snapshot
// stamped with a zxid ahead of the txns it had applied; restarting from it skipped those txns.
// Here a lagging follower is caught up by snapshot transfer while writes keep arriving, takes
// snapshots of its own after every batch, and crashes; restarting from its snapshot must replay
// everything after it (the checker fails a member that applies past a committed entry it never
// applied, and digests must match at every zxid).
TEST(ZooKeeperHistory, Zk3104RestartFromFollowerSnapshotSkipsNothing) {
  SimConfig config = Scripted(3);
  config.replica.cached_entries_min = 2;  // the leader forgets old entries: snapshot transfer
  config.replica.cached_bytes_max = 1;
  config.local_snapshot_ppm = 1000000;  // every member snapshots after every applied batch
  Simulation sim(config);
  const MemberId leader = WaitForLeader(sim);
  ASSERT_NE(leader, 0);
  const MemberId lagging = Others(sim, leader)[1];
  const int client = OpenClient(sim, leader);
  ASSERT_GE(client, 0);

  sim.Isolate(lagging);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Acked(Create(sim, client, "/a" + std::to_string(i))));
  bool snapshot_sent = false;
  sim.OnSend([&](const consensus::Message& m) {
    snapshot_sent |= m.type == MessageType::kSnapshot && m.to == lagging;
  });
  sim.HealNetwork();
  for (int i = 0; i < 5; ++i) {  // writes keep coming while the follower installs
    sim.Submit(client, CreateTxn(0, 0, "/b" + std::to_string(i), "v", zk::kPersistent));
    ASSERT_TRUE(sim.RunTicks(1));
  }
  ASSERT_TRUE(sim.RunUntil([&] { return snapshot_sent; }, 200)) << "no snapshot transfer";
  ASSERT_TRUE(sim.RunUntil([&] { return sim.member(lagging).disk().snapshot().zxid > 0; }, 200));
  ExpectSnapshotsStampedTruthfully(sim);
  sim.Crash(lagging, kKeepEverything);
  sim.Restart(lagging);
  ExpectConsistentEnd(sim);
  ExpectSnapshotsStampedTruthfully(sim);
  EXPECT_TRUE(EveryMemberHas(sim, "/b4"));
}

// ZOOKEEPER-3642: data inconsistency when the leader crashes right after sending a SNAP sync.
// The follower had loaded the snapshot in memory only, a new leader then synced it by DIFF from
// the snapshot's zxid, and after a restart it had silently lost everything up to that zxid.
// Here the follower crashes while installing the snapshot (the install is lost), the leader
// crashes right after sending it, and the new leader syncs the follower again.
TEST(ZooKeeperHistory, Zk3642CrashDuringSnapshotSyncThenDiffSync) {
  SimConfig config = Scripted(3);
  config.replica.cached_entries_min = 3;
  config.replica.cached_bytes_max = 1;
  Simulation sim(config);
  const MemberId leader = WaitForLeader(sim);
  ASSERT_NE(leader, 0);
  const MemberId survivor = Others(sim, leader)[0];
  const MemberId lagging = Others(sim, leader)[1];
  const int client = OpenClient(sim, leader);
  ASSERT_GE(client, 0);

  sim.Isolate(lagging);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Acked(Create(sim, client, "/a" + std::to_string(i))));
  bool snapshot_sent = false;
  sim.OnSend([&](const consensus::Message& m) {
    if (m.type == MessageType::kSnapshot && m.to == lagging && !snapshot_sent) {
      snapshot_sent = true;
      sim.SetFsyncStalled(lagging, true);  // the install it is about to get cannot be durable
    }
  });
  sim.HealNetwork();
  ASSERT_TRUE(sim.RunUntil([&] { return snapshot_sent; }, 200)) << "no snapshot transfer";
  ASSERT_TRUE(sim.RunTicks(2));  // delivered; the install waits on the stalled disk
  sim.Crash(leader);
  sim.Crash(lagging, kKeepNothing);
  sim.SetFsyncStalled(lagging, false);
  sim.Restart(lagging);

  ASSERT_EQ(WaitForLeader(sim), survivor);
  const int client2 = OpenClient(sim, survivor);
  ASSERT_GE(client2, 0);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Acked(Create(sim, client2, "/b" + std::to_string(i))));

  // Second round: this time the install is durable, and the follower crashes right after it,
  // before it applied what followed; it restarts from the installed snapshot (a diff sync).
  sim.Crash(lagging, kKeepEverything);
  sim.Restart(lagging);
  ASSERT_TRUE(Acked(Create(sim, client2, "/c")));
  ExpectConsistentEnd(sim);
  EXPECT_TRUE(EveryMemberHas(sim, "/a9"));
  EXPECT_TRUE(EveryMemberHas(sim, "/b2"));
  EXPECT_TRUE(EveryMemberHas(sim, "/c"));
}

// ZOOKEEPER-3911 (and ZOOKEEPER-4646): a follower acknowledged NEWLEADER before the txns of its
// DIFF sync were durable (they were logged asynchronously); the leader counted the ack, and if
// the quorum then crashed the committed txns were gone. Here the member that just synced makes
// the majority, and its disk stalls as the next write arrives, so that write cannot become
// durable there; then it crashes losing what was not durable, and so does the leader. A write
// acknowledged in that window would be lost: none may be. (The simulator also fails any
// acknowledgement that promises an entry not on disk; this scenario catches an early one by the
// write it loses even without that check: tests/sim/mutants.py runs it both ways.)
TEST(ZooKeeperHistory, Zk3911FollowerAckMeansDurable) {
  Simulation sim(Scripted(3));
  const LaggingMember start = CommitWhileOneIsCutOff(sim, 5, "/w");
  ASSERT_NE(start.lagging, 0);
  const MemberId first = start.leader;
  const MemberId second = start.other;
  const MemberId syncing = start.lagging;
  sim.Crash(first);
  // `first` stays out of the second epoch: nothing `second` sends it (even in flight when it
  // restarts) may carry the write back.
  sim.Hold(Between(second, first));
  sim.HealNetwork();
  ASSERT_EQ(WaitForLeader(sim), second);        // the syncing member is behind: it cannot win
  const int client2 = OpenClient(sim, second);  // committed with the syncing member's ack
  ASSERT_GE(client2, 0);

  sim.SetFsyncStalled(syncing, true);
  std::optional<int32_t> xid =
      sim.Submit(client2, CreateTxn(0, 0, "/after-sync", "v", zk::kPersistent));
  ASSERT_TRUE(xid);
  ASSERT_TRUE(sim.RunTicks(20));
  const bool acknowledged = Acked(sim.Outcome(client2, *xid));
  sim.Crash(syncing, kKeepNothing);  // whatever was not durable is gone
  sim.SetFsyncStalled(syncing, false);
  sim.Crash(second);

  sim.Restart(first);
  sim.Restart(syncing);
  const MemberId third = WaitForLeader(sim);
  ASSERT_NE(third, 0);
  const int client3 = OpenClient(sim, third);  // commits in the third epoch without `second`
  ASSERT_GE(client3, 0);
  if (acknowledged) {
    EXPECT_TRUE(EveryMemberHasUp(sim, "/after-sync")) << "acknowledged write lost";
  }
  EXPECT_FALSE(acknowledged) << "committed while the member making the majority could not have "
                                "the entry on disk";
  ExpectConsistentEnd(sim);
  EXPECT_TRUE(EveryMemberHas(sim, "/w4"));
}

// ZOOKEEPER-4394 / ZOOKEEPER-4643: during sync a follower wrote its new currentEpoch before the
// synced txns were durable; crashing in between left it with the new epoch and an old log, and
// since elections compared epochs first it could win and truncate committed txns. Here the
// follower's new epoch (its vote) is durable and its synced entries are not when it crashes;
// campaigning first, it must not win against the member that holds the committed writes, and
// none of them may be lost.
TEST(ZooKeeperHistory, Zk4394EpochDurableBeforeEntriesLosesNothing) {
  Simulation sim(Scripted(3));
  const LaggingMember start = CommitWhileOneIsCutOff(sim, 5, "/w");
  ASSERT_NE(start.lagging, 0);
  const MemberId first = start.leader;
  const MemberId second = start.other;
  const MemberId syncing = start.lagging;
  sim.Crash(first);
  // The new leader's sync appends are held until the syncing member's vote is durable; then
  // its disk stalls, so the synced entries stay in memory.
  sim.Hold(From(second, MessageType::kAppend));
  sim.HealNetwork();
  ASSERT_TRUE(sim.RunUntil(
      [&] {
        return sim.Leader() == second && sim.member(syncing).disk().hard_state().epoch ==
                                             sim.member(second).replica().epoch();
      },
      1000));
  sim.SetFsyncStalled(syncing, true);
  // `first` must come back knowing only the first epoch, as in the bug: nothing of `second`'s
  // may reach it (it is down now, but messages in flight would arrive after its restart).
  sim.Hold(Between(second, first));
  sim.Release(From(second, MessageType::kAppend));
  ASSERT_TRUE(sim.RunTicks(5));
  ASSERT_GT(sim.member(syncing).disk().hard_state().epoch, 1);
  sim.Crash(syncing, kKeepNothing);
  sim.Crash(second);
  ASSERT_TRUE(sim.member(syncing).disk().log().empty() ||
              sim.member(syncing).disk().log().back().zxid <
                  sim.member(first).disk().log().back().zxid);

  sim.Restart(first);
  sim.SetFsyncStalled(syncing, false);
  sim.Restart(syncing);
  ASSERT_LT(sim.member(first).replica().epoch(), sim.member(syncing).replica().epoch());
  // `syncing` (newer epoch, older log) campaigns first, whatever the members' election
  // timeouts: `first`'s own campaign is held until it has answered `syncing`'s, and for an
  // election timeout more, long enough for `syncing` to win if `first` granted its pre-vote.
  bool first_answered = false;
  sim.OnSend([&](const consensus::Message& m) {
    first_answered |= m.from == first && m.to == syncing && m.type == MessageType::kVoteReply;
  });
  const Simulation::MessageFilter first_campaign = From(first, MessageType::kVoteRequest);
  const Simulation::MessageFilter from_second = Between(second, first);
  sim.Hold([&](const consensus::Message& m) { return from_second(m) || first_campaign(m); });
  ASSERT_TRUE(sim.RunUntil([&] { return first_answered; }, 1000));
  ASSERT_TRUE(sim.RunTicks(sim.config().replica.election_timeout_ticks));
  sim.OnSend(nullptr);
  sim.Hold(from_second);
  sim.Release(first_campaign);
  const MemberId next = WaitForLeader(sim);
  EXPECT_EQ(next, first) << "a member with a newer epoch but an older log was elected";
  ASSERT_NE(next, 0);
  const int client2 = OpenClient(sim, next);
  ASSERT_GE(client2, 0);
  ExpectConsistentEnd(sim);
  EXPECT_TRUE(EveryMemberHas(sim, "/w4"));
}

// ZOOKEEPER-4785: txn loss due to a race in Learner.syncWithLeader during DIFF sync: proposals
// that arrived while the follower was syncing were acknowledged by one thread before another
// thread had written them, and a follower bounced at that moment lost them. Here a follower
// catches up on a long diff over a slow disk while new proposals keep arriving; at the moment
// it acknowledges the first of the new ones, it and the leader crash. Its acknowledgements
// must have been durable, so the two remaining members still hold every acknowledged write.
TEST(ZooKeeperHistory, Zk4785ProposalsDuringSyncAreDurableWhenAcked) {
  SimConfig config = Scripted(3);
  config.fsync_ticks_max = 3;  // slow, uneven fsyncs: proposals pile up behind each write
  Simulation sim(config);
  const LaggingMember start = CommitWhileOneIsCutOff(sim, 20, "/s");
  ASSERT_NE(start.lagging, 0);
  const MemberId leader = start.leader;
  const MemberId syncing = start.lagging;
  const int client = start.client;
  const int64_t synced_up_to = sim.member(leader).replica().last_zxid();
  bool acked_new = false;
  WatchAckBeyond(sim, syncing, synced_up_to, &acked_new);
  sim.HealNetwork();
  for (int i = 0; i < 10 && !acked_new; ++i) {
    sim.Submit(client, CreateTxn(0, 0, "/p" + std::to_string(i), "v", zk::kPersistent));
    ASSERT_TRUE(sim.RunTicks(1));
  }
  ASSERT_TRUE(sim.RunUntil([&] { return acked_new; }, 200));
  sim.Crash(syncing, kKeepNothing);
  sim.Crash(leader);
  sim.Restart(syncing);
  ExpectConsistentEnd(sim);
  EXPECT_TRUE(EveryMemberHas(sim, "/s19"));
}

// ZOOKEEPER-4925: data loss from the propagation of a discontinuous committedLog. A stale
// follower synced by DIFF applied the txns without adding them to its in-memory committed log;
// after it became leader it synced another stale member from that log, with a hole in it. Here
// a stale member is caught up by diff, the old leader and another member go away, the caught-up
// member leads, and a second stale member must receive every entry, with no hole.
TEST(ZooKeeperHistory, Zk4925NoHoleCarriedToANewLeader) {
  Simulation sim(Scripted(5));
  const MemberId leader = WaitForLeader(sim);
  ASSERT_NE(leader, 0);
  const std::vector<MemberId> others = Others(sim, leader);
  const MemberId up_to_date = others[0];  // others[1] stays up, missing only the last write
  const MemberId stale = others[2], stale2 = others[3];
  const int client = OpenClient(sim, leader);
  ASSERT_GE(client, 0);

  sim.Isolate(stale);
  sim.Isolate(stale2);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Acked(Create(sim, client, "/h" + std::to_string(i))));
  sim.HealNetwork();
  sim.Isolate(stale2);
  ASSERT_TRUE(sim.RunUntil(
      [&] {
        return sim.member(stale).state().last_applied_zxid() ==
               sim.member(leader).state().last_applied_zxid();
      },
      500));

  // One more write that the member synced by diff has and the other survivor lacks, so that
  // only it can win the election below (the others refuse a candidate behind them), whatever
  // the members' random election timeouts.
  const MemberId witness = others[1];
  sim.Isolate(witness);
  ASSERT_TRUE(Acked(Create(sim, client, "/h10")));
  ASSERT_TRUE(sim.RunUntil(
      [&] {
        return sim.member(stale).state().last_applied_zxid() ==
               sim.member(leader).state().last_applied_zxid();
      },
      500));
  sim.Crash(leader);
  sim.Crash(up_to_date);
  sim.HealNetwork();
  sim.SetClockRate(stale, 4);  // and it campaigns first
  const MemberId next = WaitForLeader(sim);
  sim.SetClockRate(stale, 1);
  ASSERT_NE(next, 0);
  EXPECT_EQ(next, stale);
  ASSERT_TRUE(sim.RunUntil(
      [&] {
        return sim.member(stale2).state().last_applied_zxid() >=
               sim.member(next).replica().commit_zxid();
      },
      500));
  EXPECT_NE(sim.member(stale2).state().tree().Find("/h0"), nullptr);
  EXPECT_NE(sim.member(stale2).state().tree().Find("/h9"), nullptr);
  EXPECT_NE(sim.member(stale2).state().tree().Find("/h10"), nullptr);
  ExpectConsistentEnd(sim);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(EveryMemberHas(sim, "/h" + std::to_string(i)));
}

}  // namespace
}  // namespace corral::sim::scenario
