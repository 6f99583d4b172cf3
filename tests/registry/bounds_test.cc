// Bounds on changes (a step that would move the in-force set by too much is held until an
// authority admin repeats it with the held change's id) and the age of address targets (ip and
// cidr targets lapse when their authority has not re-confirmed them in time).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "registry/registry.h"
#include "registry/transparency.h"
#include "testing/failing_store.h"
#include "testing/targets.h"
#include "testing/temp_dir.h"

namespace interdict {
namespace {

constexpr UnixTime kNow = 1790000000;  // 2026-09-21
constexpr std::int64_t kDay = 86400;
constexpr std::string_view kActor = "tester";

using testing::T;

// n domain targets named prefix-0.example ... prefix-(n-1).example.
std::vector<Target> Domains(std::string_view prefix, int n) {
  std::vector<Target> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(T("domain:" + std::string(prefix) + "-" + std::to_string(i) + ".example"));
  }
  return out;
}

// The id in "held as change N: ...".
Id HeldId(const Status& s) {
  const std::string m = s.message();
  const std::string key = "held as change ";
  const std::size_t at = m.find(key);
  if (at == std::string::npos) return 0;
  return std::stoll(m.substr(at + key.size()));
}

class BoundsTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(Options()); }

  static RegistryOptions Options() {
    RegistryOptions o;
    o.bounds.max_pairs = 50;
    o.bounds.max_fraction = 0.5;
    o.bounds.fraction_floor = 10;
    return o;
  }

  void Open(RegistryOptions options) {
    registry_.reset();
    failing_.reset();
    store_.reset();
    Result<std::unique_ptr<Store>> s = OpenSqliteStore(dir_.File("registry.db"));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    failing_ = std::make_unique<testing::FailingStore>(*store_);
    registry_ = std::make_unique<Registry>(*failing_, clock_, options);
  }

  OrderRequest Request(std::string ref, std::vector<Target> targets, Id confirm = 0) {
    OrderRequest r;
    r.body = "Tribunal";
    r.reference = std::move(ref);
    r.categories = Bit(Category::kTorrent);
    r.dynamic = true;
    r.targets = std::move(targets);
    r.confirm = confirm;
    return r;
  }

  std::int64_t InForce() { return registry_->Counts()->targets_in_force; }
  Serial CurrentSerial() { return *registry_->CurrentSerial(); }

  testing::TempDir dir_;
  FakeClock clock_{kNow};
  std::unique_ptr<Store> store_;
  std::unique_ptr<testing::FailingStore> failing_;
  std::unique_ptr<Registry> registry_;
};

TEST_F(BoundsTest, AChangeWithinTheBoundsApplies) {
  // 10 pairs: at the floor, so the fraction does not apply; under the count bound.
  ASSERT_TRUE(registry_->CreateOrder(kActor, Request("A", Domains("a", 10))).ok());
  EXPECT_EQ(InForce(), 10);
  EXPECT_TRUE(registry_->HeldChanges(true)->empty());
}

TEST_F(BoundsTest, AnOrderOverTheCountBoundIsHeldNotAppliedAndRecorded) {
  const Serial before = CurrentSerial();
  Result<Order> o = registry_->CreateOrder(kActor, Request("BIG", Domains("b", 51)));
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(o.status().message().find("51 pairs in, 0 out"), std::string::npos)
      << o.status().message();
  EXPECT_NE(o.status().message().find("at most 50 pairs"), std::string::npos);
  // Nothing of the order remains; the serial did not move.
  EXPECT_EQ(registry_->Counts()->orders, 0);
  EXPECT_EQ(CurrentSerial(), before);
  // The held change is recorded and audited.
  Result<std::vector<HeldChange>> held = registry_->HeldChanges(true);
  ASSERT_TRUE(held.ok());
  ASSERT_EQ(held->size(), 1u);
  const HeldChange& h = held->front();
  EXPECT_EQ(h.id, HeldId(o.status()));
  EXPECT_EQ(h.kind, "order.create");
  EXPECT_EQ(h.added, 51);
  EXPECT_EQ(h.removed, 0);
  EXPECT_EQ(h.actor, kActor);
  AuditFilter f;
  f.entity = "held-change";
  EXPECT_EQ(registry_->Audit(f)->size(), 1u);
}

