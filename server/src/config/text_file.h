#pragma once
// Reading small text files for configuration (the config file, the dynamic config file, myid).
// Configuration is read once at start-up, before the env/ layer exists, so this reads the file
// system directly.
#include <cstddef>
#include <string>

#include "base/status.h"

namespace corral {

// Config files are a few kilobytes; anything larger is a mistake (a wrong path), not a config.
inline constexpr size_t kConfigFileBytesMax = 4 * 1024 * 1024;

// The whole file. NotFound when nothing exists at `path`; IoError when it is a directory, cannot
// be opened or read, or is larger than `max_bytes`. Messages name the path.
StatusOr<std::string> ReadTextFile(const std::string& path, size_t max_bytes = kConfigFileBytesMax);

}  // namespace corral
