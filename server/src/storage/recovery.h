#pragma once
// Recovery at start-up and autopurge: how the storage files become a state machine again, and
// how old ones go away without ever removing what recovery would need.
//
// Start-up (on the core thread, before serving):
//
//   RecoveryOptions options;           // state machine options, log options, db id
//   auto recovered = Recover(env::PosixFileSystem(), snap_dir, log_dir, options);
//   if (!recovered.ok()) { log recovered.status(); exit nonzero; }   // fail-stop
//   StateMachine state = std::move(recovered->state);
//   std::unique_ptr<TxnLog> log = std::move(recovered->log);    // hand to the disk thread
//   // recovered->report says what was repaired or skipped (also logged)
//
// Autopurge (periodically): PurgeSnapshots on any thread (it reads whole snapshots to validate
// them), then log->PurgeThrough(oldest kept zxid) on the disk thread that owns the log. Or
// Purge() to do both on one thread.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "env/file_system.h"
#include "statemachine/state_machine.h"
#include "storage/snapshot.h"
#include "storage/txn_log.h"

namespace corral::storage {

struct RecoveryOptions {
  StateMachineOptions state_machine;
  TxnLogOptions log;  // log.db_id also checks snapshots; see skip_to_last_valid_prefix below
  // Corruption in the log (not a torn tail, which is always repaired) normally stops recovery
  // with the file and offset. With this set, the log is cut before the damaged record (and
  // every later segment removed), the state is what precedes it, and the report says so.
  // Entries after the damage are lost even if acknowledged: for an operator who accepts that
  // (a replica that will be brought up to date by its peers), never a default.
  bool skip_to_last_valid_prefix = false;
  // Standalone, every logged entry was committed when it was written, so recovery applies the
  // whole log. A replica's log may end in entries that were never committed and that its
  // leader will cut: with this false, recovery applies only the snapshot and hands the log
  // after it back unapplied (Recovered::unapplied) for the consensus core to hold.
  bool apply_log = true;
};

struct RecoveryReport {
  std::string snapshot_path;  // empty when the state was built from the log alone
  int64_t snapshot_zxid = 0;
  // Snapshots that were newer than the one used but did not load: (path, why).
  std::vector<std::pair<std::string, std::string>> skipped_snapshots;
  uint64_t replayed_entries = 0;
  int64_t last_zxid = 0;  // the state's last applied zxid
  TxnLogOpenReport log_repairs;
  std::vector<std::string> removed_temp_files;  // leftovers of interrupted writes
  // skip_to_last_valid_prefix: the corruption the log was cut at (empty when none).
  std::string dropped_after_corruption;
};

struct Recovered {
  StateMachine state;
  std::unique_ptr<TxnLog> log;  // open, positioned after the last entry, ready to Append
  RecoveryReport report;
  std::vector<Txn> unapplied;  // apply_log == false: the durable entries after the state
};

// Builds the state from the newest snapshot that loads (older ones are tried in turn; a
// damaged, partial or zero-length one is skipped with a log line naming it and why) and replays
// every log entry after it through StateMachine::Apply.
//   - A torn tail of the log is truncated and logged with its size; a last segment left
//     without a header by a crash is removed (TxnLog::Open).
//   - Without any valid snapshot the state starts empty and the whole log is replayed, which
//     must then begin at the start of history (ZOOKEEPER-2325: never start empty beside a log
//     that has entries).
//   - Entries missing between the snapshot and the log, or between segments, are Corruption
//     ("data missing"): never skipped. So is ending below the zxid a skipped snapshot's name
//     shows the state once reached.
//   - Corruption inside the log is Corruption naming file and offset (see
//     skip_to_last_valid_prefix).
//   - When the snapshot is ahead of the log, the log continues after the snapshot (SkipTo).
// Creates the directories if missing; removes *.tmp leftovers.
StatusOr<Recovered> Recover(env::FileSystem* fs, const std::string& snap_dir,
                            const std::string& log_dir, const RecoveryOptions& options);

struct SnapshotPurgeResult {
  // zxid of the oldest snapshot kept: the log must keep what follows it (PurgeThrough).
  // nullopt when no valid snapshot exists (then nothing was removed).
  std::optional<int64_t> oldest_kept_zxid;
  std::vector<std::string> kept;
  std::vector<std::string> removed;
  // Invalid snapshots newer than the oldest kept one: left in place for inspection, and never
  // counted as kept (ZOOKEEPER-3231).
  std::vector<std::pair<std::string, std::string>> invalid;
};

// Keeps the `retain_count` (>= 1) newest snapshots that validate (ValidateSnapshot) and removes
// every older snapshot, valid or not. Touches only snapshot files: safe on any thread.
StatusOr<SnapshotPurgeResult> PurgeSnapshots(env::FileSystem* fs, const std::string& snap_dir,
                                             int retain_count);

struct PurgeResult {
  SnapshotPurgeResult snapshots;
  std::vector<std::string> removed_segments;
};

// PurgeSnapshots, then log->PurgeThrough(oldest kept zxid): after it, recovery can still start
// from any kept snapshot. Call on the thread that owns `log`.
StatusOr<PurgeResult> Purge(env::FileSystem* fs, const std::string& snap_dir, TxnLog* log,
                            int retain_count);

}  // namespace corral::storage
