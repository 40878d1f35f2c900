#pragma once
// The settings of a PeerTransport (runtime/peer_transport.h), each a named limit, and how they
// follow from a member's Config.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "config/config.h"
#include "consensus/message.h"
#include "runtime/peer_codec.h"

namespace corral {

struct PeerAddress {
  consensus::MemberId id = 0;
  std::string host;  // a name (resolved at every connection attempt) or an address
  int port = 0;      // its quorum port
};

// One outgoing link (runtime/peer_link.h).
struct PeerLinkOptions {
  // Frames queued for one peer, sent or not yet. 64 MiB is what a leader may have in flight to
  // one follower at full speed (ReplicaOptions: 64 unanswered appends of up to 1 MiB), so the
  // bound drops frames only when the peer is slow or gone. See runtime/peer_send_queue.h.
  size_t queue_bytes_max = size_t{64} << 20;
  // One gathered write (one writev per up to 64 buffers in Asio) carries at most this much.
  // Frames in flight cannot be dropped, so a batch is kept well below queue_bytes_max.
  size_t write_batch_frames_max = 256;
  size_t write_batch_bytes_max = size_t{4} << 20;
  // Resolving plus connecting; a SYN to a vanished host would otherwise wait minutes.
  int connect_timeout_ms = 5000;
  // After a failed attempt, or a connection that lasted less than reconnect_backoff_max_ms,
  // the next attempt waits twice as long as the last, from min up to max.
  int reconnect_backoff_min_ms = 50;
  int reconnect_backoff_max_ms = 2000;
  // A connection whose peer stops acknowledging (its host is gone) is closed after about this
  // long, in both directions (runtime/peer_socket.h); the link then dials the peer's name
  // again. PeerTransportOptionsOf uses syncLimit x tickTime, ZooKeeper's bound for a follower
  // to be out of touch. 0: the OS defaults (many minutes).
  int dead_peer_timeout_ms = 10000;
};

struct PeerTransportOptions {
  consensus::MemberId my_id = 0;
  uint64_t ensemble_id = 0;
  // The other members (participants and observers); an entry with my_id is ignored.
  std::vector<PeerAddress> peers;
  std::string listen_host = "0.0.0.0";  // an address, or a name resolved once by Start()
  int listen_port = 0;                  // 0: any free port (tests; see listen_port())
  // How other members reach this one (its server line), said in every Hello; empty: not said.
  std::string advertised_host;
  int advertised_port = 0;
  PeerFrameLimits frame_limits;
  PeerLinkOptions link;
  // An accepted connection must send its Hello within this time, and at most this many
  // connections may be waiting to do so (more are closed at once).
  int hello_timeout_ms = 5000;
  size_t unidentified_connections_max = 16;
  // An incoming frame's buffer grows by at most this much per read, so a corrupted length
  // costs memory only as fast as bytes really arrive.
  size_t read_chunk_bytes_max = size_t{4} << 20;
};

// My id, the ensemble id (config/ensemble_id.h), every other server line as a peer, and my own
// line's host and quorum port to listen on (0.0.0.0 with quorumListenOnAllIPs). The election
// port is not used: elections are consensus messages on the same connections.
// InvalidArgument for a standalone Config or one whose my_id has no server line.
StatusOr<PeerTransportOptions> PeerTransportOptionsOf(const Config& config);

}  // namespace corral
