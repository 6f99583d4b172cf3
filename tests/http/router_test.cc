// The router and the request values, without sockets: pattern matching and its precedence,
// 404 / 405, HEAD, percent-decoding of targets and query strings, and the raw parser.
#include "http/router.h"

#include <gtest/gtest.h>

#include "http/message.h"
#include "http/request_parser.h"

namespace interdict::http {
namespace {

HttpRequest Req(std::string method, std::string_view target) {
  HttpRequest r;
  r.method = std::move(method);
  EXPECT_TRUE(ParseTarget(target, r).ok()) << target;
  return r;
}

HttpResponse Text(std::string body) {
  HttpResponse r;
  r.content_type = "text/plain";
  r.body = std::move(body);
  return r;
}

TEST(Router, LiteralAndParameterRoutes) {
  Router router;
  router.Add("GET", "/feeds/{view}/snapshot",
             [](const HttpRequest& r) { return Text("view=" + r.path_params.at("view")); });
  router.Add("GET", "/feeds/all/snapshot", [](const HttpRequest&) { return Text("literal"); });
  router.Add("GET", "/api/v1/fqdn/get/all/txt", [](const HttpRequest&) { return Text("txt"); });
  router.Add("GET", "/", [](const HttpRequest&) { return Text("root"); });

  HttpRequest a = Req("GET", "/feeds/dns/snapshot");
  EXPECT_EQ(router.Dispatch(a).body, "view=dns");
  EXPECT_EQ(a.path_params.at("view"), "dns");
  HttpRequest b = Req("GET", "/feeds/all/snapshot");
  EXPECT_EQ(router.Dispatch(b).body, "literal");
  HttpRequest c = Req("GET", "/api/v1/fqdn/get/all/txt");
  EXPECT_EQ(router.Dispatch(c).body, "txt");
  HttpRequest d = Req("GET", "/");
  EXPECT_EQ(router.Dispatch(d).body, "root");
  // A parameter matches one whole, non-empty segment.
  HttpRequest e = Req("GET", "/feeds//snapshot");
  EXPECT_EQ(router.Dispatch(e).status, 404);
  HttpRequest f = Req("GET", "/feeds/dns/snapshot/extra");
  EXPECT_EQ(router.Dispatch(f).status, 404);
}

TEST(Router, ParametersAreDecodedPerSegment) {
  Router router;
  router.Add("GET", "/check/{target}",
             [](const HttpRequest& r) { return Text(r.path_params.at("target")); });
  HttpRequest a = Req("GET", "/check/http%3A%2F%2Fexample.com%2Fa%20b");
  EXPECT_EQ(a.path, "/check/http://example.com/a b");
  EXPECT_EQ(router.Dispatch(a).body, "http://example.com/a b");
}

TEST(Router, NotFoundAndMethodNotAllowed) {
  Router router;
  router.Add("GET", "/orders/{id}", [](const HttpRequest&) { return Text("get"); });
  router.Add("DELETE", "/orders/{id}", [](const HttpRequest&) { return Text("delete"); });

  HttpRequest a = Req("GET", "/nothing");
  const HttpResponse nf = router.Dispatch(a);
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.content_type, "application/json");
  EXPECT_EQ(nf.body, R"({"error":{"code":"not_found","message":"no such resource"}})");

  HttpRequest b = Req("POST", "/orders/7");
  const HttpResponse na = router.Dispatch(b);
  EXPECT_EQ(na.status, 405);
  ASSERT_EQ(na.headers.size(), 1u);
  EXPECT_EQ(na.headers[0].first, "Allow");
  EXPECT_EQ(na.headers[0].second, "GET, DELETE, HEAD");

