// The statistics every report shares: ServerSummary (srvr, stat, server_stats) and the mntr
// values (mntr, the admin monitor command, the Prometheus gauges).
#include <unistd.h>

#include <filesystem>

#include "node/node.h"

namespace corral {
namespace {

int64_t CountOpenFds() {
  std::error_code ec;
  int64_t n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++n;
  }
  return n;
}

}  // namespace

int64_t DirectoryBytes(const std::string& dir) {
  // Regular files below the directory, as ZooKeeper's dirs word sums its snapshot and log files.
  std::error_code ec;
  int64_t total = 0;
  for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->is_regular_file(ec)) total += static_cast<int64_t>(it->file_size(ec));
  }
  return total;
}

std::string ServerVersion() {
  return std::string("3.9.3-corral-") + CORRAL_VERSION + ", built on " + __DATE__;
}

ServerSummary Node::Summary() const {
  ServerSummary s;
  s.version = ServerVersion();
  s.state = role_ == NodeRole::kNotServing ? "looking" : NodeRoleName(role_);
  s.packets_received = stats_.packets_received;
  s.packets_sent = stats_.packets_sent;
  s.min_latency_ms = stats_.min_latency_ms < 0 ? 0 : stats_.min_latency_ms;
  s.max_latency_ms = stats_.max_latency_ms;
  s.avg_latency_ms = stats_.latency_count > 0 ? static_cast<double>(stats_.total_latency_ms) /
                                                    static_cast<double>(stats_.latency_count)
                                              : 0.0;
  s.connections = static_cast<int64_t>(connections_.size());
  s.outstanding_requests = outstanding_requests();
  s.last_zxid = state_.last_applied_zxid();
  s.node_count = static_cast<int64_t>(state_.tree().node_count());
  s.uptime_ms = clock_->MonotonicMs() - stats_.start_ms;
  s.auth_failed_count = auth_failed_count_;
  return s;
}

MonitorValues Node::Monitor() const {
  ServerSummary s = Summary();
  const DataTree& tree = state_.tree();
  int64_t ephemerals = 0;
  for (const auto& [id, paths] : tree.ephemerals())
    ephemerals += static_cast<int64_t>(paths.size());
  // ZooKeeper's order (ZooKeeperServer.dumpMonitorValues, then its registered gauges).
  MonitorValues v = {
      {"version", s.version},
      {"server_state", s.state},
      {"ephemerals_count", ephemerals},
      {"num_alive_connections", s.connections},
      {"avg_latency", s.avg_latency_ms},
      {"outstanding_requests", s.outstanding_requests},
      {"znode_count", s.node_count},
      {"global_sessions", static_cast<int64_t>(state_.sessions().size())},
      {"packets_sent", s.packets_sent},
      {"packets_received", s.packets_received},
      {"watch_count", static_cast<int64_t>(watches_.watch_count())},
      {"auth_failed_count", s.auth_failed_count},
      {"min_latency", s.min_latency_ms},
      {"max_file_descriptor_count", static_cast<int64_t>(sysconf(_SC_OPEN_MAX))},
      {"approximate_data_size", tree.approximate_data_size()},
      {"open_file_descriptor_count", CountOpenFds()},
      {"local_sessions", int64_t{0}},
      {"uptime", s.uptime_ms},
      {"max_latency", s.max_latency_ms},
  };
  EnsembleStatus e = committer_->ensemble_status();
  if (e.replicated) {
    v.push_back({"peer_state", e.peer_state});
    v.push_back({"quorum_size", int64_t{e.quorum_size}});
    if (role_ == NodeRole::kLeader) {
      v.push_back({"learners", int64_t{e.learners}});
      v.push_back({"synced_followers", int64_t{e.synced_followers}});
      v.push_back({"synced_non_voting_followers", int64_t{e.synced_non_voting_followers}});
      v.push_back({"synced_observers", int64_t{e.synced_observers}});
      v.push_back({"pending_syncs", int64_t{e.pending_syncs}});
      v.push_back({"leader_uptime", e.leader_uptime_ms});
    }
  }
  return v;
}

}  // namespace corral
