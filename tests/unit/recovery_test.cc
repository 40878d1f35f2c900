// Recovery (snapshot + log replay) and its data-loss cases from ZooKeeper's history, autopurge,
// and metadata files.
#include "storage/recovery.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "env/fault_file_system.h"
#include "storage/file_names.h"
#include "storage/log_segment.h"
#include "storage/record_format.h"
#include "storage_test_util.h"

namespace corral::storage {
namespace {

using testing::StateDifference;
using testing::TxnMaker;

constexpr char kSnapDir[] = "/data/snap";
constexpr char kLogDir[] = "/data/log";
constexpr int64_t kS1 = 0x0100000b07e40001LL;
constexpr int64_t kS2 = 0x0100000b07e40002LL;

RecoveryOptions Options() {
  RecoveryOptions o;
  o.state_machine.extended_types_enabled = true;
  o.log.segment_bytes_max = 2048;
  o.log.prealloc_bytes = 1024;
  return o;
}

class RecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    reference_ = std::make_unique<StateMachine>(Options().state_machine);
    auto log = TxnLog::Open(&fs, kLogDir, Options().log);
    ASSERT_TRUE(log.ok());
    log_ = std::move(log).value();
    ASSERT_TRUE(fs.CreateDir(kSnapDir).ok());
  }

  // Appends and syncs `count` entries, applying them to the reference state.
  void Commit(int count) {
    std::vector<Txn> batch;
    for (int i = 0; i < count; ++i) {
      int64_t n = maker_.next_zxid();
      Txn txn;
      switch (n % 7) {
        case 0:
          txn = maker_.CreateSession(kS1 + (n % 3), 5000 + static_cast<int32_t>(n));
          break;
        case 1:
          txn = maker_.Create(kS1, "/n" + std::to_string(n % 13), "data-" + std::to_string(n));
          break;
        case 2:
          txn = maker_.SetData(kS1, "/n" + std::to_string(n % 13), std::string(n % 50, 'x'));
          break;
        case 3:
          txn = maker_.Create(kS2, "/e" + std::to_string(n), "", zk::kEphemeral);
          break;
        case 4:
          txn = maker_.Delete(kS1, "/n" + std::to_string((n + 5) % 13));
          break;
        case 5:
          txn = maker_.Create(kS1, "/s-", "seq", zk::kPersistentSequential);
          break;
        default:
          txn = n % 21 == 6 ? maker_.CloseSession(kS2) : maker_.CreateSession(kS2);
          break;
      }
      ASSERT_TRUE(log_->Append(txn).ok());
      batch.push_back(std::move(txn));
    }
    ASSERT_TRUE(log_->Sync().ok());
    for (const Txn& t : batch) reference_->Apply(t);
  }

  SnapshotInfo Snapshot() {
    auto info = WriteSnapshot(&fs, kSnapDir, *reference_);
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    return info.ok() ? *info : SnapshotInfo{};
  }

  StatusOr<Recovered> Recover(RecoveryOptions options = Options()) {
    log_.reset();  // the process is restarting
    return storage::Recover(&fs, kSnapDir, kLogDir, options);
  }

  // Recovers and expects exactly the reference state; keeps the recovered log for more commits.
  RecoveryReport RecoverExpectingReference(RecoveryOptions options = Options()) {
    auto recovered = Recover(options);
    EXPECT_TRUE(recovered.ok()) << recovered.status().ToString();
    if (!recovered.ok()) return {};
    EXPECT_EQ(StateDifference(*reference_, recovered->state), "");
    EXPECT_EQ(recovered->log->last_zxid(), reference_->last_applied_zxid());
    log_ = std::move(recovered->log);
    return recovered->report;
  }

  std::string WriteRaw(const std::string& path, const std::string& bytes) {
    auto f = fs.CreateFile(path);
    EXPECT_TRUE((*f)->Append(bytes).ok());
    EXPECT_TRUE((*f)->Sync().ok());
    EXPECT_TRUE(fs.SyncDir(env::DirName(path)).ok());
    return path;
  }

  env::FaultFileSystem fs;
  std::unique_ptr<TxnLog> log_;
  std::unique_ptr<StateMachine> reference_;
  TxnMaker maker_{0x300000001LL};
};

TEST_F(RecoveryTest, EmptyDirectoriesGiveAFreshState) {
  auto recovered = Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  EXPECT_EQ(StateDifference(StateMachine(Options().state_machine), recovered->state), "");
  EXPECT_EQ(recovered->log->last_zxid(), 0);
  EXPECT_TRUE(recovered->report.snapshot_path.empty());
}

