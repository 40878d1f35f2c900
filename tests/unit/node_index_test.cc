// statemachine/node_index.h against std::unordered_map as the model, and DataTree::RestoreNode
// in snapshot order and in any other order.
#include "statemachine/node_index.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "statemachine/data_tree.h"

namespace corral {
namespace {

Znode NodeWithData(std::string data) {
  Znode n;
  n.data.Assign(data, false);
  return n;
}

void ExpectSameAs(const NodeIndex& index, const std::unordered_map<std::string, std::string>& model,
                  const std::vector<std::string>& every_key) {
  ASSERT_EQ(index.size(), model.size());
  for (const auto& key : every_key) {
    auto it = model.find(key);
    NodeIndex::Entry* e = index.Find(key);
    if (it == model.end()) {
      EXPECT_EQ(e, nullptr) << key;
    } else {
      ASSERT_NE(e, nullptr) << key;
      EXPECT_EQ(e->path(), key);
      EXPECT_EQ(e->node.data, it->second);
    }
  }
}

TEST(NodeIndex, EmptyFindsNothingAndErasesNothing) {
  NodeIndex index;
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.Find("/"), nullptr);
  EXPECT_FALSE(index.Erase("/"));
}

TEST(NodeIndex, EmplaceKeepsTheFirstValue) {
  NodeIndex index;
  auto [a, added] = index.Emplace("/a", NodeWithData("1"));
  EXPECT_TRUE(added);
  auto [again, added_again] = index.Emplace("/a", NodeWithData("2"));
  EXPECT_FALSE(added_again);
  EXPECT_EQ(again, a);
  EXPECT_EQ(index.Find("/a")->node.data, "1");
  EXPECT_EQ(index.size(), 1u);
}

TEST(NodeIndex, EntriesStayPutWhileTheIndexGrows) {
  NodeIndex index;
  NodeIndex::Entry* first = index.Emplace("/first", NodeWithData("x")).first;
  for (int i = 0; i < 10000; ++i) index.EmplaceAbsent("/n" + std::to_string(i), Znode{});
  EXPECT_EQ(index.Find("/first"), first);
  EXPECT_EQ(first->node.data, "x");
  EXPECT_EQ(index.size(), 10001u);
}

// Random inserts, erases and lookups on a small key space, so probe runs form, wrap around the
// end of the slot array and get holes punched into them by erases (the backward shift).
TEST(NodeIndex, MatchesAHashMapUnderRandomOperations) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    std::vector<std::string> keys;
    for (int i = 0; i < 300; ++i) keys.push_back("/k" + std::to_string(i * 7919 % 1000));
    NodeIndex index;
    std::unordered_map<std::string, std::string> model;
    for (int step = 0; step < 5000; ++step) {
      const std::string& key = keys[rng() % keys.size()];
      switch (rng() % 4) {
        case 0:
        case 1: {
          std::string value = std::to_string(step);
          bool added = index.Emplace(key, NodeWithData(value)).second;
          EXPECT_EQ(added, model.emplace(key, value).second);
          break;
        }
        case 2:
          EXPECT_EQ(index.Erase(key), model.erase(key) == 1) << "seed " << seed;
          break;
        case 3:
          if (model.count(key) == 0) {
            index.EmplaceAbsent(key, NodeWithData("absent" + std::to_string(step)));
            model.emplace(key, "absent" + std::to_string(step));
          }
          break;
      }
      if (step % 500 == 0) ExpectSameAs(index, model, keys);
    }
    ExpectSameAs(index, model, keys);
    // Copies are deep and moves leave the source empty.
    NodeIndex copy = index;
    ExpectSameAs(copy, model, keys);
    for (const auto& [key, value] : model) EXPECT_NE(copy.Find(key), index.Find(key));
    NodeIndex moved = std::move(copy);
    ExpectSameAs(moved, model, keys);
    EXPECT_EQ(copy.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty
    EXPECT_EQ(copy.Find(keys[0]), nullptr);
    // Erasing everything leaves an empty index that works.
    for (const auto& key : keys) index.Erase(key);
    EXPECT_EQ(index.size(), 0u);
    index.Emplace("/again", Znode{});
    EXPECT_NE(index.Find("/again"), nullptr);
  }
}

