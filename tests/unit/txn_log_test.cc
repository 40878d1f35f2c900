// TxnLog: append, group commit, segment roll, preallocation, reopen and tail repair, truncate,
// purge, SkipTo and the history checks of ReadEntries, and fail-stop after a failed fsync.
#include "storage/txn_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "env/fault_file_system.h"
#include "storage/file_names.h"
#include "storage/log_segment.h"
#include "storage/record_format.h"
#include "zk/codes.h"

namespace corral::storage {
namespace {

constexpr char kDir[] = "/data/log";

Txn Entry(int64_t zxid, size_t request_bytes = 40) {
  Txn t;
  t.zxid = zxid;
  t.session_id = 0x1000 + zxid % 3;
  t.xid = static_cast<int32_t>(zxid);
  t.time_ms = 1'700'000'000'000LL + zxid;
  t.type = zk::kCreate2;
  t.request = std::string(request_bytes, static_cast<char>('a' + zxid % 26));
  t.identities = {zk::Id{"digest", "bob:xyz"}, zk::Id{"ip", "127.0.0.1"}};
  return t;
}

bool Same(const Txn& a, const Txn& b) {
  return a.zxid == b.zxid && a.session_id == b.session_id && a.xid == b.xid &&
         a.time_ms == b.time_ms && a.type == b.type && a.request == b.request &&
         a.identities == b.identities;
}

// One big segment, preallocated in small steps (the in-memory file system copies whole files).
TxnLogOptions OneSegment() {
  TxnLogOptions o;
  o.prealloc_bytes = 64 << 10;
  return o;
}

TxnLogOptions SmallOptions() {
  TxnLogOptions o;
  o.segment_bytes_max = 1024;
  o.prealloc_bytes = 512;
  return o;
}

class TxnLogTest : public ::testing::Test {
 protected:
  std::unique_ptr<TxnLog> Open(TxnLogOptions options = SmallOptions(),
                               TxnLogOpenReport* report = nullptr) {
    auto log = TxnLog::Open(&fs, kDir, options, report);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return log.ok() ? std::move(log).value() : nullptr;
  }
  void AppendSync(TxnLog* log, int64_t first, int64_t last, size_t bytes = 40) {
    for (int64_t z = first; z <= last; ++z) ASSERT_TRUE(log->Append(Entry(z, bytes)).ok());
    ASSERT_TRUE(log->Sync().ok());
  }
  std::vector<int64_t> Zxids(TxnLog* log, int64_t after = 0, Status* status = nullptr) {
    std::vector<int64_t> out;
    Status st = log->ReadEntries(after, [&](const Txn& t) {
      EXPECT_TRUE(Same(t, Entry(t.zxid, t.request->size()))) << t.zxid;
      out.push_back(t.zxid);
      return Status::Ok();
    });
    if (status != nullptr) {
      *status = st;
    } else {
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
    return out;
  }
  static std::vector<int64_t> Range(int64_t first, int64_t last) {
    std::vector<int64_t> out;
    for (int64_t z = first; z <= last; ++z) out.push_back(z);
    return out;
  }
  std::string SegmentPath(int64_t first_zxid) {
    return env::JoinPath(kDir, LogSegmentName(first_zxid));
  }

  env::FaultFileSystem fs;
};

TEST_F(TxnLogTest, FileNames) {
  EXPECT_EQ(LogSegmentName(0x100000001LL), "log.0000000100000001");
  EXPECT_EQ(ParseLogSegmentName("log.0000000100000001"), 0x100000001LL);
  EXPECT_FALSE(ParseLogSegmentName("log.100000001").has_value());
  EXPECT_FALSE(ParseLogSegmentName("log.0000000100000001.tmp").has_value());
  EXPECT_FALSE(ParseLogSegmentName("log.000000010000000G").has_value());
  EXPECT_EQ(SnapshotName(255), "snapshot.00000000000000ff");
  EXPECT_EQ(ParseSnapshotName("snapshot.00000000000000ff"), 255);
}

TEST_F(TxnLogTest, AppendSyncReopenReadsBack) {
  auto log = Open(OneSegment());
  EXPECT_EQ(log->last_zxid(), 0);
  AppendSync(log.get(), 1, 100);
  EXPECT_EQ(log->last_zxid(), 100);
  EXPECT_EQ(log->last_synced_zxid(), 100);
  EXPECT_EQ(Zxids(log.get()), Range(1, 100));
  EXPECT_EQ(Zxids(log.get(), 60), Range(61, 100));
  log.reset();
  log = Open(OneSegment());
  EXPECT_EQ(log->last_zxid(), 100);
  EXPECT_EQ(Zxids(log.get()), Range(1, 100));
  AppendSync(log.get(), 101, 110);
  log.reset();
  EXPECT_EQ(Zxids(Open(OneSegment()).get()), Range(1, 110));
}

TEST_F(TxnLogTest, NothingIsDurableBeforeSync) {
  auto log = Open();
  AppendSync(log.get(), 1, 5);
  for (int64_t z = 6; z <= 9; ++z) ASSERT_TRUE(log->Append(Entry(z)).ok());
  EXPECT_EQ(log->last_zxid(), 9);
  EXPECT_EQ(log->last_synced_zxid(), 5);
  EXPECT_GT(log->buffered_bytes(), 0u);
  log.reset();
  fs.Crash(1, env::CrashMode::kDropUnsynced);
  EXPECT_EQ(Zxids(Open().get()), Range(1, 5));
}

TEST_F(TxnLogTest, OneSyncCoversTheWholeBatch) {
  auto log = Open(OneSegment());
  AppendSync(log.get(), 1, 1);  // creates the segment: file sync + directory sync
  uint64_t before = fs.sync_calls();
  AppendSync(log.get(), 2, 201);
  EXPECT_EQ(fs.sync_calls() - before, 1u);
  before = fs.sync_calls();
  ASSERT_TRUE(log->Sync().ok());  // nothing buffered: no I/O
  EXPECT_EQ(fs.sync_calls(), before);
}

TEST_F(TxnLogTest, RollsSegmentsAndChainsThem) {
  auto log = Open();
  AppendSync(log.get(), 1, 60);
  auto segments = log->segments();
  ASSERT_GT(segments.size(), 3u);
  EXPECT_EQ(segments[0].first_zxid, 1);
  EXPECT_EQ(segments[0].prev_zxid, 0);
  for (size_t i = 1; i < segments.size(); ++i) {
    EXPECT_EQ(segments[i].prev_zxid, segments[i].first_zxid - 1);
    EXPECT_EQ(segments[i].path, SegmentPath(segments[i].first_zxid));
    // A finished segment has its preallocated zeros cut off and stays under the limit.
    uint64_t size = *fs.FileSize(segments[i - 1].path);
    EXPECT_LE(size, 1024u);
    auto content = fs.ReadFile(segments[i - 1].path);
    EXPECT_NE(content->back(), '\0');
  }
  log.reset();
  log = Open();
  EXPECT_EQ(log->segments().size(), segments.size());
  EXPECT_EQ(Zxids(log.get()), Range(1, 60));
}

TEST_F(TxnLogTest, OneBatchSpanningSeveralSegmentsIsDurableAfterOneSync) {
  auto log = Open();
  for (int64_t z = 1; z <= 80; ++z) ASSERT_TRUE(log->Append(Entry(z)).ok());
  EXPECT_EQ(log->segments().size(), 0u);  // nothing written yet
  ASSERT_TRUE(log->Sync().ok());
  EXPECT_GT(log->segments().size(), 3u);
  log.reset();
  fs.Crash(3, env::CrashMode::kDropUnsynced);
  EXPECT_EQ(Zxids(Open().get()), Range(1, 80));
}

TEST_F(TxnLogTest, PreallocatesInSteps) {
  TxnLogOptions options;
  options.segment_bytes_max = 1 << 20;
  options.prealloc_bytes = 64 << 10;
  auto log = Open(options);
  AppendSync(log.get(), 1, 3);
  std::string path = log->segments()[0].path;
  EXPECT_EQ(*fs.FileSize(path), 64u << 10);
  AppendSync(log.get(), 4, 2000);  // ~100 KB of entries
  uint64_t size = *fs.FileSize(path);
  EXPECT_EQ(size % (64u << 10), 0u);
  EXPECT_GE(size, 128u << 10);
  log.reset();
  EXPECT_EQ(Zxids(Open(options).get()), Range(1, 2000));  // the zeros are a clean end
}

TEST_F(TxnLogTest, TornTailIsTruncatedOnOpenAndAppendsContinue) {
  auto log = Open(OneSegment());
  AppendSync(log.get(), 1, 10);
  std::string path = log->segments()[0].path;
  log.reset();
  // A record of entry 11, cut short, as a crash during its write leaves it.
  std::string record;
  AppendLogEntryRecord(Entry(11), &record);
  auto size = fs.ReadFile(path);
  uint64_t end = 0;
  {
    // Where the valid records end: the first zero byte after them is the preallocated tail.
    std::string content = *size;
    end = content.find_last_not_of('\0') + 1;
    auto f = fs.OpenWritableFile(path, end);
    ASSERT_TRUE((*f)->Append(record.substr(0, 30)).ok());
    ASSERT_TRUE((*f)->Sync().ok());
  }
  TxnLogOpenReport report;
  log = Open(OneSegment(), &report);
  EXPECT_EQ(report.torn_file, path);
  EXPECT_EQ(report.torn_offset, end);
  EXPECT_EQ(report.torn_bytes, 30u);
  EXPECT_EQ(log->last_zxid(), 10);
  AppendSync(log.get(), 11, 12);
  log.reset();
  fs.Crash(1, env::CrashMode::kDropUnsynced);
  report = {};
  log = Open(OneSegment(), &report);
  EXPECT_TRUE(report.torn_file.empty());
  EXPECT_EQ(Zxids(log.get()), Range(1, 12));
}

TEST_F(TxnLogTest, HeaderlessOrEmptyLastSegmentIsRemoved) {
  auto log = Open();
  AppendSync(log.get(), 1, 20);
  size_t segments = log->segments().size();
  log.reset();
  // A crash just after creating the next segment: the file exists, with nothing or part of a
  // header in it.
  for (size_t header_bytes : {size_t{0}, size_t{7}}) {
    std::string header;
    AppendLogSegmentHeaderRecord({kLogFormatVersion, 21, 20, 0}, &header);
    auto f = fs.CreateFile(SegmentPath(21));
    ASSERT_TRUE((*f)->Append(header.substr(0, header_bytes)).ok());
    ASSERT_TRUE((*f)->Sync().ok());
    ASSERT_TRUE(fs.SyncDir(kDir).ok());
    TxnLogOpenReport report;
    log = Open(SmallOptions(), &report);
    ASSERT_EQ(report.removed_segments, std::vector<std::string>{SegmentPath(21)});
    EXPECT_FALSE(fs.Exists(SegmentPath(21)));
    EXPECT_EQ(log->segments().size(), segments);
    EXPECT_EQ(log->last_zxid(), 20);
    log.reset();
  }
  // A complete header but no entry: removed as well, and appending resumes in the segment before.
  std::string header;
  AppendLogSegmentHeaderRecord({kLogFormatVersion, 21, 20, 0}, &header);
  auto f = fs.CreateFile(SegmentPath(21));
  ASSERT_TRUE((*f)->Append(header + std::string(100, '\0')).ok());
  ASSERT_TRUE((*f)->Sync().ok());
  ASSERT_TRUE(fs.SyncDir(kDir).ok());
  TxnLogOpenReport report;
  log = Open(SmallOptions(), &report);
  EXPECT_EQ(report.removed_segments.size(), 1u);
  AppendSync(log.get(), 21, 30);
  EXPECT_EQ(Zxids(log.get()), Range(1, 30));
}

TEST_F(TxnLogTest, DamagedSegmentBeforeTheLastIsCorruption) {
  auto log = Open();
  AppendSync(log.get(), 1, 60);
  auto segments = log->segments();
  ASSERT_GE(segments.size(), 3u);
  log.reset();
  // Truncate the second segment's header: not a crash artifact, since later segments exist.
  auto f = fs.OpenWritableFile(segments[1].path, 0);
  ASSERT_TRUE((*f)->Truncate(5).ok());
  ASSERT_TRUE((*f)->Sync().ok());
  auto opened = TxnLog::Open(&fs, kDir, SmallOptions());
  ASSERT_EQ(opened.status().code(), Status::Code::kCorruption);
  EXPECT_NE(opened.status().message().find(segments[1].path), std::string::npos)
      << opened.status().message();
}

TEST_F(TxnLogTest, CorruptionInsideTheLastSegmentIsRefusedOrCutWhenAllowed) {
  auto log = Open(OneSegment());
  AppendSync(log.get(), 1, 10);
  std::string path = log->segments()[0].path;
  log.reset();
  // Find the offset of entry 5 and flip a bit in its payload.
  auto opened = LogSegmentReader::Open(&fs, path, 1, 1 << 20);
  ASSERT_TRUE((*opened)->ReadHeader() == RecordReader::Outcome::kRecord);
  Txn txn;
  uint64_t offset = 0;
  while ((*opened)->NextEntry(&txn, &offset) == RecordReader::Outcome::kRecord && txn.zxid < 5) {
  }
  ASSERT_EQ(txn.zxid, 5);
  opened->reset();
  fs.FlipBit(path, offset + kRecordHeaderBytes + 3, 2);

  auto refused = TxnLog::Open(&fs, kDir, OneSegment());
  ASSERT_EQ(refused.status().code(), Status::Code::kCorruption);
  EXPECT_NE(refused.status().message().find(path), std::string::npos);
  EXPECT_NE(refused.status().message().find("offset " + std::to_string(offset)), std::string::npos)
      << refused.status().message();

  TxnLogOptions skip;
  skip.skip_to_last_valid_prefix = true;
  TxnLogOpenReport report;
  log = Open(skip, &report);
  EXPECT_FALSE(report.dropped_corruption.empty());
  EXPECT_EQ(log->last_zxid(), 4);
  EXPECT_EQ(Zxids(log.get()), Range(1, 4));
}

TEST_F(TxnLogTest, TruncateAfter) {
  auto log = Open();
  AppendSync(log.get(), 1, 60);
  auto segments = log->segments();
  ASSERT_GE(segments.size(), 4u);
  int64_t target = segments[1].first_zxid + 2;
  ASSERT_TRUE(log->TruncateAfter(target).ok());
  EXPECT_EQ(log->last_zxid(), target);
  EXPECT_EQ(log->segments().size(), 2u);
  for (size_t i = 2; i < segments.size(); ++i) EXPECT_FALSE(fs.Exists(segments[i].path));
  EXPECT_EQ(Zxids(log.get()), Range(1, target));
  // The log continues after the cut, in the cut segment.
  AppendSync(log.get(), target + 1, target + 3);
  log.reset();
  fs.Crash(1, env::CrashMode::kDropUnsynced);
  log = Open();
  EXPECT_EQ(Zxids(log.get()), Range(1, target + 3));

  EXPECT_TRUE(log->TruncateAfter(1000).ok());  // beyond the end: nothing to do
  ASSERT_TRUE(log->TruncateAfter(segments[1].first_zxid - 1).ok());  // exactly a segment's end
  EXPECT_EQ(log->segments().size(), 1u);
  EXPECT_EQ(Zxids(log.get()), Range(1, segments[1].first_zxid - 1));
  ASSERT_TRUE(log->TruncateAfter(0).ok());  // everything
  EXPECT_EQ(log->segments().size(), 0u);
  EXPECT_EQ(log->last_zxid(), 0);
  AppendSync(log.get(), 1, 2);
  EXPECT_EQ(Zxids(log.get()), Range(1, 2));
}

TEST_F(TxnLogTest, TruncateAfterBeforeTheStartIsRefused) {
  auto log = Open();
  AppendSync(log.get(), 1, 60);
  ASSERT_TRUE(log->PurgeThrough(30).ok());
  int64_t start = log->segments()[0].prev_zxid;
  ASSERT_GT(start, 0);
  EXPECT_EQ(log->TruncateAfter(start - 1).code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(log->poisoned().ok());
}

TEST_F(TxnLogTest, PurgeKeepsWhatReplayAfterTheZxidNeeds) {
  auto log = Open();
  AppendSync(log.get(), 1, 60);
  auto segments = log->segments();
  std::vector<std::string> removed;
  ASSERT_TRUE(log->PurgeThrough(25, &removed).ok());
  ASSERT_FALSE(removed.empty());
  for (const auto& p : removed) EXPECT_FALSE(fs.Exists(p));
  EXPECT_LE(log->segments()[0].prev_zxid, 25);
  EXPECT_EQ(Zxids(log.get(), 25), Range(26, 60));
  Status st;
  Zxids(log.get(), 0, &st);
  EXPECT_EQ(st.code(), Status::Code::kCorruption);
  EXPECT_NE(st.message().find("data missing"), std::string::npos) << st.message();
  // Never the last segment, whatever the zxid.
  ASSERT_TRUE(log->PurgeThrough(1000).ok());
  EXPECT_EQ(log->segments().size(), 1u);
  EXPECT_EQ(log->segments()[0].path, segments.back().path);
  log.reset();
  log = Open();
  EXPECT_EQ(Zxids(log.get(), 60), std::vector<int64_t>{});
}

TEST_F(TxnLogTest, SkipToStartsANewSegmentAfterTheGap) {
  auto log = Open(OneSegment());
  AppendSync(log.get(), 1, 10);
  EXPECT_EQ(log->SkipTo(5).code(), Status::Code::kInvalidArgument);
  ASSERT_TRUE(log->SkipTo(20).ok());
  EXPECT_EQ(log->last_zxid(), 20);
  AppendSync(log.get(), 21, 25);
  auto segments = log->segments();
  ASSERT_EQ(segments.size(), 2u);
  EXPECT_EQ(segments[1].prev_zxid, 20);
  log.reset();
  log = Open(OneSegment());
  // From a snapshot at 20 the log is complete; from one at 5 entries 11..20 are missing.
  EXPECT_EQ(Zxids(log.get(), 20), Range(21, 25));
  Status st;
  Zxids(log.get(), 5, &st);
  EXPECT_EQ(st.code(), Status::Code::kCorruption);
  EXPECT_NE(st.message().find("data missing"), std::string::npos) << st.message();
  // Missing data is not damage in a file: there is no place to cut the log.
  LogDamage damage;
  st = log->ReadEntries(
      5, [](const Txn&) { return Status::Ok(); }, &damage);
  EXPECT_EQ(st.code(), Status::Code::kCorruption);
  EXPECT_TRUE(damage.path.empty());
}

TEST_F(TxnLogTest, ASnapshotZxidThatIsNotInTheHistoryIsRefused) {
  auto log = Open(OneSegment());
  for (int64_t z : {1, 2, 5, 6}) ASSERT_TRUE(log->Append(Entry(z)).ok());
  ASSERT_TRUE(log->Sync().ok());
  EXPECT_EQ(Zxids(log.get(), 2), (std::vector<int64_t>{5, 6}));
  Status st;
  Zxids(log.get(), 3, &st);
  EXPECT_EQ(st.code(), Status::Code::kCorruption);
  EXPECT_NE(st.message().find("not a point of this log's history"), std::string::npos)
      << st.message();
}

TEST_F(TxnLogTest, FailedFsyncPoisonsTheLogForGood) {
  auto log = Open();
  AppendSync(log.get(), 1, 3);
  ASSERT_TRUE(log->Append(Entry(4)).ok());
  fs.FailSyncs(1);
  Status failed = log->Sync();
  ASSERT_EQ(failed.code(), Status::Code::kIoError);
  uint64_t syncs = fs.sync_calls();
  // Every later call returns the same error, and nothing retries the fsync.
  EXPECT_EQ(log->Sync().message(), failed.message());
  EXPECT_EQ(log->Append(Entry(5)).message(), failed.message());
  EXPECT_EQ(log->TruncateAfter(1).message(), failed.message());
  EXPECT_EQ(log->SkipTo(100).message(), failed.message());
  EXPECT_EQ(log->PurgeThrough(100).message(), failed.message());
  EXPECT_EQ(log->poisoned().message(), failed.message());
  EXPECT_EQ(fs.sync_calls(), syncs);
  EXPECT_EQ(log->last_synced_zxid(), 3);
}

TEST_F(TxnLogTest, DiskFullIsResourceExhaustedAndPoisons) {
  auto log = Open();
  AppendSync(log.get(), 1, 3);
  fs.SetSpaceLimitBytes(*fs.FileSize(log->segments()[0].path) + 50);
  for (int64_t z = 4; z <= 40; ++z) ASSERT_TRUE(log->Append(Entry(z)).ok());
  Status st = log->Sync();
  EXPECT_EQ(st.code(), Status::Code::kResourceExhausted) << st.ToString();
  EXPECT_NE(st.message().find("no space left"), std::string::npos);
  EXPECT_FALSE(log->poisoned().ok());
}

TEST_F(TxnLogTest, OversizedEntryIsRefusedWithoutPoisoning) {
  TxnLogOptions options;
  options.record_bytes_max = 1000;
  auto log = Open(options);
  EXPECT_EQ(log->Append(Entry(1, 2000)).code(), Status::Code::kInvalidArgument);
  EXPECT_TRUE(log->poisoned().ok());
  AppendSync(log.get(), 1, 2);
  EXPECT_EQ(Zxids(log.get()), Range(1, 2));
}

TEST_F(TxnLogTest, AnotherDatabasesLogIsRefused) {
  TxnLogOptions mine = SmallOptions();
  mine.db_id = 7;
  auto log = Open(mine);
  AppendSync(log.get(), 1, 60);
  log.reset();
  mine.db_id = 8;
  EXPECT_EQ(TxnLog::Open(&fs, kDir, mine).status().code(), Status::Code::kInvalidArgument);
}

TEST_F(TxnLogTest, LargeEntriesLargerThanASegment) {
  auto log = Open();
  AppendSync(log.get(), 1, 2, 5000);  // each bigger than segment_bytes_max: one per segment
  AppendSync(log.get(), 3, 3, 10);
  EXPECT_EQ(log->segments().size(), 3u);
  log.reset();
  EXPECT_EQ(Zxids(Open().get()), Range(1, 3));
}

TEST(TxnLogPosix, AppendSyncReopenOnARealDirectory) {
  std::string pattern = ::testing::TempDir() + "corral_txn_log_XXXXXX";
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  std::string dir = env::JoinPath(pattern, "log");
  TxnLogOptions options;
  options.segment_bytes_max = 64 << 10;
  options.prealloc_bytes = 16 << 10;
  {
    auto log = TxnLog::Open(env::PosixFileSystem(), dir, options);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    for (int64_t z = 1; z <= 3000; ++z) ASSERT_TRUE((*log)->Append(Entry(z)).ok());
    ASSERT_TRUE((*log)->Sync().ok());
    EXPECT_GT((*log)->segments().size(), 1u);
  }
  auto log = TxnLog::Open(env::PosixFileSystem(), dir, options);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  EXPECT_EQ((*log)->last_zxid(), 3000);
  int64_t expected = 1;
  ASSERT_TRUE((*log)
                  ->ReadEntries(0,
                                [&](const Txn& t) {
                                  EXPECT_TRUE(Same(t, Entry(expected)));
                                  ++expected;
                                  return Status::Ok();
                                })
                  .ok());
  EXPECT_EQ(expected, 3001);
}

// The zxid-only decode used to pass entries gives what the full decode gives, and refuses
// what is not protobuf at all.
TEST(LogEntryZxid, AgreesWithTheFullDecode) {
  for (int64_t zxid :
       {int64_t{1}, int64_t{127}, int64_t{128}, (int64_t{7} << 32) | 5, int64_t{1} << 62}) {
    for (size_t request_bytes : {size_t{0}, size_t{1}, size_t{300}, size_t{70000}}) {
      Txn t = Entry(zxid, request_bytes);
      std::string record;
      AppendLogEntryRecord(t, &record);
      std::string_view payload =
          std::string_view(record).substr(kRecordHeaderBytes, record.size() - kRecordOverheadBytes);
      Txn full;
      ASSERT_TRUE(DecodeLogEntry(payload, &full));
      int64_t only = 0;
      ASSERT_TRUE(DecodeLogEntryZxid(payload, &only));
      EXPECT_EQ(only, full.zxid);
      EXPECT_EQ(only, zxid);
      // Every strict prefix that cuts a field is refused by both (a cut exactly between two
      // fields is a valid shorter message for both).
      for (size_t cut = 0; cut < payload.size(); cut += 1 + payload.size() / 50) {
        int64_t z = 0;
        Txn f;
        EXPECT_EQ(DecodeLogEntryZxid(payload.substr(0, cut), &z),
                  DecodeLogEntry(payload.substr(0, cut), &f))
            << "cut at " << cut;
        if (DecodeLogEntry(payload.substr(0, cut), &f)) {
          EXPECT_EQ(z, f.zxid);
        }
      }
    }
  }
  // A repeated zxid field: the last one counts, as in protobuf.
  std::string twice = {0x08, 0x05, 0x10, 0x01, 0x08, 0x07};
  int64_t z = 0;
  Txn f;
  ASSERT_TRUE(DecodeLogEntry(twice, &f));
  ASSERT_TRUE(DecodeLogEntryZxid(twice, &z));
  EXPECT_EQ(z, 7);
  EXPECT_EQ(f.zxid, 7);
  int64_t unused = 0;
  EXPECT_FALSE(DecodeLogEntryZxid(std::string("\x08\x05\x00\x00", 4), &unused));
  const char cut_short[] = {0x32, 0x10, 'a', 'b'};  // 16 bytes promised, 2 there
  EXPECT_FALSE(DecodeLogEntryZxid(std::string_view(cut_short, sizeof cut_short), &unused));
  EXPECT_FALSE(DecodeLogEntryZxid(std::string("\x0c", 1), &unused));  // end-group, no start
}

}  // namespace
}  // namespace corral::storage