TEST_F(RecoveryTest, LogOnlyIsReplayedFromTheStart) {
  Commit(100);
  RecoveryReport report = RecoverExpectingReference();
  EXPECT_EQ(report.replayed_entries, 100u);
  EXPECT_TRUE(report.snapshot_path.empty());
  // And the recovered log takes more entries.
  Commit(10);
  RecoverExpectingReference();
}

TEST_F(RecoveryTest, SnapshotPlusTheLogAfterIt) {
  Commit(60);
  SnapshotInfo snap = Snapshot();
  Commit(40);
  RecoveryReport report = RecoverExpectingReference();
  EXPECT_EQ(report.snapshot_path, snap.path);
  EXPECT_EQ(report.snapshot_zxid, snap.last_zxid);
  EXPECT_EQ(report.replayed_entries, 40u);
  EXPECT_EQ(report.last_zxid, reference_->last_applied_zxid());
}

TEST_F(RecoveryTest, MissingSnapshotBesideALogReplaysTheLog) {
  // ZOOKEEPER-2325: the snapshot was lost (or never written) but the log has everything from
  // the start. Recovery must rebuild from the log, not start empty.
  Commit(80);
  SnapshotInfo snap = Snapshot();
  Commit(5);
  ASSERT_TRUE(fs.RemoveFile(snap.path).ok());
  RecoveryReport report = RecoverExpectingReference();
  EXPECT_EQ(report.replayed_entries, 85u);
}

TEST_F(RecoveryTest, ZeroLengthNewestSnapshotIsSkipped) {
  // ZOOKEEPER-3644: a crash left a zero-length snapshot file.
  Commit(30);
  SnapshotInfo older = Snapshot();
  Commit(30);
  std::string empty = WriteRaw(env::JoinPath(kSnapDir, SnapshotName(maker_.next_zxid() - 1)), "");
  RecoveryReport report = RecoverExpectingReference();
  ASSERT_EQ(report.skipped_snapshots.size(), 1u);
  EXPECT_EQ(report.skipped_snapshots[0].first, empty);
  EXPECT_NE(report.skipped_snapshots[0].second.find("empty snapshot file"), std::string::npos);
  EXPECT_EQ(report.snapshot_path, older.path);
}

TEST_F(RecoveryTest, CorruptNewestSnapshotFallsBackToAnOlderOne) {
  Commit(30);
  SnapshotInfo older = Snapshot();
  Commit(30);
  SnapshotInfo newer = Snapshot();
  Commit(5);
  fs.FlipBit(newer.path, newer.file_bytes / 2, 3);
  RecoveryReport report = RecoverExpectingReference();
  ASSERT_EQ(report.skipped_snapshots.size(), 1u);
  EXPECT_EQ(report.skipped_snapshots[0].first, newer.path);
  EXPECT_NE(report.skipped_snapshots[0].second.find("offset"), std::string::npos);
  EXPECT_EQ(report.snapshot_path, older.path);
  EXPECT_EQ(report.replayed_entries, 35u);
}

TEST_F(RecoveryTest, AllSnapshotsInvalidAndThePurgedLogIsDataMissing) {
  Commit(60);
  SnapshotInfo snap = Snapshot();
  Commit(60);
  ASSERT_TRUE(log_->PurgeThrough(snap.last_zxid).ok());
  fs.FlipBit(snap.path, 20, 0);
  auto recovered = Recover();
  ASSERT_EQ(recovered.status().code(), Status::Code::kCorruption);
  EXPECT_NE(recovered.status().message().find("data missing"), std::string::npos)
      << recovered.status().message();
}

TEST_F(RecoveryTest, DamagedOnlySnapshotWithAnEmptyLogIsDataMissing) {
  // The log was purged and then truncated to nothing, so only the snapshot knows the history;
  // when it is damaged, starting empty would lose everything acknowledged.
  Commit(60);
  SnapshotInfo snap = Snapshot();
  ASSERT_TRUE(log_->TruncateAfter(snap.last_zxid).ok());
  ASSERT_TRUE(log_->PurgeThrough(snap.last_zxid).ok());
  log_.reset();
  auto names = fs.ListDir(kLogDir);
  ASSERT_TRUE(names.ok());
  for (const auto& name : *names) ASSERT_TRUE(fs.RemoveFile(env::JoinPath(kLogDir, name)).ok());
  fs.FlipBit(snap.path, 40, 2);
  auto recovered = Recover();
  ASSERT_EQ(recovered.status().code(), Status::Code::kCorruption);
  EXPECT_NE(recovered.status().message().find("data missing: " + snap.path), std::string::npos)
      << recovered.status().message();
}

