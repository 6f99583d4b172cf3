// Access tokens, roles, acknowledgements and deadlines: src/auth/access.h and the Registry
// methods built on them.
#include "auth/access.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cctype>
#include <filesystem>

#include "core/digest.h"
#include "registry/registry.h"
#include "testing/targets.h"
#include "testing/temp_dir.h"

namespace interdict {
namespace {

constexpr UnixTime kNow = 1790000000;  // 2026-09-21
constexpr std::int64_t kMinute = 60;
constexpr std::int64_t kHour = 3600;
constexpr std::int64_t kDay = 86400;
constexpr std::string_view kActor = "tester";

using testing::T;

std::string Hex(std::string_view raw) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : raw) {
    out.push_back(kHex[static_cast<unsigned char>(c) >> 4]);
    out.push_back(kHex[static_cast<unsigned char>(c) & 0xf]);
  }
  return out;
}

class AccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<Store>> s = OpenSqliteStore(db_path_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    registry_ = std::make_unique<Registry>(*store_, clock_);
    authority_ = AddOrg(OrgKind::kAuthority, "AGCOM");
    rightsholder_ = AddOrg(OrgKind::kRightsholder, "IFPI");
    isp1_ = AddOrg(OrgKind::kIsp, "ISP One");
    isp2_ = AddOrg(OrgKind::kIsp, "ISP Two");
    search_ = AddOrg(OrgKind::kSearch, "Search Co");
    auditor_ = AddOrg(OrgKind::kAuditor, "Court of Auditors");
  }

  Id AddOrg(OrgKind kind, std::string_view name) {
    Result<Organization> o = registry_->AddOrganization(kActor, kind, name);
    EXPECT_TRUE(o.ok()) << o.status().ToString();
    return o.ok() ? o->id : 0;
  }

  Id CreateOrder(std::string ref, CategorySet categories, ScopeSet scope,
                 std::vector<std::string_view> targets, bool dynamic = false) {
    OrderRequest r;
    r.body = "Tribunale di Milano";
    r.reference = std::move(ref);
    r.expires_at = kNow + 365 * kDay;
    r.categories = categories;
    r.scope = scope;
    r.dynamic = dynamic;
    for (std::string_view t : targets) r.targets.push_back(T(t));
    Result<Order> o = registry_->CreateOrder(kActor, r);
    EXPECT_TRUE(o.ok()) << o.status().ToString();
    return o.ok() ? o->id : 0;
  }

  std::vector<AuditEntry> AuditOf(std::string_view action) {
    Result<std::vector<AuditEntry>> all = registry_->Audit({});
    EXPECT_TRUE(all.ok());
    std::vector<AuditEntry> out;
    for (AuditEntry& e : *all) {
      if (e.action == action) out.push_back(std::move(e));
    }
    return out;
  }

  std::size_t AuditCount() { return registry_->Audit({})->size(); }

  AckResult Ack(Id org, Scope scope, std::vector<AckItem> items) {
    Result<AckResult> r = registry_->Acknowledge(kActor, org, scope, items);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : AckResult{};
  }

  static AckItem Processed(Id order, std::string_view target) {
    return {order, T(target), true, std::nullopt, ""};
  }
  static AckItem Unprocessed(Id order, std::string_view target, AckReason reason,
                             std::string note = "") {
    return {order, T(target), false, reason, std::move(note)};
  }

  testing::TempDir dir_;
  std::string db_path_ = dir_.File("registry.db");
  FakeClock clock_{kNow};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Registry> registry_;
  Id authority_ = 0, rightsholder_ = 0, isp1_ = 0, isp2_ = 0, search_ = 0, auditor_ = 0;
};

// ---- roles

TEST(RoleTest, NamesRoundTripAndUnknownNamesListTheValidOnes) {
  for (int i = 0; i <= static_cast<int>(Role::kAuditor); ++i) {
    const auto role = static_cast<Role>(i);
    Result<Role> back = ParseRole(Name(role));
    ASSERT_TRUE(back.ok()) << Name(role);
    EXPECT_EQ(*back, role);
  }
  EXPECT_EQ(Name(Role::kAuthorityAdmin), "authority-admin");
  EXPECT_EQ(Name(Role::kAuthorityReviewer), "authority-reviewer");
  Result<Role> bad = ParseRole("root");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("authority-admin, authority-reviewer, rightsholder, isp, "
                                        "search, appstore, vpn, auditor"),
            std::string::npos)
      << bad.status().message();
}

