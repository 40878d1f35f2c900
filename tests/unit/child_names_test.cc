#include "statemachine/child_names.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

namespace corral {
namespace {

std::vector<std::string> Names(const ChildNames& names) {
  return std::vector<std::string>(names.begin(), names.end());
}

// Every observable of `names` agrees with the model.
void ExpectSame(const ChildNames& names, const std::set<std::string>& model) {
  ASSERT_EQ(names.size(), model.size());
  ASSERT_EQ(names.empty(), model.empty());
  ASSERT_EQ(Names(names), std::vector<std::string>(model.begin(), model.end()));
  if (!model.empty()) {
    ASSERT_EQ(names.last(), *model.rbegin());
  }
  ASSERT_TRUE(names == model);
}

TEST(ChildNames, LeafHoldsNothing) {
  ChildNames names;
  EXPECT_TRUE(names.empty());
  EXPECT_EQ(names.begin(), names.end());
  EXPECT_FALSE(names.contains("a"));
  EXPECT_FALSE(names.Erase("a"));
  EXPECT_EQ(names.allocated_bytes(), 0u);
  EXPECT_EQ(sizeof(ChildNames), sizeof(void*));
}

TEST(ChildNames, KeepsNamesSortedAndUnique) {
  ChildNames names;
  for (const char* n : {"b", "a", "c", "b", "", "ab"}) names.Insert(n);
  ExpectSame(names, {"", "a", "ab", "b", "c"});
  EXPECT_TRUE(names.contains(""));
  EXPECT_TRUE(names.contains("ab"));
  EXPECT_FALSE(names.contains("aa"));
  EXPECT_TRUE(names.Erase("ab"));
  EXPECT_FALSE(names.Erase("ab"));
  EXPECT_TRUE(names.Erase("c"));
  ExpectSame(names, {"", "a", "b"});
}

TEST(ChildNames, WrongAtEndHintStillSorts) {
  ChildNames names;
  names.Insert("m", true);
  names.Insert("a", true);  // not above "m": placed by search
  names.Insert("m", true);  // present
  names.Insert("z", true);
  ExpectSame(names, {"a", "m", "z"});
}

TEST(ChildNames, LongNamesAndNamesLargerThanAChunk) {
  std::set<std::string> model;
  ChildNames names;
  for (size_t length : {size_t{127}, size_t{128}, size_t{300}, size_t{16383}, size_t{16384},
                        ChildNames::kChunkBytesMax * 3}) {
    for (char c : {'q', 'b', 'x'}) {
      std::string name(length, c);
      names.Insert(name);
      model.insert(name);
      ExpectSame(names, model);
    }
  }
  for (const std::string& name : std::set<std::string>(model)) {
    ASSERT_TRUE(names.Erase(name));
    model.erase(name);
    ExpectSame(names, model);
  }
}

// Random inserts and erases over many chunks (splits and merges) agree with std::set, and a
// copy is equal and independent.
TEST(ChildNames, AgreesWithSetUnderRandomChanges) {
  std::mt19937 random(20261122);
  std::set<std::string> model;
  ChildNames names;
  auto random_name = [&] {
    std::string name = "n" + std::to_string(random() % 20000);
    if (random() % 16 == 0) name.append(random() % 200, 'x');
    return name;
  };
  for (int step = 0; step < 60000; ++step) {
    std::string name = random_name();
    // Grow for the first half, then shrink: chunks split, then empty and merge.
    bool insert = step < 30000 ? random() % 4 != 0 : random() % 4 == 0;
    if (insert) {
      names.Insert(name, random() % 2 == 0);
      model.insert(name);
    } else {
      ASSERT_EQ(names.Erase(name), model.erase(name) == 1) << name;
    }
    ASSERT_EQ(names.contains(name), model.count(name) == 1) << name;
    ASSERT_EQ(names.size(), model.size());
    if (!model.empty()) {
      ASSERT_EQ(names.last(), *model.rbegin()) << "step " << step;
    }
    if (step % 5000 == 0) ExpectSame(names, model);
  }
  ExpectSame(names, model);
  ChildNames copy = names;
  EXPECT_TRUE(copy == names);
  copy.Insert("zzz-only-in-copy");
  EXPECT_FALSE(names.contains("zzz-only-in-copy"));
  for (const std::string& name : std::set<std::string>(model)) {
    ASSERT_TRUE(names.Erase(name));
  }
  EXPECT_TRUE(names.empty());
  EXPECT_EQ(names.begin(), names.end());
}

// Emptied, the list refills (in order and not); huge names sit between short ones; the parent
// counters survive copies, moves and emptying.
TEST(ChildNames, RefillAfterEmptyHugeNamesMidChunkAndCounters) {
  ChildNames names;
  names.mutable_counters().cversion = 7;
  for (const char* n : {"a", "b", "c"}) names.Insert(n);
  for (const char* n : {"a", "b", "c"}) ASSERT_TRUE(names.Erase(n));
  EXPECT_TRUE(names.empty());
  EXPECT_EQ(names.begin(), names.end());
  names.Insert("m", /*at_end=*/true);
  names.Insert("k", /*at_end=*/true);
  std::set<std::string> model{"k", "m"};
  ExpectSame(names, model);
  for (int i = 0; i < 300; ++i) {
    std::string name = "n" + std::to_string(i * 7 % 300);
    if (i % 50 == 0) name.append(ChildNames::kChunkBytesMax + 100, 'x');
    names.Insert(name);
    model.insert(name);
  }
  ExpectSame(names, model);
  ChildNames copy = names;
  ChildNames moved = std::move(copy);
  ASSERT_NE(moved.counters(), nullptr);
  EXPECT_EQ(moved.counters()->cversion, 7);
  for (const std::string& name : model) ASSERT_TRUE(moved.Erase(name));
  ASSERT_NE(moved.counters(), nullptr);
  EXPECT_EQ(moved.counters()->cversion, 7);
  ExpectSame(names, model);  // the original is untouched
}

// The point of the representation: a name costs its bytes and a length byte, not a tree node.
TEST(ChildNames, StaysCompact) {
  ChildNames in_order, shuffled;
  std::vector<std::string> all;
  for (int i = 0; i < 100000; ++i) {
    char name[16];
    snprintf(name, sizeof name, "n%08d", i);
    all.emplace_back(name);
  }
  for (const std::string& name : all) in_order.Insert(name, /*at_end=*/true);
  std::shuffle(all.begin(), all.end(), std::mt19937(7));
  for (const std::string& name : all) shuffled.Insert(name);
  EXPECT_TRUE(in_order == shuffled);
  // 10 bytes per 9-byte name; appended in order the chunks are full.
  EXPECT_LT(in_order.allocated_bytes(), 100000u * 11);
  // In random order chunks are half to completely full.
  EXPECT_LT(shuffled.allocated_bytes(), 100000u * 22);
  // Emptied down to a few names, the chunks merge back.
  for (size_t i = 10; i < all.size(); ++i) ASSERT_TRUE(shuffled.Erase(all[i]));
  EXPECT_EQ(shuffled.size(), 10u);
  EXPECT_LT(shuffled.allocated_bytes(), 2 * ChildNames::kChunkBytesMax);
}

}  // namespace
}  // namespace corral
