// Appeals over HTTP on a real server: filed without a token, read by anyone with the contact
// shown to the authority only, refused with the field named, decided by the authority (uphold,
// lift, lift-targets) with the in-force set, the serial and the feeds following.
#include <boost/json.hpp>
#include <string>

#include "api/api_fixture.h"

namespace interdict::api {
namespace {

namespace json = boost::json;
using feed::feedtest::T;

class AppealApiTest : public ApiFixture {
 protected:
  // An appeal body against `order` (0: none), with `target` ("" for none).
  static std::string AppealJson(Id order, const std::string& target,
                                const std::string& contact = "legal@stream.example") {
    std::string body = "{";
    if (order != 0) body += R"("order_id":)" + std::to_string(order) + ",";
    if (!target.empty()) body += R"("target":")" + target + R"(",)";
    return body + R"("party":"operator","name":"Stream Co","contact":")" + contact +
           R"(","statement":"We hold the licence.\nSee attached."})";
  }

  Id File(Id order, const std::string& target) {
    const Response r = Send("POST", "/v1/appeals", "", AppealJson(order, target));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? Body(r).at("id").as_int64() : 0;
  }

  std::size_t AppealCount() {
    return Body(Send("GET", "/v1/appeals", "")).at("appeals").as_array().size();
  }

  bool Blocked(std::string_view value) {
    Result<CheckResult> c = r_.registry().Check(T(value));
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() && c->blocked();
  }
};

TEST_F(AppealApiTest, AnyoneFilesAndReadsAppealsButOnlyTheAuthoritySeesTheContact) {
  const Response filed = Send("POST", "/v1/appeals", "", AppealJson(1, "Stream.Example."));
  ASSERT_EQ(filed.status, 201) << filed.body;
  const json::value a = Body(filed);
  const Id id = a.at("id").as_int64();
  EXPECT_EQ(filed.Header("location"), "/v1/appeals/" + std::to_string(id));
  EXPECT_EQ(a.at("target").as_string(), "domain:stream.example");  // normalized
  EXPECT_EQ(a.at("state").as_string(), "filed");
  EXPECT_EQ(a.at("order_reference").as_string(), "R-1");
  EXPECT_EQ(a.at("contact").as_string(), "legal@stream.example");  // the filer's own answer
  EXPECT_TRUE(a.at("decided").is_null());

  const std::string path = "/v1/appeals/" + std::to_string(id);
  const Response anonymous = Send("GET", path, "");
  ASSERT_EQ(anonymous.status, 200) << anonymous.body;
  EXPECT_EQ(Body(anonymous).at("statement").as_string(), "We hold the licence.\nSee attached.");
  EXPECT_FALSE(Body(anonymous).as_object().contains("contact"));
  EXPECT_EQ(anonymous.body.find("legal@stream.example"), std::string::npos);
  for (const Role role : {Role::kRightsholder, Role::kIsp, Role::kAuditor, Role::kVpn}) {
    EXPECT_FALSE(Body(Send("GET", path, role)).as_object().contains("contact")) << Name(role);
  }
  for (const Role role : {Role::kAuthorityAdmin, Role::kAuthorityReviewer}) {
    EXPECT_EQ(Body(Send("GET", path, role)).at("contact").as_string(), "legal@stream.example")
        << Name(role);
  }
  const Response listed = Send("GET", "/v1/appeals?order=1", "");
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(Body(listed).at("appeals").as_array().size(), 1u);
  EXPECT_EQ(listed.body.find("legal@stream.example"), std::string::npos);
  EXPECT_NE(Send("GET", "/v1/appeals?order=1", Role::kAuthorityReviewer)
                .body.find("legal@stream.example"),
            std::string::npos);
  EXPECT_EQ(Body(Send("GET", "/v1/appeals?order=2", "")).at("appeals").as_array().size(), 0u);
  EXPECT_EQ(Send("GET", "/v1/appeals/424242", "").status, 404);
  // A token that is sent must be valid, even where none is needed.
  EXPECT_EQ(Send("GET", path, "idt_" + std::string(64, 'a')).status, 401);

  // The trail names the public filer by address; the contact stays out of it.
  AuditFilter f;
  f.entity = "appeal";
  Result<std::vector<AuditEntry>> trail = r_.registry().Audit(f);
  ASSERT_TRUE(trail.ok());
  ASSERT_EQ(trail->size(), 1u);
  EXPECT_EQ((*trail)[0].action, "appeal.file");
  EXPECT_EQ((*trail)[0].actor, "api:public@127.0.0.1");
  EXPECT_EQ((*trail)[0].detail.find("legal@"), std::string::npos);
}

