#pragma once
// PeerSendQueue: the frames waiting to go to one peer, bounded in bytes. When a new frame takes
// the queue over its bound, the OLDEST frames are dropped (and counted) until it fits again.
//
// Why the oldest: a newer message supersedes an older one of the same kind (a later heartbeat
// or append carries the later epoch and commit point), and the consensus core treats a lost
// message like any network loss: it retries. Dropping the newest instead would let a backlog
// built up while the peer was unreachable shut out every fresh message. The frame just pushed
// is never dropped, so one frame larger than the bound (a snapshot) is still sent, alone.
//
// Not thread-safe; owned by the core thread.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace corral {

class PeerSendQueue {
 public:
  explicit PeerSendQueue(size_t bytes_max) : bytes_max_(bytes_max) {}

  // Appends `frame`, then drops the oldest frames while the queue holds more than bytes_max
  // and more than this one frame. Returns how many were dropped.
  size_t Push(std::string frame);
  // Moves frames from the front into *batch (appended): at least one when the queue is not
  // empty, then more while the batch stays within frames_max and bytes_max.
  void TakeBatch(size_t frames_max, size_t bytes_max, std::vector<std::string>* batch);

  bool empty() const { return frames_.empty(); }
  size_t frames() const { return frames_.size(); }
  size_t bytes() const { return bytes_; }
  uint64_t dropped_frames() const { return dropped_frames_; }
  uint64_t dropped_bytes() const { return dropped_bytes_; }

 private:
  size_t bytes_max_;
  std::deque<std::string> frames_;
  size_t bytes_ = 0;
  uint64_t dropped_frames_ = 0;
  uint64_t dropped_bytes_ = 0;
};

}  // namespace corral
