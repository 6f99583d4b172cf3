// Compliance probes on the registry side: a submitted run is checked item by item and written
// whole or not at all; reports count each (ISP, target)'s latest verdict per ISP and per order,
// list the items still accessible after their deadline, and keep results of targets outside the
// isp view apart.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "registry/registry.h"
#include "testing/failing_store.h"
#include "testing/targets.h"
#include "testing/temp_dir.h"

namespace interdict {
namespace {

constexpr UnixTime kNow = 1790000000;  // 2026-09-21
constexpr std::int64_t kHour = 3600;
constexpr std::int64_t kDay = 86400;
constexpr std::string_view kActor = "auditor";

using testing::T;

std::size_t V(ProbeVerdict v) {
  return static_cast<std::size_t>(v);
}

class ComplianceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<Store>> s = OpenSqliteStore(dir_.File("registry.db"));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    failing_ = std::make_unique<testing::FailingStore>(*store_);
    registry_ = std::make_unique<Registry>(*failing_, clock_);
    isp_ = Org(OrgKind::kIsp, "ISP One");
    other_isp_ = Org(OrgKind::kIsp, "ISP Two");
    auditor_ = Org(OrgKind::kAuditor, "Observatory");
    Org(OrgKind::kRightsholder, "IFPI");
  }

  Id Org(OrgKind kind, const std::string& name) {
    Result<Organization> o = registry_->AddOrganization(kActor, kind, name);
    EXPECT_TRUE(o.ok()) << o.status().ToString();
    return o.ok() ? o->id : 0;
  }

  Order Create(const std::string& ref, std::vector<std::string_view> targets,
               CategorySet categories = Bit(Category::kTorrent),
               ScopeSet scope = Bit(Scope::kIsp)) {
    OrderRequest r;
    r.body = "Court of Lima";
    r.reference = ref;
    r.expires_at = clock_.Now() + 30 * kDay;
    r.scope = scope;
    r.categories = categories;
    for (std::string_view t : targets) r.targets.push_back(T(t));
    Result<Order> o = registry_->CreateOrder(kActor, r);
    EXPECT_TRUE(o.ok()) << o.status().ToString();
    return o.ok() ? *o : Order{};
  }

  static AuditResultInput Item(std::string target, std::string verdict, UnixTime at,
                               std::string evidence = R"({"dns":"NXDOMAIN"})") {
    return {std::move(target), std::move(verdict), FormatTime(at), std::move(evidence)};
  }

  // Submits a run for `vantage`; expects it written.
  AuditSubmission Submit(const std::string& vantage, std::vector<AuditResultInput> items,
                         const std::string& label = "lima-1") {
    AuditRunRequest r;
    r.vantage = vantage;
    r.label = label;
    r.results = std::move(items);
    Result<AuditSubmission> s = registry_->SubmitAuditRun(kActor, auditor_, r);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return {};
    for (const AuditItemError& e : s->errors) {
      ADD_FAILURE() << "results[" << e.index << "]." << e.field << ": " << e.message;
    }
    return *s;
  }

  Compliance Report(std::optional<Id> isp = std::nullopt, std::optional<Id> order = std::nullopt) {
    Result<Compliance> c = registry_->ComplianceReport(isp, order);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : Compliance{};
  }

  // A copy: callers pass reports they do not keep.
  static IspCompliance OfIsp(const Compliance& c, Id isp) {
    for (const IspCompliance& i : c.isps) {
      if (i.isp_org_id == isp) return i;
    }
    ADD_FAILURE() << "no row for ISP " << isp;
    return {};
  }

  static const OrderCompliance* OfOrder(const Compliance& c, Id order, Id isp) {
    for (const OrderCompliance& o : c.orders) {
      if (o.order_id == order && o.isp_org_id == isp) return &o;
    }
    return nullptr;
  }

  std::size_t RunCount() { return registry_->ListAuditRuns({})->size(); }
  std::int64_t AuditCount() { return registry_->Counts()->audit_entries; }

