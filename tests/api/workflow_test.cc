// The JSON workflow routes on a real server: referrals (bulk, per-item results, the revoke
// window), review, orders, acknowledgements and overdue reports, the Piracy Shield ticket-item
// routes, the limits, and the authorization of every route for every role.
#include <atomic>
#include <boost/json.hpp>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/api_fixture.h"

namespace interdict::api {
namespace {

namespace json = boost::json;

class WorkflowApiTest : public ApiFixture {
 protected:
  // A referral from IFPI of `targets` (JSON array text); returns its id.
  Id Refer(const std::string& targets, Role role = Role::kRightsholder) {
    Response r = Send(
        "POST", "/v1/referrals", role,
        R"({"category":"torrent","targets":)" + targets +
            R"(,"evidence":[{"url":"https://x.example/","observed":"2026-11-20T10:00:00Z","sha256":")" +
            std::string(64, 'a') + R"("}]})");
    EXPECT_EQ(r.status, 201) << r.body;
    if (r.status != 201) return 0;
    return Body(r).at("referral").at("id").as_int64();
  }

  std::string OrderJson(const std::string& ref, const std::string& targets, bool dynamic) {
    return R"({"body":"Court of Lima","reference":")" + ref +
           R"(","kind":"court-ruling","expires":"2030-01-01","scope":["isp"],"categories":["torrent"],"dynamic":)" +
           (dynamic ? "true" : "false") + R"(,"targets":)" + targets + "}";
  }
};

TEST_F(WorkflowApiTest, ABulkReferralReportsEachItem) {
  Response r = Send("POST", "/v1/referrals", Role::kRightsholder,
                    R"({"category":"torrent","targets":["new.example","domain:stream.example",
                        {"kind":"domain-tree","value":"Mirror.EXAMPLE."},"new.example"]})");
  ASSERT_EQ(r.status, 201) << r.body;
  json::value v = Body(r);
  const Id id = v.at("referral").at("id").as_int64();
  EXPECT_EQ(r.Header("location"), "/v1/referrals/" + std::to_string(id));
  EXPECT_EQ(v.at("referral").at("org").as_string(), "IFPI");
  EXPECT_EQ(v.at("referral").at("state").as_string(), "submitted");
  EXPECT_EQ(v.at("referral").at("target_count").as_int64(), 3);  // the repeat is kept once
  const json::array& items = v.at("items").as_array();
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0].at("result").as_string(), "accepted");
  EXPECT_EQ(items[1].at("result").as_string(), "duplicate");  // in force under R-1
  EXPECT_NE(std::string(items[1].at("duplicate_of").as_string()).find("in force under order"),
            std::string::npos);
  EXPECT_EQ(items[2].at("kind").as_string(), "domain-tree");
  EXPECT_EQ(items[2].at("value").as_string(), "mirror.example");  // normalized
  EXPECT_EQ(items[3].at("result").as_string(), "repeated");
  EXPECT_EQ(items[3].at("repeats").as_int64(), 0);

  Response shown = Send("GET", "/v1/referrals/" + std::to_string(id), Role::kRightsholder);
  ASSERT_EQ(shown.status, 200);
  EXPECT_EQ(Body(shown).at("targets").as_array().size(), 3u);
  EXPECT_EQ(Body(shown).at("evidence").as_array().size(), 0u);
}

TEST_F(WorkflowApiTest, ABadItemFailsTheWholeRequestAndNamesEveryBadItem) {
  Response r = Send("POST", "/v1/referrals", Role::kRightsholder,
                    R"({"category":"torrent","targets":["ok.example","bad..name","ok2.example",
                        "http://[::1","ok3.example"]})");
  ASSERT_EQ(r.status, 400) << r.body;
  json::value v = Body(r);
  EXPECT_EQ(v.at("error").at("field").as_string(), "targets");
  const json::array& items = v.at("items").as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].at("field").as_string(), "targets[1]");
  EXPECT_EQ(items[1].at("field").as_string(), "targets[3]");
  // Nothing was written.
  Response list = Send("GET", "/v1/referrals", Role::kRightsholder);
  EXPECT_EQ(Body(list).at("referrals").as_array().size(), 0u);
}

