#include "runtime/peer_send_queue.h"

#include <utility>

namespace corral {

size_t PeerSendQueue::Push(std::string frame) {
  bytes_ += frame.size();
  frames_.push_back(std::move(frame));
  size_t dropped = 0;
  while (bytes_ > bytes_max_ && frames_.size() > 1) {
    bytes_ -= frames_.front().size();
    dropped_bytes_ += frames_.front().size();
    frames_.pop_front();
    ++dropped;
  }
  dropped_frames_ += dropped;
  return dropped;
}

void PeerSendQueue::TakeBatch(size_t frames_max, size_t bytes_max,
                              std::vector<std::string>* batch) {
  size_t taken_bytes = 0;
  size_t taken = 0;
  while (!frames_.empty()) {
    size_t next = frames_.front().size();
    if (taken > 0 && (taken >= frames_max || taken_bytes + next > bytes_max)) break;
    taken_bytes += next;
    ++taken;
    bytes_ -= next;
    batch->push_back(std::move(frames_.front()));
    frames_.pop_front();
  }
}

}  // namespace corral
