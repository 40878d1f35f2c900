// The Kubernetes objects rendered from an Ensemble, and the Ensemble read into the plan's input.
#include "kube/objects.h"

#include <gtest/gtest.h>

#include <string>

#include "plan/names.h"

namespace corral::kube {
namespace {

using web::json::value;

Ensemble Make(const std::string& spec_json) {
  value obj = value::parse(R"({"apiVersion":"corral.dev/v1alpha1","kind":"Ensemble",
    "metadata":{"name":"zk","namespace":"prod","uid":"u-1","generation":4,
                "resourceVersion":"17"},
    "spec":)" + spec_json + "}");
  return ParseEnsemble(obj);
}

std::string Get(const value& v, std::initializer_list<const char*> path) {
  const value* cur = &v;
  for (const char* k : path) {
    if (!cur->is_object() || !cur->has_field(k)) return "<absent>";
    cur = &cur->at(k);
  }
  return cur->is_string() ? cur->as_string() : cur->serialize();
}

void ExpectOwned(const value& obj) {
  const value& owners = obj.at("metadata").at("ownerReferences");
  ASSERT_EQ(owners.size(), 1u);
  EXPECT_EQ(Get(owners.at(0), {"kind"}), "Ensemble");
  EXPECT_EQ(Get(owners.at(0), {"uid"}), "u-1");
  EXPECT_EQ(Get(owners.at(0), {"controller"}), "true");
  EXPECT_EQ(Get(obj, {"metadata", "namespace"}), "prod");
}

TEST(Objects, DesiredWithDefaults) {
  op::Desired d = DesiredOf(Make("{}"));
  EXPECT_EQ(d.name, "zk");
  EXPECT_EQ(d.ns, "prod");
  EXPECT_EQ(d.generation, 4);
  EXPECT_EQ(d.replicas, 3);
  EXPECT_EQ(d.image, kDefaultImage);
  EXPECT_EQ(d.client_port, 2181);
  EXPECT_EQ(d.data_reclaim, op::ReclaimPolicy::kRetain);
  EXPECT_FALSE(d.has_log_volume);
  EXPECT_TRUE(d.pdb_enabled);
  EXPECT_FALSE(d.deleting);

  d = DesiredOf(Make(R"({"replicas":5,"image":"c:2","services":{"client":{"port":2281}},
    "storage":{"data":{"reclaimPolicy":"Delete"},"log":{"size":"1Gi","reclaimPolicy":"Delete"}},
    "podDisruptionBudget":{"enabled":false}})"));
  EXPECT_EQ(d.replicas, 5);
  EXPECT_EQ(d.image, "c:2");
  EXPECT_EQ(d.client_port, 2281);
  EXPECT_EQ(d.data_reclaim, op::ReclaimPolicy::kDelete);
  EXPECT_TRUE(d.has_log_volume);
  EXPECT_EQ(d.log_reclaim, op::ReclaimPolicy::kDelete);
  EXPECT_FALSE(d.pdb_enabled);
}

TEST(Objects, DeletionAndFinalizerAreRead) {
  Ensemble e = ParseEnsemble(value::parse(R"({"metadata":{"name":"zk","namespace":"n",
    "deletionTimestamp":"2026-01-01T00:00:00Z","finalizers":["corral.dev/pvc-cleanup"]},
    "spec":{}})"));
  EXPECT_TRUE(e.deleting);
  EXPECT_TRUE(e.has_finalizer);
}