TEST_F(WorkflowApiTest, MalformedInputIs400NamingTheField) {
  struct Case {
    std::string body;
    std::string field;
  };
  const std::string sha = std::string(64, 'b');
  for (
      const Case& c : std::vector<Case>{
          {R"({"category":"torrent","targets":["a.example"])", "body"},  // truncated
          {R"([1,2])", "body"},
          {R"({"category":"warez","targets":["a.example"]})", "category"},
          {R"({"targets":["a.example"]})", "category"},
          {R"({"category":"torrent"})", "targets"},
          {R"({"category":"torrent","targets":[]})", "targets"},
          {R"({"category":"torrent","targets":["a.example"],"colour":"red"})", "colour"},
          {R"({"category":"torrent","targets":["a.example"],"evidence":[{"url":"u","observed":"2026-11-20","sha256":"xyz"}]})",
           "evidence[0].sha256"},
          {R"({"category":"torrent","targets":["a.example"],"evidence":[{"url":"u","observed":"yesterday","sha256":")" +
               sha + R"("}]})",
           "evidence[0].observed"},
          {R"({"category":"torrent","targets":["a.example"],"evidence":[{"url":"u","observed":"2026-11-20","capture":"/etc/passwd"}]})",
           "evidence[0].capture"},
      }) {
    Response r = Send("POST", "/v1/referrals", Role::kRightsholder, c.body);
    EXPECT_EQ(r.status, 400) << c.body << " -> " << r.body;
    EXPECT_EQ(Field(r), c.field) << c.body << " -> " << r.body;
  }
  Response r = Send("GET", "/v1/orders?limit=0", Role::kAuditor);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Field(r), "limit");
  r = Send("GET", "/v1/orders?kind=decree", Role::kAuditor);
  EXPECT_EQ(Field(r), "kind");
  r = Send("GET", "/v1/referrals?state=maybe", Role::kAuditor);
  EXPECT_EQ(Field(r), "state");
  r = Send("GET", "/v1/orders/abc", Role::kAuditor);
  EXPECT_EQ(r.status, 404);
}

TEST_F(WorkflowApiTest, RightsHoldersSeeAndWithdrawTheirOwnReferralsOnly) {
  const Id mine = Refer(R"(["one.example"])");
  const Id theirs = Refer(R"(["two.example"])");
  ASSERT_NE(mine, 0);
  // LaLiga's referral, made with its own token.
  Response made = Send("POST", "/v1/referrals", other_rightsholder_token_,
                       R"({"category":"live-sports","targets":["match.example"]})");
  ASSERT_EQ(made.status, 201);
  const Id laliga = Body(made).at("referral").at("id").as_int64();

  Response list = Send("GET", "/v1/referrals", Role::kRightsholder);
  ASSERT_EQ(list.status, 200);
  std::set<Id> seen;
  const json::value listed = Body(list);
  for (const json::value& r : listed.at("referrals").as_array()) {
    seen.insert(r.at("id").as_int64());
  }
  EXPECT_EQ(seen, (std::set<Id>{mine, theirs}));
  EXPECT_EQ(Send("GET", "/v1/referrals/" + std::to_string(laliga), Role::kRightsholder).status,
            403);
  EXPECT_EQ(Send("GET", "/v1/referrals?org_id=" + std::to_string(other_rightsholder_),
                 Role::kRightsholder)
                .status,
            403);
  EXPECT_EQ(
      Send("POST", "/v1/referrals/" + std::to_string(laliga) + "/withdraw", Role::kRightsholder)
          .status,
      403);
  // The authority sees both organizations' referrals.
  Response all = Send("GET", "/v1/referrals?org_id=" + std::to_string(other_rightsholder_),
                      Role::kAuthorityReviewer);
  ASSERT_EQ(all.status, 200);
  ASSERT_EQ(Body(all).at("referrals").as_array().size(), 1u);

  // The revoke window: 75 seconds, its last second included.
  r_.clock().Advance(75);
  Response w = Send("POST", "/v1/referrals/" + std::to_string(mine) + "/withdraw",
                    Role::kRightsholder, R"({"reason":"sent twice"})");
  ASSERT_EQ(w.status, 200) << w.body;
  EXPECT_EQ(Body(w).at("state").as_string(), "withdrawn");
  r_.clock().Advance(1);
  Response late =
      Send("POST", "/v1/referrals/" + std::to_string(theirs) + "/withdraw", Role::kRightsholder);
  EXPECT_EQ(late.status, 409) << late.body;
  EXPECT_NE(late.body.find("revoke window"), std::string::npos);
}

