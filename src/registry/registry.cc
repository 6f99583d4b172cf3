#include "registry/registry.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cassert>
#include <cmath>
#include <functional>
#include <map>
#include <unordered_map>

#include "registry/transparency.h"

namespace interdict {
namespace {

namespace json = boost::json;

std::string Detail(const json::object& o) {
  return json::serialize(o);
}

// Runs one read on a consistent view of the store and returns its value.
template <typename F>
auto ReadOne(Store& store, F read) -> decltype(read(std::declval<Transaction&>())) {
  using R = decltype(read(std::declval<Transaction&>()));
  std::optional<R> out;
  RETURN_IF_ERROR(store.Read([&](Transaction& tx) -> Status {
    out.emplace(read(tx));
    return out->status();
  }));
  return *std::move(out);
}

json::array TargetsJson(std::span<const Target> targets) {
  json::array a;
  a.reserve(targets.size());
  for (const Target& t : targets) a.emplace_back(t.ToString());
  return a;
}

std::string OrderLabel(const Order& o) {
  return "order " + std::to_string(o.id) + " (" + o.body + " " + o.reference + ")";
}

Status RequireReason(std::string_view reason, std::string_view what) {
  if (reason.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Status::InvalidArgument(std::string(what) + " needs a reason");
  }
  return Status::Ok();
}

Status ValidateActor(std::string_view actor) {
  if (actor.empty())
    return Status::InvalidArgument("an actor name is required for the audit trail");
  return Status::Ok();
}

// Fills defaults (the expiry: `default_expiry` seconds after the effective date) and checks an
// order request against the registry's rules.
Status PrepareOrder(OrderRequest* r, UnixTime now, std::int64_t default_expiry) {
  if (r->body.empty()) return Status::InvalidArgument("order: the issuing body is required");
  if (r->reference.empty())
    return Status::InvalidArgument("order: the reference number is required");
  if (r->body.size() > 500 || r->reference.size() > 200) {
    return Status::InvalidArgument("order: body or reference is too long");
  }
  if (r->issued_at == 0) r->issued_at = now;
  if (r->effective_at == 0) r->effective_at = r->issued_at;
  if (r->expires_at == 0) r->expires_at = r->effective_at + default_expiry;
  if (r->effective_at < r->issued_at) {
    return Status::InvalidArgument("order " + r->reference + ": effective date " +
                                   FormatDate(r->effective_at) + " is before the issue date " +
                                   FormatDate(r->issued_at));
  }
  if (r->expires_at <= r->effective_at) {
    return Status::InvalidArgument("order " + r->reference + ": expiry " +
                                   FormatDate(r->expires_at) + " is not after the effective date " +
                                   FormatDate(r->effective_at));
  }
  if (r->scope == 0) return Status::InvalidArgument("order " + r->reference + ": no scope given");
  return Status::Ok();
}

OrderState StateAt(const Order& o, UnixTime now) {
  if (now >= o.expires_at) return OrderState::kExpired;
  if (now < o.effective_at) return OrderState::kPending;
  return OrderState::kInForce;
}

json::object OrderJson(const Order& o) {
  return {{"body", o.body},
          {"kind", Name(o.kind)},
          {"reference", o.reference},
          {"issued", FormatTime(o.issued_at)},
          {"effective", FormatTime(o.effective_at)},
          {"expires", FormatTime(o.expires_at)},
          {"scope", FormatScopes(o.scope)},
          {"categories", FormatCategories(o.categories)},
          {"dynamic", o.dynamic},
          {"state", Name(o.state)}};
}

// Allocates the step's serial the first time the in-force set actually changes.
class SerialOnce {
 public:
  SerialOnce(Transaction& tx, UnixTime at, std::string_view actor, std::string summary)
      : tx_(tx), at_(at), actor_(actor), summary_(std::move(summary)) {}

  Result<Serial> Get() {
    if (serial_ == 0) {
      ASSIGN_OR_RETURN(serial_, tx_.NextSerial(at_, actor_, summary_));
    }
    return serial_;
  }
  // Logs one (target, order) pair entering or leaving the in-force set under the step's serial.
  Status Move(Id target_id, Id order_id, DeltaOp op) {
    ASSIGN_OR_RETURN(Serial s, Get());
    ++(op == DeltaOp::kAdd ? added_ : removed_);
    return tx_.LogInForce(s, target_id, order_id, op);
  }
  Serial serial() const { return serial_; }
  const std::string& summary() const { return summary_; }
  std::int64_t added() const { return added_; }
  std::int64_t removed() const { return removed_; }

 private:
  Transaction& tx_;
  UnixTime at_;
  std::string_view actor_;
  std::string summary_;
  Serial serial_ = 0;
  std::int64_t added_ = 0;
  std::int64_t removed_ = 0;
};

// Logs the (target, order) pairs that entered the in-force set: targets newly attached to an
// in-force order, or all targets of an order that came into force.
Status PutInForce(Id order_id, std::span<const Id> target_ids, SerialOnce& serial) {
  for (Id target_id : target_ids) {
    RETURN_IF_ERROR(serial.Move(target_id, order_id, DeltaOp::kAdd));
  }
  return Status::Ok();
}

// Logs the pairs of an order that leaves the in-force set.
Status TakeOutOfForce(Transaction& tx, Id order_id, SerialOnce& serial) {
  ASSIGN_OR_RETURN(auto targets, tx.OrderTargets(order_id));
  for (const auto& [target_id, target] : targets) {
    RETURN_IF_ERROR(serial.Move(target_id, order_id, DeltaOp::kRemove));
  }
  return Status::Ok();
}

Result<std::vector<Id>> OrderTargetIds(Transaction& tx, Id order_id) {
  ASSIGN_OR_RETURN(auto targets, tx.OrderTargets(order_id));
  std::vector<Id> ids;
  ids.reserve(targets.size());
  for (const auto& p : targets) ids.push_back(p.first);
  return ids;
}

Result<Order> LoadOrder(Transaction& tx, Id id) {
  ASSIGN_OR_RETURN(std::optional<Order> o, tx.FindOrder(id));
  if (!o) return Status::NotFound("there is no order " + std::to_string(id));
  return *std::move(o);
}

Result<Referral> LoadReferral(Transaction& tx, Id id) {
  ASSIGN_OR_RETURN(std::optional<Referral> r, tx.FindReferral(id));
  if (!r) return Status::NotFound("there is no referral " + std::to_string(id));
  return *std::move(r);
}

// How a pair left its order, from Transaction::OrderTargetLiftedBy's answer.
std::string LiftedHow(Id lifted_by) {
  return lifted_by < 0 ? " (it lapsed: an address target not re-confirmed in time)"
                       : " on appeal " + std::to_string(lifted_by);
}

// Creates an order with its targets; puts them in force when the order is in force now.
// `import_detail` is the audit detail shared by all orders of a bulk import.
// `log` records it in the transparency log (an import records its orders itself, once each).
Result<Order> InsertOrderWithTargets(Transaction& tx, const OrderRequest& r, UnixTime now,
                                     std::string_view actor, Id referral_id, SerialOnce& serial,
                                     LogAppender* log, std::string_view import_detail = {}) {
  Order o;
  o.body = r.body;
  o.kind = r.kind;
  o.reference = r.reference;
  o.issued_at = r.issued_at;
  o.effective_at = r.effective_at;
  o.expires_at = r.expires_at;
  o.scope = r.scope;
  o.categories = r.categories;
  o.dynamic = r.dynamic;
  o.created_at = now;
  o.updated_at = now;
  o.state = StateAt(o, now);
  ASSIGN_OR_RETURN(o.id, tx.InsertOrder(o));
  std::vector<Id> ids;
  ids.reserve(r.targets.size());
  for (const Target& t : r.targets) {
    ASSIGN_OR_RETURN(Id tid, tx.UpsertTarget(t));
    ASSIGN_OR_RETURN(bool attached, tx.AttachTarget(o.id, tid, now, referral_id));
    if (attached) ids.push_back(tid);
  }
  if (o.state == OrderState::kInForce) {
    RETURN_IF_ERROR(PutInForce(o.id, ids, serial));
  }
  // An order's fields never change after creation (its state changes are audited on their
  // own), so the row itself is the record of them. An import creates orders by the hundred
  // thousand: its entries name the import instead of repeating each order.
  std::string detail;
  if (!import_detail.empty()) {
    detail = import_detail;
  } else {
    json::object d = OrderJson(o);
    d["targets"] = TargetsJson(r.targets);
    if (referral_id != 0) d["referral"] = referral_id;
    detail = Detail(d);
  }
  RETURN_IF_ERROR(tx.AppendAudit(
      {0, now, std::string(actor), "order.create", "order", o.id, r.reason, std::move(detail)}));
  if (log != nullptr) RETURN_IF_ERROR(log->OrderCreated(o, r.targets, r.reason));
  return o;
}

// True when `ip` (an address in canonical text) lies in `cidr` (canonical network/len).
bool CidrContains(std::string_view cidr, std::string_view ip) {
  const std::size_t slash = cidr.find('/');
  if (slash == std::string_view::npos) return false;
  const std::string net(cidr.substr(0, slash));
  const int len = std::atoi(std::string(cidr.substr(slash + 1)).c_str());
  const std::string addr(ip);
  std::array<unsigned char, 16> a{};
  std::array<unsigned char, 16> b{};
  const int family = net.find(':') == std::string::npos ? AF_INET : AF_INET6;
  if ((addr.find(':') == std::string::npos ? AF_INET : AF_INET6) != family) return false;
  if (inet_pton(family, net.c_str(), a.data()) != 1) return false;
  if (inet_pton(family, addr.c_str(), b.data()) != 1) return false;
  int bits = len;
  for (std::size_t i = 0; bits > 0; ++i, bits -= 8) {
    const unsigned mask = bits >= 8 ? 0xffu : (0xffu << (8 - bits)) & 0xffu;
    if ((a[i] & mask) != (b[i] & mask)) return false;
  }
  return true;
}

bool IsIpLiteral(std::string_view host) {
  return NormalizeIp(host).ok();
}

void Append(std::vector<InForceEntry>* out, std::vector<InForceEntry> more) {
  out->insert(out->end(), std::make_move_iterator(more.begin()),
              std::make_move_iterator(more.end()));
}

// Rules that block a host name: the exact domain, and domain-tree rules on it or any parent.
Status MatchHost(Transaction& tx, std::string_view host, std::vector<InForceEntry>* out) {
  auto exact = [&](TargetKind kind, std::string_view value) -> Status {
    ASSIGN_OR_RETURN(std::optional<Id> id, tx.FindTarget({kind, std::string(value)}));
    if (!id) return Status::Ok();
    ASSIGN_OR_RETURN(std::vector<InForceEntry> hits, tx.InForceForTarget(*id));
    Append(out, std::move(hits));
    return Status::Ok();
  };
  if (IsIpLiteral(host)) {
    // One spelling per address: an IPv4-mapped IPv6 host is its IPv4 address.
    Result<std::string> canonical = NormalizeIp(host);
    if (!canonical.ok()) return Status::Ok();
    const std::string_view ip = *canonical;
    RETURN_IF_ERROR(exact(TargetKind::kIp, ip));
    ASSIGN_OR_RETURN(std::vector<InForceEntry> cidrs, tx.ListInForce(TargetKind::kCidr));
    for (InForceEntry& e : cidrs) {
      if (CidrContains(e.target.value, ip)) out->push_back(std::move(e));
    }
    return Status::Ok();
  }
  RETURN_IF_ERROR(exact(TargetKind::kDomain, host));
  for (std::string_view name = host;;) {
    RETURN_IF_ERROR(exact(TargetKind::kDomainTree, name));
    const std::size_t dot = name.find('.');
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  return Status::Ok();
}

// Exact URL rules and prefix rules (`...*`) on the URL, then the rules on its host.
Status MatchUrl(Transaction& tx, std::string_view url, std::vector<InForceEntry>* out) {
  const UrlParts u = SplitCanonicalUrl(url);
  if (!u.valid)
    return Status::InvalidArgument("\"" + std::string(url) + "\" is not a canonical URL");
  // Every rule on this URL's origin sorts between "scheme://host" and "scheme://host" + 0xff.
  const std::string origin(u.origin);
  ASSIGN_OR_RETURN(std::vector<InForceEntry> candidates,
                   tx.InForceInRange(TargetKind::kUrl, origin, origin + "\xff"));
  for (InForceEntry& e : candidates) {
    std::string_view v = e.target.value;
    const bool prefix = !v.empty() && v.back() == '*';
    if (prefix) v.remove_suffix(1);
    const UrlParts rule = SplitCanonicalUrl(v);
    if (rule.origin == u.origin && UrlPathMatches(rule.path, prefix, u.path)) {
      out->push_back(std::move(e));
    }
  }
  return MatchHost(tx, u.host, out);
}

// Submits one referral inside `tx`, flagging targets already in force or already referred.
Result<Referral> SubmitReferral(Transaction& tx, const ReferralRequest& request,
                                std::string_view actor, UnixTime now) {
  ASSIGN_OR_RETURN(std::optional<Organization> org, tx.FindOrganization(request.org));
  if (!org) return Status::NotFound("there is no organization \"" + request.org + "\"");
  if (org->kind != OrgKind::kRightsholder) {
    return Status::FailedPrecondition("organization \"" + org->name + "\" is a " +
                                      std::string(Name(org->kind)) +
                                      ", only rightsholders refer targets");
  }
  Referral r;
  r.org_id = org->id;
  r.org_name = org->name;
  r.category = request.category;
  r.state = ReferralState::kSubmitted;
  r.submitted_at = now;
  r.updated_at = now;
  r.evidence = request.evidence;
  for (const Target& t : request.targets) {
    ReferralTarget rt{t, ""};
    ASSIGN_OR_RETURN(std::optional<Id> tid, tx.FindTarget(t));
    if (tid) {
      ASSIGN_OR_RETURN(std::vector<InForceEntry> in_force, tx.InForceForTarget(*tid));
      if (!in_force.empty()) {
        rt.duplicate_of = "in force under order " + std::to_string(in_force[0].order_id) + " (" +
                          in_force[0].body + " " + in_force[0].reference + ")";
      } else {
        ASSIGN_OR_RETURN(std::vector<Id> open, tx.OpenReferralsWithTarget(*tid));
        if (!open.empty()) rt.duplicate_of = "referred in referral " + std::to_string(open[0]);
      }
    }
    r.targets.push_back(std::move(rt));
  }
  r.target_count = static_cast<std::int64_t>(r.targets.size());
  ASSIGN_OR_RETURN(r.id, tx.InsertReferral(r));
  std::size_t duplicates = 0;
  for (const ReferralTarget& rt : r.targets) duplicates += rt.duplicate_of.empty() ? 0u : 1u;
  RETURN_IF_ERROR(
      tx.AppendAudit({0, now, std::string(actor), "referral.submit", "referral", r.id, "",
                      Detail({{"org", r.org_name},
                              {"category", Name(r.category)},
                              {"targets", TargetsJson(request.targets)},
                              {"duplicates", duplicates},
                              {"evidence", r.evidence.size()}})}));
  return r;
}

}  // namespace

Registry::Registry(Store& store, const Clock& clock, RegistryOptions options)
    : store_(store), clock_(clock), options_(options) {}

// One step bounded by RegistryOptions::bounds. Check runs last in the step's transaction, when
// every pair it moves is logged: it confirms the held change the step repeats, or lets the step
// through when within the bounds, or remembers the change and fails, which rolls the step back.
class Registry::BoundedStep {
 public:
  BoundedStep(const RegistryOptions::Bounds& bounds, std::string_view kind, Id confirm,
              std::string_view actor, UnixTime now)
      : bounds_(bounds), kind_(kind), confirm_(confirm), actor_(actor), now_(now) {}

