// session/watch_manager.h: ZooKeeper's watch semantics (WatchManager / WatchManagerOptimized and
// the persistent watches of ZOOKEEPER-1416): one-shot data/child watches, persistent watches at
// one path, recursive watches over a subtree, one delivery per watcher per event.
#include "session/watch_manager.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "zk/codes.h"

namespace corral {
namespace {

// watcher -> (type, needs_acl_check); asserts each watcher appears at most once.
std::map<WatcherId, std::pair<int32_t, bool>> ByWatcher(const std::vector<WatchDelivery>& ds) {
  std::map<WatcherId, std::pair<int32_t, bool>> out;
  for (const auto& d : ds) {
    EXPECT_TRUE(out.emplace(d.watcher, std::make_pair(d.type, d.needs_acl_check)).second)
        << "watcher " << d.watcher << " delivered twice";
  }
  return out;
}

std::set<WatcherId> Watchers(const std::vector<WatchDelivery>& ds) {
  std::set<WatcherId> out;
  for (const auto& [w, info] : ByWatcher(ds)) out.insert(w);
  return out;
}

constexpr int32_t kCreated = zk::kEventNodeCreated;
constexpr int32_t kDeleted = zk::kEventNodeDeleted;
constexpr int32_t kDataChanged = zk::kEventNodeDataChanged;
constexpr int32_t kChildrenChanged = zk::kEventNodeChildrenChanged;
constexpr int32_t kPersistentType = 4;
constexpr int32_t kRecursiveType = 5;

TEST(WatchManager, DataWatchFiresOnceOnDataChanged) {
  WatchManager wm;
  wm.AddData("/a", 1);
  EXPECT_EQ(wm.watch_count(), 1u);
  auto ds = wm.Trigger("/a", kDataChanged);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].watcher, 1u);
  EXPECT_EQ(ds[0].type, kDataChanged);
  EXPECT_FALSE(ds[0].needs_acl_check);
  EXPECT_EQ(wm.watch_count(), 0u);
  EXPECT_TRUE(wm.Trigger("/a", kDataChanged).empty());  // one-shot
}

TEST(WatchManager, DataWatchFiresOnCreatedAndDeleted) {
  WatchManager wm;
  wm.AddData("/a", 1);  // exists() on a missing node
  auto ds = wm.Trigger("/a", kCreated);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].type, kCreated);
  wm.AddData("/a", 1);
  ds = wm.Trigger("/a", kDeleted);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].type, kDeleted);
}

TEST(WatchManager, DataWatchIgnoresChildrenChanged) {
  WatchManager wm;
  wm.AddData("/a", 1);
  EXPECT_TRUE(wm.Trigger("/a", kChildrenChanged).empty());
  EXPECT_EQ(wm.watch_count(), 1u);  // still armed
}

TEST(WatchManager, ChildWatchFiresOnceOnChildrenChanged) {
  WatchManager wm;
  wm.AddChild("/a", 7);
  EXPECT_TRUE(wm.Trigger("/a", kDataChanged).empty());
  EXPECT_TRUE(wm.Trigger("/a", kCreated).empty());
  EXPECT_EQ(wm.watch_count(), 1u);
  auto ds = wm.Trigger("/a", kChildrenChanged);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].watcher, 7u);
  EXPECT_EQ(ds[0].type, kChildrenChanged);
  EXPECT_FALSE(ds[0].needs_acl_check);
  EXPECT_TRUE(wm.Trigger("/a", kChildrenChanged).empty());
}

TEST(WatchManager, NodeDeletedFiresChildWatchesToo) {
  WatchManager wm;
  wm.AddChild("/a", 1);
  wm.AddData("/a", 2);
  auto ds = ByWatcher(wm.Trigger("/a", kDeleted));
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_EQ(ds[1].first, kDeleted);
  EXPECT_EQ(ds[2].first, kDeleted);
  EXPECT_EQ(wm.watch_count(), 0u);  // both consumed
}

