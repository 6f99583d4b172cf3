// The public register on a real server, without a token: orders as JSON with paging, targets
// as published (URL paths redacted, or not), "is it blocked, and why?", and the HTML pages,
// valid and with every value escaped.
#include <boost/json.hpp>
#include <string>

#include "api/api_fixture.h"
#include "api/html_check.h"

namespace interdict::api {
namespace {

namespace json = boost::json;
using feed::feedtest::T;
using htmltest::HtmlProblem;

// A reference and a body made to break a page that forgot to escape them.
constexpr std::string_view kHostileReference = R"(<script>alert("x")</script>&'q')";
constexpr std::string_view kHostileBody = R"(Tribunal "<b>Uno</b>" & co)";

class PublicRegisterTest : public ApiFixture {
 protected:
  void SetUp() override { Start(Options()); }
  virtual ApiOptions Options() { return {}; }

  // An order with a hostile reference and body, a URL with a path and a plain name.
  Id HostileOrder() {
    OrderRequest r;
    r.body = std::string(kHostileBody);
    r.reference = std::string(kHostileReference);
    r.expires_at = r_.clock().Now() + 30 * feed::feedtest::kDay;
    r.categories = Bit(Category::kCyberlocker);
    r.targets = {T("url:https://files.example/secret/victim-page.html"), T("files2.example")};
    Result<Order> o = r_.registry().CreateOrder("test", r);
    EXPECT_TRUE(o.ok()) << o.status().ToString();
    return o.ok() ? o->id : 0;
  }