  Status Check(Transaction& tx, const SerialOnce& serial) {
    checked_ = true;
    const std::int64_t moved = serial.added() + serial.removed();
    if (confirm_ != 0) return Confirm(tx, serial);
    const bool over_count = bounds_.max_pairs > 0 && moved > bounds_.max_pairs;
    const bool fraction_applies = bounds_.max_fraction > 0 && moved > bounds_.fraction_floor;
    if (!over_count && !fraction_applies) return Status::Ok();
    ASSIGN_OR_RETURN(RegistryCounts counts, tx.Counts());
    // Distinct targets in force before the step: after it, less what it added, plus what it
    // took out (pairs and targets coincide unless a target is in several orders).
    const std::int64_t before =
        std::max<std::int64_t>(0, counts.targets_in_force - serial.added() + serial.removed());
    const bool over_fraction =
        fraction_applies &&
        static_cast<double>(moved) > bounds_.max_fraction * static_cast<double>(before);
    if (!over_count && !over_fraction) return Status::Ok();
    held_ = HeldChange{0,
                       kind_,
                       serial.summary(),
                       serial.added(),
                       serial.removed(),
                       before,
                       std::string(actor_),
                       now_,
                       "",
                       0};
    return Status::FailedPrecondition("held");  // rolls the step back; TransactBounded records it
  }

  bool checked() const { return checked_; }
  const std::optional<HeldChange>& held() const { return held_; }

 private:
  Status Confirm(Transaction& tx, const SerialOnce& serial) {
    const std::string label = "confirm: held change " + std::to_string(confirm_);
    ASSIGN_OR_RETURN(std::optional<HeldChange> h, tx.FindHeldChange(confirm_));
    if (!h) return Status::NotFound(label + " does not exist");
    if (h->confirmed_at != 0) {
      return Status::FailedPrecondition(label + " was confirmed already, by " + h->confirmed_by +
                                        " at " + FormatTime(h->confirmed_at));
    }
    if (h->kind != kind_ || h->summary != serial.summary() || h->added != serial.added() ||
        h->removed != serial.removed()) {
      return Status::FailedPrecondition(
          label + " is a different change: it was " +
          Describe(h->kind, h->summary, h->added, h->removed) + "; this one is " +
          Describe(kind_, serial.summary(), serial.added(), serial.removed()));
    }
    RETURN_IF_ERROR(tx.ConfirmHeldChange(confirm_, actor_, now_));
    return tx.AppendAudit({0, now_, std::string(actor_), "change.confirm", "held-change", confirm_,
                           "",
                           Detail({{"kind", kind_},
                                   {"summary", serial.summary()},
                                   {"added", serial.added()},
                                   {"removed", serial.removed()},
                                   {"serial", serial.serial()}})});
  }

 public:
  static std::string Describe(std::string_view kind, std::string_view summary, std::int64_t added,
                              std::int64_t removed) {
    return std::string(kind) + " \"" + std::string(summary) + "\" (" + std::to_string(added) +
           " pairs in, " + std::to_string(removed) + " out)";
  }

