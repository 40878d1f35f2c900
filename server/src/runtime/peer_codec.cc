#include "runtime/peer_codec.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "base/crc32c.h"
#include "base/varint.h"
#include "proto/peer.pb.h"
#include "storage/log_entry_codec.h"

namespace corral {
namespace {

using consensus::Message;
using consensus::MessageType;

void PutFixed32(char* dst, uint32_t value) {
  for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

uint32_t GetFixed32(const char* src) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i)
    value |= static_cast<uint32_t>(static_cast<uint8_t>(src[i])) << (8 * i);
  return value;
}

uint32_t LimitFor(const peer::PeerFrame& frame, const PeerFrameLimits& limits) {
  if (frame.has_hello()) return limits.hello_bytes_max;
  if (frame.has_message() && frame.message().type() == peer::MESSAGE_TYPE_SNAPSHOT) {
    return limits.snapshot_bytes_max;
  }
  return limits.message_bytes_max;
}

// Wire tags (field number << 3 | wire type) of the fields EncodeMessageFrame writes by hand.
constexpr uint8_t kFrameEnsembleIdTag = 1 << 3 | 1;       // PeerFrame.ensemble_id, fixed64
constexpr uint8_t kFrameProtocolVersionTag = 2 << 3 | 0;  // PeerFrame.protocol_version, varint
constexpr uint8_t kFrameMessageTag = 4 << 3 | 2;          // PeerFrame.message, length-delimited
constexpr uint8_t kMessageEntriesTag = 9 << 3 | 2;        // PeerMessage.entries, length-delimited

const char* BodyName(const peer::PeerFrame& frame) {
  if (frame.has_hello()) return "Hello";
  if (frame.has_message()) {
    return consensus::MessageTypeName(static_cast<MessageType>(frame.message().type()));
  }
  return "empty";
}

// Fills in the header of `out` (kPeerFrameHeaderBytes reserved, then payload_bytes written):
// the payload's length and masked CRC32C.
void SealFrame(size_t payload_bytes, std::string* out) {
  CORRAL_ASSERT(out->size() == kPeerFrameHeaderBytes + payload_bytes,
                "a peer frame's size differs from the size computed for it");
  const char* payload = out->data() + kPeerFrameHeaderBytes;
  PutFixed32(out->data(), static_cast<uint32_t>(payload_bytes));
  PutFixed32(out->data() + 4, crc32c::Mask(crc32c::Value(payload, payload_bytes)));
}

// Serializes `frame` behind a header. The caller checked the size against the limits.
std::string Frame(const peer::PeerFrame& frame, size_t payload_bytes) {
  std::string out;
  out.reserve(kPeerFrameHeaderBytes + payload_bytes);
  out.resize(kPeerFrameHeaderBytes);
  frame.AppendToString(&out);
  SealFrame(payload_bytes, &out);
  return out;
}

bool KnownType(int type) {
  return type >= static_cast<int>(MessageType::kVoteRequest) &&
         type <= static_cast<int>(MessageType::kTimeoutNow);
}

void ToProto(Message&& m, peer::PeerMessage* p) {
  p->set_type(static_cast<peer::MessageType>(m.type));
  p->set_from_id(m.from);
  p->set_to_id(m.to);
  p->set_epoch(m.epoch);
  p->set_pre_vote(m.pre_vote);
  p->set_last_zxid(m.last_zxid);
  p->set_granted(m.granted);
  p->set_prev_zxid(m.prev_zxid);
  // m.entries are written by EncodeMessageFrame itself.
  p->set_commit_zxid(m.commit_zxid);
  p->set_success(m.success);
  p->set_match_zxid(m.match_zxid);
  p->set_snapshot_zxid(m.snapshot_zxid);
  p->set_snapshot(std::move(m.snapshot));
  p->set_request_id(m.request_id);
  p->set_zxid(m.zxid);
  p->mutable_sessions()->Reserve(static_cast<int>(m.sessions.size()));
  for (int64_t session : m.sessions) p->add_sessions(session);
  p->set_transfer(m.transfer);
  for (int64_t id : m.snapshot_voters) p->add_snapshot_voters(id);
  for (int64_t id : m.snapshot_observers) p->add_snapshot_observers(id);
}

StatusOr<Message> FromProto(peer::PeerMessage* p) {
  Message m;
  m.type = static_cast<MessageType>(p->type());
  m.from = p->from_id();
  m.to = p->to_id();
  m.epoch = p->epoch();
  m.pre_vote = p->pre_vote();
  m.last_zxid = p->last_zxid();
  m.granted = p->granted();
  m.prev_zxid = p->prev_zxid();
  m.entries.resize(static_cast<size_t>(p->entries_size()));
  for (int i = 0; i < p->entries_size(); ++i) {
    if (!storage::ParseLogEntryBytes(p->entries(i), &m.entries[static_cast<size_t>(i)])) {
      return Status::Corruption("entry " + std::to_string(i) + " of a " +
                                consensus::MessageTypeName(m.type) +
                                " message does not parse as a LogEntry");
    }
  }
  m.commit_zxid = p->commit_zxid();
  m.success = p->success();
  m.match_zxid = p->match_zxid();
  m.snapshot_zxid = p->snapshot_zxid();
  m.snapshot = std::move(*p->mutable_snapshot());
  m.request_id = p->request_id();
  m.zxid = p->zxid();
  m.sessions.assign(p->sessions().begin(), p->sessions().end());
  m.transfer = p->transfer();
  m.snapshot_voters.assign(p->snapshot_voters().begin(), p->snapshot_voters().end());
  m.snapshot_observers.assign(p->snapshot_observers().begin(), p->snapshot_observers().end());
  return m;
}

}  // namespace