TEST(RoleTest, RolesFitTheirOrganizationKinds) {
  EXPECT_TRUE(RoleFitsOrg(Role::kAuthorityAdmin, OrgKind::kAuthority));
  EXPECT_TRUE(RoleFitsOrg(Role::kAuthorityReviewer, OrgKind::kAuthority));
  EXPECT_FALSE(RoleFitsOrg(Role::kAuthorityAdmin, OrgKind::kAuditor));
  EXPECT_TRUE(RoleFitsOrg(Role::kRightsholder, OrgKind::kRightsholder));
  EXPECT_FALSE(RoleFitsOrg(Role::kRightsholder, OrgKind::kIsp));
  EXPECT_TRUE(RoleFitsOrg(Role::kIsp, OrgKind::kIsp));
  EXPECT_FALSE(RoleFitsOrg(Role::kIsp, OrgKind::kVpn));
  EXPECT_TRUE(RoleFitsOrg(Role::kSearch, OrgKind::kSearch));
  EXPECT_TRUE(RoleFitsOrg(Role::kAppstore, OrgKind::kAppstore));
  EXPECT_TRUE(RoleFitsOrg(Role::kVpn, OrgKind::kVpn));
  EXPECT_TRUE(RoleFitsOrg(Role::kAuditor, OrgKind::kAuditor));
  EXPECT_TRUE(RoleFitsOrg(Role::kAuditor, OrgKind::kAuthority));
  EXPECT_FALSE(RoleFitsOrg(Role::kAuditor, OrgKind::kRightsholder));
}

TEST(TokenSecretTest, SecretsAreIdtAnd64LowercaseHexDigitsAndDiffer) {
  Result<std::string> a = GenerateTokenSecret();
  Result<std::string> b = GenerateTokenSecret();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 68u);
  EXPECT_TRUE(a->starts_with("idt_"));
  EXPECT_EQ(a->find_first_not_of("0123456789abcdef", 4), std::string::npos);
  EXPECT_TRUE(IsWellFormedTokenSecret(*a));
  EXPECT_NE(*a, *b);
  EXPECT_EQ(TokenHash(*a).size(), 32u);
  EXPECT_EQ(Hex(TokenHash(*a)), Sha256Hex(*a));
}

// ---- tokens

TEST_F(AccessTest, TokenAuthenticatesUntilRevoked) {
  Result<std::pair<ApiToken, std::string>> made =
      registry_->CreateToken(kActor, isp1_, Role::kIsp, "resolver sync");
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  const auto& [token, secret] = *made;
  EXPECT_GT(token.id, 0);
  EXPECT_EQ(token.org_name, "ISP One");
  EXPECT_EQ(token.label, "resolver sync");
  EXPECT_EQ(token.created_at, kNow);
  EXPECT_EQ(token.created_by, kActor);
  EXPECT_FALSE(token.revoked());

  Result<std::optional<Principal>> p = registry_->Authenticate(secret);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_TRUE(p->has_value());
  EXPECT_EQ((*p)->token_id, token.id);
  EXPECT_EQ((*p)->org_id, isp1_);
  EXPECT_EQ((*p)->org_kind, OrgKind::kIsp);
  EXPECT_EQ((*p)->org_name, "ISP One");
  EXPECT_EQ((*p)->role, Role::kIsp);

  Result<std::vector<ApiToken>> list = registry_->ListTokens();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, token.id);
  EXPECT_EQ((*list)[0].role, Role::kIsp);

  clock_.Advance(kMinute);
  Result<ApiToken> revoked = registry_->RevokeToken(kActor, token.id);
  ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
  EXPECT_EQ(revoked->revoked_at, kNow + kMinute);
  p = registry_->Authenticate(secret);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->has_value());
  EXPECT_TRUE((*registry_->ListTokens())[0].revoked());

  Result<ApiToken> again = registry_->RevokeToken(kActor, token.id);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  Result<ApiToken> missing = registry_->RevokeToken(kActor, 999);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST_F(AccessTest, TokensOfOneOrganizationAreIndependent) {
  auto a = registry_->CreateToken(kActor, isp1_, Role::kIsp, "a");
  auto b = registry_->CreateToken(kActor, isp1_, Role::kIsp, "b");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(registry_->RevokeToken(kActor, a->first.id).ok());
  EXPECT_FALSE(registry_->Authenticate(a->second)->has_value());
  EXPECT_TRUE(registry_->Authenticate(b->second)->has_value());
}

