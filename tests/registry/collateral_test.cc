// The collateral-damage guard inside the registry's workflows: imported data sets, refusals that
// say what a target would hit and write nothing, overrides by an authority admin (public, in
// the transparency log), and public suffixes that no override opens.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "registry/registry.h"
#include "registry/transparency.h"
#include "testing/targets.h"
#include "testing/temp_dir.h"

namespace interdict {
namespace {

constexpr UnixTime kNow = 1790000000;  // 2026-09-21
constexpr std::string_view kActor = "tester";

using testing::T;

std::string ReadTestFile(const std::string& name) {
  std::ifstream in(std::string(INTERDICT_TESTDATA) + "/" + name);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class CollateralTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<Store>> s = OpenSqliteStore(dir_.File("registry.db"));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    registry_ = std::make_unique<Registry>(*store_, clock_);
    ASSERT_TRUE(registry_->AddOrganization(kActor, OrgKind::kRightsholder, "LaLiga").ok());
    ASSERT_TRUE(Import("ranges", "cloudflare", "ranges/cloudflare.txt").ok());
  }

  Status Import(std::string kind, std::string name, const std::string& file) {
    GuardSet set;
    set.kind = std::move(kind);
    set.name = std::move(name);
    set.source = file;
    set.content = ReadTestFile(file);
    return registry_->ImportGuardSet(kActor, std::move(set)).status();
  }

  Status ImportText(std::string kind, std::string name, std::string text) {
    GuardSet set;
    set.kind = std::move(kind);
    set.name = std::move(name);
    set.source = set.name + ".txt";
    set.content = std::move(text);
    return registry_->ImportGuardSet(kActor, std::move(set)).status();
  }

  OrderRequest Request(std::string ref, std::vector<std::string_view> targets,
                       bool dynamic = false) {
    OrderRequest r;
    r.body = "Juzgado Mercantil 6";
    r.reference = std::move(ref);
    r.categories = Bit(Category::kLiveSports);
    r.dynamic = dynamic;
    for (std::string_view t : targets) r.targets.push_back(T(t));
    return r;
  }

  std::int64_t Orders() { return registry_->Counts()->orders; }

