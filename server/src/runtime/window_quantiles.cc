#include "runtime/window_quantiles.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace corral {

WindowQuantiles::WindowQuantiles(std::chrono::milliseconds window, int slots)
    : slot_ms_(std::max<int64_t>(1, window.count() / std::max(slots, 1))),
      slots_(static_cast<size_t>(std::max(slots, 1))) {}

size_t WindowQuantiles::BucketOf(int64_t value_ms) {
  if (value_ms < 0) value_ms = 0;
  uint64_t v = static_cast<uint64_t>(value_ms);
  if (v < kExactBuckets) return static_cast<size_t>(v);
  // 1024..2047 -> kExactBuckets, 2048..4095 -> kExactBuckets + 1, ...
  return kExactBuckets + static_cast<size_t>(std::bit_width(v)) - 11;
}

int64_t WindowQuantiles::ValueOf(size_t bucket) {
  if (bucket < kExactBuckets) return static_cast<int64_t>(bucket);
  return int64_t{1} << (bucket - kExactBuckets + 10);
}

int64_t WindowQuantiles::EpochNow() const {
  auto now = std::chrono::steady_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::milliseconds>(now).count() / slot_ms_;
}

WindowQuantiles::Slot& WindowQuantiles::Current() {
  int64_t epoch = EpochNow();
  Slot& slot = slots_[static_cast<size_t>(epoch) % slots_.size()];
  if (slot.epoch.load(std::memory_order_acquire) != epoch) {
    std::lock_guard<std::mutex> lock(recycle_mu_);
    if (slot.epoch.load(std::memory_order_relaxed) != epoch) {
      for (auto& c : slot.counts) c.store(0, std::memory_order_relaxed);
      slot.epoch.store(epoch, std::memory_order_release);
    }
  }
  return slot;
}

void WindowQuantiles::Observe(int64_t value_ms) {
  Current().counts[BucketOf(value_ms)].fetch_add(1, std::memory_order_relaxed);
}

std::vector<double> WindowQuantiles::Quantiles(const std::vector<double>& quantiles) const {
  int64_t now = EpochNow();
  std::vector<uint64_t> merged(kBuckets, 0);
  uint64_t total = 0;
  for (const Slot& slot : slots_) {
    int64_t epoch = slot.epoch.load(std::memory_order_acquire);
    if (epoch < 0 || now - epoch >= static_cast<int64_t>(slots_.size())) continue;  // aged out
    for (size_t b = 0; b < kBuckets; ++b) {
      uint64_t n = slot.counts[b].load(std::memory_order_relaxed);
      merged[b] += n;
      total += n;
    }
  }
  std::vector<double> out;
  for (double q : quantiles) {
    if (total == 0) {
      out.push_back(0);
      continue;
    }
    // The smallest value with at least q of the observations at or below it.
    uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(total)));
    rank = std::clamp<uint64_t>(rank, 1, total);
    uint64_t seen = 0;
    size_t b = 0;
    for (; b < kBuckets; ++b) {
      seen += merged[b];
      if (seen >= rank) break;
    }
    out.push_back(static_cast<double>(ValueOf(std::min(b, kBuckets - 1))));
  }
  return out;
}

}  // namespace corral
