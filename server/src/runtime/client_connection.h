#pragma once
// Boost 1.74 asio uses std::exchange without including <utility>; it must come first.
#include <utility>

// ClientConnection: one client socket. Reads length-prefixed frames (bounded by jute.maxbuffer),
// answers a four-letter word if that is what the first four bytes spell, and hands every other
// frame to the Node. Writes are queued and written in order; while a client lets more than
// output_pause_bytes pile up unread, the connection stops reading from it (so a client that
// never reads cannot make the server buffer without bound), and past output_max_bytes it is
// closed. Lives on the core thread's io_context.
#include <array>
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
  void ReadHeader();
  void ReadBody(uint32_t length);
  void OnHeader(uint32_t raw);
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
  std::array<char, 4> header_{};
  std::string body_;
  bool first_frame_ = true;
  bool reading_ = false;  // a read is outstanding
  bool paused_ = false;   // reading stopped for backpressure
  bool closing_ = false;
  bool writing_ = false;
  bool shut_down_ = false;
  std::deque<std::string> out_;
  size_t queued_bytes_ = 0;
};

}  // namespace corral
