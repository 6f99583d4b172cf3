// Storage for the registry. Store hands out Transactions; every workflow step of the registry
// runs inside exactly one, so a failure or a crash leaves either all of a step or none of it.
//
// The interface speaks the domain model (model/types.h), not SQL, so a PostgreSQL Store can
// implement it beside the SQLite one (store/sqlite_store.h). Invariants the registry relies on:
//   - targets are unique by (kind, value); orders by (body, reference, issued_at);
//   - the audit trail, the serial list and the in-force log only ever grow;
//   - serials are allocated in increasing order and never reused.
//
// Thread-safety: a Store may be shared between threads; Transact() calls are serialized by the
// store (SQLite: one writer at a time); Read() calls may run beside a Transact() and beside each
// other, and see the last committed state. A Transaction is used by one thread, only inside the
// callback that received it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "model/types.h"

namespace interdict {

// Which orders ListOrders returns, by id; every condition set must hold.
struct OrderFilter {
  std::optional<OrderState> state;
  std::optional<OrderKind> kind;
  ScopeSet scope = 0;          // orders whose scope includes any of these (0: any)
  CategorySet categories = 0;  // orders with any of these categories (0: any)
  std::string body;            // the issuing body, exactly (empty: any)
  Id after_id = 0;             // ids greater than this (paging)
  std::size_t limit = 0;       // 0: no limit
};

// Which referrals ListReferrals returns, by id.
struct ReferralFilter {
  std::vector<ReferralState> states;  // any of these (empty: any)
  Id org_id = 0;                      // of this organization (0: any)
  Id after_id = 0;                    // ids greater than this (paging)
  std::size_t limit = 0;              // 0: no limit
  bool details = true;                // load targets and evidence (else only target_count)
};

// Which appeals ListAppeals returns, by id.
struct AppealFilter {
  Id order_id = 0;                   // against this order (0: any)
  std::optional<AppealState> state;  // in this state (nullopt: any)
  Id after_id = 0;                   // ids greater than this (paging)
  std::size_t limit = 0;             // 0: no limit
};

struct AuditFilter {
  std::string entity;  // empty: any
  Id entity_id = 0;    // 0: any
  std::size_t limit = 0;
};

struct RegistryCounts {
  std::int64_t organizations = 0;
  std::int64_t orders = 0;
  std::int64_t orders_in_force = 0;
  std::int64_t targets = 0;
  std::int64_t targets_in_force = 0;  // distinct targets with at least one in-force order
  std::int64_t referrals_open = 0;    // submitted or under review
  std::int64_t audit_entries = 0;
};

// An address target of an order and when it was last confirmed (AddressTargetsConfirmedBefore).
struct AgedTarget {
  Id order_id = 0;
  Id target_id = 0;
  Target target;
  UnixTime confirmed_at = 0;  // the last re-confirmation, else when it was added
};

// A token found by the hash of its secret, with its organization.
struct ApiTokenMatch {
  ApiToken token;
  Organization org;
};

// Which overdue items to find (Transaction::ListOverdue, CountOverdue). An item is a (target,
// order) pair in force whose order's scope names the organization's kind and whose target kind
// that kind's view carries; it is overdue when `now` is past its deadline (the time it entered
// the in-force set plus the order's deadline) and it has no "processed" acknowledgement.
struct OverdueQuery {
  UnixTime now = 0;
  Id org_id = 0;                    // 0: every intermediary organization
  Id order_id = 0;                  // 0: every order
  CategorySet live_categories = 0;  // orders with any of these have the live deadline
  std::int64_t live_deadline_seconds = 0;
  std::int64_t default_deadline_seconds = 0;
};

// Which audit runs ListAuditRuns returns, by id.
struct AuditRunFilter {
  Id isp_org_id = 0;      // runs that measured this ISP organization (0: any)
  Id after_id = 0;        // ids greater than this (paging)
  std::size_t limit = 0;  // 0: no limit
};

// What a compliance report reads (Transaction::CountLatestVerdicts, ListLateItems). The
// results that count are the latest of each (ISP, target): the greatest measured_at, and of
// equal ones the last submitted. The isp view's items are the (order, target) pairs in force
// whose order's scope names isp and whose target kind the isp view carries; an item's deadline
// is computed as OverdueQuery's (the time it entered the in-force set plus its order's deadline).
struct ComplianceQuery {
  Id isp_org_id = 0;  // 0: every ISP organization
  Id order_id = 0;    // 0: every order
  CategorySet live_categories = 0;
  std::int64_t live_deadline_seconds = 0;
  std::int64_t default_deadline_seconds = 0;
};

// A count of latest results by verdict: per ISP over the distinct targets of the isp view
// (order_id 0, in_view), per ISP and order over the view's items (order_id set, in_view), or
// per ISP over targets outside the view, which no order in force has (order_id 0, !in_view).
struct VerdictCount {
  Id isp_org_id = 0;
  Id order_id = 0;
  bool in_view = true;
  ProbeVerdict verdict = ProbeVerdict::kInconclusive;
  std::int64_t count = 0;
};

// An item of the isp view whose latest result for an ISP is `accessible`, measured after the
// item's deadline.
struct LateItem {
  Id isp_org_id = 0;
  std::string isp_org;
  Id order_id = 0;
  std::string order_body;
  std::string order_reference;
  Target target;
  UnixTime in_force_since = 0;
  UnixTime deadline = 0;
  UnixTime measured_at = 0;  // of the latest result
  Id run_id = 0;             // the run that carried it
  // The ISP's acknowledgement of the item: "processed", "unprocessed" or "" (none).
  std::string acknowledged;
};

class Transaction {
 public:
  virtual ~Transaction() = default;

