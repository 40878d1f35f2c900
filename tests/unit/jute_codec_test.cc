// The jute codec (jute/reader.h, jute/writer.h) and every record of zk/records.h: exact
// big-endian encodings, the -1 null conventions, every way a hostile frame can fail (and that
// failure is sticky), and encode -> decode -> encode round trips.
#include <gtest/gtest.h>

#include <climits>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "jute/reader.h"
#include "jute/writer.h"
#include "zk/codes.h"
#include "zk/records.h"

namespace corral {
namespace {

using jute::Reader;
using jute::Writer;
using namespace std::string_literals;

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

std::string Hex(const std::string& s) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

template <typename T>
std::string EncodeOf(const T& v) {
  std::string out;
  Writer w(&out);
  zk::Encode(w, v);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------

TEST(JuteWriter, IntsAreBigEndianTwosComplement) {
  std::string out;
  Writer w(&out);
  w.WriteInt(0x01020304);
  w.WriteInt(-1);
  w.WriteInt(INT32_MIN);
  w.WriteInt(0);
  EXPECT_EQ(Hex(out),
            "01020304"
            "ffffffff"
            "80000000"
            "00000000");
}

TEST(JuteWriter, LongsAreBigEndianTwosComplement) {
  std::string out;
  Writer w(&out);
  w.WriteLong(0x0102030405060708LL);
  w.WriteLong(-2);
  w.WriteLong(INT64_MIN);
  EXPECT_EQ(Hex(out),
            "0102030405060708"
            "fffffffffffffffe"
            "8000000000000000");
}

TEST(JuteWriter, BoolIsOneByte) {
  std::string out;
  Writer w(&out);
  w.WriteBool(true);
  w.WriteBool(false);
  EXPECT_EQ(out, Bytes({1, 0}));
}

TEST(JuteWriter, BufferIsLengthPrefixedAndNullIsMinusOne) {
  std::string out;
  Writer w(&out);
  w.WriteBuffer("ab");
  w.WriteBuffer("");
  w.WriteNullBuffer();
  w.WriteString("\0x"s);  // binary-safe
  EXPECT_EQ(Hex(out),
            "000000026162"
            "00000000"
            "ffffffff"
            "000000020078");
}

TEST(JuteWriter, FramePatchesTheLength) {
  std::string out = "junk";
  Writer w(&out);
  size_t start = w.BeginFrame();
  EXPECT_EQ(start, 4u);
  w.WriteInt(7);
  w.WriteBuffer("xyz");
  w.EndFrame(start);
  EXPECT_EQ(Hex(out.substr(4)),
            "0000000b"
            "00000007"
            "00000003"
            "78797a");
  EXPECT_EQ(out.substr(0, 4), "junk");

  // An empty frame is a zero length.
  std::string empty;
  Writer e(&empty);
  e.EndFrame(e.BeginFrame());
  EXPECT_EQ(Hex(empty), "00000000");
}

TEST(JuteWriter, BackToBackFrames) {
  std::string out;
  Writer w(&out);
  size_t a = w.BeginFrame();
  w.WriteInt(1);
  w.EndFrame(a);
  size_t b = w.BeginFrame();
  w.WriteLong(2);
  w.EndFrame(b);
  EXPECT_EQ(Hex(out),
            "00000004"
            "00000001"
            "00000008"
            "0000000000000002");
}

// ---------------------------------------------------------------------------------------------
// Reader: successful reads
// ---------------------------------------------------------------------------------------------

TEST(JuteReader, ReadsBigEndianIntsAndLongs) {
  std::string in = Bytes({0x01, 0x02, 0x03, 0x04, 0xff, 0xff, 0xff, 0xfe, 0x80, 0,    0,    0,
                          0,    0,    0,    0,    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  Reader r(in);
  EXPECT_EQ(r.ReadInt(), 0x01020304);
  EXPECT_EQ(r.ReadInt(), -2);
  EXPECT_EQ(r.ReadLong(), INT64_MIN);
  EXPECT_EQ(r.ReadLong(), INT64_MAX);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.AtEnd());
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(JuteReader, BoolIsAnyNonZeroByte) {
  // Java's DataInput.readBoolean: any non-zero byte is true.
  std::string in = Bytes({0, 1, 2, 0xff});
  Reader r(in);
  EXPECT_FALSE(r.ReadBool());
  EXPECT_TRUE(r.ReadBool());
  EXPECT_TRUE(r.ReadBool());
  EXPECT_TRUE(r.ReadBool());
  EXPECT_TRUE(r.AtEnd());
}

TEST(JuteReader, BuffersAndNull) {
  std::string in;
  Writer w(&in);
  w.WriteBuffer("hello");
  w.WriteBuffer("");
  w.WriteNullBuffer();
  w.WriteNullBuffer();
  w.WriteBuffer("\0\xff"s);
  Reader r(in);
  EXPECT_EQ(r.ReadBuffer(), "hello");
  auto empty = r.ReadNullableBuffer();
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(*empty, "");
  EXPECT_FALSE(r.ReadNullableBuffer().has_value());  // -1 is null, not an error
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.ReadString(), "");  // null reads as empty through ReadBuffer/ReadString
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.ReadBuffer(), "\0\xff"s);
  EXPECT_TRUE(r.AtEnd());
}

TEST(JuteReader, RemainingAndAtEnd) {
  std::string in = Bytes({0, 0, 0, 1, 9});
  Reader r(in);
  EXPECT_EQ(r.remaining(), 5u);
  EXPECT_FALSE(r.AtEnd());
  r.ReadInt();
  EXPECT_EQ(r.remaining(), 1u);
  EXPECT_FALSE(r.AtEnd());
  r.ReadBool();
  EXPECT_TRUE(r.AtEnd());
  Reader empty("");
  EXPECT_TRUE(empty.AtEnd());
  EXPECT_TRUE(empty.ok());
}

TEST(JuteReader, CountNullIsZeroAndFitsAreAccepted) {
  std::string in;
  Writer w(&in);
  w.WriteInt(-1);
  w.WriteInt(0);
  w.WriteInt(2);
  w.WriteInt(0);  // 8 bytes left: two 4-byte elements fit exactly
  w.WriteInt(0);
  Reader r(in);
  EXPECT_EQ(r.ReadCount(4), 0);
  EXPECT_EQ(r.ReadCount(4), 0);
  EXPECT_EQ(r.ReadCount(4), 2);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.remaining(), 8u);
}

// ---------------------------------------------------------------------------------------------
// Reader: every failure mode, and stickiness
// ---------------------------------------------------------------------------------------------

TEST(JuteReaderFailure, ShortInt) {
  std::string in = Bytes({0, 0, 1});
  Reader r(in);
  EXPECT_EQ(r.ReadInt(), 0);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_FALSE(r.AtEnd());
}

TEST(JuteReaderFailure, ShortLong) {
  std::string in = Bytes({1, 2, 3, 4, 5, 6, 7});
  Reader r(in);
  EXPECT_EQ(r.ReadLong(), 0);
  EXPECT_FALSE(r.ok());
}

TEST(JuteReaderFailure, ShortBool) {
  Reader r("");
  EXPECT_FALSE(r.ReadBool());
  EXPECT_FALSE(r.ok());
}

TEST(JuteReaderFailure, ShortBufferLength) {
  std::string in = Bytes({0, 0});
  Reader r(in);
  EXPECT_EQ(r.ReadBuffer(), "");
  EXPECT_FALSE(r.ok());
}

TEST(JuteReaderFailure, NegativeBufferLengthOtherThanMinusOne) {
  for (int32_t len : {-2, -100, INT32_MIN}) {
    std::string in;
    Writer w(&in);
    w.WriteInt(len);
    in += "some bytes to make a too-trusting reader happy";
    Reader r(in);
    EXPECT_FALSE(r.ReadNullableBuffer().has_value()) << len;
    EXPECT_FALSE(r.ok()) << len;
    Reader r2(in);
    EXPECT_EQ(r2.ReadBuffer(), "") << len;
    EXPECT_FALSE(r2.ok()) << len;
  }
}

TEST(JuteReaderFailure, BufferLengthBeyondFrame) {
  std::string in;
  Writer w(&in);
  w.WriteInt(6);
  in += "abcde";  // one byte short
  Reader r(in);
  EXPECT_EQ(r.ReadBuffer(), "");
  EXPECT_FALSE(r.ok());

  std::string huge;
  Writer h(&huge);
  h.WriteInt(INT32_MAX);  // must not allocate 2 GiB
  Reader r2(huge);
  EXPECT_FALSE(r2.ReadNullableBuffer().has_value());
  EXPECT_FALSE(r2.ok());
}

TEST(JuteReaderFailure, BufferExactlyFillingTheFrameIsFine) {
  std::string in;
  Writer w(&in);
  w.WriteInt(3);
  in += "abc";
  Reader r(in);
  EXPECT_EQ(r.ReadBuffer(), "abc");
  EXPECT_TRUE(r.AtEnd());
}

TEST(JuteReader, NegativeCountReadsAsEmptyLikeJava) {
  // Java's jute loops `for (i = 0; i < len; i++)`: any negative count is an empty vector, and
  // ZooKeeper then judges the record (an empty ACL list is INVALIDACL, not MARSHALLINGERROR).
  for (int32_t count : {-2, INT32_MIN}) {
    std::string in;
    Writer w(&in);
    w.WriteInt(count);
    w.WriteInt(7);
    Reader r(in);
    EXPECT_EQ(r.ReadCount(4), 0) << count;
    EXPECT_TRUE(r.ok()) << count;
    EXPECT_EQ(r.ReadInt(), 7) << count;
  }
}

TEST(JuteReaderFailure, NullWhereAStringIsRequired) {
  std::string in;
  Writer w(&in);
  w.WriteInt(-1);
  Reader r(in);
  EXPECT_EQ(r.ReadNonNullString(), "");
  EXPECT_FALSE(r.ok());
}

TEST(JuteReaderFailure, CountThatCannotFit) {
  std::string in;
  Writer w(&in);
  w.WriteInt(3);
  in += std::string(11, 'x');  // three 4-byte elements need 12
  Reader r(in);
  EXPECT_EQ(r.ReadCount(4), 0);
  EXPECT_FALSE(r.ok());

  // A huge count with a tiny element size: count * size must not overflow into "fits".
  std::string huge;
  Writer h(&huge);
  h.WriteInt(INT32_MAX);
  huge += std::string(64, 'x');
  Reader r2(huge);
  EXPECT_EQ(r2.ReadCount(1), 0);
  EXPECT_FALSE(r2.ok());
  Reader r3(huge);
  EXPECT_EQ(r3.ReadCount(12), 0);
  EXPECT_FALSE(r3.ok());
}

TEST(JuteReaderFailure, ShortCount) {
  std::string in = Bytes({0, 0, 0});
  Reader r(in);
  EXPECT_EQ(r.ReadCount(4), 0);
  EXPECT_FALSE(r.ok());
}

TEST(JuteReaderFailure, FailureIsSticky) {
  std::string in;
  Writer w(&in);
  w.WriteInt(-5);  // bad buffer length
  w.WriteInt(42);
  w.WriteLong(43);
  w.WriteBool(true);
  w.WriteBuffer("ok");
  Reader r(in);
  r.ReadBuffer();
  ASSERT_FALSE(r.ok());
  // Everything after the failure reads as zero/empty and the reader stays failed, even though
  // the bytes that follow are well-formed.
  EXPECT_EQ(r.ReadInt(), 0);
  EXPECT_EQ(r.ReadLong(), 0);
  EXPECT_FALSE(r.ReadBool());
  EXPECT_EQ(r.ReadBuffer(), "");
  EXPECT_FALSE(r.ReadNullableBuffer().has_value());
  EXPECT_EQ(r.ReadCount(0), 0);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_FALSE(r.AtEnd());
}

TEST(JuteReaderFailure, ExplicitFailIsSticky) {
  std::string in = Bytes({0, 0, 0, 7});
  Reader r(in);
  r.Fail();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.ReadInt(), 0);
  EXPECT_FALSE(r.ok());
}

TEST(JuteReaderFailure, ShortReadDoesNotConsume) {
  // A failed read must not leave a partially advanced position that a later read could use.
  std::string in = Bytes({0, 0, 0, 1, 0, 0});
  Reader r(in);
  EXPECT_EQ(r.ReadInt(), 1);
  EXPECT_EQ(r.ReadInt(), 0);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.ReadBool(), false);
}

