// corralctl's output: data as text and JSON, Stat, ACLs, error and event names, the JSON
// writer, and shell completion.
#include <gtest/gtest.h>

#include "ctl/completion.h"
#include "ctl/json_writer.h"
#include "ctl/znode_format.h"
#include "zk/codes.h"

namespace corral::ctl {
namespace {

using namespace std::string_literals;

TEST(Utf8, ValidAndInvalid) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // cut short
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x28\xa1"));      // bad continuation
}

TEST(DataText, Utf8AsIsBinaryEscaped) {
  EXPECT_EQ(DataText("hello w\xc3\xb6rld"), "hello w\xc3\xb6rld");
  EXPECT_EQ(DataText("a\nb"), "a\nb");  // valid UTF-8: untouched
  EXPECT_EQ(DataText("\x00\x01ok\\\xff"s), "\\x00\\x01ok\\\\\\xff");
}

TEST(DataJson, NullTextAndBinary) {
  JsonWriter json;
  json.BeginArray().BeginObject();
  DataJson(json, std::nullopt);
  json.EndObject().BeginObject();
  DataJson(json, "hi"s);
  json.EndObject().BeginObject();
  DataJson(json, "\xff"s);
  json.EndObject().EndArray();
  EXPECT_EQ(json.str(), R"([{"data_base64":null,"data_text":null},)"
                        R"({"data_base64":"aGk=","data_text":"hi"},)"
                        R"({"data_base64":"/w==","data_text":null}])");
}

zk::Stat SampleStat() {
  zk::Stat s;
  s.czxid = 0x100000002;
  s.mzxid = 0x100000003;
  s.ctime = 1700000000123;
  s.mtime = 1700000001000;
  s.version = 2;
  s.cversion = 3;
  s.aversion = 4;
  s.ephemeral_owner = 0x7b;
  s.data_length = 5;
  s.num_children = 6;
  s.pzxid = 0x100000004;
  return s;
}

TEST(Stat, TextAsZkCli) {
  EXPECT_EQ(StatText(SampleStat()),
            "cZxid = 0x100000002\n"
            "ctime = 2023-11-14T22:13:20.123Z\n"
            "mZxid = 0x100000003\n"
            "mtime = 2023-11-14T22:13:21.000Z\n"
            "pZxid = 0x100000004\n"
            "cversion = 3\n"
            "dataVersion = 2\n"
            "aclVersion = 4\n"
            "ephemeralOwner = 0x7b\n"
            "dataLength = 5\n"
            "numChildren = 6\n");
}

TEST(Stat, JsonWithZookeeperNames) {
  JsonWriter json;
  StatJson(json, SampleStat());
  EXPECT_EQ(json.str(),
            R"({"czxid":4294967298,"mzxid":4294967299,"ctime":1700000000123,)"
            R"("mtime":1700000001000,"version":2,"cversion":3,"aversion":4,)"
            R"("ephemeralOwner":123,"dataLength":5,"numChildren":6,"pzxid":4294967300})");
}

TEST(Perms, RoundTrip) {
  EXPECT_EQ(PermsText(zk::kPermAll), "cdrwa");
  EXPECT_EQ(PermsText(zk::kPermRead | zk::kPermAdmin), "ra");
  EXPECT_EQ(PermsText(0), "");
  EXPECT_EQ(*ParsePerms("arwdc"), zk::kPermAll);
  EXPECT_EQ(*ParsePerms("r"), zk::kPermRead);
  EXPECT_FALSE(ParsePerms("rx").ok());
}

TEST(Acl, ParseZkCliSyntax) {
  auto acl = ParseAclList(
      "world:anyone:r,digest:user:smGaoVKd/cQkjm7b88GyorAUz20=:cdrwa,"
      "ip:10.0.0.0/8:rw");
  ASSERT_TRUE(acl.ok()) << acl.status().message();
  ASSERT_EQ(acl->size(), 3u);
  EXPECT_EQ((*acl)[0], (zk::Acl{zk::kPermRead, zk::Id{"world", "anyone"}}));
  EXPECT_EQ((*acl)[1],
            (zk::Acl{zk::kPermAll, zk::Id{"digest", "user:smGaoVKd/cQkjm7b88GyorAUz20="}}));
  EXPECT_EQ((*acl)[2], (zk::Acl{zk::kPermRead | zk::kPermWrite, zk::Id{"ip", "10.0.0.0/8"}}));
  EXPECT_EQ(AclText((*acl)[1]), "digest:user:smGaoVKd/cQkjm7b88GyorAUz20=:cdrwa");
}

TEST(Acl, ParseErrors) {
  EXPECT_FALSE(ParseAclList("world:anyone").ok());
  EXPECT_FALSE(ParseAclList("world").ok());
  EXPECT_FALSE(ParseAclList("world:anyone:rq").ok());
  EXPECT_FALSE(ParseAclList("world:anyone:r,").ok());
}

TEST(Acl, Json) {
  JsonWriter json;
  AclJson(json, {zk::Acl{zk::kPermRead, zk::Id{"world", "anyone"}}});
  EXPECT_EQ(json.str(), R"([{"scheme":"world","id":"anyone","perms":"r","perms_bits":1}])");
}

TEST(Names, ErrorsEventsStates) {
  EXPECT_EQ(ZkErrorName(zk::kNoNode), "NoNode");
  EXPECT_EQ(ZkErrorName(zk::kNodeExists), "NodeExists");
  EXPECT_EQ(ZkErrorName(zk::kBadVersion), "BadVersion");
  EXPECT_EQ(ZkErrorName(zk::kNotEmpty), "NotEmpty");
  EXPECT_EQ(ZkErrorName(zk::kNoAuth), "NoAuth");
  EXPECT_EQ(ZkErrorName(zk::kReconfigDisabled), "ReconfigDisabled");
  EXPECT_EQ(ZkErrorName(-999), "Error-999");
  EXPECT_EQ(EventTypeName(zk::kEventNodeDataChanged), "NodeDataChanged");
  EXPECT_EQ(EventTypeName(zk::kEventNodeChildrenChanged), "NodeChildrenChanged");
  EXPECT_EQ(KeeperStateName(zk::kStateSyncConnected), "SyncConnected");
  EXPECT_EQ(Hex(0), "0x0");
  EXPECT_EQ(Hex(-1), "0xffffffffffffffff");
}

TEST(JsonWriter, NestingCommasAndEscapes) {
  JsonWriter json;
  json.BeginObject()
      .Key("s")
      .String("q\"b\\n\n\x01")
      .Key("a")
      .BeginArray()
      .Int(-1)
      .Bool(true)
      .Null()
      .BeginObject()
      .EndObject()
      .EndArray()
      .Key("raw")
      .Raw(R"({"x":1})")
      .EndObject();
  EXPECT_EQ(json.str(), R"({"s":"q\"b\\n\n\u0001","a":[-1,true,null,{}],"raw":{"x":1}})");
}

