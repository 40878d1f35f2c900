#pragma once
// Where a client connects: one member's host and client port, and the parsing of ZooKeeper's
// connect string ("host:port,host:port"). A chroot suffix ("/app") is refused rather than
// silently ignored: this client does not implement chroot.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace corral::client {

struct Endpoint {
  std::string host;
  uint16_t port = 0;
  bool operator==(const Endpoint&) const = default;
};

// "host:port" (IPv6 as "[::1]:2181"); a missing port means default_port.
StatusOr<Endpoint> ParseEndpoint(std::string_view text, uint16_t default_port);
// Comma-separated endpoints; at least one.
StatusOr<std::vector<Endpoint>> ParseConnectString(std::string_view text,
                                                   uint16_t default_port = 2181);
std::string ToString(const Endpoint& endpoint);

}  // namespace corral::client