TEST_F(BoundsTest, RepeatingTheHeldChangeWithItsIdAppliesItOnce) {
  Result<Order> first = registry_->CreateOrder(kActor, Request("BIG", Domains("b", 51)));
  const Id held = HeldId(first.status());
  ASSERT_NE(held, 0) << first.status().message();
  clock_.Advance(60);
  Result<Order> applied = registry_->CreateOrder("admin", Request("BIG", Domains("b", 51), held));
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(InForce(), 51);
  Result<std::vector<HeldChange>> all = registry_->HeldChanges(false);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().confirmed_by, "admin");
  EXPECT_EQ(all->front().confirmed_at, kNow + 60);
  EXPECT_TRUE(registry_->HeldChanges(true)->empty());
  // A confirmation is used once.
  Result<Order> again = registry_->CreateOrder("admin", Request("BIG2", Domains("c", 51), held));
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("confirmed already"), std::string::npos)
      << again.status().message();
}

TEST_F(BoundsTest, AConfirmationDoesNotApplyADifferentChange) {
  const Id held = HeldId(registry_->CreateOrder(kActor, Request("BIG", Domains("b", 51))).status());
  ASSERT_NE(held, 0);
  // More targets than were held.
  Result<Order> bigger = registry_->CreateOrder("admin", Request("BIG", Domains("b", 60), held));
  ASSERT_FALSE(bigger.ok());
  EXPECT_NE(bigger.status().message().find("is a different change"), std::string::npos)
      << bigger.status().message();
  EXPECT_EQ(registry_->Counts()->orders, 0);
  // An unknown id.
  Result<Order> unknown = registry_->CreateOrder("admin", Request("BIG", Domains("b", 51), 999));
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  // The held change is still open.
  EXPECT_EQ(registry_->HeldChanges(true)->size(), 1u);
}

TEST_F(BoundsTest, TheFractionBoundHoldsALiftOfMostOfTheSet) {
  // Steps of at most 10 pairs (the floor) are never held by the fraction.
  Result<Order> small = registry_->CreateOrder(kActor, Request("S", Domains("s", 8)));
  Result<Order> big = registry_->CreateOrder(kActor, Request("L", Domains("l", 10)));
  ASSERT_TRUE(small.ok() && big.ok()) << big.status().ToString();
  for (int i = 1; i < 4; ++i) {
    const std::vector<Target> more = Domains("l" + std::to_string(i), 10);
    ASSERT_TRUE(registry_->AddTargets(kActor, big->id, more, "mirrors").ok());
  }
  EXPECT_EQ(InForce(), 48);
  // Lifting 40 of 48 in force: over the floor and over half of the set.
  Result<Order> lifted = registry_->Lift(kActor, big->id, "court decision");
  ASSERT_FALSE(lifted.ok());
  EXPECT_NE(lifted.status().message().find("0 pairs in, 40 out"), std::string::npos)
      << lifted.status().message();
  EXPECT_NE(lifted.status().message().find("with 48 targets in force"), std::string::npos);
  EXPECT_EQ(InForce(), 48);
  EXPECT_EQ(registry_->ShowOrder(big->id)->order.state, OrderState::kInForce);
  const Id held = HeldId(lifted.status());
  ASSERT_TRUE(registry_->Lift("admin", big->id, "court decision", held).ok());
  EXPECT_EQ(InForce(), 8);
  // Lifting the small one (8 pairs, under the floor) applies at once.
  EXPECT_TRUE(registry_->Lift(kActor, small->id, "court decision").ok());
}

