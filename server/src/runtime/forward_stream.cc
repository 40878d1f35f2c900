#include "runtime/forward_stream.h"

namespace corral {

ForwardStreamChecker::Verdict ForwardStreamChecker::Check(const consensus::Message& forward) {
  Stream& s = streams_[forward.from];
  if (forward.zxid != s.generation) {
    // A new generation must start at its first write; anything else means its start was lost.
    s = Stream{forward.zxid, 1, false};
  }
  if (s.broken) return Verdict::kRefuse;  // told the follower once already
  if (forward.request_id != s.next_sequence) {
    s.broken = true;
    return Verdict::kRefuseAndNotify;
  }
  s.next_sequence++;
  return Verdict::kAccept;
}

}  // namespace corral