TEST_F(WorkflowApiTest, ReviewApprovesIntoNewAndExistingOrdersAndRejectsWithAReason) {
  const Id a = Refer(R"(["alpha.example","198.51.100.9"])");
  const Id b = Refer(R"(["beta.example"])");
  const Id c = Refer(R"(["gamma.example"])");
  Response queue = Send("GET", "/v1/review/queue?limit=2", Role::kAuthorityReviewer);
  ASSERT_EQ(queue.status, 200);
  ASSERT_EQ(Body(queue).at("referrals").as_array().size(), 2u);
  EXPECT_EQ(Body(queue).at("next_after").as_int64(), b);
  queue = Send("GET", "/v1/review/queue?after=" + std::to_string(b), Role::kAuthorityReviewer);
  ASSERT_EQ(Body(queue).at("referrals").as_array().size(), 1u);
  EXPECT_TRUE(Body(queue).at("next_after").is_null());

  EXPECT_EQ(
      Send("POST", "/v1/review/" + std::to_string(a) + "/start", Role::kAuthorityReviewer).status,
      200);
  Response approved =
      Send("POST", "/v1/review/" + std::to_string(a) + "/approve", Role::kAuthorityReviewer,
           R"({"order":{"body":"INDECOPI","reference":"DDA-9","kind":"administrative-decision",
               "expires":"2030-01-01","scope":"isp,vpn","dynamic":true},"reason":"evidence holds"})");
  ASSERT_EQ(approved.status, 201) << approved.body;
  const Id order = Body(approved).at("order").at("id").as_int64();
  EXPECT_EQ(Body(approved).at("referral").at("state").as_string(), "approved");
  EXPECT_EQ(Body(approved).at("order").at("state").as_string(), "in-force");
  // The feed follows the order.
  ASSERT_TRUE(feeds_->Refresh().ok());
  Response feed = Call("/feeds/vpn/snapshot?format=domains", Role::kVpn);
  EXPECT_NE(feed.body.find("alpha.example"), std::string::npos);

  Response into = Send("POST", "/v1/review/" + std::to_string(b) + "/approve",
                       Role::kAuthorityAdmin, R"({"order_id":)" + std::to_string(order) + "}");
  ASSERT_EQ(into.status, 200) << into.body;
  EXPECT_EQ(Body(into).at("referral").at("order_id").as_int64(), order);
  Response both = Send("POST", "/v1/review/" + std::to_string(c) + "/approve",
                       Role::kAuthorityAdmin, R"({"order_id":1,"order":{}})");
  EXPECT_EQ(Field(both), "order");

  Response no_reason =
      Send("POST", "/v1/review/" + std::to_string(c) + "/reject", Role::kAuthorityReviewer, "{}");
  EXPECT_EQ(no_reason.status, 400);
  EXPECT_EQ(Field(no_reason), "reason");
  Response rejected = Send("POST", "/v1/review/" + std::to_string(c) + "/reject",
                           Role::kAuthorityReviewer, R"({"reason":"no evidence of infringement"})");
  ASSERT_EQ(rejected.status, 200);
  EXPECT_EQ(Body(rejected).at("state").as_string(), "rejected");
  EXPECT_EQ(Send("POST", "/v1/review/" + std::to_string(c) + "/reject", Role::kAuthorityReviewer,
                 R"({"reason":"again"})")
                .status,
            409);
  EXPECT_EQ(Send("POST", "/v1/review/999999/start", Role::kAuthorityReviewer).status, 404);
}

