// Golden frames captured from real ZooKeeper clients (Java zkCli.sh and the C client, both
// 3.8.0; see tests/unit/golden/README.md). Each is decoded with zk/records.h, its fields are
// checked, and re-encoding must give back the identical bytes. A few are then applied to a
// StateMachine as the node would.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "jute/reader.h"
#include "jute/writer.h"
#include "statemachine/state_machine.h"
#include "statemachine/txn.h"
#include "statemachine/write_op.h"
#include "zk/codes.h"
#include "zk/records.h"

namespace corral {
namespace {

using jute::Reader;
using jute::Writer;

const std::filesystem::path& GoldenDir() {
  static const std::filesystem::path dir = std::filesystem::path(__FILE__).parent_path() / "golden";
  return dir;
}

// The whole frame (length prefix included) stored in golden/<name>.hex.
std::string LoadFrame(const std::string& name) {
  std::ifstream in(GoldenDir() / (name + ".hex"));
  EXPECT_TRUE(in.good()) << "missing golden file " << (GoldenDir() / (name + ".hex"));
  std::string hex, line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '#') continue;
    for (char c : line) {
      if (!std::isspace(static_cast<unsigned char>(c))) hex.push_back(c);
    }
  }
  EXPECT_EQ(hex.size() % 2, 0u) << name;
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// The record after the 4-byte length prefix, which must match.
std::string Body(const std::string& frame) {
  EXPECT_GE(frame.size(), 4u);
  Reader r(std::string_view(frame).substr(0, 4));
  int32_t len = r.ReadInt();
  EXPECT_EQ(static_cast<size_t>(len), frame.size() - 4) << "length prefix";
  return frame.substr(4);
}

// Frames a record the way the client did: length prefix, then whatever `write` writes.
template <typename Fn>
std::string Framed(Fn write) {
  std::string out;
  Writer w(&out);
  size_t start = w.BeginFrame();
  write(w);
  w.EndFrame(start);
  return out;
}

// A request frame: header + body record, decoded and checked to consume the frame exactly.
struct Request {
  std::string frame;
  std::string body;  // after the RequestHeader
  zk::RequestHeader header;
};

Request LoadRequest(const std::string& name, int32_t expected_type) {
  Request req;
  req.frame = LoadFrame(name);
  std::string record = Body(req.frame);
  Reader r(record);
  zk::Decode(r, &req.header);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(req.header.type, expected_type) << name;
  req.body = record.substr(8);
  return req;
}

template <typename T, typename... Extra>
T DecodeExactly(const std::string& body, Extra... extra) {
  Reader r(body);
  T v;
  zk::Decode(r, &v, extra...);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.AtEnd()) << r.remaining() << " bytes left over";
  return v;
}

template <typename T, typename... Extra>
std::string Reencode(const zk::RequestHeader& h, const T& v, Extra... extra) {
  return Framed([&](Writer& w) {
    zk::Encode(w, h);
    zk::Encode(w, v, extra...);
  });
}

const std::string kBobDigest = "bob:tK1fpNO1hB0F++FhHpSq0Fa4tv0=";
const zk::Acl kWorldAll{zk::kPermAll, zk::Id{"world", "anyone"}};
const zk::Acl kWorldRead{zk::kPermRead, zk::Id{"world", "anyone"}};
const zk::Acl kBobAll{zk::kPermAll, zk::Id{"digest", kBobDigest}};

// ---------------------------------------------------------------------------------------------
// ConnectRequest
// ---------------------------------------------------------------------------------------------

void CheckConnect(const std::string& name, int32_t timeout_ms, bool read_only) {
  SCOPED_TRACE(name);
  std::string frame = LoadFrame(name);
  ASSERT_EQ(frame.size(), 49u);  // 45-byte record: every 3.8 client sends the readOnly flag
  auto c = DecodeExactly<zk::ConnectRequest>(Body(frame));
  EXPECT_EQ(c.protocol_version, 0);
  EXPECT_EQ(c.last_zxid_seen, 0);
  EXPECT_EQ(c.timeout_ms, timeout_ms);
  EXPECT_EQ(c.session_id, 0);
  EXPECT_EQ(c.passwd, std::string(16, '\0'));
  EXPECT_TRUE(c.has_read_only);
  EXPECT_EQ(c.read_only, read_only);
  EXPECT_EQ(Framed([&](Writer& w) { zk::Encode(w, c); }), frame);
}