  // Organizations.
  virtual Result<Id> InsertOrganization(const Organization& org) = 0;
  virtual Result<std::optional<Organization>> FindOrganization(std::string_view name) = 0;
  virtual Result<std::optional<Organization>> FindOrganizationById(Id id) = 0;
  virtual Result<std::vector<Organization>> ListOrganizations() = 0;

  // Targets: one row per canonical target, shared by orders and referrals.
  virtual Result<Id> UpsertTarget(const Target& target) = 0;
  virtual Result<std::optional<Id>> FindTarget(const Target& target) = 0;

  // Orders.
  virtual Result<Id> InsertOrder(const Order& order) = 0;
  virtual Result<std::optional<Order>> FindOrder(Id id) = 0;
  virtual Result<std::optional<Order>> FindOrderByKey(std::string_view body,
                                                      std::string_view reference,
                                                      UnixTime issued_at) = 0;
  // All orders with the given reference (any body), for lookups by reference.
  virtual Result<std::vector<Order>> FindOrdersByReference(std::string_view reference) = 0;
  virtual Result<std::vector<Order>> ListOrders(const OrderFilter& filter) = 0;
  // Orders whose state may change with time: pending ones that became effective and pending,
  // in-force or suspended ones that expired by `now`.
  virtual Result<std::vector<Order>> OrdersDueAt(UnixTime now) = 0;
  virtual Status UpdateOrderState(Id order_id, OrderState state, std::string_view reason,
                                  UnixTime at) = 0;
  virtual Status UpdateOrderExpiry(Id order_id, UnixTime expires_at, UnixTime at) = 0;
  // Attaches a target to an order; false when it was already attached (also when it was lifted
  // from the order on appeal: it stays lifted).
  virtual Result<bool> AttachTarget(Id order_id, Id target_id, UnixTime at, Id referral_id) = 0;
  // The targets an order enforces: attached and not lifted on appeal.
  virtual Result<std::vector<std::pair<Id, Target>>> OrderTargets(Id order_id) = 0;
  // The targets lifted from an order on appeal.
  virtual Result<std::vector<std::pair<Id, Target>>> LiftedOrderTargets(Id order_id) = 0;
  // Whether a target is attached to an order: nullopt when not, else the id of the appeal that
  // lifted it from the order (0: still enforced; -1: lapsed, see LapseOrderTarget).
  virtual Result<std::optional<Id>> OrderTargetLiftedBy(Id order_id, Id target_id) = 0;
  // Marks an attached, enforced target of an order as lifted by an appeal's decision (schema
  // version 4). The caller logs the pair's removal when the order is in force. False when the
  // target is not attached or already lifted.
  virtual Result<bool> LiftOrderTarget(Id order_id, Id target_id, Id appeal_id, UnixTime at) = 0;

  // Address targets (ip, cidr) of pending, in-force and suspended orders, enforced, whose
  // confirmation (confirmed_at, else added_at) is older than `before` (schema version 7).
  virtual Result<std::vector<AgedTarget>> AddressTargetsConfirmedBefore(UnixTime before) = 0;
  // Marks an enforced target of an order lapsed (lifted for want of re-confirmation); the caller
  // logs the pair's removal when the order is in force. False when not attached or lifted.
  virtual Result<bool> LapseOrderTarget(Id order_id, Id target_id, UnixTime at) = 0;
  // Records that the authority confirmed an order's enforced address targets at `at` (one
  // target, or all of them when target_id is 0); returns how many.
  virtual Result<std::size_t> ReconfirmOrderTargets(Id order_id, Id target_id, UnixTime at) = 0;

