#pragma once
// Transport: what the core needs from a client connection. runtime/ implements it over Asio;
// tests can implement it in memory. Called on the core thread only.
#include <cstdint>
#include <string>

namespace corral {

class Transport {
 public:
  virtual ~Transport() = default;
  // Queues one complete frame (length prefix included) for sending.
  virtual void Send(std::string frame) = 0;
  // Sends what is queued, then closes. `reason` goes to the log.
  virtual void Close(const std::string& reason) = 0;
  virtual const std::string& remote_ip() const = 0;
  virtual int remote_port() const = 0;
  // Bytes queued and not yet written: how far behind this client is reading.
  virtual size_t queued_bytes() const = 0;
};

}  // namespace corral