// Every truncation of a valid encoding fails to decode (or, for records with an optional tail,
// decodes without the tail). Used below for each record.
template <typename T, typename DecodeFn>
void ExpectEveryTruncationFails(const std::string& full, DecodeFn decode,
                                size_t optional_tail = 0) {
  for (size_t n = 0; n + optional_tail < full.size(); ++n) {
    Reader r(std::string_view(full).substr(0, n));
    T v;
    decode(r, &v);
    EXPECT_FALSE(r.ok()) << "prefix of " << n << " of " << full.size() << " bytes decoded";
  }
}

// ---------------------------------------------------------------------------------------------
// Records: exact layouts
// ---------------------------------------------------------------------------------------------

zk::Stat SampleStat() {
  zk::Stat s;
  s.czxid = 0x0000000100000002LL;
  s.mzxid = 0x0000000100000003LL;
  s.ctime = 1700000000000LL;
  s.mtime = 1700000000123LL;
  s.version = 7;
  s.cversion = -2;
  s.aversion = 3;
  s.ephemeral_owner = 0x123456789abcdef0LL;
  s.data_length = 1024;
  s.num_children = 5;
  s.pzxid = 0x0000000100000004LL;
  return s;
}

TEST(JuteRecords, StatLayout) {
  std::string out = EncodeOf(SampleStat());
  ASSERT_EQ(out.size(), 68u);  // 6 longs + 5 ints
  EXPECT_EQ(Hex(out),
            "0000000100000002"    // czxid
            "0000000100000003"    // mzxid
            "0000018bcfe56800"    // ctime
            "0000018bcfe5687b"    // mtime
            "00000007"            // version
            "fffffffe"            // cversion
            "00000003"            // aversion
            "123456789abcdef0"    // ephemeralOwner
            "00000400"            // dataLength
            "00000005"            // numChildren
            "0000000100000004");  // pzxid
  Reader r(out);
  zk::Stat back;
  zk::Decode(r, &back);
  EXPECT_TRUE(r.AtEnd());
  EXPECT_EQ(back, SampleStat());
  ExpectEveryTruncationFails<zk::Stat>(out, [](Reader& rr, zk::Stat* v) { zk::Decode(rr, v); });
}