  // Changes held for exceeding the bounds (schema version 7).
  virtual Result<Id> InsertHeldChange(const HeldChange& change) = 0;
  virtual Result<std::optional<HeldChange>> FindHeldChange(Id id) = 0;
  virtual Result<std::vector<HeldChange>> ListHeldChanges(bool open_only) = 0;
  // Records the confirmation of a held change; fails when it was confirmed already.
  virtual Status ConfirmHeldChange(Id id, std::string_view actor, UnixTime at) = 0;

  // Referrals (with their targets and evidence).
  virtual Result<Id> InsertReferral(const Referral& referral) = 0;
  virtual Result<std::optional<Referral>> FindReferral(Id id) = 0;
  virtual Result<std::vector<Referral>> ListReferrals(const ReferralFilter& filter) = 0;
  virtual Status UpdateReferral(Id id, ReferralState state, std::string_view reason, Id order_id,
                                UnixTime at) = 0;
  // Ids of submitted or under-review referrals that name the target.
  virtual Result<std::vector<Id>> OpenReferralsWithTarget(Id target_id) = 0;

  // A random id chosen when the registry was created (32 hex digits).
  virtual Result<std::string> RegistryId() = 0;

  // The in-force set and its serials.
  virtual Result<Serial> CurrentSerial() = 0;
  // Allocates the next serial (current + 1) and records who made it and why.
  virtual Result<Serial> NextSerial(UnixTime at, std::string_view actor,
                                    std::string_view summary) = 0;
  // Records that a (target, order) pair entered or left the in-force set at `serial`. The set
  // itself is the targets of in-force orders; the caller logs exactly the pairs that its change
  // of an order's targets or state moved in or out.
  virtual Status LogInForce(Serial serial, Id target_id, Id order_id, DeltaOp op) = 0;
  // Pairs currently in force: for one target, for one order, or all (optionally of one kind).
  virtual Result<std::vector<InForceEntry>> InForceForTarget(Id target_id) = 0;
  virtual Result<std::vector<InForceEntry>> InForceForOrder(Id order_id) = 0;
  virtual Result<std::vector<InForceEntry>> ListInForce(std::optional<TargetKind> kind) = 0;
  // Every (target, order) attachment, in force or not.
  virtual Result<std::vector<InForceEntry>> ListAttached(std::optional<TargetKind> kind) = 0;
  // In-force pairs of one kind whose value lies in [lo, hi) (byte order): prefix scans.
  virtual Result<std::vector<InForceEntry>> InForceInRange(TargetKind kind, std::string_view lo,
                                                           std::string_view hi) = 0;
  virtual Result<std::vector<SerialInfo>> ListSerials(Serial after, std::size_t limit) = 0;
  virtual Result<std::vector<DeltaEntry>> SerialDelta(Serial serial) = 0;

  // The audit trail.
  virtual Status AppendAudit(const AuditEntry& entry) = 0;
  virtual Result<std::vector<AuditEntry>> ListAudit(const AuditFilter& filter) = 0;

  // The transparency log: entries numbered from 0 without gaps, the hashes of its complete
  // subtrees (level 0: the leaves; node (l, i) covers leaves [i * 2^l, (i + 1) * 2^l)), and its
  // signed heads. All three only grow.
  virtual Result<std::uint64_t> LogSize() = 0;
  virtual Status AppendLogEntry(const LogEntry& entry) = 0;
  // Entries with index >= first, in order, at most `limit`; without their events when
  // !with_events (hashes only).
  virtual Result<std::vector<LogEntry>> ReadLog(std::uint64_t first, std::size_t limit,
                                                bool with_events) = 0;
  virtual Result<std::optional<std::string>> FindLogNode(int level, std::uint64_t index) = 0;
  virtual Status PutLogNode(int level, std::uint64_t index, std::string_view hash) = 0;
  virtual Status AppendTreeHead(const StoredTreeHead& head) = 0;
  // Signed heads, the largest size first; at most `limit` (0: all).
  virtual Result<std::vector<StoredTreeHead>> ListTreeHeads(std::size_t limit) = 0;

  // The guard's data sets: Put replaces the set of the same (kind, name). Listed by id, with
  // their content when `with_content`. GuardVersion changes whenever a set does.
  virtual Result<Id> PutGuardSet(const GuardSet& set) = 0;
  virtual Result<std::vector<GuardSet>> ListGuardSets(bool with_content) = 0;
  virtual Result<std::string> GuardVersion() = 0;
  virtual Result<Id> InsertGuardOverride(const GuardOverride& o) = 0;
  // Overrides of `target`, or of every target when null.
  virtual Result<std::vector<GuardOverride>> ListGuardOverrides(const Target* target) = 0;