TEST_F(BoundsTest, AnImportOverTheBoundIsHeldAndAppliesWhenRepeatedWithItsId) {
  auto feed = [](ImportBatch& batch) {
    OrderRequest header;
    header.body = "Registry";
    header.reference = "Z-1";
    header.expires_at = kNow + 100 * kDay;
    header.categories = Bit(Category::kTorrent);
    std::vector<Target> targets = Domains("z", 60);
    return batch.Add(header, targets);
  };
  Result<ImportStats> first = registry_->Import(kActor, "dump.csv", feed);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(registry_->Counts()->orders, 0);
  const Id held = HeldId(first.status());
  ASSERT_NE(held, 0) << first.status().message();
  Result<ImportStats> second = registry_->Import("admin", "dump.csv", feed, held);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->targets_in_force, 60u);
  EXPECT_EQ(InForce(), 60);
}

TEST_F(BoundsTest, ZeroTurnsTheBoundsOff) {
  RegistryOptions off;
  off.bounds.max_pairs = 0;
  off.bounds.max_fraction = 0;
  Open(off);
  EXPECT_TRUE(registry_->CreateOrder(kActor, Request("BIG", Domains("b", 500))).ok());
}

TEST_F(BoundsTest, AFailedWriteOfAConfirmedChangeLeavesTheHeldChangeOpen) {
  const Id held = HeldId(registry_->CreateOrder(kActor, Request("BIG", Domains("b", 51))).status());
  ASSERT_NE(held, 0);
  for (int n = 0;; ++n) {
    failing_->Arm(n);
    Result<Order> o = registry_->CreateOrder("admin", Request("BIG", Domains("b", 51), held));
    failing_->Disarm();
    if (o.ok()) break;
    ASSERT_LT(n, 1000);
    EXPECT_EQ(registry_->Counts()->orders, 0) << "after failing write " << n;
    EXPECT_EQ(registry_->HeldChanges(true)->size(), 1u) << "after failing write " << n;
  }
  EXPECT_TRUE(registry_->HeldChanges(true)->empty());
}

// --- address targets lapse -------------------------------------------------------------------

class LapseTest : public BoundsTest {
 protected:
  void SetUp() override {
    RegistryOptions o;
    o.address_target_max_age_seconds = 30 * kDay;
    Open(o);
    OrderRequest r =
        Request("IP", {T("ip:203.0.113.7"), T("cidr:198.51.100.0/24"), T("domain:stream.example")});
    r.expires_at = kNow + 365 * kDay;
    Result<Order> order = registry_->CreateOrder(kActor, r);
    ASSERT_TRUE(order.ok()) << order.status().ToString();
    order_ = order->id;
  }

  std::vector<std::string> Enforced() {
    std::vector<std::string> out;
    Result<OrderDetail> d = registry_->ShowOrder(order_);
    if (!d.ok()) return out;
    for (const Target& t : d->targets) out.push_back(t.ToString());
    return out;
  }

  Id order_ = 0;
};

