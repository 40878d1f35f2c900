// corralctl's argument handling: global options, command flags, shell words, the create mode
// from flags, and the ReconfigRequest built from zkCli-style options.
#include <gtest/gtest.h>

#include "client/endpoint.h"
#include "ctl/command_words.h"
#include "ctl/commands.h"
#include "ctl/flags.h"
#include "ctl/global_options.h"
#include "ctl/reconfig_request.h"
#include "jute/writer.h"
#include "zk/codes.h"
#include "zk/records.h"

namespace corral::ctl {
namespace {

using Words = std::vector<std::string>;

TEST(ConnectString, ParsesMembersAndDefaultsThePort) {
  auto servers = client::ParseConnectString("127.0.0.1:2181,host-b,[::1]:2183");
  ASSERT_TRUE(servers.ok()) << servers.status().message();
  ASSERT_EQ(servers->size(), 3u);
  EXPECT_EQ((*servers)[0], (client::Endpoint{"127.0.0.1", 2181}));
  EXPECT_EQ((*servers)[1], (client::Endpoint{"host-b", 2181}));
  EXPECT_EQ((*servers)[2], (client::Endpoint{"::1", 2183}));
  EXPECT_EQ(client::ToString((*servers)[2]), "[::1]:2183");
}

TEST(ConnectString, RefusesBadPortsChrootAndEmpty) {
  EXPECT_FALSE(client::ParseConnectString("").ok());
  EXPECT_FALSE(client::ParseConnectString("h:0").ok());
  EXPECT_FALSE(client::ParseConnectString("h:65536").ok());
  EXPECT_FALSE(client::ParseConnectString("h:21x").ok());
  EXPECT_FALSE(client::ParseConnectString("h:2181/app").ok());
  EXPECT_FALSE(client::ParseConnectString("[::1:2181").ok());
}

TEST(GlobalOptions, DefaultsAndCommand) {
  auto o = ParseGlobalOptions({"ls", "-s", "/a"});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->connect_string, "127.0.0.1:2181");
  EXPECT_FALSE(o->json);
  EXPECT_EQ(o->command, (Words{"ls", "-s", "/a"}));  // the command's flags stay its own
}

TEST(GlobalOptions, AllOptions) {
  auto o =
      ParseGlobalOptions({"-server", "a:1,b:2", "--json", "--timeout-ms", "250",
                          "--session-timeout-ms", "4000", "--auth", "digest:u:p:w", "get", "/x"});
  ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_EQ(o->servers.size(), 2u);
  EXPECT_TRUE(o->json);
  EXPECT_EQ(o->timeout_ms, 250);
  EXPECT_EQ(o->session_timeout_ms, 4000);
  ASSERT_EQ(o->auths.size(), 1u);
  EXPECT_EQ(o->auths[0].first, "digest");
  EXPECT_EQ(o->auths[0].second, "u:p:w");
  EXPECT_EQ(o->command, (Words{"get", "/x"}));
}

TEST(GlobalOptions, NoCommandMeansTheShell) {
  auto o = ParseGlobalOptions({"--server", "h:1"});
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->command.empty());
}

TEST(GlobalOptions, Errors) {
  EXPECT_FALSE(ParseGlobalOptions({"-server"}).ok());
  EXPECT_FALSE(ParseGlobalOptions({"--timeout-ms", "soon", "ls"}).ok());
  EXPECT_FALSE(ParseGlobalOptions({"--timeout-ms", "0", "ls"}).ok());
  EXPECT_FALSE(ParseGlobalOptions({"--auth", "nocolon", "ls"}).ok());
  EXPECT_FALSE(ParseGlobalOptions({"--bogus", "ls"}).ok());
  EXPECT_FALSE(ParseGlobalOptions({"-server", "h:99999", "ls"}).ok());
}

TEST(Flags, AnyOrderValuesAndDoubleDash) {
  std::vector<FlagSpec> specs = {{"-s", false, ""}, {"-v", true, ""}};
  auto a = ParseFlags({"/a", "-v", "3", "data", "-s"}, specs);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->positionals, (Words{"/a", "data"}));
  EXPECT_TRUE(a->Has("-s"));
  EXPECT_EQ(a->Value("-v"), "3");
  EXPECT_EQ(a->Value("-x", "dflt"), "dflt");
  auto b = ParseFlags({"/a", "--", "-s"}, specs);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->positionals, (Words{"/a", "-s"}));
  EXPECT_FALSE(b->Has("-s"));
}

TEST(Flags, NegativeNumbersAreValuesAndUnknownFlagsAreErrors) {
  std::vector<FlagSpec> specs = {{"-s", false, ""}, {"-v", true, ""}};
  auto a = ParseFlags({"/a", "-1"}, specs);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->positionals, (Words{"/a", "-1"}));
  EXPECT_FALSE(ParseFlags({"/a", "-x"}, specs).ok());
  EXPECT_FALSE(ParseFlags({"/a", "-v"}, specs).ok());  // its value is missing
  auto dash = ParseFlags({"-"}, specs);
  ASSERT_TRUE(dash.ok());
  EXPECT_EQ(dash->positionals, (Words{"-"}));
}

TEST(ParseInteger, Bounds) {
  EXPECT_EQ(*ParseInteger("42", "n", 0, 100), 42);
  EXPECT_EQ(*ParseInteger("-1", "n", -1, 100), -1);
  EXPECT_FALSE(ParseInteger("101", "n", 0, 100).ok());
  EXPECT_FALSE(ParseInteger("4x", "n", 0, 100).ok());
  EXPECT_FALSE(ParseInteger("", "n", 0, 100).ok());
}

