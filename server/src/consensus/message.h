#pragma once
// Message: what members of an ensemble say to each other. Plain data, so the consensus core and
// the simulator need no codec; runtime/ maps it onto proto/peer.proto for the wire.
#include <cstdint>
#include <string>
#include <vector>

#include "statemachine/txn.h"

namespace corral::consensus {

using MemberId = int64_t;

// zxid = (epoch << 32) | counter. The epoch of an entry is the epoch of the leader that created
// it, so comparing two zxids compares (epoch, position within the epoch): a zxid names one entry
// of the whole history, and "more up to date" (Raft's last term, then last index) is simply the
// larger last zxid.
inline int64_t EpochOf(int64_t zxid) {
  return static_cast<int64_t>(static_cast<uint64_t>(zxid) >> 32);
}
inline int64_t CounterOf(int64_t zxid) { return zxid & 0xffffffffLL; }
inline int64_t MakeZxid(int64_t epoch, int64_t counter) {
  return static_cast<int64_t>((static_cast<uint64_t>(epoch) << 32) |
                              static_cast<uint64_t>(counter));
}

enum class MessageType : int32_t {
  // Election. A pre-vote asks "would you vote for me?" without changing anyone's epoch, so a
  // member that was cut off cannot disturb a working ensemble when it comes back.
  kVoteRequest = 1,  // epoch: the epoch asked for; last_zxid: candidate's last entry
  kVoteReply = 2,    // granted
  // Replication. prev_zxid: the entry just before `entries` in the leader's log (0: none);
  // commit_zxid: the leader's commit point.
  kAppend = 3,
  // success: match_zxid is the last entry the follower has made durable that matches the
  // leader's log. Otherwise match_zxid is a hint: the follower's last entry before prev_zxid.
  kAppendReply = 4,
  // The leader's state at snapshot_zxid, for a follower whose next entry the leader no longer
  // keeps. The core sends it empty; the node fills snapshot_zxid and snapshot from its state.
  kSnapshot = 5,
  // Between nodes, routed by the core (it knows the leader and checks epochs):
  kForward = 6,       // follower -> leader: client writes (entries, zxid 0) to propose
  kSyncRequest = 7,   // follower -> leader: request_id
  kSyncReply = 8,     // leader -> follower: request_id, zxid (the leader's last proposed entry)
  kSessionTouch = 9,  // follower -> leader: sessions that were active since the last report
  // leader -> follower: a forwarded write of stream `zxid` (generation) was lost before
  // `request_id` arrived, so the leader drops that stream (see runtime/forward_stream.h).
  kForwardBroken = 10,
  // leader -> the voter it hands over to, once the entry removing the leader is committed:
  // campaign now (no pre-vote; voters grant it despite their leader lease).
  kTimeoutNow = 11,
};

const char* MessageTypeName(MessageType type);

struct Message {
  MessageType type = MessageType::kAppend;
  MemberId from = 0;
  MemberId to = 0;
  int64_t epoch = 0;  // the sender's epoch

  // kVoteRequest, kVoteReply
  bool pre_vote = false;
  bool transfer = false;  // kVoteRequest: the campaign a kTimeoutNow started
  int64_t last_zxid = 0;
  bool granted = false;

  // kAppend (and kForward's entries)
  int64_t prev_zxid = 0;
  std::vector<Txn> entries;
  int64_t commit_zxid = 0;

  // kAppendReply
  bool success = false;
  int64_t match_zxid = 0;

  // kSnapshot
  int64_t snapshot_zxid = 0;
  std::string snapshot;  // storage/snapshot.h bytes of the state at snapshot_zxid
  // The membership in force at snapshot_zxid (filled by the driver with the bytes); the
  // follower's log restarts from it. Empty voters: unknown (the receiver keeps its own).
  std::vector<MemberId> snapshot_voters;
  std::vector<MemberId> snapshot_observers;

  // kSyncRequest, kSyncReply, kSessionTouch; kForward and kForwardBroken: request_id is the
  // write's sequence number in its follower's forward stream and zxid the stream's generation
  int64_t request_id = 0;
  int64_t zxid = 0;
  std::vector<int64_t> sessions;
};

}  // namespace corral::consensus
