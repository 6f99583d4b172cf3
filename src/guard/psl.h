// PublicSuffixList: the Public Suffix List (publicsuffix.org) as libpsl answers it, for the
// collateral-damage guard: whether a name is a public suffix (`com`, `co.uk`, and the private
// section's `github.io`, `blogspot.com`), a name's registrable domain, and which public suffixes
// lie below a name (so that a domain-tree on `amazonaws.com` is seen to cover the public suffix
// `s3.amazonaws.com`).
//
// The full list is used, private-section entries included. Names are A-labels, lowercase, without
// a trailing dot (the model's canonical form); the list's own U-label rules are converted.
// Unknown top-level domains count as public suffixes (the list's implicit `*` rule).
//
// Thread-safety: immutable once built; copies share the loaded list, and every const method may
// be called from any thread (libpsl's lookups only read its context).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

struct psl_ctx_st;  // libpsl's psl_ctx_t

namespace interdict::guard {

// Where Debian's `publicsuffix` package installs the list.
inline constexpr std::string_view kSystemPublicSuffixFile =
    "/usr/share/publicsuffix/public_suffix_list.dat";

class PublicSuffixList {
 public:
  // The list in the text format of public_suffix_list.dat. `source` says where it came from
  // (shown by source()). An empty text, or one without a single rule, is an error.
  static Result<PublicSuffixList> FromText(std::string_view text, const std::string& source);
  // Reads a public_suffix_list.dat file (at most 64 MiB).
  static Result<PublicSuffixList> FromFile(const std::string& path);
  // The list compiled into libpsl. It knows no rule names, so SuffixesBelow finds nothing.
  static Result<PublicSuffixList> Builtin();
  // `path` when it is a readable file (by default the `publicsuffix` package's), else libpsl's
  // built-in list; source() says which one is in use.
  static Result<PublicSuffixList> System(
      const std::string& path = std::string(kSystemPublicSuffixFile));

  // "file /usr/share/publicsuffix/public_suffix_list.dat (9498 rules)" or
  // "libpsl built-in list (9498 rules, from ...)".
  const std::string& source() const;
  // Whether the list came from a text (file) rather than libpsl's built-in data.
  bool from_text() const;
  // Number of rules libpsl loaded.
  std::size_t rule_count() const;

  // Whether `name` is a public suffix: nobody can register it, and every site under it belongs
  // to someone else (`com`, `co.uk`, `github.io`, `a.ck` under the rule `*.ck`).
  bool IsPublicSuffix(std::string_view name) const;
  // The registrable domain of `name` ("example.com" for "a.b.example.com", "foo.github.io" for
  // "x.foo.github.io"), as a view into `name`; empty when `name` is itself a public suffix.
  std::string_view RegistrableDomain(std::string_view name) const;
  // The public suffixes strictly below `name` named by the list's rules ("s3.amazonaws.com" and
  // "*.compute.amazonaws.com" below "amazonaws.com"), the first `max` of them in the order of
  // their reversed spelling, and in *total how many there are. Nothing for the built-in list (its
  // rules cannot be listed). Single-label rules (top-level domains) are not listed: no target
  // can name a name above them.
  std::vector<std::string> SuffixesBelow(std::string_view name, std::size_t max,
                                         std::size_t* total) const;

 private:
  struct State;
  explicit PublicSuffixList(std::shared_ptr<const State> state) : state_(std::move(state)) {}
  std::shared_ptr<const State> state_;
};

}  // namespace interdict::guard