TEST(Objects, StatefulSet) {
  Ensemble e = Make(R"({"image":"corral:9","imagePullPolicy":"Never",
    "resources":{"requests":{"cpu":"500m"}}})");
  value sts = RenderStatefulSet(e, 3);
  ExpectOwned(sts);
  EXPECT_EQ(Get(sts, {"apiVersion"}), "apps/v1");
  EXPECT_EQ(Get(sts, {"metadata", "name"}), "zk");
  EXPECT_EQ(Get(sts, {"spec", "replicas"}), "3");
  EXPECT_EQ(Get(sts, {"spec", "serviceName"}), "zk-headless");
  EXPECT_EQ(Get(sts, {"spec", "updateStrategy", "type"}), "OnDelete");
  EXPECT_EQ(Get(sts, {"spec", "podManagementPolicy"}), "Parallel");
  EXPECT_EQ(Get(sts, {"spec", "persistentVolumeClaimRetentionPolicy", "whenScaled"}), "Retain");
  EXPECT_EQ(Get(sts, {"spec", "selector", "matchLabels", "app.kubernetes.io/instance"}), "zk");
  const value& pod = sts.at("spec").at("template");
  EXPECT_EQ(Get(pod, {"metadata", "labels", "app.kubernetes.io/instance"}), "zk");
  const value& c = pod.at("spec").at("containers").at(0);
  EXPECT_EQ(Get(c, {"image"}), "corral:9");
  EXPECT_EQ(Get(c, {"imagePullPolicy"}), "Never");
  EXPECT_EQ(Get(c, {"resources", "requests", "cpu"}), "500m");
  EXPECT_EQ(Get(c, {"readinessProbe", "httpGet", "path"}), "/commands/ready");
  EXPECT_EQ(Get(c, {"readinessProbe", "httpGet", "port"}), "8080");
  const std::string script = c.at("command").at(2).as_string();
  EXPECT_NE(script.find("echo $((ordinal + 1)) > /data/myid"), std::string::npos)
      << "myid from the ordinal";
  EXPECT_NE(script.find("superDigest=${CORRAL_SUPER_DIGEST}"), std::string::npos)
      << "always: the operator's own Secret when the Ensemble names none";
  const value& claims = sts.at("spec").at("volumeClaimTemplates");
  ASSERT_EQ(claims.size(), 1u);
  EXPECT_EQ(Get(claims.at(0), {"metadata", "name"}), "data");
  EXPECT_EQ(Get(claims.at(0), {"spec", "resources", "requests", "storage"}), "10Gi");
  EXPECT_EQ(Get(claims.at(0), {"spec", "storageClassName"}), "<absent>");
  // The default anti-affinity: preferred, across nodes.
  EXPECT_EQ(Get(pod.at("spec")
                    .at("affinity")
                    .at("podAntiAffinity")
                    .at("preferredDuringSchedulingIgnoredDuringExecution")
                    .at(0),
                {"podAffinityTerm", "topologyKey"}),
            "kubernetes.io/hostname");
  // The default security context: the image's user, and fsGroup so it may write its claims.
  EXPECT_EQ(Get(pod.at("spec"), {"securityContext", "runAsUser"}), "1000");
  EXPECT_EQ(Get(pod.at("spec"), {"securityContext", "fsGroup"}), "1000");
}

TEST(Objects, StatefulSetClaimNamesMatchThePlan) {
  // The plan deletes claims by name: the template names must give exactly those.
  value sts = RenderStatefulSet(Make(R"({"storage":{"log":{"size":"1Gi"}}})"), 3);
  const value& claims = sts.at("spec").at("volumeClaimTemplates");
  ASSERT_EQ(claims.size(), 2u);
  EXPECT_EQ(Get(claims.at(0), {"metadata", "name"}) + "-zk-2", op::DataClaimName("zk", 2));
  EXPECT_EQ(Get(claims.at(1), {"metadata", "name"}) + "-zk-2", op::LogClaimName("zk", 2));
}

