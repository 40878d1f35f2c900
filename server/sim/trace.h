#pragma once
// Trace: what happened in a run, as a hash (always) and as text (with --verbose). Two runs of
// one seed must end with the same trace hash; a differing hash means something nondeterministic
// crept in (unordered iteration, an uninitialized field, real time) and replays cannot be trusted.
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "consensus/message.h"
#include "sim/hasher.h"

namespace corral::sim {

class Trace {
 public:
  // `out` receives one line per event when non-null.
  explicit Trace(std::FILE* out) : out_(out) {}

  bool verbose() const { return out_ != nullptr; }
  // An event with a few numbers; `text` (verbose only) is not hashed — the numbers are.
  void Event(int64_t tick, std::string_view kind, consensus::MemberId member, int64_t a = 0,
             int64_t b = 0, int64_t c = 0);
  void Message(int64_t tick, std::string_view kind, const consensus::Message& m);
  // Free text for --verbose, hashed too.
  void Note(int64_t tick, const std::string& text);
  uint64_t hash() const { return hash_.value(); }

 private:
  std::FILE* out_;
  Hasher hash_;
};

std::string DescribeMessage(const consensus::Message& m);

}  // namespace corral::sim
