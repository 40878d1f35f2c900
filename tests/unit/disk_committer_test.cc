// DiskCommitter: group commit on a disk thread, commits reported in order on the core thread,
// out-of-space aborts and recovery without a restart, fail-stop on a failed fsync. Runs over the
// fault-injecting file system; the core thread is the test's own io_context.
#include "runtime/disk_committer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "env/fault_file_system.h"

namespace corral {
namespace {

namespace asio = boost::asio;

Txn Entry(int64_t zxid) {
  Txn t;
  t.zxid = zxid;
  t.session_id = 0x100;
  t.xid = static_cast<int32_t>(zxid);
  t.time_ms = 1'700'000'000'000 + zxid;
  t.type = 2;  // delete: the committer never looks inside
  t.request = std::string(100, 'r');
  return t;
}

class DiskCommitterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.prealloc_bytes = 8 << 10;     // a whole segment: a roll is where space runs out
    options_.segment_bytes_max = 8 << 10;  // batches cross segment rolls
    auto log = storage::TxnLog::Open(&fs_, "/log", options_);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    committer_ = std::make_unique<DiskCommitter>(
        io_, &fs_, std::move(log.value()), options_,
        [this](const Txn& t) { committed_.push_back(t.zxid); },
        [this](const std::vector<Txn>& txns, const Status& why) {
          for (const Txn& t : txns) aborted_.push_back(t.zxid);
          abort_reason_ = why;
        },
        [this](const Status& why) { fatal_ = why; });
  }

  // Runs the core loop until `done` holds (bounded by a generous deadline, never a sleep).
  template <typename Pred>
  void RunUntil(Pred done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done()) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "condition never held";
      io_.run_for(std::chrono::milliseconds(5));
      io_.restart();
    }
  }

  // What a crash right now would recover: the last entry of the durable log.
  int64_t ReopenedLastZxid() {
    env::FaultFileSystem copy;  // (the live fs is in use by the committer; read durable bytes)
    int64_t last = -1;
    auto names = fs_.ListDir("/log");
    EXPECT_TRUE(names.ok());
    EXPECT_TRUE(copy.CreateDir("/log").ok());
    for (const auto& name : names.value()) {
      auto content = fs_.DurableContent("/log/" + name);
      if (!content) continue;
      auto f = copy.CreateFile("/log/" + name);
      EXPECT_TRUE(f.ok());
      EXPECT_TRUE(f.value()->Append(*content).ok());
      EXPECT_TRUE(f.value()->Sync().ok());
    }
    auto log = storage::TxnLog::Open(&copy, "/log", options_);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    if (log.ok()) last = log.value()->last_zxid();
    return last;
  }

  uint64_t TotalBytes() {
    uint64_t total = 0;
    auto names = fs_.ListDir("/log");
    EXPECT_TRUE(names.ok());
    for (const auto& name : names.value()) total += fs_.FileSize("/log/" + name).value();
    return total;
  }

  env::FaultFileSystem fs_;
  storage::TxnLogOptions options_;
  asio::io_context io_;
  std::unique_ptr<DiskCommitter> committer_;
  std::vector<int64_t> committed_;
  std::vector<int64_t> aborted_;
  Status abort_reason_;
  Status fatal_;
};

TEST_F(DiskCommitterTest, CommitsInOrderOnlyWhenDurableWithGroupedFsyncs) {
  for (int64_t z = 1; z <= 200; ++z) committer_->Submit(Entry(z));
  EXPECT_TRUE(committed_.empty()) << "committed before the disk thread ran";
  RunUntil([&] { return committed_.size() == 200; });
  for (int64_t z = 1; z <= 200; ++z) EXPECT_EQ(committed_[z - 1], z);
  // Everything submitted while an fsync ran shares the next one.
  EXPECT_LT(committer_->fsync_count(), 200);
  EXPECT_GE(committer_->fsync_count(), 1);
  // Every committed entry survives a crash.
  committer_.reset();
  fs_.Crash(1, env::CrashMode::kDropUnsynced);
  auto log = storage::TxnLog::Open(&fs_, "/log", options_);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  EXPECT_EQ(log.value()->last_zxid(), 200);
}

TEST_F(DiskCommitterTest, FullDiskAbortsThenRecoversWhenSpaceReturns) {
  for (int64_t z = 1; z <= 10; ++z) committer_->Submit(Entry(z));
  RunUntil([&] { return committed_.size() == 10; });
  fs_.SetSpaceLimitBytes(1);  // no file may grow any more
  for (int64_t z = 11; z <= 200; ++z) committer_->Submit(Entry(z));
  RunUntil([&] { return committed_.size() + aborted_.size() == 200; });
  EXPECT_EQ(abort_reason_.code(), Status::Code::kResourceExhausted) << abort_reason_.ToString();
  EXPECT_TRUE(committer_->out_of_space());
  EXPECT_TRUE(fatal_.ok());
  // Aborted entries are the tail after the last commit, in order.
  ASSERT_FALSE(aborted_.empty());
  EXPECT_EQ(aborted_.front(), static_cast<int64_t>(committed_.size()) + 1);
  for (size_t i = 1; i < aborted_.size(); ++i) EXPECT_EQ(aborted_[i], aborted_[i - 1] + 1);
  // Refused entries are gone from the disk before anyone is told, even those a segment roll
  // had synced: a crash now recovers exactly the committed prefix.
  int64_t last_committed = static_cast<int64_t>(committed_.size());
  EXPECT_EQ(ReopenedLastZxid(), last_committed);
  // Space returns: the zxids after the last commit are reused, and they commit.
  fs_.SetSpaceLimitBytes(UINT64_MAX);
  int64_t next = last_committed + 1;
  for (int64_t z = next; z < next + 20; ++z) committer_->Submit(Entry(z));
  RunUntil([&] { return committed_.size() == static_cast<size_t>(next + 19); });
  EXPECT_FALSE(committer_->out_of_space());
  committer_.reset();
  fs_.Crash(2, env::CrashMode::kDropUnsynced);
  auto log = storage::TxnLog::Open(&fs_, "/log", options_);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  EXPECT_EQ(log.value()->last_zxid(), next + 19);
}

TEST_F(DiskCommitterTest, FailedFsyncIsFatalAndTheBatchIsNeverAnswered) {
  committer_->Submit(Entry(1));
  RunUntil([&] { return committed_.size() == 1; });
  fs_.FailSyncs(1);
  committer_->Submit(Entry(2));
  committer_->Submit(Entry(3));
  RunUntil([&] { return !fatal_.ok(); });
  EXPECT_EQ(committed_, std::vector<int64_t>{1});
  // Neither committed nor refused: their outcome is unknown, and the process stops.
  EXPECT_TRUE(aborted_.empty());
  // Nothing is written any more.
  committer_->Submit(Entry(4));
  RunUntil([&] { return aborted_.size() == 1; });
  EXPECT_EQ(committed_.size(), 1u);
}

}  // namespace
}  // namespace corral
