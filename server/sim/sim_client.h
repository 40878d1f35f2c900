#pragma once
// SimClient: a simulated ZooKeeper client — one session, connected to one member at a time,
// submitting writes with increasing xids and waiting for each member's answer.
#include <cstdint>
#include <deque>
#include <map>

#include "consensus/message.h"

namespace corral::sim {

struct WriteOutcome {
  int64_t zxid = 0;
  int32_t err = 0;
};

struct SimClient {
  struct Pending {
    int32_t xid = 0;
    int32_t type = 0;
    int64_t submitted_tick = 0;
  };

  int index = 0;
  int64_t session_id = 0;
  int session_incarnation = 0;
  int32_t next_xid = 1;
  consensus::MemberId member = 0;   // 0: not connected
  bool session_live = false;        // its createSession was acknowledged
  bool session_requested = false;   // a createSession is outstanding on this connection
  std::deque<Pending> outstanding;  // submission order
  std::map<int32_t, WriteOutcome> acknowledged;  // xid -> outcome
};

}  // namespace corral::sim
