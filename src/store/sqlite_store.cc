// SQLite implementation of Store: one connection in WAL mode with foreign keys on, every
// Transact() a BEGIN IMMEDIATE ... COMMIT, statements prepared once and cached.
#include <algorithm>
#include <atomic>
#include <mutex>

#include "auth/access.h"
#include "store/schema.h"
#include "store/sqlite_db.h"
#include "store/store.h"

namespace interdict {
namespace {

using sqlite::Database;
using sqlite::Statement;
using sqlite::StatementScope;

constexpr std::string_view kOrderColumns =
    "id, body, kind, reference, issued_at, effective_at, expires_at, scope, categories, dynamic, "
    "state, state_reason, created_at, updated_at";

Result<Order> ReadOrder(const Statement& s) {
  Order o;
  o.id = s.Int(0);
  o.body = s.Text(1);
  ASSIGN_OR_RETURN(o.kind, ParseOrderKind(s.TextView(2)));
  o.reference = s.Text(3);
  o.issued_at = s.Int(4);
  o.effective_at = s.Int(5);
  o.expires_at = s.Int(6);
  o.scope = static_cast<ScopeSet>(s.Int(7));
  o.categories = static_cast<CategorySet>(s.Int(8));
  o.dynamic = s.Int(9) != 0;
  ASSIGN_OR_RETURN(o.state, ParseOrderState(s.TextView(10)));
  o.state_reason = s.Text(11);
  o.created_at = s.Int(12);
  o.updated_at = s.Int(13);
  return o;
}

Result<Organization> ReadOrganization(const Statement& s) {
  Organization org;
  org.id = s.Int(0);
  ASSIGN_OR_RETURN(org.kind, ParseOrgKind(s.TextView(1)));
  org.name = s.Text(2);
  org.created_at = s.Int(3);
  return org;
}

// Reads (kind, value) at columns `col`, `col + 1`.
Result<Target> ReadTarget(const Statement& s, int col) {
  Target t;
  ASSIGN_OR_RETURN(t.kind, ParseTargetKind(s.TextView(col)));
  t.value = s.Text(col + 1);
  return t;
}

// Referral rows with their organization's name, read by ReadReferralRow.
constexpr std::string_view kReferralSelect =
    "SELECT r.id, r.org_id, o.name, r.category, r.state, r.submitted_at, r.updated_at, r.reason, "
    "COALESCE(r.order_id, 0), "
    "(SELECT count(*) FROM referral_targets rt WHERE rt.referral_id = r.id) "
    "FROM referrals r JOIN organizations o ON o.id = r.org_id ";

// The in-force set: targets of orders in force, but those lifted from their order on appeal.
// Callers append "AND ..." conditions.
constexpr std::string_view kInForceSelect =
    "SELECT t.kind, t.value, ot.order_id, o.body, o.reference, 1 "
    "FROM order_targets ot JOIN orders o ON o.id = ot.order_id "
    "JOIN targets t ON t.id = ot.target_id WHERE o.state = 'in-force' AND ot.lifted_at IS NULL ";

// The target kinds a view carries, as a condition on t.kind: "(t.kind = 'domain' OR ...)".
std::string CarriesSql(Scope scope) {
  std::string kinds;
  for (int t = 0; t < kTargetKindCount; ++t) {
    if (!ScopeCarries(scope, static_cast<TargetKind>(t))) continue;
    if (!kinds.empty()) kinds += " OR ";
    kinds += "t.kind = '" + std::string(TargetKindName(static_cast<TargetKind>(t))) + "'";
  }
  return "(" + kinds + ")";
}

// When an (order, target) item entered the in-force set, over order_targets `ot` and orders `o`
// (see OverdueItemsSql), and its deadline: the live deadline (parameter `live`) for orders with
// any of the live categories (parameter `cats`), else the default one (parameter `other`).
constexpr std::string_view kItemSinceSql = "MAX(ot.added_at, o.updated_at)";
std::string ItemDeadlineSql(int cats, int live, int other) {
  return std::string(kItemSinceSql) + " + CASE WHEN (o.categories & ?" + std::to_string(cats) +
         ") <> 0 THEN ?" + std::to_string(live) + " ELSE ?" + std::to_string(other) + " END";
}

// Overdue items: for each intermediary organization, the in-force (target, order) pairs of its
// view with their deadline and acknowledgement. A pair entered the in-force set at the later of
// the time its target was attached and the time its order last came into force (the order's
// updated_at: only state changes update an order) -- the time of the serial that logged its
// "add" -- so no scan of the in-force log is needed. ?1 now, ?2 org (0: any), ?3 order (0: any),
// ?4 live categories, ?5 live deadline, ?6 default deadline.
const std::string& OverdueItemsSql() {
  static const std::string sql = [] {
    std::string scope_bit = "CASE g.kind";
    std::string carries = "CASE g.kind";
    std::string intermediary;
    for (int k = 0; k <= static_cast<int>(OrgKind::kAuditor); ++k) {
      const auto kind = static_cast<OrgKind>(k);
      const std::optional<Scope> scope = IntermediaryScope(kind);
      if (!scope) continue;
      const std::string name = "'" + std::string(Name(kind)) + "'";
      scope_bit += " WHEN " + name + " THEN " + std::to_string(Bit(*scope));
      carries += " WHEN " + name + " THEN " + CarriesSql(*scope);
      if (!intermediary.empty()) intermediary += " OR ";
      intermediary += "g.kind = " + name;
    }
    scope_bit += " ELSE 0 END";
    carries += " ELSE 0 END";
    return "WITH items AS (SELECT g.id AS org_id, g.name AS org_name, g.kind AS org_kind, "
           "o.id AS order_id, o.body AS body, o.reference AS reference, t.kind AS tkind, "
           "t.value AS tvalue, " +
           std::string(kItemSinceSql) + " AS since, " + ItemDeadlineSql(4, 5, 6) +
           " AS deadline, a.status AS status, a.reason AS reason, a.note AS note, a.at AS at "
           "FROM organizations g "
           "JOIN orders o ON o.state = 'in-force' AND (o.scope & (" +
           scope_bit +
           ")) <> 0 "
           "JOIN order_targets ot ON ot.order_id = o.id AND ot.lifted_at IS NULL "
           "JOIN targets t ON t.id = ot.target_id "
           "LEFT JOIN acknowledgements a ON a.org_id = g.id AND a.order_id = o.id "
           "AND a.target_id = ot.target_id "
           "WHERE (" +
           intermediary + ") AND (?2 = 0 OR g.id = ?2) AND (?3 = 0 OR o.id = ?3) AND (" + carries +
           ")) "
           "SELECT * FROM items WHERE deadline < ?1 AND (status IS NULL OR status <> 'processed') ";
  }();
  return sql;
}

// Compliance reports. The latest result of each (ISP, target) -- the greatest measured_at, of
// equal ones the last inserted -- found along the audit_results_latest index; ?1 the ISP
// organization (0: every one).
constexpr std::string_view kLatestResultsCte =
    "WITH latest AS (SELECT isp_org_id, target_kind, target_value, verdict, measured_at, run_id "
    "FROM (SELECT isp_org_id, target_kind, target_value, verdict, measured_at, run_id, "
    "ROW_NUMBER() OVER (PARTITION BY isp_org_id, target_kind, target_value "
    "ORDER BY measured_at DESC, id DESC) AS rn FROM audit_results "
    "WHERE ?1 = 0 OR isp_org_id = ?1) WHERE rn = 1) ";

// The isp view's items: in-force pairs under orders scoped to isp, of a kind the isp view carries
// (an ISP's items in the overdue report), as targets `t`, order_targets `ot` and orders `o`.
// kOfLatest ties them to a latest result `l`.
const std::string& IspItemsSql() {
  static const std::string sql =
      "targets t JOIN order_targets ot ON ot.target_id = t.id AND ot.lifted_at IS NULL "
      "JOIN orders o ON o.id = ot.order_id AND o.state = 'in-force' AND (o.scope & " +
      std::to_string(Bit(Scope::kIsp)) + ") <> 0 AND " + CarriesSql(Scope::kIsp) + " ";
  return sql;
}
constexpr std::string_view kOfLatest = "t.kind = l.target_kind AND t.value = l.target_value ";

Result<ApiToken> ReadApiToken(const sqlite::Statement& s) {
  ApiToken t;
  t.id = s.Int(0);
  t.org_id = s.Int(1);
  t.org_name = s.Text(2);
  ASSIGN_OR_RETURN(t.role, ParseRole(s.TextView(3)));
  t.label = s.Text(4);
  t.created_at = s.Int(5);
  t.created_by = s.Text(6);
  t.revoked_at = s.Int(7);
  return t;
}

constexpr std::string_view kApiTokenSelect =
    "SELECT k.id, k.org_id, g.name, k.role, k.label, k.created_at, k.created_by, "
    "COALESCE(k.revoked_at, 0), g.kind, g.created_at FROM api_tokens k "
    "JOIN organizations g ON g.id = k.org_id ";

Result<Acknowledgement> ReadAcknowledgement(const sqlite::Statement& s) {
  Acknowledgement a;
  a.org_id = s.Int(0);
  a.order_id = s.Int(1);
  ASSIGN_OR_RETURN(a.target, ReadTarget(s, 2));
  a.processed = s.TextView(4) == "processed";
  if (!s.IsNull(5)) {
    ASSIGN_OR_RETURN(AckReason r, ParseAckReason(s.TextView(5)));
    a.reason = r;
  }
  a.note = s.Text(6);
  a.at = s.Int(7);
  a.actor = s.Text(8);
  return a;
}

constexpr std::string_view kAckSelect =
    "SELECT a.org_id, a.order_id, t.kind, t.value, a.status, a.reason, a.note, a.at, a.actor "
    "FROM acknowledgements a JOIN targets t ON t.id = a.target_id ";

// Appeal rows with their order's body and reference and their target, read by ReadAppeal.
constexpr std::string_view kAppealSelect =
    "SELECT a.id, a.order_id, o.body, o.reference, t.kind, t.value, a.party, a.name, a.contact, "
    "a.statement, a.filed_at, a.state, a.reason, a.decided_by, a.decided_at FROM appeals a "
    "JOIN orders o ON o.id = a.order_id LEFT JOIN targets t ON t.id = a.target_id ";

class SqliteTransaction final : public Transaction {
 public:
  SqliteTransaction(Database& db, bool read_only) : db_(db), read_only_(read_only) {}