TEST_F(AppealApiTest, BadAppealsAre400NamingTheFieldAndWriteNothing) {
  struct Case {
    std::string body;
    std::string field;
    int status = 400;
  };
  const std::string ok = AppealJson(1, "");
  auto with = [&ok](const std::string& from, const std::string& to) {
    std::string b = ok;
    b.replace(b.find(from), from.size(), to);
    return b;
  };
  const std::vector<Case> cases = {
      {R"({"order_id":1,"party":"operator")", "body"},
      {with(R"("party":"operator")", R"("party":"judge")"), "party"},
      {with(R"("party":"operator",)", ""), "party"},
      {with(R"("name":"Stream Co")", R"("name":")" + std::string(201, 'n') + R"(")"), "name"},
      {with(R"("name":"Stream Co")", R"("name":"  ")"), "name"},
      {with(R"("name":"Stream Co")", R"("name":"a\u0007b")"), "name"},
      {with("legal@stream.example", "not an address"), "contact"},
      {with("legal@stream.example", "ftp://files.example/"), "contact"},
      {with("legal@stream.example", "me@localhost"), "contact"},
      {with(R"("statement":"We hold the licence.\nSee attached.")",
            R"("statement":")" + std::string(10001, 's') + R"(")"),
       "statement"},
      {with(R"("statement":"We hold the licence.\nSee attached.")", R"("statement":" \n ")"),
       "statement"},
      {with(R"("order_id":1,)", R"("order_id":"one",)"), "order_id"},
      {with(R"("order_id":1,)", R"("order_id":424242,)"), "order_id", 404},
      {with(R"("order_id":1,)", ""), "order_id"},
      {AppealJson(1, "bad..name"), "target"},
      {AppealJson(1, "other.example"), "target"},  // not a target of the order
      {with(R"("party")", R"("colour":"red","party")"), "colour"},
  };
  for (const Case& c : cases) {
    const Response r = Send("POST", "/v1/appeals", "", c.body);
    EXPECT_EQ(r.status, c.status) << c.body.substr(0, 200) << " -> " << r.body;
    EXPECT_EQ(Field(r), c.field) << c.body.substr(0, 200) << " -> " << r.body;
  }
  EXPECT_EQ(AppealCount(), 0u);
  // The limits are bytes: 10,000 bytes of statement are fine.
  EXPECT_EQ(Send("POST", "/v1/appeals", "",
                 with(R"("statement":"We hold the licence.\nSee attached.")",
                      R"("statement":")" + std::string(10000, 's') + R"(")"))
                .status,
            201);
}

TEST_F(AppealApiTest, LiftedAndExpiredOrdersAndLiftedTargetsCannotBeAppealed) {
  const Order lifted = r_.Create("L-1", Bit(Scope::kIsp), {"gone.example"});
  ASSERT_TRUE(r_.registry().Lift("test", lifted.id, "court lifted it").ok());
  Response r = Send("POST", "/v1/appeals", "", AppealJson(lifted.id, ""));
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(Field(r), "order_id");
  EXPECT_NE(r.body.find("lifted"), std::string::npos);

  const Order brief =
      r_.Create("B-1", Bit(Scope::kIsp), {"brief.example"}, false, 0, r_.clock().Now() + 3600);
  EXPECT_EQ(Send("POST", "/v1/appeals", "", AppealJson(brief.id, "")).status, 201);
  r_.clock().Advance(3600);  // expired, before any sweep
  r = Send("POST", "/v1/appeals", "", AppealJson(brief.id, ""));
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("expired"), std::string::npos);
}

