#include "storage/recovery.h"

#include <optional>

#include "base/log.h"
#include "storage/file_names.h"

namespace corral::storage {
namespace {

Status RemoveTempFiles(env::FileSystem* fs, const std::string& dir,
                       std::vector<std::string>* removed) {
  auto names = fs->ListDir(dir);
  if (!names.ok()) return names.status();
  for (const auto& name : *names) {
    if (!IsTempName(name)) continue;
    std::string path = env::JoinPath(dir, name);
    CORRAL_RETURN_IF_ERROR(fs->RemoveFile(path));
    removed->push_back(path);
    CORRAL_LOG(kInfo) << "removed " << path << ", left by an interrupted write";
  }
  return Status::Ok();
}

void LogRepairs(const TxnLogOpenReport& repairs) {
  if (!repairs.torn_file.empty()) {
    CORRAL_LOG(kWarn) << "truncated a torn write of " << repairs.torn_bytes << " bytes at offset "
                      << repairs.torn_offset << " of " << repairs.torn_file
                      << " (an entry whose write a crash interrupted; it was never acknowledged)";
  }
  for (const auto& path : repairs.removed_segments) {
    CORRAL_LOG(kWarn) << "removed log segment " << path
                      << ": it had no complete header or no entry (a crash while creating it)";
  }
  if (!repairs.dropped_corruption.empty()) {
    CORRAL_LOG(kError) << "skip_to_last_valid_prefix: cut the log at corruption: "
                       << repairs.dropped_corruption;
  }
}

}  // namespace

StatusOr<Recovered> Recover(env::FileSystem* fs, const std::string& snap_dir,
                            const std::string& log_dir, const RecoveryOptions& options) {
  RecoveryReport report;
  CORRAL_RETURN_IF_ERROR(fs->CreateDir(snap_dir));
  CORRAL_RETURN_IF_ERROR(fs->CreateDir(log_dir));
  CORRAL_RETURN_IF_ERROR(RemoveTempFiles(fs, snap_dir, &report.removed_temp_files));
  if (log_dir != snap_dir) {
    CORRAL_RETURN_IF_ERROR(RemoveTempFiles(fs, log_dir, &report.removed_temp_files));
  }

  TxnLogOptions log_options = options.log;
  log_options.skip_to_last_valid_prefix = options.skip_to_last_valid_prefix;
  auto log = TxnLog::Open(fs, log_dir, log_options, &report.log_repairs);
  if (!log.ok()) return log.status();
  LogRepairs(report.log_repairs);
  report.dropped_after_corruption = report.log_repairs.dropped_corruption;

  auto snapshots = ListSnapshots(fs, snap_dir);
  if (!snapshots.ok()) return snapshots.status();
  std::optional<StateMachine> state;
  SnapshotLoadOptions load_options{options.state_machine, options.log.db_id,
                                   options.log.record_bytes_max};
  for (const auto& snapshot : *snapshots) {
    auto loaded = LoadSnapshot(fs, snapshot.path, load_options);
    if (loaded.ok()) {
      state.emplace(std::move(loaded).value());
      report.snapshot_path = snapshot.path;
      report.snapshot_zxid = state->last_applied_zxid();
      break;
    }
    if (loaded.status().code() != Status::Code::kCorruption) return loaded.status();
    CORRAL_LOG(kWarn) << "skipping snapshot " << snapshot.path << ": " << loaded.status().message();
    report.skipped_snapshots.emplace_back(snapshot.path, loaded.status().message());
  }
  if (!state.has_value()) state.emplace(options.state_machine);
  const std::string from = report.snapshot_path.empty() ? std::string("an empty state")
                                                        : "snapshot " + report.snapshot_path;

  LogDamage damage;
  std::vector<Txn> unapplied;
  Status replay = (*log)->ReadEntries(
      state->last_applied_zxid(),
      [&](const Txn& txn) {
        if (options.apply_log) {
          state->Apply(txn);
        } else {
          unapplied.push_back(txn);
        }
        ++report.replayed_entries;
        return Status::Ok();
      },
      &damage);
  if (!replay.ok()) {
    if (replay.code() != Status::Code::kCorruption) return replay;
    // Missing data leaves no place to cut (damage.path is empty): never skipped.
    if (!options.skip_to_last_valid_prefix || damage.path.empty()) {
      return Status::Corruption("recovery from " + from + " failed: " + replay.message());
    }
    CORRAL_LOG(kError) << "skip_to_last_valid_prefix: cutting the log at byte " << damage.offset
                       << " of " << damage.path << " after " << replay.message();
    CORRAL_RETURN_IF_ERROR((*log)->DropFrom(damage.path, damage.offset));
    report.dropped_after_corruption = replay.message();
    while (!unapplied.empty() && unapplied.back().zxid > (*log)->last_zxid()) unapplied.pop_back();
  }
  const int64_t durable_zxid =
      unapplied.empty() ? state->last_applied_zxid() : unapplied.back().zxid;
  if ((*log)->last_zxid() < durable_zxid) {
    // The snapshot is ahead of the log (older entries purged, or the log lost): the log goes on
    // after the snapshot, and its next segment says so.
    CORRAL_RETURN_IF_ERROR((*log)->SkipTo(state->last_applied_zxid()));
  }
  // A snapshot that did not load still proves, by its name, that the state once reached its
  // zxid: ending below it would silently lose acknowledged entries (say, the only snapshot is
  // damaged and the log was purged up to it).
  for (const auto& [path, why] : report.skipped_snapshots) {
    std::optional<int64_t> reached = ParseSnapshotName(env::BaseName(path));
    if (reached && *reached > durable_zxid) {
      return Status::Corruption("data missing: " + path + " shows the state reached zxid " +
                                ZxidString(*reached) + ", but it does not load (" + why + ") and " +
                                from + " with the log reaches only " + ZxidString(durable_zxid));
    }
  }
  CORRAL_ASSERT((*log)->last_zxid() == durable_zxid,
                "after recovery the log ends where the state (and the unapplied entries) end");
  report.last_zxid = state->last_applied_zxid();
  CORRAL_LOG(kInfo) << "recovered to zxid " << ZxidString(report.last_zxid) << " from " << from
                    << " and " << report.replayed_entries << " log entries";
  return Recovered{std::move(*state), std::move(log).value(), std::move(report),
                   std::move(unapplied)};
}

StatusOr<SnapshotPurgeResult> PurgeSnapshots(env::FileSystem* fs, const std::string& snap_dir,
                                             int retain_count) {
  CORRAL_ASSERT(retain_count >= 1, "keep at least one snapshot");
  auto snapshots = ListSnapshots(fs, snap_dir);
  if (!snapshots.ok()) return snapshots.status();
  SnapshotPurgeResult result;
  size_t i = 0;
  for (; i < snapshots->size() && result.kept.size() < static_cast<size_t>(retain_count); ++i) {
    const auto& snapshot = (*snapshots)[i];
    auto valid = ValidateSnapshot(fs, snapshot.path);
    if (valid.ok()) {
      result.kept.push_back(snapshot.path);
      result.oldest_kept_zxid = snapshot.zxid;
    } else if (valid.status().code() == Status::Code::kCorruption) {
      result.invalid.emplace_back(snapshot.path, valid.status().message());
    } else {
      return valid.status();
    }
  }
  if (!result.oldest_kept_zxid.has_value()) return result;
  // No directory sync after removing: a removal undone by a crash leaves an old snapshot that
  // recovery never prefers and the next purge removes again.
  for (; i < snapshots->size(); ++i) {
    Status st = fs->RemoveFile((*snapshots)[i].path);
    if (!st.ok() && st.code() != Status::Code::kNotFound) return st;
    result.removed.push_back((*snapshots)[i].path);
  }
  return result;
}

StatusOr<PurgeResult> Purge(env::FileSystem* fs, const std::string& snap_dir, TxnLog* log,
                            int retain_count) {
  PurgeResult result;
  auto snapshots = PurgeSnapshots(fs, snap_dir, retain_count);
  if (!snapshots.ok()) return snapshots.status();
  result.snapshots = std::move(snapshots).value();
  if (result.snapshots.oldest_kept_zxid.has_value()) {
    CORRAL_RETURN_IF_ERROR(
        log->PurgeThrough(*result.snapshots.oldest_kept_zxid, &result.removed_segments));
  }
  return result;
}

}  // namespace corral::storage