TEST_F(WorkflowApiTest, OrdersAreIssuedListedExtendedAndLifted) {
  Response made = Send("POST", "/v1/orders", Role::kAuthorityAdmin,
                       OrderJson("R-7", R"(["seven.example","*.seven.example"])", true));
  ASSERT_EQ(made.status, 201) << made.body;
  const Id id = Body(made).at("order").at("id").as_int64();
  EXPECT_EQ(made.Header("location"), "/v1/orders/" + std::to_string(id));
  EXPECT_EQ(Body(made).at("items").as_array().size(), 2u);

  std::string bad_expiry = OrderJson("R-8", R"(["x.example"])", false);
  bad_expiry.replace(bad_expiry.find(R"("expires":"2030-01-01",)"), 23, R"("expires":"soon",)");
  EXPECT_EQ(Field(Send("POST", "/v1/orders", Role::kAuthorityAdmin, bad_expiry)), "expires");
  // No expiry: the default term (a year for a court ruling), never none.
  std::string no_expiry = OrderJson("R-9", R"(["nine.example"])", false);
  no_expiry.replace(no_expiry.find(R"("expires":"2030-01-01",)"), 23, "");
  no_expiry.replace(no_expiry.find("Lima"), 4, "Cusco");  // out of the listings below
  Response defaulted = Send("POST", "/v1/orders", Role::kAuthorityAdmin, no_expiry);
  ASSERT_EQ(defaulted.status, 201) << defaulted.body;
  const json::value defaulted_order = Body(defaulted).at("order");
  EXPECT_FALSE(defaulted_order.at("expires").as_string().empty());
  const Id nine = defaulted_order.at("id").as_int64();
  // Renewal moves the expiry later; earlier is refused, naming the field.
  const std::string renew = "/v1/orders/" + std::to_string(nine) + "/renew";
  EXPECT_EQ(Field(Send("POST", renew, Role::kAuthorityAdmin,
                       R"({"expires":"2001-01-01","reason":"shorter"})")),
            "expires");
  Response renewed =
      Send("POST", renew, Role::kAuthorityAdmin, R"({"expires":"2098-05-01","reason":"extended"})");
  ASSERT_EQ(renewed.status, 200) << renewed.body;
  EXPECT_EQ(Body(renewed).at("expires").as_string(), "2098-05-01T00:00:00Z");
  ASSERT_EQ(Send("POST", "/v1/orders/" + std::to_string(nine) + "/lift", Role::kAuthorityAdmin,
                 R"({"reason":"only here to test the default term"})")
                .status,
            200);
  EXPECT_EQ(
      Send("POST", "/v1/orders", Role::kAuthorityAdmin, OrderJson("R-7", R"(["x.example"])", false))
          .status,
      409);  // same body, reference and day: already issued

  Response page = Send("GET", "/v1/orders?state=in-force&limit=1", Role::kIsp);
  ASSERT_EQ(page.status, 200);
  ASSERT_EQ(Body(page).at("orders").as_array().size(), 1u);
  const Id first = Body(page).at("orders").at(0).at("id").as_int64();
  EXPECT_EQ(Body(page).at("next_after").as_int64(), first);
  page = Send("GET", "/v1/orders?state=in-force&after=" + std::to_string(first), Role::kIsp);
  ASSERT_EQ(Body(page).at("orders").as_array().size(), 1u);
  EXPECT_EQ(Body(page).at("orders").at(0).at("id").as_int64(), id);
  EXPECT_EQ(Body(Send("GET", "/v1/orders?scope=vpn", Role::kIsp)).at("orders").as_array().size(),
            0u);
  EXPECT_EQ(Body(Send("GET", "/v1/orders?body=Court%20of%20Lima&category=torrent", Role::kIsp))
                .at("orders")
                .as_array()
                .size(),
            2u);

  Response added =
      Send("POST", "/v1/orders/" + std::to_string(id) + "/targets", Role::kAuthorityAdmin,
           R"({"targets":["seven.example","mirror7.example"],"reason":"mirror"})");
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_EQ(Body(added).at("added").as_int64(), 1);
  EXPECT_EQ(Body(added).at("items").at(0).at("result").as_string(), "already-attached");
  EXPECT_EQ(Body(added).at("items").at(1).at("result").as_string(), "attached");

  Response shown =
      Send("GET", "/v1/orders/" + std::to_string(id) + "?targets_limit=2", Role::kAuditor);
  ASSERT_EQ(shown.status, 200);
  EXPECT_EQ(Body(shown).at("target_count").as_int64(), 3);
  EXPECT_EQ(Body(shown).at("targets").as_array().size(), 2u);

  EXPECT_EQ(Field(Send("POST", "/v1/orders/" + std::to_string(id) + "/lift", Role::kAuthorityAdmin,
                       "{}")),
            "reason");
  Response lifted = Send("POST", "/v1/orders/" + std::to_string(id) + "/lift",
                         Role::kAuthorityAdmin, R"({"reason":"appeal upheld"})");
  ASSERT_EQ(lifted.status, 200);
  EXPECT_EQ(Body(lifted).at("state").as_string(), "lifted");
  EXPECT_EQ(Send("POST", "/v1/orders/" + std::to_string(id) + "/lift", Role::kAuthorityAdmin,
                 R"({"reason":"again"})")
                .status,
            409);
  EXPECT_EQ(Send("GET", "/v1/orders/424242", Role::kAuditor).status, 404);
}