  Result<Id> InsertOrganization(const Organization& org) override {
    RETURN_IF_ERROR(Writable());
    ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("INSERT INTO organizations (kind, name, created_at) VALUES (?, ?, ?)"));
    StatementScope scope(*s);
    s->Bind(1, Name(org.kind)).Bind(2, org.name).Bind(3, org.created_at);
    Status st = s->Run();
    if (st.code() == StatusCode::kAlreadyExists) {
      return Status::AlreadyExists("organization \"" + org.name + "\" already exists");
    }
    RETURN_IF_ERROR(st);
    return db_.LastInsertRowid();
  }

  Result<std::optional<Organization>> FindOrganization(std::string_view name) override {
    ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("SELECT id, kind, name, created_at FROM organizations WHERE name = ?"));
    StatementScope scope(*s);
    s->Bind(1, name);
    return OptionalRow<Organization>(*s, ReadOrganization);
  }

  Result<std::optional<Organization>> FindOrganizationById(Id id) override {
    ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("SELECT id, kind, name, created_at FROM organizations WHERE id = ?"));
    StatementScope scope(*s);
    s->Bind(1, id);
    return OptionalRow<Organization>(*s, ReadOrganization);
  }

  Result<std::vector<Organization>> ListOrganizations() override {
    ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("SELECT id, kind, name, created_at FROM organizations ORDER BY id"));
    StatementScope scope(*s);
    return Rows<Organization>(*s, ReadOrganization);
  }

  Result<Id> UpsertTarget(const Target& target) override {
    RETURN_IF_ERROR(Writable());
    {
      // Insert first: in a bulk import most targets are new, and this saves a lookup for each.
      ASSIGN_OR_RETURN(Statement * s, db_.Prepare("INSERT INTO targets (kind, value) VALUES (?, ?) "
                                                  "ON CONFLICT (kind, value) DO NOTHING"));
      StatementScope scope(*s);
      s->Bind(1, TargetKindName(target.kind)).Bind(2, target.value);
      RETURN_IF_ERROR(s->Run());
      if (db_.Changes() == 1) return db_.LastInsertRowid();
    }
    ASSIGN_OR_RETURN(std::optional<Id> found, FindTarget(target));
    if (!found) return Status::Internal("target " + target.ToString() + " vanished");
    return *found;
  }

  Result<std::optional<Id>> FindTarget(const Target& target) override {
    ASSIGN_OR_RETURN(Statement * s,
                     db_.Prepare("SELECT id FROM targets WHERE kind = ? AND value = ?"));
    StatementScope scope(*s);
    s->Bind(1, TargetKindName(target.kind)).Bind(2, target.value);
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<Id>();
    return std::optional<Id>(s->Int(0));
  }

  Result<Id> InsertOrder(const Order& o) override {
    RETURN_IF_ERROR(Writable());
    ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("INSERT INTO orders (body, kind, reference, issued_at, effective_at, "
                    "expires_at, scope, "
                    "categories, dynamic, state, state_reason, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    StatementScope scope(*s);
    s->Bind(1, o.body).Bind(2, Name(o.kind)).Bind(3, o.reference).Bind(4, o.issued_at);
    s->Bind(5, o.effective_at).Bind(6, o.expires_at).Bind(7, std::int64_t{o.scope});
    s->Bind(8, std::int64_t{o.categories}).Bind(9, std::int64_t{o.dynamic ? 1 : 0});
    s->Bind(10, Name(o.state)).Bind(11, o.state_reason).Bind(12, o.created_at);
    s->Bind(13, o.updated_at);
    Status st = s->Run();
    if (st.code() == StatusCode::kAlreadyExists) {
      return Status::AlreadyExists("an order by \"" + o.body + "\" with reference \"" +
                                   o.reference + "\" issued " + FormatDate(o.issued_at) +
                                   " already exists");
    }
    RETURN_IF_ERROR(st);
    return db_.LastInsertRowid();
  }

  Result<std::optional<Order>> FindOrder(Id id) override {
    static const std::string kSql =
        "SELECT " + std::string(kOrderColumns) + " FROM orders WHERE id = ?";
    ASSIGN_OR_RETURN(Statement * s, db_.Prepare(kSql));
    StatementScope scope(*s);
    s->Bind(1, id);
    return OptionalRow<Order>(*s, ReadOrder);
  }

  Result<std::optional<Order>> FindOrderByKey(std::string_view body, std::string_view reference,
                                              UnixTime issued_at) override {
    static const std::string kSql =
        "SELECT " + std::string(kOrderColumns) +
        " FROM orders WHERE body = ? AND reference = ? AND issued_at = ?";
    ASSIGN_OR_RETURN(Statement * s, db_.Prepare(kSql));
    StatementScope scope(*s);
    s->Bind(1, body).Bind(2, reference).Bind(3, issued_at);
    return OptionalRow<Order>(*s, ReadOrder);
  }

  Result<std::vector<Order>> FindOrdersByReference(std::string_view reference) override {
    ASSIGN_OR_RETURN(Statement * s, db_.Prepare("SELECT " + std::string(kOrderColumns) +
                                                " FROM orders WHERE reference = ? ORDER BY id"));
    StatementScope scope(*s);
    s->Bind(1, reference);
    return Rows<Order>(*s, ReadOrder);
  }

  Result<std::vector<Order>> ListOrders(const OrderFilter& filter) override {
    std::string sql = "SELECT " + std::string(kOrderColumns) + " FROM orders WHERE id > ?1";
    if (filter.state) sql += " AND state = ?3";
    if (filter.kind) sql += " AND kind = ?4";
    if (filter.scope != 0) sql += " AND (scope & ?5) != 0";
    if (filter.categories != 0) sql += " AND (categories & ?6) != 0";
    if (!filter.body.empty()) sql += " AND body = ?7";
    sql += " ORDER BY id LIMIT ?2";
    ASSIGN_OR_RETURN(Statement * s, db_.Prepare(sql));
    StatementScope scope(*s);
    s->Bind(1, filter.after_id);
    s->Bind(2, filter.limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(filter.limit));
    if (filter.state) s->Bind(3, Name(*filter.state));
    if (filter.kind) s->Bind(4, Name(*filter.kind));
    if (filter.scope != 0) s->Bind(5, static_cast<std::int64_t>(filter.scope));
    if (filter.categories != 0) s->Bind(6, static_cast<std::int64_t>(filter.categories));
    if (!filter.body.empty()) s->Bind(7, filter.body);
    return Rows<Order>(*s, ReadOrder);
  }

  Result<std::vector<Order>> OrdersDueAt(UnixTime now) override {
    ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("SELECT " + std::string(kOrderColumns) +
                    " FROM orders "
                    "WHERE (state IN ('pending','in-force','suspended') AND expires_at <= ?1) "
                    "   OR (state = 'pending' AND effective_at <= ?1) ORDER BY id"));
    StatementScope scope(*s);
    s->Bind(1, now);
    return Rows<Order>(*s, ReadOrder);
  }

  Status UpdateOrderState(Id order_id, OrderState state, std::string_view reason,
                          UnixTime at) override {
    RETURN_IF_ERROR(Writable());
    ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("UPDATE orders SET state = ?, state_reason = ?, updated_at = ? WHERE id = ?"));
    StatementScope scope(*s);
    s->Bind(1, Name(state)).Bind(2, reason).Bind(3, at).Bind(4, order_id);
    RETURN_IF_ERROR(s->Run());
    if (db_.Changes() != 1) return Status::NotFound("order " + std::to_string(order_id));
    return Status::Ok();
  }

  Status UpdateOrderExpiry(Id order_id, UnixTime expires_at, UnixTime at) override {
    RETURN_IF_ERROR(Writable());
    ASSIGN_OR_RETURN(Statement * s,
                     db_.Prepare("UPDATE orders SET expires_at = ?, updated_at = ? WHERE id = ?"));
    StatementScope scope(*s);
    s->Bind(1, expires_at).Bind(2, at).Bind(3, order_id);
    RETURN_IF_ERROR(s->Run());
    if (db_.Changes() != 1) return Status::NotFound("order " + std::to_string(order_id));
    return Status::Ok();
  }

  Result<bool> AttachTarget(Id order_id, Id target_id, UnixTime at, Id referral_id) override {
    RETURN_IF_ERROR(Writable());
    ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare(
            "INSERT OR IGNORE INTO order_targets (order_id, target_id, added_at, referral_id) "
            "VALUES (?, ?, ?, ?)"));
    StatementScope scope(*s);
    s->Bind(1, order_id).Bind(2, target_id).Bind(3, at);
    if (referral_id != 0) {
      s->Bind(4, referral_id);
    } else {
      s->BindNull(4);
    }
    RETURN_IF_ERROR(s->Run());
    return db_.Changes() == 1;
  }

  Result<std::vector<std::pair<Id, Target>>> OrderTargets(Id order_id) override {
    return TargetsOfOrder(order_id, /*lifted=*/false);
  }

  Result<std::vector<std::pair<Id, Target>>> LiftedOrderTargets(Id order_id) override {
    return TargetsOfOrder(order_id, /*lifted=*/true);
  }

  Result<std::optional<Id>> OrderTargetLiftedBy(Id order_id, Id target_id) override {
    ASSIGN_OR_RETURN(Statement * s,
                     db_.Prepare("SELECT COALESCE(lifted_by_appeal, -lapsed) FROM order_targets "
                                 "WHERE order_id = ? AND target_id = ?"));
    StatementScope scope(*s);
    s->Bind(1, order_id).Bind(2, target_id);
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return std::optional<Id>();
    return std::optional<Id>(s->Int(0));
  }

  Result<bool> LiftOrderTarget(Id order_id, Id target_id, Id appeal_id, UnixTime at) override {
    RETURN_IF_ERROR(Writable());
    ASSIGN_OR_RETURN(Statement * s,
                     db_.Prepare("UPDATE order_targets SET lifted_at = ?, lifted_by_appeal = ? "
                                 "WHERE order_id = ? AND target_id = ? AND lifted_at IS NULL"));
    StatementScope scope(*s);
    s->Bind(1, at).Bind(2, appeal_id).Bind(3, order_id).Bind(4, target_id);
    RETURN_IF_ERROR(s->Run());
    return db_.Changes() == 1;
  }

  Result<std::vector<AgedTarget>> AddressTargetsConfirmedBefore(UnixTime before) override {
    ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("SELECT ot.order_id, t.id, t.kind, t.value, "
                    "COALESCE(ot.confirmed_at, ot.added_at) AS c FROM order_targets ot "
                    "JOIN targets t ON t.id = ot.target_id JOIN orders o ON o.id = ot.order_id "
                    "WHERE t.kind IN ('ip', 'cidr') AND ot.lifted_at IS NULL AND o.state IN "
                    "('pending', 'in-force', 'suspended') AND COALESCE(ot.confirmed_at, "
                    "ot.added_at) < ? ORDER BY ot.order_id, t.kind, t.value"));
    StatementScope scope(*s);
    s->Bind(1, before);
    std::vector<AgedTarget> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      AgedTarget a;
      a.order_id = s->Int(0);
      a.target_id = s->Int(1);
      ASSIGN_OR_RETURN(a.target, ReadTarget(*s, 2));
      a.confirmed_at = s->Int(4);
      out.push_back(std::move(a));
    }
    return out;
  }

  Result<bool> LapseOrderTarget(Id order_id, Id target_id, UnixTime at) override {
    RETURN_IF_ERROR(Writable());
    ASSIGN_OR_RETURN(Statement * s,
                     db_.Prepare("UPDATE order_targets SET lifted_at = ?, lapsed = 1 "
                                 "WHERE order_id = ? AND target_id = ? AND lifted_at IS NULL"));
    StatementScope scope(*s);
    s->Bind(1, at).Bind(2, order_id).Bind(3, target_id);
    RETURN_IF_ERROR(s->Run());
    return db_.Changes() == 1;
  }

  Result<std::size_t> ReconfirmOrderTargets(Id order_id, Id target_id, UnixTime at) override {
    RETURN_IF_ERROR(Writable());
    ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("UPDATE order_targets SET confirmed_at = ?1 WHERE order_id = ?2 AND "
                    "lifted_at IS NULL AND (?3 = 0 OR target_id = ?3) AND target_id IN "
                    "(SELECT id FROM targets WHERE kind IN ('ip', 'cidr'))"));
    StatementScope scope(*s);
    s->Bind(1, at).Bind(2, order_id).Bind(3, target_id);
    RETURN_IF_ERROR(s->Run());
    return static_cast<std::size_t>(db_.Changes());
  }

  Result<Id> InsertHeldChange(const HeldChange& c) override {
    RETURN_IF_ERROR(Writable());
    ASSIGN_OR_RETURN(Statement * s,
                     db_.Prepare("INSERT INTO held_changes (kind, summary, added, removed, "
                                 "in_force, actor, held_at) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    StatementScope scope(*s);
    s->Bind(1, c.kind).Bind(2, c.summary).Bind(3, c.added).Bind(4, c.removed);
    s->Bind(5, c.in_force).Bind(6, c.actor).Bind(7, c.held_at);
    RETURN_IF_ERROR(s->Run());
    return db_.LastInsertRowid();
  }

  Result<std::optional<HeldChange>> FindHeldChange(Id id) override {
    ASSIGN_OR_RETURN(std::vector<HeldChange> found, SelectHeldChanges("WHERE id = ?", id));
    if (found.empty()) return std::optional<HeldChange>();
    return std::optional<HeldChange>(std::move(found.front()));
  }

  Result<std::vector<HeldChange>> ListHeldChanges(bool open_only) override {
    return SelectHeldChanges(open_only ? "WHERE confirmed_at IS NULL AND ?1 = ?1" : "WHERE ?1 = ?1",
                             0);
  }

  Status ConfirmHeldChange(Id id, std::string_view actor, UnixTime at) override {
    RETURN_IF_ERROR(Writable());
    ASSIGN_OR_RETURN(Statement * s,
                     db_.Prepare("UPDATE held_changes SET confirmed_by = ?, confirmed_at = ? "
                                 "WHERE id = ? AND confirmed_at IS NULL"));
    StatementScope scope(*s);
    s->Bind(1, actor).Bind(2, at).Bind(3, id);
    RETURN_IF_ERROR(s->Run());
    if (db_.Changes() != 1) {
      return Status::FailedPrecondition("held change " + std::to_string(id) +
                                        " does not exist or was confirmed already");
    }
    return Status::Ok();
  }

  Result<Id> InsertReferral(const Referral& r) override {
    RETURN_IF_ERROR(Writable());
    ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare(
            "INSERT INTO referrals (org_id, category, state, submitted_at, updated_at, reason) "
            "VALUES (?, ?, ?, ?, ?, ?)"));
    {
      StatementScope scope(*s);
      s->Bind(1, r.org_id).Bind(2, Name(r.category)).Bind(3, Name(r.state));
      s->Bind(4, r.submitted_at).Bind(5, r.updated_at).Bind(6, r.reason);
      RETURN_IF_ERROR(s->Run());
    }
    const Id id = db_.LastInsertRowid();
    ASSIGN_OR_RETURN(
        Statement * t,
        db_.Prepare("INSERT INTO referral_targets (referral_id, target_id, position, duplicate_of) "
                    "VALUES (?, ?, ?, ?)"));
    std::int64_t position = 0;
    for (const ReferralTarget& rt : r.targets) {
      ASSIGN_OR_RETURN(Id target_id, UpsertTarget(rt.target));
      StatementScope scope(*t);
      t->Bind(1, id).Bind(2, target_id).Bind(3, position++).Bind(4, rt.duplicate_of);
      Status st = t->Run();
      if (st.code() == StatusCode::kAlreadyExists) {
        return Status::InvalidArgument("target " + rt.target.ToString() +
                                       " is named twice in the referral");
      }
      RETURN_IF_ERROR(st);
    }
    ASSIGN_OR_RETURN(Statement * e,
                     db_.Prepare("INSERT INTO evidence (referral_id, url, observed_at, sha256, "
                                 "note) VALUES (?, ?, ?, ?, ?)"));
    for (const Evidence& ev : r.evidence) {
      StatementScope scope(*e);
      e->Bind(1, id).Bind(2, ev.url).Bind(3, ev.observed_at).Bind(4, ev.sha256).Bind(5, ev.note);
      RETURN_IF_ERROR(e->Run());
    }
    return id;
  }

  Result<std::optional<Referral>> FindReferral(Id id) override {
    static const std::string kSql = std::string(kReferralSelect) + "WHERE r.id = ?";
    ASSIGN_OR_RETURN(Statement * s, db_.Prepare(kSql));
    std::optional<Referral> out;
    {
      StatementScope scope(*s);
      s->Bind(1, id);
      ASSIGN_OR_RETURN(out, OptionalRow<Referral>(*s, ReadReferralRow));
    }
    if (!out) return out;
    RETURN_IF_ERROR(LoadReferralDetails(&*out));
    return out;
  }

  Result<std::vector<Referral>> ListReferrals(const ReferralFilter& filter) override {
    // States as an OR chain (see "Storage" in ARCHITECTURE.md); ?1 org, ?2 after, ?3 limit,
    // ?4.. states.
    std::string sql =
        std::string(kReferralSelect) + "WHERE (?1 = 0 OR r.org_id = ?1) AND r.id > ?2";
    for (std::size_t i = 0; i < filter.states.size(); ++i) {
      sql += (i == 0 ? " AND (" : " OR ");
      sql += "r.state = ?" + std::to_string(4 + i);
    }
    if (!filter.states.empty()) sql += ")";
    sql += " ORDER BY r.id LIMIT ?3";
    ASSIGN_OR_RETURN(Statement * s, db_.Prepare(sql));
    std::vector<Referral> out;
    {
      StatementScope scope(*s);
      s->Bind(1, filter.org_id).Bind(2, filter.after_id);
      s->Bind(3, filter.limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(filter.limit));
      for (std::size_t i = 0; i < filter.states.size(); ++i) {
        s->Bind(static_cast<int>(4 + i), Name(filter.states[i]));
      }
      ASSIGN_OR_RETURN(out, Rows<Referral>(*s, ReadReferralRow));
    }
    if (filter.details) {
      for (Referral& r : out) RETURN_IF_ERROR(LoadReferralDetails(&r));
    }
    return out;
  }

  Status UpdateReferral(Id id, ReferralState state, std::string_view reason, Id order_id,
                        UnixTime at) override {
    RETURN_IF_ERROR(Writable());
    ASSIGN_OR_RETURN(Statement * s, db_.Prepare("UPDATE referrals SET state = ?, reason = ?, "
                                                "order_id = ?, updated_at = ? WHERE id = ?"));
    StatementScope scope(*s);
    s->Bind(1, Name(state)).Bind(2, reason);
    if (order_id != 0) {
      s->Bind(3, order_id);
    } else {
      s->BindNull(3);
    }
    s->Bind(4, at).Bind(5, id);
    RETURN_IF_ERROR(s->Run());
    if (db_.Changes() != 1) return Status::NotFound("referral " + std::to_string(id));
    return Status::Ok();
  }

  Result<std::vector<Id>> OpenReferralsWithTarget(Id target_id) override {
    ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare(
            "SELECT r.id FROM referral_targets rt JOIN referrals r ON r.id = rt.referral_id "
            "WHERE rt.target_id = ? AND r.state IN ('submitted','under-review') ORDER BY r.id"));
    StatementScope scope(*s);
    s->Bind(1, target_id);
    return Rows<Id>(*s, [](const Statement& st) -> Result<Id> { return st.Int(0); });
  }

  Result<std::string> RegistryId() override {
    ASSIGN_OR_RETURN(Statement * s,
                     db_.Prepare("SELECT value FROM registry_meta WHERE key = 'registry_id'"));
    StatementScope scope(*s);
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return Status::Corruption("the registry has no registry_id");
    return std::string(s->Text(0));
  }

  Result<Serial> CurrentSerial() override {
    ASSIGN_OR_RETURN(Statement * s, db_.Prepare("SELECT COALESCE(MAX(serial), 0) FROM serials"));
    StatementScope scope(*s);
    ASSIGN_OR_RETURN(bool row, s->Step());
    return row ? s->Int(0) : Serial{0};
  }

  Result<Serial> NextSerial(UnixTime at, std::string_view actor,
                            std::string_view summary) override {
    RETURN_IF_ERROR(Writable());
    ASSIGN_OR_RETURN(Serial current, CurrentSerial());
    ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("INSERT INTO serials (serial, at, actor, summary) VALUES (?, ?, ?, ?)"));
    StatementScope scope(*s);
    s->Bind(1, current + 1).Bind(2, at).Bind(3, actor).Bind(4, summary);
    RETURN_IF_ERROR(s->Run());
    return current + 1;
  }

  Status LogInForce(Serial serial, Id target_id, Id order_id, DeltaOp op) override {
    RETURN_IF_ERROR(Writable());
    ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare(
            "INSERT INTO inforce_log (serial, target_id, order_id, op) VALUES (?, ?, ?, ?)"));
    StatementScope scope(*s);
    s->Bind(1, serial).Bind(2, target_id).Bind(3, order_id);
    s->Bind(4, op == DeltaOp::kAdd ? std::string_view("add") : std::string_view("remove"));
    return s->Run();
  }

  Result<std::vector<InForceEntry>> InForceForTarget(Id target_id) override {
    ASSIGN_OR_RETURN(Statement * s, db_.Prepare(std::string(kInForceSelect) +
                                                "AND ot.target_id = ? ORDER BY ot.order_id"));
    StatementScope scope(*s);
    s->Bind(1, target_id);
    return Rows<InForceEntry>(*s, ReadInForce);
  }

  Result<std::vector<InForceEntry>> InForceForOrder(Id order_id) override {
    ASSIGN_OR_RETURN(Statement * s, db_.Prepare(std::string(kInForceSelect) +
                                                "AND ot.order_id = ? ORDER BY t.kind, t.value"));
    StatementScope scope(*s);
    s->Bind(1, order_id);
    return Rows<InForceEntry>(*s, ReadInForce);
  }

  Result<std::vector<InForceEntry>> ListInForce(std::optional<TargetKind> kind) override {
    std::string sql(kInForceSelect);
    if (kind) sql += "AND t.kind = ?1 ";
    sql += "ORDER BY t.kind, t.value, ot.order_id";
    ASSIGN_OR_RETURN(Statement * s, db_.Prepare(sql));
    StatementScope scope(*s);
    if (kind) s->Bind(1, TargetKindName(*kind));
    return Rows<InForceEntry>(*s, ReadInForce);
  }

  Result<std::vector<InForceEntry>> ListAttached(std::optional<TargetKind> kind) override {
    std::string sql =
        "SELECT t.kind, t.value, ot.order_id, o.body, o.reference, "
        "o.state = 'in-force' AND ot.lifted_at IS NULL FROM order_targets ot JOIN targets t ON "
        "t.id = ot.target_id "
        "JOIN orders o ON o.id = ot.order_id ";
    if (kind) sql += "WHERE t.kind = ?1 ";
    sql += "ORDER BY t.kind, t.value, ot.order_id";
    ASSIGN_OR_RETURN(Statement * s, db_.Prepare(sql));
    StatementScope scope(*s);
    if (kind) s->Bind(1, TargetKindName(*kind));
    return Rows<InForceEntry>(*s, ReadInForce);
  }

  Result<std::vector<InForceEntry>> InForceInRange(TargetKind kind, std::string_view lo,
                                                   std::string_view hi) override {
    ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare(
            std::string(kInForceSelect) +
            "AND t.kind = ? AND t.value >= ? AND t.value < ? ORDER BY t.value, ot.order_id"));
    StatementScope scope(*s);
    s->Bind(1, TargetKindName(kind)).Bind(2, lo).Bind(3, hi);
    return Rows<InForceEntry>(*s, ReadInForce);
  }

  Result<std::vector<SerialInfo>> ListSerials(Serial after, std::size_t limit) override {
    ASSIGN_OR_RETURN(Statement * s, db_.Prepare("SELECT serial, at, actor, summary FROM serials "
                                                "WHERE serial > ? ORDER BY serial LIMIT ?"));
    StatementScope scope(*s);
    s->Bind(1, after).Bind(2, limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(limit));
    return Rows<SerialInfo>(*s, [](const Statement& st) -> Result<SerialInfo> {
      return SerialInfo{st.Int(0), st.Int(1), st.Text(2), st.Text(3)};
    });
  }

  Result<std::vector<DeltaEntry>> SerialDelta(Serial serial) override {
    ASSIGN_OR_RETURN(Statement * s,
                     db_.Prepare("SELECT l.op, t.kind, t.value, l.order_id FROM inforce_log l "
                                 "JOIN targets t ON t.id = l.target_id WHERE l.serial = ? ORDER BY "
                                 "l.op, t.kind, t.value"));
    StatementScope scope(*s);
    s->Bind(1, serial);
    return Rows<DeltaEntry>(*s, [](const Statement& st) -> Result<DeltaEntry> {
      DeltaEntry d;
      d.op = st.TextView(0) == "add" ? DeltaOp::kAdd : DeltaOp::kRemove;
      ASSIGN_OR_RETURN(d.target, ReadTarget(st, 1));
      d.order_id = st.Int(3);
      return d;
    });
  }

  Status AppendAudit(const AuditEntry& a) override {
    RETURN_IF_ERROR(Writable());
    ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("INSERT INTO audit (at, actor, action, entity, entity_id, reason, detail) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)"));
    StatementScope scope(*s);
    s->Bind(1, a.at).Bind(2, a.actor).Bind(3, a.action).Bind(4, a.entity);
    if (a.entity_id != 0) {
      s->Bind(5, a.entity_id);
    } else {
      s->BindNull(5);
    }
    s->Bind(6, a.reason).Bind(7, a.detail.empty() ? std::string_view("{}") : a.detail);
    return s->Run();
  }

  Result<std::uint64_t> LogSize() override {
    ASSIGN_OR_RETURN(Statement * s, db_.Prepare("SELECT COALESCE(MAX(idx) + 1, 0) FROM translog"));
    StatementScope scope(*s);
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return Status::Internal("translog: no size");
    return static_cast<std::uint64_t>(s->Int(0));
  }

  Status AppendLogEntry(const LogEntry& e) override {
    RETURN_IF_ERROR(Writable());
    ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("INSERT INTO translog (idx, at, event, hash) VALUES (?, ?, ?, ?)"));
    StatementScope scope(*s);
    s->Bind(1, static_cast<std::int64_t>(e.index)).Bind(2, e.at).Bind(3, e.event);
    s->BindBlob(4, e.hash);
    return s->Run();
  }

  Result<std::vector<LogEntry>> ReadLog(std::uint64_t first, std::size_t limit,
                                        bool with_events) override {
    ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare(
            with_events
                ? "SELECT idx, at, hash, event FROM translog WHERE idx >= ? ORDER BY idx "
                  "LIMIT ?"
                : "SELECT idx, at, hash FROM translog WHERE idx >= ? ORDER BY idx LIMIT ?"));
    StatementScope scope(*s);
    s->Bind(1, static_cast<std::int64_t>(first)).Bind(2, static_cast<std::int64_t>(limit));
    std::vector<LogEntry> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      LogEntry e;
      e.index = static_cast<std::uint64_t>(s->Int(0));
      e.at = s->Int(1);
      e.hash = std::string(s->TextView(2));
      if (with_events) e.event = s->Text(3);
      out.push_back(std::move(e));
    }
    return out;
  }

  Result<std::optional<std::string>> FindLogNode(int level, std::uint64_t index) override {
    ASSIGN_OR_RETURN(Statement * s,
                     db_.Prepare("SELECT hash FROM translog_nodes WHERE level = ? AND idx = ?"));
    StatementScope scope(*s);
    s->Bind(1, std::int64_t{level}).Bind(2, static_cast<std::int64_t>(index));
    return OptionalRow<std::string>(
        *s, [](const Statement& st) -> Result<std::string> { return std::string(st.TextView(0)); });
  }

  Status PutLogNode(int level, std::uint64_t index, std::string_view hash) override {
    RETURN_IF_ERROR(Writable());
    ASSIGN_OR_RETURN(Statement * s,
                     db_.Prepare("INSERT INTO translog_nodes (level, idx, hash) VALUES (?, ?, ?)"));
    StatementScope scope(*s);
    s->Bind(1, std::int64_t{level}).Bind(2, static_cast<std::int64_t>(index));
    s->BindBlob(3, hash);
    return s->Run();
  }

  Status AppendTreeHead(const StoredTreeHead& h) override {
    RETURN_IF_ERROR(Writable());
    ASSIGN_OR_RETURN(Statement * s,
                     db_.Prepare("INSERT INTO translog_heads (size, root, timestamp_ms, key_id, "
                                 "signature) VALUES (?, ?, ?, ?, ?)"));
    StatementScope scope(*s);
    s->Bind(1, static_cast<std::int64_t>(h.size));
    s->BindBlob(2, h.root);
    s->Bind(3, h.timestamp_ms).Bind(4, h.key_id);
    s->BindBlob(5, h.signature);
    return s->Run();
  }

  Result<std::vector<StoredTreeHead>> ListTreeHeads(std::size_t limit) override {
    ASSIGN_OR_RETURN(Statement * s,
                     db_.Prepare("SELECT size, root, timestamp_ms, key_id, signature FROM "
                                 "translog_heads ORDER BY size DESC LIMIT ?"));
    StatementScope scope(*s);
    s->Bind(1, limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(limit));
    std::vector<StoredTreeHead> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      StoredTreeHead h;
      h.size = static_cast<std::uint64_t>(s->Int(0));
      h.root = std::string(s->TextView(1));
      h.timestamp_ms = s->Int(2);
      h.key_id = s->Text(3);
      h.signature = std::string(s->TextView(4));
      out.push_back(std::move(h));
    }
    return out;
  }

  Result<Id> PutGuardSet(const GuardSet& g) override {
    RETURN_IF_ERROR(Writable());
    ASSIGN_OR_RETURN(Statement * del,
                     db_.Prepare("DELETE FROM guard_sets WHERE kind = ? AND name = ?"));
    {
      StatementScope scope(*del);
      del->Bind(1, g.kind).Bind(2, g.name);
      RETURN_IF_ERROR(del->Run());
    }
    ASSIGN_OR_RETURN(Statement * s,
                     db_.Prepare("INSERT INTO guard_sets (kind, name, source, imported_at, actor, "
                                 "content) VALUES (?, ?, ?, ?, ?, ?)"));
    StatementScope scope(*s);
    s->Bind(1, g.kind).Bind(2, g.name).Bind(3, g.source).Bind(4, g.imported_at).Bind(5, g.actor);
    s->Bind(6, g.content);
    RETURN_IF_ERROR(s->Run());
    return db_.LastInsertRowid();
  }

  Result<std::vector<GuardSet>> ListGuardSets(bool with_content) override {
    ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare(with_content ? "SELECT id, kind, name, source, imported_at, actor, "
                                   "length(CAST(content AS BLOB)), content FROM guard_sets "
                                   "ORDER BY id"
                                 : "SELECT id, kind, name, source, imported_at, actor, "
                                   "length(CAST(content AS BLOB)) FROM guard_sets ORDER BY id"));
    StatementScope scope(*s);
    std::vector<GuardSet> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      GuardSet g;
      g.id = s->Int(0);
      g.kind = s->Text(1);
      g.name = s->Text(2);
      g.source = s->Text(3);
      g.imported_at = s->Int(4);
      g.actor = s->Text(5);
      g.bytes = s->Int(6);
      if (with_content) g.content = s->Text(7);
      out.push_back(std::move(g));
    }
    return out;
  }

  Result<std::string> GuardVersion() override {
    ASSIGN_OR_RETURN(Statement * s,
                     db_.Prepare("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM guard_sets"));
    StatementScope scope(*s);
    ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) return Status::Internal("guard_sets: no version");
    return std::to_string(s->Int(0)) + "/" + std::to_string(s->Int(1));
  }

  Result<Id> InsertGuardOverride(const GuardOverride& o) override {
    RETURN_IF_ERROR(Writable());
    ASSIGN_OR_RETURN(Statement * s,
                     db_.Prepare("INSERT INTO guard_overrides (target_kind, target_value, "
                                 "findings, reason, actor, at) VALUES (?, ?, ?, ?, ?, ?)"));
    StatementScope scope(*s);
    s->Bind(1, TargetKindName(o.target.kind)).Bind(2, o.target.value).Bind(3, o.findings);
    s->Bind(4, o.reason).Bind(5, o.actor).Bind(6, o.at);
    RETURN_IF_ERROR(s->Run());
    return db_.LastInsertRowid();
  }

  Result<std::vector<GuardOverride>> ListGuardOverrides(const Target* target) override {
    ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare(target != nullptr
                        ? "SELECT id, target_kind, target_value, findings, reason, actor, at FROM "
                          "guard_overrides WHERE target_kind = ? AND target_value = ? ORDER BY id"
                        : "SELECT id, target_kind, target_value, findings, reason, actor, at FROM "
                          "guard_overrides ORDER BY id"));
    StatementScope scope(*s);
    if (target != nullptr) s->Bind(1, TargetKindName(target->kind)).Bind(2, target->value);
    std::vector<GuardOverride> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      GuardOverride o;
      o.id = s->Int(0);
      ASSIGN_OR_RETURN(o.target.kind, ParseTargetKind(s->TextView(1)));
      o.target.value = s->Text(2);
      o.findings = s->Text(3);
      o.reason = s->Text(4);
      o.actor = s->Text(5);
      o.at = s->Int(6);
      out.push_back(std::move(o));
    }
    return out;
  }

  Result<std::vector<AuditEntry>> ListAudit(const AuditFilter& f) override {
    ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare(
            "SELECT id, at, actor, action, entity, COALESCE(entity_id, 0), reason, detail FROM "
            "audit "
            "WHERE (?1 = '' OR entity = ?1) AND (?2 = 0 OR entity_id = ?2) ORDER BY id LIMIT ?3"));
    StatementScope scope(*s);
    s->Bind(1, f.entity).Bind(2, f.entity_id);
    s->Bind(3, f.limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(f.limit));
    return Rows<AuditEntry>(*s, [](const Statement& st) -> Result<AuditEntry> {
      return AuditEntry{st.Int(0),  st.Int(1), st.Text(2), st.Text(3),
                        st.Text(4), st.Int(5), st.Text(6), st.Text(7)};
    });
  }

  Result<RegistryCounts> Counts() override {
    RegistryCounts c;
    ASSIGN_OR_RETURN(c.organizations, Scalar("SELECT COUNT(*) FROM organizations"));
    ASSIGN_OR_RETURN(c.orders, Scalar("SELECT COUNT(*) FROM orders"));
    ASSIGN_OR_RETURN(c.orders_in_force,
                     Scalar("SELECT COUNT(*) FROM orders WHERE state = 'in-force'"));
    ASSIGN_OR_RETURN(c.targets, Scalar("SELECT COUNT(*) FROM targets"));
    ASSIGN_OR_RETURN(c.targets_in_force,
                     Scalar("SELECT COUNT(DISTINCT ot.target_id) FROM order_targets ot "
                            "JOIN orders o ON o.id = ot.order_id WHERE o.state = 'in-force' "
                            "AND ot.lifted_at IS NULL"));
    ASSIGN_OR_RETURN(c.referrals_open, Scalar("SELECT COUNT(*) FROM referrals WHERE state IN "
                                              "('submitted','under-review')"));
    ASSIGN_OR_RETURN(c.audit_entries, Scalar("SELECT COUNT(*) FROM audit"));
    return c;
  }

  Result<Id> InsertApiToken(const ApiToken& t, std::string_view hash) override {
    RETURN_IF_ERROR(Writable());
    ASSIGN_OR_RETURN(Statement * s,
                     db_.Prepare("INSERT INTO api_tokens (org_id, role, hash, label, created_at, "
                                 "created_by) VALUES (?, ?, ?, ?, ?, ?)"));
    StatementScope scope(*s);
    s->Bind(1, t.org_id).Bind(2, Name(t.role)).BindBlob(3, hash).Bind(4, t.label);
    s->Bind(5, t.created_at).Bind(6, t.created_by);
    RETURN_IF_ERROR(s->Run());
    return db_.LastInsertRowid();
  }

  Result<std::optional<ApiTokenMatch>> FindApiTokenByHash(std::string_view hash) override {
    static const std::string kSql = std::string(kApiTokenSelect) + "WHERE k.hash = ?";
    ASSIGN_OR_RETURN(Statement * s, db_.Prepare(kSql));
    StatementScope scope(*s);
    s->BindBlob(1, hash);
    return OptionalRow<ApiTokenMatch>(*s, [](const Statement& st) -> Result<ApiTokenMatch> {
      ApiTokenMatch m;
      ASSIGN_OR_RETURN(m.token, ReadApiToken(st));
      m.org.id = m.token.org_id;
      m.org.name = m.token.org_name;
      ASSIGN_OR_RETURN(m.org.kind, ParseOrgKind(st.TextView(8)));
      m.org.created_at = st.Int(9);
      return m;
    });
  }

  Result<std::optional<ApiToken>> FindApiToken(Id id) override {
    static const std::string kSql = std::string(kApiTokenSelect) + "WHERE k.id = ?";
    ASSIGN_OR_RETURN(Statement * s, db_.Prepare(kSql));
    StatementScope scope(*s);
    s->Bind(1, id);
    return OptionalRow<ApiToken>(*s, ReadApiToken);
  }

  Result<std::vector<ApiToken>> ListApiTokens() override {
    static const std::string kSql = std::string(kApiTokenSelect) + "ORDER BY k.id";
    ASSIGN_OR_RETURN(Statement * s, db_.Prepare(kSql));
    StatementScope scope(*s);
    return Rows<ApiToken>(*s, ReadApiToken);
  }

  Status RevokeApiToken(Id id, UnixTime at) override {
    RETURN_IF_ERROR(Writable());
    ASSIGN_OR_RETURN(Statement * s,
                     db_.Prepare("UPDATE api_tokens SET revoked_at = ? WHERE id = ?"));
    StatementScope scope(*s);
    s->Bind(1, at).Bind(2, id);
    RETURN_IF_ERROR(s->Run());
    if (db_.Changes() != 1) return Status::NotFound("there is no token " + std::to_string(id));
    return Status::Ok();
  }

  Result<Id> InsertAppeal(const Appeal& a, Id target_id) override {
    RETURN_IF_ERROR(Writable());
    ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("INSERT INTO appeals (order_id, target_id, party, name, contact, statement, "
                    "filed_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, 'filed')"));
    StatementScope scope(*s);
    s->Bind(1, a.order_id);
    if (target_id != 0) {
      s->Bind(2, target_id);
    } else {
      s->BindNull(2);
    }
    s->Bind(3, Name(a.party)).Bind(4, a.name).Bind(5, a.contact).Bind(6, a.statement);
    s->Bind(7, a.filed_at);
    RETURN_IF_ERROR(s->Run());
    return db_.LastInsertRowid();
  }

  Result<std::optional<Appeal>> FindAppeal(Id id) override {
    static const std::string kSql = std::string(kAppealSelect) + "WHERE a.id = ?";
    ASSIGN_OR_RETURN(Statement * s, db_.Prepare(kSql));
    std::optional<Appeal> out;
    {
      StatementScope scope(*s);
      s->Bind(1, id);
      ASSIGN_OR_RETURN(out, OptionalRow<Appeal>(*s, ReadAppeal));
    }
    if (out) RETURN_IF_ERROR(LoadLiftedTargets(&*out));
    return out;
  }

  Result<std::vector<Appeal>> ListAppeals(const AppealFilter& f) override {
    static const std::string kSql = std::string(kAppealSelect) +
                                    "WHERE (?1 = 0 OR a.order_id = ?1) AND (?2 = '' OR a.state = "
                                    "?2) AND a.id > ?3 ORDER BY a.id LIMIT ?4";
    ASSIGN_OR_RETURN(Statement * s, db_.Prepare(kSql));
    std::vector<Appeal> out;
    {
      StatementScope scope(*s);
      // Not a default std::string_view: a null pointer would bind NULL, not ''.
      s->Bind(1, f.order_id).Bind(2, f.state ? Name(*f.state) : std::string_view(""));
      s->Bind(3, f.after_id);
      s->Bind(4, f.limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(f.limit));
      ASSIGN_OR_RETURN(out, Rows<Appeal>(*s, ReadAppeal));
    }
    for (Appeal& a : out) RETURN_IF_ERROR(LoadLiftedTargets(&a));
    return out;
  }

  Status DecideAppeal(const Appeal& a) override {
    RETURN_IF_ERROR(Writable());
    ASSIGN_OR_RETURN(Statement * s,
                     db_.Prepare("UPDATE appeals SET state = ?, reason = ?, decided_by = ?, "
                                 "decided_at = ? WHERE id = ? AND state = 'filed'"));
    StatementScope scope(*s);
    s->Bind(1, Name(a.state)).Bind(2, a.reason).Bind(3, a.decided_by).Bind(4, a.decided_at);
    s->Bind(5, a.id);
    RETURN_IF_ERROR(s->Run());
    if (db_.Changes() == 1) return Status::Ok();
    ASSIGN_OR_RETURN(std::optional<Appeal> found, FindAppeal(a.id));
    if (!found) return Status::NotFound("there is no appeal " + std::to_string(a.id));
    return Status::FailedPrecondition("appeal " + std::to_string(a.id) + " was already decided");
  }

  Result<Id> InsertAuditRun(const AuditRun& r) override {
    RETURN_IF_ERROR(Writable());
    ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("INSERT INTO audit_runs (submitter_org_id, actor, isp_org_id, label, serial, "
                    "started_at, finished_at, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    StatementScope scope(*s);
    if (r.submitter_org_id != 0) {
      s->Bind(1, r.submitter_org_id);
    } else {
      s->BindNull(1);
    }
    s->Bind(2, r.actor).Bind(3, r.isp_org_id).Bind(4, r.label);
    if (r.serial) {
      s->Bind(5, *r.serial);
    } else {
      s->BindNull(5);
    }
    s->Bind(6, r.started_at).Bind(7, r.finished_at).Bind(8, r.submitted_at);
    RETURN_IF_ERROR(s->Run());
    return db_.LastInsertRowid();
  }

  Status InsertAuditResult(Id run_id, const AuditResult& r) override {
    RETURN_IF_ERROR(Writable());
    ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("INSERT INTO audit_results (run_id, isp_org_id, target_kind, target_value, "
                    "verdict, measured_at, evidence, in_force) SELECT id, isp_org_id, ?2, ?3, ?4, "
                    "?5, ?6, ?7 FROM audit_runs WHERE id = ?1"));
    StatementScope scope(*s);
    s->Bind(1, run_id).Bind(2, TargetKindName(r.target.kind)).Bind(3, r.target.value);
    s->Bind(4, Name(r.verdict)).Bind(5, r.measured_at).Bind(6, r.evidence);
    s->Bind(7, std::int64_t{r.in_force ? 1 : 0});
    RETURN_IF_ERROR(s->Run());
    if (db_.Changes() != 1)
      return Status::NotFound("there is no audit run " + std::to_string(run_id));
    return Status::Ok();
  }

  Result<std::vector<AuditRun>> ListAuditRuns(const AuditRunFilter& f) override {
    ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare(
            "SELECT r.id, COALESCE(r.submitter_org_id, 0), COALESCE(s.name, ''), r.actor, "
            "r.isp_org_id, g.name, r.label, r.serial, r.started_at, r.finished_at, "
            "r.submitted_at, (SELECT COUNT(*) FROM audit_results x WHERE x.run_id = r.id), "
            "(SELECT COUNT(*) FROM audit_results x WHERE x.run_id = r.id AND x.in_force = 0) "
            "FROM audit_runs r JOIN organizations g ON g.id = r.isp_org_id "
            "LEFT JOIN organizations s ON s.id = r.submitter_org_id "
            "WHERE (?1 = 0 OR r.isp_org_id = ?1) AND r.id > ?2 ORDER BY r.id LIMIT ?3"));
    StatementScope scope(*s);
    s->Bind(1, f.isp_org_id).Bind(2, f.after_id);
    s->Bind(3, f.limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(f.limit));
    return Rows<AuditRun>(*s, [](const Statement& st) -> Result<AuditRun> {
      AuditRun r;
      r.id = st.Int(0);
      r.submitter_org_id = st.Int(1);
      r.submitter_org = st.Text(2);
      r.actor = st.Text(3);
      r.isp_org_id = st.Int(4);
      r.isp_org = st.Text(5);
      r.label = st.Text(6);
      if (!st.IsNull(7)) r.serial = st.Int(7);
      r.started_at = st.Int(8);
      r.finished_at = st.Int(9);
      r.submitted_at = st.Int(10);
      r.results = st.Int(11);
      r.not_in_force = st.Int(12);
      return r;
    });
  }

  Result<std::vector<VerdictCount>> CountLatestVerdicts(const ComplianceQuery& q) override {
    // ?1 ISP, ?2 order. Per ISP over the view's distinct targets; per ISP and order over its
    // items; per ISP over the targets outside the view (any order).
    static const std::string kInView =
        std::string(kLatestResultsCte) +
        "SELECT l.isp_org_id, 0, 1, l.verdict, COUNT(*) FROM latest l WHERE EXISTS (SELECT 1 "
        "FROM " +
        IspItemsSql() + "WHERE " + std::string(kOfLatest) +
        "AND (?2 = 0 OR o.id = ?2)) GROUP BY l.isp_org_id, l.verdict";
    static const std::string kByOrder =
        std::string(kLatestResultsCte) +
        "SELECT l.isp_org_id, o.id, 1, l.verdict, COUNT(*) FROM latest l JOIN " + IspItemsSql() +
        "WHERE " + std::string(kOfLatest) +
        "AND (?2 = 0 OR o.id = ?2) GROUP BY l.isp_org_id, o.id, l.verdict";
    static const std::string kOutside =
        std::string(kLatestResultsCte) +
        "SELECT l.isp_org_id, 0, 0, l.verdict, COUNT(*) FROM latest l WHERE NOT EXISTS (SELECT 1 "
        "FROM " +
        IspItemsSql() + "WHERE " + std::string(kOfLatest) + ") GROUP BY l.isp_org_id, l.verdict";
    std::vector<VerdictCount> out;
    for (const std::string* sql : {&kInView, &kByOrder, &kOutside}) {
      ASSIGN_OR_RETURN(Statement * s, db_.Prepare(*sql));
      StatementScope scope(*s);
      s->Bind(1, q.isp_org_id);
      if (sql != &kOutside) s->Bind(2, q.order_id);
      ASSIGN_OR_RETURN(std::vector<VerdictCount> rows,
                       Rows<VerdictCount>(*s, [](const Statement& st) -> Result<VerdictCount> {
                         VerdictCount c;
                         c.isp_org_id = st.Int(0);
                         c.order_id = st.Int(1);
                         c.in_view = st.Int(2) != 0;
                         ASSIGN_OR_RETURN(c.verdict, ParseProbeVerdict(st.TextView(3)));
                         c.count = st.Int(4);
                         return c;
                       }));
      out.insert(out.end(), rows.begin(), rows.end());
    }
    return out;
  }

  Result<std::vector<LateItem>> ListLateItems(const ComplianceQuery& q) override {
    // ?1 ISP, ?2 order, ?3 live categories, ?4 live deadline, ?5 default deadline.
    static const std::string kSql =
        std::string(kLatestResultsCte) +
        "SELECT l.isp_org_id, g.name, o.id, o.body, o.reference, t.kind, t.value, " +
        std::string(kItemSinceSql) + ", " + ItemDeadlineSql(3, 4, 5) +
        ", l.measured_at, l.run_id, COALESCE(a.status, '') FROM latest l "
        "JOIN organizations g ON g.id = l.isp_org_id JOIN " +
        IspItemsSql() +
        "LEFT JOIN acknowledgements a ON a.org_id = l.isp_org_id AND a.order_id = o.id "
        "AND a.target_id = t.id WHERE " +
        std::string(kOfLatest) +
        "AND (?2 = 0 OR o.id = ?2) AND l.verdict = 'accessible' AND l.measured_at > " +
        ItemDeadlineSql(3, 4, 5) + " ORDER BY l.isp_org_id, o.id, t.kind, t.value";
    ASSIGN_OR_RETURN(Statement * s, db_.Prepare(kSql));
    StatementScope scope(*s);
    s->Bind(1, q.isp_org_id).Bind(2, q.order_id).Bind(3, std::int64_t{q.live_categories});
    s->Bind(4, q.live_deadline_seconds).Bind(5, q.default_deadline_seconds);
    return Rows<LateItem>(*s, [](const Statement& st) -> Result<LateItem> {
      LateItem i;
      i.isp_org_id = st.Int(0);
      i.isp_org = st.Text(1);
      i.order_id = st.Int(2);
      i.order_body = st.Text(3);
      i.order_reference = st.Text(4);
      ASSIGN_OR_RETURN(i.target, ReadTarget(st, 5));
      i.in_force_since = st.Int(7);
      i.deadline = st.Int(8);
      i.measured_at = st.Int(9);
      i.run_id = st.Int(10);
      i.acknowledged = st.Text(11);
      return i;
    });
  }

  Result<std::int64_t> CountIspViewTargets(Id order_id) override {
    static const std::string kSql =
        "SELECT COUNT(DISTINCT ot.target_id) FROM orders o "
        "JOIN order_targets ot ON ot.order_id = o.id AND ot.lifted_at IS NULL "
        "JOIN targets t ON t.id = ot.target_id "
        "WHERE o.state = 'in-force' AND (o.scope & " +
        std::to_string(Bit(Scope::kIsp)) + ") <> 0 AND " + CarriesSql(Scope::kIsp) +
        " AND (?1 = 0 OR o.id = ?1)";
    ASSIGN_OR_RETURN(Statement * s, db_.Prepare(kSql));
    StatementScope scope(*s);
    s->Bind(1, order_id);
    ASSIGN_OR_RETURN(bool row, s->Step());
    return row ? s->Int(0) : std::int64_t{0};
  }

  Result<std::optional<Acknowledgement>> FindAcknowledgement(Id org_id, Id order_id,
                                                             Id target_id) override {
    static const std::string kSql =
        std::string(kAckSelect) + "WHERE a.org_id = ? AND a.order_id = ? AND a.target_id = ?";
    ASSIGN_OR_RETURN(Statement * s, db_.Prepare(kSql));
    StatementScope scope(*s);
    s->Bind(1, org_id).Bind(2, order_id).Bind(3, target_id);
    return OptionalRow<Acknowledgement>(*s, ReadAcknowledgement);
  }

  Status PutAcknowledgement(const Acknowledgement& a, Id target_id) override {
    RETURN_IF_ERROR(Writable());
    ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare("INSERT INTO acknowledgements (org_id, order_id, target_id, status, reason, "
                    "note, at, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (org_id, order_id, target_id) DO UPDATE SET "
                    "status = excluded.status, reason = excluded.reason, note = excluded.note, "
                    "at = excluded.at, actor = excluded.actor"));
    StatementScope scope(*s);
    s->Bind(1, a.org_id).Bind(2, a.order_id).Bind(3, target_id);
    s->Bind(4, a.processed ? std::string_view("processed") : std::string_view("unprocessed"));
    if (a.reason) {
      s->Bind(5, Name(*a.reason));
    } else {
      s->BindNull(5);
    }
    s->Bind(6, a.note).Bind(7, a.at).Bind(8, a.actor);
    return s->Run();
  }

  Result<std::vector<Acknowledgement>> ListAcknowledgements(Id org_id, Id order_id) override {
    static const std::string kSql = std::string(kAckSelect) +
                                    "WHERE (?1 = 0 OR a.org_id = ?1) AND (?2 = 0 OR a.order_id = "
                                    "?2) ORDER BY a.org_id, a.order_id, t.kind, t.value";
    ASSIGN_OR_RETURN(Statement * s, db_.Prepare(kSql));
    StatementScope scope(*s);
    s->Bind(1, org_id).Bind(2, order_id);
    return Rows<Acknowledgement>(*s, ReadAcknowledgement);
  }

  Result<std::vector<OverdueItem>> ListOverdue(const OverdueQuery& q) override {
    static const std::string kSql = OverdueItemsSql() + "ORDER BY org_id, order_id, tkind, tvalue";
    ASSIGN_OR_RETURN(Statement * s, db_.Prepare(kSql));
    StatementScope scope(*s);
    BindOverdue(*s, q);
    return Rows<OverdueItem>(*s, [](const Statement& st) -> Result<OverdueItem> {
      OverdueItem item;
      item.org_id = st.Int(0);
      item.org_name = st.Text(1);
      ASSIGN_OR_RETURN(item.org_kind, ParseOrgKind(st.TextView(2)));
      item.order_id = st.Int(3);
      item.order_body = st.Text(4);
      item.order_reference = st.Text(5);
      ASSIGN_OR_RETURN(item.target, ReadTarget(st, 6));
      item.in_force_since = st.Int(8);
      item.deadline = st.Int(9);
      if (!st.IsNull(11)) {
        ASSIGN_OR_RETURN(AckReason r, ParseAckReason(st.TextView(11)));
        item.unprocessed_reason = r;
      }
      item.note = st.IsNull(12) ? std::string() : st.Text(12);
      item.acknowledged_at = st.IsNull(13) ? 0 : st.Int(13);
      return item;
    });
  }

  Result<std::vector<OverdueCount>> CountOverdue(const OverdueQuery& q, bool by_order) override {
    static const std::string kByOrg =
        "SELECT org_id, org_name, 0, '', COUNT(*), COUNT(reason) FROM (" + OverdueItemsSql() +
        ") GROUP BY org_id ORDER BY org_id";
    static const std::string kByOrder =
        "SELECT 0, '', order_id, reference, COUNT(*), COUNT(reason) FROM (" + OverdueItemsSql() +
        ") GROUP BY order_id ORDER BY order_id";
    ASSIGN_OR_RETURN(Statement * s, db_.Prepare(by_order ? kByOrder : kByOrg));
    StatementScope scope(*s);
    BindOverdue(*s, q);
    return Rows<OverdueCount>(*s, [](const Statement& st) -> Result<OverdueCount> {
      return OverdueCount{st.Int(0), st.Text(1), st.Int(2), st.Text(3), st.Int(4), st.Int(5)};
    });
  }

 private:
  Status Writable() const {
    if (read_only_) return Status::FailedPrecondition("write attempted in a read transaction");
    return Status::Ok();
  }

  Status Log(Serial serial, Id target_id, Id order_id, std::string_view op) {
    ASSIGN_OR_RETURN(
        Statement * s,
        db_.Prepare(
            "INSERT INTO inforce_log (serial, target_id, order_id, op) VALUES (?, ?, ?, ?)"));
    StatementScope scope(*s);
    s->Bind(1, serial).Bind(2, target_id).Bind(3, order_id).Bind(4, op);
    return s->Run();
  }

  static void BindOverdue(Statement& s, const OverdueQuery& q) {
    s.Bind(1, q.now).Bind(2, q.org_id).Bind(3, q.order_id);
    s.Bind(4, std::int64_t{q.live_categories});
    s.Bind(5, q.live_deadline_seconds).Bind(6, q.default_deadline_seconds);
  }

  Result<std::int64_t> Scalar(std::string_view sql) {
    ASSIGN_OR_RETURN(Statement * s, db_.Prepare(sql));
    StatementScope scope(*s);
    ASSIGN_OR_RETURN(bool row, s->Step());
    return row ? s->Int(0) : std::int64_t{0};
  }

  static Result<InForceEntry> ReadInForce(const Statement& s) {
    InForceEntry e;
    ASSIGN_OR_RETURN(e.target, ReadTarget(s, 0));
    e.order_id = s.Int(2);
    e.body = s.Text(3);
    e.reference = s.Text(4);
    e.in_force = s.Int(5) != 0;
    return e;
  }

  Result<std::vector<HeldChange>> SelectHeldChanges(const char* where, Id id) {
    ASSIGN_OR_RETURN(Statement * s,
                     db_.Prepare(std::string("SELECT id, kind, summary, added, removed, in_force, "
                                             "actor, held_at, COALESCE(confirmed_by, ''), "
                                             "COALESCE(confirmed_at, 0) FROM held_changes ") +
                                 where + " ORDER BY id"));
    StatementScope scope(*s);
    s->Bind(1, id);
    std::vector<HeldChange> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      HeldChange c;
      c.id = s->Int(0);
      c.kind = s->Text(1);
      c.summary = s->Text(2);
      c.added = s->Int(3);
      c.removed = s->Int(4);
      c.in_force = s->Int(5);
      c.actor = s->Text(6);
      c.held_at = s->Int(7);
      c.confirmed_by = s->Text(8);
      c.confirmed_at = s->Int(9);
      out.push_back(std::move(c));
    }
    return out;
  }

  Result<std::vector<std::pair<Id, Target>>> TargetsOfOrder(Id order_id, bool lifted) {
    static const std::string kEnforced =
        "SELECT t.id, t.kind, t.value FROM order_targets ot JOIN targets t ON t.id = ot.target_id "
        "WHERE ot.order_id = ? AND ot.lifted_at IS NULL ORDER BY t.kind, t.value";
    static const std::string kLifted =
        "SELECT t.id, t.kind, t.value FROM order_targets ot JOIN targets t ON t.id = ot.target_id "
        "WHERE ot.order_id = ? AND ot.lifted_at IS NOT NULL ORDER BY t.kind, t.value";
    ASSIGN_OR_RETURN(Statement * s, db_.Prepare(lifted ? kLifted : kEnforced));
    StatementScope scope(*s);
    s->Bind(1, order_id);
    return Rows<std::pair<Id, Target>>(*s,
                                       [](const Statement& st) -> Result<std::pair<Id, Target>> {
                                         ASSIGN_OR_RETURN(Target t, ReadTarget(st, 1));
                                         return std::make_pair(st.Int(0), std::move(t));
                                       });
  }

  // The targets a partly-lifted appeal lifted (the order_targets rows that name it).
  Status LoadLiftedTargets(Appeal* a) {
    if (a->state != AppealState::kPartlyLifted) return Status::Ok();
    ASSIGN_OR_RETURN(Statement * s,
                     db_.Prepare("SELECT t.kind, t.value FROM order_targets ot JOIN targets t ON "
                                 "t.id = ot.target_id WHERE ot.lifted_by_appeal = ? "
                                 "ORDER BY t.kind, t.value"));
    StatementScope scope(*s);
    s->Bind(1, a->id);
    ASSIGN_OR_RETURN(a->lifted_targets,
                     Rows<Target>(*s, [](const Statement& st) { return ReadTarget(st, 0); }));
    return Status::Ok();
  }

  static Result<Appeal> ReadAppeal(const Statement& s) {
    Appeal a;
    a.id = s.Int(0);
    a.order_id = s.Int(1);
    a.order_body = s.Text(2);
    a.order_reference = s.Text(3);
    if (!s.IsNull(4)) {
      ASSIGN_OR_RETURN(Target t, ReadTarget(s, 4));
      a.target = std::move(t);
    }
    ASSIGN_OR_RETURN(a.party, ParseAppealParty(s.TextView(6)));
    a.name = s.Text(7);
    a.contact = s.Text(8);
    a.statement = s.Text(9);
    a.filed_at = s.Int(10);
    ASSIGN_OR_RETURN(a.state, ParseAppealState(s.TextView(11)));
    a.reason = s.Text(12);
    a.decided_by = s.IsNull(13) ? std::string() : s.Text(13);
    a.decided_at = s.IsNull(14) ? 0 : s.Int(14);
    return a;
  }

  static Result<Referral> ReadReferralRow(const Statement& s) {
    Referral r;
    r.id = s.Int(0);
    r.org_id = s.Int(1);
    r.org_name = s.Text(2);
    ASSIGN_OR_RETURN(r.category, ParseCategory(s.TextView(3)));
    ASSIGN_OR_RETURN(r.state, ParseReferralState(s.TextView(4)));
    r.submitted_at = s.Int(5);
    r.updated_at = s.Int(6);
    r.reason = s.Text(7);
    r.order_id = s.Int(8);
    r.target_count = s.Int(9);
    return r;
  }

  Status LoadReferralDetails(Referral* r) {
    ASSIGN_OR_RETURN(
        Statement * t,
        db_.Prepare(
            "SELECT t.kind, t.value, rt.duplicate_of FROM referral_targets rt "
            "JOIN targets t ON t.id = rt.target_id WHERE rt.referral_id = ? ORDER BY rt.position"));
    {
      StatementScope scope(*t);
      t->Bind(1, r->id);
      ASSIGN_OR_RETURN(r->targets,
                       Rows<ReferralTarget>(*t, [](const Statement& st) -> Result<ReferralTarget> {
                         ASSIGN_OR_RETURN(Target target, ReadTarget(st, 0));
                         return ReferralTarget{std::move(target), st.Text(2)};
                       }));
    }
    ASSIGN_OR_RETURN(Statement * e, db_.Prepare("SELECT url, observed_at, sha256, note FROM "
                                                "evidence WHERE referral_id = ? ORDER BY id"));
    StatementScope scope(*e);
    e->Bind(1, r->id);
    ASSIGN_OR_RETURN(r->evidence, Rows<Evidence>(*e, [](const Statement& st) -> Result<Evidence> {
                       return Evidence{st.Text(0), st.Int(1), st.Text(2), st.Text(3)};
                     }));
    return Status::Ok();
  }

  template <typename T, typename F>
  static Result<std::vector<T>> Rows(Statement& s, F read) {
    std::vector<T> out;
    for (;;) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return out;
      ASSIGN_OR_RETURN(T v, read(s));
      out.push_back(std::move(v));
    }
  }

  template <typename T, typename F>
  static Result<std::optional<T>> OptionalRow(Statement& s, F read) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<T>();
    ASSIGN_OR_RETURN(T v, read(s));
    return std::optional<T>(std::move(v));
  }

  Database& db_;
  bool read_only_;
};