TEST_F(AccessTest, RoleThatDoesNotFitTheOrganizationIsRefused) {
  const std::size_t audit_before = AuditCount();
  auto wrong = registry_->CreateToken(kActor, rightsholder_, Role::kIsp, "");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong.status().message().find("role: "), std::string::npos);
  EXPECT_NE(wrong.status().message().find("\"IFPI\" is of kind rightsholder"), std::string::npos)
      << wrong.status().message();
  EXPECT_FALSE(registry_->CreateToken(kActor, isp1_, Role::kAuthorityAdmin, "").ok());
  EXPECT_FALSE(registry_->CreateToken(kActor, auditor_, Role::kAuthorityReviewer, "").ok());
  EXPECT_FALSE(registry_->CreateToken(kActor, search_, Role::kIsp, "").ok());
  auto unknown = registry_->CreateToken(kActor, 999, Role::kIsp, "");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(registry_->CreateToken(kActor, isp1_, Role::kIsp, std::string(201, 'x')).ok());
  EXPECT_FALSE(registry_->CreateToken("", isp1_, Role::kIsp, "").ok());
  EXPECT_EQ(AuditCount(), audit_before);
  EXPECT_TRUE(registry_->ListTokens()->empty());

  EXPECT_TRUE(registry_->CreateToken(kActor, authority_, Role::kAuditor, "").ok());
  EXPECT_TRUE(registry_->CreateToken(kActor, authority_, Role::kAuthorityReviewer, "").ok());
  EXPECT_TRUE(registry_->CreateToken(kActor, auditor_, Role::kAuditor, "").ok());
  EXPECT_TRUE(registry_->CreateToken(kActor, rightsholder_, Role::kRightsholder, "").ok());
}

TEST_F(AccessTest, MalformedAndUnknownSecretsAuthenticateNobody) {
  auto made = registry_->CreateToken(kActor, isp1_, Role::kIsp, "");
  ASSERT_TRUE(made.ok());
  const std::string& good = made->second;
  std::string upper = good;
  for (std::size_t i = 4; i < upper.size(); ++i)
    upper[i] = static_cast<char>(std::toupper(upper[i]));
  std::string other_hex = good;
  other_hex.back() = other_hex.back() == '0' ? '1' : '0';
  const std::vector<std::string> bad = {
      "",
      "idt_",
      good.substr(0, good.size() - 1),             // 63 digits
      good + "0",                                  // 65 digits
      "tok_" + good.substr(4),                     // wrong prefix
      good.substr(4),                              // no prefix
      upper,                                       // uppercase hex
      good.substr(0, 10) + "g" + good.substr(11),  // not hex
      " " + good,                                  // padding
      "Bearer " + good,                            // a header, not a secret
      std::string(good).replace(20, 1, std::string(1, '\0')),
      other_hex,             // well-formed, unknown
      Hex(TokenHash(good)),  // the hash is not the secret
  };
  for (const std::string& s : bad) {
    Result<std::optional<Principal>> p = registry_->Authenticate(s);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_FALSE(p->has_value()) << "\"" << s << "\"";
  }
  EXPECT_TRUE(registry_->Authenticate(good)->has_value());
}

