#include "runtime/fsync_estimate.h"

#include <gtest/gtest.h>

namespace corral {
namespace {

constexpr int64_t kLimitUs = 250;

TEST(FsyncEstimateTest, WithNoSampleTheFirstPersistMayRunHere) {
  FsyncEstimate e;
  EXPECT_TRUE(e.AtMost(kLimitUs));
  EXPECT_EQ(e.samples(), 0);
}

TEST(FsyncEstimateTest, TheFirstSampleIsTheEstimate) {
  FsyncEstimate slow;
  slow.Observe(2000);  // a cloud volume's flush: no second fsync blocks the core thread
  EXPECT_EQ(slow.mean_us(), 2000);
  EXPECT_FALSE(slow.AtMost(kLimitUs));

  FsyncEstimate fast;
  fast.Observe(90);
  EXPECT_TRUE(fast.AtMost(kLimitUs));
}

TEST(FsyncEstimateTest, OneStallOnAFastDiskMovesWorkOffUntilARunOfFastFlushes) {
  FsyncEstimate e;
  for (int i = 0; i < 20; ++i) e.Observe(150);
  ASSERT_TRUE(e.AtMost(kLimitUs));
  e.Observe(5000);  // one 5 ms stall
  EXPECT_FALSE(e.AtMost(kLimitUs));
  int fast_flushes = 0;
  while (!e.AtMost(kLimitUs)) {
    e.Observe(150);
    ++fast_flushes;
    ASSERT_LT(fast_flushes, 100);
  }
  // (5000 - 150) / 8 lifts the mean to ~756; each fast flush takes an eighth of what is left.
  EXPECT_GE(fast_flushes, 10);
  EXPECT_LE(fast_flushes, 15);
}

TEST(FsyncEstimateTest, ASlowDiskStaysSlowThroughAnOccasionalFastFlush) {
  FsyncEstimate e;
  for (int i = 0; i < 20; ++i) e.Observe(1500);
  e.Observe(80);
  e.Observe(80);
  EXPECT_FALSE(e.AtMost(kLimitUs));
}

TEST(FsyncEstimateTest, NegativeDurationsCountAsZero) {
  FsyncEstimate e;
  e.Observe(-5);
  EXPECT_EQ(e.mean_us(), 0);
}

}  // namespace
}  // namespace corral
