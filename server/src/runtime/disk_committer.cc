#include "runtime/disk_committer.h"

#include "base/log.h"

namespace corral {

namespace asio = boost::asio;

DiskCommitter::DiskCommitter(asio::io_context& core, env::FileSystem* fs,
                             std::unique_ptr<storage::TxnLog> log,
                             storage::TxnLogOptions log_options, OnCommit on_commit,
                             OnAbort on_abort, std::function<void(const Status&)> on_fatal,
                             int64_t reopen_interval_ms)
    : core_(core),
      fs_(fs),
      log_dir_(log->dir()),
      log_options_(std::move(log_options)),
      on_commit_(std::move(on_commit)),
      on_abort_(std::move(on_abort)),
      on_fatal_(std::move(on_fatal)),
      reopen_interval_ms_(reopen_interval_ms),
      log_(std::move(log)),
      last_committed_zxid_(log_->last_zxid()),
      reopen_timer_(core),
      disk_work_(asio::make_work_guard(disk_io_)) {
  disk_thread_ = std::thread([this] { disk_io_.run(); });
}

DiskCommitter::~DiskCommitter() {
  reopen_timer_.cancel();
  disk_work_.reset();  // the disk thread finishes what was posted, then returns
  disk_thread_.join();
}

void DiskCommitter::Submit(Txn txn) {
  if (failed_ || !log_available_) {
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
  on_abort_(aborted, unavailable_reason_);
}

void DiskCommitter::StartBatch() {
  in_flight_ = true;
  std::vector<Txn> batch = std::move(waiting_);
  waiting_.clear();
  asio::post(disk_io_,
             [this, batch = std::move(batch)]() mutable { WriteBatch(std::move(batch)); });
}

void DiskCommitter::WriteBatch(std::vector<Txn> batch) {
  Status status;
  for (const Txn& txn : batch) {
    status = log_->Append(txn);
    if (!status.ok()) break;
  }
  if (status.ok()) status = log_->Sync();
  asio::post(core_, [this, batch = std::move(batch), status = std::move(status)]() mutable {
    FinishBatch(std::move(batch), std::move(status));
  });
}

void DiskCommitter::FinishBatch(std::vector<Txn> batch, Status status) {
  in_flight_ = false;
  if (status.ok()) {
    fsync_count_++;
    for (const Txn& txn : batch) {
      last_committed_zxid_ = txn.zxid;
      committed_count_++;
      on_commit_(txn);
    }
    if (!waiting_.empty()) StartBatch();
    return;
  }
  // Nothing of this batch, nor anything submitted since, will be acknowledged.
  std::vector<Txn> aborted = std::move(batch);
  for (Txn& txn : waiting_) aborted.push_back(std::move(txn));
  waiting_.clear();
  for (Txn& txn : to_abort_) aborted.push_back(std::move(txn));
  to_abort_.clear();
  unavailable_reason_ = status;
  if (status.code() == Status::Code::kResourceExhausted) {
    log_available_ = false;
    CORRAL_LOG(kError) << "the transaction log is out of space: " << status.message()
                       << "; writes fail until space returns (retrying every "
                       << reopen_interval_ms_ << " ms)";
    on_abort_(aborted, status);
    ScheduleReopen();
    return;
  }
  failed_ = true;
  CORRAL_LOG(kError) << "the transaction log failed: " << status.ToString()
                     << "; no further write can be made durable (fail-stop)";
  on_abort_(aborted, status);
  on_fatal_(status);
}

void DiskCommitter::ScheduleReopen() {
  reopen_timer_.expires_after(std::chrono::milliseconds(reopen_interval_ms_));
  reopen_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || failed_) return;
    in_flight_ = true;
    int64_t last = last_committed_zxid_;
    asio::post(disk_io_, [this, last] { Reopen(last); });
  });
}

void DiskCommitter::Reopen(int64_t last_committed_zxid) {
  // The failed log is poisoned; a fresh Open repairs what the failure left (a torn record, a
  // segment without its header) and the truncation drops entries that reached the disk but
  // were aborted, so the log holds exactly what was committed.
  log_.reset();
  auto opened = storage::TxnLog::Open(fs_, log_dir_, log_options_);
  Status status = opened.status();
  if (status.ok()) {
    log_ = std::move(opened.value());
    if (log_->last_zxid() > last_committed_zxid) {
      status = log_->TruncateAfter(last_committed_zxid);
    } else if (log_->last_zxid() < last_committed_zxid) {
      status = Status::Corruption(
          "the reopened log ends at zxid " + std::to_string(log_->last_zxid()) +
          ", before the last committed one " + std::to_string(last_committed_zxid));
    }
    if (!status.ok()) log_.reset();
  }
  asio::post(core_, [this, status = std::move(status)]() mutable { FinishReopen(status); });
}

void DiskCommitter::FinishReopen(Status status) {
  in_flight_ = false;
  if (status.ok()) {
    DeliverAborts();  // every abort before the log counts as available again
    log_available_ = true;
    CORRAL_LOG(kInfo) << "the transaction log is open again; accepting writes";
    if (!waiting_.empty()) StartBatch();
    return;
  }
  if (status.code() == Status::Code::kResourceExhausted ||
      status.code() == Status::Code::kIoError) {
    CORRAL_LOG(kDebug) << "reopening the transaction log failed: " << status.ToString();
    ScheduleReopen();
    return;
  }
  failed_ = true;
  CORRAL_LOG(kError) << "cannot reopen the transaction log: " << status.ToString()
                     << " (fail-stop)";
  on_fatal_(status);
}

void DiskCommitter::RunOnLog(std::function<Status(storage::TxnLog*)> fn,
                             std::function<void(Status)> done) {
  asio::post(disk_io_, [this, fn = std::move(fn), done = std::move(done)]() mutable {
    Status status =
        log_ != nullptr ? fn(log_.get()) : Status::IoError("the transaction log is being reopened");
    asio::post(core_, [done = std::move(done), status = std::move(status)] { done(status); });
  });
}

}  // namespace corral