TEST(Completion, WhatToComplete) {
  EXPECT_EQ(FindCompletionTarget("").kind, CompletionKind::kCommand);
  CompletionTarget cmd = FindCompletionTarget("ge");
  EXPECT_EQ(cmd.kind, CompletionKind::kCommand);
  EXPECT_EQ(cmd.word, "ge");
  CompletionTarget path = FindCompletionTarget("get -s /app/co");
  EXPECT_EQ(path.kind, CompletionKind::kPath);
  EXPECT_EQ(path.word, "/app/co");
  EXPECT_EQ(FindCompletionTarget("get -").kind, CompletionKind::kNone);
  EXPECT_EQ(FindCompletionTarget("set /a da").kind, CompletionKind::kNone);
  EXPECT_EQ(FindCompletionTarget("get ").kind, CompletionKind::kNone);
}

TEST(Completion, Commands) {
  std::vector<std::string> names = {"set", "get", "getAcl", "setAcl", "stat"};
  EXPECT_EQ(CompleteCommand("get", names), (std::vector<std::string>{"get", "getAcl"}));
  EXPECT_EQ(CompleteCommand("s", names), (std::vector<std::string>{"set", "setAcl", "stat"}));
  EXPECT_TRUE(CompleteCommand("x", names).empty());
}

TEST(Completion, SplitPathPrefix) {
  auto a = SplitPathPrefix("/a/b/c");
  EXPECT_EQ(a.parent, "/a/b");
  EXPECT_EQ(a.leaf, "c");
  auto b = SplitPathPrefix("/a");
  EXPECT_EQ(b.parent, "/");
  EXPECT_EQ(b.leaf, "a");
  auto c = SplitPathPrefix("/a/");
  EXPECT_EQ(c.parent, "/a");
  EXPECT_EQ(c.leaf, "");
  auto root = SplitPathPrefix("/");
  EXPECT_EQ(root.parent, "/");
  EXPECT_EQ(root.leaf, "");
}

TEST(Completion, PathsFromTheListedParent) {
  std::vector<std::string> asked;
  ListChildren list = [&](const std::string& parent) -> std::optional<std::vector<std::string>> {
    asked.push_back(parent);
    if (parent == "/") return std::vector<std::string>{"zookeeper", "app", "apple"};
    if (parent == "/app") return std::vector<std::string>{"config", "locks"};
    return std::nullopt;  // no such node
  };
  EXPECT_EQ(CompletePath("/ap", list), (std::vector<std::string>{"/app", "/apple"}));
  EXPECT_EQ(CompletePath("/", list), (std::vector<std::string>{"/app", "/apple", "/zookeeper"}));
  EXPECT_EQ(CompletePath("/app/c", list), (std::vector<std::string>{"/app/config"}));
  EXPECT_EQ(CompletePath("/app/", list), (std::vector<std::string>{"/app/config", "/app/locks"}));
  EXPECT_TRUE(CompletePath("/nope/x", list).empty());
  EXPECT_EQ(asked, (std::vector<std::string>{"/", "/", "/app", "/app", "/nope"}));
}

}  // namespace
}  // namespace corral::ctl
