#include "registry/transparency.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cstring>
#include <map>
#include <set>
#include <utility>

#include "registry/registry.h"

namespace interdict {
namespace {

namespace json = boost::json;
using translog::Hash;

std::string Raw(const Hash& h) {
  return {reinterpret_cast<const char*>(h.data()), h.size()};
}

std::optional<Hash> FromRaw(std::string_view bytes) {
  if (bytes.size() != std::tuple_size_v<Hash>) return std::nullopt;
  Hash h{};
  std::memcpy(h.data(), bytes.data(), h.size());
  return h;
}

json::array Names(std::string_view comma_separated) {
  json::array out;
  while (!comma_separated.empty()) {
    const std::size_t comma = comma_separated.find(',');
    const std::string_view name = comma_separated.substr(0, comma);
    if (!name.empty()) out.emplace_back(name);
    if (comma == std::string_view::npos) break;
    comma_separated.remove_prefix(comma + 1);
  }
  return out;
}

json::array TargetArray(std::span<const Target> targets) {
  json::array out;
  out.reserve(targets.size());
  for (const Target& t : targets) out.emplace_back(t.ToString());
  return out;
}

// The order as an entry names it: its id and the fields that identify it.
json::object OrderRef(const Order& o) {
  return {{"id", o.id}, {"body", o.body}, {"reference", o.reference}};
}

}  // namespace

LogAppender::LogAppender(Transaction& tx, UnixTime now, std::string_view actor,
                         const SecretKey* key)
    : tx_(tx), now_(now), actor_(actor), key_(key) {}

Status LogAppender::Append(const std::string& event) {
  if (!size_) {
    ASSIGN_OR_RETURN(std::uint64_t n, tx_.LogSize());
    size_ = n;
  }
  const std::uint64_t index = *size_;
  Hash node = translog::LeafHash(event);
  RETURN_IF_ERROR(tx_.AppendLogEntry({index, now_, event, Raw(node)}));
  RETURN_IF_ERROR(tx_.PutLogNode(0, index, Raw(node)));
  // Every complete subtree this leaf finishes: while the node is a right child, hash it with its
  // left sibling into their parent.
  std::uint64_t at = index;
  for (int level = 0; (at & 1) == 1; ++level) {
    ASSIGN_OR_RETURN(std::optional<std::string> left_raw, tx_.FindLogNode(level, at - 1));
    const std::optional<Hash> left = left_raw ? FromRaw(*left_raw) : std::nullopt;
    if (!left) {
      return Status::Corruption("transparency log: the subtree hash (" + std::to_string(level) +
                                ", " + std::to_string(at - 1) + ") is missing or malformed");
    }
    node = translog::NodeHash(*left, node);
    at >>= 1;
    RETURN_IF_ERROR(tx_.PutLogNode(level + 1, at, Raw(node)));
  }
  *size_ = index + 1;
  appended_ = true;
  return Status::Ok();
}

Status LogAppender::OrderCreated(const Order& o, std::span<const Target> targets,
                                 std::string_view reason) {
  json::object order{{"id", o.id},
                     {"body", o.body},
                     {"reference", o.reference},
                     {"kind", Name(o.kind)},
                     {"issued", FormatTime(o.issued_at)},
                     {"effective", FormatTime(o.effective_at)},
                     {"expires", FormatTime(o.expires_at)},
                     {"scope", Names(FormatScopes(o.scope))},
                     {"categories", Names(FormatCategories(o.categories))},
                     {"dynamic", o.dynamic},
                     {"state", Name(o.state)}};
  return Append(json::serialize(json::object{{"v", 1},
                                             {"event", "order.create"},
                                             {"at", FormatTime(now_)},
                                             {"actor", actor_},
                                             {"order", std::move(order)},
                                             {"targets", TargetArray(targets)},
                                             {"reason", reason}}));
}

Status LogAppender::TargetsAdded(const Order& o, std::span<const Target> targets,
                                 std::string_view reason) {
  if (targets.empty()) return Status::Ok();
  return Append(json::serialize(json::object{{"v", 1},
                                             {"event", "order.add-targets"},
                                             {"at", FormatTime(now_)},
                                             {"actor", actor_},
                                             {"order", OrderRef(o)},
                                             {"targets", TargetArray(targets)},
                                             {"reason", reason}}));
}

Status LogAppender::StateChanged(const Order& o, std::string_view event, std::string_view reason) {
  return Append(json::serialize(json::object{{"v", 1},
                                             {"event", event},
                                             {"at", FormatTime(now_)},
                                             {"actor", actor_},
                                             {"order", OrderRef(o)},
                                             {"state", Name(o.state)},
                                             {"reason", reason}}));
}

Status LogAppender::Renewed(const Order& o, std::string_view reason) {
  return Append(json::serialize(json::object{{"v", 1},
                                             {"event", "order.renew"},
                                             {"at", FormatTime(now_)},
                                             {"actor", actor_},
                                             {"order", OrderRef(o)},
                                             {"expires", FormatTime(o.expires_at)},
                                             {"reason", reason}}));
}

Status LogAppender::TargetsLifted(const Order& o, std::span<const Target> targets,
                                  std::string_view reason) {
  return Append(json::serialize(json::object{{"v", 1},
                                             {"event", "order.lift-targets"},
                                             {"at", FormatTime(now_)},
                                             {"actor", actor_},
                                             {"order", OrderRef(o)},
                                             {"lifted", TargetArray(targets)},
                                             {"reason", reason}}));
}

Status LogAppender::GuardOverridden(const GuardOverride& o) {
  return Append(json::serialize(json::object{{"v", 1},
                                             {"event", "guard.override"},
                                             {"at", FormatTime(now_)},
                                             {"actor", actor_},
                                             {"override", o.id},
                                             {"target", o.target.ToString()},
                                             {"findings", o.findings},
                                             {"reason", o.reason}}));
}

Status LogAppender::Close() {
  if (!appended_ || key_ == nullptr) return Status::Ok();
  return SignLogHead(tx_, *key_, now_ * 1000).status();
}

Result<Hash> StoredLogRoot(Transaction& tx, std::uint64_t size) {
  if (size == 0) return translog::EmptyRoot();
  // The complete subtrees that make up the first `size` leaves, largest (leftmost) first; the
  // root folds them from the right: H(S0, H(S1, ... H(Sk-1, Sk))).
  std::vector<Hash> parts;
  std::uint64_t start = 0;
  for (int level = 63; level >= 0; --level) {
    const std::uint64_t width = std::uint64_t{1} << level;
    if ((size & width) == 0) continue;
    ASSIGN_OR_RETURN(std::optional<std::string> raw, tx.FindLogNode(level, start >> level));
    const std::optional<Hash> h = raw ? FromRaw(*raw) : std::nullopt;
    if (!h) {
      return Status::Corruption("transparency log: the subtree hash (" + std::to_string(level) +
                                ", " + std::to_string(start >> level) + ") is missing");
    }
    parts.push_back(*h);
    start += width;
  }
  Hash root = parts.back();
  for (std::size_t i = parts.size() - 1; i-- > 0;) root = translog::NodeHash(parts[i], root);
  return root;
}

Result<StoredTreeHead> SignLogHead(Transaction& tx, const SecretKey& key, std::int64_t now_ms) {
  ASSIGN_OR_RETURN(std::uint64_t size, tx.LogSize());
  ASSIGN_OR_RETURN(std::vector<StoredTreeHead> latest, tx.ListTreeHeads(1));
  if (!latest.empty() && latest.front().size == size) return latest.front();
  ASSIGN_OR_RETURN(Hash root, StoredLogRoot(tx, size));
  translog::TreeHead head;
  head.size = size;
  head.root = root;
  // Heads are ordered in time as in size.
  const std::int64_t floor_ms = latest.empty() ? 0 : latest.front().timestamp_ms;
  head.timestamp_ms = static_cast<std::uint64_t>(std::max(now_ms, floor_ms));
  const translog::SignedTreeHead sth = translog::SignTreeHead(key, head);
  StoredTreeHead stored;
  stored.size = size;
  stored.root = Raw(root);
  stored.timestamp_ms = static_cast<std::int64_t>(head.timestamp_ms);
  stored.key_id = sth.key_id;
  stored.signature.assign(reinterpret_cast<const char*>(sth.signature.data()),
                          sth.signature.size());
  RETURN_IF_ERROR(tx.AppendTreeHead(stored));
  return stored;
}

translog::SignedTreeHead ToSignedTreeHead(const StoredTreeHead& h) {
  translog::SignedTreeHead sth;
  sth.head.size = h.size;
  if (const std::optional<Hash> root = FromRaw(h.root)) sth.head.root = *root;
  sth.head.timestamp_ms = static_cast<std::uint64_t>(h.timestamp_ms);
  sth.key_id = h.key_id;
  if (h.signature.size() == sth.signature.size()) {
    std::memcpy(sth.signature.data(), h.signature.data(), sth.signature.size());
  }
  return sth;
}

namespace {

// An order as the log tells it: replayed from its entries, in order.
struct LoggedOrder {
  std::uint64_t created_at_entry = 0;
  std::uint64_t last_entry = 0;
  std::string body, reference, kind, issued, effective, expires, scope, categories, state;
  bool dynamic = false;
  std::map<std::string, std::uint64_t> targets;  // "kind:value" → the entry that attached it
  std::map<std::string, std::uint64_t> lifted;   // of those, lifted on appeal → the entry
};

std::string Joined(const json::value* v) {
  std::string out;
  if (v == nullptr || !v->is_array()) return out;
  for (const json::value& x : v->as_array()) {
    if (!x.is_string()) continue;
    if (!out.empty()) out += ',';
    out += x.as_string();
  }
  return out;
}

// The parts, concatenated (one allocation).
std::string Cat(std::initializer_list<std::string_view> parts) {
  std::size_t n = 0;
  for (std::string_view p : parts) n += p.size();
  std::string out;
  out.reserve(n);
  for (std::string_view p : parts) out += p;
  return out;
}

std::string Str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

// Replays one entry onto `orders`; a malformed entry is a problem.
void Replay(const LogEntry& e, std::map<Id, LoggedOrder>& orders,
            std::vector<std::string>& problems) {
  const std::string where = "log entry " + std::to_string(e.index);
  boost::system::error_code ec;
  json::value v = json::parse(e.event, ec);
  if (ec || !v.is_object()) {
    problems.push_back(where + ": not a JSON object");
    return;
  }
  const json::object& obj = v.as_object();
  const std::string event = Str(obj, "event");
  if (event.starts_with("guard.")) return;  // not about an order's contents
  const json::value* order_v = obj.if_contains("order");
  if (order_v == nullptr || !order_v->is_object() || !order_v->as_object().contains("id") ||
      !order_v->as_object().at("id").is_int64()) {
    problems.push_back(where + ": no order id");
    return;
  }
  const json::object& order = order_v->as_object();
  const Id id = order.at("id").as_int64();
  if (event == "order.create") {
    if (orders.contains(id)) {
      problems.push_back(where + ": order " + std::to_string(id) + " is issued a second time");
      return;
    }
    LoggedOrder& o = orders[id];
    o.created_at_entry = e.index;
    o.body = Str(order, "body");
    o.reference = Str(order, "reference");
    o.kind = Str(order, "kind");
    o.issued = Str(order, "issued");
    o.effective = Str(order, "effective");
    o.expires = Str(order, "expires");
    o.scope = Joined(order.if_contains("scope"));
    o.categories = Joined(order.if_contains("categories"));
    o.state = Str(order, "state");
    const json::value* dyn = order.if_contains("dynamic");
    o.dynamic = dyn != nullptr && dyn->is_bool() && dyn->as_bool();
  }
  auto it = orders.find(id);
  if (it == orders.end()) {
    problems.push_back(where + ": " + event + " of order " + std::to_string(id) +
                       ", which no earlier entry issued");
    return;
  }
  LoggedOrder& o = it->second;
  o.last_entry = e.index;
  if (const json::value* targets = obj.if_contains("targets");
      targets != nullptr && targets->is_array()) {
    for (const json::value& t : targets->as_array()) {
      if (t.is_string()) o.targets.emplace(std::string(t.as_string()), e.index);
    }
  }
  if (const json::value* lifted = obj.if_contains("lifted");
      lifted != nullptr && lifted->is_array()) {
    for (const json::value& t : lifted->as_array()) {
      if (t.is_string()) o.lifted.emplace(std::string(t.as_string()), e.index);
    }
  }
  if (event == "order.renew") o.expires = Str(obj, "expires");
  if (const std::string state = Str(obj, "state"); !state.empty()) o.state = state;
}

}  // namespace

Result<LogVerification> VerifyLog(Store& store, const PublicKey* key,
                                  const std::vector<OrderRecord>* exported) {
  LogVerification out;
  std::vector<std::string>& problems = out.problems;
  std::map<Id, LoggedOrder> logged;
  RETURN_IF_ERROR(store.Read([&](Transaction& tx) -> Status {
    // 1. The entries: numbered without gaps, each hash that of its bytes.
    translog::MemoryLeafSource leaves;
    std::uint64_t expected = 0;
    constexpr std::size_t kBatch = 4096;
    for (;;) {
      ASSIGN_OR_RETURN(std::vector<LogEntry> batch, tx.ReadLog(expected, kBatch, true));
      if (batch.empty()) break;
      for (const LogEntry& e : batch) {
        if (e.index != expected) {
          problems.push_back(e.index == expected + 1
                                 ? "log entry " + std::to_string(expected) + " is missing"
                                 : "log entries " + std::to_string(expected) + " to " +
                                       std::to_string(e.index - 1) + " are missing");
        }
        const Hash computed = translog::LeafHash(e.event);
        const std::optional<Hash> stored = FromRaw(e.hash);
        if (!stored || *stored != computed) {
          problems.push_back("log entry " + std::to_string(e.index) +
                             ": its bytes do not hash to the stored leaf hash (edited)");
        }
        // The tree is rebuilt from the bytes, so an edited entry also changes every root above.
        leaves.Append(computed);
        Replay(e, logged, problems);
        expected = e.index + 1;
      }
    }
    out.entries = leaves.leaves().size();
    ASSIGN_OR_RETURN(translog::MerkleTree tree, translog::MerkleTree::Load(leaves));

    // 2. The signed heads.
    ASSIGN_OR_RETURN(std::vector<StoredTreeHead> heads, tx.ListTreeHeads(0));
    for (const StoredTreeHead& h : heads) {
      ++out.heads_checked;
      const std::string where = "tree head of size " + std::to_string(h.size);
      if (h.size > tree.size()) {
        problems.push_back(where + ": the log has only " + std::to_string(tree.size()) +
                           " entries");
        continue;
      }
      ASSIGN_OR_RETURN(Hash root, tree.RootAt(h.size));
      if (FromRaw(h.root) != root) {
        problems.push_back(where + ": its root " + translog::HashHex(*FromRaw(h.root)) +
                           " is not the root of the log's first " + std::to_string(h.size) +
                           " entries (" + translog::HashHex(root) + ")");
      }
      if (key != nullptr) {
        const Status sig = translog::VerifyTreeHead(*key, ToSignedTreeHead(h));
        if (!sig.ok()) problems.push_back(where + ": " + sig.message());
      }
    }

    // 3. The register against the log.
    ASSIGN_OR_RETURN(std::vector<Order> orders, tx.ListOrders(OrderFilter{}));
    ASSIGN_OR_RETURN(std::vector<InForceEntry> attached, tx.ListAttached(std::nullopt));
    std::map<Id, std::set<std::string>> register_targets;
    for (const InForceEntry& e : attached) {
      register_targets[e.order_id].insert(e.target.ToString());
    }
    for (const Order& o : orders) {
      ++out.orders_checked;
      const std::string label = "order " + std::to_string(o.id) + " (" + o.reference + ")";
      auto it = logged.find(o.id);
      if (it == logged.end()) {
        problems.push_back(label + " is in the register but no log entry issues it");
        continue;
      }
      const LoggedOrder& l = it->second;
      const auto field = [&](std::string_view name, const std::string& in_register,
                             const std::string& in_log, std::uint64_t entry) {
        if (in_register == in_log) return;
        problems.push_back(
            Cat({label, ": ", name, " is \"", in_register, "\" in the register but \"", in_log,
                 "\" in log entry ", std::to_string(entry)}));
      };
      field("body", o.body, l.body, l.created_at_entry);
      field("reference", o.reference, l.reference, l.created_at_entry);
      field("kind", std::string(Name(o.kind)), l.kind, l.created_at_entry);
      field("issued", FormatTime(o.issued_at), l.issued, l.created_at_entry);
      field("effective", FormatTime(o.effective_at), l.effective, l.created_at_entry);
      field("expires", FormatTime(o.expires_at), l.expires, l.last_entry);
      field("scope", FormatScopes(o.scope), l.scope, l.created_at_entry);
      field("categories", FormatCategories(o.categories), l.categories, l.created_at_entry);
      field("dynamic", o.dynamic ? "true" : "false", l.dynamic ? "true" : "false",
            l.created_at_entry);
      field("state", std::string(Name(o.state)), l.state, l.last_entry);
      const std::set<std::string>& have = register_targets[o.id];
      for (const std::string& t : have) {
        if (!l.targets.contains(t)) {
          problems.push_back(Cat({label, ": target ", t,
                                  " is attached in the register but no log entry attaches it"}));
        }
      }
      for (const auto& [t, entry] : l.targets) {
        if (!have.contains(t)) {
          problems.push_back(Cat({label, ": target ", t, " (log entry ", std::to_string(entry),
                                  ") is not attached in the register"}));
        }
      }
      ASSIGN_OR_RETURN(auto lifted_pairs, tx.LiftedOrderTargets(o.id));
      std::set<std::string> lifted;
      for (const auto& [tid, t] : lifted_pairs) lifted.insert(t.ToString());
      for (const std::string& t : lifted) {
        if (!l.lifted.contains(t)) {
          problems.push_back(
              Cat({label, ": target ", t, " is lifted in the register but no log entry lifts it"}));
        }
      }
      for (const auto& [t, entry] : l.lifted) {
        if (!lifted.contains(t)) {
          problems.push_back(Cat({label, ": target ", t, " was lifted on appeal (log entry ",
                                  std::to_string(entry), ") but is enforced in the register"}));
        }
      }
      logged.erase(it);
    }
    for (const auto& [id, l] : logged) {
      problems.push_back("log entry " + std::to_string(l.created_at_entry) + " issues order " +
                         std::to_string(id) + " (" + l.reference +
                         "), which is not in the register");
    }
    return Status::Ok();
  }));
  // 4. An export against the log (replayed again: the loop above consumed `logged`).
  if (exported != nullptr) {
    std::map<Id, LoggedOrder> replayed;
    std::vector<std::string> ignored;
    RETURN_IF_ERROR(store.Read([&](Transaction& tx) -> Status {
      for (std::uint64_t first = 0;;) {
        ASSIGN_OR_RETURN(std::vector<LogEntry> batch, tx.ReadLog(first, 4096, true));
        if (batch.empty()) break;
        for (const LogEntry& e : batch) Replay(e, replayed, ignored);
        first = batch.back().index + 1;
      }
      return Status::Ok();
    }));
    std::map<std::tuple<std::string, std::string, std::string>, const LoggedOrder*> by_key;
    for (const auto& [id, l] : replayed) by_key[{l.body, l.reference, l.issued}] = &l;
    for (const OrderRecord& rec : *exported) {
      ++out.export_orders_checked;
      const OrderRequest& h = rec.header;
      const std::string label = rec.location + ": order " + h.reference;
      if (!rec.error.empty()) {
        problems.push_back(label + ": " + rec.error);
        continue;
      }
      auto it = by_key.find({h.body, h.reference, FormatTime(h.issued_at)});
      if (it == by_key.end()) {
        problems.push_back(label + " of " + h.body + " is in the export but not in the log");
        continue;
      }
      const LoggedOrder& l = *it->second;
      if (l.state != "in-force") {
        problems.push_back(label + " is exported as in force, but the log has it " + l.state +
                           " (log entry " + std::to_string(l.last_entry) + ")");
      }
      if (FormatTime(h.expires_at) != l.expires) {
        problems.push_back(label + ": expires " + FormatTime(h.expires_at) + " in the export but " +
                           l.expires + " in log entry " + std::to_string(l.last_entry));
      }
      std::set<std::string> listed;
      for (const Target& t : h.targets) listed.insert(t.ToString());
      for (const std::string& t : listed) {
        if (!l.targets.contains(t) || l.lifted.contains(t)) {
          problems.push_back(Cat({label, ": target ", t, " is in the export but not in the log",
                                  l.lifted.contains(t) ? " as enforced (lifted on appeal)" : ""}));
        }
      }
      for (const auto& [t, entry] : l.targets) {
        if (!listed.contains(t) && !l.lifted.contains(t)) {
          problems.push_back(Cat({label, ": target ", t, " (log entry ", std::to_string(entry),
                                  ") is missing from the export"}));
        }
      }
    }
  }
  return out;
}

// ---- The Registry's side of the log ----------------------------------------------------------

namespace {

// The entries' hashes as a translog::LeafSource, inside one read transaction.
class StoredLeaves final : public translog::LeafSource {
 public:
  explicit StoredLeaves(Transaction& tx) : tx_(tx) {}
  Result<std::uint64_t> Size() const override { return tx_.LogSize(); }
  Status ReadLeaves(std::uint64_t first, std::span<Hash> out) const override {
    ASSIGN_OR_RETURN(std::vector<LogEntry> rows, tx_.ReadLog(first, out.size(), false));
    if (rows.size() != out.size()) {
      return Status::NotFound("transparency log: entries " + std::to_string(first) + ".." +
                              std::to_string(first + out.size() - 1) + " are not all there");
    }
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const std::optional<Hash> h = FromRaw(rows[i].hash);
      if (rows[i].index != first + i || !h) {
        return Status::Corruption("transparency log: entry " + std::to_string(first + i) +
                                  " is malformed");
      }
      out[i] = *h;
    }
    return Status::Ok();
  }

