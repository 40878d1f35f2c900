// TunePeerSocket: the options really reach the socket.
#include "runtime/peer_socket.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <utility>  // before Boost.Asio (see runtime/server.h)

namespace corral {
namespace {

namespace asio = boost::asio;

int TcpOption(asio::ip::tcp::socket& socket, int option) {
  int value = -1;
  socklen_t size = sizeof(value);
  EXPECT_EQ(::getsockopt(socket.native_handle(), IPPROTO_TCP, option, &value, &size), 0);
  return value;
}

TEST(PeerSocket, SetsNoDelayKeepaliveAndTheDeadPeerTimeout) {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  asio::ip::tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  TunePeerSocket(client, 10000);
  EXPECT_EQ(TcpOption(client, TCP_NODELAY), 1);
  asio::socket_base::keep_alive keep_alive;
  client.get_option(keep_alive);
  EXPECT_TRUE(keep_alive.value());
#ifdef TCP_USER_TIMEOUT
  EXPECT_EQ(TcpOption(client, TCP_USER_TIMEOUT), 10000);
#endif
#ifdef TCP_KEEPIDLE
  EXPECT_EQ(TcpOption(client, TCP_KEEPIDLE), 5);  // silent for half the timeout, then probes
  EXPECT_EQ(TcpOption(client, TCP_KEEPINTVL), 1);
  EXPECT_EQ(TcpOption(client, TCP_KEEPCNT), 5);
#endif
}

}  // namespace
}  // namespace corral