TEST_F(RecoveryTest, GapBetweenSnapshotAndLogIsRefused) {
  Commit(30);
  Snapshot();
  Commit(60);
  SnapshotInfo later = Snapshot();
  Commit(30);
  // Remove the later snapshot and the log segments up to it: entries between the remaining
  // snapshot and the log are gone.
  ASSERT_TRUE(log_->PurgeThrough(later.last_zxid).ok());
  ASSERT_TRUE(fs.RemoveFile(later.path).ok());
  auto recovered = Recover();
  ASSERT_EQ(recovered.status().code(), Status::Code::kCorruption);
  EXPECT_NE(recovered.status().message().find("data missing"), std::string::npos)
      << recovered.status().message();
  // Even skip_to_last_valid_prefix does not paper over missing data.
  RecoveryOptions skip = Options();
  skip.skip_to_last_valid_prefix = true;
  EXPECT_EQ(Recover(skip).status().code(), Status::Code::kCorruption);
}

TEST_F(RecoveryTest, TornTailIsTruncatedAndReported) {
  Commit(20);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(log_->Append(maker_.Create(kS1, "/unsynced" + std::to_string(i), "x")).ok());
  }
  ASSERT_TRUE(log_->Sync().ok());  // durable, but the reference does not know: tear it below
  std::string last = log_->segments().back().path;
  log_.reset();
  // Cut the last record in half, as a crash during its write would.
  std::string content = *fs.ReadFile(last);
  uint64_t end = content.find_last_not_of('\0') + 1;
  auto f = fs.OpenWritableFile(last, end - 20);
  ASSERT_TRUE((*f)->Truncate(end - 20).ok());
  ASSERT_TRUE((*f)->Sync().ok());
  auto recovered = Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  EXPECT_EQ(recovered->report.log_repairs.torn_file, last);
  EXPECT_GT(recovered->report.log_repairs.torn_bytes, 0u);
  // The first two of the three extra entries are complete; the third was cut.
  EXPECT_EQ(recovered->state.last_applied_zxid(), maker_.next_zxid() - 2);
}

TEST_F(RecoveryTest, HeaderlessLastSegmentIsDroppedButNotInTheMiddle) {
  // ZOOKEEPER-2332 / ZOOKEEPER-4813: a crash right after creating a segment file.
  Commit(40);
  std::string header;
  AppendLogSegmentHeaderRecord({kLogFormatVersion, maker_.next_zxid(), maker_.next_zxid() - 1, 0},
                               &header);
  std::string next = env::JoinPath(kLogDir, LogSegmentName(maker_.next_zxid()));
  WriteRaw(next, header.substr(0, 6));
  RecoveryReport report = RecoverExpectingReference();
  EXPECT_EQ(report.log_repairs.removed_segments, std::vector<std::string>{next});
  Commit(40);  // several segments after it now
  ASSERT_GT(log_->segments().size(), 2u);
  std::string middle = log_->segments()[1].path;
  WriteRaw(middle, "");
  auto recovered = Recover();
  EXPECT_EQ(recovered.status().code(), Status::Code::kCorruption);
  EXPECT_NE(recovered.status().message().find(middle), std::string::npos);
}

TEST_F(RecoveryTest, CorruptionInTheLogIsRefusedUnlessSkipping) {
  Commit(60);
  auto segments = log_->segments();
  ASSERT_GE(segments.size(), 3u);
  std::string victim = segments[1].path;
  // Flip a bit in the third entry of the second segment.
  uint64_t offset = 0;
  int64_t victim_zxid = 0;
  {
    auto reader = LogSegmentReader::Open(&fs, victim, segments[1].first_zxid, 1 << 20);
    ASSERT_EQ((*reader)->ReadHeader(), RecordReader::Outcome::kRecord);
    Txn txn;
    for (int i = 0; i < 3; ++i) {
      ASSERT_EQ((*reader)->NextEntry(&txn, &offset), RecordReader::Outcome::kRecord);
    }
    victim_zxid = txn.zxid;
  }
  fs.FlipBit(victim, offset + kRecordHeaderBytes + 1, 5);
  auto refused = Recover();
  ASSERT_EQ(refused.status().code(), Status::Code::kCorruption);
  EXPECT_NE(refused.status().message().find(victim), std::string::npos);
  EXPECT_NE(refused.status().message().find("offset " + std::to_string(offset)), std::string::npos)
      << refused.status().message();

  RecoveryOptions skip = Options();
  skip.skip_to_last_valid_prefix = true;
  auto recovered = Recover(skip);
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  EXPECT_FALSE(recovered->report.dropped_after_corruption.empty());
  EXPECT_EQ(recovered->state.last_applied_zxid(), victim_zxid - 1);
  EXPECT_EQ(recovered->log->last_zxid(), victim_zxid - 1);
  for (size_t i = 2; i < segments.size(); ++i) EXPECT_FALSE(fs.Exists(segments[i].path));
  // The cut log is consistent: a normal recovery works afterwards.
  recovered->log.reset();
  auto again = Recover();
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->state.last_applied_zxid(), victim_zxid - 1);
}