TEST(GoldenConnect, JavaClient) { CheckConnect("java_connect", 30000, false); }
TEST(GoldenConnect, JavaClientReadOnly) { CheckConnect("java_connect_readonly", 30000, true); }
TEST(GoldenConnect, CClient) { CheckConnect("c_connect", 10000, false); }
TEST(GoldenConnect, CClientReadOnly) { CheckConnect("c_connect_readonly", 10000, true); }

TEST(GoldenConnect, WithoutTheFlagItIsAnOldClientsRequest) {
  std::string body = Body(LoadFrame("java_connect"));
  body.pop_back();
  auto c = DecodeExactly<zk::ConnectRequest>(body);
  EXPECT_FALSE(c.has_read_only);
  EXPECT_FALSE(c.read_only);
  EXPECT_EQ(c.timeout_ms, 30000);
  std::string again;
  Writer w(&again);
  zk::Encode(w, c);
  EXPECT_EQ(again, body);
}

// ---------------------------------------------------------------------------------------------
// create / create2 / createContainer / createTTL
// ---------------------------------------------------------------------------------------------

zk::CreateRequest CheckCreate(const std::string& name, int32_t type, int32_t xid) {
  SCOPED_TRACE(name);
  Request req = LoadRequest(name, type);
  EXPECT_EQ(req.header.xid, xid);
  bool ttl = type == zk::kCreateTtl;
  auto c = DecodeExactly<zk::CreateRequest>(req.body, ttl);
  EXPECT_EQ(Reencode(req.header, c, ttl), req.frame);
  return c;
}

TEST(GoldenCreate, JavaPersistent) {
  auto c = CheckCreate("java_create", zk::kCreate, 1);
  EXPECT_EQ(c.path, "/golden");
  EXPECT_EQ(c.data, "data");
  EXPECT_FALSE(c.data_null);
  EXPECT_EQ(c.acl, (zk::AclList{kWorldAll}));
  EXPECT_EQ(c.flags, zk::kPersistent);
  EXPECT_EQ(c.ttl, -1);
}

TEST(GoldenCreate, JavaWithAclList) {
  auto c = CheckCreate("java_create_acl", zk::kCreate, 1);
  EXPECT_EQ(c.path, "/golden/acl");
  EXPECT_EQ(c.data, "data");
  EXPECT_EQ(c.acl, (zk::AclList{kBobAll, kWorldRead}));
  EXPECT_EQ(c.flags, zk::kPersistent);
}

TEST(GoldenCreate, JavaEphemeralSequential) {
  auto c = CheckCreate("java_create_ephemeral_sequential", zk::kCreate, 1);
  EXPECT_EQ(c.path, "/golden/seq-");
  EXPECT_EQ(c.data, "eph");
  EXPECT_EQ(c.flags, zk::kEphemeralSequential);
}

TEST(GoldenCreate, JavaNullData) {
  auto c = CheckCreate("java_create_null_data", zk::kCreate, 1);
  EXPECT_EQ(c.path, "/golden/nodata");
  EXPECT_TRUE(c.data_null);  // zkCli sends a null buffer (-1) when no data is given
  EXPECT_EQ(c.data, "");
}

TEST(GoldenCreate, JavaContainer) {
  auto c = CheckCreate("java_create_container", zk::kCreateContainer, 1);
  EXPECT_EQ(c.path, "/golden/container");
  EXPECT_TRUE(c.data_null);
  EXPECT_EQ(c.acl, (zk::AclList{kWorldAll}));
  EXPECT_EQ(c.flags, zk::kContainer);
}

TEST(GoldenCreate, JavaTtl) {
  auto c = CheckCreate("java_create_ttl", zk::kCreateTtl, 1);
  EXPECT_EQ(c.path, "/golden/ttl");
  EXPECT_EQ(c.data, "tdata");
  EXPECT_EQ(c.flags, zk::kPersistentWithTtl);
  EXPECT_EQ(c.ttl, 5000);
}

TEST(GoldenCreate, CWithAclList) {
  auto c = CheckCreate("c_create_acl", zk::kCreate, 0x6b021a8d);
  EXPECT_EQ(c.path, "/cgolden");
  EXPECT_EQ(c.data, "cdata");
  EXPECT_EQ(c.acl, (zk::AclList{kBobAll, kWorldRead}));
  EXPECT_EQ(c.flags, zk::kPersistent);
}

