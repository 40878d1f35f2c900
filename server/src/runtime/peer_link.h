#pragma once
// Boost 1.74 asio uses std::exchange without including <utility>; it must come first.
#include <utility>

// PeerLink: this member's outgoing, send-only connection to one peer. Frames are queued
// (PeerSendQueue, bounded, oldest dropped first) and written in order with gathered writes,
// many frames per syscall. The link connects lazily, on the first frame; resolves the peer's
// host at every attempt (a Kubernetes pod keeps its name, not its address, across restarts);
// gives up an attempt after connect_timeout_ms; and after a failure waits a capped,
// doubling backoff before the next. Every connection begins with this member's Hello.
//
// The peer never writes on this connection; one outstanding 1-byte read notices at once when it
// closes the connection (it rejected the Hello, or restarted), rather than at the next write.
//
// Frames queued while disconnected stay queued (within the bound) and go out on the next
// connection; frames that were in a write when the connection broke are lost and counted as
// dropped. The consensus core treats both like network loss.
//
// Thread-safety: every call on the io_context's thread; handlers run there too. Held by
// shared_ptr: pending handlers keep the link alive after its owner lets go, and see Stop().
#include <array>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "runtime/peer_send_queue.h"
#include "runtime/peer_transport_options.h"

namespace corral {

struct PeerLinkStats {
  bool connected = false;
  uint64_t connects = 0;          // connections established
  uint64_t connect_failures = 0;  // attempts that failed (resolve, connect, timeout)
  uint64_t disconnects = 0;       // established connections that broke
  uint64_t frames_sent = 0;       // handed to the kernel (not necessarily received)
  uint64_t bytes_sent = 0;        // frame bytes, Hello frames included
  uint64_t frames_dropped = 0;    // dropped by the queue bound or lost in a broken write
  uint64_t bytes_dropped = 0;
  size_t queued_frames = 0;
  size_t queued_bytes = 0;
};

class PeerLink : public std::enable_shared_from_this<PeerLink> {
 public:
  // `hello_frame`: the encoded Hello (runtime/peer_codec.h) that starts every connection.
  PeerLink(boost::asio::io_context& io, PeerAddress peer, std::string hello_frame,
           PeerLinkOptions options);

  // Queues one encoded frame, connecting first if the link is idle.
  void Send(std::string frame);
  // Closes the connection and drops the queue; later calls and pending handlers do nothing.
  void Stop();

  const PeerAddress& peer() const { return peer_; }
  PeerLinkStats stats() const;

 private:
  enum class State { kIdle, kResolving, kConnecting, kConnected, kBackoff, kStopped };
  using Results = boost::asio::ip::tcp::resolver::results_type;

  void Connect();
  void OnResolved(uint64_t generation, boost::system::error_code ec, Results results);
  void OnConnected(uint64_t generation, boost::system::error_code ec);
  void WatchForClose();
  void WriteMore();
  void OnWritten(uint64_t generation, boost::system::error_code ec, size_t frames, size_t bytes);
  // Closes the socket, counts what was lost and schedules the next attempt after the backoff.
  void Fail(const std::string& what);
  void OnBackoffElapsed(uint64_t generation, boost::system::error_code ec);
  void CloseSocket();
  std::string Name() const;

  PeerAddress peer_;
  std::string hello_frame_;
  PeerLinkOptions options_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer connect_timer_;
  boost::asio::steady_timer backoff_timer_;

  State state_ = State::kIdle;
  // Bumped whenever a connection (or attempt) ends. Every handler carries the generation it was
  // started in and does nothing when it differs: it belongs to a connection that is gone.
  uint64_t generation_ = 0;
  PeerSendQueue queue_;
  bool hello_sent_ = false;  // on the current connection: the Hello went into a write
  bool writing_ = false;
  size_t writing_frames_ = 0;  // queued frames (not the Hello) in the write in flight
  size_t writing_bytes_ = 0;
  std::array<char, 1> probe_{};
  int backoff_ms_;
  int failures_in_a_row_ = 0;
  std::chrono::steady_clock::time_point connected_at_;
  PeerLinkStats stats_;
};

}  // namespace corral
