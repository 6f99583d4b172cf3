#include "store/schema.h"

#include <array>

namespace interdict {
namespace {

// Version 1: the registry core. Names of kinds and states are stored as text (the same names
// as in the CLI and JSON) so that the database is readable by an auditor with sqlite3.
// Allowed values are checked with OR chains, not IN lists: SQLite builds a temporary table for
// an IN list of three or more values on every insert, which cost a third of a bulk import.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE organizations (
  id          INTEGER PRIMARY KEY,
  kind        TEXT NOT NULL CHECK (kind = 'authority' OR kind = 'rightsholder' OR kind = 'isp' OR kind = 'search' OR kind = 'appstore' OR kind = 'vpn' OR kind = 'auditor'),
  name        TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
  created_at  INTEGER NOT NULL
);

CREATE TABLE targets (
  id     INTEGER PRIMARY KEY,
  kind   TEXT NOT NULL CHECK (kind = 'domain' OR kind = 'domain-tree' OR kind = 'url' OR kind = 'ip' OR kind = 'cidr' OR kind = 'app' OR kind = 'search'),
  value  TEXT NOT NULL CHECK (length(value) > 0),
  UNIQUE (kind, value)
);

CREATE TABLE orders (
  id            INTEGER PRIMARY KEY,
  body          TEXT NOT NULL CHECK (length(body) > 0),
  kind          TEXT NOT NULL CHECK (kind = 'court-ruling' OR kind = 'administrative-decision' OR kind = 'precautionary-measure'),
  reference     TEXT NOT NULL CHECK (length(reference) > 0),
  issued_at     INTEGER NOT NULL,
  effective_at  INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL,
  scope         INTEGER NOT NULL CHECK (scope > 0),
  categories    INTEGER NOT NULL,
  dynamic       INTEGER NOT NULL CHECK (dynamic IN (0, 1)),
  state         TEXT NOT NULL CHECK (state = 'pending' OR state = 'in-force' OR state = 'suspended' OR state = 'lifted' OR state = 'expired'),
  state_reason  TEXT NOT NULL DEFAULT '',
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  UNIQUE (reference, body, issued_at),  -- reference first: it also serves lookups by reference
  CHECK (effective_at >= issued_at),
  CHECK (expires_at > effective_at)
);
CREATE INDEX orders_by_state ON orders (state, expires_at);

CREATE TABLE referrals (
  id            INTEGER PRIMARY KEY,
  org_id        INTEGER NOT NULL REFERENCES organizations (id),
  category      TEXT NOT NULL,
  state         TEXT NOT NULL CHECK (state = 'submitted' OR state = 'withdrawn' OR state = 'under-review' OR state = 'approved' OR state = 'rejected'),
  submitted_at  INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  reason        TEXT NOT NULL DEFAULT '',
  order_id      INTEGER REFERENCES orders (id),
  CHECK ((state = 'approved') = (order_id IS NOT NULL))
);
CREATE INDEX referrals_by_state ON referrals (state);

CREATE TABLE referral_targets (
  referral_id   INTEGER NOT NULL REFERENCES referrals (id),
  target_id     INTEGER NOT NULL REFERENCES targets (id),
  position      INTEGER NOT NULL,
  duplicate_of  TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (referral_id, target_id)
) WITHOUT ROWID;
CREATE INDEX referral_targets_by_target ON referral_targets (target_id);

CREATE TABLE evidence (
  id           INTEGER PRIMARY KEY,
  referral_id  INTEGER NOT NULL REFERENCES referrals (id),
  url          TEXT NOT NULL,
  observed_at  INTEGER NOT NULL,
  sha256       TEXT NOT NULL CHECK (length(sha256) = 64),
  note         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX evidence_by_referral ON evidence (referral_id);

CREATE TABLE order_targets (
  order_id     INTEGER NOT NULL REFERENCES orders (id),
  target_id    INTEGER NOT NULL REFERENCES targets (id),
  added_at     INTEGER NOT NULL,
  referral_id  INTEGER REFERENCES referrals (id),
  PRIMARY KEY (order_id, target_id)
) WITHOUT ROWID;
CREATE INDEX order_targets_by_target ON order_targets (target_id);

-- Serial n is allocated by the step that changed the in-force set for the n-th time.
CREATE TABLE serials (
  serial   INTEGER PRIMARY KEY,
  at       INTEGER NOT NULL,
  actor    TEXT NOT NULL,
  summary  TEXT NOT NULL
);

-- The in-force set is not stored: it is the targets of in-force orders (order_targets joined
-- with orders in state 'in-force'). What is stored is every change to it, by serial: the deltas
-- feeds are built from. Its rows are written in the same transaction as the order_targets row
-- or order state they follow from, so target_id and order_id need no separate foreign keys.
CREATE TABLE inforce_log (
  serial     INTEGER NOT NULL REFERENCES serials (serial),
  target_id  INTEGER NOT NULL,
  order_id   INTEGER NOT NULL,
  op         TEXT NOT NULL CHECK (op IN ('add','remove')),
  PRIMARY KEY (serial, target_id, order_id)
) WITHOUT ROWID;

CREATE TABLE audit (
  id         INTEGER PRIMARY KEY,
  at         INTEGER NOT NULL,
  actor      TEXT NOT NULL CHECK (length(actor) > 0),
  action     TEXT NOT NULL,
  entity     TEXT NOT NULL,
  entity_id  INTEGER,
  reason     TEXT NOT NULL DEFAULT '',
  detail     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_by_entity ON audit (entity, entity_id);

-- Append-only tables refuse updates and deletes, whoever asks.
CREATE TRIGGER audit_append_only_u BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_append_only_d BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER serials_append_only_u BEFORE UPDATE ON serials
  BEGIN SELECT RAISE(ABORT, 'serials are append-only'); END;
CREATE TRIGGER serials_append_only_d BEFORE DELETE ON serials
  BEGIN SELECT RAISE(ABORT, 'serials are append-only'); END;
CREATE TRIGGER inforce_log_append_only_u BEFORE UPDATE ON inforce_log
  BEGIN SELECT RAISE(ABORT, 'the in-force log is append-only'); END;
CREATE TRIGGER inforce_log_append_only_d BEFORE DELETE ON inforce_log
  BEGIN SELECT RAISE(ABORT, 'the in-force log is append-only'); END;
-- A serial can only be the next one.
CREATE TRIGGER serials_increase BEFORE INSERT ON serials
  WHEN NEW.serial <> COALESCE((SELECT MAX(serial) FROM serials), 0) + 1
  BEGIN SELECT RAISE(ABORT, 'serials must increase by one'); END;
)sql";

// A random identity for this registry, so that artifacts derived from it (compiled matcher
// snapshots) are never mistaken for another registry's at the same serial.
constexpr const char* kV2 = R"sql(
CREATE TABLE registry_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO registry_meta (key, value) VALUES ('registry_id', lower(hex(randomblob(16))));
)sql";

// Version 3: access tokens for the API, and intermediaries' acknowledgements of the items of
// their views. A token is stored as the SHA-256 of its secret (32 bytes), never the secret.
// An acknowledgement row is the latest one for its (organization, order, target); each one is
// also in the audit trail.
constexpr std::string_view kV3 = R"sql(
CREATE TABLE api_tokens (
  id          INTEGER PRIMARY KEY,
  org_id      INTEGER NOT NULL REFERENCES organizations (id),
  role        TEXT NOT NULL CHECK (role = 'authority-admin' OR role = 'authority-reviewer' OR role = 'rightsholder' OR role = 'isp' OR role = 'search' OR role = 'appstore' OR role = 'vpn' OR role = 'auditor'),
  hash        BLOB NOT NULL UNIQUE CHECK (typeof(hash) = 'blob' AND length(hash) = 32),
  label       TEXT NOT NULL DEFAULT '' CHECK (length(label) <= 200),
  created_at  INTEGER NOT NULL,
  created_by  TEXT NOT NULL CHECK (length(created_by) > 0),
  revoked_at  INTEGER,
  CHECK (revoked_at IS NULL OR revoked_at >= created_at)
);
CREATE INDEX api_tokens_by_org ON api_tokens (org_id);

CREATE TABLE acknowledgements (
  org_id     INTEGER NOT NULL REFERENCES organizations (id),
  order_id   INTEGER NOT NULL REFERENCES orders (id),
  target_id  INTEGER NOT NULL REFERENCES targets (id),
  status     TEXT NOT NULL CHECK (status = 'processed' OR status = 'unprocessed'),
  reason     TEXT CHECK (reason IS NULL OR reason = 'already-blocked' OR reason = 'not-applicable' OR reason = 'technical-error'),
  note       TEXT NOT NULL DEFAULT '',
  at         INTEGER NOT NULL,
  actor      TEXT NOT NULL CHECK (length(actor) > 0),
  PRIMARY KEY (org_id, order_id, target_id),
  CHECK ((status = 'unprocessed') = (reason IS NOT NULL))
) WITHOUT ROWID;
CREATE INDEX acknowledgements_by_order ON acknowledgements (order_id);
)sql";

