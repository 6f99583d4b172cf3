// The authorization matrix: every route the API registers, called by every role and without a
// token, against a table written from the access rules (not from the code's role sets). Each call
// gets fresh, valid state, so an allowed call must succeed with the route's own status and a
// refused one can only be refused for who asked. A route added to the API without a row here
// fails the test.
#include <boost/json.hpp>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "api/api_fixture.h"
#include "sign/signing.h"

namespace interdict::api {
namespace {

constexpr Role kAllRoles[] = {
    Role::kAuthorityAdmin, Role::kAuthorityReviewer, Role::kRightsholder, Role::kIsp,
    Role::kSearch,         Role::kAppstore,          Role::kVpn,          Role::kAuditor};

struct Request {
  std::string target;
  std::string body;
};

struct Row {
  std::string method;
  std::string pattern;
  std::set<Role> allowed;  // public routes: every role, and no token too
  bool is_public = false;
  int ok = 200;                                         // the status of an allowed call
  std::function<Request(std::optional<Role>)> prepare;  // fresh state for one call
};

class AuthorizationTest : public ApiFixture {
 protected:
  // A fresh submitted referral from IFPI.
  Id NewReferral() {
    ReferralRequest r;
    r.org = "IFPI";
    r.category = Category::kTorrent;
    r.targets = {feed::feedtest::T("ref" + std::to_string(++n_) + ".example")};
    Result<Referral> made = r_.registry().Refer("test", r);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return made.ok() ? made->id : 0;
  }
  // A fresh order in force for every view, with a name and an app id.
  Id NewOrder(bool dynamic = false) {
    const std::string name = "o" + std::to_string(++n_) + ".example";
    return r_
        .Create("A-" + std::to_string(n_),
                Bit(Scope::kIsp) | Bit(Scope::kSearch) | Bit(Scope::kAppstore) | Bit(Scope::kVpn),
                {name, "app:play:com.pirate.app" + std::to_string(n_)}, dynamic)
        .id;
  }

  // The key that signs the log's heads in this test (made once).
  const SecretKey& LogKey() {
    if (!log_key_) {
      Result<KeyPair> pair = GenerateKeyPair();
      EXPECT_TRUE(pair.ok());
      log_key_ = std::make_unique<SecretKey>(std::move(pair->secret));
    }
    return *log_key_;
  }
  std::unique_ptr<SecretKey> log_key_;

  // A fresh appeal, filed, against a fresh order.
  Id NewAppeal() {
    AppealRequest r;
    r.order_id = NewOrder();
    r.party = AppealParty::kOperator;
    r.name = "Site Operator";
    r.contact = "legal@site.example";
    r.statement = "not infringing";
    Result<Appeal> a = r_.registry().FileAppeal("test", r);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? a->id : 0;
  }

