// The reconcile plan, one transition per row: what the operator does (and refuses to do) for a
// desired Ensemble and an observed world. Pure function, so no cluster and no clock.
#include "plan/plan.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "plan/names.h"

namespace corral::op {
namespace {

using Kind = Action::Kind;

Desired Spec(int replicas) {
  Desired d;
  d.name = "zk";
  d.ns = "prod";
  d.generation = 7;
  d.replicas = replicas;
  d.image = "corral:2";
  return d;
}

// A bootstrapped ensemble of `n` voters, all serving, `leader` leading, every pod on revision
// "r1", which is also the StatefulSet's update revision.
Observed Healthy(int n, int leader = 1) {
  Observed o;
  o.bootstrapped = true;
  o.statefulset = {true, n, n, "r1", "r1", "corral:2"};
  o.current_image = "corral:2";
  o.config.known = true;
  o.config.version = 0x100000000;
  for (int ord = 0; ord < n; ++ord) {
    const int id = IdOfOrdinal(ord);
    o.pods.push_back(
        {PodName("zk", ord), ord, "10.0.0." + std::to_string(ord + 10), true, false, "r1"});
    ObservedMember m;
    m.id = id;
    m.reachable = m.serving = true;
    m.role = id == leader ? Role::kLeader : Role::kFollower;
    m.zxid = 0x100000005;
    m.config_version = m.committed_config_version = o.config.version;
    o.members[id] = m;
    o.config.voters.insert(id);
    o.claims.push_back({DataClaimName("zk", ord), ord});
  }
  return o;
}

void SetServing(Observed* o, int id, bool serving) {
  o->members[id].serving = serving;
  for (ObservedPod& p : o->pods) {
    if (p.ordinal == OrdinalOfId(id)) p.ready = serving;
  }
}

// A pod started by the StatefulSet for a member not in the configuration: its server answers
// but serves nobody (it waits, as an observer nobody added yet, or removed).
void AddLearner(Observed* o, int id) {
  const int ord = OrdinalOfId(id);
  o->statefulset.replicas = std::max(o->statefulset.replicas, id);
  o->pods.push_back({PodName("zk", ord), ord, "10.0.0.99", false, false, "r1"});
  ObservedMember m;
  m.id = id;
  m.reachable = true;
  m.role = Role::kLooking;
  o->members[id] = m;
  o->claims.push_back({DataClaimName("zk", ord), ord});
}

// Makes the live configuration `voters` and `observers` (as if a reconfig committed and every
// member applied it): voters serve, observers serve once `observers_synced`.
void SetConfig(Observed* o, std::set<int> voters, std::set<int> observers = {},
               bool observers_synced = false) {
  o->config.voters = voters;
  o->config.observers = observers;
  o->config.version += 1;
  for (auto& [id, m] : o->members) {
    m.config_version = m.committed_config_version = o->config.version;
    const bool voter = voters.count(id) != 0, observer = observers.count(id) != 0;
    m.serving = m.reachable && (voter || (observer && observers_synced));
    if (voter && m.role != Role::kLeader) m.role = Role::kFollower;
    if (observer) m.role = observers_synced ? Role::kObserver : Role::kLooking;
    if (!voter && !observer) m.role = Role::kLooking;
  }
  for (ObservedPod& p : o->pods) p.ready = o->members[IdOfOrdinal(p.ordinal)].serving;
}

void SetVoters(Observed* o, std::set<int> voters) { SetConfig(o, voters); }

void RemovePod(Observed* o, int ordinal) {
  std::erase_if(o->pods, [&](const ObservedPod& p) { return p.ordinal == ordinal; });
  o->members.erase(IdOfOrdinal(ordinal));
}

std::vector<Action> Of(const ReconcilePlan& p, Kind kind) {
  std::vector<Action> out;
  for (const Action& a : p.actions) {
    if (a.kind == kind) out.push_back(a);
  }
  return out;
}

// The names of the claims the plan deletes, in order.
std::vector<std::string> DeletedClaims(const ReconcilePlan& p) {
  std::vector<std::string> names;
  for (const Action& a : Of(p, Kind::kDeleteClaim)) names.push_back(a.name);
  return names;
}

// The member the plan reconfigures out (0: none).
int64_t ReconfigRemoved(const ReconcilePlan& p) {
  auto removes = Of(p, Kind::kReconfigRemove);
  return removes.empty() ? 0 : removes[0].id;
}

int StsReplicas(const ReconcilePlan& p) {
  auto sts = Of(p, Kind::kApplyStatefulSet);
  EXPECT_EQ(sts.size(), 1u);
  return sts.empty() ? -1 : sts[0].replicas;
}

std::string Reason(const ReconcilePlan& p, const std::string& type) {
  const Condition* c = p.FindCondition(type);
  return c == nullptr ? "" : c->status + "/" + c->reason;
}

bool HasEvent(const ReconcilePlan& p, const std::string& reason) {
  for (const Action& a : Of(p, Kind::kEvent)) {
    if (a.reason == reason) return true;
  }
  return false;
}

// Every plan, whatever the input: at most one voter change, and never a voter change together
// with a pod restart.
void ExpectOneChange(const ReconcilePlan& p) {
  const int reconfigs = p.Count(Kind::kReconfigAdd) + p.Count(Kind::kReconfigRemove);
  EXPECT_LE(reconfigs, 1);
  EXPECT_LE(p.Count(Kind::kDeletePod), 1);
  EXPECT_FALSE(reconfigs > 0 && p.Count(Kind::kDeletePod) > 0);
}

ReconcilePlan PlanChecked(const Desired& d, const Observed& o) {
  ReconcilePlan p = Plan(d, o);
  ExpectOneChange(p);
  EXPECT_EQ(p.status.observed_generation, d.generation);
  EXPECT_EQ(p.status.conditions.size(), 3u);
  return p;
}

// ---- Bootstrap ----------------------------------------------------------------------------

TEST(PlanBootstrap, NewEnsembleCreatesTheStatefulSetWithEveryInitialVoter) {
  Observed o;  // nothing exists, status empty
  ReconcilePlan p = PlanChecked(Spec(3), o);
  EXPECT_EQ(StsReplicas(p), 3);
  EXPECT_EQ(p.config_members, (std::set<int>{1, 2, 3}));
  EXPECT_EQ(p.Count(Kind::kReconfigAdd), 0);
  EXPECT_FALSE(p.status.bootstrapped);
  EXPECT_EQ(p.status.phase, "Bootstrapping");
  EXPECT_EQ(Reason(p, "Progressing"), "True/Bootstrapping");
  EXPECT_EQ(Reason(p, "Ready"), "False/Bootstrapping");
  EXPECT_TRUE(HasEvent(p, "Bootstrapping"));
  EXPECT_TRUE(p.requeue);
  EXPECT_EQ(p.Count(Kind::kApplyChildren), 1);
  EXPECT_EQ(p.Count(Kind::kAddFinalizer), 0) << "Retain needs no finalizer";
}

TEST(PlanBootstrap, RecordedOnceTheFirstQuorumServes) {
  Observed o = Healthy(3);
  o.bootstrapped = false;
  o.phase = "Bootstrapping";
  ReconcilePlan p = PlanChecked(Spec(3), o);
  EXPECT_TRUE(p.status.bootstrapped);
  EXPECT_EQ(p.status.phase, "Running");
  EXPECT_TRUE(HasEvent(p, "Bootstrapped"));
  EXPECT_TRUE(p.status_first) << "recorded before anything else happens";
  EXPECT_EQ(Reason(p, "Ready"), "True/QuorumAvailable");
}

TEST(PlanBootstrap, NotRecordedWhileMembersCannotBeReached) {
  // Pods exist and even look Ready, but no member answered: nothing is inferred.
  Observed o = Healthy(3);
  o.bootstrapped = false;
  o.members.clear();
  o.config = {};
  ReconcilePlan p = PlanChecked(Spec(3), o);
  EXPECT_FALSE(p.status.bootstrapped);
  EXPECT_EQ(p.status.phase, "Bootstrapping");
  EXPECT_EQ(p.Count(Kind::kReconfigAdd) + p.Count(Kind::kReconfigRemove), 0);
}

TEST(PlanBootstrap, InitialSizeIsRecordedBeforeTheStatefulSetExists) {
  ReconcilePlan p = PlanChecked(Spec(3), Observed{});
  EXPECT_TRUE(p.status_first) << "the size of the first configuration is recorded first";
  EXPECT_EQ(p.status.replicas, 3);
}

TEST(PlanBootstrap, InitialSizeIsFixedOnceRecorded) {
  // replicas went 3 -> 5 while bootstrapping, or someone scaled the StatefulSet to 7: the
  // first configuration stays {1,2,3}; the others join one at a time after bootstrap. Never two
  // initial configurations.
  Observed o;
  o.statefulset = {true, 3, 0, "r1", "r1", "corral:2"};
  o.status_replicas = 3;
  o.phase = "Bootstrapping";
  for (int sts : {3, 7}) {
    o.statefulset.replicas = sts;
    ReconcilePlan p = PlanChecked(Spec(5), o);
    EXPECT_EQ(StsReplicas(p), 3);
    EXPECT_EQ(p.config_members, (std::set<int>{1, 2, 3}));
    EXPECT_FALSE(p.status_first);
  }
}

TEST(PlanBootstrap, ExistingConfigurationIsAdoptedNotBootstrappedAgain) {
  // status.bootstrapped was lost but members run {1,2,3}: record it, keep going.
  Observed o = Healthy(3);
  o.bootstrapped = false;
  o.statefulset.exists = true;
  ReconcilePlan p = PlanChecked(Spec(5), o);
  EXPECT_TRUE(p.status.bootstrapped);
  EXPECT_TRUE(p.status_first);
  EXPECT_TRUE(HasEvent(p, "Adopted"));
  EXPECT_FALSE(HasEvent(p, "Bootstrapping"));
  EXPECT_EQ(StsReplicas(p), 4) << "then scales as any bootstrapped ensemble";
}

// ---- Steady state ---------------------------------------------------------------------------

TEST(PlanSteady, NothingToDo) {
  ReconcilePlan p = PlanChecked(Spec(3), Healthy(3));
  EXPECT_EQ(StsReplicas(p), 3);
  EXPECT_EQ(p.Count(Kind::kEvent), 0);
  EXPECT_EQ(p.Count(Kind::kDeletePod), 0);
  EXPECT_EQ(p.status.phase, "Running");
  EXPECT_EQ(Reason(p, "Ready"), "True/QuorumAvailable");
  EXPECT_EQ(Reason(p, "Progressing"), "False/Reconciled");
  EXPECT_EQ(Reason(p, "Degraded"), "False/AllMembersServing");
  EXPECT_EQ(p.status.replicas, 3);
  EXPECT_EQ(p.status.ready_replicas, 3);
  EXPECT_EQ(p.status.leader, "zk-0");
  EXPECT_EQ(p.status.members.size(), 3u);
  EXPECT_EQ(p.status.members[0].role, "Leader");
  EXPECT_EQ(p.status.members[1].role, "Follower");
  EXPECT_EQ(p.config_members, (std::set<int>{1, 2, 3}));
  EXPECT_FALSE(p.requeue);
}

// ---- Scale up 3 -> 5, one voter at a time ---------------------------------------------------

TEST(PlanScaleUp, ThreeToFiveOneVoterAtATime) {
  Desired d = Spec(5);
  Observed o = Healthy(3);
  const auto participant = [](int id) {
    return "zk-" + std::to_string(id - 1) + ".zk-headless.prod.svc:2888:3888:participant;2181";
  };
  const auto observer = [](int id) {
    return "zk-" + std::to_string(id - 1) + ".zk-headless.prod.svc:2888:3888:observer;2181";
  };
  struct Row {
    const char* what;
    std::function<void(Observed*)> world;
    int sts;
    std::string reconfig_add;  // the server spec added, "" for none
    std::set<int> config_members;
    std::set<int> config_observers;
    const char* event;  // "" for none
  };
  std::vector<Row> rows = {
      {"start pod 3 for voter 4, listed as an observer",
       [](Observed*) {},
       4,
       "",
       {1, 2, 3, 4},
       {4},
       "AddingMember"},
      {"pod 3 scheduled, its server not answering yet",
       [](Observed* o) {
         AddLearner(o, 4);
         o->members[4].reachable = false;
       },
       4,
       "",
       {1, 2, 3, 4},
       {4},
       ""},
      {"its server answers: reconfig it in as an observer",
       [](Observed* o) { o->members[4].reachable = true; },
       4,
       observer(4),
       {1, 2, 3, 4},
       {4},
       "AddingMember"},
      {"an observer, catching up: wait",
       [](Observed* o) {
         SetConfig(o, {1, 2, 3}, {4});
       },
       4,
       "",
       {1, 2, 3, 4},
       {4},
       ""},
      {"serving as an observer: promote it to voter",
       [](Observed* o) {
         SetConfig(o, {1, 2, 3}, {4}, true);
       },
       4,
       participant(4),
       {1, 2, 3, 4},
       {4},
       "PromotingMember"},
      {"promotion in flight on the leader: wait",
       [](Observed* o) {
         o->config.voters = {1, 2, 3, 4};
         o->config.observers = {};
         o->members[1].config_version += 1;  // the leader counts with the uncommitted one
       },
       4,
       "",
       {1, 2, 3, 4},
       {},
       "ReconfigInProgress"},
      {"committed, but member 4 still observing: wait",
       [](Observed* o) {
         SetConfig(o, {1, 2, 3, 4});
         o->members[4].role = Role::kObserver;
       },
       4,
       "",
       {1, 2, 3, 4},
       {},
       "ReconfigInProgress"},
      {"4 follows: start pod 4 for voter 5",
       [](Observed* o) { o->members[4].role = Role::kFollower; },
       5,
       "",
       {1, 2, 3, 4, 5},
       {5},
       "AddingMember"},
      {"5's server answers: as an observer",
       [](Observed* o) { AddLearner(o, 5); },
       5,
       observer(5),
       {1, 2, 3, 4, 5},
       {5},
       "AddingMember"},
      {"5 serves as an observer: promote",
       [](Observed* o) {
         SetConfig(o, {1, 2, 3, 4}, {5}, true);
       },
       5,
       participant(5),
       {1, 2, 3, 4, 5},
       {5},
       "PromotingMember"},
      {"5 a voter: done",
       [](Observed* o) {
         SetVoters(o, {1, 2, 3, 4, 5});
       },
       5,
       "",
       {1, 2, 3, 4, 5},
       {},
       ""},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    row.world(&o);
    ReconcilePlan p = PlanChecked(d, o);
    EXPECT_EQ(StsReplicas(p), row.sts);
    auto adds = Of(p, Kind::kReconfigAdd);
    EXPECT_EQ(adds.empty() ? "" : adds[0].server, row.reconfig_add);
    EXPECT_EQ(p.config_members, row.config_members);
    EXPECT_EQ(p.config_observers, row.config_observers);
    EXPECT_EQ(p.Count(Kind::kReconfigRemove), 0);
    EXPECT_EQ(p.Count(Kind::kDeletePod), 0);
    std::string events;
    for (const Action& a : Of(p, Kind::kEvent)) events += a.reason;
    EXPECT_EQ(events, row.event);
    if (o.config.voters.size() == 5 && row.reconfig_add.empty()) {
      EXPECT_EQ(p.status.phase, "Running");
      EXPECT_FALSE(p.requeue);
    } else {
      EXPECT_EQ(p.status.phase, "Scaling");
      // While the change before settles, voter 5 waits, and the condition says why.
      EXPECT_EQ(Reason(p, "Progressing").substr(0, 5),
                std::string(row.event) == "ReconfigInProgress" ? "False" : "True/");
      EXPECT_TRUE(p.requeue);
    }
  }
}

TEST(PlanScaleUp, OneToThreeGoesThroughAnObserverEachTime) {
  // A second voter added to one: the new majority is both, so it must be caught up before it
  // votes (corral-server refuses NEWCONFIGNOQUORUM otherwise): it is an observer first.
  Observed o = Healthy(1);
  ReconcilePlan p = PlanChecked(Spec(3), o);
  EXPECT_EQ(StsReplicas(p), 2);
  AddLearner(&o, 2);
  p = PlanChecked(Spec(3), o);
  ASSERT_EQ(p.Count(Kind::kReconfigAdd), 1);
  EXPECT_NE(Of(p, Kind::kReconfigAdd)[0].server.find(":observer;"), std::string::npos);
  SetConfig(&o, {1}, {2}, true);
  p = PlanChecked(Spec(3), o);
  ASSERT_EQ(p.Count(Kind::kReconfigAdd), 1);
  EXPECT_NE(Of(p, Kind::kReconfigAdd)[0].server.find(":participant;"), std::string::npos);
}

TEST(PlanScaleUp, RefusedStepsLeaveTheJoiningMemberWhereItIs) {
  struct Row {
    const char* what;
    std::function<void(Observed*)> world;
    std::string progressing;
    int sts;
  };
  std::vector<Row> rows = {
      {"below quorum: no new pod",
       [](Observed* o) {
         SetServing(o, 2, false);
         SetServing(o, 3, false);
       },
       "False/QuorumLost", 3},
      {"a voter unsynced: not added as an observer",
       [](Observed* o) {
         AddLearner(o, 4);
         SetServing(o, 2, false);
       },
       "False/MembersNotInSync", 4},
      {"a voter unsynced: an observer is not promoted",
       [](Observed* o) {
         AddLearner(o, 4);
         SetConfig(o, {1, 2, 3}, {4}, true);
         SetServing(o, 3, false);
       },
       "False/MembersNotInSync", 4},
      {"another reconfig in flight: no observer added",
       [](Observed* o) {
         AddLearner(o, 4);
         o->members[2].config_version += 1;
       },
       "False/ReconfigInProgress", 4},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    Observed o = Healthy(3);
    row.world(&o);
    ReconcilePlan p = PlanChecked(Spec(5), o);
    EXPECT_EQ(p.Count(Kind::kReconfigAdd) + p.Count(Kind::kReconfigRemove), 0);
    EXPECT_EQ(Reason(p, "Progressing"), row.progressing);
    EXPECT_EQ(StsReplicas(p), row.sts) << "a started member keeps its pod, none is started";
  }
}

TEST(PlanScaleUp, UndoneHalfWayTheObserverIsRemovedThenItsPod) {
  // replicas 3 -> 5 -> 3 while voter 4 was still an observer.
  Observed o = Healthy(3);
  AddLearner(&o, 4);
  SetConfig(&o, {1, 2, 3}, {4}, true);
  ReconcilePlan p = PlanChecked(Spec(3), o);
  ASSERT_EQ(p.Count(Kind::kReconfigRemove), 1);
  EXPECT_EQ(Of(p, Kind::kReconfigRemove)[0].id, 4);
  EXPECT_EQ(StsReplicas(p), 4) << "its pod stays until it is out";
  EXPECT_TRUE(HasEvent(p, "RemovingMember"));
  SetConfig(&o, {1, 2, 3});
  p = PlanChecked(Spec(3), o);
  EXPECT_EQ(p.Count(Kind::kReconfigRemove), 0);
  EXPECT_EQ(StsReplicas(p), 3);
  EXPECT_EQ(p.status.scale_ins, (std::set<int>{3}));
}

// ---- Scale down 5 -> 3: reconfig out first, then shrink, then claims -----------------------

TEST(PlanScaleDown, FiveToThreeReconfiguresOutBeforeShrinking) {
  Desired d = Spec(3);
  d.data_reclaim = ReclaimPolicy::kDelete;
  d.has_finalizer = true;
  Observed o = Healthy(5);
  struct Row {
    const char* what;
    std::function<void(Observed*)> world;
    int sts;
    int reconfig_remove;
    std::set<int> scale_ins;
    std::vector<std::string> claims_deleted;
  };
  std::vector<Row> rows = {
      {"remove voter 5; the StatefulSet keeps its pod", [](Observed*) {}, 5, 5, {}, {}},
      {"5 is out: shrink to 4 (recorded) and remove voter 4",
       [](Observed* o) {
         SetVoters(o, {1, 2, 3, 4});
       },
       4,
       4,
       {4},
       {}},
      {"pod 4 gone: its claim deleted; 4 out: shrink to 3",
       [](Observed* o) {
         o->statefulset.replicas = 4;
         RemovePod(o, 4);
         SetVoters(o, {1, 2, 3});
       },
       3,
       0,
       {3, 4},
       {"data-zk-4"}},
      {"pod 3 gone: its claim deleted, 4's record dropped",
       [](Observed* o) {
         o->statefulset.replicas = 3;
         RemovePod(o, 3);
         std::erase_if(o->claims, [](const ObservedClaim& c) { return c.ordinal == 4; });
         o->scale_ins = {3, 4};
       },
       3,
       0,
       {3},
       {"data-zk-3"}},
      {"all claims gone: steady",
       [](Observed* o) {
         std::erase_if(o->claims, [](const ObservedClaim& c) { return c.ordinal == 3; });
         o->scale_ins = {3};
       },
       3,
       0,
       {},
       {}},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    row.world(&o);
    ReconcilePlan p = PlanChecked(d, o);
    EXPECT_EQ(StsReplicas(p), row.sts);
    EXPECT_EQ(ReconfigRemoved(p), row.reconfig_remove);
    EXPECT_EQ(p.status.scale_ins, row.scale_ins);
    EXPECT_EQ(DeletedClaims(p), row.claims_deleted);
    // Never shrink below a current voter.
    EXPECT_GE(StsReplicas(p), *o.config.voters.rbegin());
    if (row.sts < o.statefulset.replicas) {
      EXPECT_TRUE(p.status_first) << "the scale-in is recorded before the StatefulSet shrinks";
    }
    o.scale_ins = p.status.scale_ins;
  }
}

TEST(PlanScaleDown, ThePodGoesOnlyOnceTheRemovalIsCommittedEverywhere) {
  // reconfig -remove 5 was sent: the leader counts with {1,2,3,4}, committed is still the old
  // configuration. The StatefulSet keeps pod 4 until the removal has committed and every voter
  // counts with it; then it shrinks, recorded first.
  Observed o = Healthy(5);
  o.config.voters = {1, 2, 3, 4};
  o.members[1].config_version = o.config.version + 1;
  ReconcilePlan p = PlanChecked(Spec(3), o);
  EXPECT_EQ(StsReplicas(p), 5);
  EXPECT_EQ(p.Count(Kind::kReconfigRemove), 0) << "no second change while one is in flight";
  EXPECT_EQ(Reason(p, "Progressing"), "False/ReconfigInProgress");
  EXPECT_TRUE(p.status.scale_ins.empty());

  o.config.version += 1;  // committed; member 3 has not applied it yet
  o.members[1].committed_config_version = o.config.version;
  for (int id : {2, 4, 5}) o.members[id].config_version = o.config.version;
  p = PlanChecked(Spec(3), o);
  EXPECT_EQ(StsReplicas(p), 5);

  o.members[3].config_version = o.config.version;
  p = PlanChecked(Spec(3), o);
  EXPECT_EQ(StsReplicas(p), 4);
  EXPECT_EQ(p.status.scale_ins, (std::set<int>{4}));
  EXPECT_TRUE(p.status_first);
  EXPECT_EQ(Of(p, Kind::kReconfigRemove).size(), 1u) << "and voter 4 is next";
}

TEST(PlanScaleDown, LeaderIsRemovedLast) {
  Observed o = Healthy(5, /*leader=*/5);
  ReconcilePlan p = PlanChecked(Spec(3), o);
  ASSERT_EQ(p.Count(Kind::kReconfigRemove), 1);
  EXPECT_EQ(Of(p, Kind::kReconfigRemove)[0].id, 4);

  SetVoters(&o, {1, 2, 3, 5});
  o.members[5].role = Role::kLeader;
  p = PlanChecked(Spec(3), o);
  ASSERT_EQ(p.Count(Kind::kReconfigRemove), 1);
  EXPECT_EQ(Of(p, Kind::kReconfigRemove)[0].id, 5) << "only the leader is left to remove";
}

TEST(PlanScaleDown, RetainedClaimsAreKeptAndRecorded) {
  Observed o = Healthy(3);
  o.scale_ins = {3};
  o.claims.push_back({DataClaimName("zk", 3), 3});
  ReconcilePlan p = PlanChecked(Spec(3), o);  // reclaim Retain by default
  EXPECT_EQ(p.Count(Kind::kDeleteClaim), 0);
  EXPECT_EQ(p.status.scale_ins, (std::set<int>{3}));
}

TEST(PlanScaleDown, ClaimsNeverDeletedWithoutARecordedScaleIn) {
  Desired d = Spec(3);
  d.data_reclaim = ReclaimPolicy::kDelete;
  d.has_finalizer = true;
  Observed o = Healthy(3);
  o.claims.push_back({DataClaimName("zk", 3), 3});  // a claim of unknown origin
  o.claims.push_back({DataClaimName("zk", 4), 4});
  ReconcilePlan p = PlanChecked(d, o);
  EXPECT_EQ(p.Count(Kind::kDeleteClaim), 0);
}

TEST(PlanScaleUp, RejoiningMemberNeverReusesARetainedClaim) {
  // Member 4 was scaled in with Retain; scaling back up would start it on its old data and
  // configuration ("My id 4 not in the peer list"): refused until the claim is gone.
  Observed o = Healthy(3);
  o.scale_ins = {3};
  o.claims.push_back({DataClaimName("zk", 3), 3});
  ReconcilePlan p = PlanChecked(Spec(5), o);
  EXPECT_EQ(StsReplicas(p), 3);
  EXPECT_EQ(Reason(p, "Progressing"), "False/RetainedClaimOfRemovedMember");
  EXPECT_TRUE(HasEvent(p, "RetainedClaimOfRemovedMember"));

  Desired d = Spec(5);
  d.data_reclaim = ReclaimPolicy::kDelete;
  d.has_finalizer = true;
  p = PlanChecked(d, o);
  EXPECT_EQ(StsReplicas(p), 3);
  ASSERT_EQ(p.Count(Kind::kDeleteClaim), 1) << "with Delete, the stale claim goes first";
  EXPECT_EQ(Of(p, Kind::kDeleteClaim)[0].name, "data-zk-3");
}

// ---- Rolling restart and upgrade: followers first, leader last -----------------------------

TEST(PlanRestart, FollowersFirstLeaderLastEachServingBeforeTheNext) {
  Observed o = Healthy(3, /*leader=*/3);  // the leader is the highest ordinal on purpose
  o.statefulset.update_revision = "r2";
  o.statefulset.image = "corral:3";  // an image change: Upgrading
  std::vector<std::string> order;
  for (int step = 0; step < 10 && order.size() < 3; ++step) {
    ReconcilePlan p = PlanChecked(Spec(3), o);
    EXPECT_EQ(p.Count(Kind::kReconfigAdd) + p.Count(Kind::kReconfigRemove), 0);
    EXPECT_EQ(StsReplicas(p), 3);
    auto deletes = Of(p, Kind::kDeletePod);
    ASSERT_EQ(deletes.size(), 1u);
    EXPECT_EQ(p.status.phase, "Upgrading");
    EXPECT_TRUE(HasEvent(p, "UpgradingMember"));
    const std::string pod = deletes[0].name;
    order.push_back(pod);
    const int ord = pod.back() - '0';
    // The pod is deleting: nothing more is restarted.
    for (ObservedPod& x : o.pods) {
      if (x.ordinal == ord) x.deleting = true;
    }
    SetServing(&o, IdOfOrdinal(ord), false);
    if (IdOfOrdinal(ord) == 3) {
      o.members[3].role = Role::kFollower;  // the election after the leader's restart
      o.members[1].role = Role::kLeader;
    }
    p = PlanChecked(Spec(3), o);
    EXPECT_EQ(p.Count(Kind::kDeletePod), 0);
    EXPECT_EQ(Reason(p, "Progressing"), "True/Upgrading");
    EXPECT_EQ(Reason(p, "Degraded"), "False/AllMembersServing") << "a restart is no failure";
    // Back on r2 but not yet serving: still nothing.
    for (ObservedPod& x : o.pods) {
      if (x.ordinal == ord) {
        x.deleting = false;
        x.revision = "r2";
      }
    }
    p = PlanChecked(Spec(3), o);
    EXPECT_EQ(p.Count(Kind::kDeletePod), 0);
    SetServing(&o, IdOfOrdinal(ord), true);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"zk-1", "zk-0", "zk-2"}));
  ReconcilePlan done = PlanChecked(Spec(3), o);
  EXPECT_EQ(done.Count(Kind::kDeletePod), 0);
  EXPECT_EQ(done.status.current_image, "corral:3");
  EXPECT_EQ(done.status.phase, "Running");
}

