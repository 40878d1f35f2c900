// The CI seed sweep: a fixed set of randomized runs, 3 and 5 members, every invariant checked
// after every step and liveness at the end of each run. Sharded so `ctest -j` runs shards in
// parallel; CORRAL_SIM_SEEDS_PER_SHARD overrides the shard size (0 keeps the default).
// A failure names the seed and the command that replays it.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "sim/abort_reporter.h"
#include "sim/run_seed.h"

namespace corral::sim {
namespace {

constexpr int kShards = 8;
constexpr uint64_t kDefaultSeedsPerShard = 400;

uint64_t SeedsPerShard() {
  const char* env = std::getenv("CORRAL_SIM_SEEDS_PER_SHARD");
  const uint64_t n = env == nullptr ? 0 : std::strtoull(env, nullptr, 10);
  return n > 0 ? n : kDefaultSeedsPerShard;
}

class SimSweep : public ::testing::TestWithParam<int> {};

// Shards 0-3 run 3 members, 4-7 run 5; each shard its own seeds, fixed across CI runs.
TEST_P(SimSweep, SeedsHoldEveryInvariant) {
  InstallAbortReporter();
  const int shard = GetParam();
  const int members = shard < kShards / 2 ? 3 : 5;
  const uint64_t count = SeedsPerShard();
  const uint64_t first = 1 + static_cast<uint64_t>(shard) * count;
  size_t committed = 0;
  size_t acknowledged = 0;
  for (uint64_t seed = first; seed < first + count; ++seed) {
    RunResult r = RunSeed(seed, members);
    committed += r.committed_entries;
    acknowledged += r.acknowledged_writes;
    ASSERT_TRUE(r.ok) << r.failure << "\n  replay: " << ReplayCommand(seed, members);
  }
  // A sweep in which nothing commits would check nothing.
  EXPECT_GT(acknowledged, count);
  EXPECT_GT(committed, acknowledged);
}

INSTANTIATE_TEST_SUITE_P(Shards, SimSweep, ::testing::Range(0, kShards));

// The same seed twice gives the same run, step for step.
TEST(SimDeterminism, SameSeedSameTrace) {
  for (uint64_t seed : {7ULL, 8ULL, 1234567ULL}) {
    const int members = DefaultMembers(seed);
    RunResult a = RunSeed(seed, members);
    RunResult b = RunSeed(seed, members);
    EXPECT_EQ(a.trace_hash, b.trace_hash) << "seed " << seed;
    EXPECT_EQ(a.steps, b.steps) << "seed " << seed;
    EXPECT_EQ(a.ok, b.ok) << "seed " << seed;
  }
}

}  // namespace
}  // namespace corral::sim
