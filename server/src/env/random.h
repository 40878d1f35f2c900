#pragma once
// Random: the source of session passwords and ids, behind an interface so runs can be seeded.
#include <cstdint>
#include <string>

namespace corral::env {

class Random {
 public:
  virtual ~Random() = default;
  virtual uint64_t Next() = 0;
  std::string Bytes(size_t n);
};

// Seeded from the OS (std::random_device); not thread-safe, owned by the core thread.
Random* SystemRandom();

// One step of splitmix64: advances *state and returns a well-mixed 64-bit value. Defined by a
// few lines of arithmetic, so a seed gives the same sequence on every machine and library.
uint64_t SplitMix64(uint64_t* state);

// A generator that replays: the same seed gives the same sequence everywhere (splitmix64). For
// fault injection, seeded sweeps and tests.
class SeededRandom : public Random {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}
  uint64_t Next() override { return SplitMix64(&state_); }
  // Uniform enough in [0, n); n > 0.
  uint64_t Below(uint64_t n) { return Next() % n; }
  bool Chance(int percent) { return Below(100) < static_cast<uint64_t>(percent); }

 private:
  uint64_t state_;
};

}  // namespace corral::env