  std::vector<Row> Rows() {
    const std::set<Role> authority = {Role::kAuthorityAdmin, Role::kAuthorityReviewer};
    const std::set<Role> admin = {Role::kAuthorityAdmin};
    const std::set<Role> feeds = {Role::kAuthorityAdmin, Role::kAuthorityReviewer, Role::kAuditor,
                                  Role::kIsp};  // of the isp view
    const std::set<Role> referral_readers = {Role::kAuthorityAdmin, Role::kAuthorityReviewer,
                                             Role::kAuditor, Role::kRightsholder};
    const std::set<Role> intermediaries = {Role::kIsp, Role::kSearch, Role::kAppstore, Role::kVpn};
    std::set<Role> ack_readers = intermediaries;
    ack_readers.insert({Role::kAuthorityAdmin, Role::kAuthorityReviewer, Role::kAuditor});
    const std::set<Role> everyone(std::begin(kAllRoles), std::end(kAllRoles));
    auto fixed = [](std::string target, std::string body = {}) {
      return [target, body](std::optional<Role>) { return Request{target, body}; };
    };
    auto id_path = [](const std::string& base, Id id, const std::string& rest) {
      return base + std::to_string(id) + rest;
    };
    std::vector<Row> rows = {
        {"GET", "/healthz", everyone, true, 200, fixed("/healthz")},
        {"GET", "/openapi.json", everyone, true, 200, fixed("/openapi.json")},
        {"GET", "/metrics", {Role::kAuthorityAdmin, Role::kAuditor}, false, 200, fixed("/metrics")},
        {"GET", "/feeds/{view}/snapshot", feeds, false, 200,
         fixed("/feeds/isp/snapshot?format=json")},
        {"GET", "/feeds/{view}/snapshot.sig", feeds, false, 200,
         fixed("/feeds/isp/snapshot.sig?format=json")},
        {"GET", "/feeds/{view}/delta", feeds, false, 200, fixed("/feeds/isp/delta?since=0")},
        {"GET", "/feeds/{view}/delta.sig", feeds, false, 200,
         fixed("/feeds/isp/delta.sig?since=0")},
        {"POST",
         "/v1/referrals",
         {Role::kRightsholder},
         false,
         201,
         [this](std::optional<Role>) {
           return Request{"/v1/referrals", R"({"category":"torrent","targets":["new)" +
                                               std::to_string(++n_) + R"(.example"]})"};
         }},
        {"GET", "/v1/referrals", referral_readers, false, 200, fixed("/v1/referrals")},
        {"GET", "/v1/referrals/{id}", referral_readers, false, 200,
         [=, this](std::optional<Role>) {
           return Request{id_path("/v1/referrals/", NewReferral(), ""), ""};
         }},
        {"POST",
         "/v1/referrals/{id}/withdraw",
         {Role::kRightsholder},
         false,
         200,
         [=, this](std::optional<Role>) {
           return Request{id_path("/v1/referrals/", NewReferral(), "/withdraw"), "{}"};
         }},
        {"GET", "/v1/review/queue", authority, false, 200, fixed("/v1/review/queue")},
        {"POST", "/v1/review/{id}/start", authority, false, 200,
         [=, this](std::optional<Role>) {
           return Request{id_path("/v1/review/", NewReferral(), "/start"), ""};
         }},
        {"POST", "/v1/review/{id}/approve", authority, false, 200,
         [=, this](std::optional<Role>) {
           const Id order = NewOrder(true);
           return Request{id_path("/v1/review/", NewReferral(), "/approve"),
                          R"({"order_id":)" + std::to_string(order) + "}"};
         }},
        {"POST", "/v1/review/{id}/reject", authority, false, 200,
         [=, this](std::optional<Role>) {
           return Request{id_path("/v1/review/", NewReferral(), "/reject"), R"({"reason":"no"})"};
         }},
        {"POST", "/v1/orders", admin, false, 201,
         [this](std::optional<Role>) {
           return Request{"/v1/orders", R"({"body":"Court","reference":"N-)" +
                                            std::to_string(++n_) +
                                            R"(","expires":"2030-01-01","targets":["n)" +
                                            std::to_string(n_) + R"(.example"]})"};
         }},
        {"GET", "/v1/orders", everyone, false, 200, fixed("/v1/orders")},
        {"GET", "/v1/orders/{id}", everyone, false, 200, fixed("/v1/orders/1")},
        {"POST", "/v1/orders/{id}/targets", admin, false, 200,
         [=, this](std::optional<Role>) {
           return Request{id_path("/v1/orders/", NewOrder(true), "/targets"),
                          R"({"targets":["t)" + std::to_string(++n_) + R"(.example"]})"};
         }},
        {"POST", "/v1/orders/{id}/lift", admin, false, 200,
         [=, this](std::optional<Role>) {
           return Request{id_path("/v1/orders/", NewOrder(), "/lift"), R"({"reason":"appeal"})"};
         }},
        {"POST", "/v1/orders/{id}/renew", admin, false, 200,
         [=, this](std::optional<Role>) {
           return Request{id_path("/v1/orders/", NewOrder(), "/renew"),
                          R"({"expires":"2099-01-01","reason":"extended by the court"})"};
         }},
        {"POST", "/v1/orders/{id}/reconfirm", admin, false, 200,
         [=, this](std::optional<Role>) {
           ++n_;
           const Id order = r_.Create("R-" + std::to_string(n_), Bit(Scope::kIsp),
                                      {"ip:198.51.100." + std::to_string(n_ % 250 + 1)})
                                .id;
           return Request{id_path("/v1/orders/", order, "/reconfirm"),
                          R"({"reason":"the address still serves the site"})"};
         }},
        {"GET", "/v1/reconfirm/due", authority, false, 200, fixed("/v1/reconfirm/due?days=30")},
        {"GET", "/v1/held", authority, false, 200, fixed("/v1/held?all=true")},
        {"POST", "/v1/acks", intermediaries, false, 200,
         [this](std::optional<Role> role) {
           const Id order = NewOrder();
           const std::string target = role == Role::kAppstore
                                          ? "app:play:com.pirate.app" + std::to_string(n_)
                                          : "domain:o" + std::to_string(n_) + ".example";
           return Request{"/v1/acks", R"({"items":[{"order_id":)" + std::to_string(order) +
                                          R"(,"target":")" + target +
                                          R"(","status":"processed"}]})"};
         }},
        {"GET", "/v1/acks", ack_readers, false, 200, fixed("/v1/acks")},
        {"GET", "/v1/overdue", ack_readers, false, 200, fixed("/v1/overdue")},
        {"GET",
         "/v1/overdue/summary",
         {Role::kAuthorityAdmin, Role::kAuthorityReviewer, Role::kAuditor},
         false,
         200,
         fixed("/v1/overdue/summary")},
        {"POST",
         "/api/v1/ticket/item/set/processed",
         {Role::kIsp},
         false,
         200,
         fixed("/api/v1/ticket/item/set/processed", R"({"value":"stream.example"})")},
        {"POST",
         "/api/v1/ticket/item/set/unprocessed",
         {Role::kIsp},
         false,
         200,
         fixed("/api/v1/ticket/item/set/unprocessed",
               R"({"value":"203.0.113.7","reason":"technical-error"})")},
    };
    // Appeals: anyone files and reads them; the authority decides.
    rows.push_back({"POST", "/v1/appeals", everyone, true, 201, [this](std::optional<Role>) {
                      return Request{
                          "/v1/appeals",
                          R"({"order_id":)" + std::to_string(NewOrder()) +
                              R"(,"party":"host","name":"Host Co","contact":)"
                              R"("abuse@host.example","statement":"a customer's site"})"};
                    }});
    rows.push_back({"GET", "/v1/appeals", everyone, true, 200, fixed("/v1/appeals")});
    rows.push_back({"GET", "/v1/appeals/{id}", everyone, true, 200, [=, this](std::optional<Role>) {
                      return Request{id_path("/v1/appeals/", NewAppeal(), ""), ""};
                    }});
    rows.push_back(
        {"POST", "/v1/appeals/{id}/decide", authority, false, 200, [=, this](std::optional<Role>) {
           return Request{id_path("/v1/appeals/", NewAppeal(), "/decide"),
                          R"({"decision":"uphold","reason":"the order stands"})"};
         }});
    // The transparency log, for anyone; a head is signed before it is asked for.
    rows.push_back({"GET", "/v1/log/head", everyone, true, 200, [this](std::optional<Role>) {
                      NewOrder();
                      EXPECT_TRUE(r_.registry().SignLogHead(LogKey()).ok());
                      return Request{"/v1/log/head", ""};
                    }});
    rows.push_back({"GET", "/v1/log/entries", everyone, true, 200, fixed("/v1/log/entries")});
    rows.push_back({"GET", "/v1/log/proof", everyone, true, 200, [this](std::optional<Role>) {
                      NewOrder();
                      return Request{"/v1/log/proof?index=0&size=1", ""};
                    }});
    rows.push_back({"GET", "/v1/log/consistency", everyone, true, 200, [this](std::optional<Role>) {
                      NewOrder();
                      return Request{"/v1/log/consistency?old=1&new=1", ""};
                    }});
    // The guard: anyone reads the overrides; the authority assesses; an admin overrides.
    rows.push_back(
        {"GET", "/v1/guard/overrides", everyone, true, 200, fixed("/v1/guard/overrides")});
    rows.push_back({"POST", "/v1/guard/assess", authority, false, 200,
                    fixed("/v1/guard/assess", R"({"targets":["assess.example"]})")});
    rows.push_back({"POST", "/v1/guard/overrides", admin, false, 201, [this](std::optional<Role>) {
                      // A fresh popular site each call, so there is always something to override.
                      const std::string site = "popular" + std::to_string(++n_) + ".example";
                      GuardSet set;
                      set.kind = "popular";
                      set.name = "top-" + site;
                      set.content = "1," + site + "\n";
                      EXPECT_TRUE(r_.registry().ImportGuardSet("test", set).ok());
                      return Request{"/v1/guard/overrides",
                                     R"({"target":")" + site + R"(","reason":"licensed mirror"})"};
                    }});
    // Compliance probes: auditors (and authority admins) submit; the authority and auditors read.
    const std::set<Role> compliance_readers = {Role::kAuthorityAdmin, Role::kAuthorityReviewer,
                                               Role::kAuditor};
    rows.push_back({"POST",
                    "/v1/audit/runs",
                    {Role::kAuthorityAdmin, Role::kAuditor},
                    false,
                    201,
                    fixed("/v1/audit/runs",
                          R"({"vantage":"ISP One","label":"lima-1","results":[{"target":)"
                          R"("domain:stream.example","verdict":"blocked-dns","measured_at":")" +
                              FormatTime(r_.clock().Now()) + R"("}]})")});
    rows.push_back(
        {"GET", "/v1/audit/runs", compliance_readers, false, 200, fixed("/v1/audit/runs")});
    rows.push_back({"GET", "/v1/audit/report", compliance_readers, false, 200,
                    fixed("/v1/audit/report?isp=ISP%20One")});
    // The public register, as JSON and as HTML.
    for (const char* path :
         {"/public/orders", "/public/orders/1", "/public/check?q=stream.example", "/register",
          "/register/orders/1", "/register/check?q=stream.example"}) {
      std::string pattern = std::string(path).substr(0, std::string(path).find('?'));
      if (pattern.ends_with("/1")) pattern.replace(pattern.size() - 1, 1, "{id}");
      rows.push_back({"GET", pattern, everyone, true, 200, fixed(path)});
    }
    for (const char* list : {"fqdn", "ipv4", "ipv6"}) {
      for (const char* suffix : {"/txt", "/txt/checksum", "/checksum"}) {
        const std::string path = std::string("/api/v1/") + list + "/get/all" + suffix;
        rows.push_back({"GET", path, feeds, false, 200, fixed(path)});
      }
    }
    return rows;
  }

  int n_ = 0;
};

