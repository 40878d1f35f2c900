// PeerSendQueue: the byte bound, dropping the oldest, and batching.
#include "runtime/peer_send_queue.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace corral {
namespace {

TEST(PeerSendQueue, KeepsOrderWithinTheBound) {
  PeerSendQueue queue(100);
  EXPECT_EQ(queue.Push("aaa"), 0u);
  EXPECT_EQ(queue.Push("bb"), 0u);
  EXPECT_EQ(queue.bytes(), 5u);
  std::vector<std::string> batch;
  queue.TakeBatch(10, 100, &batch);
  EXPECT_EQ(batch, (std::vector<std::string>{"aaa", "bb"}));
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.bytes(), 0u);
}

TEST(PeerSendQueue, DropsTheOldestWhenOverTheBound) {
  PeerSendQueue queue(10);
  queue.Push("1111");
  queue.Push("2222");
  EXPECT_EQ(queue.Push("3333"), 1u);  // 12 bytes > 10: the first goes
  EXPECT_EQ(queue.dropped_frames(), 1u);
  EXPECT_EQ(queue.dropped_bytes(), 4u);
  EXPECT_EQ(queue.bytes(), 8u);
  std::vector<std::string> batch;
  queue.TakeBatch(10, 100, &batch);
  EXPECT_EQ(batch, (std::vector<std::string>{"2222", "3333"}));
}

TEST(PeerSendQueue, AFrameLargerThanTheBoundIsKeptAlone) {
  PeerSendQueue queue(10);
  queue.Push("a");
  queue.Push("b");
  EXPECT_EQ(queue.Push(std::string(50, 's')), 2u);  // a snapshot: everything older goes
  EXPECT_EQ(queue.frames(), 1u);
  EXPECT_EQ(queue.bytes(), 50u);
  // The next frame pushes the oversized one out: it is the oldest.
  EXPECT_EQ(queue.Push("c"), 1u);
  std::vector<std::string> batch;
  queue.TakeBatch(10, 100, &batch);
  EXPECT_EQ(batch, (std::vector<std::string>{"c"}));
}

TEST(PeerSendQueue, BatchesAreBoundedByCountAndBytesButTakeAtLeastOne) {
  PeerSendQueue queue(1000);
  for (int i = 0; i < 5; ++i) queue.Push(std::string(10, static_cast<char>('a' + i)));
  std::vector<std::string> batch;
  queue.TakeBatch(2, 1000, &batch);
  EXPECT_EQ(batch.size(), 2u);
  batch.clear();
  queue.TakeBatch(10, 15, &batch);  // a second 10-byte frame would pass 15 bytes
  EXPECT_EQ(batch.size(), 1u);
  batch.clear();
  queue.TakeBatch(10, 5, &batch);  // smaller than one frame: still one
  EXPECT_EQ(batch.size(), 1u);
  EXPECT_EQ(queue.frames(), 1u);
  EXPECT_EQ(queue.bytes(), 10u);
}

}  // namespace
}  // namespace corral
