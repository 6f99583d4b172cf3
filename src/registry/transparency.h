// The registry's transparency log: every order event (issue, targets added, lift, suspension,
// resumption, activation, expiry, renewal) is appended, in the transaction that makes it, as
// one entry of an RFC 9162 Merkle tree (src/translog), so that anyone holding a signed tree head
// can check that an order they were shown is in the log, that a later head extends an earlier
// one, and that the register has not been edited behind the log's back.
//
// An entry's bytes (the leaf data) are one JSON object, written once and never re-encoded:
//
//   {"v":1,"event":"order.create","at":"2026-11-23T10:00:00Z","actor":"cli:ana",
//    "order":{"id":5,"body":"...","reference":"...","kind":"court-ruling",
//             "issued":"...","effective":"...","expires":"...","scope":["isp"],
//             "categories":["torrent"],"dynamic":false,"state":"in-force"},
//    "targets":["domain-tree:pirate.example", ...],"reason":"..."}
//
// Other events carry "order" as {"id","body","reference"} plus what changed: "targets" (the
// targets newly attached, order.add-targets), "state" (the order's state after the event),
// "expires" (order.renew), "lifted" (the targets lifted on appeal, order.lift-targets). Each
// transaction that appends entries stores the hashes of the complete subtrees it finishes (so a
// root costs log2(n) reads) and, when the registry has a log key, a signed tree head of the new
// size.
//
// Thread-safety: LogAppender is used by one thread inside one transaction; the functions are
// reentrant.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "io/order_record.h"
#include "model/target.h"
#include "model/types.h"
#include "store/store.h"
#include "translog/merkle.h"
#include "translog/tree_head.h"

namespace interdict {

// Appends entries inside one transaction; Close writes the signed head.
class LogAppender {
 public:
  // `key` may be null: the entries are appended, and the head is signed later (SignLogHead).
  LogAppender(Transaction& tx, UnixTime now, std::string_view actor, const SecretKey* key);

  // An order was issued with these targets.
  Status OrderCreated(const Order& order, std::span<const Target> targets, std::string_view reason);
  // Targets newly attached to an order (nothing is appended for none).
  Status TargetsAdded(const Order& order, std::span<const Target> targets, std::string_view reason);
  // The order's state changed (lift, suspend, resume, activate, expire): `event` names it.
  Status StateChanged(const Order& order, std::string_view event, std::string_view reason);
  Status Renewed(const Order& order, std::string_view reason);
  // Targets lifted from an order on appeal (they stay attached, no longer enforced).
  Status TargetsLifted(const Order& order, std::span<const Target> targets,
                       std::string_view reason);
  // An authority admin overrode the collateral-damage guard for a target.
  Status GuardOverridden(const GuardOverride& override_);

  // When entries were appended and a key is set: a signed head of the new size.
  Status Close();

 private:
  Status Append(const std::string& event);

  Transaction& tx_;
  UnixTime now_;
  std::string actor_;
  const SecretKey* key_;
  std::optional<std::uint64_t> size_;  // read on the first append
  bool appended_ = false;
};

// The root of the log's first `size` entries, from the stored subtree hashes.
Result<translog::Hash> StoredLogRoot(Transaction& tx, std::uint64_t size);

// Signs the log at its current size unless a head of that size is stored; returns the newest
// head. Heads are never signed twice for one size.
Result<StoredTreeHead> SignLogHead(Transaction& tx, const SecretKey& key, std::int64_t now_ms);

// translog forms of a stored head, and back.
translog::SignedTreeHead ToSignedTreeHead(const StoredTreeHead& head);

// What `interdict log verify` found. `problems` is empty when everything holds; otherwise each
// names the entry, head or order at fault.
struct LogVerification {
  std::uint64_t entries = 0;
  std::uint64_t heads_checked = 0;
  std::uint64_t orders_checked = 0;
  std::uint64_t export_orders_checked = 0;
  std::vector<std::string> problems;
};

// Checks, in one read transaction:
//   - the entries are numbered 0..n-1 and each hash is the leaf hash of its bytes;
//   - every stored head's root is the root of the entries (and its signature holds under `key`,
//     when given);
//   - the register agrees with the log: every order and every attached target is recorded, and
//     each order's fields, expiry and state are those of its latest entry;
//   - with `exported`, every order of the export (interdict export --format json) is an order of
//     the log, in force by the log, with exactly the targets the log attached to it.
Result<LogVerification> VerifyLog(Store& store, const PublicKey* key,
                                  const std::vector<OrderRecord>* exported);

}  // namespace interdict
