// StateMachine::Apply / Read with hand-made Txns, against ZooKeeper's semantics
// (PrepRequestProcessor's check order and error codes, DataTree's Stat bookkeeping,
// FinalRequestProcessor's reads). Where ZooKeeper's behaviour was not obvious from its sources it
// was checked against a real ZooKeeper 3.8.0 server (Debian's package); those places say so.
#include "statemachine/state_machine.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "base/hex.h"
#include "jute/reader.h"
#include "jute/writer.h"
#include "statemachine/acl.h"
#include "statemachine/data_tree.h"
#include "statemachine/path.h"
#include "statemachine/quota.h"
#include "statemachine/txn.h"
#include "statemachine/write_op.h"
#include "zk/codes.h"
#include "zk/records.h"

namespace corral {
namespace {

using jute::Reader;
using jute::Writer;
using namespace std::string_literals;

constexpr int64_t kS1 = 0x0100000b07e40001LL;
constexpr int64_t kS2 = 0x0100000b07e40002LL;
constexpr int64_t kUnknownSession = 0x0100000b07e40099LL;

zk::AclList OpenAcl() { return {zk::Acl{zk::kPermAll, zk::Id{"world", "anyone"}}}; }
zk::AclList ReadOnlyAcl() { return {zk::Acl{zk::kPermRead, zk::Id{"world", "anyone"}}}; }

const std::string& BobDigest() {
  static const std::string d = acl::GenerateDigest("bob:secret");
  return d;
}
const std::string& AliceDigest() {
  static const std::string d = acl::GenerateDigest("alice:secret");
  return d;
}
acl::Identities Bob() { return {zk::Id{"digest", BobDigest()}}; }
acl::Identities Alice() { return {zk::Id{"digest", AliceDigest()}}; }
acl::Identities Super() { return {acl::SuperId()}; }
zk::AclList BobOnly(int32_t perms = zk::kPermAll) {
  return {zk::Acl{perms, zk::Id{"digest", BobDigest()}}};
}

// ---------------------------------------------------------------------------------------------
// Request builders and response parsers
// ---------------------------------------------------------------------------------------------

struct CreateArgs {
  std::string path{};
  std::string data{};
  int32_t flags = zk::kPersistent;
  zk::AclList acl = OpenAcl();
  int32_t type = zk::kCreate2;
  int64_t ttl = -1;  // only encoded for createTTL
  int64_t session = kS1;
  acl::Identities ids{};
  bool data_null = false;
};

std::string CreateBody(const CreateArgs& a) {
  zk::CreateRequest req;
  req.path = a.path;
  req.data = a.data;
  req.data_null = a.data_null;
  req.acl = a.acl;
  req.flags = a.flags;
  req.ttl = a.ttl;
  std::string out;
  Writer w(&out);
  zk::Encode(w, req, a.type == zk::kCreateTtl);
  return out;
}

template <typename T>
std::string Enc(const T& v) {
  std::string out;
  Writer w(&out);
  zk::Encode(w, v);
  return out;
}

std::string PathBody(const std::string& p) { return Enc(zk::PathRequest{p}); }
std::string PathWatchBody(const std::string& p, bool watch) {
  return Enc(zk::PathWatchRequest{p, watch});
}

class MultiBuilder {
 public:
  MultiBuilder& Create(const std::string& path, const std::string& data = "",
                       int32_t flags = zk::kPersistent, int32_t type = zk::kCreate,
                       zk::AclList acl = OpenAcl(), int64_t ttl = -1) {
    Header(type);
    zk::CreateRequest req;
    req.path = path;
    req.data = data;
    req.acl = std::move(acl);
    req.flags = flags;
    req.ttl = ttl;
    zk::Encode(w_, req, type == zk::kCreateTtl);
    return *this;
  }
  MultiBuilder& Delete(const std::string& path, int32_t version = -1) {
    Header(zk::kDelete);
    zk::Encode(w_, zk::DeleteRequest{path, version});
    return *this;
  }
  MultiBuilder& SetData(const std::string& path, const std::string& data, int32_t version = -1) {
    Header(zk::kSetData);
    zk::Encode(w_, zk::SetDataRequest{path, data, false, version});
    return *this;
  }
  MultiBuilder& Check(const std::string& path, int32_t version) {
    Header(zk::kCheck);
    zk::Encode(w_, zk::CheckVersionRequest{path, version});
    return *this;
  }
  MultiBuilder& SetAcl(const std::string& path, const zk::AclList& acl, int32_t version = -1) {
    Header(zk::kSetAcl);
    zk::Encode(w_, zk::SetAclRequest{path, acl, version});
    return *this;
  }
  MultiBuilder& GetData(const std::string& path) {
    Header(zk::kGetData);
    zk::Encode(w_, zk::PathWatchRequest{path, false});
    return *this;
  }
  MultiBuilder& GetChildren(const std::string& path) {
    Header(zk::kGetChildren);
    zk::Encode(w_, zk::PathWatchRequest{path, false});
    return *this;
  }
  std::string Build() {
    std::string out = body_;
    Writer w(&out);
    zk::Encode(w, zk::MultiHeader{-1, true, -1});
    return out;
  }

 private:
  void Header(int32_t type) { zk::Encode(w_, zk::MultiHeader{type, false, -1}); }
  std::string body_;
  Writer w_{&body_};
};

struct OpResult {
  int32_t type = 0;
  int32_t err = 0;
  std::string path;                   // create results
  std::optional<zk::Stat> stat;       // create2 / setData / getData results
  std::string data;                   // getData results
  std::vector<std::string> children;  // getChildren results
};

// Parses a MultiResponse body; every op's body is checked to be exactly what its type says.
std::vector<OpResult> ParseMulti(const std::string& body) {
  std::vector<OpResult> out;
  Reader r(body);
  while (true) {
    zk::MultiHeader h;
    zk::Decode(r, &h);
    if (!r.ok()) {
      ADD_FAILURE() << "truncated multi response";
      return out;
    }
    if (h.done) {
      EXPECT_EQ(h.type, -1);
      EXPECT_EQ(h.err, -1);
      break;
    }
    OpResult o;
    o.type = h.type;
    o.err = h.err;
    switch (h.type) {
      case zk::kError:
        o.err = r.ReadInt();
        EXPECT_EQ(o.err, h.err) << "ErrorResponse disagrees with the MultiHeader";
        break;
      case zk::kCreate:
        o.path = r.ReadString();
        break;
      case zk::kCreate2: {
        o.path = r.ReadString();
        zk::Stat s;
        zk::Decode(r, &s);
        o.stat = s;
        break;
      }
      case zk::kSetData: {
        zk::Stat s;
        zk::Decode(r, &s);
        o.stat = s;
        break;
      }
      case zk::kDelete:
      case zk::kCheck:
        break;
      case zk::kGetData: {
        o.data = r.ReadBuffer();
        zk::Stat s;
        zk::Decode(r, &s);
        o.stat = s;
        break;
      }
      case zk::kGetChildren:
        zk::Decode(r, &o.children);
        break;
      default:
        ADD_FAILURE() << "unexpected result type " << h.type;
        return out;
    }
    EXPECT_TRUE(r.ok());
    out.push_back(std::move(o));
  }
  EXPECT_TRUE(r.AtEnd()) << r.remaining() << " bytes after the multi terminator";
  return out;
}

std::vector<int32_t> Errs(const std::vector<OpResult>& rs) {
  std::vector<int32_t> out;
  for (const auto& r : rs) out.push_back(r.err);
  return out;
}
std::vector<int32_t> Types(const std::vector<OpResult>& rs) {
  std::vector<int32_t> out;
  for (const auto& r : rs) out.push_back(r.type);
  return out;
}

using TriggerList = std::vector<std::pair<std::string, int32_t>>;
TriggerList Triggers(const std::vector<WatchTrigger>& ts) {
  TriggerList out;
  for (const auto& t : ts) {
    EXPECT_NE(t.acl, nullptr) << t.path;
    out.emplace_back(t.path, t.type);
  }
  return out;
}

constexpr int32_t kCreated = zk::kEventNodeCreated;
constexpr int32_t kDeleted = zk::kEventNodeDeleted;
constexpr int32_t kDataChanged = zk::kEventNodeDataChanged;
constexpr int32_t kChildrenChanged = zk::kEventNodeChildrenChanged;

std::string AclString(const zk::AclList& acl) {
  std::ostringstream o;
  for (const auto& a : acl) o << a.perms << ":" << a.id.scheme << ":" << a.id.id << ";";
  return o.str();
}

std::string StatString(const zk::Stat& s) {
  std::ostringstream o;
  o << "czxid=" << s.czxid << " mzxid=" << s.mzxid << " ctime=" << s.ctime << " mtime=" << s.mtime
    << " version=" << s.version << " cversion=" << s.cversion << " aversion=" << s.aversion
    << " owner=" << s.ephemeral_owner << " len=" << s.data_length << " nc=" << s.num_children
    << " pzxid=" << s.pzxid;
  return o.str();
}

// Every node, in ForEach order, with all it holds: equal dumps mean equal trees.
std::string Dump(const DataTree& t) {
  std::ostringstream o;
  t.ForEach([&](const std::string& p, const Znode& n) {
    o << p << " data=" << n.data.view() << " " << StatString(n.ToStat())
      << " acl=" << AclString(*n.acl) << " children=";
    for (const auto& c : n.children) o << c << ",";
    o << "\n";
  });
  return o.str();
}

// The tree's indexes agree with its nodes.
void ExpectConsistent(const DataTree& t) {
  int64_t size = 0;
  size_t count = 0;
  std::map<int64_t, std::set<std::string>> ephemerals;
  std::set<std::string> containers, ttls;
  t.ForEach([&](const std::string& p, const Znode& n) {
    ++count;
    size += static_cast<int64_t>(p.size() + n.data.size());
    for (const auto& c : n.children) {
      EXPECT_NE(t.Find(path::Join(p, c)), nullptr) << p << " child " << c;
    }
    if (n.ephemeral_owner == zk::kContainerEphemeralOwner) {
      containers.insert(p);
    } else if (n.ephemeral_owner != 0 && (n.ephemeral_owner & zk::kTtlMask) == zk::kTtlMask) {
      ttls.insert(p);
    } else if (n.ephemeral_owner != 0) {
      ephemerals[n.ephemeral_owner].insert(p);
      EXPECT_TRUE(n.children.empty()) << "ephemeral with children: " << p;
    }
  });
  EXPECT_EQ(count, t.node_count());
  EXPECT_EQ(size, t.approximate_data_size());
  EXPECT_EQ(ephemerals, t.ephemerals());
  EXPECT_EQ(containers, t.containers());
  EXPECT_EQ(ttls, t.ttl_nodes());
}

// ---------------------------------------------------------------------------------------------
// Harness: one StateMachine fed Txns with increasing zxids and a controllable clock.
// ---------------------------------------------------------------------------------------------

struct CreateOut {
  int32_t err = 0;
  std::string path;
  zk::Stat stat;
  TriggerList triggers;
};

struct StatOut {
  int32_t err = 0;
  zk::Stat stat;
  TriggerList triggers;
};

struct DataOut {
  int32_t err = 0;
  std::optional<std::string> data;  // nullopt when the wire said null (-1)
  zk::Stat stat;
  ReadResult raw;
};

struct ChildrenOut {
  int32_t err = 0;
  std::vector<std::string> children;
  std::optional<zk::Stat> stat;
  ReadResult raw;
};

struct AclOut {
  int32_t err = 0;
  zk::AclList acl;
  zk::Stat stat;
};

StateMachineOptions Options(bool extended) {
  StateMachineOptions o;
  o.extended_types_enabled = extended;
  return o;
}

class Harness {
 public:
  explicit Harness(bool extended_types = false, bool open_sessions = true)
      : Harness(Options(extended_types), open_sessions) {}
  explicit Harness(StateMachineOptions options, bool open_sessions = true)
      : sm(std::move(options)) {
    if (open_sessions) {
      EXPECT_EQ(OpenSession(kS1).err, zk::kOk);
      EXPECT_EQ(OpenSession(kS2).err, zk::kOk);
    }
  }

  StateMachine sm;
  int64_t zxid = 0x100000000LL;  // epoch 1
  int64_t now = 1'700'000'000'000LL;
  std::vector<Txn> log;

  ApplyResult Apply(int32_t type, std::string body, int64_t session = kS1,
                    acl::Identities ids = {}) {
    Txn t;
    t.zxid = ++zxid;
    t.session_id = session;
    t.xid = static_cast<int32_t>(zxid & 0x7fffffff);
    t.time_ms = now;
    now += 10;
    t.type = type;
    t.request = std::move(body);
    t.identities = std::move(ids);
    log.push_back(t);
    return sm.Apply(t);
  }

  ApplyResult OpenSession(int64_t sid, int32_t timeout_ms = 30000) {
    return Apply(zk::kCreateSession, EncodeCreateSession({timeout_ms, "pw-" + std::to_string(sid)}),
                 sid);
  }
  ApplyResult CloseSession(int64_t sid) { return Apply(zk::kCloseSession, "", sid); }

  CreateOut Create(const CreateArgs& a) {
    ApplyResult r = Apply(a.type, CreateBody(a), a.session, a.ids);
    CreateOut out;
    out.err = r.err;
    out.triggers = Triggers(r.triggers);
    if (r.err != zk::kOk) {
      EXPECT_TRUE(r.body.empty());
      EXPECT_TRUE(r.triggers.empty()) << "a failed create fired watches";
      return out;
    }
    Reader rd(r.body);
    out.path = rd.ReadString();
    if (a.type != zk::kCreate) zk::Decode(rd, &out.stat);
    EXPECT_TRUE(rd.AtEnd()) << "create response of type " << a.type;
    return out;
  }
  // Shorthands.
  int32_t Make(const std::string& path, const std::string& data = "", int32_t flags = 0,
               zk::AclList acl = OpenAcl(), int64_t session = kS1) {
    CreateArgs a;
    a.path = path;
    a.data = data;
    a.flags = flags;
    a.acl = std::move(acl);
    a.session = session;
    return Create(a).err;
  }

  ApplyResult Delete(const std::string& path, int32_t version = -1, int64_t session = kS1,
                     acl::Identities ids = {}) {
    ApplyResult r =
        Apply(zk::kDelete, Enc(zk::DeleteRequest{path, version}), session, std::move(ids));
    EXPECT_TRUE(r.body.empty());
    if (r.err != zk::kOk) {
      EXPECT_TRUE(r.triggers.empty());
    }
    return r;
  }

  ApplyResult DeleteContainer(const std::string& path) {
    // Issued by the member's reaper as session 0.
    ApplyResult r = Apply(zk::kDeleteContainer, PathBody(path), 0);
    EXPECT_TRUE(r.body.empty());
    return r;
  }

