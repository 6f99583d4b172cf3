// The registry's workflows: referral → review → order → in-force set, with the audit trail and
// the serial kept in step. Every public mutating method is one Store transaction: it happens
// whole, with its audit entries and its serial, or not at all.
//
// Rules enforced here (not in the store):
//   - an order has an expiry after its effective date; an order issued with an effective date
//     in the future stays pending until then; orders expire by themselves (Sweep);
//   - only dynamic orders take targets after they are created;
//   - a referral may be withdrawn only while submitted and within the revoke window;
//   - approved referrals are attached to an order; rejected ones carry a reason;
//   - a target already in force or already referred is flagged as a duplicate on referral;
//   - every change to the in-force set takes the next serial and logs its delta;
//   - an appeal is filed against an order that is not lifted or expired (or one enforced target
//     of it) and decided once: upheld, the order lifted, or some of its targets lifted; a target
//     lifted on appeal stays out of the in-force set under that order for good.
//
// Thread-safety: a Registry may be shared between threads if its Store and Clock may.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "auth/access.h"
#include "core/status.h"
#include "core/time.h"
#include "guard/guard.h"
#include "model/types.h"
#include "store/store.h"
#include "translog/merkle.h"

namespace interdict {

class LogAppender;       // registry/transparency.h
struct LogVerification;  // registry/transparency.h
struct OrderRecord;      // io/order_record.h
struct PublicKey;        // sign/signing.h
class SecretKey;         // sign/signing.h

struct RegistryOptions {
  // A referral can be withdrawn by its rights holder this long after it was submitted.
  std::int64_t revoke_window_seconds = 75;
  // How long an intermediary has to acknowledge an item of its view after the item entered the
  // in-force set: live-event orders (category live-sports), and every other order.
  std::int64_t live_event_deadline_seconds = std::int64_t{30} * 60;
  std::int64_t default_deadline_seconds = std::int64_t{24} * 3600;
  // Every order expires. An order issued without an expiry gets one this long after it takes
  // effect: live-event orders (category live-sports) 48 hours, whatever their kind; the others
  // by kind (index: OrderKind), a year each by default. Renew extends an order explicitly.
  std::int64_t live_event_expiry_seconds = std::int64_t{48} * 3600;
  std::int64_t expiry_seconds_by_kind[3] = {std::int64_t{365} * 86400, std::int64_t{365} * 86400,
                                            std::int64_t{365} * 86400};
  // The collateral-damage guard's thresholds (src/guard).
  guard::GuardOptions guard;
  // How much one change (an order issued or approved, targets added, an order lifted, suspended
  // or resumed, an import) may move the in-force set before it is held for confirmation
  // (HeldChange): more than max_pairs (target, order) pairs in and out, or more than
  // max_fraction of the distinct targets in force when it moves more than fraction_floor pairs.
  // Zero turns a bound off. Expiry (Sweep) and appeal decisions are never held.
  struct Bounds {
    std::int64_t max_pairs = 100000;
    double max_fraction = 0.25;
    std::int64_t fraction_floor = 10000;
  } bounds;
  // Address targets (ip, cidr) lapse — leave the in-force set, as when lifted on appeal — when
  // their order's authority has not re-confirmed them (Reconfirm) for this long since they were
  // added or last re-confirmed: addresses are reassigned, and a stale one blocks a stranger.
  // Sweep lapses them. 0: address targets never lapse.
  std::int64_t address_target_max_age_seconds = std::int64_t{90} * 86400;
  // The transparency log's key: with it, every transaction that appends to the log also stores
  // a signed head of the new size; without, heads are signed later (SignLogHead).
  std::shared_ptr<const SecretKey> log_key;
};

// One item of an intermediary's acknowledgement: the (order, target) pair of its view, processed
// or not, with the reason (required when not processed, refused when processed).
struct AckItem {
  Id order_id = 0;
  Target target;  // canonical (ParseTarget / NormalizeTarget)
  bool processed = true;
  std::optional<AckReason> reason;
  std::string note;  // at most 1000 bytes
};

// Why one item of a batch was refused: its position, the field ("order_id", "target",
// "reason", "note") and why.
struct AckError {
  std::size_t index = 0;
  std::string field;
  std::string message;
};

// The outcome of Registry::Acknowledge: either every item was written, or none and `errors`
// says why each refused item was refused.
struct AckResult {
  std::vector<AckError> errors;
  std::size_t written = 0;   // items written (0 when there are errors)
  std::size_t replaced = 0;  // of those, how many replaced an earlier acknowledgement
  bool ok() const { return errors.empty(); }
};

// Overdue items counted per organization and per order (Registry::SummarizeOverdue).
struct OverdueSummary {
  std::vector<OverdueCount> by_org;    // org_id set, order_id 0; by organization id
  std::vector<OverdueCount> by_order;  // order_id set, org_id 0; by order id
  std::int64_t total = 0;
};

// What an order is issued with. issued_at and effective_at default to "now" when 0.
struct OrderRequest {
  std::string body;
  OrderKind kind = OrderKind::kCourtRuling;
  std::string reference;
  UnixTime issued_at = 0;
  UnixTime effective_at = 0;
  UnixTime expires_at = 0;  // 0: the default for the kind (RegistryOptions)
  ScopeSet scope = Bit(Scope::kIsp);
  CategorySet categories = 0;
  bool dynamic = false;
  std::vector<Target> targets;
  std::string reason;  // a note for the audit trail
  Id confirm = 0;      // the held change this repeats, to apply it (RegistryOptions::bounds)
};

struct ReferralRequest {
  std::string org;  // name of a rightsholder organization
  Category category = Category::kLinkSite;
  std::vector<Target> targets;
  std::vector<Evidence> evidence;
};

struct OrderDetail {
  Order order;
  std::vector<Target> targets;         // enforced (attached, not lifted on appeal), canonical order
  std::vector<Target> lifted_targets;  // lifted from the order on appeal
  std::size_t targets_in_force = 0;    // of those, how many are in the in-force set via this order
};

struct CheckResult {
  Target query;                       // the normalized value that was checked
  std::vector<InForceEntry> matches;  // the rules that block it (target = the rule)
  bool blocked() const { return !matches.empty(); }
};

// The in-force set at one serial, with the orders it refers to (for exports and feeds).
struct InForceSnapshot {
  std::string registry_id;  // Store::RegistryId
  Serial serial = 0;
  std::vector<InForceEntry> entries;  // sorted by kind, value, order
  std::vector<Order> orders;          // every order named in entries, by id
};

struct SweepReport {
  std::vector<Id> activated;  // pending orders that became effective
  std::vector<Id> expired;
  std::vector<AgedTarget> lapsed;  // address targets not re-confirmed in time
  Serial serial = 0;               // the serial of the change, 0 when the set did not change
};

struct ImportStats {
  std::size_t orders_created = 0;
  std::size_t orders_extended = 0;   // existing orders that gained targets
  std::size_t targets_attached = 0;  // new (order, target) links
  std::size_t targets_in_force = 0;  // new in-force pairs
  Serial serial = 0;                 // the serial of the import, 0 when the set did not change
};

// Receives an import's orders inside Registry::Import's transaction.
class ImportBatch {
 public:
  virtual ~ImportBatch() = default;
  // Adds `targets` to the order with header's (body, reference, issued_at), creating it from
  // `header` when there is none. Returns kFailedPrecondition or kInvalidArgument, having written
  // nothing, when this one record cannot be imported (e.g. its order was lifted, or the header
  // is invalid); any other error is fatal for the import.
  virtual Status Add(const OrderRequest& header, std::span<const Target> targets) = 0;
};

// What the collateral-damage guard says about one target, and the override on record for it.
struct TargetAssessment {
  Target target;
  std::vector<guard::Finding> findings;    // empty: nothing found
  std::optional<GuardOverride> override_;  // the latest override of this target, if any
  // Whether an order may not carry it: a finding that is never overridden (public suffix), or
  // any finding without an override.
  bool refused() const;
};

// Limits of an appeal's fields, in bytes (also checked by the schema).
inline constexpr std::size_t kMaxAppealName = 200;
inline constexpr std::size_t kMaxAppealContact = 2000;  // an e-mail address: at most 254
inline constexpr std::size_t kMaxAppealStatement = 10000;
inline constexpr std::size_t kMaxAppealReason = 4000;

// What an affected party files against an order, or against one target of it. Text must be
// UTF-8; name and contact take no control characters.
struct AppealRequest {
  Id order_id = 0;
  std::optional<Target> target;  // canonical; an enforced target of the order; nullopt: all of it
  AppealParty party = AppealParty::kOther;
  std::string name;       // who appeals, 1 to kMaxAppealName bytes
  std::string contact;    // an e-mail address or an http(s) URL
  std::string statement;  // why, 1 to kMaxAppealStatement bytes
};

// Limits of a compliance probe's submission (SubmitAuditRun).
inline constexpr std::size_t kMaxAuditResults = 5000;   // results per run
inline constexpr std::size_t kMaxAuditEvidence = 4096;  // bytes of one result's evidence JSON
inline constexpr std::size_t kMaxAuditLabel = 200;      // bytes
// A measurement may be this far in the registry's future (the probe's clock is not ours) and at
// most this old.
inline constexpr std::int64_t kAuditClockSkewSeconds = 300;
inline constexpr std::int64_t kMaxAuditAgeSeconds = std::int64_t{30} * 86400;

// One result as a probe submits it, as text: the target ("kind:value" or a bare value, read by
// ParseTarget), the verdict's name, an RFC 3339 time, and the evidence as the text of a JSON
// object ("" for none).
struct AuditResultInput {
  std::string target;
  std::string verdict;
  std::string measured_at;
  std::string evidence;
};

// A compliance probe's run: the ISP organization it measured ("vantage": its exact name or
// "#ID"), where it ran, the feed serial its targets came from, when it started and finished
// (0: the earliest and the latest measured_at), and 1 to kMaxAuditResults results. A target may
// appear more than once; the result measured last counts.
struct AuditRunRequest {
  std::string vantage;
  std::string label;  // at most kMaxAuditLabel bytes of UTF-8, no control characters
  std::optional<Serial> serial;
  UnixTime started_at = 0;
  UnixTime finished_at = 0;
  std::vector<AuditResultInput> results;
};

// Why one result of a run was refused: its position, the field ("target", "verdict",
// "measured_at", "evidence") and why.
struct AuditItemError {
  std::size_t index = 0;
  std::string field;
  std::string message;
};

// The outcome of Registry::SubmitAuditRun: the run as written, or nothing and the refused
// results.
struct AuditSubmission {
  std::vector<AuditItemError> errors;
  AuditRun run;                                             // id, counts and the rest, when written
  std::array<std::int64_t, kProbeVerdictCount> verdicts{};  // results per verdict
  bool ok() const { return errors.empty(); }
};

// Latest results counted per verdict (index: ProbeVerdict).
using VerdictTally = std::array<std::int64_t, kProbeVerdictCount>;

// One ISP's compliance: of the distinct targets of the isp view (of the one order asked for),
// how many have each latest verdict and how many were never measured; how many items are late;
// and, reported apart (without an order asked for), the latest results of targets outside the
// view: no order in force has them any more (or never had).
struct IspCompliance {
  Id isp_org_id = 0;
  std::string isp_org;
  std::int64_t targets = 0;
  VerdictTally verdicts{};
  std::int64_t not_measured = 0;
  std::int64_t late = 0;
  VerdictTally outside_view{};
};

// One ISP's compliance with one order: of the order's items in the isp view, how many have each
// latest verdict, how many were never measured, how many are late.
struct OrderCompliance {
  Id order_id = 0;
  std::string order_body;
  std::string order_reference;
  Id isp_org_id = 0;
  std::string isp_org;
  std::int64_t items = 0;
  VerdictTally verdicts{};
  std::int64_t not_measured = 0;
  std::int64_t late = 0;
};

// A compliance report (Registry::ComplianceReport) at one time and serial: per ISP (every ISP
// organization, by id), per order and ISP (the orders each ISP was measured on, or the one order
// asked for with every ISP; by order, then ISP) and the late items (by ISP, order, target).
struct Compliance {
  UnixTime at = 0;
  Serial serial = 0;
  std::vector<IspCompliance> isps;
  std::vector<OrderCompliance> orders;
  std::vector<LateItem> late;
};

class Registry {
 public:
  Registry(Store& store, const Clock& clock, RegistryOptions options = {});

