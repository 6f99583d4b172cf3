// The probe's inputs: the targets to measure, read from the registry's ISP feed (the JSON
// snapshot of src/feed/format.h) or from a file written by a person, and the plan of what to
// connect to for each.
//
// Kinds probed: domain, domain-tree (the name itself), url, ip, cidr (its first usable address:
// the network address + 1, or the network address itself for /31, /32, /127 and /128). Other
// kinds (app, search) are skipped and counted.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "model/target.h"

namespace interdict::probe {

struct TargetList {
  std::vector<Target> targets;         // the ones the probe can measure, in input order
  std::size_t skipped = 0;             // targets of other kinds
  std::optional<std::int64_t> serial;  // the feed's serial (snapshots only)
};

// One target per line in interdict's target syntax ("domain:x.test", "url:https://x.test/a",
// "ip:192.0.2.1", or a bare value whose kind is inferred as `interdict check` does); blank lines
// and '#' comments ignored. Errors name the file and the line.
Result<TargetList> ParseTargetsFile(std::string_view text, std::string_view file_name);

// The registry's JSON feed document ({"format":"interdict-feed","serial":N,"entries":[{"kind":
// ...,"value":...,"orders":[...]}],...}). Entries are normalized again; a bad entry or a bad
// document is Corruption naming the entry.
Result<TargetList> ParseFeedSnapshot(std::string_view json);

// What the engine connects to for one target.
struct ProbePlan {
  Target target;
  std::string host;     // the name to resolve; empty for an address
  std::string address;  // the address to connect to when host is empty
  std::string scheme;   // "https" or "http"
  std::uint16_t port = 0;
  // Names and addresses: try https first, then plain http on http_port when https cannot connect
  // on either path. URLs use their own scheme only.
  bool http_fallback = false;
  std::uint16_t http_port = 80;
  std::string path = "/";  // path and query of the request
};

// The Host header for `host` (a name or an address) on `port`: IPv6 in brackets, ":port" unless
// the port is the scheme's standard one (80, 443).
std::string Authority(std::string_view host, std::string_view scheme, std::uint16_t port);

// REQUIRES nothing: kinds the probe does not measure are InvalidArgument.
Result<ProbePlan> PlanTarget(const Target& target, std::uint16_t http_port,
                             std::uint16_t https_port);

// Whether the probe measures targets of this kind.
bool IsProbed(TargetKind kind);

}  // namespace interdict::probe