TEST(JuteRecords, HeadersLayout) {
  EXPECT_EQ(Hex(EncodeOf(zk::RequestHeader{-2, zk::kPing})), "fffffffe0000000b");
  EXPECT_EQ(Hex(EncodeOf(zk::ReplyHeader{-1, 0x1122334455667788LL, zk::kNoNode})),
            "ffffffff"
            "1122334455667788"
            "ffffff9b");
  EXPECT_EQ(Hex(EncodeOf(zk::MultiHeader{-1, true, -1})),
            "ffffffff"
            "01"
            "ffffffff");
  EXPECT_EQ(Hex(EncodeOf(zk::MultiHeader{zk::kCreate, false, 0})),
            "00000001"
            "00"
            "00000000");
  EXPECT_EQ(
      Hex(EncodeOf(zk::WatcherEvent{zk::kEventNodeDataChanged, zk::kStateSyncConnected, "/a"})),
      "00000003"
      "00000003"
      "00000002"
      "2f61");
}

TEST(JuteRecords, HeadersRoundTrip) {
  {
    std::string b = EncodeOf(zk::RequestHeader{0x7fffffff, zk::kCloseSession});
    Reader r(b);
    zk::RequestHeader h;
    zk::Decode(r, &h);
    EXPECT_TRUE(r.AtEnd());
    EXPECT_EQ(h.xid, 0x7fffffff);
    EXPECT_EQ(h.type, zk::kCloseSession);
    ExpectEveryTruncationFails<zk::RequestHeader>(
        b, [](Reader& rr, zk::RequestHeader* v) { zk::Decode(rr, v); });
  }
  {
    std::string b = EncodeOf(zk::ReplyHeader{zk::kXidSetWatches, -5, zk::kSessionExpired});
    Reader r(b);
    zk::ReplyHeader h;
    zk::Decode(r, &h);
    EXPECT_TRUE(r.AtEnd());
    EXPECT_EQ(h.xid, -8);
    EXPECT_EQ(h.zxid, -5);
    EXPECT_EQ(h.err, -112);
    ExpectEveryTruncationFails<zk::ReplyHeader>(
        b, [](Reader& rr, zk::ReplyHeader* v) { zk::Decode(rr, v); });
  }
  {
    std::string b = EncodeOf(zk::MultiHeader{zk::kSetData, false, zk::kBadVersion});
    Reader r(b);
    zk::MultiHeader h;
    zk::Decode(r, &h);
    EXPECT_TRUE(r.AtEnd());
    EXPECT_EQ(h.type, zk::kSetData);
    EXPECT_FALSE(h.done);
    EXPECT_EQ(h.err, zk::kBadVersion);
    ExpectEveryTruncationFails<zk::MultiHeader>(
        b, [](Reader& rr, zk::MultiHeader* v) { zk::Decode(rr, v); });
  }
  {
    std::string b = EncodeOf(zk::WatcherEvent{zk::kEventNodeDeleted, 3, "/x/y"});
    Reader r(b);
    zk::WatcherEvent e;
    zk::Decode(r, &e);
    EXPECT_TRUE(r.AtEnd());
    EXPECT_EQ(e.type, zk::kEventNodeDeleted);
    EXPECT_EQ(e.state, 3);
    EXPECT_EQ(e.path, "/x/y");
    ExpectEveryTruncationFails<zk::WatcherEvent>(
        b, [](Reader& rr, zk::WatcherEvent* v) { zk::Decode(rr, v); });
  }
}