TEST(WatchManager, DedupDataAndChildWatchOfOneWatcher) {
  WatchManager wm;
  wm.AddChild("/a", 1);
  wm.AddData("/a", 1);
  wm.AddData("/a", 1);  // adding twice is one watch
  EXPECT_EQ(wm.watch_count(), 2u);
  auto ds = wm.Trigger("/a", kDeleted);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].watcher, 1u);
  EXPECT_FALSE(ds[0].needs_acl_check);
  EXPECT_EQ(wm.watch_count(), 0u);
}

TEST(WatchManager, OnlyTheExactPathFiresOneShotWatches) {
  WatchManager wm;
  wm.AddData("/a", 1);
  wm.AddChild("/a", 2);
  EXPECT_TRUE(wm.Trigger("/a/b", kDataChanged).empty());
  EXPECT_TRUE(wm.Trigger("/a/b", kDeleted).empty());
  EXPECT_TRUE(wm.Trigger("/ab", kDeleted).empty());
  EXPECT_EQ(wm.watch_count(), 2u);
}

TEST(WatchManager, ManyWatchersOnOnePath) {
  WatchManager wm;
  for (WatcherId w = 1; w <= 5; ++w) wm.AddData("/a", w);
  EXPECT_EQ(Watchers(wm.Trigger("/a", kDataChanged)), (std::set<WatcherId>{1, 2, 3, 4, 5}));
}

TEST(WatchManager, PersistentFiresForEveryEventAtItsPathAndStays) {
  WatchManager wm;
  wm.AddPersistent("/a", 1, /*recursive=*/false);
  for (int32_t type : {kCreated, kDataChanged, kChildrenChanged, kDeleted, kCreated}) {
    auto ds = wm.Trigger("/a", type);
    ASSERT_EQ(ds.size(), 1u) << type;
    EXPECT_EQ(ds[0].watcher, 1u);
    EXPECT_EQ(ds[0].type, type);
    EXPECT_TRUE(ds[0].needs_acl_check);
  }
  EXPECT_EQ(wm.watch_count(), 1u);
}

TEST(WatchManager, PersistentIgnoresDescendants) {
  WatchManager wm;
  wm.AddPersistent("/a", 1, false);
  EXPECT_TRUE(wm.Trigger("/a/b", kCreated).empty());
  EXPECT_TRUE(wm.Trigger("/a/b", kDataChanged).empty());
  EXPECT_TRUE(wm.Trigger("/", kChildrenChanged).empty());
}

TEST(WatchManager, RecursiveFiresForSubtree) {
  WatchManager wm;
  wm.AddPersistent("/a", 1, /*recursive=*/true);
  for (const char* p : {"/a", "/a/b", "/a/b/c/d"}) {
    for (int32_t type : {kCreated, kDataChanged, kDeleted}) {
      auto ds = wm.Trigger(p, type);
      ASSERT_EQ(ds.size(), 1u) << p << " " << type;
      EXPECT_EQ(ds[0].type, type);
      EXPECT_TRUE(ds[0].needs_acl_check);
    }
  }
  EXPECT_EQ(wm.watch_count(), 1u);
}

TEST(WatchManager, RecursiveIgnoresChildrenChanged) {
  WatchManager wm;
  wm.AddPersistent("/a", 1, true);
  EXPECT_TRUE(wm.Trigger("/a", kChildrenChanged).empty());
  EXPECT_TRUE(wm.Trigger("/a/b", kChildrenChanged).empty());
}

TEST(WatchManager, RecursiveIsPerSegmentNotPerPrefix) {
  WatchManager wm;
  wm.AddPersistent("/a", 1, true);
  EXPECT_TRUE(wm.Trigger("/ab", kCreated).empty());
  EXPECT_TRUE(wm.Trigger("/a-b/c", kCreated).empty());
  EXPECT_TRUE(wm.Trigger("/", kDataChanged).empty());  // ancestors are not watched
}

