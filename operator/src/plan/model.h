#pragma once
// What the reconcile plan decides from: the desired Ensemble (its spec, reduced to what the plan
// needs) and the observed world (the API's objects and what each member says of itself). Plain
// values, filled by the kube layer, so the plan can be tested without a cluster.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace corral::op {

enum class ReclaimPolicy { kRetain, kDelete };

struct Desired {
  std::string name;
  std::string ns;
  int64_t generation = 0;
  int replicas = 3;   // voters
  int observers = 0;  // members of spec.observers (ids 255, 254, ...)
  std::string image;
  int client_port = 2181;
  ReclaimPolicy data_reclaim = ReclaimPolicy::kRetain;
  bool has_log_volume = false;
  ReclaimPolicy log_reclaim = ReclaimPolicy::kRetain;
  bool pdb_enabled = true;
  bool deleting = false;  // metadata.deletionTimestamp is set
  bool has_finalizer = false;
};

struct ObservedStatefulSet {
  bool exists = false;
  int replicas = 0;  // spec.replicas
  int ready_replicas = 0;
  std::string current_revision;
  std::string update_revision;
  std::string image;  // of the pod template
  // status.observedGeneration == metadata.generation: the StatefulSet controller has seen the
  // current template, so update_revision is that template's revision. Until then a template
  // just changed looks like one every pod already runs.
  bool revision_current = true;
};

struct ObservedPod {
  std::string name;
  int ordinal = 0;
  std::string ip;
  bool ready = false;     // the Ready condition (the member's /commands/ready probe)
  bool deleting = false;  // deletionTimestamp set
  std::string revision;   // controller-revision-hash label
  bool observer = false;  // a pod of <name>-observer (spec.observers); `ordinal` is in that set
};

enum class Role { kUnknown, kLeader, kFollower, kObserver, kStandalone, kLearner, kLooking };

// What a member's admin API said (/commands/ready, /commands/leader, mntr), asked by pod IP.
struct ObservedMember {
  int id = 0;
  bool reachable = false;  // its admin API answered
  bool serving = false;    // /commands/ready: serving and in sync with the leader
  Role role = Role::kUnknown;
  uint64_t zxid = 0;
  // The version of the configuration it counts with: the newest in its log, committed or not
  // (0: the static server lines, never reconfigured).
  uint64_t config_version = 0;
  // The version of the newest configuration it applied (committed): its /zookeeper/config.
  uint64_t committed_config_version = 0;
};

// The live configuration, read from a serving member, the leader when there is one: the
// membership it counts with (voting_view) and the version of the newest configuration it
// committed (0: never reconfigured, the static server lines). While a reconfig is in flight the
// leader counts with a newer configuration than `version` (its ObservedMember::config_version
// differs), and the plan changes nothing until they agree.
struct ObservedConfig {
  bool known = false;
  uint64_t version = 0;     // committed: the zxid of the reconfig that made it
  std::set<int> voters;     // ids of participants
  std::set<int> observers;  // ids of observers
  // Each member's host as the configuration lists it (its quorum address without the port):
  // which StatefulSet runs it (names.h), or neither when someone else added it.
  std::map<int, std::string> hosts;
};

// The operator's credential for reconfig (kube/credentials.h): a Secret holding the super
// password whose digest the members are configured with.
struct ObservedCredential {
  // The Ensemble names no Secret of its own and the operator's `<name>-operator-auth` does not
  // exist yet: the plan makes it.
  bool create_operator_secret = false;
  // Why the operator cannot authenticate (no such Secret, no password key, a password that does
  // not match the digest); empty when it can. Membership changes wait while it is set.
  std::string problem;
  // Why a member's pod made now could not start, empty when it could: the Secret every member's
  // CORRAL_SUPER_DIGEST is read from (a required secretKeyRef) is the user's and does not exist,
  // or lacks the digest key, so the kubelet refuses the container (CreateContainerConfigError).
  // Running members keep the digest they started with; no pod is deleted while it is set.
  std::string digest_problem;
};

struct ObservedClaim {
  std::string name;
  int ordinal = 0;
  bool observer = false;  // a claim of <name>-observer's pod `ordinal`
};

struct Observed {
  ObservedStatefulSet statefulset;           // the voters' <name>
  ObservedStatefulSet observer_statefulset;  // <name>-observer
  std::vector<ObservedPod> pods;             // of both
  std::map<int, ObservedMember> members;     // by id
  ObservedConfig config;
  std::vector<ObservedClaim> claims;  // the Ensemble's PVCs (data-<pod>, log-<pod>)
  ObservedCredential credential;
  // From status: the operator created the first configuration (never inferred from DNS).
  bool bootstrapped = false;
  // From status: ordinals the operator removed by a recorded scale-in and whose claims the
  // reclaim policy may delete once their pods are gone.
  std::set<int> scale_ins;
  std::set<int> observer_scale_ins;  // the same for <name>-observer's ordinals
  // From status: the committed configuration version last recorded (status.configVersion). A
  // committed version that differs was made since; drift found then is reported once.
  uint64_t status_config_version = 0;
  // From status: voters of the live configuration, or while bootstrapping the size of the first
  // configuration the operator chose (recorded before the StatefulSet is created).
  int status_replicas = 0;
  std::string current_image;  // status.currentImage
  std::string phase;          // status.phase as last written
  // status.conditions as last written: type -> reason (events are emitted on changes only).
  std::map<std::string, std::string> condition_reasons;
};

}  // namespace corral::op
