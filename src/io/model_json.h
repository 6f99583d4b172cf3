// The JSON renderings of the model's values, one per type, shared by the command line (--json)
// and the HTTP API so that both speak the same objects. Times are RFC 3339 UTC; kinds, states
// and reasons are their model names ("court-ruling", "in-force").
//
// Thread-safety: reentrant.
#pragma once

#include <boost/json/fwd.hpp>

#include "model/types.h"
#include "registry/registry.h"

namespace interdict {

// {"id", "body", "kind", "reference", "issued", "effective", "expires", "scope": [..],
//  "categories": [..], "dynamic", "state", "state_reason"}
boost::json::value ToJson(const Order& o);
// {"id", "org_id", "org", "category", "state", "submitted", "updated", "reason", "target_count",
//  "targets": [{"kind", "value", "duplicate_of"?}], "evidence": [..], "order_id"?}; with
// `details` false, no "targets" and "evidence" (a listing).
boost::json::value ToJson(const Referral& r, bool details = true);
// {"kind", "value", "order_id", "order_reference", "body", "in_force"}
boost::json::value ToJson(const InForceEntry& e);
// {"id", "org_id", "org", "role", "label", "created", "created_by", "revoked": time | null}
boost::json::value ToJson(const ApiToken& t);
// {"org_id", "order_id", "kind", "value", "status": "processed" | "unprocessed", "reason"?,
//  "note", "at", "actor"}
boost::json::value ToJson(const Acknowledgement& a);
// {"org_id", "org", "order_id", "order_reference", "body", "kind", "value", "in_force_since",
//  "deadline", "status": "unprocessed" | "none", "reason"?, "note"?, "acknowledged"?}
boost::json::value ToJson(const OverdueItem& i);
// {"org_id"?, "org"?, "order_id"?, "order_reference"?, "overdue", "unprocessed"}
boost::json::value ToJson(const OverdueCount& c);
// {"id", "order_id", "order_reference", "body", "target": "kind:value" | null, "party", "name",
//  "contact"?, "statement", "filed", "state", "reason", "decided_by": text | null,
//  "decided": time | null, "lifted_targets": ["kind:value", ..]}; the contact (personal data)
// only with `contact`.
boost::json::value ToJson(const Appeal& a, bool contact);
// {"id", "kind", "summary", "added", "removed", "in_force", "actor", "held",
//  "confirmed_by": text | null, "confirmed": time | null}
boost::json::value ToJson(const HeldChange& c);
// {"id", "vantage", "isp_id", "label", "serial": N | null, "started", "finished", "submitted",
//  "submitted_by": organization | null (the command line), "actor", "results", "not_in_force"}
boost::json::value ToJson(const AuditRun& r);
// A compliance report: {"at", "serial",
//  "isps": [{"isp_id", "isp", "targets", "verdicts": {each of the seven: N}, "blocked",
//            "not_measured", "late", "not_in_force": {each of the seven: N}}],
//  "orders": [{"order_id", "order_reference", "body", "isp_id", "isp", "items", "verdicts",
//              "blocked", "not_measured", "late"}],
//  "late": [{"isp_id", "isp", "order_id", "order_reference", "body", "target": "kind:value",
//            "in_force_since", "deadline", "measured", "run_id", "acknowledged": status | null}]}
// ("blocked": the four blocked-* verdicts together).
boost::json::value ToJson(const Compliance& c);

}  // namespace interdict