TEST_F(AccessTest, OnlyTheHashOfTheSecretIsStored) {
  auto made = registry_->CreateToken(kActor, isp1_, Role::kIsp, "label");
  ASSERT_TRUE(made.ok());
  const std::string& secret = made->second;
  store_.reset();  // checkpoint and close
  registry_.reset();

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT typeof(hash), length(hash), lower(hex(hash)), role, label "
                               "FROM api_tokens",
                               -1, &st, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  auto text = [&](int col) {
    return std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, col)));
  };
  EXPECT_EQ(text(0), "blob");
  EXPECT_EQ(sqlite3_column_int(st, 1), 32);
  EXPECT_EQ(text(2), Sha256Hex(secret));
  EXPECT_NE(text(2), secret.substr(4));
  EXPECT_EQ(text(3), "isp");
  EXPECT_EQ(text(4), "label");
  EXPECT_EQ(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
  sqlite3_close(db);

  // The secret appears nowhere in the files: not in the tokens, not in the audit trail.
  for (const std::string& path : {db_path_, db_path_ + "-wal"}) {
    if (!std::filesystem::exists(path)) continue;
    const std::string bytes = testing::ReadFile(path);
    EXPECT_EQ(bytes.find(secret), std::string::npos) << path;
    EXPECT_EQ(bytes.find(secret.substr(4)), std::string::npos) << path;
  }
}

// ---- acknowledgements

class AckTest : public AccessTest {
 protected:
  void SetUp() override {
    AccessTest::SetUp();
    live_ = CreateOrder("LIVE-1", Bit(Category::kLiveSports), Bit(Scope::kIsp),
                        {"live.example", "203.0.113.9", "play:com.live.app"});
    torrent_ = CreateOrder("TOR-1", Bit(Category::kTorrent), Bit(Scope::kIsp) | Bit(Scope::kSearch),
                           {"tor.example"});
    search_only_ =
        CreateOrder("SRCH-1", Bit(Category::kLinkSite), Bit(Scope::kSearch), {"links.example"});
    suspended_ = CreateOrder("SUSP-1", Bit(Category::kTorrent), Bit(Scope::kIsp), {"susp.example"});
    ASSERT_TRUE(registry_->Suspend(kActor, suspended_, "appeal").ok());
  }

  Id live_ = 0, torrent_ = 0, search_only_ = 0, suspended_ = 0;
};

TEST_F(AckTest, EveryBadFieldIsNamedAndNothingIsWritten) {
  const Id extra = CreateOrder("EXTRA-1", Bit(Category::kTorrent), Bit(Scope::kIsp),
                               {"x1.example", "x2.example"});
  const std::size_t audit_before = AuditCount();
  std::vector<AckItem> items = {
      Processed(live_, "live.example"),                                 // 0: good
      Processed(999, "live.example"),                                   // 1: no such order
      Processed(suspended_, "susp.example"),                            // 2: not in force
      Processed(search_only_, "links.example"),                         // 3: not for isp
      Processed(live_, "other.example"),                                // 4: not in the order
      Processed(live_, "play:com.live.app"),                            // 5: not in the view
      {live_, T("203.0.113.9"), true, AckReason::kAlreadyBlocked, ""},  // 6: reason when processed
      {extra, T("x1.example"), false, std::nullopt, ""},                // 7: no reason
      Unprocessed(extra, "x2.example", AckReason::kTechnicalError,
                  std::string(1001, 'n')),  // 8: note too long
      Processed(live_, "live.example"),     // 9: twice
      Processed(torrent_, "live.example"),  // 10: other order's target
  };
  Result<AckResult> r = registry_->Acknowledge(kActor, isp1_, Scope::kIsp, items);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->ok());
  EXPECT_EQ(r->written, 0u);
  std::vector<std::pair<std::size_t, std::string>> got;
  for (const AckError& e : r->errors) {
    got.emplace_back(e.index, e.field);
    EXPECT_FALSE(e.message.empty());
  }
  const std::vector<std::pair<std::size_t, std::string>> want = {
      {1, "order_id"}, {2, "order_id"}, {3, "order_id"}, {4, "target"}, {5, "target"},
      {6, "reason"},   {7, "reason"},   {8, "note"},     {9, "target"}, {10, "target"}};
  EXPECT_EQ(got, want);
  auto message = [&](std::size_t index) {
    for (const AckError& e : r->errors) {
      if (e.index == index) return e.message;
    }
    return std::string();
  };
  EXPECT_NE(message(1).find("there is no order 999"), std::string::npos) << message(1);
  EXPECT_NE(message(2).find("suspended, not in force"), std::string::npos) << message(2);
  EXPECT_NE(message(3).find("does not apply to the isp view"), std::string::npos) << message(3);
  EXPECT_NE(message(4).find("domain:other.example is not in force under order"), std::string::npos)
      << message(4);
  EXPECT_NE(message(5).find("carries no app targets"), std::string::npos) << message(5);
  EXPECT_NE(message(7).find("already-blocked, not-applicable or technical-error"),
            std::string::npos);
  EXPECT_NE(message(9).find("item 0"), std::string::npos) << message(9);

  EXPECT_TRUE(registry_->Acknowledgements(0, 0)->empty());
  EXPECT_EQ(AuditCount(), audit_before);
}