// Version 4: the transparency log (registry/transparency.h). Entries are numbered from 0
// without gaps; translog_nodes keeps the hash of every complete subtree so that a root is read,
// not recomputed; translog_heads keeps the signed tree heads. All three refuse changes.
constexpr std::string_view kV4 = R"sql(
CREATE TABLE translog (
  idx    INTEGER PRIMARY KEY CHECK (idx >= 0),
  at     INTEGER NOT NULL,
  event  TEXT NOT NULL,
  hash   BLOB NOT NULL CHECK (typeof(hash) = 'blob' AND length(hash) = 32)
);
CREATE TABLE translog_nodes (
  level  INTEGER NOT NULL CHECK (level >= 0 AND level < 64),
  idx    INTEGER NOT NULL CHECK (idx >= 0),
  hash   BLOB NOT NULL CHECK (typeof(hash) = 'blob' AND length(hash) = 32),
  PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE translog_heads (
  size          INTEGER PRIMARY KEY CHECK (size >= 0),
  root          BLOB NOT NULL CHECK (typeof(root) = 'blob' AND length(root) = 32),
  timestamp_ms  INTEGER NOT NULL,
  key_id        TEXT NOT NULL CHECK (length(key_id) = 16),
  signature     BLOB NOT NULL CHECK (typeof(signature) = 'blob' AND length(signature) = 64)
);
CREATE TRIGGER translog_append_only_u BEFORE UPDATE ON translog
  BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
CREATE TRIGGER translog_append_only_d BEFORE DELETE ON translog
  BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
CREATE TRIGGER translog_next BEFORE INSERT ON translog
  WHEN NEW.idx <> COALESCE((SELECT MAX(idx) FROM translog), -1) + 1
  BEGIN SELECT RAISE(ABORT, 'transparency log entries must be numbered without gaps'); END;
CREATE TRIGGER translog_nodes_append_only_u BEFORE UPDATE ON translog_nodes
  BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
CREATE TRIGGER translog_nodes_append_only_d BEFORE DELETE ON translog_nodes
  BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
CREATE TRIGGER translog_heads_append_only_u BEFORE UPDATE ON translog_heads
  BEGIN SELECT RAISE(ABORT, 'tree heads are append-only'); END;
CREATE TRIGGER translog_heads_append_only_d BEFORE DELETE ON translog_heads
  BEGIN SELECT RAISE(ABORT, 'tree heads are append-only'); END;
)sql";