TEST_F(WorkflowApiTest, IntermediariesAcknowledgeTheirOwnItems) {
  const std::string order = "1";  // R-1 of the fixture
  Response ok =
      Send("POST", "/v1/acks", Role::kIsp,
           R"({"items":[{"order_id":1,"target":"domain:stream.example","status":"processed"},
                         {"order_id":1,"target":"ip:203.0.113.7","status":"unprocessed",
                          "reason":"already-blocked","note":"upstream"}]})");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Body(ok).at("written").as_int64(), 2);

  Response mine = Send("GET", "/v1/acks", Role::kIsp);
  ASSERT_EQ(mine.status, 200);
  EXPECT_EQ(Body(mine).at("total").as_int64(), 2);
  EXPECT_EQ(Body(Send("GET", "/v1/acks", other_isp_token_)).at("total").as_int64(), 0);
  EXPECT_EQ(Body(Send("GET", "/v1/acks?order_id=1", Role::kAuditor)).at("total").as_int64(), 2);

  // One ISP never acts for, or reads as, another.
  EXPECT_EQ(Send("GET", "/v1/acks?org_id=" + std::to_string(isp_), other_isp_token_).status, 403);
  Response for_other = Send(
      "POST", "/v1/acks", other_isp_token_,
      R"({"org_id":)" + std::to_string(isp_) +
          R"(,"items":[{"order_id":1,"target":"domain:stream.example","status":"processed"}]})");
  EXPECT_EQ(for_other.status, 403);
  EXPECT_EQ(Field(for_other), "org_id");

  // A batch with a bad item writes nothing and names the items.
  Response bad =
      Send("POST", "/v1/acks", other_isp_token_,
           R"({"items":[{"order_id":1,"target":"domain:stream.example","status":"processed"},
                          {"order_id":1,"target":"domain:elsewhere.example","status":"processed"},
                          {"order_id":1,"target":"ip:203.0.113.7","status":"unprocessed"},
                          {"order_id":1,"target":"ip:203.0.113.7","status":"maybe"}]})");
  ASSERT_EQ(bad.status, 400) << bad.body;
  const json::value refused = Body(bad);
  const json::array& items = refused.at("items").as_array();
  ASSERT_EQ(items.size(), 1u) << bad.body;  // the status is checked first, then the registry
  EXPECT_EQ(items[0].at("field").as_string(), "items[3].status");
  bad = Send("POST", "/v1/acks", other_isp_token_,
             R"({"items":[{"order_id":1,"target":"domain:stream.example","status":"processed"},
                 {"order_id":1,"target":"domain:elsewhere.example","status":"processed"},
                 {"order_id":1,"target":"ip:203.0.113.7","status":"unprocessed"}]})");
  ASSERT_EQ(bad.status, 400) << bad.body;
  std::set<std::string> fields;
  const json::value refused_again = Body(bad);
  for (const json::value& e : refused_again.at("items").as_array()) {
    fields.insert(std::string(e.at("field").as_string()));
  }
  EXPECT_EQ(fields, (std::set<std::string>{"items[1].target", "items[2].reason"}));
  EXPECT_EQ(Body(Send("GET", "/v1/acks", other_isp_token_)).at("total").as_int64(), 0);

  // A day later ISP Two's items of R-1 are overdue; ISP One's processed one is not.
  r_.clock().Advance(25 * 3600);
  Response overdue = Send("GET", "/v1/overdue?order_id=" + order, Role::kAuditor);
  ASSERT_EQ(overdue.status, 200);
  std::map<std::string, int> per_org;
  const json::value report = Body(overdue);
  for (const json::value& i : report.at("overdue").as_array()) {
    ++per_org[std::string(i.at("org").as_string())];
  }
  // R-1's four targets are all in the isp view.
  EXPECT_EQ(per_org["ISP Two"], 4);
  EXPECT_EQ(per_org["ISP One"], 3);  // all but the processed stream.example
  EXPECT_EQ(Body(Send("GET", "/v1/overdue", other_isp_token_)).at("total").as_int64(), 4);
  Response summary = Send("GET", "/v1/overdue/summary", Role::kAuthorityAdmin);
  ASSERT_EQ(summary.status, 200);
  EXPECT_GE(Body(summary).at("total").as_int64(), 7);
  EXPECT_EQ(Send("GET", "/v1/overdue/summary", Role::kIsp).status, 403);
}