  StatOut SetData(const std::string& path, const std::string& data, int32_t version = -1,
                  int64_t session = kS1, acl::Identities ids = {}, bool data_null = false) {
    ApplyResult r = Apply(zk::kSetData, Enc(zk::SetDataRequest{path, data, data_null, version}),
                          session, std::move(ids));
    return ParseStat(r);
  }

  StatOut SetAcl(const std::string& path, const zk::AclList& acl, int32_t version = -1,
                 int64_t session = kS1, acl::Identities ids = {}) {
    ApplyResult r =
        Apply(zk::kSetAcl, Enc(zk::SetAclRequest{path, acl, version}), session, std::move(ids));
    return ParseStat(r);
  }

  ApplyResult Check(const std::string& path, int32_t version, int64_t session = kS1,
                    acl::Identities ids = {}) {
    ApplyResult r =
        Apply(zk::kCheck, Enc(zk::CheckVersionRequest{path, version}), session, std::move(ids));
    EXPECT_TRUE(r.body.empty());
    EXPECT_TRUE(r.triggers.empty());
    return r;
  }

  ApplyResult Multi(const std::string& body, int64_t session = kS1, acl::Identities ids = {}) {
    return Apply(zk::kMulti, body, session, std::move(ids));
  }

  ReadResult Read(int32_t type, const std::string& body, acl::Identities ids = {},
                  int64_t session = kS1) const {
    ReadResult r = sm.Read(type, body, ids, session);
    if (r.err != zk::kOk && type != zk::kMultiRead) {
      EXPECT_TRUE(r.body.empty());
    }
    return r;
  }

  StatOut Exists(const std::string& path, bool watch = false, acl::Identities ids = {}) const {
    ReadResult r = Read(zk::kExists, PathWatchBody(path, watch), std::move(ids));
    StatOut out;
    out.err = r.err;
    if (r.err == zk::kOk) {
      Reader rd(r.body);
      zk::Decode(rd, &out.stat);
      EXPECT_TRUE(rd.AtEnd());
    }
    return out;
  }

  DataOut GetData(const std::string& path, bool watch = false, acl::Identities ids = {}) const {
    DataOut out;
    out.raw = Read(zk::kGetData, PathWatchBody(path, watch), std::move(ids));
    out.err = out.raw.err;
    if (out.err == zk::kOk) {
      Reader rd(out.raw.body);
      out.data = rd.ReadNullableBuffer();
      zk::Decode(rd, &out.stat);
      EXPECT_TRUE(rd.AtEnd());
    }
    return out;
  }

  ChildrenOut GetChildren(const std::string& path, bool watch = false, bool two = false,
                          acl::Identities ids = {}) const {
    ChildrenOut out;
    out.raw = Read(two ? zk::kGetChildren2 : zk::kGetChildren, PathWatchBody(path, watch),
                   std::move(ids));
    out.err = out.raw.err;
    if (out.err == zk::kOk) {
      Reader rd(out.raw.body);
      zk::Decode(rd, &out.children);
      if (two) {
        zk::Stat s;
        zk::Decode(rd, &s);
        out.stat = s;
      }
      EXPECT_TRUE(rd.AtEnd());
    }
    return out;
  }

  AclOut GetAcl(const std::string& path, acl::Identities ids = {}) const {
    ReadResult r = Read(zk::kGetAcl, PathBody(path), std::move(ids));
    AclOut out;
    out.err = r.err;
    if (r.err == zk::kOk) {
      Reader rd(r.body);
      zk::Decode(rd, &out.acl);
      zk::Decode(rd, &out.stat);
      EXPECT_TRUE(rd.AtEnd());
    }
    return out;
  }

  zk::Stat StatOf(const std::string& path) const {
    const Znode* n = sm.tree().Find(path);
    EXPECT_NE(n, nullptr) << path;
    return n == nullptr ? zk::Stat{} : n->ToStat();
  }
  bool Has(const std::string& path) const { return sm.tree().Find(path) != nullptr; }