TEST(JuteRecords, IdAclAndAclList) {
  zk::Acl a{zk::kPermRead | zk::kPermAdmin, zk::Id{"digest", "bob:hash="}};
  std::string b = EncodeOf(a);
  EXPECT_EQ(Hex(b),
            "00000011"
            "00000006"
            "646967657374"
            "00000009"
            "626f623a686173683d");
  Reader r(b);
  zk::Acl back;
  zk::Decode(r, &back);
  EXPECT_TRUE(r.AtEnd());
  EXPECT_EQ(back, a);

  zk::AclList list = {a, zk::Acl{zk::kPermAll, zk::Id{"world", "anyone"}},
                      zk::Acl{0, zk::Id{"ip", "10.0.0.0/8"}}};
  std::string lb = EncodeOf(list);
  EXPECT_EQ(Hex(lb.substr(0, 4)), "00000003");
  Reader lr(lb);
  zk::AclList lback = {zk::Acl{1, zk::Id{"stale", "entry"}}};  // decode replaces, never appends
  zk::Decode(lr, &lback);
  EXPECT_TRUE(lr.AtEnd());
  EXPECT_EQ(lback, list);
  EXPECT_EQ(EncodeOf(lback), lb);
  ExpectEveryTruncationFails<zk::AclList>(lb,
                                          [](Reader& rr, zk::AclList* v) { zk::Decode(rr, v); });

  // Empty and null lists both decode as empty; the encoder always writes a count.
  std::string empty = EncodeOf(zk::AclList{});
  EXPECT_EQ(Hex(empty), "00000000");
  std::string null_list = Bytes({0xff, 0xff, 0xff, 0xff});
  Reader nr(null_list);
  zk::AclList nl = list;
  zk::Decode(nr, &nl);
  EXPECT_TRUE(nr.AtEnd());
  EXPECT_TRUE(nl.empty());
}

TEST(JuteRecords, AclListCountBeyondFrameFailsWithoutAllocating) {
  std::string in;
  Writer w(&in);
  w.WriteInt(1000000000);
  Encode(w, zk::Acl{1, zk::Id{"world", "anyone"}});
  Reader r(in);
  zk::AclList v;
  zk::Decode(r, &v);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(v.empty());
}

TEST(JuteRecords, AclListElementShorterThanClaimedFails) {
  // Count 2 with room for two minimal entries (12 bytes each), but the first entry's id claims
  // more bytes than exist.
  std::string in;
  Writer w(&in);
  w.WriteInt(2);
  w.WriteInt(1);
  w.WriteString("world");
  w.WriteInt(100);
  in += std::string(20, 'a');
  Reader r(in);
  zk::AclList v;
  zk::Decode(r, &v);
  EXPECT_FALSE(r.ok());
}

