#pragma once
// SimNetwork: the links between members and what goes wrong on them. It decides the fate of
// each message at send time (lost, delayed by some ticks, duplicated) and holds messages on
// clogged links; the simulation's event queue carries the survivors to their delivery tick.
//
// Two kinds of trouble on a directed link (from -> to):
//   cut     — a partition: messages sent on it, or arriving over it, are lost. Cutting only one
//             direction gives the asymmetric partitions real networks produce (a member that
//             can send but not hear).
//   clogged — FoundationDB's clogging: messages wait, in order, until the link unclogs; then
//             they arrive at once. Nothing is lost, everything is late.
// Reordering needs no switch of its own: independent random delays reorder messages.
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "consensus/message.h"
#include "sim/sim_random.h"

namespace corral::sim {

using consensus::MemberId;
using consensus::Message;

struct NetworkFaults {
  uint64_t drop_ppm = 0;       // each message is lost with this probability
  uint64_t duplicate_ppm = 0;  // ... delivered twice (the copy with its own delay)
  int64_t delay_ticks_min = 1;
  int64_t delay_ticks_max = 1;
  uint64_t long_delay_ppm = 0;  // ... delayed far longer than usual (stragglers, reordering)
  int64_t long_delay_ticks_max = 1;
};

struct Delivery {
  int64_t delay_ticks = 1;
  Message message;
};

class SimNetwork {
 public:
  void set_faults(const NetworkFaults& faults) { faults_ = faults; }
  const NetworkFaults& faults() const { return faults_; }

  // The deliveries a send turns into: none (lost or cut), one, or two (duplicated). A message
  // on a clogged link is held instead and comes back from Unclog.
  std::vector<Delivery> Send(const Message& message, SimRandom* random);

  void Cut(MemberId from, MemberId to) { cut_.insert({from, to}); }
  void Restore(MemberId from, MemberId to) { cut_.erase({from, to}); }
  bool IsCut(MemberId from, MemberId to) const { return cut_.count({from, to}) > 0; }
  void Clog(MemberId from, MemberId to) { clogged_.insert({from, to}); }
  // A message that arrives while its link is clogged waits with the ones sent onto it.
  void Hold(const Message& message) { held_[{message.from, message.to}].push_back(message); }
  // Unclogs a link and returns what waited on it, in the order it was sent.
  std::vector<Message> Unclog(MemberId from, MemberId to);
  bool IsClogged(MemberId from, MemberId to) const { return clogged_.count({from, to}) > 0; }
  // Removes every cut and returns everything held on clogged links.
  std::vector<Message> HealAll();
  bool healthy() const { return cut_.empty() && clogged_.empty(); }
  size_t cut_links() const { return cut_.size(); }
  size_t clogged_links() const { return clogged_.size(); }

 private:
  using Link = std::pair<MemberId, MemberId>;
  NetworkFaults faults_;
  std::set<Link> cut_;
  std::set<Link> clogged_;
  std::map<Link, std::deque<Message>> held_;
};

}  // namespace corral::sim
