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
    m.reachable = m.serving = m.caught_up = true;
    m.role = id == leader ? Role::kLeader : Role::kFollower;
    m.zxid = 0x100000005;
    m.config_version = o.config.version;
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

// A pod started by the StatefulSet for a member that is not (yet) a voter.
void AddLearner(Observed* o, int id, bool caught_up) {
  const int ord = OrdinalOfId(id);
  o->statefulset.replicas = std::max(o->statefulset.replicas, id);
  o->pods.push_back({PodName("zk", ord), ord, "10.0.0.99", false, false, "r1"});
  ObservedMember m;
  m.id = id;
  m.reachable = true;
  m.caught_up = caught_up;
  m.role = Role::kLearner;
  o->members[id] = m;
  o->claims.push_back({DataClaimName("zk", ord), ord});
}

// Makes the live configuration `voters` (as if reconfig committed).
void SetVoters(Observed* o, std::set<int> voters) {
  o->config.voters = voters;
  o->config.version += 1;
  for (auto& [id, m] : o->members) {
    m.config_version = o->config.version;
    bool voter = voters.count(id) != 0;
    m.serving = voter && m.reachable;
    if (!voter) m.role = Role::kLearner;
    if (voter && m.role == Role::kLearner) m.role = Role::kFollower;
  }
  for (ObservedPod& p : o->pods) p.ready = voters.count(IdOfOrdinal(p.ordinal)) != 0;
}

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
  struct Row {
    const char* what;
    std::function<void(Observed*)> world;
    int sts;
    int reconfig_add;  // 0: none
    std::set<int> config_members;
  };
  std::vector<Row> rows = {
      {"start pod 3 for voter 4", [](Observed*) {}, 4, 0, {1, 2, 3, 4}},
      {"voter 4 runs, still catching up",
       [](Observed* o) { AddLearner(o, 4, false); },
       4,
       0,
       {1, 2, 3, 4}},
      {"voter 4 caught up: reconfig add",
       [](Observed* o) { o->members[4].caught_up = true; },
       4,
       4,
       {1, 2, 3, 4}},
      {"4 committed: start pod 4 for voter 5",
       [](Observed* o) {
         SetVoters(o, {1, 2, 3, 4});
       },
       5,
       0,
       {1, 2, 3, 4, 5}},
      {"voter 5 caught up: reconfig add",
       [](Observed* o) { AddLearner(o, 5, true); },
       5,
       5,
       {1, 2, 3, 4, 5}},
      {"5 committed: done",
       [](Observed* o) {
         SetVoters(o, {1, 2, 3, 4, 5});
       },
       5,
       0,
       {1, 2, 3, 4, 5}},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    row.world(&o);
    ReconcilePlan p = PlanChecked(d, o);
    EXPECT_EQ(StsReplicas(p), row.sts);
    auto adds = Of(p, Kind::kReconfigAdd);
    EXPECT_EQ(adds.empty() ? 0 : adds[0].id, row.reconfig_add);
    EXPECT_EQ(p.config_members, row.config_members);
    EXPECT_EQ(p.Count(Kind::kReconfigRemove), 0);
    if (!adds.empty()) {
      EXPECT_EQ(adds[0].server, "zk-" + std::to_string(row.reconfig_add - 1) +
                                    ".zk-headless.prod.svc:2888:3888:participant;2181");
    }
    if (row.reconfig_add == 0 && row.sts == 5 && o.config.voters.size() == 5) {
      EXPECT_EQ(p.status.phase, "Running");
    } else {
      EXPECT_EQ(p.status.phase, "Scaling");
      EXPECT_EQ(Reason(p, "Progressing"), "True/AddingMember");
    }
  }
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
    auto removes = Of(p, Kind::kReconfigRemove);
    EXPECT_EQ(removes.empty() ? 0 : removes[0].id, row.reconfig_remove);
    EXPECT_EQ(p.status.scale_ins, row.scale_ins);
    std::vector<std::string> deleted;
    for (const Action& a : Of(p, Kind::kDeleteClaim)) deleted.push_back(a.name);
    EXPECT_EQ(deleted, row.claims_deleted);
    // Never shrink below a current voter.
    EXPECT_GE(StsReplicas(p), *o.config.voters.rbegin());
    if (row.sts < o.statefulset.replicas) {
      EXPECT_TRUE(p.status_first) << "the scale-in is recorded before the StatefulSet shrinks";
    }
    o.scale_ins = p.status.scale_ins;
  }
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

TEST(PlanRestart, MemberNotServingOnAnOldRevisionIsRestartedAtOnce) {
  // A rollout stuck on a bad image: restarting a member that does not serve takes nothing away.
  Observed o = Healthy(3);
  o.statefulset.update_revision = "r2";
  SetServing(&o, 2, false);
  ReconcilePlan p = PlanChecked(Spec(3), o);
  ASSERT_EQ(p.Count(Kind::kDeletePod), 1);
  EXPECT_EQ(Of(p, Kind::kDeletePod)[0].name, "zk-1");
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
  EXPECT_TRUE(p.config_members.empty()) << "the ConfigMap is not rewritten blind";
  EXPECT_EQ(p.Count(Kind::kReconfigRemove), 0);
  EXPECT_EQ(p.status.phase, "QuorumLost");
  EXPECT_TRUE(p.status.bootstrapped) << "losing quorum never un-bootstraps";
}

// ---- Drift in /zookeeper/config ------------------------------------------------------------

TEST(PlanDrift, MissingVoterIsAddedBack) {
  // Someone ran `reconfig -remove 2`; member 2 still runs as a learner.
  Observed o = Healthy(3);
  SetVoters(&o, {1, 3});
  o.members[2].caught_up = true;
  ReconcilePlan p = PlanChecked(Spec(3), o);
  ASSERT_EQ(p.Count(Kind::kReconfigAdd), 1);
  EXPECT_EQ(Of(p, Kind::kReconfigAdd)[0].id, 2);
  EXPECT_EQ(StsReplicas(p), 3);
}

TEST(PlanDrift, UnexpectedVoterIsRemoved) {
  // Someone added server.4 by hand: the StatefulSet never ran it.
  Observed o = Healthy(3);
  o.config.voters.insert(4);
  ObservedMember ghost;
  ghost.id = 4;
  o.members[4] = ghost;  // unreachable
  ReconcilePlan p = PlanChecked(Spec(3), o);
  EXPECT_EQ(p.Count(Kind::kReconfigRemove), 0) << "refused: voter 4 is not serving";
  EXPECT_EQ(Reason(p, "Progressing"), "False/MembersNotInSync");
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
    std::vector<std::string> deleted;
    for (const Action& a : Of(p, Kind::kDeleteClaim)) deleted.push_back(a.name);
    EXPECT_EQ(deleted, row.deleted);
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
  AddLearner(&o, 4, true);
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

}  // namespace
}  // namespace corral::op