TEST(JuteRecords, StringVector) {
  std::vector<std::string> v = {"/a", "", "/b/c"};
  std::string b = EncodeOf(v);
  EXPECT_EQ(Hex(b),
            "00000003"
            "000000022f61"
            "00000000"
            "000000042f622f63");
  Reader r(b);
  std::vector<std::string> back = {"stale"};
  zk::Decode(r, &back);
  EXPECT_TRUE(r.AtEnd());
  EXPECT_EQ(back, v);
  ExpectEveryTruncationFails<std::vector<std::string>>(
      b, [](Reader& rr, std::vector<std::string>* x) { zk::Decode(rr, x); });

  std::string null_vec = Bytes({0xff, 0xff, 0xff, 0xff});
  Reader nr(null_vec);
  std::vector<std::string> nv = {"x"};
  zk::Decode(nr, &nv);
  EXPECT_TRUE(nr.ok());
  EXPECT_TRUE(nv.empty());

  std::string too_many;
  Writer w(&too_many);
  w.WriteInt(3);
  w.WriteString("a");
  w.WriteString("b");  // 3 * 4 bytes minimum = 12 <= 10 left? no: fails up front
  Reader tr(too_many);
  std::vector<std::string> tv;
  zk::Decode(tr, &tv);
  EXPECT_FALSE(tr.ok());
}

// ---------------------------------------------------------------------------------------------
// Records: requests
// ---------------------------------------------------------------------------------------------

TEST(JuteRecords, PathWatchAndPathRequest) {
  zk::PathWatchRequest pw{"/some/path", true};
  std::string b = EncodeOf(pw);
  EXPECT_EQ(Hex(b),
            "0000000a"
            "2f736f6d652f70617468"
            "01");
  Reader r(b);
  zk::PathWatchRequest back;
  zk::Decode(r, &back);
  EXPECT_TRUE(r.AtEnd());
  EXPECT_EQ(back.path, "/some/path");
  EXPECT_TRUE(back.watch);
  ExpectEveryTruncationFails<zk::PathWatchRequest>(
      b, [](Reader& rr, zk::PathWatchRequest* v) { zk::Decode(rr, v); });

  std::string pb = EncodeOf(zk::PathRequest{"/p"});
  EXPECT_EQ(Hex(pb), "000000022f70");
  Reader pr(pb);
  zk::PathRequest pback;
  zk::Decode(pr, &pback);
  EXPECT_TRUE(pr.AtEnd());
  EXPECT_EQ(pback.path, "/p");
}

zk::CreateRequest SampleCreate() {
  zk::CreateRequest c;
  c.path = "/app/lock-";
  c.data = std::string("bin\0ary", 7);
  c.acl = {zk::Acl{zk::kPermAll, zk::Id{"world", "anyone"}},
           zk::Acl{zk::kPermRead, zk::Id{"digest", "u:h"}}};
  c.flags = zk::kEphemeralSequential;
  return c;
}

void ExpectSameCreate(const zk::CreateRequest& a, const zk::CreateRequest& b) {
  EXPECT_EQ(a.path, b.path);
  EXPECT_EQ(a.data, b.data);
  EXPECT_EQ(a.data_null, b.data_null);
  EXPECT_EQ(a.acl, b.acl);
  EXPECT_EQ(a.flags, b.flags);
  EXPECT_EQ(a.ttl, b.ttl);
}

TEST(JuteRecords, CreateRequestRoundTrip) {
  zk::CreateRequest c = SampleCreate();
  std::string b;
  Writer w(&b);
  zk::Encode(w, c, /*has_ttl=*/false);
  Reader r(b);
  zk::CreateRequest back;
  back.ttl = 99;  // reset by decode
  zk::Decode(r, &back, false);
  EXPECT_TRUE(r.AtEnd());
  ExpectSameCreate(back, c);
  EXPECT_EQ(back.ttl, -1);
  std::string again;
  Writer w2(&again);
  zk::Encode(w2, back, false);
  EXPECT_EQ(again, b);
  ExpectEveryTruncationFails<zk::CreateRequest>(
      b, [](Reader& rr, zk::CreateRequest* v) { zk::Decode(rr, v, false); });
}

TEST(JuteRecords, CreateRequestNullDataIsPreserved) {
  zk::CreateRequest c = SampleCreate();
  c.data.clear();
  c.data_null = true;
  std::string b;
  Writer w(&b);
  zk::Encode(w, c, false);
  // path, then -1 for the data.
  EXPECT_EQ(Hex(b.substr(4 + c.path.size(), 4)), "ffffffff");
  Reader r(b);
  zk::CreateRequest back;
  zk::Decode(r, &back, false);
  EXPECT_TRUE(r.AtEnd());
  EXPECT_TRUE(back.data_null);
  EXPECT_EQ(back.data, "");
  std::string again;
  Writer w2(&again);
  zk::Encode(w2, back, false);
  EXPECT_EQ(again, b);

  // Empty (non-null) data stays distinct from null.
  c.data_null = false;
  std::string e;
  Writer we(&e);
  zk::Encode(we, c, false);
  Reader er(e);
  zk::CreateRequest eback;
  zk::Decode(er, &eback, false);
  EXPECT_FALSE(eback.data_null);
}

