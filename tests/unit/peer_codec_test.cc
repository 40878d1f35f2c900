// The peer wire format: every message type round-trips field for field, and every kind of bad
// input is refused with a Status that says what is wrong.
#include "runtime/peer_codec.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "base/crc32c.h"
#include "proto/peer.pb.h"

namespace corral {
namespace {

using consensus::Message;
using consensus::MessageType;

constexpr uint64_t kEnsemble = 0x0123456789abcdefULL;

const MessageType kAllTypes[] = {
    MessageType::kVoteRequest,   MessageType::kVoteReply,  MessageType::kAppend,
    MessageType::kAppendReply,   MessageType::kSnapshot,   MessageType::kForward,
    MessageType::kSyncRequest,   MessageType::kSyncReply,  MessageType::kSessionTouch,
    MessageType::kForwardBroken, MessageType::kTimeoutNow,
};

// Bytes that are not valid UTF-8 and contain NULs: ZooKeeper strings and data may be anything.
std::string Binary(const std::string& tag) { return tag + std::string("\0\xff\xfe\x80", 4) + tag; }

Txn SomeTxn(int64_t zxid) {
  Txn txn;
  txn.zxid = zxid;
  txn.session_id = 0x7000000000000001LL + zxid;
  txn.xid = -2;  // negative xids exist (pings, watches)
  txn.time_ms = 1700000000123;
  txn.type = kTxnEpochStart;
  txn.request = Binary("request" + std::to_string(zxid));
  txn.identities = {zk::Id{"digest", Binary("user:hash")}, zk::Id{"ip", "10.0.0.1"}};
  return txn;
}

// Every field set to a value different from its default, whatever the type: the codec carries
// all fields for every type, and this proves none is lost or swapped.
Message FullMessage(MessageType type) {
  Message m;
  m.type = type;
  m.from = 3;
  m.to = 1000000000007LL;
  m.epoch = 0x7fffffff;
  m.pre_vote = true;
  m.last_zxid = consensus::MakeZxid(5, 17);
  m.granted = true;
  m.prev_zxid = consensus::MakeZxid(5, 16);
  m.entries = {SomeTxn(consensus::MakeZxid(5, 17)), SomeTxn(consensus::MakeZxid(5, 18))};
  m.entries[1].identities = {};
  m.entries[1].request = {};
  m.commit_zxid = consensus::MakeZxid(5, 15);
  m.success = true;
  m.match_zxid = consensus::MakeZxid(4, 99);
  m.snapshot_zxid = consensus::MakeZxid(4, 1);
  m.snapshot = Binary("snapshot bytes");
  m.request_id = -42;
  m.zxid = INT64_MAX;
  m.sessions = {1, -1, INT64_MIN, INT64_MAX};
  m.transfer = true;
  m.snapshot_voters = {1, 2, 5};
  m.snapshot_observers = {7};
  return m;
}

void ExpectSameTxn(const Txn& a, const Txn& b) {
  EXPECT_EQ(a.zxid, b.zxid);
  EXPECT_EQ(a.session_id, b.session_id);
  EXPECT_EQ(a.xid, b.xid);
  EXPECT_EQ(a.time_ms, b.time_ms);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.request, b.request);
  EXPECT_EQ(a.identities, b.identities);
}

void ExpectSameMessage(const Message& a, const Message& b) {
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.from, b.from);
  EXPECT_EQ(a.to, b.to);
  EXPECT_EQ(a.epoch, b.epoch);
  EXPECT_EQ(a.pre_vote, b.pre_vote);
  EXPECT_EQ(a.last_zxid, b.last_zxid);
  EXPECT_EQ(a.granted, b.granted);
  EXPECT_EQ(a.prev_zxid, b.prev_zxid);
  ASSERT_EQ(a.entries.size(), b.entries.size());
  for (size_t i = 0; i < a.entries.size(); ++i) ExpectSameTxn(a.entries[i], b.entries[i]);
  EXPECT_EQ(a.commit_zxid, b.commit_zxid);
  EXPECT_EQ(a.success, b.success);
  EXPECT_EQ(a.match_zxid, b.match_zxid);
  EXPECT_EQ(a.snapshot_zxid, b.snapshot_zxid);
  EXPECT_EQ(a.snapshot, b.snapshot);
  EXPECT_EQ(a.request_id, b.request_id);
  EXPECT_EQ(a.zxid, b.zxid);
  EXPECT_EQ(a.sessions, b.sessions);
  EXPECT_EQ(a.transfer, b.transfer);
  EXPECT_EQ(a.snapshot_voters, b.snapshot_voters);
  EXPECT_EQ(a.snapshot_observers, b.snapshot_observers);
}