// ---------------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------------

void CheckPathWatch(const std::string& name, int32_t type, int32_t xid, const std::string& path,
                    bool watch) {
  SCOPED_TRACE(name);
  Request req = LoadRequest(name, type);
  EXPECT_EQ(req.header.xid, xid);
  auto r = DecodeExactly<zk::PathWatchRequest>(req.body);
  EXPECT_EQ(r.path, path);
  EXPECT_EQ(r.watch, watch);
  EXPECT_EQ(Reencode(req.header, r), req.frame);
}

TEST(GoldenRead, GetData) {
  CheckPathWatch("java_get_data", zk::kGetData, 1, "/golden", false);
  CheckPathWatch("java_get_data_watch", zk::kGetData, 1, "/golden", true);
  CheckPathWatch("c_get_data_watch", zk::kGetData, 0x6b021a8e, "/cgolden", true);
}

TEST(GoldenRead, ExistsAndChildren) {
  CheckPathWatch("java_exists", zk::kExists, 1, "/golden", false);
  CheckPathWatch("c_exists", zk::kExists, 0x6b021a90, "/cgolden", false);
  CheckPathWatch("java_get_children2", zk::kGetChildren2, 1, "/golden", false);
  CheckPathWatch("java_ls_root", zk::kGetChildren2, 1, "/", false);
  CheckPathWatch("c_get_children2_watch", zk::kGetChildren2, 0x6b021a91, "/", true);
}

void CheckPathOnly(const std::string& name, int32_t type, const std::string& path) {
  SCOPED_TRACE(name);
  Request req = LoadRequest(name, type);
  EXPECT_EQ(req.header.xid, 1);
  auto r = DecodeExactly<zk::PathRequest>(req.body);
  EXPECT_EQ(r.path, path);
  EXPECT_EQ(Reencode(req.header, r), req.frame);
}

TEST(GoldenRead, PathOnlyRequests) {
  CheckPathOnly("java_get_acl", zk::kGetAcl, "/golden");
  CheckPathOnly("java_sync", zk::kSync, "/golden");
  CheckPathOnly("java_get_all_children_number", zk::kGetAllChildrenNumber, "/golden");
  CheckPathOnly("java_get_ephemerals", zk::kGetEphemerals, "/golden");
}

TEST(GoldenRead, HeaderOnlyRequests) {
  for (auto [name, type, xid] : {std::tuple<const char*, int32_t, int32_t>{"java_whoami", zk::kWhoAmI, 1},
                                 {"c_close_session", zk::kCloseSession, 0x6b021a92}}) {
    SCOPED_TRACE(name);
    Request req = LoadRequest(name, type);
    EXPECT_EQ(req.header.xid, xid);
    EXPECT_TRUE(req.body.empty());
    EXPECT_EQ(Framed([&](Writer& w) { zk::Encode(w, req.header); }), req.frame);
  }
}

// ---------------------------------------------------------------------------------------------
// Writes other than create
// ---------------------------------------------------------------------------------------------

TEST(GoldenWrite, SetData) {
  struct Case {
    const char* name;
    int32_t xid;
    const char* path;
    const char* data;
    int32_t version;
  };
  for (const Case& k : {Case{"java_set_data", 1, "/golden", "newdata", -1},
                        Case{"java_set_data_version", 1, "/golden", "newdata2", 1},
                        Case{"c_set_data", 0x6b021a8f, "/cgolden", "cdata2", 0}}) {
    SCOPED_TRACE(k.name);
    Request req = LoadRequest(k.name, zk::kSetData);
    EXPECT_EQ(req.header.xid, k.xid);
    auto s = DecodeExactly<zk::SetDataRequest>(req.body);
    EXPECT_EQ(s.path, k.path);
    EXPECT_EQ(s.data, k.data);
    EXPECT_FALSE(s.data_null);
    EXPECT_EQ(s.version, k.version);
    EXPECT_EQ(Reencode(req.header, s), req.frame);
  }
}

TEST(GoldenWrite, Delete) {
  Request req = LoadRequest("java_delete", zk::kDelete);
  auto d = DecodeExactly<zk::DeleteRequest>(req.body);
  EXPECT_EQ(d.path, "/golden");
  EXPECT_EQ(d.version, 1);
  EXPECT_EQ(Reencode(req.header, d), req.frame);
}

