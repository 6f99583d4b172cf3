#include "registry/registry.h"

#include <gtest/gtest.h>

#include <functional>

#include "testing/failing_store.h"
#include "testing/targets.h"
#include "testing/temp_dir.h"

namespace interdict {
namespace {

constexpr UnixTime kNow = 1790000000;  // 2026-09-21
constexpr std::int64_t kDay = 86400;
constexpr std::string_view kActor = "tester";

using testing::T;

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<Store>> s = OpenSqliteStore(dir_.File("registry.db"));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    failing_ = std::make_unique<testing::FailingStore>(*store_);
    registry_ = std::make_unique<Registry>(*failing_, clock_);
    ASSERT_TRUE(registry_->AddOrganization(kActor, OrgKind::kRightsholder, "IFPI").ok());
    ASSERT_TRUE(registry_->AddOrganization(kActor, OrgKind::kIsp, "ISP One").ok());
  }

  OrderRequest Request(std::string ref, std::vector<std::string_view> targets) {
    OrderRequest r;
    r.body = "Court of Lima";
    r.kind = OrderKind::kCourtRuling;
    r.reference = std::move(ref);
    r.expires_at = kNow + 30 * kDay;
    r.categories = Bit(Category::kTorrent);
    for (std::string_view t : targets) r.targets.push_back(T(t));
    return r;
  }

  bool Blocked(std::string_view value) {
    Result<CheckResult> r = registry_->Check(T(value));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && r->blocked();
  }

  Serial CurrentSerial() { return *registry_->CurrentSerial(); }

  testing::TempDir dir_;
  FakeClock clock_{kNow};
  std::unique_ptr<Store> store_;
  std::unique_ptr<testing::FailingStore> failing_;
  std::unique_ptr<Registry> registry_;
};

TEST_F(RegistryTest, AnOrderPutsItsTargetsInForceAtTheNextSerial) {
  const Serial before = CurrentSerial();
  Result<Order> o = registry_->CreateOrder(
      kActor, Request("R-1", {"*.thepiratebay.example", "url:http://links.example/dl/*",
                              "203.0.113.7", "cidr:198.51.100.0/24", "play:com.pirate.app"}));
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->state, OrderState::kInForce);
  EXPECT_EQ(CurrentSerial(), before + 1);
  Result<std::vector<DeltaEntry>> delta = registry_->SerialDelta(before + 1);
  ASSERT_TRUE(delta.ok());
  EXPECT_EQ(delta->size(), 5u);

  EXPECT_TRUE(Blocked("thepiratebay.example"));
  EXPECT_TRUE(Blocked("WWW.ThePirateBay.Example."));
  EXPECT_FALSE(Blocked("notthepiratebay.example"));
  EXPECT_TRUE(Blocked("http://links.example/dl/file.torrent"));
  EXPECT_FALSE(Blocked("http://links.example/about"));
  EXPECT_TRUE(Blocked("https://proxy.thepiratebay.example/x"));  // host under a tree rule
  EXPECT_TRUE(Blocked("203.0.113.7"));
  EXPECT_TRUE(Blocked("198.51.100.200"));
  EXPECT_FALSE(Blocked("198.51.101.1"));
  EXPECT_TRUE(Blocked("http://198.51.100.9/stream"));
  EXPECT_TRUE(Blocked("play:com.pirate.app"));
  EXPECT_FALSE(Blocked("play:com.pirate.app2"));
}