  Response Public(const std::string& target) { return Send("GET", target, ""); }
};

TEST_F(PublicRegisterTest, ListsOrdersWithTheirPublicFieldsAPageAtATime) {
  const Id second = HostileOrder();
  Response r = Public("/public/orders");
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value list = Body(r);
  const json::array& orders = list.at("orders").as_array();
  ASSERT_EQ(orders.size(), 2u);
  const json::object& first = orders[0].as_object();
  EXPECT_EQ(first.at("reference").as_string(), "R-1");
  EXPECT_EQ(first.at("body").as_string(), "Court of Lima");
  EXPECT_EQ(first.at("state").as_string(), "in-force");
  EXPECT_TRUE(first.at("lifted").is_null());
  EXPECT_FALSE(first.contains("state_reason"));
  EXPECT_EQ(first.at("register_url").as_string(), "/register/orders/1");
  EXPECT_EQ(first.at("appeal"), json::parse(R"({"open":true,"method":"POST","url":"/v1/appeals",
                                                "order_id":1})"));
  EXPECT_TRUE(Body(r).at("next_after").is_null());

  r = Public("/public/orders?limit=1");
  ASSERT_EQ(Body(r).at("orders").as_array().size(), 1u);
  EXPECT_EQ(Body(r).at("next_after").as_int64(), 1);
  r = Public("/public/orders?limit=1&after=1");
  EXPECT_EQ(Body(r).at("orders").at(0).at("id").as_int64(), second);
  EXPECT_EQ(Public("/public/orders?limit=0").status, 400);

  // A lifted order says when.
  ASSERT_TRUE(r_.registry().Lift("test", second, "annulled").ok());
  r = Public("/public/orders?state=lifted");
  ASSERT_EQ(Body(r).at("orders").as_array().size(), 1u);
  EXPECT_EQ(Body(r).at("orders").at(0).at("lifted").as_string(), FormatTime(r_.clock().Now()));
  EXPECT_FALSE(Body(r).at("orders").at(0).at("appeal").at("open").as_bool());
}

TEST_F(PublicRegisterTest, AnOrderPublishesItsTargetsWithURLPathsRedactedByDefault) {
  const Id id = HostileOrder();
  const Response r = Public("/public/orders/" + std::to_string(id));
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value v = Body(r);
  EXPECT_EQ(v.at("reference").as_string(), kHostileReference);
  EXPECT_EQ(v.at("target_count").as_int64(), 2);
  EXPECT_EQ(v.at("targets"), json::parse(R"([{"kind":"domain","value":"files2.example"},
                            {"kind":"url","value":"https://files.example/\u2026","redacted":true}])"));
  EXPECT_EQ(r.body.find("victim-page"), std::string::npos);
  EXPECT_EQ(r.body.find("secret"), std::string::npos);
  EXPECT_EQ(Public("/public/orders/424242").status, 404);
}

TEST_F(PublicRegisterTest, AnOrderShowsItsAppealsAndTargetsLiftedOnAppeal) {
  AppealRequest a;
  a.order_id = 1;
  a.target = T("stream.example");
  a.party = AppealParty::kCollateral;
  a.name = "Neighbour";
  a.contact = "n@neighbour.example";
  a.statement = "we share the address";
  Result<Appeal> filed = r_.registry().FileAppeal("test", a);
  ASSERT_TRUE(filed.ok()) << filed.status().ToString();
  ASSERT_TRUE(r_.registry()
                  .DecideAppeal("test", filed->id, AppealDecision::kLiftTargets, "collateral", {})
                  .ok());
  const Response r = Public("/public/orders/1");
  ASSERT_EQ(r.status, 200);
  const json::value v = Body(r);
  EXPECT_EQ(v.at("lifted_targets"), json::parse(R"([{"kind":"domain","value":"stream.example"}])"));
  EXPECT_EQ(v.at("target_count").as_int64(), 3);
  ASSERT_EQ(v.at("appeals").as_array().size(), 1u);
  EXPECT_EQ(v.at("appeals").at(0).at("state").as_string(), "partly-lifted");
  EXPECT_EQ(r.body.find("n@neighbour.example"), std::string::npos);  // never the contact
  const Response page = Public("/register/orders/1");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(HtmlProblem(page.body), "");
  EXPECT_NE(page.body.find("Lifted on appeal"), std::string::npos);
  EXPECT_NE(page.body.find("partly-lifted"), std::string::npos);
  EXPECT_EQ(page.body.find("n@neighbour.example"), std::string::npos);
}

class UnredactedRegisterTest : public PublicRegisterTest {
 protected:
  ApiOptions Options() override {
    ApiOptions o;
    o.public_redact_paths = false;
    o.public_url = "https://register.example";
    return o;
  }
};

TEST_F(UnredactedRegisterTest, PublishesWholeURLsAndAbsoluteLinksWhenConfigured) {
  const Id id = HostileOrder();
  const Response r = Public("/public/orders/" + std::to_string(id));
  ASSERT_EQ(r.status, 200);
  const json::value v = Body(r);
  EXPECT_EQ(
      v.at("targets").at(1),
      json::parse(R"({"kind":"url","value":"https://files.example/secret/victim-page.html"})"));
  EXPECT_EQ(v.at("register_url").as_string(),
            "https://register.example/register/orders/" + std::to_string(id));
  EXPECT_EQ(v.at("appeal").at("url").as_string(), "https://register.example/v1/appeals");
  const Response page = Public("/register/orders/" + std::to_string(id));
  EXPECT_NE(page.body.find("url:https://files.example/secret/victim-page.html"), std::string::npos);
  EXPECT_NE(page.body.find("https://register.example/v1/appeals"), std::string::npos);
}

TEST_F(PublicRegisterTest, CheckSaysWhetherAValueIsBlockedAndByWhat) {
  HostileOrder();
  Response r = Public("/public/check?q=WWW.Pirate.EXAMPLE.");
  ASSERT_EQ(r.status, 200) << r.body;
  json::value v = Body(r);
  EXPECT_EQ(v.at("query"), json::parse(R"({"kind":"domain","value":"www.pirate.example"})"));
  EXPECT_TRUE(v.at("blocked").as_bool());
  ASSERT_EQ(v.at("orders").as_array().size(), 1u);
  EXPECT_EQ(v.at("orders").at(0).at("reference").as_string(), "R-1");
  EXPECT_EQ(v.at("orders").at(0).at("rules"),
            json::parse(R"([{"kind":"domain-tree","value":"pirate.example"}])"));

  r = Public("/public/check?q=https%3A%2F%2Ffiles.example%2Fsecret%2Fvictim-page.html%3Fx%3D1");
  v = Body(r);
  EXPECT_TRUE(v.at("blocked").as_bool()) << r.body;
  EXPECT_EQ(v.at("orders").at(0).at("rules").at(0).at("value").as_string(),
            "https://files.example/\u2026");

  r = Public("/public/check?q=not-blocked.example");
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(Body(r).at("blocked").as_bool());
  EXPECT_EQ(Body(r).at("orders").as_array().size(), 0u);

  // A suspended order blocks nothing, so it is no answer.
  ASSERT_TRUE(r_.registry().Suspend("test", 1, "pending appeal").ok());
  EXPECT_FALSE(Body(Public("/public/check?q=stream.example")).at("blocked").as_bool());

  for (const char* bad : {"/public/check", "/public/check?q=", "/public/check?q=a..b"}) {
    r = Public(bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(Body(r).at("error").at("field").as_string(), "q") << bad;
  }
}

TEST_F(PublicRegisterTest, HtmlPagesAreValidSelfContainedAndEscapeEveryValue) {
  const Id id = HostileOrder();
  const std::string escaped_reference =
      "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;q&#39;";
  const std::string escaped_body = "Tribunal &quot;&lt;b&gt;Uno&lt;/b&gt;&quot; &amp; co";
  struct Page {
    std::string target;
    int status;
    std::vector<std::string> contains;
  };
  const std::vector<Page> pages = {
      {"/register", 200, {escaped_reference, escaped_body, "R-1", "/register/orders/1"}},
      {"/register/orders/" + std::to_string(id),
       200,
       {escaped_reference, escaped_body, "url:https://files.example/\u2026", "POST /v1/appeals",
        "How to appeal"}},
      {"/register/check?q=files2.example", 200, {escaped_reference, "Blocked."}},
      {"/register/check?q=not-blocked.example", 200, {"is not blocked"}},
      {"/register/check", 200, {"<form action=\"/register/check\" method=\"get\">"}},
      // The value asked about comes back in the form and in the error: escaped.
      {"/register/check?q=%3Cscript%3Ex%22%27", 400, {"value=\"&lt;script&gt;x&quot;&#39;\""}},
      {"/register/orders/424242", 404, {"Not found"}},
      {"/register?limit=5000", 400, {"limit"}},
  };
  for (const Page& p : pages) {
    const Response r = Public(p.target);
    EXPECT_EQ(r.status, p.status) << p.target << ": " << r.body.substr(0, 300);
    EXPECT_EQ(r.Header("content-type"), "text/html; charset=utf-8") << p.target;
    EXPECT_EQ(HtmlProblem(r.body), "") << p.target;
    EXPECT_EQ(r.body.find("<script"), std::string::npos) << p.target;
    EXPECT_EQ(r.body.find(kHostileReference), std::string::npos) << p.target;
    EXPECT_EQ(r.body.find(" src="), std::string::npos) << p.target;  // nothing to fetch
    EXPECT_EQ(r.body.find("secret"), std::string::npos) << p.target;
    EXPECT_NE(r.Header("content-security-policy").find("default-src 'none'"), std::string::npos)
        << p.target;
    for (const std::string& s : p.contains) {
      EXPECT_NE(r.body.find(s), std::string::npos) << p.target << " lacks " << s;
    }
  }
  // The checker itself refuses what it must (it is not a test that cannot fail).
  EXPECT_NE(HtmlProblem("<!DOCTYPE html><p>" + std::string(kHostileReference) + "</p>"), "");
  EXPECT_NE(HtmlProblem("<!DOCTYPE html><p><b>x</p></b>"), "");
  EXPECT_NE(HtmlProblem("<!DOCTYPE html><a href=\"x\"y\">z</a>"), "");
  EXPECT_EQ(HtmlProblem("<!DOCTYPE html><p>a &amp; b<br></p>"), "");
}

}  // namespace
}  // namespace interdict::api
