#include "runtime/client_connection.h"

#include "base/log.h"

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
  ReadHeader();
}

bool ClientConnection::ShouldPauseReading() const {
  return queued_bytes_ > limits_.output_pause_bytes ||
         (session_ != nullptr && session_->pending.size() > limits_.pending_pause_requests);
}

void ClientConnection::ReadHeader() {
  if (closing_ || shut_down_) return;
  if (ShouldPauseReading()) {
    paused_ = true;
    return;
  }
  reading_ = true;
  auto self = shared_from_this();
  asio::async_read(socket_, asio::buffer(header_),
                   [this, self](boost::system::error_code ec, size_t read_bytes) {
                     reading_ = false;
                     if (ec) {
                       if (read_bytes > 0 && ec != asio::error::operation_aborted) {
                         // A client that stops inside the length prefix is broken or hostile: say
                         // so.
                         CORRAL_LOG(kInfo) << "connection from " << remote_ip_ << ":"
                                           << remote_port_ << " ended inside a frame length ("
                                           << read_bytes << " of 4 bytes); closing it";
                       } else if (ec != asio::error::eof && ec != asio::error::operation_aborted) {
                         CORRAL_LOG(kDebug) << "read from " << remote_ip_ << ":" << remote_port_
                                            << " failed: " << ec.message();
                       }
                       Shutdown();
                       return;
                     }
                     if (shut_down_) return;  // completed just before a Shutdown that ran first
                     uint32_t raw =
                         (static_cast<uint32_t>(static_cast<uint8_t>(header_[0])) << 24) |
                         (static_cast<uint32_t>(static_cast<uint8_t>(header_[1])) << 16) |
                         (static_cast<uint32_t>(static_cast<uint8_t>(header_[2])) << 8) |
                         static_cast<uint32_t>(static_cast<uint8_t>(header_[3]));
                     OnHeader(raw);
                   });
}

void ClientConnection::OnHeader(uint32_t raw) {
  if (first_frame_) {
    first_frame_ = false;
    std::string word(header_.data(), 4);
    if (Node::IsFourLetterWord(word)) {
      Send(node_->FourLetterWord(word));
      Close("four-letter word answered");
      return;
    }
  }
  auto length = static_cast<int32_t>(raw);
  if (length < 0 || length > limits_.frame_max_bytes) {
    CORRAL_LOG(kWarn) << "closing connection from " << remote_ip_ << ":" << remote_port_
                      << ": frame length " << length << " is outside 0.." << limits_.frame_max_bytes
                      << " (jute.maxbuffer)";
    Close("bad frame length");
    return;
  }
  ReadBody(static_cast<uint32_t>(length));
}

void ClientConnection::ReadBody(uint32_t length) {
  body_.resize(length);
  reading_ = true;
  auto self = shared_from_this();
  asio::async_read(
      socket_, asio::buffer(body_), [this, self](boost::system::error_code ec, size_t) {
        reading_ = false;
        if (ec) {
          if (ec != asio::error::operation_aborted) {
            CORRAL_LOG(kInfo) << "connection from " << remote_ip_ << ":" << remote_port_
                              << " ended inside a frame (" << ec.message() << "); closing it";
          }
          Shutdown();
          return;
        }
        // The read may have completed just before a Shutdown that ran first (a member that
        // stops serving closes every connection at once): the session is gone, drop the frame.
        if (shut_down_ || session_ == nullptr) return;
        node_->OnFrame(session_, std::move(body_));
        body_.clear();
        ReadHeader();
      });
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
  auto self = shared_from_this();
  asio::async_write(socket_, asio::buffer(out_.front()),
                    [this, self](boost::system::error_code ec, size_t) {
                      if (ec || shut_down_) {
                        // shut_down_: the write completed just before a Shutdown that ran
                        // first and emptied the queue (a member closing every connection).
                        writing_ = false;
                        Shutdown();
                        return;
                      }
                      queued_bytes_ -= out_.front().size();
                      out_.pop_front();
                      MaybeResumeReading();
                      WriteNext();
                    });
}

void ClientConnection::MaybeResumeReading() {
  if (paused_ && !reading_ && !closing_ && !ShouldPauseReading()) {
    paused_ = false;
    ReadHeader();
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
  queued_bytes_ = 0;
  if (session_ != nullptr) {
    ClientSession* s = session_;
    session_ = nullptr;
    node_->OnDisconnect(s);
  }
}

}  // namespace corral
