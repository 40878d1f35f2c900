#include "kube/objects.h"

#include <functional>
#include <map>
#include <sstream>

#include "kube/credentials.h"
#include "kube/json_path.h"
#include "plan/names.h"

namespace corral::kube {
namespace {

using web::json::value;

// A quantity given as a string or an integer, as text.
std::string Quantity(const value& v, std::initializer_list<const char*> path,
                     const std::string& def) {
  const value* x = At(v, path);
  if (x == nullptr) return def;
  if (x->is_string()) return x->as_string();
  if (x->is_number()) return x->serialize();
  return def;
}

value S(const std::string& s) { return value::string(s); }

value Labels(const Ensemble& e) {
  value l = value::object();
  l["app.kubernetes.io/name"] = S("corral");
  l["app.kubernetes.io/instance"] = S(e.name);
  l["app.kubernetes.io/managed-by"] = S("corral-operator");
  return l;
}

// The labels of a pod: the voters' carry Labels(e) (and are selected by SelectorLabels); the
// observers' another app.kubernetes.io/name, so that neither StatefulSet's selector (immutable
// once created), the scale subresource's nor the PodDisruptionBudget's ever counts them.
value PodLabels(const Ensemble& e, bool observer) {
  return observer ? ObserverSelectorLabels(e.name) : Labels(e);
}

// What the Services select: every member, voter or observer (observers serve reads and the
// headless Service gives them their DNS names).
value MemberSelector(const Ensemble& e) {
  value l = value::object();
  l["app.kubernetes.io/instance"] = S(e.name);
  l["app.kubernetes.io/managed-by"] = S("corral-operator");
  return l;
}

value Metadata(const Ensemble& e, const std::string& name) {
  value m = value::object();
  m["name"] = S(name);
  m["namespace"] = S(e.ns);
  m["labels"] = Labels(e);
  value owner = value::object();
  owner["apiVersion"] = S("corral.dev/v1alpha1");
  owner["kind"] = S("Ensemble");
  owner["name"] = S(e.name);
  owner["uid"] = S(e.uid);
  owner["controller"] = value::boolean(true);
  owner["blockOwnerDeletion"] = value::boolean(true);
  m["ownerReferences"] = value::array({owner});
  return m;
}

value Object(const char* api_version, const char* kind, const Ensemble& e,
             const std::string& name) {
  value o = value::object();
  o["apiVersion"] = S(api_version);
  o["kind"] = S(kind);
  o["metadata"] = Metadata(e, name);
  return o;
}

value Port(const std::string& name, int port) {
  value p = value::object();
  p["name"] = S(name);
  p["port"] = value::number(port);
  p["targetPort"] = value::number(port);
  p["protocol"] = S("TCP");
  return p;
}

value ContainerPort(const std::string& name, int port) {
  value p = value::object();
  p["name"] = S(name);
  p["containerPort"] = value::number(port);
  p["protocol"] = S("TCP");
  return p;
}

int ClientPort(const Ensemble& e) { return Int(e.spec, {"services", "client", "port"}, 2181); }
int AdminPort(const Ensemble& e) { return Int(e.spec, {"services", "admin", "port"}, 8080); }
int MetricsPort(const Ensemble& e) { return Int(e.spec, {"services", "metrics", "port"}, 7000); }
bool HasLogVolume(const Ensemble& e) { return At(e.spec, {"storage", "log"}) != nullptr; }

// FNV-1a, hex: a short fingerprint of the static configuration for the pod template.
std::string Fingerprint(const std::string& text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  std::ostringstream out;
  out << std::hex << h;
  return out.str();
}

value Service(const Ensemble& e, const std::string& name, const std::string& kind_key,
              std::vector<value> ports, bool headless) {
  value svc = Object("v1", "Service", e, name);
  const value* annotations = At(e.spec, {"services", kind_key.c_str(), "annotations"});
  if (!headless && annotations != nullptr) svc["metadata"]["annotations"] = *annotations;
  value spec = value::object();
  spec["selector"] = MemberSelector(e);
  spec["ports"] = value::array(std::move(ports));
  if (headless) {
    spec["clusterIP"] = S("None");
    // Members find each other (and form the first quorum) before any of them is Ready.
    spec["publishNotReadyAddresses"] = value::boolean(true);
  } else {
    spec["type"] = S(Str(e.spec, {"services", kind_key.c_str(), "type"}, "ClusterIP"));
  }
  svc["spec"] = spec;
  return svc;
}

// Claims carry Labels(e) for voters and observers alike: the deletion of the Ensemble finds
// them all by SelectorString.
value Claim(const Ensemble& e, const char* name, const char* key) {
  value c = value::object();
  value meta = value::object();
  meta["name"] = S(name);
  meta["labels"] = Labels(e);
  c["metadata"] = meta;
  value spec = value::object();
  spec["accessModes"] = value::array({S("ReadWriteOnce")});
  value requests = value::object();
  requests["storage"] = S(Quantity(e.spec, {"storage", key, "size"}, "10Gi"));
  value resources = value::object();
  resources["requests"] = requests;
  spec["resources"] = resources;
  std::string sc = Str(e.spec, {"storage", key, "storageClassName"});
  if (!sc.empty()) spec["storageClassName"] = S(sc);
  c["spec"] = spec;
  return c;
}

value DefaultAntiAffinity(const Ensemble& e, const std::string& mode, bool observer) {
  value term = value::object();
  value selector = value::object();
  selector["matchLabels"] = observer ? ObserverSelectorLabels(e.name) : SelectorLabels(e.name);
  term["labelSelector"] = selector;
  term["topologyKey"] = S("kubernetes.io/hostname");
  value anti = value::object();
  if (mode == "Required") {
    anti["requiredDuringSchedulingIgnoredDuringExecution"] = value::array({term});
  } else {
    value weighted = value::object();
    weighted["weight"] = value::number(100);
    weighted["podAffinityTerm"] = term;
    anti["preferredDuringSchedulingIgnoredDuringExecution"] = value::array({weighted});
  }
  value affinity = value::object();
  affinity["podAntiAffinity"] = anti;
  return affinity;
}

// The container's start: myid from the ordinal (HOSTNAME is the pod name; names.h: a voter's
// id is ordinal + 1, an observer's 255 - ordinal), then the static zoo.cfg, the server lines
// the operator maintains, and the super digest (from the Secret the operator authenticates
// against, kube/credentials.h) that lets the operator reconfigure.
std::string StartScript(bool observer) {
  return std::string(
             "set -e\n"
             "ordinal=${HOSTNAME##*-}\n") +
         (observer ? "echo $((" + std::to_string(op::kMaxMemberId) + " - ordinal)) > /data/myid\n"
                   : std::string("echo $((ordinal + 1)) > /data/myid\n")) +
         "cat /conf/zoo.cfg /conf/servers.cfg > /tmp/zoo.cfg\n"
         "echo \"DigestAuthenticationProvider.superDigest=${CORRAL_SUPER_DIGEST}\" >> "
         "/tmp/zoo.cfg\n"
         "exec corral-server /tmp/zoo.cfg\n";
}

value Mount(const char* name, const char* path, bool read_only = false) {
  value m = value::object();
  m["name"] = S(name);
  m["mountPath"] = S(path);
  if (read_only) m["readOnly"] = value::boolean(true);
  return m;
}

value HttpProbe(const std::string& path, int port, int period, int failures) {
  value get = value::object();
  get["path"] = S(path);
  get["port"] = value::number(port);
  value probe = value::object();
  probe["httpGet"] = get;
  probe["periodSeconds"] = value::number(period);
  probe["failureThreshold"] = value::number(failures);
  return probe;
}

void CopyIf(const value& from, std::initializer_list<const char*> path, value* to,
            const char* key) {
  const value* x = At(from, path);
  if (x != nullptr && !x->is_null()) (*to)[key] = *x;
}

}  // namespace

Ensemble ParseEnsemble(const value& object) {
  Ensemble e;
  e.name = Str(object, {"metadata", "name"});
  e.ns = Str(object, {"metadata", "namespace"});
  e.uid = Str(object, {"metadata", "uid"});
  e.resource_version = Str(object, {"metadata", "resourceVersion"});
  const value* gen = At(object, {"metadata", "generation"});
  e.generation = gen != nullptr && gen->is_number() ? gen->as_number().to_int64() : 0;
  e.deleting = At(object, {"metadata", "deletionTimestamp"}) != nullptr;
  if (const value* f = At(object, {"metadata", "finalizers"}); f != nullptr && f->is_array()) {
    for (const value& x : f->as_array()) {
      e.has_finalizer |= x.is_string() && x.as_string() == op::kFinalizer;
    }
  }
  const value* spec = At(object, {"spec"});
  e.spec = spec != nullptr ? *spec : value::object();
  const value* status = At(object, {"status"});
  e.status = status != nullptr ? *status : value::object();
  return e;
}

op::Desired DesiredOf(const Ensemble& e) {
  op::Desired d;
  d.name = e.name;
  d.ns = e.ns;
  d.generation = e.generation;
  d.replicas = Int(e.spec, {"replicas"}, 3);
  d.observers = Int(e.spec, {"observers"}, 0);
  d.image = Str(e.spec, {"image"}, kDefaultImage);
  d.client_port = ClientPort(e);
  auto policy = [&](const char* key) {
    return Str(e.spec, {"storage", key, "reclaimPolicy"}, "Retain") == "Delete"
               ? op::ReclaimPolicy::kDelete
               : op::ReclaimPolicy::kRetain;
  };
  d.data_reclaim = policy("data");
  d.has_log_volume = HasLogVolume(e);
  d.log_reclaim = policy("log");
  d.pdb_enabled = Bool(e.spec, {"podDisruptionBudget", "enabled"}, true);
  d.deleting = e.deleting;
  d.has_finalizer = e.has_finalizer;
  return d;
}

value SelectorLabels(const std::string& name) {
  value l = value::object();
  l["app.kubernetes.io/name"] = S("corral");
  l["app.kubernetes.io/instance"] = S(name);
  return l;
}

std::string SelectorString(const std::string& name) {
  return "app.kubernetes.io/name=corral,app.kubernetes.io/instance=" + name;
}

value ObserverSelectorLabels(const std::string& name) {
  value l = value::object();
  l["app.kubernetes.io/name"] = S(kObserverAppName);
  l["app.kubernetes.io/instance"] = S(name);
  l["app.kubernetes.io/component"] = S("observer");
  l["app.kubernetes.io/managed-by"] = S("corral-operator");
  return l;
}

std::string ObserverSelectorString(const std::string& name) {
  return std::string("app.kubernetes.io/name=") + kObserverAppName +
         ",app.kubernetes.io/instance=" + name;
}

std::string StaticZooCfg(const Ensemble& e) {
  // Keys the operator owns first, then the user's (the CRD refuses user keys that collide).
  std::string cfg;
  auto line = [&cfg](const std::string& k, const std::string& v) { cfg += k + "=" + v + "\n"; };
  line("dataDir", "/data");
  if (HasLogVolume(e)) line("dataLogDir", "/datalog");
  line("clientPort", std::to_string(ClientPort(e)));
  line("standaloneEnabled", "false");
  line("reconfigEnabled", "true");
  // The Ensemble's uid: the same on every member, never shared with another ensemble.
  line("ensembleId", e.ns + "/" + e.name + "/" + e.uid);
  line("admin.enableServer", "true");
  line("admin.serverPort", std::to_string(AdminPort(e)));
  if (Bool(e.spec, {"services", "metrics", "enabled"}, true)) {
    line("metricsProvider.className",
         "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider");
    line("metricsProvider.httpPort", std::to_string(MetricsPort(e)));
  }
  if (const value* config = At(e.spec, {"config"}); config != nullptr && config->is_object()) {
    std::map<std::string, std::string> sorted;
    for (const auto& [k, v] : config->as_object()) {
      if (v.is_string()) sorted[k] = v.as_string();
    }
    for (const auto& [k, v] : sorted) line(k, v);
  }
  return cfg;
}

value RenderConfigMap(const Ensemble& e, const std::set<int>& config_members,
                      const std::set<int>& observers, const std::set<int>& observer_pods) {
  value cm = Object("v1", "ConfigMap", e, op::ConfigMapName(e.name));
  std::string servers;
  for (int id : config_members) {
    const std::string host = observer_pods.count(id) != 0 ? op::ObserverMemberHost(e.name, e.ns, id)
                                                          : op::MemberHost(e.name, e.ns, id);
    servers += "server." + std::to_string(id) + "=" + host + ":" + std::to_string(op::kQuorumPort) +
               ":" + std::to_string(op::kElectionPort) + ":" +
               (observers.count(id) != 0 ? "observer" : "participant") + ";" +
               std::to_string(ClientPort(e)) + "\n";
  }
  value data = value::object();
  data["zoo.cfg"] = S(StaticZooCfg(e));
  data["servers.cfg"] = S(servers);
  cm["data"] = data;
  return cm;
}

SecretKey SuperDigestSecretKey(const Ensemble& e) {
  if (const value* ref = At(e.spec, {"auth", "superDigest", "secretRef"}); ref != nullptr) {
    return {Str(*ref, {"name"}), Str(*ref, {"key"}), Str(*ref, {"passwordKey"})};
  }
  return {op::OperatorSecretName(e.name), kSecretDigestKey, kSecretPasswordKey};
}

value RenderOperatorSecret(const Ensemble& e, const std::string& password) {
  value secret = Object("v1", "Secret", e, op::OperatorSecretName(e.name));
  secret["type"] = S("Opaque");
  // stringData: the API server stores it base64-encoded under data.
  value data = value::object();
  data[kSecretPasswordKey] = S(password);
  data[kSecretDigestKey] = S(SuperDigestOf(password));
  secret["stringData"] = data;
  return secret;
}

value RenderHeadlessService(const Ensemble& e) {
  return Service(e, op::HeadlessServiceName(e.name), "",
                 {Port("client", ClientPort(e)), Port("quorum", op::kQuorumPort),
                  Port("election", op::kElectionPort), Port("admin", AdminPort(e))},
                 true);
}

value RenderClientService(const Ensemble& e) {
  return Service(e, op::ClientServiceName(e.name), "client", {Port("client", ClientPort(e))},
                 false);
}

value RenderAdminService(const Ensemble& e) {
  if (!Bool(e.spec, {"services", "admin", "enabled"}, true)) return value::null();
  return Service(e, e.name + "-admin", "admin", {Port("admin", AdminPort(e))}, false);
}

value RenderMetricsService(const Ensemble& e) {
  if (!Bool(e.spec, {"services", "metrics", "enabled"}, true)) return value::null();
  return Service(e, e.name + "-metrics", "metrics", {Port("metrics", MetricsPort(e))}, false);
}

value RenderPdb(const Ensemble& e, int voters) {
  value pdb = Object("policy/v1", "PodDisruptionBudget", e, op::PdbName(e.name));
  value spec = value::object();
  // Never maxUnavailable: a drain must not take the ensemble below quorum.
  spec["minAvailable"] = value::number(op::Quorum(voters));
  value selector = value::object();
  selector["matchLabels"] = SelectorLabels(e.name);
  spec["selector"] = selector;
  pdb["spec"] = spec;
  return pdb;
}

value RenderStatefulSet(const Ensemble& e, int replicas) {
  return RenderMemberStatefulSet(e, replicas, false);
}

value RenderObserverStatefulSet(const Ensemble& e, int replicas) {
  return RenderMemberStatefulSet(e, replicas, true);
}

value RenderMemberStatefulSet(const Ensemble& e, int replicas, bool observer) {
  value sts =
      Object("apps/v1", "StatefulSet", e, observer ? op::ObserverStatefulSetName(e.name) : e.name);
  value spec = value::object();
  spec["replicas"] = value::number(replicas);
  spec["serviceName"] = S(op::HeadlessServiceName(e.name));
  // All initial members start together (the first quorum needs a majority of them, and none is
  // Ready before it forms); later pods come one at a time because the operator grows replicas
  // one at a time.
  spec["podManagementPolicy"] = S("Parallel");
  // The operator restarts members itself, followers first and the leader last.
  value strategy = value::object();
  strategy["type"] = S("OnDelete");
  spec["updateStrategy"] = strategy;
  // Claims are the operator's: deleted only for recorded scale-ins, per reclaim policy.
  value retention = value::object();
  retention["whenDeleted"] = S("Retain");
  retention["whenScaled"] = S("Retain");
  spec["persistentVolumeClaimRetentionPolicy"] = retention;
  value selector = value::object();
  selector["matchLabels"] = observer ? ObserverSelectorLabels(e.name) : SelectorLabels(e.name);
  spec["selector"] = selector;

  // Pod template.
  value pod_meta = value::object();
  value labels = PodLabels(e, observer);
  if (const value* extra = At(e.spec, {"pod", "labels"}); extra != nullptr && extra->is_object()) {
    for (const auto& [k, v] : extra->as_object()) {
      if (!labels.has_field(k)) labels[k] = v;
    }
  }
  pod_meta["labels"] = labels;
  value annotations = value::object();
  if (const value* extra = At(e.spec, {"pod", "annotations"}); extra != nullptr) {
    if (extra->is_object()) annotations = *extra;
  }
  annotations["corral.dev/config-hash"] = S(Fingerprint(StaticZooCfg(e)));
  pod_meta["annotations"] = annotations;

  value c = value::object();
  c["name"] = S("corral");
  c["image"] = S(Str(e.spec, {"image"}, kDefaultImage));
  CopyIf(e.spec, {"imagePullPolicy"}, &c, "imagePullPolicy");
  c["command"] = value::array({S("/bin/sh"), S("-c"), S(StartScript(observer))});
  c["ports"] = value::array(
      {ContainerPort("client", ClientPort(e)), ContainerPort("quorum", op::kQuorumPort),
       ContainerPort("election", op::kElectionPort), ContainerPort("admin", AdminPort(e)),
       ContainerPort("metrics", MetricsPort(e))});
  {
    const SecretKey digest = SuperDigestSecretKey(e);
    value env = value::object();
    env["name"] = S("CORRAL_SUPER_DIGEST");
    value key_ref = value::object();
    key_ref["name"] = S(digest.name);
    key_ref["key"] = S(digest.key);
    value from = value::object();
    from["secretKeyRef"] = key_ref;
    env["valueFrom"] = from;
    c["env"] = value::array({env});
  }
  // Ready = serving and in sync with the leader; alive = the process answers at all.
  c["readinessProbe"] = HttpProbe("/commands/ready", AdminPort(e), 5, 1);
  c["livenessProbe"] = HttpProbe("/commands/monitor", AdminPort(e), 10, 6);
  std::vector<value> mounts = {Mount("data", "/data"), Mount("config", "/conf", true),
                               Mount("tmp", "/tmp")};
  if (HasLogVolume(e)) mounts.push_back(Mount("log", "/datalog"));
  c["volumeMounts"] = value::array(mounts);
  CopyIf(e.spec, {"resources"}, &c, "resources");
  CopyIf(e.spec, {"pod", "containerSecurityContext"}, &c, "securityContext");

  value pod = value::object();
  pod["containers"] = value::array({c});
  value config_volume = value::object();
  config_volume["name"] = S("config");
  value cm_ref = value::object();
  cm_ref["name"] = S(op::ConfigMapName(e.name));
  config_volume["configMap"] = cm_ref;
  value tmp_volume = value::object();
  tmp_volume["name"] = S("tmp");
  tmp_volume["emptyDir"] = value::object();
  pod["volumes"] = value::array({config_volume, tmp_volume});
  if (const value* affinity = At(e.spec, {"pod", "affinity"}); affinity != nullptr) {
    pod["affinity"] = *affinity;
  } else {
    std::string mode = Str(e.spec, {"pod", "antiAffinity"}, "Preferred");
    if (mode != "None") pod["affinity"] = DefaultAntiAffinity(e, mode, observer);
  }
  CopyIf(e.spec, {"pod", "tolerations"}, &pod, "tolerations");
  CopyIf(e.spec, {"pod", "topologySpreadConstraints"}, &pod, "topologySpreadConstraints");
  CopyIf(e.spec, {"pod", "nodeSelector"}, &pod, "nodeSelector");
  CopyIf(e.spec, {"pod", "priorityClassName"}, &pod, "priorityClassName");
  CopyIf(e.spec, {"pod", "serviceAccountName"}, &pod, "serviceAccountName");
  CopyIf(e.spec, {"pod", "terminationGracePeriodSeconds"}, &pod, "terminationGracePeriodSeconds");
  if (const value* sc = At(e.spec, {"pod", "securityContext"}); sc != nullptr && !sc->is_null()) {
    pod["securityContext"] = *sc;
  } else {
    // The image's user (uid and gid 1000, docs/container.md), and fsGroup so that it may write
    // the claims a provisioner creates owned by root: without it every member fails at
    // "cannot create /data/myid" (the end-to-end tests found that).
    value image_user = value::object();
    image_user["runAsNonRoot"] = value::boolean(true);
    image_user["runAsUser"] = value::number(1000);
    image_user["runAsGroup"] = value::number(1000);
    image_user["fsGroup"] = value::number(1000);
    image_user["fsGroupChangePolicy"] = S("OnRootMismatch");
    pod["securityContext"] = image_user;
  }
  CopyIf(e.spec, {"imagePullSecrets"}, &pod, "imagePullSecrets");

  value tmpl = value::object();
  tmpl["metadata"] = pod_meta;
  tmpl["spec"] = pod;
  spec["template"] = tmpl;

  std::vector<value> claims = {Claim(e, "data", "data")};
  if (HasLogVolume(e)) claims.push_back(Claim(e, "log", "log"));
  spec["volumeClaimTemplates"] = value::array(claims);
  sts["spec"] = spec;
  return sts;
}

value RenderStatus(const Ensemble& e, const op::PlannedStatus& s, const std::string& now) {
  value st = value::object();
  st["observedGeneration"] = value::number(static_cast<int64_t>(s.observed_generation));
  st["replicas"] = value::number(s.replicas);
  st["readyReplicas"] = value::number(s.ready_replicas);
  st["observers"] = value::number(s.observers);
  st["selector"] = S(SelectorString(e.name));
  st["bootstrapped"] = value::boolean(s.bootstrapped);
  std::vector<value> members;
  for (const op::MemberStatus& m : s.members) {
    value x = value::object();
    x["name"] = S(m.name);
    x["id"] = value::number(m.id);
    x["role"] = S(m.role);
    std::ostringstream zxid;
    zxid << "0x" << std::hex << m.zxid;
    x["zxid"] = S(zxid.str());
    x["ready"] = value::boolean(m.ready);
    members.push_back(x);
  }
  st["members"] = value::array(members);
  if (!s.leader.empty()) st["leader"] = S(s.leader);
  if (s.config_version != 0) {
    std::ostringstream v;
    v << "0x" << std::hex << s.config_version;
    st["configVersion"] = S(v.str());
  }
  if (!s.current_image.empty()) st["currentImage"] = S(s.current_image);
  if (!s.phase.empty()) st["phase"] = S(s.phase);
  std::vector<value> scale_ins;
  for (int ordinal : s.scale_ins) scale_ins.push_back(value::number(ordinal));
  st["scaleIns"] = value::array(scale_ins);
  std::vector<value> observer_scale_ins;
  for (int ordinal : s.observer_scale_ins) observer_scale_ins.push_back(value::number(ordinal));
  st["observerScaleIns"] = value::array(observer_scale_ins);

  std::vector<value> conditions;
  for (const op::Condition& c : s.conditions) {
    std::string since = now;
    if (const value* old = At(e.status, {"conditions"}); old != nullptr && old->is_array()) {
      for (const value& o : old->as_array()) {
        if (Str(o, {"type"}) == c.type && Str(o, {"status"}) == c.status) {
          since = Str(o, {"lastTransitionTime"}, now);
        }
      }
    }
    value x = value::object();
    x["type"] = S(c.type);
    x["status"] = S(c.status);
    x["observedGeneration"] = value::number(static_cast<int64_t>(s.observed_generation));
    x["lastTransitionTime"] = S(since);
    x["reason"] = S(c.reason);
    x["message"] = S(c.message);
    conditions.push_back(x);
  }
  st["conditions"] = value::array(conditions);
  return st;
}

}  // namespace corral::kube
