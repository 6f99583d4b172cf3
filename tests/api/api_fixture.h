// The fixture of the HTTP API tests: a registry with one organization of each kind (two rights
// holders, two ISPs) and a token for each role, one order in force, and the API served by a real
// HttpServer on 127.0.0.1 with port 0.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "api/api.h"
#include "feed/feed_testing.h"
#include "http/http_client.h"
#include "http/server.h"
#include "sign/signing.h"

namespace interdict::api {

using feed::feedtest::TestRegistry;
using http::test_client::Client;
using http::test_client::Get;
using http::test_client::Response;

// A response's body as JSON; a body that is not JSON fails the test and gives null.
inline boost::json::value Body(const Response& r) {
  try {
    return boost::json::parse(r.body);
  } catch (const std::exception&) {
    ADD_FAILURE() << "not JSON: " << r.body.substr(0, 200);
    return nullptr;
  }
}

// The field an error response names ({"error":{"field":...}}), or "".
inline std::string Field(const Response& r) {
  const boost::json::value v = Body(r);
  const boost::json::value* e = v.is_object() ? v.as_object().if_contains("error") : nullptr;
  if (e == nullptr || !e->is_object() || !e->as_object().contains("field")) return "";
  return std::string(e->as_object().at("field").as_string());
}

// A registry with one organization of each kind and a token for each role, and the API served.
class ApiFixture : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }

  void Start(ApiOptions options, bool sign = true) {
    Registry& reg = r_.registry();
    const Id authority = Org(OrgKind::kAuthority, "AGCOM");
    tokens_[Role::kAuthorityAdmin] = Token(authority, Role::kAuthorityAdmin);
    tokens_[Role::kAuthorityReviewer] = Token(authority, Role::kAuthorityReviewer);
    rightsholder_ = Org(OrgKind::kRightsholder, "IFPI");
    tokens_[Role::kRightsholder] = Token(rightsholder_, Role::kRightsholder);
    isp_ = Org(OrgKind::kIsp, "ISP One");
    tokens_[Role::kIsp] = Token(isp_, Role::kIsp);
    // A second rights holder and a second ISP, to show that one never acts for the other.
    other_rightsholder_ = Org(OrgKind::kRightsholder, "LaLiga");
    other_rightsholder_token_ = Token(other_rightsholder_, Role::kRightsholder);
    other_isp_ = Org(OrgKind::kIsp, "ISP Two");
    other_isp_token_ = Token(other_isp_, Role::kIsp);
    tokens_[Role::kSearch] = Token(Org(OrgKind::kSearch, "Search Co"), Role::kSearch);
    tokens_[Role::kAppstore] = Token(Org(OrgKind::kAppstore, "Store Co"), Role::kAppstore);
    tokens_[Role::kVpn] = Token(Org(OrgKind::kVpn, "VPN Co"), Role::kVpn);
    tokens_[Role::kAuditor] = Token(Org(OrgKind::kAuditor, "Observatory"), Role::kAuditor);
    r_.Create("R-1", Bit(Scope::kIsp) | Bit(Scope::kSearch),
              {"*.pirate.example", "stream.example", "203.0.113.7", "2001:db8::/32"});
    FeedPublisherOptions feed_options;
    if (sign) {
      Result<KeyPair> keys = GenerateKeyPair();
      ASSERT_TRUE(keys.ok());
      public_key_ = keys->public_key;
      feed_options.signing_key = std::move(keys->secret);
    }
    feeds_ = std::make_unique<FeedPublisher>(reg, std::move(feed_options));
    ASSERT_TRUE(feeds_->Refresh().ok());
    api_ = std::make_unique<Api>(reg, *feeds_, metrics_, options);
    api_->Register(router_);
    http::HttpServerOptions o;
    o.listen = "127.0.0.1:0";
    o.metrics = &metrics_;
    server_ = std::make_unique<http::HttpServer>(router_, std::move(o));
    ASSERT_TRUE(server_->Start().ok());
  }

  void TearDown() override {
    if (server_) server_->Stop();
  }

  Id Org(OrgKind kind, const std::string& name) {
    Result<Organization> o = r_.registry().AddOrganization("test", kind, name);
    EXPECT_TRUE(o.ok()) << o.status().ToString();
    return o.ok() ? o->id : 0;
  }

  std::string Token(Id org, Role role) {
    auto t = r_.registry().CreateToken("test", org, role, "test");
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? t->second : "";
  }

  // One request with a JSON body on a new connection, with `token` ("" for none).
  Response Send(const std::string& method, const std::string& target, const std::string& token,
                const std::string& body = {}) {
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: test\r\n";
    if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
    if (method != "GET" || !body.empty()) {
      req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
             "\r\n";
    }
    req += "\r\n" + body;
    Client c(server_->port());
    c.Send(req);
    std::optional<Response> r = c.Read();
    EXPECT_TRUE(r.has_value()) << method << " " << target;
    return r ? *r : Response{};
  }
  Response Send(const std::string& method, const std::string& target, Role role,
                const std::string& body = {}) {
    return Send(method, target, tokens_.at(role), body);
  }

  // One request on a new connection; `role` nullopt: no token.
  Response Call(const std::string& target, std::optional<Role> role,
                const std::string& extra = {}) {
    std::string headers = extra;
    if (role) headers += "Authorization: Bearer " + tokens_.at(*role) + "\r\n";
    Client c(server_->port());
    c.Send(Get(target, headers));
    std::optional<Response> r = c.Read();
    EXPECT_TRUE(r.has_value()) << target;
    return r ? *r : Response{};
  }

  TestRegistry r_;
  std::map<Role, std::string> tokens_;
  Id rightsholder_ = 0, isp_ = 0, other_rightsholder_ = 0, other_isp_ = 0;
  std::string other_rightsholder_token_, other_isp_token_;
  PublicKey public_key_;
  http::Metrics metrics_;
  http::Router router_;
  std::unique_ptr<FeedPublisher> feeds_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<http::HttpServer> server_;
};

}  // namespace interdict::api
