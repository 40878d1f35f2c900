#include "runtime/window_quantiles.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace corral {
namespace {

using namespace std::chrono_literals;

TEST(WindowQuantilesTest, ExactBelowASecondPowersOfTwoAbove) {
  EXPECT_EQ(WindowQuantiles::BucketOf(-5), 0u);
  EXPECT_EQ(WindowQuantiles::BucketOf(0), 0u);
  EXPECT_EQ(WindowQuantiles::BucketOf(1023), 1023u);
  EXPECT_EQ(WindowQuantiles::ValueOf(WindowQuantiles::BucketOf(1023)), 1023);
  EXPECT_EQ(WindowQuantiles::ValueOf(WindowQuantiles::BucketOf(1024)), 1024);
  EXPECT_EQ(WindowQuantiles::ValueOf(WindowQuantiles::BucketOf(2047)), 1024);
  EXPECT_EQ(WindowQuantiles::ValueOf(WindowQuantiles::BucketOf(5000)), 4096);
  EXPECT_LT(WindowQuantiles::BucketOf(INT64_MAX), WindowQuantiles::kBuckets);
}

TEST(WindowQuantilesTest, QuantilesOfTheObservations) {
  WindowQuantiles w(10min, 5);
  EXPECT_EQ(w.Quantiles({0.5}), std::vector<double>{0});  // nothing observed
  for (int v = 1; v <= 100; ++v) w.Observe(v);
  EXPECT_EQ(w.Quantiles({0.5, 0.9, 0.99, 1.0}), (std::vector<double>{50, 90, 99, 100}));
  for (int i = 0; i < 900; ++i) w.Observe(0);  // most replies take under a millisecond
  EXPECT_EQ(w.Quantiles({0.5, 0.99}), (std::vector<double>{0, 90}));
}

TEST(WindowQuantilesTest, OldObservationsFallOutOfTheWindow) {
  // A window of 5 slots of 1 ms: after a few milliseconds the slot holding them is aged out or
  // recycled. Waiting is the point of this test (it is about time passing).
  WindowQuantiles w(5ms, 5);
  for (int i = 0; i < 10; ++i) w.Observe(700);
  EXPECT_EQ(w.Quantiles({0.5}), std::vector<double>{700});
  std::this_thread::sleep_for(20ms);
  w.Observe(3);
  EXPECT_EQ(w.Quantiles({0.5}), std::vector<double>{3});
}

}  // namespace
}  // namespace corral