  testing::TempDir dir_;
  FakeClock clock_{kNow};
  std::unique_ptr<Store> store_;
  std::unique_ptr<testing::FailingStore> failing_;
  std::unique_ptr<Registry> registry_;
  Id isp_ = 0, other_isp_ = 0, auditor_ = 0;
};

TEST_F(ComplianceTest, ASubmissionNamesEveryBadItemAndFieldAndWritesNothing) {
  Create("R-1", {"a.example"});
  const std::int64_t audit0 = AuditCount();
  AuditRunRequest r;
  r.vantage = "ISP One";
  r.results = {
      Item("domain:a.example", "blocked-dns", kNow - 60),  // fine
      Item("a..example", "blocked-dns", kNow - 60),        // 1: target
      Item("a.example", "blocked", kNow - 60),             // 2: verdict
      Item("a.example", "accessible", kNow + kHour),       // 3: the future
      Item("a.example", "down", kNow - 31 * kDay),         // 4: too old
      Item("a.example", "down", kNow - 60, "[1, 2]"),      // 5: not an object
      Item("a.example", "down", kNow - 60, R"({"body":")" + std::string(5000, 'x') + "\"}"),
      {"a.example", "down", "yesterday", "{}"},  // 7: not a time
  };
  Result<AuditSubmission> s = registry_->SubmitAuditRun(kActor, auditor_, r);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_FALSE(s->ok());
  std::vector<std::pair<std::size_t, std::string>> named;
  for (const AuditItemError& e : s->errors) named.emplace_back(e.index, e.field);
  const std::vector<std::pair<std::size_t, std::string>> want = {
      {1, "target"},   {2, "verdict"},  {3, "measured_at"}, {4, "measured_at"},
      {5, "evidence"}, {6, "evidence"}, {7, "measured_at"}};
  EXPECT_EQ(named, want);
  EXPECT_NE(s->errors[1].message.find("inconclusive"), std::string::npos);  // lists the seven
  EXPECT_NE(s->errors[2].message.find("in the future"), std::string::npos);
  EXPECT_NE(s->errors[5].message.find("4096"), std::string::npos);
  EXPECT_EQ(RunCount(), 0u);
  EXPECT_EQ(AuditCount(), audit0);
  EXPECT_TRUE(Report().late.empty());
}

