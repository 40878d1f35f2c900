// The reconciler against a fake API: what it reads, in which order it writes, and that it stops
// at the first failed action. (The real API server: tests/k8s_api/test_operator.py.)
#include "kube/reconciler.h"

#include <cpprest/asyncrt_utils.h>
#include <cpprest/json.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "fake_api.h"
#include "kube/credentials.h"

namespace corral::kube {
namespace {

using web::json::value;

class FakeMembers : public MemberAgent {
 public:
  std::map<std::string, op::ObservedMember> by_ip;
  op::ObservedConfig config;
  std::vector<std::string> reconfigs;
  std::vector<std::string> passwords;
  Status reconfig_status;  // what Reconfig answers

  op::ObservedMember Probe(int id, const std::string& ip, int) override {
    auto it = by_ip.find(ip);
    op::ObservedMember m = it != by_ip.end() ? it->second : op::ObservedMember{};
    m.id = id;
    return m;
  }
  std::vector<std::string> config_reads;
  std::vector<int64_t> cur_config_ids;

  op::ObservedConfig ReadConfig(const std::string& ip, int) override {
    config_reads.push_back(ip);
    return config;
  }
  Status Reconfig(const std::string& ip, int, const ReconfigChange& change) override {
    reconfigs.push_back((change.add ? "add " : "remove ") + std::to_string(change.id) + " via " +
                        ip);
    passwords.push_back(change.super_password);
    cur_config_ids.push_back(change.cur_config_id);
    return reconfig_status;
  }
};

std::string EnsembleJson(const std::string& spec, const std::string& status = "{}") {
  return R"({"apiVersion":"corral.dev/v1alpha1","kind":"Ensemble","metadata":{"name":"zk",
    "namespace":"prod","uid":"u-1","generation":2,"resourceVersion":"41"},"spec":)" +
         spec + R"(,"status":)" + status + "}";
}

// The operator's own Secret with the password "secret", as an earlier reconcile made it.
void AddOperatorSecret(FakeApi* api) {
  const std::string digest = SuperDigestOf("secret");
  api->objects["secrets/zk-operator-auth"] =
      R"({"data":{"password":"c2VjcmV0","superDigest":")" +
      utility::conversions::to_base64(std::vector<unsigned char>(digest.begin(), digest.end())) +
      R"("}})";
}

Reconciler Make(FakeApi* api, FakeMembers* members) {
  return Reconciler(api, members, [] { return std::string("2026-03-01T00:00:00Z"); });
}

TEST(Reconciler, GoneEnsembleIsNotAnError) {
  FakeApi api;
  FakeMembers members;
  ReconcileResult r = Make(&api, &members).Reconcile("prod", "zk");
  EXPECT_TRUE(r.gone);
  EXPECT_TRUE(r.status.ok());
  EXPECT_TRUE(api.Writes().empty());
}

TEST(Reconciler, NewEnsembleRecordsItsFirstSizeThenAppliesChildrenThenStatefulSet) {
  FakeApi api;
  FakeMembers members;
  api.objects["ensembles/zk"] = EnsembleJson(R"({"replicas":3})");
  ReconcileResult r = Make(&api, &members).Reconcile("prod", "zk");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_TRUE(r.requeue);
  // The size of the first configuration is recorded before the StatefulSet exists.
  EXPECT_EQ(api.Writes(),
            (std::vector<std::string>{
                "APPLY ensembles/zk/status", "CREATE secrets", "CREATE events",
                "APPLY services/zk-headless", "APPLY services/zk-client", "APPLY services/zk-admin",
                "APPLY services/zk-metrics", "APPLY configmaps/zk-config",
                "APPLY poddisruptionbudgets/zk-pdb", "APPLY statefulsets/zk", "CREATE events"}));
  for (const Call& c : api.calls) {
    if (c.verb == "APPLY") {
      EXPECT_EQ(c.field_manager, "corral-operator");
    }
  }
  value sts = value::parse(api.Find("APPLY", "statefulsets")->body);
  EXPECT_EQ(sts.at("spec").at("replicas").as_integer(), 3);
  value status = value::parse(api.Find("APPLY", "ensembles", "status")->body);
  EXPECT_EQ(status.at("status").at("observedGeneration").as_integer(), 2);
  EXPECT_EQ(status.at("status").at("phase").as_string(), "Bootstrapping");
  EXPECT_EQ(status.at("metadata").at("name").as_string(), "zk");
  value event = value::parse(api.Find("CREATE", "events")->body);
  EXPECT_EQ(event.at("reason").as_string(), "CredentialCreated");
  EXPECT_EQ(event.at("involvedObject").at("uid").as_string(), "u-1");
}

