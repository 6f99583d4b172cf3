// Internal to src/api: how the route groups (workflow.cc, acks.cc) put handlers on the API's
// guard, and the helpers they share to read JSON bodies and query parameters.
//
// A handler may throw BadRequest while reading its input; the guard turns it into a 4xx JSON
// error naming the field. No exception leaves src/api: the guard catches them all.
//
// Thread-safety: handlers run on any number of server threads at once.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api.h"
#include "auth/access.h"
#include "http/message.h"
#include "registry/registry.h"

namespace interdict::api {

namespace json = boost::json;
using http::HttpRequest;
using http::HttpResponse;

// A set of roles, bit i for Role i.
using RoleSet = std::uint32_t;
constexpr RoleSet RoleBit(Role r) {
  return 1u << static_cast<unsigned>(r);
}
constexpr RoleSet Roles(std::initializer_list<Role> roles) {
  RoleSet set = 0;
  for (Role r : roles) set |= RoleBit(r);
  return set;
}
inline constexpr RoleSet kAuthority = Roles({Role::kAuthorityAdmin, Role::kAuthorityReviewer});
inline constexpr RoleSet kIntermediaries =
    Roles({Role::kIsp, Role::kSearch, Role::kAppstore, Role::kVpn});
inline constexpr RoleSet kAnyRole =
    kAuthority | kIntermediaries | Roles({Role::kRightsholder, Role::kAuditor});

// Input the handler refuses: answered with `status` and {"error": {code, message, field}},
// plus "items" (per-item errors of a bulk request) when not null.
struct BadRequest {
  int status = 400;
  std::string code = "invalid";
  std::string message;
  std::string field;
  json::value items;  // null, or an array of {"index", "field", "message"}
};
[[noreturn]] void Refuse(std::string field, std::string message, int status = 400);
[[noreturn]] void Throw(BadRequest&& bad);

// A principal's name in the audit trail: "api:IFPI/rightsholder#3" (organization, role, token).
std::string Actor(const Principal& p);

// The view and scope an intermediary role enforces.
std::optional<Scope> ScopeOfRole(Role role);

// A registry error as a response: 400 invalid, 404 not found, 409 a state that forbids it.
HttpResponse WorkflowError(const Status& s, std::string_view field = {});

// Serializes `v` as a JSON response.
HttpResponse JsonResponse(int status, const json::value& v);

// The request body as JSON: at most 64 levels deep; anything else is a BadRequest on "body"
// with the line and column.
json::value ParseBody(const HttpRequest& req);

// An object of the body at `path` ("" for the body itself, "order", "items[3]"), read field by
// field; every error names the field's full path.
class Fields {
 public:
  Fields(const json::value& v, std::string path);
  std::string Path(std::string_view key) const;
  const json::value* Find(std::string_view key) const { return object_->if_contains(key); }
  // A string field of at most max_bytes; "" when absent and not required.
  std::string String(std::string_view key, bool required, std::size_t max_bytes = 1000) const;
  std::optional<std::int64_t> Int(std::string_view key, bool required) const;
  bool Bool(std::string_view key, bool fallback) const;
  // An RFC 3339 time or YYYY-MM-DD; 0 when absent and not required.
  UnixTime Time(std::string_view key, bool required) const;
  // An array of strings, or one comma-separated string, joined with commas.
  std::string List(std::string_view key) const;
  // Refuses any key not in `known` (a misspelt field must not be silently ignored).
  void OnlyKnown(std::initializer_list<std::string_view> known) const;