TEST_F(ComplianceTest, TheRunItselfIsChecked) {
  auto submit = [&](AuditRunRequest r) {
    if (r.vantage.empty()) r.vantage = "ISP One";
    if (r.results.empty()) r.results = {Item("a.example", "accessible", kNow - 60)};
    return registry_->SubmitAuditRun(kActor, auditor_, r);
  };
  auto refused = [&](AuditRunRequest r, std::string_view prefix) {
    Result<AuditSubmission> s = submit(std::move(r));
    ASSERT_FALSE(s.ok()) << prefix;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << s.status().ToString();
    EXPECT_TRUE(s.status().message().starts_with(prefix)) << s.status().ToString();
  };
  AuditRunRequest r;
  r.vantage = "Nobody";
  refused(r, "vantage: there is no organization \"Nobody\"");
  r.vantage = "IFPI";
  refused(r, "vantage: \"IFPI\" is of kind rightsholder, not an isp");
  r.vantage = "#999";
  refused(r, "vantage: there is no organization");
  r = {};
  r.label = std::string(kMaxAuditLabel + 1, 'l');
  refused(r, "label:");
  r.label = "line\nbreak";
  refused(r, "label:");
  r = {};
  r.serial = 7;
  refused(r, "serial: 7 is ahead of the registry's serial 0");
  r = {};
  r.started_at = kNow - 10;
  r.finished_at = kNow - 20;
  refused(r, "finished_at:");
  r.started_at = kNow - 10;
  r.finished_at = kNow + kDay;
  refused(r, "finished_at:");
  r = {};
  r.started_at = kNow - 30;
  r.finished_at = kNow - 20;
  Result<AuditSubmission> outside = submit(r);  // measured before the run started
  ASSERT_TRUE(outside.ok());
  ASSERT_EQ(outside->errors.size(), 1u);
  EXPECT_EQ(outside->errors[0].field, "measured_at");
  r = {};
  r.results.assign(kMaxAuditResults + 1, Item("a.example", "down", kNow - 60));
  refused(r, "results: 5001 results; at most 5000");
  EXPECT_EQ(RunCount(), 0u);

  // "#ID" names the ISP too, and the run is listed with what it says.
  r = {};
  r.vantage = "#" + std::to_string(isp_);
  r.label = "lima-1";
  r.serial = 0;
  Result<AuditSubmission> ok = submit(r);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  ASSERT_TRUE(ok->ok());
  const std::vector<AuditRun> runs = *registry_->ListAuditRuns({});
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].id, ok->run.id);
  EXPECT_EQ(runs[0].isp_org, "ISP One");
  EXPECT_EQ(runs[0].submitter_org, "Observatory");
  EXPECT_EQ(runs[0].actor, kActor);
  EXPECT_EQ(runs[0].label, "lima-1");
  EXPECT_EQ(runs[0].serial, 0);
  EXPECT_EQ(runs[0].started_at, kNow - 60);  // from its one result
  EXPECT_EQ(runs[0].finished_at, kNow - 60);
  EXPECT_EQ(runs[0].submitted_at, kNow);
  EXPECT_EQ(runs[0].results, 1);
  EXPECT_EQ(runs[0].not_in_force, 1);  // a.example is in no order
  const std::vector<AuditEntry> audit = *registry_->Audit({"audit-run", runs[0].id, 0});
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].action, "audit.submit");
  EXPECT_EQ(audit[0].actor, kActor);
  EXPECT_NE(audit[0].detail.find(R"("isp":"ISP One")"), std::string::npos) << audit[0].detail;
}

TEST_F(ComplianceTest, AFailureAtAnyWriteLeavesNoPartOfARun) {
  Create("R-1", {"a.example", "b.example", "192.0.2.1"});
  const std::int64_t audit0 = AuditCount();
  const std::vector<AuditResultInput> items = {Item("a.example", "blocked-dns", kNow - 30),
                                               Item("b.example", "accessible", kNow - 20),
                                               Item("192.0.2.1", "blocked-ip", kNow - 10)};
  AuditRunRequest r;
  r.vantage = "ISP One";
  r.results = items;
  int failures = 0;
  for (int n = 0;; ++n) {
    failing_->Arm(n);
    Result<AuditSubmission> s = registry_->SubmitAuditRun(kActor, auditor_, r);
    failing_->Disarm();
    if (s.ok()) {
      EXPECT_TRUE(s->ok());
      break;
    }
    ++failures;
    EXPECT_EQ(s.status().message(), "injected write failure");
    EXPECT_EQ(RunCount(), 0u) << "after failing write " << n;
    EXPECT_EQ(AuditCount(), audit0) << "after failing write " << n;
    const IspCompliance& one = OfIsp(Report(), isp_);
    EXPECT_EQ(one.not_measured, 3) << "after failing write " << n;
    ASSERT_LT(n, 20);
  }
  EXPECT_EQ(failures, 5);  // the run, three results, the audit entry
  const IspCompliance& one = OfIsp(Report(), isp_);
  EXPECT_EQ(one.not_measured, 0);
  EXPECT_EQ(one.verdicts[V(ProbeVerdict::kAccessible)], 1);
}

