#include "sim/workload.h"

#include <algorithm>

#include "consensus/membership.h"
#include "sim/requests.h"
#include "sim/simulation.h"
#include "zk/codes.h"

namespace corral::sim {
namespace {
constexpr int kPlainNodes = 16;
}  // namespace

void Workload::Tick() {
  for (int i = 0; i < sim_->client_count(); ++i) Act(i);
}

void Workload::Act(int index) {
  SimClient& c = sim_->client(index);
  const SimConfig& config = sim_->config();
  if (c.member == 0 || !sim_->member(c.member).up()) {
    if (!random_.OneIn(3)) return;  // reconnecting takes a moment
    const auto ids = sim_->member_ids();
    const consensus::MemberId id = ids[random_.Uniform(ids.size())];
    if (sim_->member(id).up()) sim_->Connect(index, id);
    return;
  }
  if (static_cast<int>(c.outstanding.size()) >= config.client_outstanding_max) return;
  const bool reconfig = config.reconfig_ppm > 0 && random_.Ppm(config.reconfig_ppm);
  if (!reconfig && !random_.Ppm(config.client_write_ppm)) return;
  if (!c.session_live) {
    if (!c.session_requested) sim_->Submit(index, CreateSessionTxn(0, 0, 30000));
    return;
  }
  sim_->Submit(index, reconfig ? NextReconfig(c) : NextWrite(c));
}

int32_t Workload::VersionFor(const SimClient& c, const std::string& path) {
  const Znode* node = sim_->member(c.member).state().tree().Find(path);
  const uint64_t roll = random_.Uniform(100);
  if (roll < 15) return -1;
  const int32_t known = node == nullptr ? 0 : node->version;
  return roll < 85 ? known : known + 1;  // mostly current; sometimes stale or wrong
}

Txn Workload::NextWrite(const SimClient& c) {
  const uint64_t roll = random_.Uniform(100);
  const std::string data = "d" + std::to_string(++data_counter_);
  const std::string plain = "/k/n" + std::to_string(random_.Uniform(kPlainNodes));
  if (roll < 4) {
    static const char* const kParents[] = {"/k", "/q", "/e"};
    return CreateTxn(0, 0, kParents[random_.Uniform(3)], "", zk::kPersistent);
  }
  if (roll < 40) return CreateTxn(0, 0, plain, data, zk::kPersistent);
  if (roll < 52) return CreateTxn(0, 0, "/q/s-", data, zk::kPersistentSequential);
  if (roll < 58) {
    const std::string path =
        "/e/c" + std::to_string(c.index) + "-" + std::to_string(random_.Uniform(4));
    return CreateTxn(0, 0, path, data, zk::kEphemeral);
  }
  if (roll < 88) return SetDataTxn(0, 0, plain, data, VersionFor(c, plain));
  if (roll < 98) return DeleteTxn(0, 0, plain, random_.OneIn(2) ? -1 : VersionFor(c, plain));
  return CloseSessionTxn(0, 0);
}

Txn Workload::NextReconfig(const SimClient& c) {
  consensus::Membership next = sim_->member(c.member).replica().membership();
  std::vector<MemberId> outside;
  for (MemberId id : sim_->member_ids()) {
    if (!next.Contains(id)) outside.push_back(id);
  }
  auto take = [&](std::vector<MemberId>* ids) {
    const size_t i = random_.Uniform(ids->size());
    const MemberId id = (*ids)[i];
    ids->erase(ids->begin() + static_cast<std::ptrdiff_t>(i));
    return id;
  };
  auto add = [](std::vector<MemberId>* ids, MemberId id) {
    ids->insert(std::upper_bound(ids->begin(), ids->end(), id), id);
  };
  const uint64_t roll = random_.Uniform(100);
  if (roll < 35 && !outside.empty()) {
    add(random_.OneIn(3) ? &next.observers : &next.voters, take(&outside));
  } else if (roll < 60 && next.voters.size() > 1) {
    take(&next.voters);
  } else if (roll < 70 && !next.observers.empty()) {
    take(&next.observers);
  } else if (roll < 80 && next.voters.size() > 1) {
    add(&next.observers, take(&next.voters));  // a voter becomes an observer
  } else if (roll < 90 && !next.observers.empty()) {
    add(&next.voters, take(&next.observers));  // an observer becomes a voter
  } else if (outside.size() >= 2) {
    add(&next.voters, take(&outside));  // two voters at once: refused
    add(&next.voters, take(&outside));
  } else if (next.voters.size() > 2) {
    take(&next.voters);
    take(&next.voters);
  }
  return Simulation::ReconfigTxn(next);
}

}  // namespace corral::sim
