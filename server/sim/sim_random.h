#pragma once
// SimRandom: the simulator's only source of randomness. Every choice a run makes (faults, delays,
// workload, the cores' election timeouts) comes from a SimRandom derived from the run's seed, so
// one uint64 reproduces one run bit for bit. xoshiro256** seeded through splitmix64: fast, good
// enough statistically, and defined by a few lines of arithmetic (no library version can change
// the sequence under us, as std::uniform_int_distribution may between standard libraries).
#include <cstddef>
#include <cstdint>

#include "env/random.h"

namespace corral::sim {

using env::SplitMix64;  // also a good 64-bit mixer for deriving independent seeds

class SimRandom : public env::Random {
 public:
  explicit SimRandom(uint64_t seed);

  uint64_t Next() override;
  // Uniform in [0, n); n must be > 0.
  uint64_t Uniform(uint64_t n);
  // Uniform in [lo, hi].
  int64_t Range(int64_t lo, int64_t hi);
  // True with probability parts_per_million / 1e6.
  bool Ppm(uint64_t parts_per_million);
  bool OneIn(uint64_t n) { return n <= 1 || Uniform(n) == 0; }
  // A new generator whose stream does not overlap this one's in practice; drawing it advances
  // this one by one step.
  SimRandom Fork() { return SimRandom(Next()); }

 private:
  uint64_t s_[4];
};

}  // namespace corral::sim
