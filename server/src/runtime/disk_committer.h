#pragma once
// Boost 1.74 asio uses std::exchange without including <utility>; it must come first.
#include <utility>

// DiskCommitter: the standalone member's Committer. An entry is committed once the transaction
// log has it on disk. A disk thread owns the log: it appends every entry submitted while the
// previous fsync ran and covers them all with one fsync (group commit); then the core thread
// learns of them in log order and only then applies them and replies. Persist before
// acknowledging lives here and nowhere else.
//
// Failures:
//   - Out of space (Status::ResourceExhausted): before anyone hears of it, the disk thread
//     reopens the log and cuts it back to the last entry committed before the batch (a segment
//     roll may already have synced part of the batch), so no refused entry can reappear after a
//     crash. Only then are the batch and every entry submitted since aborted (clients get an
//     error, nothing is applied, their zxids are handed out again). The next batch tries again:
//     writes succeed as soon as space returns, without a restart.
//   - Anything else (a failed fsync, EIO, a cut-back that fails): on_fatal runs and the server
//     stops the process (fail-stop) without answering the batch: its clients see the connection
//     drop, an honest "unknown". After a failed fsync the kernel may have dropped the very pages
//     it failed to write, so nothing this process believes about the file can be trusted;
//     recovery at the next start reads back only what checks out.
//
// Thread-safety: Submit, RunOnLog and the destructor are called on the core thread (the thread
// running `core`); callbacks run there too.
#include <boost/asio.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "env/file_system.h"
#include "node/committer.h"
#include "runtime/fsync_timer.h"
#include "storage/txn_log.h"

namespace corral {

class DiskCommitter : public Committer {
 public:
  DiskCommitter(boost::asio::io_context& core, env::FileSystem* fs,
                std::unique_ptr<storage::TxnLog> log, storage::TxnLogOptions log_options,
                OnCommit on_commit, OnAbort on_abort, std::function<void(const Status&)> on_fatal);
  ~DiskCommitter() override;  // waits for the batch in flight; aborts nothing

  void Submit(Txn txn) override;

  // Runs fn with the log on the disk thread, between batches (autopurge), then done(status) on
  // the core thread.
  void RunOnLog(std::function<Status(storage::TxnLog*)> fn, std::function<void(Status)> done);

  // Fsyncs done and entries they covered, since start (for 4lw/metrics and tests).
  int64_t fsync_count() const { return fsync_count_; }
  // Times every log fsync (on the disk thread). Before the first Submit.
  void set_fsync_observer(FsyncObserver observer) { fsync_observer_ = std::move(observer); }
  int64_t committed_count() const { return committed_count_; }
  // True from an out-of-space abort until a batch commits again.
  bool out_of_space() const { return out_of_space_; }

 private:
  FsyncObserver fsync_observer_;            // used on the disk thread
  void StartBatch();                        // core thread
  void WriteBatch(std::vector<Txn> batch);  // disk thread
  // Reopens the log and cuts it back to `zxid` (the last entry committed before the batch).
  Status CutBackTo(int64_t zxid);                           // disk thread
  void FinishBatch(std::vector<Txn> batch, Status status);  // core thread
  void DeliverAborts();                                     // core thread

  boost::asio::io_context& core_;
  env::FileSystem* fs_;
  std::string log_dir_;
  storage::TxnLogOptions log_options_;
  OnCommit on_commit_;
  OnAbort on_abort_;
  std::function<void(const Status&)> on_fatal_;

  // Owned by the disk thread once it runs (the core thread never touches it).
  std::unique_ptr<storage::TxnLog> log_;

  // Core-thread state.
  std::vector<Txn> waiting_;  // submitted, not yet handed to the disk thread
  bool in_flight_ = false;    // a batch is on the disk thread
  bool failed_ = false;       // a fatal failure happened: nothing is written any more
  bool out_of_space_ = false;
  // Submitted after a fatal failure: aborted from a posted handler (Submit runs inside the node).
  std::vector<Txn> to_abort_;
  bool abort_posted_ = false;
  Status failure_;
  int64_t fsync_count_ = 0;
  int64_t committed_count_ = 0;

  boost::asio::io_context disk_io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> disk_work_;
  std::thread disk_thread_;
};

}  // namespace corral
