#include "sim/sim_random.h"

#include "base/assert.h"

namespace corral::sim {
namespace {

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace


SimRandom::SimRandom(uint64_t seed) {
  // splitmix64 never yields four zero words, which is the one state xoshiro must avoid.
  for (uint64_t& word : s_) word = SplitMix64(&seed);
}

uint64_t SimRandom::Next() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

uint64_t SimRandom::Uniform(uint64_t n) {
  CORRAL_ASSERT(n > 0, "Uniform(0) has no value to return");
  // Multiply-shift (Lemire): no division, and the bias for n far below 2^64 is negligible.
  return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
}

int64_t SimRandom::Range(int64_t lo, int64_t hi) {
  CORRAL_ASSERT(lo <= hi, "empty range");
  return lo + static_cast<int64_t>(Uniform(static_cast<uint64_t>(hi - lo) + 1));
}

bool SimRandom::Ppm(uint64_t parts_per_million) {
  return parts_per_million > 0 && Uniform(1000000) < parts_per_million;
}

}  // namespace corral::sim