TEST(PlanRestart, NewImageIsCurrentOnlyOnceTheStatefulSetControllerSawIt) {
  // The template's image changed a moment ago; the StatefulSet controller has not computed its
  // revision yet, so every pod still matches the (old) update revision. The new image is not
  // what the members run, and the rollout that follows is an upgrade.
  Observed o = Healthy(3);
  o.statefulset.image = "corral:3";
  o.statefulset.revision_current = false;
  ReconcilePlan p = PlanChecked(Spec(3), o);
  EXPECT_EQ(p.Count(Kind::kDeletePod), 0);
  EXPECT_EQ(p.status.current_image, "corral:2");
  o.statefulset.revision_current = true;
  o.statefulset.update_revision = "r2";
  p = PlanChecked(Spec(3), o);
  ASSERT_EQ(p.Count(Kind::kDeletePod), 1);
  EXPECT_EQ(p.status.phase, "Upgrading");
  EXPECT_TRUE(HasEvent(p, "UpgradingMember"));
  EXPECT_EQ(p.status.current_image, "corral:2");
}

TEST(PlanRestart, ConfigChangeIsARestartNotAnUpgrade) {
  Observed o = Healthy(3);
  o.statefulset.update_revision = "r2";
  ReconcilePlan p = PlanChecked(Spec(3), o);
  ASSERT_EQ(p.Count(Kind::kDeletePod), 1);
  EXPECT_EQ(Of(p, Kind::kDeletePod)[0].name, "zk-2");
  EXPECT_EQ(p.status.phase, "Restarting");
  EXPECT_TRUE(HasEvent(p, "RestartingMember"));
}

