#pragma once
// Quantiles of integer millisecond observations over a sliding window, cheap to record: one
// relaxed atomic increment per observation into a histogram (exact below 1024 ms, one bucket
// per power of two above), kept per age slot so old observations fall out, as the Prometheus
// Java client's summaries do (ZooKeeper's provider: 10 minutes in 5 slots).
//
// Why not prometheus-cpp's Summary: its Observe inserts into a CKMS estimator per age slot
// under a lock, about 90 µs of the core thread per request in corral-bench-lean's read workload
// (readlatency is observed for every reply), which cut read throughput to a tenth.
//
// Thread-safety: Observe from any thread; Quantiles from any thread (a slot being recycled
// while it is read may give a slightly stale answer, never a crash).
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <vector>

namespace corral {

class WindowQuantiles {
 public:
  WindowQuantiles(std::chrono::milliseconds window, int slots);

  void Observe(int64_t value_ms);
  // The value at each quantile (0..1) of the observations in the window; 0 when there are none.
  std::vector<double> Quantiles(const std::vector<double>& quantiles) const;

  // Histogram bucket of a value, and the value a bucket stands for (its lower bound).
  static size_t BucketOf(int64_t value_ms);
  static int64_t ValueOf(size_t bucket);
  static constexpr size_t kExactBuckets = 1024;
  static constexpr size_t kBuckets = kExactBuckets + 54;  // 2^10 .. 2^63

 private:
  struct Slot {
    std::atomic<int64_t> epoch{-1};  // which window slot of time it counts
    std::array<std::atomic<uint64_t>, kBuckets> counts{};
  };
  int64_t EpochNow() const;
  Slot& Current();

  const int64_t slot_ms_;
  std::vector<Slot> slots_;
  std::mutex recycle_mu_;  // only to recycle a slot (once per slot_ms_), never per observation
};

}  // namespace corral