 private:
  const RegistryOptions::Bounds& bounds_;
  std::string kind_;
  Id confirm_;
  std::string_view actor_;
  UnixTime now_;
  bool checked_ = false;
  std::optional<HeldChange> held_;
};

Status Registry::TransactBounded(std::string_view actor, std::string_view kind, Id confirm,
                                 UnixTime now,
                                 const std::function<Status(Transaction&, BoundedStep&)>& body) {
  BoundedStep step(options_.bounds, kind, confirm, actor, now);
  Status done = store_.Transact([&](Transaction& tx) { return body(tx, step); });
  if (done.ok()) {
    assert(step.checked() && "a bounded step must call BoundedStep::Check");
    return done;
  }
  if (!step.held()) return done;
  HeldChange h = *step.held();
  RETURN_IF_ERROR(store_.Transact([&](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(h.id, tx.InsertHeldChange(h));
    return tx.AppendAudit({0, now, std::string(actor), "change.hold", "held-change", h.id, "",
                           Detail({{"kind", h.kind},
                                   {"summary", h.summary},
                                   {"added", h.added},
                                   {"removed", h.removed},
                                   {"in_force", h.in_force}})});
  }));
  const RegistryOptions::Bounds& b = options_.bounds;
  std::string limits;
  if (b.max_pairs > 0) limits = "at most " + std::to_string(b.max_pairs) + " pairs";
  if (b.max_fraction > 0) {
    if (!limits.empty()) limits += ", and ";
    limits += "at most " + std::to_string(std::lround(b.max_fraction * 100)) +
              "% of the targets in force when over " + std::to_string(b.fraction_floor) + " pairs";
  }
  return Status::FailedPrecondition(
      "held as change " + std::to_string(h.id) + ": " +
      BoundedStep::Describe(h.kind, h.summary, h.added, h.removed) + ", with " +
      std::to_string(h.in_force) + " targets in force, is beyond the registry's bounds (" + limits +
      "); an authority admin applies it by repeating it with confirmation " + std::to_string(h.id) +
      " (--confirm " + std::to_string(h.id) + ", or \"confirm\": " + std::to_string(h.id) + ")");
}

Result<std::vector<HeldChange>> Registry::HeldChanges(bool open_only) {
  return ReadOne(store_, [&](Transaction& tx) { return tx.ListHeldChanges(open_only); });
}

Result<Organization> Registry::AddOrganization(std::string_view actor, OrgKind kind,
                                               std::string_view name) {
  RETURN_IF_ERROR(ValidateActor(actor));
  if (name.empty() || name.size() > 200) {
    return Status::InvalidArgument("organization name must be 1 to 200 characters");
  }
  const UnixTime now = clock_.Now();
  Organization org{0, kind, std::string(name), now};
  RETURN_IF_ERROR(store_.Transact([&](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(org.id, tx.InsertOrganization(org));
    return tx.AppendAudit({0, now, std::string(actor), "organization.add", "organization", org.id,
                           "", Detail({{"kind", Name(kind)}, {"name", org.name}})});
  }));
  return org;
}

Result<std::vector<Organization>> Registry::ListOrganizations() {
  return ReadOne(store_, [&](Transaction& tx) { return tx.ListOrganizations(); });
}

Result<Referral> Registry::Refer(std::string_view actor, const ReferralRequest& request) {
  ASSIGN_OR_RETURN(std::vector<Referral> out, ReferAll(actor, std::span(&request, 1)));
  return std::move(out.front());
}

Result<std::vector<Referral>> Registry::ReferAll(std::string_view actor,
                                                 std::span<const ReferralRequest> requests) {
  RETURN_IF_ERROR(ValidateActor(actor));
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const std::string where = requests.size() > 1 ? "referral " + std::to_string(i + 1) + ": " : "";
    if (requests[i].targets.empty()) {
      return Status::InvalidArgument(where + "a referral needs at least one target");
    }
    for (const Evidence& e : requests[i].evidence) {
      if (e.sha256.size() != 64 ||
          e.sha256.find_first_not_of("0123456789abcdef") != std::string::npos) {
        return Status::InvalidArgument(where + "evidence sha256 \"" + e.sha256.substr(0, 80) +
                                       "\" is not 64 lowercase hex digits");
      }
    }
  }
  const UnixTime now = clock_.Now();
  std::vector<Referral> out;
  RETURN_IF_ERROR(store_.Transact([&](Transaction& tx) -> Status {
    out.clear();
    for (const ReferralRequest& request : requests) {
      ASSIGN_OR_RETURN(Referral r, SubmitReferral(tx, request, actor, now));
      out.push_back(std::move(r));
    }
    return Status::Ok();
  }));
  return out;
}

Result<Referral> Registry::Withdraw(std::string_view actor, Id referral_id,
                                    std::string_view reason) {
  RETURN_IF_ERROR(ValidateActor(actor));
  const UnixTime now = clock_.Now();
  Referral r;
  RETURN_IF_ERROR(store_.Transact([&](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(r, LoadReferral(tx, referral_id));
    if (r.state != ReferralState::kSubmitted) {
      return Status::FailedPrecondition("referral " + std::to_string(r.id) + " is " +
                                        std::string(Name(r.state)) +
                                        "; only a submitted referral "
                                        "can be withdrawn");
    }
    if (now - r.submitted_at > options_.revoke_window_seconds) {
      return Status::FailedPrecondition("referral " + std::to_string(r.id) + " was submitted at " +
                                        FormatTime(r.submitted_at) + "; the revoke window of " +
                                        std::to_string(options_.revoke_window_seconds) +
                                        " seconds has closed");
    }
    r.state = ReferralState::kWithdrawn;
    r.reason = std::string(reason);
    r.updated_at = now;
    RETURN_IF_ERROR(tx.UpdateReferral(r.id, r.state, reason, 0, now));
    return tx.AppendAudit({0, now, std::string(actor), "referral.withdraw", "referral", r.id,
                           std::string(reason), "{}"});
  }));
  return r;
}

Result<Referral> Registry::StartReview(std::string_view actor, Id referral_id) {
  RETURN_IF_ERROR(ValidateActor(actor));
  const UnixTime now = clock_.Now();
  Referral r;
  RETURN_IF_ERROR(store_.Transact([&](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(r, LoadReferral(tx, referral_id));
    if (r.state != ReferralState::kSubmitted) {
      return Status::FailedPrecondition("referral " + std::to_string(r.id) + " is " +
                                        std::string(Name(r.state)) + ", not submitted");
    }
    r.state = ReferralState::kUnderReview;
    r.updated_at = now;
    RETURN_IF_ERROR(tx.UpdateReferral(r.id, r.state, "", 0, now));
    return tx.AppendAudit(
        {0, now, std::string(actor), "referral.review", "referral", r.id, "", "{}"});
  }));
  return r;
}

namespace {

// A referral can be decided when submitted or under review; deciding a submitted one records
// the review step too, so the trail shows every state it passed through.
Status BeginDecision(Transaction& tx, Referral& r, std::string_view actor, UnixTime now) {
  if (r.state == ReferralState::kSubmitted) {
    RETURN_IF_ERROR(tx.UpdateReferral(r.id, ReferralState::kUnderReview, "", 0, now));
    RETURN_IF_ERROR(tx.AppendAudit(
        {0, now, std::string(actor), "referral.review", "referral", r.id, "", "{}"}));
    r.state = ReferralState::kUnderReview;
  }
  if (r.state != ReferralState::kUnderReview) {
    return Status::FailedPrecondition("referral " + std::to_string(r.id) + " is " +
                                      std::string(Name(r.state)) + " and cannot be decided again");
  }
  return Status::Ok();
}

}  // namespace

Result<Referral> Registry::Approve(std::string_view actor, Id referral_id, Id order_id,
                                   std::string_view reason, Id confirm) {
  RETURN_IF_ERROR(ValidateActor(actor));
  const UnixTime now = clock_.Now();
  Referral r;
  RETURN_IF_ERROR(TransactBounded(
      actor, "referral.approve", confirm, now, [&](Transaction& tx, BoundedStep& step) -> Status {
        ASSIGN_OR_RETURN(r, LoadReferral(tx, referral_id));
        ASSIGN_OR_RETURN(Order o, LoadOrder(tx, order_id));
        if (!o.dynamic) {
          return Status::FailedPrecondition(OrderLabel(o) +
                                            " is not dynamic and takes no new targets; issue a new "
                                            "order for this referral");
        }
        if (o.state == OrderState::kLifted || o.state == OrderState::kExpired) {
          return Status::FailedPrecondition(OrderLabel(o) + " is " + std::string(Name(o.state)));
        }
        RETURN_IF_ERROR(BeginDecision(tx, r, actor, now));
        {
          std::vector<Target> referred;
          for (const ReferralTarget& rt : r.targets) referred.push_back(rt.target);
          RETURN_IF_ERROR(CheckGuard(tx, referred, now));
        }
        SerialOnce serial(tx, now, actor,
                          "referral " + std::to_string(r.id) + " approved into " + OrderLabel(o));
        std::vector<Id> fresh;
        std::vector<Target> fresh_targets;
        for (const ReferralTarget& rt : r.targets) {
          ASSIGN_OR_RETURN(Id tid, tx.UpsertTarget(rt.target));
          ASSIGN_OR_RETURN(bool attached, tx.AttachTarget(o.id, tid, now, r.id));
          if (!attached) continue;
          fresh.push_back(tid);
          fresh_targets.push_back(rt.target);
        }
        if (o.state == OrderState::kInForce) RETURN_IF_ERROR(PutInForce(o.id, fresh, serial));
        r.state = ReferralState::kApproved;
        r.order_id = o.id;
        r.reason = std::string(reason);
        r.updated_at = now;
        RETURN_IF_ERROR(tx.UpdateReferral(r.id, r.state, reason, o.id, now));
        RETURN_IF_ERROR(tx.AppendAudit({0, now, std::string(actor), "referral.approve", "referral",
                                        r.id, std::string(reason),
                                        Detail({{"order", o.id}, {"new_targets", fresh.size()}})}));
        LogAppender log = Log(tx, now, actor);
        RETURN_IF_ERROR(log.TargetsAdded(
            o, fresh_targets,
            "referral " + std::to_string(r.id) + " approved: " + std::string(reason)));
        RETURN_IF_ERROR(step.Check(tx, serial));
        return log.Close();
      }));
  return r;
}

Result<Order> Registry::ApproveAsNewOrder(std::string_view actor, Id referral_id,
                                          OrderRequest request) {
  RETURN_IF_ERROR(ValidateActor(actor));
  if (!request.targets.empty()) {
    return Status::InvalidArgument(
        "an order approved from a referral takes the referral's targets");
  }
  const UnixTime now = clock_.Now();
  if (request.expires_at == 0) {
    // The default depends on the categories the order will have, the referral's among them.
    ASSIGN_OR_RETURN(Referral referred, GetReferral(referral_id));
    request.expires_at =
        (request.effective_at != 0 ? request.effective_at
         : request.issued_at != 0  ? request.issued_at
                                   : now) +
        DefaultExpirySeconds(request.kind, request.categories | Bit(referred.category));
  }
  RETURN_IF_ERROR(PrepareOrder(&request, now, 0));
  Order o;
  RETURN_IF_ERROR(TransactBounded(
      actor, "referral.approve", request.confirm, now,
      [&](Transaction& tx, BoundedStep& step) -> Status {
        ASSIGN_OR_RETURN(Referral r, LoadReferral(tx, referral_id));
        RETURN_IF_ERROR(BeginDecision(tx, r, actor, now));
        for (const ReferralTarget& rt : r.targets) request.targets.push_back(rt.target);
        RETURN_IF_ERROR(CheckGuard(tx, request.targets, now));
        request.categories |= Bit(r.category);
        SerialOnce serial(
            tx, now, actor,
            "order " + request.reference + " issued from referral " + std::to_string(r.id));
        LogAppender log = Log(tx, now, actor);
        ASSIGN_OR_RETURN(o, InsertOrderWithTargets(tx, request, now, actor, r.id, serial, &log));
        RETURN_IF_ERROR(
            tx.UpdateReferral(r.id, ReferralState::kApproved, request.reason, o.id, now));
        RETURN_IF_ERROR(tx.AppendAudit({0, now, std::string(actor), "referral.approve", "referral",
                                        r.id, request.reason, Detail({{"order", o.id}})}));
        RETURN_IF_ERROR(step.Check(tx, serial));
        return log.Close();
      }));
  return o;
}

Result<Referral> Registry::Reject(std::string_view actor, Id referral_id, std::string_view reason) {
  RETURN_IF_ERROR(ValidateActor(actor));
  RETURN_IF_ERROR(RequireReason(reason, "rejecting a referral"));
  const UnixTime now = clock_.Now();
  Referral r;
  RETURN_IF_ERROR(store_.Transact([&](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(r, LoadReferral(tx, referral_id));
    RETURN_IF_ERROR(BeginDecision(tx, r, actor, now));
    r.state = ReferralState::kRejected;
    r.reason = std::string(reason);
    r.updated_at = now;
    RETURN_IF_ERROR(tx.UpdateReferral(r.id, r.state, reason, 0, now));
    return tx.AppendAudit({0, now, std::string(actor), "referral.reject", "referral", r.id,
                           std::string(reason), "{}"});
  }));
  return r;
}

Result<Referral> Registry::GetReferral(Id referral_id) {
  return ReadOne(store_, [&](Transaction& tx) { return LoadReferral(tx, referral_id); });
}

Result<std::vector<Referral>> Registry::ListReferrals(std::span<const ReferralState> states) {
  ReferralFilter filter;
  filter.states.assign(states.begin(), states.end());
  return ListReferrals(filter);
}

Result<std::vector<Referral>> Registry::ListReferrals(const ReferralFilter& filter) {
  return ReadOne(store_, [&](Transaction& tx) { return tx.ListReferrals(filter); });
}

Result<Order> Registry::CreateOrder(std::string_view actor, const OrderRequest& request) {
  RETURN_IF_ERROR(ValidateActor(actor));
  const UnixTime now = clock_.Now();
  OrderRequest r = request;
  RETURN_IF_ERROR(PrepareOrder(&r, now, DefaultExpirySeconds(r.kind, r.categories)));
  if (r.targets.empty()) return Status::InvalidArgument("an order needs at least one target");
  Order o;
  RETURN_IF_ERROR(TransactBounded(
      actor, "order.create", r.confirm, now, [&](Transaction& tx, BoundedStep& step) -> Status {
        RETURN_IF_ERROR(CheckGuard(tx, r.targets, now));
        SerialOnce serial(tx, now, actor, "order " + r.reference + " created");
        LogAppender log = Log(tx, now, actor);
        ASSIGN_OR_RETURN(o, InsertOrderWithTargets(tx, r, now, actor, 0, serial, &log));
        RETURN_IF_ERROR(step.Check(tx, serial));
        return log.Close();
      }));
  return o;
}

Result<std::size_t> Registry::AddTargets(std::string_view actor, Id order_id,
                                         std::span<const Target> targets, std::string_view reason,
                                         std::vector<bool>* attached_now, Id confirm) {
  RETURN_IF_ERROR(ValidateActor(actor));
  if (targets.empty()) return Status::InvalidArgument("no targets to add");
  const UnixTime now = clock_.Now();
  std::size_t added = 0;
  RETURN_IF_ERROR(TransactBounded(
      actor, "order.add-targets", confirm, now, [&](Transaction& tx, BoundedStep& step) -> Status {
        ASSIGN_OR_RETURN(Order o, LoadOrder(tx, order_id));
        if (!o.dynamic) {
          return Status::FailedPrecondition(
              OrderLabel(o) + " is not dynamic: its targets were fixed when it was issued");
        }
        if (o.state == OrderState::kLifted || o.state == OrderState::kExpired) {
          return Status::FailedPrecondition(OrderLabel(o) + " is " + std::string(Name(o.state)));
        }
        RETURN_IF_ERROR(CheckGuard(tx, targets, now));
        std::vector<Id> fresh;
        std::vector<Target> fresh_targets;
        if (attached_now != nullptr) attached_now->clear();
        for (const Target& t : targets) {
          ASSIGN_OR_RETURN(Id tid, tx.UpsertTarget(t));
          ASSIGN_OR_RETURN(bool attached, tx.AttachTarget(o.id, tid, now, 0));
          if (attached) {
            fresh.push_back(tid);
            fresh_targets.push_back(t);
          }
          if (attached_now != nullptr) attached_now->push_back(attached);
        }
        added = fresh.size();
        SerialOnce serial(tx, now, actor, "targets added to " + OrderLabel(o));
        if (o.state == OrderState::kInForce) RETURN_IF_ERROR(PutInForce(o.id, fresh, serial));
        RETURN_IF_ERROR(tx.AppendAudit(
            {0, now, std::string(actor), "order.add-targets", "order", o.id, std::string(reason),
             Detail({{"targets", TargetsJson(targets)}, {"new", added}})}));
        LogAppender log = Log(tx, now, actor);
        RETURN_IF_ERROR(log.TargetsAdded(o, fresh_targets, reason));
        RETURN_IF_ERROR(step.Check(tx, serial));
        return log.Close();
      }));
  return added;
}

namespace {

constexpr std::array<OrderState, 3> kLiftable = {OrderState::kPending, OrderState::kInForce,
                                                 OrderState::kSuspended};
constexpr std::array<OrderState, 1> kSuspendable = {OrderState::kInForce};
constexpr std::array<OrderState, 1> kResumable = {OrderState::kSuspended};

}  // namespace

Result<Order> Registry::Lift(std::string_view actor, Id order_id, std::string_view reason,
                             Id confirm) {
  RETURN_IF_ERROR(RequireReason(reason, "lifting an order"));
  return ChangeOrderState(actor, order_id, reason, "order.lift", kLiftable, OrderState::kLifted,
                          confirm);
}

Result<Order> Registry::Suspend(std::string_view actor, Id order_id, std::string_view reason,
                                Id confirm) {
  RETURN_IF_ERROR(RequireReason(reason, "suspending an order"));
  return ChangeOrderState(actor, order_id, reason, "order.suspend", kSuspendable,
                          OrderState::kSuspended, confirm);
}

Result<Order> Registry::Resume(std::string_view actor, Id order_id, std::string_view reason,
                               Id confirm) {
  RETURN_IF_ERROR(RequireReason(reason, "resuming an order"));
  return ChangeOrderState(actor, order_id, reason, "order.resume", kResumable, OrderState::kInForce,
                          confirm);
}

Result<Order> Registry::Renew(std::string_view actor, Id order_id, UnixTime expires_at,
                              std::string_view reason) {
  RETURN_IF_ERROR(ValidateActor(actor));
  RETURN_IF_ERROR(RequireReason(reason, "renewing an order"));
  const UnixTime now = clock_.Now();
  Order o;
  RETURN_IF_ERROR(store_.Transact([&](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(o, LoadOrder(tx, order_id));
    if (o.state != OrderState::kPending && o.state != OrderState::kInForce &&
        o.state != OrderState::kSuspended) {
      return Status::FailedPrecondition(OrderLabel(o) + " is " + std::string(Name(o.state)) +
                                        "; an order is renewed before it ends, not after");
    }
    if (now >= o.expires_at) {
      return Status::FailedPrecondition(OrderLabel(o) + " expired on " + FormatTime(o.expires_at) +
                                        "; it can no longer be renewed");
    }
    if (expires_at <= o.expires_at) {
      return Status::InvalidArgument("expires: " + FormatTime(expires_at) +
                                     " is not later than the current expiry " +
                                     FormatTime(o.expires_at));
    }
    const UnixTime before = o.expires_at;
    o.expires_at = expires_at;
    o.updated_at = now;
    RETURN_IF_ERROR(tx.UpdateOrderExpiry(o.id, expires_at, now));
    RETURN_IF_ERROR(tx.AppendAudit(
        {0, now, std::string(actor), "order.renew", "order", o.id, std::string(reason),
         Detail({{"from", FormatTime(before)}, {"to", FormatTime(expires_at)}})}));
    LogAppender log = Log(tx, now, actor);
    RETURN_IF_ERROR(log.Renewed(o, reason));
    return log.Close();
  }));
  return o;
}

std::int64_t Registry::DefaultExpirySeconds(OrderKind kind, CategorySet categories) const {
  if ((categories & Bit(Category::kLiveSports)) != 0) return options_.live_event_expiry_seconds;
  const auto k = static_cast<std::size_t>(kind);
  return k < std::size(options_.expiry_seconds_by_kind) ? options_.expiry_seconds_by_kind[k]
                                                        : options_.expiry_seconds_by_kind[0];
}

namespace {

// Moves an order from one of `from` to `to` inside `tx` (resuming an order whose time has passed
// expires it instead), logging the pairs that leave or enter the in-force set under one serial,
// and audits the step. `why` starts the serial's summary ("appeal 3: ").
Result<Order> ChangeOrderStateIn(Transaction& tx, UnixTime now, std::string_view actor, Id order_id,
                                 std::string_view reason, std::string_view action,
                                 std::span<const OrderState> from, OrderState to,
                                 std::string_view why = {},
                                 const std::function<Status(const SerialOnce&)>& moved = {}) {
  ASSIGN_OR_RETURN(Order o, LoadOrder(tx, order_id));
  if (std::find(from.begin(), from.end(), o.state) == from.end()) {
    return Status::FailedPrecondition(OrderLabel(o) + " is " + std::string(Name(o.state)) +
                                      "; cannot " + std::string(action.substr(6)) + " it");
  }
  OrderState target = to;
  if (to == OrderState::kInForce) target = StateAt(o, now);
  SerialOnce serial(tx, now, actor, std::string(why) + std::string(action) + " " + OrderLabel(o));
  if (o.state == OrderState::kInForce && target != OrderState::kInForce) {
    RETURN_IF_ERROR(TakeOutOfForce(tx, o.id, serial));
  } else if (o.state != OrderState::kInForce && target == OrderState::kInForce) {
    ASSIGN_OR_RETURN(std::vector<Id> ids, OrderTargetIds(tx, o.id));
    RETURN_IF_ERROR(PutInForce(o.id, ids, serial));
  }
  const OrderState before = o.state;
  o.state = target;
  o.state_reason = std::string(reason);
  o.updated_at = now;
  RETURN_IF_ERROR(tx.UpdateOrderState(o.id, o.state, reason, now));
  RETURN_IF_ERROR(tx.AppendAudit(
      {0, now, std::string(actor), std::string(action), "order", o.id, std::string(reason),
       Detail({{"from", Name(before)}, {"to", Name(o.state)}, {"serial", serial.serial()}})}));
  if (moved) RETURN_IF_ERROR(moved(serial));
  return o;
}

}  // namespace

Result<Order> Registry::ChangeOrderState(std::string_view actor, Id order_id,
                                         std::string_view reason, std::string_view action,
                                         std::span<const OrderState> from, OrderState to,
                                         Id confirm) {
  RETURN_IF_ERROR(ValidateActor(actor));
  const UnixTime now = clock_.Now();
  Order o;
  RETURN_IF_ERROR(TransactBounded(
      actor, action, confirm, now, [&](Transaction& tx, BoundedStep& step) -> Status {
        ASSIGN_OR_RETURN(o, ChangeOrderStateIn(
                                tx, now, actor, order_id, reason, action, from, to, {},
                                [&](const SerialOnce& serial) { return step.Check(tx, serial); }));
        LogAppender log = Log(tx, now, actor);
        // Resuming an order past its expiry expires it: the log says what happened.
        RETURN_IF_ERROR(
            log.StateChanged(o, o.state == OrderState::kExpired ? "order.expire" : action, reason));
        return log.Close();
      }));
  return o;
}

Result<SweepReport> Registry::Sweep(std::string_view actor) {
  RETURN_IF_ERROR(ValidateActor(actor));
  const UnixTime now = clock_.Now();
  SweepReport report;
  RETURN_IF_ERROR(store_.Transact([&](Transaction& tx) -> Status {
    report = SweepReport{};
    ASSIGN_OR_RETURN(std::vector<Order> due, tx.OrdersDueAt(now));
    std::vector<AgedTarget> stale;
    const std::int64_t max_age = options_.address_target_max_age_seconds;
    if (max_age > 0) {
      ASSIGN_OR_RETURN(stale, tx.AddressTargetsConfirmedBefore(now - max_age));
    }
    if (due.empty() && stale.empty()) return Status::Ok();
    SerialOnce serial(tx, now, actor, "sweep: orders expired or became effective");
    LogAppender log = Log(tx, now, actor);
    for (Order& o : due) {
      const OrderState next = StateAt(o, now);
      if (next == o.state) continue;
      if (o.state == OrderState::kInForce) RETURN_IF_ERROR(TakeOutOfForce(tx, o.id, serial));
      if (next == OrderState::kInForce) {
        ASSIGN_OR_RETURN(std::vector<Id> ids, OrderTargetIds(tx, o.id));
        RETURN_IF_ERROR(PutInForce(o.id, ids, serial));
        report.activated.push_back(o.id);
      } else {
        report.expired.push_back(o.id);
      }
      const std::string reason = next == OrderState::kExpired
                                     ? "expired on " + FormatTime(o.expires_at)
                                     : "effective from " + FormatTime(o.effective_at);
      RETURN_IF_ERROR(tx.UpdateOrderState(o.id, next, reason, now));
      const char* event = next == OrderState::kExpired ? "order.expire" : "order.activate";
      RETURN_IF_ERROR(tx.AppendAudit({0, now, std::string(actor), event, "order", o.id, reason,
                                      Detail({{"from", Name(o.state)}, {"to", Name(next)}})}));
      o.state = next;
      RETURN_IF_ERROR(log.StateChanged(o, event, reason));
    }
    // Address targets not re-confirmed in time lapse, order by order (after the orders above
    // changed state: those that expired took their targets out already, and are not listed).
    if (max_age > 0) {
      ASSIGN_OR_RETURN(stale, tx.AddressTargetsConfirmedBefore(now - max_age));
    }
    const std::string why = "not re-confirmed within " + std::to_string(max_age / 86400) +
                            " days (address targets lapse)";
    for (std::size_t i = 0; i < stale.size();) {
      ASSIGN_OR_RETURN(Order o, LoadOrder(tx, stale[i].order_id));
      std::vector<Target> lapsed;
      for (; i < stale.size() && stale[i].order_id == o.id; ++i) {
        ASSIGN_OR_RETURN(bool done, tx.LapseOrderTarget(o.id, stale[i].target_id, now));
        if (!done) continue;
        if (o.state == OrderState::kInForce) {
          RETURN_IF_ERROR(serial.Move(stale[i].target_id, o.id, DeltaOp::kRemove));
        }
        lapsed.push_back(stale[i].target);
        report.lapsed.push_back(stale[i]);
      }
      if (lapsed.empty()) continue;
      RETURN_IF_ERROR(tx.AppendAudit({0, now, std::string(actor), "order.lapse-targets", "order",
                                      o.id, why, Detail({{"targets", TargetsJson(lapsed)}})}));
      RETURN_IF_ERROR(log.TargetsLifted(o, lapsed, why));
    }
    report.serial = serial.serial();
    return log.Close();
  }));
  return report;
}

Result<std::size_t> Registry::Reconfirm(std::string_view actor, Id order_id,
                                        std::span<const Target> targets, std::string_view reason) {
  RETURN_IF_ERROR(ValidateActor(actor));
  RETURN_IF_ERROR(RequireReason(reason, "re-confirming address targets"));
  const UnixTime now = clock_.Now();
  std::size_t count = 0;
  RETURN_IF_ERROR(store_.Transact([&](Transaction& tx) -> Status {
    count = 0;
    ASSIGN_OR_RETURN(Order o, LoadOrder(tx, order_id));
    if (o.state == OrderState::kLifted || o.state == OrderState::kExpired) {
      return Status::FailedPrecondition(OrderLabel(o) + " is " + std::string(Name(o.state)));
    }
    if (targets.empty()) {
      ASSIGN_OR_RETURN(count, tx.ReconfirmOrderTargets(o.id, 0, now));
      if (count == 0) {
        return Status::FailedPrecondition(OrderLabel(o) + " enforces no address targets");
      }
    }
    for (std::size_t i = 0; i < targets.size(); ++i) {
      const Target& t = targets[i];
      const std::string field = "targets[" + std::to_string(i) + "]: " + t.ToString();
      if (t.kind != TargetKind::kIp && t.kind != TargetKind::kCidr) {
        return Status::InvalidArgument(field + " is not an address target (ip or cidr)");
      }
      ASSIGN_OR_RETURN(std::optional<Id> tid, tx.FindTarget(t));
      std::optional<Id> lifted_by;
      if (tid) {
        ASSIGN_OR_RETURN(lifted_by, tx.OrderTargetLiftedBy(o.id, *tid));
      }
      if (!lifted_by)
        return Status::InvalidArgument(field + " is not a target of " + OrderLabel(o));
      if (*lifted_by != 0) {
        return Status::FailedPrecondition(field + (*lifted_by < 0 ? " lapsed" : " was lifted") +
                                          " from " + OrderLabel(o) +
                                          "; an order that still needs it names it again");
      }
      ASSIGN_OR_RETURN(std::size_t n, tx.ReconfirmOrderTargets(o.id, *tid, now));
      count += n;
    }
    return tx.AppendAudit({0, now, std::string(actor), "order.reconfirm-targets", "order", o.id,
                           std::string(reason),
                           Detail({{"targets", TargetsJson(targets)}, {"count", count}})});
  }));
  return count;
}

Result<std::vector<AgedTarget>> Registry::AddressTargetsDue(std::int64_t within) {
  const std::int64_t max_age = options_.address_target_max_age_seconds;
  if (max_age <= 0) return std::vector<AgedTarget>();
  const UnixTime before = clock_.Now() + within - max_age;
  ASSIGN_OR_RETURN(std::vector<AgedTarget> due, ReadOne(store_, [&](Transaction& tx) {
                     return tx.AddressTargetsConfirmedBefore(before);
                   }));
  std::stable_sort(due.begin(), due.end(), [](const AgedTarget& a, const AgedTarget& b) {
    return a.confirmed_at < b.confirmed_at;
  });
  return due;
}

Result<OrderDetail> Registry::ShowOrder(Id order_id) {
  OrderDetail d;
  RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(d.order, LoadOrder(tx, order_id));
    ASSIGN_OR_RETURN(auto targets, tx.OrderTargets(order_id));
    for (auto& p : targets) d.targets.push_back(std::move(p.second));
    ASSIGN_OR_RETURN(auto lifted, tx.LiftedOrderTargets(order_id));
    for (auto& p : lifted) d.lifted_targets.push_back(std::move(p.second));
    ASSIGN_OR_RETURN(std::vector<InForceEntry> in_force, tx.InForceForOrder(order_id));
    d.targets_in_force = in_force.size();
    return Status::Ok();
  }));
  return d;
}

