// statemachine/znode_data.h, alone and inline in NodeIndex entries, and the size of a Znode.
#include "statemachine/znode_data.h"

#include <gtest/gtest.h>

#include <string>

#include "statemachine/data_tree.h"
#include "statemachine/node_index.h"
#include "zk/codes.h"

namespace corral {
namespace {

Znode WithData(std::string_view bytes, bool is_null = false) {
  Znode n;
  n.data.Assign(bytes, is_null);
  return n;
}

TEST(ZnodeData, EmptyNullAndBytesAreDistinct) {
  ZnodeData empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_FALSE(empty.is_null());
  EXPECT_EQ(empty.view(), "");
  ZnodeData null("", true);
  EXPECT_TRUE(null.is_null());
  EXPECT_EQ(null.size(), 0u);
  ZnodeData bytes(std::string("a\0b", 3));
  EXPECT_EQ(bytes.size(), 3u);
  EXPECT_EQ(bytes.view(), std::string_view("a\0b", 3));
  ZnodeData copy = null;
  EXPECT_TRUE(copy.is_null());
  copy = bytes;
  EXPECT_EQ(copy.view(), bytes.view());
  EXPECT_NE(copy.data(), bytes.data());       // a copy owns its bytes
  copy.Assign(copy.view().substr(1), false);  // from its own bytes
  EXPECT_EQ(copy.view(), std::string_view("\0b", 2));
  ZnodeData moved = std::move(copy);
  EXPECT_EQ(moved.size(), 2u);
  EXPECT_EQ(sizeof(ZnodeData), sizeof(void*));
}

TEST(ZnodeData, LargeDataIsExact) {
  std::string big(ZnodeData::kInlineBytesMax + 10, 'x');
  ZnodeData d(big);
  EXPECT_EQ(d.view(), big);
  EXPECT_EQ(d.inline_bytes(), 0u);  // too long for the inline form
}

// A small znode's data lives in its entry's block; rewriting it keeps it there while it fits,
// and a copy or a move of the Znode never points into an entry.
TEST(ZnodeData, InlineInAnEntry) {
  NodeIndex index;
  NodeIndex::Entry* e = index.Emplace("/n", WithData("0123456789")).first;
  EXPECT_TRUE(e->node.data.is_inline());
  EXPECT_EQ(e->node.data.view(), "0123456789");
  // The bytes follow the path in the same block.
  EXPECT_EQ(e->node.data.data(), e->path().data() + e->path().size());

  e->node.data.Assign("abc", false);  // shorter: in place
  EXPECT_TRUE(e->node.data.is_inline());
  EXPECT_EQ(e->node.data.view(), "abc");

  Znode copy = e->node;
  Znode moved = std::move(e->node);
  EXPECT_FALSE(copy.data.is_inline());
  EXPECT_FALSE(moved.data.is_inline());
  EXPECT_EQ(e->node.data.view(), "abc");  // a move out of an entry copies inline bytes
  ASSERT_TRUE(index.Erase("/n"));
  EXPECT_EQ(copy.data.view(), "abc");
  EXPECT_EQ(moved.data.view(), "abc");

  NodeIndex::Entry* g = index.Emplace("/g", WithData("ab")).first;
  g->node.data.Assign("longer than before", false);  // longer: a block of its own
  EXPECT_FALSE(g->node.data.is_inline());
  EXPECT_EQ(g->node.data.view(), "longer than before");
  g->node.data.Assign("", true);
  EXPECT_TRUE(g->node.data.is_null());

  NodeIndex::Entry* z = index.Emplace("/z", WithData("", true)).first;
  EXPECT_TRUE(z->node.data.is_null());
  EXPECT_FALSE(z->node.data.is_inline());

  // A copy of the index has its own entries and its own inline bytes.
  NodeIndex::Entry* k = index.Emplace("/k", WithData("kept")).first;
  NodeIndex copied(index);
  NodeIndex::Entry* k2 = copied.Find("/k");
  ASSERT_NE(k2, nullptr);
  EXPECT_TRUE(k2->node.data.is_inline());
  EXPECT_NE(k2->node.data.data(), k->node.data.data());
  k->node.data.Assign("KEPT", false);
  EXPECT_EQ(k2->node.data.view(), "kept");
}

// At the inline limit and one past it; shrinking keeps the bytes in place, growing again moves
// them out (the unused room is bounded by kInlineBytesMax); empty and null leave the room too.
TEST(ZnodeData, InlineLimitShrinkAndRegrow) {
  NodeIndex index;
  std::string at_limit(ZnodeData::kInlineBytesMax, 'a');
  std::string past_limit(ZnodeData::kInlineBytesMax + 1, 'b');
  EXPECT_TRUE(index.Emplace("/at", WithData(at_limit)).first->node.data.is_inline());
  EXPECT_FALSE(index.Emplace("/past", WithData(past_limit)).first->node.data.is_inline());
  ZnodeData& d = index.Find("/at")->node.data;
  d.Assign("z", false);
  EXPECT_TRUE(d.is_inline());
  EXPECT_EQ(d.view(), "z");
  d.Assign("zz", false);
  EXPECT_FALSE(d.is_inline());
  EXPECT_EQ(d.view(), "zz");
  NodeIndex::Entry* e = index.Emplace("/e", WithData("bytes")).first;
  e->node.data.Assign("", false);
  EXPECT_TRUE(e->node.data.empty());
  EXPECT_FALSE(e->node.data.is_null());
  e->node.data.Assign("", true);
  EXPECT_TRUE(e->node.data.is_null());
  // A root-like entry: a one-byte path, no data (a block no larger than the path needs).
  EXPECT_EQ(index.Emplace("/", Znode()).first->path(), "/");
}

// Two entries' Znodes swapped: each ends up with the other's bytes, owned or in place.
TEST(ZnodeData, SwappingZnodesOfTwoEntries) {
  NodeIndex index;
  NodeIndex::Entry* a = index.Emplace("/a", WithData("first")).first;
  NodeIndex::Entry* b = index.Emplace("/b", WithData("second value")).first;
  std::swap(a->node, b->node);
  EXPECT_EQ(a->node.data.view(), "second value");
  EXPECT_EQ(b->node.data.view(), "first");
  ASSERT_TRUE(index.Erase("/b"));
  EXPECT_EQ(a->node.data.view(), "second value");
}

// A failed multi undoes a setData on an inline znode and a create under a former leaf.
TEST(ZnodeData, UndoRestoresInlineDataAndALeafsCounters) {
  DataTree tree;
  AclRef open = tree.InternAcl({});
  tree.Create("/leaf", "0123456789", false, open, 0, 5, 100, nullptr);
  UndoLog undo;
  tree.SetData("/leaf", "a much longer value than before", false, 6, 200, &undo);
  tree.Create("/leaf/child", "c", false, open, 0, 6, 200, &undo);
  EXPECT_EQ(tree.Find("/leaf")->pzxid(), 6);
  EXPECT_EQ(tree.Find("/leaf")->cversion(), 1);
  undo.Rollback();
  const Znode* leaf = tree.Find("/leaf");
  ASSERT_NE(leaf, nullptr);
  EXPECT_EQ(leaf->data.view(), "0123456789");
  EXPECT_EQ(leaf->mzxid, 5);
  EXPECT_EQ(leaf->version, 0);
  EXPECT_EQ(leaf->pzxid(), 5);
  EXPECT_EQ(leaf->cversion(), 0);
  EXPECT_TRUE(leaf->children.empty());
  EXPECT_EQ(tree.Find("/leaf/child"), nullptr);
  EXPECT_EQ(leaf->ToStat().pzxid, 5);
}

// The point of the layout (docs/benchmarks.md): a leaf's fields in 72 bytes, so a znode with a
// 15-byte path and 100 bytes of data is one block of 191 bytes (the allocator's 192 class).
TEST(ZnodeLayout, LeafFieldsFitInSeventyTwoBytes) {
  EXPECT_EQ(sizeof(Znode), 72u);
  EXPECT_EQ(sizeof(NodeIndex::Entry), 80u);  // the Znode and the path's length
}

// pzxid and cversion cost a leaf nothing and behave as fields.
TEST(ZnodeLayout, ParentCountersAreAllocatedOnlyWhenTheyDifferFromALeafs) {
  Znode n;
  n.czxid = 7;
  EXPECT_EQ(n.pzxid(), 7);
  EXPECT_EQ(n.cversion(), 0);
  n.set_pzxid(7);
  n.set_cversion(0);
  EXPECT_EQ(n.children.counters(), nullptr);
  n.set_pzxid(9);
  EXPECT_EQ(n.pzxid(), 9);
  n.set_cversion(3);
  EXPECT_EQ(n.cversion(), 3);
  n.children.Insert("a");
  n.children.Erase("a");
  EXPECT_EQ(n.pzxid(), 9);
  EXPECT_EQ(n.cversion(), 3);

  DataTree tree;
  tree.Create("/p", "", false, tree.InternAcl({}), 0, 5, 0, nullptr);
  EXPECT_EQ(tree.Find("/p")->pzxid(), 5);
  tree.Create("/p/c", "", false, tree.InternAcl({}), 0, 6, 0, nullptr);
  EXPECT_EQ(tree.Find("/p")->pzxid(), 6);
  EXPECT_EQ(tree.Find("/p")->cversion(), 1);
  EXPECT_EQ(tree.Find("/p/c")->pzxid(), 6);
  EXPECT_EQ(tree.Find("/p/c")->children.counters(), nullptr);
  tree.Delete("/p/c", 8, nullptr);
  EXPECT_EQ(tree.Find("/p")->pzxid(), 8);
  EXPECT_EQ(tree.Find("/p")->cversion(), 1);
}

}  // namespace
}  // namespace corral

namespace corral {
namespace {

zk::AclList DigestAcl(int i) {
  return {zk::Acl{zk::kPermAll, zk::Id{"digest", "user" + std::to_string(i) + ":x"}}};
}

// Interned lists are shared, and the ones no znode holds any more are swept as distinct lists
// keep arriving (a client that sets a new ACL on every create does not grow the cache forever).
TEST(AclInterning, SharedListsAndUnusedOnesSwept) {
  DataTree tree;
  AclRef a = tree.InternAcl(DigestAcl(1));
  AclRef b = tree.InternAcl(DigestAcl(1));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(*a, DigestAcl(1));
  for (int i = 0; i < 1000; ++i) {
    std::string p = "/n" + std::to_string(i);
    tree.Create(p, "", false, tree.InternAcl(DigestAcl(i + 2)), 0, i + 1, 0, nullptr);
    tree.Delete(p, i + 1, nullptr);
  }
  EXPECT_LT(tree.interned_acl_count(), 300u);
  // Lists still held are kept.
  EXPECT_EQ(tree.InternAcl(DigestAcl(1)), a);
  EXPECT_EQ(a.use_count(), 3);  // a, b and the cache
}

}  // namespace
}  // namespace corral
