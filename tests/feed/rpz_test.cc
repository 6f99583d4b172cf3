#include "feed/rpz.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "feed/feed_testing.h"

namespace interdict::feed {
namespace {

using feedtest::T;

std::vector<std::string> Owners(const Target& t) {
  std::vector<std::string> out;
  for (const RpzTrigger& trigger : RpzTriggers(t)) out.push_back(trigger.owner);
  return out;
}

std::vector<std::string> Owners(std::string_view spelled) {
  return Owners(T(spelled));
}

// A view holding `targets` (each named by order 1).
ViewSet MakeView(const std::vector<Target>& targets, Serial serial = 1) {
  ViewSet v;
  v.registry_id = "test";
  v.serial = serial;
  std::vector<FeedEntry> entries;
  for (const Target& t : targets) entries.push_back({t, {1}});
  std::sort(entries.begin(), entries.end(), EntryLess{});
  entries.erase(
      std::unique(entries.begin(), entries.end(),
                  [](const FeedEntry& a, const FeedEntry& b) { return a.target == b.target; }),
      entries.end());
  v.entries = EntryList(std::move(entries));
  v.orders = {FeedOrder{1, "Court", "R-1", 0, Bit(Scope::kIsp), 0}};
  v.uses = CountUses(v.entries);
  return v;
}

RpzOwnerDelta DeltaBetween(const std::vector<Target>& then, const std::vector<Target>& now) {
  const ViewSet a = MakeView(then, 1);
  const ViewSet b = MakeView(now, 2);
  return RpzDelta(b, Diff(a, b));
}

using Strings = std::vector<std::string>;

TEST(RpzTriggers, DomainsAndTrees) {
  EXPECT_EQ(Owners("example.com"), Strings{"example.com"});
  EXPECT_EQ(Owners("*.example.com"), (Strings{"example.com", "*.example.com"}));
  EXPECT_EQ(Owners("xn--80ak6aa92e.com"), Strings{"xn--80ak6aa92e.com"});
}

TEST(RpzTriggers, IPv4AddressesAndNetworks) {
  EXPECT_EQ(Owners("192.0.2.1"), Strings{"32.1.2.0.192.rpz-ip"});
  EXPECT_EQ(Owners("cidr:192.0.2.1/32"), Strings{"32.1.2.0.192.rpz-ip"});
  EXPECT_EQ(Owners("192.0.2.0/24"), Strings{"24.0.2.0.192.rpz-ip"});
  EXPECT_EQ(Owners("10.0.0.0/8"), Strings{"8.0.0.0.10.rpz-ip"});
  EXPECT_EQ(Owners("128.0.0.0/1"), Strings{"1.0.0.0.128.rpz-ip"});
  // RPZ prefix lengths start at 1: a /0 is written as its two halves.
  EXPECT_EQ(Owners("0.0.0.0/0"), (Strings{"1.0.0.0.0.rpz-ip", "1.0.0.0.128.rpz-ip"}));
}

TEST(RpzTriggers, IPv6ZeroRuns) {
  struct Case {
    std::string_view target;
    std::string_view owner;
  };
  const Case cases[] = {
      {"::1", "128.1.zz.rpz-ip"},
      {"2001:db8::/32", "32.zz.db8.2001.rpz-ip"},
      // Two runs of zeros (groups 2-3 and 5-7): the longer one is zz.
      {"2001:db8:0:0:1::/80", "80.zz.1.0.0.db8.2001.rpz-ip"},
      // A run at the end of the address comes first in the owner.
      {"2001:db8:1:2:3:4::/96", "96.zz.4.3.2.1.db8.2001.rpz-ip"},
      // A run at the start.
      {"::2:3:4:5:6", "128.6.5.4.3.2.zz.rpz-ip"},
      // Two equal runs: the first one (in address order) is zz, as RFC 5952 and BIND do.
      {"2001:0:0:1:2:0:0:3", "128.3.0.0.2.1.zz.2001.rpz-ip"},
      // No zero group.
      {"2001:db8:1:2:3:4:5:6", "128.6.5.4.3.2.1.db8.2001.rpz-ip"},
      // A single zero group is written, not compressed.
      {"2001:db8:0:1:2:3:4:5", "128.5.4.3.2.1.0.db8.2001.rpz-ip"},
      // Lowercase hex without leading zeros.
      {"2001:DB8:ABCD:12::/64", "64.zz.12.abcd.db8.2001.rpz-ip"},
      {"cidr:2001:db8::1/128", "128.1.zz.db8.2001.rpz-ip"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Owners(c.target), Strings{std::string(c.owner)}) << c.target;
  }
  EXPECT_EQ(Owners("::/0"), (Strings{"1.zz.rpz-ip", "1.zz.8000.rpz-ip"}));
  EXPECT_EQ(Owners("8000::/1"), Strings{"1.zz.8000.rpz-ip"});
}

TEST(RpzTriggers, KindsWithoutAnRpzFormHaveNone) {
  EXPECT_TRUE(Owners("url:https://example.com/x").empty());
  EXPECT_TRUE(Owners("play:com.pirate.app").empty());
  EXPECT_TRUE(Owners("search:example.com").empty());
  // A name ending in a label RPZ reserves would read as another kind of trigger.
  for (const char* name : {"x.rpz-ip", "x.rpz-nsip", "x.rpz-nsdname", "a.x.rpz-client-ip"}) {
    EXPECT_TRUE(Owners(Target{TargetKind::kDomain, name}).empty()) << name;
    EXPECT_TRUE(Owners(Target{TargetKind::kDomainTree, name}).empty()) << name;
  }
  EXPECT_EQ(Owners(Target{TargetKind::kDomain, "rpz-ip.example"}), Strings{"rpz-ip.example"});
}

// What RpzDelta relies on: every owner names all its producers, the target itself among them,
// and every producer of an owner has that owner among its own triggers.
TEST(RpzTriggers, ProducersAreCompleteAndSymmetric) {
  std::vector<Target> pool;
  for (const std::string& s : feedtest::TargetPool()) pool.push_back(T(s));
  for (const char* extra : {"0.0.0.0/0", "0.0.0.0/1", "128.0.0.0/1", "::/0", "::/1", "8000::/1",
                            "*.d.example", "cidr:198.51.100.7/32"}) {
    pool.push_back(T(extra));
  }
  std::map<std::string, std::set<Target>> producers_of;
  for (const Target& t : pool) {
    for (const RpzTrigger& trigger : RpzTriggers(t)) {
      EXPECT_NE(std::find(trigger.producers.begin(), trigger.producers.end(), t),
                trigger.producers.end())
          << t.ToString() << " is not a producer of its own owner " << trigger.owner;
      for (const Target& p : trigger.producers) {
        const std::vector<std::string> of_p = Owners(p);
        EXPECT_NE(std::find(of_p.begin(), of_p.end(), trigger.owner), of_p.end())
            << p.ToString() << " is named a producer of " << trigger.owner << " but lacks it";
      }
      producers_of[trigger.owner].insert(t);
    }
  }
  // Any two pool targets sharing an owner name each other as producers.
  for (const Target& t : pool) {
    for (const RpzTrigger& trigger : RpzTriggers(t)) {
      for (const Target& other : producers_of[trigger.owner]) {
        EXPECT_NE(std::find(trigger.producers.begin(), trigger.producers.end(), other),
                  trigger.producers.end())
            << trigger.owner << ": " << other.ToString() << " missing from " << t.ToString()
            << "'s producers";
      }
    }
  }
}

TEST(RpzOwners, SharedOwnersAppearOnce) {
  EXPECT_EQ(RpzOwners(MakeView({T("x.example"), T("*.x.example")})),
            (Strings{"*.x.example", "x.example"}));
  EXPECT_EQ(RpzOwners(MakeView({T("192.0.2.1"), T("cidr:192.0.2.1/32")})),
            Strings{"32.1.2.0.192.rpz-ip"});
  EXPECT_EQ(RpzOwners(MakeView({T("url:https://x.example/"), T("play:com.x")})), Strings{});
}

TEST(RpzDelta, AnOwnerLeavesOnlyWhenNothingProducesIt) {
  // Domain and domain-tree on one name: removing the domain keeps "x" (the tree produces it).
  RpzOwnerDelta d = DeltaBetween({T("x.example"), T("*.x.example")}, {T("*.x.example")});
  EXPECT_TRUE(d.empty());
  // Removing the tree removes "*.x" but keeps "x" (the domain produces it).
  d = DeltaBetween({T("x.example"), T("*.x.example")}, {T("x.example")});
  EXPECT_EQ(d.removed, Strings{"*.x.example"});
  EXPECT_TRUE(d.added.empty());
  // Adding a tree over an existing domain adds "*.x" only.
  d = DeltaBetween({T("x.example")}, {T("x.example"), T("*.x.example")});
  EXPECT_EQ(d.added, Strings{"*.x.example"});
  EXPECT_TRUE(d.removed.empty());
  // An ip and its /32: removing one keeps the owner; removing both removes it once.
  d = DeltaBetween({T("192.0.2.1"), T("cidr:192.0.2.1/32")}, {T("192.0.2.1")});
  EXPECT_TRUE(d.empty());
  d = DeltaBetween({T("192.0.2.1"), T("cidr:192.0.2.1/32")}, {T("cidr:192.0.2.1/32")});
  EXPECT_TRUE(d.empty());
  d = DeltaBetween({T("192.0.2.1"), T("cidr:192.0.2.1/32")}, {});
  EXPECT_EQ(d.removed, Strings{"32.1.2.0.192.rpz-ip"});
  // An ip replaced by its /32 in the same delta: no change.
  d = DeltaBetween({T("2001:db8::1")}, {T("cidr:2001:db8::1/128")});
  EXPECT_TRUE(d.empty());
  // A /0 shares a half with a /1.
  d = DeltaBetween({T("0.0.0.0/0"), T("0.0.0.0/1")}, {T("0.0.0.0/1")});
  EXPECT_EQ(d.removed, Strings{"1.0.0.0.128.rpz-ip"});
  EXPECT_TRUE(d.added.empty());
}

// RpzDelta against the difference of owner sets, for random pairs of subsets of a pool where
// owners are shared often.
TEST(RpzDelta, EqualsTheDifferenceOfOwnerSets) {
  std::vector<Target> pool;
  for (const std::string& s : feedtest::TargetPool()) pool.push_back(T(s));
  for (const char* extra : {"0.0.0.0/0", "0.0.0.0/1", "::/0", "8000::/1", "*.d.example"}) {
    pool.push_back(T(extra));
  }
  std::mt19937_64 rng(7);
  auto subset = [&] {
    std::vector<Target> out;
    for (const Target& t : pool) {
      if (rng() % 2 == 0) out.push_back(t);
    }
    return out;
  };
  for (int i = 0; i < 2000; ++i) {
    const ViewSet a = MakeView(subset(), 1);
    const ViewSet b = MakeView(subset(), 2);
    const RpzOwnerDelta d = RpzDelta(b, Diff(a, b));
    const Strings oa = RpzOwners(a);
    const Strings ob = RpzOwners(b);
    Strings gone;
    Strings fresh;
    std::set_difference(oa.begin(), oa.end(), ob.begin(), ob.end(), std::back_inserter(gone));
    std::set_difference(ob.begin(), ob.end(), oa.begin(), oa.end(), std::back_inserter(fresh));
    ASSERT_EQ(d.removed, gone) << "iteration " << i;
    ASSERT_EQ(d.added, fresh) << "iteration " << i;
  }
}

}  // namespace
}  // namespace interdict::feed
