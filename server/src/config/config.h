#pragma once
// Config: a member's settings, read from a zoo.cfg (Java properties, ZooKeeper's keys) or a YAML
// file with the same keys. Defaults are ZooKeeper's. Parsing never aborts: an invalid value is a
// Status naming the key and the reason; unknown keys are kept (as ZooKeeper keeps them as
// `zookeeper.<key>` system properties) and reported as warnings.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"

namespace corral {

struct ServerSpec {  // server.N=host:quorumPort:electionPort[:role][;[clientAddr:]clientPort]
  int64_t id = 0;
  std::string host;
  int quorum_port = 0;
  int election_port = 0;
  bool observer = false;
  std::string client_address;  // empty when not given
  int client_port = 0;         // 0 when not given
};

struct Config {
  std::string source_path;

  // Time and sessions.
  int tick_time_ms = 2000;
  int init_limit_ticks = 10;
  int sync_limit_ticks = 5;
  // -1 in the file means ZooKeeper's default (2x / 20x tickTime); a parsed Config always holds
  // the resolved values, never -1.
  int min_session_timeout_ms = -1;
  int max_session_timeout_ms = -1;

  // Storage.
  std::string data_dir;
  std::string data_log_dir;  // defaults to data_dir
  int64_t snap_count = 100000;
  int64_t pre_alloc_size_kb = 65536;
  int autopurge_snap_retain_count = 3;
  int autopurge_purge_interval_hours = 0;

  // Client listener.
  std::string client_port_address = "0.0.0.0";
  int client_port = 0;         // 0: none configured (required for standalone)
  int secure_client_port = 0;  // 0: no TLS listener
  std::string secure_client_port_address = "0.0.0.0";
  int max_client_cnxns = 60;  // per client IP; 0 = unlimited
  int max_cnxns = 0;          // total; 0 = unlimited
  int global_outstanding_limit = 1000;
  int64_t jute_max_buffer_bytes = 1048575;  // 0xfffff, ZooKeeper's default

  // Features.
  bool reconfig_enabled = false;
  bool standalone_enabled = true;
  bool extended_types_enabled = false;
  bool local_sessions_enabled = false;
  bool read_only_mode_enabled = false;
  bool quorum_listen_on_all_ips = false;
  bool enforce_quota = false;
  std::string dynamic_config_file;
  // Comma separated, entries trimmed; "*" for all; empty: none.
  std::string four_letter_word_whitelist = "srvr";
  std::string super_digest;  // DigestAuthenticationProvider.superDigest: "super:base64(sha1)"
  int64_t container_check_interval_ms = 60000;  // znode.container.checkIntervalMs
  int64_t container_max_per_minute = 10000;     // znode.container.maxPerMinute
  // Applied entries a member keeps in memory to catch up a lagging follower without a snapshot:
  // the last commit_log_count (ZooKeeper's zookeeper.commitLogCount); on the leader also older
  // ones some peer still lacks, while they take at most commit_log_bytes (Corral's own).
  int64_t commit_log_count = 500;
  int64_t commit_log_bytes = 4 << 20;
  std::string log_level = "info";
  std::string log_file;  // logFile (Corral's own): empty means standard output

  // The admin HTTP API (runtime/admin_server.h), on by default as in ZooKeeper.
  bool admin_enable_server = true;
  std::string admin_server_address = "0.0.0.0";
  int admin_server_port = 8080;
  std::string admin_command_url = "/commands";  // always starts with '/', never ends with one
  // Prometheus /metrics: served only when metricsProvider.className names ZooKeeper's
  // Prometheus provider, as ZooKeeper does (its default provider serves no HTTP).
  bool metrics_enabled = false;
  int metrics_http_port = 7000;
  std::string metrics_http_host = "0.0.0.0";

  // Ensemble. Sorted by id. Empty in standalone mode, including ZooKeeper's special case of a
  // single participant line with standaloneEnabled=true (that member runs standalone).
  std::vector<ServerSpec> servers;
  int64_t my_id = 0;  // from the myid file in dataDir when servers are configured
  // Names the ensemble on the peer wire (Corral's own key; EnsembleIdOf in
  // config/ensemble_id.h hashes it). Empty: derived from the server lines.
  std::string ensemble_id;

  // Every key as read (trimmed, last value wins), for `conf` and for unknown-key properties.
  // Includes the server.N lines read from dynamicConfigFile.
  std::map<std::string, std::string> raw;
  // Warnings found while parsing (unknown keys, ignored Java class names).
  std::vector<std::string> warnings;

  bool standalone() const { return servers.empty(); }
};

// Parses the value of a server.N line: host:quorumPort:electionPort[:participant|observer]
// [;[clientAddr:]clientPort]. An IPv6 host is written in brackets. The error message names the
// part that is wrong but not the key; callers prefix it.
StatusOr<ServerSpec> ParseServerSpec(int64_t id, const std::string& value);
// The inverse, in ZooKeeper's own form (what /zookeeper/config shows):
// "host:2888:3888:participant;0.0.0.0:2181". The client part is omitted when client_port is 0.
std::string FormatServerSpec(const ServerSpec& spec);

// Parses the file; the format is chosen by extension (.yaml/.yml → YAML, else properties).
// Relative paths in it resolve against the file's directory. NotFound / IoError when the file
// cannot be read; InvalidArgument (naming the key, the reason and the line) for a bad setting.
StatusOr<Config> LoadConfigFile(const std::string& path);
// Parses properties text (zoo.cfg). base_dir resolves relative paths (the file's directory).
StatusOr<Config> ParseProperties(const std::string& text, const std::string& base_dir);
// Parses YAML text: a mapping of the same keys (nested maps are flattened with '.').
StatusOr<Config> ParseYaml(const std::string& text, const std::string& base_dir);

}  // namespace corral