TEST(Reconciler, StopsAtTheFirstFailedActionAndDoesNotWriteStatus) {
  FakeApi api;
  FakeMembers members;
  // Bootstrapping already recorded: the status goes last, after every action succeeded.
  api.objects["ensembles/zk"] =
      EnsembleJson(R"({"replicas":3})", R"({"replicas":3,"phase":"Bootstrapping"})");
  AddOperatorSecret(&api);
  api.fail["APPLY statefulsets"] = 500;
  ReconcileResult r = Make(&api, &members).Reconcile("prod", "zk");
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("ApplyStatefulSet"), std::string::npos);
  EXPECT_EQ(api.Find("APPLY", "ensembles", "status"), nullptr);
  // The failure is an Event (and the only one).
  ASSERT_NE(api.Find("CREATE", "events"), nullptr);
  value event = value::parse(api.Find("CREATE", "events")->body);
  EXPECT_EQ(event.at("type").as_string(), "Warning");
  EXPECT_EQ(event.at("reason").as_string(), "ReconcileFailed");
  EXPECT_NE(event.at("message").as_string().find("ApplyStatefulSet"), std::string::npos);
  const std::vector<std::string> writes = api.Writes();
  EXPECT_EQ(std::count(writes.begin(), writes.end(), "CREATE events"), 1);
}

TEST(Reconciler, FinalizerAddedWithTheResourceVersionAsPrecondition) {
  FakeApi api;
  FakeMembers members;
  api.objects["ensembles/zk"] =
      EnsembleJson(R"({"replicas":3,"storage":{"data":{"reclaimPolicy":"Delete"}}})");
  ASSERT_TRUE(Make(&api, &members).Reconcile("prod", "zk").status.ok());
  ASSERT_NE(api.Find("MERGE", "ensembles"), nullptr);
  value patch = value::parse(api.Find("MERGE", "ensembles")->body);
  EXPECT_EQ(patch.at("metadata").at("finalizers").at(0).as_string(), "corral.dev/pvc-cleanup");
  EXPECT_EQ(patch.at("metadata").at("resourceVersion").as_string(), "41");
}

// Three pods running and a leader serving {1,2,3}: the reconciler probes by pod IP, and with
// spec.replicas 5 records the adoption first, then grows the StatefulSet by one.
TEST(Reconciler, ProbesMembersByPodIpAndWritesARecordBeforeActing) {
  FakeApi api;
  FakeMembers members;
  api.objects["ensembles/zk"] = EnsembleJson(R"({"replicas":5})");
  AddOperatorSecret(&api);
  api.objects["statefulsets/zk"] = R"({"spec":{"replicas":3,"template":{"spec":{"containers":[
    {"name":"corral","image":"corral:1"}]}}},"status":{"readyReplicas":3,
    "currentRevision":"r1","updateRevision":"r1"}})";
  std::string pods = R"({"items":[)";
  for (int i = 0; i < 3; ++i) {
    pods += std::string(i ? "," : "") + R"({"metadata":{"name":"zk-)" + std::to_string(i) +
            R"(","labels":{"controller-revision-hash":"r1"}},"status":{"podIP":"10.1.0.)" +
            std::to_string(i) + R"(","conditions":[{"type":"Ready","status":"True"}]}})";
    op::ObservedMember m;
    m.reachable = m.serving = true;
    m.role = i == 0 ? op::Role::kLeader : op::Role::kFollower;
    members.by_ip["10.1.0." + std::to_string(i)] = m;
  }
  api.objects["pods/"] = pods + "]}";
  members.config.known = true;
  members.config.voters = {1, 2, 3};
  ReconcileResult r = Make(&api, &members).Reconcile("prod", "zk");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  std::vector<std::string> writes = api.Writes();
  ASSERT_FALSE(writes.empty());
  EXPECT_EQ(writes.front(), "APPLY ensembles/zk/status") << "the adoption is recorded first";
  value status = value::parse(api.Find("APPLY", "ensembles", "status")->body);
  EXPECT_TRUE(status.at("status").at("bootstrapped").as_bool());
  EXPECT_EQ(status.at("status").at("leader").as_string(), "zk-0");
  value sts = value::parse(api.Find("APPLY", "statefulsets")->body);
  EXPECT_EQ(sts.at("spec").at("replicas").as_integer(), 4) << "one voter at a time";
  value cm = value::parse(api.Find("APPLY", "configmaps")->body);
  EXPECT_NE(cm.at("data").at("servers.cfg").as_string().find("server.4="), std::string::npos);
  EXPECT_TRUE(members.reconfigs.empty()) << "voter 4 has no pod yet";
}