std::string MustEncode(const Message& m, const PeerFrameLimits& limits = {}) {
  StatusOr<std::string> frame = EncodeMessageFrame(kEnsemble, m, limits);
  EXPECT_TRUE(frame.ok()) << frame.status().ToString();
  return frame.ok() ? frame.value() : std::string();
}

Message MustDecodeMessage(const std::string& frame, const PeerFrameLimits& limits = {}) {
  StatusOr<DecodedPeerFrame> decoded = DecodePeerFrame(frame, kEnsemble, limits);
  EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
  if (!decoded.ok()) return Message();
  EXPECT_TRUE(std::holds_alternative<Message>(*decoded));
  return std::holds_alternative<Message>(*decoded) ? std::get<Message>(*decoded) : Message();
}

// The error a frame decodes to; fails the test when it decodes.
Status DecodeError(const std::string& frame, uint64_t ensemble = kEnsemble,
                   const PeerFrameLimits& limits = {}) {
  StatusOr<DecodedPeerFrame> decoded = DecodePeerFrame(frame, ensemble, limits);
  EXPECT_FALSE(decoded.ok()) << "decoded, but should not have";
  return decoded.ok() ? Status::Ok() : decoded.status();
}

#define EXPECT_MESSAGE_HAS(status, needle) \
  EXPECT_NE((status).message().find(needle), std::string::npos) << (status).ToString()

// A frame around any payload, with a correct header, to test what comes after the CRC.
std::string FrameOf(const std::string& payload) {
  std::string out(8, '\0');
  auto put = [&out](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) out[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
  };
  put(0, static_cast<uint32_t>(payload.size()));
  put(4, crc32c::Mask(crc32c::Value(payload)));
  return out + payload;
}

std::string FrameOf(const peer::PeerFrame& frame) { return FrameOf(frame.SerializeAsString()); }

peer::PeerFrame ValidProtoFrame() {
  peer::PeerFrame frame;
  frame.set_ensemble_id(kEnsemble);
  frame.set_protocol_version(kPeerProtocolVersion);
  frame.mutable_message()->set_type(peer::MESSAGE_TYPE_APPEND);
  frame.mutable_message()->set_from_id(1);
  frame.mutable_message()->set_to_id(2);
  return frame;
}

// --- Round trips. ---

TEST(PeerCodec, EveryMessageTypeRoundTripsEveryField) {
  for (MessageType type : kAllTypes) {
    SCOPED_TRACE(consensus::MessageTypeName(type));
    Message sent = FullMessage(type);
    ExpectSameMessage(MustDecodeMessage(MustEncode(sent)), sent);
  }
}

TEST(PeerCodec, DefaultMessageRoundTrips) {
  for (MessageType type : kAllTypes) {
    Message sent;
    sent.type = type;
    ExpectSameMessage(MustDecodeMessage(MustEncode(sent)), sent);
  }
}

TEST(PeerCodec, HelloRoundTrips) {
  // The longest host name DNS allows still fits the Hello's limit.
  const std::string host = std::string(253, 'h');
  std::string frame = EncodeHelloFrame(kEnsemble, PeerHello{2, 3, host, 2888});
  StatusOr<DecodedPeerFrame> decoded = DecodePeerFrame(frame, kEnsemble, {});
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_TRUE(std::holds_alternative<PeerHello>(*decoded));
  EXPECT_EQ(std::get<PeerHello>(*decoded).from, 2);
  EXPECT_EQ(std::get<PeerHello>(*decoded).to, 3);
  EXPECT_EQ(std::get<PeerHello>(*decoded).quorum_host, host);
  EXPECT_EQ(std::get<PeerHello>(*decoded).quorum_port, 2888);
  EXPECT_LE(frame.size(), 8u + PeerFrameLimits().hello_bytes_max);
}

TEST(PeerCodec, HeaderIsLittleEndianLengthThenMaskedCrc) {
  std::string frame = MustEncode(FullMessage(MessageType::kAppend));
  std::string_view payload = std::string_view(frame).substr(8);
  uint32_t length = 0;
  uint32_t crc = 0;
  for (int i = 0; i < 4; ++i) {
    length |= static_cast<uint32_t>(static_cast<uint8_t>(frame[i])) << (8 * i);
    crc |= static_cast<uint32_t>(static_cast<uint8_t>(frame[4 + i])) << (8 * i);
  }
  EXPECT_EQ(length, payload.size());
  EXPECT_EQ(crc, crc32c::Mask(crc32c::Value(payload)));
  peer::PeerFrame parsed;
  ASSERT_TRUE(parsed.ParseFromArray(payload.data(), static_cast<int>(payload.size())));
  EXPECT_EQ(parsed.ensemble_id(), kEnsemble);  // every frame carries both, not only the Hello
  EXPECT_EQ(parsed.protocol_version(), kPeerProtocolVersion);
}

