#include "session/client_session.h"

namespace corral {

void ClientSession::RecordLatency(int64_t ms) {
  last_latency_ms = ms;
  if (min_latency_ms < 0 || ms < min_latency_ms) min_latency_ms = ms;
  if (ms > max_latency_ms) max_latency_ms = ms;
  total_latency_ms += ms;
  ++latency_count;
}

void ClientSession::ResetStats() {
  packets_received = packets_sent = 0;
  min_latency_ms = -1;
  max_latency_ms = total_latency_ms = latency_count = last_latency_ms = 0;
  last_cxid = 0;
  last_zxid = 0;
  last_op = "NA";
}

}  // namespace corral