 private:
  const json::object* object_;
  std::string path_;
};

// The targets of a bulk request at `key` (an array of "kind:value" strings or {"kind","value"}
// objects), each normalized. At most `max_items`; an empty array is refused. Every bad item is
// reported (BadRequest with "items"), so a client can mend them all at once; nothing is
// returned then. A target named twice is kept once; `repeats[i]` is the index of its first
// mention, or -1.
struct TargetList {
  std::vector<Target> targets;         // distinct, in the order given
  std::vector<std::int64_t> position;  // for each input item, its index in `targets`
  std::vector<std::int64_t> repeats;   // for each input item, the earlier item it repeats, or -1
};
TargetList ReadTargets(const Fields& body, std::string_view key, std::size_t max_items);

// Paging of list routes: ?limit=N (1..1000, default 100) and ?after=ID.
struct Page {
  std::size_t limit = 100;
  Id after = 0;
};
Page ReadPage(const HttpRequest& req);
// An optional integer query parameter (id), refused when not a positive integer.
std::optional<Id> IdParam(const HttpRequest& req, std::string_view name);
// An optional non-negative integer query parameter in [min, max]; `fallback` when absent.
std::size_t SizeParam(const HttpRequest& req, std::string_view name, std::size_t fallback,
                      std::size_t min, std::size_t max);
// The path parameter {name} as an id.
Id PathId(const HttpRequest& req, std::string_view name);

// What the guard hands a route: who asked, and the route's registry.
using RouteHandler = std::function<HttpResponse(const HttpRequest&, const Principal&)>;
// What the guard hands a public route: who asked when the request carried a valid token, else
// null.
using PublicHandler = std::function<HttpResponse(const HttpRequest&, const Principal* who)>;

// The guard's side of route registration (implemented by Api::Impl): authentication, rate
// limit, the role check against `roles`, then `handler`; `what` completes "role R may not ...".
class RouteSink {
 public:
  virtual ~RouteSink() = default;
  virtual void Add(std::string method, std::string pattern, RoleSet roles, std::string what,
                   RouteHandler handler) = 0;
  // A public route: no token needed, rate-limited per client address. A token, when sent, must
  // be valid (else 401) and is handed to the handler (which may show the authority's roles more)
  // and rate-limited per token instead.
  virtual void AddPublic(std::string method, std::string pattern, PublicHandler handler) = 0;
};

// Whether `who` is one of the authority's roles (authority-admin, authority-reviewer).
bool IsAuthority(const Principal* who);

// A handler that calls `method` on the shared `routes` object, which lives as long as the
// router holds the handler.
template <typename Routes>
RouteHandler On(std::shared_ptr<Routes> routes,
                HttpResponse (Routes::*method)(const HttpRequest&, const Principal&)) {
  return [routes = std::move(routes), method](const HttpRequest& req, const Principal& p) {
    return ((*routes).*method)(req, p);
  };
}
template <typename Routes>
PublicHandler OnPublic(std::shared_ptr<Routes> routes,
                       HttpResponse (Routes::*method)(const HttpRequest&, const Principal*)) {
  return [routes = std::move(routes), method](const HttpRequest& req, const Principal* who) {
    return ((*routes).*method)(req, who);
  };
}

// Referrals, review and orders (workflow.cc).
void AddWorkflowRoutes(RouteSink& sink, Registry& registry, const ApiOptions& options);
// Acknowledgements, overdue reports and the Piracy Shield ticket-item routes (acks.cc).
void AddAckRoutes(RouteSink& sink, Registry& registry, const ApiOptions& options);
// Appeals: filed by anyone, read by anyone (the contact by the authority), decided by the
// authority (appeals.cc).
void AddAppealRoutes(RouteSink& sink, Registry& registry, const ApiOptions& options);
// The public register, as JSON (/public/...) and as HTML pages (/register/...) (public.cc).
void AddPublicRoutes(RouteSink& sink, Registry& registry, const ApiOptions& options);
// The transparency log (public) and the collateral-damage guard (transparency.cc).
void AddTransparencyRoutes(RouteSink& sink, Registry& registry);
// Compliance probes: runs submitted by auditors (and authority admins), listed and reported per
// ISP and per order to the authority and auditors (audit.cc).
void AddAuditRoutes(RouteSink& sink, Registry& registry, const ApiOptions& options);

}  // namespace interdict::api