Result<std::vector<Order>> Registry::GetOrders(std::span<const Id> ids) {
  std::vector<Id> sorted(ids.begin(), ids.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::vector<Order> out;
  RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> Status {
    out.clear();
    for (Id id : sorted) {
      ASSIGN_OR_RETURN(std::optional<Order> o, tx.FindOrder(id));
      if (o) out.push_back(*std::move(o));
    }
    return Status::Ok();
  }));
  return out;
}

Result<Order> Registry::FindOrder(std::string_view id_or_reference) {
  Order o;
  RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> Status {
    const bool numeric = !id_or_reference.empty() && id_or_reference.size() < 19 &&
                         id_or_reference.find_first_not_of("0123456789") == std::string_view::npos;
    if (numeric) {
      ASSIGN_OR_RETURN(std::optional<Order> by_id,
                       tx.FindOrder(std::stoll(std::string(id_or_reference))));
      if (by_id) {
        o = *std::move(by_id);
        return Status::Ok();
      }
    }
    ASSIGN_OR_RETURN(std::vector<Order> by_ref, tx.FindOrdersByReference(id_or_reference));
    if (by_ref.empty()) {
      return Status::NotFound("there is no order with id or reference \"" +
                              std::string(id_or_reference) + "\"");
    }
    if (by_ref.size() > 1) {
      std::string msg = "reference \"" + std::string(id_or_reference) + "\" names " +
                        std::to_string(by_ref.size()) + " orders; use an id:";
      for (const Order& x : by_ref) msg += " " + std::to_string(x.id) + " (" + x.body + ")";
      return Status::InvalidArgument(std::move(msg));
    }
    o = std::move(by_ref[0]);
    return Status::Ok();
  }));
  return o;
}

