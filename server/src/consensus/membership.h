#pragma once
// Who votes and who only listens: the part of a dynamic configuration the consensus core needs.
// A membership change is an ordinary log entry (type zk::kReconfig whose request is the new
// configuration's text, config/dynamic_config.h); a member uses the newest one in its log,
// committed or not, so that any two majorities of configurations one voter apart intersect
// (docs/membership.md).
#include <optional>
#include <string_view>
#include <vector>

#include "consensus/message.h"

namespace corral {
struct DynamicConfig;
}

namespace corral::consensus {

struct Membership {
  std::vector<MemberId> voters;     // increasing
  std::vector<MemberId> observers;  // increasing

  bool IsVoter(MemberId id) const;
  bool IsObserver(MemberId id) const;
  bool Contains(MemberId id) const { return IsVoter(id) || IsObserver(id); }
  size_t Quorum() const { return voters.size() / 2 + 1; }
  bool operator==(const Membership& other) const = default;
};

Membership MembershipOf(const DynamicConfig& config);
// The membership of a dynamic config text (/zookeeper/config's data, a reconfig entry's
// request), or nullopt when it does not parse.
std::optional<Membership> MembershipOfConfigText(std::string_view text);
// The membership a log entry sets, or nullopt for an entry that changes none.
std::optional<Membership> MembershipOfEntry(const Txn& entry);
// How many voters one must add or remove to turn `from` into `to`.
size_t VoterChanges(const Membership& from, const Membership& to);

}  // namespace corral::consensus
