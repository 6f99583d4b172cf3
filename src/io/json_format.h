// interdict's JSON interchange format for orders and their targets:
//
//   {"format": "interdict-orders", "version": 1, "serial": 42, "exported": "2026-11-23T10:00:00Z",
//    "orders": [{"body": "...", "kind": "court-ruling", "reference": "...",
//                "issued": "2026-01-01", "effective": "2026-01-01", "expires": "2027-01-01",
//                "scope": ["isp"], "categories": ["torrent"], "dynamic": false,
//                "state": "in-force", "targets": ["domain-tree:example.com", ...]}]}
//
// Times are RFC 3339 or YYYY-MM-DD; targets use the "kind:value" spelling of Target::ToString
// (a bare value has its kind inferred). "state" is informative: an import derives the state from
// the dates. Thread-safety: reentrant.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "core/status.h"
#include "io/order_record.h"
#include "registry/registry.h"

namespace interdict {

// Reads a whole file. A file that is not JSON or not this format is an error with its line and
// column; a malformed order comes back with `error` set so the caller can report and go on.
Result<std::vector<OrderRecord>> ReadJsonOrders(const std::string& path);
Result<std::vector<OrderRecord>> ParseJsonOrders(std::string_view text, const std::string& name);

// Reads referrals for `interdict refer --file`:
//   {"referrals": [{"org": "IFPI", "category": "stream-ripping", "targets": ["ytmp3.example"],
//                   "evidence": [{"url": "https://...", "observed": "2026-11-20T10:00:00Z",
//                                 "sha256": "<64 hex>" | "capture": "<file>", "note": "..."}]}]}
// (or just the array). A "capture" path is read relative to the JSON file and hashed. Any error
// fails the whole file, naming the referral and field ("referrals[2].targets[0]: ...").
Result<std::vector<ReferralRequest>> ReadJsonReferrals(const std::string& path);
Result<std::vector<ReferralRequest>> ParseJsonReferrals(std::string_view text,
                                                        const std::string& name,
                                                        const std::string& base_dir);

// Writes the snapshot's orders with their in-force targets.
Status WriteJsonOrders(const InForceSnapshot& snapshot, UnixTime exported_at, std::ostream& out);

}  // namespace interdict