TEST_F(AckTest, OneBadItemKeepsTheWholeBatchOut) {
  const std::size_t audit_before = AuditCount();
  AckResult r = Ack(isp1_, Scope::kIsp,
                    {Processed(live_, "live.example"), Processed(live_, "203.0.113.9"),
                     Processed(live_, "nope.example")});
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].index, 2u);
  EXPECT_EQ(r.errors[0].field, "target");
  EXPECT_TRUE(registry_->Acknowledgements(0, 0)->empty());
  EXPECT_EQ(AuditCount(), audit_before);

  r = Ack(isp1_, Scope::kIsp, {Processed(live_, "live.example"), Processed(live_, "203.0.113.9")});
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.written, 2u);
  EXPECT_EQ(registry_->Acknowledgements(isp1_, 0)->size(), 2u);
  EXPECT_EQ(AuditCount(), audit_before + 2);
}

TEST_F(AckTest, BatchLevelProblemsAreErrors) {
  auto status = [&](Id org, Scope scope, std::vector<AckItem> items) {
    Result<AckResult> r = registry_->Acknowledge(kActor, org, scope, items);
    return r.ok() ? Status::Ok() : r.status();
  };
  const std::vector<AckItem> one = {Processed(live_, "live.example")};
  EXPECT_EQ(status(999, Scope::kIsp, one).code(), StatusCode::kNotFound);
  Status s = status(rightsholder_, Scope::kIsp, one);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("only isp, search, appstore and vpn"), std::string::npos);
  s = status(isp1_, Scope::kSearch, one);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("scope: "), std::string::npos) << s.message();
  EXPECT_EQ(status(isp1_, Scope::kIsp, {}).code(), StatusCode::kInvalidArgument);
  Result<AckResult> no_actor = registry_->Acknowledge("", isp1_, Scope::kIsp, one);
  EXPECT_FALSE(no_actor.ok());
}

