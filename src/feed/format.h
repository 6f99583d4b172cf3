// Feed documents: a view at one serial (a snapshot) or the change from serial M to N (a delta),
// written in the formats that resolvers, firewalls and routers load.
//
//   rpz      a DNS zone file (RFC 1035 master format) of RPZ triggers (feed/rpz.h), each a CNAME
//            to "." (NXDOMAIN) or to a notice host. Delta: nsupdate input (RFC 2136 updates,
//            owner by owner, with the new SOA), for the zone's primary.
//   hosts    "0.0.0.0 name" lines. A hosts file cannot block the names under a name: a
//            domain-tree is written as its name only, and counted. Delta: "-line" / "+line".
//   domains  one name per line; a domain-tree is "*.name" (the name and every name under it, as
//            interdict writes targets). Delta: "-line" / "+line".
//   unbound  an unbound.conf fragment: a domain-tree is `local-zone: "name." always_nxdomain`; an
//            exact name is `local-data` (A 0.0.0.0 and AAAA ::) alone, which Unbound places in a
//            transparent zone: the name answers those, other types NODATA, and the names under it
//            resolve normally. Delta: unbound-control bulk commands, one per line, prefixed by
//            the command's name (local_zones_remove, local_datas_remove, local_zones, local_datas).
//   nft      one nftables script for `nft -f`: table, two interval sets (v4, v6) and drop rules,
//            then flush and refill in the same transaction. Networks inside another are left
//            out (nft refuses overlapping intervals). Delta: delete/add element commands.
//   ipset    `ipset restore` input: each family's set is filled under a temporary name and
//            swapped in. Delta: del/add lines with -exist.
//   bird     BIRD 2 static protocols, one per family, of blackhole routes carrying the RFC 7999
//            BLACKHOLE community (and NO_EXPORT). Delta: the whole file at N (BIRD reconfigures
//            from whole files).
//   csv      one line per (target, order) with the order's body, reference, dates and scope.
//            Delta: the same with an op column (add, remove).
//   json     the view's entries with their orders, and the orders. Delta: added, removed and
//            the orders they name.
//   zi-csv   the z-i register (dump.csv, cp1251) of the view; app and search targets are left
//            out. Delta: the whole register at N (a z-i dump is always whole).
//
// A document that has comments starts with a header naming the format, the registry id, the
// view and the serial (and the serial a delta starts from), and what could not be expressed.
// No document holds the time it was written: the same registry, view and serial(s) give the
// same bytes, so a detached signature can be made again and compared.
//
// Thread-safety: pure functions over plain values.
#pragma once

#include <array>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "feed/view.h"
#include "model/target.h"
#include "registry/registry.h"

namespace interdict::feed {

// The formats above, one document kind each.
enum class FeedFormat : std::uint8_t {
  kRpz,
  kHosts,
  kDomains,
  kUnbound,
  kNft,
  kIpset,
  kBird,
  kCsv,
  kJson,
  kZiCsv,
};
inline constexpr FeedFormat kAllFeedFormats[] = {
    FeedFormat::kRpz,  FeedFormat::kHosts, FeedFormat::kDomains, FeedFormat::kUnbound,
    FeedFormat::kNft,  FeedFormat::kIpset, FeedFormat::kBird,    FeedFormat::kCsv,
    FeedFormat::kJson, FeedFormat::kZiCsv,
};

// "rpz", "hosts", "domains", "unbound", "nft", "ipset", "bird", "csv", "json", "zi-csv".
std::string_view FeedFormatName(FeedFormat format);
Result<FeedFormat> ParseFeedFormat(std::string_view name);

// Whether a document of `format` can express a target of `kind` at all (hosts expresses a
// domain-tree only in part; see above).
bool FormatExpresses(FeedFormat format, TargetKind kind);

// How documents are written. Names may be given with or without their final dot.
struct FormatOptions {
  // rpz
  std::string rpz_zone = "rpz.interdict.invalid.";
  std::string notice_host;  // the CNAME target of every trigger; empty: "." (NXDOMAIN)
  std::uint32_t ttl = 300;
  std::string soa_mname = "localhost.";
  std::string soa_rname = "hostmaster.localhost.";
  std::uint32_t soa_refresh = 60;
  std::uint32_t soa_retry = 60;
  std::uint32_t soa_expire = 864000;
  std::uint32_t soa_minimum = 60;
  std::size_t nsupdate_batch = 500;  // updates per nsupdate message (one `send` each)
  // nft
  std::string nft_table = "interdict";
  std::string nft_family = "inet";  // inet or bridge: both match IPv4 and IPv6
  bool nft_drop_rules = true;       // the forward and output chains that drop to the sets
  // ipset: sets NAME-v4 and NAME-v6, filled as NAME-v4-new and NAME-v6-new and swapped in
  std::string ipset_name = "interdict";
  std::uint32_t ipset_maxelem = 1u << 20;
  // bird: protocols NAME_v4 and NAME_v6
  std::string bird_protocol = "interdict";
  // zi-csv: the time on the "Updated:" line; SerialTime gives the serial's own time, so that
  // the document does not depend on when it is written.
  UnixTime updated_at = 0;
};

// What a document holds. Counts are of view entries (targets), for a delta of added and removed
// entries together.
struct FormatReport {
  std::size_t written = 0;  // entries the document expresses (hosts: domain-trees included)
  std::size_t skipped = 0;  // entries it leaves out: kinds it cannot express, names too long
  std::array<std::size_t, kTargetKindCount> skipped_by_kind{};  // of those, by kind
  std::size_t too_long = 0;  // rpz: entries with an owner too long under the zone's name
  std::size_t narrowed = 0;  // hosts: domain-trees written as their name only
  // One line for each of the above that is not zero ("2 url targets not expressible in rpz");
  // the document's header carries the same lines.
  std::vector<std::string> notes;
};

// Writes the view at its serial.
Result<FormatReport> WriteView(const ViewSet& view, FeedFormat format, const FormatOptions& options,
                               std::ostream& out);

// Writes the change `delta` (from delta.from to delta.to); `now` is the view at delta.to, from
// which the view at delta.from is rebuilt where a format needs it (shared owners, nested
// networks). kInvalidArgument when the delta does not end at `now`.
Result<FormatReport> WriteDelta(const ViewSet& now, const ViewDelta& delta, FeedFormat format,
                                const FormatOptions& options, std::ostream& out);

// The time serial `serial` was allocated (0 for serial 0, before any change).
Result<UnixTime> SerialTime(Registry& registry, Serial serial);

}  // namespace interdict::feed
