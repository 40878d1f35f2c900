// The consensus core on a tiny in-memory ensemble: messages are delivered in order unless a
// test cuts a link. The simulator (server/sim) does the same with seeded faults; these tests
// pin single behaviours so a regression names itself.
#include "consensus/replica.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>

#include "zk/codes.h"

namespace corral::consensus {
namespace {

// One member: the core plus what its driver would persist and apply.
struct Member {
  HardState hard;
  std::vector<Txn> durable_log;  // after snapshot_zxid
  int64_t snapshot_zxid = 0;
  std::vector<Txn> applied;
  std::vector<Message> inbox;
  std::unique_ptr<Replica> replica;
  bool up = true;
};

class Ensemble {
 public:
  explicit Ensemble(int n, ReplicaOptions base = {}) : random_(7) {
    for (int i = 1; i <= n; ++i) ids_.push_back(i);
    base_ = base;
    for (MemberId id : ids_) {
      members_[id] = Member{};
      Start(id);
    }
  }

  void Start(MemberId id) {
    Member& m = members_[id];
    ReplicaOptions o = base_;
    o.id = id;
    o.voters = ids_;
    o.election_timeout_ticks = 10;
    RecoveredLog log;
    log.applied_zxid = m.snapshot_zxid;
    log.entries = m.durable_log;
    m.applied.clear();
    m.replica = std::make_unique<Replica>(o, m.hard, log, &random_);
    m.up = true;
  }
  void Crash(MemberId id) { members_[id].up = false; }

  void Cut(MemberId a, MemberId b) {
    cut_.insert({a, b});
    cut_.insert({b, a});
  }
  void Isolate(MemberId a) {
    for (MemberId b : ids_) {
      if (b != a) Cut(a, b);
    }
  }
  void Heal() { cut_.clear(); }
  // Drops every message from now on for which `drop` is true (until DropNone).
  void DropWhere(std::function<bool(const Message&)> drop) { drop_ = std::move(drop); }
  void DropNone() { drop_ = nullptr; }
  // Holds every message for which `delay` is true for `ticks` ticks before it is delivered.
  void DelayWhere(std::function<bool(const Message&)> delay, int ticks) {
    delay_ = std::move(delay);
    delay_ticks_ = ticks;
  }
  // Delivers `msg` as if it came over the wire now.
  void Inject(Message msg) {
    wire_.push_back(std::move(msg));
    Settle();
  }

  // Runs every member's Ready and delivers messages until nothing moves.
  void Settle() {
    for (int round = 0; round < 1000; ++round) {
      bool moved = false;
      for (MemberId id : ids_) {
        Member& m = members_[id];
        if (!m.up) continue;
        while (m.replica->HasReady()) {
          moved = true;
          Ready rd = m.replica->TakeReady();
          for (auto& msg : rd.messages_now) Deliver(msg);
          if (rd.hard_state) m.hard = *rd.hard_state;
          if (rd.snapshot) {
            m.snapshot_zxid = rd.snapshot->zxid;
            m.durable_log.clear();
          }
          if (rd.truncate_after) {
            while (!m.durable_log.empty() && m.durable_log.back().zxid > *rd.truncate_after) {
              m.durable_log.pop_back();
            }
          }
          for (auto& e : rd.entries) m.durable_log.push_back(e);
          for (auto& msg : rd.messages) Deliver(msg);
          for (auto& e : rd.committed) m.applied.push_back(e);
          for (auto& msg : rd.inbox) m.inbox.push_back(msg);
          m.replica->Advance(rd);
          m.replica->CheckInvariants();
        }
      }
      while (!wire_.empty()) {
        moved = true;
        Message msg = std::move(wire_.front());
        wire_.pop_front();
        Member& to = members_[msg.to];
        if (to.up) to.replica->Step(msg);
      }
      if (!moved) return;
    }
    FAIL() << "ensemble did not settle";
  }

  void Tick(int n = 1) {
    for (int i = 0; i < n; ++i) {
      ++now_ticks_;
      while (!delayed_.empty() && delayed_.front().first <= now_ticks_) {
        wire_.push_back(std::move(delayed_.front().second));
        delayed_.pop_front();
      }
      for (MemberId id : ids_) {
        if (members_[id].up) members_[id].replica->Tick();
      }
      Settle();
    }
  }

