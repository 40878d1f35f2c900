#include "runtime/client_connection.h"

#include <algorithm>
#include <vector>

#include "base/log.h"
#include "jute/reader.h"

namespace corral {

namespace asio = boost::asio;

ClientConnection::ClientConnection(asio::ip::tcp::socket socket, Node* node,
                                   ConnectionLimits limits)
    : socket_(std::move(socket)), node_(node), limits_(limits) {
  boost::system::error_code ec;
  auto endpoint = socket_.remote_endpoint(ec);
  if (!ec) {
    auto address = endpoint.address();
    // ZooKeeper reports an IPv4-mapped IPv6 peer in its IPv4 form; ip ACLs depend on it.
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
      address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    }
    remote_ip_ = address.to_string();
    remote_port_ = endpoint.port();
  }
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
}

ClientConnection::~ClientConnection() = default;

void ClientConnection::Start() {
  session_ = node_->OnConnect(this);
  if (session_ == nullptr) {
    Shutdown();
    return;
  }
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);  // OnReadable's read must not block on a spurious wake-up
  if (ec) {
    Shutdown();
    return;
  }
  ReadMore();
}

bool ClientConnection::ShouldPauseReading() const {
  return queued_bytes_ > limits_.output_pause_bytes ||
         (session_ != nullptr && session_->pending.size() > limits_.pending_pause_requests);
}

void ClientConnection::ReadMore() {
  if (closing_ || shut_down_) return;
  if (ShouldPauseReading()) {
    paused_ = true;
    return;
  }
  reading_ = true;
  auto self = shared_from_this();
  socket_.async_wait(asio::ip::tcp::socket::wait_read, [this, self](boost::system::error_code ec) {
    reading_ = false;
    if (shut_down_) return;  // completed just before a Shutdown that ran first
    if (ec) {
      if (ec != asio::error::operation_aborted) {
        CORRAL_LOG(kDebug) << "waiting on " << remote_ip_ << ":" << remote_port_
                           << " failed: " << ec.message();
      }
      Shutdown();
      return;
    }
    OnReadable();
  });
}

void ClientConnection::OnReadable() {
  // One buffer for every connection of this thread: only OnReadable fills it, and it hands
  // frames to the node synchronously, so it is free again when OnReadable returns.
  thread_local std::string buffer(kReadChunkBytes, '\0');
  boost::system::error_code ec;
  const size_t read_bytes = socket_.read_some(asio::buffer(buffer), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    ReadMore();
    return;
  }
  if (ec) {
    if (!pending_.empty()) {
      // A client that stops inside a frame is broken or hostile: say so.
      CORRAL_LOG(kInfo) << "connection from " << remote_ip_ << ":" << remote_port_
                        << " ended inside a frame (" << pending_.size()
                        << " bytes of it read: " << ec.message() << "); closing it";
    } else if (ec != asio::error::eof) {
      CORRAL_LOG(kDebug) << "read from " << remote_ip_ << ":" << remote_port_
                         << " failed: " << ec.message();
    }
    Shutdown();
    return;
  }
  if (pending_.empty()) {
    const size_t used = HandleFrames(buffer.data(), read_bytes);
    pending_.assign(buffer.data() + used, read_bytes - used);
  } else {
    pending_.append(buffer.data(), read_bytes);
    pending_.erase(0, HandleFrames(pending_.data(), pending_.size()));
  }
  // A frame near jute.maxbuffer may have grown pending_ to a megabyte: do not keep that.
  if (pending_.capacity() > kReadChunkBytes && pending_.size() <= kReadChunkBytes) {
    pending_.shrink_to_fit();
  }
  if (!paused_) ReadMore();
}