Result<std::vector<Order>> Registry::ListOrders(const OrderFilter& filter) {
  return ReadOne(store_, [&](Transaction& tx) { return tx.ListOrders(filter); });
}

Result<std::vector<InForceEntry>> Registry::InForce(std::optional<TargetKind> kind) {
  return ReadOne(store_, [&](Transaction& tx) { return tx.ListInForce(kind); });
}

Result<InForceSnapshot> Registry::Snapshot() {
  InForceSnapshot snap;
  RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(snap.registry_id, tx.RegistryId());
    ASSIGN_OR_RETURN(snap.serial, tx.CurrentSerial());
    ASSIGN_OR_RETURN(snap.entries, tx.ListInForce(std::nullopt));
    std::vector<Id> ids;
    ids.reserve(snap.entries.size());
    for (const InForceEntry& e : snap.entries) ids.push_back(e.order_id);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    // Every entry's order is in force: one query for all of them, not one per order.
    OrderFilter in_force;
    in_force.state = OrderState::kInForce;
    ASSIGN_OR_RETURN(std::vector<Order> orders, tx.ListOrders(in_force));
    for (Order& o : orders) {
      if (std::binary_search(ids.begin(), ids.end(), o.id)) snap.orders.push_back(std::move(o));
    }
    std::sort(snap.orders.begin(), snap.orders.end(),
              [](const Order& a, const Order& b) { return a.id < b.id; });
    if (snap.orders.size() != ids.size()) {
      return Status::Internal("the in-force set names an order that is not in force");
    }
    return Status::Ok();
  }));
  return snap;
}

