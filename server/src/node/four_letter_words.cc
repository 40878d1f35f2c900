// The four-letter words: short text answers on the client port, in ZooKeeper's formats, so
// existing tooling (monitoring scripts, `echo mntr | nc`) works unchanged.
#include <unistd.h>

#include <cstdio>
#include <set>
#include <sstream>

#include "base/hex.h"
#include "node/node.h"

namespace corral {
namespace {

const std::set<std::string>& AllWords() {
  // hash (tree digests) arrives with replication; gtmk/stmk (trace masks) have no meaning here.
  static const std::set<std::string> words = {"conf", "cons", "crst", "dirs", "dump",
                                              "envi", "ruok", "srst", "srvr", "stat",
                                              "wchs", "wchc", "wchp", "mntr", "isro"};
  return words;
}

bool Whitelisted(const std::string& list, const std::string& word) {
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t b = item.find_first_not_of(" \t");
    size_t e = item.find_last_not_of(" \t");
    if (b == std::string::npos) continue;
    item = item.substr(b, e - b + 1);
    if (item == "*" || item == word) return true;
  }
  return false;
}

}  // namespace

bool Node::IsFourLetterWord(const std::string& word) { return AllWords().count(word) > 0; }

std::string Node::FourLetterWord(const std::string& word) {
  // ZooKeeper always allows srvr (its scripts poll it), and isro with read-only mode (clients
  // connected read-only probe other members with it to find one that serves writes again).
  bool always_allowed = word == "srvr" || (word == "isro" && config_.read_only_mode_enabled);
  if (!always_allowed && !Whitelisted(config_.four_letter_word_whitelist, word)) {
    return word + " is not executed because it is not in the whitelist.\n";
  }
  std::ostringstream out;
  const ServerSummary summary = Summary();
  auto latency = [&] {
    int64_t avg_x10 = static_cast<int64_t>(summary.avg_latency_ms * 10);
    out << "Latency min/avg/max: " << summary.min_latency_ms << "/" << avg_x10 / 10 << "."
        << avg_x10 % 10 << "/" << summary.max_latency_ms << "\n";
  };
  auto connection_line = [&](const ClientSession& s, bool detailed) {
    out << " /" << s.transport->remote_ip() << ":" << s.transport->remote_port()
        << "[1](queued=" << s.pending.size() << ",recved=" << s.packets_received
        << ",sent=" << s.packets_sent;
    if (detailed && s.session_id != 0) {
      int64_t avg = s.latency_count > 0 ? s.total_latency_ms / s.latency_count : 0;
      out << ",sid=" << Hex(s.session_id) << ",lop=" << s.last_op << ",est=" << s.established_ms
          << ",to=" << s.timeout_ms << ",lcxid=" << Hex(s.last_cxid)
          << ",lzxid=" << Hex(s.last_zxid) << ",lresp=" << s.last_response_ms
          << ",llat=" << s.last_latency_ms
          << ",minlat=" << (s.min_latency_ms < 0 ? 0 : s.min_latency_ms) << ",avglat=" << avg
          << ",maxlat=" << s.max_latency_ms;
    }
    out << ")\n";
  };
  const DataTree& tree = state_.tree();
  if (word == "ruok") return "imok";
  if (word == "isro") {
    // ZooKeeper's answers: "null" when no server runs (here: not serving).
    if (role_ == NodeRole::kNotServing) return "null";
    return role_ == NodeRole::kReadOnly ? "ro" : "rw";
  }
  if ((word == "srvr" || word == "stat") && role_ == NodeRole::kNotServing) {
    // ZooKeeper's sentence first (tools match it), then why, when the reason is a removal.
    std::string answer = "This ZooKeeper instance is not currently serving requests\n";
    if (EnsembleStatus e = ensemble_status(); e.removed) {
      answer += "Reason: removed from the ensemble by the configuration of version " +
                HexDigits(e.removed_by_zxid) + "\n";
    }
    return answer;
  }
  if (word == "srvr" || word == "stat") {
    out << "Zookeeper version: " << summary.version << "\n";
    if (word == "stat") {
      out << "Clients:\n";
      for (const auto& [id, s] : connections_) connection_line(*s, false);
      out << "\n";
    }
    latency();
    out << "Received: " << summary.packets_received << "\n"
        << "Sent: " << summary.packets_sent << "\n"
        << "Connections: " << summary.connections << "\n"
        << "Outstanding: " << summary.outstanding_requests << "\n"
        << "Zxid: " << Hex(summary.last_zxid) << "\n"
        << "Mode: " << summary.state << "\n"
        << "Node count: " << summary.node_count << "\n";
    return out.str();
  }
  if (word == "conf") {
    out << "clientPort=" << config_.client_port << "\n"
        << "secureClientPort=" << config_.secure_client_port << "\n"
        << "dataDir=" << config_.data_dir << "/version-2\n"
        << "dataDirSize=" << DirectoryBytes(config_.data_dir) << "\n"
        << "dataLogDir=" << config_.data_log_dir << "/version-2\n"
        << "dataLogSize=" << DirectoryBytes(config_.data_log_dir) << "\n"
        << "tickTime=" << config_.tick_time_ms << "\n"
        << "maxClientCnxns=" << config_.max_client_cnxns << "\n"
        << "minSessionTimeout="
        << (config_.min_session_timeout_ms > 0 ? config_.min_session_timeout_ms
                                               : 2 * config_.tick_time_ms)
        << "\n"
        << "maxSessionTimeout="
        << (config_.max_session_timeout_ms > 0 ? config_.max_session_timeout_ms
                                               : 20 * config_.tick_time_ms)
        << "\n"
        << "clientPortListenBacklog=-1\n"
        << "serverId=" << config_.my_id << "\n";
    if (std::string membership = committer_->MembershipText(); !membership.empty()) {
      // ZooKeeper's quorum section; the configuration is the one this member counts with.
      out << "initLimit=" << config_.init_limit_ticks << "\n"
          << "syncLimit=" << config_.sync_limit_ticks << "\n"
          << "electionAlg=3\n"
          << "peerType=" << (role_ == NodeRole::kObserver ? 1 : 0) << "\n"
          << "membership: \n"
          << membership;
    }
    return out.str();
  }
  if (word == "cons") {
    for (const auto& [id, s] : connections_) connection_line(*s, true);
    out << "\n";
    return out.str();
  }
  if (word == "crst") {
    for (auto& [id, s] : connections_) s->ResetStats();
    return "Connection stats reset.\n";
  }
  if (word == "srst") {
    int64_t start = stats_.start_ms;
    stats_ = ServerStats{};
    stats_.start_ms = start;
    return "Server stats reset.\n";
  }
  if (word == "envi") {
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    out << "Environment:\n"
        << "zookeeper.version=" << ServerVersion() << "\n"
        << "host.name=" << host << "\n"
        << "corral.version=" << CORRAL_VERSION << "\n"
        << "os.name=Linux\n"
        << "user.dir=" << (getenv("PWD") ? getenv("PWD") : "") << "\n";
    return out.str();
  }
  if (word == "dirs") {
    out << "datadir_size: " << DirectoryBytes(config_.data_dir) << "\n"
        << "logdir_size: " << DirectoryBytes(config_.data_log_dir) << "\n";
    return out.str();
  }
  if (word == "dump") {
    out << "SessionTracker dump:\n"
        << "Session Sets (" << state_.sessions().size() << ")/(" << state_.sessions().size()
        << "):\n";
    for (const auto& [id, info] : state_.sessions()) out << Hex(id) << "\n";
    out << "ephemeral nodes dump:\n"
        << "Sessions with Ephemerals (" << tree.ephemerals().size() << "):\n";
    for (const auto& [id, paths] : tree.ephemerals()) {
      out << Hex(id) << ":\n";
      for (const auto& p : paths) out << "\t" << p << "\n";
    }
    out << "Connections dump:\nConnections Sets (" << connections_.size() << ")\n";
    return out.str();
  }
  if (word == "wchs") {
    auto by_watcher = watches_.ByWatcher();
    auto by_path = watches_.ByPath();
    out << by_watcher.size() << " connections watching " << by_path.size() << " paths\n"
        << "Total watches:" << watches_.watch_count() << "\n";
    return out.str();
  }
  if (word == "wchc") {
    for (const auto& [w, paths] : watches_.ByWatcher()) {
      auto it = connections_.find(w);
      out << Hex(it != connections_.end() ? it->second->session_id : 0) << "\n";
      for (const auto& p : paths) out << "\t" << p << "\n";
    }
    return out.str();
  }
  if (word == "wchp") {
    for (const auto& [p, ws] : watches_.ByPath()) {
      out << p << "\n";
      for (WatcherId w : ws) {
        auto it = connections_.find(w);
        out << "\t" << Hex(it != connections_.end() ? it->second->session_id : 0) << "\n";
      }
    }
    return out.str();
  }
  if (word == "mntr") {
    MonitorValues values = Monitor();
    if (metrics_ != nullptr) metrics_->AddMonitorValues(&values);
    return FormatMntr(values);
  }
  return word + " is not supported\n";
}

}  // namespace corral
