#include "sim/snapshot_store.h"

#include <cstdlib>

namespace corral::sim {
namespace {
constexpr char kPrefix[] = "corral-sim-snapshot:";
constexpr size_t kPrefixBytes = sizeof(kPrefix) - 1;
}  // namespace

std::string SnapshotStore::Put(std::shared_ptr<const StateMachine> state) {
  if (state.get() == last_put_) return last_payload_;
  const uint64_t token = next_token_++;
  last_put_ = state.get();
  by_token_[token] = std::move(state);
  last_payload_ = kPrefix + std::to_string(token);
  return last_payload_;
}

std::shared_ptr<const StateMachine> SnapshotStore::Get(const std::string& payload) const {
  if (payload.compare(0, kPrefixBytes, kPrefix) != 0) return nullptr;
  const uint64_t token = std::strtoull(payload.c_str() + kPrefixBytes, nullptr, 10);
  auto it = by_token_.find(token);
  return it == by_token_.end() ? nullptr : it->second;
}

}  // namespace corral::sim
