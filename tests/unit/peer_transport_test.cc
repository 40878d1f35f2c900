// PeerTransport on loopback: three members in one process, one io_context run by the test
// thread. Delivery between every pair, in order; reconnection after a member restarts; the
// bounded queue; a 10 MiB snapshot; and refusal of whatever is not a member of this ensemble
// speaking the protocol (wrong ensemble, unknown member, garbage, oversized frames, silence),
// sent from raw sockets. Binds 127.0.0.1 only.
#include "runtime/peer_transport.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>  // before Boost.Asio (see runtime/server.h)
#include <vector>

#include "runtime/peer_codec.h"

namespace corral {
namespace {

namespace asio = boost::asio;
using consensus::MemberId;
using consensus::Message;
using consensus::MessageType;

constexpr uint64_t kEnsemble = 0xc0441a1;
constexpr int kMembers = 3;

// Free ports on 127.0.0.1, found by binding port 0 and closing again. The transports bind them
// with SO_REUSEADDR right after; the race with another process is negligible on loopback.
std::vector<int> FreePorts(asio::io_context& io, int count) {
  std::vector<asio::ip::tcp::acceptor> holders;
  std::vector<int> ports;
  for (int i = 0; i < count; ++i) {
    holders.emplace_back(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    ports.push_back(holders.back().local_endpoint().port());
  }
  return ports;
}

Message Ping(MemberId from, MemberId to, int64_t request_id) {
  Message m;
  m.type = MessageType::kSyncRequest;
  m.from = from;
  m.to = to;
  m.epoch = 7;
  m.request_id = request_id;
  return m;
}

class PeerTransportTest : public ::testing::Test {
 protected:
  PeerTransportTest() : work_(asio::make_work_guard(io_)), ports_(FreePorts(io_, kMembers)) {}

  ~PeerTransportTest() override {
    for (auto& [id, node] : nodes_) node->Stop();
    nodes_.clear();
    io_.run_for(std::chrono::milliseconds(20));  // let the aborted handlers run
  }

  int PortOf(MemberId id) const { return ports_[static_cast<size_t>(id - 1)]; }

  PeerTransportOptions OptionsFor(MemberId id) const {
    PeerTransportOptions options;
    options.my_id = id;
    options.ensemble_id = kEnsemble;
    for (MemberId peer = 1; peer <= kMembers; ++peer) {
      options.peers.push_back(PeerAddress{peer, "127.0.0.1", PortOf(peer)});
    }
    options.listen_host = "127.0.0.1";
    options.listen_port = PortOf(id);
    // Fast retries, so a restart is noticed within milliseconds.
    options.link.reconnect_backoff_min_ms = 5;
    options.link.reconnect_backoff_max_ms = 50;
    options.hello_timeout_ms = 300;
    return options;
  }

  PeerTransport* StartNode(MemberId id) { return StartNode(OptionsFor(id)); }

  PeerTransport* StartNode(PeerTransportOptions options) {
    MemberId id = options.my_id;
    auto node = std::make_unique<PeerTransport>(
        io_, std::move(options), [this, id](Message m) { received_[id].push_back(std::move(m)); });
    Status started = node->Start();
    EXPECT_TRUE(started.ok()) << started.ToString();
    PeerTransport* raw = node.get();
    nodes_[id] = std::move(node);
    return raw;
  }

  void StopNode(MemberId id) {
    nodes_.at(id)->Stop();
    nodes_.erase(id);  // destroyed while its aborted handlers are still queued
  }

  // Send must run on the io_context's thread, as it does in the server.
  void Send(MemberId from, Message m) {
    asio::post(io_,
               [this, from, m = std::move(m)]() mutable { nodes_.at(from)->Send(std::move(m)); });
  }

  bool RunUntil(const std::function<bool()>& done, int timeout_ms = 10000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.run_for(std::chrono::milliseconds(2));
    }
    return true;
  }

  std::vector<int64_t> RequestIds(MemberId id) {
    std::vector<int64_t> ids;
    for (const Message& m : received_[id]) ids.push_back(m.request_id);
    return ids;
  }

  // A raw client connection to member `id`'s peer port, for sending what a member never would.
  asio::ip::tcp::socket RawConnect(MemberId id) {
    asio::ip::tcp::socket socket(io_);
    socket.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), PortOf(id)));
    return socket;
  }

  // Runs until member `id` has refused one more connection, then checks the raw socket was
  // closed by it.
  void ExpectRefused(MemberId id, asio::ip::tcp::socket& raw, uint64_t refused_before) {
    PeerTransport* node = nodes_.at(id).get();
    ASSERT_TRUE(RunUntil([&] { return node->stats().connections_refused > refused_before; }))
        << "member " << id << " did not refuse the connection";
    char byte;
    boost::system::error_code ec;
    raw.read_some(asio::buffer(&byte, 1), ec);
    EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
    EXPECT_TRUE(received_[id].empty());
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<int> ports_;
  std::map<MemberId, std::unique_ptr<PeerTransport>> nodes_;
  std::map<MemberId, std::vector<Message>> received_;
};

