#include "api/api.h"

#include <cmath>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "api/routes.h"
#include "auth/access.h"
#include "http/rate_limit.h"

namespace interdict::api {
namespace {

using http::HttpRequest;
using http::HttpResponse;

std::string Etag(Serial serial) {
  return "\"" + std::to_string(serial) + "\"";
}

// Whether an If-None-Match / If-Match header value names `etag`: "*", or a comma-separated list
// of entity tags, weak ones (W/"..") compared weakly (RFC 9110 13.1.2).
bool MatchesEtag(const std::string& header, const std::string& etag) {
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t end = header.find(',', pos);
    if (end == std::string::npos) end = header.size();
    std::string_view tag(header.data() + pos, end - pos);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag == "*") return true;
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == etag) return true;
    pos = end + 1;
  }
  return false;
}

// Which roles read a view's feeds: its own intermediaries, the authority and auditors.
bool MayReadView(Role role, feed::View view) {
  switch (role) {
    case Role::kAuthorityAdmin:
    case Role::kAuthorityReviewer:
    case Role::kAuditor: return true;
    case Role::kIsp: return view == feed::View::kIsp;
    case Role::kVpn: return view == feed::View::kVpn;
    case Role::kSearch: return view == feed::View::kSearch;
    case Role::kAppstore: return view == feed::View::kAppstore;
    case Role::kRightsholder: return false;
  }
  return false;
}

HttpResponse Unauthorized() {
  HttpResponse r = HttpResponse::Error(
      401, "unauthenticated", "this route needs a valid API token (Authorization: Bearer)");
  r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"interdict\"");
  return r;
}

HttpResponse Forbidden(Role role, std::string_view what) {
  return HttpResponse::Error(403, "forbidden",
                             "role " + std::string(Name(role)) + " may not " + std::string(what));
}

HttpResponse FromStatus(const Status& s, std::string_view field = {}) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      return HttpResponse::Error(400, "invalid", s.message(), field);
    case StatusCode::kNotFound: return HttpResponse::Error(404, "not_found", s.message(), field);
    case StatusCode::kFailedPrecondition:
      return HttpResponse::Error(503, "unavailable", s.message());
    default: return HttpResponse::Error(500, "internal", s.message());
  }
}

}  // namespace

class Api::Impl : public RouteSink {
 public:
  Impl(Registry& registry, FeedPublisher& feeds, http::Metrics& metrics, ApiOptions options)
      : registry_(registry),
        feeds_(feeds),
        metrics_(metrics),
        options_(options),
        limiter_(options.rate_per_second, options.rate_burst) {}

  void Register(http::Router& router) {
    router_ = &router;
    router.Add("GET", "/healthz",
               [](const HttpRequest&) { return HttpResponse::Json(200, "{\"status\":\"ok\"}"); });
    router.Add("GET", "/openapi.json", [](const HttpRequest&) {
      HttpResponse r = HttpResponse::Json(200, std::string(OpenApiDocument()));
      r.headers.emplace_back("Cache-Control", "max-age=3600");
      return r;
    });
    AddInline("GET", "/metrics", Roles({Role::kAuthorityAdmin, Role::kAuditor}), "read the metrics",
              [this](const HttpRequest&, const Principal&) {
                HttpResponse r;
                r.content_type = "text/plain; version=0.0.4; charset=utf-8";
                r.body = metrics_.Render();
                return r;
              });
    const RoleSet feed_readers = kAuthority | kIntermediaries | Roles({Role::kAuditor});
    for (const bool delta : {false, true}) {
      for (const bool sig : {false, true}) {
        const std::string route =
            std::string("/feeds/{view}/") + (delta ? "delta" : "snapshot") + (sig ? ".sig" : "");
        AddInline("GET", route, feed_readers, "read feeds",
                  [this, delta, sig](const HttpRequest& req, const Principal& p) {
                    return Feed(req, p, delta, sig);
                  });
      }
    }
    const std::pair<const char*, ShieldList> lists[] = {
        {"fqdn", ShieldList::kFqdn}, {"ipv4", ShieldList::kIpv4}, {"ipv6", ShieldList::kIpv6}};
    const RoleSet isp_readers = kAuthority | Roles({Role::kIsp, Role::kAuditor});
    for (const auto& [name, list] : lists) {
      const std::string base = std::string("/api/v1/") + name + "/get/all";
      for (const auto& [suffix, checksum] : {std::pair<const char*, bool>{"/txt", false},
                                             {"/txt/checksum", true},
                                             {"/checksum", true}}) {
        AddInline("GET", base + suffix, isp_readers, "read the isp lists",
                  [this, list = list, checksum = checksum](const HttpRequest&, const Principal&) {
                    return Shield(list, checksum);
                  });
      }
    }
    AddWorkflowRoutes(*this, registry_, options_);
    AddAckRoutes(*this, registry_, options_);
    AddAppealRoutes(*this, registry_, options_);
    AddPublicRoutes(*this, registry_, options_);
    AddTransparencyRoutes(*this, registry_);
    AddAuditRoutes(*this, registry_, options_);
  }