PeerFrameLimits PeerFrameLimitsFor(int64_t jute_max_buffer_bytes) {
  PeerFrameLimits limits;
  constexpr int64_t kMessageFloorBytes = int64_t{64} << 20;
  int64_t wanted = 4 * std::max<int64_t>(jute_max_buffer_bytes, 0) + (int64_t{1} << 20);
  limits.message_bytes_max = static_cast<uint32_t>(
      std::clamp<int64_t>(wanted, kMessageFloorBytes, limits.snapshot_bytes_max));
  return limits;
}

std::string EnsembleIdText(uint64_t ensemble_id) {
  char text[19];
  std::snprintf(text, sizeof(text), "0x%016llx", static_cast<unsigned long long>(ensemble_id));
  return text;
}

std::string EncodeHelloFrame(uint64_t ensemble_id, const PeerHello& hello) {
  peer::PeerFrame frame;
  frame.set_ensemble_id(ensemble_id);
  frame.set_protocol_version(kPeerProtocolVersion);
  frame.mutable_hello()->set_from_id(hello.from);
  frame.mutable_hello()->set_to_id(hello.to);
  frame.mutable_hello()->set_quorum_host(hello.quorum_host);
  frame.mutable_hello()->set_quorum_port(hello.quorum_port);
  return Frame(frame, frame.ByteSizeLong());
}

StatusOr<std::string> EncodeMessageFrame(uint64_t ensemble_id, Message message,
                                         const PeerFrameLimits& limits) {
  CORRAL_ASSERT(KnownType(static_cast<int>(message.type)), "sending a message of unknown type");
  // The payload is a PeerFrame holding the message. The entries are written straight from
  // the Txns (storage/log_entry_codec.h) after the message's other fields, so the nesting is
  // written by hand too: the message field's length covers both parts.
  const std::vector<Txn> entries = std::move(message.entries);
  const MessageType type = message.type;
  peer::PeerMessage fields;
  ToProto(std::move(message), &fields);
  const size_t fields_bytes = fields.ByteSizeLong();
  std::vector<size_t> entry_bytes;
  entry_bytes.reserve(entries.size());
  size_t message_bytes = fields_bytes;
  for (const Txn& txn : entries) {
    entry_bytes.push_back(storage::LogEntryBytesSize(txn));
    message_bytes += 1 + VarintSize(entry_bytes.back()) + entry_bytes.back();
  }
  const size_t payload_bytes = (ensemble_id != 0 ? 1 + 8 : 0) + 1 +
                               VarintSize(kPeerProtocolVersion) + 1 + VarintSize(message_bytes) +
                               message_bytes;
  const uint32_t limit = type == MessageType::kSnapshot ? limits.snapshot_bytes_max
                                                        : limits.message_bytes_max;
  if (payload_bytes > limit) {
    return Status::ResourceExhausted(
        std::string("a ") + consensus::MessageTypeName(type) + " message of " +
        std::to_string(payload_bytes) + " bytes exceeds the peer frame limit of " +
        std::to_string(limit) + " bytes; not sent");
  }
  std::string out;
  out.reserve(kPeerFrameHeaderBytes + payload_bytes);
  out.resize(kPeerFrameHeaderBytes);
  if (ensemble_id != 0) {  // proto3 leaves a zero out
    out.push_back(static_cast<char>(kFrameEnsembleIdTag));
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((ensemble_id >> (8 * i)) & 0xff));
  }
  out.push_back(static_cast<char>(kFrameProtocolVersionTag));
  PutVarint(kPeerProtocolVersion, &out);
  out.push_back(static_cast<char>(kFrameMessageTag));
  PutVarint(message_bytes, &out);
  fields.AppendToString(&out);
  for (size_t i = 0; i < entries.size(); ++i) {
    out.push_back(static_cast<char>(kMessageEntriesTag));
    PutVarint(entry_bytes[i], &out);
    storage::AppendLogEntryBytes(entries[i], &out);
  }
  SealFrame(payload_bytes, &out);
  return out;
}