TEST(PlanRestart, WaitsWhileAnotherVoterIsNotServing) {
  Observed o = Healthy(3);
  o.statefulset.update_revision = "r2";
  for (ObservedPod& x : o.pods) {
    if (x.ordinal == 1) x.revision = "r2";  // already restarted but not back in sync
  }
  SetServing(&o, 2, false);
  ReconcilePlan p = PlanChecked(Spec(3), o);
  EXPECT_EQ(p.Count(Kind::kDeletePod), 0);
  EXPECT_EQ(Reason(p, "Progressing"), "False/MembersNotInSync");
}

TEST(PlanRestart, WaitsForTheRestartedMembersPodToBeReady) {
  // The restarted member serves (its admin API says so) before its readiness probe has run:
  // until its pod is Ready, Kubernetes (the PDB, the client Service) counts it as down.
  Observed o = Healthy(3);
  o.statefulset.update_revision = "r2";
  for (ObservedPod& x : o.pods) {
    if (x.ordinal == 2) {
      x.revision = "r2";
      x.ready = false;
    }
  }
  ReconcilePlan p = PlanChecked(Spec(3), o);
  EXPECT_EQ(p.Count(Kind::kDeletePod), 0);
  EXPECT_EQ(Reason(p, "Progressing"), "True/Restarting");
  EXPECT_TRUE(p.requeue);
  for (ObservedPod& x : o.pods) x.ready = true;
  p = PlanChecked(Spec(3), o);
  ASSERT_EQ(p.Count(Kind::kDeletePod), 1);
  EXPECT_EQ(Of(p, Kind::kDeletePod)[0].name, "zk-1");
}