TEST_F(PeerTransportTest, DeliversBetweenEveryPair) {
  for (MemberId id = 1; id <= kMembers; ++id) StartNode(id);
  for (MemberId from = 1; from <= kMembers; ++from) {
    for (MemberId to = 1; to <= kMembers; ++to) {
      if (from != to) Send(from, Ping(from, to, from * 10 + to));
    }
  }
  ASSERT_TRUE(RunUntil([&] {
    return received_[1].size() == 2 && received_[2].size() == 2 && received_[3].size() == 2;
  }));
  for (MemberId to = 1; to <= kMembers; ++to) {
    for (const Message& m : received_[to]) {
      EXPECT_EQ(m.to, to);
      EXPECT_EQ(m.request_id, m.from * 10 + to);
      EXPECT_EQ(m.type, MessageType::kSyncRequest);
      EXPECT_EQ(m.epoch, 7);
    }
  }
  EXPECT_EQ(nodes_[1]->link_stats(2).connects, 1u);
  EXPECT_TRUE(nodes_[1]->link_stats(2).connected);
  EXPECT_EQ(nodes_[2]->stats().connections_accepted, 2u);
  EXPECT_EQ(nodes_[2]->stats().connections_refused, 0u);
}

TEST_F(PeerTransportTest, ManyMessagesArriveInOrder) {
  StartNode(1);
  StartNode(2);
  constexpr int kCount = 5000;
  // Queued in one handler: they go out in gathered writes of many frames each.
  asio::post(io_, [&] {
    for (int i = 0; i < kCount; ++i) nodes_[1]->Send(Ping(1, 2, i));
  });
  ASSERT_TRUE(RunUntil([&] { return received_[2].size() == kCount; }));
  std::vector<int64_t> ids = RequestIds(2);
  for (int i = 0; i < kCount; ++i) ASSERT_EQ(ids[static_cast<size_t>(i)], i);
  PeerLinkStats link = nodes_[1]->link_stats(2);
  EXPECT_EQ(link.frames_sent, static_cast<uint64_t>(kCount));
  EXPECT_EQ(link.frames_dropped, 0u);
  EXPECT_EQ(nodes_[2]->stats().messages_received, static_cast<uint64_t>(kCount));
}

TEST_F(PeerTransportTest, ReconnectsAfterAPeerRestarts) {
  StartNode(1);
  StartNode(2);
  Send(1, Ping(1, 2, 1));
  Send(2, Ping(2, 1, 100));
  ASSERT_TRUE(RunUntil([&] { return received_[2].size() == 1 && received_[1].size() == 1; }));

  StopNode(2);
  // Member 1 notices at once (its link reads for the peer's close), not at its next write.
  ASSERT_TRUE(RunUntil([&] { return !nodes_[1]->link_stats(2).connected; }));
  EXPECT_EQ(nodes_[1]->link_stats(2).disconnects, 1u);

  // Sent while member 2 is down: queued, and retried with backoff until it is back.
  Send(1, Ping(1, 2, 2));
  ASSERT_TRUE(RunUntil([&] { return nodes_[1]->link_stats(2).connect_failures >= 2; }));
  received_[2].clear();
  StartNode(2);  // same port, a new life
  ASSERT_TRUE(RunUntil([&] { return received_[2].size() == 1; }));
  EXPECT_EQ(received_[2][0].request_id, 2);
  EXPECT_EQ(nodes_[1]->link_stats(2).connects, 2u);

  // And the restarted member's own link to member 1 works; member 1 replaced its inbound one.
  Send(2, Ping(2, 1, 101));
  ASSERT_TRUE(RunUntil([&] { return received_[1].size() == 2; }));
  EXPECT_EQ(received_[1][1].request_id, 101);
}

