#pragma once
// The Kubernetes side of an Ensemble: reading the Ensemble object into the plan's Desired, and
// rendering the child objects and the status as JSON for server-side apply. Pure functions of
// their arguments (no I/O), tested in tests/operator/objects_test.cc. web::json stays in kube/.
#include <cpprest/json.h>

#include <set>
#include <string>

#include "plan/model.h"
#include "plan/plan.h"

namespace corral::kube {

// The image used when spec.image is omitted.
inline constexpr const char* kDefaultImage = "corral-server:latest";

// The Ensemble's metadata and spec with the CRD's defaults filled in where absent (the API
// server defaults them too; this keeps the operator correct against objects stored before a
// default existed).
struct Ensemble {
  std::string name;
  std::string ns;
  std::string uid;
  std::string resource_version;
  int64_t generation = 0;
  bool deleting = false;
  bool has_finalizer = false;
  web::json::value spec;
  web::json::value status;
};

Ensemble ParseEnsemble(const web::json::value& object);
op::Desired DesiredOf(const Ensemble& e);

// The label selector of an Ensemble's voter pods, as matchLabels and as a string (also what
// the scale subresource and the PodDisruptionBudget select: voters only).
web::json::value SelectorLabels(const std::string& name);
std::string SelectorString(const std::string& name);
// The labels of the observers' pods (<name>-observer), and a selector of them as a string.
// Their app.kubernetes.io/name differs from the voters' so that no selector of voters matches.
inline constexpr const char* kObserverAppName = "corral-observer";
web::json::value ObserverSelectorLabels(const std::string& name);
std::string ObserverSelectorString(const std::string& name);

// Where the members' super digest comes from, and the operator's password (kube/credentials.h):
// the Secret the Ensemble names in spec.auth.superDigest.secretRef (`password_key` empty when
// it names none), else the operator's own `<name>-operator-auth`.
struct SecretKey {
  std::string name;
  std::string key;
  std::string password_key;
};
SecretKey SuperDigestSecretKey(const Ensemble& e);
// The operator's own Secret: `password` and its `superDigest`, owned by the Ensemble.
web::json::value RenderOperatorSecret(const Ensemble& e, const std::string& password);

// Children. `config_members`: the server.N lines the ConfigMap lists (empty: the caller must not
// apply the ConfigMap). `voters`: the size of the live configuration, for the PDB.
web::json::value RenderStatefulSet(const Ensemble& e, int replicas);
// <name>-observer: the same pod but for its labels and id (255 - ordinal), members of
// spec.observers.
web::json::value RenderObserverStatefulSet(const Ensemble& e, int replicas);
web::json::value RenderMemberStatefulSet(const Ensemble& e, int replicas, bool observer);
web::json::value RenderHeadlessService(const Ensemble& e);
web::json::value RenderClientService(const Ensemble& e);
// The admin and metrics Services, or null when the spec turns them off.
web::json::value RenderAdminService(const Ensemble& e);
web::json::value RenderMetricsService(const Ensemble& e);
// `observers` (a subset of `config_members`) are listed with the observer role;
// `observer_pods` (another subset) with the host of <name>-observer's pod for their id.
web::json::value RenderConfigMap(const Ensemble& e, const std::set<int>& config_members,
                                 const std::set<int>& observers = {},
                                 const std::set<int>& observer_pods = {});
web::json::value RenderPdb(const Ensemble& e, int voters);

// The static part of zoo.cfg (no server lines): what a change of restarts the members.
std::string StaticZooCfg(const Ensemble& e);

// The status object for the status subresource: conditions keep their lastTransitionTime from
// `e.status` when their status did not change; `now` is RFC 3339.
web::json::value RenderStatus(const Ensemble& e, const op::PlannedStatus& s,
                              const std::string& now);

}  // namespace corral::kube
