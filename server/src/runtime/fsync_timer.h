#pragma once
// Times one fsync for the fsynctime metric (ZooKeeper's FileTxnLog measures the same call).
#include <chrono>
#include <cstdint>
#include <functional>

#include "base/status.h"

namespace corral {

// Called on the thread that fsynced, with the fsync's duration; empty: not timed.
using FsyncObserver = std::function<void(int64_t elapsed_ms)>;

template <typename SyncFn>
Status TimedFsync(const FsyncObserver& observer, SyncFn sync) {
  auto start = std::chrono::steady_clock::now();
  Status status = sync();
  if (observer && status.ok()) {
    observer(std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now() - start)
                 .count());
  }
  return status;
}

}  // namespace corral
