#include "feed/view.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "feed/feed_testing.h"
#include "feed/follow.h"
#include "feed/rpz.h"

namespace interdict::feed {
namespace {

using feedtest::kActor;
using feedtest::kDay;
using feedtest::T;
using feedtest::TestRegistry;

constexpr ScopeSet kAllScopes =
    Bit(Scope::kIsp) | Bit(Scope::kVpn) | Bit(Scope::kSearch) | Bit(Scope::kAppstore);

// The kinds each view carries, written out here rather than taken from ViewCarries.
std::set<TargetKind> ExpectedKinds(View v) {
  using K = TargetKind;
  switch (v) {
    case View::kIsp:
    case View::kVpn: return {K::kDomain, K::kDomainTree, K::kUrl, K::kIp, K::kCidr};
    case View::kSearch: return {K::kDomain, K::kDomainTree, K::kUrl, K::kSearch};
    case View::kAppstore: return {K::kApp};
  }
  return {};
}

std::set<TargetKind> KindsOf(const ViewSet& v) {
  std::set<TargetKind> kinds;
  for (const FeedEntry& e : v.entries) kinds.insert(e.target.kind);
  return kinds;
}

std::vector<Target> TargetsOf(const ViewSet& v) {
  std::vector<Target> out;
  for (const FeedEntry& e : v.entries) out.push_back(e.target);
  return out;
}

const FeedEntry* Find(const ViewSet& v, std::string_view spelled) {
  const Target t = T(spelled);
  for (const FeedEntry& e : v.entries) {
    if (e.target == t) return &e;
  }
  return nullptr;
}

std::vector<Id> OrdersOf(const ViewSet& v, std::string_view spelled) {
  const FeedEntry* e = Find(v, spelled);
  return e == nullptr ? std::vector<Id>{} : e->orders;
}

std::vector<Id> Keys(const std::map<Id, FeedOrder>& m) {
  std::vector<Id> out;
  out.reserve(m.size());
  for (const auto& [id, o] : m) out.push_back(id);
  return out;
}

std::vector<Id> Keys(const OrderList& orders) {
  std::vector<Id> out;
  for (const FeedOrder& o : orders) out.push_back(o.id);
  return out;
}

TEST(ViewNames, RoundTripAndScopes) {
  for (const View v : kAllViews) {
    Result<View> back = ParseView(ViewName(v));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, v);
  }
  EXPECT_EQ(ViewName(View::kIsp), "isp");
  EXPECT_EQ(ViewName(View::kAppstore), "appstore");
  EXPECT_EQ(ViewScope(View::kVpn), Scope::kVpn);
  EXPECT_EQ(ViewScope(View::kSearch), Scope::kSearch);
  Result<View> bad = ParseView("dns");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("isp, vpn, search, appstore"), std::string::npos);
}

TEST(ViewCarries, EachViewCarriesExactlyItsKinds) {
  for (const View v : kAllViews) {
    const std::set<TargetKind> want = ExpectedKinds(v);
    for (int k = 0; k < kTargetKindCount; ++k) {
      const auto kind = static_cast<TargetKind>(k);
      EXPECT_EQ(ViewCarries(v, kind), want.contains(kind))
          << ViewName(v) << " " << TargetKindName(kind);
    }
  }
}

class ViewTest : public ::testing::Test {
 protected:
  TestRegistry r_;
};