TEST(PeerCodec, LargeSnapshotRoundTrips) {
  Message sent = FullMessage(MessageType::kSnapshot);
  sent.snapshot.assign(10 << 20, 'x');
  sent.snapshot[12345] = '\0';
  ExpectSameMessage(MustDecodeMessage(MustEncode(sent)), sent);
}

TEST(PeerCodec, SnapshotMayExceedTheMessageLimitButNotItsOwn) {
  PeerFrameLimits limits;
  limits.message_bytes_max = 1000;
  limits.snapshot_bytes_max = 5000;
  Message snapshot = FullMessage(MessageType::kSnapshot);
  snapshot.snapshot.assign(3000, 's');
  ExpectSameMessage(MustDecodeMessage(MustEncode(snapshot, limits), limits), snapshot);

  snapshot.snapshot.assign(6000, 's');
  StatusOr<std::string> too_big = EncodeMessageFrame(kEnsemble, snapshot, limits);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.status().code(), Status::Code::kResourceExhausted);
  EXPECT_MESSAGE_HAS(too_big.status(), "Snapshot");
}

// --- Limits. ---

TEST(PeerCodec, EncodeRefusesAMessageOverItsLimit) {
  PeerFrameLimits limits;
  limits.message_bytes_max = 1000;
  Message append = FullMessage(MessageType::kAppend);
  append.entries[0].request = std::string(2000, 'r');
  StatusOr<std::string> frame = EncodeMessageFrame(kEnsemble, append, limits);
  ASSERT_FALSE(frame.ok());
  EXPECT_EQ(frame.status().code(), Status::Code::kResourceExhausted);
  EXPECT_MESSAGE_HAS(frame.status(), "Append");
  EXPECT_MESSAGE_HAS(frame.status(), "1000");
}

TEST(PeerCodec, DecodeRefusesANonSnapshotOverTheMessageLimit) {
  // A sender with larger limits (or a hostile one) sent it; the receiver's own limit applies.
  Message append = FullMessage(MessageType::kAppend);
  append.entries[0].request = std::string(2000, 'r');
  std::string frame = MustEncode(append);
  PeerFrameLimits limits;
  limits.message_bytes_max = 1000;
  Status error = DecodeError(frame, kEnsemble, limits);
  EXPECT_EQ(error.code(), Status::Code::kInvalidArgument);
  EXPECT_MESSAGE_HAS(error, "exceeds its limit of 1000");
}

TEST(PeerCodec, LimitsFollowJuteMaxBuffer) {
  EXPECT_EQ(PeerFrameLimitsFor(1048575).message_bytes_max, 64u << 20);  // the floor
  EXPECT_EQ(PeerFrameLimitsFor(64 << 20).message_bytes_max, (256u << 20) + (1u << 20));
  EXPECT_EQ(PeerFrameLimitsFor(INT32_MAX).message_bytes_max, 1u << 30);  // the cap
  EXPECT_EQ(PeerFrameLimitsFor(1048575).snapshot_bytes_max, 1u << 30);
}

// --- Rejections: each a Status naming the problem. ---

TEST(PeerCodec, ZeroLengthIsRefused) {
  Status error = DecodeError(std::string(8, '\0'));
  EXPECT_MESSAGE_HAS(error, "frame length 0");
}

TEST(PeerCodec, LengthOverTheLimitIsRefusedFromTheHeaderAlone) {
  std::string header = "\xff\xff\xff\x7f" + std::string(4, '\0');
  StatusOr<PeerFrameHeader> decoded = DecodePeerFrameHeader(header, 4096);
  ASSERT_FALSE(decoded.ok());
  EXPECT_MESSAGE_HAS(decoded.status(), "frame length 2147483647 is outside 1..4096");
  // Exactly at the limit is fine.
  std::string at_limit = std::string("\x00\x10\x00\x00", 4) + std::string(4, '\0');
  EXPECT_TRUE(DecodePeerFrameHeader(at_limit, 4096).ok());
}

TEST(PeerCodec, AnHttpRequestIsRefusedBeforeTheHelloByItsLength) {
  // What a stray client, health check or port scanner is likely to send: "GET " read as a
  // length is 542 MB, far over what a connection may send before its Hello.
  std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  StatusOr<PeerFrameHeader> header =
      DecodePeerFrameHeader(request.substr(0, 8), PeerFrameLimits().hello_bytes_max);
  ASSERT_FALSE(header.ok());
  EXPECT_MESSAGE_HAS(header.status(), "not a Corral peer frame");
}

