// The collateral-damage guard's data sets as plain values, and the parsers of their files.
//
// Each data set is a value the store can keep and hand back (canonical strings and numbers);
// Guard::Build (guard.h) indexes them. The parsers read untrusted bytes: every line is length
// checked, every value goes through the model's normalizers (model/target.h), and an error names
// the file, the line and why ("ranges/x.txt:12: not a CIDR: \"10.0.0/8\": ...").
//
// Common to every file format: a UTF-8 byte order mark at the start is skipped; lines end in
// "\n" or "\r\n"; blank lines and lines whose first non-blank character is '#' are skipped;
// spaces and tabs around values are ignored; a CSV field may be wrapped in double quotes
// (without quotes or commas inside); a line is at most 4096 bytes.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace interdict::guard {

inline constexpr std::size_t kMaxLineBytes = 4096;

// ---------------------------------------------------------------------------------------------
// CDN / cloud provider ranges

// The address ranges of one provider (Cloudflare, AWS, ...), as canonical CIDRs ("104.16.0.0/13";
// a single address is a /32 or /128).
struct RangeSet {
  std::string provider;  // "cloudflare"
  std::vector<std::string> cidrs;
};

// Reads a provider range file in either of the forms of disposable/cloud-ip-ranges:
//   txt: one CIDR (or address) per line, '#' comment headers ("# provider: Cloudflare");
//   csv: "Type,Address" lines ("IPv4,1.178.10.0/24"), with an optional first line "Type,Address";
//        the type must be IPv4 or IPv6 and agree with the address.
// A line's form is decided by whether it has a comma.
Result<RangeSet> ParseRangeSet(std::string_view text, std::string_view file_name,
                               std::string provider);
// The provider name of a range file: its base name without the extension
// ("../ranges/microsoft-azure.txt" -> "microsoft-azure").
std::string ProviderNameFromPath(std::string_view path);

// ---------------------------------------------------------------------------------------------
// Passive DNS

// One passive-DNS observation: `domain` resolved to `ip`, last seen at `last_seen`.
struct PassiveDnsRecord {
  std::string domain;  // canonical domain (A-labels)
  std::string ip;      // canonical address (an IPv4-mapped IPv6 address is IPv4)
  UnixTime last_seen = 0;
};

// Reads CSV lines "domain,ip,last-seen". The first line may be a header (its ip field is a word:
// "domain,ip,last_seen"). last-seen is any of: Unix seconds (digits only), an RFC 3339 instant
// ("2025-05-06T21:11:42Z", "...+02:00"), or a date "2025-05-06" (midnight UTC). The same
// (domain, ip) pair seen on several lines is kept once, with its most recent last-seen.
Result<std::vector<PassiveDnsRecord>> ParsePassiveDns(std::string_view text,
                                                      std::string_view file_name);

// ---------------------------------------------------------------------------------------------
// Whitelist

// Something that must never be hit by a block, with a note saying what it is ("Google Drive").
struct WhitelistEntry {
  enum class Kind : std::uint8_t { kDomain, kDomainTree, kCidr, kIp, kAsn };
  Kind kind = Kind::kDomain;
  std::string value;  // canonical domain, CIDR or address; an ASN as decimal digits ("36459")
  std::string note;

  friend bool operator==(const WhitelistEntry&, const WhitelistEntry&) = default;
};

// "domain", "domain-tree", "cidr", "ip", "asn".
std::string_view WhitelistKindName(WhitelistEntry::Kind kind);

// Reads lines "KIND:VALUE NOTE", the note being the rest of the line after blanks (required):
//   domain:drive.google.com     Google Drive
//   domain-tree:github.com      GitHub          (also "domain-tree:*.github.com")
//   cidr:140.82.112.0/20        GitHub
//   ip:8.8.8.8                  Google Public DNS
//   asn:36459                   GitHub          (also "asn:AS36459")
Result<std::vector<WhitelistEntry>> ParseWhitelist(std::string_view text,
                                                   std::string_view file_name);

// ---------------------------------------------------------------------------------------------
// Prefix to origin ASN

// One announced prefix and the AS that originates it.
struct PrefixAsn {
  std::string cidr;  // canonical CIDR
  std::uint32_t asn = 0;

  friend bool operator==(const PrefixAsn&, const PrefixAsn&) = default;
};

// Reads CSV lines "cidr,asn" ("140.82.112.0/20,36459"; the ASN may be written "AS36459"), with
// an optional header line whose first field is a word ("prefix,asn").
Result<std::vector<PrefixAsn>> ParsePrefixAsns(std::string_view text, std::string_view file_name);

// ---------------------------------------------------------------------------------------------
// Popular sites

// A site on a popularity list (Tranco and the like): rank 1 is the most popular.
struct PopularSite {
  std::uint32_t rank = 0;
  std::string domain;  // canonical domain

  friend bool operator==(const PopularSite&, const PopularSite&) = default;
};

// Reads a Tranco-style CSV "rank,domain" ("1,google.com"), with an optional header line
// ("rank,domain"), or one domain per line, ranked by order. A domain listed twice keeps its
// best rank. Sites are returned in rank order.
Result<std::vector<PopularSite>> ParsePopularSites(std::string_view text,
                                                   std::string_view file_name);

}  // namespace interdict::guard