StatusOr<PeerFrameHeader> DecodePeerFrameHeader(std::string_view header,
                                                uint32_t payload_bytes_max) {
  CORRAL_ASSERT(header.size() == kPeerFrameHeaderBytes, "a frame header is 8 bytes");
  PeerFrameHeader out;
  out.payload_bytes = GetFixed32(header.data());
  out.masked_crc = GetFixed32(header.data() + 4);
  if (out.payload_bytes == 0 || out.payload_bytes > payload_bytes_max) {
    return Status::InvalidArgument("frame length " + std::to_string(out.payload_bytes) +
                                   " is outside 1.." + std::to_string(payload_bytes_max) +
                                   " bytes (not a Corral peer frame, or corrupted)");
  }
  return out;
}

StatusOr<DecodedPeerFrame> DecodePeerFramePayload(const PeerFrameHeader& header,
                                                  std::string_view payload, uint64_t ensemble_id,
                                                  const PeerFrameLimits& limits) {
  CORRAL_ASSERT(payload.size() == header.payload_bytes, "payload does not match its header");
  uint32_t actual = crc32c::Value(payload);
  uint32_t expected = crc32c::Unmask(header.masked_crc);
  if (actual != expected) {
    return Status::Corruption("frame checksum mismatch over " + std::to_string(payload.size()) +
                              " bytes (CRC32C " + std::to_string(actual) + ", header says " +
                              std::to_string(expected) + ")");
  }
  peer::PeerFrame frame;
  if (!frame.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return Status::Corruption("frame of " + std::to_string(payload.size()) +
                              " bytes has a valid checksum but does not parse as a PeerFrame");
  }
  if (frame.protocol_version() != kPeerProtocolVersion) {
    return Status::InvalidArgument("peer speaks protocol version " +
                                   std::to_string(frame.protocol_version()) +
                                   ", this member speaks " + std::to_string(kPeerProtocolVersion));
  }
  if (frame.ensemble_id() != ensemble_id) {
    return Status::InvalidArgument(
        "peer belongs to ensemble " + EnsembleIdText(frame.ensemble_id()) + ", this member to " +
        EnsembleIdText(ensemble_id) + " (compare the ensembleId setting and the server.N lines)");
  }
  if (frame.has_hello()) {
    return DecodedPeerFrame(PeerHello{frame.hello().from_id(), frame.hello().to_id(),
                                      frame.hello().quorum_host(), frame.hello().quorum_port()});
  }
  if (!frame.has_message()) return Status::InvalidArgument("frame has neither Hello nor message");
  int type = frame.message().type();
  if (!KnownType(type)) {
    return Status::InvalidArgument("message of unknown type " + std::to_string(type));
  }
  uint32_t limit = LimitFor(frame, limits);
  if (payload.size() > limit) {
    return Status::InvalidArgument(std::string("a ") + BodyName(frame) + " frame of " +
                                   std::to_string(payload.size()) + " bytes exceeds its limit of " +
                                   std::to_string(limit) + " bytes");
  }
  StatusOr<Message> message = FromProto(frame.mutable_message());
  if (!message.ok()) return message.status();
  return DecodedPeerFrame(std::move(message).value());
}

StatusOr<DecodedPeerFrame> DecodePeerFrame(std::string_view frame, uint64_t ensemble_id,
                                           const PeerFrameLimits& limits) {
  if (frame.size() < kPeerFrameHeaderBytes) {
    return Status::InvalidArgument("frame of " + std::to_string(frame.size()) +
                                   " bytes is shorter than its 8-byte header");
  }
  StatusOr<PeerFrameHeader> header =
      DecodePeerFrameHeader(frame.substr(0, kPeerFrameHeaderBytes), limits.snapshot_bytes_max);
  if (!header.ok()) return header.status();
  std::string_view payload = frame.substr(kPeerFrameHeaderBytes);
  if (payload.size() != header->payload_bytes) {
    return Status::InvalidArgument("frame header promises " +
                                   std::to_string(header->payload_bytes) + " payload bytes, " +
                                   std::to_string(payload.size()) + " follow");
  }
  return DecodePeerFramePayload(*header, payload, ensemble_id, limits);
}

}  // namespace corral