// Version 5: the collateral-damage guard's data sets, kept as imported (src/guard parses them
// on load), and the overrides authority admins record for flagged targets (public, and never
// changed).
constexpr std::string_view kV5 = R"sql(
CREATE TABLE guard_sets (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  kind         TEXT NOT NULL CHECK (kind = 'ranges' OR kind = 'pdns' OR kind = 'whitelist' OR kind = 'prefix-asn' OR kind = 'popular'),
  name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  source       TEXT NOT NULL,
  imported_at  INTEGER NOT NULL,
  actor        TEXT NOT NULL CHECK (length(actor) > 0),
  content      TEXT NOT NULL,
  UNIQUE (kind, name)
);
CREATE TABLE guard_overrides (
  id            INTEGER PRIMARY KEY,
  target_kind   TEXT NOT NULL,
  target_value  TEXT NOT NULL,
  findings      TEXT NOT NULL,
  reason        TEXT NOT NULL CHECK (length(reason) > 0),
  actor         TEXT NOT NULL CHECK (length(actor) > 0),
  at            INTEGER NOT NULL
);
CREATE INDEX guard_overrides_by_target ON guard_overrides (target_kind, target_value);
CREATE TRIGGER guard_overrides_append_only_u BEFORE UPDATE ON guard_overrides
  BEGIN SELECT RAISE(ABORT, 'overrides are append-only'); END;