// Three pods, each member serving {1,2,3}, zk-0 leading. With spec.replicas 1 the plan's first
// step is a reconfig (remove 3): the shortest way to see what a reconfig is sent with.
std::string HealthyThree(FakeMembers* members) {
  std::string pods = R"({"items":[)";
  for (int i = 0; i < 3; ++i) {
    pods += std::string(i ? "," : "") + R"({"metadata":{"name":"zk-)" + std::to_string(i) +
            R"(","labels":{"controller-revision-hash":"r1"}},"status":{"podIP":"10.1.0.)" +
            std::to_string(i) + R"(","conditions":[{"type":"Ready","status":"True"}]}})";
    op::ObservedMember m;
    m.reachable = m.serving = true;
    m.role = i == 0 ? op::Role::kLeader : op::Role::kFollower;
    members->by_ip["10.1.0." + std::to_string(i)] = m;
  }
  members->config.known = true;
  members->config.voters = {1, 2, 3};
  return pods + "]}";
}

const char* kStatefulSetOfThree = R"({"spec":{"replicas":3,"template":{"spec":{"containers":[
    {"name":"corral","image":"corral:1"}]}}},"status":{"readyReplicas":3,
    "currentRevision":"r1","updateRevision":"r1"}})";

// A bootstrapped ensemble of three healthy members whose spec asks for one, with the operator's
// Secret: the next reconcile reconfigures a voter out.
void ShrinkThreeToOne(FakeApi* api, FakeMembers* members) {
  AddOperatorSecret(api);
  api->objects["ensembles/zk"] = EnsembleJson(R"({"replicas":1})", R"({"bootstrapped":true})");
  api->objects["statefulsets/zk"] = kStatefulSetOfThree;
  api->objects["pods/"] = HealthyThree(members);
}

TEST(Reconciler, MissingOperatorSecretIsCreatedOwnedWithAPasswordAndItsDigest) {
  FakeApi api;
  FakeMembers members;
  api.objects["ensembles/zk"] =
      EnsembleJson(R"({"replicas":3})", R"({"replicas":3,"phase":"Bootstrapping"})");
  ASSERT_TRUE(Make(&api, &members).Reconcile("prod", "zk").status.ok());
  const Call* create = api.Find("CREATE", "secrets");
  ASSERT_NE(create, nullptr);
  value secret = value::parse(create->body);
  EXPECT_EQ(secret.at("metadata").at("name").as_string(), "zk-operator-auth");
  EXPECT_EQ(secret.at("metadata").at("ownerReferences").at(0).at("uid").as_string(), "u-1");
  const std::string password = secret.at("stringData").at("password").as_string();
  EXPECT_EQ(password.size(), 64u);
  EXPECT_EQ(secret.at("stringData").at("superDigest").as_string(), SuperDigestOf(password));
  // Before the StatefulSet whose pods read it.
  std::vector<std::string> writes = api.Writes();
  auto at = [&](const std::string& w) { return std::find(writes.begin(), writes.end(), w); };
  EXPECT_LT(at("CREATE secrets"), at("APPLY statefulsets/zk"));

  // Someone else made it meanwhile (409): not a failure.
  FakeApi raced;
  raced.objects = api.objects;
  raced.fail["CREATE secrets"] = 409;
  EXPECT_TRUE(Make(&raced, &members).Reconcile("prod", "zk").status.ok());
}

TEST(Reconciler, ReconfigAuthenticatesWithThePasswordOfTheSecret) {
  FakeApi api;
  FakeMembers members;
  ShrinkThreeToOne(&api, &members);
  ReconcileResult r = Make(&api, &members).Reconcile("prod", "zk");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(api.Find("CREATE", "secrets"), nullptr) << "an existing Secret is never rewritten";
  ASSERT_EQ(members.reconfigs, (std::vector<std::string>{"remove 3 via 10.1.0.0"}));
  EXPECT_EQ(members.passwords, (std::vector<std::string>{"secret"}));
}