  // RouteSink: the workflow and acknowledgement routes, which run registry transactions, run on
  // the server's worker pool (http::Execution::kBlocking), off the network threads.
  void Add(std::string method, std::string pattern, RoleSet roles, std::string what,
           RouteHandler handler) override {
    AddGuarded(std::move(method), std::move(pattern), roles, std::move(what), std::move(handler),
               http::Execution::kBlocking);
  }

  // Public routes read (or, filing an appeal, write) the registry: on the worker pool too.
  void AddPublic(std::string method, std::string pattern, PublicHandler handler) override {
    router_->Add(
        std::move(method), std::move(pattern),
        [this, handler = std::move(handler)](const HttpRequest& req) {
          return GuardPublic(req, handler);
        },
        http::Execution::kBlocking);
  }

 private:
  // Every route but /healthz and /openapi.json goes through the guard.
  void AddGuarded(std::string method, std::string pattern, RoleSet roles, std::string what,
                  RouteHandler handler, http::Execution execution) {
    router_->Add(
        std::move(method), std::move(pattern),
        [this, roles, what = std::move(what),
         handler = std::move(handler)](const HttpRequest& req) {
          return Guard(req, [&](const Principal& p) -> HttpResponse {
            if ((roles & RoleBit(p.role)) == 0) return Forbidden(p.role, what);
            return handler(req, p);
          });
        },
        execution);
  }

  // Feeds, lists and metrics answer from memory: on the network threads.
  void AddInline(std::string method, std::string pattern, RoleSet roles, std::string what,
                 RouteHandler handler) {
    AddGuarded(std::move(method), std::move(pattern), roles, std::move(what), std::move(handler),
               http::Execution::kInline);
  }

  // Authenticates and rate-limits, then runs `handler` with the principal. A BadRequest thrown
  // while the handler reads its input becomes its 4xx answer; no exception goes further.
  template <typename Handler>
  HttpResponse Guard(const HttpRequest& req, Handler&& handler) {
    std::optional<std::string> token = req.BearerToken();
    if (!token) {
      if (auto wait = limiter_.Take("addr:" + req.remote)) return TooMany(*wait);
      return Unauthorized();
    }
    Result<std::optional<Principal>> who = Authenticate(*token);
    if (!who.ok()) return FromStatus(who.status());
    if (!who->has_value()) {
      if (auto wait = limiter_.Take("addr:" + req.remote)) return TooMany(*wait);
      return Unauthorized();
    }
    const Principal& p = **who;
    if (auto wait = limiter_.Take("token:" + std::to_string(p.token_id))) return TooMany(*wait);
    return Run([&] { return handler(p); });
  }

  // A public route: rate-limited per address without a token; a token sent must be valid.
  HttpResponse GuardPublic(const HttpRequest& req, const PublicHandler& handler) {
    std::optional<std::string> token = req.BearerToken();
    if (!token) {
      if (auto wait = limiter_.Take("addr:" + req.remote)) return TooMany(*wait);
      return Run([&] { return handler(req, nullptr); });
    }
    return Guard(req, [&](const Principal& p) { return handler(req, &p); });
  }

  // Runs a handler: a BadRequest thrown while it reads its input becomes its 4xx answer, any
  // other exception a 500; none goes further.
  template <typename Handler>
  HttpResponse Run(Handler&& handler) {
    try {
      return handler();
    } catch (const BadRequest& bad) {
      if (bad.items.is_null()) {
        return HttpResponse::Error(bad.status, bad.code, bad.message, bad.field);
      }
      // HttpResponse::Error's object, with the refused items beside it.
      json::object error{{"code", bad.code}, {"message", bad.message}};
      if (!bad.field.empty()) error["field"] = bad.field;
      return JsonResponse(bad.status,
                          json::object{{"error", std::move(error)}, {"items", bad.items}});
    } catch (const std::exception& e) {
      return HttpResponse::Error(500, "internal", e.what());
    }
  }

  static HttpResponse TooMany(std::chrono::milliseconds wait) {
    HttpResponse r = HttpResponse::Error(429, "rate_limited", "too many requests for this token");
    const auto seconds =
        static_cast<long long>(std::ceil(static_cast<double>(wait.count()) / 1000));
    r.headers.emplace_back("Retry-After", std::to_string(seconds < 1 ? 1 : seconds));
    return r;
  }