TEST(WatchManager, RecursiveOnRootSeesEverything) {
  WatchManager wm;
  wm.AddPersistent("/", 9, true);
  EXPECT_EQ(Watchers(wm.Trigger("/", kDataChanged)), std::set<WatcherId>{9});
  EXPECT_EQ(Watchers(wm.Trigger("/x", kCreated)), std::set<WatcherId>{9});
  EXPECT_EQ(Watchers(wm.Trigger("/x/y/z", kDeleted)), std::set<WatcherId>{9});
  EXPECT_TRUE(wm.Trigger("/x", kChildrenChanged).empty());
}

TEST(WatchManager, DedupAcrossNestedRecursiveWatches) {
  WatchManager wm;
  wm.AddPersistent("/", 1, true);
  wm.AddPersistent("/a", 1, true);
  wm.AddPersistent("/a/b", 1, true);
  wm.AddPersistent("/a/b", 1, false);
  wm.AddPersistent("/a", 2, true);
  auto ds = ByWatcher(wm.Trigger("/a/b", kDataChanged));
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_EQ(ds[1], std::make_pair(kDataChanged, true));
  EXPECT_EQ(ds[2], std::make_pair(kDataChanged, true));
}

TEST(WatchManager, StandardWatchClearsTheAclCheckOfAPersistentOne) {
  // A one-shot watch was set by a read that passed the ACL check, so it vouches for the event;
  // the delivery is single and needs no per-event check — whichever table fires first.
  WatchManager wm;
  wm.AddPersistent("/a", 1, true);
  wm.AddPersistent("/a", 1, false);
  wm.AddData("/a", 1);
  auto ds = wm.Trigger("/a", kDataChanged);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_FALSE(ds[0].needs_acl_check);
  // The data watch is gone, the persistent ones stay: the next event needs the check again.
  ds = wm.Trigger("/a", kDataChanged);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_TRUE(ds[0].needs_acl_check);

  wm.AddChild("/a", 1);
  ds = wm.Trigger("/a", kChildrenChanged);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_FALSE(ds[0].needs_acl_check);
}

TEST(WatchManager, MixedWatchersOneEvent) {
  WatchManager wm;
  wm.AddData("/a/b", 1);
  wm.AddChild("/a/b", 2);
  wm.AddPersistent("/a/b", 3, false);
  wm.AddPersistent("/a", 4, true);
  wm.AddPersistent("/a", 5, false);  // persistent on the parent: not for /a/b events
  auto ds = ByWatcher(wm.Trigger("/a/b", kDeleted));
  EXPECT_EQ(ds.size(), 4u);
  EXPECT_EQ(ds[1], std::make_pair(kDeleted, false));
  EXPECT_EQ(ds[2], std::make_pair(kDeleted, false));
  EXPECT_EQ(ds[3], std::make_pair(kDeleted, true));
  EXPECT_EQ(ds[4], std::make_pair(kDeleted, true));
  EXPECT_EQ(ds.count(5), 0u);
  // The parent's child-list change reaches the persistent watch on /a only.
  auto parent = ByWatcher(wm.Trigger("/a", kChildrenChanged));
  EXPECT_EQ(parent.size(), 1u);
  EXPECT_EQ(parent[5], std::make_pair(kChildrenChanged, true));
}