TEST(JuteRecords, CreateTtlRequestRoundTrip) {
  zk::CreateRequest c = SampleCreate();
  c.flags = zk::kPersistentSequentialWithTtl;
  c.ttl = 0x000000FFFFFFFFFFLL;
  std::string b;
  Writer w(&b);
  zk::Encode(w, c, /*has_ttl=*/true);
  EXPECT_EQ(Hex(b.substr(b.size() - 12)),
            "00000006"
            "000000ffffffffff");
  Reader r(b);
  zk::CreateRequest back;
  zk::Decode(r, &back, true);
  EXPECT_TRUE(r.AtEnd());
  ExpectSameCreate(back, c);
  std::string again;
  Writer w2(&again);
  zk::Encode(w2, back, true);
  EXPECT_EQ(again, b);
  ExpectEveryTruncationFails<zk::CreateRequest>(
      b, [](Reader& rr, zk::CreateRequest* v) { zk::Decode(rr, v, true); });

  // Decoding a CreateTTLRequest as a CreateRequest leaves the ttl unread.
  Reader short_r(b);
  zk::CreateRequest no_ttl;
  zk::Decode(short_r, &no_ttl, false);
  EXPECT_TRUE(short_r.ok());
  EXPECT_EQ(short_r.remaining(), 8u);
  EXPECT_EQ(no_ttl.ttl, -1);
}

TEST(JuteRecords, DeleteSetDataSetAclCheck) {
  {
    zk::DeleteRequest d{"/d", 12};
    std::string b = EncodeOf(d);
    EXPECT_EQ(Hex(b),
              "000000022f64"
              "0000000c");
    Reader r(b);
    zk::DeleteRequest back;
    zk::Decode(r, &back);
    EXPECT_TRUE(r.AtEnd());
    EXPECT_EQ(back.path, "/d");
    EXPECT_EQ(back.version, 12);
    ExpectEveryTruncationFails<zk::DeleteRequest>(
        b, [](Reader& rr, zk::DeleteRequest* v) { zk::Decode(rr, v); });
  }
  {
    zk::SetDataRequest s{"/s", "v", false, -1};
    std::string b = EncodeOf(s);
    EXPECT_EQ(Hex(b),
              "000000022f73"
              "0000000176"
              "ffffffff");
    Reader r(b);
    zk::SetDataRequest back;
    zk::Decode(r, &back);
    EXPECT_TRUE(r.AtEnd());
    EXPECT_EQ(back.path, "/s");
    EXPECT_EQ(back.data, "v");
    EXPECT_FALSE(back.data_null);
    EXPECT_EQ(back.version, -1);
    ExpectEveryTruncationFails<zk::SetDataRequest>(
        b, [](Reader& rr, zk::SetDataRequest* v) { zk::Decode(rr, v); });

    zk::SetDataRequest n{"/s", "", true, 4};
    std::string nb = EncodeOf(n);
    EXPECT_EQ(Hex(nb),
              "000000022f73"
              "ffffffff"
              "00000004");
    Reader nr(nb);
    zk::SetDataRequest nback;
    zk::Decode(nr, &nback);
    EXPECT_TRUE(nr.AtEnd());
    EXPECT_TRUE(nback.data_null);
    EXPECT_EQ(EncodeOf(nback), nb);
  }
  {
    zk::SetAclRequest s{"/a", {zk::Acl{zk::kPermRead, zk::Id{"world", "anyone"}}}, 3};
    std::string b = EncodeOf(s);
    Reader r(b);
    zk::SetAclRequest back;
    zk::Decode(r, &back);
    EXPECT_TRUE(r.AtEnd());
    EXPECT_EQ(back.path, "/a");
    EXPECT_EQ(back.acl, s.acl);
    EXPECT_EQ(back.version, 3);
    EXPECT_EQ(EncodeOf(back), b);
    ExpectEveryTruncationFails<zk::SetAclRequest>(
        b, [](Reader& rr, zk::SetAclRequest* v) { zk::Decode(rr, v); });
  }
  {
    zk::CheckVersionRequest c{"/c", INT32_MAX};
    std::string b = EncodeOf(c);
    EXPECT_EQ(Hex(b),
              "000000022f63"
              "7fffffff");
    Reader r(b);
    zk::CheckVersionRequest back;
    zk::Decode(r, &back);
    EXPECT_TRUE(r.AtEnd());
    EXPECT_EQ(back.path, "/c");
    EXPECT_EQ(back.version, INT32_MAX);
  }
}

TEST(JuteRecords, AuthPacket) {
  zk::AuthPacket a{0, "digest", "bob:secret"};
  std::string b = EncodeOf(a);
  EXPECT_EQ(Hex(b),
            "00000000"
            "00000006646967657374"
            "0000000a626f623a736563726574");
  Reader r(b);
  zk::AuthPacket back;
  zk::Decode(r, &back);
  EXPECT_TRUE(r.AtEnd());
  EXPECT_EQ(back.type, 0);
  EXPECT_EQ(back.scheme, "digest");
  EXPECT_EQ(back.auth, "bob:secret");
  ExpectEveryTruncationFails<zk::AuthPacket>(
      b, [](Reader& rr, zk::AuthPacket* v) { zk::Decode(rr, v); });
}