  // Ticks until some member leads and serves; returns it.
  MemberId AwaitLeader(int ticks_max = 200) {
    for (int i = 0; i < ticks_max; ++i) {
      for (MemberId id : ids_) {
        Member& m = members_[id];
        if (m.up && m.replica->role() == Role::kLeader && m.replica->Synced()) return id;
      }
      Tick();
    }
    return 0;
  }

  int64_t Propose(MemberId leader, const std::string& body) {
    Txn t;
    t.type = 1;
    t.request = body;
    auto zxid = members_[leader].replica->Propose(t);
    EXPECT_TRUE(zxid.ok()) << zxid.status().ToString();
    Settle();
    return zxid.ok() ? *zxid : 0;
  }

  Member& operator[](MemberId id) { return members_[id]; }
  const std::vector<MemberId>& ids() const { return ids_; }
  // Vote requests (pre-votes included) the member sent, delivered or not.
  int vote_requests_from(MemberId id) const {
    auto it = vote_requests_.find(id);
    return it == vote_requests_.end() ? 0 : it->second;
  }
  // Snapshots sent to the member, delivered or not.
  int snapshots_to(MemberId id) const {
    auto it = snapshots_to_.find(id);
    return it == snapshots_to_.end() ? 0 : it->second;
  }

 private:
  void Deliver(Message msg) {
    if (msg.type == MessageType::kVoteRequest) vote_requests_[msg.from]++;
    if (msg.type == MessageType::kSnapshot) snapshots_to_[msg.to]++;
    if (cut_.count({msg.from, msg.to}) || (drop_ && drop_(msg))) return;
    if (delay_ && delay_(msg)) {
      delayed_.emplace_back(now_ticks_ + delay_ticks_, std::move(msg));
      return;
    }
    if (msg.type == MessageType::kSnapshot) {
      // What a node does: the state it has applied, at its zxid.
      msg.snapshot_zxid = members_[msg.from].replica->applied_zxid();
      msg.snapshot = "state";
    }
    wire_.push_back(std::move(msg));
  }