TEST_F(AckTest, ALaterAcknowledgementReplacesTheEarlierAndBothAreAudited) {
  AckResult r = Ack(isp1_, Scope::kIsp,
                    {Unprocessed(live_, "live.example", AckReason::kTechnicalError, "DNS down")});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.replaced, 0u);
  Result<std::vector<Acknowledgement>> acks = registry_->Acknowledgements(isp1_, live_);
  ASSERT_TRUE(acks.ok());
  ASSERT_EQ(acks->size(), 1u);
  EXPECT_FALSE((*acks)[0].processed);
  EXPECT_EQ((*acks)[0].reason, AckReason::kTechnicalError);
  EXPECT_EQ((*acks)[0].note, "DNS down");
  EXPECT_EQ((*acks)[0].target, T("live.example"));

  clock_.Advance(10 * kMinute);
  r = Ack(isp1_, Scope::kIsp, {Processed(live_, "live.example")});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.replaced, 1u);
  acks = registry_->Acknowledgements(isp1_, live_);
  ASSERT_EQ(acks->size(), 1u);
  EXPECT_TRUE((*acks)[0].processed);
  EXPECT_FALSE((*acks)[0].reason.has_value());
  EXPECT_EQ((*acks)[0].at, kNow + 10 * kMinute);
  EXPECT_EQ((*acks)[0].actor, kActor);

  // Another ISP's acknowledgement of the same item is its own.
  ASSERT_TRUE(Ack(isp2_, Scope::kIsp, {Processed(live_, "live.example")}).ok());
  EXPECT_EQ(registry_->Acknowledgements(0, live_)->size(), 2u);

  const std::vector<AuditEntry> audit = AuditOf("order.acknowledge");
  ASSERT_EQ(audit.size(), 3u);
  EXPECT_EQ(audit[0].entity, "order");
  EXPECT_EQ(audit[0].entity_id, live_);
  EXPECT_EQ(audit[0].reason, "technical-error");
  EXPECT_NE(audit[0].detail.find("\"status\":\"unprocessed\""), std::string::npos);
  EXPECT_NE(audit[0].detail.find("\"org\":\"ISP One\""), std::string::npos);
  EXPECT_NE(audit[1].detail.find("\"replaces\":\"unprocessed: technical-error\""),
            std::string::npos)
      << audit[1].detail;
  EXPECT_EQ(audit[1].at, kNow + 10 * kMinute);
  EXPECT_NE(audit[2].detail.find("\"org\":\"ISP Two\""), std::string::npos);
}

// ---- deadlines and overdue items

TEST_F(AckTest, LiveEventOrdersAreDueInThirtyMinutesOthersInADay) {
  Result<Order> live = registry_->FindOrder("LIVE-1");
  Result<Order> tor = registry_->FindOrder("TOR-1");
  ASSERT_TRUE(live.ok() && tor.ok());
  EXPECT_EQ(registry_->DeadlineSeconds(*live), 30 * kMinute);
  EXPECT_EQ(registry_->DeadlineSeconds(*tor), 24 * kHour);

  auto count = [&](std::optional<Id> org, std::optional<Id> order) {
    Result<std::vector<OverdueItem>> r = registry_->Overdue(org, order);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->size() : 0;
  };
  clock_.Set(kNow + 30 * kMinute);  // at the deadline: not yet overdue
  EXPECT_EQ(count(std::nullopt, std::nullopt), 0u);
  clock_.Set(kNow + 30 * kMinute + 1);
  EXPECT_EQ(count(std::nullopt, live_), 4u);  // 2 items x 2 ISPs (the app is not in the view)
  EXPECT_EQ(count(std::nullopt, torrent_), 0u);
  Result<std::vector<OverdueItem>> items = registry_->Overdue(isp1_, live_);
  ASSERT_TRUE(items.ok());
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[0].deadline, kNow + 30 * kMinute);
  EXPECT_EQ((*items)[0].in_force_since, kNow);

  clock_.Set(kNow + kDay);
  EXPECT_EQ(count(std::nullopt, torrent_), 0u);
  clock_.Set(kNow + kDay + 1);
  EXPECT_EQ(count(std::nullopt, torrent_), 3u);  // ISP One, ISP Two, Search Co
  items = registry_->Overdue(search_, torrent_);
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ((*items)[0].deadline, kNow + kDay);
}

