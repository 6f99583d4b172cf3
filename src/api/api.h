// The HTTP API of `interdict serve`, on the routes of an http::Router.
//
// Every request is authenticated by its bearer token (Registry::Authenticate) or is public, and
// is authorized by role before anything else happens. Routes so far:
//
//   GET /healthz                               public
//   GET /metrics                               authority-admin, auditor
//   GET /feeds/{view}/snapshot?format=F        the view's intermediaries (isp, vpn, search,
//   GET /feeds/{view}/delta?since=N&format=F   appstore: their own view only), the authority's
//   GET /feeds/{view}/snapshot.sig?format=F    roles and auditors
//   GET /feeds/{view}/delta.sig?since=N&format=F
//   GET /api/v1/{fqdn,ipv4,ipv6}/get/all/txt   Piracy Shield provider lists of the isp view
//   GET /api/v1/{fqdn,ipv4,ipv6}/get/all/txt/checksum   (and .../get/all/checksum)
//   POST /v1/appeals, GET /v1/appeals, GET /v1/appeals/{id}    public (the contact: authority)
//   POST /v1/appeals/{id}/decide               authority-admin, authority-reviewer
//   GET /public/orders, /public/orders/{id}, /public/check     the public register (JSON), public
//   GET /register, /register/orders/{id}, /register/check     the same as HTML pages, public
//   POST /v1/audit/runs                        auditor, authority-admin (compliance probes)
//   GET /v1/audit/runs, /v1/audit/report       authority-admin, authority-reviewer, auditor
// (and the referral, review, order and acknowledgement routes of routes.h; all of them with
// their roles in openapi.json).
//
// Feeds: ETag is the serial ("N"); If-None-Match with it answers 304 without touching the
// registry or the document, so polling is cheap. A .sig route answers the detached Ed25519
// signature of the document the same query gives now, with the same ETag; If-Match with an
// older ETag answers 412 instead of a signature of other bytes.
//
// Errors are JSON ({"error":{"code","message","field"}}): 401 without a valid token where one is
// needed (or with an invalid one anywhere), 403 for a role that may not, 400 naming the bad
// field, 429 with Retry-After when a token (or, without one, an address) goes over its rate.
// Public routes need no token and are rate-limited per address; a token sent to them is
// checked, and lets the authority's roles see what the public does not (an appellant's contact).
//
// Thread-safety: Register once; the handlers run on any number of server threads.
#pragma once

#include <chrono>
#include <memory>
#include <string_view>

#include "api/feeds.h"
#include "http/metrics.h"
#include "http/router.h"
#include "registry/registry.h"

namespace interdict::api {

struct ApiOptions {
  double rate_per_second = 100;  // per token, or per address for public requests
  double rate_burst = 200;
  // How long an authenticated token is trusted without asking the registry again: a token
  // revoked by another process stops working within this time.
  std::chrono::seconds token_cache{5};
  // Items (targets, acknowledgements) one bulk request may carry; more → 413.
  std::size_t max_items = 10000;
  // The public register (/public/..., /register/...) publishes URL targets (and URL search
  // targets) as scheme://host/… without their path, which can name a victim's page or a file.
  bool public_redact_paths = true;
  // Where this API is reached from outside ("https://register.authority.example", no trailing
  // slash), for the appeal and register links of the public register; empty: links relative to
  // this server ("/v1/appeals").
  std::string public_url;
};

// The OpenAPI 3 description of these routes (src/api/openapi.json, compiled in), served at
// GET /openapi.json.
std::string_view OpenApiDocument();

class Api {
 public:
  Api(Registry& registry, FeedPublisher& feeds, http::Metrics& metrics, ApiOptions options = {});
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  void Register(http::Router& router);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace interdict::api