TEST_F(ComplianceTest, OnlyEachTargetsLatestResultCountsPerIsp) {
  Create("R-1", {"a.example", "b.example", "c.example"});
  // A later run that measured earlier does not replace a later measurement.
  Submit("ISP One", {Item("a.example", "accessible", kNow - 100),
                     Item("b.example", "accessible", kNow - 100)});
  Submit("ISP One", {Item("a.example", "blocked-dns", kNow - 50)});
  Submit("ISP One", {Item("b.example", "blocked-sni", kNow - 200)});
  // Of equal times, the one submitted last counts; a target measured twice in one run too.
  Submit("ISP One",
         {Item("c.example", "down", kNow - 10), Item("c.example", "inconclusive", kNow - 10)});
  Submit("ISP Two", {Item("a.example", "blocked-http", kNow - 10)});

  const Compliance c = Report();
  ASSERT_EQ(c.isps.size(), 2u);
  const IspCompliance& one = OfIsp(c, isp_);
  EXPECT_EQ(one.isp_org, "ISP One");
  EXPECT_EQ(one.targets, 3);
  EXPECT_EQ(one.verdicts[V(ProbeVerdict::kBlockedDns)], 1);
  EXPECT_EQ(one.verdicts[V(ProbeVerdict::kAccessible)], 1);  // b: -100 beats -200
  EXPECT_EQ(one.verdicts[V(ProbeVerdict::kBlockedSni)], 0);
  EXPECT_EQ(one.verdicts[V(ProbeVerdict::kInconclusive)], 1);
  EXPECT_EQ(one.verdicts[V(ProbeVerdict::kDown)], 0);
  EXPECT_EQ(one.not_measured, 0);
  const IspCompliance& two = OfIsp(c, other_isp_);
  EXPECT_EQ(two.verdicts[V(ProbeVerdict::kBlockedHttp)], 1);
  EXPECT_EQ(two.not_measured, 2);

  // One ISP alone.
  const Compliance only = Report(other_isp_);
  ASSERT_EQ(only.isps.size(), 1u);
  EXPECT_EQ(only.isps[0].isp_org, "ISP Two");
  EXPECT_EQ(only.isps[0].verdicts[V(ProbeVerdict::kBlockedHttp)], 1);
  EXPECT_EQ(registry_->ListAuditRuns({other_isp_, 0, 0})->size(), 1u);
  EXPECT_EQ(registry_->ListAuditRuns({0, 0, 2})->size(), 2u);  // paged
  EXPECT_EQ(registry_->ListAuditRuns({0, 4, 0})->size(), 1u);
}