TEST(PlanRestart, MemberNotServingOnAnOldRevisionIsRestartedAtOnce) {
  // A rollout stuck on a bad image: restarting a member that does not serve takes nothing away.
  Observed o = Healthy(3);
  o.statefulset.update_revision = "r2";
  SetServing(&o, 2, false);
  ReconcilePlan p = PlanChecked(Spec(3), o);
  ASSERT_EQ(p.Count(Kind::kDeletePod), 1);
  EXPECT_EQ(Of(p, Kind::kDeletePod)[0].name, "zk-1");
}

TEST(PlanRestart, AMemberThatDoesNotAnswerIsNoFreeRestart) {
  // zk-2 was just recreated on the new revision and is still syncing; the admin probe of
  // outdated zk-0 timed out. That says nothing about whether zk-0 serves: deleting it could
  // leave one of three voters. Also when zk-0 is the leader (then no leader is known).
  for (int leader : {1, 2}) {
    SCOPED_TRACE(leader);
    Observed o = Healthy(3, leader);
    o.statefulset.update_revision = "r2";
    for (ObservedPod& x : o.pods) {
      if (x.ordinal == 2) x.revision = "r2";
    }
    SetServing(&o, 3, false);
    o.members[1].reachable = false;
    o.members[1].serving = false;
    ReconcilePlan p = PlanChecked(Spec(3), o);
    EXPECT_EQ(p.Count(Kind::kDeletePod), 0);
    EXPECT_EQ(Reason(p, "Progressing").substr(0, 6), "False/");
  }
}

TEST(PlanRestart, AMemberNotServingWaitsWhileAnotherVotersPodIsNotReady) {
  // zk-0 answers and does not serve; zk-2, restarted, serves but its pod is not Ready yet:
  // Kubernetes counts zk-2 as down, so zk-0 is no free restart either.
  Observed o = Healthy(3);
  o.statefulset.update_revision = "r2";
  SetServing(&o, 1, false);
  for (ObservedPod& x : o.pods) {
    if (x.ordinal == 2) {
      x.revision = "r2";
      x.ready = false;
    }
  }
  ReconcilePlan p = PlanChecked(Spec(3), o);
  EXPECT_EQ(p.Count(Kind::kDeletePod), 0);
  // Five voters: zk-0 does not serve, zk-1's admin probe timed out (its pod is Ready). The
  // voters known to serve besides zk-0 are three, a quorum: zk-0 goes out of turn.
  o = Healthy(5, /*leader=*/5);
  o.statefulset.update_revision = "r2";
  SetServing(&o, 1, false);
  o.members[2].reachable = o.members[2].serving = false;
  p = PlanChecked(Spec(5), o);
  ASSERT_EQ(p.Count(Kind::kDeletePod), 1);
  EXPECT_EQ(Of(p, Kind::kDeletePod)[0].name, "zk-0");
  // Not once they are two (zk-2 stopped serving; Kubernetes has not noticed yet).
  o.members[3].serving = false;
  p = PlanChecked(Spec(5), o);
  EXPECT_EQ(p.Count(Kind::kDeletePod), 0);
}

TEST(PlanRestart, ServingMembersWhosePodsNeverTurnReadyAreRestartedInOrder) {
  // The old template's readiness probe is broken (the new one fixes it): every member serves,
  // no pod is ever Ready. Kubernetes counts them all down already, so restarting them in the
  // usual order, one at a time while every voter serves, takes nothing more away.
  Observed o = Healthy(3, /*leader=*/3);
  o.statefulset.update_revision = "r2";
  for (ObservedPod& x : o.pods) x.ready = false;
  std::vector<std::string> order;
  for (int step = 0; step < 6 && order.size() < 3; ++step) {
    ReconcilePlan p = PlanChecked(Spec(3), o);
    auto deletes = Of(p, Kind::kDeletePod);
    ASSERT_EQ(deletes.size(), 1u);
    order.push_back(deletes[0].name);
    // Back on r2 and serving, its (fixed) probe not run yet: it holds the next one.
    for (ObservedPod& x : o.pods) {
      if (x.name == deletes[0].name) x.revision = "r2";
    }
    p = PlanChecked(Spec(3), o);
    EXPECT_EQ(p.Count(Kind::kDeletePod), 0);
    if (order.size() < 3) {
      EXPECT_EQ(Reason(p, "Progressing"), "True/Restarting");
    }
    for (ObservedPod& x : o.pods) {
      if (x.name == deletes[0].name) x.ready = true;
    }
  }
  EXPECT_EQ(order, (std::vector<std::string>{"zk-1", "zk-0", "zk-2"}));
}