TEST_F(PeerTransportTest, QueueWhileDownKeepsOnlyTheNewestWithinItsBound) {
  PeerTransportOptions options = OptionsFor(1);
  options.link.queue_bytes_max = 16 << 10;
  StartNode(options);
  // Member 2 is not running: member 1 queues, fails to connect, retries.
  std::string padding(1000, 'p');
  asio::post(io_, [&] {
    for (int i = 0; i < 100; ++i) {
      Message m = Ping(1, 2, i);
      m.snapshot = padding;  // ~1 KB per frame
      nodes_[1]->Send(std::move(m));
    }
  });
  ASSERT_TRUE(RunUntil([&] { return nodes_[1]->link_stats(2).connect_failures >= 1; }));
  PeerLinkStats queued = nodes_[1]->link_stats(2);
  EXPECT_LE(queued.queued_bytes, 16u << 10);
  EXPECT_GT(queued.frames_dropped, 80u);
  EXPECT_EQ(queued.frames_dropped + queued.queued_frames, 100u);

  StartNode(2);
  ASSERT_TRUE(RunUntil([&] { return received_[2].size() == queued.queued_frames; }));
  std::vector<int64_t> ids = RequestIds(2);
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(ids[i], static_cast<int64_t>(100 - ids.size() + i));  // the newest, in order
  }
}

TEST_F(PeerTransportTest, TenMebibyteSnapshotGetsThrough) {
  StartNode(1);
  StartNode(3);
  Message snapshot;
  snapshot.type = MessageType::kSnapshot;
  snapshot.from = 1;
  snapshot.to = 3;
  snapshot.snapshot_zxid = consensus::MakeZxid(3, 1000);
  snapshot.snapshot.resize(10 << 20);
  for (size_t i = 0; i < snapshot.snapshot.size(); ++i) {
    snapshot.snapshot[i] = static_cast<char>((i * 2654435761u) >> 13);
  }
  std::string expected = snapshot.snapshot;
  Send(1, std::move(snapshot));
  Send(1, Ping(1, 3, 5));  // and what follows it still comes after it
  ASSERT_TRUE(RunUntil([&] { return received_[3].size() == 2; }, 30000));
  EXPECT_EQ(received_[3][0].type, MessageType::kSnapshot);
  EXPECT_EQ(received_[3][0].snapshot_zxid, consensus::MakeZxid(3, 1000));
  EXPECT_TRUE(received_[3][0].snapshot == expected) << "snapshot bytes differ";
  EXPECT_EQ(received_[3][1].request_id, 5);
}

TEST_F(PeerTransportTest, RefusesAMemberOfAnotherEnsemble) {
  StartNode(2);
  // Member 1 of some other ensemble, with member 2's address in its server list.
  PeerTransportOptions stranger = OptionsFor(1);
  stranger.ensemble_id = kEnsemble + 1;
  stranger.listen_port = 0;
  StartNode(stranger);
  Send(1, Ping(1, 2, 1));
  ASSERT_TRUE(RunUntil([&] { return nodes_[2]->stats().connections_refused >= 1; }));
  // The stranger's link sees the connection closed and keeps retrying with backoff.
  ASSERT_TRUE(RunUntil([&] { return nodes_[1]->link_stats(2).disconnects >= 1; }));
  io_.run_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(received_[2].empty());
}

