#include "runtime/peer_transport.h"

#include "base/log.h"

namespace corral {
namespace {

namespace asio = boost::asio;

// After an accept error (out of file descriptors, say), wait before the next accept rather than
// spinning on the same error.
constexpr int kAcceptRetryMs = 100;

std::string KnownIds(const std::map<consensus::MemberId, std::shared_ptr<PeerLink>>& links) {
  std::string ids;
  for (const auto& [id, link] : links) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
  return ids.empty() ? "none" : ids;
}

}  // namespace

PeerTransport::PeerTransport(asio::io_context& io, PeerTransportOptions options,
                             MessageHandler on_message)
    : io_(io),
      options_(std::move(options)),
      on_message_(std::move(on_message)),
      acceptor_(io),
      accept_retry_timer_(io) {
  CORRAL_ASSERT(on_message_ != nullptr, "PeerTransport needs a message handler");
  for (const PeerAddress& peer : options_.peers) AddLink(peer);
}

void PeerTransport::AddLink(const PeerAddress& peer) {
  if (peer.id == options_.my_id) return;
  std::string hello = EncodeHelloFrame(
      options_.ensemble_id,
      PeerHello{options_.my_id, peer.id, options_.advertised_host, options_.advertised_port});
  links_[peer.id] = std::make_shared<PeerLink>(io_, peer, std::move(hello), options_.link);
}

void PeerTransport::SetPeers(const std::vector<PeerAddress>& peers) {
  if (stopped_) return;
  auto listed = [&](consensus::MemberId id) -> const PeerAddress* {
    for (const PeerAddress& p : peers) {
      if (p.id == id) return &p;
    }
    return nullptr;
  };
  for (auto it = options_.peers.begin(); it != options_.peers.end();) {
    const PeerAddress* now = listed(it->id);
    if (now != nullptr && now->host == it->host && now->port == it->port) {
      ++it;
      continue;
    }
    CORRAL_LOG(kInfo) << "member " << it->id << " (" << it->host << ":" << it->port << ") "
                      << (now == nullptr ? "left the ensemble" : "moved") << "; closing its links";
    auto link = links_.find(it->id);
    if (link != links_.end()) {
      link->second->Stop();
      links_.erase(link);
    }
    auto inbound = inbound_by_peer_.find(it->id);
    if (inbound != inbound_by_peer_.end()) {
      // Out of the maps first, kept alive here: Close may call OnClosed.
      std::shared_ptr<PeerInbound> connection = inbound_[inbound->second];
      inbound_.erase(inbound->second);
      inbound_by_peer_.erase(inbound);
      if (connection) connection->Close();
    }
    it = options_.peers.erase(it);
  }
  for (const PeerAddress& p : peers) {
    if (p.id == options_.my_id) continue;
    bool known = false;
    for (const PeerAddress& have : options_.peers) known |= have.id == p.id;
    if (known) continue;
    CORRAL_LOG(kInfo) << "member " << p.id << " (" << p.host << ":" << p.port
                      << ") joined the ensemble";
    options_.peers.push_back(p);
    AddLink(p);
  }
}

PeerTransport::~PeerTransport() {
  Stop();
  alive_.reset();
}

Status PeerTransport::Start() {
  CORRAL_ASSERT(!stopped_ && !acceptor_.is_open(), "PeerTransport::Start called twice");
  boost::system::error_code ec;
  std::string where = options_.listen_host + ":" + std::to_string(options_.listen_port);
  asio::ip::address address = asio::ip::make_address(options_.listen_host, ec);
  if (ec) {
    // A host name (a server.N line usually names the host): bind what it resolves to, as
    // ZooKeeper does. Blocking, but only here, once, at startup.
    asio::ip::tcp::resolver resolver(io_);
    auto results = resolver.resolve(options_.listen_host, std::to_string(options_.listen_port),
                                    asio::ip::tcp::resolver::numeric_service, ec);
    if (ec || results.empty()) {
      return Status::IoError("cannot resolve the quorum listen host " + options_.listen_host +
                             ": " + (ec ? ec.message() : "no addresses"));
    }
    address = results.begin()->endpoint().address();
  }
  asio::ip::tcp::endpoint endpoint(address, static_cast<uint16_t>(options_.listen_port));
  acceptor_.open(endpoint.protocol(), ec);
  // A restarted member must get its port back while connections of its previous life sit in
  // TIME_WAIT.
  if (!ec) acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    return Status::IoError("cannot listen for peers on " + where + ": " + ec.message());
  }
  listen_port_ = acceptor_.local_endpoint(ec).port();
  CORRAL_LOG(kInfo) << "member " << options_.my_id << " listening for peers on "
                    << endpoint.address().to_string() << ":" << listen_port_ << " (ensemble "
                    << EnsembleIdText(options_.ensemble_id) << ", peers " << KnownIds(links_)
                    << ")";
  Accept();
  return Status::Ok();
}

void PeerTransport::Accept() {
  std::weak_ptr<bool> alive = alive_;
  acceptor_.async_accept([this, alive](boost::system::error_code ec, asio::ip::tcp::socket socket) {
    if (alive.expired() || stopped_) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      CORRAL_LOG(kWarn) << "accepting a peer connection failed: " << ec.message();
      accept_retry_timer_.expires_after(std::chrono::milliseconds(kAcceptRetryMs));
      accept_retry_timer_.async_wait([this, alive](boost::system::error_code ec) {
        if (ec || alive.expired() || stopped_) return;
        Accept();
      });
      return;
    }
    OnAccepted(std::move(socket));
    Accept();
  });
}

size_t PeerTransport::UnidentifiedConnections() const {
  size_t count = 0;
  for (const auto& [raw, connection] : inbound_) count += connection->identified() ? 0 : 1;
  return count;
}