  env::SeededRandom random_;
  ReplicaOptions base_;
  std::vector<MemberId> ids_;
  std::map<MemberId, Member> members_;
  std::set<std::pair<MemberId, MemberId>> cut_;
  std::deque<Message> wire_;
  std::map<MemberId, int> vote_requests_;
  std::map<MemberId, int> snapshots_to_;
  std::function<bool(const Message&)> drop_;
  std::function<bool(const Message&)> delay_;
  int delay_ticks_ = 0;
  int64_t now_ticks_ = 0;
  std::deque<std::pair<int64_t, Message>> delayed_;  // (tick due, message), in order
};

std::vector<int64_t> Zxids(const std::vector<Txn>& txns) {
  std::vector<int64_t> out;
  for (const auto& t : txns) out.push_back(t.zxid);
  return out;
}

TEST(ZxidTest, EpochAndCounter) {
  int64_t z = MakeZxid(3, 7);
  EXPECT_EQ(EpochOf(z), 3);
  EXPECT_EQ(CounterOf(z), 7);
  EXPECT_GT(MakeZxid(4, 0), MakeZxid(3, 0xffffffffLL));
}

TEST(ReplicaTest, SingleMemberLeadsAndCommitsAfterItsOwnFsync) {
  Ensemble e(1);
  MemberId leader = e.AwaitLeader();
  ASSERT_EQ(leader, 1);
  EXPECT_EQ(e[1].replica->epoch(), 1);
  int64_t zxid = e.Propose(1, "a");
  EXPECT_EQ(zxid, MakeZxid(1, 1));
  EXPECT_EQ(Zxids(e[1].applied), (std::vector<int64_t>{MakeZxid(1, 0), MakeZxid(1, 1)}));
  EXPECT_EQ(e[1].durable_log.size(), 2u);
}

TEST(ReplicaTest, ThreeMembersAgreeOnEveryEntry) {
  Ensemble e(3);
  MemberId leader = e.AwaitLeader();
  ASSERT_NE(leader, 0);
  for (int i = 0; i < 20; ++i) e.Propose(leader, "w" + std::to_string(i));
  e.Tick(2);  // a heartbeat carries the final commit point
  for (MemberId id : e.ids()) {
    EXPECT_EQ(Zxids(e[id].applied), Zxids(e[leader].applied)) << "member " << id;
    EXPECT_EQ(e[id].applied.size(), 21u);
    EXPECT_TRUE(e[id].replica->Synced());
  }
  EXPECT_EQ(e[leader].replica->role(), Role::kLeader);
}

TEST(ReplicaTest, ForwardReachesTheLeaderInbox) {
  Ensemble e(3);
  MemberId leader = e.AwaitLeader();
  e.Tick(2);
  MemberId follower = leader == 1 ? 2 : 1;
  Message fwd;
  fwd.type = MessageType::kForward;
  Txn t;
  t.type = 1;
  t.request = "x";
  fwd.entries.push_back(t);
  ASSERT_TRUE(e[follower].replica->SendToLeader(fwd).ok());
  e.Settle();
  ASSERT_EQ(e[leader].inbox.size(), 1u);
  EXPECT_EQ(e[leader].inbox[0].from, follower);
  EXPECT_EQ(e[leader].inbox[0].entries[0].request, "x");
}

TEST(ReplicaTest, IsolatedLeadersUncommittedEntryIsTruncatedOnRejoin) {
  // ZOOKEEPER-2845's shape: a leader logs a write nobody else gets, is cut off, a new leader
  // takes over and writes more; the old leader's entry must vanish when it rejoins.
  Ensemble e(3);
  MemberId old_leader = e.AwaitLeader();
  e.Propose(old_leader, "committed");
  e.Tick(2);
  e.Isolate(old_leader);
  int64_t lost = e.Propose(old_leader, "never committed");
  EXPECT_EQ(e[old_leader].durable_log.back().zxid, lost);
  // Within two election timeouts the old leader notices it lost its majority and stops serving.
  e.Tick(20);
  EXPECT_NE(e[old_leader].replica->role(), Role::kLeader);
  EXPECT_FALSE(e[old_leader].replica->Synced());
  MemberId new_leader = e.AwaitLeader();
  ASSERT_NE(new_leader, 0);
  ASSERT_NE(new_leader, old_leader);
  e.Propose(new_leader, "after");
  e.Heal();
  e.Tick(30);
  for (const Txn& t : e[old_leader].durable_log) EXPECT_NE(t.zxid, lost);
  for (const Txn& t : e[old_leader].applied) EXPECT_NE(t.zxid, lost);
  EXPECT_EQ(Zxids(e[old_leader].applied), Zxids(e[new_leader].applied));
}

TEST(ReplicaTest, RejoiningMemberDoesNotDisturbTheLeader) {
  // Pre-vote: a member cut off for a long time does not raise the epoch when it returns.
  Ensemble e(3);
  MemberId leader = e.AwaitLeader();
  int64_t epoch = e[leader].replica->epoch();
  MemberId loner = leader == 3 ? 2 : 3;
  e.Isolate(loner);
  e.Tick(100);
  EXPECT_EQ(e[loner].replica->epoch(), epoch);
  e.Heal();
  e.Tick(30);
  EXPECT_EQ(e[leader].replica->role(), Role::kLeader);
  EXPECT_EQ(e[leader].replica->epoch(), epoch);
  EXPECT_TRUE(e[loner].replica->Synced());
}

TEST(ReplicaTest, RestartedMemberKeepsItsVoteAndLog) {
  Ensemble e(3);
  MemberId leader = e.AwaitLeader();
  for (int i = 0; i < 5; ++i) e.Propose(leader, "w");
  e.Tick(2);
  MemberId f = leader == 1 ? 2 : 1;
  HardState before = e[f].hard;
  e.Crash(f);
  e.Start(f);
  EXPECT_EQ(e[f].replica->hard_state(), before);
  EXPECT_EQ(e[f].replica->last_zxid(), e[leader].replica->last_zxid());
  // Nothing is applied again until the leader says it is committed.
  EXPECT_EQ(e[f].replica->commit_zxid(), 0);
  e.Tick(3);
  EXPECT_EQ(Zxids(e[f].applied), Zxids(e[leader].applied));
  EXPECT_TRUE(e[f].replica->Synced());
}

// A member that has just started campaigns (pre-vote) after 1 to election_timeout_ticks / 4
// ticks, not the full randomized timeout: that wait was most of a restarted ensemble's time to
// serve. Its later campaigns wait the full timeout again.
TEST(ReplicaTest, AFreshMemberCampaignsWithinAQuarterOfAnElectionTimeout) {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    env::SeededRandom random(seed);
    ReplicaOptions o;
    o.id = 1;
    o.voters = {1, 2, 3};
    o.election_timeout_ticks = 12;
    Replica r(o, HardState{}, RecoveredLog{}, &random);
    std::vector<int> campaign_ticks;
    for (int tick = 1; tick <= 40 && campaign_ticks.size() < 2; ++tick) {
      r.Tick();
      bool asked = false;
      while (r.HasReady()) {
        Ready rd = r.TakeReady();
        for (const Message& m : rd.messages_now) {
          asked |= m.type == MessageType::kVoteRequest && m.pre_vote;
        }
        r.Advance(rd);
      }
      if (asked) campaign_ticks.push_back(tick);
    }
    ASSERT_EQ(campaign_ticks.size(), 2u) << "seed " << seed;
    EXPECT_GE(campaign_ticks[0], 1) << "seed " << seed;
    EXPECT_LE(campaign_ticks[0], 3) << "seed " << seed;  // 1 + 12 / 4 - 1
    EXPECT_GE(campaign_ticks[1] - campaign_ticks[0], 12) << "seed " << seed;
    EXPECT_EQ(r.epoch(), 0) << "a pre-vote nobody answered raised the epoch";
  }
}

TEST(ReplicaTest, AnEnsembleStartingTogetherElectsWithinOneElectionTimeout) {
  Ensemble e(3);
  EXPECT_NE(e.AwaitLeader(/*ticks_max=*/10), 0);
}

// The early campaign of a restarted member cannot depose a live leader: here it cannot hear the
// leader at all, so it campaigns, and the member that does hear the leader ignores it.
TEST(ReplicaTest, ARestartedMemberCampaigningEarlyDoesNotDisturbTheLeader) {
  Ensemble e(3);
  const MemberId leader = e.AwaitLeader();
  ASSERT_NE(leader, 0);
  for (int i = 0; i < 3; ++i) e.Propose(leader, "w");
  e.Tick(2);
  const int64_t epoch = e[leader].replica->epoch();
  const MemberId f = leader == 1 ? 2 : 1;
  e.Crash(f);
  e.Start(f);
  e.Cut(leader, f);
  const int asked_before = e.vote_requests_from(f);
  e.Tick(5);
  EXPECT_GT(e.vote_requests_from(f), asked_before) << "the restarted member never campaigned";
  EXPECT_EQ(e[leader].replica->role(), Role::kLeader);
  EXPECT_EQ(e[leader].replica->epoch(), epoch);
  EXPECT_EQ(e[f].replica->epoch(), epoch);
  e.Heal();
  e.Tick(3);
  EXPECT_EQ(e[leader].replica->role(), Role::kLeader);
  EXPECT_EQ(e[leader].replica->epoch(), epoch);
  EXPECT_EQ(e[f].replica->leader(), leader);
  EXPECT_TRUE(e[f].replica->Synced());
  EXPECT_EQ(Zxids(e[f].applied), Zxids(e[leader].applied));
}

TEST(ReplicaTest, FarBehindFollowerGetsASnapshot) {
  ReplicaOptions small;
  small.cached_entries_min = 4;
  small.cached_bytes_max = 0;
  Ensemble e(3, small);
  MemberId leader = e.AwaitLeader();
  MemberId f = leader == 1 ? 2 : 1;
  e.Crash(f);
  for (int i = 0; i < 30; ++i) e.Propose(leader, "w");
  e.Tick(2);
  e.Start(f);
  bool snapshot_sent = false;
  for (int i = 0; i < 50 && !snapshot_sent; ++i) {
    // Peek at the leader's Ready for a snapshot message (the driver would fill it).
    e.Tick();
    snapshot_sent = e[f].snapshot_zxid > 0;
  }
  EXPECT_TRUE(snapshot_sent);
  e.Tick(5);
  EXPECT_EQ(e[f].replica->commit_zxid(), e[leader].replica->commit_zxid());
  EXPECT_TRUE(e[f].replica->Synced());
}

// Three members whose leader keeps at least 4 entries and at most `cached_bytes_max` more: a
// follower goes down and misses 30 writes of `body`.
struct DownFollower {
  DownFollower(size_t cached_bytes_max, const std::string& body) : e(3, Options(cached_bytes_max)) {
    leader = e.AwaitLeader();
    f = leader == 1 ? 2 : 1;
    e.Tick(2);
    f_had = e[f].replica->last_zxid();
    e.Crash(f);
    for (int i = 0; i < 30; ++i) e.Propose(leader, body);
    e.Tick(2);
  }
  static ReplicaOptions Options(size_t cached_bytes_max) {
    ReplicaOptions options;
    options.cached_entries_min = 4;
    options.cached_bytes_max = cached_bytes_max;
    return options;
  }
  Ensemble e;
  MemberId leader = 0, f = 0;
  int64_t f_had = 0;  // f's last entry when it went down
};

TEST(ReplicaTest, TheCacheHoldsWhatADownFollowerLacksAndShrinksOnceItCaughtUp) {
  DownFollower d(1 << 20, "w");
  Ensemble& e = d.e;
  const MemberId leader = d.leader, f = d.f;
  EXPECT_GE(e[leader].replica->cached_entries(), 30u) << "dropped what the down follower lacks";
  e.Start(f);
  e.Tick(5);
  EXPECT_EQ(e.snapshots_to(f), 0) << "caught up from the cache, so no snapshot";
  EXPECT_EQ(Zxids(e[f].applied), Zxids(e[leader].applied));
  // Everyone holds everything now: only the last cached_entries_min stay in memory.
  EXPECT_EQ(e[leader].replica->cached_entries(), 4u);
}

TEST(ReplicaTest, AppendsAnsweredAfterASnapshotWasAskedForSendNoSecondOne) {
  // A follower far behind is sent a snapshot; until it answers, its answers to appends sent
  // earlier keep coming. Each of them used to end the wait and ask for another snapshot (under
  // load: one per append in flight, each serialized on the leader's thread).
  const std::string body(4000, 'x');  // ~16 of them fit cached_bytes_max
  DownFollower d(64 << 10, body);
  Ensemble& e = d.e;
  const MemberId leader = d.leader, f = d.f;
  const int64_t f_had = d.f_had;
  ASSERT_GT(e[leader].replica->base_zxid(), f_had);
  e.DropWhere([&](const Message& m) { return m.type == MessageType::kSnapshot; });
  e.Start(f);
  e.Tick();
  ASSERT_EQ(e.snapshots_to(f), 1);
  const int64_t floor = e[leader].replica->applied_zxid();

  Message stale;  // the answer to an append the leader sent before f went down
  stale.type = MessageType::kAppendReply;
  stale.from = f;
  stale.to = leader;
  stale.epoch = e[leader].replica->epoch();
  stale.success = true;
  stale.prev_zxid = f_had - 1;
  stale.match_zxid = f_had;
  e.Inject(stale);
  EXPECT_EQ(e.snapshots_to(f), 1);

  // Writes go on while the snapshot is on its way: what comes after it stays in memory.
  for (int i = 0; i < 8; ++i) e.Propose(leader, body);
  EXPECT_LE(e[leader].replica->base_zxid(), floor) << "dropped what the snapshot leaves to appends";

  e.DropNone();
  e.Tick(4 * 10 + 5);  // no answer: the snapshot is sent again after 4 election timeouts
  EXPECT_TRUE(e[f].replica->Synced());
  EXPECT_EQ(e[f].replica->commit_zxid(), e[leader].replica->commit_zxid());
}

TEST(ReplicaTest, ASnapshotAnsweredAfterTheRetryStillEndsTheWait) {
  // Installing a large tree can take longer than the leader waits before it sends the snapshot
  // again (4 election timeouts). Writes go on meanwhile. The first snapshot's late answer must
  // still let the follower continue by appends: the retry keeps the first floor, so the entries
  // after it are still there. When each retry took a new floor, the cache dropped what the
  // previous snapshot needed, every answer came in after the next retry and was taken for a
  // stale one, and a snapshot went out every 4 election timeouts for as long as the writes
  // lasted.
  const std::string body(4000, 'x');
  DownFollower d(64 << 10, body);
  Ensemble& e = d.e;
  const MemberId leader = d.leader, f = d.f;
  EXPECT_LE(e[leader].replica->cached_entries(), 16u) << "kept more than cached_bytes_max";
  // Past the leader's resend timeout (4 election timeouts), so every answer misses the retry.
  const int delay_ticks = 4 * DownFollower::Options(0).election_timeout_ticks + 5;
  e.DelayWhere([&](const Message& m) { return m.from == f && m.to == leader; }, delay_ticks);
  e.Start(f);
  for (int i = 0; i < 8 * delay_ticks; ++i) {
    e.Propose(leader, "w");
    e.Tick();
  }
  EXPECT_LE(e.snapshots_to(f), 2);
  e.DelayWhere(nullptr, 0);
  e.Tick(2 * delay_ticks);
  EXPECT_TRUE(e[f].replica->Synced());
  EXPECT_EQ(e[f].replica->commit_zxid(), e[leader].replica->commit_zxid());
}

TEST(ReplicaTest, MinorityCannotCommit) {
  Ensemble e(5);
  MemberId leader = e.AwaitLeader();
  e.Tick(2);
  int64_t commit_before = e[leader].replica->commit_zxid();
  // Cut the leader from three of the four others: it keeps one follower, two of five.
  int cut = 0;
  for (MemberId id : e.ids()) {
    if (id != leader && cut < 3) {
      e.Cut(leader, id);
      cut++;
    }
  }
  e.Propose(leader, "minority");
  e.Tick(3);
  EXPECT_EQ(e[leader].replica->commit_zxid(), commit_before);
}

TEST(ReplicaTest, ProposeOnAFollowerIsRefused) {
  Ensemble e(3);
  MemberId leader = e.AwaitLeader();
  MemberId f = leader == 1 ? 2 : 1;
  Txn t;
  auto r = e[f].replica->Propose(t);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kFailedPrecondition);
}