TEST(Objects, StatefulSetPodOverrides) {
  Ensemble e = Make(R"({"pod":{"antiAffinity":"Required","labels":{"team":"a"},
    "annotations":{"x":"y"},"nodeSelector":{"disk":"ssd"},"priorityClassName":"high",
    "tolerations":[{"key":"k","operator":"Exists","effect":"NoSchedule"}],
    "topologySpreadConstraints":[{"maxSkew":1,"topologyKey":"zone",
                                  "whenUnsatisfiable":"DoNotSchedule"}],
    "securityContext":{"runAsUser":1000},"terminationGracePeriodSeconds":60},
    "storage":{"data":{"size":"20Gi","storageClassName":"fast"},
               "log":{"size":"5Gi","storageClassName":"nvme"}},
    "auth":{"superDigest":{"secretRef":{"name":"s","key":"digest"}}}})");
  value sts = RenderStatefulSet(e, 5);
  const value& pod = sts.at("spec").at("template");
  EXPECT_EQ(Get(pod, {"metadata", "labels", "team"}), "a");
  EXPECT_EQ(Get(pod, {"metadata", "annotations", "x"}), "y");
  const value& spec = pod.at("spec");
  EXPECT_TRUE(spec.at("affinity")
                  .at("podAntiAffinity")
                  .has_field("requiredDuringSchedulingIgnoredDuringExecution"));
  EXPECT_EQ(Get(spec, {"nodeSelector", "disk"}), "ssd");
  EXPECT_EQ(Get(spec, {"priorityClassName"}), "high");
  EXPECT_EQ(Get(spec.at("tolerations").at(0), {"key"}), "k");
  EXPECT_EQ(Get(spec.at("topologySpreadConstraints").at(0), {"topologyKey"}), "zone");
  EXPECT_EQ(Get(spec, {"securityContext", "runAsUser"}), "1000");
  EXPECT_EQ(Get(spec, {"terminationGracePeriodSeconds"}), "60");
  const value& c = spec.at("containers").at(0);
  EXPECT_EQ(Get(c.at("env").at(0), {"valueFrom", "secretKeyRef", "name"}), "s");
  EXPECT_EQ(Get(c.at("env").at(0), {"valueFrom", "secretKeyRef", "key"}), "digest");
  EXPECT_NE(c.at("command").at(2).as_string().find("superDigest=${CORRAL_SUPER_DIGEST}"),
            std::string::npos);
  const value& claims = sts.at("spec").at("volumeClaimTemplates");
  EXPECT_EQ(Get(claims.at(0), {"spec", "storageClassName"}), "fast");
  EXPECT_EQ(Get(claims.at(0), {"spec", "resources", "requests", "storage"}), "20Gi");
  EXPECT_EQ(Get(claims.at(1), {"spec", "storageClassName"}), "nvme");

  // Explicit affinity replaces the default; None adds none.
  value given = RenderStatefulSet(Make(R"({"pod":{"affinity":{"nodeAffinity":{"x":1}}}})"), 3);
  EXPECT_EQ(Get(given.at("spec").at("template").at("spec"), {"affinity", "nodeAffinity", "x"}),
            "1");
  value none = RenderStatefulSet(Make(R"({"pod":{"antiAffinity":"None"}})"), 3);
  EXPECT_FALSE(none.at("spec").at("template").at("spec").has_field("affinity"));
}

TEST(Objects, ConfigChangeRestartsMembersButMembershipDoesNot) {
  auto hash = [](const value& sts) {
    return Get(sts, {"spec", "template", "metadata", "annotations", "corral.dev/config-hash"});
  };
  Ensemble a = Make(R"({"config":{"tickTime":"2000"}})");
  Ensemble b = Make(R"({"config":{"tickTime":"3000"}})");
  EXPECT_NE(hash(RenderStatefulSet(a, 3)), hash(RenderStatefulSet(b, 3)));
  EXPECT_EQ(hash(RenderStatefulSet(a, 3)), hash(RenderStatefulSet(a, 5)));
  // The template is otherwise identical whatever the replicas: scaling restarts nobody.
  value t3 = RenderStatefulSet(a, 3).at("spec").at("template");
  value t5 = RenderStatefulSet(a, 5).at("spec").at("template");
  EXPECT_EQ(t3.serialize(), t5.serialize());
}

