// HTTP requests and responses as the handlers of `interdict serve` see them: plain values, with
// no Beast or Asio in sight (the server converts at its edge), and the request-target decoding
// rules shared by the server, the router and the fuzz target.
//
// Thread-safety: plain values; distinct objects may be used from distinct threads.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace interdict::http {

struct HttpRequest {
  std::string method;  // as received: "GET", "POST", ... (case-sensitive, RFC 9110)
  std::string path;    // percent-decoded path, without the query ("/feeds/dns v1")
  std::string query;   // raw query, without the '?' ("a=1&b=x%20y")
  std::vector<std::pair<std::string, std::string>> params;   // decoded query params, in order
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased, in order
  std::string body;
  std::string remote;  // the peer's address, without port ("127.0.0.1", "::1")
  std::map<std::string, std::string> path_params;  // from the route pattern ("{view}")
  std::string target;                              // the raw request-target ("/feeds/dns%20v1?a=1")

  // The first header of that name (any case), or null.
  const std::string* Header(std::string_view name) const;
  // The first query parameter of that (decoded, exact) name, or null.
  const std::string* Param(std::string_view name) const;
  // The token of "Authorization: Bearer <token>" (scheme in any case), or nullopt.
  std::optional<std::string> BearerToken() const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";  // empty: no Content-Type header
  // Extra headers (ETag, Cache-Control, Retry-After, ...). The server writes Date, Server,
  // Content-Length and Connection itself. A header whose name or value holds CR or LF is dropped.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When set, the bytes sent instead of `body`: a large document shared by many responses (a
  // feed snapshot) is not copied per request. It stays alive until the write completes.
  std::shared_ptr<const std::string> shared_body;

  std::string_view Bytes() const { return shared_body ? *shared_body : body; }

  static HttpResponse Json(int status, std::string body);
  // {"error":{"code":"<code>","message":"<message>"[,"field":"<field>"]}}
  static HttpResponse Error(int status, std::string_view code, std::string_view message,
                            std::string_view field = {});
};

// Percent-decodes `in` into `out`. With `plus_is_space` (query strings), '+' becomes ' '.
// False for a '%' not followed by two hex digits, or a decoded NUL byte.
bool PercentDecode(std::string_view in, std::string& out, bool plus_is_space);

// Fills target, path, query and params of `request` from an origin-form request-target
// ("/path?query"). InvalidArgument for anything else or for malformed percent-encoding (the
// server answers 400).
Status ParseTarget(std::string_view target, HttpRequest& request);

// Appends `text` to `out` as the contents of a JSON string (quotes not included): quotes,
// backslashes and control characters escaped, bytes that are not well-formed UTF-8 replaced by
// U+FFFD, so the output is valid JSON whatever the bytes (request paths, header values).
void AppendJsonEscaped(std::string& out, std::string_view text);

}  // namespace interdict::http
