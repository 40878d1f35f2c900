#pragma once
// The peer wire format: consensus::Message and the connection's Hello as frames of
// proto/peer.proto. One frame is
//
//   offset 0   payload length   u32 little-endian
//   offset 4   crc              u32 little-endian: crc32c::Mask(CRC32C of the payload)
//   offset 8   payload          a corral.peer.PeerFrame
//
// Little-endian like the on-disk records (storage/record_format.h), so one set of habits
// covers both. The CRC is masked because a snapshot payload is itself made of CRC-framed records
// (see base/crc32c.h on CRCs of bytes that contain CRCs). TCP's own checksum is 16 bits and is
// known to let corrupted segments through at scale; CRC32C catches those before the consensus
// core sees them.
//
// Limits. The length is checked against a limit before any payload byte is read, and the
// limit depends on where the connection is: before its Hello only hello_bytes_max (a
// connection that has not shown it belongs to the ensemble cannot make us buffer more), after
// it up to snapshot_bytes_max; once decoded, a frame larger than the limit of its own type is
// refused as well (only kSnapshot may be large).
//
// Why snapshots are not chunked: consensus::Message holds the whole snapshot as one string on
// both sides, so chunking on the wire would not lower peak memory, and it would add
// reassembly state and a gap protocol on top of a transport that may drop frames. One frame of
// up to snapshot_bytes_max (1 GiB, well under protobuf's 2 GiB limit) is simpler and honest
// about the bound; a larger state needs the snapshot streamed from its file, which is future
// work, and such a send fails with a clear error rather than silently.
//
// Decoding never trusts its input: a bad length, a CRC mismatch, bytes that do not parse, a
// different ensemble id or protocol version, an unknown message type or an oversized message
// are each a Status saying which; nothing here asserts on input.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "base/status.h"
#include "consensus/message.h"

namespace corral {

// Bumped on any change a member of the previous version would misread. Members refuse every
// other version, so a rolling upgrade across versions needs a bridge release (not yet needed).
inline constexpr uint32_t kPeerProtocolVersion = 1;

inline constexpr size_t kPeerFrameHeaderBytes = 8;

struct PeerFrameLimits {
  // Before the Hello: a Hello is two ids, an ensemble id and a version (under 40 bytes).
  uint32_t hello_bytes_max = 4 << 10;
  // Every message but kSnapshot: an Append of append_bytes_max (1 MiB) of requests plus one
  // oversized entry, a Forward of several requests of up to jute.maxbuffer each.
  uint32_t message_bytes_max = 64 << 20;
  uint32_t snapshot_bytes_max = 1 << 30;
};

// The limits for a member whose clients may send requests of up to jute_max_buffer_bytes:
// messages may hold 4 such requests plus 1 MiB (at least 64 MiB, at most 1 GiB).
PeerFrameLimits PeerFrameLimitsFor(int64_t jute_max_buffer_bytes);

struct PeerHello {
  consensus::MemberId from = 0;
  consensus::MemberId to = 0;
  // The sender's own quorum address (proto/peer.proto); empty host when not given.
  std::string quorum_host;
  int quorum_port = 0;
};

struct PeerFrameHeader {
  uint32_t payload_bytes = 0;
  uint32_t masked_crc = 0;
};

using DecodedPeerFrame = std::variant<PeerHello, consensus::Message>;

// Whole frames (header included), ready to write.
std::string EncodeHelloFrame(uint64_t ensemble_id, const PeerHello& hello);
// Takes the message by value so that its snapshot and requests are moved, not copied, into the
// encoder. ResourceExhausted when the frame would exceed the limit for its type (the message
// is not sent; a snapshot over snapshot_bytes_max cannot be sent at all).
StatusOr<std::string> EncodeMessageFrame(uint64_t ensemble_id, consensus::Message message,
                                         const PeerFrameLimits& limits);

// Reads the 8 header bytes (header.size() must be kPeerFrameHeaderBytes). InvalidArgument when
// the length is 0 or above payload_bytes_max.
StatusOr<PeerFrameHeader> DecodePeerFrameHeader(std::string_view header,
                                                uint32_t payload_bytes_max);
// Checks and decodes the payload that followed `header`: Corruption for a CRC mismatch or bytes
// that do not parse; InvalidArgument for a different ensemble id or protocol version, a frame
// without a body, an unknown message type, or a message over its type's limit.
StatusOr<DecodedPeerFrame> DecodePeerFramePayload(const PeerFrameHeader& header,
                                                  std::string_view payload, uint64_t ensemble_id,
                                                  const PeerFrameLimits& limits);
// One whole frame (header + payload, nothing after it), for tests and tools. The header is
// checked against limits.snapshot_bytes_max.
StatusOr<DecodedPeerFrame> DecodePeerFrame(std::string_view frame, uint64_t ensemble_id,
                                           const PeerFrameLimits& limits);

// "0x0123456789abcdef", as logs and messages show ensemble ids.
std::string EnsembleIdText(uint64_t ensemble_id);

}  // namespace corral