TEST(Objects, Services) {
  Ensemble e = Make(R"({"services":{"client":{"type":"LoadBalancer","port":2281,
    "annotations":{"lb":"internal"}},"admin":{"enabled":false}}})");
  value headless = RenderHeadlessService(e);
  ExpectOwned(headless);
  EXPECT_EQ(Get(headless, {"metadata", "name"}), "zk-headless");
  EXPECT_EQ(Get(headless, {"spec", "clusterIP"}), "None");
  EXPECT_EQ(Get(headless, {"spec", "publishNotReadyAddresses"}), "true");
  std::set<std::string> ports;
  for (const value& p : headless.at("spec").at("ports").as_array()) {
    ports.insert(Get(p, {"name"}) + ":" + Get(p, {"port"}));
  }
  EXPECT_EQ(ports,
            (std::set<std::string>{"client:2281", "quorum:2888", "election:3888", "admin:8080"}));
  value client = RenderClientService(e);
  ExpectOwned(client);
  EXPECT_EQ(Get(client, {"metadata", "name"}), "zk-client");
  EXPECT_EQ(Get(client, {"metadata", "annotations", "lb"}), "internal");
  EXPECT_EQ(Get(client, {"spec", "type"}), "LoadBalancer");
  EXPECT_EQ(Get(client.at("spec").at("ports").at(0), {"port"}), "2281");
  EXPECT_EQ(Get(client, {"spec", "selector", "app.kubernetes.io/instance"}), "zk");
  EXPECT_TRUE(RenderAdminService(e).is_null());
  EXPECT_EQ(Get(RenderMetricsService(e), {"metadata", "name"}), "zk-metrics");
}

TEST(Objects, ConfigMap) {
  Ensemble e = Make(R"({"config":{"tickTime":"2000","autopurge.purgeInterval":"1"},
    "storage":{"log":{"size":"1Gi"}}})");
  value cm = RenderConfigMap(e, {1, 2, 4});
  ExpectOwned(cm);
  EXPECT_EQ(Get(cm, {"metadata", "name"}), "zk-config");
  EXPECT_EQ(Get(cm, {"data", "servers.cfg"}),
            "server.1=zk-0.zk-headless.prod.svc:2888:3888:participant;2181\n"
            "server.2=zk-1.zk-headless.prod.svc:2888:3888:participant;2181\n"
            "server.4=zk-3.zk-headless.prod.svc:2888:3888:participant;2181\n");
  const std::string cfg = Get(cm, {"data", "zoo.cfg"});
  for (const char* line :
       {"dataDir=/data\n", "dataLogDir=/datalog\n", "clientPort=2181\n", "reconfigEnabled=true\n",
        "standaloneEnabled=false\n", "ensembleId=prod/zk/u-1\n", "admin.serverPort=8080\n",
        "metricsProvider.httpPort=7000\n", "tickTime=2000\n", "autopurge.purgeInterval=1\n"}) {
    EXPECT_NE(cfg.find(line), std::string::npos) << line;
  }
  EXPECT_EQ(cfg.find("server."), std::string::npos) << "server lines live in servers.cfg";
}

TEST(Objects, ConfigMapListsAJoiningVoterAsAnObserver) {
  value cm = RenderConfigMap(Make("{}"), {1, 2, 3, 4}, {4});
  EXPECT_EQ(Get(cm, {"data", "servers.cfg"}),
            "server.1=zk-0.zk-headless.prod.svc:2888:3888:participant;2181\n"
            "server.2=zk-1.zk-headless.prod.svc:2888:3888:participant;2181\n"
            "server.3=zk-2.zk-headless.prod.svc:2888:3888:participant;2181\n"
            "server.4=zk-3.zk-headless.prod.svc:2888:3888:observer;2181\n");
}

TEST(Objects, ConfigMapNamesTheObserversPodsForSpecObservers) {
  value cm = RenderConfigMap(Make("{}"), {1, 254, 255}, {254, 255}, {254, 255});
  EXPECT_EQ(Get(cm, {"data", "servers.cfg"}),
            "server.1=zk-0.zk-headless.prod.svc:2888:3888:participant;2181\n"
            "server.254=zk-observer-1.zk-headless.prod.svc:2888:3888:observer;2181\n"
            "server.255=zk-observer-0.zk-headless.prod.svc:2888:3888:observer;2181\n");
}