TEST(WatchManager, ContainsPerWatcherType) {
  WatchManager wm;
  wm.AddData("/d", 1);
  wm.AddChild("/c", 1);
  wm.AddPersistent("/p", 1, false);
  wm.AddPersistent("/r", 1, true);

  // children (1): child and persistent watches.
  EXPECT_FALSE(wm.Contains("/d", 1, zk::kWatcherChildren));
  EXPECT_TRUE(wm.Contains("/c", 1, zk::kWatcherChildren));
  EXPECT_TRUE(wm.Contains("/p", 1, zk::kWatcherChildren));
  EXPECT_FALSE(wm.Contains("/r", 1, zk::kWatcherChildren));
  // data (2): data, persistent and recursive watches.
  EXPECT_TRUE(wm.Contains("/d", 1, zk::kWatcherData));
  EXPECT_FALSE(wm.Contains("/c", 1, zk::kWatcherData));
  EXPECT_TRUE(wm.Contains("/p", 1, zk::kWatcherData));
  EXPECT_TRUE(wm.Contains("/r", 1, zk::kWatcherData));
  // any (3).
  for (const char* p : {"/d", "/c", "/p", "/r"}) EXPECT_TRUE(wm.Contains(p, 1, zk::kWatcherAny)) << p;
  EXPECT_FALSE(wm.Contains("/none", 1, zk::kWatcherAny));
  // persistent (4), persistent recursive (5).
  EXPECT_TRUE(wm.Contains("/p", 1, kPersistentType));
  EXPECT_FALSE(wm.Contains("/r", 1, kPersistentType));
  EXPECT_FALSE(wm.Contains("/d", 1, kPersistentType));
  EXPECT_TRUE(wm.Contains("/r", 1, kRecursiveType));
  EXPECT_FALSE(wm.Contains("/p", 1, kRecursiveType));
  // Other watchers and unknown types.
  // ZooKeeper 3.8 answers checkWatches per path, not per connection: another watcher's watch
  // counts (mirrored for the differential test; see docs/compatibility.md).
  EXPECT_TRUE(wm.Contains("/d", 2, zk::kWatcherAny));
  EXPECT_FALSE(wm.Contains("/d", 1, 0));
  EXPECT_FALSE(wm.Contains("/d", 1, 6));
  // A recursive watch covers descendants for events, but Contains is per exact path.
  EXPECT_FALSE(wm.Contains("/r/x", 1, zk::kWatcherAny));
}

TEST(WatchManager, RemoveChildren) {
  WatchManager wm;
  wm.AddData("/a", 1);
  wm.AddChild("/a", 1);
  wm.AddPersistent("/a", 1, false);
  wm.AddPersistent("/a", 1, true);
  EXPECT_TRUE(wm.Remove("/a", 1, zk::kWatcherChildren));
  EXPECT_FALSE(wm.Contains("/a", 1, zk::kWatcherChildren));
  EXPECT_FALSE(wm.Contains("/a", 1, kPersistentType));  // persistent counts as a child watch
  EXPECT_TRUE(wm.Contains("/a", 1, kRecursiveType));
  EXPECT_TRUE(wm.Trigger("/a", kChildrenChanged).empty());
  EXPECT_EQ(wm.watch_count(), 2u);  // data + recursive
  EXPECT_FALSE(wm.Remove("/a", 1, zk::kWatcherChildren));  // nothing left of that kind
}

TEST(WatchManager, RemoveData) {
  WatchManager wm;
  wm.AddData("/a", 1);
  wm.AddChild("/a", 1);
  wm.AddPersistent("/a", 1, false);
  wm.AddPersistent("/a", 1, true);
  EXPECT_TRUE(wm.Remove("/a", 1, zk::kWatcherData));
  EXPECT_EQ(wm.watch_count(), 1u);
  EXPECT_TRUE(wm.Contains("/a", 1, zk::kWatcherChildren));
  EXPECT_FALSE(wm.Contains("/a", 1, zk::kWatcherData));
  EXPECT_TRUE(wm.Trigger("/a", kDataChanged).empty());
  EXPECT_FALSE(wm.Remove("/a", 1, zk::kWatcherData));
}

TEST(WatchManager, RemoveAny) {
  WatchManager wm;
  wm.AddData("/a", 1);
  wm.AddChild("/a", 1);
  wm.AddPersistent("/a", 1, false);
  wm.AddPersistent("/a", 1, true);
  wm.AddData("/a", 2);
  EXPECT_TRUE(wm.Remove("/a", 1, zk::kWatcherAny));
  EXPECT_EQ(wm.watch_count(), 1u);
  // Watcher 2's data watch is still on /a, and ZooKeeper answers per path.
  EXPECT_TRUE(wm.Contains("/a", 1, zk::kWatcherAny));
  EXPECT_TRUE(wm.Contains("/a", 2, zk::kWatcherData));
  EXPECT_FALSE(wm.Remove("/a", 1, zk::kWatcherAny));
}