  Result<Organization> AddOrganization(std::string_view actor, OrgKind kind, std::string_view name);
  Result<std::vector<Organization>> ListOrganizations();

  Result<Referral> Refer(std::string_view actor, const ReferralRequest& request);
  // Submits several referrals in one transaction: all of them, or none when one fails.
  Result<std::vector<Referral>> ReferAll(std::string_view actor,
                                         std::span<const ReferralRequest> requests);
  Result<Referral> Withdraw(std::string_view actor, Id referral_id, std::string_view reason);
  Result<Referral> StartReview(std::string_view actor, Id referral_id);
  // Approves into an existing dynamic order.
  Result<Referral> Approve(std::string_view actor, Id referral_id, Id order_id,
                           std::string_view reason, Id confirm = 0);
  // Approves by issuing a new order for the referral's targets (request.targets must be empty;
  // the referral's category is added to the order's categories).
  Result<Order> ApproveAsNewOrder(std::string_view actor, Id referral_id, OrderRequest request);
  Result<Referral> Reject(std::string_view actor, Id referral_id, std::string_view reason);
  Result<Referral> GetReferral(Id referral_id);
  // Referrals in any of `states` (all when empty).
  Result<std::vector<Referral>> ListReferrals(std::span<const ReferralState> states);
  Result<std::vector<Referral>> ListReferrals(const ReferralFilter& filter);