CREATE TRIGGER guard_overrides_append_only_d BEFORE DELETE ON guard_overrides
  BEGIN SELECT RAISE(ABORT, 'overrides are append-only'); END;
)sql";

// Version 6: appeals. An affected party appeals an order, or one target of it (target_id), and
// the authority decides: upheld, lifted (the whole order, through its state) or partly-lifted
// (some targets). A target lifted on appeal stays attached to its order, marked with the time
// and the appeal (order_targets.lifted_at, lifted_by_appeal): the in-force set leaves it out,
// and attaching it to that order again (an import, a mirror) finds it attached and changes
// nothing. The targets an appeal lifted are the order_targets rows that name it. A decided
// appeal and a lifted pair are final: triggers refuse changing them, and appeals are never
// deleted. Lengths are in bytes.
constexpr std::string_view kV6 = R"sql(
CREATE TABLE appeals (
  id          INTEGER PRIMARY KEY,
  order_id    INTEGER NOT NULL REFERENCES orders (id),
  target_id   INTEGER REFERENCES targets (id),  -- NULL: the whole order
  party       TEXT NOT NULL CHECK (party = 'operator' OR party = 'host' OR party = 'collateral' OR party = 'other'),
  name        TEXT NOT NULL CHECK (length(CAST(name AS BLOB)) BETWEEN 1 AND 200),
  contact     TEXT NOT NULL CHECK (length(CAST(contact AS BLOB)) BETWEEN 3 AND 2000),
  statement   TEXT NOT NULL CHECK (length(CAST(statement AS BLOB)) BETWEEN 1 AND 10000),
  filed_at    INTEGER NOT NULL,
  state       TEXT NOT NULL DEFAULT 'filed' CHECK (state = 'filed' OR state = 'upheld' OR state = 'lifted' OR state = 'partly-lifted'),
  reason      TEXT NOT NULL DEFAULT '' CHECK (length(CAST(reason AS BLOB)) <= 4000),
  decided_by  TEXT,
  decided_at  INTEGER,
  CHECK ((state = 'filed') = (decided_at IS NULL)),
  CHECK ((decided_at IS NULL) = (decided_by IS NULL)),
  CHECK (decided_by IS NULL OR length(decided_by) > 0),
  CHECK (decided_at IS NULL OR decided_at >= filed_at),
  CHECK (state = 'filed' OR length(reason) > 0)
);
CREATE INDEX appeals_by_order ON appeals (order_id);

CREATE TRIGGER appeals_decided_final BEFORE UPDATE ON appeals WHEN OLD.state <> 'filed'
  BEGIN SELECT RAISE(ABORT, 'a decided appeal is final'); END;
CREATE TRIGGER appeals_kept BEFORE DELETE ON appeals
  BEGIN SELECT RAISE(ABORT, 'appeals are never deleted'); END;

ALTER TABLE order_targets ADD COLUMN lifted_at INTEGER;
ALTER TABLE order_targets ADD COLUMN lifted_by_appeal INTEGER REFERENCES appeals (id)
  CHECK ((lifted_at IS NULL) = (lifted_by_appeal IS NULL));
CREATE INDEX order_targets_by_appeal ON order_targets (lifted_by_appeal)
  WHERE lifted_by_appeal IS NOT NULL;