TEST_F(AckTest, TheDeadlineRunsFromWhenTheTargetEnteredTheInForceSet) {
  const Id dynamic = CreateOrder("LIVE-2", Bit(Category::kLiveSports), Bit(Scope::kIsp),
                                 {"match.example"}, /*dynamic=*/true);
  clock_.Advance(20 * kMinute);
  const std::vector<Target> mirror = {T("mirror.example")};
  ASSERT_TRUE(registry_->AddTargets(kActor, dynamic, mirror, "mirror").ok());
  const std::vector<SerialInfo> serials = *registry_->ListSerials(0, 0);
  const UnixTime added_at = serials.back().at;
  ASSERT_EQ(added_at, kNow + 20 * kMinute);

  clock_.Set(kNow + 31 * kMinute);
  Result<std::vector<OverdueItem>> items = registry_->Overdue(isp1_, dynamic);
  ASSERT_TRUE(items.ok());
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ((*items)[0].target, T("match.example"));

  clock_.Set(added_at + 30 * kMinute + 1);
  items = registry_->Overdue(isp1_, dynamic);
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[1].target, T("mirror.example"));
  EXPECT_EQ((*items)[1].in_force_since, added_at);
  EXPECT_EQ((*items)[1].deadline, added_at + 30 * kMinute);

  // Suspended and resumed: the items enter the set again, and their deadline starts again.
  ASSERT_TRUE(registry_->Suspend(kActor, dynamic, "appeal").ok());
  EXPECT_TRUE(registry_->Overdue(isp1_, dynamic)->empty());
  clock_.Advance(kHour);
  ASSERT_TRUE(registry_->Resume(kActor, dynamic, "appeal rejected").ok());
  const UnixTime resumed_at = registry_->ListSerials(0, 0)->back().at;
  EXPECT_TRUE(registry_->Overdue(isp1_, dynamic)->empty());
  clock_.Set(resumed_at + 30 * kMinute + 1);
  items = registry_->Overdue(isp1_, dynamic);
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[0].in_force_since, resumed_at);
}

