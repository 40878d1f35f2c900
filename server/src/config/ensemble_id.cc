#include "config/ensemble_id.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

namespace corral {

uint64_t Fnv1a64(std::string_view bytes) {
  constexpr uint64_t kOffsetBasis = 0xcbf29ce484222325ULL;
  constexpr uint64_t kPrime = 0x100000001b3ULL;
  uint64_t hash = kOffsetBasis;
  for (char c : bytes) {
    hash ^= static_cast<uint8_t>(c);
    hash *= kPrime;
  }
  return hash;
}

uint64_t EnsembleIdOf(const Config& config) {
  if (!config.ensemble_id.empty()) return Fnv1a64("corral-ensemble-id:" + config.ensemble_id);
  // Config keeps servers sorted by id already; sorting again keeps this function correct for a
  // Config built by hand.
  std::vector<const ServerSpec*> servers;
  for (const ServerSpec& spec : config.servers) servers.push_back(&spec);
  std::sort(servers.begin(), servers.end(),
            [](const ServerSpec* a, const ServerSpec* b) { return a->id < b->id; });
  std::string text = "corral-servers:";
  for (const ServerSpec* spec : servers) {
    std::string host = spec->host;
    for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    text += std::to_string(spec->id) + "=" + host + ";";
  }
  return Fnv1a64(text);
}

}  // namespace corral