TEST(NodeIndex, EntriesWhoseSlotsAreNotWrittenYetAreFoundCopiedAndErased) {
  // EmplaceAbsent queues its last few slot writes: everything must see those entries.
  for (int count : {1, 3, 8, 9, 20}) {
    NodeIndex index;
    index.Emplace("/", Znode{});
    for (int i = 0; i < count; ++i) index.EmplaceAbsent("/q" + std::to_string(i), {});
    EXPECT_EQ(index.size(), static_cast<size_t>(count) + 1);
    for (int i = 0; i < count; ++i) EXPECT_NE(index.Find("/q" + std::to_string(i)), nullptr);
    NodeIndex copy = index;
    NodeIndex moved = std::move(index);
    for (NodeIndex* each : {&copy, &moved}) {
      for (int i = 0; i < count; ++i) {
        ASSERT_NE(each->Find("/q" + std::to_string(i)), nullptr) << count << " " << i;
      }
      EXPECT_FALSE(each->Emplace("/q0", Znode{}).second);
      EXPECT_TRUE(each->Erase("/q" + std::to_string(count - 1)));
      EXPECT_EQ(each->Find("/q" + std::to_string(count - 1)), nullptr);
      EXPECT_EQ(each->size(), static_cast<size_t>(count));
    }
  }
}

TEST(NodeIndex, ReserveMakesRoomUpFront) {
  NodeIndex index;
  index.Reserve(1000);
  std::vector<NodeIndex::Entry*> entries;
  for (int i = 0; i < 1000; ++i)
    entries.push_back(index.EmplaceAbsent("/" + std::to_string(i), {}));
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(index.Find("/" + std::to_string(i)), entries[i]);
}

// RestoreNode --------------------------------------------------------------------------------

Znode Fresh() { return Znode{}; }

TEST(DataTreeRestore, DepthFirstOrderBuildsTheTree) {
  DataTree tree;
  ASSERT_TRUE(tree.RestoreNode("/", Fresh()));
  for (const char* p : {"/a", "/a/x", "/a/x/deep", "/a/y", "/b", "/b/z", "/c"}) {
    ASSERT_TRUE(tree.RestoreNode(p, NodeWithData(p))) << p;
  }
  EXPECT_EQ(tree.node_count(), 8u);
  EXPECT_EQ(tree.Find("/a")->children, (std::set<std::string>{"x", "y"}));
  EXPECT_EQ(tree.Find("/a/x")->children, (std::set<std::string>{"deep"}));
  EXPECT_EQ(tree.Find("/")->children, (std::set<std::string>{"a", "b", "c"}));
  EXPECT_EQ(tree.Find("/b/z")->data, "/b/z");
}

TEST(DataTreeRestore, AnyParentsFirstOrderWorksToo) {
  // Parents before children, but neither depth first nor siblings sorted: the cache of the
  // last node's ancestors misses and lookups take over.
  DataTree tree;
  ASSERT_TRUE(tree.RestoreNode("/", Fresh()));
  for (const char* p : {"/b", "/a", "/b/z", "/a/y", "/b/y", "/a/y/q", "/c", "/a/x"}) {
    ASSERT_TRUE(tree.RestoreNode(p, NodeWithData(p))) << p;
  }
  EXPECT_EQ(tree.node_count(), 9u);
  EXPECT_EQ(tree.Find("/a")->children, (std::set<std::string>{"x", "y"}));
  EXPECT_EQ(tree.Find("/b")->children, (std::set<std::string>{"y", "z"}));
  EXPECT_EQ(tree.Find("/")->children, (std::set<std::string>{"a", "b", "c"}));
  EXPECT_EQ(tree.Find("/a/y/q")->data, "/a/y/q");
  std::vector<std::string> visited;
  tree.ForEach([&](const std::string& p, const Znode&) { visited.push_back(p); });
  EXPECT_EQ(visited, (std::vector<std::string>{"/", "/a", "/a/x", "/a/y", "/a/y/q", "/b", "/b/y",
                                               "/b/z", "/c"}));
}

