#include "runtime/admin_routes.h"

#include <gtest/gtest.h>

#include "node/admin_commands.h"

namespace corral {
namespace {

using Kind = AdminRoute::Kind;

TEST(AdminRoutes, CommandsAndTheirListUnderTheCommandUrl) {
  EXPECT_EQ(RouteAdminTarget("/commands", "/commands").kind, Kind::kCommandList);
  EXPECT_EQ(RouteAdminTarget("/commands/", "/commands").kind, Kind::kCommandList);
  AdminRoute r = RouteAdminTarget("/commands/mntr", "/commands");
  EXPECT_EQ(r.kind, Kind::kCommand);
  EXPECT_EQ(r.command, "mntr");
  EXPECT_TRUE(r.params.empty());
  EXPECT_EQ(RouteAdminTarget("/cmds/ruok", "/cmds").command, "ruok");
}

TEST(AdminRoutes, EverythingElseIsNotFound) {
  for (const char* target : {"/", "/metrics", "/commandsx", "/commands/a/b", "/command/ruok"}) {
    EXPECT_EQ(RouteAdminTarget(target, "/commands").kind, Kind::kNotFound) << target;
  }
}

TEST(AdminRoutes, QueryParametersAreDecodedFirstValueWins) {
  AdminRoute r = RouteAdminTarget(
      "/commands/snapshot?streaming=false&x=a%20b+c&streaming=true&flag&%zz=1", "/commands");
  EXPECT_EQ(r.command, "snapshot");
  EXPECT_EQ(r.params.at("streaming"), "false");
  EXPECT_EQ(r.params.at("x"), "a b c");
  EXPECT_EQ(r.params.at("flag"), "");
  EXPECT_EQ(r.params.at("%zz"), "1");  // a malformed escape is kept as written
}

TEST(AdminRoutes, MetricsPathOnly) {
  EXPECT_TRUE(IsMetricsTarget("/metrics"));
  EXPECT_TRUE(IsMetricsTarget("/metrics?name[]=x"));
  EXPECT_FALSE(IsMetricsTarget("/metrics/"));
  EXPECT_FALSE(IsMetricsTarget("/"));
}

TEST(AdminCommandTable, ZooKeeperNamesAndAliasesResolveToThePrimaryName) {
  struct Case {
    const char* asked;
    const char* primary;
  };
  for (Case c : {Case{"mntr", "monitor"},
                 Case{"monitor", "monitor"},
                 Case{"srvr", "server_stats"},
                 Case{"stat", "stats"},
                 Case{"cons", "connections"},
                 Case{"conf", "configuration"},
                 Case{"config", "configuration"},
                 Case{"envi", "environment"},
                 Case{"env", "environment"},
                 Case{"wchs", "watch_summary"},
                 Case{"wchc", "watches"},
                 Case{"wchp", "watches_by_path"},
                 Case{"isro", "is_read_only"},
                 Case{"lead", "leader"},
                 Case{"snap", "snapshot"},
                 Case{"lsnp", "last_snapshot"},
                 Case{"crst", "connection_stat_reset"},
                 Case{"srst", "stat_reset"},
                 Case{"ruok", "ruok"},
                 Case{"ready", "ready"}}) {
    const AdminCommand* command = FindAdminCommand(c.asked);
    ASSERT_NE(command, nullptr) << c.asked;
    EXPECT_EQ(command->name, c.primary) << c.asked;
  }
  EXPECT_EQ(FindAdminCommand("nope"), nullptr);
}

TEST(AdminCommandTable, OnlySnapshotNeedsAuthAsInZooKeeper39) {
  for (const AdminCommand& c : AdminCommands()) {
    EXPECT_EQ(c.needs_auth, c.name == "snapshot") << c.name;
  }
  // Answered in any state: what a probe or a monitoring system asks of a member in trouble.
  for (const char* name : {"monitor", "environment", "zabstate", "ready"}) {
    EXPECT_FALSE(FindAdminCommand(name)->needs_serving) << name;
  }
  EXPECT_TRUE(FindAdminCommand("stats")->needs_serving);
}

TEST(AdminCommandTable, ListLinksEveryPrimaryNameSorted) {
  std::string html = CommandListHtml("/commands");
  EXPECT_NE(html.find("<a href=\"/commands/monitor\">monitor</a>"), std::string::npos);
  EXPECT_LT(html.find("configuration"), html.find("zabstate"));
  EXPECT_EQ(html.find("\"/commands/mntr\""), std::string::npos);  // aliases are not listed
}

TEST(AdminAuth, DigestIpAndMalformedHeaders) {
  // super:secret, as ZooKeeper's DigestAuthenticationProvider.generateDigest gives it.
  const std::string super_digest = "super:D/InIHSb7yEEbrWz8b9l71RjZJU=";
  auto ids = AdminIdentities("digest alice:pw", "10.0.0.1", super_digest);
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids[0].scheme, "digest");
  EXPECT_EQ(ids[0].id.rfind("alice:", 0), 0u);
  EXPECT_EQ(AdminIdentities("ip", "10.0.0.1", "")[0], (zk::Id{"ip", "10.0.0.1"}));
  EXPECT_TRUE(AdminIdentities("digest", "10.0.0.1", "").empty());
  EXPECT_TRUE(AdminIdentities("digest a:b c", "10.0.0.1", "").empty());
  EXPECT_TRUE(AdminIdentities("Basic YTpi", "10.0.0.1", "").empty());
}

}  // namespace
}  // namespace corral
