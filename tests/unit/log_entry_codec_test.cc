// storage/log_entry_codec.h writes the bytes of proto::LogEntry by hand: they must be exactly
// what the generated serializer writes, and whatever a protobuf parser accepts must decode the
// same way.
#include "storage/log_entry_codec.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "proto/log.pb.h"

namespace corral::storage {
namespace {

proto::LogEntry AsProto(const Txn& txn) {
  proto::LogEntry p;
  p.set_zxid(txn.zxid);
  p.set_session_id(txn.session_id);
  p.set_xid(txn.xid);
  p.set_time_ms(txn.time_ms);
  p.set_type(txn.type);
  p.set_request(*txn.request);
  for (const zk::Id& id : *txn.identities) {
    proto::Identity* i = p.add_identities();
    i->set_scheme(id.scheme);
    i->set_id(id.id);
  }
  return p;
}

void ExpectSame(const Txn& a, const Txn& b) {
  EXPECT_EQ(a.zxid, b.zxid);
  EXPECT_EQ(a.session_id, b.session_id);
  EXPECT_EQ(a.xid, b.xid);
  EXPECT_EQ(a.time_ms, b.time_ms);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(*a.request, *b.request);
  EXPECT_EQ(*a.identities, *b.identities);
}

std::string RandomBytes(std::mt19937_64& rng, size_t max_size) {
  std::string s(rng() % (max_size + 1), '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

int64_t RandomInt(std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0:
      return 0;
    case 1:
      return static_cast<int64_t>(rng() % 300);
    case 2:
      return -static_cast<int64_t>(rng() % 300);
    default:
      return static_cast<int64_t>(rng());
  }
}

Txn RandomTxn(std::mt19937_64& rng) {
  Txn t;
  t.zxid = RandomInt(rng);
  t.session_id = RandomInt(rng);
  t.xid = static_cast<int32_t>(RandomInt(rng));
  t.time_ms = RandomInt(rng);
  t.type = static_cast<int32_t>(RandomInt(rng));
  t.request = RandomBytes(rng, rng() % 2 ? 20 : 400);
  std::vector<zk::Id> ids;
  for (size_t n = rng() % 4; n > 0; --n) ids.push_back({RandomBytes(rng, 10), RandomBytes(rng, 200)});
  t.identities = std::move(ids);
  return t;
}

TEST(LogEntryCodec, BytesAreThoseOfTheGeneratedSerializer) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    Txn t = RandomTxn(rng);
    std::string ours = "prefix";  // appends, never overwrites
    AppendLogEntryBytes(t, &ours);
    ASSERT_EQ(ours.substr(0, 6), "prefix");
    ASSERT_EQ(ours.substr(6), AsProto(t).SerializeAsString()) << "txn " << i;
    ASSERT_EQ(LogEntryBytesSize(t), ours.size() - 6);
    Txn back;
    ASSERT_TRUE(ParseLogEntryBytes(std::string_view(ours).substr(6), &back));
    ExpectSame(t, back);
  }
}

TEST(LogEntryCodec, ExtremesAndDefaultsRoundTrip) {
  Txn t;
  t.zxid = std::numeric_limits<int64_t>::max();
  t.session_id = std::numeric_limits<int64_t>::min();
  t.xid = std::numeric_limits<int32_t>::min();
  t.time_ms = -1;
  t.type = kTxnEpochStart;
  std::string bytes;
  AppendLogEntryBytes(t, &bytes);
  EXPECT_EQ(bytes, AsProto(t).SerializeAsString());
  Txn back;
  ASSERT_TRUE(ParseLogEntryBytes(bytes, &back));
  ExpectSame(t, back);

  std::string empty;
  AppendLogEntryBytes(Txn(), &empty);
  EXPECT_TRUE(empty.empty()) << "proto3 leaves every default out";
  ASSERT_TRUE(ParseLogEntryBytes("", &back));
  ExpectSame(Txn(), back);
}

TEST(LogEntryCodec, AcceptsWhatProtobufAcceptsUnknownFieldsAndAnyOrder) {
  // Written by the generated class with fields it does not know (as a newer version might
  // send), in a different order, and a field repeated (the last one wins in protobuf).
  proto::LogEntry p;
  p.set_request("req");
  p.set_zxid(5);
  std::string bytes = p.SerializeAsString();
  bytes += std::string("\x08\x09", 2);                  // zxid again: 9
  bytes += std::string("\xa0\x06\x2a", 3);              // field 100, varint 42
  bytes += std::string("\xaa\x06\x03" "abc", 6);        // field 101, 3 bytes
  bytes += std::string("\xb1\x06" "12345678", 10);      // field 102, fixed64
  bytes += std::string("\xbd\x06" "1234", 6);           // field 103, fixed32
  bytes += std::string("\x3a\x07\x0a\x02ip\x12\x01x", 9);  // an identity
  proto::LogEntry reference;
  ASSERT_TRUE(reference.ParseFromString(bytes));
  Txn t;
  ASSERT_TRUE(ParseLogEntryBytes(bytes, &t));
  EXPECT_EQ(t.zxid, 9);
  EXPECT_EQ(t.zxid, reference.zxid());
  EXPECT_EQ(*t.request, "req");
  ASSERT_EQ(t.identities->size(), 1u);
  EXPECT_EQ((*t.identities)[0], (zk::Id{"ip", "x"}));
}

TEST(LogEntryCodec, RefusesMalformedBytes) {
  Txn t;
  t.zxid = 1;
  t.request = std::string(50, 'r');
  t.identities = std::vector<zk::Id>{{"digest", "bob:hash"}};
  std::string good;
  AppendLogEntryBytes(t, &good);
  Txn back;
  // Every proper prefix that cuts a field short is refused (the protobuf parser agrees).
  for (size_t n = 1; n < good.size(); ++n) {
    proto::LogEntry reference;
    const bool proto_ok = reference.ParseFromArray(good.data(), static_cast<int>(n));
    EXPECT_EQ(ParseLogEntryBytes(std::string_view(good).substr(0, n), &back), proto_ok)
        << "prefix of " << n << " bytes";
  }
  EXPECT_FALSE(ParseLogEntryBytes(std::string("\x08", 1), &back)) << "varint cut short";
  EXPECT_FALSE(ParseLogEntryBytes(std::string(11, '\xff'), &back)) << "varint of 11 bytes";
  EXPECT_FALSE(ParseLogEntryBytes(std::string("\x00\x01", 2), &back)) << "field number 0";
  EXPECT_FALSE(ParseLogEntryBytes(std::string("\x0b\x0c", 2), &back)) << "a group";
  EXPECT_FALSE(ParseLogEntryBytes(std::string("\x32\x7f" "abc", 5), &back))
      << "a length past the end";
}

}  // namespace
}  // namespace corral::storage
