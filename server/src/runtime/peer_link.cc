#include "runtime/peer_link.h"

#include <algorithm>

#include "base/log.h"
#include "runtime/peer_socket.h"

namespace corral {
namespace {

namespace asio = boost::asio;

// 1, 2, 4, 8, ...: how often a run of identical failures is worth a line at info level.
bool IsPowerOfTwo(uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

}  // namespace

PeerLink::PeerLink(asio::io_context& io, PeerAddress peer, std::string hello_frame,
                   PeerLinkOptions options)
    : peer_(std::move(peer)),
      hello_frame_(std::move(hello_frame)),
      options_(options),
      resolver_(io),
      socket_(io),
      connect_timer_(io),
      backoff_timer_(io),
      queue_(options.queue_bytes_max),
      backoff_ms_(options.reconnect_backoff_min_ms) {}

std::string PeerLink::Name() const {
  return "peer " + std::to_string(peer_.id) + " (" + peer_.host + ":" + std::to_string(peer_.port) +
         ")";
}

PeerLinkStats PeerLink::stats() const {
  PeerLinkStats out = stats_;
  out.connected = state_ == State::kConnected;
  out.frames_dropped += queue_.dropped_frames();
  out.bytes_dropped += queue_.dropped_bytes();
  out.queued_frames = queue_.frames();
  out.queued_bytes = queue_.bytes();
  return out;
}

void PeerLink::Send(std::string frame) {
  if (state_ == State::kStopped) return;
  size_t dropped = queue_.Push(std::move(frame));
  if (dropped > 0 && IsPowerOfTwo(queue_.dropped_frames())) {
    CORRAL_LOG(kWarn) << Name() << ": outgoing queue over " << options_.queue_bytes_max
                      << " bytes; dropped the oldest frames (" << queue_.dropped_frames()
                      << " so far)";
  }
  if (state_ == State::kIdle) {
    Connect();
  } else if (state_ == State::kConnected) {
    WriteMore();
  }
}

void PeerLink::Stop() {
  if (state_ == State::kStopped) return;
  state_ = State::kStopped;
  ++generation_;
  CloseSocket();
  backoff_timer_.cancel();
  queue_ = PeerSendQueue(options_.queue_bytes_max);
}

void PeerLink::CloseSocket() {
  boost::system::error_code ignored;
  resolver_.cancel();
  connect_timer_.cancel();
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void PeerLink::Connect() {
  state_ = State::kResolving;
  hello_sent_ = false;
  uint64_t generation = generation_;
  auto self = shared_from_this();
  connect_timer_.expires_after(std::chrono::milliseconds(options_.connect_timeout_ms));
  connect_timer_.async_wait([this, self, generation](boost::system::error_code ec) {
    if (ec || generation != generation_) return;
    if (state_ != State::kResolving && state_ != State::kConnecting) return;
    Fail("no connection within " + std::to_string(options_.connect_timeout_ms) + " ms");
  });
  resolver_.async_resolve(peer_.host, std::to_string(peer_.port),
                          asio::ip::tcp::resolver::numeric_service,
                          [this, self, generation](boost::system::error_code ec, Results results) {
                            OnResolved(generation, ec, std::move(results));
                          });
}

void PeerLink::OnResolved(uint64_t generation, boost::system::error_code ec, Results results) {
  if (generation != generation_ || state_ != State::kResolving) return;
  if (ec) {
    Fail("cannot resolve " + peer_.host + ": " + ec.message());
    return;
  }
  state_ = State::kConnecting;
  auto self = shared_from_this();
  asio::async_connect(
      socket_, results,
      [this, self, generation](boost::system::error_code ec, const asio::ip::tcp::endpoint&) {
        OnConnected(generation, ec);
      });
}

void PeerLink::OnConnected(uint64_t generation, boost::system::error_code ec) {
  if (generation != generation_ || state_ != State::kConnecting) return;
  if (ec) {
    Fail("cannot connect: " + ec.message());
    return;
  }
  connect_timer_.cancel();
  TunePeerSocket(socket_, options_.dead_peer_timeout_ms);
  state_ = State::kConnected;
  connected_at_ = std::chrono::steady_clock::now();
  ++stats_.connects;
  if (failures_in_a_row_ > 0) {
    CORRAL_LOG(kInfo) << Name() << ": connected after " << failures_in_a_row_ << " failed attempts";
  } else {
    CORRAL_LOG(kInfo) << Name() << ": connected";
  }
  failures_in_a_row_ = 0;
  WatchForClose();
  WriteMore();
}

void PeerLink::WatchForClose() {
  auto self = shared_from_this();
  uint64_t generation = generation_;
  socket_.async_read_some(asio::buffer(probe_),
                          [this, self, generation](boost::system::error_code ec, size_t) {
                            if (generation != generation_ || state_ != State::kConnected) return;
                            if (ec == asio::error::eof) {
                              Fail("the peer closed the connection");
                            } else if (ec) {
                              Fail(ec.message());
                            } else {
                              Fail("the peer sent data on a send-only connection");
                            }
                          });
}

void PeerLink::WriteMore() {
  if (state_ != State::kConnected || writing_) return;
  if (hello_sent_ && queue_.empty()) return;
  // The batch lives in the handler, so a write that outlives its connection (the socket closed
  // under it) still has its buffers.
  auto batch = std::make_shared<std::vector<std::string>>();
  queue_.TakeBatch(options_.write_batch_frames_max, options_.write_batch_bytes_max, batch.get());
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(batch->size() + 1);
  size_t bytes = 0;
  if (!hello_sent_) {
    buffers.push_back(asio::buffer(hello_frame_));
    bytes += hello_frame_.size();
    hello_sent_ = true;
  }
  writing_frames_ = batch->size();
  writing_bytes_ = 0;
  for (const std::string& frame : *batch) {
    buffers.push_back(asio::buffer(frame));
    writing_bytes_ += frame.size();
  }
  bytes += writing_bytes_;
  writing_ = true;
  auto self = shared_from_this();
  uint64_t generation = generation_;
  size_t frames = batch->size();
  asio::async_write(
      socket_, buffers,
      [this, self, generation, batch, frames, bytes](boost::system::error_code ec, size_t) {
        OnWritten(generation, ec, frames, bytes);
      });
}

void PeerLink::OnWritten(uint64_t generation, boost::system::error_code ec, size_t frames,
                         size_t bytes) {
  if (generation != generation_ || state_ != State::kConnected) return;
  if (ec) {
    Fail("write failed: " + ec.message());
    return;
  }
  writing_ = false;
  writing_frames_ = 0;
  writing_bytes_ = 0;
  stats_.frames_sent += frames;
  stats_.bytes_sent += bytes;
  WriteMore();
}

void PeerLink::Fail(const std::string& what) {
  if (state_ == State::kStopped) return;
  bool was_connected = state_ == State::kConnected;
  ++generation_;
  CloseSocket();
  if (writing_) {
    stats_.frames_dropped += writing_frames_;
    stats_.bytes_dropped += writing_bytes_;
    writing_ = false;
    writing_frames_ = 0;
    writing_bytes_ = 0;
  }
  auto now = std::chrono::steady_clock::now();
  if (was_connected) {
    ++stats_.disconnects;
    CORRAL_LOG(kInfo) << Name() << ": connection lost: " << what;
    // A connection that stayed up a while says the peer is healthy: retry at once. One that the
    // peer closed right away (it refused the Hello, say) must not become a tight loop.
    if (now - connected_at_ >= std::chrono::milliseconds(options_.reconnect_backoff_max_ms)) {
      backoff_ms_ = options_.reconnect_backoff_min_ms;
    }
  } else {
    ++stats_.connect_failures;
    ++failures_in_a_row_;
    if (IsPowerOfTwo(static_cast<uint64_t>(failures_in_a_row_))) {
      CORRAL_LOG(kInfo) << Name() << ": connection attempt " << failures_in_a_row_
                        << " failed: " << what << "; retrying every " << backoff_ms_ << " to "
                        << options_.reconnect_backoff_max_ms << " ms";
    } else {
      CORRAL_LOG(kDebug) << Name() << ": connection attempt " << failures_in_a_row_
                         << " failed: " << what;
    }
  }
  int delay_ms = backoff_ms_;
  backoff_ms_ = std::min(backoff_ms_ * 2, options_.reconnect_backoff_max_ms);
  state_ = State::kBackoff;
  backoff_timer_.expires_after(std::chrono::milliseconds(delay_ms));
  auto self = shared_from_this();
  uint64_t generation = generation_;
  backoff_timer_.async_wait(
      [this, self, generation](boost::system::error_code ec) { OnBackoffElapsed(generation, ec); });
}

void PeerLink::OnBackoffElapsed(uint64_t generation, boost::system::error_code ec) {
  if (ec || generation != generation_ || state_ != State::kBackoff) return;
  // Lazy: with nothing to send, wait for the next frame to connect.
  if (queue_.empty()) {
    state_ = State::kIdle;
  } else {
    Connect();
  }
}

}  // namespace corral
