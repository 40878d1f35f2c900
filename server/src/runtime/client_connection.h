#pragma once
// Boost 1.74 asio uses std::exchange without including <utility>; it must come first.
#include <utility>

// ClientConnection: one client socket. Reads length-prefixed frames (bounded by jute.maxbuffer),
// answers a four-letter word if that is what the first four bytes spell, and hands every other
// frame to the Node. Writes are queued and written in order; while a client lets more than
// output_pause_bytes pile up unread, the connection stops reading from it (so a client that
// never reads cannot make the server buffer without bound), and past output_max_bytes it is
// closed. Lives on the core thread's io_context.
//
// Batching: a pipelining client sends many frames per packet and expects many replies, so a
// read takes whatever the socket has (up to kReadChunkBytes) and every whole frame in it is
// handled before the next read, and a write sends every queued reply at once (up to
// kWriteBatchFrames buffers in one gathered send). Reads wait for readability and then read
// into one buffer per thread, so an idle connection holds no read buffer; only the unfinished
// tail of a frame is kept per connection (pending_). Reading a frame's length and body separately, and writing one
// reply per send, cost three system calls and three handler runs per request: most of a read's
// cost before (docs/benchmarks.md, profiling notes).
#include <boost/asio.hpp>
#include <deque>
#include <memory>
#include <string>

#include "node/node.h"
#include "session/transport.h"

namespace corral {

struct ConnectionLimits {
  int64_t frame_max_bytes = 1048575;
  size_t output_pause_bytes = 1 << 20;
  size_t output_max_bytes = 64 << 20;
  size_t pending_pause_requests = 1000;
};

class ClientConnection : public Transport, public std::enable_shared_from_this<ClientConnection> {
 public:
  ClientConnection(boost::asio::ip::tcp::socket socket, Node* node, ConnectionLimits limits);
  ~ClientConnection() override;

  void Start();

  // Transport.
  void Send(std::string frame) override;
  void Close(const std::string& reason) override;
  const std::string& remote_ip() const override { return remote_ip_; }
  int remote_port() const override { return remote_port_; }
  size_t queued_bytes() const override { return queued_bytes_; }

 private:
  static constexpr size_t kReadChunkBytes = 64 << 10;
  static constexpr size_t kWriteBatchFrames = 64;

  // Waits until the socket is readable, unless reading is paused or the connection closes.
  void ReadMore();
  void OnReadable();
  // Hands every whole frame at the front of data[0, size) to the node, stopping early when the
  // connection closes or reading pauses; returns the bytes consumed.
  size_t HandleFrames(const char* data, size_t size);
  // false: the connection is closing (a four-letter word, or a frame length out of bounds).
  bool CheckLength(const char* header);
  void MaybeResumeReading();
  bool ShouldPauseReading() const;
  void WriteNext();
  void Shutdown();
  void ShutdownLater();

  boost::asio::ip::tcp::socket socket_;
  Node* node_;
  ConnectionLimits limits_;
  ClientSession* session_ = nullptr;
  std::string remote_ip_;
  int remote_port_ = 0;
  std::string pending_;  // bytes read and not yet handled: the start of a frame
  bool first_frame_ = true;
  bool reading_ = false;  // waiting for the socket to become readable
  bool paused_ = false;   // reading stopped for backpressure
  bool closing_ = false;
  bool writing_ = false;
  bool shut_down_ = false;
  std::deque<std::string> out_;
  size_t writing_frames_ = 0;  // the first writing_frames_ of out_ are being written
  size_t queued_bytes_ = 0;
};

}  // namespace corral
