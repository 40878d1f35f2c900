#include "runtime/server.h"

#include <algorithm>

#include "base/log.h"

namespace corral {

namespace asio = boost::asio;

Server::Server(Config config)
    : config_(config),
      node_(std::move(config), env::SystemClock(), env::SystemRandom()),
      acceptor_(io_),
      ticker_(io_),
      signals_(io_, SIGINT, SIGTERM) {
  limits_.frame_max_bytes = config_.jute_max_buffer_bytes;
  limits_.pending_pause_requests =
      static_cast<size_t>(std::max(1, config_.global_outstanding_limit));
  // Expiry is checked at least twice per tick; ZooKeeper's own granularity is one tick.
  tick_interval_ms_ = std::clamp(config_.tick_time_ms / 2, 10, 500);
}

Status Server::Listen() {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(config_.client_port_address, ec);
  if (ec) {
    return Status::InvalidArgument("clientPortAddress: \"" + config_.client_port_address +
                                   "\" is not an IP address");
  }
  asio::ip::tcp::endpoint endpoint(address, static_cast<uint16_t>(config_.client_port));
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IoError("cannot listen on " + config_.client_port_address + ":" +
                           std::to_string(config_.client_port) + ": " + ec.message());
  }
  return Status::Ok();
}

int Server::client_port() const { return acceptor_.local_endpoint().port(); }

void Server::Accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, asio::ip::tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      // Out of descriptors and similar: log and keep accepting; the listener must not die.
      CORRAL_LOG(kWarn) << "accept failed: " << ec.message();
    } else {
      std::make_shared<ClientConnection>(std::move(socket), &node_, limits_)->Start();
    }
    Accept();
  });
}

void Server::ScheduleTick() {
  ticker_.expires_after(std::chrono::milliseconds(tick_interval_ms_));
  ticker_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    node_.Tick();
    ScheduleTick();
  });
}

void Server::Run() {
  signals_.async_wait([this](boost::system::error_code ec, int signal_number) {
    if (ec) return;
    CORRAL_LOG(kInfo) << "received signal " << signal_number << ", shutting down";
    Stop();
  });
  Accept();
  ScheduleTick();
  CORRAL_LOG(kInfo) << "serving clients on " << config_.client_port_address << ":" << client_port()
                    << " (standalone)";
  io_.run();
  CORRAL_LOG(kInfo) << "stopped";
}

void Server::Stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
  ticker_.cancel();
  signals_.cancel();
  io_.stop();
}

}  // namespace corral
