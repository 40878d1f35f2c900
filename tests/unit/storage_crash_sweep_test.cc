// The seeded crash sweep: a workload of appends, syncs, snapshots, purges, truncations and clean
// restarts runs on the FaultFileSystem until the "process" dies at a random operation; the
// machine crashes with a random fault (unsynced data dropped, a torn write, a bit flipped in
// unsynced data) and sometimes a bit of already-synced data flips too (media corruption);
// then recovery runs. Checked for every seed:
//   - recovery never crashes;
//   - after drops and tears it succeeds, every entry whose Sync returned OK is there, and the
//     state is exactly the one the log's history gives at the recovered zxid;
//   - a bit flip in unsynced data either disappears with the torn tail or is reported as
//     corruption in the unsynced part of a file (recovery cannot know it was unsynced);
//   - a bit flip in synced log data that recovery must read is reported as corruption naming
//     the file and the damaged record's offset, never silently dropped; a flip in a snapshot
//     makes recovery skip that snapshot (and say so) or refuse for missing data.
// A failure prints the seed; CORRAL_CRASH_SEED=<n> reruns one seed with its trace,
// CORRAL_CRASH_SEEDS=<count> (and CORRAL_CRASH_SEED_START) sweeps more.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "base/log.h"
#include "env/fault_file_system.h"
#include "env/random.h"
#include "storage/file_names.h"
#include "storage/log_segment.h"
#include "storage/record_reader.h"
#include "storage/recovery.h"
#include "storage_test_util.h"

namespace corral::storage {
namespace {

using testing::StateDifference;
using testing::StringFile;
using testing::TxnMaker;

constexpr char kSnapDir[] = "/data/snap";
constexpr char kLogDir[] = "/data/log";
constexpr int64_t kSessions[] = {0x0100000b07e40001LL, 0x0100000b07e40002LL, 0x0100000b07e40003LL};


struct SweepStats {
  uint64_t seeds = 0;
  uint64_t entries_synced = 0;
  uint64_t recovered_ok = 0;
  uint64_t unsynced_flip_refused = 0;
  uint64_t synced_flip_reported = 0;
  uint64_t snapshot_flip_skipped = 0;
  uint64_t data_missing_refused = 0;
};

// Where valid records end in `content` (a log segment's bytes), and where each record starts.
struct RecordMap {
  std::vector<uint64_t> offsets;
  std::vector<uint64_t> ends;
  uint64_t valid_end = 0;
};
RecordMap MapRecords(const std::string& content) {
  StringFile file(content);
  RecordReader reader(&file, "map", 1 << 30);
  RecordMap map;
  Record r;
  while (reader.Next(&r) == RecordReader::Outcome::kRecord) {
    map.offsets.push_back(r.offset);
    map.ends.push_back(r.end_offset());
  }
  map.valid_end = reader.valid_end();
  return map;
}

class CrashRun {
 public:
  // The multiply keeps neighbouring seeds' streams apart (and the recorded seeds replaying).
  explicit CrashRun(uint64_t seed) : seed_(seed), random_(seed * 0x2545f4914f6cdd1dull + 1) {
    options_.state_machine.extended_types_enabled = true;
    const uint64_t segment_sizes[] = {600, 2048, 16384};
    const uint64_t prealloc_sizes[] = {0, 256, 1500};
    options_.log.segment_bytes_max = segment_sizes[random_.Below(3)];
    options_.log.prealloc_bytes = prealloc_sizes[random_.Below(3)];
    trace_ << "seed " << seed << ": segment_bytes_max " << options_.log.segment_bytes_max
           << ", prealloc_bytes " << options_.log.prealloc_bytes << "\n";
  }

  // "" when every check passed, else what failed (with the trace).
  std::string Run(SweepStats* stats) {
    stats_ = stats;
    EXPECT_TRUE(fs_.CreateDir(kSnapDir).ok());
    std::string failure = Workload(/*round=*/0);
    if (failure.empty()) failure = CrashAndCheck();
    if (failure.empty() && recovered_ && random_.Chance(50)) {
      // The repaired files must take new entries and survive a second crash.
      failure = Workload(/*round=*/1);
      if (failure.empty()) failure = CrashAndCheck();
    }
    if (failure.empty()) return "";
    return failure + "\n--- trace ---\n" + trace_.str() + "--- files ---\n" + DescribeFiles();
  }

