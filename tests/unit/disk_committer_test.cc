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
    options_.prealloc_bytes = 4096;
    options_.segment_bytes_max = 64 << 10;
    auto log = storage::TxnLog::Open(&fs_, "/log", options_);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    committer_ = std::make_unique<DiskCommitter>(
        io_, &fs_, std::move(log.value()), options_,
        [this](const Txn& t) { committed_.push_back(t.zxid); },
        [this](const std::vector<Txn>& txns, const Status& why) {
          for (const Txn& t : txns) aborted_.push_back(t.zxid);
          abort_reason_ = why;
        },
        [this](const Status& why) { fatal_ = why; }, /*reopen_interval_ms=*/5);
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
  fs_.SetSpaceLimitBytes(TotalBytes() + 8);  // no room to grow
  for (int64_t z = 11; z <= 200; ++z) committer_->Submit(Entry(z));
  RunUntil([&] { return !aborted_.empty() && !committer_->log_available(); });
  EXPECT_EQ(abort_reason_.code(), Status::Code::kResourceExhausted) << abort_reason_.ToString();
  EXPECT_TRUE(fatal_.ok());
  // Aborted entries are the tail after the last commit, in order.
  ASSERT_FALSE(aborted_.empty());
  EXPECT_EQ(aborted_.front(), static_cast<int64_t>(committed_.size()) + 1);
  for (size_t i = 1; i < aborted_.size(); ++i) EXPECT_EQ(aborted_[i], aborted_[i - 1] + 1);
  // While the disk is full every new write is refused, not queued.
  size_t aborted_before = aborted_.size();
  committer_->Submit(Entry(aborted_.back() + 1));
  RunUntil([&] { return aborted_.size() == aborted_before + 1; });
  // Space returns: the zxids after the last commit are reused, and they commit.
  fs_.SetSpaceLimitBytes(UINT64_MAX);
  RunUntil([&] { return committer_->log_available(); });
  int64_t next = static_cast<int64_t>(committed_.size()) + 1;
  for (int64_t z = next; z < next + 20; ++z) committer_->Submit(Entry(z));
  RunUntil([&] { return committed_.size() == static_cast<size_t>(next + 19); });
  committer_.reset();
  fs_.Crash(2, env::CrashMode::kDropUnsynced);
  auto log = storage::TxnLog::Open(&fs_, "/log", options_);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  EXPECT_EQ(log.value()->last_zxid(), next + 19);
}

TEST_F(DiskCommitterTest, FailedFsyncIsFatalAndNothingIsAcknowledged) {
  committer_->Submit(Entry(1));
  RunUntil([&] { return committed_.size() == 1; });
  fs_.FailSyncs(1);
  committer_->Submit(Entry(2));
  committer_->Submit(Entry(3));
  RunUntil([&] { return !fatal_.ok(); });
  EXPECT_EQ(committed_, std::vector<int64_t>{1});
  EXPECT_EQ(aborted_, (std::vector<int64_t>{2, 3}));
  // Nothing is written any more.
  committer_->Submit(Entry(4));
  RunUntil([&] { return aborted_.size() == 3; });
  EXPECT_EQ(committed_.size(), 1u);
}

}  // namespace
}  // namespace corral
