#include "sim/fault_injector.h"

#include <algorithm>

#include "sim/simulation.h"

namespace corral::sim {

FaultInjector::FaultInjector(Simulation* sim, FaultPlan plan, SimRandom random)
    : sim_(sim), plan_(plan), random_(random), ids_(sim->member_ids()) {}

void FaultInjector::Tick() {
  RestartDue();
  MaybeCrash();
  MaybePartition();
  MaybeSwizzle();
  MaybeClockJump();
  MaybeStallDisk();
}

void FaultInjector::MaybeCrash() {
  if (!random_.Ppm(plan_.crash_ppm)) return;
  const MemberId id = ids_[random_.Uniform(ids_.size())];
  SimMember& m = sim_->member(id);
  if (!m.up()) return;
  size_t kept = kKeepNothing;
  if (m.writing() && random_.Ppm(plan_.torn_write_ppm)) {
    kept = static_cast<size_t>(random_.Range(0, static_cast<int64_t>(m.disk().pending_ops())));
  }
  sim_->Crash(id, kept);
  restart_at_[id] = sim_->now() + random_.Range(plan_.down_ticks_min, plan_.down_ticks_max);
}

void FaultInjector::RestartDue() {
  for (auto it = restart_at_.begin(); it != restart_at_.end();) {
    if (it->second > sim_->now()) {
      ++it;
      continue;
    }
    sim_->Restart(it->first);
    it = restart_at_.erase(it);
  }
}

void FaultInjector::MaybePartition() {
  if (partition_heal_at_ >= 0) {
    if (sim_->now() < partition_heal_at_) return;
    for (const auto& [from, to] : partition_links_) sim_->Restore(from, to);
    partition_links_.clear();
    partition_heal_at_ = -1;
    return;
  }
  if (!random_.Ppm(plan_.partition_ppm)) return;
  if (random_.Ppm(plan_.one_way_partition_ppm)) {
    // A few directed links fail: members that can send but not hear, or hear but not send.
    const int64_t links = random_.Range(1, static_cast<int64_t>(ids_.size()));
    for (int64_t i = 0; i < links; ++i) {
      const MemberId from = ids_[random_.Uniform(ids_.size())];
      const MemberId to = ids_[random_.Uniform(ids_.size())];
      if (from == to) continue;
      partition_links_.push_back({from, to});
    }
  } else {
    // A split: a random nonempty proper subset on one side.
    std::set<MemberId> side;
    const int64_t size = random_.Range(1, static_cast<int64_t>(ids_.size()) - 1);
    while (static_cast<int64_t>(side.size()) < size)
      side.insert(ids_[random_.Uniform(ids_.size())]);
    for (MemberId a : ids_) {
      for (MemberId b : ids_) {
        if (side.count(a) > 0 && side.count(b) == 0) {
          partition_links_.push_back({a, b});
          partition_links_.push_back({b, a});
        }
      }
    }
  }
  for (const auto& [from, to] : partition_links_) sim_->Cut(from, to);
  partition_heal_at_ =
      sim_->now() + random_.Range(plan_.partition_ticks_min, plan_.partition_ticks_max);
}

void FaultInjector::MaybeSwizzle() {
  if (swizzle_.empty()) {
    if (!random_.Ppm(plan_.swizzle_ppm) || ids_.size() < 2) return;
    // Pick the members, clog them one by one, hold, then unclog in a fresh random order.
    std::vector<MemberId> chosen;
    for (MemberId id : ids_) {
      if (random_.OneIn(2)) chosen.push_back(id);
    }
    if (chosen.empty()) chosen.push_back(ids_[random_.Uniform(ids_.size())]);
    int64_t t = sim_->now();
    for (size_t i = chosen.size(); i > 1; --i) std::swap(chosen[i - 1], chosen[random_.Uniform(i)]);
    for (MemberId id : chosen) {
      t += random_.Range(1, 10);
      swizzle_.push_back({t, id, true});
    }
    t += random_.Range(5, 60);
    for (size_t i = chosen.size(); i > 1; --i) std::swap(chosen[i - 1], chosen[random_.Uniform(i)]);
    for (MemberId id : chosen) {
      t += random_.Range(1, 10);
      swizzle_.push_back({t, id, false});
    }
  }
  bool changed = false;
  while (!swizzle_.empty() && swizzle_.front().tick <= sim_->now()) {
    if (swizzle_.front().clog) {
      clogged_members_.insert(swizzle_.front().member);
    } else {
      clogged_members_.erase(swizzle_.front().member);
    }
    swizzle_.pop_front();
    changed = true;
  }
  if (changed) ApplyClogs();
}

// A link is clogged while either end is a clogged member.
void FaultInjector::ApplyClogs() {
  for (MemberId a : ids_) {
    for (MemberId b : ids_) {
      if (a == b) continue;
      const bool want = clogged_members_.count(a) > 0 || clogged_members_.count(b) > 0;
      if (want == sim_->network().IsClogged(a, b)) continue;
      if (want) {
        sim_->Clog(a, b);
      } else {
        sim_->Unclog(a, b);
      }
    }
  }
}

void FaultInjector::MaybeClockJump() {
  for (auto it = clock_restore_at_.begin(); it != clock_restore_at_.end();) {
    if (it->second > sim_->now()) {
      ++it;
      continue;
    }
    sim_->SetClockRate(it->first, 1);
    it = clock_restore_at_.erase(it);
  }
  if (!random_.Ppm(plan_.clock_jump_ppm)) return;
  const MemberId id = ids_[random_.Uniform(ids_.size())];
  if (clock_restore_at_.count(id) > 0) return;
  const int64_t timeout = sim_->config().replica.election_timeout_ticks;
  if (random_.OneIn(2)) {
    sim_->SetClockRate(id, 0);  // frozen: a paused process
    clock_restore_at_[id] = sim_->now() + random_.Range(1, 3 * timeout);
  } else {
    sim_->SetClockRate(id, static_cast<int>(random_.Range(2, 5)));  // racing
    clock_restore_at_[id] = sim_->now() + random_.Range(1, 2 * timeout);
  }
}

void FaultInjector::MaybeStallDisk() {
  for (auto it = disk_restore_at_.begin(); it != disk_restore_at_.end();) {
    if (it->second > sim_->now()) {
      ++it;
      continue;
    }
    sim_->SetFsyncStalled(it->first, false);
    it = disk_restore_at_.erase(it);
  }
  if (!random_.Ppm(plan_.fsync_stall_ppm)) return;
  const MemberId id = ids_[random_.Uniform(ids_.size())];
  if (disk_restore_at_.count(id) > 0) return;
  sim_->SetFsyncStalled(id, true);
  disk_restore_at_[id] =
      sim_->now() + random_.Range(1, 3 * sim_->config().replica.election_timeout_ticks);
}

void FaultInjector::Stop() {
  partition_links_.clear();
  partition_heal_at_ = -1;
  swizzle_.clear();
  clogged_members_.clear();
  sim_->HealNetwork();
  for (MemberId id : ids_) {
    sim_->SetClockRate(id, 1);
    sim_->SetFsyncStalled(id, false);
    sim_->Restart(id);
  }
  restart_at_.clear();
  clock_restore_at_.clear();
  disk_restore_at_.clear();
}

}  // namespace corral::sim