  Result<Order> CreateOrder(std::string_view actor, const OrderRequest& request);
  // Adds targets to a dynamic order; returns how many were new to it. With `attached_now`, also
  // says for each target whether it was new to the order (false: it was already attached).
  Result<std::size_t> AddTargets(std::string_view actor, Id order_id,
                                 std::span<const Target> targets, std::string_view reason,
                                 std::vector<bool>* attached_now = nullptr, Id confirm = 0);
  // `confirm` (here and in Approve, Import, OrderRequest): the id of the held change this step
  // repeats; the step applies when it is the same change, and the held change is confirmed.
  // Without it, a step beyond RegistryOptions::bounds fails (kFailedPrecondition, "held as
  // change N: ...") and is recorded as a held change, in its own transaction.
  Result<Order> Lift(std::string_view actor, Id order_id, std::string_view reason, Id confirm = 0);
  Result<Order> Suspend(std::string_view actor, Id order_id, std::string_view reason,
                        Id confirm = 0);
  Result<Order> Resume(std::string_view actor, Id order_id, std::string_view reason,
                       Id confirm = 0);
  // Changes held for exceeding the bounds, oldest first (open_only: not yet confirmed).
  Result<std::vector<HeldChange>> HeldChanges(bool open_only);
  // The authority re-confirms address targets of an order (all of them, or `targets`): their age
  // (RegistryOptions::address_target_max_age_seconds) starts again now. Audited. Returns how
  // many were re-confirmed; a target that is not an enforced address target of the order is an
  // error naming it.
  Result<std::size_t> Reconfirm(std::string_view actor, Id order_id,
                                std::span<const Target> targets, std::string_view reason);
  // Enforced address targets of open orders that lapse within `within` seconds from now (or
  // have lapsed and wait for the next sweep), oldest confirmation first.
  Result<std::vector<AgedTarget>> AddressTargetsDue(std::int64_t within);
  // Renewal, the only way an order lives past its expiry: moves the expiry of a pending,
  // in-force or suspended order to `expires_at`, which must be later than both now and the
  // current expiry. An expired or lifted order stays so (issue a new one).
  Result<Order> Renew(std::string_view actor, Id order_id, UnixTime expires_at,
                      std::string_view reason);
  // How long an order issued now without an expiry lasts (RegistryOptions).
  std::int64_t DefaultExpirySeconds(OrderKind kind, CategorySet categories) const;
  // Activates pending orders that became effective, expires orders past their expiry, and
  // lapses address targets not re-confirmed in time; one serial for all of it.
  Result<SweepReport> Sweep(std::string_view actor);

