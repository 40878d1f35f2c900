#pragma once
// The dynamic configuration: the member list that reconfig changes, in ZooKeeper's text form
// (the data of /zookeeper/config and the dynamicConfigFile):
//   server.1=10.0.0.1:2888:3888:participant;0.0.0.0:2181
//   server.4=10.0.0.4:2888:3888:observer;0.0.0.0:2181
//   version=100000003
// The version is the zxid (hex, no 0x) of the entry that made the configuration; 0 (no line)
// for the static configuration a member starts with.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "config/config.h"

namespace corral {

struct DynamicConfig {
  std::vector<ServerSpec> servers;  // by increasing id
  int64_t version = 0;
};

// One "server.N=host:port:port[:role][;client]" line (reconfig's joining list uses them alone).
StatusOr<ServerSpec> ParseServerLine(std::string_view line);
// InvalidArgument naming the line for anything but server.N lines, one version line, and
// blank lines; a repeated id, no participant at all, or a bad server spec.
StatusOr<DynamicConfig> ParseDynamicConfig(std::string_view text);
// The text form above: servers by id, then the version line unless the version is 0.
std::string FormatDynamicConfig(const DynamicConfig& config);

}  // namespace corral