TEST_F(WorkflowApiTest, PiracyShieldTicketItemRoutesAcknowledgeByValue) {
  Response r = Send("POST", "/api/v1/ticket/item/set/processed", Role::kIsp,
                    R"({"value":"stream.example"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r).at("status").as_string(), "success");
  r = Send("POST", "/api/v1/ticket/item/set/unprocessed", Role::kIsp,
           R"({"value":"203.0.113.7","reason":"ALREADY_BLOCKED"})");
  ASSERT_EQ(r.status, 200) << r.body;
  Response acks = Send("GET", "/v1/acks", Role::kIsp);
  ASSERT_EQ(Body(acks).at("total").as_int64(), 2);
  bool unprocessed = false;
  const json::value listed = Body(acks);
  for (const json::value& a : listed.at("acknowledgements").as_array()) {
    if (a.at("value").as_string() == "203.0.113.7") {
      unprocessed = a.at("status").as_string() == "unprocessed" &&
                    a.at("reason").as_string() == "already-blocked";
    }
  }
  EXPECT_TRUE(unprocessed);

  r = Send("POST", "/api/v1/ticket/item/set/processed", Role::kIsp,
           R"({"value":"never-listed.example"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r).at("status").as_string(), "error");
  r = Send("POST", "/api/v1/ticket/item/set/unprocessed", Role::kIsp,
           R"({"value":"stream.example"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r).at("field").as_string(), "reason");
  // A subdomain of a tree rule is not itself an item of the list.
  r = Send("POST", "/api/v1/ticket/item/set/processed", Role::kIsp,
           R"({"value":"www.pirate.example"})");
  EXPECT_EQ(r.status, 400);
}

// Rights holders submit bulk referrals from several connections while intermediaries poll
// and acknowledge: every referral lands whole, with its own targets, and no response is lost.
TEST_F(WorkflowApiTest, ConcurrentBulkReferralsPollsAndAcknowledgements) {
  constexpr int kWriters = 3;
  constexpr int kPerWriter = 8;
  constexpr int kTargets = 40;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kPerWriter; ++i) {
        std::string targets = "[";
        for (int t = 0; t < kTargets; ++t) {
          targets += (t ? "," : "") + std::string("\"w") + std::to_string(w) + "-" +
                     std::to_string(i) + "-" + std::to_string(t) + ".example\"";
        }
        Response r = Send("POST", "/v1/referrals",
                          w == 0 ? other_rightsholder_token_ : tokens_.at(Role::kRightsholder),
                          R"({"category":"torrent","targets":)" + targets + "]}");
        if (r.status != 201) ++failures;
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 40; ++i) {
      if (Call("/feeds/isp/snapshot?format=domains", Role::kIsp).status != 200) ++failures;
      Response a = Send("POST", "/api/v1/ticket/item/set/processed", Role::kIsp,
                        R"({"value":"stream.example"})");
      if (a.status != 200) ++failures;
    }
  });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  Response all = Send("GET", "/v1/referrals?limit=1000", Role::kAuditor);
  ASSERT_EQ(all.status, 200);
  const json::value listed = Body(all);
  ASSERT_EQ(listed.at("referrals").as_array().size(),
            static_cast<std::size_t>(kWriters * kPerWriter));
  for (const json::value& r : listed.at("referrals").as_array()) {
    EXPECT_EQ(r.at("target_count").as_int64(), kTargets);
  }
}

