#include "consensus/message.h"

namespace corral::consensus {

const char* MessageTypeName(MessageType type) {
  switch (type) {
    case MessageType::kVoteRequest:
      return "VoteRequest";
    case MessageType::kVoteReply:
      return "VoteReply";
    case MessageType::kAppend:
      return "Append";
    case MessageType::kAppendReply:
      return "AppendReply";
    case MessageType::kSnapshot:
      return "Snapshot";
    case MessageType::kForward:
      return "Forward";
    case MessageType::kSyncRequest:
      return "SyncRequest";
    case MessageType::kSyncReply:
      return "SyncReply";
    case MessageType::kSessionTouch:
      return "SessionTouch";
    case MessageType::kForwardBroken:
      return "ForwardBroken";
    case MessageType::kTimeoutNow:
      return "TimeoutNow";
  }
  return "Unknown";
}

}  // namespace corral::consensus
