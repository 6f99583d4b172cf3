// The registry's domain model: organizations, referrals with evidence, orders, the in-force set
// and the audit trail. Plain value types; the rules that move them between states live in
// registry/registry.h, their storage in store/store.h.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "model/target.h"

namespace interdict {

using Id = std::int64_t;  // row ids; 0 means "none"
using Serial = std::int64_t;

enum class OrgKind : std::uint8_t {
  kAuthority,
  kRightsholder,
  kIsp,
  kSearch,
  kAppstore,
  kVpn,
  kAuditor
};
enum class OrderKind : std::uint8_t {
  kCourtRuling,
  kAdministrativeDecision,
  kPrecautionaryMeasure
};
// pending: issued, effective date not reached. in-force: its targets are in the in-force set.
// suspended: temporarily out of the set (e.g. pending an appeal). lifted, expired: final.
enum class OrderState : std::uint8_t { kPending, kInForce, kSuspended, kLifted, kExpired };
enum class ReferralState : std::uint8_t {
  kSubmitted,
  kWithdrawn,
  kUnderReview,
  kApproved,
  kRejected
};
enum class Scope : std::uint8_t { kIsp, kSearch, kAppstore, kVpn };
enum class Category : std::uint8_t {
  kStreamRipping,
  kLiveSports,
  kTorrent,
  kCyberlocker,
  kShadowLibrary,
  kIptv,
  kLinkSite,
  kPirateApp,
  kCamcord,
};

// Names as written on the command line, in JSON and in the database ("court-ruling", "in-force").
std::string_view Name(OrgKind v);
std::string_view Name(OrderKind v);
std::string_view Name(OrderState v);
std::string_view Name(ReferralState v);
std::string_view Name(Scope v);
std::string_view Name(Category v);
// Parsers; an unknown name is an error that lists the valid ones.
Result<OrgKind> ParseOrgKind(std::string_view s);
Result<OrderKind> ParseOrderKind(std::string_view s);
Result<OrderState> ParseOrderState(std::string_view s);
Result<ReferralState> ParseReferralState(std::string_view s);
Result<Scope> ParseScope(std::string_view s);
Result<Category> ParseCategory(std::string_view s);

// A set of scopes or categories as a bit mask (bit i = enumerator i).
using ScopeSet = std::uint32_t;
using CategorySet = std::uint32_t;
constexpr std::uint32_t Bit(Scope s) {
  return 1u << static_cast<unsigned>(s);
}
constexpr std::uint32_t Bit(Category c) {
  return 1u << static_cast<unsigned>(c);
}
// "isp,search"; "" for the empty set.
std::string FormatScopes(ScopeSet set);
std::string FormatCategories(CategorySet set);
// Comma-separated names; repeats are fine.
Result<ScopeSet> ParseScopes(std::string_view list);
Result<CategorySet> ParseCategories(std::string_view list);

struct Organization {
  Id id = 0;
  OrgKind kind = OrgKind::kRightsholder;
  std::string name;
  UnixTime created_at = 0;
};

struct Evidence {
  std::string url;  // where the infringement was observed
  UnixTime observed_at = 0;
  std::string sha256;  // lowercase hex digest of the capture file
  std::string note;
};

struct ReferralTarget {
  Target target;
  // Non-empty when the target was already in force or already referred when this referral was
  // submitted, e.g. "in force under order 7 (RKN 27-31)" or "referred in referral 3".
  std::string duplicate_of;
};

struct Referral {
  Id id = 0;
  Id org_id = 0;
  std::string org_name;
  Category category = Category::kLinkSite;
  ReferralState state = ReferralState::kSubmitted;
  UnixTime submitted_at = 0;
  UnixTime updated_at = 0;
  std::string reason;             // why it was rejected or withdrawn
  Id order_id = 0;                // the order it was approved into
  std::int64_t target_count = 0;  // how many targets it names (also when they are not loaded)
  std::vector<ReferralTarget> targets;
  std::vector<Evidence> evidence;
};

struct Order {
  Id id = 0;
  std::string body;  // the issuing body: a court, an authority
  OrderKind kind = OrderKind::kCourtRuling;
  std::string reference;  // the body's own number for the decision
  UnixTime issued_at = 0;
  UnixTime effective_at = 0;
  UnixTime expires_at = 0;  // mandatory: no order blocks forever
  ScopeSet scope = 0;
  CategorySet categories = 0;
  bool dynamic = false;  // accepts new targets after it is issued (mirrors, new domains)
  OrderState state = OrderState::kPending;
  std::string state_reason;  // why it was lifted, suspended or resumed last
  UnixTime created_at = 0;
  UnixTime updated_at = 0;
};

// One (target, order) pair: of the in-force set, or of the orders' targets in general.
struct InForceEntry {
  Target target;
  Id order_id = 0;
  std::string body;
  std::string reference;
  bool in_force = true;  // false for a target of an order that is not in force
};

enum class DeltaOp : std::uint8_t { kAdd, kRemove };

// One change to the in-force set at a serial.
struct DeltaEntry {
  DeltaOp op = DeltaOp::kAdd;
  Target target;
  Id order_id = 0;
};

struct SerialInfo {
  Serial serial = 0;
  UnixTime at = 0;
  std::string actor;
  std::string summary;
};

// What an API token lets its holder do (auth/access.h names them and says which organizations
// each fits).
enum class Role : std::uint8_t {
  kAuthorityAdmin,
  kAuthorityReviewer,
  kRightsholder,
  kIsp,
  kSearch,
  kAppstore,
  kVpn,
  kAuditor
};

// An access token as stored: the secret itself is never stored, only its SHA-256.
struct ApiToken {
  Id id = 0;
  Id org_id = 0;
  std::string org_name;
  Role role = Role::kAuditor;
  std::string label;
  UnixTime created_at = 0;
  std::string created_by;   // the actor who created it
  UnixTime revoked_at = 0;  // 0: not revoked
  bool revoked() const { return revoked_at != 0; }
};

// Why an intermediary did not process an item of its view.
enum class AckReason : std::uint8_t { kAlreadyBlocked, kNotApplicable, kTechnicalError };

// Roles: "authority-admin", "authority-reviewer", "rightsholder", "isp", "search", "appstore",
// "vpn", "auditor"; reasons: "already-blocked", "not-applicable", "technical-error"; as written
// on the command line, in JSON and in the database. An unknown name is an error that lists the
// valid ones.
std::string_view Name(Role v);
Result<Role> ParseRole(std::string_view s);
std::string_view Name(AckReason v);
Result<AckReason> ParseAckReason(std::string_view s);

// An intermediary's acknowledgement of one (order, target) item of its view; a later one for
// the same (organization, order, target) replaces it.
struct Acknowledgement {
  Id org_id = 0;
  Id order_id = 0;
  Target target;
  bool processed = true;
  std::optional<AckReason> reason;  // set exactly when not processed
  std::string note;
  UnixTime at = 0;
  std::string actor;
};

// An in-force item of an intermediary's view past its acknowledgement deadline without a
// "processed" acknowledgement.
struct OverdueItem {
  Id org_id = 0;
  std::string org_name;
  OrgKind org_kind = OrgKind::kIsp;
  Id order_id = 0;
  std::string order_body;
  std::string order_reference;
  Target target;
  UnixTime in_force_since = 0;  // when the target entered the in-force set under the order
  UnixTime deadline = 0;
  // The acknowledgement it has, if any: always an unprocessed one, with its reason.
  std::optional<AckReason> unprocessed_reason;
  std::string note;
  UnixTime acknowledged_at = 0;  // 0: no acknowledgement
};

// Overdue items counted per organization (order_id 0) or per order (org_id 0).
struct OverdueCount {
  Id org_id = 0;
  std::string org_name;
  Id order_id = 0;
  std::string order_reference;
  std::int64_t overdue = 0;      // overdue items
  std::int64_t unprocessed = 0;  // of those, acknowledged as unprocessed
};

// Who appeals: the operator of the blocked site, its host, the owner of a site blocked as
// collateral (a shared address, a CDN), or anyone else affected.
enum class AppealParty : std::uint8_t { kOperator, kHost, kCollateral, kOther };
// filed: awaiting the authority's decision. upheld: the order stands. lifted: the whole order
// was lifted. partly-lifted: some of its targets were lifted. The three decided states are final.
enum class AppealState : std::uint8_t { kFiled, kUpheld, kLifted, kPartlyLifted };
// What the authority decides: the order stands, the whole order is lifted, or some targets are.
enum class AppealDecision : std::uint8_t { kUphold, kLift, kLiftTargets };

// Parties "operator", "host", "collateral", "other"; states "filed", "upheld", "lifted",
// "partly-lifted"; decisions "uphold", "lift", "lift-targets"; as written on the command line, in
// JSON and in the database. An unknown name is an error that lists the valid ones.
std::string_view Name(AppealParty v);
Result<AppealParty> ParseAppealParty(std::string_view s);
std::string_view Name(AppealState v);
Result<AppealState> ParseAppealState(std::string_view s);
std::string_view Name(AppealDecision v);
Result<AppealDecision> ParseAppealDecision(std::string_view s);

// An affected party's appeal against an order, or against one target of it, and the authority's
// decision. The contact is personal data: the API shows it to the authority's roles only.
struct Appeal {
  Id id = 0;
  Id order_id = 0;
  std::string order_body;        // of the order, for display
  std::string order_reference;   // of the order, for display
  std::optional<Target> target;  // the one target appealed; nullopt: the whole order
  AppealParty party = AppealParty::kOther;
  std::string name;       // who appeals
  std::string contact;    // an e-mail address or an http(s) URL
  std::string statement;  // why, in the appellant's words
  UnixTime filed_at = 0;
  AppealState state = AppealState::kFiled;
  std::string reason;                  // the decision's reason
  std::string decided_by;              // the actor who decided ("" while filed)
  UnixTime decided_at = 0;             // 0 while filed
  std::vector<Target> lifted_targets;  // partly-lifted: the targets the decision lifted
};

// A change held because it would move the in-force set by more than the registry's bounds
// (RegistryOptions::bounds). It applies when an authority admin repeats the same change with
// this id as its confirmation: the same kind, summary and numbers of pairs in and out.
struct HeldChange {
  Id id = 0;
  std::string kind;           // "order.create", "order.lift", "import", ...
  std::string summary;        // what the change is ("order CR-2026-1 created", "import of FILE")
  std::int64_t added = 0;     // (target, order) pairs it puts in force
  std::int64_t removed = 0;   // pairs it takes out of force
  std::int64_t in_force = 0;  // distinct targets in force before it
  std::string actor;          // who attempted it
  UnixTime held_at = 0;
  std::string confirmed_by;   // "" while held
  UnixTime confirmed_at = 0;  // 0 while held
};

// What a compliance probe (`interdict audit run`) found when it tried to reach a target from
// inside an ISP's network: blocked by DNS, by address, by TLS SNI or by HTTP (451 or a block
// page); accessible as the origin answers; down (unreachable from the control path too); or
// inconclusive (anything else).
enum class ProbeVerdict : std::uint8_t {
  kBlockedDns,
  kBlockedIp,
  kBlockedSni,
  kBlockedHttp,
  kAccessible,
  kDown,
  kInconclusive
};
inline constexpr int kProbeVerdictCount = 7;

// "blocked-dns", "blocked-ip", "blocked-sni", "blocked-http", "accessible", "down",
// "inconclusive"; as written in the probe's output, in JSON and in the database. An unknown name
// is an error that lists the valid ones.
std::string_view Name(ProbeVerdict v);
Result<ProbeVerdict> ParseProbeVerdict(std::string_view s);
// Whether the verdict says the target was blocked (one of the four blocked-* verdicts).
constexpr bool IsBlocked(ProbeVerdict v) {
  return v == ProbeVerdict::kBlockedDns || v == ProbeVerdict::kBlockedIp ||
         v == ProbeVerdict::kBlockedSni || v == ProbeVerdict::kBlockedHttp;
}

// One probe measurement as stored: the target measured, the verdict, when, and the evidence (a
// JSON object's text). `in_force` says whether the target was in force in the isp view when the
// result was submitted.
struct AuditResult {
  Target target;
  ProbeVerdict verdict = ProbeVerdict::kInconclusive;
  UnixTime measured_at = 0;
  std::string evidence = "{}";
  bool in_force = false;
};

// A compliance probe's run as submitted: who submitted it (an organization's token over the API,
// or the command line, submitter_org_id 0), the ISP organization measured, where the probe ran
// (label), the feed serial its targets came from, and when it ran. The counts are filled when
// runs are listed.
struct AuditRun {
  Id id = 0;
  Id submitter_org_id = 0;  // 0: submitted on the command line
  std::string submitter_org;
  std::string actor;
  Id isp_org_id = 0;
  std::string isp_org;
  std::string label;
  std::optional<Serial> serial;
  UnixTime started_at = 0;
  UnixTime finished_at = 0;
  UnixTime submitted_at = 0;
  std::int64_t results = 0;       // how many results it carries
  std::int64_t not_in_force = 0;  // of those, how many targets were not in force when submitted
};

struct AuditEntry {
  Id id = 0;
  UnixTime at = 0;
  std::string actor;
  std::string action;  // "order.create", "referral.reject", "import", ...
  std::string entity;  // "order", "referral", "organization", "registry"
  Id entity_id = 0;
  std::string reason;
  std::string detail;  // JSON object with the change
};

// A data set of the collateral-damage guard (src/guard) as imported: its kind ("ranges",
// "pdns", "whitelist", "prefix-asn", "popular"), its name (the provider for ranges, else the
// file's name), where it came from and its text, kept as imported and parsed again on load.
struct GuardSet {
  Id id = 0;  // a later import of the same (kind, name) replaces it and gets a larger id
  std::string kind;
  std::string name;
  std::string source;
  UnixTime imported_at = 0;
  std::string actor;
  std::string content;  // empty when listed without it
  std::int64_t bytes = 0;
};

// An authority admin's decision that a target the guard flags may be ordered anyway: public,
// and in the transparency log.
struct GuardOverride {
  Id id = 0;
  Target target;
  std::string findings;  // what the guard said when the override was recorded
  std::string reason;
  std::string actor;
  UnixTime at = 0;
};

// One entry of the transparency log (registry/transparency.h): its position, when it was
// appended, the event's bytes (the leaf data) and its RFC 9162 leaf hash (32 raw bytes).
struct LogEntry {
  std::uint64_t index = 0;
  UnixTime at = 0;
  std::string event;
  std::string hash;
};

// A signed head of the transparency log: the tree's size and root (32 raw bytes) at a time, and
// the Ed25519 signature (64 raw bytes) of the key `key_id` over translog::TreeHeadMessage.
struct StoredTreeHead {
  std::uint64_t size = 0;
  std::string root;
  std::int64_t timestamp_ms = 0;
  std::string key_id;
  std::string signature;
};

}  // namespace interdict
