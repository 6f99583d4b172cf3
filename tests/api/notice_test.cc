// The HTTP 451 notice site (RFC 7725) on a real server: for any Host and path, 451 with the
// blocked-by Link and the orders that block the host; 404 for a host no order in force names;
// English or Spanish by Accept-Language.
#include "api/notice.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "api/html_check.h"
#include "feed/feed_testing.h"
#include "http/http_client.h"
#include "http/server.h"

namespace interdict::api {
namespace {

using feed::feedtest::TestRegistry;
using htmltest::HtmlProblem;
using http::test_client::Client;
using http::test_client::Response;

class NoticeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Registry& reg = r_.registry();
    tree_ = r_.Create("N-1/2026", Bit(Scope::kIsp),
                      {"*.blocked.example", "exact.example", "198.51.100.9", "2001:db8::7",
                       "\xd0\xbf\xd0\xb8\xd1\x80\xd0\xb0\xd1\x82.\xd1\x80\xd1\x84"});  // пират.рф
    second_ = r_.Create("N-2/2026", Bit(Scope::kIsp), {"exact.example"});
    const Order lifted = r_.Create("N-3/2026", Bit(Scope::kIsp), {"lifted.example"});
    ASSERT_TRUE(reg.Lift("test", lifted.id, "annulled").ok());
    const Order suspended = r_.Create("N-4/2026", Bit(Scope::kIsp), {"suspended.example"});
    ASSERT_TRUE(reg.Suspend("test", suspended.id, "pending appeal").ok());
    NoticeOptions o;
    o.public_url = "https://register.example";
    o.blocked_by = "https://isp.example/blocking";
    o.intermediary = "ISP One";
    o.authority = "INDECOPI";
    site_ = std::make_unique<NoticeSite>(reg, o);
    site_->Register(router_);
    http::HttpServerOptions so;
    so.listen = "127.0.0.1:0";
    server_ = std::make_unique<http::HttpServer>(router_, std::move(so));
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }

  // One request on a new connection; `host` nullptr: no Host header.
  Response Ask(const char* host, const std::string& extra = {}, const std::string& method = "GET",
               const std::string& target = "/") {
    std::string req = method + " " + target + " HTTP/1.1\r\n";
    if (host != nullptr) req += std::string("Host: ") + host + "\r\n";
    req += extra;
    if (method == "POST") req += "Content-Length: 0\r\n";
    req += "\r\n";
    Client c(server_->port());
    c.Send(req);
    std::optional<Response> r = c.Read(method == "HEAD");
    EXPECT_TRUE(r.has_value()) << method << " " << (host ? host : "(no host)");
    return r ? *r : Response{};
  }

  TestRegistry r_;
  Order tree_, second_;
  http::Router router_;
  std::unique_ptr<NoticeSite> site_;
  std::unique_ptr<http::HttpServer> server_;
};