TEST_F(AckTest, OverdueAndItsSummaryOnASmallScenario) {
  ASSERT_TRUE(Ack(isp1_, Scope::kIsp,
                  {Processed(live_, "live.example"),
                   Unprocessed(live_, "203.0.113.9", AckReason::kTechnicalError, "router")})
                  .ok());
  ASSERT_TRUE(Ack(search_, Scope::kSearch, {Processed(search_only_, "links.example")}).ok());
  clock_.Set(kNow + 2 * kDay);

  Result<std::vector<OverdueItem>> items = registry_->Overdue(std::nullopt, std::nullopt);
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  std::vector<std::string> got;
  for (const OverdueItem& i : *items) {
    std::string line = i.org_name + " " + i.order_reference + " " + i.target.ToString() + " " +
                       std::to_string(i.deadline - kNow) + " ";
    line += i.unprocessed_reason ? std::string(Name(*i.unprocessed_reason)) + "/" + i.note
                                 : std::string("none");
    got.push_back(std::move(line));
  }
  const std::vector<std::string> want = {
      "ISP One LIVE-1 ip:203.0.113.9 1800 technical-error/router",
      "ISP One TOR-1 domain:tor.example 86400 none",
      "ISP Two LIVE-1 domain:live.example 1800 none",
      "ISP Two LIVE-1 ip:203.0.113.9 1800 none",
      "ISP Two TOR-1 domain:tor.example 86400 none",
      "Search Co TOR-1 domain:tor.example 86400 none",
  };
  EXPECT_EQ(got, want);
  EXPECT_EQ((*items)[0].org_id, isp1_);
  EXPECT_EQ((*items)[0].org_kind, OrgKind::kIsp);
  EXPECT_EQ((*items)[0].order_id, live_);
  EXPECT_EQ((*items)[0].order_body, "Tribunale di Milano");
  EXPECT_EQ((*items)[0].acknowledged_at, kNow);

  EXPECT_EQ(registry_->Overdue(isp2_, std::nullopt)->size(), 3u);
  EXPECT_EQ(registry_->Overdue(std::nullopt, torrent_)->size(), 3u);
  EXPECT_EQ(registry_->Overdue(isp1_, torrent_)->size(), 1u);
  EXPECT_TRUE(registry_->Overdue(search_, live_)->empty());
  Result<std::vector<OverdueItem>> bad = registry_->Overdue(rightsholder_, std::nullopt);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(registry_->Overdue(999, std::nullopt).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(registry_->Overdue(std::nullopt, 999).status().code(), StatusCode::kNotFound);

  Result<OverdueSummary> sum = registry_->SummarizeOverdue();
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  EXPECT_EQ(sum->total, 6);
  ASSERT_EQ(sum->by_org.size(), 3u);
  EXPECT_EQ(sum->by_org[0].org_id, isp1_);
  EXPECT_EQ(sum->by_org[0].org_name, "ISP One");
  EXPECT_EQ(sum->by_org[0].order_id, 0);
  EXPECT_EQ(sum->by_org[0].overdue, 2);
  EXPECT_EQ(sum->by_org[0].unprocessed, 1);
  EXPECT_EQ(sum->by_org[1].org_id, isp2_);
  EXPECT_EQ(sum->by_org[1].overdue, 3);
  EXPECT_EQ(sum->by_org[1].unprocessed, 0);
  EXPECT_EQ(sum->by_org[2].org_id, search_);
  EXPECT_EQ(sum->by_org[2].overdue, 1);
  ASSERT_EQ(sum->by_order.size(), 2u);
  EXPECT_EQ(sum->by_order[0].order_id, live_);
  EXPECT_EQ(sum->by_order[0].order_reference, "LIVE-1");
  EXPECT_EQ(sum->by_order[0].org_id, 0);
  EXPECT_EQ(sum->by_order[0].overdue, 3);
  EXPECT_EQ(sum->by_order[0].unprocessed, 1);
  EXPECT_EQ(sum->by_order[1].order_id, torrent_);
  EXPECT_EQ(sum->by_order[1].overdue, 3);

  // Processing the rest clears ISP One; a lifted order's items are no longer due.
  ASSERT_TRUE(
      Ack(isp1_, Scope::kIsp, {Processed(live_, "203.0.113.9"), Processed(torrent_, "tor.example")})
          .ok());
  EXPECT_TRUE(registry_->Overdue(isp1_, std::nullopt)->empty());
  ASSERT_TRUE(registry_->Lift(kActor, torrent_, "appeal granted").ok());
  EXPECT_EQ(registry_->SummarizeOverdue()->total, 2);
}

TEST_F(AckTest, EveryMutationLeavesAnAuditEntry) {
  auto made = registry_->CreateToken(kActor, isp1_, Role::kIsp, "sync");
  ASSERT_TRUE(made.ok());
  ASSERT_TRUE(registry_->RevokeToken("admin", made->first.id).ok());
  ASSERT_TRUE(Ack(isp1_, Scope::kIsp,
                  {Processed(live_, "live.example"),
                   Unprocessed(torrent_, "tor.example", AckReason::kAlreadyBlocked)})
                  .ok());

  const std::vector<AuditEntry> created = AuditOf("token.create");
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].entity, "token");
  EXPECT_EQ(created[0].entity_id, made->first.id);
  EXPECT_EQ(created[0].actor, kActor);
  EXPECT_NE(created[0].detail.find("\"role\":\"isp\""), std::string::npos);
  EXPECT_EQ(created[0].detail.find(made->second.substr(4)), std::string::npos);
  const std::vector<AuditEntry> revoked = AuditOf("token.revoke");
  ASSERT_EQ(revoked.size(), 1u);
  EXPECT_EQ(revoked[0].entity_id, made->first.id);
  EXPECT_EQ(revoked[0].actor, "admin");
  const std::vector<AuditEntry> acks = AuditOf("order.acknowledge");
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[0].entity_id, live_);
  EXPECT_EQ(acks[1].entity_id, torrent_);
  EXPECT_EQ(acks[1].reason, "already-blocked");
}

TEST(AckReasonTest, NamesRoundTrip) {
  for (AckReason r :
       {AckReason::kAlreadyBlocked, AckReason::kNotApplicable, AckReason::kTechnicalError}) {
    EXPECT_EQ(*ParseAckReason(Name(r)), r);
  }
  EXPECT_FALSE(ParseAckReason("lazy").ok());
  EXPECT_EQ(IntermediaryScope(OrgKind::kVpn), Scope::kVpn);
  EXPECT_FALSE(IntermediaryScope(OrgKind::kAuditor).has_value());
  EXPECT_TRUE(ScopeCarries(Scope::kSearch, TargetKind::kSearch));
  EXPECT_FALSE(ScopeCarries(Scope::kIsp, TargetKind::kApp));
  EXPECT_TRUE(ScopeCarries(Scope::kAppstore, TargetKind::kApp));
}

}  // namespace
}  // namespace interdict