TEST(GoldenWrite, SetAcl) {
  Request req = LoadRequest("java_set_acl", zk::kSetAcl);
  auto s = DecodeExactly<zk::SetAclRequest>(req.body);
  EXPECT_EQ(s.path, "/golden");
  EXPECT_EQ(s.acl, (zk::AclList{kWorldRead}));
  EXPECT_EQ(s.version, 0);
  EXPECT_EQ(Reencode(req.header, s), req.frame);
}

TEST(GoldenMisc, Auth) {
  Request req = LoadRequest("java_auth", zk::kAuth);
  EXPECT_EQ(req.header.xid, zk::kXidAuth);
  auto a = DecodeExactly<zk::AuthPacket>(req.body);
  EXPECT_EQ(a.type, 0);
  EXPECT_EQ(a.scheme, "digest");
  EXPECT_EQ(a.auth, "bob:pw");
  EXPECT_EQ(Reencode(req.header, a), req.frame);
}

TEST(GoldenMisc, AddWatch) {
  for (auto [name, mode] : {std::pair<const char*, int32_t>{"java_add_watch_persistent", zk::kAddWatchPersistent},
                            {"java_add_watch_recursive", zk::kAddWatchPersistentRecursive}}) {
    SCOPED_TRACE(name);
    Request req = LoadRequest(name, zk::kAddWatch);
    auto a = DecodeExactly<zk::AddWatchRequest>(req.body);
    EXPECT_EQ(a.path, "/golden");
    EXPECT_EQ(a.mode, mode);
    EXPECT_EQ(Reencode(req.header, a), req.frame);
  }
}

TEST(GoldenMisc, CClientXidsAreConsecutive) {
  int32_t xid = 0x6b021a8d;
  for (const char* name : {"c_create_acl", "c_get_data_watch", "c_set_data", "c_exists", "c_multi",
                           "c_close_session"}) {
    std::string body = Body(LoadFrame(name));
    Reader r(body);
    EXPECT_EQ(r.ReadInt(), xid++) << name;
  }
}

// ---------------------------------------------------------------------------------------------
// multi
// ---------------------------------------------------------------------------------------------

TEST(GoldenMulti, CClientMultiDecodesWithRecords) {
  Request req = LoadRequest("c_multi", zk::kMulti);
  EXPECT_EQ(req.header.xid, 0x6b021a91);
  // Walk it with the plain records and rebuild it byte for byte.
  Reader r(req.body);
  std::string rebuilt;
  Writer w(&rebuilt);
  zk::Encode(w, req.header);
  std::vector<int32_t> types;
  while (true) {
    zk::MultiHeader h;
    zk::Decode(r, &h);
    ASSERT_TRUE(r.ok());
    zk::Encode(w, h);
    if (h.done) {
      EXPECT_EQ(h.type, -1);
      EXPECT_EQ(h.err, -1);
      break;
    }
    EXPECT_EQ(h.err, -1);  // the C client sends -1 in request headers
    types.push_back(h.type);
    switch (h.type) {
      case zk::kCreate: {
        zk::CreateRequest c;
        zk::Decode(r, &c, false);
        EXPECT_EQ(c.path, "/cgolden/m");
        EXPECT_EQ(c.data, "m1");
        EXPECT_EQ(c.acl, (zk::AclList{kWorldAll}));
        EXPECT_EQ(c.flags, zk::kPersistentSequential);
        zk::Encode(w, c, false);
        break;
      }
      case zk::kSetData: {
        zk::SetDataRequest s;
        zk::Decode(r, &s);
        EXPECT_EQ(s.path, "/cgolden");
        EXPECT_EQ(s.data, "m2");
        EXPECT_EQ(s.version, 1);
        zk::Encode(w, s);
        break;
      }
      case zk::kCheck: {
        zk::CheckVersionRequest c;
        zk::Decode(r, &c);
        EXPECT_EQ(c.path, "/cgolden");
        EXPECT_EQ(c.version, 2);
        zk::Encode(w, c);
        break;
      }
      case zk::kDelete: {
        zk::DeleteRequest d;
        zk::Decode(r, &d);
        EXPECT_EQ(d.path, "/cgolden/old");
        EXPECT_EQ(d.version, -1);
        zk::Encode(w, d);
        break;
      }
      default:
        FAIL() << "unexpected op " << h.type;
    }
  }
  EXPECT_TRUE(r.AtEnd());
  EXPECT_EQ(types, (std::vector<int32_t>{zk::kCreate, zk::kSetData, zk::kCheck, zk::kDelete}));
  // Re-frame the rebuilt record.
  std::string expected_frame;
  Writer ew(&expected_frame);
  size_t start = ew.BeginFrame();
  expected_frame += rebuilt;
  ew.EndFrame(start);
  EXPECT_EQ(expected_frame, req.frame);
}

