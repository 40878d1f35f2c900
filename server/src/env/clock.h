#pragma once
// Clock: every time the server reads comes from here, so tests and the simulator can drive it.
#include <cstdint>

namespace corral::env {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock milliseconds since the epoch: stamped into log entries (ctime/mtime).
  virtual int64_t WallMs() = 0;
  // Monotonic milliseconds: for timeouts and expiry, immune to wall-clock jumps.
  virtual int64_t MonotonicMs() = 0;
};

// The process clock (CLOCK_REALTIME and CLOCK_MONOTONIC).
Clock* SystemClock();

}  // namespace corral::env
