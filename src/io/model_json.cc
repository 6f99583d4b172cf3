#include "io/model_json.h"

#include <boost/json.hpp>

namespace interdict {

namespace json = boost::json;

json::value ToJson(const Order& o) {
  json::array scope;
  json::array cats;
  for (int i = 0; i < 32; ++i) {
    if (o.scope & (1u << i)) scope.emplace_back(Name(static_cast<Scope>(i)));
    if (o.categories & (1u << i)) cats.emplace_back(Name(static_cast<Category>(i)));
  }
  return json::object{{"id", o.id},
                      {"body", o.body},
                      {"kind", Name(o.kind)},
                      {"reference", o.reference},
                      {"issued", FormatTime(o.issued_at)},
                      {"effective", FormatTime(o.effective_at)},
                      {"expires", FormatTime(o.expires_at)},
                      {"scope", std::move(scope)},
                      {"categories", std::move(cats)},
                      {"dynamic", o.dynamic},
                      {"state", Name(o.state)},
                      {"state_reason", o.state_reason}};
}

json::value ToJson(const Referral& r, bool details) {
  json::object o{{"id", r.id},
                 {"org_id", r.org_id},
                 {"org", r.org_name},
                 {"category", Name(r.category)},
                 {"state", Name(r.state)},
                 {"submitted", FormatTime(r.submitted_at)},
                 {"updated", FormatTime(r.updated_at)},
                 {"reason", r.reason},
                 {"target_count", r.target_count}};
  if (r.order_id != 0) o["order_id"] = r.order_id;
  if (!details) return o;
  json::array targets;
  targets.reserve(r.targets.size());
  for (const ReferralTarget& t : r.targets) {
    json::object item{{"kind", TargetKindName(t.target.kind)}, {"value", t.target.value}};
    if (!t.duplicate_of.empty()) item["duplicate_of"] = t.duplicate_of;
    targets.push_back(std::move(item));
  }
  json::array evidence;
  for (const Evidence& e : r.evidence) {
    evidence.push_back(json::object{{"url", e.url},
                                    {"observed", FormatTime(e.observed_at)},
                                    {"sha256", e.sha256},
                                    {"note", e.note}});
  }
  o["targets"] = std::move(targets);
  o["evidence"] = std::move(evidence);
  return o;
}

json::value ToJson(const InForceEntry& e) {
  return json::object{
      {"kind", TargetKindName(e.target.kind)}, {"value", e.target.value}, {"order_id", e.order_id},
      {"order_reference", e.reference},        {"body", e.body},          {"in_force", e.in_force}};
}

json::value ToJson(const ApiToken& t) {
  json::object o{{"id", t.id},
                 {"org_id", t.org_id},
                 {"org", t.org_name},
                 {"role", Name(t.role)},
                 {"label", t.label},
                 {"created", FormatTime(t.created_at)},
                 {"created_by", t.created_by}};
  o["revoked"] = t.revoked() ? json::value(FormatTime(t.revoked_at)) : json::value(nullptr);
  return o;
}

json::value ToJson(const Acknowledgement& a) {
  json::object o{{"org_id", a.org_id},
                 {"order_id", a.order_id},
                 {"kind", TargetKindName(a.target.kind)},
                 {"value", a.target.value},
                 {"status", a.processed ? "processed" : "unprocessed"}};
  if (a.reason) o["reason"] = Name(*a.reason);
  o["note"] = a.note;
  o["at"] = FormatTime(a.at);
  o["actor"] = a.actor;
  return o;
}

json::value ToJson(const OverdueItem& i) {
  json::object o{{"org_id", i.org_id},
                 {"org", i.org_name},
                 {"order_id", i.order_id},
                 {"order_reference", i.order_reference},
                 {"body", i.order_body},
                 {"kind", TargetKindName(i.target.kind)},
                 {"value", i.target.value},
                 {"in_force_since", FormatTime(i.in_force_since)},
                 {"deadline", FormatTime(i.deadline)},
                 {"status", i.unprocessed_reason ? "unprocessed" : "none"}};
  if (i.unprocessed_reason) {
    o["reason"] = Name(*i.unprocessed_reason);
    o["note"] = i.note;
    o["acknowledged"] = FormatTime(i.acknowledged_at);
  }
  return o;
}

json::value ToJson(const HeldChange& c) {
  json::object o{{"id", c.id},           {"kind", c.kind},
                 {"summary", c.summary}, {"added", c.added},
                 {"removed", c.removed}, {"in_force", c.in_force},
                 {"actor", c.actor},     {"held", FormatTime(c.held_at)}};
  o["confirmed_by"] = c.confirmed_at != 0 ? json::value(c.confirmed_by) : json::value(nullptr);
  o["confirmed"] = c.confirmed_at != 0 ? json::value(FormatTime(c.confirmed_at)) : nullptr;
  return o;
}

json::value ToJson(const OverdueCount& c) {
  json::object o;
  if (c.org_id != 0) {
    o["org_id"] = c.org_id;
    o["org"] = c.org_name;
  }
  if (c.order_id != 0) {
    o["order_id"] = c.order_id;
    o["order_reference"] = c.order_reference;
  }
  o["overdue"] = c.overdue;
  o["unprocessed"] = c.unprocessed;
  return o;
}

json::value ToJson(const Appeal& a, bool contact) {
  json::object o{{"id", a.id},
                 {"order_id", a.order_id},
                 {"order_reference", a.order_reference},
                 {"body", a.order_body}};
  o["target"] = a.target ? json::value(a.target->ToString()) : json::value(nullptr);
  o["party"] = Name(a.party);
  o["name"] = a.name;
  if (contact) o["contact"] = a.contact;
  o["statement"] = a.statement;
  o["filed"] = FormatTime(a.filed_at);
  o["state"] = Name(a.state);
  o["reason"] = a.reason;
  const bool decided = a.state != AppealState::kFiled;
  o["decided_by"] = decided ? json::value(a.decided_by) : json::value(nullptr);
  o["decided"] = decided ? json::value(FormatTime(a.decided_at)) : json::value(nullptr);
  json::array lifted;
  for (const Target& t : a.lifted_targets) lifted.emplace_back(t.ToString());
  o["lifted_targets"] = std::move(lifted);
  return o;
}

json::value ToJson(const AuditRun& r) {
  return json::object{{"id", r.id},
                      {"vantage", r.isp_org},
                      {"isp_id", r.isp_org_id},
                      {"label", r.label},
                      {"serial", r.serial ? json::value(*r.serial) : json::value(nullptr)},
                      {"started", FormatTime(r.started_at)},
                      {"finished", FormatTime(r.finished_at)},
                      {"submitted", FormatTime(r.submitted_at)},
                      {"submitted_by", r.submitter_org_id != 0 ? json::value(r.submitter_org)
                                                               : json::value(nullptr)},
                      {"actor", r.actor},
                      {"results", r.results},
                      {"not_in_force", r.not_in_force}};
}

namespace {

json::object TallyJson(const VerdictTally& t) {
  json::object o;
  for (int v = 0; v < kProbeVerdictCount; ++v) {
    o[Name(static_cast<ProbeVerdict>(v))] = t[static_cast<std::size_t>(v)];
  }
  return o;
}

std::int64_t Blocked(const VerdictTally& t) {
  std::int64_t n = 0;
  for (int v = 0; v < kProbeVerdictCount; ++v) {
    if (IsBlocked(static_cast<ProbeVerdict>(v))) n += t[static_cast<std::size_t>(v)];
  }
  return n;
}

}  // namespace

json::value ToJson(const Compliance& c) {
  json::array isps;
  for (const IspCompliance& i : c.isps) {
    isps.push_back(json::object{{"isp_id", i.isp_org_id},
                                {"isp", i.isp_org},
                                {"targets", i.targets},
                                {"verdicts", TallyJson(i.verdicts)},
                                {"blocked", Blocked(i.verdicts)},
                                {"not_measured", i.not_measured},
                                {"late", i.late},
                                {"not_in_force", TallyJson(i.outside_view)}});
  }
  json::array orders;
  for (const OrderCompliance& o : c.orders) {
    orders.push_back(json::object{{"order_id", o.order_id},
                                  {"order_reference", o.order_reference},
                                  {"body", o.order_body},
                                  {"isp_id", o.isp_org_id},
                                  {"isp", o.isp_org},
                                  {"items", o.items},
                                  {"verdicts", TallyJson(o.verdicts)},
                                  {"blocked", Blocked(o.verdicts)},
                                  {"not_measured", o.not_measured},
                                  {"late", o.late}});
  }
  json::array late;
  for (const LateItem& l : c.late) {
    late.push_back(
        json::object{{"isp_id", l.isp_org_id},
                     {"isp", l.isp_org},
                     {"order_id", l.order_id},
                     {"order_reference", l.order_reference},
                     {"body", l.order_body},
                     {"target", l.target.ToString()},
                     {"in_force_since", FormatTime(l.in_force_since)},
                     {"deadline", FormatTime(l.deadline)},
                     {"measured", FormatTime(l.measured_at)},
                     {"run_id", l.run_id},
                     {"acknowledged", l.acknowledged.empty() ? json::value(nullptr)
                                                             : json::value(l.acknowledged)}});
  }
  return json::object{{"at", FormatTime(c.at)},
                      {"serial", c.serial},
                      {"isps", std::move(isps)},
                      {"orders", std::move(orders)},
                      {"late", std::move(late)}};
}

}  // namespace interdict
