#include "runtime/forward_stream.h"

#include <gtest/gtest.h>

namespace corral {
namespace {

using Verdict = ForwardStreamChecker::Verdict;

consensus::Message Forward(consensus::MemberId from, ForwardStreamWriter& w) {
  consensus::Message m;
  m.type = consensus::MessageType::kForward;
  m.from = from;
  w.Stamp(&m);
  return m;
}

TEST(ForwardStreamTest, InOrderWritesAreAccepted) {
  ForwardStreamWriter w(100);
  ForwardStreamChecker c;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(c.Check(Forward(2, w)), Verdict::kAccept);
}

TEST(ForwardStreamTest, AGapRefusesTheRestOfTheStreamAndNotifiesOnce) {
  ForwardStreamWriter w(100);
  ForwardStreamChecker c;
  EXPECT_EQ(c.Check(Forward(2, w)), Verdict::kAccept);
  Forward(2, w);  // lost on the way
  EXPECT_EQ(c.Check(Forward(2, w)), Verdict::kRefuseAndNotify);
  EXPECT_EQ(c.Check(Forward(2, w)), Verdict::kRefuse);
  // The follower starts a new stream; it is accepted from its first write.
  w.Restart();
  EXPECT_EQ(c.Check(Forward(2, w)), Verdict::kAccept);
  EXPECT_EQ(c.Check(Forward(2, w)), Verdict::kAccept);
}

TEST(ForwardStreamTest, ANewStreamWhoseFirstWriteWasLostIsRefused) {
  ForwardStreamWriter w(100);
  ForwardStreamChecker c;
  Forward(2, w);  // lost
  EXPECT_EQ(c.Check(Forward(2, w)), Verdict::kRefuseAndNotify);
}

TEST(ForwardStreamTest, FollowersAreIndependentAndResetForgetsAll) {
  ForwardStreamWriter a(1), b(7);
  ForwardStreamChecker c;
  EXPECT_EQ(c.Check(Forward(2, a)), Verdict::kAccept);
  EXPECT_EQ(c.Check(Forward(3, b)), Verdict::kAccept);
  Forward(2, a);  // lost
  EXPECT_EQ(c.Check(Forward(2, a)), Verdict::kRefuseAndNotify);
  EXPECT_EQ(c.Check(Forward(3, b)), Verdict::kAccept);
  // A new leader knows no stream: a follower restarts its stream when the leader changes.
  c.Reset();
  a.Restart();
  EXPECT_EQ(c.Check(Forward(2, a)), Verdict::kAccept);
}

}  // namespace
}  // namespace corral