Result<std::pair<std::string, Serial>> Registry::Version() {
  std::pair<std::string, Serial> v;
  RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(v.first, tx.RegistryId());
    ASSIGN_OR_RETURN(v.second, tx.CurrentSerial());
    return Status::Ok();
  }));
  return v;
}

Result<std::vector<InForceEntry>> Registry::AllTargets(std::optional<TargetKind> kind) {
  return ReadOne(store_, [&](Transaction& tx) { return tx.ListAttached(kind); });
}

Result<CheckResult> Registry::Check(const Target& query) {
  CheckResult result{query, {}};
  RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> Status {
    switch (query.kind) {
      case TargetKind::kDomain:
      case TargetKind::kDomainTree:
      case TargetKind::kIp: return MatchHost(tx, query.value, &result.matches);
      case TargetKind::kUrl: {
        if (!query.value.empty() && query.value.back() == '*') {
          return Status::InvalidArgument("check takes a URL, not a URL prefix rule");
        }
        return MatchUrl(tx, query.value, &result.matches);
      }
      case TargetKind::kCidr:
      case TargetKind::kApp:
      case TargetKind::kSearch: {
        ASSIGN_OR_RETURN(std::optional<Id> id, tx.FindTarget(query));
        if (!id) return Status::Ok();
        ASSIGN_OR_RETURN(result.matches, tx.InForceForTarget(*id));
        return Status::Ok();
      }
    }
    return Status::Internal("unknown target kind");
  }));
  return result;
}

namespace {

class ImportBatchImpl final : public ImportBatch {
 public:
  ImportBatchImpl(Transaction& tx, UnixTime now, std::string_view actor, std::string_view source,
                  ImportStats* stats, std::function<std::int64_t(OrderKind, CategorySet)> expiry)
      : default_expiry_(std::move(expiry)),
        tx_(tx),
        now_(now),
        actor_(actor),
        source_(source),
        stats_(stats),
        serial_(tx, now, actor, "import from " + std::string(source)),
        audit_detail_(Detail({{"via", "import"}, {"source", source}})) {}

  Status Add(const OrderRequest& header, std::span<const Target> targets) override {
    // Records of one order come in runs; its key finds it without touching the store.
    key_.assign(header.body).push_back('\x1f');
    key_.append(header.reference).push_back('\x1f');
    key_.append(std::to_string(header.issued_at != 0 ? header.issued_at : now_));
    auto it = orders_.find(key_);
    if (it == orders_.end()) {
      OrderRequest r = header;
      RETURN_IF_ERROR(PrepareOrder(&r, now_, default_expiry_(r.kind, r.categories)));
      // Most orders of an import are new: try to create it, and look it up only when it exists.
      r.targets.clear();
      r.reason = "imported from " + source_;
      Result<Order> created =
          InsertOrderWithTargets(tx_, r, now_, actor_, 0, serial_, nullptr, audit_detail_);
      Known k;
      if (created.ok()) {
        k = {created->id, created->state, true, false, *created, {}};
        ++stats_->orders_created;
      } else if (created.status().code() == StatusCode::kAlreadyExists) {
        ASSIGN_OR_RETURN(std::optional<Order> existing,
                         tx_.FindOrderByKey(r.body, r.reference, r.issued_at));
        if (!existing) return Status::Internal("order " + r.reference + " exists and does not");
        k = {existing->id, existing->state, false, false, *existing, {}};
      } else {
        return created.status();
      }
      it = orders_.emplace(key_, k).first;
    }
    Known& k = it->second;
    if (k.state == OrderState::kLifted) {
      return Status::FailedPrecondition("order " + header.reference + " of " + header.body +
                                        " was lifted in this registry; not re-imported");
    }
    std::size_t attached = 0;
    for (const Target& t : targets) {
      ASSIGN_OR_RETURN(Id tid, tx_.UpsertTarget(t));
      ASSIGN_OR_RETURN(bool fresh, tx_.AttachTarget(k.id, tid, now_, 0));
      if (!fresh) continue;
      ++attached;
      k.attached.push_back(t);
      if (k.state == OrderState::kInForce) {
        RETURN_IF_ERROR(serial_.Move(tid, k.id, DeltaOp::kAdd));
        ++stats_->targets_in_force;
      }
    }
    stats_->targets_attached += attached;
    if (attached > 0 && !k.created && !k.extended) {
      k.extended = true;
      ++stats_->orders_extended;
    }
    return Status::Ok();
  }

  Serial serial() const { return serial_.serial(); }
  const SerialOnce& serial_once() const { return serial_; }

  // One transparency log entry per order the import touched, in the order first met: the order
  // issued with its targets, or the targets it gained.
  Status LogOrders(LogAppender& log) {
    std::vector<const Known*> touched;
    touched.reserve(orders_.size());
    for (const auto& [key, k] : orders_) touched.push_back(&k);
    std::sort(touched.begin(), touched.end(),
              [](const Known* a, const Known* b) { return a->order.id < b->order.id; });
    const std::string reason = "imported from " + source_;
    for (const Known* k : touched) {
      if (k->created) {
        RETURN_IF_ERROR(log.OrderCreated(k->order, k->attached, reason));
      } else {
        RETURN_IF_ERROR(log.TargetsAdded(k->order, k->attached, reason));
      }
    }
    return Status::Ok();
  }

 private:
  std::function<std::int64_t(OrderKind, CategorySet)> default_expiry_;
  struct Known {
    Id id = 0;
    OrderState state = OrderState::kPending;
    bool created = false;
    bool extended = false;
    Order order;                   // as created or found
    std::vector<Target> attached;  // newly attached by this import
  };

  Transaction& tx_;
  UnixTime now_;
  std::string_view actor_;
  std::string source_;
  ImportStats* stats_;
  SerialOnce serial_;
  const std::string audit_detail_;
  std::string key_;  // scratch for Add
  std::unordered_map<std::string, Known> orders_;
};

}  // namespace

Result<ImportStats> Registry::Import(std::string_view actor, std::string_view source,
                                     const std::function<Status(ImportBatch&)>& feed, Id confirm) {
  RETURN_IF_ERROR(ValidateActor(actor));
  const UnixTime now = clock_.Now();
  ImportStats stats;
  RETURN_IF_ERROR(TransactBounded(
      actor, "import", confirm, now, [&](Transaction& tx, BoundedStep& step) -> Status {
        stats = ImportStats{};
        ImportBatchImpl batch(tx, now, actor, source, &stats,
                              [this](OrderKind kind, CategorySet categories) {
                                return DefaultExpirySeconds(kind, categories);
                              });
        RETURN_IF_ERROR(feed(batch));
        RETURN_IF_ERROR(step.Check(tx, batch.serial_once()));
        stats.serial = batch.serial();
        LogAppender log = Log(tx, now, actor);
        RETURN_IF_ERROR(batch.LogOrders(log));
        RETURN_IF_ERROR(log.Close());
        return tx.AppendAudit({0, now, std::string(actor), "import", "registry", 0, "",
                               Detail({{"source", source},
                                       {"orders_created", stats.orders_created},
                                       {"orders_extended", stats.orders_extended},
                                       {"targets_attached", stats.targets_attached},
                                       {"targets_in_force", stats.targets_in_force},
                                       {"serial", stats.serial}})});
      }));
  return stats;
}

Result<Serial> Registry::CurrentSerial() {
  return ReadOne(store_, [](Transaction& tx) { return tx.CurrentSerial(); });
}

Result<std::vector<SerialInfo>> Registry::ListSerials(Serial after, std::size_t limit) {
  return ReadOne(store_, [&](Transaction& tx) { return tx.ListSerials(after, limit); });
}

Result<std::vector<DeltaEntry>> Registry::SerialDelta(Serial serial) {
  return ReadOne(store_, [&](Transaction& tx) { return tx.SerialDelta(serial); });
}

Result<std::vector<AuditEntry>> Registry::Audit(const AuditFilter& filter) {
  return ReadOne(store_, [&](Transaction& tx) { return tx.ListAudit(filter); });
}

Result<RegistryCounts> Registry::Counts() {
  return ReadOne(store_, [&](Transaction& tx) { return tx.Counts(); });
}

namespace {

// "authority" or "auditor or authority": the organization kinds a role fits.
std::string FittingKinds(Role role) {
  std::string out;
  for (int k = 0; k <= static_cast<int>(OrgKind::kAuditor); ++k) {
    if (!RoleFitsOrg(role, static_cast<OrgKind>(k))) continue;
    if (!out.empty()) out += " or ";
    out += Name(static_cast<OrgKind>(k));
  }
  return out;
}

json::object TokenJson(const ApiToken& t) {
  return {{"org", t.org_name}, {"org_id", t.org_id}, {"role", Name(t.role)}, {"label", t.label}};
}

constexpr std::size_t kMaxLabel = 200;
constexpr std::size_t kMaxAckNote = 1000;

}  // namespace

Result<std::pair<ApiToken, std::string>> Registry::CreateToken(std::string_view actor, Id org_id,
                                                               Role role, std::string_view label) {
  RETURN_IF_ERROR(ValidateActor(actor));
  if (label.size() > kMaxLabel) {
    return Status::InvalidArgument("label: longer than " + std::to_string(kMaxLabel) + " bytes");
  }
  ASSIGN_OR_RETURN(std::string secret, GenerateTokenSecret());
  const std::string hash = TokenHash(secret);
  const UnixTime now = clock_.Now();
  ApiToken t;
  t.org_id = org_id;
  t.role = role;
  t.label = std::string(label);
  t.created_at = now;
  t.created_by = std::string(actor);
  RETURN_IF_ERROR(store_.Transact([&](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(std::optional<Organization> org, tx.FindOrganizationById(org_id));
    if (!org) return Status::NotFound("org: there is no organization " + std::to_string(org_id));
    if (!RoleFitsOrg(role, org->kind)) {
      return Status::InvalidArgument("role: a token with role " + std::string(Name(role)) +
                                     " is for an organization of kind " + FittingKinds(role) +
                                     "; \"" + org->name + "\" is of kind " +
                                     std::string(Name(org->kind)));
    }
    t.org_name = org->name;
    ASSIGN_OR_RETURN(t.id, tx.InsertApiToken(t, hash));
    return tx.AppendAudit(
        {0, now, std::string(actor), "token.create", "token", t.id, "", Detail(TokenJson(t))});
  }));
  return std::make_pair(std::move(t), std::move(secret));
}

