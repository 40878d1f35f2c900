#pragma once
// The reconcile plan: Plan(desired, observed) -> what to do now, and the status to write. Pure:
// no I/O, no clock, the same answer for the same input, so every transition is a table row in
// tests/operator/plan_test.cc. The controller executes the actions in order and stops at the
// first failure; the next reconcile plans again from what it then observes.
//
// The safety rules (../shared/OPERATOR.md, docs/membership.md) live here:
// - bootstrap is decided by the operator and recorded in status (never inferred from DNS);
// - at most one voter change per reconcile, through reconfig, only while the ensemble is
//   healthy (quorum up, every voter serving and in sync, no configuration change in flight);
// - scale-down reconfigures the member out before the StatefulSet shrinks, highest ordinal
//   first, the leader last; claims are deleted only for recorded scale-ins, per reclaim policy;
// - rolling restarts delete one pod at a time, observers first, then followers, the leader
//   last, each only when every member serves (so the previous one is back and in sync);
// - spec.observers run in <name>-observer (ids 255 - ordinal), join and leave one at a time
//   by reconfig like voters, and count toward no quorum;
// - a member that fails or restarts is never reconfigured out: the plan waits and reports;
// - the live membership (/zookeeper/config) is compared with the desired one every time, and
//   drift (members, roles, hosts) is repaired by the same one-change steps and reported once
//   per committed configuration version.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "plan/model.h"

namespace corral::op {

struct Action {
  enum class Kind {
    kAddFinalizer,
    kRemoveFinalizer,
    kCreateCredentialSecret,    // the operator's `<name>-operator-auth` with a new password
    kApplyChildren,             // headless + client Services, ConfigMap, PDB (server-side apply)
    kApplyStatefulSet,          // with `replicas`
    kApplyObserverStatefulSet,  // <name>-observer with `replicas`
    kReconfigAdd,               // `id` joins as a participant (`server` is its server.N value)
    kReconfigRemove,            // `id` leaves
    kDeletePod,                 // `name`
    kDeleteClaim,               // `name`
    kEvent,                     // `event_type` Normal|Warning, `reason`, `message`
  };
  Kind kind = Kind::kEvent;
  int replicas = 0;
  int id = 0;
  std::string name;
  std::string server;
  std::string event_type;
  std::string reason;
  std::string message;

  bool operator==(const Action&) const = default;
};

struct Condition {
  std::string type;    // Ready, Progressing, Degraded
  std::string status;  // True, False, Unknown
  std::string reason;
  std::string message;
  bool operator==(const Condition&) const = default;
};

struct MemberStatus {
  std::string name;
  int id = 0;
  std::string role;  // Leader, Follower, Observer, Standalone, Unknown
  uint64_t zxid = 0;
  bool ready = false;
};

struct PlannedStatus {
  int64_t observed_generation = 0;
  int replicas = 0;  // voters in the live configuration
  int ready_replicas = 0;
  int observers = 0;  // members of spec.observers in the live configuration, as observers
  bool bootstrapped = false;
  std::vector<MemberStatus> members;
  std::string leader;
  uint64_t config_version = 0;
  std::string current_image;
  std::string phase;
  std::vector<Condition> conditions;  // Ready, Progressing, Degraded in that order
  std::set<int> scale_ins;
  std::set<int> observer_scale_ins;
};

struct ReconcilePlan {
  // In execution order. The status (below) is written before the first action that depends on
  // it having been recorded (bootstrap, a scale-in); the controller writes it first when
  // `status_first` is set, otherwise last.
  std::vector<Action> actions;
  PlannedStatus status;
  bool status_first = false;
  // The members the ConfigMap lists: the configuration a member starting now should know;
  // those in `config_observers` with the observer role, the others as participants.
  std::set<int> config_members;
  std::set<int> config_observers;
  // Of `config_members`, those <name>-observer runs (their server lines name its pods).
  std::set<int> config_observer_pods;
  // Nothing left to do but wait for the world (a pod to start, a member to sync): reconcile
  // again soon rather than only on the next event.
  bool requeue = false;

  // Helpers for tests and logs.
  const Condition* FindCondition(const std::string& type) const;
  int Count(Action::Kind kind) const;
};

ReconcilePlan Plan(const Desired& desired, const Observed& observed);

std::string RoleName(Role role);
const char* KindName(Action::Kind kind);

}  // namespace corral::op