// --- membership edge cases the simulator found (docs/membership.md) -------------------------

namespace membership_cases {

Txn ReconfigEntry(int64_t zxid, const std::string& config_text) {
  Txn t;
  t.zxid = zxid;
  t.type = zk::kReconfig;
  t.request = config_text;
  return t;
}

Txn EpochStart(int64_t epoch) {
  Txn t;
  t.zxid = MakeZxid(epoch, 0);
  t.type = kTxnEpochStart;
  return t;
}

std::unique_ptr<Replica> Make(MemberId id, std::vector<MemberId> voters, RecoveredLog log,
                              HardState hard, env::Random* random) {
  ReplicaOptions o;
  o.id = id;
  o.voters = std::move(voters);
  o.election_timeout_ticks = 10;
  return std::make_unique<Replica>(o, hard, std::move(log), random);
}

std::vector<Message> Drain(Replica* r) {
  std::vector<Message> out;
  while (r->HasReady()) {
    Ready rd = r->TakeReady();
    for (auto& m : rd.messages_now) out.push_back(m);
    for (auto& m : rd.messages) out.push_back(m);
    r->Advance(rd);
  }
  return out;
}

Message VoteRequest(MemberId from, MemberId to, int64_t epoch, int64_t last_zxid) {
  Message m;
  m.type = MessageType::kVoteRequest;
  m.from = from;
  m.to = to;
  m.epoch = epoch;
  m.last_zxid = last_zxid;
  return m;
}

TEST(ReplicaMembershipTest, ASingleVoterLeadsOnlyOnceItsVoteIsDurable) {
  // Leading before the epoch is on disk, a crash could lead the same epoch again with
  // different entries under the same zxids.
  env::SeededRandom random(3);
  auto r = Make(1, {1}, RecoveredLog{}, HardState{}, &random);
  for (int i = 0; i < 40 && r->role() != Role::kCandidate; ++i) r->Tick();
  ASSERT_EQ(r->role(), Role::kCandidate);
  Ready rd = r->TakeReady();
  ASSERT_TRUE(rd.hard_state.has_value());
  EXPECT_EQ(rd.hard_state->voted_for, 1);
  EXPECT_EQ(r->role(), Role::kCandidate);  // not before the driver says it is durable
  r->Advance(rd);
  EXPECT_EQ(r->role(), Role::kLeader);
}

TEST(ReplicaMembershipTest, AMemberItsNewestConfigurationMadeAnObserverStillVotesAndCampaigns) {
  // Member 3 holds an uncommitted entry that makes it an observer and leaves member 2 the only
  // voter; member 2 lacks that entry, so it counts voters {2,3} and needs member 3's vote.
  env::SeededRandom random(5);
  RecoveredLog log;
  log.entries = {EpochStart(1), ReconfigEntry(MakeZxid(1, 1),
                                              "server.2=127.0.0.1:1:2:participant\n"
                                              "server.3=127.0.0.1:3:4:observer\n")};
  HardState hard;
  hard.epoch = 1;
  auto r = Make(3, {2, 3}, log, hard, &random);
  EXPECT_EQ(r->role(), Role::kObserver);
  Drain(r.get());
  r->Step(VoteRequest(2, 3, 2, MakeZxid(1, 1)));
  std::vector<Message> out = Drain(r.get());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, MessageType::kVoteReply);
  EXPECT_TRUE(out[0].granted);
  // And with no leader it campaigns itself, asking the new configuration's voter (Raft
  // thesis §4.2.2): it may be the only member that can bring the entry to a majority.
  auto s = Make(3, {2, 3}, log, hard, &random);
  std::vector<Message> asked;
  for (int i = 0; i < 40 && asked.empty(); ++i) {
    s->Tick();
    for (const Message& m : Drain(s.get())) {
      if (m.type == MessageType::kVoteRequest) asked.push_back(m);
    }
  }
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].to, 2);
}