// ---- Member failure: no reconfig on an ordinary restart or crash ---------------------------

TEST(PlanFailure, FailedFollowerIsReportedNeverReconfiguredOut) {
  Observed o = Healthy(3);
  SetServing(&o, 3, false);
  o.members[3].reachable = false;
  ReconcilePlan p = PlanChecked(Spec(3), o);
  EXPECT_EQ(p.Count(Kind::kReconfigRemove), 0);
  EXPECT_EQ(p.Count(Kind::kDeletePod), 0);
  EXPECT_EQ(StsReplicas(p), 3);
  EXPECT_EQ(p.config_members, (std::set<int>{1, 2, 3}));
  EXPECT_EQ(Reason(p, "Ready"), "True/QuorumAvailable");
  EXPECT_EQ(Reason(p, "Degraded"), "True/MemberUnavailable");
  EXPECT_EQ(p.status.phase, "Degraded");
  EXPECT_EQ(p.status.ready_replicas, 2);
  EXPECT_TRUE(HasEvent(p, "MemberUnavailable"));
  EXPECT_TRUE(p.requeue);

  o.condition_reasons["Degraded"] = "MemberUnavailable";
  p = PlanChecked(Spec(3), o);
  EXPECT_FALSE(HasEvent(p, "MemberUnavailable")) << "one event per change, not per reconcile";
}

TEST(PlanFailure, QuorumLostChangesNothing) {
  Observed o = Healthy(3);
  SetServing(&o, 1, false);
  SetServing(&o, 2, false);
  o.members[3].role = Role::kLooking;
  ReconcilePlan p = PlanChecked(Spec(3), o);
  EXPECT_EQ(p.status.phase, "QuorumLost");
  EXPECT_EQ(Reason(p, "Ready"), "False/QuorumLost");
  EXPECT_EQ(Reason(p, "Degraded"), "True/QuorumLost");
  EXPECT_EQ(StsReplicas(p), 3);
}

TEST(PlanFailure, UnreadableConfigurationKeepsEverythingAsItIs) {
  Observed o = Healthy(5);
  o.config = {};
  for (auto& [id, m] : o.members) m.reachable = false;
  ReconcilePlan p = PlanChecked(Spec(3), o);
  EXPECT_EQ(StsReplicas(p), 5);
  // status.replicas sizes the PodDisruptionBudget: never 0 (minAvailable 1) while quorum is
  // lost, but the voters last recorded, else the StatefulSet's size.
  EXPECT_EQ(p.status.replicas, 5);
  o.status_replicas = 4;
  EXPECT_EQ(PlanChecked(Spec(3), o).status.replicas, 4);
  EXPECT_TRUE(p.config_members.empty()) << "the ConfigMap is not rewritten blind";
  EXPECT_EQ(p.Count(Kind::kReconfigRemove), 0);
  EXPECT_EQ(p.status.phase, "QuorumLost");
  EXPECT_TRUE(p.status.bootstrapped) << "losing quorum never un-bootstraps";
}

// ---- Drift in /zookeeper/config ------------------------------------------------------------

TEST(PlanDrift, MissingVoterIsAddedBack) {
  // Someone ran `reconfig -remove 2`; member 2 still runs, removed: it comes back the way a
  // new voter does, an observer first.
  Observed o = Healthy(3);
  SetVoters(&o, {1, 3});
  ReconcilePlan p = PlanChecked(Spec(3), o);
  ASSERT_EQ(p.Count(Kind::kReconfigAdd), 1);
  EXPECT_EQ(Of(p, Kind::kReconfigAdd)[0].id, 2);
  EXPECT_NE(Of(p, Kind::kReconfigAdd)[0].server.find(":observer;"), std::string::npos);
  EXPECT_EQ(StsReplicas(p), 3);
}

TEST(PlanDrift, UnexpectedVoterIsRemovedThoughItDoesNotServe) {
  // Someone added server.4 by hand: the StatefulSet never ran it, nothing answers there, and
  // it holds back every change (a voter not serving). Removing it takes nothing away from the
  // voters that serve, so it goes, reported once as drift.
  Observed o = Healthy(3);
  o.status_config_version = o.config.version;
  ObservedMember ghost;
  ghost.id = 4;
  o.members[4] = ghost;  // unreachable
  SetVoters(&o, {1, 2, 3, 4});
  ReconcilePlan p = PlanChecked(Spec(3), o);
  ASSERT_EQ(p.Count(Kind::kReconfigRemove), 1);
  EXPECT_EQ(Of(p, Kind::kReconfigRemove)[0].id, 4);
  EXPECT_EQ(Reason(p, "Progressing"), "True/RemovingMember");
  EXPECT_TRUE(HasEvent(p, "ConfigurationDrift"));
  EXPECT_EQ(StsReplicas(p), 3) << "no pod is started for it";
  EXPECT_EQ(p.config_members, (std::set<int>{1, 2, 3, 4}));
}

// ---- Deletion and the finalizer -------------------------------------------------------------

TEST(PlanDeletion, Rows) {
  struct Row {
    const char* what;
    ReclaimPolicy data, log;
    bool has_log, has_finalizer;
    std::vector<std::string> deleted;
    bool remove_finalizer;
  };
  std::vector<Row> rows = {
      {"Retain keeps every claim",
       ReclaimPolicy::kRetain,
       ReclaimPolicy::kRetain,
       false,
       false,
       {},
       false},
      {"Delete deletes data claims",
       ReclaimPolicy::kDelete,
       ReclaimPolicy::kRetain,
       false,
       true,
       {"data-zk-0", "data-zk-1", "data-zk-2"},
       true},
      {"log Delete, data Retain",
       ReclaimPolicy::kRetain,
       ReclaimPolicy::kDelete,
       true,
       true,
       {"log-zk-0"},
       true},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    Desired d = Spec(3);
    d.deleting = true;
    d.data_reclaim = row.data;
    d.log_reclaim = row.log;
    d.has_log_volume = row.has_log;
    d.has_finalizer = row.has_finalizer;
    Observed o = Healthy(3);
    o.claims.push_back({LogClaimName("zk", 0), 0});
    ReconcilePlan p = PlanChecked(d, o);
    EXPECT_EQ(DeletedClaims(p), row.deleted);
    EXPECT_EQ(p.Count(Kind::kRemoveFinalizer), row.remove_finalizer ? 1 : 0);
    EXPECT_EQ(p.Count(Kind::kApplyStatefulSet), 0);
    EXPECT_EQ(p.Count(Kind::kApplyChildren), 0);
    EXPECT_EQ(p.status.phase, "Deleting");
  }
}

TEST(PlanDeletion, FinalizerOnlyWhenAPolicyDeletes) {
  Desired d = Spec(3);
  d.data_reclaim = ReclaimPolicy::kDelete;
  EXPECT_EQ(PlanChecked(d, Healthy(3)).Count(Kind::kAddFinalizer), 1);
  d.has_finalizer = true;
  EXPECT_EQ(PlanChecked(d, Healthy(3)).Count(Kind::kAddFinalizer), 0);
  d.data_reclaim = ReclaimPolicy::kRetain;
  EXPECT_EQ(PlanChecked(d, Healthy(3)).Count(Kind::kRemoveFinalizer), 1);
}

// ---- Unsafe changes refused -----------------------------------------------------------------

TEST(PlanRefuses, Rows) {
  struct Row {
    const char* what;
    int desired;
    std::function<void(Observed*)> world;
    std::string progressing;
    int sts;
  };
  std::vector<Row> rows = {
      {"scale down below quorum: 3 of 5 voters down", 3,
       [](Observed* o) {
         for (int id : {3, 4, 5}) SetServing(o, id, false);
       },
       "False/QuorumLost", 5},
      {"scale down with an unsynced follower", 3, [](Observed* o) { SetServing(o, 2, false); },
       "False/MembersNotInSync", 5},
      {"scale up with an unsynced follower: no new pod either", 7,
       [](Observed* o) { SetServing(o, 2, false); }, "False/MembersNotInSync", 5},
      {"scale up while a reconfig is in flight", 7,
       [](Observed* o) { o->members[3].config_version -= 1; }, "False/ReconfigInProgress", 5},
      {"scale down while a reconfig is in flight", 3,
       [](Observed* o) { o->members[2].config_version += 1; }, "False/ReconfigInProgress", 5},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    Observed o = Healthy(5);
    row.world(&o);
    ReconcilePlan p = PlanChecked(Spec(row.desired), o);
    EXPECT_EQ(p.Count(Kind::kReconfigAdd) + p.Count(Kind::kReconfigRemove), 0);
    EXPECT_EQ(Reason(p, "Progressing"), row.progressing);
    EXPECT_EQ(StsReplicas(p), row.sts);
    EXPECT_EQ(p.Count(Kind::kDeletePod), 0);
    EXPECT_TRUE(p.requeue);
    const std::string reason = row.progressing.substr(row.progressing.find('/') + 1);
    if (reason != "QuorumLost") {
      EXPECT_TRUE(HasEvent(p, reason));
    }
  }
}

