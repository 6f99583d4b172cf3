// Fuzz target for the HTTP request path of `interdict serve`: the bytes are parsed as one
// request with the server's parser and limits (small ones, so that the limits are exercised),
// then routed. Checks: an accepted request has a method, a path starting with '/', lowercased
// header names, a body within the limit; routing never crashes. A violation aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "http/message.h"
#include "http/request_parser.h"
#include "http/router.h"

namespace {

using interdict::http::HttpRequest;
using interdict::http::HttpResponse;

[[noreturn]] void Fail(const char* what) {
  (void)std::fprintf(stderr, "%s\n", what);
  std::abort();
}

const interdict::http::Router& TheRouter() {
  static interdict::http::Router* router = [] {
    auto* r = new interdict::http::Router();
    auto ok = [](const HttpRequest& req) { return HttpResponse::Json(200, req.path); };
    r->Add("GET", "/feeds/{view}/snapshot", ok);
    r->Add("GET", "/feeds/all/snapshot", ok);
    r->Add("POST", "/api/v1/referrals", ok);
    r->Add("GET", "/api/v1/orders/{id}", ok);
    return r;
  }();
  return *router;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const interdict::http::ParserLimits limits{.max_header = 2048, .max_body = 4096};
  HttpRequest request;
  if (!interdict::http::ParseHttpRequest(bytes, limits, request).ok()) return 0;
  if (request.method.empty()) Fail("empty method");
  if (request.path.empty() || request.path.front() != '/') Fail("path without '/'");
  if (request.body.size() > limits.max_body) Fail("body above the limit");
  for (const auto& [name, value] : request.headers) {
    for (const char c : name) {
      if (c >= 'A' && c <= 'Z') Fail("header name not lowercased");
    }
  }
  const HttpResponse response = TheRouter().Dispatch(request);
  if (response.status < 100 || response.status > 599) Fail("bad status");
  return 0;
}
