#include "config/dynamic_config.h"

#include <gtest/gtest.h>

#include "consensus/membership.h"
#include "zk/codes.h"

namespace corral {
namespace {

constexpr char kThree[] =
    "server.2=10.0.0.2:2888:3888:participant;0.0.0.0:2181\n"
    "server.1=10.0.0.1:2888:3888:participant;0.0.0.0:2181\n"
    "server.4=10.0.0.4:2888:3888:observer;2181\n"
    "version=100000003\n";

TEST(DynamicConfigTest, ParsesZooKeepersTextAndWritesItBackById) {
  auto c = ParseDynamicConfig(kThree);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->servers.size(), 3u);
  EXPECT_EQ(c->servers[0].id, 1);
  EXPECT_EQ(c->servers[2].id, 4);
  EXPECT_TRUE(c->servers[2].observer);
  EXPECT_EQ(c->version, 0x100000003);
  auto again = ParseDynamicConfig(FormatDynamicConfig(*c));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(FormatDynamicConfig(*again), FormatDynamicConfig(*c));
  EXPECT_EQ(FormatDynamicConfig(*c).substr(0, 9), "server.1=");
  EXPECT_NE(FormatDynamicConfig(*c).find("\nversion=100000003\n"), std::string::npos);
}

TEST(DynamicConfigTest, RefusesWhatIsNotAConfiguration) {
  EXPECT_FALSE(ParseDynamicConfig("server.1=h:1:2\nserver.1=h:3:4\n").ok());  // id twice
  EXPECT_FALSE(ParseDynamicConfig("server.1=h:1:2:observer\n").ok());         // no voter
  EXPECT_FALSE(ParseDynamicConfig("server.x=h:1:2\n").ok());
  EXPECT_FALSE(ParseDynamicConfig("server.1=h:1\n").ok());
  EXPECT_FALSE(ParseDynamicConfig("server.1=h:1:2\nversion=zz\n").ok());
  EXPECT_FALSE(ParseDynamicConfig("server.1=h:1:2\nversion=1\nversion=2\n").ok());
  EXPECT_FALSE(ParseDynamicConfig("tickTime=2000\n").ok());
  EXPECT_FALSE(ParseDynamicConfig("").ok());
}

TEST(MembershipTest, VotersObserversAndTheEntryThatSetsThem) {
  auto c = ParseDynamicConfig(kThree);
  ASSERT_TRUE(c.ok());
  consensus::Membership m = consensus::MembershipOf(*c);
  EXPECT_EQ(m.voters, (std::vector<consensus::MemberId>{1, 2}));
  EXPECT_EQ(m.observers, (std::vector<consensus::MemberId>{4}));
  EXPECT_EQ(m.Quorum(), 2u);
  EXPECT_TRUE(m.IsVoter(2));
  EXPECT_FALSE(m.IsVoter(4));
  EXPECT_FALSE(m.Contains(3));

  Txn entry;
  entry.type = zk::kReconfig;
  entry.request = kThree;
  ASSERT_TRUE(consensus::MembershipOfEntry(entry).has_value());
  EXPECT_EQ(*consensus::MembershipOfEntry(entry), m);
  entry.request = "not a config";  // a refused reconfig, logged for its error answer
  EXPECT_FALSE(consensus::MembershipOfEntry(entry).has_value());
  entry.type = zk::kSetData;
  entry.request = kThree;
  EXPECT_FALSE(consensus::MembershipOfEntry(entry).has_value());
}

TEST(MembershipTest, CountsVoterChanges) {
  consensus::Membership three{{1, 2, 3}, {}};
  EXPECT_EQ(consensus::VoterChanges(three, {{1, 2, 3, 4}, {}}), 1u);
  EXPECT_EQ(consensus::VoterChanges(three, {{1, 2}, {3}}), 1u);    // a voter becomes an observer
  EXPECT_EQ(consensus::VoterChanges(three, {{1, 2, 4}, {}}), 2u);  // a replacement is two
  EXPECT_EQ(consensus::VoterChanges(three, {{1, 2, 3}, {5, 6}}), 0u);
}

}  // namespace
}  // namespace corral
