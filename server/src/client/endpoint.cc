#include "client/endpoint.h"

#include <charconv>

namespace corral::client {

StatusOr<Endpoint> ParseEndpoint(std::string_view text, uint16_t default_port) {
  Endpoint e;
  std::string_view port_text;
  if (text.starts_with("[")) {
    size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return Status::InvalidArgument("unclosed '[' in \"" + std::string(text) + "\"");
    }
    e.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(":")) {
        return Status::InvalidArgument("expected ':' after ']' in \"" + std::string(text) + "\"");
      }
      port_text = rest.substr(1);
    }
  } else {
    size_t colon = text.rfind(':');
    e.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) port_text = text.substr(colon + 1);
  }
  if (e.host.empty()) return Status::InvalidArgument("no host in \"" + std::string(text) + "\"");
  if (e.host.find('/') != std::string::npos) {
    return Status::InvalidArgument("a chroot suffix is not supported: \"" + std::string(text) +
                                   "\"");
  }
  e.port = default_port;
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return Status::InvalidArgument("bad port in \"" + std::string(text) + "\"");
    }
    e.port = static_cast<uint16_t>(value);
  }
  return e;
}

StatusOr<std::vector<Endpoint>> ParseConnectString(std::string_view text, uint16_t default_port) {
  std::vector<Endpoint> endpoints;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string_view item = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (!item.empty()) {
      auto endpoint = ParseEndpoint(item, default_port);
      if (!endpoint.ok()) return endpoint.status();
      endpoints.push_back(std::move(*endpoint));
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (endpoints.empty()) return Status::InvalidArgument("the connect string names no server");
  return endpoints;
}

std::string ToString(const Endpoint& endpoint) {
  bool v6 = endpoint.host.find(':') != std::string::npos;
  return (v6 ? "[" + endpoint.host + "]" : endpoint.host) + ":" + std::to_string(endpoint.port);
}

}  // namespace corral::client
