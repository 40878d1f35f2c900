#include "runtime/peer_inbound.h"

#include <algorithm>
#include <cstring>

#include "base/log.h"
#include "runtime/peer_socket.h"

namespace corral {
namespace {

namespace asio = boost::asio;

// The smallest read, and the buffer a connection keeps between frames: enough for hundreds of
// typical messages per read. A buffer grown past kKeptBufferBytesMax for a large frame is
// released once that frame is consumed.
constexpr size_t kReadBytesMin = 64 << 10;
constexpr size_t kKeptBufferBytesMax = 1 << 20;

}  // namespace

PeerInbound::PeerInbound(asio::ip::tcp::socket socket, Owner* owner, Options options)
    : socket_(std::move(socket)),
      owner_(owner),
      options_(options),
      hello_timer_(socket_.get_executor()) {
  boost::system::error_code ec;
  auto endpoint = socket_.remote_endpoint(ec);
  remote_ = ec ? std::string("an unknown address")
               : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  TunePeerSocket(socket_, options_.dead_peer_timeout_ms);
}

std::string PeerInbound::Describe() const {
  if (identified_)
    return "peer connection from member " + std::to_string(peer_id_) + " at " + remote_;
  return "peer connection from " + remote_;
}

void PeerInbound::Start() {
  auto self = shared_from_this();
  hello_timer_.expires_after(std::chrono::milliseconds(options_.hello_timeout_ms));
  hello_timer_.async_wait([this, self](boost::system::error_code ec) {
    if (ec || owner_ == nullptr || identified_) return;
    Refuse("no Hello within " + std::to_string(options_.hello_timeout_ms) + " ms");
  });
  Read();
}

void PeerInbound::Close() {
  if (owner_ == nullptr) return;
  owner_ = nullptr;
  boost::system::error_code ignored;
  hello_timer_.cancel();
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void PeerInbound::End(bool refused) {
  Owner* owner = owner_;
  Close();
  if (owner != nullptr) owner->OnClosed(this, refused);
}

void PeerInbound::Refuse(const std::string& why) {
  CORRAL_LOG(kWarn) << "closing " << Describe() << ": " << why;
  End(/*refused=*/true);
}

void PeerInbound::Read() {
  size_t have = end_ - begin_;
  if (have == 0) {
    begin_ = end_ = 0;
    if (buf_.size() > kKeptBufferBytesMax) std::vector<char>().swap(buf_);
  }
  size_t missing = frame_bytes_needed_ > have ? frame_bytes_needed_ - have : 0;
  size_t want =
      std::clamp(missing, kReadBytesMin, std::max(kReadBytesMin, options_.read_chunk_bytes_max));
  if (buf_.size() - end_ < want) {
    if (begin_ > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, have);
      begin_ = 0;
      end_ = have;
    }
    if (buf_.size() - end_ < want) buf_.resize(end_ + want);
  }
  auto self = shared_from_this();
  socket_.async_read_some(
      asio::buffer(buf_.data() + end_, buf_.size() - end_),
      [this, self](boost::system::error_code ec, size_t bytes) { OnRead(ec, bytes); });
}

void PeerInbound::OnRead(boost::system::error_code ec, size_t bytes) {
  if (owner_ == nullptr) return;
  if (ec) {
    size_t pending = end_ - begin_;
    if (ec == asio::error::eof && pending == 0) {
      CORRAL_LOG(kInfo) << Describe() << " closed by the peer";
    } else {
      CORRAL_LOG(kInfo) << Describe() << " ended"
                        << (pending > 0 ? " inside a frame (" + std::to_string(pending) +
                                              " bytes of it read)"
                                        : std::string())
                        << ": " << ec.message();
    }
    End(/*refused=*/false);
    return;
  }
  end_ += bytes;
  if (ConsumeFrames()) Read();
}

bool PeerInbound::ConsumeFrames() {
  while (true) {
    size_t have = end_ - begin_;
    if (have < kPeerFrameHeaderBytes) {
      frame_bytes_needed_ = 0;
      return true;
    }
    // Until the peer has said who it is, only a Hello-sized frame is acceptable.
    uint32_t limit = identified_ ? options_.frame_limits.snapshot_bytes_max
                                 : options_.frame_limits.hello_bytes_max;
    StatusOr<PeerFrameHeader> header =
        DecodePeerFrameHeader(std::string_view(buf_.data() + begin_, kPeerFrameHeaderBytes), limit);
    if (!header.ok()) {
      Refuse(header.status().message());
      return false;
    }
    size_t frame_bytes = kPeerFrameHeaderBytes + header->payload_bytes;
    if (have < frame_bytes) {
      frame_bytes_needed_ = frame_bytes;
      return true;
    }
    std::string_view payload(buf_.data() + begin_ + kPeerFrameHeaderBytes, header->payload_bytes);
    StatusOr<DecodedPeerFrame> frame =
        DecodePeerFramePayload(*header, payload, options_.ensemble_id, options_.frame_limits);
    begin_ += frame_bytes;
    if (!frame.ok()) {
      Refuse(frame.status().message());
      return false;
    }
    if (!OnFrame(std::move(*frame), frame_bytes)) return false;
  }
}

bool PeerInbound::OnFrame(DecodedPeerFrame frame, size_t frame_bytes) {
  if (!identified_) {
    const PeerHello* hello = std::get_if<PeerHello>(&frame);
    if (hello == nullptr) {
      Refuse("the first frame is a message, not a Hello");
      return false;
    }
    std::string why;
    if (!owner_->OnHello(this, *hello, &why)) {
      Refuse("Hello from member " + std::to_string(hello->from) + " refused: " + why);
      return false;
    }
    identified_ = true;
    peer_id_ = hello->from;
    hello_timer_.cancel();
    return owner_ != nullptr;
  }
  consensus::Message* message = std::get_if<consensus::Message>(&frame);
  if (message == nullptr) {
    Refuse("a second Hello on one connection");
    return false;
  }
  if (message->from != peer_id_ || message->to != options_.my_id) {
    Refuse(std::string("a ") + consensus::MessageTypeName(message->type) + " from member " +
           std::to_string(message->from) + " to member " + std::to_string(message->to) +
           " on the connection of member " + std::to_string(peer_id_) + " to member " +
           std::to_string(options_.my_id));
    return false;
  }
  owner_->OnMessage(std::move(*message), frame_bytes);
  // The owner may have closed this connection (or stopped the transport) meanwhile.
  return owner_ != nullptr;
}

}  // namespace corral