TEST(PeerCodec, ChecksumMismatchIsCorruption) {
  std::string frame = MustEncode(FullMessage(MessageType::kAppend));
  frame[frame.size() / 2] ^= 0x01;
  Status error = DecodeError(frame);
  EXPECT_EQ(error.code(), Status::Code::kCorruption);
  EXPECT_MESSAGE_HAS(error, "checksum mismatch");
}

TEST(PeerCodec, EverySingleBitFlipIsCaught) {
  std::string frame = MustEncode(FullMessage(MessageType::kVoteRequest));
  for (size_t i = 0; i < frame.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = frame;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      EXPECT_FALSE(DecodePeerFrame(bad, kEnsemble, {}).ok()) << "byte " << i << " bit " << bit;
    }
  }
}

TEST(PeerCodec, GarbageWithAValidChecksumDoesNotParse) {
  Status error = DecodeError(FrameOf(std::string("\xff\xff\xff\xff\xff", 5)));
  EXPECT_EQ(error.code(), Status::Code::kCorruption);
  EXPECT_MESSAGE_HAS(error, "does not parse");
}

TEST(PeerCodec, WrongEnsembleIsRefused) {
  std::string frame = MustEncode(FullMessage(MessageType::kAppend));
  Status error = DecodeError(frame, kEnsemble + 1);
  EXPECT_EQ(error.code(), Status::Code::kInvalidArgument);
  EXPECT_MESSAGE_HAS(error, "peer belongs to ensemble 0x0123456789abcdef");
  EXPECT_MESSAGE_HAS(error, "this member to 0x0123456789abcdf0");
  // The Hello too.
  Status hello_error = DecodeError(EncodeHelloFrame(kEnsemble, PeerHello{1, 2, "", 0}), 7);
  EXPECT_MESSAGE_HAS(hello_error, "ensemble");
}

TEST(PeerCodec, WrongProtocolVersionIsRefused) {
  peer::PeerFrame frame = ValidProtoFrame();
  frame.set_protocol_version(kPeerProtocolVersion + 1);
  Status error = DecodeError(FrameOf(frame));
  EXPECT_EQ(error.code(), Status::Code::kInvalidArgument);
  EXPECT_MESSAGE_HAS(error, "protocol version 2, this member speaks 1");
  frame.clear_protocol_version();  // version 0: a frame from something that is not Corral
  EXPECT_MESSAGE_HAS(DecodeError(FrameOf(frame)), "protocol version 0");
}

TEST(PeerCodec, FrameWithoutABodyIsRefused) {
  peer::PeerFrame frame = ValidProtoFrame();
  frame.clear_message();
  EXPECT_MESSAGE_HAS(DecodeError(FrameOf(frame)), "neither Hello nor message");
}

TEST(PeerCodec, UnknownMessageTypesAreRefused) {
  for (int type : {0, 12, 99, -1}) {
    peer::PeerFrame frame = ValidProtoFrame();
    frame.mutable_message()->set_type(static_cast<peer::MessageType>(type));
    EXPECT_MESSAGE_HAS(DecodeError(FrameOf(frame)), "unknown type " + std::to_string(type));
  }
}

TEST(PeerCodec, UnknownFieldsFromANewerSenderAreIgnored) {
  // proto3 keeps what it does not know; a compatible addition must not break older members.
  std::string payload = ValidProtoFrame().SerializeAsString();
  payload.append("\xf8\x06\x01", 3);  // field 111, varint 1
  EXPECT_TRUE(DecodePeerFrame(FrameOf(payload), kEnsemble, {}).ok());
}

TEST(PeerCodec, TruncatedAndOverlongFramesAreRefused) {
  std::string frame = MustEncode(FullMessage(MessageType::kAppend));
  EXPECT_MESSAGE_HAS(DecodeError(frame.substr(0, 5)), "shorter than its 8-byte header");
  EXPECT_MESSAGE_HAS(DecodeError(frame.substr(0, frame.size() - 1)), "follow");
  EXPECT_MESSAGE_HAS(DecodeError(frame + "x"), "follow");
}

TEST(PeerCodec, RandomBytesNeverCrash) {
  std::mt19937_64 random(20240601);
  PeerFrameLimits limits;
  limits.snapshot_bytes_max = 1 << 16;
  int decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    size_t size = random() % 64;
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    // Half of them get a correct header, so the protobuf parser sees them too.
    if (i % 2 == 0) bytes = FrameOf(bytes);
    decoded += DecodePeerFrame(bytes, kEnsemble, limits).ok() ? 1 : 0;
  }
  EXPECT_EQ(decoded, 0);  // none carries the ensemble id by chance
}

}  // namespace
}  // namespace corral
