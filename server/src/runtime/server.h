#pragma once
// Boost 1.74 asio uses std::exchange without including <utility>; it must come first.
#include <utility>

// Server: the Asio shell around one Node — the client listener, the ticker that drives session
// expiry and reaping, and clean shutdown on SIGINT/SIGTERM. Run() blocks on the calling thread,
// which becomes the core thread: every Node call happens there.
#include <boost/asio.hpp>
#include <memory>

#include "config/config.h"
#include "node/node.h"
#include "runtime/client_connection.h"

namespace corral {

class Server {
 public:
  explicit Server(Config config);
  // Binds the client port; an error names the address and the reason.
  Status Listen();
  // Serves until a signal (or Stop) arrives.
  void Run();
  void Stop();
  int client_port() const;

 private:
  void Accept();
  void ScheduleTick();

  Config config_;
  boost::asio::io_context io_;
  Node node_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer ticker_;
  boost::asio::signal_set signals_;
  ConnectionLimits limits_;
  int tick_interval_ms_;
};

}  // namespace corral
