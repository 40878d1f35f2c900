#include "consensus/membership.h"

#include <algorithm>

#include "config/dynamic_config.h"
#include "zk/codes.h"

namespace corral::consensus {

bool Membership::IsVoter(MemberId id) const {
  return std::binary_search(voters.begin(), voters.end(), id);
}

bool Membership::IsObserver(MemberId id) const {
  return std::binary_search(observers.begin(), observers.end(), id);
}

Membership MembershipOf(const DynamicConfig& config) {
  Membership m;
  for (const ServerSpec& s : config.servers) (s.observer ? m.observers : m.voters).push_back(s.id);
  std::sort(m.voters.begin(), m.voters.end());
  std::sort(m.observers.begin(), m.observers.end());
  return m;
}

std::optional<Membership> MembershipOfConfigText(std::string_view text) {
  auto config = ParseDynamicConfig(text);
  if (!config.ok()) return std::nullopt;
  return MembershipOf(*config);
}

std::optional<Membership> MembershipOfEntry(const Txn& entry) {
  if (entry.type != zk::kReconfig) return std::nullopt;
  // The leader logs a reconfig entry only with a configuration it parsed itself; one that does
  // not parse is a refused request (its Apply answers the error) and changes nothing.
  return MembershipOfConfigText(entry.request.get());
}

size_t VoterChanges(const Membership& from, const Membership& to) {
  std::vector<MemberId> changed;
  std::set_symmetric_difference(from.voters.begin(), from.voters.end(), to.voters.begin(),
                                to.voters.end(), std::back_inserter(changed));
  return changed.size();
}

}  // namespace corral::consensus