TEST(Reconciler, ConfigurationIsReadFromTheLeaderAndReconfigIsPinnedToItsVersion) {
  FakeApi api;
  FakeMembers members;
  ShrinkThreeToOne(&api, &members);
  members.by_ip["10.1.0.0"].role = op::Role::kFollower;
  members.by_ip["10.1.0.2"].role = op::Role::kLeader;
  members.config.version = 0x300000007;
  for (auto& [ip, m] : members.by_ip) m.config_version = members.config.version;
  ReconcileResult r = Make(&api, &members).Reconcile("prod", "zk");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(members.config_reads, (std::vector<std::string>{"10.1.0.2"}));
  // Voter 3 (zk-2) is the leader: removed last, so 2 goes first, through a serving other.
  ASSERT_EQ(members.reconfigs, (std::vector<std::string>{"remove 2 via 10.1.0.0"}));
  EXPECT_EQ(members.cur_config_ids, (std::vector<int64_t>{0x300000007}));
  value status = value::parse(api.Find("APPLY", "ensembles", "status")->body);
  EXPECT_EQ(status.at("status").at("configVersion").as_string(), "0x300000007");
}

TEST(Reconciler, WithNoMemberAnsweringThePdbKeepsTheQuorumOfTheVotersLastRecorded) {
  // Quorum lost, no configuration readable: the PodDisruptionBudget must not drop to
  // minAvailable 1 exactly now.
  FakeApi api;
  FakeMembers members;
  AddOperatorSecret(&api);
  api.objects["ensembles/zk"] =
      EnsembleJson(R"({"replicas":3})", R"({"bootstrapped":true,"replicas":3})");
  api.objects["statefulsets/zk"] = kStatefulSetOfThree;
  api.objects["pods/"] = HealthyThree(&members);
  members.by_ip.clear();  // no admin API answers
  ReconcileResult r = Make(&api, &members).Reconcile("prod", "zk");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_NE(api.Find("APPLY", "poddisruptionbudgets"), nullptr);
  value pdb = value::parse(api.Find("APPLY", "poddisruptionbudgets")->body);
  EXPECT_EQ(pdb.at("spec").at("minAvailable").as_integer(), 2);
  value status = value::parse(api.Find("APPLY", "ensembles", "status")->body);
  EXPECT_EQ(status.at("status").at("phase").as_string(), "QuorumLost");
  EXPECT_EQ(status.at("status").at("replicas").as_integer(), 3);
}