TEST_F(AppealApiTest, LiftTargetsTakesOneSerialAndTheTargetsLeaveTheFeeds) {
  const Id id = File(1, "stream.example");
  ASSERT_NE(id, 0);
  const Serial before = r_.CurrentSerial();
  ASSERT_TRUE(Blocked("stream.example"));
  const Response decided =
      Send("POST", "/v1/appeals/" + std::to_string(id) + "/decide", Role::kAuthorityReviewer,
           R"({"decision":"lift-targets","reason":"licensed stream"})");
  ASSERT_EQ(decided.status, 200) << decided.body;
  const json::value a = Body(decided);
  EXPECT_EQ(a.at("state").as_string(), "partly-lifted");
  EXPECT_EQ(a.at("lifted_targets"), json::parse(R"(["domain:stream.example"])"));
  EXPECT_EQ(a.at("reason").as_string(), "licensed stream");
  EXPECT_TRUE(a.at("decided_by").as_string().starts_with("api:AGCOM/authority-reviewer#"))
      << a.at("decided_by");
  EXPECT_EQ(a.at("contact").as_string(), "legal@stream.example");

  // One serial, whose delta removes exactly the lifted pair; the rest of the order stays.
  EXPECT_EQ(r_.CurrentSerial(), before + 1);
  Result<std::vector<DeltaEntry>> delta = r_.registry().SerialDelta(before + 1);
  ASSERT_TRUE(delta.ok());
  ASSERT_EQ(delta->size(), 1u);
  EXPECT_EQ((*delta)[0].op, DeltaOp::kRemove);
  EXPECT_EQ((*delta)[0].target, T("stream.example"));
  EXPECT_EQ((*delta)[0].order_id, 1);
  EXPECT_FALSE(Blocked("stream.example"));
  EXPECT_TRUE(Blocked("www.pirate.example"));
  ASSERT_TRUE(feeds_->Refresh().ok());
  const Response feed = Send("GET", "/feeds/isp/snapshot?format=domains", Role::kIsp);
  ASSERT_EQ(feed.status, 200);
  EXPECT_EQ(feed.body.find("stream.example"), std::string::npos) << feed.body;
  EXPECT_NE(feed.body.find("pirate.example"), std::string::npos);
  const Response order = Send("GET", "/v1/orders/1", Role::kAuditor);
  EXPECT_EQ(Body(order).at("lifted_targets"), json::parse(R"(["domain:stream.example"])"));
  EXPECT_EQ(Body(order).at("target_count").as_int64(), 3);

  // Final: deciding again, or appealing the lifted target, is refused.
  Response again = Send("POST", "/v1/appeals/" + std::to_string(id) + "/decide",
                        Role::kAuthorityAdmin, R"({"decision":"uphold","reason":"second look"})");
  EXPECT_EQ(again.status, 409) << again.body;
  again = Send("POST", "/v1/appeals", "", AppealJson(1, "stream.example"));
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(Field(again), "target");
  EXPECT_EQ(r_.CurrentSerial(), before + 1);

  // Audited with the actor: the decision and the order's change.
  AuditFilter f;
  f.entity = "order";
  f.entity_id = 1;
  Result<std::vector<AuditEntry>> trail = r_.registry().Audit(f);
  ASSERT_TRUE(trail.ok());
  ASSERT_FALSE(trail->empty());
  EXPECT_EQ(trail->back().action, "order.lift-targets");
  EXPECT_TRUE(trail->back().actor.starts_with("api:AGCOM/authority-reviewer#"))
      << trail->back().actor;
  f.entity = "appeal";
  f.entity_id = id;
  trail = r_.registry().Audit(f);
  ASSERT_TRUE(trail.ok());
  ASSERT_EQ(trail->size(), 2u);
  EXPECT_EQ((*trail)[1].action, "appeal.decide");
  EXPECT_EQ((*trail)[1].reason, "licensed stream");
}

