// server.N values: host:quorumPort:electionPort[:participant|observer][;[clientAddr:]clientPort],
// the format ZooKeeper's QuorumServer reads from zoo.cfg and writes to /zookeeper/config.
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace corral {
namespace {

constexpr std::string_view kFormat =
    "host:quorumPort:electionPort[:participant|observer][;[clientAddress:]clientPort]";

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    if (at == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, at - start));
    start = at + 1;
  }
}

// "host:a:b" → {host, a, b}; "[v6::addr]:a:b" → {v6::addr, a, b}. IPv6 hosts need brackets
// because their colons would otherwise be taken as separators.
bool SplitHostFirst(std::string_view s, std::vector<std::string_view>* parts, std::string* error) {
  parts->clear();
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find("]:");
    if (close == std::string_view::npos) {
      *error = "\"" + std::string(s) + "\" starts with '[' but has no matching \"]:\"";
      return false;
    }
    parts->push_back(s.substr(1, close - 1));
    std::vector<std::string_view> rest = Split(s.substr(close + 2), ':');
    parts->insert(parts->end(), rest.begin(), rest.end());
  } else {
    *parts = Split(s, ':');
  }
  return true;
}

bool ParsePort(std::string_view text, int* port) {
  if (text.empty() || text.size() > 5) return false;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value < 1 || value > 65535) return false;
  *port = value;
  return true;
}

bool ValidHost(std::string_view host) {
  if (host.empty()) return false;
  for (char c : host) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '[' || c == ']') return false;
  }
  return true;
}

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string HostForDisplay(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

StatusOr<ServerSpec> ParseServerSpec(int64_t id, const std::string& value) {
  auto bad_format = [&value]() {
    return Status::InvalidArgument("expected " + std::string(kFormat) + ", got " + Quoted(value));
  };
  if (value.find('|') != std::string::npos) {
    // ZooKeeper 3.6's multi-address lines; one address per member is all Corral supports.
    return Status::InvalidArgument("several addresses per server ('|') are not supported, got " +
                                   Quoted(value));
  }
  std::vector<std::string_view> halves = Split(value, ';');
  if (halves.size() > 2) return bad_format();

  ServerSpec spec;
  spec.id = id;
  std::string error;
  std::vector<std::string_view> parts;
  if (!SplitHostFirst(halves[0], &parts, &error)) return Status::InvalidArgument(error);
  if (parts.size() < 3 || parts.size() > 4) return bad_format();
  if (!ValidHost(parts[0])) {
    return Status::InvalidArgument("the host must be a non-empty name or address, got " +
                                   Quoted(parts[0]));
  }
  spec.host = std::string(parts[0]);
  if (!ParsePort(parts[1], &spec.quorum_port)) {
    return Status::InvalidArgument("the quorum port must be an integer from 1 to 65535, got " +
                                   Quoted(parts[1]));
  }
  if (!ParsePort(parts[2], &spec.election_port)) {
    return Status::InvalidArgument("the election port must be an integer from 1 to 65535, got " +
                                   Quoted(parts[2]));
  }
  if (spec.quorum_port == spec.election_port) {  // ZooKeeper rejects this too
    return Status::InvalidArgument("the quorum and election ports must differ, both are " +
                                   std::to_string(spec.quorum_port));
  }
  if (parts.size() == 4) {
    std::string role = Lower(parts[3]);  // ZooKeeper compares the role ignoring case
    if (role == "observer") {
      spec.observer = true;
    } else if (role != "participant") {
      return Status::InvalidArgument("the role must be participant or observer, got " +
                                     Quoted(parts[3]));
    }
  }

  // Java's split drops a trailing empty field, so ZooKeeper reads "h:1:2;" as having no client
  // part; so do we.
  if (halves.size() == 2 && !halves[1].empty()) {
    std::vector<std::string_view> client;
    if (!SplitHostFirst(halves[1], &client, &error)) return Status::InvalidArgument(error);
    if (client.size() > 2) return bad_format();
    std::string_view port_text = client.back();
    if (client.size() == 2) {
      if (!ValidHost(client[0])) {
        return Status::InvalidArgument(
            "the client address must be a non-empty name or address, got " + Quoted(client[0]));
      }
      spec.client_address = std::string(client[0]);
    }
    if (!ParsePort(port_text, &spec.client_port)) {
      return Status::InvalidArgument("the client port must be an integer from 1 to 65535, got " +
                                     Quoted(port_text));
    }
  }
  return spec;
}

std::string FormatServerSpec(const ServerSpec& spec) {
  std::string out = HostForDisplay(spec.host) + ":" + std::to_string(spec.quorum_port) + ":" +
                    std::to_string(spec.election_port) +
                    (spec.observer ? ":observer" : ":participant");
  if (spec.client_port != 0) {
    // ZooKeeper shows the wildcard address when the line gave only a port.
    std::string address = spec.client_address.empty() ? "0.0.0.0" : spec.client_address;
    out += ";" + HostForDisplay(address) + ":" + std::to_string(spec.client_port);
  }
  return out;
}

}  // namespace corral