TEST_F(RegistryTest, EveryOrderExpiresByDefaultAfterItsKindsTerm) {
  // No expiry given: live-event orders get 48 hours from the effective date, whatever their
  // kind; the others a year.
  OrderRequest live = Request("R-live", {"match.example"});
  live.kind = OrderKind::kAdministrativeDecision;
  live.categories = Bit(Category::kLiveSports);
  live.effective_at = kNow + 3600;
  live.expires_at = 0;
  Result<Order> a = registry_->CreateOrder(kActor, live);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->expires_at, kNow + 3600 + 48 * 3600);
  OrderRequest admin = Request("R-admin", {"admin.example"});
  admin.kind = OrderKind::kAdministrativeDecision;
  admin.expires_at = 0;
  Result<Order> b = registry_->CreateOrder(kActor, admin);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->expires_at, kNow + 365 * kDay);
  // The terms are options.
  RegistryOptions options;
  options.expiry_seconds_by_kind[static_cast<int>(OrderKind::kCourtRuling)] = 90 * kDay;
  options.live_event_expiry_seconds = 6 * 3600;
  Registry other(*store_, clock_, options);
  EXPECT_EQ(other.DefaultExpirySeconds(OrderKind::kCourtRuling, Bit(Category::kTorrent)),
            90 * kDay);
  EXPECT_EQ(other.DefaultExpirySeconds(OrderKind::kCourtRuling, Bit(Category::kLiveSports)),
            6 * 3600);
  OrderRequest court = Request("R-court", {"court.example"});
  court.expires_at = 0;
  Result<Order> c = other.CreateOrder(kActor, court);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->expires_at, kNow + 90 * kDay);
  // And they run out with the clock like any other expiry.
  clock_.Set(kNow + 3600 + 48 * 3600);
  ASSERT_TRUE(registry_->Sweep(kActor).ok());
  EXPECT_FALSE(Blocked("match.example"));
  EXPECT_TRUE(Blocked("admin.example"));
}

TEST_F(RegistryTest, RenewalIsTheOnlyWayPastTheExpiry) {
  Result<Order> o = registry_->CreateOrder(kActor, Request("R-renew", {"renew.example"}));
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  const UnixTime first = o->expires_at;
  EXPECT_EQ(registry_->Renew(kActor, o->id, first + kDay, "").status().code(),
            StatusCode::kInvalidArgument);  // a reason is required
  EXPECT_EQ(registry_->Renew(kActor, o->id, first, "same day").status().code(),
            StatusCode::kInvalidArgument);  // not later
  EXPECT_EQ(registry_->Renew(kActor, o->id, first - kDay, "shorter").status().code(),
            StatusCode::kInvalidArgument);
  Result<Order> renewed = registry_->Renew(kActor, o->id, first + 60 * kDay, "court extended it");
  ASSERT_TRUE(renewed.ok()) << renewed.status().ToString();
  EXPECT_EQ(renewed->expires_at, first + 60 * kDay);
  EXPECT_EQ(registry_->ShowOrder(o->id)->order.expires_at, first + 60 * kDay);
  // Past the first expiry the order still blocks; past the second it expires.
  clock_.Set(first + kDay);
  ASSERT_TRUE(registry_->Sweep(kActor).ok());
  EXPECT_TRUE(Blocked("renew.example"));
  clock_.Set(first + 60 * kDay);
  ASSERT_TRUE(registry_->Sweep(kActor).ok());
  EXPECT_FALSE(Blocked("renew.example"));
  Result<Order> late = registry_->Renew(kActor, o->id, first + 90 * kDay, "too late");
  EXPECT_EQ(late.status().code(), StatusCode::kFailedPrecondition);
  AuditFilter filter;
  filter.entity = "order";
  filter.entity_id = o->id;
  Result<std::vector<AuditEntry>> audit = registry_->Audit(filter);
  ASSERT_TRUE(audit.ok());
  std::vector<std::string> renewals;
  for (const AuditEntry& e : *audit) {
    if (e.action == "order.renew") renewals.push_back(e.reason);
  }
  EXPECT_EQ(renewals, std::vector<std::string>{"court extended it"});
}

TEST_F(RegistryTest, ExpiryIsAfterTheEffectiveDate) {
  OrderRequest r = Request("R-2", {"a.example"});
  r.expires_at = kNow;  // issued now: expiry must be later
  Result<Order> o = registry_->CreateOrder(kActor, r);
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.status().message().find("expiry"), std::string::npos);
}

TEST_F(RegistryTest, PendingOrdersStartAndAllOrdersExpireWithTheClock) {
  OrderRequest later = Request("R-3", {"later.example"});
  later.effective_at = kNow + kDay;
  ASSERT_EQ(registry_->CreateOrder(kActor, later)->state, OrderState::kPending);
  ASSERT_TRUE(registry_->CreateOrder(kActor, Request("R-4", {"now.example"})).ok());
  EXPECT_FALSE(Blocked("later.example"));
  EXPECT_TRUE(Blocked("now.example"));

  clock_.Advance(kDay);
  Result<SweepReport> s1 = registry_->Sweep(kActor);
  ASSERT_TRUE(s1.ok());
  EXPECT_EQ(s1->activated.size(), 1u);
  EXPECT_TRUE(Blocked("later.example"));

  clock_.Advance(30 * kDay);
  const Serial before = CurrentSerial();
  Result<SweepReport> s2 = registry_->Sweep(kActor);
  ASSERT_TRUE(s2.ok());
  EXPECT_EQ(s2->expired.size(), 2u);
  EXPECT_EQ(s2->serial, before + 1);
  EXPECT_FALSE(Blocked("later.example"));
  EXPECT_FALSE(Blocked("now.example"));
  // Nothing more to do: no new serial.
  EXPECT_EQ(registry_->Sweep(kActor)->serial, 0);
}

