#pragma once
// ClientSession: the per-connection protocol state — handshake, the session it is attached to,
// identities from addauth, and the ordering queue that keeps replies in request order (a read
// waits for the session's earlier writes to apply: ZooKeeper's per-session FIFO guarantee).
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "base/shared_value.h"

#include "session/transport.h"
#include "session/watch_manager.h"
#include "zk/records.h"

namespace corral {

struct PendingRequest {
  int32_t xid = 0;
  int32_t type = 0;
  std::string body;       // request body, kept for reads executed later
  bool is_write = false;  // waiting for its log entry to apply
  bool done = false;      // reply ready in `reply`
  std::string reply;      // complete frame
  int64_t received_ms = 0;
  // Close the connection once this reply is sent (closeSession, an unknown opcode).
  const char* close_reason = nullptr;
};

struct ClientSession {
  enum class State { kAwaitingConnect, kConnecting, kConnected, kClosing };

  WatcherId id = 0;  // connection id, unique for the process lifetime
  Transport* transport = nullptr;
  State state = State::kAwaitingConnect;
  int64_t session_id = 0;
  int32_t timeout_ms = 0;
  bool read_only = false;
  bool sent_read_only_flag = true;  // the ConnectRequest carried the optional readOnly flag
  // Always starts with ip:<remote address>. Shared with every log entry the session writes
  // (Txn::identities), so a write does not copy them; addauth replaces the whole list.
  SharedValue<std::vector<zk::Id>> identities;
  std::deque<PendingRequest> pending;

  // Statistics for cons/stat.
  int64_t established_ms = 0;
  int64_t packets_received = 0;
  int64_t packets_sent = 0;
  int32_t last_cxid = 0;
  int64_t last_zxid = 0;
  std::string last_op = "NA";
  int64_t last_response_ms = 0;
  int64_t last_latency_ms = 0;
  int64_t min_latency_ms = -1;
  int64_t max_latency_ms = 0;
  int64_t total_latency_ms = 0;
  int64_t latency_count = 0;

  void RecordLatency(int64_t ms);
  void ResetStats();
};

}  // namespace corral