class SmallLimitsTest : public WorkflowApiTest {
 protected:
  void SetUp() override {
    ApiOptions o;
    o.max_items = 3;
    Start(o);
  }
};

TEST_F(SmallLimitsTest, TooManyItemsIs413AndWritesNothing) {
  Response r =
      Send("POST", "/v1/referrals", Role::kRightsholder,
           R"({"category":"torrent","targets":["a.example","b.example","c.example","d.example"]})");
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(Field(r), "targets");
  r = Send("POST", "/v1/acks", Role::kIsp, R"({"items":[{},{},{},{}]})");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(
      Body(Send("GET", "/v1/referrals", Role::kRightsholder)).at("referrals").as_array().size(),
      0u);
  EXPECT_NE(Refer(R"(["a.example","b.example","c.example"])"), 0);  // three is fine
  // A body over the server's limit (1 MiB by default) is refused from its Content-Length,
  // before it is read.
  Client c(server_->port());
  c.Send("POST /v1/referrals HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer " +
         tokens_.at(Role::kRightsholder) + "\r\nContent-Length: " + std::to_string(2 << 20) +
         "\r\n\r\n");
  std::optional<Response> huge = c.Read();
  ASSERT_TRUE(huge.has_value());
  EXPECT_EQ(huge->status, 413);
}

// The bounds over HTTP: a change beyond them is held (409 naming the held change), listed for the
// authority, and applied when an authority admin repeats it with "confirm"; address targets are
// re-confirmed and listed when due.
class BoundedApiTest : public WorkflowApiTest {
 protected:
  void SetUp() override {
    RegistryOptions options;
    options.bounds.max_pairs = 4;  // the fixture's order has 4 targets
    options.bounds.max_fraction = 0;
    r_.SetOptions(options);
    Start({});
  }
};