  HttpRequest c = Req("DELETE", "/orders/7");
  EXPECT_EQ(router.Dispatch(c).body, "delete");
}

TEST(Router, HeadRunsGetAndAddReplaces) {
  Router router;
  router.Add("GET", "/x", [](const HttpRequest&) { return Text("one"); });
  router.Add("GET", "/x", [](const HttpRequest&) { return Text("two"); });
  HttpRequest a = Req("HEAD", "/x");
  EXPECT_EQ(router.Dispatch(a).body, "two");  // the server leaves the body out
  router.Add("HEAD", "/x", [](const HttpRequest&) { return Text("head"); });
  HttpRequest b = Req("HEAD", "/x");
  EXPECT_EQ(router.Dispatch(b).body, "head");
}

TEST(Router, ResolveSaysWhereTheHandlerRuns) {
  Router router;
  router.Add("GET", "/feed", [](const HttpRequest&) { return Text("feed"); });
  router.Add(
      "POST", "/feed", [](const HttpRequest&) { return Text("write"); }, Execution::kBlocking);
  router.Add(
      "POST", "/orders/{id}", [](const HttpRequest&) { return Text("order"); },
      Execution::kBlocking);
  HttpRequest get = Req("GET", "/feed");
  Router::Resolved g = router.Resolve(get);
  ASSERT_NE(g.handler, nullptr);
  EXPECT_EQ(g.execution, Execution::kInline);
  EXPECT_EQ((*g.handler)(get).body, "feed");
  HttpRequest post = Req("POST", "/orders/7");
  Router::Resolved p = router.Resolve(post);
  ASSERT_NE(p.handler, nullptr);
  EXPECT_EQ(p.execution, Execution::kBlocking);
  EXPECT_EQ(post.path_params.at("id"), "7");
  EXPECT_EQ((*p.handler)(post).body, "order");
  // HEAD resolves to the GET handler and where it runs.
  HttpRequest head = Req("HEAD", "/feed");
  EXPECT_EQ(router.Resolve(head).execution, Execution::kInline);
  // The router's own answers come without a handler.
  HttpRequest del = Req("DELETE", "/feed");
  Router::Resolved d = router.Resolve(del);
  EXPECT_EQ(d.handler, nullptr);
  EXPECT_EQ(d.answer.status, 405);
  HttpRequest none = Req("GET", "/nothing");
  EXPECT_EQ(router.Resolve(none).answer.status, 404);
  // Adding again replaces the handler and where it runs.
  router.Add("POST", "/feed", [](const HttpRequest&) { return Text("inline now"); });
  HttpRequest again = Req("POST", "/feed");
  Router::Resolved a = router.Resolve(again);
  EXPECT_EQ(a.execution, Execution::kInline);
  EXPECT_EQ((*a.handler)(again).body, "inline now");
}

TEST(Message, TargetAndQueryDecoding) {
  HttpRequest r;
  ASSERT_TRUE(ParseTarget("/a%20b/c?x=1&y=hello+world&z=%E2%9C%93&flag&&empty=&x=2", r).ok());
  EXPECT_EQ(r.path, "/a b/c");
  EXPECT_EQ(r.query, "x=1&y=hello+world&z=%E2%9C%93&flag&&empty=&x=2");
  ASSERT_EQ(r.params.size(), 6u);
  EXPECT_EQ(*r.Param("x"), "1");  // the first
  EXPECT_EQ(*r.Param("y"), "hello world");
  EXPECT_EQ(*r.Param("z"), "\xE2\x9C\x93");
  EXPECT_EQ(*r.Param("flag"), "");
  EXPECT_EQ(*r.Param("empty"), "");
  EXPECT_EQ(r.params[5], (std::pair<std::string, std::string>{"x", "2"}));
  EXPECT_EQ(r.Param("missing"), nullptr);
  // '+' is a space only in the query.
  ASSERT_TRUE(ParseTarget("/a+b", r).ok());
  EXPECT_EQ(r.path, "/a+b");

  for (const char* bad :
       {"/a%", "/a%2", "/a%zz", "/a%00", "/?q=%g1", "/?%=1", "x/y", "", "http://host/path"}) {
    HttpRequest b;
    EXPECT_FALSE(ParseTarget(bad, b).ok()) << bad;
  }
}

TEST(Message, HeadersBearerAndErrors) {
  HttpRequest r;
  r.headers = {{"authorization", "bEaReR  abc.def  "}, {"x-a", "1"}, {"x-a", "2"}};
  EXPECT_EQ(*r.Header("X-A"), "1");
  EXPECT_EQ(r.Header("x-b"), nullptr);
  EXPECT_EQ(r.BearerToken(), "abc.def");
  r.headers[0].second = "Basic abc";
  EXPECT_EQ(r.BearerToken(), std::nullopt);
  r.headers[0].second = "Bearer ";
  EXPECT_EQ(r.BearerToken(), std::nullopt);
  r.headers[0].second = "Bearerabc";
  EXPECT_EQ(r.BearerToken(), std::nullopt);

  const HttpResponse e = HttpResponse::Error(422, "invalid", "bad \"x\"\n\x01", "targets[0]");
  EXPECT_EQ(e.status, 422);
  EXPECT_EQ(e.body,
            R"({"error":{"code":"invalid","message":"bad \"x\"\n\u0001","field":"targets[0]"}})");
  // Whatever bytes a client sent, an error naming them is valid JSON: well-formed UTF-8 stays,
  // anything else (a lone continuation byte, an overlong form, a surrogate) becomes U+FFFD.
  std::string text;
  AppendJsonEscaped(
      text, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xb5|\x80|\xc0\xaf|\xed\xa0\x80|\xff\t\x7f");
  EXPECT_EQ(text,
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x8e\xb5|\\ufffd|\\ufffd\\ufffd|"
            "\\ufffd\\ufffd\\ufffd|\\ufffd\\t\\u007f");
  const HttpResponse j = HttpResponse::Json(201, "{}");
  EXPECT_EQ(j.status, 201);
  EXPECT_EQ(j.content_type, "application/json");
}

TEST(RequestParser, ParsesIntoRequest) {
  HttpRequest r;
  ASSERT_TRUE(
      ParseHttpRequest("POST /p%41th?a=b HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                       "Content-Length: 5\r\n\r\nhello",
                       {}, r)
          .ok());
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/pAth");
  EXPECT_EQ(*r.Param("a"), "b");
  EXPECT_EQ(*r.Header("content-type"), "text/plain");
  EXPECT_EQ(r.headers[0].first, "host");
  EXPECT_EQ(r.body, "hello");

  // Reused storage: fewer headers the second time.
  ASSERT_TRUE(ParseHttpRequest("GET / HTTP/1.1\r\nHost: y\r\n\r\n", {}, r).ok());
  EXPECT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.body, "");

  ASSERT_TRUE(ParseHttpRequest("PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
                               {}, r)
                  .ok());
  EXPECT_EQ(r.body, "abcde");

  ParserLimits small{.max_header = 64, .max_body = 4};
  EXPECT_FALSE(
      ParseHttpRequest("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", small, r).ok());
  EXPECT_FALSE(
      ParseHttpRequest("GET / HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\n\r\n", small, r)
          .ok());
  EXPECT_FALSE(ParseHttpRequest("GET /%zz HTTP/1.1\r\n\r\n", {}, r).ok());
  EXPECT_FALSE(ParseHttpRequest("GET / HTTP/1.1\r\nHost", {}, r).ok());
  EXPECT_FALSE(ParseHttpRequest("garbage\r\n\r\n", {}, r).ok());
  EXPECT_FALSE(ParseHttpRequest("GET / HTTP/2.0\r\n\r\n", {}, r).ok());
}

}  // namespace
}  // namespace interdict::http
