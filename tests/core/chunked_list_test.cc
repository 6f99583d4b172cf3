#include "core/chunked_list.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace interdict {
namespace {

// A keyed element: lists of these are ordered by key, and a Merge may replace the value.
struct Item {
  int key = 0;
  int value = 0;
  friend bool operator==(const Item&, const Item&) = default;
};
struct ItemLess {
  bool operator()(const Item& a, const Item& b) const { return a.key < b.key; }
  bool operator()(const Item& a, int b) const { return a.key < b; }
  bool operator()(int a, const Item& b) const { return a < b.key; }
};
using List = ChunkedList<Item, ItemLess>;

std::vector<Item> Of(const std::map<int, int>& m) {
  std::vector<Item> out;
  for (const auto& [k, v] : m) out.push_back({k, v});
  return out;
}

TEST(ChunkedList, BuildsSortedAndFinds) {
  const List empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.begin(), empty.end());
  EXPECT_EQ(empty.Find(1), nullptr);

  std::vector<Item> items;
  for (int k = 2000; k > 0; --k) items.push_back({k * 2, k});
  const List list(items);  // given in reverse: sorted by the constructor
  ASSERT_EQ(list.size(), 2000U);
  EXPECT_EQ(list.front().key, 2);
  EXPECT_EQ(list.back().key, 4000);
  int previous = 0;
  std::size_t n = 0;
  for (const Item& i : list) {
    EXPECT_GT(i.key, previous);
    previous = i.key;
    ++n;
  }
  EXPECT_EQ(n, 2000U);
  for (int k = 0; k <= 4001; ++k) {
    const Item* found = list.Find(k);
    if (k % 2 == 0 && k >= 2 && k <= 4000) {
      ASSERT_NE(found, nullptr) << k;
      EXPECT_EQ(found->value, k / 2);
    } else {
      EXPECT_EQ(found, nullptr) << k;
    }
  }
}

// Random merges against std::map, from empty and from large lists: inserts at both ends and
// in the middle, long runs that split a chunk, removals that empty chunks and join short ones.
TEST(ChunkedList, MergeEqualsAMapUnderRandomEdits) {
  std::mt19937 rng(11);
  std::map<int, int> model;
  List list;
  for (int step = 0; step < 400; ++step) {
    std::map<int, int> put;
    std::set<int> remove;
    const int shape = static_cast<int>(rng() % 5);
    const int base = static_cast<int>(rng() % 20000);
    const int count = shape == 0 ? 1500 : static_cast<int>(rng() % 60);
    for (int i = 0; i < count; ++i) {
      const int key = shape == 0 ? base + i : static_cast<int>(rng() % 20000);
      if (shape == 3 || (shape == 4 && i % 2 == 0)) {
        remove.insert(key);
      } else {
        put[key] = step;
      }
    }
    if (shape == 2 && !model.empty()) {  // a run of neighbours removed: empties chunks
      auto it = model.lower_bound(base);
      for (int i = 0; i < 900 && it != model.end(); ++i, ++it) remove.insert(it->first);
    }
    for (const auto& [k, v] : put) remove.erase(k);
    const List before = list;
    const std::vector<Item> before_items = before.ToVector();
    list = list.Merge(Of(put), std::vector<int>(remove.begin(), remove.end()));
    for (const int k : remove) model.erase(k);
    for (const auto& [k, v] : put) model[k] = v;
    ASSERT_EQ(list.size(), model.size()) << "step " << step;
    ASSERT_EQ(list.ToVector(), Of(model)) << "step " << step;
    // The earlier version is untouched.
    ASSERT_EQ(before.ToVector(), before_items) << "step " << step;
    for (int probe = 0; probe < 50; ++probe) {
      const int k = static_cast<int>(rng() % 20000);
      const Item* found = list.Find(k);
      const auto it = model.find(k);
      ASSERT_EQ(found != nullptr, it != model.end()) << k;
      if (found != nullptr) {
        EXPECT_EQ(found->value, it->second);
      }
    }
  }
  EXPECT_GT(model.size(), 1000U);
}

TEST(ChunkedList, EqualityIgnoresChunkBoundaries) {
  std::vector<Item> items;
  for (int k = 0; k < 3000; ++k) items.push_back({k, 0});
  const List whole(items);
  // The same elements reached through many small merges.
  List built;
  for (int k = 2999; k >= 0; k -= 3) {
    std::vector<Item> put;
    for (int j = std::max(0, k - 2); j <= k; ++j) put.push_back({j, 0});
    built = built.Merge(std::move(put), std::vector<int>{});
  }
  EXPECT_EQ(built, whole);
  const List changed = whole.Merge({{1500, 1}}, std::vector<int>{});
  EXPECT_FALSE(changed == whole);
  const List shorter = whole.Merge({}, std::vector<int>{2999});
  EXPECT_FALSE(shorter == whole);
}

}  // namespace
}  // namespace interdict
