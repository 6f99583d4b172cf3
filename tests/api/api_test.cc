// The HTTP API on a real server (127.0.0.1, port 0): tokens and roles, feeds with ETags and
// signatures, the Piracy Shield lists, metrics and rate limits.
#include "api/api.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "api/api_fixture.h"
#include "core/digest.h"

namespace interdict::api {
namespace {

using http::test_client::Client;
using http::test_client::Get;
using http::test_client::Response;

class ApiTest : public ApiFixture {};

TEST_F(ApiTest, HealthIsPublicEverythingElseNeedsAToken) {
  EXPECT_EQ(Call("/healthz", std::nullopt).status, 200);
  for (const char* target : {"/feeds/isp/snapshot?format=domains", "/feeds/isp/delta?since=0",
                             "/api/v1/fqdn/get/all/txt", "/metrics"}) {
    Response r = Call(target, std::nullopt);
    EXPECT_EQ(r.status, 401) << target;
    EXPECT_EQ(r.Header("www-authenticate"), "Bearer realm=\"interdict\"");
    Client c(server_->port());
    c.Send(Get(target, "Authorization: Bearer idt_" + std::string(64, 'a') + "\r\n"));
    EXPECT_EQ(c.Read()->status, 401) << target;  // well formed, unknown
  }
}

// Who reads which feed: each intermediary its own view; the authority and auditors all;
// rights holders none.
TEST_F(ApiTest, EachRoleReadsTheFeedsItMay) {
  const std::map<Role, std::set<std::string>> may = {
      {Role::kAuthorityAdmin, {"isp", "vpn", "search", "appstore"}},
      {Role::kAuthorityReviewer, {"isp", "vpn", "search", "appstore"}},
      {Role::kAuditor, {"isp", "vpn", "search", "appstore"}},
      {Role::kIsp, {"isp"}},
      {Role::kVpn, {"vpn"}},
      {Role::kSearch, {"search"}},
      {Role::kAppstore, {"appstore"}},
      {Role::kRightsholder, {}},
  };
  for (const auto& [role, views] : may) {
    for (const std::string view : {"isp", "vpn", "search", "appstore"}) {  // NOLINT
      const int want = views.contains(view) ? 200 : 403;
      EXPECT_EQ(Call("/feeds/" + view + "/snapshot?format=json", role).status, want)
          << Name(role) << " " << view;
      EXPECT_EQ(Call("/feeds/" + view + "/delta?since=0&format=csv", role).status, want)
          << Name(role) << " " << view;
    }
    const int lists = views.contains("isp") ? 200 : 403;
    EXPECT_EQ(Call("/api/v1/ipv4/get/all/txt", role).status, lists) << Name(role);
    const int metrics = role == Role::kAuthorityAdmin || role == Role::kAuditor ? 200 : 403;
    EXPECT_EQ(Call("/metrics", role).status, metrics) << Name(role);
  }
}

TEST_F(ApiTest, SnapshotsCarryTheSerialAsETagAndAnswer304WhileItHolds) {
  Response first = Call("/feeds/isp/snapshot?format=rpz", Role::kIsp);
  ASSERT_EQ(first.status, 200);
  const Serial serial = r_.CurrentSerial();
  EXPECT_EQ(first.Header("etag"), "\"" + std::to_string(serial) + "\"");
  EXPECT_EQ(first.Header("content-type"), "text/dns; charset=utf-8");
  EXPECT_EQ(first.body, (*feeds_->Snapshot(feed::View::kIsp, feed::FeedFormat::kRpz))->body);
  EXPECT_EQ(first.Header("interdict-sha256"), Sha256Hex(first.body));
  EXPECT_NE(first.body.find("pirate.example"), std::string::npos);

  for (const std::string& inm : {first.Header("etag"), "W/" + first.Header("etag"),
                                 "\"1000\", " + first.Header("etag"), std::string("*")}) {
    Response again =
        Call("/feeds/isp/snapshot?format=rpz", Role::kIsp, "If-None-Match: " + inm + "\r\n");
    EXPECT_EQ(again.status, 304) << inm;
    EXPECT_TRUE(again.body.empty());
  }
  // A new order: the next poll with the old ETag gets the new document.
  r_.Create("R-2", Bit(Scope::kIsp), {"mirror.example"});
  ASSERT_TRUE(feeds_->Refresh().ok());
  Response moved = Call("/feeds/isp/snapshot?format=rpz", Role::kIsp,
                        "If-None-Match: " + first.Header("etag") + "\r\n");
  EXPECT_EQ(moved.status, 200);
  EXPECT_EQ(moved.Header("etag"), "\"" + std::to_string(serial + 1) + "\"");
  EXPECT_NE(moved.body.find("mirror.example"), std::string::npos);

  Response delta =
      Call("/feeds/isp/delta?since=" + std::to_string(serial) + "&format=domains", Role::kIsp);
  EXPECT_EQ(delta.status, 200);
  EXPECT_NE(delta.body.find("+mirror.example"), std::string::npos);
  EXPECT_EQ(delta.body.find("pirate.example"), std::string::npos);
}

TEST_F(ApiTest, BadParametersAre400NamingTheField) {
  auto field_of = [](const Response& r) {
    const std::size_t at = r.body.find("\"field\":\"");
    return at == std::string::npos ? std::string()
                                   : r.body.substr(at + 9, r.body.find('"', at + 9) - at - 9);
  };
  Response r = Call("/feeds/isp/snapshot?format=xml", Role::kIsp);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(field_of(r), "format");
  r = Call("/feeds/mars/snapshot", Role::kAuthorityAdmin);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(field_of(r), "view");
  for (const char* since : {"", "abc", "1x", "-1", "99999"}) {
    r = Call("/feeds/isp/delta?format=rpz&since=" + std::string(since), Role::kIsp);
    EXPECT_EQ(r.status, 400) << since;
    EXPECT_EQ(field_of(r), "since") << since;
  }
  r = Call("/feeds/isp/delta?format=rpz", Role::kIsp);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(field_of(r), "since");
}

TEST_F(ApiTest, SignaturesBelongToTheDocumentTheyCameWith) {
  Response doc = Call("/feeds/isp/snapshot?format=nft", Role::kIsp);
  Response sig = Call("/feeds/isp/snapshot.sig?format=nft", Role::kIsp,
                      "If-Match: " + doc.Header("etag") + "\r\n");
  ASSERT_EQ(sig.status, 200);
  Result<Signature> parsed = ParseSignature(sig.body, "served");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_TRUE(VerifyBytes(public_key_, doc.body, *parsed).valid);
  // After the feed moved, If-Match with the old ETag refuses rather than sign other bytes.
  r_.Create("R-2", Bit(Scope::kIsp), {"198.51.100.0/24"});
  ASSERT_TRUE(feeds_->Refresh().ok());
  EXPECT_EQ(Call("/feeds/isp/snapshot.sig?format=nft", Role::kIsp,
                 "If-Match: " + doc.Header("etag") + "\r\n")
                .status,
            412);
  Response delta = Call("/feeds/isp/delta?since=0&format=nft", Role::kIsp);
  Response delta_sig = Call("/feeds/isp/delta.sig?since=0&format=nft", Role::kIsp);
  ASSERT_EQ(delta_sig.status, 200);
  EXPECT_TRUE(VerifyBytes(public_key_, delta.body, *ParseSignature(delta_sig.body, "d")).valid);
}

TEST_F(ApiTest, PiracyShieldListsAndChecksums) {
  Response fqdn = Call("/api/v1/fqdn/get/all/txt", Role::kIsp);
  EXPECT_EQ(fqdn.status, 200);
  EXPECT_EQ(fqdn.Header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(fqdn.body, "pirate.example\nstream.example");
  EXPECT_EQ(Call("/api/v1/ipv4/get/all/txt", Role::kIsp).body, "203.0.113.7");
  EXPECT_EQ(Call("/api/v1/ipv6/get/all/txt", Role::kIsp).body, "2001:db8::/32");
  for (const char* path : {"/api/v1/fqdn/get/all/txt/checksum", "/api/v1/fqdn/get/all/checksum"}) {
    EXPECT_EQ(Call(path, Role::kIsp).body, Sha256Hex(fqdn.body)) << path;
  }
}

TEST_F(ApiTest, MetricsCountTheRequests) {
  for (int i = 0; i < 3; ++i) Call("/healthz", std::nullopt);
  Response m = Call("/metrics", Role::kAuditor);
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("interdict_http_requests_total"), std::string::npos);
}

TEST_F(ApiTest, RevokedTokensStopWorkingOnceTheCacheLapses) {
  server_->Stop();
  server_.reset();
  api_.reset();
  ApiOptions o;
  o.token_cache = std::chrono::seconds(0);
  api_ = std::make_unique<Api>(r_.registry(), *feeds_, metrics_, o);
  http::Router router;
  api_->Register(router);
  http::HttpServerOptions so;
  so.listen = "127.0.0.1:0";
  server_ = std::make_unique<http::HttpServer>(router, std::move(so));
  ASSERT_TRUE(server_->Start().ok());
  EXPECT_EQ(Call("/api/v1/fqdn/get/all/txt", Role::kIsp).status, 200);
  Result<std::vector<ApiToken>> tokens = r_.registry().ListTokens();
  ASSERT_TRUE(tokens.ok());
  for (const ApiToken& t : *tokens) {
    if (t.role == Role::kIsp) {
      ASSERT_TRUE(r_.registry().RevokeToken("test", t.id).ok());
    }
  }
  EXPECT_EQ(Call("/api/v1/fqdn/get/all/txt", Role::kIsp).status, 401);
  server_->Stop();  // before `router` goes
  server_.reset();
}

TEST(ApiRateLimit, ATokenOverItsRateGets429WithRetryAfter) {
  TestRegistry r;
  Result<Organization> isp = r.registry().AddOrganization("test", OrgKind::kIsp, "ISP One");
  ASSERT_TRUE(isp.ok());
  auto token = r.registry().CreateToken("test", isp->id, Role::kIsp, "poller");
  ASSERT_TRUE(token.ok());
  FeedPublisher feeds(r.registry(), {});
  ASSERT_TRUE(feeds.Refresh().ok());
  http::Metrics metrics;
  ApiOptions o;
  o.rate_per_second = 1;
  o.rate_burst = 3;
  Api api(r.registry(), feeds, metrics, o);
  http::Router router;
  api.Register(router);
  http::HttpServerOptions so;
  so.listen = "127.0.0.1:0";
  http::HttpServer server(router, std::move(so));
  ASSERT_TRUE(server.Start().ok());
  Client c(server.port());
  int ok = 0;
  int limited = 0;
  std::string retry_after;
  for (int i = 0; i < 6; ++i) {
    c.Send(Get("/api/v1/fqdn/get/all/txt", "Authorization: Bearer " + token->second + "\r\n"));
    std::optional<Response> resp = c.Read();
    ASSERT_TRUE(resp.has_value());
    if (resp->status == 200) ++ok;
    if (resp->status == 429) {
      ++limited;
      retry_after = resp->Header("retry-after");
    }
  }
  EXPECT_EQ(ok, 3);  // the burst
  EXPECT_EQ(limited, 3);
  EXPECT_EQ(retry_after, "1");
  server.Stop();
}

}  // namespace
}  // namespace interdict::api