TEST_F(ComplianceTest, PerOrderCountsFollowTheOrdersItemsInTheIspView) {
  const Order o1 = Create("R-1", {"a.example", "b.example", "shared.example", "play:com.x.app"});
  const Order o2 = Create("R-2", {"shared.example", "c.example"});
  const Order search_only =
      Create("S-1", {"d.example"}, Bit(Category::kTorrent), Bit(Scope::kSearch));
  Submit(
      "ISP One",
      {Item("a.example", "blocked-dns", kNow - 10), Item("shared.example", "accessible", kNow - 10),
       Item("c.example", "blocked-ip", kNow - 10), Item("d.example", "accessible", kNow - 10)});

  const Compliance c = Report();
  const IspCompliance& one = OfIsp(c, isp_);
  EXPECT_EQ(one.targets, 4);  // a, b, shared, c: the app and the search-only target are not
  EXPECT_EQ(one.verdicts[V(ProbeVerdict::kAccessible)], 1);
  EXPECT_EQ(one.not_measured, 1);
  EXPECT_EQ(one.outside_view[V(ProbeVerdict::kAccessible)], 1);  // d.example
  const OrderCompliance* r1 = OfOrder(c, o1.id, isp_);
  ASSERT_NE(r1, nullptr);
  EXPECT_EQ(r1->order_reference, "R-1");
  EXPECT_EQ(r1->isp_org, "ISP One");
  EXPECT_EQ(r1->items, 3);
  EXPECT_EQ(r1->verdicts[V(ProbeVerdict::kBlockedDns)], 1);
  EXPECT_EQ(r1->verdicts[V(ProbeVerdict::kAccessible)], 1);
  EXPECT_EQ(r1->not_measured, 1);
  const OrderCompliance* r2 = OfOrder(c, o2.id, isp_);
  ASSERT_NE(r2, nullptr);
  EXPECT_EQ(r2->items, 2);
  EXPECT_EQ(r2->verdicts[V(ProbeVerdict::kAccessible)], 1);
  EXPECT_EQ(r2->verdicts[V(ProbeVerdict::kBlockedIp)], 1);
  EXPECT_EQ(r2->not_measured, 0);
  EXPECT_EQ(OfOrder(c, search_only.id, isp_), nullptr);
  EXPECT_EQ(OfOrder(c, o1.id, other_isp_), nullptr);  // never measured: no row of its own
  ASSERT_EQ(c.orders.size(), 2u);
  EXPECT_EQ(c.orders[0].order_id, o1.id);  // by order

  // One order: every ISP has a row; the per-ISP counts are of that order's targets.
  const Compliance just2 = Report(std::nullopt, o2.id);
  ASSERT_EQ(just2.orders.size(), 2u);
  const OrderCompliance* two = OfOrder(just2, o2.id, other_isp_);
  ASSERT_NE(two, nullptr);
  EXPECT_EQ(two->not_measured, 2);
  EXPECT_EQ(OfIsp(just2, isp_).targets, 2);
  EXPECT_EQ(OfIsp(just2, isp_).not_measured, 0);
  EXPECT_EQ(OfIsp(just2, isp_).outside_view[V(ProbeVerdict::kAccessible)], 0);

  Result<Compliance> missing = registry_->ComplianceReport(std::nullopt, 999);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  Result<Compliance> not_isp = registry_->ComplianceReport(auditor_, std::nullopt);
  EXPECT_EQ(not_isp.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(registry_->FindIsp("#" + std::to_string(other_isp_))->name, "ISP Two");
  EXPECT_EQ(registry_->FindIsp("Nobody").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(registry_->FindIsp("Observatory").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ComplianceTest, AnItemIsLateWhenStillAccessibleAfterItsDeadline) {
  // Default deadline: 24 hours; live sports: 30 minutes.
  const Order films = Create("R-1", {"films.example", "more.example"});
  const Order match = Create("LIVE-1", {"match.example"}, Bit(Category::kLiveSports));
  clock_.Set(kNow + 20 * 60);
  Submit("ISP One", {Item("films.example", "accessible", kNow + 60),
                     Item("match.example", "accessible", kNow + 20 * 60)});
  EXPECT_TRUE(Report().late.empty());  // both accessible, both before their deadlines

  clock_.Set(kNow + 40 * 60);
  Submit("ISP One", {Item("match.example", "accessible", kNow + 40 * 60)});
  Compliance c = Report();
  ASSERT_EQ(c.late.size(), 1u);
  EXPECT_EQ(c.late[0].order_id, match.id);
  EXPECT_EQ(c.late[0].target, T("match.example"));
  EXPECT_EQ(c.late[0].deadline, kNow + 30 * 60);
  EXPECT_EQ(c.late[0].in_force_since, kNow);
  EXPECT_EQ(c.late[0].measured_at, kNow + 40 * 60);
  EXPECT_EQ(c.late[0].isp_org, "ISP One");
  EXPECT_EQ(c.late[0].acknowledged, "");
  EXPECT_EQ(OfIsp(c, isp_).late, 1);
  EXPECT_EQ(OfOrder(c, match.id, isp_)->late, 1);
  EXPECT_EQ(OfOrder(c, films.id, isp_)->late, 0);

  // An earlier measurement stays what it was: films.example was accessible before its
  // deadline, so it is not late even now that the deadline has passed...
  clock_.Set(kNow + 25 * kHour);
  EXPECT_EQ(Report().late.size(), 1u);
  // ...until a measurement after the deadline finds it accessible; one acknowledged as processed
  // still shows, with its acknowledgement.
  AckItem ack;
  ack.order_id = films.id;
  ack.target = T("films.example");
  ASSERT_TRUE(registry_->Acknowledge(kActor, isp_, Scope::kIsp, {&ack, 1})->ok());
  Submit("ISP One", {Item("films.example", "accessible", kNow + 25 * kHour),
                     Item("match.example", "blocked-dns", kNow + 25 * kHour)});
  c = Report();
  ASSERT_EQ(c.late.size(), 1u);
  EXPECT_EQ(c.late[0].order_id, films.id);
  EXPECT_EQ(c.late[0].target, T("films.example"));
  EXPECT_EQ(c.late[0].acknowledged, "processed");
  EXPECT_TRUE(Report(other_isp_).late.empty());
  EXPECT_TRUE(Report(std::nullopt, match.id).late.empty());
  EXPECT_EQ(Report(std::nullopt, films.id).late.size(), 1u);

  // A target added later to a dynamic order has its own deadline, from when it was attached.
  OrderRequest r;
  r.body = "AGCOM";
  r.reference = "DYN-1";
  r.expires_at = clock_.Now() + 30 * kDay;
  r.scope = Bit(Scope::kIsp);
  r.dynamic = true;
  r.targets = {T("first.example")};
  Result<Order> dyn = registry_->CreateOrder(kActor, r);
  ASSERT_TRUE(dyn.ok());
  clock_.Advance(2 * kDay);
  const std::vector<Target> mirror = {T("mirror.example")};
  ASSERT_TRUE(registry_->AddTargets(kActor, dyn->id, mirror, "mirror").ok());
  Submit("ISP One", {Item("first.example", "accessible", clock_.Now()),
                     Item("mirror.example", "accessible", clock_.Now())});
  std::vector<std::string> late;
  for (const LateItem& l : Report(isp_, dyn->id).late) late.push_back(l.target.value);
  EXPECT_EQ(late, std::vector<std::string>{"first.example"});
}

TEST_F(ComplianceTest, ResultsOfTargetsOutOfForceAreKeptAndReportedApart) {
  const Order o = Create("R-1", {"kept.example", "lifted.example"});
  const Order gone = Create("R-2", {"gone.example"});
  AuditSubmission s = Submit("ISP One", {Item("kept.example", "blocked-dns", kNow - 10),
                                         Item("never.example", "accessible", kNow - 10),
                                         Item("ip:198.51.100.1", "down", kNow - 10)});
  EXPECT_EQ(s.run.results, 3);
  EXPECT_EQ(s.run.not_in_force, 2);
  EXPECT_EQ(s.verdicts[V(ProbeVerdict::kAccessible)], 1);
  Submit("ISP One", {Item("gone.example", "accessible", kNow - 5)});
  // The order that named gone.example is lifted: its result moves outside the view.
  ASSERT_TRUE(registry_->Lift(kActor, gone.id, "appeal upheld").ok());
  const Compliance c = Report();
  const IspCompliance& one = OfIsp(c, isp_);
  EXPECT_EQ(one.targets, 2);
  EXPECT_EQ(one.verdicts[V(ProbeVerdict::kBlockedDns)], 1);
  EXPECT_EQ(one.not_measured, 1);                                // lifted.example
  EXPECT_EQ(one.outside_view[V(ProbeVerdict::kAccessible)], 2);  // never, gone
  EXPECT_EQ(one.outside_view[V(ProbeVerdict::kDown)], 1);
  EXPECT_TRUE(c.late.empty());
  EXPECT_EQ(OfOrder(c, gone.id, isp_), nullptr);
  EXPECT_NE(OfOrder(c, o.id, isp_), nullptr);
  EXPECT_EQ(registry_->ListAuditRuns({})->front().not_in_force, 2);
}

}  // namespace
}  // namespace interdict