TEST_F(ViewTest, EachViewHoldsTheKindsItCarriesOfTheOrdersOfItsScope) {
  const std::vector<std::string_view> every_kind = {
      "x.example",       "*.tree.example",      "url:https://x.example/a", "192.0.2.1",
      "198.51.100.0/24", "play:com.pirate.app", "search:x.example"};
  const Order all = r_.Create("ALL", kAllScopes, every_kind);
  const Order isp = r_.Create("ISP", Bit(Scope::kIsp), {"isp-only.example", "203.0.113.9"});
  const Order vpn = r_.Create("VPN", Bit(Scope::kVpn), {"vpn-only.example"});
  const Order sa = r_.Create("SEARCH+APP", Bit(Scope::kSearch) | Bit(Scope::kAppstore),
                             {"search:only.example", "apple:id1", "both.example"});

  for (const View v : kAllViews) {
    const ViewSet set = r_.View(v);
    EXPECT_EQ(KindsOf(set), ExpectedKinds(v)) << ViewName(v);
    EXPECT_EQ(set.view, v);
    EXPECT_EQ(set.serial, r_.CurrentSerial());
    EXPECT_FALSE(set.registry_id.empty());
    // Sorted by target, one entry per target.
    const std::vector<FeedEntry> entries = set.entries.ToVector();
    for (std::size_t i = 1; i < entries.size(); ++i) {
      EXPECT_LT(entries[i - 1].target, entries[i].target);
    }
    // Every order named is described, and no other.
    std::set<Id> named;
    for (const FeedEntry& e : set.entries) named.insert(e.orders.begin(), e.orders.end());
    EXPECT_EQ(std::vector<Id>(named.begin(), named.end()), Keys(set.orders));
  }

  const ViewSet isp_view = r_.View(View::kIsp);
  EXPECT_EQ(TargetsOf(isp_view),
            (std::vector<Target>{T("isp-only.example"), T("x.example"), T("*.tree.example"),
                                 T("url:https://x.example/a"), T("192.0.2.1"), T("203.0.113.9"),
                                 T("198.51.100.0/24")}));
  EXPECT_EQ(Keys(isp_view.orders), (std::vector<Id>{all.id, isp.id}));
  ASSERT_NE(isp_view.order(isp.id), nullptr);
  EXPECT_EQ(isp_view.order(isp.id)->reference, "ISP");
  EXPECT_EQ(isp_view.order(isp.id)->body, "Court of Lima");
  EXPECT_EQ(isp_view.order(isp.id)->expires_at, isp.expires_at);
  EXPECT_EQ(isp_view.order(isp.id)->issued_at, isp.issued_at);
  EXPECT_EQ(isp_view.order(isp.id)->scope, Bit(Scope::kIsp));
  EXPECT_EQ(isp_view.order(vpn.id), nullptr);

  const ViewSet vpn_view = r_.View(View::kVpn);
  EXPECT_NE(Find(vpn_view, "vpn-only.example"), nullptr);
  EXPECT_EQ(Find(vpn_view, "isp-only.example"), nullptr);
  EXPECT_EQ(Keys(vpn_view.orders), (std::vector<Id>{all.id, vpn.id}));

  const ViewSet search = r_.View(View::kSearch);
  EXPECT_EQ(TargetsOf(search),
            (std::vector<Target>{T("both.example"), T("x.example"), T("*.tree.example"),
                                 T("url:https://x.example/a"), T("search:only.example"),
                                 T("search:x.example")}));
  EXPECT_EQ(Keys(search.orders), (std::vector<Id>{all.id, sa.id}));

  const ViewSet apps = r_.View(View::kAppstore);
  EXPECT_EQ(TargetsOf(apps), (std::vector<Target>{T("apple:id1"), T("play:com.pirate.app")}));
  EXPECT_EQ(OrdersOf(apps, "apple:id1"), (std::vector<Id>{sa.id}));
}

TEST_F(ViewTest, ATargetNamedByTwoOrdersStaysUntilBothAreLifted) {
  const Order a = r_.Create("A", Bit(Scope::kIsp), {"shared.example", "a-only.example"});
  const Order b = r_.Create("B", Bit(Scope::kIsp) | Bit(Scope::kVpn), {"shared.example"});
  EXPECT_EQ(OrdersOf(r_.View(View::kIsp), "shared.example"), (std::vector<Id>{a.id, b.id}));
  EXPECT_EQ(OrdersOf(r_.View(View::kVpn), "shared.example"), (std::vector<Id>{b.id}));

  ASSERT_TRUE(r_.registry().Lift(kActor, a.id, "appeal won").ok());
  ViewSet isp = r_.View(View::kIsp);
  EXPECT_EQ(OrdersOf(isp, "shared.example"), (std::vector<Id>{b.id}));
  EXPECT_EQ(Find(isp, "a-only.example"), nullptr);
  EXPECT_EQ(Keys(isp.orders), (std::vector<Id>{b.id}));

  ASSERT_TRUE(r_.registry().Lift(kActor, b.id, "appeal won").ok());
  isp = r_.View(View::kIsp);
  EXPECT_TRUE(isp.entries.empty());
  EXPECT_TRUE(isp.orders.empty());
  EXPECT_TRUE(r_.View(View::kVpn).entries.empty());
}