TEST(JuteRecords, SetWatchesV1AndV2) {
  zk::SetWatchesRequest s;
  s.relative_zxid = 0x42;
  s.data_watches = {"/d1", "/d2"};
  s.exist_watches = {"/e"};
  s.child_watches = {};
  s.persistent_watches = {"/p"};
  s.persistent_recursive_watches = {"/r1", "/r2", "/r3"};

  std::string v1;
  Writer w1(&v1);
  zk::Encode(w1, s, /*v2=*/false);
  Reader r1(v1);
  zk::SetWatchesRequest b1;
  b1.persistent_watches = {"untouched"};
  zk::Decode(r1, &b1, false);
  EXPECT_TRUE(r1.AtEnd());
  EXPECT_EQ(b1.relative_zxid, 0x42);
  EXPECT_EQ(b1.data_watches, s.data_watches);
  EXPECT_EQ(b1.exist_watches, s.exist_watches);
  EXPECT_EQ(b1.child_watches, s.child_watches);
  EXPECT_EQ(b1.persistent_watches, std::vector<std::string>{"untouched"});  // not in v1
  ExpectEveryTruncationFails<zk::SetWatchesRequest>(
      v1, [](Reader& rr, zk::SetWatchesRequest* v) { zk::Decode(rr, v, false); });

  std::string v2;
  Writer w2(&v2);
  zk::Encode(w2, s, /*v2=*/true);
  EXPECT_EQ(v2.substr(0, v1.size()), v1);  // v2 only appends two lists
  Reader r2(v2);
  zk::SetWatchesRequest b2;
  zk::Decode(r2, &b2, true);
  EXPECT_TRUE(r2.AtEnd());
  EXPECT_EQ(b2.persistent_watches, s.persistent_watches);
  EXPECT_EQ(b2.persistent_recursive_watches, s.persistent_recursive_watches);
  std::string again;
  Writer w3(&again);
  zk::Encode(w3, b2, true);
  EXPECT_EQ(again, v2);
  ExpectEveryTruncationFails<zk::SetWatchesRequest>(
      v2, [](Reader& rr, zk::SetWatchesRequest* v) { zk::Decode(rr, v, true); });
}

TEST(JuteRecords, WatchesAddWatchReconfig) {
  {
    std::string b = EncodeOf(zk::WatchesRequest{"/w", zk::kWatcherAny});
    EXPECT_EQ(Hex(b),
              "000000022f77"
              "00000003");
    Reader r(b);
    zk::WatchesRequest back;
    zk::Decode(r, &back);
    EXPECT_TRUE(r.AtEnd());
    EXPECT_EQ(back.path, "/w");
    EXPECT_EQ(back.type, zk::kWatcherAny);
  }
  {
    std::string b = EncodeOf(zk::AddWatchRequest{"/w", zk::kAddWatchPersistentRecursive});
    EXPECT_EQ(Hex(b),
              "000000022f77"
              "00000001");
    Reader r(b);
    zk::AddWatchRequest back;
    zk::Decode(r, &back);
    EXPECT_TRUE(r.AtEnd());
    EXPECT_EQ(back.path, "/w");
    EXPECT_EQ(back.mode, zk::kAddWatchPersistentRecursive);
  }
  {
    zk::ReconfigRequest rc{"server.4=h:1:2;3", "2,3", "", 0x100000005LL};
    std::string b = EncodeOf(rc);
    Reader r(b);
    zk::ReconfigRequest back;
    zk::Decode(r, &back);
    EXPECT_TRUE(r.AtEnd());
    EXPECT_EQ(back.joining_servers, rc.joining_servers);
    EXPECT_EQ(back.leaving_servers, rc.leaving_servers);
    EXPECT_EQ(back.new_members, "");
    EXPECT_EQ(back.cur_config_id, 0x100000005LL);
    EXPECT_EQ(EncodeOf(back), b);
    ExpectEveryTruncationFails<zk::ReconfigRequest>(
        b, [](Reader& rr, zk::ReconfigRequest* v) { zk::Decode(rr, v); });
  }
}

// ---------------------------------------------------------------------------------------------
// Connect records
// ---------------------------------------------------------------------------------------------

zk::ConnectRequest SampleConnect() {
  zk::ConnectRequest c;
  c.protocol_version = 0;
  c.last_zxid_seen = 0x500000007LL;
  c.timeout_ms = 30000;
  c.session_id = 0x0123456789abcdefLL;
  c.passwd = std::string(16, '\x5a');
  c.read_only = true;
  c.has_read_only = true;
  return c;
}

TEST(JuteRecords, ConnectRequestWithReadOnly) {
  zk::ConnectRequest c = SampleConnect();
  std::string b = EncodeOf(c);
  ASSERT_EQ(b.size(), 4u + 8 + 4 + 8 + 4 + 16 + 1);
  EXPECT_EQ(Hex(b.substr(0, 24)),
            "00000000"
            "0000000500000007"
            "00007530"
            "0123456789abcdef");
  EXPECT_EQ(b.back(), '\x01');
  Reader r(b);
  zk::ConnectRequest back;
  zk::Decode(r, &back);
  EXPECT_TRUE(r.AtEnd());
  EXPECT_EQ(back.protocol_version, 0);
  EXPECT_EQ(back.last_zxid_seen, 0x500000007LL);
  EXPECT_EQ(back.timeout_ms, 30000);
  EXPECT_EQ(back.session_id, 0x0123456789abcdefLL);
  EXPECT_EQ(back.passwd, c.passwd);
  EXPECT_TRUE(back.has_read_only);
  EXPECT_TRUE(back.read_only);
  EXPECT_EQ(EncodeOf(back), b);
}

