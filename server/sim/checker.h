#pragma once
// Checker: the safety properties of a run, checked as events happen (the simulation calls it
// after every step), plus the records the end-of-run checks need.
//
//   - at most one leader per epoch, over the whole run;
//   - one entry per zxid: no two different entries are ever handed to any disk under one zxid
//     (that is what makes "the committed prefixes agree" checkable entry by entry);
//   - the committed history: every member applies the same sequence of entries. A global map
//     zxid -> (entry, result) is built from applies; a member applying zxid z after y must find
//     no committed entry between y and z (a hole: something committed was lost or skipped) and,
//     when z is known, the same entry and the same result;
//   - zxids strictly increase in each member's apply order;
//   - equal state digests at equal applied zxids, snapshot installs included;
//   - no request committed twice (a duplicated forward proposed again);
//   - each committed membership differs from the committed one before it by one voter at
//     most (docs/membership.md: the single-server rule);
//   - acknowledged writes: an ack is an apply on the client's member, so it is in the history by
//     construction; per session, acks follow submission order (FIFO); and at the end every
//     member has applied every acknowledged zxid.
// The first violation is kept with the tick and step it happened at; a run stops at it.
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "consensus/membership.h"
#include "consensus/message.h"
#include "statemachine/state_machine.h"
#include "statemachine/txn.h"

namespace corral::sim {

using consensus::MemberId;

class Checker {
 public:
  explicit Checker(uint64_t seed) : seed_(seed) {}

  void SetPosition(int64_t tick, uint64_t step) {
    tick_ = tick;
    step_ = step;
  }
  // Records a violation (the first one wins) as "seed S tick T step N: what".
  void Fail(const std::string& what);
  bool failed() const { return !failure_.empty(); }
  const std::string& failure() const { return failure_; }

  // The membership the run starts with, before any committed reconfig.
  void SetBaseMembership(consensus::Membership membership) {
    committed_memberships_[0] = std::move(membership);
  }
  void ObserveLeader(MemberId id, int64_t epoch);
  void ObserveEntry(MemberId id, const Txn& entry);
  // `applied_before` is the member's applied zxid before this entry.
  void ObserveApply(MemberId id, int64_t applied_before, const Txn& entry,
                    const ApplyResult& result);
  // The member's state digest at `zxid` (after a batch of applies, a restart or an install).
  void ObserveState(MemberId id, int64_t zxid, uint64_t digest);
  void ObserveSnapshotInstall(MemberId id, int64_t applied_before, int64_t zxid);
  // The client of `session_id` was told `xid` succeeded at `zxid`.
  void ObserveAck(int64_t session_id, int32_t xid, int64_t zxid);
  // End of run: a member that converged at `applied_zxid` must hold every acknowledged write.
  void CheckAcknowledgedApplied(MemberId id, int64_t applied_zxid);

  size_t committed_entries() const { return history_.size(); }
  size_t acknowledged_writes() const { return acks_; }
  size_t epochs_with_leader() const { return leaders_.size(); }
  size_t committed_membership_changes() const { return committed_memberships_.size() - 1; }
  int64_t max_acknowledged_zxid() const { return max_acked_zxid_; }

 private:
  struct Committed {
    uint64_t entry_hash = 0;
    uint64_t result_hash = 0;
    int64_t session_id = 0;
    int32_t xid = 0;
  };
  uint64_t seed_;
  int64_t tick_ = 0;
  uint64_t step_ = 0;
  std::string failure_;

  std::map<int64_t, MemberId> leaders_;   // epoch -> its leader
  std::map<int64_t, uint64_t> entries_;   // zxid -> hash of the one entry with it
  std::map<int64_t, Committed> history_;  // applied somewhere, hence committed
  std::map<std::pair<int64_t, int32_t>, int64_t> committed_requests_;  // (session, xid) -> zxid
  std::map<int64_t, consensus::Membership> committed_memberships_;     // by the entry's zxid
  std::map<int64_t, uint64_t> digests_;                  // zxid -> first digest seen at it
  std::map<int64_t, std::map<int32_t, int64_t>> acked_;  // session -> xid -> zxid
  size_t acks_ = 0;
  int64_t max_acked_zxid_ = 0;
};

}  // namespace corral::sim