TEST(PlanRefuses, TwoChangesAtOnceAreSequenced) {
  // replicas 3 -> 5 and a new image in one edit: membership first, no restart meanwhile.
  Observed o = Healthy(3);
  o.statefulset.update_revision = "r2";
  o.statefulset.image = "corral:3";
  ReconcilePlan p = PlanChecked(Spec(5), o);
  EXPECT_EQ(StsReplicas(p), 4);
  EXPECT_EQ(p.Count(Kind::kDeletePod), 0);
  AddLearner(&o, 4);
  p = PlanChecked(Spec(5), o);
  EXPECT_EQ(p.Count(Kind::kReconfigAdd), 1);
  EXPECT_EQ(p.Count(Kind::kDeletePod), 0);
  SetConfig(&o, {1, 2, 3}, {4}, true);
  p = PlanChecked(Spec(5), o);
  EXPECT_EQ(p.Count(Kind::kReconfigAdd), 1);
  EXPECT_EQ(p.Count(Kind::kDeletePod), 0);
}

TEST(PlanRefuses, ScaleDownNeverShrinksTheStatefulSetUnderAVoter) {
  // Desired 3 but voter 5 cannot be removed yet: its pod stays.
  Observed o = Healthy(5);
  SetServing(&o, 1, false);
  for (int desired : {1, 3}) {
    ReconcilePlan p = PlanChecked(Spec(desired), o);
    EXPECT_EQ(StsReplicas(p), 5);
  }
}

// ---- The reconfig credential ------------------------------------------------------------

TEST(PlanCredential, OperatorSecretIsMadeBeforeTheChildren) {
  Observed o;
  o.credential.create_operator_secret = true;
  o.credential.problem = "Secret zk-operator-auth does not exist yet";
  ReconcilePlan p = PlanChecked(Spec(3), o);
  ASSERT_EQ(p.Count(Kind::kCreateCredentialSecret), 1);
  auto index = [&](Kind k) {
    for (size_t i = 0; i < p.actions.size(); ++i) {
      if (p.actions[i].kind == k) return static_cast<int>(i);
    }
    return -1;
  };
  EXPECT_LT(index(Kind::kCreateCredentialSecret), index(Kind::kApplyChildren));
  EXPECT_LT(index(Kind::kCreateCredentialSecret), index(Kind::kApplyStatefulSet));
  EXPECT_TRUE(HasEvent(p, "CredentialCreated"));
  // Bootstrap needs no reconfig, so it goes on meanwhile.
  EXPECT_EQ(StsReplicas(p), 3);
  EXPECT_EQ(Reason(p, "Progressing"), "True/Bootstrapping");

  EXPECT_EQ(PlanChecked(Spec(3), Healthy(3)).Count(Kind::kCreateCredentialSecret), 0);
  Desired deleting = Spec(3);
  deleting.deleting = true;
  EXPECT_EQ(PlanChecked(deleting, o).Count(Kind::kCreateCredentialSecret), 0);
}

TEST(PlanCredential, WithoutOneMembershipWaitsButRestartsGoOn) {
  for (int desired : {1, 5}) {
    SCOPED_TRACE(desired);
    Observed o = Healthy(3);
    o.credential.problem = "Secret mine has no key password holding the super password";
    ReconcilePlan p = PlanChecked(Spec(desired), o);
    EXPECT_EQ(p.Count(Kind::kReconfigAdd) + p.Count(Kind::kReconfigRemove), 0);
    EXPECT_EQ(StsReplicas(p), 3) << "no pod is started that could not be added";
    EXPECT_EQ(Reason(p, "Progressing"), "False/NoReconfigCredential");
    EXPECT_NE(p.FindCondition("Progressing")->message.find("no key password"), std::string::npos);
    EXPECT_TRUE(HasEvent(p, "NoReconfigCredential"));
    EXPECT_EQ(Reason(p, "Ready"), "True/QuorumAvailable");
  }
  Observed o = Healthy(3);
  o.credential.problem = "no password";
  o.statefulset.update_revision = "r2";
  ReconcilePlan p = PlanChecked(Spec(3), o);
  EXPECT_EQ(p.Count(Kind::kDeletePod), 1) << "a restart needs no reconfig";
}

TEST(PlanCredential, AMissingDigestSecretIsReportedAndNoPodIsDeleted) {
  // The user's Secret the members' CORRAL_SUPER_DIGEST comes from does not exist: a pod made
  // now cannot start (CreateContainerConfigError).
  const std::string missing = "Secret mine does not exist";
  Observed o;
  o.credential.problem = o.credential.digest_problem = missing;
  ReconcilePlan p = PlanChecked(Spec(3), o);
  EXPECT_EQ(StsReplicas(p), 3) << "its pods start once the Secret is made";
  EXPECT_EQ(Reason(p, "Progressing"), "False/SuperDigestSecretMissing");
  EXPECT_NE(p.FindCondition("Progressing")->message.find(missing), std::string::npos);
  EXPECT_TRUE(HasEvent(p, "SuperDigestSecretMissing"));
  o.condition_reasons["Progressing"] = "SuperDigestSecretMissing";
  EXPECT_FALSE(HasEvent(PlanChecked(Spec(3), o), "SuperDigestSecretMissing"));

  // Running members keep their digest; a pod deleted for a restart would not come back.
  Observed h = Healthy(3);
  h.credential.problem = h.credential.digest_problem = missing;
  p = PlanChecked(Spec(3), h);
  EXPECT_EQ(Reason(p, "Progressing"), "False/SuperDigestSecretMissing");
  EXPECT_EQ(Reason(p, "Ready"), "True/QuorumAvailable");
  h.statefulset.update_revision = "r2";
  SetServing(&h, 2, false);  // not even out of turn
  p = PlanChecked(Spec(3), h);
  EXPECT_EQ(p.Count(Kind::kDeletePod), 0);
  EXPECT_EQ(Reason(p, "Progressing"), "False/SuperDigestSecretMissing");
}

// ---- Observers (spec.observers): <name>-observer, ids 255, 254, ... ------------------------

Desired SpecWithObservers(int replicas, int observers) {
  Desired d = Spec(replicas);
  d.observers = observers;
  return d;
}

// Gives every member of the live configuration the host a StatefulSet of "zk" renders for it:
// ids from 200 up are observers' (<name>-observer), the others voters'.
void SetHosts(Observed* o) {
  o->config.hosts.clear();
  for (const std::set<int>* set : {&o->config.voters, &o->config.observers}) {
    for (int id : *set) {
      o->config.hosts[id] =
          id >= 200 ? ObserverMemberHost("zk", "prod", id) : MemberHost("zk", "prod", id);
    }
  }
}

// The observers' pod `ordinal` started, its server answering but not in the configuration.
void AddObserverPod(Observed* o, int ordinal) {
  const int id = ObserverIdOfOrdinal(ordinal);
  o->observer_statefulset.exists = true;
  o->observer_statefulset.replicas = std::max(o->observer_statefulset.replicas, ordinal + 1);
  o->observer_statefulset.update_revision = o->statefulset.update_revision;
  o->pods.push_back({ObserverPodName("zk", ordinal), ordinal, "10.0.1." + std::to_string(ordinal),
                     false, false, o->statefulset.update_revision, true});
  ObservedMember m;
  m.id = id;
  m.reachable = true;
  m.role = Role::kLooking;
  o->members[id] = m;
  o->claims.push_back({ObserverDataClaimName("zk", ordinal), ordinal, true});
}

// The live configuration `voters` + `observers`, every member applied it, observers serving.
void SetMembers(Observed* o, std::set<int> voters, std::set<int> observers) {
  SetConfig(o, voters, observers, true);
  SetHosts(o);
}

int ObserverStsReplicas(const ReconcilePlan& p) {
  auto sts = Of(p, Kind::kApplyObserverStatefulSet);
  return sts.empty() ? -1 : sts[0].replicas;
}

std::string Events(const ReconcilePlan& p) {
  std::string events;
  for (const Action& a : Of(p, Kind::kEvent)) events += (events.empty() ? "" : ",") + a.reason;
  return events;
}

TEST(PlanObservers, NoneWantedNoObserverStatefulSet) {
  ReconcilePlan p = PlanChecked(Spec(3), Healthy(3));
  EXPECT_EQ(p.Count(Kind::kApplyObserverStatefulSet), 0);
  EXPECT_EQ(p.status.observers, 0);
}