  virtual Result<RegistryCounts> Counts() = 0;

  // Access tokens (schema version 3). `hash` is TokenHash(secret): 32 raw bytes.
  virtual Result<Id> InsertApiToken(const ApiToken& token, std::string_view hash) = 0;
  // The token whose secret hashes to `hash`, revoked or not, with its organization.
  virtual Result<std::optional<ApiTokenMatch>> FindApiTokenByHash(std::string_view hash) = 0;
  virtual Result<std::optional<ApiToken>> FindApiToken(Id id) = 0;
  virtual Result<std::vector<ApiToken>> ListApiTokens() = 0;
  // Sets revoked_at; NotFound when there is no such token.
  virtual Status RevokeApiToken(Id id, UnixTime at) = 0;

  // Appeals (schema version 4), with their order's body and reference, their target and the
  // targets their decision lifted. `target_id` of InsertAppeal: 0 for the whole order.
  virtual Result<Id> InsertAppeal(const Appeal& appeal, Id target_id) = 0;
  virtual Result<std::optional<Appeal>> FindAppeal(Id id) = 0;
  virtual Result<std::vector<Appeal>> ListAppeals(const AppealFilter& filter) = 0;
  // Records the decision of a filed appeal (state, reason, decided_by, decided_at);
  // FailedPrecondition when it is not filed, NotFound when there is no such appeal.
  virtual Status DecideAppeal(const Appeal& decided) = 0;

  // Compliance probes (schema version 8). InsertAuditResult copies the run's ISP onto the
  // result. Runs are listed with their counts, by id.
  virtual Result<Id> InsertAuditRun(const AuditRun& run) = 0;
  virtual Status InsertAuditResult(Id run_id, const AuditResult& result) = 0;
  virtual Result<std::vector<AuditRun>> ListAuditRuns(const AuditRunFilter& filter) = 0;
  // The latest results counted by verdict (see VerdictCount): the three kinds of rows, by ISP,
  // order and verdict. The rows outside the view ignore query.order_id.
  virtual Result<std::vector<VerdictCount>> CountLatestVerdicts(const ComplianceQuery& query) = 0;
  // Late items (see LateItem), by ISP, order and target.
  virtual Result<std::vector<LateItem>> ListLateItems(const ComplianceQuery& query) = 0;
  // How many distinct targets the isp view has, of one order (0: of all orders).
  virtual Result<std::int64_t> CountIspViewTargets(Id order_id) = 0;

  // Acknowledgements: one row per (organization, order, target), replaced by a later one.
  virtual Result<std::optional<Acknowledgement>> FindAcknowledgement(Id org_id, Id order_id,
                                                                     Id target_id) = 0;
  virtual Status PutAcknowledgement(const Acknowledgement& ack, Id target_id) = 0;
  // Acknowledgements of one organization and/or one order (0: any), by org, order, target.
  virtual Result<std::vector<Acknowledgement>> ListAcknowledgements(Id org_id, Id order_id) = 0;
  // Overdue items (see OverdueQuery), ordered by organization, order, target.
  virtual Result<std::vector<OverdueItem>> ListOverdue(const OverdueQuery& query) = 0;
  // Overdue items counted per organization (by_order false) or per order (true).
  virtual Result<std::vector<OverdueCount>> CountOverdue(const OverdueQuery& query,
                                                         bool by_order) = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Runs `fn` in one write transaction: commits when it returns OK, rolls back otherwise (and
  // when it throws, after which the exception is rethrown). Returns fn's error or the commit's.
  virtual Status Transact(const std::function<Status(Transaction&)>& fn) = 0;

  // Runs `fn` on a consistent read-only view; writes through it fail.
  virtual Status Read(const std::function<Status(Transaction&)>& fn) = 0;
};

struct SqliteOptions {
  int busy_timeout_ms = 30000;  // a writer waits this long for another (a big import)
  bool create = true;           // create the file (and its folder) when missing
  int cache_kib = 256 * 1024;   // page cache limit; memory is only taken as pages are used
  // Read() runs on up to this many read-only connections of their own (WAL lets them read the
  // last commit while a write transaction runs); 0 runs reads on the writer's connection.
  int readers = 4;
  int reader_cache_kib = 32 * 1024;
};

// Opens (and migrates to the current schema) the SQLite registry at `path`.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const SqliteOptions& options = {});

}  // namespace interdict
