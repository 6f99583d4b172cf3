// Targets: the things an order blocks, each reduced to one canonical spelling.
//
// Two spellings of the same thing (`Example.COM.`, `example.com`) must normalize to the same
// Target, so that duplicates are found, the in-force set has one row per thing, and matchers and
// feeds built later compare bytes. Every function here is pure and thread-safe.
//
// Canonical forms (the `value` of a Target):
//   domain       A-label FQDN, lowercase, no trailing dot            example.com,
//   xn--80a...xn--p1ai domain-tree  same as domain; the kind says "and every subdomain" example.com
//   (input *.example.com) url          scheme://host[:port]/path[?query], normalized;
//   http://example.com/a%20b
//                a prefix rule keeps one trailing `*`                 http://example.com/dl/*
//   ip           inet_ntop text (RFC 5952 for IPv6)                   192.0.2.1, 2001:db8::1
//   cidr         network/prefix, host bits zero                       192.0.2.0/24, 2001:db8::/32
//   app          store:id                                             play:com.example.app,
//   apple:id123456 search       a canonical url or domain (delisting request)        example.com,
//   https://example.com/x
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace interdict {

enum class TargetKind : std::uint8_t {
  kDomain = 0,
  kDomainTree = 1,
  kUrl = 2,
  kIp = 3,
  kCidr = 4,
  kApp = 5,
  kSearch = 6,
};
inline constexpr int kTargetKindCount = 7;

// "domain", "domain-tree", "url", "ip", "cidr", "app", "search".
std::string_view TargetKindName(TargetKind kind);
Result<TargetKind> ParseTargetKind(std::string_view name);

struct Target {
  TargetKind kind = TargetKind::kDomain;
  std::string value;  // canonical form, see above

  // "kind:value", the spelling ParseTarget reads back unchanged.
  std::string ToString() const;

  friend bool operator==(const Target&, const Target&) = default;
  friend auto operator<=>(const Target&, const Target&) = default;
};

// Normalizes `input` as a target of the given kind. Errors name the offending part
// ("label 2 is longer than 63 octets", "host bits set in 10.0.0.1/8").
Result<Target> NormalizeTarget(TargetKind kind, std::string_view input);

// Reads a target written by a person: either "kind:value" with an explicit kind, or a bare value
// whose kind is inferred: `*.x` is a domain-tree, `http(s)://` a url, an address an ip, an
// address/len a cidr, `play:`/`apple:`/... an app, anything else a domain.
Result<Target> ParseTarget(std::string_view input);

// Building blocks, exposed for the importers and for tests.
Result<std::string> NormalizeDomain(std::string_view input);
Result<std::string> NormalizeUrl(std::string_view input);  // accepts a trailing `*` (prefix)
Result<std::string> NormalizeIp(std::string_view input);
Result<std::string> NormalizeCidr(std::string_view input);
Result<std::string> NormalizeApp(std::string_view input);

// The parts of a canonical URL (NormalizeUrl's output, without a prefix rule's '*'), as views
// into it. `valid` is false when the text has no "scheme://host/" shape.
struct UrlParts {
  bool valid = false;
  std::string_view origin;  // scheme://host[:port]
  std::string_view host;    // without the brackets of an IPv6 address, without the port
  std::string_view path;    // from the '/' after the authority, query included
};
UrlParts SplitCanonicalUrl(std::string_view url);

// Whether a URL rule's path (without a prefix rule's '*') covers `path`, the path of a URL on
// the same origin. A prefix rule compares everything before its '*', query included; an exact
// rule without a query string covers the page with any query string (they are trivially
// varied); an exact rule with a query string names that query only.
bool UrlPathMatches(std::string_view rule_path, bool prefix, std::string_view path);

}  // namespace interdict