TEST_F(PeerTransportTest, RefusesGarbageFromARawSocket) {
  StartNode(2);
  asio::ip::tcp::socket raw = RawConnect(2);
  asio::write(raw, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: corral\r\n\r\n")));
  ExpectRefused(2, raw, 0);
}

TEST_F(PeerTransportTest, RefusesAnOversizedFrameBeforeTheHello) {
  StartNode(2);
  asio::ip::tcp::socket raw = RawConnect(2);
  // 1 MiB is a fine message size, but not for a connection that has not said who it is.
  std::string header("\x00\x00\x10\x00\x00\x00\x00\x00", 8);
  asio::write(raw, asio::buffer(header));
  ExpectRefused(2, raw, 0);
}

TEST_F(PeerTransportTest, RefusesAnOversizedFrameAfterTheHello) {
  StartNode(2);
  asio::ip::tcp::socket raw = RawConnect(2);
  std::string frames = EncodeHelloFrame(kEnsemble, PeerHello{1, 2, "", 0});
  frames += std::string("\xff\xff\xff\xff\x00\x00\x00\x00", 8);  // 4 GiB: over any limit
  asio::write(raw, asio::buffer(frames));
  ExpectRefused(2, raw, 0);
}

TEST_F(PeerTransportTest, RefusesACorruptedFrameAfterTheHello) {
  StartNode(2);
  asio::ip::tcp::socket raw = RawConnect(2);
  StatusOr<std::string> message = EncodeMessageFrame(kEnsemble, Ping(1, 2, 1), {});
  ASSERT_TRUE(message.ok());
  std::string bad = message.value();
  bad.back() ^= 0x40;
  asio::write(raw, asio::buffer(EncodeHelloFrame(kEnsemble, PeerHello{1, 2, "", 0}) + bad));
  ExpectRefused(2, raw, 0);
}

TEST_F(PeerTransportTest, RefusesHellosFromUnknownMembersOrForOtherMembers) {
  StartNode(2);
  uint64_t refused = 0;
  for (PeerHello hello : {PeerHello{9, 2, "", 0}, PeerHello{2, 2, "", 0}, PeerHello{1, 3, "", 0}}) {
    asio::ip::tcp::socket raw = RawConnect(2);
    asio::write(raw, asio::buffer(EncodeHelloFrame(kEnsemble, hello)));
    ExpectRefused(2, raw, refused++);
  }
}

TEST_F(PeerTransportTest, RefusesAMessageThatIsNotFromTheMemberTheHelloNamed) {
  StartNode(2);
  asio::ip::tcp::socket raw = RawConnect(2);
  StatusOr<std::string> forged = EncodeMessageFrame(kEnsemble, Ping(3, 2, 1), {});
  ASSERT_TRUE(forged.ok());
  asio::write(raw,
              asio::buffer(EncodeHelloFrame(kEnsemble, PeerHello{1, 2, "", 0}) + forged.value()));
  ExpectRefused(2, raw, 0);
}

TEST_F(PeerTransportTest, RefusesAConnectionThatSendsNoHello) {
  StartNode(2);
  asio::ip::tcp::socket raw = RawConnect(2);
  ExpectRefused(2, raw, 0);  // after hello_timeout_ms (300 ms here)
}

TEST_F(PeerTransportTest, AcceptsTheRealMemberAfterRefusingOthers) {
  StartNode(1);
  StartNode(2);
  asio::ip::tcp::socket raw = RawConnect(2);
  asio::write(raw, asio::buffer(std::string(64, '\xab')));
  ExpectRefused(2, raw, 0);
  Send(1, Ping(1, 2, 1));
  ASSERT_TRUE(RunUntil([&] { return received_[2].size() == 1; }));
}

TEST_F(PeerTransportTest, MessagesToNonPeersAreCountedAndDropped) {
  StartNode(1);
  Send(1, Ping(1, 9, 1));
  Send(1, Ping(1, 1, 2));  // to itself
  ASSERT_TRUE(RunUntil([&] { return nodes_[1]->stats().messages_unroutable == 2; }));
}

TEST_F(PeerTransportTest, TooLargeMessagesAreCountedAndDropped) {
  PeerTransportOptions options = OptionsFor(1);
  options.frame_limits.message_bytes_max = 1000;
  StartNode(options);
  Message m = Ping(1, 2, 1);
  m.snapshot.assign(5000, 'x');  // not a kSnapshot, so the message limit applies
  Send(1, std::move(m));
  ASSERT_TRUE(RunUntil([&] { return nodes_[1]->stats().messages_too_large == 1; }));
  EXPECT_EQ(nodes_[1]->link_stats(2).queued_frames, 0u);
}

TEST_F(PeerTransportTest, StopInsideTheCallbackEndsDelivery) {
  StartNode(1);
  auto node = std::make_unique<PeerTransport>(io_, OptionsFor(2), [&](Message m) {
    received_[2].push_back(std::move(m));
    nodes_[2]->Stop();
  });
  ASSERT_TRUE(node->Start().ok());
  nodes_[2] = std::move(node);
  asio::post(io_, [&] {
    for (int i = 0; i < 10; ++i) nodes_[1]->Send(Ping(1, 2, i));
  });
  ASSERT_TRUE(RunUntil([&] { return !received_[2].empty(); }));
  io_.run_for(std::chrono::milliseconds(50));
  EXPECT_EQ(received_[2].size(), 1u);
}

TEST_F(PeerTransportTest, ListenFailureNamesTheAddress) {
  StartNode(1);
  PeerTransportOptions clash = OptionsFor(2);
  clash.listen_port = PortOf(1);  // taken by member 1
  PeerTransport second(io_, clash, [](Message) {});
  Status started = second.Start();
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.message().find("127.0.0.1:" + std::to_string(PortOf(1))), std::string::npos)
      << started.ToString();
}

}  // namespace
}  // namespace corral