// Connection setup shared by the writer and the readers.
Status Configure(Database& db, const SqliteOptions& options, int cache_kib) {
  Status st = db.Exec("PRAGMA busy_timeout = " + std::to_string(options.busy_timeout_ms));
  if (st.ok()) st = db.Exec("PRAGMA foreign_keys = ON");
  if (st.ok()) st = db.Exec("PRAGMA temp_store = MEMORY");
  if (st.ok()) st = db.Exec("PRAGMA cache_size = -" + std::to_string(cache_kib));
  return st;
}

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<Database> db, std::string path, const SqliteOptions& options)
      : db_(std::move(db)), path_(std::move(path)), options_(options) {
    reader_count_ = static_cast<std::size_t>(std::max(options_.readers, 0));
    if (reader_count_ > 0) readers_ = std::make_unique<Reader[]>(reader_count_);
  }

  Status Migrate() {
    std::lock_guard lock(mu_);
    RETURN_IF_ERROR(
        db_->Exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                  "description TEXT NOT NULL, applied_at INTEGER NOT NULL)"));
    for (const Migration& m : SqliteMigrations()) {
      RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
      Status st = ApplyIfNew(m);
      if (!st.ok()) {
        (void)db_->Exec("ROLLBACK");
        return st.Prefixed("schema migration " + std::to_string(m.version));
      }
      RETURN_IF_ERROR(db_->Exec("COMMIT"));
    }
    return Status::Ok();
  }

  Status Transact(const std::function<Status(Transaction&)>& fn) override {
    std::lock_guard lock(mu_);
    return Run(*db_, fn, /*read_only=*/false);
  }

  // On a reader connection when one is free (WAL: a reader sees the last commit and never waits
  // for the writer); on the writer's connection when there are no readers.
  Status Read(const std::function<Status(Transaction&)>& fn) override {
    if (reader_count_ == 0) {
      std::lock_guard lock(mu_);
      return Run(*db_, fn, /*read_only=*/true);
    }
    Reader& reader = readers_[next_reader_.fetch_add(1, std::memory_order_relaxed) % reader_count_];
    std::lock_guard lock(reader.mu);
    if (reader.db == nullptr) {
      Result<std::unique_ptr<Database>> db = Database::Open(path_, /*create=*/false);
      Status st = db.ok() ? Configure(**db, options_, options_.reader_cache_kib) : db.status();
      if (st.ok()) st = (*db)->Exec("PRAGMA query_only = ON");
      if (!st.ok()) return st.Prefixed(path_ + ": opening a reader connection");
      reader.db = std::move(*db);
    }
    return Run(*reader.db, fn, /*read_only=*/true);
  }

 private:
  Status ApplyIfNew(const Migration& m) {
    ASSIGN_OR_RETURN(Statement * s,
                     db_->Prepare("SELECT COUNT(*) FROM schema_migrations WHERE version = ?"));
    {
      StatementScope scope(*s);
      s->Bind(1, std::int64_t{m.version});
      ASSIGN_OR_RETURN(bool row, s->Step());
      if (row && s->Int(0) > 0) return Status::Ok();
    }
    RETURN_IF_ERROR(db_->Exec(m.sql));
    ASSIGN_OR_RETURN(
        Statement * ins,
        db_->Prepare("INSERT INTO schema_migrations (version, description, applied_at) "
                     "VALUES (?, ?, CAST(strftime('%s','now') AS INTEGER))"));
    StatementScope scope(*ins);
    ins->Bind(1, std::int64_t{m.version}).Bind(2, m.description);
    return ins->Run();
  }

  // The caller holds the connection's mutex.
  static Status Run(Database& db, const std::function<Status(Transaction&)>& fn, bool read_only) {
    RETURN_IF_ERROR(db.Exec(read_only ? "BEGIN DEFERRED" : "BEGIN IMMEDIATE"));
    SqliteTransaction tx(db, read_only);
    Status st;
    try {
      st = fn(tx);
    } catch (...) {
      (void)db.Exec("ROLLBACK");
      throw;
    }
    if (!st.ok() || read_only) {
      (void)db.Exec("ROLLBACK");
      return st;
    }
    Status commit = db.Exec("COMMIT");
    if (!commit.ok()) {
      (void)db.Exec("ROLLBACK");
      return commit.Prefixed("commit");
    }
    return Status::Ok();
  }

  // A read-only connection, opened on first use.
  struct Reader {
    std::mutex mu;
    std::unique_ptr<Database> db;  // guarded by mu
  };

  std::mutex mu_;                 // the writer's connection
  std::unique_ptr<Database> db_;  // guarded by mu_
  const std::string path_;
  const SqliteOptions options_;
  std::size_t reader_count_ = 0;
  std::unique_ptr<Reader[]> readers_;  // reader_count_ of them, made in the constructor
  std::atomic<std::size_t> next_reader_{0};
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const SqliteOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<Database> db, Database::Open(path, options.create));
  // 16 KiB pages (takes effect when the file is created): a bulk import writes a quarter of the
  // syscalls of 4 KiB pages, and index lookups descend fewer levels. A bulk import touches
  // every index of a million-row registry in one transaction; with SQLite's default 2 MB page
  // cache it spills to the WAL and reads pages back all the time (options.cache_kib).
  Status st = db->Exec("PRAGMA page_size = 16384");
  if (st.ok()) st = db->Exec("PRAGMA journal_mode = WAL");
  if (st.ok()) st = db->Exec("PRAGMA synchronous = FULL");
  if (st.ok()) st = Configure(*db, options, options.cache_kib);
  if (!st.ok()) return st.Prefixed(path);
  // An in-memory database is private to its connection: no readers beside it.
  SqliteOptions effective = options;
  if (path.empty() || path == ":memory:" || path.starts_with("file:")) effective.readers = 0;
  auto store = std::make_unique<SqliteStore>(std::move(db), path, effective);
  RETURN_IF_ERROR(store->Migrate().Prefixed(path));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace interdict