TEST(GoldenMulti, CClientMultiDecodesWithDecodeMulti) {
  Request req = LoadRequest("c_multi", zk::kMulti);
  std::vector<WriteOp> ops;
  ASSERT_TRUE(DecodeMulti(req.body, &ops));
  ASSERT_EQ(ops.size(), 4u);
  EXPECT_EQ(ops[0].type, zk::kCreate);
  EXPECT_EQ(ops[0].create.path, "/cgolden/m");
  EXPECT_EQ(ops[0].create.flags, zk::kPersistentSequential);
  EXPECT_EQ(ops[1].type, zk::kSetData);
  EXPECT_EQ(ops[1].set_data.data, "m2");
  EXPECT_EQ(ops[1].set_data.version, 1);
  EXPECT_EQ(ops[2].type, zk::kCheck);
  EXPECT_EQ(ops[2].check.version, 2);
  EXPECT_EQ(ops[3].type, zk::kDelete);
  EXPECT_EQ(ops[3].del.path, "/cgolden/old");
  EXPECT_EQ(ops[3].del.version, -1);
  // Any truncation of the multi body is refused.
  for (size_t n = 0; n < req.body.size(); ++n) {
    std::vector<WriteOp> partial;
    EXPECT_FALSE(DecodeMulti(req.body.substr(0, n), &partial)) << n;
  }
}

// ---------------------------------------------------------------------------------------------
// The golden requests applied to a state machine
// ---------------------------------------------------------------------------------------------

class GoldenApply : public ::testing::Test {
 protected:
  static constexpr int64_t kSession = 0x0123456789abcdefLL;

  void SetUp() override {
    ApplyResult r = Apply(zk::kCreateSession, EncodeCreateSession({30000, std::string(16, 'p')}));
    ASSERT_EQ(r.err, zk::kOk);
  }

  ApplyResult Apply(int32_t type, const std::string& body, acl::Identities ids = {}) {
    Txn t;
    t.zxid = ++zxid_;
    t.session_id = kSession;
    t.time_ms = 1700000000000 + zxid_;
    t.type = type;
    t.request = body;
    t.identities = std::move(ids);
    return sm_.Apply(t);
  }

  ApplyResult ApplyGolden(const std::string& name, int32_t type, acl::Identities ids = {}) {
    Request req = LoadRequest(name, type);
    return Apply(req.header.type, req.body, std::move(ids));
  }

  StateMachine sm_{StateMachineOptions{}};
  int64_t zxid_ = 0;
};

TEST_F(GoldenApply, JavaCreates) {
  ApplyResult r = ApplyGolden("java_create", zk::kCreate);
  ASSERT_EQ(r.err, zk::kOk);
  Reader rr(r.body);
  EXPECT_EQ(rr.ReadString(), "/golden");
  EXPECT_TRUE(rr.AtEnd());

  r = ApplyGolden("java_create_acl", zk::kCreate);
  ASSERT_EQ(r.err, zk::kOk);
  const Znode* n = sm_.tree().Find("/golden/acl");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(*n->acl, (zk::AclList{kBobAll, kWorldRead}));
  EXPECT_EQ(n->data, "data");

  r = ApplyGolden("java_create_ephemeral_sequential", zk::kCreate);
  ASSERT_EQ(r.err, zk::kOk);
  Reader sr(r.body);
  EXPECT_EQ(sr.ReadString(), "/golden/seq-0000000001");  // /golden/acl came first
  EXPECT_EQ(sm_.tree().Find("/golden/seq-0000000001")->ephemeral_owner, kSession);

  r = ApplyGolden("java_create_container", zk::kCreateContainer);
  ASSERT_EQ(r.err, zk::kOk);
  EXPECT_EQ(sm_.tree().containers().count("/golden/container"), 1u);

  // TTL nodes are off by default: UNIMPLEMENTED, as ZooKeeper without extendedTypesEnabled.
  r = ApplyGolden("java_create_ttl", zk::kCreateTtl);
  EXPECT_EQ(r.err, zk::kUnimplemented);

  r = ApplyGolden("java_create_null_data", zk::kCreate);
  ASSERT_EQ(r.err, zk::kOk);
}

