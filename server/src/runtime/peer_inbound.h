#pragma once
// Boost 1.74 asio uses std::exchange without including <utility>; it must come first.
#include <utility>

// PeerInbound: one accepted, receive-only peer connection. Its first frame must be a Hello from
// a member of this ensemble (same ensemble id and protocol version, checked by the codec) that
// is addressed to this member; the Owner decides whether the sender is a known peer. Every
// later frame must be a message from that same member to this one. Anything else — a bad
// length, a CRC mismatch, garbage, no Hello within hello_timeout_ms — logs one line saying what
// and from where, and closes the connection. This member never writes on it.
//
// Reads are buffered: each read takes whatever has arrived, so many small frames cost one
// syscall; the buffer grows by at most read_chunk_bytes_max per read toward a large frame's
// length, and shrinks back once that frame is consumed.
//
// Thread-safety: on the io_context's thread. Held by shared_ptr; handlers keep it alive and do
// nothing after Close().
#include <boost/asio.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "consensus/message.h"
#include "runtime/peer_codec.h"

namespace corral {

class PeerInbound : public std::enable_shared_from_this<PeerInbound> {
 public:
  class Owner {
   public:
    // The Hello decoded; false (with *why) refuses it and the connection is closed.
    virtual bool OnHello(PeerInbound* connection, const PeerHello& hello, std::string* why) = 0;
    // One message from the identified peer; may call Close on this connection.
    virtual void OnMessage(consensus::Message message, size_t frame_bytes) = 0;
    // The connection ended on its own (the peer closed it, or it was refused); not called after
    // Close().
    virtual void OnClosed(PeerInbound* connection, bool refused) = 0;

   protected:
    ~Owner() = default;
  };

  struct Options {
    consensus::MemberId my_id = 0;
    uint64_t ensemble_id = 0;
    PeerFrameLimits frame_limits;
    int hello_timeout_ms = 5000;
    size_t read_chunk_bytes_max = size_t{4} << 20;
    int dead_peer_timeout_ms = 10000;  // see runtime/peer_socket.h
  };

  PeerInbound(boost::asio::ip::tcp::socket socket, Owner* owner, Options options);

  void Start();
  // Closes the socket; the Owner hears nothing more from this connection.
  void Close();

  bool identified() const { return identified_; }
  consensus::MemberId peer_id() const { return peer_id_; }
  const std::string& remote() const { return remote_; }

 private:
  void Read();
  void OnRead(boost::system::error_code ec, size_t bytes);
  // Decodes and hands on every complete frame in the buffer; false when the connection ended.
  bool ConsumeFrames();
  bool OnFrame(DecodedPeerFrame frame, size_t frame_bytes);
  void Refuse(const std::string& why);
  void End(bool refused);
  std::string Describe() const;

  boost::asio::ip::tcp::socket socket_;
  Owner* owner_;  // null once closed
  Options options_;
  boost::asio::steady_timer hello_timer_;
  std::string remote_;
  bool identified_ = false;
  consensus::MemberId peer_id_ = 0;
  // Unconsumed bytes are buf_[begin_, end_).
  std::vector<char> buf_;
  size_t begin_ = 0;
  size_t end_ = 0;
  size_t frame_bytes_needed_ = 0;  // header + payload of the incomplete frame at begin_, or 0
};

}  // namespace corral