 private:
  static StatOut ParseStat(const ApplyResult& r) {
    StatOut out;
    out.err = r.err;
    out.triggers = Triggers(r.triggers);
    if (r.err == zk::kOk) {
      Reader rd(r.body);
      zk::Decode(rd, &out.stat);
      EXPECT_TRUE(rd.AtEnd());
    } else {
      EXPECT_TRUE(r.body.empty());
      EXPECT_TRUE(r.triggers.empty());
    }
    return out;
  }
};

// ---------------------------------------------------------------------------------------------
// Built-in nodes
// ---------------------------------------------------------------------------------------------

TEST(StateMachineBuiltIns, Present) {
  Harness h(false, false);
  for (const char* p : {"/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"}) {
    ASSERT_TRUE(h.Has(p)) << p;
    zk::Stat s = h.StatOf(p);
    EXPECT_EQ(s.czxid, 0) << p;
    EXPECT_EQ(s.mzxid, 0) << p;
    EXPECT_EQ(s.ephemeral_owner, 0) << p;
  }
  EXPECT_EQ(h.GetChildren("/").children, std::vector<std::string>{"zookeeper"});
  EXPECT_EQ(h.GetChildren("/zookeeper").children, (std::vector<std::string>{"config", "quota"}));
  EXPECT_EQ(*h.sm.tree().Find("/zookeeper/config")->acl, ReadOnlyAcl());
  // As a fresh ZooKeeper 3.8.0 reports them: the built-ins were added without counting as
  // child creations (cversion = 2 * 0 - numChildren), and /zookeeper/config has aversion -1.
  EXPECT_EQ(h.StatOf("/").cversion, -1);
  EXPECT_EQ(h.StatOf("/zookeeper").cversion, -2);
  EXPECT_EQ(h.StatOf("/zookeeper/quota").cversion, 0);
  EXPECT_EQ(h.StatOf("/zookeeper/config").aversion, -1);
  EXPECT_EQ(h.StatOf("/").pzxid, 0);
  EXPECT_EQ(*h.sm.tree().Find("/")->acl, OpenAcl());
  EXPECT_EQ(h.sm.last_applied_zxid(), 0);
  EXPECT_TRUE(h.sm.sessions().empty());
  ExpectConsistent(h.sm.tree());
}

TEST(StateMachineBuiltIns, ConfigNodeIsReadOnlyForEveryoneButSuper) {
  Harness h;
  EXPECT_EQ(h.SetData("/zookeeper/config", "x").err, zk::kNoAuth);
  h.sm.SetConfigData("server.1=127.0.0.1:2888:3888;2181\nversion=0");
  EXPECT_EQ(*h.GetData("/zookeeper/config").data, "server.1=127.0.0.1:2888:3888;2181\nversion=0");
}

TEST(StateMachineBuiltIns, ReconfigAppliesEvenWhenItsSessionIsGone) {
  // The consensus core counts with a configuration from the moment its entry is logged;
  // /zookeeper/config must follow it although the session that asked closed meanwhile (the
  // simulator found members whose /zookeeper/config lagged their membership that way).
  Harness h;
  ASSERT_EQ(h.CloseSession(kS2).err, zk::kOk);
  const std::string config = "server.1=127.0.0.1:2888:3888:participant;0.0.0.0:2181\n";
  ApplyResult r = h.Apply(zk::kReconfig, config, kS2);
  EXPECT_EQ(r.err, zk::kOk);
  EXPECT_EQ(*h.GetData("/zookeeper/config").data, config + "version=" + HexDigits(h.zxid) + "\n");
  ExpectConsistent(h.sm.tree());
}

TEST(StateMachineBuiltIns, SetConfigDataKeepsTheSizeAccounting) {
  Harness h;
  h.sm.SetConfigData("server.1=127.0.0.1:2888:3888;2181");
  ExpectConsistent(h.sm.tree());
}

// ---------------------------------------------------------------------------------------------
// create
// ---------------------------------------------------------------------------------------------

TEST(StateMachineCreate, PersistentStatAndParent) {
  Harness h;
  zk::Stat root_before = h.StatOf("/");
  int64_t zxid = h.zxid + 1;
  int64_t time = h.now;
  CreateOut c = h.Create({.path = "/a", .data = "hello"});
  ASSERT_EQ(c.err, zk::kOk);
  EXPECT_EQ(c.path, "/a");
  EXPECT_EQ(c.stat.czxid, zxid);
  EXPECT_EQ(c.stat.mzxid, zxid);
  EXPECT_EQ(c.stat.pzxid, zxid);
  EXPECT_EQ(c.stat.ctime, time);
  EXPECT_EQ(c.stat.mtime, time);
  EXPECT_EQ(c.stat.version, 0);
  EXPECT_EQ(c.stat.cversion, 0);
  EXPECT_EQ(c.stat.aversion, 0);
  EXPECT_EQ(c.stat.ephemeral_owner, 0);
  EXPECT_EQ(c.stat.data_length, 5);
  EXPECT_EQ(c.stat.num_children, 0);
  EXPECT_EQ(h.Exists("/a").stat, c.stat);
  EXPECT_EQ(h.sm.last_applied_zxid(), zxid);

  zk::Stat root = h.StatOf("/");
  EXPECT_EQ(root.cversion, root_before.cversion + 1);
  EXPECT_EQ(root.pzxid, zxid);
  EXPECT_EQ(root.num_children, root_before.num_children + 1);
  EXPECT_EQ(root.mzxid, root_before.mzxid);  // a child is not a data change
  EXPECT_EQ(root.version, root_before.version);
  ExpectConsistent(h.sm.tree());
}

TEST(StateMachineCreate, CreateAnswersPathOnlyCreate2AddsStat) {
  Harness h;
  ApplyResult r = h.Apply(zk::kCreate, CreateBody({.path = "/plain", .data = "x"}));
  ASSERT_EQ(r.err, zk::kOk);
  Reader rd(r.body);
  EXPECT_EQ(rd.ReadString(), "/plain");
  EXPECT_TRUE(rd.AtEnd());

  ApplyResult r2 = h.Apply(zk::kCreate2, CreateBody({.path = "/two", .data = "x"}));
  ASSERT_EQ(r2.err, zk::kOk);
  EXPECT_EQ(r2.body.size(), 4u + 4 + 68);
}

TEST(StateMachineCreate, EveryMode) {
  Harness h(/*extended_types=*/true);
  ASSERT_EQ(h.Make("/m"), zk::kOk);

  CreateOut p = h.Create({.path = "/m/p", .flags = zk::kPersistent});
  EXPECT_EQ(p.path, "/m/p");
  EXPECT_EQ(p.stat.ephemeral_owner, 0);

  CreateOut e = h.Create({.path = "/m/e", .flags = zk::kEphemeral, .session = kS2});
  EXPECT_EQ(e.path, "/m/e");
  EXPECT_EQ(e.stat.ephemeral_owner, kS2);
  EXPECT_EQ(h.sm.tree().EphemeralsOf(kS2), std::set<std::string>{"/m/e"});

  CreateOut ps = h.Create({.path = "/m/ps-", .flags = zk::kPersistentSequential});
  EXPECT_EQ(ps.path, "/m/ps-0000000002");
  EXPECT_EQ(ps.stat.ephemeral_owner, 0);

  CreateOut es = h.Create({.path = "/m/es-", .flags = zk::kEphemeralSequential});
  EXPECT_EQ(es.path, "/m/es-0000000003");
  EXPECT_EQ(es.stat.ephemeral_owner, kS1);

  CreateOut c = h.Create({.path = "/m/c", .flags = zk::kContainer, .type = zk::kCreateContainer});
  ASSERT_EQ(c.err, zk::kOk);
  EXPECT_EQ(c.path, "/m/c");
  EXPECT_EQ(h.sm.tree().Find("/m/c")->ephemeral_owner, zk::kContainerEphemeralOwner);
  EXPECT_EQ(h.sm.tree().containers(), std::set<std::string>{"/m/c"});

  CreateOut t = h.Create(
      {.path = "/m/t", .flags = zk::kPersistentWithTtl, .type = zk::kCreateTtl, .ttl = 5000});
  ASSERT_EQ(t.err, zk::kOk);
  EXPECT_EQ(t.path, "/m/t");
  EXPECT_EQ(h.sm.tree().Find("/m/t")->ephemeral_owner, zk::kTtlMask | 5000);
  EXPECT_EQ(TtlOf(h.sm.tree().Find("/m/t")->ephemeral_owner), 5000);

  CreateOut ts = h.Create({.path = "/m/ts-",
                           .flags = zk::kPersistentSequentialWithTtl,
                           .type = zk::kCreateTtl,
                           .ttl = 1});
  ASSERT_EQ(ts.err, zk::kOk);
  EXPECT_EQ(ts.path, "/m/ts-0000000006");
  EXPECT_EQ(h.sm.tree().ttl_nodes(), (std::set<std::string>{"/m/t", "/m/ts-0000000006"}));
  EXPECT_EQ(h.StatOf("/m").num_children, 7);
  ExpectConsistent(h.sm.tree());
}

TEST(StateMachineCreate, SequentialSuffixIsTheParentsCversion) {
  Harness h;
  ASSERT_EQ(h.Make("/s"), zk::kOk);
  EXPECT_EQ(h.Create({.path = "/s/n-", .flags = zk::kPersistentSequential}).path,
            "/s/n-0000000000");
  EXPECT_EQ(h.Create({.path = "/s/n-", .flags = zk::kPersistentSequential}).path,
            "/s/n-0000000001");
  ASSERT_EQ(h.Make("/s/plain"), zk::kOk);  // any child counts
  EXPECT_EQ(h.Create({.path = "/s/m-", .flags = zk::kEphemeralSequential}).path, "/s/m-0000000003");
  // A trailing slash is fine once the suffix is appended.
  EXPECT_EQ(h.Create({.path = "/s/", .flags = zk::kPersistentSequential}).path, "/s/0000000004");
  EXPECT_EQ(h.StatOf("/s").cversion, 5);
  // The suffix is %010d of the parent's cversion: the same name as a plain create is a clash.
  ASSERT_EQ(h.Make("/q"), zk::kOk);
  ASSERT_EQ(h.Make("/q/x0000000001"), zk::kOk);
  EXPECT_EQ(h.Create({.path = "/q/x", .flags = zk::kPersistentSequential}).err, zk::kNodeExists);
  EXPECT_EQ(h.Create({.path = "/q/x", .flags = zk::kPersistentSequential}).err, zk::kNodeExists);
}

// Checked against ZooKeeper 3.8.0: create -s /q/a- -> a-0000000000, delete it, create -s /q/a-
// -> a-0000000001 while `stat /q` says cversion 2. DataNode keeps a count of creates and copyStat
// reports cversion = 2 * creates - numChildren (creates + deletes); the sequence uses the count.
TEST(StateMachineCreate, SequentialSuffixAfterDeletesCountsCreatesOnly) {
  Harness h;
  ASSERT_EQ(h.Make("/q"), zk::kOk);
  CreateOut a = h.Create({.path = "/q/a-", .flags = zk::kPersistentSequential});
  EXPECT_EQ(a.path, "/q/a-0000000000");
  EXPECT_EQ(h.StatOf("/q").cversion, 1);
  ASSERT_EQ(h.Delete(a.path).err, zk::kOk);
  EXPECT_EQ(h.StatOf("/q").cversion, 2);  // what `stat` shows: creates + deletes
  CreateOut b = h.Create({.path = "/q/a-", .flags = zk::kPersistentSequential});
  EXPECT_EQ(b.path, "/q/a-0000000001");
  EXPECT_EQ(h.StatOf("/q").cversion, 3);
  ASSERT_EQ(h.Make("/q/x"), zk::kOk);
  ASSERT_EQ(h.Delete("/q/x").err, zk::kOk);
  EXPECT_EQ(h.StatOf("/q").cversion, 5);
  EXPECT_EQ(h.Create({.path = "/q/a-", .flags = zk::kPersistentSequential}).path,
            "/q/a-0000000003");
}

TEST(StateMachineCreate, NodeExists) {
  Harness h;
  ASSERT_EQ(h.Make("/a", "one"), zk::kOk);
  EXPECT_EQ(h.Make("/a", "two"), zk::kNodeExists);
  EXPECT_EQ(*h.GetData("/a").data, "one");
  EXPECT_EQ(h.Make("/zookeeper"), zk::kNodeExists);
  EXPECT_EQ(h.Make("/"), zk::kNodeExists);
  EXPECT_EQ(h.Make("/a", "", zk::kEphemeral), zk::kNodeExists);
}

TEST(StateMachineCreate, NoNodeParent) {
  Harness h;
  EXPECT_EQ(h.Make("/missing/a"), zk::kNoNode);
  EXPECT_EQ(h.Make("/missing/a/b"), zk::kNoNode);
  EXPECT_EQ(h.Make("a/b"), zk::kNoNode);  // parent "a" does not exist (ZooKeeper's order)
  EXPECT_EQ(h.Make("/missing/"), zk::kNoNode);
  ASSERT_EQ(h.Make("/a"), zk::kOk);
  EXPECT_EQ(h.Make("/a//b"), zk::kNoNode);  // parent "/a/" does not exist
}

TEST(StateMachineCreate, NoChildrenForEphemerals) {
  Harness h;
  ASSERT_EQ(h.Make("/e", "", zk::kEphemeral), zk::kOk);
  EXPECT_EQ(h.Make("/e/c"), zk::kNoChildrenForEphemerals);
  EXPECT_EQ(h.Make("/e/c", "", zk::kEphemeral), zk::kNoChildrenForEphemerals);
  EXPECT_EQ(h.Make("/e/c", "", zk::kEphemeral, OpenAcl(), kS2), zk::kNoChildrenForEphemerals);
  EXPECT_EQ(h.Create({.path = "/e/s-", .flags = zk::kPersistentSequential}).err,
            zk::kNoChildrenForEphemerals);
  EXPECT_EQ(h.StatOf("/e").cversion, 0);
}

TEST(StateMachineCreate, ChildrenOfContainersAndTtlNodesAreFine) {
  Harness h(true);
  ASSERT_EQ(h.Create({.path = "/c", .flags = zk::kContainer, .type = zk::kCreateContainer}).err,
            zk::kOk);
  ASSERT_EQ(
      h.Create({.path = "/t", .flags = zk::kPersistentWithTtl, .type = zk::kCreateTtl, .ttl = 10})
          .err,
      zk::kOk);
  EXPECT_EQ(h.Make("/c/x"), zk::kOk);
  EXPECT_EQ(h.Make("/t/x", "", zk::kEphemeral), zk::kOk);
}

TEST(StateMachineCreate, BadPaths) {
  Harness h;
  ASSERT_EQ(h.Make("/a"), zk::kOk);
  for (std::string p :
       {""s, "a"s, "/a/"s, "//a"s, "/a/."s, "/a/.."s, "/."s, "/.."s, "/a\0b"s, "/a/b\0"s, "/a\x01"s,
        "/a\x7f"s, "/\xef\xbf\xbf"s, "/a\xff"s, "/\xf0\x9f\x98\x80"s}) {
    EXPECT_EQ(h.Make(p), zk::kBadArguments) << "path [" << p << "]";
  }
  // NUL is refused before the parent is even looked at.
  EXPECT_EQ(h.Make("/missing/a\0"s), zk::kBadArguments);
  EXPECT_EQ(h.StatOf("/a").cversion, 0);
  ExpectConsistent(h.sm.tree());
}

TEST(StateMachineCreate, BadFlags) {
  Harness h;
  for (int32_t flags : {-1, 7, 8, 100, INT32_MIN, INT32_MAX}) {
    EXPECT_EQ(h.Create({.path = "/f", .flags = flags}).err, zk::kBadArguments) << flags;
    // Flags are checked first of all (CreateMode.fromFlag).
    EXPECT_EQ(h.Create({.path = "/missing/f", .flags = flags}).err, zk::kBadArguments) << flags;
  }
  EXPECT_FALSE(h.Has("/f"));
}

TEST(StateMachineCreate, CheckOrder) {
  Harness h;
  ASSERT_EQ(h.Make("/sec", "", 0, BobOnly()), zk::kOk);
  ASSERT_EQ(h.Create({.path = "/sec/x", .ids = Bob()}).err, zk::kOk);
  // INVALIDACL (fixupACL) comes before the parent lookup.
  EXPECT_EQ(h.Create({.path = "/missing/a", .acl = {}}).err, zk::kInvalidAcl);
  EXPECT_EQ(h.Create({.path = "/missing/a", .acl = {zk::Acl{31, zk::Id{"nope", "x"}}}}).err,
            zk::kInvalidAcl);
  // NOAUTH on the parent before NODEEXISTS.
  EXPECT_EQ(h.Create({.path = "/sec/x"}).err, zk::kNoAuth);
  EXPECT_EQ(h.Create({.path = "/sec/x", .ids = Bob()}).err, zk::kNodeExists);
  // NOAUTH before BADARGUMENTS of the final path.
  EXPECT_EQ(h.Create({.path = "/sec/"}).err, zk::kNoAuth);
  EXPECT_EQ(h.Create({.path = "/sec/", .ids = Bob()}).err, zk::kBadArguments);
}

TEST(StateMachineCreate, TtlDisabled) {
  Harness h(/*extended_types=*/false);
  for (int32_t flags : {zk::kPersistentWithTtl, zk::kPersistentSequentialWithTtl}) {
    EXPECT_EQ(h.Create({.path = "/t", .flags = flags, .type = zk::kCreateTtl, .ttl = 100}).err,
              zk::kUnimplemented);
    EXPECT_EQ(h.Create({.path = "/t", .flags = flags, .type = zk::kCreateTtl, .ttl = 0}).err,
              zk::kUnimplemented);
    EXPECT_EQ(
        h.Create({.path = "/missing/t", .flags = flags, .type = zk::kCreateTtl, .ttl = 100}).err,
        zk::kUnimplemented);
    EXPECT_EQ(h.Create({.path = "/t", .flags = flags, .type = zk::kCreate}).err,
              zk::kUnimplemented);
  }
  EXPECT_FALSE(h.Has("/t"));
}

TEST(StateMachineCreate, TtlEnabled) {
  Harness h(/*extended_types=*/true);
  auto ttl_create = [&](const std::string& p, int64_t ttl, int32_t flags = zk::kPersistentWithTtl) {
    return h.Create({.path = p, .flags = flags, .type = zk::kCreateTtl, .ttl = ttl});
  };
  EXPECT_EQ(ttl_create("/t", 0).err, zk::kBadArguments);
  EXPECT_EQ(ttl_create("/t", -1).err, zk::kBadArguments);
  EXPECT_EQ(ttl_create("/t", -100).err, zk::kBadArguments);
  EXPECT_EQ(ttl_create("/t", zk::kMaxTtlMs + 1).err, zk::kBadArguments);
  EXPECT_EQ(ttl_create("/t", INT64_MAX).err, zk::kBadArguments);
  EXPECT_FALSE(h.Has("/t"));
  // A TTL on a mode without one is refused (EphemeralType.validateTTL).
  EXPECT_EQ(ttl_create("/t", 10, zk::kPersistent).err, zk::kBadArguments);
  EXPECT_EQ(ttl_create("/t", 0, zk::kEphemeral).err, zk::kBadArguments);
  // create/create2 carry no TTL, so a TTL mode through them is a bad TTL (-1).
  EXPECT_EQ(h.Create({.path = "/t", .flags = zk::kPersistentWithTtl, .type = zk::kCreate2}).err,
            zk::kBadArguments);

  CreateOut one = ttl_create("/t1", 1);
  ASSERT_EQ(one.err, zk::kOk);
  CreateOut max = ttl_create("/tmax", zk::kMaxTtlMs);
  ASSERT_EQ(max.err, zk::kOk);
  EXPECT_EQ(h.sm.tree().Find("/tmax")->ephemeral_owner, zk::kTtlMask | zk::kMaxTtlMs);
  EXPECT_EQ(TtlOf(h.sm.tree().Find("/tmax")->ephemeral_owner), zk::kMaxTtlMs);
  EXPECT_EQ(KindOf(h.sm.tree().Find("/t1")->ephemeral_owner, true), NodeKind::kTtl);
  ExpectConsistent(h.sm.tree());
}

TEST(StateMachineCreate, TheOpcodePicksTheKindTheFlagsPickTheName) {
  // ZooKeeper logs createContainer as a CreateContainerTxn whatever its flags: the flags only
  // decide the checks and the sequential name.
  Harness h;
  CreateOut plain =
      h.Create({.path = "/c0", .flags = zk::kPersistent, .type = zk::kCreateContainer});
  ASSERT_EQ(plain.err, zk::kOk);
  CreateOut seq =
      h.Create({.path = "/cs-", .flags = zk::kPersistentSequential, .type = zk::kCreateContainer});
  ASSERT_EQ(seq.err, zk::kOk);
  EXPECT_EQ(seq.path, "/cs-0000000001");
  EXPECT_EQ(h.sm.tree().containers(), (std::set<std::string>{"/c0", "/cs-0000000001"}));
  // An ephemeral flag on createContainer still makes a container, owned by nobody.
  CreateOut eph = h.Create({.path = "/ce", .flags = zk::kEphemeral, .type = zk::kCreateContainer});
  ASSERT_EQ(eph.err, zk::kOk);
  EXPECT_EQ(h.sm.tree().Find("/ce")->ephemeral_owner, zk::kContainerEphemeralOwner);
  EXPECT_TRUE(h.sm.tree().EphemeralsOf(kS1).empty());
  ExpectConsistent(h.sm.tree());
}

TEST(StateMachineCreate, ContainerOp) {
  Harness h;
  CreateOut c = h.Create(
      {.path = "/box", .data = "d", .flags = zk::kContainer, .type = zk::kCreateContainer});
  ASSERT_EQ(c.err, zk::kOk);
  EXPECT_EQ(c.path, "/box");
  EXPECT_EQ(c.stat.data_length, 1);
  EXPECT_EQ(KindOf(h.sm.tree().Find("/box")->ephemeral_owner, false), NodeKind::kContainer);
  // Containers work whatever extendedTypesEnabled says.
  EXPECT_EQ(h.sm.tree().containers(), std::set<std::string>{"/box"});
}

// Checked against ZooKeeper 3.8.0 (`stat` after `create -c` / `create -t`: ephemeralOwner = 0x0)
// and DataNode.copyStat's getClientEphemeralOwner in 3.9: only NORMAL ephemerals show an owner.
TEST(StateMachineCreate, ContainerAndTtlNodesShowNoEphemeralOwner) {
  Harness h(true);
  CreateOut c = h.Create({.path = "/box", .flags = zk::kContainer, .type = zk::kCreateContainer});
  ASSERT_EQ(c.err, zk::kOk);
  EXPECT_EQ(c.stat.ephemeral_owner, 0);
  EXPECT_EQ(h.Exists("/box").stat.ephemeral_owner, 0);
  CreateOut t = h.Create(
      {.path = "/ttl", .flags = zk::kPersistentWithTtl, .type = zk::kCreateTtl, .ttl = 5000});
  ASSERT_EQ(t.err, zk::kOk);
  EXPECT_EQ(t.stat.ephemeral_owner, 0);
  EXPECT_EQ(h.GetData("/ttl").stat.ephemeral_owner, 0);
  EXPECT_EQ(h.SetData("/ttl", "x").stat.ephemeral_owner, 0);
  // The internal marker stays (the reaper needs it).
  EXPECT_EQ(h.sm.tree().Find("/box")->ephemeral_owner, zk::kContainerEphemeralOwner);
}

// Checked against ZooKeeper 3.8.0: a node created with null data (zkCli `create /n`) reads back
// as null (GetDataResponse data length -1; zkCli prints "null", kazoo returns None).
TEST(StateMachineCreate, NullDataReadsBackAsNull) {
  Harness h;
  CreateOut c = h.Create({.path = "/n", .data_null = true});
  ASSERT_EQ(c.err, zk::kOk);
  EXPECT_EQ(c.stat.data_length, 0);
  DataOut d = h.GetData("/n");
  ASSERT_EQ(d.err, zk::kOk);
  EXPECT_FALSE(d.data.has_value());
  // And empty (non-null) data stays empty, not null.
  ASSERT_EQ(h.Make("/e", ""), zk::kOk);
  EXPECT_TRUE(h.GetData("/e").data.has_value());
  // setData with null data makes it null again.
  ASSERT_EQ(h.SetData("/e", "", -1, kS1, {}, /*data_null=*/true).err, zk::kOk);
  EXPECT_FALSE(h.GetData("/e").data.has_value());
}

TEST(StateMachineCreate, NullDataIsStoredEmpty) {
  // Whatever the wire form of the answer, a null create has no bytes.
  Harness h;
  CreateOut c = h.Create({.path = "/n", .data_null = true});
  ASSERT_EQ(c.err, zk::kOk);
  EXPECT_EQ(h.StatOf("/n").data_length, 0);
  ExpectConsistent(h.sm.tree());
}

TEST(StateMachineCreate, BinaryDataKeptExactly) {
  Harness h;
  std::string data("\0\x01\xff binary \0"s);
  ASSERT_EQ(h.Make("/bin", data), zk::kOk);
  EXPECT_EQ(*h.GetData("/bin").data, data);
  EXPECT_EQ(h.StatOf("/bin").data_length, static_cast<int32_t>(data.size()));
}

// ---------------------------------------------------------------------------------------------
// Stat bookkeeping across operations
// ---------------------------------------------------------------------------------------------

TEST(StateMachineStat, FieldsThroughALifecycle) {
  Harness h;
  int64_t z_create = h.zxid + 1, t_create = h.now;
  ASSERT_EQ(h.Make("/n", "abc"), zk::kOk);

  int64_t z_set = h.zxid + 1, t_set = h.now;
  StatOut s = h.SetData("/n", "abcdef");
  ASSERT_EQ(s.err, zk::kOk);
  EXPECT_EQ(s.stat.czxid, z_create);
  EXPECT_EQ(s.stat.ctime, t_create);
  EXPECT_EQ(s.stat.mzxid, z_set);
  EXPECT_EQ(s.stat.mtime, t_set);
  EXPECT_EQ(s.stat.version, 1);
  EXPECT_EQ(s.stat.data_length, 6);
  EXPECT_EQ(s.stat.cversion, 0);
  EXPECT_EQ(s.stat.pzxid, z_create);
  EXPECT_EQ(s.stat, h.Exists("/n").stat);

  int64_t z_child = h.zxid + 1;
  ASSERT_EQ(h.Make("/n/c"), zk::kOk);
  zk::Stat n = h.StatOf("/n");
  EXPECT_EQ(n.cversion, 1);
  EXPECT_EQ(n.pzxid, z_child);
  EXPECT_EQ(n.num_children, 1);
  EXPECT_EQ(n.mzxid, z_set);
  EXPECT_EQ(n.version, 1);

  StatOut a = h.SetAcl("/n", OpenAcl());
  ASSERT_EQ(a.err, zk::kOk);
  EXPECT_EQ(a.stat.aversion, 1);
  EXPECT_EQ(a.stat.version, 1);
  EXPECT_EQ(a.stat.mzxid, z_set);  // an ACL change is not a data change
  EXPECT_EQ(a.stat.cversion, 1);

  int64_t z_delete = h.zxid + 1;
  ASSERT_EQ(h.Delete("/n/c").err, zk::kOk);
  n = h.StatOf("/n");
  EXPECT_EQ(n.cversion, 2);
  EXPECT_EQ(n.pzxid, z_delete);
  EXPECT_EQ(n.num_children, 0);
  EXPECT_EQ(n.mzxid, z_set);

  // A check or a failed op changes nothing (but does use its zxid).
  ASSERT_EQ(h.Check("/n", 1).err, zk::kOk);
  ASSERT_EQ(h.SetData("/n", "x", 7).err, zk::kBadVersion);
  EXPECT_EQ(h.StatOf("/n"), n);
  EXPECT_EQ(h.sm.last_applied_zxid(), h.zxid);
}

TEST(StateMachineStat, VersionCountsEverySetEvenIdentical) {
  Harness h;
  ASSERT_EQ(h.Make("/v", "same"), zk::kOk);
  for (int i = 1; i <= 5; ++i) EXPECT_EQ(h.SetData("/v", "same").stat.version, i);
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(h.SetAcl("/v", OpenAcl()).stat.aversion, i);
}

// ---------------------------------------------------------------------------------------------
// delete
// ---------------------------------------------------------------------------------------------

TEST(StateMachineDelete, Versions) {
  Harness h;
  ASSERT_EQ(h.Make("/d"), zk::kOk);
  ASSERT_EQ(h.SetData("/d", "1").err, zk::kOk);
  ASSERT_EQ(h.SetData("/d", "2").err, zk::kOk);
  EXPECT_EQ(h.Delete("/d", 0).err, zk::kBadVersion);
  EXPECT_EQ(h.Delete("/d", 3).err, zk::kBadVersion);
  EXPECT_TRUE(h.Has("/d"));
  EXPECT_EQ(h.Delete("/d", 2).err, zk::kOk);
  EXPECT_FALSE(h.Has("/d"));
  ASSERT_EQ(h.Make("/any"), zk::kOk);
  EXPECT_EQ(h.Delete("/any", -1).err, zk::kOk);
  ExpectConsistent(h.sm.tree());
}

TEST(StateMachineDelete, NotEmptyAndOrder) {
  Harness h;
  ASSERT_EQ(h.Make("/p"), zk::kOk);
  ASSERT_EQ(h.Make("/p/c"), zk::kOk);
  EXPECT_EQ(h.Delete("/p").err, zk::kNotEmpty);
  EXPECT_EQ(h.Delete("/p", 5).err, zk::kBadVersion);  // version before NOTEMPTY
  EXPECT_EQ(h.Delete("/p", 0).err, zk::kNotEmpty);
  ASSERT_EQ(h.Delete("/p/c").err, zk::kOk);
  EXPECT_EQ(h.Delete("/p").err, zk::kOk);
}

TEST(StateMachineDelete, NoNode) {
  Harness h;
  EXPECT_EQ(h.Delete("/nope").err, zk::kNoNode);
  EXPECT_EQ(h.Delete("/nope/child").err, zk::kNoNode);
  ASSERT_EQ(h.Make("/a"), zk::kOk);
  // ZooKeeper's delete does not validatePath: "/a/" has parent "/a" and is simply not there.
  EXPECT_EQ(h.Delete("/a/").err, zk::kNoNode);
  EXPECT_EQ(h.Delete("/zookeeper/other").err, zk::kNoNode);
}

TEST(StateMachineDelete, SpecialPathsAndBadArguments) {
  Harness h;
  for (std::string p : {"/"s, "/zookeeper"s, "/zookeeper/quota"s, "/zookeeper/config"s, ""s,
                        "nope"s, "/a\0"s, "/\0/x"s}) {
    EXPECT_EQ(h.Delete(p).err, zk::kBadArguments) << "[" << p << "]";
  }
  // Not even super may delete them.
  EXPECT_EQ(h.Delete("/zookeeper/quota", -1, kS1, Super()).err, zk::kBadArguments);
  EXPECT_TRUE(h.Has("/zookeeper/quota"));
}

TEST(StateMachineDelete, NoAuthOnTheParent) {
  Harness h;
  ASSERT_EQ(h.Make("/locked", "", 0,
                   {zk::Acl{zk::kPermAll & ~zk::kPermDelete, zk::Id{"world", "anyone"}}}),
            zk::kOk);
  ASSERT_EQ(h.Make("/locked/c"), zk::kOk);
  EXPECT_EQ(h.Delete("/locked/c").err, zk::kNoAuth);
  EXPECT_EQ(h.Delete("/locked/missing").err, zk::kNoAuth);  // NOAUTH before NONODE
  EXPECT_EQ(h.Delete("/locked/c", -1, kS1, Super()).err, zk::kOk);
  // The node's own ACL does not matter for its deletion.
  ASSERT_EQ(h.Make("/open"), zk::kOk);
  ASSERT_EQ(h.Make("/open/mine", "", 0, BobOnly()), zk::kOk);
  EXPECT_EQ(h.Delete("/open/mine").err, zk::kOk);
}

TEST(StateMachineDelete, EphemeralLeavesTheSessionIndex) {
  Harness h;
  ASSERT_EQ(h.Make("/e", "", zk::kEphemeral), zk::kOk);
  EXPECT_EQ(h.sm.tree().EphemeralsOf(kS1).size(), 1u);
  // Anyone may delete it (ZooKeeper checks no owner on delete).
  ASSERT_EQ(h.Delete("/e", -1, kS2).err, zk::kOk);
  EXPECT_TRUE(h.sm.tree().EphemeralsOf(kS1).empty());
  ExpectConsistent(h.sm.tree());
}

// ---------------------------------------------------------------------------------------------
// setData / setACL / check
// ---------------------------------------------------------------------------------------------

TEST(StateMachineSetData, Errors) {
  Harness h;
  ASSERT_EQ(h.Make("/s", "v0"), zk::kOk);
  EXPECT_EQ(h.SetData("/nope", "x").err, zk::kNoNode);
  EXPECT_EQ(h.SetData("/s", "x", 1).err, zk::kBadVersion);
  EXPECT_EQ(h.SetData("/s/", "x").err, zk::kBadArguments);
  EXPECT_EQ(h.SetData("bad", "x").err, zk::kBadArguments);
  EXPECT_EQ(h.SetData("/s\0"s, "x").err, zk::kBadArguments);
  EXPECT_EQ(*h.GetData("/s").data, "v0");
  StatOut ok = h.SetData("/s", "v1", 0);
  ASSERT_EQ(ok.err, zk::kOk);
  EXPECT_EQ(ok.stat.version, 1);
  EXPECT_EQ(h.SetData("/s", "v2", 0).err, zk::kBadVersion);
  EXPECT_EQ(*h.GetData("/s").data, "v1");
}

TEST(StateMachineSetData, NeedsWrite) {
  Harness h;
  ASSERT_EQ(h.Make("/ro", "x", 0, ReadOnlyAcl()), zk::kOk);
  EXPECT_EQ(h.SetData("/ro", "y").err, zk::kNoAuth);
  EXPECT_EQ(h.SetData("/ro", "y", 99).err, zk::kNoAuth);  // NOAUTH before BADVERSION
  EXPECT_EQ(h.SetData("/ro", "y", -1, kS1, Super()).err, zk::kOk);
}

TEST(StateMachineSetAcl, VersionsAndErrors) {
  Harness h;
  ASSERT_EQ(h.Make("/a", "x"), zk::kOk);
  ASSERT_EQ(h.SetData("/a", "y").err, zk::kOk);                      // version 1, aversion 0
  EXPECT_EQ(h.SetAcl("/a", ReadOnlyAcl(), 1).err, zk::kBadVersion);  // compares aversion
  StatOut s = h.SetAcl("/a", OpenAcl(), 0);
  ASSERT_EQ(s.err, zk::kOk);
  EXPECT_EQ(s.stat.aversion, 1);
  EXPECT_EQ(s.stat.version, 1);
  EXPECT_TRUE(s.triggers.empty());  // setACL fires no watch
  EXPECT_EQ(h.SetAcl("/nope", OpenAcl()).err, zk::kNoNode);
  EXPECT_EQ(h.SetAcl("/a", {}).err, zk::kInvalidAcl);
  EXPECT_EQ(h.SetAcl("/a/", OpenAcl()).err, zk::kBadArguments);
  // INVALIDACL (fixupACL) comes before NONODE.
  EXPECT_EQ(h.SetAcl("/nope", {}).err, zk::kInvalidAcl);
  EXPECT_EQ(h.SetAcl("/a", {zk::Acl{zk::kPermAll, zk::Id{"auth", ""}}}).err, zk::kInvalidAcl);
}

TEST(StateMachineSetAcl, NeedsAdminAndTakesEffect) {
  Harness h;
  ASSERT_EQ(
      h.Make("/a", "x", 0, {zk::Acl{zk::kPermAll & ~zk::kPermAdmin, zk::Id{"world", "anyone"}}}),
      zk::kOk);
  EXPECT_EQ(h.SetAcl("/a", OpenAcl()).err, zk::kNoAuth);
  ASSERT_EQ(h.SetAcl("/a", BobOnly(), -1, kS1, Super()).err, zk::kOk);
  EXPECT_EQ(h.GetData("/a").err, zk::kNoAuth);
  EXPECT_EQ(*h.GetData("/a", false, Bob()).data, "x");
  // "auth" expands to the caller's digest identity.
  ASSERT_EQ(
      h.SetAcl("/a", {zk::Acl{zk::kPermRead | zk::kPermAdmin, zk::Id{"auth", ""}}}, -1, kS1, Bob())
          .err,
      zk::kOk);
  EXPECT_EQ(*h.sm.tree().Find("/a")->acl, BobOnly(zk::kPermRead | zk::kPermAdmin));
}

TEST(StateMachineCheck, Outcomes) {
  Harness h;
  ASSERT_EQ(h.Make("/c"), zk::kOk);
  ASSERT_EQ(h.SetData("/c", "1").err, zk::kOk);
  EXPECT_EQ(h.Check("/c", 1).err, zk::kOk);
  EXPECT_EQ(h.Check("/c", -1).err, zk::kOk);
  EXPECT_EQ(h.Check("/c", 0).err, zk::kBadVersion);
  EXPECT_EQ(h.Check("/nope", -1).err, zk::kNoNode);
  EXPECT_EQ(h.Check("/c/", -1).err, zk::kBadArguments);
  ASSERT_EQ(h.Make("/secret", "", 0, BobOnly()), zk::kOk);
  EXPECT_EQ(h.Check("/secret", 0).err, zk::kNoAuth);
  EXPECT_EQ(h.Check("/secret", 0, kS1, Bob()).err, zk::kOk);
}

// ---------------------------------------------------------------------------------------------
// multi
// ---------------------------------------------------------------------------------------------

TEST(StateMachineMulti, AllSucceed) {
  Harness h(true);
  ASSERT_EQ(h.Make("/x", "x0"), zk::kOk);
  int64_t zxid = h.zxid + 1;
  std::string body =
      MultiBuilder()
          .Create("/m", "m")
          .Create("/m/c", "c", zk::kPersistent, zk::kCreate2)
          .Create("/m/s-", "", zk::kPersistentSequential)
          .SetData("/x", "x1", 0)
          .Check("/x", 1)
          .Delete("/m/c", 0)
          .Create("/box", "", zk::kContainer, zk::kCreateContainer)
          .Create("/ttl", "", zk::kPersistentWithTtl, zk::kCreateTtl, OpenAcl(), 1000)
          .Build();
  ApplyResult r = h.Multi(body);
  ASSERT_EQ(r.err, zk::kOk);
  auto results = ParseMulti(r.body);
  // Inside a multi ZooKeeper rebuilds each create from its flags (Op.create): a create2 becomes
  // a create (path only); container and TTL creates answer as create2 (path + stat).
  EXPECT_EQ(Types(results),
            (std::vector<int32_t>{zk::kCreate, zk::kCreate, zk::kCreate, zk::kSetData, zk::kCheck,
                                  zk::kDelete, zk::kCreate2, zk::kCreate2}));
  EXPECT_EQ(Errs(results), std::vector<int32_t>(8, zk::kOk));
  EXPECT_EQ(results[0].path, "/m");
  EXPECT_FALSE(results[0].stat.has_value());
  EXPECT_EQ(results[1].path, "/m/c");
  EXPECT_FALSE(results[1].stat.has_value());
  ASSERT_TRUE(results[6].stat.has_value());
  EXPECT_EQ(results[6].stat->czxid, zxid);        // every op of a multi shares its zxid
  EXPECT_EQ(results[2].path, "/m/s-0000000001");  // /m/c came first in the same multi
  ASSERT_TRUE(results[3].stat.has_value());
  EXPECT_EQ(results[3].stat->version, 1);
  EXPECT_EQ(results[3].stat->mzxid, zxid);
  EXPECT_EQ(results[6].path, "/box");
  EXPECT_EQ(results[7].path, "/ttl");
  EXPECT_FALSE(h.Has("/m/c"));
  EXPECT_EQ(*h.GetData("/x").data, "x1");
  EXPECT_EQ(Triggers(r.triggers), (TriggerList{{"/m", kCreated},
                                               {"/", kChildrenChanged},
                                               {"/m/c", kCreated},
                                               {"/m", kChildrenChanged},
                                               {"/m/s-0000000001", kCreated},
                                               {"/m", kChildrenChanged},
                                               {"/x", kDataChanged},
                                               {"/m/c", kDeleted},
                                               {"/m", kChildrenChanged},
                                               {"/box", kCreated},
                                               {"/", kChildrenChanged},
                                               {"/ttl", kCreated},
                                               {"/", kChildrenChanged}}));
  ExpectConsistent(h.sm.tree());
}

TEST(StateMachineMulti, FailureRollsBackEverything) {
  Harness h;
  ASSERT_EQ(h.Make("/x", "x0"), zk::kOk);
  ASSERT_EQ(h.Make("/victim", "v"), zk::kOk);
  ASSERT_EQ(h.SetAcl("/victim", OpenAcl()).err, zk::kOk);
  std::string before = Dump(h.sm.tree());
  auto ephemerals_before = h.sm.tree().ephemerals();
  int64_t size_before = h.sm.tree().approximate_data_size();

  std::string body = MultiBuilder()
                         .Create("/y", "y")
                         .SetData("/x", "changed")
                         .Create("/y/e", "", zk::kEphemeral)
                         .Create("/y/s-", "", zk::kPersistentSequential)
                         .Delete("/victim")
                         .SetData("/x", "again")
                         .Delete("/does-not-exist")  // fails: NONODE
                         .Create("/z")
                         .Check("/x", 0)
                         .Build();
  ApplyResult r = h.Multi(body);
  // The reply header says OK; the errors are in the results.
  EXPECT_EQ(r.err, zk::kOk);
  auto results = ParseMulti(r.body);
  EXPECT_EQ(Errs(results),
            (std::vector<int32_t>{zk::kOk, zk::kOk, zk::kOk, zk::kOk, zk::kOk, zk::kOk, zk::kNoNode,
                                  zk::kRuntimeInconsistency, zk::kRuntimeInconsistency}));
  EXPECT_EQ(Types(results), std::vector<int32_t>(9, zk::kError));
  EXPECT_TRUE(r.triggers.empty());
  EXPECT_EQ(Dump(h.sm.tree()), before);
  EXPECT_EQ(h.sm.tree().ephemerals(), ephemerals_before);
  EXPECT_EQ(h.sm.tree().approximate_data_size(), size_before);
  EXPECT_EQ(h.sm.last_applied_zxid(), h.zxid);  // the zxid is used even so
  ExpectConsistent(h.sm.tree());

  // The sequence numbers the rolled-back creates took are given out again.
  ASSERT_EQ(h.Make("/y"), zk::kOk);
  EXPECT_EQ(h.Create({.path = "/y/s-", .flags = zk::kPersistentSequential}).path,
            "/y/s-0000000000");
}

TEST(StateMachineMulti, CreatesAreRebuiltFromTheirFlags) {
  Harness h(/*extended_types=*/true);
  // Whatever opcode the header names, a container flag makes a container and a TTL flag (with
  // a TTL record) a TTL node; other flags make a plain create.
  ApplyResult r =
      h.Multi(MultiBuilder()
                  .Create("/box", "", zk::kContainer, zk::kCreate)
                  .Create("/ttl", "", zk::kPersistentWithTtl, zk::kCreateTtl, OpenAcl(), 50)
                  .Create("/plain", "", zk::kPersistent, zk::kCreateTtl, OpenAcl(), -1)
                  .Create("/eph", "", zk::kEphemeral, zk::kCreate2)
                  .Build());
  ASSERT_EQ(r.err, zk::kOk);
  auto results = ParseMulti(r.body);
  EXPECT_EQ(Errs(results), std::vector<int32_t>(4, zk::kOk));
  EXPECT_EQ(Types(results),
            (std::vector<int32_t>{zk::kCreate2, zk::kCreate2, zk::kCreate, zk::kCreate}));
  EXPECT_EQ(h.sm.tree().containers(), std::set<std::string>{"/box"});
  EXPECT_EQ(h.sm.tree().ttl_nodes(), std::set<std::string>{"/ttl"});
  EXPECT_EQ(h.sm.tree().Find("/plain")->ephemeral_owner, 0);
  EXPECT_EQ(h.sm.tree().Find("/eph")->ephemeral_owner, kS1);

  // A TTL flag in a record that has no TTL cannot be rebuilt: the whole multi is malformed.
  std::string before = Dump(h.sm.tree());
  ApplyResult bad = h.Multi(MultiBuilder()
                                .Create("/first")
                                .Create("/t2", "", zk::kPersistentWithTtl, zk::kCreate2)
                                .Build());
  EXPECT_EQ(bad.err, zk::kMarshallingError);
  EXPECT_EQ(Dump(h.sm.tree()), before);
  EXPECT_TRUE(bad.triggers.empty());
}

TEST(StateMachineMulti, FirstOpFails) {
  Harness h;
  ASSERT_EQ(h.Make("/x"), zk::kOk);
  ApplyResult r = h.Multi(MultiBuilder().Check("/x", 5).Create("/q").Build());
  EXPECT_EQ(r.err, zk::kOk);
  EXPECT_EQ(Errs(ParseMulti(r.body)),
            (std::vector<int32_t>{zk::kBadVersion, zk::kRuntimeInconsistency}));
  EXPECT_FALSE(h.Has("/q"));
}

TEST(StateMachineMulti, LastOpFails) {
  Harness h;
  ASSERT_EQ(h.Make("/x"), zk::kOk);
  ApplyResult r = h.Multi(MultiBuilder().Create("/q").Create("/q/r").Create("/x").Build());
  EXPECT_EQ(Errs(ParseMulti(r.body)), (std::vector<int32_t>{zk::kOk, zk::kOk, zk::kNodeExists}));
  EXPECT_FALSE(h.Has("/q"));
  EXPECT_FALSE(h.Has("/q/r"));
}

TEST(StateMachineMulti, RollbackRestoresDeletedNodesExactly) {
  Harness h;
  ASSERT_EQ(h.Make("/p", "pd", 0, BobOnly()), zk::kOk);
  ASSERT_EQ(
      h.Create(
           {.path = "/p/e", .data = "ed", .flags = zk::kEphemeral, .session = kS2, .ids = Bob()})
          .err,
      zk::kOk);
  ASSERT_EQ(h.SetData("/p/e", "ed2", -1, kS1, Bob()).err, zk::kOk);
  std::string before = Dump(h.sm.tree());
  ApplyResult r =
      h.Multi(MultiBuilder().Delete("/p/e").Delete("/p").Check("/p", 0).Build(), kS1, Bob());
  EXPECT_EQ(Errs(ParseMulti(r.body)), (std::vector<int32_t>{zk::kOk, zk::kOk, zk::kNoNode}));
  EXPECT_EQ(Dump(h.sm.tree()), before);
  EXPECT_EQ(h.sm.tree().EphemeralsOf(kS2), std::set<std::string>{"/p/e"});
  ExpectConsistent(h.sm.tree());
}

TEST(StateMachineMulti, OpsSeeTheEffectsOfEarlierOps) {
  Harness h;
  ApplyResult r = h.Multi(MultiBuilder()
                              .Create("/a")
                              .Create("/a/b", "", zk::kEphemeral)
                              .SetData("/a/b", "v", 0)
                              .Check("/a/b", 1)
                              .Delete("/a/b", 1)
                              .Delete("/a", 0)
                              .Build());
  EXPECT_EQ(Errs(ParseMulti(r.body)), std::vector<int32_t>(6, zk::kOk));
  EXPECT_FALSE(h.Has("/a"));
  EXPECT_TRUE(h.sm.tree().EphemeralsOf(kS1).empty());
  ExpectConsistent(h.sm.tree());
}

TEST(StateMachineMulti, NoAuthInsideRollsBack) {
  Harness h;
  ASSERT_EQ(h.Make("/sec", "", 0, BobOnly()), zk::kOk);
  ApplyResult r = h.Multi(MultiBuilder().Create("/free").Create("/sec/x").Build());
  EXPECT_EQ(Errs(ParseMulti(r.body)), (std::vector<int32_t>{zk::kOk, zk::kNoAuth}));
  EXPECT_FALSE(h.Has("/free"));
  r = h.Multi(MultiBuilder().Create("/free").Create("/sec/x").Build(), kS1, Bob());
  EXPECT_EQ(Errs(ParseMulti(r.body)), (std::vector<int32_t>{zk::kOk, zk::kOk}));
}

TEST(StateMachineMulti, EmptyMulti) {
  Harness h;
  ApplyResult r = h.Multi(MultiBuilder().Build());
  EXPECT_EQ(r.err, zk::kOk);
  EXPECT_TRUE(ParseMulti(r.body).empty());
  EXPECT_TRUE(r.triggers.empty());
}

TEST(StateMachineMulti, Malformed) {
  Harness h;
  ASSERT_EQ(h.Make("/x"), zk::kOk);
  std::string before = Dump(h.sm.tree());
  // setACL is not a multi op.
  EXPECT_EQ(h.Multi(MultiBuilder().Create("/a").SetAcl("/x", OpenAcl()).Build()).err,
            zk::kMarshallingError);
  // Read ops are not write-multi ops.
  EXPECT_EQ(h.Multi(MultiBuilder().Create("/a").GetData("/x").Build()).err, zk::kMarshallingError);
  // Truncated: no terminator, or cut mid-op.
  std::string full = MultiBuilder().Create("/a").Delete("/x").Build();
  EXPECT_EQ(h.Multi(full.substr(0, full.size() - 9)).err, zk::kMarshallingError);
  EXPECT_EQ(h.Multi(full.substr(0, 20)).err, zk::kMarshallingError);
  EXPECT_EQ(h.Multi("").err, zk::kMarshallingError);
  EXPECT_EQ(Dump(h.sm.tree()), before);
}

TEST(StateMachineMulti, UnknownSession) {
  Harness h;
  ApplyResult r = h.Multi(MultiBuilder().Create("/a").Build(), kUnknownSession);
  EXPECT_EQ(r.err, zk::kSessionExpired);
  EXPECT_FALSE(h.Has("/a"));
}

TEST(StateMachineMultiRead, Results) {
  Harness h;
  ASSERT_EQ(h.Make("/a", "data-a"), zk::kOk);
  ASSERT_EQ(h.Make("/a/c2"), zk::kOk);
  ASSERT_EQ(h.Make("/a/c1"), zk::kOk);
  ASSERT_EQ(h.Make("/sec", "s", 0, BobOnly()), zk::kOk);
  std::string body = MultiBuilder()
                         .GetData("/a")
                         .GetChildren("/a")
                         .GetData("/missing")
                         .GetChildren("/sec")
                         .GetData("/sec")
                         .Build();
  ReadResult r = h.Read(zk::kMultiRead, body);
  ASSERT_EQ(r.err, zk::kOk);
  auto results = ParseMulti(r.body);
  ASSERT_EQ(results.size(), 5u);
  EXPECT_EQ(Types(results), (std::vector<int32_t>{zk::kGetData, zk::kGetChildren, zk::kError,
                                                  zk::kError, zk::kError}));
  EXPECT_EQ(Errs(results),
            (std::vector<int32_t>{zk::kOk, zk::kOk, zk::kNoNode, zk::kNoAuth, zk::kNoAuth}));
  EXPECT_EQ(results[0].data, "data-a");
  EXPECT_EQ(*results[0].stat, h.StatOf("/a"));
  EXPECT_EQ(results[1].children, (std::vector<std::string>{"c1", "c2"}));

  ReadResult as_bob = h.Read(zk::kMultiRead, body, Bob());
  auto bob_results = ParseMulti(as_bob.body);
  EXPECT_EQ(Errs(bob_results),
            (std::vector<int32_t>{zk::kOk, zk::kOk, zk::kNoNode, zk::kOk, zk::kOk}));
  EXPECT_EQ(bob_results[4].data, "s");
}

TEST(StateMachineMultiRead, OnlyReadOps) {
  Harness h;
  // As ZooKeeper 3.8 answers: mixed or undecodable records get the reply header alone...
  for (std::string body : {MultiBuilder().GetData("/").Check("/", -1).Build(),
                           MultiBuilder().Check("/", -1).GetData("/").Build(), "\x01"s}) {
    ReadResult r = h.sm.Read(zk::kMultiRead, body, {}, kS1);
    EXPECT_EQ(r.err, zk::kMarshallingError);
    EXPECT_EQ(r.body, "");
  }
  // ...while a record of writes only fails on its first op, after an empty result list.
  ReadResult writes = h.sm.Read(zk::kMultiRead, MultiBuilder().Create("/a").Build(), {}, kS1);
  EXPECT_EQ(writes.err, zk::kMarshallingError);
  EXPECT_TRUE(ParseMulti(writes.body).empty());
  EXPECT_FALSE(writes.body.empty());
  ReadResult empty = h.Read(zk::kMultiRead, MultiBuilder().Build());
  EXPECT_EQ(empty.err, zk::kOk);
  EXPECT_TRUE(ParseMulti(empty.body).empty());
  EXPECT_FALSE(h.Has("/a"));
}

// ---------------------------------------------------------------------------------------------
// ACLs
// ---------------------------------------------------------------------------------------------

TEST(StateMachineAcl, DigestProtectedParent) {
  Harness h;
  ASSERT_EQ(h.Make("/sec", "top", 0, BobOnly()), zk::kOk);
  EXPECT_EQ(h.Create({.path = "/sec/a"}).err, zk::kNoAuth);
  EXPECT_EQ(h.Create({.path = "/sec/a", .ids = Alice()}).err, zk::kNoAuth);
  EXPECT_EQ(h.Create({.path = "/sec/a", .ids = {zk::Id{"ip", "127.0.0.1"}}}).err, zk::kNoAuth);
  EXPECT_EQ(h.Create({.path = "/sec/a", .ids = Bob()}).err, zk::kOk);
  // Any one matching identity is enough.
  acl::Identities both = Alice();
  both.push_back(Bob()[0]);
  EXPECT_EQ(h.Create({.path = "/sec/b", .ids = both}).err, zk::kOk);
  // Super bypasses every check.
  EXPECT_EQ(h.Create({.path = "/sec/c", .ids = Super()}).err, zk::kOk);

  EXPECT_EQ(h.GetData("/sec").err, zk::kNoAuth);
  EXPECT_EQ(*h.GetData("/sec", false, Bob()).data, "top");
  EXPECT_EQ(*h.GetData("/sec", false, Super()).data, "top");
  EXPECT_EQ(h.GetChildren("/sec").err, zk::kNoAuth);
  EXPECT_EQ(h.GetChildren("/sec", false, false, Bob()).children,
            (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(h.SetData("/sec", "x").err, zk::kNoAuth);
  EXPECT_EQ(h.Delete("/sec/a").err, zk::kNoAuth);
  EXPECT_EQ(h.Delete("/sec/a", -1, kS1, Bob()).err, zk::kOk);
  // A missing node under a protected parent is NONODE for reads (FinalRequestProcessor order).
  EXPECT_EQ(h.GetData("/sec/missing").err, zk::kNoNode);
}

TEST(StateMachineAcl, PermissionBitsAreIndependent) {
  Harness h;
  ASSERT_EQ(h.Make("/c-only", "", 0, {zk::Acl{zk::kPermCreate, zk::Id{"world", "anyone"}}}),
            zk::kOk);
  EXPECT_EQ(h.Make("/c-only/x"), zk::kOk);
  EXPECT_EQ(h.GetData("/c-only").err, zk::kNoAuth);
  EXPECT_EQ(h.GetChildren("/c-only").err, zk::kNoAuth);
  EXPECT_EQ(h.Delete("/c-only/x").err, zk::kNoAuth);
  EXPECT_EQ(h.SetData("/c-only", "y").err, zk::kNoAuth);
  EXPECT_EQ(h.SetAcl("/c-only", OpenAcl()).err, zk::kNoAuth);
}

TEST(StateMachineAcl, AuthSchemeExpandsToTheCallersIdentities) {
  Harness h;
  CreateOut c = h.Create({.path = "/mine",
                          .acl = {zk::Acl{zk::kPermAll, zk::Id{"auth", ""}}},
                          .ids = {zk::Id{"ip", "10.0.0.1"}, Bob()[0]}});
  ASSERT_EQ(c.err, zk::kOk);
  EXPECT_EQ(*h.sm.tree().Find("/mine")->acl, BobOnly());
  // With no authenticating identity the "auth" ACL is invalid.
  EXPECT_EQ(h.Create({.path = "/other",
                      .acl = {zk::Acl{zk::kPermAll, zk::Id{"auth", ""}}},
                      .ids = {zk::Id{"ip", "10.0.0.1"}}})
                .err,
            zk::kInvalidAcl);
}

TEST(StateMachineAcl, GetAclMasksDigestsWithoutAdmin) {
  Harness h;
  zk::AclList acl = {zk::Acl{zk::kPermAll, zk::Id{"digest", BobDigest()}},
                     zk::Acl{zk::kPermRead, zk::Id{"world", "anyone"}}};
  ASSERT_EQ(h.Make("/r", "x", 0, acl), zk::kOk);
  ASSERT_EQ(h.SetAcl("/r", acl, -1, kS1, Bob()).err, zk::kOk);

  AclOut anon = h.GetAcl("/r");
  ASSERT_EQ(anon.err, zk::kOk);
  // ZooKeeper replaces everything after the user's ':' with "x" (checked on 3.8.0: bob:x).
  EXPECT_EQ(anon.acl, (zk::AclList{zk::Acl{zk::kPermAll, zk::Id{"digest", "bob:x"}},
                                   zk::Acl{zk::kPermRead, zk::Id{"world", "anyone"}}}));
  EXPECT_EQ(anon.stat, h.StatOf("/r"));
  EXPECT_EQ(anon.stat.aversion, 1);

  EXPECT_EQ(h.GetAcl("/r", Bob()).acl, acl);
  EXPECT_EQ(h.GetAcl("/r", Super()).acl, acl);

  // READ without ADMIN: masked even for the digest's own user.
  ASSERT_EQ(h.Make("/r2", "", 0, BobOnly(zk::kPermRead)), zk::kOk);
  EXPECT_EQ(h.GetAcl("/r2", Bob()).acl,
            (zk::AclList{zk::Acl{zk::kPermRead, zk::Id{"digest", "bob:x"}}}));
  // ADMIN without READ is enough to read the ACL, unmasked.
  ASSERT_EQ(h.Make("/r3", "", 0, BobOnly(zk::kPermAdmin)), zk::kOk);
  EXPECT_EQ(h.GetAcl("/r3", Bob()).acl, BobOnly(zk::kPermAdmin));
  // Neither: NOAUTH. Missing: NONODE.
  EXPECT_EQ(h.GetAcl("/r3").err, zk::kNoAuth);
  ASSERT_EQ(h.Make("/r4", "", 0, BobOnly(zk::kPermWrite)), zk::kOk);
  EXPECT_EQ(h.GetAcl("/r4", Bob()).err, zk::kNoAuth);
  EXPECT_EQ(h.GetAcl("/missing").err, zk::kNoNode);
}

// ZOOKEEPER-2590 (in 3.8.4 and 3.9.2+; Corral reports 3.9.3): exists checks READ on an existing
// node (FinalRequestProcessor: checkACL before statNode, so no watch is left either).
// ZK-COMPAT.md: "exists needs READ".
TEST(StateMachineRead, ExistsNeedsReadOnAnExistingNode) {
  Harness h;
  ASSERT_EQ(h.Make("/secret", "s", 0, BobOnly()), zk::kOk);
  ReadResult r = h.Read(zk::kExists, PathWatchBody("/secret", true));
  EXPECT_EQ(r.err, zk::kNoAuth);
  EXPECT_EQ(r.watch, WatchKind::kNone);
  EXPECT_EQ(h.Exists("/secret", false, Bob()).err, zk::kOk);
  ReadResult missing = h.Read(zk::kExists, PathWatchBody("/secret/none", true));
  EXPECT_EQ(missing.err, zk::kNoNode);
  EXPECT_EQ(missing.watch, WatchKind::kData);
}

// ---------------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------------

TEST(StateMachineRead, ExistsRegistersAWatchEvenOnNoNode) {
  Harness h;
  ReadResult r = h.Read(zk::kExists, PathWatchBody("/later", true));
  EXPECT_EQ(r.err, zk::kNoNode);
  EXPECT_EQ(r.watch, WatchKind::kData);
  EXPECT_EQ(r.watch_path, "/later");
  r = h.Read(zk::kExists, PathWatchBody("/later", false));
  EXPECT_EQ(r.watch, WatchKind::kNone);
  ASSERT_EQ(h.Make("/later"), zk::kOk);
  r = h.Read(zk::kExists, PathWatchBody("/later", true));
  EXPECT_EQ(r.err, zk::kOk);
  EXPECT_EQ(r.watch, WatchKind::kData);
  EXPECT_EQ(h.Read(zk::kExists, PathWatchBody("/a\0b"s, true)).err, zk::kBadArguments);
}

TEST(StateMachineRead, GetDataWatchOnlyOnSuccess) {
  Harness h;
  ASSERT_EQ(h.Make("/d", "v"), zk::kOk);
  ASSERT_EQ(h.Make("/sec", "v", 0, BobOnly()), zk::kOk);
  DataOut ok = h.GetData("/d", true);
  EXPECT_EQ(ok.raw.watch, WatchKind::kData);
  EXPECT_EQ(ok.raw.watch_path, "/d");
  EXPECT_EQ(h.GetData("/missing", true).raw.watch, WatchKind::kNone);
  EXPECT_EQ(h.GetData("/sec", true).raw.watch, WatchKind::kNone);
  EXPECT_EQ(h.GetData("/d", false).raw.watch, WatchKind::kNone);
}

TEST(StateMachineRead, GetChildren) {
  Harness h;
  ASSERT_EQ(h.Make("/p"), zk::kOk);
  for (const char* c : {"/p/zeta", "/p/alpha", "/p/mid", "/p/Beta"}) ASSERT_EQ(h.Make(c), zk::kOk);
  ChildrenOut one = h.GetChildren("/p", true);
  ASSERT_EQ(one.err, zk::kOk);
  EXPECT_EQ(one.children, (std::vector<std::string>{"Beta", "alpha", "mid", "zeta"}));
  EXPECT_FALSE(one.stat.has_value());
  EXPECT_EQ(one.raw.watch, WatchKind::kChild);
  EXPECT_EQ(one.raw.watch_path, "/p");
  ChildrenOut two = h.GetChildren("/p", false, /*two=*/true);
  ASSERT_EQ(two.err, zk::kOk);
  EXPECT_EQ(two.children, one.children);
  EXPECT_EQ(*two.stat, h.StatOf("/p"));
  EXPECT_EQ(two.raw.watch, WatchKind::kNone);
  ChildrenOut leaf = h.GetChildren("/p/mid");
  EXPECT_TRUE(leaf.children.empty());
  ChildrenOut missing = h.GetChildren("/nope", true, true);
  EXPECT_EQ(missing.err, zk::kNoNode);
  EXPECT_EQ(missing.raw.watch, WatchKind::kNone);
}

TEST(StateMachineRead, GetAllChildrenNumber) {
  Harness h;
  ASSERT_EQ(h.Make("/t"), zk::kOk);
  ASSERT_EQ(h.Make("/t/a"), zk::kOk);
  ASSERT_EQ(h.Make("/t/a/b"), zk::kOk);
  ASSERT_EQ(h.Make("/t/a/c"), zk::kOk);
  ASSERT_EQ(h.Make("/t/d", "", 0, BobOnly()), zk::kOk);
  auto count = [&](const std::string& p, acl::Identities ids = {}) {
    ReadResult r = h.Read(zk::kGetAllChildrenNumber, PathBody(p), std::move(ids));
    if (r.err != zk::kOk) return std::make_pair(r.err, -1);
    Reader rd(r.body);
    int32_t n = rd.ReadInt();
    EXPECT_TRUE(rd.AtEnd());
    return std::make_pair(r.err, n);
  };
  EXPECT_EQ(count("/t"), std::make_pair(static_cast<int32_t>(zk::kOk), 4));
  EXPECT_EQ(count("/t/a"), std::make_pair(static_cast<int32_t>(zk::kOk), 2));
  EXPECT_EQ(count("/t/a/b"), std::make_pair(static_cast<int32_t>(zk::kOk), 0));
  EXPECT_EQ(count("/t/d").first, zk::kNoAuth);
  EXPECT_EQ(count("/t/d", Bob()), std::make_pair(static_cast<int32_t>(zk::kOk), 0));
  EXPECT_EQ(count("/nope").first, zk::kNoNode);
  // "/" counts /zookeeper and its two children too.
  EXPECT_EQ(count("/").second, 4 + 1 + 3);
}

TEST(StateMachineRead, GetEphemerals) {
  Harness h;
  ASSERT_EQ(h.Make("/app"), zk::kOk);
  ASSERT_EQ(h.Make("/app/e1", "", zk::kEphemeral), zk::kOk);
  ASSERT_EQ(h.Make("/app/e2", "", zk::kEphemeral), zk::kOk);
  ASSERT_EQ(h.Make("/apple", "", zk::kEphemeral), zk::kOk);
  ASSERT_EQ(h.Make("/other", "", zk::kEphemeral, OpenAcl(), kS2), zk::kOk);
  auto list = [&](const std::string& prefix, int64_t session) {
    ReadResult r = h.sm.Read(zk::kGetEphemerals, PathBody(prefix), {}, session);
    EXPECT_EQ(r.err, zk::kOk);
    Reader rd(r.body);
    std::vector<std::string> out;
    zk::Decode(rd, &out);
    EXPECT_TRUE(rd.AtEnd());
    return std::set<std::string>(out.begin(), out.end());
  };
  EXPECT_EQ(list("/", kS1), (std::set<std::string>{"/app/e1", "/app/e2", "/apple"}));
  EXPECT_EQ(list("", kS1), (std::set<std::string>{"/app/e1", "/app/e2", "/apple"}));
  // A plain string prefix, as ZooKeeper's startsWith: "/app" also matches "/apple".
  EXPECT_EQ(list("/app", kS1), (std::set<std::string>{"/app/e1", "/app/e2", "/apple"}));
  EXPECT_EQ(list("/app/", kS1), (std::set<std::string>{"/app/e1", "/app/e2"}));
  EXPECT_EQ(list("/", kS2), std::set<std::string>{"/other"});
  EXPECT_TRUE(list("/", kUnknownSession).empty());
}

// FinalRequestProcessor: `prefixPath == null || prefixPath.trim().isEmpty() ||
// "/".equals(prefixPath.trim())` lists every ephemeral; Java's trim() strips every char <= ' '.
// Checked against ZooKeeper 3.8.0: each prefix below lists the session's ephemeral.
TEST(StateMachineRead, GetEphemeralsTrimsThePrefixLikeJava) {
  Harness h;
  ASSERT_EQ(h.Make("/e1", "", zk::kEphemeral), zk::kOk);
  for (std::string prefix : {" / "s, "\n"s, "/\r\n"s, "\x01"s}) {
    ReadResult r = h.Read(zk::kGetEphemerals, PathBody(prefix));
    ASSERT_EQ(r.err, zk::kOk);
    Reader rd(r.body);
    std::vector<std::string> out;
    zk::Decode(rd, &out);
    EXPECT_EQ(out, std::vector<std::string>{"/e1"}) << "prefix [" << prefix << "]";
  }
}

TEST(StateMachineRead, EmptyPathReadsTheRoot) {
  // ZooKeeper's DataTree files the root under "" as well as "/".
  Harness h;
  ASSERT_EQ(h.Make("/a"), zk::kOk);
  EXPECT_EQ(h.Exists("").stat, h.StatOf("/"));
  EXPECT_EQ(h.GetData("").err, zk::kOk);
  EXPECT_EQ(h.GetChildren("").children, (std::vector<std::string>{"a", "zookeeper"}));
  // getAllChildrenNumber counts map keys under path + "/": for "" that includes "/" itself.
  auto count_under = [&](const std::string& p) {
    ReadResult r = h.Read(zk::kGetAllChildrenNumber, PathBody(p));
    EXPECT_EQ(r.err, zk::kOk);
    Reader rd(r.body);
    return rd.ReadInt();
  };
  EXPECT_EQ(count_under("/"), 4);  // /a, /zookeeper, /zookeeper/quota, /zookeeper/config
  EXPECT_EQ(count_under(""), 5);
  // Writes still refuse it.
  EXPECT_EQ(h.SetData("", "x").err, zk::kBadArguments);
  EXPECT_EQ(h.Delete("").err, zk::kBadArguments);
  EXPECT_EQ(h.Make(""), zk::kBadArguments);
}

TEST(StateMachineRead, MalformedAndUnknown) {
  Harness h;
  EXPECT_EQ(h.Read(zk::kGetData, "\x00\x00"s).err, zk::kMarshallingError);
  EXPECT_EQ(h.Read(zk::kExists, "").err, zk::kMarshallingError);
  EXPECT_EQ(h.Read(zk::kGetAcl, "\xff\xff\xff\xfe"s).err, zk::kMarshallingError);
  EXPECT_EQ(h.Read(zk::kGetChildren2, PathBody("/")).err, zk::kMarshallingError);  // no watch flag
  EXPECT_EQ(h.Read(zk::kCreate, CreateBody({.path = "/a"})).err, zk::kUnimplemented);
}

// ---------------------------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------------------------

TEST(StateMachineSession, CreateSessionIsRecorded) {
  Harness h(false, false);
  ApplyResult r =
      h.Apply(zk::kCreateSession, EncodeCreateSession({12345, "sixteen-bytes-pw"}), kS1);
  EXPECT_EQ(r.err, zk::kOk);
  ASSERT_EQ(h.sm.sessions().count(kS1), 1u);
  EXPECT_EQ(h.sm.sessions().at(kS1).timeout_ms, 12345);
  EXPECT_EQ(h.sm.sessions().at(kS1).passwd, "sixteen-bytes-pw");
  EXPECT_EQ(h.Apply(zk::kCreateSession, "\x01\x02", kS2).err, zk::kMarshallingError);
  EXPECT_EQ(h.Apply(zk::kCreateSession, EncodeCreateSession({1, "x"}) + "trailing", kS2).err,
            zk::kMarshallingError);
  EXPECT_EQ(h.sm.sessions().count(kS2), 0u);
}

TEST(StateMachineSession, UnknownSessionIsExpired) {
  Harness h;
  ASSERT_EQ(h.Make("/n"), zk::kOk);
  std::string before = Dump(h.sm.tree());
  EXPECT_EQ(h.Create({.path = "/x", .session = kUnknownSession}).err, zk::kSessionExpired);
  EXPECT_EQ(h.SetData("/n", "x", -1, kUnknownSession).err, zk::kSessionExpired);
  EXPECT_EQ(h.SetAcl("/n", OpenAcl(), -1, kUnknownSession).err, zk::kSessionExpired);
  EXPECT_EQ(h.Delete("/n", -1, kUnknownSession).err, zk::kSessionExpired);
  EXPECT_EQ(h.Check("/n", -1, kUnknownSession).err, zk::kSessionExpired);
  EXPECT_EQ(h.CloseSession(kUnknownSession).err, zk::kSessionExpired);
  EXPECT_EQ(Dump(h.sm.tree()), before);
  // Session 0 is the member itself.
  EXPECT_EQ(h.Create({.path = "/by-member", .session = 0}).err, zk::kOk);
}

TEST(StateMachineSession, CloseRemovesOnlyThatSessionsEphemerals) {
  Harness h;
  ASSERT_EQ(h.Make("/p"), zk::kOk);
  ASSERT_EQ(h.Make("/e1", "", zk::kEphemeral), zk::kOk);
  ASSERT_EQ(h.Make("/p/e2", "", zk::kEphemeral), zk::kOk);
  ASSERT_EQ(h.Create({.path = "/p/s-", .flags = zk::kEphemeralSequential}).err, zk::kOk);
  ASSERT_EQ(h.Make("/p/other", "", zk::kEphemeral, OpenAcl(), kS2), zk::kOk);
  ASSERT_EQ(h.Make("/p/persistent", "", 0, OpenAcl(), kS1), zk::kOk);
  int64_t zxid = h.zxid + 1;
  ApplyResult r = h.CloseSession(kS1);
  EXPECT_EQ(r.err, zk::kOk);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(r.closed_sessions, std::vector<int64_t>{kS1});
  EXPECT_EQ(h.sm.sessions().count(kS1), 0u);
  EXPECT_EQ(h.sm.sessions().count(kS2), 1u);
  EXPECT_FALSE(h.Has("/e1"));
  EXPECT_FALSE(h.Has("/p/e2"));
  EXPECT_FALSE(h.Has("/p/s-0000000001"));
  EXPECT_TRUE(h.Has("/p/other"));
  EXPECT_TRUE(h.Has("/p/persistent"));
  EXPECT_TRUE(h.sm.tree().EphemeralsOf(kS1).empty());
  EXPECT_EQ(h.StatOf("/p").pzxid, zxid);
  // NodeDeleted for each ephemeral and NodeChildrenChanged for its parent (path order).
  EXPECT_EQ(Triggers(r.triggers), (TriggerList{{"/e1", kDeleted},
                                               {"/", kChildrenChanged},
                                               {"/p/e2", kDeleted},
                                               {"/p", kChildrenChanged},
                                               {"/p/s-0000000001", kDeleted},
                                               {"/p", kChildrenChanged}}));
  ExpectConsistent(h.sm.tree());
  // Everything the closed session sends afterwards is refused.
  EXPECT_EQ(h.Make("/late"), zk::kSessionExpired);
  EXPECT_EQ(h.CloseSession(kS1).err, zk::kSessionExpired);
}

TEST(StateMachineSession, CloseWithoutEphemerals) {
  Harness h;
  ApplyResult r = h.CloseSession(kS2);
  EXPECT_EQ(r.err, zk::kOk);
  EXPECT_TRUE(r.triggers.empty());
  EXPECT_EQ(r.closed_sessions, std::vector<int64_t>{kS2});
}

// ---------------------------------------------------------------------------------------------
// deleteContainer (the reaper's request)
// ---------------------------------------------------------------------------------------------

TEST(StateMachineDeleteContainer, ContainerOnlyOnceUsedAndEmpty) {
  Harness h;
  ASSERT_EQ(h.Create({.path = "/box", .flags = zk::kContainer, .type = zk::kCreateContainer}).err,
            zk::kOk);
  // Never had a child (cversion 0): kept.
  EXPECT_EQ(h.DeleteContainer("/box").err, zk::kBadVersion);
  EXPECT_TRUE(h.Has("/box"));
  ASSERT_EQ(h.Make("/box/item"), zk::kOk);
  EXPECT_EQ(h.DeleteContainer("/box").err, zk::kNotEmpty);
  ASSERT_EQ(h.Delete("/box/item").err, zk::kOk);
  ApplyResult r = h.DeleteContainer("/box");
  EXPECT_EQ(r.err, zk::kOk);
  EXPECT_FALSE(h.Has("/box"));
  EXPECT_TRUE(h.sm.tree().containers().empty());
  EXPECT_EQ(Triggers(r.triggers), (TriggerList{{"/box", kDeleted}, {"/", kChildrenChanged}}));
  EXPECT_EQ(h.DeleteContainer("/box").err, zk::kNoNode);
  ExpectConsistent(h.sm.tree());
}

TEST(StateMachineDeleteContainer, RefusesOtherNodes) {
  Harness h;
  ASSERT_EQ(h.Make("/eph", "", zk::kEphemeral), zk::kOk);
  EXPECT_EQ(h.DeleteContainer("/eph").err, zk::kBadVersion);
  EXPECT_TRUE(h.Has("/eph"));
  EXPECT_EQ(h.DeleteContainer("/zookeeper").err, zk::kBadArguments);
  EXPECT_EQ(h.DeleteContainer("/").err, zk::kBadArguments);
}

TEST(StateMachineDeleteContainer, IgnoresAcls) {
  Harness h;
  ASSERT_EQ(h.Make("/locked", "", 0, BobOnly()), zk::kOk);
  ASSERT_EQ(h.Create({.path = "/locked/box",
                      .flags = zk::kContainer,
                      .type = zk::kCreateContainer,
                      .ids = Bob()})
                .err,
            zk::kOk);
  ASSERT_EQ(h.Create({.path = "/locked/box/x", .ids = Bob()}).err, zk::kOk);
  ASSERT_EQ(h.Delete("/locked/box/x", -1, kS1, Bob()).err, zk::kOk);
  EXPECT_EQ(h.DeleteContainer("/locked/box").err, zk::kOk);
}

TEST(StateMachineDeleteContainer, TtlAfterTtlElapsedSinceMtime) {
  Harness h(/*extended_types=*/true);
  h.now = 10'000;
  ASSERT_EQ(
      h.Create({.path = "/t", .flags = zk::kPersistentWithTtl, .type = zk::kCreateTtl, .ttl = 100})
          .err,
      zk::kOk);  // mtime 10'000
  h.now = 10'050;
  EXPECT_EQ(h.DeleteContainer("/t").err, zk::kBadVersion);
  h.now = 10'100;  // elapsed == ttl: not yet (ZooKeeper deletes when elapsed > ttl)
  EXPECT_EQ(h.DeleteContainer("/t").err, zk::kBadVersion);
  h.now = 10'080;
  ASSERT_EQ(h.SetData("/t", "touch").err, zk::kOk);  // mtime 10'080
  h.now = 10'150;
  EXPECT_EQ(h.DeleteContainer("/t").err, zk::kBadVersion);
  h.now = 10'180;
  EXPECT_EQ(h.DeleteContainer("/t").err, zk::kBadVersion);
  h.now = 10'181;
  ApplyResult r = h.DeleteContainer("/t");
  EXPECT_EQ(r.err, zk::kOk);
  EXPECT_FALSE(h.Has("/t"));
  EXPECT_TRUE(h.sm.tree().ttl_nodes().empty());
  EXPECT_EQ(Triggers(r.triggers), (TriggerList{{"/t", kDeleted}, {"/", kChildrenChanged}}));
}

TEST(StateMachineDeleteContainer, TtlWithChildrenIsKept) {
  Harness h(true);
  h.now = 0;
  ASSERT_EQ(
      h.Create({.path = "/t", .flags = zk::kPersistentWithTtl, .type = zk::kCreateTtl, .ttl = 5})
          .err,
      zk::kOk);
  ASSERT_EQ(h.Make("/t/c"), zk::kOk);
  h.now = 1'000;
  EXPECT_EQ(h.DeleteContainer("/t").err, zk::kNotEmpty);
  // Child changes do not touch the TTL node's mtime.
  ASSERT_EQ(h.Delete("/t/c").err, zk::kOk);
  EXPECT_EQ(h.DeleteContainer("/t").err, zk::kOk);
}

// ---------------------------------------------------------------------------------------------
// Watch triggers
// ---------------------------------------------------------------------------------------------

TEST(StateMachineTriggers, PerOperation) {
  Harness h;
  EXPECT_EQ(h.Create({.path = "/a"}).triggers,
            (TriggerList{{"/a", kCreated}, {"/", kChildrenChanged}}));
  EXPECT_EQ(h.Create({.path = "/a/b", .type = zk::kCreate}).triggers,
            (TriggerList{{"/a/b", kCreated}, {"/a", kChildrenChanged}}));
  EXPECT_EQ(h.Create({.path = "/a/s-", .flags = zk::kEphemeralSequential}).triggers,
            (TriggerList{{"/a/s-0000000001", kCreated}, {"/a", kChildrenChanged}}));
  EXPECT_EQ(h.SetData("/a/b", "x").triggers, (TriggerList{{"/a/b", kDataChanged}}));
  EXPECT_TRUE(h.SetAcl("/a/b", OpenAcl()).triggers.empty());
  EXPECT_TRUE(h.Check("/a/b", -1).triggers.empty());
  EXPECT_EQ(Triggers(h.Delete("/a/b").triggers),
            (TriggerList{{"/a/b", kDeleted}, {"/a", kChildrenChanged}}));
  // Failures fire nothing.
  EXPECT_TRUE(h.Create({.path = "/a"}).triggers.empty());
  EXPECT_TRUE(h.Delete("/a").triggers.empty());
  EXPECT_TRUE(h.SetData("/a", "x", 42).triggers.empty());
  EXPECT_TRUE(h.OpenSession(0x77).triggers.empty());
}

TEST(StateMachineTriggers, CarryTheNodesAcl) {
  Harness h;
  ASSERT_EQ(h.Make("/pub"), zk::kOk);
  ApplyResult c = h.Apply(zk::kCreate, CreateBody({.path = "/pub/priv", .acl = BobOnly()}));
  ASSERT_EQ(c.triggers.size(), 2u);
  EXPECT_EQ(*c.triggers[0].acl, BobOnly());  // NodeCreated: the new node's ACL
  EXPECT_EQ(*c.triggers[1].acl, OpenAcl());  // ChildrenChanged: the parent's
  ApplyResult d = h.Delete("/pub/priv");
  ASSERT_EQ(d.triggers.size(), 2u);
  EXPECT_EQ(*d.triggers[0].acl, BobOnly());  // the deleted node's ACL, kept past its deletion
  EXPECT_EQ(*d.triggers[1].acl, OpenAcl());
  ASSERT_EQ(h.Make("/pub/e", "", zk::kEphemeral, BobOnly()), zk::kOk);
  ApplyResult close = h.CloseSession(kS1);
  ASSERT_EQ(close.triggers.size(), 2u);
  EXPECT_EQ(*close.triggers[0].acl, BobOnly());
}

// ---------------------------------------------------------------------------------------------
// Determinism: the same log gives the same results and the same tree.
// ---------------------------------------------------------------------------------------------

// Builds a pseudo-random but fixed log of Txns: every kind of write, several sessions, multis
// that succeed and fail, container/TTL reaping, session closes and reopens.
std::vector<Txn> RandomLog(uint32_t seed, size_t n) {
  std::mt19937 gen(seed);  // mt19937's sequence is fixed by the standard
  auto pick = [&](size_t k) { return static_cast<size_t>(gen() % k); };
  const std::vector<std::string> paths = {"/a",  "/a/b",  "/a/b/c", "/a/d",   "/e",   "/e/f",
                                          "/x-", "/a/x-", "/box",   "/box/i", "/ttl", "/ttl/i"};
  const std::vector<int64_t> sessions = {kS1, kS2, 0x33, kUnknownSession};
  const std::vector<zk::AclList> acls = {
      OpenAcl(), OpenAcl(), ReadOnlyAcl(), BobOnly(), {zk::Acl{zk::kPermAll, zk::Id{"auth", ""}}}};
  const std::vector<acl::Identities> idss = {{}, Bob(), Alice(), Super()};
  std::vector<Txn> log;
  int64_t zxid = 1, now = 1000;
  auto push = [&](int32_t type, std::string body, int64_t sid, acl::Identities ids = {}) {
    Txn t;
    t.zxid = zxid++;
    t.session_id = sid;
    t.time_ms = now;
    now += static_cast<int64_t>(pick(30));
    t.type = type;
    t.request = std::move(body);
    t.identities = std::move(ids);
    log.push_back(std::move(t));
  };
  auto create_req = [&](zk::CreateRequest* c, int32_t* type) {
    c->path = paths[pick(paths.size())];
    c->data = std::string(pick(4), static_cast<char>('a' + pick(26)));
    c->acl = acls[pick(acls.size())];
    *type = zk::kCreate2;
    if (c->path == "/box") {
      c->flags = zk::kContainer;
      *type = zk::kCreateContainer;
    } else if (c->path == "/ttl") {
      c->flags = zk::kPersistentWithTtl;
      c->ttl = static_cast<int64_t>(pick(100)) + (pick(5) == 0 ? -1 : 1);
      *type = zk::kCreateTtl;
    } else {
      c->flags = static_cast<int32_t>(pick(4));
      if (pick(2) == 0) *type = zk::kCreate;
    }
  };
  for (int64_t s : {kS1, kS2, int64_t{0x33}})
    push(zk::kCreateSession, EncodeCreateSession({30000, "pw"}), s);
  for (size_t i = 0; i < n; ++i) {
    int64_t sid = sessions[pick(sessions.size())];
    acl::Identities ids = idss[pick(idss.size())];
    const std::string& p = paths[pick(paths.size())];
    switch (pick(11)) {
      case 0:
      case 1:
      case 2: {
        zk::CreateRequest c;
        int32_t type;
        create_req(&c, &type);
        std::string body;
        Writer w(&body);
        zk::Encode(w, c, type == zk::kCreateTtl);
        push(type, body, sid, ids);
        break;
      }
      case 3:
        push(zk::kDelete,
             Enc(zk::DeleteRequest{p, pick(3) == 0 ? static_cast<int32_t>(pick(3)) : -1}), sid,
             ids);
        break;
      case 4:
        push(zk::kSetData,
             Enc(zk::SetDataRequest{p, std::string(pick(5), 'z'), false,
                                    pick(3) == 0 ? static_cast<int32_t>(pick(3)) : -1}),
             sid, ids);
        break;
      case 5:
        push(zk::kSetAcl, Enc(zk::SetAclRequest{p, acls[pick(acls.size())], -1}), sid, ids);
        break;
      case 6:
        push(zk::kCheck, Enc(zk::CheckVersionRequest{p, static_cast<int32_t>(pick(3)) - 1}), sid,
             ids);
        break;
      case 7:
      case 8: {
        MultiBuilder m;
        size_t ops = 1 + pick(4);
        for (size_t k = 0; k < ops; ++k) {
          const std::string& q = paths[pick(paths.size())];
          switch (pick(4)) {
            case 0: {
              zk::CreateRequest c;
              int32_t type;
              create_req(&c, &type);
              m.Create(c.path, c.data, c.flags, type, c.acl, c.ttl);
              break;
            }
            case 1:
              m.Delete(q);
              break;
            case 2:
              m.SetData(q, "m", pick(2) == 0 ? 0 : -1);
              break;
            default:
              m.Check(q, -1);
          }
        }
        push(zk::kMulti, m.Build(), sid, ids);
        break;
      }
      case 9:
        push(zk::kDeleteContainer, PathBody(pick(2) == 0 ? "/box" : "/ttl"), 0);
        break;
      default:
        if (pick(4) == 0) {
          int64_t s = pick(2) == 0 ? kS2 : int64_t{0x33};
          push(zk::kCloseSession, "", s);
          push(zk::kCreateSession, EncodeCreateSession({30000, "pw2"}), s);
        } else {
          push(zk::kCreate2,
               CreateBody({.path = paths[pick(paths.size())], .flags = zk::kEphemeral}), sid, ids);
        }
    }
  }
  return log;
}

std::string TriggerString(const std::vector<WatchTrigger>& ts) {
  std::ostringstream o;
  for (const auto& t : ts) o << t.path << "#" << t.type << "#" << AclString(*t.acl) << ";";
  return o.str();
}

TEST(StateMachineDeterminism, SameLogSameResultsSameTree) {
  std::vector<Txn> log = RandomLog(20240601, 1500);
  StateMachine a(Options(true));
  StateMachine b(Options(true));
  size_t ok = 0, multis_failed = 0, closes = 0;
  std::set<int32_t> errors_seen;
  for (const Txn& t : log) {
    ApplyResult ra = a.Apply(t);
    ApplyResult rb = b.Apply(t);
    ASSERT_EQ(ra.err, rb.err) << "zxid " << t.zxid;
    ASSERT_EQ(ra.body, rb.body) << "zxid " << t.zxid;
    ASSERT_EQ(TriggerString(ra.triggers), TriggerString(rb.triggers)) << "zxid " << t.zxid;
    ASSERT_EQ(ra.closed_sessions, rb.closed_sessions);
    if (ra.err == zk::kOk) ++ok;
    errors_seen.insert(ra.err);
    if (t.type == zk::kMulti && ra.err == zk::kOk) {
      for (const auto& r : ParseMulti(ra.body)) {
        if (r.type == zk::kError) {
          ++multis_failed;
          break;
        }
      }
    }
    if (t.type == zk::kCloseSession && ra.err == zk::kOk) ++closes;
  }
  EXPECT_EQ(Dump(a.tree()), Dump(b.tree()));
  EXPECT_EQ(a.tree().ephemerals(), b.tree().ephemerals());
  EXPECT_EQ(a.tree().containers(), b.tree().containers());
  EXPECT_EQ(a.tree().ttl_nodes(), b.tree().ttl_nodes());
  EXPECT_EQ(a.tree().approximate_data_size(), b.tree().approximate_data_size());
  EXPECT_EQ(a.last_applied_zxid(), b.last_applied_zxid());
  ASSERT_EQ(a.sessions().size(), b.sessions().size());
  for (const auto& [sid, info] : a.sessions()) {
    ASSERT_EQ(b.sessions().count(sid), 1u);
    EXPECT_EQ(info.timeout_ms, b.sessions().at(sid).timeout_ms);
    EXPECT_EQ(info.passwd, b.sessions().at(sid).passwd);
  }
  ExpectConsistent(a.tree());
  // The log exercised a good mix (so the comparison means something).
  EXPECT_GT(ok, 300u);
  EXPECT_GT(multis_failed, 10u);
  EXPECT_GT(closes, 3u);
  for (int32_t err : {zk::kNoNode, zk::kNodeExists, zk::kNoAuth, zk::kBadVersion, zk::kNotEmpty,
                      zk::kSessionExpired, zk::kNoChildrenForEphemerals}) {
    EXPECT_EQ(errors_seen.count(err), 1u) << zk::ErrName(err);
  }
}

TEST(StateMachineDeterminism, ReplayFromScratchMatchesAndSurvivesFailedMultis) {
  // A state machine that applied a log, and a fresh one replaying the same log, agree; the
  // undo machinery leaves nothing behind (the trees are identical, indexes included).
  Harness h;
  ASSERT_EQ(h.Make("/r"), zk::kOk);
  for (int i = 0; i < 20; ++i) {
    h.Multi(MultiBuilder()
                .Create("/r/s-", "", zk::kEphemeralSequential)
                .SetData("/r", "v", i % 3 == 0 ? 99 : -1)
                .Create("/r/p-", "", zk::kPersistentSequential)
                .Build());
  }
  StateMachine replay(Options(false));
  for (const Txn& t : h.log) replay.Apply(t);
  EXPECT_EQ(Dump(replay.tree()), Dump(h.sm.tree()));
  EXPECT_EQ(replay.tree().ephemerals(), h.sm.tree().ephemerals());
  ExpectConsistent(replay.tree());
}

TEST(StateMachineDeathTest, ZxidsMustIncrease) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  StateMachine sm(Options(false));
  Txn t;
  t.zxid = 5;
  t.type = zk::kCreateSession;
  t.session_id = kS1;
  t.request = EncodeCreateSession({1000, "p"});
  sm.Apply(t);
  EXPECT_DEATH(sm.Apply(t), "");
}

// ---------------------------------------------------------------------------------------------
// Quotas (/zookeeper/quota/P/zookeeper_limits and zookeeper_stats, as zkCli's setquota makes
// them; figures checked against ZooKeeper 3.8's DataTree and ZooKeeperServer.checkQuota)
// ---------------------------------------------------------------------------------------------

// What zkCli setquota does: the path under /zookeeper/quota, then the limits and stats nodes.
void SetQuota(Harness& h, const std::string& p, const std::string& limits) {
  std::string q = kQuotaPath;
  size_t start = 1;
  while (start <= p.size()) {
    size_t slash = p.find('/', start);
    q = std::string(kQuotaPath) + p.substr(0, slash);
    if (!h.sm.tree().Find(q)) {
      ASSERT_EQ(h.Make(q), zk::kOk) << q;
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  ASSERT_EQ(h.Make(q + "/zookeeper_limits", limits), zk::kOk);
  ASSERT_EQ(h.Make(q + "/zookeeper_stats", "count=0,bytes=0"), zk::kOk);
}

std::string StatsOf(const Harness& h, const std::string& p) {
  return h.sm.tree().Find(std::string(kQuotaPath) + p + "/zookeeper_stats")->data.str();
}

StateMachineOptions Enforcing() {
  StateMachineOptions o;
  o.enforce_quota = true;
  return o;
}

TEST(Quota, StatsTrackParsesAndFormatsLikeZooKeeper) {
  // What zkCli 3.8's setquota -N 4 writes, read back the way ZooKeeper 3.8 reads it.
  auto t = quota::StatsTrack::Parse("count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=4");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->Get("countHardLimit"), 4);
  EXPECT_EQ(t->Get("bytes"), -1);
  EXPECT_EQ(t->Get("missing"), -1);
  EXPECT_EQ(t->ToString(), "count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=4");
  auto plain = quota::StatsTrack::Parse("bytes=+7,,count=5;;,");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->ToString(), "count=5,bytes=7");
  EXPECT_EQ(quota::StatsTrack::Parse("count==5")->Get("count"), -1);  // an empty value
  EXPECT_FALSE(quota::StatsTrack::Parse("count=").has_value());  // Java's split drops it: no value
  EXPECT_EQ(quota::StatsTrack::Parse("")->ToString(), "count=-1,bytes=-1");
  EXPECT_FALSE(quota::StatsTrack::Parse("count").has_value());
  EXPECT_FALSE(quota::StatsTrack::Parse("count=x").has_value());
  EXPECT_FALSE(quota::StatsTrack::Parse(",count=1").has_value());
}

TEST(Quota, StatsFollowTheSubtree) {
  Harness h;
  ASSERT_EQ(h.Make("/app", "12345"), zk::kOk);
  ASSERT_EQ(h.Make("/app/a", "xy"), zk::kOk);
  ASSERT_EQ(h.Make("/other", "zzzz"), zk::kOk);
  SetQuota(h, "/app", "count=10,bytes=-1");
  // Filled in when the stats node is created: the quota root and everything under it.
  EXPECT_EQ(StatsOf(h, "/app"), "count=2,bytes=7");
  const Znode* stats = h.sm.tree().Find("/zookeeper/quota/app/zookeeper_stats");
  int64_t stats_mzxid = stats->mzxid;

  ASSERT_EQ(h.Make("/app/a/b", "abc"), zk::kOk);
  EXPECT_EQ(StatsOf(h, "/app"), "count=3,bytes=10");
  ASSERT_EQ(h.SetData("/app/a", "").err, zk::kOk);
  EXPECT_EQ(StatsOf(h, "/app"), "count=3,bytes=8");
  ASSERT_EQ(h.Delete("/app/a/b").err, zk::kOk);
  EXPECT_EQ(StatsOf(h, "/app"), "count=2,bytes=5");
  ASSERT_EQ(h.Make("/other/c", "x"), zk::kOk);  // outside the quota
  EXPECT_EQ(StatsOf(h, "/app"), "count=2,bytes=5");
  ASSERT_EQ(h.Make("/app/e", "eph", zk::kEphemeral, OpenAcl(), kS2), zk::kOk);
  EXPECT_EQ(StatsOf(h, "/app"), "count=3,bytes=8");
  h.CloseSession(kS2);
  EXPECT_EQ(StatsOf(h, "/app"), "count=2,bytes=5");

  // Written in place: clients never see the stats node change version.
  stats = h.sm.tree().Find("/zookeeper/quota/app/zookeeper_stats");
  EXPECT_EQ(stats->version, 0);
  EXPECT_EQ(stats->mzxid, stats_mzxid);
  ExpectConsistent(h.sm.tree());
}

TEST(Quota, DeepestQuotaGovernsAndRemovingLimitsEndsTracking) {
  Harness h;
  ASSERT_EQ(h.Make("/a"), zk::kOk);
  ASSERT_EQ(h.Make("/a/b"), zk::kOk);
  SetQuota(h, "/a", "count=100,bytes=-1");
  SetQuota(h, "/a/b", "count=100,bytes=-1");
  EXPECT_EQ(StatsOf(h, "/a"), "count=2,bytes=0");
  ASSERT_EQ(h.Make("/a/b/c", "1"), zk::kOk);
  EXPECT_EQ(StatsOf(h, "/a/b"), "count=2,bytes=1");
  EXPECT_EQ(StatsOf(h, "/a"), "count=2,bytes=0");  // ZooKeeper updates the deepest only
  ASSERT_EQ(h.Delete("/zookeeper/quota/a/b/zookeeper_limits").err, zk::kOk);
  ASSERT_EQ(h.Make("/a/b/d", "22"), zk::kOk);
  EXPECT_EQ(StatsOf(h, "/a"), "count=3,bytes=2");
}

TEST(Quota, HardLimitsRefuseWritesOnlyWhenEnforced) {
  for (bool enforce : {false, true}) {
    Harness h(enforce ? Enforcing() : StateMachineOptions());
    ASSERT_EQ(h.Make("/q"), zk::kOk);
    SetQuota(h, "/q", "count=-1,bytes=-1,countHardLimit=3,byteHardLimit=10");
    ASSERT_EQ(h.Make("/q/1", "12345"), zk::kOk);
    ASSERT_EQ(h.Make("/q/2"), zk::kOk);
    int32_t third = h.Make("/q/3");
    EXPECT_EQ(third, enforce ? zk::kQuotaExceeded : zk::kOk);
    EXPECT_EQ(h.SetData("/q/1", "1234567890x").err, enforce ? zk::kQuotaExceeded : zk::kOk);
    EXPECT_EQ(h.SetData("/q/2", "12345").err, zk::kOk);  // exactly at the byte limit
    // Shrinking is always allowed, and a delete frees room.
    EXPECT_EQ(h.SetData("/q/2", "1").err, zk::kOk);
    ASSERT_EQ(h.Delete("/q/2").err, zk::kOk);
    EXPECT_EQ(h.Make("/q/4"), zk::kOk);
    ExpectConsistent(h.sm.tree());
  }
}

TEST(Quota, SoftLimitsAreAdvisory) {
  Harness h(Enforcing());
  ASSERT_EQ(h.Make("/s"), zk::kOk);
  SetQuota(h, "/s", "count=1,bytes=1");
  EXPECT_EQ(h.Make("/s/over", "too many bytes"), zk::kOk);
  EXPECT_EQ(StatsOf(h, "/s"), "count=2,bytes=14");
}

TEST(Quota, QuotaCheckComesAfterNodeExists) {
  Harness h(Enforcing());
  ASSERT_EQ(h.Make("/q"), zk::kOk);
  ASSERT_EQ(h.Make("/q/x"), zk::kOk);
  SetQuota(h, "/q", "count=-1,bytes=-1,countHardLimit=2");
  EXPECT_EQ(h.Make("/q/x"), zk::kNodeExists);
  EXPECT_EQ(h.Make("/q/y"), zk::kQuotaExceeded);
}

TEST(Quota, FailedMultiLeavesStatsAsTheyWere) {
  Harness h(Enforcing());
  ASSERT_EQ(h.Make("/m"), zk::kOk);
  SetQuota(h, "/m", "count=-1,bytes=-1,countHardLimit=3");
  std::string before = StatsOf(h, "/m");
  ApplyResult r = h.Multi(MultiBuilder().Create("/m/a").Create("/m/b").Create("/m/c").Build());
  EXPECT_EQ(r.err, zk::kOk);  // the errors are in the results
  EXPECT_FALSE(h.Has("/m/a"));
  EXPECT_EQ(StatsOf(h, "/m"), before);
  r = h.Multi(MultiBuilder().Create("/m/a").Create("/m/b").Delete("/missing").Build());
  EXPECT_EQ(StatsOf(h, "/m"), before);
  ExpectConsistent(h.sm.tree());
}

}  // namespace
}  // namespace corral