TEST_F(LapseTest, AddressTargetsLapseAfterTheMaximumAgeAndOthersStay) {
  clock_.Advance(30 * kDay - 1);
  Result<SweepReport> early = registry_->Sweep(kActor);
  ASSERT_TRUE(early.ok());
  EXPECT_TRUE(early->lapsed.empty());
  EXPECT_EQ(Enforced().size(), 3u);

  clock_.Advance(2);
  Result<SweepReport> swept = registry_->Sweep(kActor);
  ASSERT_TRUE(swept.ok()) << swept.status().ToString();
  ASSERT_EQ(swept->lapsed.size(), 2u);
  EXPECT_NE(swept->serial, 0);
  EXPECT_EQ(Enforced(), std::vector<std::string>{"domain:stream.example"});
  // The feed's delta says the addresses left.
  Result<std::vector<DeltaEntry>> delta = registry_->SerialDelta(swept->serial);
  ASSERT_TRUE(delta.ok());
  EXPECT_EQ(delta->size(), 2u);
  for (const DeltaEntry& e : *delta) EXPECT_EQ(e.op, DeltaOp::kRemove);
  // The lapse is in the transparency log, and the log still verifies against the database.
  Result<LogVerification> v = registry_->VerifyLog(nullptr, nullptr);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->problems.empty()) << v->problems.front();
  // A lapsed target stays lapsed: adding it to the same order again changes nothing.
  Result<std::size_t> readded = registry_->AddTargets(kActor, order_, {{T("ip:203.0.113.7")}}, "");
  ASSERT_TRUE(readded.ok());
  EXPECT_EQ(*readded, 0u);
  // Nor can it be re-confirmed.
  Result<std::size_t> late = registry_->Reconfirm(kActor, order_, {{T("ip:203.0.113.7")}}, "still");
  ASSERT_FALSE(late.ok());
  EXPECT_NE(late.status().message().find("lapsed"), std::string::npos);
}

TEST_F(LapseTest, ReconfirmingStartsTheAgeAgain) {
  clock_.Advance(20 * kDay);
  Result<std::size_t> n =
      registry_->Reconfirm(kActor, order_, {}, "the addresses still serve the site");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 2u);
  clock_.Advance(20 * kDay);  // 40 days after the order, 20 after the re-confirmation
  ASSERT_TRUE(registry_->Sweep(kActor).ok());
  EXPECT_EQ(Enforced().size(), 3u);
  clock_.Advance(11 * kDay);
  Result<SweepReport> swept = registry_->Sweep(kActor);
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(swept->lapsed.size(), 2u);
}

TEST_F(LapseTest, ReconfirmingOneTargetLeavesTheOtherToLapse) {
  clock_.Advance(20 * kDay);
  Result<std::size_t> n =
      registry_->Reconfirm(kActor, order_, {{T("cidr:198.51.100.0/24")}}, "still theirs");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 1u);
  // Due within 15 days: the address not re-confirmed (10 days left), not the network (30).
  Result<std::vector<AgedTarget>> due = registry_->AddressTargetsDue(15 * kDay);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ(due->front().target.ToString(), "ip:203.0.113.7");
  clock_.Advance(11 * kDay);
  ASSERT_TRUE(registry_->Sweep(kActor).ok());
  EXPECT_EQ(Enforced(),
            (std::vector<std::string>{"cidr:198.51.100.0/24", "domain:stream.example"}));
}

TEST_F(LapseTest, ReconfirmRefusesTargetsThatAreNotEnforcedAddressesOfTheOrder) {
  Result<std::size_t> domain =
      registry_->Reconfirm(kActor, order_, {{T("domain:stream.example")}}, "why");
  ASSERT_FALSE(domain.ok());
  EXPECT_NE(domain.status().message().find("targets[0]"), std::string::npos);
  EXPECT_NE(domain.status().message().find("not an address target"), std::string::npos);
  Result<std::size_t> stranger = registry_->Reconfirm(kActor, order_, {{T("ip:192.0.2.1")}}, "why");
  ASSERT_FALSE(stranger.ok());
  EXPECT_NE(stranger.status().message().find("is not a target of"), std::string::npos);
  EXPECT_FALSE(registry_->Reconfirm(kActor, order_, {}, "").ok());  // a reason is required
}

TEST_F(LapseTest, ZeroMaximumAgeMeansAddressesNeverLapse) {
  RegistryOptions o;
  o.address_target_max_age_seconds = 0;
  Open(o);
  clock_.Advance(3000 * kDay);
  Result<SweepReport> swept = registry_->Sweep(kActor);
  ASSERT_TRUE(swept.ok());
  EXPECT_TRUE(swept->lapsed.empty());
  EXPECT_TRUE(registry_->AddressTargetsDue(0)->empty());
}

}  // namespace
}  // namespace interdict