 private:
  Transaction& tx_;
};

}  // namespace

Result<LogVerification> Registry::VerifyLog(const PublicKey* key,
                                            const std::vector<OrderRecord>* exported) {
  return interdict::VerifyLog(store_, key, exported);
}

LogAppender Registry::Log(Transaction& tx, UnixTime now, std::string_view actor) const {
  return {tx, now, actor, options_.log_key.get()};
}

Result<std::vector<LogEntry>> Registry::LogEntries(std::uint64_t first, std::size_t limit) {
  std::vector<LogEntry> out;
  RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(out, tx.ReadLog(first, limit, true));
    return Status::Ok();
  }));
  return out;
}

Result<std::uint64_t> Registry::LogSize() {
  std::uint64_t n = 0;
  RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(n, tx.LogSize());
    return Status::Ok();
  }));
  return n;
}

Result<StoredTreeHead> Registry::SignLogHead(const SecretKey& key) {
  StoredTreeHead head;
  const std::int64_t now_ms = clock_.Now() * 1000;
  RETURN_IF_ERROR(store_.Transact([&](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(head, interdict::SignLogHead(tx, key, now_ms));
    return Status::Ok();
  }));
  return head;
}

Result<std::vector<StoredTreeHead>> Registry::LogHeads(std::size_t limit) {
  std::vector<StoredTreeHead> out;
  RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(out, tx.ListTreeHeads(limit));
    return Status::Ok();
  }));
  return out;
}

Result<translog::InclusionProof> Registry::ProveInclusion(std::uint64_t index, std::uint64_t size) {
  translog::InclusionProof proof;
  RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(translog::MerkleTree tree, translog::MerkleTree::Load(StoredLeaves(tx)));
    if (size > tree.size()) {
      return Status::InvalidArgument("size: the log has " + std::to_string(tree.size()) +
                                     " entries, not " + std::to_string(size));
    }
    ASSIGN_OR_RETURN(proof, tree.ProveInclusion(index, size));
    return Status::Ok();
  }));
  return proof;
}

Result<translog::ConsistencyProof> Registry::ProveConsistency(std::uint64_t old_size,
                                                              std::uint64_t new_size) {
  translog::ConsistencyProof proof;
  RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(translog::MerkleTree tree, translog::MerkleTree::Load(StoredLeaves(tx)));
    if (new_size > tree.size()) {
      return Status::InvalidArgument("new size: the log has " + std::to_string(tree.size()) +
                                     " entries, not " + std::to_string(new_size));
    }
    ASSIGN_OR_RETURN(proof, tree.ProveConsistency(old_size, new_size));
    return Status::Ok();
  }));
  return proof;
}

}  // namespace interdict