Result<ApiToken> Registry::RevokeToken(std::string_view actor, Id token_id) {
  RETURN_IF_ERROR(ValidateActor(actor));
  const UnixTime now = clock_.Now();
  ApiToken t;
  RETURN_IF_ERROR(store_.Transact([&](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(std::optional<ApiToken> found, tx.FindApiToken(token_id));
    if (!found) return Status::NotFound("there is no token " + std::to_string(token_id));
    t = *std::move(found);
    if (t.revoked()) {
      return Status::FailedPrecondition("token " + std::to_string(t.id) + " was revoked at " +
                                        FormatTime(t.revoked_at));
    }
    t.revoked_at = now;
    RETURN_IF_ERROR(tx.RevokeApiToken(t.id, now));
    return tx.AppendAudit(
        {0, now, std::string(actor), "token.revoke", "token", t.id, "", Detail(TokenJson(t))});
  }));
  return t;
}

Result<std::vector<ApiToken>> Registry::ListTokens() {
  return ReadOne(store_, [](Transaction& tx) { return tx.ListApiTokens(); });
}

Result<std::optional<Principal>> Registry::Authenticate(std::string_view secret) {
  if (!IsWellFormedTokenSecret(secret)) return std::optional<Principal>();
  const std::string hash = TokenHash(secret);
  std::optional<Principal> out;
  RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(std::optional<ApiTokenMatch> m, tx.FindApiTokenByHash(hash));
    if (!m || m->token.revoked()) return Status::Ok();
    out = Principal{m->token.id, m->org.id, m->org.kind, m->org.name, m->token.role};
    return Status::Ok();
  }));
  return out;
}

Result<AckResult> Registry::Acknowledge(std::string_view actor, Id org_id, Scope scope,
                                        std::span<const AckItem> items) {
  RETURN_IF_ERROR(ValidateActor(actor));
  if (items.empty()) return Status::InvalidArgument("items: nothing to acknowledge");
  const UnixTime now = clock_.Now();
  AckResult result;
  RETURN_IF_ERROR(store_.Transact([&](Transaction& tx) -> Status {
    result = AckResult{};
    ASSIGN_OR_RETURN(std::optional<Organization> org, tx.FindOrganizationById(org_id));
    if (!org) return Status::NotFound("org: there is no organization " + std::to_string(org_id));
    const std::optional<Scope> own = IntermediaryScope(org->kind);
    if (!own) {
      return Status::InvalidArgument("org: \"" + org->name + "\" is of kind " +
                                     std::string(Name(org->kind)) +
                                     "; only isp, search, appstore and vpn organizations "
                                     "acknowledge items");
    }
    if (*own != scope) {
      return Status::InvalidArgument(
          "scope: \"" + org->name + "\" (" + std::string(Name(org->kind)) + ") acknowledges the " +
          std::string(Name(*own)) + " view, not " + std::string(Name(scope)));
    }
    // Check every item before writing any.
    std::unordered_map<Id, std::optional<Order>> orders;
    std::map<std::pair<Id, Id>, std::size_t> seen;
    std::vector<Id> target_ids(items.size(), 0);
    for (std::size_t i = 0; i < items.size(); ++i) {
      const AckItem& item = items[i];
      auto refuse = [&](std::string field, std::string why) {
        result.errors.push_back({i, std::move(field), std::move(why)});
      };
      if (item.processed && item.reason) {
        refuse("reason", "a processed item takes no reason");
      } else if (!item.processed && !item.reason) {
        refuse("reason",
               "an unprocessed item needs a reason: already-blocked, not-applicable or "
               "technical-error");
      }
      if (item.note.size() > kMaxAckNote) {
        refuse("note", "longer than " + std::to_string(kMaxAckNote) + " bytes");
      }
      auto [it, fresh] = orders.try_emplace(item.order_id);
      if (fresh) {
        ASSIGN_OR_RETURN(it->second, tx.FindOrder(item.order_id));
      }
      const std::optional<Order>& o = it->second;
      if (!o) {
        refuse("order_id", "there is no order " + std::to_string(item.order_id));
        continue;
      }
      if (o->state != OrderState::kInForce) {
        refuse("order_id",
               OrderLabel(*o) + " is " + std::string(Name(o->state)) + ", not in force");
        continue;
      }
      if ((o->scope & Bit(scope)) == 0) {
        refuse("order_id", OrderLabel(*o) + " does not apply to the " + std::string(Name(scope)) +
                               " view (its scope is " + FormatScopes(o->scope) + ")");
        continue;
      }
      if (!ScopeCarries(scope, item.target.kind)) {
        refuse("target", "the " + std::string(Name(scope)) + " view carries no " +
                             std::string(TargetKindName(item.target.kind)) + " targets");
        continue;
      }
      ASSIGN_OR_RETURN(std::optional<Id> tid, tx.FindTarget(item.target));
      bool in_force = false;
      if (tid) {
        ASSIGN_OR_RETURN(std::vector<InForceEntry> entries, tx.InForceForTarget(*tid));
        for (const InForceEntry& e : entries) in_force = in_force || e.order_id == o->id;
      }
      if (!in_force) {
        refuse("target", item.target.ToString() + " is not in force under " + OrderLabel(*o));
        continue;
      }
      const auto [first, inserted] = seen.emplace(std::make_pair(o->id, *tid), i);
      if (!inserted) {
        refuse("target",
               "item " + std::to_string(first->second) + " already names this order and target");
        continue;
      }
      target_ids[i] = *tid;
    }
    if (!result.errors.empty()) return Status::Ok();  // nothing written
    for (std::size_t i = 0; i < items.size(); ++i) {
      const AckItem& item = items[i];
      ASSIGN_OR_RETURN(std::optional<Acknowledgement> before,
                       tx.FindAcknowledgement(org->id, item.order_id, target_ids[i]));
      Acknowledgement a{org->id,     item.order_id, item.target, item.processed,
                        item.reason, item.note,     now,         std::string(actor)};
      RETURN_IF_ERROR(tx.PutAcknowledgement(a, target_ids[i]));
      json::object detail{{"org", org->name},
                          {"org_id", org->id},
                          {"target", item.target.ToString()},
                          {"status", item.processed ? "processed" : "unprocessed"}};
      if (!item.note.empty()) detail["note"] = item.note;
      if (before) {
        ++result.replaced;
        detail["replaces"] = before->processed
                                 ? std::string("processed")
                                 : "unprocessed: " + std::string(Name(*before->reason));
      }
      RETURN_IF_ERROR(tx.AppendAudit(
          {0, now, std::string(actor), "order.acknowledge", "order", item.order_id,
           item.reason ? std::string(Name(*item.reason)) : std::string(), Detail(detail)}));
    }
    result.written = items.size();
    return Status::Ok();
  }));
  return result;
}

Result<std::vector<Acknowledgement>> Registry::Acknowledgements(Id org_id, Id order_id) {
  return ReadOne(store_,
                 [&](Transaction& tx) { return tx.ListAcknowledgements(org_id, order_id); });
}

std::int64_t Registry::DeadlineSeconds(const Order& order) const {
  return (order.categories & Bit(Category::kLiveSports)) != 0 ? options_.live_event_deadline_seconds
                                                              : options_.default_deadline_seconds;
}

OverdueQuery Registry::MakeOverdueQuery() const {
  OverdueQuery q;
  q.now = clock_.Now();
  q.live_categories = Bit(Category::kLiveSports);
  q.live_deadline_seconds = options_.live_event_deadline_seconds;
  q.default_deadline_seconds = options_.default_deadline_seconds;
  return q;
}

Result<std::vector<OverdueItem>> Registry::Overdue(std::optional<Id> org_id,
                                                   std::optional<Id> order_id) {
  OverdueQuery q = MakeOverdueQuery();
  return ReadOne(store_, [&](Transaction& tx) -> Result<std::vector<OverdueItem>> {
    if (org_id) {
      ASSIGN_OR_RETURN(std::optional<Organization> org, tx.FindOrganizationById(*org_id));
      if (!org) return Status::NotFound("org: there is no organization " + std::to_string(*org_id));
      if (!IntermediaryScope(org->kind)) {
        return Status::InvalidArgument("org: \"" + org->name + "\" is of kind " +
                                       std::string(Name(org->kind)) +
                                       "; only isp, search, appstore and vpn organizations "
                                       "acknowledge items");
      }
      q.org_id = org->id;
    }
    if (order_id) {
      ASSIGN_OR_RETURN(Order o, LoadOrder(tx, *order_id));
      q.order_id = o.id;
    }
    return tx.ListOverdue(q);
  });
}

Result<OverdueSummary> Registry::SummarizeOverdue() {
  const OverdueQuery q = MakeOverdueQuery();
  OverdueSummary out;
  RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(out.by_org, tx.CountOverdue(q, /*by_order=*/false));
    ASSIGN_OR_RETURN(out.by_order, tx.CountOverdue(q, /*by_order=*/true));
    out.total = 0;
    for (const OverdueCount& c : out.by_org) out.total += c.overdue;
    return Status::Ok();
  }));
  return out;
}

}  // namespace interdict