TEST(ReplicaMembershipTest, ANeverConfiguredMemberWithNoLogGetsNoAnswer) {
  env::SeededRandom random(9);
  auto r = Make(1, {1, 2, 3}, RecoveredLog{}, HardState{}, &random);
  Drain(r.get());
  Message pre = VoteRequest(4, 1, 1, 0);
  pre.pre_vote = true;
  r->Step(pre);
  EXPECT_TRUE(Drain(r.get()).empty());
  r->Step(VoteRequest(4, 1, 1, 0));
  EXPECT_TRUE(Drain(r.get()).empty());
  EXPECT_EQ(r->epoch(), 0);  // not even its epoch moved
  // A member this one does not list, but that holds the ensemble's log, is answered: a
  // configuration not received here yet may have made it a voter.
  r->Step(VoteRequest(4, 1, 1, MakeZxid(1, 5)));
  std::vector<Message> out = Drain(r.get());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].granted);
}

TEST(ReplicaMembershipTest, AppendsFromALeaderNotInTheMembershipAreFollowed) {
  // Member 3 knows voters {1,3}; member 2 was added by an entry it has not received and now
  // leads epoch 2. Its appends are how member 3 learns the configuration.
  env::SeededRandom random(11);
  HardState hard;
  hard.epoch = 1;
  RecoveredLog log;
  log.entries = {EpochStart(1)};
  auto r = Make(3, {1, 3}, log, hard, &random);
  Drain(r.get());
  Message append;
  append.type = MessageType::kAppend;
  append.from = 2;
  append.to = 3;
  append.epoch = 2;
  append.prev_zxid = MakeZxid(1, 0);
  append.entries = {ReconfigEntry(MakeZxid(2, 1),
                                  "server.1=127.0.0.1:1:2:participant\n"
                                  "server.2=127.0.0.1:3:4:participant\n"
                                  "server.3=127.0.0.1:5:6:participant\n")};
  r->Step(append);
  EXPECT_EQ(r->leader(), 2);
  EXPECT_EQ(r->epoch(), 2);
  EXPECT_TRUE(r->membership().IsVoter(2));
}

}  // namespace membership_cases

}  // namespace
}  // namespace corral::consensus