bool ClientConnection::CheckLength(const char* header) {
  if (first_frame_) {
    first_frame_ = false;
    std::string word(header, 4);
    if (Node::IsFourLetterWord(word)) {
      Send(node_->FourLetterWord(word));
      Close("four-letter word answered");
      return false;
    }
  }
  auto length = static_cast<int32_t>(jute::FrameLength(header));
  if (length < 0 || length > limits_.frame_max_bytes) {
    CORRAL_LOG(kWarn) << "closing connection from " << remote_ip_ << ":" << remote_port_
                      << ": frame length " << length << " is outside 0.." << limits_.frame_max_bytes
                      << " (jute.maxbuffer)";
    Close("bad frame length");
    return false;
  }
  return true;
}

size_t ClientConnection::HandleFrames(const char* data, size_t size) {
  size_t at = 0;
  // The length is checked as soon as its four bytes are here, before the body arrives, so a
  // hostile length is refused without buffering anything for it.
  bool length_checked = false;
  while (!closing_ && !shut_down_ && session_ != nullptr && size - at >= 4) {
    if (ShouldPauseReading()) {
      paused_ = true;
      break;
    }
    if (!length_checked && !CheckLength(data + at)) break;
    length_checked = true;
    const size_t length = jute::FrameLength(data + at);
    if (size - at - 4 < length) break;  // the rest of the body is still on its way
    node_->OnFrame(session_, std::string(data + at + 4, length));
    at += 4 + length;
    length_checked = false;
  }
  return at;
}

void ClientConnection::Send(std::string frame) {
  if (shut_down_) return;
  queued_bytes_ += frame.size();
  out_.push_back(std::move(frame));
  if (queued_bytes_ > limits_.output_max_bytes) {
    CORRAL_LOG(kWarn) << "closing connection from " << remote_ip_ << ":" << remote_port_ << ": "
                      << queued_bytes_ << " bytes queued unread (client not reading)";
    ShutdownLater();
    return;
  }
  if (!writing_) WriteNext();
}

void ClientConnection::WriteNext() {
  if (out_.empty() || shut_down_) {
    writing_ = false;
    if (closing_) Shutdown();
    return;
  }
  writing_ = true;
  writing_frames_ = std::min(out_.size(), kWriteBatchFrames);
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(writing_frames_);
  for (size_t i = 0; i < writing_frames_; ++i) buffers.push_back(asio::buffer(out_[i]));
  auto self = shared_from_this();
  asio::async_write(socket_, buffers, [this, self](boost::system::error_code ec, size_t) {
    if (ec || shut_down_) {
      // shut_down_: the write completed just before a Shutdown that ran first and emptied the
      // queue (a member closing every connection).
      writing_ = false;
      Shutdown();
      return;
    }
    for (size_t i = 0; i < writing_frames_; ++i) {
      queued_bytes_ -= out_.front().size();
      out_.pop_front();
    }
    writing_frames_ = 0;
    MaybeResumeReading();
    WriteNext();
  });
}

void ClientConnection::MaybeResumeReading() {
  if (paused_ && !reading_ && !closing_ && !ShouldPauseReading()) {
    paused_ = false;
    // Frames read before the pause come first.
    pending_.erase(0, HandleFrames(pending_.data(), pending_.size()));
    if (!paused_) ReadMore();
  }
}

void ClientConnection::Close(const std::string& reason) {
  if (closing_ || shut_down_) return;
  CORRAL_LOG(kDebug) << "closing connection from " << remote_ip_ << ":" << remote_port_ << ": "
                     << reason;
  closing_ = true;
  if (!writing_) ShutdownLater();
}

void ClientConnection::ShutdownLater() {
  // The Node may still be using its ClientSession further up this call stack; the session is
  // released (OnDisconnect) only from a fresh handler.
  auto self = shared_from_this();
  asio::post(socket_.get_executor(), [self] { self->Shutdown(); });
}

void ClientConnection::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  closing_ = true;
  boost::system::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  out_.clear();
  writing_frames_ = 0;
  queued_bytes_ = 0;
  if (session_ != nullptr) {
    ClientSession* s = session_;
    session_ = nullptr;
    node_->OnDisconnect(s);
  }
}

}  // namespace corral
