#include "runtime/peer_transport_options.h"

#include <algorithm>
#include <cstdint>

#include "config/ensemble_id.h"

namespace corral {

StatusOr<PeerTransportOptions> PeerTransportOptionsOf(const Config& config) {
  if (config.standalone()) {
    return Status::InvalidArgument("a standalone member has no peers to talk to");
  }
  PeerTransportOptions options;
  options.my_id = config.my_id;
  options.ensemble_id = EnsembleIdOf(config);
  options.frame_limits = PeerFrameLimitsFor(config.jute_max_buffer_bytes);
  const ServerSpec* me = nullptr;
  for (const ServerSpec& spec : config.servers) {
    if (spec.id == config.my_id) {
      me = &spec;
      continue;
    }
    options.peers.push_back(PeerAddress{spec.id, spec.host, spec.quorum_port});
  }
  if (me == nullptr) {
    return Status::InvalidArgument("myid " + std::to_string(config.my_id) + " has no server line");
  }
  options.listen_host = config.quorum_listen_on_all_ips ? "0.0.0.0" : me->host;
  options.listen_port = me->quorum_port;
  options.advertised_host = me->host;
  options.advertised_port = me->quorum_port;
  options.link.dead_peer_timeout_ms = static_cast<int>(
      std::min<int64_t>(INT32_MAX, int64_t{config.tick_time_ms} * config.sync_limit_ticks));
  return options;
}

}  // namespace corral
