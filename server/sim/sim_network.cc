#include "sim/sim_network.h"

namespace corral::sim {

std::vector<Delivery> SimNetwork::Send(const Message& message, SimRandom* random) {
  std::vector<Delivery> out;
  const Link link{message.from, message.to};
  if (cut_.count(link) > 0) return out;
  if (clogged_.count(link) > 0) {
    held_[link].push_back(message);
    return out;
  }
  if (random->Ppm(faults_.drop_ppm)) return out;
  const int copies = random->Ppm(faults_.duplicate_ppm) ? 2 : 1;
  for (int i = 0; i < copies; ++i) {
    int64_t delay = random->Range(faults_.delay_ticks_min, faults_.delay_ticks_max);
    if (random->Ppm(faults_.long_delay_ppm)) {
      delay += random->Range(1, faults_.long_delay_ticks_max);
    }
    out.push_back({delay, message});
  }
  return out;
}

std::vector<Message> SimNetwork::Unclog(MemberId from, MemberId to) {
  const Link link{from, to};
  clogged_.erase(link);
  std::vector<Message> out;
  auto it = held_.find(link);
  if (it == held_.end()) return out;
  out.assign(it->second.begin(), it->second.end());
  held_.erase(it);
  return out;
}

std::vector<Message> SimNetwork::HealAll() {
  cut_.clear();
  std::vector<Message> out;
  while (!clogged_.empty()) {
    const Link link = *clogged_.begin();
    for (Message& m : Unclog(link.first, link.second)) out.push_back(std::move(m));
  }
  return out;
}

}  // namespace corral::sim