TEST_F(RegistryTest, LiftSuspendAndResumeMoveTargetsInAndOut) {
  Result<Order> o = registry_->CreateOrder(kActor, Request("R-5", {"site.example"}));
  ASSERT_TRUE(o.ok());
  EXPECT_FALSE(registry_->Suspend(kActor, o->id, "").ok());  // a reason is required
  ASSERT_TRUE(registry_->Suspend(kActor, o->id, "appeal filed").ok());
  EXPECT_FALSE(Blocked("site.example"));
  ASSERT_TRUE(registry_->Resume(kActor, o->id, "appeal dismissed").ok());
  EXPECT_TRUE(Blocked("site.example"));
  ASSERT_TRUE(registry_->Lift(kActor, o->id, "court lifted the order").ok());
  EXPECT_FALSE(Blocked("site.example"));
  Result<Order> again = registry_->Resume(kActor, o->id, "try");
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  Result<std::vector<AuditEntry>> trail = registry_->Audit({"order", o->id, 0});
  ASSERT_TRUE(trail.ok());
  std::vector<std::string> actions;
  for (const AuditEntry& a : *trail) actions.push_back(a.action);
  EXPECT_EQ(actions, (std::vector<std::string>{"order.create", "order.suspend", "order.resume",
                                               "order.lift"}));
  EXPECT_EQ(trail->back().reason, "court lifted the order");
}

TEST_F(RegistryTest, ATargetInTwoOrdersStaysBlockedUntilBothGo) {
  Result<Order> a = registry_->CreateOrder(kActor, Request("R-6", {"shared.example"}));
  Result<Order> b = registry_->CreateOrder(kActor, Request("R-7", {"shared.example"}));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(registry_->Check(T("shared.example"))->matches.size(), 2u);
  ASSERT_TRUE(registry_->Lift(kActor, a->id, "x").ok());
  EXPECT_TRUE(Blocked("shared.example"));
  ASSERT_TRUE(registry_->Lift(kActor, b->id, "x").ok());
  EXPECT_FALSE(Blocked("shared.example"));
}

TEST_F(RegistryTest, OnlyDynamicOrdersTakeNewTargets) {
  Result<Order> fixed = registry_->CreateOrder(kActor, Request("R-8", {"one.example"}));
  ASSERT_TRUE(fixed.ok());
  const Target mirror = T("mirror.example");
  EXPECT_EQ(registry_->AddTargets(kActor, fixed->id, std::span(&mirror, 1), "").status().code(),
            StatusCode::kFailedPrecondition);
  OrderRequest dyn = Request("R-9", {"two.example"});
  dyn.dynamic = true;
  Result<Order> d = registry_->CreateOrder(kActor, dyn);
  ASSERT_TRUE(d.ok());
  const Serial before = CurrentSerial();
  EXPECT_EQ(*registry_->AddTargets(kActor, d->id, std::span(&mirror, 1), "mirror"), 1u);
  EXPECT_EQ(CurrentSerial(), before + 1);
  EXPECT_TRUE(Blocked("mirror.example"));
  // Adding it again changes nothing and takes no serial.
  EXPECT_EQ(*registry_->AddTargets(kActor, d->id, std::span(&mirror, 1), "mirror"), 0u);
  EXPECT_EQ(CurrentSerial(), before + 1);
}