TEST_F(RecoveryTest, SnapshotAheadOfTheLogContinuesAfterIt) {
  Commit(30);
  SnapshotInfo snap = Snapshot();
  // The log is lost (e.g. a different disk), the snapshot survives.
  log_.reset();
  auto names = fs.ListDir(kLogDir);
  ASSERT_TRUE(names.ok());
  for (const auto& name : *names) {
    ASSERT_TRUE(fs.RemoveFile(env::JoinPath(kLogDir, name)).ok());
  }
  RecoverExpectingReference();
  EXPECT_EQ(log_->last_zxid(), snap.last_zxid);
  Commit(10);
  auto segments = log_->segments();
  ASSERT_FALSE(segments.empty());
  EXPECT_EQ(segments[0].prev_zxid, snap.last_zxid);
  RecoverExpectingReference();
}

TEST_F(RecoveryTest, LeftoverTempFilesAreRemoved) {
  Commit(5);
  std::string tmp = WriteRaw(env::JoinPath(kSnapDir, "snapshot.0000000000000009.tmp"), "part");
  RecoveryReport report = RecoverExpectingReference();
  EXPECT_EQ(report.removed_temp_files, std::vector<std::string>{tmp});
  EXPECT_FALSE(fs.Exists(tmp));
}

TEST_F(RecoveryTest, SnapshotOfAnotherDatabaseIsRefused) {
  Commit(5);
  SnapshotWriteOptions other;
  other.db_id = 99;
  ASSERT_TRUE(WriteSnapshot(&fs, kSnapDir, *reference_, other).ok());
  RecoveryOptions mine = Options();
  mine.log.db_id = 98;
  auto recovered = Recover(mine);
  EXPECT_EQ(recovered.status().code(), Status::Code::kInvalidArgument);
}

TEST_F(RecoveryTest, PurgeKeepsTheNewestValidSnapshotsAndTheLogTheyNeed) {
  std::vector<SnapshotInfo> snaps;
  for (int i = 0; i < 5; ++i) {
    Commit(30);
    snaps.push_back(Snapshot());
  }
  Commit(10);
  // The newest and the third newest are damaged: they must not count as kept (ZOOKEEPER-3231).
  fs.FlipBit(snaps[4].path, 30, 1);
  fs.FlipBit(snaps[2].path, 30, 1);
  auto purged = Purge(&fs, kSnapDir, log_.get(), 2);
  ASSERT_TRUE(purged.ok()) << purged.status().ToString();
  EXPECT_EQ(purged->snapshots.kept, (std::vector<std::string>{snaps[3].path, snaps[1].path}));
  EXPECT_EQ(purged->snapshots.oldest_kept_zxid, snaps[1].last_zxid);
  EXPECT_EQ(purged->snapshots.removed, std::vector<std::string>{snaps[0].path});
  ASSERT_EQ(purged->snapshots.invalid.size(), 2u);
  EXPECT_FALSE(purged->removed_segments.empty());
  EXPECT_TRUE(fs.Exists(snaps[2].path));  // newer than the oldest kept: left for inspection
  EXPECT_LE(log_->segments()[0].prev_zxid, snaps[1].last_zxid);

  // Recovery still works, and still works from the oldest kept snapshot alone.
  RecoverExpectingReference();
  ASSERT_TRUE(fs.RemoveFile(snaps[3].path).ok());
  RecoveryReport report = RecoverExpectingReference();
  EXPECT_EQ(report.snapshot_path, snaps[1].path);
}

TEST_F(RecoveryTest, PurgeWithoutAValidSnapshotRemovesNothing) {
  Commit(60);
  SnapshotInfo only = Snapshot();
  fs.FlipBit(only.path, 30, 1);
  auto purged = Purge(&fs, kSnapDir, log_.get(), 3);
  ASSERT_TRUE(purged.ok());
  EXPECT_FALSE(purged->snapshots.oldest_kept_zxid.has_value());
  EXPECT_TRUE(purged->removed_segments.empty());
  EXPECT_TRUE(fs.Exists(only.path));
}

}  // namespace
}  // namespace corral::storage
