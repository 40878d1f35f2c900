#pragma once
// BuildConfig: the one place that gives meaning to config keys. The properties and YAML parsers
// only produce ConfigEntry lists; everything about keys (names, aliases, defaults, ranges,
// cross-key rules, server.N lines, the myid file, dynamicConfigFile) lives behind this call.
#include <string>
#include <vector>

#include "base/status.h"
#include "config/config.h"
#include "config/config_entry.h"

namespace corral {

struct ConfigSource {
  std::string name;      // the file, for messages ("… (/etc/zoo.cfg line 3)"); may be empty
  std::string base_dir;  // relative paths resolve against it; empty: they stay relative
};

// Entries are in file order; a later duplicate overrides an earlier one (with a warning), as a
// later key overrides an earlier one in java.util.Properties. Reads <dataDir>/myid when server.N
// lines make this member part of an ensemble, and the dynamicConfigFile when one is named.
StatusOr<Config> BuildConfig(const std::vector<ConfigEntry>& entries, const ConfigSource& source);

}  // namespace corral
