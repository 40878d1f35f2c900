#include "kube/reconciler.h"

#include <cpprest/json.h>

#include <chrono>
#include <ctime>

#include "base/log.h"
#include "kube/credentials.h"
#include "kube/json_path.h"
#include "kube/objects.h"
#include "plan/names.h"
#include "plan/plan.h"

namespace corral::kube {
namespace {

using web::json::value;

// The ordinal at the end of `<prefix>-<n>`, or -1.
int OrdinalOf(const std::string& name, const std::string& prefix) {
  if (name.size() <= prefix.size() + 1 || name.compare(0, prefix.size(), prefix) != 0 ||
      name[prefix.size()] != '-') {
    return -1;
  }
  const std::string digits = name.substr(prefix.size() + 1);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoi(digits);
}

StatusOr<value> Parse(const Result& r) {
  try {
    return value::parse(r.body);
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("unparsable answer: ") + e.what());
  }
}

}  // namespace

std::string NowRfc3339() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Reconciler::Reconciler(ApiClient* api, MemberAgent* members, std::function<std::string()> now)
    : api_(api), members_(members), now_(std::move(now)) {}

ReconcileResult Reconciler::Reconcile(const std::string& ns, const std::string& name) {
  ReconcileResult out;
  Result got = api_->Get(kEnsembles, ns, name);
  if (got.not_found()) {
    out.gone = true;
    return out;
  }
  if (!got.ok()) {
    out.status = got.status;
    return out;
  }
  StatusOr<value> object = Parse(got);
  if (!object.ok()) {
    out.status = object.status();
    return out;
  }
  const Ensemble e = ParseEnsemble(object.value());
  const op::Desired desired = DesiredOf(e);
  const int admin_port = Int(e.spec, {"services", "admin", "port"}, 8080);

  // ---- Observe ------------------------------------------------------------------------------
  op::Observed o;
  // Both StatefulSets: the voters' <name> and the observers' <name>-observer.
  auto read_statefulset = [&](const std::string& sts_name, op::ObservedStatefulSet* out) -> Status {
    Result sts = api_->Get(kStatefulSets, ns, sts_name);
    if (sts.not_found()) return Status::Ok();
    if (!sts.ok()) return sts.status;
    StatusOr<value> v = Parse(sts);
    if (!v.ok()) return Status::Ok();
    // Only our own StatefulSet counts; one of the same name owned by someone else is left
    // alone (the apply would fail with a conflict and say so).
    out->exists = true;
    out->replicas = Int(v.value(), {"spec", "replicas"}, 0);
    out->ready_replicas = Int(v.value(), {"status", "readyReplicas"}, 0);
    out->current_revision = Str(v.value(), {"status", "currentRevision"});
    out->update_revision = Str(v.value(), {"status", "updateRevision"});
    out->revision_current = Int(v.value(), {"status", "observedGeneration"}, -1) ==
                            Int(v.value(), {"metadata", "generation"}, 0);
    const value* containers = At(v.value(), {"spec", "template", "spec", "containers"});
    if (containers != nullptr && containers->is_array() && containers->size() > 0) {
      out->image = Str(containers->at(0), {"image"});
    }
    return Status::Ok();
  };
  out.status = read_statefulset(name, &o.statefulset);
  if (out.status.ok()) {
    out.status = read_statefulset(op::ObserverStatefulSetName(name), &o.observer_statefulset);
  }
  if (!out.status.ok()) return out;
  ListOptions selector;
  selector.label_selector = SelectorString(name);
  for (bool observer : {false, true}) {
    ListOptions which;
    which.label_selector = observer ? ObserverSelectorString(name) : SelectorString(name);
    const std::string prefix = observer ? op::ObserverStatefulSetName(name) : name;
    Result pods = api_->List(kPods, ns, which);
    if (!pods.ok()) {
      out.status = pods.status;
      return out;
    }
    StatusOr<value> v = Parse(pods);
    if (!v.ok()) continue;
    const value* items = At(v.value(), {"items"});
    for (size_t i = 0; items != nullptr && i < items->size(); ++i) {
      const value& pod = items->at(i);
      op::ObservedPod p;
      p.name = Str(pod, {"metadata", "name"});
      p.ordinal = OrdinalOf(p.name, prefix);
      if (p.ordinal < 0) continue;
      p.observer = observer;
      p.ip = Str(pod, {"status", "podIP"});
      p.deleting = At(pod, {"metadata", "deletionTimestamp"}) != nullptr;
      p.revision = Str(pod, {"metadata", "labels", "controller-revision-hash"});
      const value* conditions = At(pod, {"status", "conditions"});
      for (size_t j = 0; conditions != nullptr && j < conditions->size(); ++j) {
        if (Str(conditions->at(j), {"type"}) == "Ready") {
          p.ready = Str(conditions->at(j), {"status"}) == "True";
        }
      }
      o.pods.push_back(p);
    }
  }
  Result claims = api_->List(kPvcs, ns, selector);
  if (!claims.ok()) {
    out.status = claims.status;
    return out;
  }
  if (StatusOr<value> v = Parse(claims); v.ok()) {
    const value* items = At(v.value(), {"items"});
    for (size_t i = 0; items != nullptr && i < items->size(); ++i) {
      const std::string claim = Str(items->at(i), {"metadata", "name"});
      for (const char* prefix : {"data-", "log-"}) {
        if (claim.rfind(prefix, 0) != 0) continue;
        const std::string pod = claim.substr(std::string(prefix).size());
        if (const int ordinal = OrdinalOf(pod, name); ordinal >= 0) {
          o.claims.push_back({claim, ordinal, false});
        } else if (const int ordinal = OrdinalOf(pod, op::ObserverStatefulSetName(name));
                   ordinal >= 0) {
          o.claims.push_back({claim, ordinal, true});
        }
      }
    }
  }
  // Members, by pod IP; the configuration from the leader (whose committed version is the
  // ensemble's), else from the first serving member.
  std::string config_source;
  for (const op::ObservedPod& p : o.pods) {
    if (p.ip.empty()) continue;
    const int id = p.observer ? op::ObserverIdOfOrdinal(p.ordinal) : op::IdOfOrdinal(p.ordinal);
    o.members[id] = members_->Probe(id, p.ip, admin_port);
    if (o.members[id].serving && !p.observer &&
        (config_source.empty() || o.members[id].role == op::Role::kLeader)) {
      config_source = p.ip;
    }
  }
  if (!config_source.empty()) o.config = members_->ReadConfig(config_source, admin_port);
  // The reconfig credential (kube/credentials.h). Not a reason to fail the reconcile: without
  // it the plan still bootstraps and restarts members, and says why it changes no membership.
  // The Secret is read even without a passwordKey: every member's pod needs its digest key to
  // start, and the plan reports (and deletes no pod) while it is missing.
  std::string super_password;
  if (!desired.deleting) {
    const SecretKey ref = SuperDigestSecretKey(e);
    const std::string what = "Secret " + ref.name;
    const std::string no_password_key =
        "spec.auth.superDigest.secretRef names no passwordKey: the operator "
        "cannot authenticate as the super user to reconfigure";
    if (Result secret = api_->Get(kSecrets, ns, ref.name); secret.ok()) {
      StatusOr<value> v = Parse(secret);
      if (!v.ok()) {
        o.credential.problem = what + " is unreadable";
      } else {
        if (!SecretHasKey(v.value(), ref.key)) {
          o.credential.digest_problem = what + " has no key " + ref.key;
        }
        Credential c = ref.password_key.empty()
                           ? Credential{"", no_password_key}
                           : CredentialFromSecret(v.value(), ref.key, ref.password_key, what);
        super_password = c.password;
        o.credential.problem = c.problem;
      }
    } else if (secret.not_found()) {
      // Only the operator's own Secret is made (before the pods that read it); the user's is
      // the user's to make, and without it no member's pod can start.
      o.credential.create_operator_secret = At(e.spec, {"auth", "superDigest"}) == nullptr;
      o.credential.problem =
          what + " does not exist" + (o.credential.create_operator_secret ? " yet" : "");
      if (!o.credential.create_operator_secret) o.credential.digest_problem = o.credential.problem;
    } else {
      o.credential.problem = "reading " + what + ": " + secret.status.ToString();
    }
  }
  if (const value* b = At(e.status, {"bootstrapped"}); b != nullptr && b->is_boolean()) {
    o.bootstrapped = b->as_bool();
  }
  if (const value* s = At(e.status, {"scaleIns"}); s != nullptr && s->is_array()) {
    for (size_t i = 0; i < s->size(); ++i) {
      if (s->at(i).is_integer()) o.scale_ins.insert(s->at(i).as_integer());
    }
  }
  if (const value* s = At(e.status, {"observerScaleIns"}); s != nullptr && s->is_array()) {
    for (size_t i = 0; i < s->size(); ++i) {
      if (s->at(i).is_integer()) o.observer_scale_ins.insert(s->at(i).as_integer());
    }
  }
  if (const std::string v = Str(e.status, {"configVersion"}); v.rfind("0x", 0) == 0) {
    try {
      o.status_config_version = std::stoull(v.substr(2), nullptr, 16);
    } catch (const std::exception&) {
      // Not ours: taken as never recorded.
    }
  }
  o.status_replicas = Int(e.status, {"replicas"}, 0);
  o.current_image = Str(e.status, {"currentImage"});
  o.phase = Str(e.status, {"phase"});
  if (const value* c = At(e.status, {"conditions"}); c != nullptr && c->is_array()) {
    for (size_t i = 0; i < c->size(); ++i) {
      o.condition_reasons[Str(c->at(i), {"type"})] = Str(c->at(i), {"reason"});
    }
  }

  // ---- Plan and act -------------------------------------------------------------------------
  const op::ReconcilePlan plan = op::Plan(desired, o);
  out.requeue = plan.requeue;

  auto apply = [&](const Resource& r, const value& obj) -> Status {
    Result res = api_->Apply(r, ns, Str(obj, {"metadata", "name"}), obj.serialize(),
                             op::kFieldManager, /*force=*/true);
    return res.status;
  };
  auto write_status = [&]() -> Status {
    value patch = value::object();
    patch["apiVersion"] = value::string("corral.dev/v1alpha1");
    patch["kind"] = value::string("Ensemble");
    value meta = value::object();
    meta["name"] = value::string(name);
    meta["namespace"] = value::string(ns);
    patch["metadata"] = meta;
    patch["status"] = RenderStatus(e, plan.status, now_());
    return api_->Apply(kEnsembles, ns, name, patch.serialize(), op::kFieldManager, true, "status")
        .status;
  };
  auto finalizers = [&](bool add) -> Status {
    value list = value::array();
    size_t n = 0;
    if (const value* f = At(object.value(), {"metadata", "finalizers"}); f != nullptr) {
      for (size_t i = 0; i < f->size(); ++i) {
        if (f->at(i).is_string() && f->at(i).as_string() == op::kFinalizer) continue;
        list[n++] = f->at(i);
      }
    }
    if (add) list[n++] = value::string(op::kFinalizer);
    value patch = value::object();
    patch["metadata"]["finalizers"] = list;
    patch["metadata"]["resourceVersion"] = value::string(e.resource_version);
    return api_->MergePatch(kEnsembles, ns, name, patch.serialize()).status;
  };

  // An Event on the Ensemble. One that cannot be written is logged, never a reason to stop
  // reconciling.
  auto emit = [&](const std::string& type, const std::string& reason, const std::string& message) {
    value ev = value::object();
    ev["apiVersion"] = value::string("v1");
    ev["kind"] = value::string("Event");
    ev["metadata"]["generateName"] = value::string(name + "-");
    ev["metadata"]["namespace"] = value::string(ns);
    ev["involvedObject"]["apiVersion"] = value::string("corral.dev/v1alpha1");
    ev["involvedObject"]["kind"] = value::string("Ensemble");
    ev["involvedObject"]["name"] = value::string(name);
    ev["involvedObject"]["namespace"] = value::string(ns);
    ev["involvedObject"]["uid"] = value::string(e.uid);
    ev["type"] = value::string(type);
    ev["reason"] = value::string(reason);
    ev["message"] = value::string(message);
    ev["source"]["component"] = value::string("corral-operator");
    ev["firstTimestamp"] = value::string(now_());
    ev["lastTimestamp"] = value::string(now_());
    ev["count"] = value::number(1);
    Result r = api_->Create(kEvents, ns, ev.serialize());
    if (!r.ok()) {
      CORRAL_LOG(kWarn) << "event " << reason << ": " << r.status.ToString();
    }
  };

  if (plan.status_first && !desired.deleting) {
    out.status = write_status();
    if (!out.status.ok()) return out;
  }
  for (const op::Action& a : plan.actions) {
    Status st;
    switch (a.kind) {
      case op::Action::Kind::kAddFinalizer:
        st = finalizers(true);
        break;
      case op::Action::Kind::kRemoveFinalizer:
        st = finalizers(false);
        break;
      case op::Action::Kind::kCreateCredentialSecret: {
        // Created, never applied: the password is made once and never rewritten. Someone
        // else's create in between (409) is as good; the next reconcile reads it.
        Result r =
            api_->Create(kSecrets, ns, RenderOperatorSecret(e, NewSuperPassword()).serialize());
        st = r.conflict() ? Status::Ok() : r.status;
        break;
      }
      case op::Action::Kind::kApplyChildren: {
        st = apply(kServices, RenderHeadlessService(e));
        if (st.ok()) st = apply(kServices, RenderClientService(e));
        for (const value& svc : {RenderAdminService(e), RenderMetricsService(e)}) {
          if (st.ok() && !svc.is_null()) st = apply(kServices, svc);
        }
        if (st.ok() && !plan.config_members.empty()) {
          st = apply(kConfigMaps, RenderConfigMap(e, plan.config_members, plan.config_observers,
                                                  plan.config_observer_pods));
        }
        if (st.ok() && desired.pdb_enabled) {
          // Sized from the voters the plan counts; with none known the PDB there is kept
          // rather than made minAvailable 1.
          if (plan.status.replicas > 0) st = apply(kPdbs, RenderPdb(e, plan.status.replicas));
        } else if (st.ok()) {
          Result del = api_->Delete(kPdbs, ns, op::PdbName(name));
          if (!del.ok() && !del.not_found()) st = del.status;
        }
        break;
      }
      case op::Action::Kind::kApplyStatefulSet:
        st = apply(kStatefulSets, RenderStatefulSet(e, a.replicas));
        break;
      case op::Action::Kind::kApplyObserverStatefulSet:
        st = apply(kStatefulSets, RenderObserverStatefulSet(e, a.replicas));
        break;
      case op::Action::Kind::kReconfigAdd:
      case op::Action::Kind::kReconfigRemove: {
        std::string ip;
        // Through a voter (a change is the voters' business; any of them forwards it to the
        // leader), never the member being changed.
        for (const op::ObservedPod& p : o.pods) {
          const int id = op::IdOfOrdinal(p.ordinal);
          if (ip.empty() && !p.observer && o.members[id].serving && id != a.id) ip = p.ip;
        }
        ReconfigChange change;
        change.id = a.id;
        change.server = a.server;
        change.add = a.kind == op::Action::Kind::kReconfigAdd;
        change.super_password = super_password;
        // Against the version planned with: a change by anyone meanwhile makes this one fail
        // (BADVERSION) rather than cross it; the next reconcile plans from what then is.
        change.cur_config_id = static_cast<int64_t>(o.config.version);
        st = members_->Reconfig(ip, desired.client_port, change);
        break;
      }
      case op::Action::Kind::kDeletePod: {
        Result del = api_->Delete(kPods, ns, a.name);
        st = del.not_found() ? Status::Ok() : del.status;
        break;
      }
      case op::Action::Kind::kDeleteClaim: {
        Result del = api_->Delete(kPvcs, ns, a.name);
        st = del.not_found() ? Status::Ok() : del.status;
        break;
      }
      case op::Action::Kind::kEvent:
        emit(a.event_type, a.reason, a.message);
        break;
    }
    if (!st.ok()) {
      out.status = Status(st.code(), std::string(op::KindName(a.kind)) + ": " + st.message());
      // A failure is an Event too: a refused reconfig (BADVERSION: someone changed the
      // configuration meanwhile; NOAUTH: a member with another digest) or a write the API
      // server refused. The next reconcile, after backoff, plans again.
      const bool reconfig =
          a.kind == op::Action::Kind::kReconfigAdd || a.kind == op::Action::Kind::kReconfigRemove;
      emit("Warning", reconfig ? "MembershipChangeFailed" : "ReconcileFailed",
           out.status.ToString());
      return out;
    }
  }
  if (!plan.status_first && !desired.deleting) out.status = write_status();
  return out;
}

}  // namespace corral::kube
