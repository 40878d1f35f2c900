#pragma once
// Hasher: a small streaming 64-bit hash for the simulator's comparisons (state digests, entry
// identity, the per-run trace hash). Not cryptographic and not stored anywhere: it only has to
// be deterministic and to make accidental collisions between different states unlikely.
#include <cstdint>
#include <cstring>
#include <string_view>

namespace corral::sim {

class Hasher {
 public:
  Hasher& Add(uint64_t v) {
    h_ = (h_ ^ Mix(v + 0x9e3779b97f4a7c15ULL)) * 0x100000001b3ULL;
    h_ = (h_ << 29) | (h_ >> 35);
    return *this;
  }
  Hasher& AddSigned(int64_t v) { return Add(static_cast<uint64_t>(v)); }
  Hasher& Add(std::string_view s) {
    Add(s.size());  // length first, so ("ab","c") and ("a","bc") differ
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      uint64_t word;
      std::memcpy(&word, s.data() + i, 8);
      Add(word);
    }
    uint64_t tail = 0;
    for (size_t k = 0; i < s.size(); ++i, ++k) {
      tail |= static_cast<uint64_t>(static_cast<unsigned char>(s[i])) << (8 * k);
    }
    return Add(tail);
  }
  uint64_t value() const { return Mix(h_); }

 private:
  static uint64_t Mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

}  // namespace corral::sim
