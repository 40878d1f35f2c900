#include "env/random.h"

#include <random>

namespace corral::env {
namespace {

class OsSeededRandom : public Random {
 public:
  OsSeededRandom() {
    std::random_device device;
    engine_.seed((static_cast<uint64_t>(device()) << 32) ^ device());
  }
  uint64_t Next() override { return engine_(); }

 private:
  std::mt19937_64 engine_;
};

}  // namespace

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string Random::Bytes(size_t n) {
  std::string out;
  out.reserve(n);
  while (out.size() < n) {
    uint64_t v = Next();
    for (int i = 0; i < 8 && out.size() < n; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
  }
  return out;
}

Random* SystemRandom() {
  static OsSeededRandom random;
  return &random;
}

}  // namespace corral::env
