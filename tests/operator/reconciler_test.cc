// The reconciler against a fake API: what it reads, in which order it writes, and that it stops
// at the first failed action. (The real API server: tests/k8s_api/test_operator.py.)
#include "kube/reconciler.h"

#include <cpprest/json.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "fake_api.h"

namespace corral::kube {
namespace {

using web::json::value;

class FakeMembers : public MemberAgent {
 public:
  std::map<std::string, op::ObservedMember> by_ip;
  op::ObservedConfig config;
  std::vector<std::string> reconfigs;

  op::ObservedMember Probe(int id, const std::string& ip, int) override {
    auto it = by_ip.find(ip);
    op::ObservedMember m = it != by_ip.end() ? it->second : op::ObservedMember{};
    m.id = id;
    return m;
  }
  op::ObservedConfig ReadConfig(const std::string&, int) override { return config; }
  Status Reconfig(const std::string& ip, int, int id, const std::string&, bool add) override {
    reconfigs.push_back((add ? "add " : "remove ") + std::to_string(id) + " via " + ip);
    return Status::Ok();
  }
};

std::string EnsembleJson(const std::string& spec, const std::string& status = "{}") {
  return R"({"apiVersion":"corral.dev/v1alpha1","kind":"Ensemble","metadata":{"name":"zk",
    "namespace":"prod","uid":"u-1","generation":2,"resourceVersion":"41"},"spec":)" +
         spec + R"(,"status":)" + status + "}";
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
  EXPECT_EQ(
      api.Writes(),
      (std::vector<std::string>{
          "APPLY ensembles/zk/status", "APPLY services/zk-headless", "APPLY services/zk-client",
          "APPLY services/zk-admin", "APPLY services/zk-metrics", "APPLY configmaps/zk-config",
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
  EXPECT_EQ(event.at("reason").as_string(), "Bootstrapping");
  EXPECT_EQ(event.at("involvedObject").at("uid").as_string(), "u-1");
}

TEST(Reconciler, StopsAtTheFirstFailedActionAndDoesNotWriteStatus) {
  FakeApi api;
  FakeMembers members;
  // Bootstrapping already recorded: the status goes last, after every action succeeded.
  api.objects["ensembles/zk"] =
      EnsembleJson(R"({"replicas":3})", R"({"replicas":3,"phase":"Bootstrapping"})");
  api.fail["APPLY statefulsets"] = 500;
  ReconcileResult r = Make(&api, &members).Reconcile("prod", "zk");
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("ApplyStatefulSet"), std::string::npos);
  EXPECT_EQ(api.Find("APPLY", "ensembles", "status"), nullptr);
  EXPECT_EQ(api.Find("CREATE", "events"), nullptr);
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
  api.objects["statefulsets/zk"] = R"({"spec":{"replicas":3,"template":{"spec":{"containers":[
    {"name":"corral","image":"corral:1"}]}}},"status":{"readyReplicas":3,
    "currentRevision":"r1","updateRevision":"r1"}})";
  std::string pods = R"({"items":[)";
  for (int i = 0; i < 3; ++i) {
    pods += std::string(i ? "," : "") + R"({"metadata":{"name":"zk-)" + std::to_string(i) +
            R"(","labels":{"controller-revision-hash":"r1"}},"status":{"podIP":"10.1.0.)" +
            std::to_string(i) + R"(","conditions":[{"type":"Ready","status":"True"}]}})";
    op::ObservedMember m;
    m.reachable = m.serving = m.caught_up = true;
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

}  // namespace
}  // namespace corral::kube