TEST_F(AppealApiTest, LiftLiftsTheWholeOrderAndUpholdChangesNothing) {
  const Order o = r_.Create("W-1", Bit(Scope::kIsp), {"whole.example", "whole2.example"});
  const Id upheld = File(o.id, "");
  const Id lift = File(o.id, "whole2.example");
  const Serial before = r_.CurrentSerial();
  Response r = Send("POST", "/v1/appeals/" + std::to_string(upheld) + "/decide",
                    Role::kAuthorityAdmin, R"({"decision":"uphold","reason":"infringing"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r).at("state").as_string(), "upheld");
  EXPECT_EQ(r_.CurrentSerial(), before);
  EXPECT_TRUE(Blocked("whole.example"));

  r = Send("POST", "/v1/appeals/" + std::to_string(lift) + "/decide", Role::kAuthorityAdmin,
           R"({"decision":"lift","reason":"the court annulled it"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r).at("state").as_string(), "lifted");
  EXPECT_EQ(r_.CurrentSerial(), before + 1);
  EXPECT_FALSE(Blocked("whole.example"));
  EXPECT_FALSE(Blocked("whole2.example"));
  const Response order = Send("GET", "/v1/orders/" + std::to_string(o.id), Role::kAuditor);
  EXPECT_EQ(Body(order).at("state").as_string(), "lifted");
  EXPECT_NE(Body(order).at("state_reason").as_string().find("the court annulled it"),
            std::string::npos);
  const json::value upheld_list =
      Body(Send("GET", "/v1/appeals?order=" + std::to_string(o.id) + "&state=upheld", ""));
  ASSERT_EQ(upheld_list.at("appeals").as_array().size(), 1u);
  EXPECT_EQ(upheld_list.at("appeals").at(0).at("id").as_int64(), upheld);
}

TEST_F(AppealApiTest, BadDecisionsAre400NamingTheFieldAndChangeNothing) {
  const Id id = File(1, "");
  const std::string path = "/v1/appeals/" + std::to_string(id) + "/decide";
  struct Case {
    std::string body;
    std::string field;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"decision":"maybe","reason":"x"})", "decision"},
           {R"({"decision":"uphold"})", "reason"},
           {R"({"decision":"uphold","reason":" "})", "reason"},
           {R"({"decision":"uphold","reason":"x","targets":["stream.example"]})", "targets"},
           {R"({"decision":"lift-targets","reason":"x"})", "targets"},  // whole-order appeal
           {R"({"decision":"lift-targets","reason":"x","targets":["stream.example",
               "stream.example","nope.example"]})",
            "targets[2]"},
           {R"({"decision":"lift-targets","reason":"x","targets":["*.pirate.example",
               "stream.example","203.0.113.7","2001:db8::/32"]})",
            "targets"},  // every target: that is a lift
           {R"({"decision":"uphold","reason":"x","by":"me"})", "by"},
       }) {
    const Response r = Send("POST", path, Role::kAuthorityAdmin, c.body);
    EXPECT_EQ(r.status, 400) << c.body << " -> " << r.body;
    EXPECT_EQ(Field(r), c.field) << c.body << " -> " << r.body;
  }
  EXPECT_EQ(Body(Send("GET", "/v1/appeals/" + std::to_string(id), "")).at("state").as_string(),
            "filed");
  EXPECT_EQ(Send("POST", "/v1/appeals/424242/decide", Role::kAuthorityAdmin,
                 R"({"decision":"uphold","reason":"x"})")
                .status,
            404);
  EXPECT_EQ(Send("POST", path, "", R"({"decision":"uphold","reason":"x"})").status, 401);
  EXPECT_EQ(Send("POST", path, Role::kRightsholder, R"({"decision":"uphold","reason":"x"})").status,
            403);
}

class AppealRateTest : public AppealApiTest {
 protected:
  void SetUp() override {
    ApiOptions o;
    o.rate_per_second = 0.001;  // no refill within the test
    o.rate_burst = 2;
    Start(o);
  }
};

TEST_F(AppealRateTest, PublicRequestsAreRateLimitedByAddress) {
  EXPECT_EQ(Send("POST", "/v1/appeals", "", AppealJson(1, "")).status, 201);
  EXPECT_EQ(Send("GET", "/v1/appeals", "").status, 200);
  const Response limited = Send("POST", "/v1/appeals", "", AppealJson(1, ""));
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_FALSE(limited.Header("retry-after").empty());
  EXPECT_EQ(Send("GET", "/register", "").status, 429);  // the same address's bucket
  // A token has its own bucket.
  EXPECT_EQ(Send("GET", "/v1/appeals", Role::kAuthorityAdmin).status, 200);
}

}  // namespace
}  // namespace interdict::api
