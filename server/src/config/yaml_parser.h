#pragma once
// YAML config files: a mapping of the same keys zoo.cfg uses. Nested mappings are flattened with
// '.', so `admin: {serverPort: 8081}`, `admin.serverPort: 8081` and the properties line
// `admin.serverPort=8081` are one setting. Only scalars are values: zoo.cfg has no lists, and
// accepting them here would give the YAML form settings the properties form cannot express.
#include <string>
#include <vector>

#include "base/status.h"
#include "config/config_entry.h"

namespace corral {

// Nesting deeper than this is not a config; it also bounds the flattening recursion.
inline constexpr int kYamlNestingMax = 16;

// InvalidArgument for malformed YAML (with yaml-cpp's line and column), a top level that is not a
// mapping, more than one document, non-scalar keys, and list values (naming the key). An empty
// document gives no entries. A null value (`key:`) is the empty string, like `key=` in zoo.cfg.
StatusOr<std::vector<ConfigEntry>> ParseYamlEntries(const std::string& text);

}  // namespace corral
