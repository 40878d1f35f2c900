#include "runtime/peer_socket.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>

namespace corral {
namespace {

// Best effort: a socket that refuses an option still works, only less well.
void SetTcpOption(int fd, int option, int value) {
  (void)::setsockopt(fd, IPPROTO_TCP, option, &value, sizeof(value));
}

}  // namespace

void TunePeerSocket(boost::asio::ip::tcp::socket& socket, int dead_peer_timeout_ms) {
  namespace asio = boost::asio;
  boost::system::error_code ignored;
  socket.set_option(asio::ip::tcp::no_delay(true), ignored);
  socket.set_option(asio::socket_base::keep_alive(true), ignored);
  if (dead_peer_timeout_ms <= 0 || !socket.is_open()) return;
  int fd = socket.native_handle();
  // Silence for half the timeout, then probes that use up the other half.
  int idle_s = std::max(1, dead_peer_timeout_ms / 2000);
  int interval_s = std::max(1, dead_peer_timeout_ms / 10000);
  int probes = std::max(1, idle_s / interval_s);
#if defined(TCP_KEEPIDLE) && defined(TCP_KEEPINTVL) && defined(TCP_KEEPCNT)
  SetTcpOption(fd, TCP_KEEPIDLE, idle_s);
  SetTcpOption(fd, TCP_KEEPINTVL, interval_s);
  SetTcpOption(fd, TCP_KEEPCNT, probes);
#endif
#ifdef TCP_USER_TIMEOUT
  SetTcpOption(fd, TCP_USER_TIMEOUT, dead_peer_timeout_ms);
#endif
}

}  // namespace corral
