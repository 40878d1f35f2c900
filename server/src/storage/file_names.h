#pragma once
// Names of the files in the log and snapshot directories. A zxid in a name is written as 16
// lowercase hex digits, so names sort in zxid order:
//   log.<first zxid>          a log segment (storage/txn_log.h)
//   snapshot.<last zxid>      a snapshot (storage/snapshot.h)
//   <name>.tmp                a file being written; never valid, removed by recovery
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace corral::storage {

inline constexpr char kLogSegmentPrefix[] = "log.";
inline constexpr char kSnapshotPrefix[] = "snapshot.";
inline constexpr char kTempSuffix[] = ".tmp";

std::string LogSegmentName(int64_t first_zxid);
std::string SnapshotName(int64_t last_zxid);
// The zxid in a log segment / snapshot name; nullopt for any other name (temp files included).
std::optional<int64_t> ParseLogSegmentName(std::string_view name);
std::optional<int64_t> ParseSnapshotName(std::string_view name);
bool IsTempName(std::string_view name);

// 0x-prefixed hex, the form zxids take in messages.
std::string ZxidString(int64_t zxid);

}  // namespace corral::storage