TEST(PlanObservers, ZeroToTwoOneAtATimeEachServingBeforeTheNext) {
  Desired d = SpecWithObservers(3, 2);
  Observed o = Healthy(3);
  const std::string spec255 = "zk-observer-0.zk-headless.prod.svc:2888:3888:observer;2181";
  const std::string spec254 = "zk-observer-1.zk-headless.prod.svc:2888:3888:observer;2181";
  struct Row {
    const char* what;
    std::function<void(Observed*)> world;
    int observer_sts;
    std::string reconfig_add;
    std::set<int> config_observer_pods;
    std::string events;
    std::string progressing;
  };
  std::vector<Row> rows = {
      {"start zk-observer-0 for observer 255",
       [](Observed*) {},
       1,
       "",
       {255},
       "AddingMember",
       "True/AddingMember"},
      {"its server answers: reconfig it in as an observer",
       [](Observed* o) { AddObserverPod(o, 0); },
       1,
       spec255,
       {255},
       "AddingMember",
       "True/AddingMember"},
      {"in the configuration, catching up: the next one waits",
       [](Observed* o) {
         SetMembers(o, {1, 2, 3}, {255});
         o->members[255].serving = false;
         o->members[255].role = Role::kLooking;
       },
       1,
       "",
       {255},
       "",
       "True/AddingMember"},
      {"serving: start zk-observer-1 for observer 254",
       [](Observed* o) {
         o->members[255].serving = true;
         o->members[255].role = Role::kObserver;
       },
       2,
       "",
       {254, 255},
       "AddingMember",
       "True/AddingMember"},
      {"254 answers: in",
       [](Observed* o) { AddObserverPod(o, 1); },
       2,
       spec254,
       {254, 255},
       "AddingMember",
       "True/AddingMember"},
      {"both serve: done",
       [](Observed* o) {
         SetMembers(o, {1, 2, 3}, {254, 255});
       },
       2,
       "",
       {254, 255},
       "",
       "False/Reconciled"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    row.world(&o);
    ReconcilePlan p = PlanChecked(d, o);
    EXPECT_EQ(StsReplicas(p), 3) << "the voters' StatefulSet is untouched";
    EXPECT_EQ(ObserverStsReplicas(p), row.observer_sts);
    auto adds = Of(p, Kind::kReconfigAdd);
    EXPECT_EQ(adds.empty() ? "" : adds[0].server, row.reconfig_add);
    EXPECT_EQ(p.Count(Kind::kReconfigRemove), 0);
    EXPECT_EQ(p.config_observer_pods, row.config_observer_pods);
    for (int id : row.config_observer_pods) EXPECT_EQ(p.config_observers.count(id), 1u);
    EXPECT_EQ(Events(p), row.events);
    EXPECT_EQ(Reason(p, "Progressing"), row.progressing);
    EXPECT_EQ(Reason(p, "Degraded"), "False/AllMembersServing") << "catching up is no failure";
    EXPECT_EQ(p.status.replicas, 3) << "observers are counted apart from voters";
  }
  ReconcilePlan done = PlanChecked(d, o);
  EXPECT_EQ(done.status.phase, "Running");
  EXPECT_EQ(done.status.observers, 2);
  EXPECT_EQ(done.status.replicas, 3);
  EXPECT_FALSE(done.requeue);
  ASSERT_EQ(done.status.members.size(), 5u);
  EXPECT_EQ(done.status.members[3].name, "zk-observer-0");
  EXPECT_EQ(done.status.members[3].id, 255);
  EXPECT_EQ(done.status.members[3].role, "Observer");
  EXPECT_EQ(done.status.members[4].name, "zk-observer-1");
}

TEST(PlanObservers, RefusedWhileUnhealthyAndNoPodStarted) {
  struct Row {
    const char* what;
    std::function<void(Observed*)> world;
    std::string progressing;
  };
  std::vector<Row> rows = {
      {"below quorum",
       [](Observed* o) {
         SetServing(o, 2, false);
         SetServing(o, 3, false);
       },
       "False/QuorumLost"},
      {"a voter unsynced", [](Observed* o) { SetServing(o, 3, false); }, "False/MembersNotInSync"},
      {"a reconfig in flight", [](Observed* o) { o->members[1].config_version += 1; },
       "False/ReconfigInProgress"},
      {"no credential", [](Observed* o) { o->credential.problem = "no password"; },
       "False/NoReconfigCredential"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    Observed o = Healthy(3);
    row.world(&o);
    ReconcilePlan p = PlanChecked(SpecWithObservers(3, 1), o);
    EXPECT_EQ(p.Count(Kind::kReconfigAdd) + p.Count(Kind::kReconfigRemove), 0);
    EXPECT_EQ(p.Count(Kind::kApplyObserverStatefulSet), 0) << "no pod that could not be added";
    EXPECT_EQ(Reason(p, "Progressing"), row.progressing);
    // Its pod already started: it keeps it, and is still not added.
    AddObserverPod(&o, 0);
    p = PlanChecked(SpecWithObservers(3, 1), o);
    EXPECT_EQ(p.Count(Kind::kReconfigAdd), 0);
    EXPECT_EQ(ObserverStsReplicas(p), 1);
  }
}

TEST(PlanObservers, TwoToZeroReconfiguresOutBeforeThePodGoesClaimsPerPolicy) {
  Desired d = SpecWithObservers(3, 0);
  d.data_reclaim = ReclaimPolicy::kDelete;
  d.has_finalizer = true;
  Observed o = Healthy(3);
  AddObserverPod(&o, 0);
  AddObserverPod(&o, 1);
  SetMembers(&o, {1, 2, 3}, {254, 255});
  struct Row {
    const char* what;
    std::function<void(Observed*)> world;
    int observer_sts;
    int reconfig_remove;
    std::set<int> observer_scale_ins;
    std::vector<std::string> claims_deleted;
  };
  std::vector<Row> rows = {
      {"remove the highest ordinal (254); its pod stays", [](Observed*) {}, 2, 254, {}, {}},
      {"254 out: shrink to 1 (recorded), remove 255",
       [](Observed* o) {
         SetMembers(o, {1, 2, 3}, {255});
       },
       1,
       255,
       {1},
       {}},
      {"zk-observer-1 gone: its claim deleted; 255 out: shrink to 0",
       [](Observed* o) {
         o->observer_statefulset.replicas = 1;
         std::erase_if(o->pods, [](const ObservedPod& p) { return p.observer && p.ordinal == 1; });
         o->members.erase(254);
         SetMembers(o, {1, 2, 3}, {});
       },
       0,
       0,
       {0, 1},
       {"data-zk-observer-1"}},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    row.world(&o);
    ReconcilePlan p = PlanChecked(d, o);
    EXPECT_EQ(StsReplicas(p), 3);
    EXPECT_EQ(ObserverStsReplicas(p), row.observer_sts);
    EXPECT_EQ(ReconfigRemoved(p), row.reconfig_remove);
    EXPECT_EQ(p.status.observer_scale_ins, row.observer_scale_ins);
    EXPECT_TRUE(p.status.scale_ins.empty()) << "the voters' record is apart";
    EXPECT_EQ(DeletedClaims(p), row.claims_deleted);
    if (row.observer_sts < o.observer_statefulset.replicas) {
      EXPECT_TRUE(p.status_first);
    }
    o.observer_scale_ins = p.status.observer_scale_ins;
  }
  // Retain: the claims stay, recorded, and block that observer's return.
  d.data_reclaim = ReclaimPolicy::kRetain;
  o.observer_statefulset.replicas = 0;
  o.pods.erase(
      std::remove_if(o.pods.begin(), o.pods.end(), [](const ObservedPod& p) { return p.observer; }),
      o.pods.end());
  o.members.erase(255);
  ReconcilePlan p = PlanChecked(d, o);
  EXPECT_EQ(p.Count(Kind::kDeleteClaim), 0);
  p = PlanChecked(SpecWithObservers(3, 1), o);
  EXPECT_EQ(Reason(p, "Progressing"), "False/RetainedClaimOfRemovedMember");
  EXPECT_EQ(ObserverStsReplicas(p), 0);
}

TEST(PlanObservers, AFailedObserverIsReportedNeverRemovedAndQuorumIgnoresIt) {
  Observed o = Healthy(3);
  AddObserverPod(&o, 0);
  SetMembers(&o, {1, 2, 3}, {255});
  o.members[255].reachable = o.members[255].serving = false;
  ReconcilePlan p = PlanChecked(SpecWithObservers(3, 1), o);
  EXPECT_EQ(p.Count(Kind::kReconfigRemove), 0);
  EXPECT_EQ(Reason(p, "Ready"), "True/QuorumAvailable");
  EXPECT_EQ(Reason(p, "Degraded"), "True/MemberUnavailable");
  EXPECT_TRUE(HasEvent(p, "MemberUnavailable"));
  EXPECT_EQ(p.status.phase, "Degraded");
  // A voter change goes on: an observer counts toward no majority.
  p = PlanChecked(SpecWithObservers(5, 1), o);
  EXPECT_EQ(StsReplicas(p), 4);
  // It comes back: the end of the failure is an Event too.
  o.members[255].reachable = o.members[255].serving = true;
  o.condition_reasons["Degraded"] = "MemberUnavailable";
  p = PlanChecked(SpecWithObservers(3, 1), o);
  EXPECT_EQ(Reason(p, "Degraded"), "False/AllMembersServing");
  EXPECT_TRUE(HasEvent(p, "Recovered"));
}

TEST(PlanObservers, AVoterWaitsForAnObserverHoldingItsIdToGo) {
  // replicas + observers = 255 reached from both sides in one edit: observer 4 (ordinal 251)
  // still runs when replicas becomes 4. It is reconfigured out, its pod goes, then voter 4's
  // pod starts: never two pods with one id.
  Desired d = SpecWithObservers(4, 0);
  Observed o = Healthy(3);
  AddObserverPod(&o, 251);
  SetMembers(&o, {1, 2, 3}, {4});
  o.config.hosts[4] = ObserverMemberHost("zk", "prod", 4);
  ReconcilePlan p = PlanChecked(d, o);
  ASSERT_EQ(p.Count(Kind::kReconfigRemove), 1);
  EXPECT_EQ(Of(p, Kind::kReconfigRemove)[0].id, 4);
  EXPECT_EQ(StsReplicas(p), 3);

  SetMembers(&o, {1, 2, 3}, {});  // out; its pod still there
  p = PlanChecked(d, o);
  EXPECT_EQ(StsReplicas(p), 3) << "voter 4's pod waits";
  EXPECT_EQ(ObserverStsReplicas(p), 0);
  EXPECT_NE(p.FindCondition("Progressing")->message.find("zk-observer-251 to go"),
            std::string::npos);

  o.observer_statefulset.replicas = 0;
  o.pods.pop_back();
  o.members.erase(4);
  p = PlanChecked(d, o);
  EXPECT_EQ(StsReplicas(p), 4);
  EXPECT_EQ(p.config_observer_pods, (std::set<int>{}));
  EXPECT_EQ(p.config_observers, (std::set<int>{4}));
}

// ---- Restart Events: the pod and its role, observers first, the leader last -----------------

TEST(PlanRestart, EventsNameThePodAndItsRoleObserversFirstLeaderLast) {
  Observed o = Healthy(3, /*leader=*/2);
  AddObserverPod(&o, 0);
  SetMembers(&o, {1, 2, 3}, {255});
  o.statefulset.update_revision = o.observer_statefulset.update_revision = "r2";
  std::vector<std::string> messages;
  for (int step = 0; step < 8 && messages.size() < 4; ++step) {
    ReconcilePlan p = PlanChecked(SpecWithObservers(3, 1), o);
    auto deletes = Of(p, Kind::kDeletePod);
    ASSERT_EQ(deletes.size(), 1u);
    for (const Action& a : Of(p, Kind::kEvent)) {
      if (a.reason == "RestartingMember") messages.push_back(a.message);
    }
    for (ObservedPod& x : o.pods) {
      if (x.name == deletes[0].name) x.revision = "r2";  // back, on the new revision, serving
    }
  }
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_EQ(messages[0].substr(0, messages[0].find(':')), "restarting zk-observer-0 (observer)");
  EXPECT_EQ(messages[1].substr(0, messages[1].find(':')), "restarting zk-2 (follower)");
  EXPECT_EQ(messages[2].substr(0, messages[2].find(':')), "restarting zk-0 (follower)");
  EXPECT_EQ(messages[3].substr(0, messages[3].find(':')), "restarting zk-1 (leader)");
  EXPECT_NE(messages[3].find("revision r2"), std::string::npos);
}

TEST(PlanRestart, WaitsUntilBothStatefulSetControllersSawTheirTemplates) {
  // A new image in both templates; the observers' StatefulSet controller has not computed its
  // revision yet, so the observer's pod matches the stale update revision and looks current.
  Observed o = Healthy(3);
  AddObserverPod(&o, 0);
  SetMembers(&o, {1, 2, 3}, {255});
  o.statefulset.update_revision = "r2";
  o.statefulset.image = "corral:3";
  o.observer_statefulset.revision_current = false;
  ReconcilePlan p = PlanChecked(SpecWithObservers(3, 1), o);
  EXPECT_EQ(p.Count(Kind::kDeletePod), 0) << "a follower would go before the observer";
  EXPECT_EQ(Reason(p, "Progressing"), "True/RolloutPending");
  EXPECT_TRUE(p.requeue);
  // Every voter on the new revision: the observer still runs the old image.
  for (ObservedPod& x : o.pods) {
    if (!x.observer) x.revision = "r2";
  }
  p = PlanChecked(SpecWithObservers(3, 1), o);
  EXPECT_EQ(p.status.current_image, "corral:2");
  o.observer_statefulset.revision_current = true;
  o.observer_statefulset.update_revision = "r2";
  p = PlanChecked(SpecWithObservers(3, 1), o);
  ASSERT_EQ(p.Count(Kind::kDeletePod), 1);
  EXPECT_EQ(Of(p, Kind::kDeletePod)[0].name, "zk-observer-0");
  EXPECT_EQ(p.status.current_image, "corral:2");
}

TEST(PlanRestart, AMemberNotServingIsNamedSo) {
  Observed o = Healthy(3);
  o.statefulset.update_revision = "r2";
  SetServing(&o, 2, false);
  ReconcilePlan p = PlanChecked(Spec(3), o);
  std::string message;
  for (const Action& a : Of(p, Kind::kEvent)) {
    if (a.reason == "RestartingMember") message = a.message;
  }
  EXPECT_EQ(message.substr(0, message.find(':')), "restarting zk-1 (not serving)");
}

// ---- Drift in /zookeeper/config, repaired one step at a time, reported once per version -----

TEST(PlanDrift, Rows) {
  struct Row {
    const char* what;
    Desired desired;
    std::function<void(Observed*)> world;
    std::string action;  // "add N <role>", "remove N", or ""
    std::string event;   // the membership Event, besides ConfigurationDrift
  };
  std::vector<Row> rows = {
      {"voter 2 removed by hand: back through the observer role", Spec(3),
       [](Observed* o) {
         SetMembers(o, {1, 3}, {});
       },
       "add 2 observer", "AddingMember"},
      {"voter 3 given another host: out first, then rejoins", Spec(3),
       [](Observed* o) { o->config.hosts[3] = "elsewhere.example"; }, "remove 3", "RemovingMember"},
      {"an observer nobody runs, added by hand", Spec(3),
       [](Observed* o) {
         SetMembers(o, {1, 2, 3}, {9});
         o->config.hosts[9] = "elsewhere.example";
       },
       "remove 9", "RemovingMember"},
      {"observer 255 made a voter by hand: demoted, not removed", SpecWithObservers(3, 1),
       [](Observed* o) {
         AddObserverPod(o, 0);
         SetMembers(o, {1, 2, 3, 255}, {});
       },
       "add 255 observer", "DemotingMember"},
      {"observer 255 removed by hand while 254 stays", SpecWithObservers(3, 2),
       [](Observed* o) {
         AddObserverPod(o, 0);
         AddObserverPod(o, 1);
         SetMembers(o, {1, 2, 3}, {254});
       },
       "add 255 observer", "AddingMember"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    Observed o = Healthy(3);
    SetHosts(&o);
    o.status_config_version = o.config.version;
    row.world(&o);
    if (o.config.version == o.status_config_version) {
      o.config.version += 1;  // a change someone made: committed, and every member has it
      for (auto& [id, m] : o.members)
        m.config_version = m.committed_config_version = o.config.version;
    }
    ReconcilePlan p = PlanChecked(row.desired, o);
    std::string action;
    for (const Action& a : p.actions) {
      if (a.kind == Kind::kReconfigAdd) {
        action = "add " + std::to_string(a.id) +
                 (a.server.find(":observer;") != std::string::npos ? " observer" : " participant");
      } else if (a.kind == Kind::kReconfigRemove) {
        action = "remove " + std::to_string(a.id);
      }
    }
    EXPECT_EQ(action, row.action);
    EXPECT_TRUE(HasEvent(p, "ConfigurationDrift"));
    EXPECT_TRUE(HasEvent(p, row.event));
    EXPECT_EQ(p.status.config_version, o.config.version);
    // The next reconcile finds the version recorded: the drift is not reported again.
    o.status_config_version = p.status.config_version;
    EXPECT_FALSE(HasEvent(PlanChecked(row.desired, o), "ConfigurationDrift"));
  }
}

TEST(PlanDrift, OwnStepsAreNoDrift) {
  // Each step of a scale-up and a scale-down changes the version; none is drift.
  Observed o = Healthy(3);
  SetHosts(&o);
  o.status_config_version = o.config.version;
  AddLearner(&o, 4);
  SetMembers(&o, {1, 2, 3}, {4});
  EXPECT_FALSE(HasEvent(PlanChecked(Spec(5), o), "ConfigurationDrift"));
  SetMembers(&o, {1, 2, 3, 4}, {});
  EXPECT_FALSE(HasEvent(PlanChecked(Spec(5), o), "ConfigurationDrift"));
  EXPECT_FALSE(HasEvent(PlanChecked(Spec(3), o), "ConfigurationDrift"));
}

TEST(PlanDrift, ADriftedVoterIsNotRemovedBelowQuorum) {
  Observed o = Healthy(3);
  SetHosts(&o);
  o.config.voters.insert(4);
  o.config.hosts[4] = "elsewhere.example";
  SetServing(&o, 3, false);
  ReconcilePlan p = PlanChecked(Spec(3), o);  // 2 of 4 serve: below a quorum of 3
  EXPECT_EQ(p.Count(Kind::kReconfigRemove), 0);
  EXPECT_EQ(Reason(p, "Progressing"), "False/QuorumLost");
}

}  // namespace
}  // namespace corral::op