TEST(Reconciler, WithoutACredentialNoReconfigIsTried) {
  // Without the user's Secret, or without its digest key, the members' pods cannot start
  // either (a required secretKeyRef): that is the reason reported then.
  struct Row {
    const char* what;
    std::string auth;    // spec.auth, or ""
    std::string secret;  // the Secret named, or "" for none
    const char* reason;
    const char* problem_part;
  };
  const std::string digest_only = R"({"data":{"d":"c3VwZXI6eA=="}})";
  std::vector<Row> rows = {
      {"user's Secret without passwordKey",
       R"(,"auth":{"superDigest":{"secretRef":{"name":"mine","key":"d"}}})", digest_only,
       "NoReconfigCredential", "names no passwordKey"},
      {"user's Secret missing",
       R"(,"auth":{"superDigest":{"secretRef":{"name":"mine","key":"d","passwordKey":"p"}}})", "",
       "SuperDigestSecretMissing", "Secret mine does not exist"},
      {"user's Secret missing, no passwordKey",
       R"(,"auth":{"superDigest":{"secretRef":{"name":"mine","key":"d"}}})", "",
       "SuperDigestSecretMissing", "Secret mine does not exist"},
      {"user's Secret without the digest key",
       R"(,"auth":{"superDigest":{"secretRef":{"name":"mine","key":"x"}}})", digest_only,
       "SuperDigestSecretMissing", "Secret mine has no key x"},
      {"password and digest disagree",
       R"(,"auth":{"superDigest":{"secretRef":{"name":"mine","key":"d","passwordKey":"p"}}})",
       R"({"data":{"p":"c2VjcmV0","d":"c3VwZXI6eA=="}})", "NoReconfigCredential", "does not match"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    FakeApi api;
    FakeMembers members;
    api.objects["ensembles/zk"] =
        EnsembleJson(R"({"replicas":1)" + row.auth + "}", R"({"bootstrapped":true})");
    api.objects["statefulsets/zk"] = kStatefulSetOfThree;
    api.objects["pods/"] = HealthyThree(&members);
    if (!row.secret.empty()) api.objects["secrets/mine"] = row.secret;
    ReconcileResult r = Make(&api, &members).Reconcile("prod", "zk");
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_TRUE(members.reconfigs.empty());
    EXPECT_EQ(api.Find("CREATE", "secrets"), nullptr) << "the user's Secret is never made";
    value status = value::parse(api.Find("APPLY", "ensembles", "status")->body);
    const value& progressing = status.at("status").at("conditions").at(1);
    EXPECT_EQ(progressing.at("reason").as_string(), row.reason);
    EXPECT_NE(progressing.at("message").as_string().find(row.problem_part), std::string::npos)
        << progressing.at("message").as_string();
  }
}

// spec.observers: the observers' StatefulSet and pods are read apart from the voters', the
// pods probed with their ids (255 - ordinal), and an observer joins through a voter.
TEST(Reconciler, ObserverJoinsFromItsOwnStatefulSet) {
  FakeApi api;
  FakeMembers members;
  AddOperatorSecret(&api);
  api.objects["ensembles/zk"] =
      EnsembleJson(R"({"replicas":3,"observers":1})", R"({"bootstrapped":true})");
  api.objects["statefulsets/zk"] = kStatefulSetOfThree;
  std::string pods = HealthyThree(&members);
  api.objects["pods/"] = pods;
  ReconcileResult r = Make(&api, &members).Reconcile("prod", "zk");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  // No pod yet: <name>-observer grows to 1; the ConfigMap names its pod.
  const Call* sts = nullptr;
  for (const Call& c : api.calls) {
    if (c.verb == "APPLY" && c.name == "zk-observer") sts = &c;
  }
  ASSERT_NE(sts, nullptr);
  EXPECT_EQ(value::parse(sts->body).at("spec").at("replicas").as_integer(), 1);
  value cm = value::parse(api.Find("APPLY", "configmaps")->body);
  EXPECT_NE(cm.at("data")
                .at("servers.cfg")
                .as_string()
                .find("server.255=zk-observer-0.zk-headless.prod.svc:2888:3888:observer;2181"),
            std::string::npos);
  EXPECT_TRUE(members.reconfigs.empty());

  // Its pod runs and its server answers: reconfig -add 255 through a voter.
  api.calls.clear();
  api.objects["statefulsets/zk-observer"] = R"({"spec":{"replicas":1}})";
  pods.insert(pods.size() - 2,
              R"(,{"metadata":{"name":"zk-observer-0"},"status":{"podIP":"10.1.1.0"}})");
  api.objects["pods/"] = pods;
  op::ObservedMember looking;
  looking.reachable = true;
  looking.role = op::Role::kLooking;
  members.by_ip["10.1.1.0"] = looking;
  r = Make(&api, &members).Reconcile("prod", "zk");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(members.reconfigs, (std::vector<std::string>{"add 255 via 10.1.0.0"}));
  value status = value::parse(api.Find("APPLY", "ensembles", "status")->body);
  bool listed = false;
  for (const value& m : status.at("status").at("members").as_array()) {
    listed |= m.at("name").as_string() == "zk-observer-0" && m.at("id").as_integer() == 255;
  }
  EXPECT_TRUE(listed);
  EXPECT_EQ(status.at("status").at("replicas").as_integer(), 3);
  EXPECT_EQ(status.at("status").at("observers").as_integer(), 0) << "not in the configuration yet";
}

TEST(Reconciler, AFailedReconfigIsAWarningEvent) {
  FakeApi api;
  FakeMembers members;
  ShrinkThreeToOne(&api, &members);
  members.reconfig_status =
      Status::FailedPrecondition("reconfig remove 3 via 10.1.0.0: BADVERSION");
  ReconcileResult r = Make(&api, &members).Reconcile("prod", "zk");
  EXPECT_FALSE(r.status.ok());
  std::vector<std::string> reasons;
  for (const Call& c : api.calls) {
    if (c.verb == "CREATE" && c.plural == "events") {
      value ev = value::parse(c.body);
      reasons.push_back(ev.at("reason").as_string());
      if (reasons.back() == "MembershipChangeFailed") {
        EXPECT_EQ(ev.at("type").as_string(), "Warning");
        EXPECT_NE(ev.at("message").as_string().find("BADVERSION"), std::string::npos);
      }
    }
  }
  EXPECT_EQ(reasons, (std::vector<std::string>{"MembershipChangeFailed"}))
      << "the RemovingMember event follows the reconfig, which failed";
}

}  // namespace
}  // namespace corral::kube
