#include "statemachine/quota.h"

#include <charconv>
#include <vector>

#include "statemachine/path.h"
#include "statemachine/state_machine.h"
#include "zk/codes.h"

namespace corral::quota {
namespace {

constexpr char kCount[] = "count";
constexpr char kBytes[] = "bytes";
constexpr char kCountHardLimit[] = "countHardLimit";
constexpr char kByteHardLimit[] = "byteHardLimit";

std::string NodeOf(std::string_view root, const char* leaf) {
  std::string out = kQuotaPath;
  out += root;
  out += '/';
  out += leaf;
  return out;
}

std::optional<StatsTrack> ReadStats(const DataTree& tree, const std::string& node_path) {
  const Znode* n = tree.Find(node_path);
  if (n == nullptr) return std::nullopt;
  return StatsTrack::Parse(n->data);
}

}  // namespace

// Java's Long.parseLong: an optional sign, then decimal digits, within range.
std::optional<int64_t> ParseJavaLong(std::string_view text) {
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// Java's String.split(regex) for a one-character-class separator: trailing empty pieces are
// dropped; `runs` treats a run of separators as one (the "[,;]+" pattern).
std::vector<std::string_view> JavaSplit(std::string_view text, std::string_view separators,
                                        bool runs) {
  std::vector<std::string_view> pieces;
  size_t start = 0;
  while (true) {
    size_t at = text.find_first_of(separators, start);
    pieces.push_back(text.substr(start, at == std::string_view::npos ? at : at - start));
    if (at == std::string_view::npos) break;
    start = runs ? text.find_first_not_of(separators, at) : at + 1;
    if (start == std::string_view::npos) start = text.size();
  }
  while (!pieces.empty() && pieces.back().empty()) pieces.pop_back();
  return pieces;
}

std::optional<StatsTrack> StatsTrack::Parse(std::string_view text) {
  // ZooKeeper 3.8's StatsTrack(String): pairs split on "[,;]+", each pair split on "=", an empty
  // value reads as -1. Anything its parser would throw on is refused here.
  StatsTrack out;
  if (text.empty()) return out;
  for (std::string_view pair : JavaSplit(text, ",;", /*runs=*/true)) {
    std::vector<std::string_view> kv = JavaSplit(pair, "=", /*runs=*/false);
    if (kv.size() < 2) return std::nullopt;
    std::optional<int64_t> value = kv[1].empty() ? -1 : ParseJavaLong(kv[1]);
    if (!value) return std::nullopt;
    out.values_[std::string(kv[0])] = *value;
  }
  return out;
}

int64_t StatsTrack::Get(const std::string& key) const {
  auto it = values_.find(key);
  return it == values_.end() ? -1 : it->second;
}

std::string StatsTrack::ToString() const {
  // count and bytes first; any other keys follow sorted, after a stray "=" and each behind a
  // ";" — byte for byte what ZooKeeper 3.8 writes ("count=-1,bytes=-1=;countHardLimit=4"), and
  // its clients parse it back that way.
  std::string out = std::string(kCount) + "=" + std::to_string(Get(kCount)) + "," + kBytes + "=" +
                    std::to_string(Get(kBytes));
  bool first_extra = true;
  for (const auto& [key, value] : values_) {  // std::map: sorted, as ZooKeeper sorts
    if (key == kCount || key == kBytes) continue;
    if (first_extra) out += "=";
    first_extra = false;
    out += ";" + key + "=" + std::to_string(value);
  }
  return out;
}

std::optional<std::string> RootOf(const DataTree& tree, std::string_view p) {
  static const std::string kQuotaRoot = kQuotaPath;  // built once: this runs on every write
  const Znode* quotas = tree.Find(kQuotaRoot);
  if (quotas == nullptr || quotas->children.empty()) return std::nullopt;  // the common case
  std::string_view candidate = p;
  while (!candidate.empty() && candidate != "/") {
    if (tree.Find(NodeOf(candidate, kLimitsNode)) != nullptr) return std::string(candidate);
    candidate = path::Parent(candidate);
  }
  return std::nullopt;
}

int32_t Check(const DataTree& tree, std::string_view p, int64_t bytes_delta, int64_t count_delta) {
  std::optional<std::string> root = RootOf(tree, p);
  if (!root) return zk::kOk;
  std::optional<StatsTrack> limits = ReadStats(tree, NodeOf(*root, kLimitsNode));
  if (!limits) return zk::kOk;
  bool check_count = count_delta != 0 && limits->Get(kCountHardLimit) > -1;
  bool check_bytes = bytes_delta != 0 && limits->Get(kByteHardLimit) > -1;
  if (!check_count && !check_bytes) return zk::kOk;
  std::optional<StatsTrack> current = ReadStats(tree, NodeOf(*root, kStatsNode));
  if (!current) return zk::kOk;
  if (check_count && current->Get(kCount) + count_delta > limits->Get(kCountHardLimit)) {
    return zk::kQuotaExceeded;
  }
  if (check_bytes && current->Get(kBytes) + bytes_delta > limits->Get(kByteHardLimit)) {
    return zk::kQuotaExceeded;
  }
  return zk::kOk;
}

void Track(DataTree& tree, std::string_view p, int64_t bytes_delta, int64_t count_delta,
           UndoLog* undo) {
  std::optional<std::string> root = RootOf(tree, p);
  if (!root) return;
  std::string stats_path = NodeOf(*root, kStatsNode);
  std::optional<StatsTrack> stats = ReadStats(tree, stats_path);
  if (!stats) return;  // missing or unreadable: ZooKeeper logs and leaves it
  stats->Set(kCount, stats->Get(kCount) + count_delta);
  stats->Set(kBytes, stats->Get(kBytes) + bytes_delta);
  // In place: clients never see the stats node change version, and no watch fires.
  tree.ReplaceData(stats_path, stats->ToString(), undo);
}

void OnCreated(DataTree& tree, const std::string& created, UndoLog* undo) {
  std::string_view prefix = kQuotaPath;
  if (created.size() <= prefix.size() + 1 || created.compare(0, prefix.size(), prefix) != 0 ||
      created[prefix.size()] != '/' || path::Basename(created) != kStatsNode) {
    return;
  }
  std::string_view parent = path::Parent(created);
  std::string root(parent.substr(prefix.size()));
  DataTree::SubtreeTotals totals = tree.TotalsUnder(root);
  StatsTrack stats;  // what the client wrote is replaced whole (DataTree.updateQuotaForPath)
  stats.Set(kCount, totals.nodes);
  stats.Set(kBytes, totals.data_bytes);
  tree.ReplaceData(created, stats.ToString(), undo);
}

}  // namespace corral::quota