TEST(DataTreeRestore, DuplicatesAndOrphansAreRefusedInEitherOrder) {
  DataTree tree;
  ASSERT_TRUE(tree.RestoreNode("/", Fresh()));
  ASSERT_TRUE(tree.RestoreNode("/a", Fresh()));
  ASSERT_TRUE(tree.RestoreNode("/a/m", Fresh()));
  EXPECT_FALSE(tree.RestoreNode("/a/m", Fresh()));  // right after itself
  ASSERT_TRUE(tree.RestoreNode("/a/n", Fresh()));
  EXPECT_FALSE(tree.RestoreNode("/a/m", Fresh()));  // a sibling came in between
  EXPECT_FALSE(tree.RestoreNode("/a", Fresh()));    // an ancestor of the last node
  EXPECT_FALSE(tree.RestoreNode("/nope/x", Fresh()));
  EXPECT_FALSE(tree.RestoreNode("/a//x", Fresh()));
  EXPECT_FALSE(tree.RestoreNode("/a/", Fresh()));
  EXPECT_FALSE(tree.RestoreNode("a", Fresh()));
  EXPECT_FALSE(tree.RestoreNode("/", Fresh()));  // the root only first
  EXPECT_EQ(tree.node_count(), 4u);
  EXPECT_EQ(tree.Find("/a")->children, (std::set<std::string>{"m", "n"}));
  // And the tree still takes nodes after the refusals.
  EXPECT_TRUE(tree.RestoreNode("/a/o", Fresh()));
  EXPECT_TRUE(tree.RestoreNode("/a/l", Fresh()));
  EXPECT_EQ(tree.Find("/a")->children, (std::set<std::string>{"l", "m", "n", "o"}));
}

TEST(DataTreeRestore, ADeleteDuringRestoreDropsTheCache) {
  DataTree tree;
  ASSERT_TRUE(tree.RestoreNode("/", Fresh()));
  ASSERT_TRUE(tree.RestoreNode("/a", Fresh()));
  ASSERT_TRUE(tree.RestoreNode("/a/b", Fresh()));
  tree.Delete("/a/b", 5, nullptr);
  tree.Delete("/a", 6, nullptr);
  EXPECT_FALSE(tree.RestoreNode("/a/c", Fresh()));  // no parent any more
  EXPECT_TRUE(tree.RestoreNode("/d", Fresh()));
  EXPECT_EQ(tree.node_count(), 2u);
}

TEST(DataTreeRestore, ACopyMadeDuringRestoreRestoresOnItsOwn) {
  // The copy must not reuse the original's cache of ancestors (pointers into the original).
  auto original = std::make_unique<DataTree>();
  ASSERT_TRUE(original->RestoreNode("/", Fresh()));
  ASSERT_TRUE(original->RestoreNode("/a", Fresh()));
  ASSERT_TRUE(original->RestoreNode("/a/b", Fresh()));
  DataTree copy = *original;
  original.reset();
  ASSERT_TRUE(copy.RestoreNode("/a/c", Fresh()));
  ASSERT_TRUE(copy.RestoreNode("/a/c/d", Fresh()));
  EXPECT_EQ(copy.Find("/a")->children, (std::set<std::string>{"b", "c"}));
  EXPECT_EQ(copy.node_count(), 5u);
  DataTree moved = std::move(copy);
  ASSERT_TRUE(moved.RestoreNode("/a/e", Fresh()));
  EXPECT_EQ(moved.Find("/a")->children, (std::set<std::string>{"b", "c", "e"}));
}

}  // namespace
}  // namespace corral
