#pragma once
// Quotas as ZooKeeper keeps them, in the tree itself: a quota on path P is the node
// /zookeeper/quota/P/zookeeper_limits ("count=N,bytes=M=;byteHardLimit=..;countHardLimit=.."),
// and the server keeps /zookeeper/quota/P/zookeeper_stats ("count=N,bytes=M") equal to the
// node count and data bytes of P's subtree. Soft limits (count, bytes) are advisory; hard limits
// refuse writes with QUOTAEXCEEDED when enforceQuota is on.
//
// Unlike ZooKeeper, which keeps quota paths in a separate trie rebuilt at start, the quota of a
// path is found by looking up its ancestors' limit nodes: there is no derived state to rebuild
// after a snapshot load, and a tree without quotas pays one lookup per write.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "statemachine/data_tree.h"

namespace corral::quota {

inline constexpr char kLimitsNode[] = "zookeeper_limits";
inline constexpr char kStatsNode[] = "zookeeper_stats";

// StatsTrack: "key=value" pairs separated by commas or semicolons; a missing key reads as -1.
class StatsTrack {
 public:
  // Returns nullopt for text that ZooKeeper's parser would throw on.
  static std::optional<StatsTrack> Parse(std::string_view text);
  int64_t Get(const std::string& key) const;
  void Set(const std::string& key, int64_t value) { values_[key] = value; }
  // ZooKeeper 3.8's StatsTrack.toString, quirks included (see quota.cc).
  std::string ToString() const;

 private:
  std::map<std::string, int64_t> values_;
};

// The quota root governing `path`: the deepest ancestor-or-self P (never "/") that has a limits
// node, or nullopt.
std::optional<std::string> RootOf(const DataTree& tree, std::string_view path);

// QUOTAEXCEEDED when a write adding count_delta nodes and bytes_delta data bytes under `path`
// would pass a hard limit of its quota root; OK otherwise (no quota, soft limits only, or a
// limits/stats node that is missing or unreadable, which ZooKeeper also lets through).
int32_t Check(const DataTree& tree, std::string_view path, int64_t bytes_delta,
              int64_t count_delta);

// Keeps the stats node of `path`'s quota root current after a write (no-op without a quota).
void Track(DataTree& tree, std::string_view path, int64_t bytes_delta, int64_t count_delta,
           UndoLog* undo);

// After `created` is created: when it is a stats node, fills it with the subtree's counts, as
// ZooKeeper does when a client (zkCli setquota) creates it.
void OnCreated(DataTree& tree, const std::string& created, UndoLog* undo);

}  // namespace corral::quota
