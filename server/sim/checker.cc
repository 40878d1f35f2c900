#include "sim/checker.h"

#include <cstdio>
#include <iterator>

#include "sim/digest.h"
#include "zk/codes.h"

namespace corral::sim {

void Checker::Fail(const std::string& what) {
  if (!failure_.empty()) return;
  failure_ = "seed " + std::to_string(seed_) + " tick " + std::to_string(tick_) + " step " +
             std::to_string(step_) + ": " + what;
  // Said at once: a scripted scenario may stop at a later assertion that only shows the effect.
  std::fprintf(stderr, "simulation check failed: %s\n", failure_.c_str());
}

void Checker::ObserveLeader(MemberId id, int64_t epoch) {
  auto [it, inserted] = leaders_.emplace(epoch, id);
  if (!inserted && it->second != id) {
    Fail("two leaders in epoch " + std::to_string(epoch) + ": members " +
         std::to_string(it->second) + " and " + std::to_string(id));
  }
}

void Checker::ObserveEntry(MemberId id, const Txn& entry) {
  const uint64_t hash = EntryHash(entry);
  auto [it, inserted] = entries_.emplace(entry.zxid, hash);
  if (!inserted && it->second != hash) {
    Fail("member " + std::to_string(id) + " persists a different entry under zxid " +
         ZxidString(entry.zxid) + " than one seen before (two entries share a zxid)");
  }
}

void Checker::ObserveApply(MemberId id, int64_t applied_before, const Txn& entry,
                           const ApplyResult& result) {
  const std::string who = "member " + std::to_string(id);
  const int64_t z = entry.zxid;
  if (z <= applied_before) {
    Fail(who + " applies " + ZxidString(z) + " after " + ZxidString(applied_before) +
         " (apply order must strictly increase)");
    return;
  }
  const Committed mine{EntryHash(entry), ResultHash(result), entry.session_id, entry.xid};
  auto next = history_.upper_bound(applied_before);
  if (next != history_.end() && next->first < z) {
    Fail(who + " applies " + ZxidString(z) + " right after " + ZxidString(applied_before) +
         " but committed entry " + ZxidString(next->first) +
         " lies between (a committed entry was lost or skipped)");
    return;
  }
  if (next != history_.end() && next->first == z) {
    if (next->second.entry_hash != mine.entry_hash) {
      Fail(who + " applies a different entry at " + ZxidString(z) +
           " than other members applied (committed prefixes disagree)");
    } else if (next->second.result_hash != mine.result_hash) {
      Fail(who + " computes a different result for " + ZxidString(z) +
           " than other members (Apply is not deterministic or states diverged)");
    }
    return;
  }
  if (next != history_.end()) {
    Fail(who + " applies " + ZxidString(z) + ", unknown to the committed history, which already" +
         " continues after " + ZxidString(applied_before) + " with " + ZxidString(next->first));
    return;
  }
  history_.emplace(z, mine);
  if (auto membership = consensus::MembershipOfEntry(entry); membership && result.err == zk::kOk) {
    // Applied in zxid order and new to the history: every earlier committed change is known.
    if (!committed_memberships_.empty()) {
      const consensus::Membership& before = committed_memberships_.rbegin()->second;
      if (consensus::VoterChanges(before, *membership) > 1) {
        auto ids = [](const std::vector<MemberId>& v) {
          std::string s;
          for (MemberId id : v) s += (s.empty() ? "" : ",") + std::to_string(id);
          return "{" + s + "}";
        };
        Fail("the membership committed at " + ZxidString(z) + " changes voters " +
             ids(before.voters) + " to " + ids(membership->voters) + " (committed at " +
             ZxidString(committed_memberships_.rbegin()->first) +
             "): one voter at a time keeps old and new majorities intersecting");
      }
    }
    committed_memberships_[z] = *membership;
  }
  if (entry.session_id != 0 && entry.type != kTxnEpochStart) {
    auto [it, inserted] =
        committed_requests_.emplace(std::make_pair(entry.session_id, entry.xid), z);
    if (!inserted) {
      Fail("request session " + std::to_string(entry.session_id) + " xid " +
           std::to_string(entry.xid) + " committed twice, at " + ZxidString(it->second) + " and " +
           ZxidString(z));
    }
  }
}

void Checker::ObserveState(MemberId id, int64_t zxid, uint64_t digest) {
  auto [it, inserted] = digests_.emplace(zxid, digest);
  if (!inserted && it->second != digest) {
    Fail("member " + std::to_string(id) + " state digest at " + ZxidString(zxid) +
         " differs from another member's at the same zxid");
  }
}

void Checker::ObserveSnapshotInstall(MemberId id, int64_t applied_before, int64_t zxid) {
  if (zxid < applied_before) {
    Fail("member " + std::to_string(id) + " installs a snapshot at " + ZxidString(zxid) +
         " over state already applied to " + ZxidString(applied_before) + " (state goes back)");
    return;
  }
  if (zxid > 0 && history_.count(zxid) == 0 && !history_.empty() &&
      history_.rbegin()->first > zxid) {
    Fail("member " + std::to_string(id) + " installs a snapshot at " + ZxidString(zxid) +
         ", which is not a committed entry");
  }
}

void Checker::ObserveAck(int64_t session_id, int32_t xid, int64_t zxid) {
  ++acks_;
  if (zxid > max_acked_zxid_) max_acked_zxid_ = zxid;
  if (history_.count(zxid) == 0) {
    Fail("write session " + std::to_string(session_id) + " xid " + std::to_string(xid) +
         " acknowledged at " + ZxidString(zxid) + ", which is not in the committed history");
    return;
  }
  std::map<int32_t, int64_t>& acks = acked_[session_id];
  auto [it, inserted] = acks.emplace(xid, zxid);
  if (!inserted) {
    Fail("write session " + std::to_string(session_id) + " xid " + std::to_string(xid) +
         " acknowledged twice");
    return;
  }
  if (it != acks.begin() && std::prev(it)->second >= zxid) {
    Fail("session " + std::to_string(session_id) + " FIFO broken: xid " + std::to_string(xid) +
         " applied at " + ZxidString(zxid) + ", not after earlier xid " +
         std::to_string(std::prev(it)->first) + " at " + ZxidString(std::prev(it)->second));
  } else if (std::next(it) != acks.end() && std::next(it)->second <= zxid) {
    Fail("session " + std::to_string(session_id) + " FIFO broken: xid " + std::to_string(xid) +
         " applied at " + ZxidString(zxid) + ", not before later xid " +
         std::to_string(std::next(it)->first) + " at " + ZxidString(std::next(it)->second));
  }
}

void Checker::CheckAcknowledgedApplied(MemberId id, int64_t applied_zxid) {
  if (max_acked_zxid_ > applied_zxid) {
    Fail("member " + std::to_string(id) + " converged at " + ZxidString(applied_zxid) +
         " without acknowledged write " + ZxidString(max_acked_zxid_));
  }
}

}  // namespace corral::sim
