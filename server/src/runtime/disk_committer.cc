#include "runtime/disk_committer.h"

#include "base/log.h"

namespace corral {

namespace asio = boost::asio;

DiskCommitter::DiskCommitter(asio::io_context& core, env::FileSystem* fs,
                             std::unique_ptr<storage::TxnLog> log,
                             storage::TxnLogOptions log_options, OnCommit on_commit,
                             OnAbort on_abort, std::function<void(const Status&)> on_fatal)
    : core_(core),
      fs_(fs),
      log_dir_(log->dir()),
      log_options_(std::move(log_options)),
      on_commit_(std::move(on_commit)),
      on_abort_(std::move(on_abort)),
      on_fatal_(std::move(on_fatal)),
      log_(std::move(log)),
      disk_work_(asio::make_work_guard(disk_io_)) {
  disk_thread_ = std::thread([this] { disk_io_.run(); });
}

DiskCommitter::~DiskCommitter() {
  disk_work_.reset();  // the disk thread finishes what was posted, then returns
  disk_thread_.join();
}

void DiskCommitter::Submit(Txn txn) {
  if (failed_) {
    to_abort_.push_back(std::move(txn));
    if (!abort_posted_) {
      abort_posted_ = true;
      asio::post(core_, [this] { DeliverAborts(); });
    }
    return;
  }
  waiting_.push_back(std::move(txn));
  if (!in_flight_) StartBatch();
}

void DiskCommitter::DeliverAborts() {
  abort_posted_ = false;
  if (to_abort_.empty()) return;
  std::vector<Txn> aborted = std::move(to_abort_);
  to_abort_.clear();
  on_abort_(aborted, failure_);
}

void DiskCommitter::StartBatch() {
  in_flight_ = true;
  std::vector<Txn> batch = std::move(waiting_);
  waiting_.clear();
  asio::post(disk_io_,
             [this, batch = std::move(batch)]() mutable { WriteBatch(std::move(batch)); });
}

void DiskCommitter::WriteBatch(std::vector<Txn> batch) {
  Status status =
      log_ != nullptr ? Status::Ok() : Status::IoError("the log was closed by a failed cut-back");
  int64_t committed_before = log_ != nullptr ? log_->last_synced_zxid() : 0;
  for (size_t i = 0; status.ok() && i < batch.size(); ++i) status = log_->Append(batch[i]);
  if (status.ok()) status = TimedFsync(fsync_observer_, [&] { return log_->Sync(); });
  if (status.code() == Status::Code::kResourceExhausted) {
    Status cut = CutBackTo(committed_before);
    if (!cut.ok()) {
      status = Status(Status::Code::kIoError,
                      "out of space (" + status.message() +
                          "), and cutting the log back failed: " + cut.message());
    }
  }
  asio::post(core_, [this, batch = std::move(batch), status = std::move(status)]() mutable {
    FinishBatch(std::move(batch), std::move(status));
  });
}

Status DiskCommitter::CutBackTo(int64_t zxid) {
  // The failed log is poisoned. A fresh Open repairs what the failure left (a torn record, a
  // segment without its header); the cut drops entries of the refused batch that a segment
  // roll had already synced. SkipTo covers a log that starts after a snapshot and has no entry
  // yet. Everything is synced before the clients hear "failed".
  log_.reset();
  auto opened = storage::TxnLog::Open(fs_, log_dir_, log_options_);
  if (!opened.ok()) return opened.status();
  log_ = std::move(opened.value());
  Status status;
  if (log_->last_zxid() > zxid) {
    status = log_->TruncateAfter(zxid);
  } else if (log_->last_zxid() < zxid) {
    status = log_->SkipTo(zxid);
  }
  if (!status.ok()) log_.reset();
  return status;
}

void DiskCommitter::FinishBatch(std::vector<Txn> batch, Status status) {
  in_flight_ = false;
  if (status.ok()) {
    fsync_count_++;
    if (out_of_space_) {
      out_of_space_ = false;
      CORRAL_LOG(kInfo) << "the transaction log is writable again";
    }
    for (const Txn& txn : batch) {
      committed_count_++;
      on_commit_(txn);
    }
    if (!waiting_.empty()) StartBatch();
    return;
  }
  if (status.code() == Status::Code::kResourceExhausted) {
    if (!out_of_space_) {
      CORRAL_LOG(kError) << "the transaction log is out of space: " << status.message()
                         << "; writes fail until space returns";
    }
    out_of_space_ = true;
    // Nothing of this batch, nor anything submitted since, will be acknowledged; the log is
    // back at the last committed entry, so their zxids are free.
    std::vector<Txn> aborted = std::move(batch);
    for (Txn& txn : waiting_) aborted.push_back(std::move(txn));
    waiting_.clear();
    on_abort_(aborted, status);
    return;
  }
  failed_ = true;
  failure_ = status;
  CORRAL_LOG(kError) << "the transaction log failed: " << status.ToString()
                     << "; no further write can be made durable (fail-stop)";
  on_fatal_(status);
}

void DiskCommitter::RunOnLog(std::function<Status(storage::TxnLog*)> fn,
                             std::function<void(Status)> done) {
  asio::post(disk_io_, [this, fn = std::move(fn), done = std::move(done)]() mutable {
    Status status = log_ != nullptr ? fn(log_.get())
                                    : Status::IoError("the log was closed by a failed cut-back");
    asio::post(core_, [done = std::move(done), status = std::move(status)] { done(status); });
  });
}

}  // namespace corral
