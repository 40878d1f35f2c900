#pragma once
// FsyncEstimate: how long persisting a small batch has taken on this member's disk lately. The
// replicated committer fsyncs on its core thread only while this is short (PersistHere): there
// an fsync saves two thread hand-offs on a write's path, but for as long as it lasts the core
// thread serves no request at all.
//
// A mean weighted 1/8 per sample: one flush of a cloud disk (1-2 ms) lifts it past a limit of a
// few hundred microseconds at once, and after a stall on a fast disk it takes a run of fast
// flushes to come back down.
//
//   FsyncEstimate e;
//   e.Observe(180);                 // microseconds a Persist took
//   if (e.AtMost(250)) ...          // fast enough to block the core thread for
#include <cstdint>

namespace corral {

class FsyncEstimate {
 public:
  void Observe(int64_t elapsed_us) {
    if (elapsed_us < 0) elapsed_us = 0;
    mean_us_ = samples_ == 0 ? elapsed_us : mean_us_ + (elapsed_us - mean_us_) / kWeightInverse;
    ++samples_;
  }
  // With no sample yet: true (the first persist measures the disk).
  bool AtMost(int64_t limit_us) const { return mean_us_ <= limit_us; }
  int64_t mean_us() const { return mean_us_; }
  int64_t samples() const { return samples_; }

 private:
  static constexpr int64_t kWeightInverse = 8;
  int64_t mean_us_ = 0;
  int64_t samples_ = 0;
};

}  // namespace corral