TEST_F(AuthorizationTest, EveryRouteForEveryRoleAndForNoToken) {
  std::vector<Row> rows = Rows();
  // Every route registered has a row, and every row a route.
  std::set<std::pair<std::string, std::string>> registered, tabled;
  for (const auto& route : router_.Routes()) registered.insert(route);
  for (const Row& row : rows) tabled.insert({row.method, row.pattern});
  for (const auto& route : registered) {
    EXPECT_TRUE(tabled.contains(route)) << "no row for " << route.first << " " << route.second;
  }
  for (const auto& row : tabled) {
    EXPECT_TRUE(registered.contains(row)) << "no route for " << row.first << " " << row.second;
  }

  int calls = 0;
  for (const Row& row : rows) {
    for (const std::optional<Role> role :
         {std::optional<Role>(), std::optional<Role>(Role::kAuthorityAdmin),
          std::optional<Role>(Role::kAuthorityReviewer), std::optional<Role>(Role::kRightsholder),
          std::optional<Role>(Role::kIsp), std::optional<Role>(Role::kSearch),
          std::optional<Role>(Role::kAppstore), std::optional<Role>(Role::kVpn),
          std::optional<Role>(Role::kAuditor)}) {
      const Request call = row.prepare(role);
      ASSERT_TRUE(feeds_->Refresh().ok());
      const Response r = Send(row.method, call.target, role ? tokens_.at(*role) : "", call.body);
      ++calls;
      const std::string who = role ? std::string(Name(*role)) : "no token";
      int want = 403;
      if (row.is_public || (role && row.allowed.contains(*role))) {
        want = row.ok;
      } else if (!role) {
        want = 401;
      }
      EXPECT_EQ(r.status, want) << row.method << " " << call.target << " as " << who << ": "
                                << r.body.substr(0, 300);
    }
  }
  EXPECT_EQ(calls, static_cast<int>(rows.size()) * 9);
}