  Result<OrderDetail> ShowOrder(Id order_id);
  // The orders with these ids that exist, by id, read in one transaction.
  Result<std::vector<Order>> GetOrders(std::span<const Id> ids);
  // An order by id ("12") or by reference ("RKN-27/31"); a reference shared by several
  // bodies is an error that lists them.
  Result<Order> FindOrder(std::string_view id_or_reference);
  Result<std::vector<Order>> ListOrders(const OrderFilter& filter);

  // In-force (target, order) pairs, optionally of one kind.
  Result<std::vector<InForceEntry>> InForce(std::optional<TargetKind> kind);
  // The in-force set and its orders, read in one transaction.
  Result<InForceSnapshot> Snapshot();
  // The registry's id and current serial: together they name one in-force set.
  Result<std::pair<std::string, Serial>> Version();
  // Every target attached to any order, with its order(s), whether in force or not.
  Result<std::vector<InForceEntry>> AllTargets(std::optional<TargetKind> kind);

  // Whether `query` (a domain, URL, IP, app id...) is blocked, and by which rules.
  Result<CheckResult> Check(const Target& query);

  // Runs `feed` in one transaction with an ImportBatch; if feed returns an error, nothing of the
  // import stays. One serial covers the whole import.
  Result<ImportStats> Import(std::string_view actor, std::string_view source,
                             const std::function<Status(ImportBatch&)>& feed, Id confirm = 0);