TEST_F(GoldenApply, CClientSession) {
  const acl::Identities bob = {zk::Id{"digest", kBobDigest}};
  ASSERT_EQ(ApplyGolden("c_create_acl", zk::kCreate).err, zk::kOk);
  // world has READ only: the set needs bob.
  EXPECT_EQ(ApplyGolden("c_set_data", zk::kSetData).err, zk::kNoAuth);
  ApplyResult set = ApplyGolden("c_set_data", zk::kSetData, bob);
  ASSERT_EQ(set.err, zk::kOk);
  EXPECT_EQ(sm_.tree().Find("/cgolden")->data, "cdata2");

  // The multi's last op deletes a node that does not exist: all of it is rolled back.
  ApplyResult multi = ApplyGolden("c_multi", zk::kMulti, bob);
  EXPECT_EQ(multi.err, zk::kOk);
  Reader r(multi.body);
  std::vector<int32_t> errs;
  while (true) {
    zk::MultiHeader h;
    zk::Decode(r, &h);
    ASSERT_TRUE(r.ok());
    if (h.done) break;
    EXPECT_EQ(h.type, zk::kError);
    int32_t err = r.ReadInt();
    EXPECT_EQ(err, h.err);
    errs.push_back(err);
  }
  EXPECT_TRUE(r.AtEnd());
  EXPECT_EQ(errs, (std::vector<int32_t>{zk::kOk, zk::kOk, zk::kOk, zk::kNoNode}));
  EXPECT_TRUE(multi.triggers.empty());
  EXPECT_EQ(sm_.tree().Find("/cgolden")->data, "cdata2");
  EXPECT_TRUE(sm_.tree().Find("/cgolden")->children.empty());

  ApplyResult close = ApplyGolden("c_close_session", zk::kCloseSession);
  EXPECT_EQ(close.err, zk::kOk);
  EXPECT_EQ(close.closed_sessions, std::vector<int64_t>{kSession});
  EXPECT_EQ(sm_.sessions().count(kSession), 0u);
}

TEST_F(GoldenApply, ReadsFromGoldenFrames) {
  ASSERT_EQ(ApplyGolden("java_create", zk::kCreate).err, zk::kOk);
  Request get = LoadRequest("java_get_data_watch", zk::kGetData);
  ReadResult r = sm_.Read(get.header.type, get.body, {}, kSession);
  ASSERT_EQ(r.err, zk::kOk);
  EXPECT_EQ(r.watch, WatchKind::kData);
  EXPECT_EQ(r.watch_path, "/golden");
  Reader rr(r.body);
  EXPECT_EQ(rr.ReadBuffer(), "data");
  zk::Stat st;
  zk::Decode(rr, &st);
  EXPECT_TRUE(rr.AtEnd());
  EXPECT_EQ(st.data_length, 4);

  Request ls = LoadRequest("c_get_children2_watch", zk::kGetChildren2);
  r = sm_.Read(ls.header.type, ls.body, {}, kSession);
  ASSERT_EQ(r.err, zk::kOk);
  EXPECT_EQ(r.watch, WatchKind::kChild);
  Reader lr(r.body);
  std::vector<std::string> children;
  zk::Decode(lr, &children);
  EXPECT_EQ(children, (std::vector<std::string>{"golden", "zookeeper"}));

  // zkCli's `create /golden/nodata` sends null data; ZooKeeper answers getData with null (-1)
  // (checked on 3.8.0: `get` prints "null").
  ASSERT_EQ(ApplyGolden("java_create_null_data", zk::kCreate).err, zk::kOk);
  r = sm_.Read(zk::kGetData, [] {
    std::string b;
    Writer w(&b);
    zk::Encode(w, zk::PathWatchRequest{"/golden/nodata", false});
    return b;
  }(), {}, kSession);
  ASSERT_EQ(r.err, zk::kOk);
  Reader nr(r.body);
  EXPECT_FALSE(nr.ReadNullableBuffer().has_value());
  zk::Decode(nr, &st);
  EXPECT_TRUE(nr.AtEnd());
  EXPECT_EQ(st.data_length, 0);
}

}  // namespace
}  // namespace corral