TEST(CommandWords, QuotesAndEscapes) {
  auto w = SplitCommandWords(R"(  set /a 'two words'  "say \"hi\"" back\ slash '' )");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(*w, (Words{"set", "/a", "two words", "say \"hi\"", "back slash", ""}));
  auto joined = SplitCommandWords(R"(a'b'"c")");
  ASSERT_TRUE(joined.ok());
  EXPECT_EQ(*joined, (Words{"abc"}));
  EXPECT_TRUE(SplitCommandWords("   ")->empty());
}

TEST(CommandWords, UnclosedQuotesAreErrors) {
  EXPECT_FALSE(SplitCommandWords("get '/a").ok());
  EXPECT_FALSE(SplitCommandWords("get \"/a").ok());
  EXPECT_FALSE(SplitCommandWords("get /a\\").ok());
}

client::CreateOptions ModeOf(Words flags) {
  auto args = ParseFlags(flags, FindCommand("create")->flags);
  EXPECT_TRUE(args.ok());
  auto mode = CreateModeFromFlags(*args);
  EXPECT_TRUE(mode.ok()) << mode.status().message();
  return mode.ok() ? *mode : client::CreateOptions{-1, -1};
}

TEST(CreateMode, EveryModeFromItsFlags) {
  EXPECT_EQ(ModeOf({}).mode, zk::kPersistent);
  EXPECT_EQ(ModeOf({"-e"}).mode, zk::kEphemeral);
  EXPECT_EQ(ModeOf({"-s"}).mode, zk::kPersistentSequential);
  EXPECT_EQ(ModeOf({"-e", "-s"}).mode, zk::kEphemeralSequential);
  EXPECT_EQ(ModeOf({"-c"}).mode, zk::kContainer);
  client::CreateOptions ttl = ModeOf({"-t", "5000"});
  EXPECT_EQ(ttl.mode, zk::kPersistentWithTtl);
  EXPECT_EQ(ttl.ttl_ms, 5000);
  EXPECT_EQ(ModeOf({"-s", "-t", "1"}).mode, zk::kPersistentSequentialWithTtl);
}

TEST(CreateMode, ConflictingFlags) {
  for (Words flags : {Words{"-c", "-e"}, Words{"-c", "-s"}, Words{"-c", "-t", "5"},
                      Words{"-e", "-t", "5"}, Words{"-t", "0"}, Words{"-t", "soon"}}) {
    auto args = ParseFlags(flags, FindCommand("create")->flags);
    ASSERT_TRUE(args.ok());
    EXPECT_FALSE(CreateModeFromFlags(*args).ok()) << flags[0] << " " << flags[1];
  }
}

TEST(CommandTable, EveryCommandOfTheIssueIsThere) {
  for (const char* name :
       {"ls", "get", "set", "create", "delete", "deleteall", "stat", "watch", "getAcl", "setAcl",
        "addauth", "sync", "tree", "reconfig", "4lw", "admin", "dump", "config", "whoami"}) {
    const Command* c = FindCommand(name);
    ASSERT_NE(c, nullptr) << name;
    EXPECT_TRUE(c->synopsis.starts_with(name)) << c->synopsis;
    EXPECT_NE(c->run, nullptr);
  }
  EXPECT_EQ(FindCommand("nope"), nullptr);
}

TEST(Reconfig, IncrementalRequest) {
  ReconfigOptions o;
  o.add = "server.4=127.0.0.1:2888:3888;2184";
  o.remove = "2,3";
  o.from_version_hex = "10000000a";
  auto req = BuildReconfigRequest(o);
  ASSERT_TRUE(req.ok()) << req.status().message();
  EXPECT_EQ(req->joining_servers, "server.4=127.0.0.1:2888:3888;2184");
  EXPECT_EQ(req->leaving_servers, "2,3");
  EXPECT_EQ(req->new_members, "");
  EXPECT_EQ(req->cur_config_id, 0x10000000aLL);
}

TEST(Reconfig, BulkFromFile) {
  ReconfigOptions o;
  o.file_contents =
      "# new membership\nserver.1=a:1:2;3\n  server.2=b:1:2:observer;3  \nversion=100000000\n\n";
  auto req = BuildReconfigRequest(o);
  ASSERT_TRUE(req.ok()) << req.status().message();
  EXPECT_EQ(req->new_members, "server.1=a:1:2;3,server.2=b:1:2:observer;3");
  EXPECT_EQ(req->cur_config_id, -1);
}

TEST(Reconfig, RefusesMixedOrMissingOptions) {
  ReconfigOptions none;
  EXPECT_FALSE(BuildReconfigRequest(none).ok());
  ReconfigOptions mixed;
  mixed.add = "server.4=x:1:2;3";
  mixed.members = "server.1=a:1:2;3";
  EXPECT_FALSE(BuildReconfigRequest(mixed).ok());
  ReconfigOptions bad_version;
  bad_version.remove = "3";
  bad_version.from_version_hex = "xyz";
  EXPECT_FALSE(BuildReconfigRequest(bad_version).ok());
  ReconfigOptions empty_file;
  empty_file.file_contents = "version=1\n";
  EXPECT_FALSE(BuildReconfigRequest(empty_file).ok());
}

TEST(Reconfig, WireBytesFollowZookeeperJute) {
  // ReconfigRequest {ustring joiningServers; ustring leavingServers; ustring newMembers;
  // long curConfigId} (zookeeper.jute).
  zk::ReconfigRequest req{"j", "", "nm", 0x0102030405060708LL};
  std::string bytes;
  jute::Writer w(&bytes);
  zk::Encode(w, req);
  const std::string expected("\0\0\0\x01j\0\0\0\0\0\0\0\x02nm\x01\x02\x03\x04\x05\x06\x07\x08", 23);
  EXPECT_EQ(bytes, expected);
  EXPECT_EQ(zk::kReconfig, 16);
}

}  // namespace
}  // namespace corral::ctl