 private:
  Txn NextTxn() {
    int64_t session = kSessions[random_.Below(3)];
    std::string node = "/n" + std::to_string(random_.Below(12));
    std::string data(random_.Below(120), static_cast<char>('a' + random_.Below(26)));
    switch (random_.Below(10)) {
      case 0:
        return maker_.CreateSession(session, 1000 + static_cast<int32_t>(random_.Below(9000)));
      case 1:
        return random_.Chance(30) ? maker_.CloseSession(session) : maker_.CreateSession(session);
      case 2:
      case 3:
        return maker_.Create(session, node, data);
      case 4:
        return maker_.Create(session, node + "/e" + std::to_string(random_.Below(5)), data,
                             zk::kEphemeral);
      case 5:
        return maker_.Create(session, node + "/s-", data, zk::kPersistentSequential);
      case 6:
      case 7:
        return maker_.SetData(session, node, data);
      default:
        return maker_.Delete(session, node);
    }
  }

  // The state the log's history gives after the entry with zxid `last` (0: none).
  std::unique_ptr<StateMachine> Replay(int64_t last) {
    auto sm = std::make_unique<StateMachine>(options_.state_machine);
    for (const Txn& t : history_) {
      if (t.zxid > last) break;
      sm->Apply(t);
    }
    return sm;
  }

  bool Dead(const Status& st) { return !st.ok() && fs_.dead(); }

  std::string Workload(int round) {
    fs_.CrashAfterOps(random_.Below(round == 0 ? 400 : 150));
    auto recovered = Recover(&fs_, kSnapDir, kLogDir, options_);
    if (!recovered.ok()) {
      if (fs_.dead()) return "";
      return "round " + std::to_string(round) +
             " start-up recovery failed: " + recovered.status().ToString();
    }
    std::unique_ptr<TxnLog> log = std::move(recovered->log);
    auto state = std::make_unique<StateMachine>(std::move(recovered->state));
    int steps = 5 + static_cast<int>(random_.Below(60));
    for (int step = 0; step < steps; ++step) {
      uint64_t action = random_.Below(100);
      if (action < 65) {
        int count = 1 + static_cast<int>(random_.Below(8));
        std::vector<Txn> batch;
        for (int i = 0; i < count; ++i) {
          batch.push_back(NextTxn());
          history_.push_back(batch.back());
          Status st = log->Append(batch.back());
          if (!st.ok()) return Dead(st) ? "" : "Append failed: " + st.ToString();
        }
        Status st = log->Sync();
        if (!st.ok()) return Dead(st) ? "" : "Sync failed: " + st.ToString();
        synced_zxid_ = batch.back().zxid;
        stats_->entries_synced += batch.size();
        for (const Txn& t : batch) state->Apply(t);  // committed: apply, as the node would
        trace_ << "synced through " << ZxidString(synced_zxid_) << "\n";
      } else if (action < 77) {
        auto info = WriteSnapshot(&fs_, kSnapDir, *state);
        if (!info.ok()) return Dead(info.status()) ? "" : "snapshot: " + info.status().ToString();
        trace_ << "snapshot at " << ZxidString(info->last_zxid) << "\n";
        snapshot_floor_ = std::max(snapshot_floor_, info->last_zxid);
      } else if (action < 87) {
        int retain = 1 + static_cast<int>(random_.Below(3));
        auto purged = Purge(&fs_, kSnapDir, log.get(), retain);
        if (!purged.ok())
          return Dead(purged.status()) ? "" : "purge: " + purged.status().ToString();
        trace_ << "purge keeping " << retain << ": removed " << purged->snapshots.removed.size()
               << " snapshots, " << purged->removed_segments.size() << " segments\n";
      } else if (action < 92 && log->last_zxid() > snapshot_floor_) {
        // A follower dropping a tail the leader does not have (never below a snapshot: those
        // hold committed state only).
        int64_t target = std::max(snapshot_floor_,
                                  log->last_zxid() - 1 - static_cast<int64_t>(random_.Below(6)));
        // From the call on, entries after `target` are no longer promised, even if it dies.
        int64_t kept = 0;  // the last entry at or before target
        for (const Txn& t : history_) {
          if (t.zxid <= target) kept = t.zxid;
        }
        synced_zxid_ = std::min(synced_zxid_, kept);
        Status st = log->TruncateAfter(target);
        if (!st.ok() && NamesAFlip(st.message())) {
          // It read the segment a flip of an earlier crash damaged, and said so: the member
          // stops here, as it would.
          trace_ << "TruncateAfter found an earlier flip: " << st.message() << "\n";
          return "";
        }
        if (!st.ok()) return Dead(st) ? "" : "TruncateAfter: " + st.ToString();
        while (!history_.empty() && history_.back().zxid > log->last_zxid()) history_.pop_back();
        synced_zxid_ = log->last_zxid();
        state = Replay(log->last_zxid());
        trace_ << "truncated after " << ZxidString(target) << "\n";
      } else if (action < 96) {
        // Clean restart: everything synced is found again, nothing else.
        log.reset();
        auto again = Recover(&fs_, kSnapDir, kLogDir, options_);
        if (!again.ok()) {
          return Dead(again.status()) ? "" : "clean restart failed: " + again.status().ToString();
        }
        std::string diff = StateDifference(*state, again->state);
        if (!diff.empty()) return "clean restart changed the state: " + diff;
        log = std::move(again->log);
        trace_ << "clean restart\n";
      }
    }
    return "";
  }