TEST_F(RegistryTest, ReferralsFlagDuplicatesAndFollowTheirStates) {
  ASSERT_TRUE(registry_->CreateOrder(kActor, Request("R-10", {"old.example"})).ok());
  ReferralRequest req;
  req.org = "IFPI";
  req.category = Category::kStreamRipping;
  req.targets = {T("old.example"), T("new.example")};
  req.evidence.push_back({"https://new.example/", kNow - 60, std::string(64, 'a'), "capture"});
  Result<Referral> r1 = registry_->Refer(kActor, req);
  ASSERT_TRUE(r1.ok()) << r1.status().ToString();
  EXPECT_NE(r1->targets[0].duplicate_of.find("in force"), std::string::npos);
  EXPECT_TRUE(r1->targets[1].duplicate_of.empty());

  req.targets = {T("new.example")};
  Result<Referral> r2 = registry_->Refer(kActor, req);
  ASSERT_TRUE(r2.ok());
  EXPECT_NE(r2->targets[0].duplicate_of.find("referral " + std::to_string(r1->id)),
            std::string::npos);

  // Withdrawal only within the revoke window (75 seconds by default), its last second included.
  clock_.Advance(75);
  ASSERT_TRUE(registry_->Withdraw(kActor, r2->id, "sent twice").ok());
  clock_.Advance(1);
  Result<Referral> late = registry_->Withdraw(kActor, r1->id, "late");
  EXPECT_EQ(late.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(late.status().message().find("revoke window of 75 seconds"), std::string::npos);

  // Approval issues an order with the referral's targets and category.
  OrderRequest order;
  order.body = "INDECOPI";
  order.kind = OrderKind::kAdministrativeDecision;
  order.reference = "DDA-1";
  order.expires_at = kNow + 90 * kDay;
  Result<Order> o = registry_->ApproveAsNewOrder(kActor, r1->id, order);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_TRUE(o->categories & Bit(Category::kStreamRipping));
  EXPECT_TRUE(Blocked("new.example"));
  Result<Referral> done = registry_->GetReferral(r1->id);
  EXPECT_EQ(done->state, ReferralState::kApproved);
  EXPECT_EQ(done->order_id, o->id);
  EXPECT_EQ(done->evidence.size(), 1u);
  // Decided referrals cannot be decided again.
  EXPECT_FALSE(registry_->Reject(kActor, r1->id, "no").ok());
}

TEST_F(RegistryTest, RejectionNeedsAReasonAndOnlyRightsholdersRefer) {
  ReferralRequest req;
  req.org = "ISP One";
  req.targets = {T("x.example")};
  EXPECT_EQ(registry_->Refer(kActor, req).status().code(), StatusCode::kFailedPrecondition);
  req.org = "IFPI";
  Result<Referral> r = registry_->Refer(kActor, req);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(registry_->Reject(kActor, r->id, "  ").status().code(), StatusCode::kInvalidArgument);
  Result<Referral> rejected = registry_->Reject(kActor, r->id, "a CDN address");
  ASSERT_TRUE(rejected.ok());
  EXPECT_EQ(rejected->state, ReferralState::kRejected);
  EXPECT_EQ(rejected->reason, "a CDN address");
}

TEST_F(RegistryTest, ReferAllIsAllOrNothing) {
  ReferralRequest good;
  good.org = "IFPI";
  good.targets = {T("a.example")};
  ReferralRequest bad = good;
  bad.org = "Nobody";
  std::vector<ReferralRequest> both = {good, bad};
  EXPECT_EQ(registry_->ReferAll(kActor, both).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(registry_->Counts()->referrals_open, 0);
}

// Every write of a workflow step can fail; whichever does, the step leaves nothing behind.
TEST_F(RegistryTest, AFailureAtAnyWriteLeavesNoHalfOrder) {
  ASSERT_TRUE(registry_->CreateOrder(kActor, Request("R-0", {"base.example"})).ok());
  const RegistryCounts c0 = *registry_->Counts();
  const Serial s0 = CurrentSerial();
  int failures = 0;
  for (int n = 0;; ++n) {
    failing_->Arm(n);
    Result<Order> o = registry_->CreateOrder(
        kActor, Request("R-11", {"a.example", "b.example", "url:http://c.example/x", "192.0.2.9"}));
    failing_->Disarm();
    if (o.ok()) break;
    ++failures;
    EXPECT_EQ(o.status().message(), "injected write failure");
    const RegistryCounts c = *registry_->Counts();
    EXPECT_EQ(c.orders, c0.orders) << "after failing write " << n;
    EXPECT_EQ(c.targets, c0.targets) << "after failing write " << n;
    EXPECT_EQ(c.audit_entries, c0.audit_entries) << "after failing write " << n;
    EXPECT_EQ(CurrentSerial(), s0) << "after failing write " << n;
    EXPECT_EQ(*registry_->LogSize(), 1u) << "after failing write " << n;
    ASSERT_LT(n, 100);
  }
  EXPECT_GE(failures, 10);  // order, 4 targets, 4 links, serial, 4 in-force adds, audit
  EXPECT_EQ(CurrentSerial(), s0 + 1);
}

TEST_F(RegistryTest, AFailureMidReferralApprovalLeavesTheReferralUndecided) {
  ReferralRequest req;
  req.org = "IFPI";
  req.targets = {T("a.example"), T("b.example")};
  Result<Referral> r = registry_->Refer(kActor, req);
  ASSERT_TRUE(r.ok());
  OrderRequest order;
  order.body = "INDECOPI";
  order.reference = "DDA-2";
  order.expires_at = kNow + kDay;
  for (int n = 0;; ++n) {
    failing_->Arm(n);
    Result<Order> o = registry_->ApproveAsNewOrder(kActor, r->id, order);
    failing_->Disarm();
    if (o.ok()) break;
    EXPECT_EQ(registry_->GetReferral(r->id)->state, ReferralState::kSubmitted);
    EXPECT_EQ(registry_->Counts()->orders, 0);
    ASSERT_LT(n, 100);
  }
  EXPECT_EQ(registry_->GetReferral(r->id)->state, ReferralState::kApproved);
}

// Tokens and acknowledgements are workflow steps like the others: a failure at any write leaves
// no token, no revocation and no part of an acknowledgement batch.
TEST_F(RegistryTest, AFailureAtAnyWriteLeavesNoHalfTokenOrAcknowledgement) {
  const Id isp = registry_->ListOrganizations()->at(1).id;
  const std::int64_t audit0 = registry_->Counts()->audit_entries;
  std::string secret;
  for (int n = 0;; ++n) {
    failing_->Arm(n);
    auto t = registry_->CreateToken(kActor, isp, Role::kIsp, "poller");
    failing_->Disarm();
    if (t.ok()) {
      secret = t->second;
      break;
    }
    EXPECT_TRUE(registry_->ListTokens()->empty()) << "after failing write " << n;
    EXPECT_EQ(registry_->Counts()->audit_entries, audit0) << "after failing write " << n;
    ASSERT_LT(n, 20);
  }
  const Id token = registry_->ListTokens()->front().id;
  for (int n = 0;; ++n) {
    failing_->Arm(n);
    Result<ApiToken> revoked = registry_->RevokeToken(kActor, token);
    failing_->Disarm();
    if (revoked.ok()) break;
    EXPECT_TRUE(registry_->Authenticate(secret)->has_value()) << "after failing write " << n;
    ASSERT_LT(n, 20);
  }
  EXPECT_FALSE(registry_->Authenticate(secret)->has_value());

  OrderRequest req = Request("R-ACK", {"a.example", "b.example", "c.example"});
  req.scope = Bit(Scope::kIsp);
  Result<Order> o = registry_->CreateOrder(kActor, req);
  ASSERT_TRUE(o.ok());
  std::vector<AckItem> items;
  for (const char* t : {"a.example", "b.example", "c.example"}) {
    AckItem item;
    item.order_id = o->id;
    item.target = T(t);
    items.push_back(item);
  }
  int failures = 0;
  for (int n = 0;; ++n) {
    failing_->Arm(n);
    Result<AckResult> r = registry_->Acknowledge(kActor, isp, Scope::kIsp, items);
    failing_->Disarm();
    if (r.ok() && r->ok()) break;
    ++failures;
    EXPECT_TRUE(registry_->Acknowledgements(isp, o->id)->empty()) << "after failing write " << n;
    ASSERT_LT(n, 50);
  }
  EXPECT_GE(failures, 3);  // at least one write per item
  EXPECT_EQ(registry_->Acknowledgements(isp, o->id)->size(), 3U);
}

TEST_F(RegistryTest, FindOrderByIdOrReference) {
  Result<Order> o = registry_->CreateOrder(kActor, Request("RG 1/2026", {"f.example"}));
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(registry_->FindOrder(std::to_string(o->id))->id, o->id);
  EXPECT_EQ(registry_->FindOrder("RG 1/2026")->id, o->id);
  EXPECT_EQ(registry_->FindOrder("RG 2/2026").status().code(), StatusCode::kNotFound);
}

// ---- Appeals ---------------------------------------------------------------------------------

AppealRequest AppealOf(Id order, std::string_view target = {}) {
  AppealRequest a;
  a.order_id = order;
  if (!target.empty()) a.target = T(target);
  a.party = AppealParty::kCollateral;
  a.name = "Neighbour Ltd";
  a.contact = "legal@neighbour.example";
  a.statement = "We share the address; we infringe nothing.";
  return a;
}

TEST_F(RegistryTest, AppealValidationNamesTheField) {
  Result<Order> o = registry_->CreateOrder(kActor, Request("AP-1", {"a.example", "b.example"}));
  ASSERT_TRUE(o.ok());
  struct Case {
    std::function<void(AppealRequest&)> change;
    std::string prefix;
    StatusCode code = StatusCode::kInvalidArgument;
  };
  const std::vector<Case> cases = {
      {[](AppealRequest& a) { a.name = ""; }, "name: "},
      {[](AppealRequest& a) { a.name = std::string(201, 'x'); }, "name: "},
      {[](AppealRequest& a) { a.name = "a\x01b"; }, "name: "},
      {[](AppealRequest& a) { a.name = "caf\xc3"; }, "name: "},  // truncated UTF-8
      {[](AppealRequest& a) { a.contact = "x"; }, "contact: "},
      {[](AppealRequest& a) { a.contact = "a b@c.example"; }, "contact: "},
      {[](AppealRequest& a) { a.contact = "javascript://x.example/"; }, "contact: "},
      {[](AppealRequest& a) { a.contact = "https://"; }, "contact: "},
      {[](AppealRequest& a) { a.statement = std::string(10001, 's'); }, "statement: "},
      {[](AppealRequest& a) { a.statement = "\n\t "; }, "statement: "},
      {[](AppealRequest& a) { a.target = T("c.example"); }, "target: "},
      {[](AppealRequest& a) { a.order_id = 4242; }, "order_id: ", StatusCode::kNotFound},
  };
  for (const Case& c : cases) {
    AppealRequest a = AppealOf(o->id);
    c.change(a);
    Result<Appeal> r = registry_->FileAppeal(kActor, a);
    ASSERT_FALSE(r.ok()) << c.prefix;
    EXPECT_EQ(r.status().code(), c.code) << r.status().ToString();
    EXPECT_TRUE(r.status().message().starts_with(c.prefix)) << r.status().ToString();
  }
  EXPECT_TRUE(registry_->ListAppeals({})->empty());
  AppealRequest url = AppealOf(o->id, "b.example");
  url.contact = "https://neighbour.example/contact";
  url.statement = std::string(10000, 's');
  EXPECT_TRUE(registry_->FileAppeal(kActor, url).ok());
}

TEST_F(RegistryTest, ATargetLiftedOnAppealLeavesTheSetAndStaysOut) {
  OrderRequest req = Request("AP-2", {"shared.example", "pirate.example", "mirror.example"});
  req.dynamic = true;
  Result<Order> o = registry_->CreateOrder(kActor, req);
  ASSERT_TRUE(o.ok());
  // Another order names the same target: it stays blocked by that one.
  Result<Order> other = registry_->CreateOrder(kActor, Request("AP-3", {"mirror.example"}));
  ASSERT_TRUE(other.ok());
  Result<Appeal> a = registry_->FileAppeal(kActor, AppealOf(o->id, "shared.example"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  const Serial before = CurrentSerial();
  const std::vector<Target> lift = {T("shared.example"), T("mirror.example")};
  Result<Appeal> d =
      registry_->DecideAppeal("judge", a->id, AppealDecision::kLiftTargets, "collateral", lift);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->state, AppealState::kPartlyLifted);
  EXPECT_EQ(d->lifted_targets, (std::vector<Target>{T("mirror.example"), T("shared.example")}));
  EXPECT_EQ(d->decided_by, "judge");
  EXPECT_EQ(CurrentSerial(), before + 1);
  EXPECT_EQ(registry_->SerialDelta(before + 1)->size(), 2u);
  EXPECT_FALSE(Blocked("shared.example"));
  EXPECT_TRUE(Blocked("mirror.example"));  // by AP-3
  EXPECT_TRUE(Blocked("pirate.example"));
  EXPECT_EQ(registry_->GetAppeal(a->id)->lifted_targets, d->lifted_targets);

  // Suspended and resumed, the order brings back only what it still enforces.
  ASSERT_TRUE(registry_->Suspend(kActor, o->id, "review").ok());
  ASSERT_TRUE(registry_->Resume(kActor, o->id, "review over").ok());
  EXPECT_FALSE(Blocked("shared.example"));
  Result<std::vector<DeltaEntry>> resumed = registry_->SerialDelta(CurrentSerial());
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(resumed->size(), 1u);  // pirate.example only

  // Attached again (a mirror, an import), it stays lifted.
  std::vector<bool> fresh;
  const std::vector<Target> again = {T("shared.example")};
  ASSERT_TRUE(registry_->AddTargets(kActor, o->id, again, "mirror", &fresh).ok());
  EXPECT_EQ(fresh, std::vector<bool>{false});
  EXPECT_FALSE(Blocked("shared.example"));

  Result<OrderDetail> detail = registry_->ShowOrder(o->id);
  ASSERT_TRUE(detail.ok());
  EXPECT_EQ(detail->targets, std::vector<Target>{T("pirate.example")});
  EXPECT_EQ(detail->lifted_targets.size(), 2u);
  EXPECT_EQ(detail->targets_in_force, 1u);
  Result<std::vector<InForceEntry>> all = registry_->AllTargets(TargetKind::kDomain);
  ASSERT_TRUE(all.ok());
  int seen = 0;
  for (const InForceEntry& e : *all) {
    if (e.order_id == o->id && e.target == T("shared.example")) {
      EXPECT_FALSE(e.in_force);
      ++seen;
    }
  }
  EXPECT_EQ(seen, 1);
  // The last target cannot be lifted alone: that is lifting the order.
  Result<Appeal> b = registry_->FileAppeal(kActor, AppealOf(o->id, "pirate.example"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(
      registry_->DecideAppeal(kActor, b->id, AppealDecision::kLiftTargets, "x", {}).status().code(),
      StatusCode::kInvalidArgument);
  EXPECT_TRUE(registry_->DecideAppeal(kActor, b->id, AppealDecision::kLift, "annulled", {}).ok());
  EXPECT_EQ(registry_->ShowOrder(o->id)->order.state, OrderState::kLifted);
  EXPECT_EQ(registry_->FileAppeal(kActor, AppealOf(o->id)).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      registry_->DecideAppeal(kActor, b->id, AppealDecision::kUphold, "x", {}).status().code(),
      StatusCode::kFailedPrecondition);
}

TEST_F(RegistryTest, AFailureAtAnyWriteLeavesNoHalfAppealOrDecision) {
  Result<Order> o =
      registry_->CreateOrder(kActor, Request("AP-4", {"a.example", "b.example", "c.example"}));
  ASSERT_TRUE(o.ok());
  for (int n = 0;; ++n) {
    failing_->Arm(n);
    Result<Appeal> a = registry_->FileAppeal(kActor, AppealOf(o->id, "a.example"));
    failing_->Disarm();
    if (a.ok()) break;
    EXPECT_EQ(a.status().message(), "injected write failure");
    EXPECT_TRUE(registry_->ListAppeals({})->empty()) << "after failing write " << n;
    ASSERT_LT(n, 20);
  }
  const Id appeal = registry_->ListAppeals({})->front().id;
  const RegistryCounts c0 = *registry_->Counts();
  const Serial s0 = CurrentSerial();
  const std::vector<Target> lift = {T("a.example"), T("b.example")};
  int failures = 0;
  for (int n = 0;; ++n) {
    failing_->Arm(n);
    Result<Appeal> d =
        registry_->DecideAppeal(kActor, appeal, AppealDecision::kLiftTargets, "collateral", lift);
    failing_->Disarm();
    if (d.ok()) break;
    ++failures;
    EXPECT_EQ(registry_->GetAppeal(appeal)->state, AppealState::kFiled) << "write " << n;
    EXPECT_EQ(CurrentSerial(), s0) << "after failing write " << n;
    EXPECT_EQ(registry_->Counts()->audit_entries, c0.audit_entries) << "write " << n;
    EXPECT_TRUE(Blocked("a.example")) << "after failing write " << n;
    EXPECT_TRUE(registry_->ShowOrder(o->id)->lifted_targets.empty()) << "write " << n;
    ASSERT_LT(n, 50);
  }
  EXPECT_GE(failures, 7);  // serial, 2 lifts, 2 removals, 2 audits, the decision
  EXPECT_EQ(CurrentSerial(), s0 + 1);
  EXPECT_EQ(registry_->Counts()->targets_in_force, c0.targets_in_force - 2);
}

}  // namespace
}  // namespace interdict
