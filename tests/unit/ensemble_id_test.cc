// The ensemble id: the ensembleId key, and the hash every member must compute alike.
#include "config/ensemble_id.h"

#include <gtest/gtest.h>

#include <string>

namespace corral {
namespace {

Config WithServers(std::vector<std::pair<int64_t, std::string>> servers) {
  Config config;
  for (auto& [id, host] : servers) {
    ServerSpec spec;
    spec.id = id;
    spec.host = host;
    spec.quorum_port = 2888;
    spec.election_port = 3888;
    config.servers.push_back(spec);
  }
  return config;
}

TEST(Fnv1a64, MatchesTheReferenceValues) {
  // From the FNV specification's test suite (http://www.isthe.com/chongo/tech/comp/fnv/).
  EXPECT_EQ(Fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(Fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(Fnv1a64("foobar"), 0x85944171f73967e8ULL);
}

TEST(EnsembleId, FixedValuesSoEveryBuildAgrees) {
  // Members built by different compilers on different machines must agree; these values are
  // the documented algorithm (docs/configuration.md) and must never change.
  Config named;
  named.ensemble_id = "prod-east";
  EXPECT_EQ(EnsembleIdOf(named), Fnv1a64("corral-ensemble-id:prod-east"));
  Config derived = WithServers({{1, "zk1"}, {2, "zk2"}, {3, "zk3"}});
  EXPECT_EQ(EnsembleIdOf(derived), Fnv1a64("corral-servers:1=zk1;2=zk2;3=zk3;"));
}

TEST(EnsembleId, ExplicitNameWinsOverServers) {
  Config a = WithServers({{1, "zk1"}, {2, "zk2"}});
  Config b = WithServers({{7, "other"}});
  a.ensemble_id = b.ensemble_id = "shared";
  EXPECT_EQ(EnsembleIdOf(a), EnsembleIdOf(b));
  Config c = a;
  c.ensemble_id = "different";
  EXPECT_NE(EnsembleIdOf(a), EnsembleIdOf(c));
}

TEST(EnsembleId, DerivedIgnoresPortsRolesOrderAndHostCase) {
  Config a = WithServers({{1, "zk1"}, {2, "zk2"}, {3, "zk3"}});
  Config b = WithServers({{3, "ZK3"}, {1, "zk1"}, {2, "Zk2"}});
  b.servers[0].quorum_port = 2999;
  b.servers[1].election_port = 3999;
  b.servers[2].observer = true;
  b.servers[2].client_port = 2181;
  b.my_id = 2;  // every member computes the same id, whoever it is
  EXPECT_EQ(EnsembleIdOf(a), EnsembleIdOf(b));
}

TEST(EnsembleId, DerivedDependsOnIdsAndHosts) {
  uint64_t base = EnsembleIdOf(WithServers({{1, "zk1"}, {2, "zk2"}, {3, "zk3"}}));
  EXPECT_NE(base, EnsembleIdOf(WithServers({{1, "zk1"}, {2, "zk2"}, {4, "zk3"}})));
  EXPECT_NE(base, EnsembleIdOf(WithServers({{1, "zk1"}, {2, "zk2"}, {3, "zk4"}})));
  EXPECT_NE(base, EnsembleIdOf(WithServers({{1, "zk1"}, {2, "zk2"}})));
  // Swapping two hosts between ids is another ensemble.
  EXPECT_NE(base, EnsembleIdOf(WithServers({{1, "zk2"}, {2, "zk1"}, {3, "zk3"}})));
}

TEST(EnsembleId, NameCannotCollideWithADerivedForm) {
  Config derived = WithServers({{1, "zk1"}});
  Config named;
  named.ensemble_id = "1=zk1;";
  EXPECT_NE(EnsembleIdOf(derived), EnsembleIdOf(named));
}

TEST(EnsembleId, ParsedFromTheConfigKey) {
  StatusOr<Config> config =
      ParseProperties("dataDir=/var/lib/zk\nclientPort=2181\nensembleId= prod-east \n", "");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->ensemble_id, "prod-east");  // trimmed, as every value is
  EXPECT_TRUE(config->warnings.empty());
  EXPECT_EQ(EnsembleIdOf(*config), Fnv1a64("corral-ensemble-id:prod-east"));
}

TEST(EnsembleId, EmptyValueIsAnError) {
  StatusOr<Config> config =
      ParseProperties("dataDir=/var/lib/zk\nclientPort=2181\nensembleId=\n", "");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("ensembleId"), std::string::npos)
      << config.status().message();
}

}  // namespace
}  // namespace corral
