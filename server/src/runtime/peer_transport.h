#pragma once
// Boost 1.74 asio uses std::exchange without including <utility>; it must come first.
#include <utility>

// PeerTransport: how consensus::Messages travel between the members of an ensemble, over TCP,
// framed and checked by runtime/peer_codec.h.
//
// Connections are one-way. Every member dials every peer for the messages IT sends (a PeerLink
// per peer) and accepts the connections its peers dial for the messages it receives (a
// PeerInbound each), so a pair of members holds two TCP connections, each carrying one
// direction. This avoids ZooKeeper's rule that only the larger id may keep a connection (and
// its dance of dial, compare ids, drop, dial back): nobody ever has to decide which of two
// crossing connections survives, a restarted member simply dials again, and a stuck peer
// stalls only the link to itself. The price is one more connection per pair, negligible at
// ensemble sizes.
//
// Delivery is best effort, in order per link: messages are lost when a connection breaks or a
// link's bounded queue overflows, and never duplicated or reordered by the transport. The
// consensus core is built to tolerate loss.
//
// Thread-safety: constructed, started, stopped and destroyed on one thread, and Send is called
// only on the io_context's thread (asserted); on_message runs there too, so the core thread that
// runs the io_context needs no locks. Nothing blocks that thread, except Start() resolving a
// listen host given as a name, once, at startup.
#include <boost/asio.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "base/status.h"
#include "consensus/message.h"
#include "runtime/peer_inbound.h"
#include "runtime/peer_link.h"
#include "runtime/peer_transport_options.h"

namespace corral {

struct PeerTransportStats {
  uint64_t messages_received = 0;
  uint64_t bytes_received = 0;  // whole frames
  uint64_t connections_accepted = 0;
  uint64_t connections_refused = 0;  // bad Hello, bad frame, too many unidentified
  uint64_t messages_unroutable = 0;  // Send to a member that is not a peer (or to itself)
  uint64_t messages_too_large = 0;   // Send of a message over its frame limit
};

class PeerTransport : private PeerInbound::Owner {
 public:
  // Called for every message a known peer sends to this member, on the io_context's thread.
  // It may call Send and Stop, but must not destroy the transport.
  using MessageHandler = std::function<void(consensus::Message message)>;

  PeerTransport(boost::asio::io_context& io, PeerTransportOptions options,
                MessageHandler on_message);
  ~PeerTransport();  // Stop()s
  PeerTransport(const PeerTransport&) = delete;
  PeerTransport& operator=(const PeerTransport&) = delete;

  // Listens on options.listen_host:listen_port. IoError naming the address when it cannot.
  // Once, before the io_context runs or on its thread.
  Status Start();
  // Queues `message` for the peer message.to. A message to a member that is not a peer, or too
  // large to frame, is dropped with a log line and counted. Encodes on the calling thread; for a
  // snapshot that is one copy and one CRC pass over its bytes (milliseconds per 100 MiB).
  void Send(consensus::Message message);
  // Replaces the peer set (a membership change, docs/membership.md): links to members no
  // longer listed, or listed at another address, are stopped with what they had queued, and
  // their inbound connections closed; new members get a link, dialed on the first Send.
  // Members listed before and after keep their link and queue. This member in the list is
  // ignored.
  void SetPeers(const std::vector<PeerAddress>& peers);
  // Called when a member of this ensemble that is not a peer dials in and says where it
  // listens; the handler may add it with SetPeers, and the connection is then accepted. Without
  // a handler such members are refused.
  void SetUnknownPeerHandler(std::function<void(const PeerAddress&)> handler) {
    unknown_peer_handler_ = std::move(handler);
  }
  // Closes the listener and every connection and drops everything queued. No callback runs
  // afterwards. Idempotent; the transport cannot be started again.
  void Stop();

  // The port listened on (useful when options.listen_port was 0); 0 before Start.
  int listen_port() const { return listen_port_; }
  const PeerTransportOptions& options() const { return options_; }
  PeerTransportStats stats() const { return stats_; }
  // Zeroes for a member that is not a peer.
  PeerLinkStats link_stats(consensus::MemberId peer) const;

 private:
  void AddLink(const PeerAddress& peer);
  void Accept();
  void OnAccepted(boost::asio::ip::tcp::socket socket);
  size_t UnidentifiedConnections() const;

  // PeerInbound::Owner.
  bool OnHello(PeerInbound* connection, const PeerHello& hello, std::string* why) override;
  void OnMessage(consensus::Message message, size_t frame_bytes) override;
  void OnClosed(PeerInbound* connection, bool refused) override;

  boost::asio::io_context& io_;
  PeerTransportOptions options_;
  MessageHandler on_message_;
  std::function<void(const PeerAddress&)> unknown_peer_handler_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer accept_retry_timer_;
  // Accept handlers hold a weak reference: one that runs after the transport is gone sees it
  // expired and touches nothing. (Links and inbound connections guard themselves.)
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::map<consensus::MemberId, std::shared_ptr<PeerLink>> links_;
  std::map<PeerInbound*, std::shared_ptr<PeerInbound>> inbound_;
  std::map<consensus::MemberId, PeerInbound*> inbound_by_peer_;  // the newest identified one
  int listen_port_ = 0;
  bool stopped_ = false;
  PeerTransportStats stats_;
};

}  // namespace corral