namespace interdict {
namespace {

// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code points above U+10FFFF).
bool IsUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    unsigned min = 0;
    unsigned cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xe0) == 0xc0) {
      n = 1;
      min = 0x80;
      cp = c & 0x1fu;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      min = 0x800;
      cp = c & 0x0fu;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      min = 0x10000;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

// Control characters; `allow_lines` lets tab, CR and LF through (a statement has paragraphs).
bool HasControl(std::string_view s, bool allow_lines) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (allow_lines && (c == '\t' || c == '\n' || c == '\r')) continue;
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

Status CheckText(std::string_view field, std::string_view v, std::size_t max, bool allow_lines) {
  if (v.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Status::InvalidArgument(std::string(field) + ": is required");
  }
  if (v.size() > max) {
    return Status::InvalidArgument(std::string(field) + ": is longer than " + std::to_string(max) +
                                   " bytes");
  }
  if (!IsUtf8(v)) return Status::InvalidArgument(std::string(field) + ": is not valid UTF-8");
  if (HasControl(v, allow_lines)) {
    return Status::InvalidArgument(std::string(field) + ": contains control characters");
  }
  return Status::Ok();
}

// An e-mail address (local@domain, the domain a name with a dot, at most 254 bytes) or an
// http(s) URL.
Status CheckContact(std::string_view contact) {
  RETURN_IF_ERROR(CheckText("contact", contact, kMaxAppealContact, false));
  if (contact.find("://") != std::string_view::npos) {
    if (!contact.starts_with("http://") && !contact.starts_with("https://")) {
      return Status::InvalidArgument("contact: a URL must be http:// or https://");
    }
    Result<std::string> url = NormalizeUrl(contact);
    if (!url.ok()) return Status::InvalidArgument("contact: " + url.status().message());
    return Status::Ok();
  }
  const std::size_t at = contact.rfind('@');
  if (at == std::string_view::npos || at == 0 || at > 64 || contact.size() > 254) {
    return Status::InvalidArgument(
        "contact: expected an e-mail address (name@domain, at most 254 bytes) or an http(s) URL");
  }
  const std::string_view local = contact.substr(0, at);
  if (local.find_first_of(" \"(),:;<>@[\\]") != std::string_view::npos) {
    return Status::InvalidArgument("contact: the part before @ has characters an address may not");
  }
  const std::string_view domain = contact.substr(at + 1);
  Result<std::string> d = NormalizeDomain(domain);
  if (!d.ok() || d->find('.') == std::string::npos) {
    return Status::InvalidArgument("contact: \"" + std::string(domain.substr(0, 80)) +
                                   "\" is not a mail domain");
  }
  return Status::Ok();
}

Status ValidateAppeal(const AppealRequest& r) {
  if (r.order_id <= 0) return Status::InvalidArgument("order_id: is required");
  RETURN_IF_ERROR(CheckText("name", r.name, kMaxAppealName, false));
  RETURN_IF_ERROR(CheckContact(r.contact));
  return CheckText("statement", r.statement, kMaxAppealStatement, true);
}

// An order an appeal can be filed against (or decided on by lifting): not lifted or expired.
Status RequireOpenOrder(const Order& o, UnixTime now) {
  if (o.state == OrderState::kLifted || o.state == OrderState::kExpired || now >= o.expires_at) {
    return Status::FailedPrecondition(
        "order_id: " + OrderLabel(o) + " is " +
        std::string(o.state == OrderState::kLifted ? "lifted" : "expired") +
        "; it blocks nothing any more");
  }
  return Status::Ok();
}

Result<Appeal> LoadAppeal(Transaction& tx, Id id) {
  ASSIGN_OR_RETURN(std::optional<Appeal> a, tx.FindAppeal(id));
  if (!a) return Status::NotFound("there is no appeal " + std::to_string(id));
  return *std::move(a);
}

constexpr std::array<OrderState, 3> kAppealLiftable = {OrderState::kPending, OrderState::kInForce,
                                                       OrderState::kSuspended};

}  // namespace

Result<Appeal> Registry::FileAppeal(std::string_view actor, const AppealRequest& request) {
  RETURN_IF_ERROR(ValidateActor(actor));
  RETURN_IF_ERROR(ValidateAppeal(request));
  const UnixTime now = clock_.Now();
  Appeal a;
  RETURN_IF_ERROR(store_.Transact([&](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(std::optional<Order> o, tx.FindOrder(request.order_id));
    if (!o)
      return Status::NotFound("order_id: there is no order " + std::to_string(request.order_id));
    RETURN_IF_ERROR(RequireOpenOrder(*o, now));
    Id target_id = 0;
    if (request.target) {
      ASSIGN_OR_RETURN(std::optional<Id> tid, tx.FindTarget(*request.target));
      std::optional<Id> lifted_by;
      if (tid) {
        ASSIGN_OR_RETURN(lifted_by, tx.OrderTargetLiftedBy(o->id, *tid));
      }
      if (!lifted_by) {
        return Status::InvalidArgument("target: " + request.target->ToString() +
                                       " is not a target of " + OrderLabel(*o));
      }
      if (*lifted_by != 0) {
        return Status::FailedPrecondition("target: " + request.target->ToString() +
                                          " was lifted from " + OrderLabel(*o) +
                                          LiftedHow(*lifted_by));
      }
      target_id = *tid;
    }
    a = Appeal{};
    a.order_id = o->id;
    a.order_body = o->body;
    a.order_reference = o->reference;
    a.target = request.target;
    a.party = request.party;
    a.name = request.name;
    a.contact = request.contact;
    a.statement = request.statement;
    a.filed_at = now;
    a.state = AppealState::kFiled;
    ASSIGN_OR_RETURN(a.id, tx.InsertAppeal(a, target_id));
    // The contact and the statement stay in the appeal's row, not in the trail.
    json::object detail{{"order", o->id}, {"party", Name(a.party)}, {"name", a.name}};
    if (a.target) detail["target"] = a.target->ToString();
    return tx.AppendAudit(
        {0, now, std::string(actor), "appeal.file", "appeal", a.id, "", Detail(detail)});
  }));
  return a;
}

Result<Appeal> Registry::DecideAppeal(std::string_view actor, Id appeal_id, AppealDecision decision,
                                      std::string_view reason, std::span<const Target> targets) {
  RETURN_IF_ERROR(ValidateActor(actor));
  if (reason.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Status::InvalidArgument("reason: a decision needs a reason");
  }
  if (reason.size() > kMaxAppealReason) {
    return Status::InvalidArgument("reason: is longer than " + std::to_string(kMaxAppealReason) +
                                   " bytes");
  }
  if (decision != AppealDecision::kLiftTargets && !targets.empty()) {
    return Status::InvalidArgument("targets: only a lift-targets decision names targets");
  }
  const UnixTime now = clock_.Now();
  Appeal a;
  RETURN_IF_ERROR(store_.Transact([&](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(a, LoadAppeal(tx, appeal_id));
    if (a.state != AppealState::kFiled) {
      return Status::FailedPrecondition(
          "appeal " + std::to_string(a.id) + " was decided (" + std::string(Name(a.state)) +
          ") by " + a.decided_by + " at " + FormatTime(a.decided_at) + "; a decision is final");
    }
    const std::string why = "appeal " + std::to_string(a.id) + ": ";
    json::object detail{{"decision", Name(decision)}, {"order", a.order_id}};
    switch (decision) {
      case AppealDecision::kUphold: a.state = AppealState::kUpheld; break;
      case AppealDecision::kLift: {
        ASSIGN_OR_RETURN(
            Order o, ChangeOrderStateIn(tx, now, actor, a.order_id, why + std::string(reason),
                                        "order.lift", kAppealLiftable, OrderState::kLifted, why));
        LogAppender log = Log(tx, now, actor);
        RETURN_IF_ERROR(log.StateChanged(o, "order.lift", why + std::string(reason)));
        RETURN_IF_ERROR(log.Close());
        a.state = AppealState::kLifted;
        break;
      }
      case AppealDecision::kLiftTargets: {
        std::vector<Target> lift(targets.begin(), targets.end());
        if (lift.empty() && a.target) lift.push_back(*a.target);
        if (lift.empty()) {
          return Status::InvalidArgument(
              "targets: name the targets to lift (this appeal is against the whole order)");
        }
        ASSIGN_OR_RETURN(Order o, LoadOrder(tx, a.order_id));
        RETURN_IF_ERROR(RequireOpenOrder(o, now));
        std::vector<Id> ids;
        for (std::size_t i = 0; i < lift.size(); ++i) {
          const std::string field = "targets[" + std::to_string(i) + "]";
          ASSIGN_OR_RETURN(std::optional<Id> tid, tx.FindTarget(lift[i]));
          std::optional<Id> lifted_by;
          if (tid) {
            ASSIGN_OR_RETURN(lifted_by, tx.OrderTargetLiftedBy(o.id, *tid));
          }
          if (!lifted_by) {
            return Status::InvalidArgument(field + ": " + lift[i].ToString() +
                                           " is not a target of " + OrderLabel(o));
          }
          if (*lifted_by != 0) {
            return Status::FailedPrecondition(field + ": " + lift[i].ToString() +
                                              " was already lifted from " + OrderLabel(o) +
                                              LiftedHow(*lifted_by));
          }
          if (std::find(ids.begin(), ids.end(), *tid) != ids.end()) {
            return Status::InvalidArgument(field + ": " + lift[i].ToString() + " is named twice");
          }
          ids.push_back(*tid);
        }
        ASSIGN_OR_RETURN(auto enforced, tx.OrderTargets(o.id));
        if (ids.size() >= enforced.size()) {
          return Status::InvalidArgument("targets: these are all the targets " + OrderLabel(o) +
                                         " still enforces; decide lift to lift the whole order");
        }
        SerialOnce serial(tx, now, actor, why + "targets lifted from " + OrderLabel(o));
        for (const Id tid : ids) {
          ASSIGN_OR_RETURN(bool lifted, tx.LiftOrderTarget(o.id, tid, a.id, now));
          if (!lifted) return Status::Internal("target " + std::to_string(tid) + " vanished");
          if (o.state == OrderState::kInForce) {
            RETURN_IF_ERROR(serial.Move(tid, o.id, DeltaOp::kRemove));
          }
        }
        std::sort(lift.begin(), lift.end());
        RETURN_IF_ERROR(tx.AppendAudit({0, now, std::string(actor), "order.lift-targets", "order",
                                        o.id, why + std::string(reason),
                                        Detail({{"appeal", a.id},
                                                {"targets", TargetsJson(lift)},
                                                {"serial", serial.serial()}})}));
        LogAppender log = Log(tx, now, actor);
        RETURN_IF_ERROR(log.TargetsLifted(o, lift, why + std::string(reason)));
        RETURN_IF_ERROR(log.Close());
        detail["targets"] = TargetsJson(lift);
        detail["serial"] = serial.serial();
        a.lifted_targets = std::move(lift);
        a.state = AppealState::kPartlyLifted;
        break;
      }
    }
    a.reason = std::string(reason);
    a.decided_by = std::string(actor);
    a.decided_at = now;
    RETURN_IF_ERROR(tx.DecideAppeal(a));
    return tx.AppendAudit({0, now, std::string(actor), "appeal.decide", "appeal", a.id,
                           std::string(reason), Detail(detail)});
  }));
  return a;
}

Result<Appeal> Registry::GetAppeal(Id appeal_id) {
  return ReadOne(store_, [&](Transaction& tx) { return LoadAppeal(tx, appeal_id); });
}

Result<std::vector<Appeal>> Registry::ListAppeals(const AppealFilter& filter) {
  return ReadOne(store_, [&](Transaction& tx) { return tx.ListAppeals(filter); });
}

}  // namespace interdict
