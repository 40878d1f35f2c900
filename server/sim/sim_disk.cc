#include "sim/sim_disk.h"

#include <algorithm>

#include "base/assert.h"
#include "sim/digest.h"

namespace corral::sim {

SimDisk::SimDisk(std::shared_ptr<const StateMachine> initial_state) {
  snapshot_.zxid = initial_state->last_applied_zxid();
  snapshot_.state = std::move(initial_state);
}

std::optional<std::string> SimDisk::BeginWrite(const consensus::Ready& ready,
                                               std::shared_ptr<const StateMachine> installed) {
  CORRAL_ASSERT(!writing_, "one Ready out at a time");
  pending_.clear();
  // Where the log will end once the earlier operations are done, to check each append.
  int64_t last = log_.empty() ? snapshot_.zxid : log_.back().zxid;
  int64_t floor = snapshot_.zxid;
  if (ready.hard_state) {
    if (ready.hard_state->epoch < hard_state_.epoch) {
      return "hard state epoch goes back from " + std::to_string(hard_state_.epoch) + " to " +
             std::to_string(ready.hard_state->epoch);
    }
    pending_.push_back({Op::kHardState, *ready.hard_state, {}, 0, {}});
  }
  if (ready.snapshot) {
    if (installed == nullptr || installed->last_applied_zxid() != ready.snapshot->zxid) {
      return "snapshot install at " + ZxidString(ready.snapshot->zxid) +
             " does not carry the state at that zxid";
    }
    pending_.push_back({Op::kSnapshot, {}, {ready.snapshot->zxid, std::move(installed)}, 0, {}});
    last = floor = ready.snapshot->zxid;
  }
  if (ready.truncate_after) {
    if (*ready.truncate_after < floor) {
      return "truncate_after " + ZxidString(*ready.truncate_after) + " is below the snapshot at " +
             ZxidString(floor);
    }
    pending_.push_back({Op::kTruncate, {}, {}, *ready.truncate_after, {}});
    last = std::min(last, *ready.truncate_after);
  }
  for (const Txn& entry : ready.entries) {
    if (entry.zxid <= last) {
      return "append of " + ZxidString(entry.zxid) + " after " + ZxidString(last) +
             " (a log only grows in zxid order; truncate first)";
    }
    last = entry.zxid;
    pending_.push_back({Op::kAppend, {}, {}, 0, entry});
  }
  writing_ = true;
  return std::nullopt;
}

void SimDisk::Perform(const Op& op) {
  switch (op.kind) {
    case Op::kHardState:
      hard_state_ = op.hard_state;
      break;
    case Op::kSnapshot:
      // "The log restarts after it": nothing older than the snapshot is replayed, and entries
      // after it came from a history the leader has replaced with this state.
      snapshot_ = op.snapshot;
      log_.clear();
      break;
    case Op::kTruncate:
      while (!log_.empty() && log_.back().zxid > op.zxid) log_.pop_back();
      break;
    case Op::kAppend:
      log_.push_back(op.entry);
      break;
  }
}

void SimDisk::Sync() {
  CORRAL_ASSERT(writing_, "Sync without a write");
  for (const Op& op : pending_) Perform(op);
  pending_.clear();
  writing_ = false;
}

void SimDisk::Crash(size_t ops_kept) {
  if (!writing_) return;
  for (size_t i = 0; i < ops_kept && i < pending_.size(); ++i) Perform(pending_[i]);
  pending_.clear();
  writing_ = false;
}

void SimDisk::SaveSnapshot(std::shared_ptr<const StateMachine> state) {
  const int64_t zxid = state->last_applied_zxid();
  if (zxid <= snapshot_.zxid) return;
  snapshot_ = {zxid, std::move(state)};
  auto keep =
      std::find_if(log_.begin(), log_.end(), [zxid](const Txn& t) { return t.zxid > zxid; });
  log_.erase(log_.begin(), keep);
}

bool SimDisk::Holds(int64_t zxid) const {
  if (zxid <= snapshot_.zxid) return true;
  auto it = std::lower_bound(log_.begin(), log_.end(), zxid,
                             [](const Txn& t, int64_t z) { return t.zxid < z; });
  return it != log_.end() && it->zxid == zxid;
}

consensus::RecoveredLog SimDisk::Recover() const {
  consensus::RecoveredLog recovered;
  recovered.applied_zxid = snapshot_.zxid;
  recovered.entries = log_;
  return recovered;
}

}  // namespace corral::sim