  std::string CrashAndCheck() {
    // What was durable before the crash, per log segment: flips past it are in unsynced data.
    std::map<std::string, uint64_t> durable_record_end;
    for (const std::string& path : fs_.DurablePaths()) {
      auto durable = fs_.DurableContent(path);
      durable_record_end[path] = durable ? MapRecords(*durable).valid_end : 0;
    }
    const env::CrashMode modes[] = {env::CrashMode::kDropUnsynced, env::CrashMode::kTearUnsynced,
                                    env::CrashMode::kCorruptUnsynced};
    env::CrashMode mode = modes[random_.Below(3)];
    trace_ << "crash (mode " << static_cast<int>(mode) << "):\n" << fs_.Crash(random_.Next(), mode);

    // Media corruption of synced data, sometimes.
    std::string flipped_log, flipped_snapshot;
    uint64_t flipped_record_offset = 0;
    bool flipped_header = false;
    int64_t flipped_segment_last_zxid = 0;
    bool flipped_last_segment = false;
    uint64_t flip_roll = mode == env::CrashMode::kCorruptUnsynced ? 100 : random_.Below(100);
    auto names = fs_.ListDir(kLogDir);
    if (!names.ok()) return "list: " + names.status().ToString();
    std::vector<std::string> segments;
    for (const auto& n : *names) {
      if (ParseLogSegmentName(n)) segments.push_back(env::JoinPath(kLogDir, n));
    }
    std::sort(segments.begin(), segments.end());
    auto snapshots = *ListSnapshots(&fs_, kSnapDir);
    int64_t newest_snapshot = snapshots.empty() ? 0 : snapshots[0].zxid;
    if (flip_roll < 30 && !segments.empty()) {
      size_t pick = random_.Below(segments.size());
      std::string content = *fs_.ReadFile(segments[pick]);
      RecordMap map = MapRecords(content);
      if (!map.offsets.empty()) {
        size_t record = random_.Below(map.offsets.size());
        uint64_t byte = map.offsets[record] + random_.Below(map.ends[record] - map.offsets[record]);
        int bit = static_cast<int>(random_.Below(8));
        fs_.FlipBit(segments[pick], byte, bit);
        flipped_log = segments[pick];
        flipped_record_offset = map.offsets[record];
        flipped_header = record == 0;
        flipped_last_segment = pick + 1 == segments.size();
        // The segment's last entry zxid: the first zxid of the next segment minus... read it.
        flipped_segment_last_zxid = SegmentLastZxid(content, map);
        flips_.emplace_back(flipped_log, flipped_record_offset);
        trace_ << "flipped bit " << bit << " of byte " << byte << " of " << flipped_log
               << " (record at " << flipped_record_offset << ")\n";
      }
    } else if (flip_roll < 40 && !snapshots.empty()) {
      const auto& snap = snapshots[random_.Below(snapshots.size())];
      uint64_t size = *fs_.FileSize(snap.path);
      uint64_t byte = random_.Below(size);
      fs_.FlipBit(snap.path, byte, static_cast<int>(random_.Below(8)));
      flipped_snapshot = snap.path;
      trace_ << "flipped a bit of byte " << byte << " of " << flipped_snapshot << "\n";
    }

    auto recovered = Recover(&fs_, kSnapDir, kLogDir, options_);
    recovered_ = false;
    if (!recovered.ok()) {
      const Status& st = recovered.status();
      if (st.code() != Status::Code::kCorruption) return "recovery failed: " + st.ToString();
      const std::string& msg = st.message();
      // A flip of this crash, or one left by an earlier crash of this run that recovery then
      // did not need (it may need it now, from an older snapshot).
      if (NamesAFlip(msg)) {
        ++stats_->synced_flip_reported;
        return "";
      }
      if (!flipped_snapshot.empty() && msg.find("data missing") != std::string::npos) {
        ++stats_->data_missing_refused;
        return "";
      }
      if (mode == env::CrashMode::kCorruptUnsynced && flipped_log.empty()) {
        // Acceptable only if the damage it names lies beyond what was durable in that file.
        for (const auto& [path, end] : durable_record_end) {
          size_t at = msg.find(path + ": ");
          if (at == std::string::npos) continue;
          size_t off = msg.find("(record at byte offset ", at);
          if (off == std::string::npos) continue;
          uint64_t offset = std::stoull(msg.substr(off + 23));
          if (offset >= end) {
            ++stats_->unsynced_flip_refused;
            return "";
          }
        }
      }
      return "recovery refused unexpectedly: " + msg;
    }
    // Success: a flip recovery had to read must not have gone unnoticed.
    if (!flipped_log.empty()) {
      int64_t used_snapshot = recovered->report.snapshot_zxid;
      bool needed =
          flipped_header || flipped_last_segment || flipped_segment_last_zxid > used_snapshot;
      if (needed) {
        return "a bit flip in synced data of " + flipped_log + " (record at " +
               std::to_string(flipped_record_offset) + ") was not reported";
      }
    }
    if (!flipped_snapshot.empty() && ParseSnapshotName(env::BaseName(flipped_snapshot)) ==
                                         std::optional<int64_t>(newest_snapshot)) {
      bool skipped = false;
      for (const auto& s : recovered->report.skipped_snapshots)
        skipped |= s.first == flipped_snapshot;
      if (!skipped) return "the damaged newest snapshot was not reported as skipped";
      ++stats_->snapshot_flip_skipped;
    }
    int64_t last = recovered->state.last_applied_zxid();
    if (last < synced_zxid_) {
      return "lost synced entries: recovered to " + ZxidString(last) + ", synced through " +
             ZxidString(synced_zxid_);
    }
    bool in_history = last == 0;
    for (const Txn& t : history_) in_history |= t.zxid == last;
    if (!in_history) return "recovered to a zxid that was never appended: " + ZxidString(last);
    std::string diff = StateDifference(*Replay(last), recovered->state);
    if (!diff.empty())
      return "recovered state differs from the history at " + ZxidString(last) + ": " + diff;
    // Entries beyond `last` were never acknowledged; forget them, as the member would.
    while (!history_.empty() && history_.back().zxid > last) history_.pop_back();
    synced_zxid_ = last;
    trace_ << "recovered to " << ZxidString(last) << "\n";
    ++stats_->recovered_ok;
    recovered_ = true;
    return "";
  }

