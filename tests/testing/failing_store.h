// A Store decorator that fails the N-th write of a transaction with an I/O error, to prove that
// every workflow step is atomic: whatever write fails, nothing of the step remains.
#pragma once

#include "store/store.h"

namespace interdict::testing {

class FailingTransaction final : public Transaction {
 public:
  FailingTransaction(Transaction& inner, int* writes_left) : in_(inner), left_(writes_left) {}

  Result<Id> InsertOrganization(const Organization& o) override {
    RETURN_IF_ERROR(Tick());
    return in_.InsertOrganization(o);
  }
  Result<std::optional<Organization>> FindOrganization(std::string_view n) override {
    return in_.FindOrganization(n);
  }
  Result<std::optional<Organization>> FindOrganizationById(Id id) override {
    return in_.FindOrganizationById(id);
  }
  Result<std::vector<Organization>> ListOrganizations() override { return in_.ListOrganizations(); }
  Result<Id> UpsertTarget(const Target& t) override {
    RETURN_IF_ERROR(Tick());
    return in_.UpsertTarget(t);
  }
  Result<std::optional<Id>> FindTarget(const Target& t) override { return in_.FindTarget(t); }
  Result<Id> InsertOrder(const Order& o) override {
    RETURN_IF_ERROR(Tick());
    return in_.InsertOrder(o);
  }
  Result<std::optional<Order>> FindOrder(Id id) override { return in_.FindOrder(id); }
  Result<std::optional<Order>> FindOrderByKey(std::string_view b, std::string_view r,
                                              UnixTime i) override {
    return in_.FindOrderByKey(b, r, i);
  }
  Result<std::vector<Order>> FindOrdersByReference(std::string_view r) override {
    return in_.FindOrdersByReference(r);
  }
  Result<std::vector<Order>> ListOrders(const OrderFilter& f) override { return in_.ListOrders(f); }
  Result<std::vector<Order>> OrdersDueAt(UnixTime now) override { return in_.OrdersDueAt(now); }
  Status UpdateOrderState(Id id, OrderState s, std::string_view r, UnixTime at) override {
    RETURN_IF_ERROR(Tick());
    return in_.UpdateOrderState(id, s, r, at);
  }
  Status UpdateOrderExpiry(Id id, UnixTime expires_at, UnixTime at) override {
    RETURN_IF_ERROR(Tick());
    return in_.UpdateOrderExpiry(id, expires_at, at);
  }
  Result<bool> AttachTarget(Id o, Id t, UnixTime at, Id r) override {
    RETURN_IF_ERROR(Tick());
    return in_.AttachTarget(o, t, at, r);
  }
  Result<std::vector<std::pair<Id, Target>>> OrderTargets(Id o) override {
    return in_.OrderTargets(o);
  }
  Result<std::vector<std::pair<Id, Target>>> LiftedOrderTargets(Id o) override {
    return in_.LiftedOrderTargets(o);
  }
  Result<std::optional<Id>> OrderTargetLiftedBy(Id o, Id t) override {
    return in_.OrderTargetLiftedBy(o, t);
  }
  Result<bool> LiftOrderTarget(Id o, Id t, Id a, UnixTime at) override {
    RETURN_IF_ERROR(Tick());
    return in_.LiftOrderTarget(o, t, a, at);
  }
  Result<std::vector<AgedTarget>> AddressTargetsConfirmedBefore(UnixTime before) override {
    return in_.AddressTargetsConfirmedBefore(before);
  }
  Result<bool> LapseOrderTarget(Id o, Id t, UnixTime at) override {
    RETURN_IF_ERROR(Tick());
    return in_.LapseOrderTarget(o, t, at);
  }
  Result<std::size_t> ReconfirmOrderTargets(Id o, Id t, UnixTime at) override {
    RETURN_IF_ERROR(Tick());
    return in_.ReconfirmOrderTargets(o, t, at);
  }
  Result<Id> InsertHeldChange(const HeldChange& c) override {
    RETURN_IF_ERROR(Tick());
    return in_.InsertHeldChange(c);
  }
  Result<std::optional<HeldChange>> FindHeldChange(Id id) override {
    return in_.FindHeldChange(id);
  }
  Result<std::vector<HeldChange>> ListHeldChanges(bool open_only) override {
    return in_.ListHeldChanges(open_only);
  }
  Status ConfirmHeldChange(Id id, std::string_view actor, UnixTime at) override {
    RETURN_IF_ERROR(Tick());
    return in_.ConfirmHeldChange(id, actor, at);
  }
  Result<Id> InsertAppeal(const Appeal& a, Id t) override {
    RETURN_IF_ERROR(Tick());
    return in_.InsertAppeal(a, t);
  }
  Result<std::optional<Appeal>> FindAppeal(Id id) override { return in_.FindAppeal(id); }
  Result<std::vector<Appeal>> ListAppeals(const AppealFilter& f) override {
    return in_.ListAppeals(f);
  }
  Status DecideAppeal(const Appeal& a) override {
    RETURN_IF_ERROR(Tick());
    return in_.DecideAppeal(a);
  }
  Result<Id> InsertReferral(const Referral& r) override {
    RETURN_IF_ERROR(Tick());
    return in_.InsertReferral(r);
  }
  Result<std::optional<Referral>> FindReferral(Id id) override { return in_.FindReferral(id); }
  Result<std::vector<Referral>> ListReferrals(const ReferralFilter& f) override {
    return in_.ListReferrals(f);
  }
  Status UpdateReferral(Id id, ReferralState s, std::string_view r, Id o, UnixTime at) override {
    RETURN_IF_ERROR(Tick());
    return in_.UpdateReferral(id, s, r, o, at);
  }
  Result<std::vector<Id>> OpenReferralsWithTarget(Id t) override {
    return in_.OpenReferralsWithTarget(t);
  }
  Result<std::string> RegistryId() override { return in_.RegistryId(); }
  Result<Serial> CurrentSerial() override { return in_.CurrentSerial(); }
  Result<Serial> NextSerial(UnixTime at, std::string_view a, std::string_view s) override {
    RETURN_IF_ERROR(Tick());
    return in_.NextSerial(at, a, s);
  }
  Status LogInForce(Serial s, Id t, Id o, DeltaOp op) override {
    RETURN_IF_ERROR(Tick());
    return in_.LogInForce(s, t, o, op);
  }
  Result<std::vector<InForceEntry>> InForceForTarget(Id t) override {
    return in_.InForceForTarget(t);
  }
  Result<std::vector<InForceEntry>> InForceForOrder(Id o) override {
    return in_.InForceForOrder(o);
  }
  Result<std::vector<InForceEntry>> ListInForce(std::optional<TargetKind> k) override {
    return in_.ListInForce(k);
  }
  Result<std::vector<InForceEntry>> ListAttached(std::optional<TargetKind> k) override {
    return in_.ListAttached(k);
  }
  Result<std::vector<InForceEntry>> InForceInRange(TargetKind k, std::string_view lo,
                                                   std::string_view hi) override {
    return in_.InForceInRange(k, lo, hi);
  }
  Result<std::vector<SerialInfo>> ListSerials(Serial after, std::size_t limit) override {
    return in_.ListSerials(after, limit);
  }
  Result<std::vector<DeltaEntry>> SerialDelta(Serial s) override { return in_.SerialDelta(s); }
  Status AppendAudit(const AuditEntry& e) override {
    RETURN_IF_ERROR(Tick());
    return in_.AppendAudit(e);
  }
  Result<std::vector<AuditEntry>> ListAudit(const AuditFilter& f) override {
    return in_.ListAudit(f);
  }
  Result<std::uint64_t> LogSize() override { return in_.LogSize(); }
  Status AppendLogEntry(const LogEntry& e) override {
    RETURN_IF_ERROR(Tick());
    return in_.AppendLogEntry(e);
  }
  Result<std::vector<LogEntry>> ReadLog(std::uint64_t first, std::size_t limit,
                                        bool with_events) override {
    return in_.ReadLog(first, limit, with_events);
  }
  Result<std::optional<std::string>> FindLogNode(int level, std::uint64_t index) override {
    return in_.FindLogNode(level, index);
  }
  Status PutLogNode(int level, std::uint64_t index, std::string_view hash) override {
    RETURN_IF_ERROR(Tick());
    return in_.PutLogNode(level, index, hash);
  }
  Status AppendTreeHead(const StoredTreeHead& h) override {
    RETURN_IF_ERROR(Tick());
    return in_.AppendTreeHead(h);
  }
  Result<std::vector<StoredTreeHead>> ListTreeHeads(std::size_t limit) override {
    return in_.ListTreeHeads(limit);
  }
  Result<Id> PutGuardSet(const GuardSet& set) override {
    RETURN_IF_ERROR(Tick());
    return in_.PutGuardSet(set);
  }
  Result<std::vector<GuardSet>> ListGuardSets(bool with_content) override {
    return in_.ListGuardSets(with_content);
  }
  Result<std::string> GuardVersion() override { return in_.GuardVersion(); }
  Result<Id> InsertGuardOverride(const GuardOverride& o) override {
    RETURN_IF_ERROR(Tick());
    return in_.InsertGuardOverride(o);
  }
  Result<std::vector<GuardOverride>> ListGuardOverrides(const Target* target) override {
    return in_.ListGuardOverrides(target);
  }
  Result<RegistryCounts> Counts() override { return in_.Counts(); }
  Result<Id> InsertApiToken(const ApiToken& t, std::string_view h) override {
    RETURN_IF_ERROR(Tick());
    return in_.InsertApiToken(t, h);
  }
  Result<std::optional<ApiTokenMatch>> FindApiTokenByHash(std::string_view h) override {
    return in_.FindApiTokenByHash(h);
  }
  Result<std::optional<ApiToken>> FindApiToken(Id id) override { return in_.FindApiToken(id); }
  Result<std::vector<ApiToken>> ListApiTokens() override { return in_.ListApiTokens(); }
  Status RevokeApiToken(Id id, UnixTime at) override {
    RETURN_IF_ERROR(Tick());
    return in_.RevokeApiToken(id, at);
  }
  Result<Id> InsertAuditRun(const AuditRun& r) override {
    RETURN_IF_ERROR(Tick());
    return in_.InsertAuditRun(r);
  }
  Status InsertAuditResult(Id run, const AuditResult& r) override {
    RETURN_IF_ERROR(Tick());
    return in_.InsertAuditResult(run, r);
  }
  Result<std::vector<AuditRun>> ListAuditRuns(const AuditRunFilter& f) override {
    return in_.ListAuditRuns(f);
  }
  Result<std::vector<VerdictCount>> CountLatestVerdicts(const ComplianceQuery& q) override {
    return in_.CountLatestVerdicts(q);
  }
  Result<std::vector<LateItem>> ListLateItems(const ComplianceQuery& q) override {
    return in_.ListLateItems(q);
  }
  Result<std::int64_t> CountIspViewTargets(Id order) override {
    return in_.CountIspViewTargets(order);
  }
  Result<std::optional<Acknowledgement>> FindAcknowledgement(Id org, Id order, Id t) override {
    return in_.FindAcknowledgement(org, order, t);
  }
  Status PutAcknowledgement(const Acknowledgement& a, Id t) override {
    RETURN_IF_ERROR(Tick());
    return in_.PutAcknowledgement(a, t);
  }
  Result<std::vector<Acknowledgement>> ListAcknowledgements(Id org, Id order) override {
    return in_.ListAcknowledgements(org, order);
  }
  Result<std::vector<OverdueItem>> ListOverdue(const OverdueQuery& q) override {
    return in_.ListOverdue(q);
  }
  Result<std::vector<OverdueCount>> CountOverdue(const OverdueQuery& q, bool by_order) override {
    return in_.CountOverdue(q, by_order);
  }

 private:
  Status Tick() {
    if (*left_ == 0) return Status::IOError("injected write failure");
    --*left_;
    return Status::Ok();
  }

  Transaction& in_;
  int* left_;
};

// Fails the (writes_before_failure + 1)-th write after Arm(); -1 (the default) never fails.
class FailingStore final : public Store {
 public:
  explicit FailingStore(Store& inner) : inner_(inner) {}
  void Arm(int writes_before_failure) { left_ = writes_before_failure; }
  void Disarm() { left_ = -1; }

  Status Transact(const std::function<Status(Transaction&)>& fn) override {
    return inner_.Transact([&](Transaction& tx) {
      FailingTransaction ftx(tx, &left_);
      return fn(ftx);
    });
  }
  Status Read(const std::function<Status(Transaction&)>& fn) override { return inner_.Read(fn); }

 private:
  Store& inner_;
  int left_ = -1;
};

}  // namespace interdict::testing
