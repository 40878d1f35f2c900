// PeerTransportOptionsOf: what a member's Config says about its peer transport.
#include "runtime/peer_transport_options.h"

#include <gtest/gtest.h>

#include "config/ensemble_id.h"

namespace corral {
namespace {

Config ThreeMembers(int64_t my_id) {
  Config config;
  for (int64_t id = 1; id <= 3; ++id) {
    ServerSpec spec;
    spec.id = id;
    spec.host = "zk" + std::to_string(id) + ".example";
    spec.quorum_port = 2880 + static_cast<int>(id);
    spec.election_port = 3880 + static_cast<int>(id);
    config.servers.push_back(spec);
  }
  config.my_id = my_id;
  return config;
}

TEST(PeerTransportOptionsOf, PeersAreTheOtherServersAtTheirQuorumPorts) {
  StatusOr<PeerTransportOptions> options = PeerTransportOptionsOf(ThreeMembers(2));
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  EXPECT_EQ(options->my_id, 2);
  ASSERT_EQ(options->peers.size(), 2u);
  EXPECT_EQ(options->peers[0].id, 1);
  EXPECT_EQ(options->peers[0].host, "zk1.example");
  EXPECT_EQ(options->peers[0].port, 2881);
  EXPECT_EQ(options->peers[1].id, 3);
  EXPECT_EQ(options->peers[1].port, 2883);
  // Listens on its own line's host and quorum port.
  EXPECT_EQ(options->listen_host, "zk2.example");
  EXPECT_EQ(options->listen_port, 2882);
  EXPECT_EQ(options->ensemble_id, EnsembleIdOf(ThreeMembers(2)));
}

TEST(PeerTransportOptionsOf, QuorumListenOnAllIpsBindsTheWildcard) {
  Config config = ThreeMembers(1);
  config.quorum_listen_on_all_ips = true;
  StatusOr<PeerTransportOptions> options = PeerTransportOptionsOf(config);
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->listen_host, "0.0.0.0");
  EXPECT_EQ(options->listen_port, 2881);
}

TEST(PeerTransportOptionsOf, LimitsAndTimeoutsFollowTheConfig) {
  Config config = ThreeMembers(1);
  config.jute_max_buffer_bytes = 32 << 20;
  config.tick_time_ms = 500;
  config.sync_limit_ticks = 8;
  StatusOr<PeerTransportOptions> options = PeerTransportOptionsOf(config);
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->frame_limits.message_bytes_max,
            PeerFrameLimitsFor(32 << 20).message_bytes_max);
  EXPECT_EQ(options->link.dead_peer_timeout_ms, 4000);
}

TEST(PeerTransportOptionsOf, StandaloneHasNoPeers) {
  EXPECT_FALSE(PeerTransportOptionsOf(Config()).ok());
  Config config = ThreeMembers(7);  // no server line for myid: only a hand-built Config can
  EXPECT_FALSE(PeerTransportOptionsOf(config).ok());
}

}  // namespace
}  // namespace corral
