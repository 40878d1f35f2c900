#include "plan/plan.h"

#include <algorithm>

#include "plan/names.h"

namespace corral::op {
namespace {

Action Simple(Action::Kind kind) {
  Action a;
  a.kind = kind;
  return a;
}

Action Event(std::string type, std::string reason, std::string message) {
  Action a = Simple(Action::Kind::kEvent);
  a.event_type = std::move(type);
  a.reason = std::move(reason);
  a.message = std::move(message);
  return a;
}

std::string Ids(const std::set<int>& ids) {
  std::string s;
  for (int id : ids) s += (s.empty() ? "" : ",") + std::to_string(id);
  return "{" + s + "}";
}

const ObservedMember* Member(const Observed& o, int id) {
  auto it = o.members.find(id);
  return it == o.members.end() ? nullptr : &it->second;
}

const ObservedPod* Pod(const Observed& o, int ordinal) {
  for (const ObservedPod& p : o.pods) {
    if (p.ordinal == ordinal) return &p;
  }
  return nullptr;
}

bool Serving(const Observed& o, int id) {
  const ObservedMember* m = Member(o, id);
  return m != nullptr && m->reachable && m->serving;
}

int LeaderId(const Observed& o) {
  for (const auto& [id, m] : o.members) {
    if (m.reachable && m.serving && m.role == Role::kLeader) return id;
  }
  return 0;
}

bool ClaimIsDeletable(const Desired& d, const ObservedClaim& c) {
  if (c.name.rfind("log-", 0) == 0) return d.log_reclaim == ReclaimPolicy::kDelete;
  return d.data_reclaim == ReclaimPolicy::kDelete;
}

void SetConditions(ReconcilePlan* p, Condition ready, Condition progressing, Condition degraded) {
  ready.type = "Ready";
  progressing.type = "Progressing";
  degraded.type = "Degraded";
  p->status.conditions = {ready, progressing, degraded};
}

Condition C(std::string status, std::string reason, std::string message) {
  return Condition{"", std::move(status), std::move(reason), std::move(message)};
}

void FillMembers(const Desired& d, const Observed& o, PlannedStatus* s) {
  std::set<int> ids;
  for (const ObservedPod& p : o.pods) ids.insert(IdOfOrdinal(p.ordinal));
  for (int id : o.config.voters) ids.insert(id);
  for (int id : ids) {
    MemberStatus m;
    m.name = PodName(d.name, OrdinalOfId(id));
    m.id = id;
    const ObservedMember* om = Member(o, id);
    m.role = om != nullptr && om->reachable ? RoleName(om->role) : "Unknown";
    if (m.role == "Learner" || m.role == "Looking") m.role = "Unknown";
    m.zxid = om != nullptr ? om->zxid : 0;
    m.ready = Serving(o, id);
    s->members.push_back(m);
  }
}

// A Warning event when a condition's reason changes to `reason` (not on every reconcile).
void WarnOnChange(const Observed& o, ReconcilePlan* p, const std::string& type,
                  const std::string& reason, const std::string& message) {
  auto it = o.condition_reasons.find(type);
  if (it == o.condition_reasons.end() || it->second != reason) {
    p->actions.push_back(Event("Warning", reason, message));
  }
}

ReconcilePlan PlanDeletion(const Desired& d, const Observed& o, ReconcilePlan p) {
  p.status.phase = "Deleting";
  SetConditions(&p, C("False", "Deleting", "the Ensemble is being deleted"),
                C("True", "Deleting", "cleaning up per the reclaim policy"),
                C("False", "Deleting", ""));
  if (!d.has_finalizer) return p;
  for (const ObservedClaim& c : o.claims) {
    if (!ClaimIsDeletable(d, c)) continue;
    Action a = Simple(Action::Kind::kDeleteClaim);
    a.name = c.name;
    p.actions.push_back(a);
    p.actions.push_back(
        Event("Normal", "ClaimDeleted", "deleting claim " + c.name + " (reclaimPolicy Delete)"));
  }
  p.actions.push_back(Simple(Action::Kind::kRemoveFinalizer));
  return p;
}

}  // namespace

ReconcilePlan Plan(const Desired& d, const Observed& o) {
  ReconcilePlan p;
  PlannedStatus& s = p.status;
  s.observed_generation = d.generation;
  s.bootstrapped = o.bootstrapped;
  s.scale_ins = o.scale_ins;
  s.current_image = o.current_image;
  FillMembers(d, o, &s);

  if (d.deleting) return PlanDeletion(d, o, std::move(p));

  // The finalizer exists only to delete claims, so only when a policy says Delete.
  const bool needs_finalizer = d.data_reclaim == ReclaimPolicy::kDelete ||
                               (d.has_log_volume && d.log_reclaim == ReclaimPolicy::kDelete);
  if (needs_finalizer && !d.has_finalizer) p.actions.push_back(Simple(Action::Kind::kAddFinalizer));
  if (!needs_finalizer && d.has_finalizer) {
    p.actions.push_back(Simple(Action::Kind::kRemoveFinalizer));
  }
  // The Secret the members' super digest comes from exists before the pods that read it.
  if (o.credential.create_operator_secret) {
    p.actions.push_back(Simple(Action::Kind::kCreateCredentialSecret));
    p.actions.push_back(Event("Normal", "CredentialCreated",
                              "created Secret " + OperatorSecretName(d.name) +
                                  " holding the super password the operator reconfigures with"));
  }
  p.actions.push_back(Simple(Action::Kind::kApplyChildren));

  const int leader = LeaderId(o);
  if (leader != 0) s.leader = PodName(d.name, OrdinalOfId(leader));

  // --- Bootstrap: the operator decides, and records the decision in status. ---------------
  if (!o.bootstrapped) {
    if (o.config.known && leader != 0) {
      // A leader serves a configuration: the ensemble exists. Either the one the operator is
      // bootstrapping formed, or (status lost, or the Ensemble recreated over retained claims)
      // members already ran one: adopt it, never bootstrap a second one over it. Recorded before
      // anything else is done, then planned as any bootstrapped ensemble.
      s.bootstrapped = true;
      p.status_first = true;
      if (o.phase == "Bootstrapping") {
        p.actions.push_back(
            Event("Normal", "Bootstrapped", "ensemble formed with voters " + Ids(o.config.voters)));
      } else {
        p.actions.push_back(Event("Normal", "Adopted",
                                  "members already run configuration " + Ids(o.config.voters) +
                                      "; recorded as bootstrapped"));
      }
    } else {
      // The first configuration lists every initial voter. Its size is chosen once and recorded
      // in status before the StatefulSet exists, so neither a spec change nor someone scaling
      // the StatefulSet while bootstrapping can give members two different initial
      // configurations. Scaling continues one voter at a time afterwards.
      const int size = o.status_replicas > 0 ? o.status_replicas : d.replicas;
      if (o.status_replicas <= 0) p.status_first = true;
      for (int id = 1; id <= size; ++id) p.config_members.insert(id);
      Action sts = Simple(Action::Kind::kApplyStatefulSet);
      sts.replicas = size;
      p.actions.push_back(sts);
      int ready = 0;
      for (int id = 1; id <= size; ++id) ready += Serving(o, id) ? 1 : 0;
      s.replicas = size;
      s.ready_replicas = ready;
      if (!o.statefulset.exists) {
        p.actions.push_back(
            Event("Normal", "Bootstrapping",
                  "creating the first configuration with " + std::to_string(size) + " voters"));
      }
      s.phase = "Bootstrapping";
      SetConditions(&p, C("False", "Bootstrapping", "waiting for the first quorum"),
                    C("True", "Bootstrapping",
                      std::to_string(ready) + "/" + std::to_string(size) + " voters serving"),
                    C("False", "Bootstrapping", ""));
      p.requeue = true;
      return p;
    }
  }

  // --- Bootstrapped: the live configuration is the truth. ---------------------------------
  if (!o.config.known) {
    // No member can tell the configuration: do nothing that depends on it. The ConfigMap is
    // left as it is (config_members empty) and the StatefulSet keeps its size.
    Action sts = Simple(Action::Kind::kApplyStatefulSet);
    sts.replicas = o.statefulset.exists ? o.statefulset.replicas : d.replicas;
    p.actions.push_back(sts);
    s.phase = "QuorumLost";
    const std::string msg = "no member serves: the live configuration cannot be read";
    SetConditions(&p, C("False", "QuorumLost", msg),
                  C("False", "QuorumLost", "changes wait for a quorum"),
                  C("True", "QuorumLost", msg));
    WarnOnChange(o, &p, "Degraded", "QuorumLost", msg);
    p.requeue = true;
    return p;
  }

  const std::set<int>& voters = o.config.voters;
  std::set<int> desired_voters;
  for (int id = 1; id <= d.replicas; ++id) desired_voters.insert(id);
  int serving = 0;
  std::set<int> not_serving;
  for (int id : voters) {
    if (Serving(o, id)) {
      ++serving;
    } else {
      not_serving.insert(id);
    }
  }
  const bool quorum_up = leader != 0 && serving >= Quorum(static_cast<int>(voters.size()));
  bool config_settled = true;
  for (int id : voters) {
    const ObservedMember* m = Member(o, id);
    if (m != nullptr && m->reachable && m->config_version != o.config.version) {
      config_settled = false;
    }
    // A voter still observing (or a member removed still following) has not applied the
    // configuration that made it one, whatever the versions say.
    if (m != nullptr && m->reachable && m->serving && m->role == Role::kObserver) {
      config_settled = false;
    }
  }
  s.replicas = static_cast<int>(voters.size());
  s.ready_replicas = serving;
  s.config_version = o.config.version;

  // Why a change cannot go ahead now, or "" when the ensemble is healthy.
  std::string blocked_reason, blocked_message;
  if (!quorum_up) {
    blocked_reason = "QuorumLost";
    blocked_message = std::to_string(serving) + " of " + std::to_string(voters.size()) +
                      " voters serve; a quorum is " +
                      std::to_string(Quorum(static_cast<int>(voters.size())));
  } else if (!not_serving.empty()) {
    blocked_reason = "MembersNotInSync";
    blocked_message = "voters " + Ids(not_serving) + " are not serving and in sync";
  } else if (!config_settled) {
    blocked_reason = "ReconfigInProgress";
    blocked_message = "members disagree on the configuration version; waiting for it to settle";
  }
  const bool healthy = blocked_reason.empty();
  // A membership change needs, besides health, the credential reconfig is authenticated with;
  // a restart does not.
  std::string change_blocked_reason = blocked_reason, change_blocked_message = blocked_message;
  if (healthy && !o.credential.problem.empty()) {
    change_blocked_reason = "NoReconfigCredential";
    change_blocked_message = o.credential.problem;
  }
  const bool can_change = change_blocked_reason.empty();

  std::set<int> extra, missing;
  std::set_difference(voters.begin(), voters.end(), desired_voters.begin(), desired_voters.end(),
                      std::inserter(extra, extra.end()));
  std::set_difference(desired_voters.begin(), desired_voters.end(), voters.begin(), voters.end(),
                      std::inserter(missing, missing.end()));
  // Observers of the live configuration. A voter joins as one first (below); one that is no
  // longer wanted as a voter (a scale-up undone half-way) is reconfigured out.
  std::set<int> extra_observers;
  for (int id : o.config.observers) {
    if (missing.count(id) == 0) extra_observers.insert(id);
  }

  // The highest id whose pod the voters' StatefulSet must keep: voters and observers of the
  // live configuration (a member leaves the configuration before it loses its pod).
  int top = voters.empty() ? 0 : *voters.rbegin();
  if (!o.config.observers.empty()) top = std::max(top, *o.config.observers.rbegin());
  int joining = 0;
  std::string progress_reason, progress_message;  // a change under way
  std::string refused_reason, refused_message;    // a change wanted but refused
  std::vector<Action> step;                       // the one change of this reconcile
  bool record_status_first = false;

  if (!extra.empty()) {
    // Scale-down or drift: one voter out, the highest ordinal, the leader only if alone.
    int victim = 0;
    for (auto it = extra.rbegin(); it != extra.rend(); ++it) {
      if (*it != leader) {
        victim = *it;
        break;
      }
    }
    if (victim == 0) victim = *extra.rbegin();
    const bool drift = static_cast<int>(voters.size()) <= d.replicas;
    if (can_change) {
      Action a = Simple(Action::Kind::kReconfigRemove);
      a.id = victim;
      step.push_back(a);
      step.push_back(Event("Normal", "RemovingMember",
                           "reconfiguring member " + std::to_string(victim) + " (" +
                               PodName(d.name, OrdinalOfId(victim)) + ") out of " + Ids(voters) +
                               (drift ? " (not in the desired membership)" : "")));
      progress_reason = "RemovingMember";
      progress_message = "removing voter " + std::to_string(victim);
    } else {
      refused_reason = change_blocked_reason;
      refused_message =
          "not removing voter " + std::to_string(victim) + ": " + change_blocked_message;
    }
  } else if (!missing.empty()) {
    // Scale-up or drift: one voter in, the lowest missing id, in four steps, each taken by a
    // reconcile of its own once the world shows the previous one done:
    //   1. the StatefulSet grows by its pod, which starts knowing the live configuration and
    //      itself as an observer (the ConfigMap lists it so): it neither campaigns nor counts;
    //   2. once its server answers, `reconfig -add server.N=...:observer`: the leader now
    //      sends it the log or a snapshot, still without counting it toward any majority;
    //   3. wait until it serves as an observer: /commands/ready, synced with the leader;
    //   4. `reconfig -add server.N=...:participant`, the role change that makes it a voter.
    //      The leader counts it as caught up (a synced learner), so the new majority never
    //      needs an empty member (corral-server would refuse with NEWCONFIGNOQUORUM, and for a
    //      second voter added to one it always would).
    // Every later step (the next voter, a restart) waits until it serves as a voter, on the
    // configuration everyone else counts with (the health check above).
    joining = *missing.begin();
    const int ordinal = OrdinalOfId(joining);
    const ObservedPod* pod = Pod(o, ordinal);
    const ObservedMember* m = Member(o, joining);
    const bool observing = o.config.observers.count(joining) != 0;
    const std::string who =
        "member " + std::to_string(joining) + " (" + PodName(d.name, ordinal) + ")";
    bool stale_claim = false;
    if (o.scale_ins.count(ordinal) != 0 && pod == nullptr) {
      for (const ObservedClaim& c : o.claims) stale_claim |= c.ordinal == ordinal;
    }
    if (!can_change) {
      refused_reason = change_blocked_reason;
      refused_message =
          "not adding voter " + std::to_string(joining) + ": " + change_blocked_message;
      // Never start a new pod while unhealthy; one already there, or already an observer,
      // keeps its pod.
      joining = pod != nullptr || observing ? joining : 0;
    } else if (stale_claim && !observing) {
      // The claim of a member removed earlier holds an old configuration and data; reusing it
      // is how "My id N not in the peer list" happens. Delete it per policy, or refuse.
      // (With Delete, the recorded scale-in's claims are being deleted below.)
      bool deletable = false;
      for (const ObservedClaim& c : o.claims) {
        deletable |= c.ordinal == ordinal && ClaimIsDeletable(d, c);
      }
      joining = 0;
      if (deletable) {
        progress_reason = "DeletingStaleClaim";
        progress_message = "member " + std::to_string(ordinal + 1) + " rejoins on a new volume";
      } else {
        refused_reason = "RetainedClaimOfRemovedMember";
        refused_message = "claims of removed member " + PodName(d.name, ordinal) +
                          " are retained (reclaimPolicy Retain); delete them to let it rejoin";
      }
    } else if (!observing && (pod == nullptr || m == nullptr || !m->reachable)) {
      progress_reason = "AddingMember";
      progress_message = "waiting for " + PodName(d.name, ordinal) + " to start";
      if (o.statefulset.replicas <= ordinal) {
        step.push_back(Event("Normal", "AddingMember",
                             "starting " + PodName(d.name, ordinal) + " to join as voter " +
                                 std::to_string(joining)));
      }
    } else if (!observing) {
      Action a = Simple(Action::Kind::kReconfigAdd);
      a.id = joining;
      a.server = ObserverServerSpec(d.name, d.ns, joining, d.client_port);
      step.push_back(a);
      step.push_back(Event("Normal", "AddingMember",
                           "reconfiguring " + who + " in as an observer to catch up"));
      progress_reason = "AddingMember";
      progress_message = "adding " + who + " as an observer";
    } else if (!Serving(o, joining)) {
      progress_reason = "AddingMember";
      progress_message = "waiting for " + who + " to catch up as an observer";
    } else {
      Action a = Simple(Action::Kind::kReconfigAdd);
      a.id = joining;
      a.server = ServerSpec(d.name, d.ns, joining, d.client_port);
      step.push_back(a);
      step.push_back(Event("Normal", "PromotingMember",
                           "reconfiguring " + who + " from observer to voter of " + Ids(voters) +
                               " -> " + std::to_string(voters.size() + 1) + " voters"));
      progress_reason = "AddingMember";
      progress_message = "promoting " + who + " to voter";
    }
  } else if (!extra_observers.empty()) {
    // An observer that is not wanted: a voter's join undone half-way (replicas lowered
    // meanwhile), or one added by hand. Observers count toward no majority, but the rule is
    // the same: one change at a time, only while healthy.
    const int victim = *extra_observers.rbegin();
    if (can_change) {
      Action a = Simple(Action::Kind::kReconfigRemove);
      a.id = victim;
      step.push_back(a);
      step.push_back(Event("Normal", "RemovingMember",
                           "reconfiguring observer " + std::to_string(victim) + " (" +
                               PodName(d.name, OrdinalOfId(victim)) + ") out"));
      progress_reason = "RemovingMember";
      progress_message = "removing observer " + std::to_string(victim);
    } else {
      refused_reason = change_blocked_reason;
      refused_message =
          "not removing observer " + std::to_string(victim) + ": " + change_blocked_message;
    }
  }

  // The StatefulSet covers every voter and the member joining, and nothing else; pods beyond
  // that are not voters (removed, or never added), so shrinking never touches the quorum. Their
  // ordinals are recorded as scale-ins before the StatefulSet shrinks.
  int sts_replicas = std::max(top, joining);
  if (sts_replicas == 0) sts_replicas = d.replicas;
  if (o.statefulset.exists && o.statefulset.replicas > sts_replicas) {
    if (config_settled) {
      for (int ord = sts_replicas; ord < o.statefulset.replicas; ++ord) s.scale_ins.insert(ord);
      record_status_first = true;
      step.push_back(Event("Normal", "ScaledIn",
                           "StatefulSet " + d.name + " shrinks from " +
                               std::to_string(o.statefulset.replicas) + " to " +
                               std::to_string(sts_replicas) + " pods"));
      if (progress_reason.empty()) {
        progress_reason = "ScalingIn";
        progress_message = "removing pods of members no longer in the configuration";
      }
    } else {
      sts_replicas = o.statefulset.replicas;
    }
  }
  // The ConfigMap: what a member starting now should know. A joining voter is listed as an
  // observer until the configuration makes it a voter.
  for (int id : voters) p.config_members.insert(id);
  for (int id : o.config.observers) {
    p.config_members.insert(id);
    p.config_observers.insert(id);
  }
  if (joining != 0 && voters.count(joining) == 0) {
    p.config_members.insert(joining);
    p.config_observers.insert(joining);
  }
  {
    Action sts = Simple(Action::Kind::kApplyStatefulSet);
    sts.replicas = sts_replicas;
    p.actions.push_back(sts);
  }

  // --- Rolling restart (OnDelete): only when membership is settled. ------------------------
  bool restarting = false;
  const bool membership_settled = extra.empty() && missing.empty() && extra_observers.empty() &&
                                  o.statefulset.replicas == sts_replicas;
  if (membership_settled && !o.statefulset.update_revision.empty()) {
    std::vector<const ObservedPod*> outdated;
    bool any_deleting = false;
    for (const ObservedPod& pod : o.pods) {
      if (pod.ordinal >= sts_replicas) continue;
      any_deleting |= pod.deleting;
      if (!pod.deleting && !pod.revision.empty() && pod.revision != o.statefulset.update_revision) {
        outdated.push_back(&pod);
      }
    }
    const bool upgrading = !o.statefulset.image.empty() && o.statefulset.image != o.current_image;
    const std::string kind = upgrading ? "Upgrading" : "Restarting";
    const ObservedPod* target = nullptr;
    std::string why;
    if (!outdated.empty() && !any_deleting) {
      // A member that does not serve anyway may be restarted at once: it repairs a rollout
      // stuck on a bad revision without taking away anything that serves.
      for (const ObservedPod* pod : outdated) {
        if (!Serving(o, IdOfOrdinal(pod->ordinal))) {
          target = pod;
          why = "it is not serving";
          break;
        }
      }
      // Kubernetes counts a member by its pod's Ready condition (the PodDisruptionBudget, the
      // client Service's endpoints), which follows the member's own answer by up to a readiness
      // probe period: a serving member whose pod is not Ready yet still counts as down there,
      // so the next member goes down only once every voter's pod is Ready too.
      bool voter_pods_ready = true;
      for (const ObservedPod& pod : o.pods) {
        if (voters.count(IdOfOrdinal(pod.ordinal)) != 0 && !pod.ready) voter_pods_ready = false;
      }
      if (target == nullptr && healthy && voter_pods_ready) {
        // Followers first, by descending ordinal; the leader last.
        std::sort(
            outdated.begin(), outdated.end(), [&](const ObservedPod* a, const ObservedPod* b) {
              bool al = IdOfOrdinal(a->ordinal) == leader, bl = IdOfOrdinal(b->ordinal) == leader;
              if (al != bl) return !al;
              return a->ordinal > b->ordinal;
            });
        target = outdated.front();
        why = IdOfOrdinal(target->ordinal) == leader ? "the leader, last" : "a follower";
      } else if (target == nullptr && !healthy) {
        refused_reason = blocked_reason;
        refused_message =
            "restart of " + std::to_string(outdated.size()) + " members waits: " + blocked_message;
      }
    }
    if (target != nullptr) {
      Action a = Simple(Action::Kind::kDeletePod);
      a.name = target->name;
      step.push_back(a);
      step.push_back(Event("Normal", kind == "Upgrading" ? "UpgradingMember" : "RestartingMember",
                           "deleting pod " + target->name + " (" + why +
                               ") to restart it on revision " + o.statefulset.update_revision));
      progress_reason = kind;
      progress_message = std::to_string(outdated.size()) + " members to restart";
      restarting = true;
    } else if (!outdated.empty() || any_deleting) {
      restarting = refused_reason.empty();
      if (restarting) {
        progress_reason = kind;
        progress_message = "waiting for the restarted member to serve and sync";
      }
    } else if (!o.statefulset.image.empty() && o.statefulset.revision_current) {
      s.current_image = o.statefulset.image;  // every member runs the current template
    }
  }

  // --- Claims of recorded scale-ins, per reclaim policy, once their pods are gone. ----------
  for (int ordinal : o.scale_ins) {
    const bool pod_gone = Pod(o, ordinal) == nullptr && ordinal >= o.statefulset.replicas;
    bool claims_left = false;
    for (const ObservedClaim& c : o.claims) {
      if (c.ordinal != ordinal) continue;
      claims_left = true;
      if (pod_gone && ClaimIsDeletable(d, c)) {
        Action a = Simple(Action::Kind::kDeleteClaim);
        a.name = c.name;
        step.push_back(a);
        step.push_back(Event("Normal", "ClaimDeleted",
                             "deleting claim " + c.name + " of scaled-in member " +
                                 PodName(d.name, ordinal) + " (reclaimPolicy Delete)"));
      }
    }
    const bool back_in = ordinal < sts_replicas && Pod(o, ordinal) != nullptr;
    if (!claims_left || back_in) s.scale_ins.erase(ordinal);
  }

  p.actions.insert(p.actions.end(), step.begin(), step.end());
  p.status_first = p.status_first || record_status_first;

  // --- Status -------------------------------------------------------------------------------
  const bool all_serving = not_serving.empty();
  Condition ready = quorum_up && all_serving
                        ? C("True", "QuorumAvailable", "every voter serves")
                        : (quorum_up ? C("True", "QuorumAvailable",
                                         std::to_string(serving) + " of " +
                                             std::to_string(voters.size()) + " voters serve")
                                     : C("False", "QuorumLost", blocked_message));
  Condition degraded = C("False", "AllMembersServing", "");
  if (!quorum_up) {
    degraded = C("True", "QuorumLost", blocked_message);
    WarnOnChange(o, &p, "Degraded", "QuorumLost", blocked_message);
  } else if (!all_serving && !restarting) {
    // A failed or restarting member stays in the configuration: no reconfig, just report it.
    const std::string msg = "voters " + Ids(not_serving) + " are not serving";
    degraded = C("True", "MemberUnavailable", msg);
    WarnOnChange(o, &p, "Degraded", "MemberUnavailable", msg);
  }
  Condition progressing = C("False", "Reconciled", "the ensemble matches the spec");
  if (!refused_reason.empty() && progress_reason.empty()) {
    progressing = C("False", refused_reason, refused_message);
    WarnOnChange(o, &p, "Progressing", refused_reason, refused_message);
  } else if (!progress_reason.empty()) {
    progressing = C("True", progress_reason, progress_message);
  }
  SetConditions(&p, ready, progressing, degraded);

  if (!quorum_up) {
    s.phase = "QuorumLost";
  } else if (progress_reason == "Upgrading") {
    s.phase = "Upgrading";
  } else if (progress_reason == "Restarting") {
    s.phase = "Restarting";
  } else if (!progress_reason.empty() || !extra.empty() || !missing.empty() ||
             !extra_observers.empty()) {
    s.phase = "Scaling";
  } else if (!all_serving) {
    s.phase = "Degraded";
  } else {
    s.phase = "Running";
  }
  p.requeue = !progress_reason.empty() || !refused_reason.empty() || !all_serving;
  return p;
}

const Condition* ReconcilePlan::FindCondition(const std::string& type) const {
  for (const Condition& c : status.conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

int ReconcilePlan::Count(Action::Kind kind) const {
  return static_cast<int>(std::count_if(actions.begin(), actions.end(),
                                        [kind](const Action& a) { return a.kind == kind; }));
}

std::string RoleName(Role role) {
  switch (role) {
    case Role::kLeader:
      return "Leader";
    case Role::kFollower:
      return "Follower";
    case Role::kObserver:
      return "Observer";
    case Role::kStandalone:
      return "Standalone";
    case Role::kLearner:
      return "Learner";
    case Role::kLooking:
      return "Looking";
    case Role::kUnknown:
      break;
  }
  return "Unknown";
}

const char* KindName(Action::Kind kind) {
  switch (kind) {
    case Action::Kind::kAddFinalizer:
      return "AddFinalizer";
    case Action::Kind::kRemoveFinalizer:
      return "RemoveFinalizer";
    case Action::Kind::kCreateCredentialSecret:
      return "CreateCredentialSecret";
    case Action::Kind::kApplyChildren:
      return "ApplyChildren";
    case Action::Kind::kApplyStatefulSet:
      return "ApplyStatefulSet";
    case Action::Kind::kReconfigAdd:
      return "ReconfigAdd";
    case Action::Kind::kReconfigRemove:
      return "ReconfigRemove";
    case Action::Kind::kDeletePod:
      return "DeletePod";
    case Action::Kind::kDeleteClaim:
      return "DeleteClaim";
    case Action::Kind::kEvent:
      return "Event";
  }
  return "?";
}

}  // namespace corral::op
