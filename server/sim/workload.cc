#include "sim/workload.h"

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
  if (!random_.Ppm(config.client_write_ppm)) return;
  if (!c.session_live) {
    if (!c.session_requested) sim_->Submit(index, CreateSessionTxn(0, 0, 30000));
    return;
  }
  sim_->Submit(index, NextWrite(c));
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

}  // namespace corral::sim