  testing::TempDir dir_;
  FakeClock clock_{kNow};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Registry> registry_;
};

TEST_F(CollateralTest, ACdnAddressIsRefusedNamingTheProviderAndNothingIsWritten) {
  const std::int64_t before = Orders();
  Result<Order> o =
      registry_->CreateOrder(kActor, Request("MD-1", {"104.16.1.1", "futbol-libre.example"}));
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(o.status().message().find("ip:104.16.1.1"), std::string::npos);
  EXPECT_NE(o.status().message().find("cloudflare range 104.16.0.0/13"), std::string::npos)
      << o.status().message();
  EXPECT_NE(o.status().message().find("interdict guard override"), std::string::npos);
  EXPECT_EQ(Orders(), before);
  EXPECT_EQ(*registry_->LogSize(), 0u);
  // A CIDR that contains a Cloudflare range is refused just the same.
  EXPECT_FALSE(registry_->CreateOrder(kActor, Request("MD-2", {"cidr:104.0.0.0/8"})).ok());
  // An address outside every range goes through.
  EXPECT_TRUE(registry_->CreateOrder(kActor, Request("MD-3", {"198.51.100.7"})).ok());
}

TEST_F(CollateralTest, AnOverrideLetsTheTargetThroughAndIsPublicAndLogged) {
  EXPECT_EQ(registry_->OverrideGuard(kActor, T("104.16.1.1"), "").status().code(),
            StatusCode::kInvalidArgument);  // a written reason is required
  Result<GuardOverride> o =
      registry_->OverrideGuard(kActor, T("104.16.1.1"), "dedicated address of the pirate site");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_NE(o->findings.find("cloudflare"), std::string::npos);
  Result<Order> order = registry_->CreateOrder(kActor, Request("MD-4", {"104.16.1.1"}));
  ASSERT_TRUE(order.ok()) << order.status().ToString();
  // Public: listed for anyone; and in the transparency log before the order that used it.
  Result<std::vector<GuardOverride>> all = registry_->GuardOverrides();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].reason, "dedicated address of the pirate site");
  Result<std::vector<LogEntry>> entries = registry_->LogEntries(0, 10);
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_NE((*entries)[0].event.find("\"event\":\"guard.override\""), std::string::npos);
  EXPECT_NE((*entries)[1].event.find("\"event\":\"order.create\""), std::string::npos);
  Result<LogVerification> v = registry_->VerifyLog(nullptr, nullptr);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->problems.empty()) << v->problems.front();
  // Nothing to override on a clear target.
  EXPECT_EQ(registry_->OverrideGuard(kActor, T("198.51.100.9"), "why not").status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(CollateralTest, PublicSuffixTreesAreRefusedAndCannotBeOverridden) {
  for (const char* tree : {"*.github.io", "*.co.uk", "*.blogspot.com"}) {
    Result<Order> o = registry_->CreateOrder(kActor, Request(std::string("PS-") + tree, {tree}));
    ASSERT_FALSE(o.ok()) << tree;
    EXPECT_NE(o.status().message().find("public-suffix"), std::string::npos) << tree;
    EXPECT_EQ(registry_->OverrideGuard(kActor, T(tree), "please").status().code(),
              StatusCode::kFailedPrecondition)
        << tree;
  }
  // A registrable domain's tree is fine.
  EXPECT_TRUE(registry_->CreateOrder(kActor, Request("PS-ok", {"*.pirate.github.io"})).ok());
}

TEST_F(CollateralTest, TargetsAddedLaterAndApprovalsAreGuardedToo) {
  Result<Order> o = registry_->CreateOrder(kActor, Request("MD-5", {"stream1.example"}, true));
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  Result<std::size_t> added =
      registry_->AddTargets(kActor, o->id, std::vector<Target>{T("104.17.2.2")}, "mirror");
  EXPECT_EQ(added.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(registry_->ShowOrder(o->id)->targets.size(), 1u);

  ReferralRequest referral;
  referral.org = "LaLiga";
  referral.category = Category::kLiveSports;
  referral.targets = {T("stream2.example"), T("2606:4700::1")};
  Result<Referral> r = registry_->Refer(kActor, referral);
  ASSERT_TRUE(r.ok());
  Result<Referral> approved = registry_->Approve(kActor, r->id, o->id, "same match");
  EXPECT_EQ(approved.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(approved.status().message().find("2606:4700::1"), std::string::npos);
  EXPECT_EQ(registry_->GetReferral(r->id)->state, ReferralState::kSubmitted);
}

TEST_F(CollateralTest, PopularSitesAndWhitelistedServicesAreFlagged) {
  ASSERT_TRUE(ImportText("popular", "tranco", "1,google.com\n2,youtube.com\n").ok());
  ASSERT_TRUE(
      ImportText("whitelist", "critical", "domain-tree:drive.google.com Google Drive\n").ok());
  Result<std::vector<TargetAssessment>> a = registry_->Assess(
      std::vector<Target>{T("youtube.com"), T("*.google.com"), T("pirate.example")});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_EQ(a->size(), 3u);
  EXPECT_TRUE((*a)[0].refused());
  EXPECT_EQ((*a)[0].findings.at(0).rule, guard::Finding::Rule::kPopular);
  EXPECT_TRUE((*a)[1].refused());  // above Google Drive, and popular
  bool whitelist = false;
  for (const guard::Finding& f : (*a)[1].findings) {
    whitelist |= f.rule == guard::Finding::Rule::kWhitelist;
  }
  EXPECT_TRUE(whitelist);
  EXPECT_FALSE((*a)[2].refused());
  EXPECT_TRUE((*a)[2].findings.empty());
}

TEST_F(CollateralTest, ABadDataFileIsRefusedNamingItsLineAndKeepsTheOldSet) {
  const Status bad = ImportText("ranges", "cloudflare", "# header\n104.16.0.0/13\n10.0.0/8\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("cloudflare.txt:3"), std::string::npos) << bad.message();
  EXPECT_FALSE(registry_->CreateOrder(kActor, Request("MD-6", {"104.16.1.1"})).ok());
  // A new set of the same name replaces the old one, and the guard follows.
  ASSERT_TRUE(ImportText("ranges", "cloudflare", "# now empty\n").ok());
  EXPECT_TRUE(registry_->CreateOrder(kActor, Request("MD-7", {"104.16.1.1"})).ok());
  Result<std::vector<GuardSet>> sets = registry_->GuardSets();
  ASSERT_EQ(sets->size(), 1u);
  EXPECT_EQ((*sets)[0].bytes, 12);
}

}  // namespace
}  // namespace interdict