CREATE TRIGGER order_targets_lift_final BEFORE UPDATE OF lifted_at, lifted_by_appeal ON order_targets
  WHEN OLD.lifted_at IS NOT NULL
  BEGIN SELECT RAISE(ABORT, 'a target lifted on appeal stays lifted'); END;
)sql";

// Version 7: bounds on changes, and the age of address targets.
// held_changes: a change that would move the in-force set by more than the registry's bounds is
// not applied; it is recorded here, and applies when an authority admin repeats it with the
// held change's id (confirmed_by, confirmed_at: final once set). What identifies the change is
// its kind, its summary and how many pairs it moves in and out.
// order_targets is rebuilt: a pair is lifted on appeal (lifted_by_appeal) or lapsed (an address
// target not re-confirmed within the registry's maximum age), and confirmed_at is when its
// authority last confirmed it (NULL: when it was added).
constexpr std::string_view kV7 = R"sql(
CREATE TABLE held_changes (
  id            INTEGER PRIMARY KEY,
  kind          TEXT NOT NULL CHECK (length(kind) > 0),
  summary       TEXT NOT NULL,
  added         INTEGER NOT NULL CHECK (added >= 0),
  removed       INTEGER NOT NULL CHECK (removed >= 0),
  in_force      INTEGER NOT NULL CHECK (in_force >= 0),
  actor         TEXT NOT NULL CHECK (length(actor) > 0),
  held_at       INTEGER NOT NULL,
  confirmed_by  TEXT,
  confirmed_at  INTEGER,
  CHECK ((confirmed_by IS NULL) = (confirmed_at IS NULL)),
  CHECK (confirmed_by IS NULL OR length(confirmed_by) > 0)
);
CREATE TRIGGER held_changes_confirmed_final BEFORE UPDATE ON held_changes
  WHEN OLD.confirmed_at IS NOT NULL OR NEW.kind <> OLD.kind OR NEW.summary <> OLD.summary
    OR NEW.added <> OLD.added OR NEW.removed <> OLD.removed OR NEW.actor <> OLD.actor
    OR NEW.held_at <> OLD.held_at OR NEW.in_force <> OLD.in_force
  BEGIN SELECT RAISE(ABORT, 'a held change only gets its confirmation, once'); END;
CREATE TRIGGER held_changes_kept BEFORE DELETE ON held_changes
  BEGIN SELECT RAISE(ABORT, 'held changes are never deleted'); END;

CREATE TABLE order_targets_v7 (
  order_id          INTEGER NOT NULL REFERENCES orders (id),
  target_id         INTEGER NOT NULL REFERENCES targets (id),
  added_at          INTEGER NOT NULL,
  referral_id       INTEGER REFERENCES referrals (id),
  lifted_at         INTEGER,
  lifted_by_appeal  INTEGER REFERENCES appeals (id),
  lapsed            INTEGER NOT NULL DEFAULT 0 CHECK (lapsed = 0 OR lapsed = 1),
  confirmed_at      INTEGER,
  CHECK ((lifted_at IS NULL) = (lifted_by_appeal IS NULL AND lapsed = 0)),
  CHECK (lifted_by_appeal IS NULL OR lapsed = 0),
  PRIMARY KEY (order_id, target_id)
) WITHOUT ROWID;
INSERT INTO order_targets_v7 (order_id, target_id, added_at, referral_id, lifted_at,
                              lifted_by_appeal)
  SELECT order_id, target_id, added_at, referral_id, lifted_at, lifted_by_appeal
  FROM order_targets;
DROP TABLE order_targets;
ALTER TABLE order_targets_v7 RENAME TO order_targets;
CREATE INDEX order_targets_by_target ON order_targets (target_id);
CREATE INDEX order_targets_by_appeal ON order_targets (lifted_by_appeal)
  WHERE lifted_by_appeal IS NOT NULL;
CREATE TRIGGER order_targets_lift_final
  BEFORE UPDATE OF lifted_at, lifted_by_appeal, lapsed ON order_targets
  WHEN OLD.lifted_at IS NOT NULL
  BEGIN SELECT RAISE(ABORT, 'a lifted or lapsed target stays lifted'); END;
)sql";