TEST_F(NoticeTest, ABlockedHostGets451WithTheBlockedByLinkAndItsOrders) {
  const Response r = Ask("exact.example");
  ASSERT_EQ(r.status, 451) << r.body;
  EXPECT_EQ(r.reason, "Unavailable For Legal Reasons");
  EXPECT_EQ(r.Header("link"), "<https://isp.example/blocking>; rel=\"blocked-by\"");
  EXPECT_EQ(r.Header("cache-control"), "no-store");
  EXPECT_EQ(r.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(r.Header("content-language"), "en");
  EXPECT_EQ(HtmlProblem(r.body), "");
  EXPECT_NE(r.body.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(r.body.find("ISP One has blocked access to exact.example"), std::string::npos);
  const std::string date = FormatDate(tree_.issued_at);
  // Both orders that name the host, each with its register page.
  for (const Order* o : {&tree_, &second_}) {
    EXPECT_NE(r.body.find("Order " + o->reference + ", issued by Court of Lima on " + date),
              std::string::npos)
        << r.body;
    EXPECT_NE(r.body.find("https://register.example/register/orders/" + std::to_string(o->id)),
              std::string::npos);
  }
  EXPECT_NE(r.body.find("POST https://register.example/v1/appeals"), std::string::npos);
  EXPECT_NE(r.body.find("kept by INDECOPI"), std::string::npos);
}

TEST_F(NoticeTest, ANameUnderADomainTreeIsBlockedOnAnyPathWithAnyMethod) {
  for (const char* method : {"GET", "POST", "HEAD"}) {
    const Response r = Ask("deep.www.blocked.example", {}, method, "/some/page.php?id=7&x=%41");
    EXPECT_EQ(r.status, 451) << method;
    EXPECT_EQ(r.Header("link"), "<https://isp.example/blocking>; rel=\"blocked-by\"") << method;
    if (std::string(method) != "HEAD") {
      EXPECT_NE(r.body.find(tree_.reference), std::string::npos) << method;
      EXPECT_EQ(r.body.find(second_.reference), std::string::npos) << method;
    }
  }
  EXPECT_EQ(Ask("blocked.example").status, 451);  // the tree's own name
}

TEST_F(NoticeTest, AHostNoOrderInForceNamesGets404AndNoClaimOfABlock) {
  for (const char* host : {"example.org", "notblocked.example", "www.exact.example",
                           "lifted.example", "suspended.example", "198.51.100.10"}) {
    const Response r = Ask(host);
    EXPECT_EQ(r.status, 404) << host;
    EXPECT_EQ(r.Header("link"), "") << host;
    EXPECT_EQ(r.Header("cache-control"), "no-store") << host;
    EXPECT_EQ(HtmlProblem(r.body), "") << host;
    EXPECT_NE(r.body.find(std::string("No blocking order names ") + host), std::string::npos)
        << host << ": " << r.body;
    EXPECT_EQ(r.body.find("N-3/2026"), std::string::npos) << host;
  }
  // No Host, or one that names no host: 400.
  EXPECT_EQ(Ask(nullptr).status, 400);
  EXPECT_EQ(Ask("bad..name").status, 400);
  EXPECT_EQ(Ask("exact.example:http").status, 400);
}

TEST_F(NoticeTest, TheHostIsNormalizedAsTheRegistryDoes) {
  struct Case {
    const char* host;
    const char* shown;  // the host as the page names it
  };
  for (const Case& c :
       {Case{"EXACT.Example:8080", "exact.example"}, Case{"exact.example.", "exact.example"},
        Case{"WWW.BLOCKED.EXAMPLE:443", "www.blocked.example"},
        Case{"198.51.100.9:80", "198.51.100.9"}, Case{"[2001:DB8::7]:8080", "2001:db8::7"},
        Case{"xn--80apufl.xn--p1ai", "xn--80apufl.xn--p1ai"},
        Case{"\xd0\x9f\xd0\x98\xd0\xa0\xd0\x90\xd0\xa2.\xd0\xa0\xd0\xa4:80",
             "xn--80apufl.xn--p1ai"}}) {  // ПИРАТ.РФ
    const Response r = Ask(c.host);
    EXPECT_EQ(r.status, 451) << c.host << ": " << r.body.substr(0, 400);
    EXPECT_NE(r.body.find(std::string("blocked access to ") + c.shown), std::string::npos)
        << c.host;
  }
}

TEST_F(NoticeTest, SpanishByAcceptLanguage) {
  const Response r = Ask("exact.example", "Accept-Language: es-PE,es;q=0.9\r\n");
  ASSERT_EQ(r.status, 451);
  EXPECT_EQ(r.reason, "Unavailable For Legal Reasons");  // the status line stays English
  EXPECT_EQ(r.Header("content-language"), "es");
  EXPECT_EQ(r.Header("vary"), "Accept-Language");
  EXPECT_EQ(HtmlProblem(r.body), "");
  EXPECT_NE(r.body.find("<html lang=\"es\">"), std::string::npos);
  EXPECT_NE(r.body.find("No disponible por razones legales"), std::string::npos);
  EXPECT_NE(r.body.find("ISP One ha bloqueado el acceso a exact.example"), std::string::npos);
  EXPECT_NE(r.body.find("Orden N-1/2026, dictada por Court of Lima el"), std::string::npos);
  EXPECT_NE(r.body.find("C\xc3\xb3mo recurrir"), std::string::npos);
  const Response missing = Ask("example.org", "Accept-Language: es\r\n");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("Ninguna orden de bloqueo nombra example.org"), std::string::npos);
}

TEST_F(NoticeTest, EnglishByDefaultAndForLanguagesThePageDoesNotHave) {
  for (const char* header : {"", "Accept-Language: fr\r\n", "Accept-Language: fr-CA, de\r\n",
                             "Accept-Language: es;q=0\r\n", "Accept-Language: *\r\n"}) {
    const Response r = Ask("exact.example", header);
    EXPECT_EQ(r.status, 451) << header;
    EXPECT_EQ(r.Header("content-language"), "en") << header;
    EXPECT_NE(r.body.find("Unavailable for legal reasons"), std::string::npos) << header;
  }
}

TEST(NoticeLanguageTest, QValuesAreHonoured) {
  EXPECT_EQ(NoticeLanguage(""), "en");
  EXPECT_EQ(NoticeLanguage("es-PE,es;q=0.9"), "es");
  EXPECT_EQ(NoticeLanguage("fr"), "en");
  EXPECT_EQ(NoticeLanguage("fr, es;q=0.5"), "es");  // the best the page has
  EXPECT_EQ(NoticeLanguage("en;q=0.5, es;q=0.8"), "es");
  EXPECT_EQ(NoticeLanguage("es;q=0.8, en;q=0.9"), "en");
  EXPECT_EQ(NoticeLanguage("es;q=0.8, EN-gb"), "en");
  EXPECT_EQ(NoticeLanguage("es, en"), "es");  // a tie: the first
  EXPECT_EQ(NoticeLanguage("es;q=0, *"), "en");
  EXPECT_EQ(NoticeLanguage("es;q=0.000"), "en");
  EXPECT_EQ(NoticeLanguage("es;q=2"), "en");  // malformed weight: refused
  EXPECT_EQ(NoticeLanguage("ES ; Q=0.7"), "es");
  EXPECT_EQ(NoticeLanguage("spanish, es-419;q=0.3"), "es");
}

}  // namespace
}  // namespace interdict::api
