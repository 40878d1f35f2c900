#include "config/dynamic_config.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "base/hex.h"
#include "base/strings.h"

namespace corral {
namespace {

constexpr std::string_view kServerPrefix = "server.";
constexpr std::string_view kVersionPrefix = "version=";

bool ParseInt(std::string_view s, int base, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  std::string copy(s);
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(copy.c_str(), &end, base);
  if (errno != 0 || end != copy.c_str() + copy.size() || v < 0) return false;
  *out = v;
  return true;
}

}  // namespace

StatusOr<ServerSpec> ParseServerLine(std::string_view line) {
  line = TrimSpace(line);
  size_t equals = line.find('=');
  int64_t id = 0;
  if (line.substr(0, kServerPrefix.size()) != kServerPrefix || equals == std::string_view::npos ||
      !ParseInt(line.substr(kServerPrefix.size(), equals - kServerPrefix.size()), 10, &id) ||
      id <= 0) {
    return Status::InvalidArgument("expected server.N=..., got " + std::string(line));
  }
  return ParseServerSpec(id, std::string(TrimSpace(line.substr(equals + 1))));
}

StatusOr<DynamicConfig> ParseDynamicConfig(std::string_view text) {
  DynamicConfig config;
  bool version_seen = false;
  int line_number = 0;
  while (!text.empty()) {
    size_t newline = text.find('\n');
    std::string_view line = TrimSpace(text.substr(0, newline));
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    ++line_number;
    if (line.empty()) continue;
    std::string where = "dynamic config line " + std::to_string(line_number) + ": ";
    if (line.substr(0, kVersionPrefix.size()) == kVersionPrefix) {
      if (version_seen) return Status::InvalidArgument(where + "a second version line");
      version_seen = true;
      if (!ParseInt(line.substr(kVersionPrefix.size()), 16, &config.version)) {
        return Status::InvalidArgument(where + "the version must be a hex zxid");
      }
      continue;
    }
    auto spec = ParseServerLine(line);
    if (!spec.ok()) return Status::InvalidArgument(where + spec.status().message());
    for (const ServerSpec& other : config.servers) {
      if (other.id == spec->id) {
        return Status::InvalidArgument(where + "server." + std::to_string(spec->id) +
                                       " appears twice");
      }
    }
    config.servers.push_back(std::move(spec).value());
  }
  std::sort(config.servers.begin(), config.servers.end(),
            [](const ServerSpec& a, const ServerSpec& b) { return a.id < b.id; });
  bool has_participant = std::any_of(config.servers.begin(), config.servers.end(),
                                     [](const ServerSpec& s) { return !s.observer; });
  if (!has_participant) {
    return Status::InvalidArgument(
        "dynamic config: no participant (a configuration needs a voter)");
  }
  return config;
}

std::string FormatDynamicConfig(const DynamicConfig& config) {
  std::vector<const ServerSpec*> servers;
  for (const ServerSpec& s : config.servers) servers.push_back(&s);
  std::sort(servers.begin(), servers.end(),
            [](const ServerSpec* a, const ServerSpec* b) { return a->id < b->id; });
  std::string out;
  for (const ServerSpec* s : servers) {
    out += "server." + std::to_string(s->id) + "=" + FormatServerSpec(*s) + "\n";
  }
  if (config.version != 0) {
    out += "version=" + HexDigits(config.version) + "\n";
  }
  return out;
}

}  // namespace corral
