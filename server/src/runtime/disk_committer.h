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
//   - Out of space (Status::ResourceExhausted from a write or a preallocation): the entries in
//     flight and every one submitted until the log is back are aborted (clients get an error,
//     nothing is applied). The committer reopens the log every `reopen_interval_ms` (which cuts
//     whatever partial batch reached the disk) and writes resume once that succeeds and a write
//     goes through: the member recovers when space returns, without a restart.
//   - Anything else (a failed fsync, EIO): on_fatal runs, and the server stops the process
//     (fail-stop). After a failed fsync the kernel may have dropped the very pages it failed to
//     write, so nothing this process believes about the file can be trusted; recovery at the
//     next start reads back only what checks out. No entry of the failed batch was
//     acknowledged, and no later write is accepted.
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
#include "storage/txn_log.h"

namespace corral {

class DiskCommitter : public Committer {
 public:
  DiskCommitter(boost::asio::io_context& core, env::FileSystem* fs,
                std::unique_ptr<storage::TxnLog> log, storage::TxnLogOptions log_options,
                OnCommit on_commit, OnAbort on_abort, std::function<void(const Status&)> on_fatal,
                int64_t reopen_interval_ms = 1000);
  ~DiskCommitter() override;  // waits for the batch in flight; aborts nothing

  void Submit(Txn txn) override;

  // Runs fn with the log on the disk thread, between batches (autopurge), then done(status) on
  // the core thread. Skipped with an error while the log is being reopened.
  void RunOnLog(std::function<Status(storage::TxnLog*)> fn, std::function<void(Status)> done);

  // Fsyncs done and entries they covered, since start (for 4lw/metrics and tests).
  int64_t fsync_count() const { return fsync_count_; }
  int64_t committed_count() const { return committed_count_; }
  bool log_available() const { return log_available_; }

 private:
  void StartBatch();                                        // core thread
  void WriteBatch(std::vector<Txn> batch);                  // disk thread
  void FinishBatch(std::vector<Txn> batch, Status status);  // core thread
  void DeliverAborts();                                     // core thread
  void ScheduleReopen();                                    // core thread
  void Reopen(int64_t last_committed_zxid);                 // disk thread
  void FinishReopen(Status status);                         // core thread

  boost::asio::io_context& core_;
  env::FileSystem* fs_;
  std::string log_dir_;
  storage::TxnLogOptions log_options_;
  OnCommit on_commit_;
  OnAbort on_abort_;
  std::function<void(const Status&)> on_fatal_;
  int64_t reopen_interval_ms_;

  // Owned by the disk thread once it runs (the core thread never touches it).
  std::unique_ptr<storage::TxnLog> log_;

  // Core-thread state.
  std::vector<Txn> waiting_;   // submitted, not yet handed to the disk thread
  bool in_flight_ = false;     // a batch or a reopen is on the disk thread
  bool log_available_ = true;  // false from an out-of-space failure until a reopen succeeds
  bool failed_ = false;        // a fatal failure happened: nothing is written any more
  // Submitted while the log was unavailable: aborted from a posted handler, because Submit runs
  // inside the node. Delivered before the log is declared available again, so every abort
  // covers all entries unresolved at that moment (the node then reuses their zxids).
  std::vector<Txn> to_abort_;
  bool abort_posted_ = false;
  Status unavailable_reason_;
  int64_t last_committed_zxid_ = 0;
  int64_t fsync_count_ = 0;
  int64_t committed_count_ = 0;
  boost::asio::steady_timer reopen_timer_;

  boost::asio::io_context disk_io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> disk_work_;
  std::thread disk_thread_;
};

}  // namespace corral
