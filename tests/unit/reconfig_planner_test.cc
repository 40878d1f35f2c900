#include "runtime/reconfig_planner.h"

#include <gtest/gtest.h>

#include "jute/writer.h"
#include "zk/codes.h"
#include "zk/records.h"

namespace corral {
namespace {

std::string Request(std::string joining, std::string leaving, std::string members,
                    int64_t version = -1) {
  zk::ReconfigRequest req{std::move(joining), std::move(leaving), std::move(members), version};
  std::string out;
  jute::Writer w(&out);
  zk::Encode(w, req);
  return out;
}

ReconfigContext ThreeMembers() {
  ReconfigContext c;
  c.reconfig_enabled = true;
  auto config = ParseDynamicConfig(
      "server.1=10.0.0.1:2888:3888:participant;2181\n"
      "server.2=10.0.0.2:2888:3888:participant;2181\n"
      "server.3=10.0.0.3:2888:3888:participant;2181\n"
      "version=100000004\n");
  c.current = std::move(config).value();
  c.identities = {acl::SuperId()};
  c.config_acl = {zk::Acl{zk::kPermRead, zk::Id{"world", "anyone"}}};
  c.caught_up = {1, 2, 3};
  return c;
}

TEST(ReconfigPlannerTest, AddsAndRemovesIncrementally) {
  ReconfigContext c = ThreeMembers();
  std::string added =
      PlanReconfig(c, Request("server.4=10.0.0.4:2888:3888:participant;2181", "", ""));
  auto config = ParseDynamicConfig(added);
  ASSERT_TRUE(config.ok()) << added;
  EXPECT_EQ(config->servers.size(), 4u);
  EXPECT_EQ(config->version, 0) << "the version is the entry's zxid, set when it applies";
  std::string removed = PlanReconfig(c, Request("", "3", ""));
  ASSERT_TRUE(ParseDynamicConfig(removed).ok()) << removed;
  EXPECT_EQ(ParseDynamicConfig(removed)->servers.size(), 2u);
  // A role change: the same id joins again as an observer.
  std::string observer =
      PlanReconfig(c, Request("server.3=10.0.0.3:2888:3888:observer;2181", "", ""));
  ASSERT_TRUE(ParseDynamicConfig(observer).ok()) << observer;
  EXPECT_TRUE(ParseDynamicConfig(observer)->servers[2].observer);
}

TEST(ReconfigPlannerTest, BulkReplacesTheMemberList) {
  ReconfigContext c = ThreeMembers();
  std::string bulk = PlanReconfig(c, Request("", "",
                                             "server.1=10.0.0.1:2888:3888:participant;2181,"
                                             "server.2=10.0.0.2:2888:3888:participant;2181",
                                             0x100000004));
  auto config = ParseDynamicConfig(bulk);
  ASSERT_TRUE(config.ok()) << bulk;
  EXPECT_EQ(config->servers.size(), 2u);
}

TEST(ReconfigPlannerTest, RefusesAsZooKeeperDoes) {
  ReconfigContext c = ThreeMembers();
  std::string add4 = Request("server.4=10.0.0.4:2888:3888;2181", "", "");
  c.reconfig_enabled = false;
  EXPECT_EQ(PlanReconfig(c, add4), ErrorEntryOf(zk::kReconfigDisabled));
  c = ThreeMembers();
  c.identities = {zk::Id{"ip", "10.0.0.9"}};
  EXPECT_EQ(PlanReconfig(c, add4), ErrorEntryOf(zk::kNoAuth));
  c.config_acl.push_back(zk::Acl{zk::kPermAdmin, zk::Id{"ip", "10.0.0.9"}});
  EXPECT_NE(PlanReconfig(c, add4).substr(0, 6), "error:") << "ADMIN on /zookeeper/config";
  c = ThreeMembers();
  EXPECT_EQ(PlanReconfig(c, Request("server.4=10.0.0.4:2888:3888;2181", "", "", 0x100000003)),
            ErrorEntryOf(zk::kBadVersion));
  EXPECT_EQ(PlanReconfig(c, Request("server.4=nonsense", "", "")), ErrorEntryOf(zk::kBadArguments));
  EXPECT_EQ(PlanReconfig(c, Request("", "x", "")), ErrorEntryOf(zk::kBadArguments));
  EXPECT_EQ(PlanReconfig(c, Request("", "1,2,3", "")), ErrorEntryOf(zk::kBadArguments))
      << "no voter left";
  EXPECT_EQ(PlanReconfig(c, Request("server.4=h:1:2", "", "server.1=h:1:2")),
            ErrorEntryOf(zk::kBadArguments));
  EXPECT_EQ(PlanReconfig(c, "\x01"), ErrorEntryOf(zk::kMarshallingError));
  // Two of three voters not caught up: a fourth voter would leave no majority to commit.
  c.caught_up = {1};
  EXPECT_EQ(PlanReconfig(c, add4), ErrorEntryOf(zk::kNewConfigNoQuorum));
}

}  // namespace
}  // namespace corral