  // True when `message` names a flipped file and the offset of the record the flip damaged.
  bool NamesAFlip(const std::string& message) const {
    for (const auto& [path, offset] : flips_) {
      if (message.find(path + ": ") != std::string::npos &&
          message.find("(record at byte offset " + std::to_string(offset) + ")") !=
              std::string::npos) {
        return true;
      }
    }
    return false;
  }

  // Every file with its records (offset, type, zxid for entries), for failure messages.
  std::string DescribeFiles() {
    std::ostringstream out;
    for (const std::string& path : fs_.DurablePaths()) {
      auto content = fs_.DurableContent(path);
      StringFile file(*content);
      RecordReader reader(&file, path, 1 << 30);
      out << path << " (" << content->size() << " bytes):";
      Record r;
      RecordReader::Outcome outcome;
      while ((outcome = reader.Next(&r)) == RecordReader::Outcome::kRecord) {
        out << " @" << r.offset << ":" << RecordTypeName(r.type);
        Txn txn;
        if (r.type == RecordType::kLogEntry && DecodeLogEntry(r.payload, &txn)) {
          out << "=" << ZxidString(txn.zxid);
        }
      }
      out << " -> outcome " << static_cast<int>(outcome) << " at " << reader.valid_end() << " "
          << reader.status().message() << "\n";
    }
    return out.str();
  }