  Result<Serial> CurrentSerial();
  Result<std::vector<SerialInfo>> ListSerials(Serial after, std::size_t limit);
  Result<std::vector<DeltaEntry>> SerialDelta(Serial serial);
  Result<std::vector<AuditEntry>> Audit(const AuditFilter& filter);
  Result<RegistryCounts> Counts();

  // Access tokens. CreateToken returns the token and its secret, which is stored nowhere: only
  // its SHA-256 is kept. The role must fit the organization (RoleFitsOrg).
  Result<std::pair<ApiToken, std::string>> CreateToken(std::string_view actor, Id org_id, Role role,
                                                       std::string_view label);
  Result<ApiToken> RevokeToken(std::string_view actor, Id token_id);
  Result<std::vector<ApiToken>> ListTokens();
  // The principal of a token secret; nullopt for a malformed, unknown or revoked one. The
  // token is looked up by the hash of the secret, so the time taken says nothing about it.
  Result<std::optional<Principal>> Authenticate(std::string_view secret);

  // Records an intermediary organization's acknowledgement of items of its view (`scope` must
  // be the organization's own kind). Every item is checked first: its order exists, is in force
  // and its scope includes `scope`; its target is in force under that order and of a kind the
  // view carries; a reason is given exactly when the item is not processed; no item is named
  // twice. Then either all items are written (each replacing the organization's earlier
  // acknowledgement of the same item, each audited) in one transaction, or none and the result
  // lists the refused items. A batch-level problem (unknown organization, not an intermediary,
  // wrong scope, no items) is an error Status.
  Result<AckResult> Acknowledge(std::string_view actor, Id org_id, Scope scope,
                                std::span<const AckItem> items);
  // Acknowledgements of one organization and/or one order (0: any).
  Result<std::vector<Acknowledgement>> Acknowledgements(Id org_id, Id order_id);
  // How long intermediaries have to acknowledge the items of `order`.
  std::int64_t DeadlineSeconds(const Order& order) const;
  // Items past their deadline without a "processed" acknowledgement, for every intermediary
  // organization (or one) and every order (or one); by organization, order, target.
  Result<std::vector<OverdueItem>> Overdue(std::optional<Id> org_id, std::optional<Id> order_id);
  Result<OverdueSummary> SummarizeOverdue();

  // The collateral-damage guard (src/guard) over this registry's data sets. Every order,
  // approval and added target is assessed inside its transaction; a refused target fails the
  // whole step (kFailedPrecondition, naming each target and what it would hit).
  // Imports a data set (kind "ranges", "pdns", "whitelist", "prefix-asn" or "popular"; its
  // name, source and content), replacing the set of the same kind and name. The content is
  // parsed first: a bad line is an error naming set.source and the line, and nothing is kept.
  Result<GuardSet> ImportGuardSet(std::string_view actor, GuardSet set);
  Result<std::vector<GuardSet>> GuardSets();  // without their content
  Result<std::vector<TargetAssessment>> Assess(std::span<const Target> targets);
  // Records that a flagged target may be ordered (public-suffix findings cannot be overridden);
  // the reason is required. Audited and in the transparency log.
  Result<GuardOverride> OverrideGuard(std::string_view actor, const Target& target,
                                      std::string_view reason);
  Result<std::vector<GuardOverride>> GuardOverrides();

  // The transparency log (registry/transparency.h). Entries from `first`, at most `limit`.
  Result<std::vector<LogEntry>> LogEntries(std::uint64_t first, std::size_t limit);
  Result<std::uint64_t> LogSize();
  // Signs the log at its current size unless already signed; returns the newest head.
  Result<StoredTreeHead> SignLogHead(const SecretKey& key);
  // The newest signed heads, largest first (0: all).
  Result<std::vector<StoredTreeHead>> LogHeads(std::size_t limit);
  // Proofs against the log's first `size` entries.
  Result<translog::InclusionProof> ProveInclusion(std::uint64_t index, std::uint64_t size);
  Result<translog::ConsistencyProof> ProveConsistency(std::uint64_t old_size,
                                                      std::uint64_t new_size);
  // registry/transparency.h's VerifyLog on this registry's store.
  Result<LogVerification> VerifyLog(const PublicKey* key, const std::vector<OrderRecord>* exported);