namespace corral {
namespace {

class PeerTransportMembershipTest : public PeerTransportTest {
 protected:
  PeerTransportOptions OptionsWithPeers(MemberId id, const std::vector<MemberId>& peers) const {
    PeerTransportOptions options = OptionsFor(id);
    options.peers.clear();
    for (MemberId p : peers) options.peers.push_back(PeerAddress{p, "127.0.0.1", PortOf(p)});
    return options;
  }
  std::vector<PeerAddress> Addresses(const std::vector<MemberId>& ids) const {
    std::vector<PeerAddress> out;
    for (MemberId p : ids) out.push_back(PeerAddress{p, "127.0.0.1", PortOf(p)});
    return out;
  }
  void SetPeers(MemberId on, std::vector<PeerAddress> peers) {
    asio::post(io_, [this, on, peers = std::move(peers)] { nodes_.at(on)->SetPeers(peers); });
  }
};

TEST_F(PeerTransportMembershipTest, AMemberJoinsAndLeavesAtRunTime) {
  StartNode(OptionsWithPeers(1, {1, 2}));
  StartNode(OptionsWithPeers(2, {1, 2}));
  StartNode(OptionsWithPeers(3, {1, 2, 3}));  // a new member that knows the ensemble

  // Not yet a member: member 1 refuses its connection, and has no link to it.
  uint64_t refused_before = nodes_[1]->stats().connections_refused;
  Send(3, Ping(3, 1, 31));
  ASSERT_TRUE(RunUntil([&] { return nodes_[1]->stats().connections_refused > refused_before; }));
  Send(1, Ping(1, 3, 13));
  ASSERT_TRUE(RunUntil([&] { return nodes_[1]->stats().messages_unroutable == 1; }));

  // Added: both directions work (member 3's link dials again by itself).
  SetPeers(1, Addresses({1, 2, 3}));
  Send(1, Ping(1, 3, 14));
  ASSERT_TRUE(RunUntil([&] { return RequestIds(3) == std::vector<int64_t>{14}; }));
  Send(3, Ping(3, 1, 32));
  ASSERT_TRUE(RunUntil([&] {
    for (const Message& m : received_[1]) {
      if (m.request_id == 32) return true;
    }
    return false;
  }));
  // The member that stayed keeps its link (no reconnect).
  Send(1, Ping(1, 2, 12));
  ASSERT_TRUE(RunUntil([&] { return RequestIds(2) == std::vector<int64_t>{12}; }));
  EXPECT_EQ(nodes_[1]->link_stats(2).connects, 1u);

  // Removed: member 1 drops its link and the inbound connection, and refuses it again.
  SetPeers(1, Addresses({1, 2}));
  refused_before = nodes_[1]->stats().connections_refused;
  Send(1, Ping(1, 3, 15));
  ASSERT_TRUE(RunUntil([&] { return nodes_[1]->stats().messages_unroutable == 2; }));
  Send(3, Ping(3, 1, 33));
  ASSERT_TRUE(RunUntil([&] { return nodes_[1]->stats().connections_refused > refused_before; }));
  for (const Message& m : received_[1]) EXPECT_NE(m.request_id, 33);
  EXPECT_EQ(RequestIds(3), std::vector<int64_t>{14});
}

TEST_F(PeerTransportMembershipTest, AnUnknownMemberThatSaysWhereItListensIsLinkedBack) {
  // Member 1 was not told of member 3 (the configuration adding it has not reached member 1);
  // member 3 dials with its address in the Hello, and the server's handler adds it.
  StartNode(OptionsWithPeers(1, {1, 2}));
  std::vector<PeerAddress> told;
  nodes_[1]->SetUnknownPeerHandler([&](const PeerAddress& address) {
    told.push_back(address);
    nodes_[1]->SetPeers(Addresses({1, 2, 3}));
  });
  PeerTransportOptions three = OptionsWithPeers(3, {1, 2, 3});
  three.advertised_host = "127.0.0.1";
  three.advertised_port = PortOf(3);
  StartNode(three);
  Send(3, Ping(3, 1, 31));
  ASSERT_TRUE(RunUntil([&] { return RequestIds(1) == std::vector<int64_t>{31}; }));
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0].id, 3);
  EXPECT_EQ(told[0].port, PortOf(3));
  Send(1, Ping(1, 3, 13));  // and the answer finds its way back
  ASSERT_TRUE(RunUntil([&] { return RequestIds(3) == std::vector<int64_t>{13}; }));
  EXPECT_EQ(nodes_[1]->stats().connections_refused, 0u);
}

}  // namespace
}  // namespace corral
