#pragma once
// Builds ZooKeeper's ReconfigRequest {joiningServers, leavingServers, newMembers, curConfigId}
// from zkCli.sh's reconfig options:
//   incremental:  -add "server.4=host:2888:3888;2181,..."  -remove "3,5"
//   bulk:         -members "server.1=...,server.2=..."  or  -file DYNAMIC_CONFIG_FILE
//   -v VERSION    only if the current config has this version (hex, as /zookeeper/config's
//                 "version=" line shows it); otherwise curConfigId is -1 (any)
// Incremental and bulk options exclude each other, as in zkCli.
#include <optional>
#include <string>

#include "base/status.h"
#include "zk/records.h"

namespace corral::ctl {

struct ReconfigOptions {
  std::optional<std::string> add;
  std::optional<std::string> remove;
  std::optional<std::string> members;
  // The contents of the -file argument (read by the caller).
  std::optional<std::string> file_contents;
  std::optional<std::string> from_version_hex;
};

StatusOr<zk::ReconfigRequest> BuildReconfigRequest(const ReconfigOptions& options);

// The members of a dynamic configuration file, as one comma-separated list: its server.N,
// group.N and weight.N lines ("version=" and comments are dropped).
std::string MembersFromDynamicConfig(const std::string& contents);

}  // namespace corral::ctl
