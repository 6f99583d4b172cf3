// Fuzz target for the JSON bodies of the HTTP API: the first byte picks a POST route (and the
// token of a role that may call it), the rest is the body, dispatched through the real guard
// and handlers on a registry in a temporary directory. Checks: the answer is one of the
// statuses a bad or good body may get (never 500), and its body is JSON. A violation aborts.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/api.h"
#include "api/feeds.h"
#include "http/router.h"
#include "registry/registry.h"
#include "store/store.h"

namespace {

using interdict::http::HttpRequest;
using interdict::http::HttpResponse;

[[noreturn]] void Fail(const char* what, const HttpResponse& r) {
  (void)std::fprintf(stderr, "%s: %d %s\n", what, r.status, std::string(r.Bytes()).c_str());
  std::abort();
}

struct Route {
  const char* target;
  interdict::Role role;
};

const Route kRoutes[] = {
    {"/v1/referrals", interdict::Role::kRightsholder},
    {"/v1/referrals/1/withdraw", interdict::Role::kRightsholder},
    {"/v1/review/1/approve", interdict::Role::kAuthorityReviewer},
    {"/v1/review/2/reject", interdict::Role::kAuthorityReviewer},
    {"/v1/orders", interdict::Role::kAuthorityAdmin},
    {"/v1/orders/1/targets", interdict::Role::kAuthorityAdmin},
    {"/v1/orders/2/lift", interdict::Role::kAuthorityAdmin},
    {"/v1/acks", interdict::Role::kIsp},
    {"/api/v1/ticket/item/set/processed", interdict::Role::kIsp},
    {"/api/v1/ticket/item/set/unprocessed", interdict::Role::kIsp},
};

struct World {
  std::unique_ptr<interdict::Store> store;
  interdict::SystemClock clock;
  std::unique_ptr<interdict::Registry> registry;
  std::unique_ptr<interdict::api::FeedPublisher> feeds;
  interdict::http::Metrics metrics;
  std::unique_ptr<interdict::api::Api> api;
  interdict::http::Router router;
  std::vector<std::string> tokens;  // by Role
};

World& TheWorld() {
  static World* w = [] {
    auto* world = new World();
    static char dir[] = "/tmp/interdict-api-fuzz-XXXXXX";
    if (mkdtemp(dir) == nullptr) std::abort();
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    });
    auto store = interdict::OpenSqliteStore(std::string(dir) + "/registry.db");
    if (!store.ok()) std::abort();
    world->store = std::move(store).value();
    world->registry = std::make_unique<interdict::Registry>(*world->store, world->clock);
    interdict::Registry& reg = *world->registry;
    world->tokens.resize(8);
    auto org = [&](interdict::OrgKind kind, const char* name) {
      auto o = reg.AddOrganization("fuzz", kind, name);
      if (!o.ok()) std::abort();
      return o->id;
    };
    auto token = [&](interdict::Id id, interdict::Role role) {
      auto t = reg.CreateToken("fuzz", id, role, "fuzz");
      if (!t.ok()) std::abort();
      world->tokens[static_cast<std::size_t>(role)] = t->second;
    };
    const interdict::Id authority = org(interdict::OrgKind::kAuthority, "Authority");
    token(authority, interdict::Role::kAuthorityAdmin);
    token(authority, interdict::Role::kAuthorityReviewer);
    token(org(interdict::OrgKind::kRightsholder, "IFPI"), interdict::Role::kRightsholder);
    token(org(interdict::OrgKind::kIsp, "ISP"), interdict::Role::kIsp);
    interdict::OrderRequest order;
    order.body = "Court";
    order.reference = "F-1";
    order.expires_at = world->clock.Now() + 86400 * 365;
    order.dynamic = true;
    order.targets = {*interdict::ParseTarget("pirate.example"),
                     *interdict::ParseTarget("203.0.113.7")};
    if (!reg.CreateOrder("fuzz", order).ok()) std::abort();
    world->feeds = std::make_unique<interdict::api::FeedPublisher>(
        reg, interdict::api::FeedPublisherOptions{});
    interdict::api::ApiOptions options;
    options.rate_per_second = 1e9;
    options.rate_burst = 1e9;
    world->api = std::make_unique<interdict::api::Api>(reg, *world->feeds, world->metrics, options);
    world->api->Register(world->router);
    return world;
  }();
  return *w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  World& w = TheWorld();
  const Route& route = kRoutes[data[0] % (sizeof kRoutes / sizeof kRoutes[0])];
  HttpRequest req;
  req.method = "POST";
  req.path = route.target;
  req.target = route.target;
  req.remote = "127.0.0.1";
  req.headers.emplace_back("authorization",
                           "Bearer " + w.tokens[static_cast<std::size_t>(route.role)]);
  req.body.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  const HttpResponse r = w.router.Dispatch(req);
  switch (r.status) {
    case 200:
    case 201:
    case 400:
    case 403:
    case 404:
    case 409:
    case 413: break;
    default: Fail("unexpected status", r);
  }
  boost::system::error_code ec;
  (void)boost::json::parse(r.Bytes(), ec);
  if (ec) Fail("not JSON", r);
  return 0;
}
