// The admin API's commands, answered with the field names of ZooKeeper 3.8/3.9's AdminServer
// (org.apache.zookeeper.server.admin.Commands and the Jackson names of the objects it returns),
// so tools written for ZooKeeper's JSON read Corral's unchanged. Runs on the core thread.
#include <pwd.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

#include "base/hex.h"
#include "config/dynamic_config.h"
#include "node/node.h"
#include "statemachine/acl.h"

namespace corral {
namespace {

constexpr char kNotServing[] = "This ZooKeeper instance is not currently serving requests";

std::string HostPort(const std::string& host, int port) {
  bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// ZooKeeper's zabstate serializes its MultipleAddresses object as Jackson sees it.
Json MultipleAddressesJson(const std::string& host, int port) {
  std::string address = HostPort(host, port);
  auto one = [](Json v) { return Json::Array().Push(std::move(v)); };
  return Json::Object()
      .Set("empty", false)
      .Set("all_addresses", one(address))
      .Set("all_reachable_addresses", one(address))
      .Set("one", address)
      .Set("reachable_address", address)
      .Set("wildcard_addresses", one(HostPort("0.0.0.0", port)))
      .Set("all_ports", one(port))
      .Set("all_host_strings", one(host))
      .Set("all_reachable_addresses_or_all", one(address))
      .Set("reachable_or_one", address);
}

Json BufferStatsJson() {
  // Corral does not measure response sizes; -1 is what ZooKeeper reports before the first.
  return Json::Object()
      .Set("last_buffer_size", -1)
      .Set("min_buffer_size", -1)
      .Set("max_buffer_size", -1);
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

}  // namespace

const std::vector<AdminCommand>& AdminCommands() {
  // ZooKeeper 3.9's commands where they mean something here, plus Corral's readiness. Left
  // out: get_trace_mask/set_trace_mask (no trace masks), hash (no digest log yet),
  // system_properties (no JVM), restore (a snapshot is restored by placing it in dataDir).
  static const std::vector<AdminCommand> commands = {
      {"configuration", {"conf", "config"}},
      {"connection_stat_reset", {"crst"}},
      {"connections", {"cons"}},
      {"dirs", {}},
      {"dump", {}},
      {"environment", {"env", "envi"}, /*needs_serving=*/false},
      {"initial_configuration", {"icfg"}},
      {"is_read_only", {"isro"}},
      {"last_snapshot", {"lsnp"}},
      {"leader", {"lead"}},
      {"monitor", {"mntr"}, /*needs_serving=*/false},
      {"observer_connection_stat_reset", {"orst"}},
      {"observers", {"obsr"}},
      {kReadyCommand, {}, /*needs_serving=*/false},
      {"ruok", {}},
      {"server_stats", {"srvr"}},
      {"snapshot", {"snap"}, /*needs_serving=*/true, /*needs_auth=*/true},
      {"stat_reset", {"srst"}},
      {"stats", {"stat"}},
      {"voting_view", {}},
      {"watch_summary", {"wchs"}},
      {"watches", {"wchc"}},
      {"watches_by_path", {"wchp"}},
      {"zabstate", {}, /*needs_serving=*/false},
  };
  return commands;
}

const AdminCommand* FindAdminCommand(std::string_view name) {
  for (const AdminCommand& c : AdminCommands()) {
    if (c.name == name) return &c;
    if (std::find(c.aliases.begin(), c.aliases.end(), name) != c.aliases.end()) return &c;
  }
  return nullptr;
}

AdminResponse AdminResponseFor(std::string_view command, const std::string& error,
                               int http_status) {
  AdminResponse r;
  r.http_status = http_status;
  r.body.Set("command", std::string(command));
  r.body.Set("error", error.empty() ? Json() : Json(error));
  return r;
}

std::vector<zk::Id> AdminIdentities(const std::string& authorization, const std::string& remote_ip,
                                    const std::string& super_digest) {
  // "<scheme>" or "<scheme> <auth>", split on one space as ZooKeeper does.
  size_t space = authorization.find(' ');
  std::string scheme = authorization.substr(0, space);
  std::string auth = space == std::string::npos ? "" : authorization.substr(space + 1);
  if (auth.find(' ') != std::string::npos) return {};
  std::vector<zk::Id> ids;
  if (scheme == "ip" && auth.empty() && !remote_ip.empty()) {
    ids.push_back(zk::Id{"ip", remote_ip});
  } else if (scheme == "digest" && !auth.empty()) {
    if (acl::Authenticate(scheme, auth, super_digest, &ids) != zk::kOk) return {};
  }
  return ids;
}

std::optional<AdminResponse> Node::AdminRefusal(const AdminRequest& request) const {
  const AdminCommand& command = *request.command;
  const std::string name(command.name);
  if (command.needs_serving && !serving()) return AdminResponseFor(name, kNotServing);
  if (command.needs_auth) {
    // ZooKeeper 3.9: 401 without credentials or with wrong ones, 403 when the identities lack
    // ALL on "/" (super always has it).
    if (request.authorization.empty()) {
      return AdminResponseFor(name, "Auth info is missing for the command", 401);
    }
    std::vector<zk::Id> ids =
        AdminIdentities(request.authorization, request.remote_ip, config_.super_digest);
    if (ids.empty()) return AdminResponseFor(name, "Not authenticated", 401);
    const Znode* root = state_.tree().Find("/");
    if (root == nullptr || !root->acl || !acl::Permits(*root->acl, zk::kPermAll, ids)) {
      return AdminResponseFor(name, "Not authorized", 403);
    }
  }
  return std::nullopt;
}

AdminResponse Node::RunAdminCommand(const AdminRequest& request) {
  if (auto refused = AdminRefusal(request)) return *std::move(refused);
  const std::string name(request.command->name);

  AdminResponse r = AdminResponseFor(name);
  Json& out = r.body;
  const ServerSummary summary = Summary();
  const EnsembleStatus ensemble = ensemble_status();
  auto connections_json = [&](bool brief) {
    Json list = Json::Array();
    for (const auto& [id, sp] : connections_) {
      const ClientSession& s = *sp;
      Json c = Json::Object()
                   .Set("remote_socket_address",
                        HostPort(s.transport->remote_ip(), s.transport->remote_port()))
                   .Set("interest_ops", 1)
                   .Set("outstanding_requests", s.pending.size())
                   .Set("packets_received", s.packets_received)
                   .Set("packets_sent", s.packets_sent);
      if (!brief && s.session_id != 0) {
        c.Set("session_id", s.session_id)
            .Set("last_operation", s.last_op)
            .Set("established", s.established_ms)
            .Set("session_timeout", s.timeout_ms)
            .Set("last_cxid", s.last_cxid)
            .Set("last_zxid", s.last_zxid)
            .Set("last_response_time", s.last_response_ms)
            .Set("last_latency", s.last_latency_ms)
            .Set("min_latency", s.min_latency_ms < 0 ? 0 : s.min_latency_ms)
            .Set("avg_latency", s.latency_count > 0 ? s.total_latency_ms / s.latency_count : 0)
            .Set("max_latency", s.max_latency_ms);
      }
      list.Push(std::move(c));
    }
    return list;
  };
  auto session_of = [&](WatcherId w) -> int64_t {
    auto it = connections_.find(w);
    return it != connections_.end() ? it->second->session_id : 0;
  };

  if (name == "ruok" || name == "observer_connection_stat_reset") {
    // Nothing but "command" and "error" (Corral has no observer-master connections to reset).
  } else if (name == kReadyCommand) {
    // Ready: serving, which in an ensemble means a leader with a majority or a follower whose
    // state caught up with its leader's commit point (consensus::Replica::Synced). A member
    // serving read-only without a quorum is not ready: its reads may be stale.
    out.Set("ready", ready())
        .Set("server_state", summary.state)
        .Set("last_zxid", "0x" + HexDigits(summary.last_zxid));
    if (ensemble.replicated) {
      // The two configuration versions an operator compares (docs/operability.md): the one
      // this member counts with (the newest in its log, committed or not) and the newest it
      // applied, committed (/zookeeper/config). 0: the static server lines, never reconfigured.
      // They differ on the leader exactly while a reconfig is in flight.
      int64_t counted = 0, applied = 0;
      if (auto current = ParseDynamicConfig(committer_->MembershipText()); current.ok()) {
        counted = current->version;
      }
      if (const Znode* node = state_.tree().Find(kConfigPath); node && !node->data.empty()) {
        if (auto committed = ParseDynamicConfig(node->data); committed.ok()) {
          applied = committed->version;
        }
      }
      out.Set("leader_id", ensemble.leader_id)
          .Set("config_version", "0x" + HexDigits(counted))
          .Set("committed_config_version", "0x" + HexDigits(applied));
    }
    if (!ready()) {
      r.http_status = 503;
      out.Set("error", ensemble.replicated
                           ? "not in sync with a leader (" + ensemble.peer_state + ")"
                           : std::string(kNotServing));
    }
  } else if (name == "configuration") {
    out.Set("client_port", config_.client_port)
        .Set("data_dir", config_.data_dir + "/version-2")
        .Set("data_log_dir", config_.data_log_dir + "/version-2")
        .Set("tick_time", config_.tick_time_ms)
        .Set("max_client_cnxns", config_.max_client_cnxns)
        .Set("min_session_timeout", config_.min_session_timeout_ms)
        .Set("max_session_timeout", config_.max_session_timeout_ms)
        .Set("server_id", config_.my_id)
        .Set("client_port_listen_backlog", -1);
  } else if (name == "connection_stat_reset") {
    for (auto& [id, s] : connections_) s->ResetStats();
  } else if (name == "stat_reset") {
    int64_t start = stats_.start_ms;
    stats_ = ServerStats{};
    stats_.start_ms = start;
  } else if (name == "connections") {
    out.Set("connections", connections_json(false)).Set("secure_connections", Json::Array());
  } else if (name == "dirs") {
    out.Set("datadir_size", DirectoryBytes(config_.data_dir))
        .Set("logdir_size", DirectoryBytes(config_.data_log_dir));
  } else if (name == "dump") {
    std::map<int64_t, std::vector<int64_t>> by_deadline;
    for (const auto& [id, deadline_ms] : session_deadline_ms_)
      by_deadline[deadline_ms].push_back(id);
    Json expiry = Json::Object();
    for (auto& [deadline_ms, ids] : by_deadline) {
      std::sort(ids.begin(), ids.end());
      Json list = Json::Array();
      for (int64_t id : ids) list.Push(id);
      expiry.Append(std::to_string(deadline_ms), std::move(list));
    }
    Json ephemerals = Json::Object();
    for (const auto& [id, paths] : state_.tree().ephemerals()) {
      Json list = Json::Array();
      for (const auto& p : paths) list.Push(p);
      ephemerals.Append(std::to_string(id), std::move(list));
    }
    out.Set("expiry_time_to_session_ids", std::move(expiry))
        .Set("session_id_to_ephemeral_paths", std::move(ephemerals));
  } else if (name == "environment") {
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    struct utsname uts {};
    uname(&uts);
    char cwd[4096] = {0};
    if (getcwd(cwd, sizeof cwd - 1) == nullptr) cwd[0] = '\0';
    struct passwd* pw = getpwuid(getuid());
    out.Set("zookeeper.version", summary.version)
        .Set("host.name", host)
        .Set("corral.version", CORRAL_VERSION)
        .Set("os.name", uts.sysname)
        .Set("os.arch", uts.machine)
        .Set("os.version", uts.release)
        .Set("user.name", pw != nullptr ? pw->pw_name : Env("USER"))
        .Set("user.home", pw != nullptr ? pw->pw_dir : Env("HOME"))
        .Set("user.dir", cwd);
  } else if (name == "initial_configuration") {
    std::string text;
    for (const auto& [key, value] : config_.raw) text += key + "=" + value + "\n";
    out.Set("initial_configuration", text);
  } else if (name == "is_read_only") {
    out.Set("read_only", role_ == NodeRole::kReadOnly);
  } else if (name == "leader") {
    if (!ensemble.replicated) {
      out.Set("error", "server is not initialized");
    } else {
      std::string leader_ip;
      for (const ServerSpec& spec : config_.servers) {
        if (spec.id == ensemble.leader_id) leader_ip = spec.host;
      }
      out.Set("is_leader", role_ == NodeRole::kLeader)
          .Set("leader_id", ensemble.leader_id)
          .Set("leader_ip", leader_ip);
    }
  } else if (name == "monitor") {
    MonitorValues values = Monitor();
    if (metrics_ != nullptr) metrics_->AddMonitorValues(&values);
    for (const MonitorValue& v : values) {
      std::visit([&](const auto& value) { out.Set(v.key, value); }, v.value);
    }
  } else if (name == "observers") {
    out.Set("synced_observers", ensemble.synced_observers).Set("observers", Json::Array());
  } else if (name == "server_stats" || name == "stats") {
    Json stats = Json::Object()
                     .Set("packets_sent", summary.packets_sent)
                     .Set("packets_received", summary.packets_received)
                     .Set("fsync_threshold_exceed_count", 0)
                     .Set("client_response_stats", BufferStatsJson())
                     .Set("provider_null", false)
                     .Set("server_state", summary.state)
                     .Set("outstanding_requests", summary.outstanding_requests)
                     .Set("min_latency", summary.min_latency_ms)
                     .Set("avg_latency", summary.avg_latency_ms)
                     .Set("max_latency", summary.max_latency_ms)
                     .Set("data_dir_size", DirectoryBytes(config_.data_dir))
                     .Set("log_dir_size", DirectoryBytes(config_.data_log_dir))
                     .Set("last_processed_zxid", summary.last_zxid)
                     .Set("num_alive_client_connections", summary.connections)
                     .Set("uptime", summary.uptime_ms)
                     .Set("auth_failed_count", summary.auth_failed_count)
                     .Set("non_mtlsremote_conn_count", 0)
                     .Set("non_mtlslocal_conn_count", 0);
    out.Set("version", summary.version)
        .Set("read_only", role_ == NodeRole::kReadOnly)
        .Set("server_stats", std::move(stats))
        .Set("client_response", BufferStatsJson());
    if (role_ == NodeRole::kLeader) out.Set("proposal_stats", BufferStatsJson());
    out.Set("node_count", summary.node_count);
    if (name == "stats") {
      out.Set("connections", connections_json(true)).Set("secure_connections", Json::Array());
    }
  } else if (name == "voting_view") {
    // The configuration this member counts with (after reconfig, not the static server lines).
    std::vector<ServerSpec> servers = config_.servers;
    if (auto current = ParseDynamicConfig(committer_->MembershipText());
        current.ok() && !current->servers.empty()) {
      servers = current->servers;
    }
    Json view = Json::Object();
    for (const ServerSpec& spec : servers) {
      std::string client;
      if (spec.client_port != 0) {
        client = HostPort(spec.client_address.empty() ? "0.0.0.0" : spec.client_address,
                          spec.client_port);
      } else if (spec.id == config_.my_id) {
        client = HostPort(config_.client_port_address, config_.client_port);
      }
      view.Set(
          std::to_string(spec.id),
          Json::Object()
              .Set("server_addresses", Json::Array().Push(HostPort(spec.host, spec.quorum_port)))
              .Set("election_addresses",
                   Json::Array().Push(HostPort(spec.host, spec.election_port)))
              .Set("client_address", client)
              .Set("learner_type", spec.observer ? "observer" : "participant"));
    }
    out.Set("current_config", std::move(view));
  } else if (name == "watch_summary") {
    out.Set("num_connections", watches_.ByWatcher().size())
        .Set("num_paths", watches_.ByPath().size())
        .Set("num_total_watches", watches_.watch_count());
  } else if (name == "watches") {
    // Two watchers may stand for one session id (0 for a connection that has none): their
    // paths are merged, so every key of the object is distinct and Append may be used.
    std::map<int64_t, std::set<std::string>> paths_by_session;
    for (const auto& [w, paths] : watches_.ByWatcher()) {
      paths_by_session[session_of(w)].insert(paths.begin(), paths.end());
    }
    Json by_session = Json::Object();
    for (const auto& [session_id, paths] : paths_by_session) {
      Json list = Json::Array();
      for (const auto& p : paths) list.Push(p);
      by_session.Append(std::to_string(session_id), std::move(list));
    }
    out.Set("session_id_to_watched_paths", std::move(by_session));
  } else if (name == "watches_by_path") {
    Json by_path = Json::Object();
    for (const auto& [p, watchers] : watches_.ByPath()) {
      Json list = Json::Array();
      for (WatcherId w : watchers) list.Push(session_of(w));
      by_path.Append(p, std::move(list));
    }
    out.Set("path_to_session_ids", std::move(by_path));
  } else if (name == "zabstate") {
    const ServerSpec* me = nullptr;
    for (const ServerSpec& spec : config_.servers) {
      if (spec.id == config_.my_id) me = &spec;
    }
    if (!ensemble.replicated || me == nullptr) {
      out.Set("voting", false).Set("zabstate", "");
    } else {
      std::string phase = ensemble.peer_state.substr(ensemble.peer_state.find(" - ") + 3);
      out.Set("myid", config_.my_id)
          .Set("is_leader", role_ == NodeRole::kLeader)
          .Set("quorum_address", MultipleAddressesJson(me->host, me->quorum_port))
          .Set("election_address", MultipleAddressesJson(me->host, me->election_port))
          .Set("client_address", HostPort(config_.client_port_address, config_.client_port))
          .Set("voting", !me->observer)
          .Set("last_zxid", "0x" + HexDigits(summary.last_zxid))
          .Set("zab_epoch", summary.last_zxid >> 32)
          .Set("zab_counter", summary.last_zxid & 0xffffffff)
          .Set("zabstate", phase);
    }
  } else {
    // last_snapshot and snapshot need the snapshotter, which the runtime answers for.
    return AdminResponseFor(name, "Unknown command: " + name);
  }
  return r;
}

}  // namespace corral