// Allowed by role, refused by organization: one rights holder never reads or withdraws
// another's referrals, and one ISP never acknowledges or reads for another.
TEST_F(AuthorizationTest, OneOrganizationNeverActsForAnother) {
  const Id ifpi = NewReferral();
  EXPECT_EQ(Send("GET", "/v1/referrals/" + std::to_string(ifpi), other_rightsholder_token_).status,
            403);
  EXPECT_EQ(Send("POST", "/v1/referrals/" + std::to_string(ifpi) + "/withdraw",
                 other_rightsholder_token_, "{}")
                .status,
            403);
  EXPECT_EQ(Send("GET", "/v1/referrals?org_id=" + std::to_string(rightsholder_),
                 other_rightsholder_token_)
                .status,
            403);
  // ...and the refused withdrawal changed nothing: the owner still can.
  EXPECT_EQ(
      Send("POST", "/v1/referrals/" + std::to_string(ifpi) + "/withdraw", Role::kRightsholder, "{}")
          .status,
      200);

  const std::string item =
      R"("items":[{"order_id":1,"target":"domain:stream.example","status":"processed"}])";
  EXPECT_EQ(Send("POST", "/v1/acks", other_isp_token_,
                 "{\"org_id\":" + std::to_string(isp_) + "," + item + "}")
                .status,
            403);
  EXPECT_EQ(Send("GET", "/v1/acks?org_id=" + std::to_string(isp_), other_isp_token_).status, 403);
  EXPECT_EQ(Send("GET", "/v1/overdue?org_id=" + std::to_string(isp_), other_isp_token_).status,
            403);
  Response mine = Send("GET", "/v1/acks", Role::kIsp);
  EXPECT_EQ(boost::json::parse(mine.body).at("total").as_int64(), 0);  // nothing was written
}

}  // namespace
}  // namespace interdict::api
