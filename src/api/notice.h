// The notice page of blocked names (HTTP 451, RFC 7725).
//
// With `serve --notice-host`, the RPZ zones answer a blocked name with a CNAME to the notice
// host, so a browser that asks for a blocked site reaches this site instead, with the blocked
// name in its Host header. For any Host and any path (and any method), NoticeSite looks the host
// up in the in-force set as Registry::Check does (the port dropped, lowercased, IDN names as
// A-labels; an address as an address) and answers
//   - 451 Unavailable For Legal Reasons, with `Link: <blocked_by>; rel="blocked-by"` and a short
//     page naming the order(s) in force that block the host (reference, issuing body, date),
//     each with the link to its page in the public register, who implements the block, who keeps
//     the register, and how to appeal (POST /v1/appeals);
//   - 404 with a page saying that no order names the host, when none does (the page never claims
//     a block that does not exist: a lifted or suspended order blocks nothing);
//   - 400 when the Host header is missing or names no host.
// Pages are English or Spanish, chosen by Accept-Language (NoticeLanguage), never cached
// (Cache-Control: no-store), self-contained HTML5 with every value escaped.
//
// Thread-safety: Register once; Answer runs on any number of server threads.
#pragma once

#include <string>
#include <string_view>

#include "http/message.h"
#include "http/router.h"
#include "registry/registry.h"

namespace interdict::api {

struct NoticeOptions {
  // Where the public register and the API are reached ("https://register.authority.example",
  // no trailing slash): the page links to PUBLIC_URL/register/orders/ID and names
  // PUBLIC_URL/v1/appeals. Should be absolute: the page is served under the blocked name.
  std::string public_url;
  // The URL of the Link rel="blocked-by" header: who implements the block. Empty: the
  // register's page, PUBLIC_URL/register.
  std::string blocked_by;
  // The implementing intermediary's name on the page. Empty: "your network operator".
  std::string intermediary;
  // Who keeps the register, named on the page. Empty: not named.
  std::string authority;
};

// The page language for an Accept-Language header (RFC 9110 12.5.4): of the languages the page
// has ("en", "es"), the one with the highest q-value, a tag matching by its primary subtag
// ("es-PE" is "es") and "*" matching the default; q=0 refuses; the first listed wins a tie;
// "en" when nothing fits or the header is absent.
std::string_view NoticeLanguage(std::string_view accept_language);

class NoticeSite {
 public:
  NoticeSite(Registry& registry, NoticeOptions options);

  // Answers every request the router has no route for (Router::SetFallback), on the worker
  // pool (the answer reads the registry).
  void Register(http::Router& router);

  http::HttpResponse Answer(const http::HttpRequest& request) const;

 private:
  Registry& registry_;
  NoticeOptions options_;
};

}  // namespace interdict::api