TEST_F(BoundedApiTest, AnOrderBeyondTheBoundsIsHeldUntilAnAdminRepeatsItWithConfirm) {
  const std::string order = OrderJson(
      "HELD-1", R"(["a.example","b.example","c.example","d.example","e.example"])", false);
  Response held = Send("POST", "/v1/orders", Role::kAuthorityAdmin, order);
  ASSERT_EQ(held.status, 409) << held.body;
  EXPECT_NE(held.body.find("held as change 1"), std::string::npos) << held.body;
  Response list = Send("GET", "/v1/held", Role::kAuthorityReviewer, "");
  ASSERT_EQ(list.status, 200) << list.body;
  const json::value list_body = Body(list);
  const json::array& items = list_body.at("items").as_array();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].at("kind").as_string(), "order.create");
  EXPECT_EQ(items[0].at("added").as_int64(), 5);
  EXPECT_TRUE(items[0].at("confirmed").is_null());
  // The order does not exist yet.
  EXPECT_EQ(
      Send("GET", "/v1/orders?reference=HELD-1", Role::kAuthorityAdmin, "").body.find("HELD-1"),
      std::string::npos);

  std::string confirmed = order;
  confirmed.insert(confirmed.size() - 1, R"(,"confirm":1)");
  Response applied = Send("POST", "/v1/orders", Role::kAuthorityAdmin, confirmed);
  ASSERT_EQ(applied.status, 201) << applied.body;
  Response after = Send("GET", "/v1/held?all=true", Role::kAuthorityAdmin, "");
  EXPECT_FALSE(Body(after).at("items").as_array()[0].at("confirmed").is_null()) << after.body;
  EXPECT_TRUE(
      Body(Send("GET", "/v1/held", Role::kAuthorityAdmin, "")).at("items").as_array().empty());
}

TEST_F(BoundedApiTest, OnlyAnAuthorityAdminConfirms) {
  const Id referral =
      Refer(R"(["x1.example","x2.example","x3.example","x4.example","x5.example"])");
  ASSERT_NE(referral, 0);
  ASSERT_EQ(Send("POST", "/v1/review/" + std::to_string(referral) + "/start",
                 Role::kAuthorityReviewer, "")
                .status,
            200);
  const std::string approve =
      R"({"order":{"body":"Court of Lima","reference":"HELD-2","expires":"2030-01-01","categories":["torrent"]}})";
  Response held = Send("POST", "/v1/review/" + std::to_string(referral) + "/approve",
                       Role::kAuthorityReviewer, approve);
  ASSERT_EQ(held.status, 409) << held.body;
  std::string confirmed = approve;
  confirmed.insert(confirmed.size() - 1, R"(,"confirm":1)");
  Response reviewer = Send("POST", "/v1/review/" + std::to_string(referral) + "/approve",
                           Role::kAuthorityReviewer, confirmed);
  EXPECT_EQ(reviewer.status, 403) << reviewer.body;
  EXPECT_EQ(Field(reviewer), "confirm");
  Response admin = Send("POST", "/v1/review/" + std::to_string(referral) + "/approve",
                        Role::kAuthorityAdmin, confirmed);
  EXPECT_EQ(admin.status, 201) << admin.body;
}

TEST_F(BoundedApiTest, AddressTargetsAreReconfirmedAndListedWhenDue) {
  // R-1 carries 203.0.113.7 and 2001:db8::/32; they lapse after 90 days by default.
  Response due = Send("GET", "/v1/reconfirm/due?days=100", Role::kAuthorityReviewer, "");
  ASSERT_EQ(due.status, 200) << due.body;
  EXPECT_EQ(Body(due).at("items").as_array().size(), 2u) << due.body;
  EXPECT_TRUE(Body(Send("GET", "/v1/reconfirm/due?days=10", Role::kAuthorityReviewer, ""))
                  .at("items")
                  .as_array()
                  .empty());
  Response bad = Send("POST", "/v1/orders/1/reconfirm", Role::kAuthorityAdmin,
                      R"({"targets":["stream.example"],"reason":"still"})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  Response ok = Send("POST", "/v1/orders/1/reconfirm", Role::kAuthorityAdmin,
                     R"({"reason":"the addresses still serve the site"})");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Body(ok).at("reconfirmed").as_int64(), 2);
}

}  // namespace
}  // namespace interdict::api
