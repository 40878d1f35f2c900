#pragma once
// Metadata files (currentEpoch, acceptedEpoch, and the like): small values replaced as a whole
// that must never be seen half-written. The file holds one framed, checksummed kMetadata record
// (storage/record_format.h) whose payload is the value.
#include <string>
#include <string_view>

#include "base/status.h"
#include "env/file_system.h"

namespace corral::storage {

// Writes `contents` to `path` atomically and durably: `path.tmp` is written and synced, renamed
// over `path`, and the directory synced. After OK the new value survives a crash; after a
// failure (or a crash) `path` holds the old value or the new one, never a mix.
Status WriteFileAtomically(env::FileSystem* fs, const std::string& path, std::string_view contents);
// The same for a file people and other tools read as it is (ZooKeeper's dynamicConfigFile):
// `contents` unframed, so no checksum; only for copies of what a checksummed file also holds.
Status WritePlainFileAtomically(env::FileSystem* fs, const std::string& path,
                                std::string_view contents);

// The value WriteFileAtomically stored: NotFound when the file does not exist, Corruption
// (naming the file) when it does not check out.
StatusOr<std::string> ReadAtomicFile(env::FileSystem* fs, const std::string& path);

}  // namespace corral::storage