  // A token's principal, from the cache while fresh, else from the registry.
  Result<std::optional<Principal>> Authenticate(const std::string& secret) {
    if (!IsWellFormedTokenSecret(secret)) return std::optional<Principal>();
    const std::string hash = TokenHash(secret);
    const auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = cache_.find(hash);
      if (it != cache_.end() && it->second.until > now) return it->second.principal;
    }
    ASSIGN_OR_RETURN(std::optional<Principal> who, registry_.Authenticate(secret));
    std::lock_guard<std::mutex> lock(mu_);
    if (cache_.size() > 100000) cache_.clear();  // bounded: a flood of distinct tokens
    cache_[hash] = {who, now + options_.token_cache};
    return who;
  }

  HttpResponse Feed(const HttpRequest& req, const Principal& p, bool delta, bool sig) {
    const std::string& view_name = req.path_params.at("view");
    Result<feed::View> view = feed::ParseView(view_name);
    if (!view.ok()) return FromStatus(view.status(), "view");
    if (!MayReadView(p.role, *view)) return Forbidden(p.role, "read the " + view_name + " feed");
    const std::string* format_name = req.Param("format");
    Result<feed::FeedFormat> format =
        feed::ParseFeedFormat(format_name != nullptr ? *format_name : "json");
    if (!format.ok()) return FromStatus(format.status(), "format");
    Serial since = -1;
    if (delta) {
      const std::string* s = req.Param("since");
      if (s == nullptr) return HttpResponse::Error(400, "invalid", "since is required", "since");
      try {
        std::size_t used = 0;
        since = std::stoll(*s, &used);
        if (used != s->size()) throw std::invalid_argument("trailing");
      } catch (const std::exception&) {
        return HttpResponse::Error(400, "invalid", "since: not a serial number", "since");
      }
    }
    const Serial now = feeds_.serial();
    const std::string etag = Etag(now);
    if (!sig) {
      if (const std::string* inm = req.Header("if-none-match")) {
        if (now >= 0 && MatchesEtag(*inm, etag)) {
          HttpResponse r;
          r.status = 304;
          r.headers.emplace_back("ETag", etag);
          return r;
        }
      }
    } else if (const std::string* im = req.Header("if-match")) {
      if (!MatchesEtag(*im, etag)) {
        return HttpResponse::Error(
            412, "stale",
            "the feed moved on to serial " + std::to_string(now) + "; fetch it again");
      }
    }
    Result<std::shared_ptr<const FeedDocument>> doc =
        delta ? feeds_.Delta(*view, *format, since) : feeds_.Snapshot(*view, *format);
    if (!doc.ok()) return FromStatus(doc.status(), delta ? "since" : "");
    HttpResponse r;
    r.headers.emplace_back("ETag", Etag((*doc)->serial));
    r.headers.emplace_back("Cache-Control", "no-cache");
    if (sig) {
      if ((*doc)->signature.empty()) {
        return HttpResponse::Error(404, "not_found", "this server does not sign its feeds");
      }
      r.content_type = "text/plain; charset=utf-8";
      r.body = (*doc)->signature;
      return r;
    }
    r.content_type = (*doc)->content_type;
    r.headers.emplace_back("Interdict-Serial", std::to_string((*doc)->serial));
    r.headers.emplace_back("Interdict-Sha256", (*doc)->sha256);
    r.shared_body = std::shared_ptr<const std::string>(*doc, &(*doc)->body);
    return r;
  }

  HttpResponse Shield(ShieldList list, bool checksum) {
    Result<std::shared_ptr<const FeedDocument>> doc = feeds_.Shield(list);
    if (!doc.ok()) return FromStatus(doc.status());
    HttpResponse r;
    r.content_type = "text/plain; charset=utf-8";
    r.headers.emplace_back("ETag", Etag((*doc)->serial));
    if (checksum) {
      r.body = (*doc)->sha256;
    } else {
      r.shared_body = std::shared_ptr<const std::string>(*doc, &(*doc)->body);
    }
    return r;
  }

  struct Cached {
    std::optional<Principal> principal;
    std::chrono::steady_clock::time_point until;
  };

  http::Router* router_ = nullptr;
  Registry& registry_;
  FeedPublisher& feeds_;
  http::Metrics& metrics_;
  ApiOptions options_;
  http::RateLimiter limiter_;
  std::mutex mu_;
  std::map<std::string, Cached> cache_;
};

Api::Api(Registry& registry, FeedPublisher& feeds, http::Metrics& metrics, ApiOptions options)
    : impl_(std::make_unique<Impl>(registry, feeds, metrics, options)) {}

Api::~Api() = default;

void Api::Register(http::Router& router) {
  impl_->Register(router);
}

}  // namespace interdict::api