TEST_F(ViewTest, SuspendedExpiredAndLiftedOrdersLeavePendingOnesDoNotCount) {
  const UnixTime now = r_.clock().Now();
  const Order pending =
      r_.Create("P", Bit(Scope::kIsp), {"pending.example"}, false, now + kDay, now + 10 * kDay);
  EXPECT_EQ(pending.state, OrderState::kPending);
  const Order suspended = r_.Create("S", Bit(Scope::kIsp), {"suspended.example"});
  const Order expiring =
      r_.Create("E", Bit(Scope::kIsp), {"expiring.example"}, false, 0, now + 2 * kDay);
  const Order lifted = r_.Create("L", Bit(Scope::kIsp), {"lifted.example"});

  auto in_view = [&](std::string_view t) { return Find(r_.View(View::kIsp), t) != nullptr; };
  EXPECT_FALSE(in_view("pending.example"));
  EXPECT_TRUE(in_view("suspended.example"));
  EXPECT_TRUE(in_view("expiring.example"));
  EXPECT_TRUE(in_view("lifted.example"));

  ASSERT_TRUE(r_.registry().Suspend(kActor, suspended.id, "appeal").ok());
  EXPECT_FALSE(in_view("suspended.example"));
  ASSERT_TRUE(r_.registry().Resume(kActor, suspended.id, "dismissed").ok());
  EXPECT_TRUE(in_view("suspended.example"));
  ASSERT_TRUE(r_.registry().Suspend(kActor, suspended.id, "appeal again").ok());

  ASSERT_TRUE(r_.registry().Lift(kActor, lifted.id, "settled").ok());
  EXPECT_FALSE(in_view("lifted.example"));

  r_.clock().Advance(2 * kDay);
  ASSERT_TRUE(r_.registry().Sweep(kActor).ok());
  EXPECT_FALSE(in_view("expiring.example"));
  EXPECT_TRUE(in_view("pending.example"));  // became effective
  const ViewSet isp = r_.View(View::kIsp);
  EXPECT_EQ(TargetsOf(isp), (std::vector<Target>{T("pending.example")}));
  EXPECT_EQ(Keys(isp.orders), (std::vector<Id>{pending.id}));
  (void)expiring;
}

TEST_F(ViewTest, ReadDeltaGivesMembershipChangesWithTheOrdersAtEachEnd) {
  const Order a = r_.Create("A", Bit(Scope::kIsp), {"x.example", "y.example"});
  const Serial s0 = r_.CurrentSerial();
  const ViewSet v0 = r_.View(View::kIsp);
  const Order b = r_.Create("B", Bit(Scope::kIsp), {"y.example", "z.example"});
  r_.Create("VPN", Bit(Scope::kVpn), {"vpn.example"});  // another view's change
  ASSERT_TRUE(r_.registry().Lift(kActor, a.id, "lifted").ok());
  const ViewSet now = r_.View(View::kIsp);

  Result<ViewDelta> d = ReadDelta(r_.registry(), now, s0);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->view, View::kIsp);
  EXPECT_EQ(d->from, s0);
  EXPECT_EQ(d->to, now.serial);
  EXPECT_EQ(d->registry_id, now.registry_id);
  // y.example stayed (its orders changed from {A, B} to {B}): not a change of membership.
  EXPECT_EQ(d->added, (std::vector<FeedEntry>{{T("z.example"), {b.id}}}));
  EXPECT_EQ(d->removed, (std::vector<FeedEntry>{{T("x.example"), {a.id}}}));
  ASSERT_NE(d->order(a.id), nullptr);  // lifted, not in the view now: read from the registry
  EXPECT_EQ(d->order(a.id)->reference, "A");
  EXPECT_EQ(Keys(d->orders), (std::vector<Id>{a.id, b.id}));

  const ViewDelta diff = Diff(v0, now);
  EXPECT_EQ(diff.added, d->added);
  EXPECT_EQ(diff.removed, d->removed);
  EXPECT_EQ(diff.orders, d->orders);

  Result<ViewDelta> none = ReadDelta(r_.registry(), now, now.serial);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  EXPECT_EQ(ReadDelta(r_.registry(), now, now.serial + 1).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadDelta(r_.registry(), now, -1).status().code(), StatusCode::kInvalidArgument);

  // The vpn view saw none of the isp orders.
  const ViewSet vpn = r_.View(View::kVpn);
  Result<ViewDelta> vd = ReadDelta(r_.registry(), vpn, 0);
  ASSERT_TRUE(vd.ok());
  EXPECT_EQ(vd->added, (std::vector<FeedEntry>{{T("vpn.example"), vpn.entries.front().orders}}));
  EXPECT_TRUE(vd->removed.empty());
}

TEST_F(ViewTest, ATargetThatLeavesAndComesBackIsNoChange) {
  const Order a = r_.Create("A", Bit(Scope::kIsp), {"x.example"});
  const Serial s0 = r_.CurrentSerial();
  ASSERT_TRUE(r_.registry().Suspend(kActor, a.id, "appeal").ok());
  const Serial s1 = r_.CurrentSerial();
  ASSERT_TRUE(r_.registry().Resume(kActor, a.id, "dismissed").ok());
  const ViewSet now = r_.View(View::kIsp);
  Result<ViewDelta> d = ReadDelta(r_.registry(), now, s0);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->empty());
  d = ReadDelta(r_.registry(), now, s1);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->added, (std::vector<FeedEntry>{{T("x.example"), {a.id}}}));
}