  // Appeals. FileAppeal checks every field (InvalidArgument naming it: "contact: ..."), that the
  // order exists (NotFound) and is not lifted or expired, and that an appealed target is
  // attached to it and not already lifted (FailedPrecondition), then records the appeal, filed,
  // with an audit entry, in one transaction.
  Result<Appeal> FileAppeal(std::string_view actor, const AppealRequest& request);
  // Decides a filed appeal (a decided one: FailedPrecondition), with a reason, in one
  // transaction with its audit entries: kUphold leaves the order as it is; kLift lifts the whole
  // order as Lift does (its targets leave the in-force set at the next serial); kLiftTargets
  // lifts `targets` (or, when empty, the one target the appeal names) from the order: each must
  // be an enforced target of it, not all of those it still enforces, and the pairs leave the
  // in-force set at the next serial when the order is in force. Only kLiftTargets takes targets.
  Result<Appeal> DecideAppeal(std::string_view actor, Id appeal_id, AppealDecision decision,
                              std::string_view reason, std::span<const Target> targets);
  Result<Appeal> GetAppeal(Id appeal_id);
  Result<std::vector<Appeal>> ListAppeals(const AppealFilter& filter);

  // Compliance probes (compliance.cc). SubmitAuditRun checks the run (the vantage names an ISP
  // organization, else InvalidArgument "vantage: ..."; label, serial, times) and every result (its
  // target parses, its verdict is one of the seven, measured_at is a time within the run, at most
  // kAuditClockSkewSeconds ahead of now and kMaxAuditAgeSeconds old, its evidence a JSON object of
  // at most kMaxAuditEvidence bytes). Then it writes the run and all its results in one
  // transaction with an audit entry ("audit.submit"), or nothing, the refused results listed.
  // Each result notes whether its target was in force in the isp view. `submitter_org_id` is the
  // submitting organization (0: the command line).
  Result<AuditSubmission> SubmitAuditRun(std::string_view actor, Id submitter_org_id,
                                         const AuditRunRequest& request);
  Result<std::vector<AuditRun>> ListAuditRuns(const AuditRunFilter& filter);
  // The ISP organization named `name_or_id` (its exact name, or "#ID"): NotFound when none has
  // that name or id, InvalidArgument when it is not an ISP.
  Result<Organization> FindIsp(std::string_view name_or_id);
  // Compliance per ISP and per order from each (ISP, target)'s latest result, for one ISP
  // organization (or every one) and one order (or every one); `late` lists the items whose latest
  // verdict is accessible and was measured after the item's acknowledgement deadline (the one
  // Overdue uses). NotFound for an unknown order.
  Result<Compliance> ComplianceReport(std::optional<Id> isp_org_id, std::optional<Id> order_id);

  const Clock& clock() const { return clock_; }

 private:
  class BoundedStep;  // registry.cc
  // Runs `body` in one transaction as a step bounded by RegistryOptions::bounds: body calls
  // BoundedStep::Check last. A step beyond the bounds is rolled back and recorded as held.
  Status TransactBounded(std::string_view actor, std::string_view kind, Id confirm, UnixTime now,
                         const std::function<Status(Transaction&, BoundedStep&)>& body);
  OverdueQuery MakeOverdueQuery() const;
  LogAppender Log(Transaction& tx, UnixTime now, std::string_view actor) const;
  Result<std::shared_ptr<const guard::Guard>> LoadGuard(Transaction& tx);
  Result<std::vector<TargetAssessment>> AssessIn(Transaction& tx, std::span<const Target> targets,
                                                 UnixTime now);
  Status CheckGuard(Transaction& tx, std::span<const Target> targets, UnixTime now);
  Result<Order> ChangeOrderState(std::string_view actor, Id order_id, std::string_view reason,
                                 std::string_view action, std::span<const OrderState> from,
                                 OrderState to, Id confirm);

  Store& store_;
  const Clock& clock_;
  RegistryOptions options_;
  std::mutex guard_mu_;  // guards the two below: the guard built from the data sets
  std::string guard_version_;
  std::shared_ptr<const guard::Guard> guard_;
};

}  // namespace interdict
