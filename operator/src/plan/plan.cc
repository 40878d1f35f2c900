#include "plan/plan.h"

#include <algorithm>
#include <cctype>

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

// The pod `ordinal` of the voters' StatefulSet, or of the observers' with `observer`.
const ObservedPod* Pod(const Observed& o, int ordinal, bool observer = false) {
  for (const ObservedPod& p : o.pods) {
    if (p.ordinal == ordinal && p.observer == observer) return &p;
  }
  return nullptr;
}

std::string Hex(uint64_t v) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), digits[v % 16]);
    v /= 16;
  } while (v != 0);
  return "0x" + out;
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
  // Every pod, and every id of the live configuration without one (its pod named as it would
  // be): the voters' first, then the observers'.
  std::set<int> ids, observer_ids;
  for (const ObservedPod& p : o.pods) {
    if (p.observer) {
      observer_ids.insert(ObserverIdOfOrdinal(p.ordinal));
    } else {
      ids.insert(IdOfOrdinal(p.ordinal));
    }
  }
  for (const std::set<int>* set : {&o.config.voters, &o.config.observers}) {
    for (int id : *set) {
      auto host = o.config.hosts.find(id);
      const bool observer_pod =
          host != o.config.hosts.end() && host->second == ObserverMemberHost(d.name, d.ns, id);
      (observer_pod ? observer_ids : ids).insert(id);
    }
  }
  auto add = [&](int id, std::string name) {
    MemberStatus m;
    m.name = std::move(name);
    m.id = id;
    const ObservedMember* om = Member(o, id);
    m.role = om != nullptr && om->reachable ? RoleName(om->role) : "Unknown";
    if (m.role == "Learner" || m.role == "Looking") m.role = "Unknown";
    m.zxid = om != nullptr ? om->zxid : 0;
    m.ready = Serving(o, id);
    s->members.push_back(m);
  };
  for (int id : ids) add(id, PodName(d.name, OrdinalOfId(id)));
  for (auto it = observer_ids.rbegin(); it != observer_ids.rend(); ++it) {
    add(*it, ObserverPodName(d.name, ObserverOrdinalOfId(*it)));
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
  s.observer_scale_ins = o.observer_scale_ins;
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
      Condition progressing =
          C("True", "Bootstrapping",
            std::to_string(ready) + "/" + std::to_string(size) + " voters serving");
      if (!o.credential.digest_problem.empty()) {
        // The StatefulSet is made anyway: its pods start once the Secret exists.
        progressing = C("False", "SuperDigestSecretMissing",
                        o.credential.digest_problem + ": the members' pods cannot start");
        WarnOnChange(o, &p, "Progressing", progressing.reason, progressing.message);
      }
      SetConditions(&p, C("False", "Bootstrapping", "waiting for the first quorum"), progressing,
                    C("False", "Bootstrapping", ""));
      p.requeue = true;
      return p;
    }
  }

  // --- Bootstrapped: the live configuration is the truth. ---------------------------------
  if (!o.config.known) {
    // No member can tell the configuration: do nothing that depends on it. The ConfigMap is
    // left as it is (config_members empty) and the StatefulSets keep their sizes.
    Action sts = Simple(Action::Kind::kApplyStatefulSet);
    sts.replicas = o.statefulset.exists ? o.statefulset.replicas : d.replicas;
    p.actions.push_back(sts);
    if (o.observer_statefulset.exists) {
      Action obs = Simple(Action::Kind::kApplyObserverStatefulSet);
      obs.replicas = o.observer_statefulset.replicas;
      p.actions.push_back(obs);
    }
    // status.replicas keeps the voters last recorded (else the StatefulSet's size): it sizes
    // the PodDisruptionBudget, which must not fall to minAvailable 1 exactly now.
    s.replicas = o.status_replicas > 0 ? o.status_replicas : o.statefulset.replicas;
    s.phase = "QuorumLost";
    const std::string msg = "no member serves: the live configuration cannot be read";
    SetConditions(&p, C("False", "QuorumLost", msg),
                  C("False", "QuorumLost", "changes wait for a quorum"),
                  C("True", "QuorumLost", msg));
    WarnOnChange(o, &p, "Degraded", "QuorumLost", msg);
    p.requeue = true;
    return p;
  }

  // Which StatefulSet runs each member of the live configuration, told by the host its server
  // line names: the voters' (id = ordinal + 1), the observers' (id = 255 - ordinal), or
  // neither (someone else added it: drift). Without a host (corral-server always gives one)
  // the id decides.
  enum class Owner { kVoters, kObservers, kNone };
  auto owner_of = [&](int id) {
    auto it = o.config.hosts.find(id);
    if (it == o.config.hosts.end() || it->second.empty()) {
      return id > kMaxMemberId - d.observers ? Owner::kObservers : Owner::kVoters;
    }
    if (it->second == MemberHost(d.name, d.ns, id)) return Owner::kVoters;
    if (it->second == ObserverMemberHost(d.name, d.ns, id)) return Owner::kObservers;
    return Owner::kNone;
  };
  auto who = [&](int id) {
    switch (owner_of(id)) {
      case Owner::kVoters:
        return "member " + std::to_string(id) + " (" + PodName(d.name, OrdinalOfId(id)) + ")";
      case Owner::kObservers:
        return "member " + std::to_string(id) + " (" +
               ObserverPodName(d.name, ObserverOrdinalOfId(id)) + ")";
      case Owner::kNone:
        break;
    }
    return "member " + std::to_string(id) + " (" + o.config.hosts.at(id) + ", no pod of " + d.name +
           ")";
  };

  const std::set<int>& voters = o.config.voters;
  std::set<int> desired_voters, desired_observers;
  for (int id = 1; id <= d.replicas; ++id) desired_voters.insert(id);
  for (int ord = 0; ord < d.observers; ++ord) desired_observers.insert(ObserverIdOfOrdinal(ord));
  // Voters: wanted (a voters' pod with a wanted id), extra (any other: scale-down or drift),
  // missing (wanted ids not voting). An observer of spec.observers found voting is demoted
  // rather than removed.
  std::set<int> good_voters, extra, demote;
  for (int id : voters) {
    const Owner owner = owner_of(id);
    if (owner == Owner::kVoters && desired_voters.count(id) != 0) {
      good_voters.insert(id);
    } else {
      extra.insert(id);
      if (owner == Owner::kObservers && desired_observers.count(id) != 0) demote.insert(id);
    }
  }
  std::set<int> missing;
  std::set_difference(desired_voters.begin(), desired_voters.end(), good_voters.begin(),
                      good_voters.end(), std::inserter(missing, missing.end()));
  // Observers: spec.observers' members observing, a voter joining (it observes first), and
  // any other (a join undone half-way, a scale-down of spec.observers, or drift).
  std::set<int> observers_in, extra_observers;
  for (int id : o.config.observers) {
    const Owner owner = owner_of(id);
    if (owner == Owner::kObservers && desired_observers.count(id) != 0) {
      observers_in.insert(id);
    } else if (!(owner == Owner::kVoters && missing.count(id) != 0)) {
      extra_observers.insert(id);
    }
  }
  std::set<int> missing_observers;
  for (int id : desired_observers) {
    if (observers_in.count(id) == 0 && demote.count(id) == 0) missing_observers.insert(id);
  }

  int serving = 0;
  std::set<int> not_serving;
  for (int id : voters) {
    if (Serving(o, id)) {
      ++serving;
    } else {
      not_serving.insert(id);
    }
  }
  // Observers count toward no majority: one that does not serve holds back only the next
  // observer and the restarts; unreachable, it is a failure to report.
  std::set<int> observers_not_serving, observers_unreachable;
  for (int id : o.config.observers) {
    if (Serving(o, id)) continue;
    observers_not_serving.insert(id);
    const ObservedMember* m = Member(o, id);
    if (m == nullptr || !m->reachable) observers_unreachable.insert(id);
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
  for (int id : o.config.observers) {
    const ObservedMember* m = Member(o, id);
    if (m != nullptr && m->reachable && m->serving && m->config_version != o.config.version) {
      config_settled = false;
    }
  }
  s.replicas = static_cast<int>(voters.size());
  s.ready_replicas = serving;
  s.observers = static_cast<int>(observers_in.size());
  s.config_version = o.config.version;

  // Why a change cannot go ahead now, or an empty reason when it can. `ignored`: a voter about
  // to be removed, whose own state does not matter (removing a member that does not serve
  // takes nothing away from those that do). `membership`: a reconfig, which needs the
  // credential too; a restart does not.
  struct Block {
    std::string reason, message;
  };
  auto block_of = [&](int ignored, bool membership) -> Block {
    if (!quorum_up) {
      return {"QuorumLost", std::to_string(serving) + " of " + std::to_string(voters.size()) +
                                " voters serve; a quorum is " +
                                std::to_string(Quorum(static_cast<int>(voters.size())))};
    }
    std::set<int> lagging = not_serving;
    lagging.erase(ignored);
    if (!lagging.empty()) {
      return {"MembersNotInSync", "voters " + Ids(lagging) + " are not serving and in sync"};
    }
    if (!config_settled) {
      return {"ReconfigInProgress",
              "members disagree on the configuration version; waiting for it to settle"};
    }
    if (membership && !o.credential.problem.empty()) {
      return {"NoReconfigCredential", o.credential.problem};
    }
    return {};
  };
  const Block blocked = block_of(0, false);
  const bool healthy = blocked.reason.empty();

  // --- Drift: the committed configuration holds what the operator would never have made. It
  // is repaired below by the ordinary steps; reported once per configuration version (the one
  // recorded in status is the one last looked at). -----------------------------------------
  std::vector<std::string> drift;
  for (const std::set<int>* set : {&voters, &o.config.observers}) {
    for (int id : *set) {
      if (owner_of(id) == Owner::kNone) drift.push_back(who(id) + " is in the configuration");
    }
  }
  for (int id : demote) drift.push_back("observer " + who(id) + " is a voter");
  for (int id : extra) {
    if (owner_of(id) == Owner::kVoters && Pod(o, OrdinalOfId(id)) == nullptr &&
        o.statefulset.replicas < id) {
      drift.push_back("voter " + who(id) + " has no pod");
    }
  }
  // The operator adds voters by ascending id and spec.observers' members by descending id (by
  // ascending ordinal), so a gap below the last one is someone else's removal.
  for (int id : missing) {
    if (!good_voters.empty() && *good_voters.rbegin() > id) {
      drift.push_back("voter " + who(id) + " is missing");
    }
  }
  for (int id : missing_observers) {
    if (!observers_in.empty() && *observers_in.begin() < id) {
      drift.push_back("observer " + who(id) + " is missing");
    }
  }
  if (!drift.empty() && o.config.version != o.status_config_version) {
    std::string what;
    for (const std::string& x : drift) what += (what.empty() ? "" : "; ") + x;
    p.actions.push_back(Event("Warning", "ConfigurationDrift",
                              "configuration " + Hex(o.config.version) +
                                  " differs from the Ensemble: " + what +
                                  "; repairing it one change at a time"));
  }

  std::string progress_reason, progress_message;  // a change under way
  std::string refused_reason, refused_message;    // a change wanted but refused
  std::vector<Action> step;                       // the one change of this reconcile
  bool record_status_first = false;
  int joining = 0;           // a voter whose pod the voters' StatefulSet must run
  int joining_observer = 0;  // a member of spec.observers whose pod <name>-observer must run

  // The claims of a member removed earlier hold an old configuration and data; reusing them is
  // how "My id N not in the peer list" happens. Returns whether there are such claims, and
  // sets `deletable` when the reclaim policy lets them go (they are deleted further down).
  auto stale_claim = [&](int ordinal, bool observer, bool* deletable) {
    const std::set<int>& ins = observer ? o.observer_scale_ins : o.scale_ins;
    if (ins.count(ordinal) == 0 || Pod(o, ordinal, observer) != nullptr) return false;
    bool stale = false;
    *deletable = false;
    for (const ObservedClaim& c : o.claims) {
      if (c.ordinal != ordinal || c.observer != observer) continue;
      stale = true;
      *deletable |= ClaimIsDeletable(d, c);
    }
    return stale;
  };
  auto refuse_stale = [&](const std::string& pod, bool deletable, int id) {
    if (deletable) {
      progress_reason = "DeletingStaleClaim";
      progress_message = "member " + std::to_string(id) + " rejoins on a new volume";
    } else {
      refused_reason = "RetainedClaimOfRemovedMember";
      refused_message = "claims of removed member " + pod +
                        " are retained (reclaimPolicy Retain); delete them to let it rejoin";
    }
  };

  if (!extra.empty()) {
    // Scale-down or drift: one voter out. Not the leader unless it is the only one left; a
    // voter that does not serve before one that does (a failed member being scaled away, or a
    // voter nobody runs); then the highest id.
    int victim = 0;
    for (bool want_serving : {false, true}) {
      for (auto it = extra.rbegin(); victim == 0 && it != extra.rend(); ++it) {
        if (*it != leader && Serving(o, *it) == want_serving) victim = *it;
      }
    }
    if (victim == 0) victim = *extra.rbegin();
    const Block b = block_of(victim, true);
    if (!b.reason.empty()) {
      refused_reason = b.reason;
      refused_message = "not removing voter " + std::to_string(victim) + ": " + b.message;
    } else if (demote.count(victim) != 0) {
      // A role change by reconfig -add of the same id: one voter fewer, the member stays.
      Action a = Simple(Action::Kind::kReconfigAdd);
      a.id = victim;
      a.server = ObserverMemberSpec(d.name, d.ns, victim, d.client_port);
      step.push_back(a);
      step.push_back(Event(
          "Normal", "DemotingMember",
          "reconfiguring " + who(victim) + " from voter to observer (spec.observers lists it)"));
      progress_reason = "DemotingMember";
      progress_message = "making " + who(victim) + " an observer again";
    } else {
      const bool drifted =
          owner_of(victim) == Owner::kNone || static_cast<int>(voters.size()) <= d.replicas ||
          (owner_of(victim) == Owner::kVoters && Pod(o, OrdinalOfId(victim)) == nullptr &&
           o.statefulset.replicas < victim);
      Action a = Simple(Action::Kind::kReconfigRemove);
      a.id = victim;
      step.push_back(a);
      step.push_back(Event("Normal", "RemovingMember",
                           "reconfiguring " + who(victim) + " out of voters " + Ids(voters) +
                               (drifted ? " (not in the desired membership)" : "")));
      progress_reason = "RemovingMember";
      progress_message = "removing voter " + std::to_string(victim);
    }
  } else if (!extra_observers.empty()) {
    // An observer not wanted: one no pod of this Ensemble runs first, then a voter's join
    // undone half-way (replicas lowered meanwhile), then spec.observers' highest ordinal
    // (lowest id). Observers count toward no majority, but the rule is the same: one change
    // at a time, only while healthy.
    int victim = 0;
    for (Owner owner : {Owner::kNone, Owner::kVoters, Owner::kObservers}) {
      for (int id : extra_observers) {
        if (victim == 0 && owner_of(id) == owner) victim = id;
      }
    }
    const Block b = block_of(0, true);
    if (b.reason.empty()) {
      Action a = Simple(Action::Kind::kReconfigRemove);
      a.id = victim;
      step.push_back(a);
      step.push_back(
          Event("Normal", "RemovingMember", "reconfiguring observer " + who(victim) + " out"));
      progress_reason = "RemovingMember";
      progress_message = "removing observer " + std::to_string(victim);
    } else {
      refused_reason = b.reason;
      refused_message = "not removing observer " + std::to_string(victim) + ": " + b.message;
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
    const std::string name = PodName(d.name, ordinal);
    const std::string joiner = "member " + std::to_string(joining) + " (" + name + ")";
    const Block b = block_of(0, true);
    bool deletable = false;
    // Its id still held by a pod of <name>-observer (replicas raised and observers lowered in
    // one edit): that observer was reconfigured out above; its pod goes first.
    const bool id_held = Pod(o, ObserverOrdinalOfId(joining), true) != nullptr ||
                         o.observer_statefulset.replicas > ObserverOrdinalOfId(joining);
    if (!b.reason.empty()) {
      refused_reason = b.reason;
      refused_message = "not adding voter " + std::to_string(joining) + ": " + b.message;
      // Never start a new pod while unhealthy; one already there, or already an observer,
      // keeps its pod.
      joining = pod != nullptr || observing ? joining : 0;
    } else if (id_held && !observing) {
      joining = pod != nullptr ? joining : 0;
      progress_reason = "AddingMember";
      progress_message =
          "waiting for " + ObserverPodName(d.name, ObserverOrdinalOfId(*missing.begin())) +
          " to go before voter " + std::to_string(*missing.begin()) + " takes its id";
    } else if (!observing && stale_claim(ordinal, false, &deletable)) {
      joining = 0;
      refuse_stale(name, deletable, IdOfOrdinal(ordinal));
    } else if (!observing && (pod == nullptr || m == nullptr || !m->reachable)) {
      progress_reason = "AddingMember";
      progress_message = "waiting for " + name + " to start";
      if (o.statefulset.replicas <= ordinal) {
        step.push_back(Event("Normal", "AddingMember",
                             "starting " + name + " to join as voter " + std::to_string(joining)));
      }
    } else if (!observing) {
      Action a = Simple(Action::Kind::kReconfigAdd);
      a.id = joining;
      a.server = ObserverServerSpec(d.name, d.ns, joining, d.client_port);
      step.push_back(a);
      step.push_back(Event("Normal", "AddingMember",
                           "reconfiguring " + joiner + " in as an observer to catch up"));
      progress_reason = "AddingMember";
      progress_message = "adding " + joiner + " as an observer";
    } else if (!Serving(o, joining)) {
      progress_reason = "AddingMember";
      progress_message = "waiting for " + joiner + " to catch up as an observer";
    } else {
      Action a = Simple(Action::Kind::kReconfigAdd);
      a.id = joining;
      a.server = ServerSpec(d.name, d.ns, joining, d.client_port);
      step.push_back(a);
      step.push_back(Event("Normal", "PromotingMember",
                           "reconfiguring " + joiner + " from observer to voter of " + Ids(voters) +
                               " -> " + std::to_string(voters.size() + 1) + " voters"));
      progress_reason = "AddingMember";
      progress_message = "promoting " + joiner + " to voter";
    }
  } else if (!missing_observers.empty()) {
    // spec.observers: one member at a time, the lowest ordinal (highest id) first: (1)
    // <name>-observer grows by its pod, listed in the ConfigMap as an observer; (2) once its
    // server answers, `reconfig -add server.N=...:observer`; the next one waits until it
    // serves (synced with the leader).
    joining_observer = *missing_observers.rbegin();
    const int ordinal = ObserverOrdinalOfId(joining_observer);
    const ObservedPod* pod = Pod(o, ordinal, true);
    const ObservedMember* m = Member(o, joining_observer);
    const std::string name = ObserverPodName(d.name, ordinal);
    const std::string joiner = "member " + std::to_string(joining_observer) + " (" + name + ")";
    const Block b = block_of(0, true);
    bool deletable = false;
    const bool id_held = Pod(o, OrdinalOfId(joining_observer)) != nullptr ||
                         o.statefulset.replicas >= joining_observer;
    if (!b.reason.empty()) {
      refused_reason = b.reason;
      refused_message =
          "not adding observer " + std::to_string(joining_observer) + ": " + b.message;
      joining_observer = pod != nullptr ? joining_observer : 0;
    } else if (!observers_not_serving.empty()) {
      progress_reason = "AddingMember";
      progress_message =
          "observers " + Ids(observers_not_serving) + " are not serving yet; the next one waits";
      joining_observer = pod != nullptr ? joining_observer : 0;
    } else if (id_held) {
      progress_reason = "AddingMember";
      progress_message = "waiting for " + PodName(d.name, OrdinalOfId(joining_observer)) +
                         " to go before observer " + std::to_string(joining_observer) +
                         " takes its id";
      joining_observer = 0;
    } else if (stale_claim(ordinal, true, &deletable)) {
      joining_observer = 0;
      refuse_stale(name, deletable, ObserverIdOfOrdinal(ordinal));
    } else if (pod == nullptr || m == nullptr || !m->reachable) {
      progress_reason = "AddingMember";
      progress_message = "waiting for " + name + " to start";
      if (o.observer_statefulset.replicas <= ordinal) {
        step.push_back(
            Event("Normal", "AddingMember",
                  "starting " + name + " to join as observer " + std::to_string(joining_observer)));
      }
    } else {
      Action a = Simple(Action::Kind::kReconfigAdd);
      a.id = joining_observer;
      a.server = ObserverMemberSpec(d.name, d.ns, joining_observer, d.client_port);
      step.push_back(a);
      step.push_back(
          Event("Normal", "AddingMember", "reconfiguring " + joiner + " in as an observer"));
      progress_reason = "AddingMember";
      progress_message = "adding observer " + joiner;
    }
  }

  // The StatefulSets cover every member of the live configuration they run and the member
  // joining, and nothing else; pods beyond that are not members (removed, or never added), so
  // shrinking never touches the quorum. Their ordinals are recorded as scale-ins before a
  // StatefulSet shrinks. A member of the configuration beyond a StatefulSet's size and without
  // a pod (added by hand) gets none: it is being removed.
  int top = 0, top_observers = 0;
  for (const std::set<int>* set : {&voters, &o.config.observers}) {
    for (int id : *set) {
      const Owner owner = owner_of(id);
      if (owner == Owner::kVoters &&
          (id <= o.statefulset.replicas || Pod(o, OrdinalOfId(id)) != nullptr)) {
        top = std::max(top, id);
      }
      const int ordinal = ObserverOrdinalOfId(id);
      if (owner == Owner::kObservers &&
          (ordinal < o.observer_statefulset.replicas || Pod(o, ordinal, true) != nullptr)) {
        top_observers = std::max(top_observers, ordinal + 1);
      }
    }
  }
  int sts_replicas = std::max(top, joining);
  if (sts_replicas == 0) sts_replicas = d.replicas;
  int observer_sts_replicas = std::max(
      top_observers, joining_observer != 0 ? ObserverOrdinalOfId(joining_observer) + 1 : 0);
  auto shrink = [&](const ObservedStatefulSet& set, int* planned, std::set<int>* scale_ins,
                    const std::string& set_name) {
    if (!set.exists || set.replicas <= *planned) return;
    if (!config_settled) {
      *planned = set.replicas;
      return;
    }
    for (int ord = *planned; ord < set.replicas; ++ord) scale_ins->insert(ord);
    record_status_first = true;
    step.push_back(Event("Normal", "ScaledIn",
                         "StatefulSet " + set_name + " shrinks from " +
                             std::to_string(set.replicas) + " to " + std::to_string(*planned) +
                             " pods"));
    if (progress_reason.empty()) {
      progress_reason = "ScalingIn";
      progress_message = "removing pods of members no longer in the configuration";
    }
  };
  shrink(o.statefulset, &sts_replicas, &s.scale_ins, d.name);
  shrink(o.observer_statefulset, &observer_sts_replicas, &s.observer_scale_ins,
         ObserverStatefulSetName(d.name));

  // The ConfigMap: what a member starting now should know. A joining voter is listed as an
  // observer until the configuration makes it a voter; members no pod of this Ensemble runs
  // are left out (their server lines would name a pod that is not theirs).
  for (const std::set<int>* set : {&voters, &o.config.observers}) {
    for (int id : *set) {
      const Owner owner = owner_of(id);
      if (owner == Owner::kNone) continue;
      p.config_members.insert(id);
      if (set == &o.config.observers) p.config_observers.insert(id);
      if (owner == Owner::kObservers) p.config_observer_pods.insert(id);
    }
  }
  if (joining != 0 && voters.count(joining) == 0) {
    p.config_members.insert(joining);
    p.config_observers.insert(joining);
  }
  if (joining_observer != 0) {
    p.config_members.insert(joining_observer);
    p.config_observers.insert(joining_observer);
    p.config_observer_pods.insert(joining_observer);
  }
  {
    Action sts = Simple(Action::Kind::kApplyStatefulSet);
    sts.replicas = sts_replicas;
    p.actions.push_back(sts);
    if (o.observer_statefulset.exists || observer_sts_replicas > 0) {
      Action obs = Simple(Action::Kind::kApplyObserverStatefulSet);
      obs.replicas = observer_sts_replicas;
      p.actions.push_back(obs);
    }
  }

  // --- Rolling restart (OnDelete): only when membership is settled. ------------------------
  bool restarting = false;
  const bool membership_settled =
      extra.empty() && missing.empty() && extra_observers.empty() && missing_observers.empty() &&
      o.statefulset.replicas == sts_replicas &&
      (!o.observer_statefulset.exists || o.observer_statefulset.replicas == observer_sts_replicas);
  // Both StatefulSet controllers have seen their current templates. Until then a pod of a set
  // whose template just changed matches that set's stale update revision and looks current: the
  // order would lose "observers first", and an image could be recorded as current while pods
  // still run the old one. Nothing is restarted or recorded until both have.
  const bool revisions_known =
      o.statefulset.revision_current &&
      (!o.observer_statefulset.exists || o.observer_statefulset.revision_current);
  const bool upgrading = !o.statefulset.image.empty() && o.statefulset.image != o.current_image;
  bool rollout_pending = false;
  if (membership_settled && !o.statefulset.update_revision.empty() && !revisions_known) {
    rollout_pending = true;
  } else if (membership_settled && !o.statefulset.update_revision.empty()) {
    auto id_of = [](const ObservedPod& pod) {
      return pod.observer ? ObserverIdOfOrdinal(pod.ordinal) : IdOfOrdinal(pod.ordinal);
    };
    std::vector<const ObservedPod*> outdated;
    bool any_deleting = false;
    for (const ObservedPod& pod : o.pods) {
      const ObservedStatefulSet& set = pod.observer ? o.observer_statefulset : o.statefulset;
      if (pod.ordinal >= (pod.observer ? observer_sts_replicas : sts_replicas)) continue;
      any_deleting |= pod.deleting;
      if (!pod.deleting && !pod.revision.empty() && !set.update_revision.empty() &&
          pod.revision != set.update_revision) {
        outdated.push_back(&pod);
      }
    }
    auto is_outdated = [&](const ObservedPod& pod) {
      return std::find(outdated.begin(), outdated.end(), &pod) != outdated.end();
    };
    const std::string kind = upgrading ? "Upgrading" : "Restarting";
    const ObservedPod* target = nullptr;
    if (!outdated.empty() && !any_deleting && !o.credential.digest_problem.empty()) {
      // A pod deleted now would not start again.
      refused_reason = "SuperDigestSecretMissing";
      refused_message = "restart of " + std::to_string(outdated.size()) +
                        " members waits: " + o.credential.digest_problem;
    } else if (!outdated.empty() && !any_deleting) {
      // Kubernetes counts a member by its pod's Ready condition (the PodDisruptionBudget, the
      // client Service's endpoints), which follows the member's own answer by up to a readiness
      // probe period. Voters whose pod is not Ready: on the update revision, a restarted member
      // whose probe has not passed yet, which holds every next restart; on an old revision
      // (a probe the new template fixes), members Kubernetes counts as down already.
      std::set<int> unready_voters;
      bool unready_restarted = false;
      for (const ObservedPod& pod : o.pods) {
        if (pod.observer || voters.count(IdOfOrdinal(pod.ordinal)) == 0 || pod.ready) continue;
        unready_voters.insert(IdOfOrdinal(pod.ordinal));
        unready_restarted |= !is_outdated(pod);
      }
      // A member that answers and says it does not serve may be restarted out of turn: it
      // repairs a rollout stuck on a bad revision. Only when the voters known to serve besides
      // it make a quorum and every other voter's pod is Ready, so that it takes nothing away.
      // A member that does not answer is not known not to serve (a probe that timed out), and
      // is never restarted this way.
      for (const ObservedPod* pod : outdated) {
        const int id = id_of(*pod);
        const ObservedMember* m = Member(o, id);
        if (m == nullptr || !m->reachable || m->serving) continue;
        std::set<int> others_unready = unready_voters;
        others_unready.erase(id);
        if (quorum_up && serving >= Quorum(static_cast<int>(voters.size())) &&
            others_unready.empty()) {
          target = pod;
          break;
        }
      }
      if (target == nullptr && healthy && observers_not_serving.empty() && !unready_restarted) {
        // Observers first (they count toward nothing), then followers, by descending
        // ordinal; the leader last. While some voters' pods are not Ready (all on an old
        // revision), only they and observers: a Ready voter would be one more Kubernetes
        // counts as down.
        std::vector<const ObservedPod*> eligible;
        for (const ObservedPod* pod : outdated) {
          if (unready_voters.empty() || pod->observer || unready_voters.count(id_of(*pod)) != 0) {
            eligible.push_back(pod);
          }
        }
        auto rank = [&](const ObservedPod* pod) {
          return pod->observer ? 0 : id_of(*pod) == leader ? 2 : 1;
        };
        std::sort(eligible.begin(), eligible.end(),
                  [&](const ObservedPod* a, const ObservedPod* b) {
                    if (rank(a) != rank(b)) return rank(a) < rank(b);
                    return a->ordinal > b->ordinal;
                  });
        if (!eligible.empty()) target = eligible.front();
      } else if (target == nullptr && (!healthy || !observers_not_serving.empty())) {
        const Block b = healthy
                            ? Block{"MembersNotInSync",
                                    "observers " + Ids(observers_not_serving) + " are not serving"}
                            : blocked;
        refused_reason = b.reason;
        refused_message =
            "restart of " + std::to_string(outdated.size()) + " members waits: " + b.message;
      }
    }
    if (target != nullptr) {
      // The Event names the pod and the role it has as it goes (docs/kubernetes.md, "Events"):
      // "restarting <pod> (<role>): ...", role leader, follower, observer or not serving.
      const int id = id_of(*target);
      const ObservedMember* m = Member(o, id);
      std::string role = "not serving";
      if (Serving(o, id) && m != nullptr) {
        role = RoleName(m->role);
        std::transform(role.begin(), role.end(), role.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      }
      const ObservedStatefulSet& set = target->observer ? o.observer_statefulset : o.statefulset;
      Action a = Simple(Action::Kind::kDeletePod);
      a.name = target->name;
      step.push_back(a);
      step.push_back(Event("Normal", kind == "Upgrading" ? "UpgradingMember" : "RestartingMember",
                           "restarting " + target->name + " (" + role + "): deleting it to run " +
                               (upgrading ? "image " + o.statefulset.image + ", " : "") +
                               "revision " + set.update_revision));
      progress_reason = kind;
      progress_message = std::to_string(outdated.size()) + " members to restart";
      restarting = true;
    } else if (!outdated.empty() || any_deleting) {
      restarting = refused_reason.empty();
      if (restarting) {
        progress_reason = kind;
        progress_message = "waiting for the restarted member to serve and sync";
      }
    } else if (!o.statefulset.image.empty() && revisions_known) {
      s.current_image = o.statefulset.image;  // every member runs the current template
    }
  }
  if (rollout_pending && progress_reason.empty() && refused_reason.empty()) {
    progress_reason = "RolloutPending";
    progress_message = "waiting for the StatefulSet controller to see the new pod template";
  }

  // --- Claims of recorded scale-ins, per reclaim policy, once their pods are gone. ----------
  auto reclaim = [&](const std::set<int>& recorded, bool observer, const ObservedStatefulSet& set,
                     int planned, std::set<int>* kept) {
    for (int ordinal : recorded) {
      const bool pod_gone = Pod(o, ordinal, observer) == nullptr && ordinal >= set.replicas;
      bool claims_left = false;
      for (const ObservedClaim& c : o.claims) {
        if (c.ordinal != ordinal || c.observer != observer) continue;
        claims_left = true;
        if (pod_gone && ClaimIsDeletable(d, c)) {
          Action a = Simple(Action::Kind::kDeleteClaim);
          a.name = c.name;
          step.push_back(a);
          step.push_back(
              Event("Normal", "ClaimDeleted",
                    "deleting claim " + c.name + " of scaled-in member " +
                        (observer ? ObserverPodName(d.name, ordinal) : PodName(d.name, ordinal)) +
                        " (reclaimPolicy Delete)"));
        }
      }
      const bool back_in = ordinal < planned && Pod(o, ordinal, observer) != nullptr;
      if (!claims_left || back_in) kept->erase(ordinal);
    }
  };
  reclaim(o.scale_ins, false, o.statefulset, sts_replicas, &s.scale_ins);
  reclaim(o.observer_scale_ins, true, o.observer_statefulset, observer_sts_replicas,
          &s.observer_scale_ins);

  p.actions.insert(p.actions.end(), step.begin(), step.end());
  p.status_first = p.status_first || record_status_first;

  // --- Status -------------------------------------------------------------------------------
  const bool all_serving = not_serving.empty();
  Condition ready = quorum_up && all_serving
                        ? C("True", "QuorumAvailable", "every voter serves")
                        : (quorum_up ? C("True", "QuorumAvailable",
                                         std::to_string(serving) + " of " +
                                             std::to_string(voters.size()) + " voters serve")
                                     : C("False", "QuorumLost", blocked.message));
  Condition degraded = C("False", "AllMembersServing", "");
  if (!quorum_up) {
    degraded = C("True", "QuorumLost", blocked.message);
    WarnOnChange(o, &p, "Degraded", "QuorumLost", blocked.message);
  } else if ((!all_serving || !observers_unreachable.empty()) && !restarting) {
    // A failed or restarting member stays in the configuration: no reconfig, just report it.
    std::string msg;
    if (!all_serving) msg = "voters " + Ids(not_serving) + " are not serving";
    if (!observers_unreachable.empty()) {
      msg += (msg.empty() ? "" : "; ") + std::string("observers ") + Ids(observers_unreachable) +
             " do not answer";
    }
    degraded = C("True", "MemberUnavailable", msg);
    WarnOnChange(o, &p, "Degraded", "MemberUnavailable", msg);
  }
  if (degraded.status == "False") {
    // The end of a failure is an event too.
    auto it = o.condition_reasons.find("Degraded");
    if (it != o.condition_reasons.end() &&
        (it->second == "QuorumLost" || it->second == "MemberUnavailable")) {
      p.actions.push_back(
          Event("Normal", "Recovered", "every member serves again (was " + it->second + ")"));
    }
  }
  if (progress_reason.empty() && refused_reason.empty() && !observers_not_serving.empty() &&
      observers_unreachable.size() < observers_not_serving.size()) {
    progress_reason = "AddingMember";
    progress_message = "observers " + Ids(observers_not_serving) + " catching up";
  }
  if (!o.credential.digest_problem.empty() && progress_reason.empty()) {
    // Said whatever else waits: any pod made now (a restart, a node lost) would not start.
    refused_reason = "SuperDigestSecretMissing";
    refused_message = o.credential.digest_problem +
                      ": a member's pod made now cannot start (its CORRAL_SUPER_DIGEST)";
  }
  Condition progressing = C("False", "Reconciled", "the ensemble matches the spec");
  if (!refused_reason.empty() && progress_reason.empty()) {
    progressing = C("False", refused_reason, refused_message);
    WarnOnChange(o, &p, "Progressing", refused_reason, refused_message);
  } else if (!progress_reason.empty()) {
    progressing = C("True", progress_reason, progress_message);
  }
  SetConditions(&p, ready, progressing, degraded);

  const bool membership_pending =
      !extra.empty() || !missing.empty() || !extra_observers.empty() || !missing_observers.empty();
  if (!quorum_up) {
    s.phase = "QuorumLost";
  } else if (progress_reason == "Upgrading" || (progress_reason == "RolloutPending" && upgrading)) {
    s.phase = "Upgrading";
  } else if (progress_reason == "Restarting") {
    s.phase = "Restarting";
  } else if ((!progress_reason.empty() && progress_reason != "RolloutPending") ||
             membership_pending) {
    s.phase = "Scaling";
  } else if (!all_serving || !observers_unreachable.empty()) {
    s.phase = "Degraded";
  } else {
    s.phase = "Running";
  }
  p.requeue = !progress_reason.empty() || !refused_reason.empty() || !all_serving ||
              !observers_not_serving.empty();
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
    case Action::Kind::kApplyObserverStatefulSet:
      return "ApplyObserverStatefulSet";
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