// The view an independent reading of the orders gives: the targets of in-force orders whose
// scope names the view, of the kinds it carries.
ViewSet ExpectedView(Registry& reg, View v) {
  ViewSet out;
  OrderFilter all;
  Result<std::vector<Order>> orders = reg.ListOrders(all);
  EXPECT_TRUE(orders.ok());
  std::map<Target, std::set<Id>> entries;
  std::map<Id, FeedOrder> named;
  for (const Order& o : *orders) {
    if (o.state != OrderState::kInForce || (o.scope & Bit(ViewScope(v))) == 0) continue;
    Result<OrderDetail> d = reg.ShowOrder(o.id);
    EXPECT_TRUE(d.ok());
    for (const Target& t : d->targets) {
      if (!ExpectedKinds(v).contains(t.kind)) continue;
      entries[t].insert(o.id);
      named[o.id] = ToFeedOrder(o);
    }
  }
  std::vector<FeedEntry> list;
  for (const auto& [t, ids] : entries) list.push_back({t, {ids.begin(), ids.end()}});
  out.entries = EntryList(std::move(list));
  std::vector<FeedOrder> order_list;
  for (const auto& [id, o] : named) order_list.push_back(o);
  out.orders = OrderList(std::move(order_list));
  out.uses = CountUses(out.entries);
  return out;
}

// The differential test: after a random workflow, the delta read from the log from every serial
// passed equals the difference of the views recorded at that serial and now; its rpz owner delta
// equals the difference of the two views' owner sets; and following the log from any recorded
// view (feed/follow.h) arrives at the view now.
TEST(ViewDifferential, ReadDeltaEqualsTheDifferenceOfRecordedViews) {
  for (const std::uint64_t seed : {1u, 2u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    TestRegistry r;
    feedtest::RandomWorkflow w(r, seed);
    constexpr int kSteps = 300;
    for (int step = 1; step <= kSteps; ++step) {
      w.Step();
      if (step % 75 != 0) continue;
      SCOPED_TRACE("after step " + std::to_string(step));
      const feedtest::Views now = w.Now();
      ASSERT_EQ(w.history().rbegin()->first, now[0].serial);
      for (std::size_t vi = 0; vi < std::size(kAllViews); ++vi) {
        const View v = kAllViews[vi];
        SCOPED_TRACE(std::string(ViewName(v)));
        const ViewSet expected = ExpectedView(r.registry(), v);
        EXPECT_EQ(now[vi].entries, expected.entries);
        EXPECT_EQ(now[vi].orders, expected.orders);
        const std::vector<std::string> owners_now = RpzOwners(now[vi]);
        for (const auto& [m, then] : w.history()) {
          SCOPED_TRACE("from serial " + std::to_string(m));
          Result<ViewDelta> d = ReadDelta(r.registry(), now[vi], m);
          ASSERT_TRUE(d.ok()) << d.status().ToString();
          const ViewDelta want = Diff(then[vi], now[vi]);
          EXPECT_EQ(d->from, m);
          EXPECT_EQ(d->to, now[vi].serial);
          EXPECT_EQ(d->added, want.added);
          EXPECT_EQ(d->removed, want.removed);
          EXPECT_EQ(d->orders, want.orders);

          const RpzOwnerDelta od = RpzDelta(now[vi], *d);
          const std::vector<std::string> owners_then = RpzOwners(then[vi]);
          std::vector<std::string> gone;
          std::vector<std::string> fresh;
          std::set_difference(owners_then.begin(), owners_then.end(), owners_now.begin(),
                              owners_now.end(), std::back_inserter(gone));
          std::set_difference(owners_now.begin(), owners_now.end(), owners_then.begin(),
                              owners_then.end(), std::back_inserter(fresh));
          EXPECT_EQ(od.removed, gone);
          EXPECT_EQ(od.added, fresh);

          Result<ViewSet> advanced = Advance(r.registry(), then[vi], now[vi].serial);
          ASSERT_TRUE(advanced.ok()) << advanced.status().ToString();
          EXPECT_EQ(advanced->entries, now[vi].entries);
          EXPECT_EQ(advanced->orders, now[vi].orders);
        }
      }
    }
    // The workflow went through enough serials, and views changed along the way.
    EXPECT_GT(w.history().size(), 100u);
  }
}

}  // namespace
}  // namespace interdict::feed