TEST(WatchManager, RemovePersistentAndRecursiveOnly) {
  WatchManager wm;
  wm.AddData("/a", 1);
  wm.AddPersistent("/a", 1, false);
  wm.AddPersistent("/a", 1, true);
  EXPECT_TRUE(wm.Remove("/a", 1, kPersistentType));
  EXPECT_FALSE(wm.Remove("/a", 1, kPersistentType));
  EXPECT_TRUE(wm.Contains("/a", 1, kRecursiveType));
  EXPECT_TRUE(wm.Contains("/a", 1, zk::kWatcherData));
  EXPECT_TRUE(wm.Remove("/a", 1, kRecursiveType));
  EXPECT_FALSE(wm.Remove("/a", 1, kRecursiveType));
  EXPECT_EQ(wm.watch_count(), 1u);  // the data watch
  EXPECT_FALSE(wm.Remove("/a", 1, 0));
  EXPECT_FALSE(wm.Remove("/a", 1, 9));
  EXPECT_EQ(wm.watch_count(), 1u);
}

TEST(WatchManager, RemoveOnlyTouchesThatWatcherAndPath) {
  WatchManager wm;
  wm.AddData("/a", 1);
  wm.AddData("/a", 2);
  wm.AddData("/b", 1);
  EXPECT_FALSE(wm.Remove("/a", 3, zk::kWatcherAny));
  EXPECT_FALSE(wm.Remove("/c", 1, zk::kWatcherAny));
  EXPECT_TRUE(wm.Remove("/a", 1, zk::kWatcherData));
  EXPECT_EQ(Watchers(wm.Trigger("/a", kDataChanged)), std::set<WatcherId>{2});
  EXPECT_EQ(Watchers(wm.Trigger("/b", kDataChanged)), std::set<WatcherId>{1});
}

TEST(WatchManager, RemoveWatcherDropsEverythingOfThatWatcher) {
  WatchManager wm;
  wm.AddData("/a", 1);
  wm.AddChild("/b", 1);
  wm.AddPersistent("/c", 1, false);
  wm.AddPersistent("/", 1, true);
  wm.AddData("/a", 2);
  wm.AddPersistent("/c", 2, false);
  EXPECT_EQ(wm.watch_count(), 6u);
  wm.RemoveWatcher(1);
  EXPECT_EQ(wm.watch_count(), 2u);
  EXPECT_EQ(wm.ByWatcher().count(1), 0u);
  EXPECT_EQ(Watchers(wm.Trigger("/a", kDataChanged)), std::set<WatcherId>{2});
  EXPECT_TRUE(wm.Trigger("/b", kChildrenChanged).empty());
  EXPECT_EQ(Watchers(wm.Trigger("/c", kDataChanged)), std::set<WatcherId>{2});
  wm.RemoveWatcher(1);  // idempotent
  wm.RemoveWatcher(42);
  EXPECT_EQ(wm.watch_count(), 1u);  // /c persistent of watcher 2
}

TEST(WatchManager, Summaries) {
  WatchManager wm;
  wm.AddData("/a", 1);
  wm.AddChild("/a", 1);
  wm.AddData("/b", 2);
  wm.AddPersistent("/c", 1, true);
  EXPECT_EQ(wm.watch_count(), 4u);
  auto by_watcher = wm.ByWatcher();
  EXPECT_EQ(by_watcher[1], (std::set<std::string>{"/a", "/c"}));
  EXPECT_EQ(by_watcher[2], (std::set<std::string>{"/b"}));
  auto by_path = wm.ByPath();
  EXPECT_EQ(by_path.size(), 3u);
  EXPECT_EQ(by_path["/a"], (std::set<WatcherId>{1}));
  EXPECT_EQ(by_path["/b"], (std::set<WatcherId>{2}));
  EXPECT_EQ(by_path["/c"], (std::set<WatcherId>{1}));
}

TEST(WatchManager, TriggerWithNoWatchesIsEmpty) {
  WatchManager wm;
  for (int32_t type : {kCreated, kDeleted, kDataChanged, kChildrenChanged}) {
    EXPECT_TRUE(wm.Trigger("/x", type).empty());
  }
  EXPECT_EQ(wm.watch_count(), 0u);
}

}  // namespace
}  // namespace corral
