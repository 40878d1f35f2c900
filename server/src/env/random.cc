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