  static int64_t SegmentLastZxid(const std::string& content, const RecordMap& map) {
    // Decode the last entry of a segment (records after the header are LogEntry).
    if (map.offsets.size() < 2) return 0;
    Txn txn;
    uint64_t at = map.offsets.back();
    std::string_view payload(content.data() + at + kRecordHeaderBytes,
                             map.ends.back() - at - kRecordOverheadBytes);
    return DecodeLogEntry(payload, &txn) ? txn.zxid : 0;
  }

  uint64_t seed_;
  env::SeededRandom random_;
  RecoveryOptions options_;
  env::FaultFileSystem fs_;
  TxnMaker maker_{0x700000001LL};
  std::vector<Txn> history_;  // every entry appended, in order (truncations remove)
  std::vector<std::pair<std::string, uint64_t>> flips_;  // (segment, record offset) flipped
  int64_t synced_zxid_ = 0;
  int64_t snapshot_floor_ = 0;
  bool recovered_ = false;
  SweepStats* stats_ = nullptr;
  std::ostringstream trace_;
};

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v == nullptr ? fallback : std::stoull(v);
}

TEST(StorageCrashSweep, SeededCrashes) {
  uint64_t start = EnvOr("CORRAL_CRASH_SEED_START", 1);
  uint64_t count = EnvOr("CORRAL_CRASH_SEEDS", 4000);
  if (const char* one = std::getenv("CORRAL_CRASH_SEED")) {
    start = std::stoull(one);
    count = 1;
  }
  SweepStats stats;
  int failures = 0;
  // Recovery logs every repair; thousands of seeds would drown the output. One seed keeps them.
  if (count > 1) SetLogLevel(LogLevel::kError);
  auto began = std::chrono::steady_clock::now();
  for (uint64_t seed = start; seed < start + count && failures < 5; ++seed) {
    CrashRun run(seed);
    std::string failure = run.Run(&stats);
    ++stats.seeds;
    if (!failure.empty()) {
      ++failures;
      ADD_FAILURE() << "crash sweep seed " << seed
                    << " failed (rerun with CORRAL_CRASH_SEED=" << seed << "): " << failure;
    } else if (count == 1) {
      std::printf("seed %llu passed\n", static_cast<unsigned long long>(seed));
    }
  }
  SetLogLevel(LogLevel::kInfo);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  std::printf(
      "crash sweep: %llu seeds in %.1f s (%.0f seeds/s); %llu entries synced; %llu recoveries "
      "checked; synced flips reported %llu; damaged snapshots skipped %llu; refused for missing "
      "data %llu; unsynced flips refused %llu\n",
      static_cast<unsigned long long>(stats.seeds), seconds, stats.seeds / seconds,
      static_cast<unsigned long long>(stats.entries_synced),
      static_cast<unsigned long long>(stats.recovered_ok),
      static_cast<unsigned long long>(stats.synced_flip_reported),
      static_cast<unsigned long long>(stats.snapshot_flip_skipped),
      static_cast<unsigned long long>(stats.data_missing_refused),
      static_cast<unsigned long long>(stats.unsynced_flip_refused));
}

}  // namespace
}  // namespace corral::storage
