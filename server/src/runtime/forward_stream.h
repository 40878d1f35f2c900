#pragma once
// Forward streams: keeping a session's writes in order when a follower forwards them.
//
// A follower forwards its clients' writes to the leader over one peer link. TCP keeps them in
// order, but a link that breaks loses what was in flight while later writes (queued, or sent
// after the reconnect) still arrive: write 2 of a session could commit without write 1, which
// ZooKeeper's per-session order forbids (in ZooKeeper the follower would restart with the
// connection and drop everything after). So each forwarded write carries its position in the
// follower's stream (generation, sequence number from 1). The leader accepts a stream's writes
// only in order; at the first gap it refuses the rest of that generation and tells the
// follower (kForwardBroken), which closes the connections whose writes may be lost (their
// clients see a connection loss: outcome unknown) and starts a new generation.
#include <cstdint>
#include <map>

#include "consensus/message.h"

namespace corral {

// Follower side: numbers outgoing forwards.
class ForwardStreamWriter {
 public:
  explicit ForwardStreamWriter(int64_t first_generation) : generation_(first_generation) {}
  // Stamps `m` (a kForward) with the stream position of its write.
  void Stamp(consensus::Message* m) {
    m->zxid = generation_;
    m->request_id = ++last_sequence_;
  }
  // A new stream: after the leader refused this one, or after a change of leader.
  void Restart() {
    ++generation_;
    last_sequence_ = 0;
  }
  int64_t generation() const { return generation_; }

 private:
  int64_t generation_;
  int64_t last_sequence_ = 0;
};

// Leader side: checks the streams of every follower.
class ForwardStreamChecker {
 public:
  enum class Verdict { kAccept, kRefuse, kRefuseAndNotify };
  Verdict Check(const consensus::Message& forward);
  // A new leadership: every follower starts over.
  void Reset() { streams_.clear(); }

 private:
  struct Stream {
    int64_t generation = 0;
    int64_t next_sequence = 1;
    bool broken = false;
  };
  std::map<consensus::MemberId, Stream> streams_;
};

}  // namespace corral