void PeerTransport::OnAccepted(asio::ip::tcp::socket socket) {
  if (UnidentifiedConnections() >= options_.unidentified_connections_max) {
    boost::system::error_code ec;
    auto endpoint = socket.remote_endpoint(ec);
    CORRAL_LOG(kWarn) << "closing peer connection from "
                      << (ec ? std::string("an unknown address")
                             : endpoint.address().to_string() + ":" +
                                   std::to_string(endpoint.port()))
                      << ": " << options_.unidentified_connections_max
                      << " connections are already waiting to send their Hello";
    ++stats_.connections_refused;
    socket.close(ec);
    return;
  }
  ++stats_.connections_accepted;
  PeerInbound::Options inbound_options;
  inbound_options.my_id = options_.my_id;
  inbound_options.ensemble_id = options_.ensemble_id;
  inbound_options.frame_limits = options_.frame_limits;
  inbound_options.hello_timeout_ms = options_.hello_timeout_ms;
  inbound_options.read_chunk_bytes_max = options_.read_chunk_bytes_max;
  inbound_options.dead_peer_timeout_ms = options_.link.dead_peer_timeout_ms;
  PeerInbound::Owner* owner = this;  // the base is private: convert here, where it is visible
  auto connection = std::make_shared<PeerInbound>(std::move(socket), owner, inbound_options);
  inbound_[connection.get()] = connection;
  connection->Start();
}

bool PeerTransport::OnHello(PeerInbound* connection, const PeerHello& hello, std::string* why) {
  if (hello.to != options_.my_id) {
    *why = "it was meant for member " + std::to_string(hello.to) + ", this is member " +
           std::to_string(options_.my_id) + " (do the server.N lines agree?)";
    return false;
  }
  if (hello.from == options_.my_id) {
    *why = "it claims to be this member (two members with the same myid?)";
    return false;
  }
  if (links_.count(hello.from) == 0 && !hello.quorum_host.empty() && hello.quorum_port > 0 &&
      unknown_peer_handler_) {
    // A member of the same ensemble (the frame's ensemble id checked out) that this one has not
    // been told about: a configuration that added it has not reached this member yet, and it
    // may even lead. Refusing it would leave this member out for good (it could neither learn
    // of that configuration nor answer its leader), so a link back is added; the consensus core
    // decides what its messages are worth (consensus/replica.cc, Step).
    CORRAL_LOG(kInfo) << "member " << hello.from << " at " << hello.quorum_host << ":"
                      << hello.quorum_port
                      << " is not in this member's configuration; linking back to it";
    unknown_peer_handler_(PeerAddress{hello.from, hello.quorum_host, hello.quorum_port});
  }
  if (links_.count(hello.from) == 0) {
    *why = "member " + std::to_string(hello.from) +
           " is not a peer of this member (peers: " + KnownIds(links_) + ")";
    return false;
  }
  // A peer dials again when it restarts or its link broke; the connection it used before is
  // dead or about to be, and would otherwise linger (this side never writes, so nothing would
  // notice a half-open one).
  auto previous = inbound_by_peer_.find(hello.from);
  if (previous != inbound_by_peer_.end() && previous->second != connection) {
    PeerInbound* old = previous->second;
    CORRAL_LOG(kInfo) << "member " << hello.from << " connected again from " << connection->remote()
                      << "; closing its older connection from " << old->remote();
    old->Close();
    inbound_.erase(old);
  } else {
    CORRAL_LOG(kInfo) << "accepted peer connection from member " << hello.from << " at "
                      << connection->remote();
  }
  inbound_by_peer_[hello.from] = connection;
  return true;
}

void PeerTransport::OnMessage(consensus::Message message, size_t frame_bytes) {
  if (stopped_) return;
  ++stats_.messages_received;
  stats_.bytes_received += frame_bytes;
  on_message_(std::move(message));
}

void PeerTransport::OnClosed(PeerInbound* connection, bool refused) {
  if (refused) ++stats_.connections_refused;
  auto by_peer = inbound_by_peer_.find(connection->peer_id());
  if (by_peer != inbound_by_peer_.end() && by_peer->second == connection) {
    inbound_by_peer_.erase(by_peer);
  }
  inbound_.erase(connection);
}

void PeerTransport::Send(consensus::Message message) {
  CORRAL_ASSERT(io_.get_executor().running_in_this_thread(),
                "PeerTransport::Send off the io_context's thread");
  if (stopped_) return;
  auto link = links_.find(message.to);
  if (link == links_.end()) {
    ++stats_.messages_unroutable;
    CORRAL_LOG(kWarn) << "dropping a " << consensus::MessageTypeName(message.type) << " for member "
                      << message.to << ": not a peer of member " << options_.my_id
                      << " (peers: " << KnownIds(links_) << ")";
    return;
  }
  consensus::MessageType type = message.type;
  StatusOr<std::string> frame =
      EncodeMessageFrame(options_.ensemble_id, std::move(message), options_.frame_limits);
  if (!frame.ok()) {
    ++stats_.messages_too_large;
    CORRAL_LOG(kError) << "cannot send a " << consensus::MessageTypeName(type) << " to member "
                       << link->first << ": " << frame.status().message();
    return;
  }
  link->second->Send(std::move(frame.value()));
}

void PeerTransport::Stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  accept_retry_timer_.cancel();
  for (auto& [id, link] : links_) link->Stop();
  for (auto& [raw, connection] : inbound_) connection->Close();
  inbound_.clear();
  inbound_by_peer_.clear();
}

PeerLinkStats PeerTransport::link_stats(consensus::MemberId peer) const {
  auto link = links_.find(peer);
  return link == links_.end() ? PeerLinkStats() : link->second->stats();
}

}  // namespace corral
