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

}  // namespace corral::env