// Version 8: compliance probes' results (issue 7). A run is what one probe submitted at once:
// who (the submitting organization, NULL for the command line, and the actor), the ISP
// organization whose network it measured, where it ran (label), the feed serial its targets came
// from, and when. A result is one target's verdict; isp_org_id repeats its run's ISP, copied by
// the insert from the run, so that "the latest result per (ISP, target)" is one index range
// (audit_results_latest). Targets are kept as text, not as `targets` rows: a probe may measure
// what no order names (any longer). Both tables only grow, like `audit`.
constexpr std::string_view kV8 = R"sql(
CREATE TABLE audit_runs (
  id                INTEGER PRIMARY KEY,
  submitter_org_id  INTEGER REFERENCES organizations (id),
  actor             TEXT NOT NULL CHECK (length(actor) > 0),
  isp_org_id        INTEGER NOT NULL REFERENCES organizations (id),
  label             TEXT NOT NULL DEFAULT '' CHECK (length(CAST(label AS BLOB)) <= 200),
  serial            INTEGER CHECK (serial IS NULL OR serial >= 0),
  started_at        INTEGER NOT NULL,
  finished_at       INTEGER NOT NULL,
  submitted_at      INTEGER NOT NULL,
  CHECK (finished_at >= started_at)
);
CREATE INDEX audit_runs_by_isp ON audit_runs (isp_org_id, id);

CREATE TABLE audit_results (
  id            INTEGER PRIMARY KEY,
  run_id        INTEGER NOT NULL REFERENCES audit_runs (id),
  isp_org_id    INTEGER NOT NULL REFERENCES organizations (id),
  target_kind   TEXT NOT NULL CHECK (target_kind = 'domain' OR target_kind = 'domain-tree' OR target_kind = 'url' OR target_kind = 'ip' OR target_kind = 'cidr' OR target_kind = 'app' OR target_kind = 'search'),
  target_value  TEXT NOT NULL CHECK (length(target_value) > 0),
  verdict       TEXT NOT NULL CHECK (verdict = 'blocked-dns' OR verdict = 'blocked-ip' OR verdict = 'blocked-sni' OR verdict = 'blocked-http' OR verdict = 'accessible' OR verdict = 'down' OR verdict = 'inconclusive'),
  measured_at   INTEGER NOT NULL,
  evidence      TEXT NOT NULL DEFAULT '{}' CHECK (length(CAST(evidence AS BLOB)) <= 4096),
  in_force      INTEGER NOT NULL CHECK (in_force IN (0, 1))
);
CREATE INDEX audit_results_by_run ON audit_results (run_id);
CREATE INDEX audit_results_latest
  ON audit_results (isp_org_id, target_kind, target_value, measured_at, id);

CREATE TRIGGER audit_runs_append_only_u BEFORE UPDATE ON audit_runs
  BEGIN SELECT RAISE(ABORT, 'audit runs are append-only'); END;
CREATE TRIGGER audit_runs_append_only_d BEFORE DELETE ON audit_runs
  BEGIN SELECT RAISE(ABORT, 'audit runs are append-only'); END;
CREATE TRIGGER audit_results_append_only_u BEFORE UPDATE ON audit_results
  BEGIN SELECT RAISE(ABORT, 'audit results are append-only'); END;
CREATE TRIGGER audit_results_append_only_d BEFORE DELETE ON audit_results
  BEGIN SELECT RAISE(ABORT, 'audit results are append-only'); END;
)sql";

constexpr std::array<Migration, 8> kMigrations = {{
    {1, "registry core: organizations, targets, orders, referrals, in-force set, audit", kV1},
    {2, "registry identity", kV2},
    {3, "access tokens and acknowledgements", kV3},
    {4, "transparency log", kV4},
    {5, "collateral-damage guard: data sets and overrides", kV5},
    {6, "appeals, and targets lifted on appeal", kV6},
    {7, "held changes; lapsed and re-confirmed order targets", kV7},
    {8, "compliance probes: audit runs and their results", kV8},
}};

}  // namespace

std::span<const Migration> SqliteMigrations() {
  return kMigrations;
}

}  // namespace interdict