TEST(Objects, ObserverStatefulSetIsApartFromTheVoters) {
  Ensemble e = Make(R"({"image":"corral:9"})");
  value sts = RenderObserverStatefulSet(e, 2);
  ExpectOwned(sts);
  EXPECT_EQ(Get(sts, {"metadata", "name"}), "zk-observer");
  EXPECT_EQ(Get(sts, {"spec", "replicas"}), "2");
  EXPECT_EQ(Get(sts, {"spec", "serviceName"}), "zk-headless") << "DNS names beside the voters'";
  EXPECT_EQ(Get(sts, {"spec", "updateStrategy", "type"}), "OnDelete");
  EXPECT_EQ(Get(sts, {"spec", "selector", "matchLabels", "app.kubernetes.io/name"}),
            "corral-observer");
  const value& labels = sts.at("spec").at("template").at("metadata").at("labels");
  // No selector of voters (the voters' StatefulSet, the scale subresource, the PDB) matches.
  EXPECT_EQ(labels.at("app.kubernetes.io/name").as_string(), "corral-observer");
  EXPECT_EQ(labels.at("app.kubernetes.io/instance").as_string(), "zk");
  EXPECT_EQ(labels.at("app.kubernetes.io/managed-by").as_string(), "corral-operator");
  // ... but every Service does: observers serve clients and need their DNS names.
  for (const value& svc : {RenderHeadlessService(e), RenderClientService(e)}) {
    for (const auto& [k, v] : svc.at("spec").at("selector").as_object()) {
      EXPECT_EQ(labels.at(k).as_string(), v.as_string()) << k;
    }
  }
  const value pdb = RenderPdb(e, 3);
  const value& pdb_selector = pdb.at("spec").at("selector").at("matchLabels");
  EXPECT_NE(pdb_selector.at("app.kubernetes.io/name").as_string(),
            labels.at("app.kubernetes.io/name").as_string());
  const value& c = sts.at("spec").at("template").at("spec").at("containers").at(0);
  EXPECT_EQ(Get(c, {"image"}), "corral:9");
  const std::string script = c.at("command").at(2).as_string();
  EXPECT_NE(script.find("echo $((255 - ordinal)) > /data/myid"), std::string::npos)
      << "ids count down from 255: never a voter's";
  // The same template otherwise: a spec.config change restarts observers too.
  EXPECT_EQ(sts.at("spec").at("template").at("metadata").at("annotations").serialize(),
            RenderStatefulSet(e, 3)
                .at("spec")
                .at("template")
                .at("metadata")
                .at("annotations")
                .serialize());
  // Claims carry the voters' labels, so deleting the Ensemble finds them all.
  EXPECT_EQ(Get(sts.at("spec").at("volumeClaimTemplates").at(0),
                {"metadata", "labels", "app.kubernetes.io/name"}),
            "corral");
}

TEST(Objects, PdbMinAvailableIsTheQuorum) {
  for (auto [voters, quorum] : {std::pair{1, 1}, {3, 2}, {4, 3}, {5, 3}, {7, 4}}) {
    value pdb = RenderPdb(Make("{}"), voters);
    ExpectOwned(pdb);
    EXPECT_EQ(Get(pdb, {"spec", "minAvailable"}), std::to_string(quorum));
    EXPECT_EQ(Get(pdb, {"spec", "maxUnavailable"}), "<absent>");
  }
}