TEST(JuteRecords, ConnectRequestWithoutReadOnlyFromOldClients) {
  zk::ConnectRequest c = SampleConnect();
  c.has_read_only = false;
  c.read_only = true;  // ignored: not encoded
  std::string b = EncodeOf(c);
  ASSERT_EQ(b.size(), 44u);
  Reader r(b);
  zk::ConnectRequest back;
  back.read_only = true;
  back.has_read_only = true;
  zk::Decode(r, &back);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.AtEnd());
  EXPECT_FALSE(back.has_read_only);
  EXPECT_FALSE(back.read_only);
  EXPECT_EQ(EncodeOf(back), b);
}

TEST(JuteRecords, ConnectRequestTruncationsFail) {
  std::string b = EncodeOf(SampleConnect());
  // Every prefix shorter than the mandatory part fails; only the trailing flag is optional.
  ExpectEveryTruncationFails<zk::ConnectRequest>(
      b, [](Reader& rr, zk::ConnectRequest* v) { zk::Decode(rr, v); }, /*optional_tail=*/1);
}

TEST(JuteRecords, ConnectRequestWithBadPasswdLengthFails) {
  std::string b;
  Writer w(&b);
  w.WriteInt(0);
  w.WriteLong(0);
  w.WriteInt(30000);
  w.WriteLong(0);
  w.WriteInt(-7);
  Reader r(b);
  zk::ConnectRequest c;
  zk::Decode(r, &c);
  EXPECT_FALSE(r.ok());
}

TEST(JuteRecords, ConnectResponse) {
  zk::ConnectResponse c;
  c.protocol_version = 0;
  c.timeout_ms = 4000;
  c.session_id = -2;
  c.passwd = std::string("0123456789abcdef");
  c.read_only = false;
  std::string b = EncodeOf(c);
  ASSERT_EQ(b.size(), 4u + 4 + 8 + 4 + 16 + 1);  // readOnly is always written
  EXPECT_EQ(Hex(b.substr(0, 20)),
            "00000000"
            "00000fa0"
            "fffffffffffffffe"
            "00000010");
  EXPECT_EQ(b.back(), '\0');
  Reader r(b);
  zk::ConnectResponse back;
  zk::Decode(r, &back);
  EXPECT_TRUE(r.AtEnd());
  EXPECT_EQ(back.timeout_ms, 4000);
  EXPECT_EQ(back.session_id, -2);
  EXPECT_EQ(back.passwd, c.passwd);
  EXPECT_FALSE(back.read_only);
  EXPECT_EQ(EncodeOf(back), b);

  c.read_only = true;
  std::string ro = EncodeOf(c);
  Reader rr(ro);
  zk::ConnectResponse roback;
  zk::Decode(rr, &roback);
  EXPECT_TRUE(roback.read_only);

  // A response without the flag (old server) still decodes.
  Reader old(std::string_view(b).substr(0, b.size() - 1));
  zk::ConnectResponse oback;
  oback.read_only = true;
  zk::Decode(old, &oback);
  EXPECT_TRUE(old.AtEnd());
  EXPECT_FALSE(oback.read_only);
}

// ---------------------------------------------------------------------------------------------
// Codes
// ---------------------------------------------------------------------------------------------

TEST(ZkCodes, ValuesMatchZooKeeper) {
  // Spot checks of the facts in ZK-COMPAT.md.
  EXPECT_EQ(zk::kCreate2, 15);
  EXPECT_EQ(zk::kCreateTtl, 21);
  EXPECT_EQ(zk::kMultiRead, 22);
  EXPECT_EQ(zk::kAddWatch, 106);
  EXPECT_EQ(zk::kWhoAmI, 107);
  EXPECT_EQ(zk::kCloseSession, -11);
  EXPECT_EQ(zk::kNoNode, -101);
  EXPECT_EQ(zk::kNodeExists, -110);
  EXPECT_EQ(zk::kThrottledOp, -127);
  EXPECT_EQ(zk::kContainerEphemeralOwner, INT64_MIN);
  EXPECT_STREQ(zk::ErrName(zk::kNoChildrenForEphemerals), "NOCHILDRENFOREPHEMERALS");
  EXPECT_STREQ(zk::ErrName(12345), "UNKNOWN");
  EXPECT_STREQ(zk::OpName(zk::kGetAllChildrenNumber), "getAllChildrenNumber");
  EXPECT_STREQ(zk::OpName(-99), "unknown");
  EXPECT_TRUE(zk::IsWriteOp(zk::kMulti));
  EXPECT_TRUE(zk::IsWriteOp(zk::kCheck));
  EXPECT_FALSE(zk::IsWriteOp(zk::kMultiRead));
  EXPECT_FALSE(zk::IsWriteOp(zk::kGetData));
  EXPECT_FALSE(zk::IsWriteOp(zk::kSync));
}

}  // namespace
}  // namespace corral
