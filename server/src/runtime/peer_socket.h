#pragma once
// Boost 1.74 asio uses std::exchange without including <utility>; it must come first.
#include <utility>

// Socket settings shared by both ends of a peer connection.
#include <boost/asio.hpp>

namespace corral {

// TCP_NODELAY: consensus messages are small and latency-bound (a vote, an ack); batching is
// done by gathering queued frames into one write, not by Nagle's algorithm.
//
// Dead-peer detection within about dead_peer_timeout_ms (where the OS allows): a peer whose host
// vanished without a FIN or RST — a Kubernetes pod deleted, its address gone — would otherwise
// hold a connection open for many minutes (TCP retransmits unacknowledged data for ~15 min, and
// keepalive starts after 2 hours), and the link to it would neither deliver nor reconnect to
// the address its name now resolves to. TCP_USER_TIMEOUT bounds how long written data may stay
// unacknowledged; keepalive probes, started after half that time of silence, cover the
// receiving side, which never writes.
void TunePeerSocket(boost::asio::ip::tcp::socket& socket, int dead_peer_timeout_ms);

}  // namespace corral