TEST(Objects, StatusKeepsTransitionTimesOfUnchangedConditions) {
  value obj = value::parse(R"({"metadata":{"name":"zk","namespace":"prod","generation":4},
    "spec":{},"status":{"conditions":[
      {"type":"Ready","status":"True","lastTransitionTime":"2026-01-01T00:00:00Z"},
      {"type":"Degraded","status":"True","lastTransitionTime":"2026-01-01T00:00:00Z"}]}})");
  Ensemble e = ParseEnsemble(obj);
  op::PlannedStatus s;
  s.observed_generation = 4;
  s.replicas = 3;
  s.ready_replicas = 3;
  s.bootstrapped = true;
  s.leader = "zk-0";
  s.config_version = 0x100000002;
  s.phase = "Running";
  s.members = {{"zk-0", 1, "Leader", 0x100000005, true}};
  s.conditions = {{"Ready", "True", "QuorumAvailable", ""},
                  {"Progressing", "False", "Reconciled", ""},
                  {"Degraded", "False", "AllMembersServing", ""}};
  value st = RenderStatus(e, s, "2026-02-02T00:00:00Z");
  EXPECT_EQ(Get(st, {"observedGeneration"}), "4");
  EXPECT_EQ(Get(st, {"selector"}), "app.kubernetes.io/name=corral,app.kubernetes.io/instance=zk");
  EXPECT_EQ(Get(st, {"configVersion"}), "0x100000002");
  EXPECT_EQ(Get(st.at("members").at(0), {"zxid"}), "0x100000005");
  const value& c = st.at("conditions");
  EXPECT_EQ(Get(c.at(0), {"lastTransitionTime"}), "2026-01-01T00:00:00Z") << "Ready unchanged";
  EXPECT_EQ(Get(c.at(1), {"lastTransitionTime"}), "2026-02-02T00:00:00Z") << "new";
  EXPECT_EQ(Get(c.at(2), {"lastTransitionTime"}), "2026-02-02T00:00:00Z") << "flipped";
  EXPECT_EQ(Get(c.at(2), {"observedGeneration"}), "4");
}

// Without spec.auth the members' digest comes from the operator's own Secret, whose password
// the operator keeps; the digest is always put into zoo.cfg, so reconfig can be authenticated.
TEST(Objects, SuperDigestComesFromTheOperatorsSecretByDefault) {
  Ensemble e = Make(R"({"replicas":3})");
  const value sts = RenderStatefulSet(e, 3);
  const value& c = sts.at("spec").at("template").at("spec").at("containers").at(0);
  EXPECT_EQ(Get(c.at("env").at(0), {"name"}), "CORRAL_SUPER_DIGEST");
  EXPECT_EQ(Get(c.at("env").at(0), {"valueFrom", "secretKeyRef", "name"}), "zk-operator-auth");
  EXPECT_EQ(Get(c.at("env").at(0), {"valueFrom", "secretKeyRef", "key"}), "superDigest");
  EXPECT_NE(c.at("command").at(2).as_string().find(
                "DigestAuthenticationProvider.superDigest=${CORRAL_SUPER_DIGEST}"),
            std::string::npos);
  SecretKey k = SuperDigestSecretKey(e);
  EXPECT_EQ(k.name, "zk-operator-auth");
  EXPECT_EQ(k.password_key, "password");

  value secret = RenderOperatorSecret(e, "secret");
  ExpectOwned(secret);
  EXPECT_EQ(Get(secret, {"metadata", "name"}), "zk-operator-auth");
  EXPECT_EQ(Get(secret, {"type"}), "Opaque");
  EXPECT_EQ(Get(secret, {"stringData", "password"}), "secret");
  EXPECT_EQ(Get(secret, {"stringData", "superDigest"}), "super:lK75jTNcA+U9vtVEw5vB51mj/w4=");

  // The user's Secret instead: its digest key, and its password key when it names one.
  k = SuperDigestSecretKey(
      Make(R"({"auth":{"superDigest":{"secretRef":{"name":"s","key":"d","passwordKey":"p"}}}})"));
  EXPECT_EQ(k.name, "s");
  EXPECT_EQ(k.key, "d");
  EXPECT_EQ(k.password_key, "p");
  k = SuperDigestSecretKey(
      Make(R"({"auth":{"superDigest":{"secretRef":{"name":"s","key":"d"}}}})"));
  EXPECT_EQ(k.password_key, "");
}

}  // namespace
}  // namespace corral::kube
