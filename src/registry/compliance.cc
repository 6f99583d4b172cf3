// The Registry's side of compliance probes: storing what a probe measured from inside an ISP's
// network, and the compliance reports built from each (ISP, target)'s latest result.
#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <unordered_map>

#include "core/utf8.h"
#include "registry/registry.h"

namespace interdict {
namespace {

namespace json = boost::json;

Status ValidateActor(std::string_view actor) {
  if (actor.empty())
    return Status::InvalidArgument("an actor name is required for the audit trail");
  return Status::Ok();
}

// Whether `s` is well-formed UTF-8 without control characters.
bool IsPlainText(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    const std::size_t n = Utf8SequenceLength(s.substr(i));
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// The evidence of a result as stored: the JSON object re-serialized, "{}" for none.
Result<std::string> ReadEvidence(std::string_view text) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return std::string("{}");
  if (text.size() > 4 * kMaxAuditEvidence) {
    return Status::InvalidArgument("is longer than " + std::to_string(kMaxAuditEvidence) +
                                   " bytes");
  }
  json::parse_options opt;
  opt.max_depth = 32;
  std::error_code ec;
  json::value v = json::parse(text, ec, {}, opt);
  if (ec) return Status::InvalidArgument("is not valid JSON: " + ec.message());
  if (!v.is_object()) return Status::InvalidArgument("must be a JSON object");
  std::string out = json::serialize(v);
  if (out.size() > kMaxAuditEvidence) {
    return Status::InvalidArgument("is " + std::to_string(out.size()) +
                                   " bytes serialized; at most " +
                                   std::to_string(kMaxAuditEvidence));
  }
  return out;
}

// The ISP organization named by `name_or_id` ("#ID" or the exact name). A name that is no
// organization is `missing`; one that is not an ISP is InvalidArgument.
Result<Organization> LoadIsp(Transaction& tx, std::string_view name_or_id, std::string_view field,
                             StatusCode missing) {
  std::optional<Organization> org;
  if (name_or_id.starts_with('#') && name_or_id.size() > 1 && name_or_id.size() < 20 &&
      name_or_id.find_first_not_of("0123456789", 1) == std::string_view::npos) {
    ASSIGN_OR_RETURN(org, tx.FindOrganizationById(std::stoll(std::string(name_or_id.substr(1)))));
  } else {
    ASSIGN_OR_RETURN(org, tx.FindOrganization(name_or_id));
  }
  if (!org) {
    std::string msg = std::string(field) + ": there is no organization \"" +
                      std::string(name_or_id.substr(0, 200)) + "\" (give an ISP's name or #ID)";
    if (missing == StatusCode::kNotFound) return Status::NotFound(std::move(msg));
    return Status::InvalidArgument(std::move(msg));
  }
  if (org->kind != OrgKind::kIsp) {
    return Status::InvalidArgument(std::string(field) + ": \"" + org->name + "\" is of kind " +
                                   std::string(Name(org->kind)) + ", not an isp");
  }
  return *std::move(org);
}

// Whether `target` is in force in the isp view: under an in-force order scoped to isp, and of a
// kind that view carries. `orders` caches the orders looked up.
Result<bool> InIspView(Transaction& tx, const Target& target,
                       std::unordered_map<Id, ScopeSet>& orders) {
  if (!ScopeCarries(Scope::kIsp, target.kind)) return false;
  ASSIGN_OR_RETURN(std::optional<Id> tid, tx.FindTarget(target));
  if (!tid) return false;
  ASSIGN_OR_RETURN(std::vector<InForceEntry> entries, tx.InForceForTarget(*tid));
  for (const InForceEntry& e : entries) {
    auto [it, fresh] = orders.try_emplace(e.order_id, 0);
    if (fresh) {
      ASSIGN_OR_RETURN(std::optional<Order> o, tx.FindOrder(e.order_id));
      if (o) it->second = o->scope;
    }
    if ((it->second & Bit(Scope::kIsp)) != 0) return true;
  }
  return false;
}

std::int64_t Sum(const VerdictTally& t) {
  std::int64_t n = 0;
  for (const std::int64_t c : t) n += c;
  return n;
}

}  // namespace

Result<AuditSubmission> Registry::SubmitAuditRun(std::string_view actor, Id submitter_org_id,
                                                 const AuditRunRequest& request) {
  RETURN_IF_ERROR(ValidateActor(actor));
  const UnixTime now = clock_.Now();
  if (request.label.size() > kMaxAuditLabel) {
    return Status::InvalidArgument("label: is longer than " + std::to_string(kMaxAuditLabel) +
                                   " bytes");
  }
  if (!IsPlainText(request.label)) {
    return Status::InvalidArgument("label: must be UTF-8 text without control characters");
  }
  if (request.serial && *request.serial < 0) {
    return Status::InvalidArgument("serial: must be 0 or more");
  }
  if (request.results.empty()) return Status::InvalidArgument("results: no results to submit");
  if (request.results.size() > kMaxAuditResults) {
    return Status::InvalidArgument("results: " + std::to_string(request.results.size()) +
                                   " results; at most " + std::to_string(kMaxAuditResults) +
                                   " per run");
  }
  if (request.started_at != 0 && request.finished_at != 0 &&
      request.finished_at < request.started_at) {
    return Status::InvalidArgument("finished_at: " + FormatTime(request.finished_at) +
                                   " is before started_at " + FormatTime(request.started_at));
  }
  if (request.finished_at > now + kAuditClockSkewSeconds) {
    return Status::InvalidArgument("finished_at: " + FormatTime(request.finished_at) +
                                   " is in the future (now " + FormatTime(now) + ")");
  }

  // Every result is read and checked before anything is written.
  AuditSubmission out;
  std::vector<AuditResult> results(request.results.size());
  for (std::size_t i = 0; i < request.results.size(); ++i) {
    const AuditResultInput& in = request.results[i];
    AuditResult& r = results[i];
    auto refuse = [&](std::string field, std::string why) {
      out.errors.push_back({i, std::move(field), std::move(why)});
    };
    if (Result<Target> t = ParseTarget(in.target); t.ok()) {
      r.target = *std::move(t);
    } else {
      refuse("target", t.status().message());
    }
    if (Result<ProbeVerdict> v = ParseProbeVerdict(in.verdict); v.ok()) {
      r.verdict = *v;
    } else {
      refuse("verdict", v.status().message());
    }
    if (Result<UnixTime> t = ParseTime(in.measured_at); !t.ok()) {
      refuse("measured_at", t.status().message());
    } else if (*t > now + kAuditClockSkewSeconds) {
      refuse("measured_at", FormatTime(*t) + " is in the future (now " + FormatTime(now) + ")");
    } else if (*t < now - kMaxAuditAgeSeconds) {
      refuse("measured_at", FormatTime(*t) + " is more than " +
                                std::to_string(kMaxAuditAgeSeconds / 86400) + " days old");
    } else if (request.started_at != 0 && *t < request.started_at) {
      refuse("measured_at",
             FormatTime(*t) + " is before the run's started_at " + FormatTime(request.started_at));
    } else if (request.finished_at != 0 && *t > request.finished_at) {
      refuse("measured_at",
             FormatTime(*t) + " is after the run's finished_at " + FormatTime(request.finished_at));
    } else {
      r.measured_at = *t;
    }
    if (Result<std::string> e = ReadEvidence(in.evidence); e.ok()) {
      r.evidence = *std::move(e);
    } else {
      refuse("evidence", e.status().message());
    }
  }
  if (!out.ok()) return out;

  AuditRun run;
  run.submitter_org_id = submitter_org_id;
  run.actor = std::string(actor);
  run.label = request.label;
  run.serial = request.serial;
  run.started_at = request.started_at;
  run.finished_at = request.finished_at;
  run.submitted_at = now;
  if (run.started_at == 0 || run.finished_at == 0) {
    const auto [lo, hi] = std::minmax_element(
        results.begin(), results.end(),
        [](const AuditResult& a, const AuditResult& b) { return a.measured_at < b.measured_at; });
    if (run.started_at == 0) run.started_at = lo->measured_at;
    if (run.finished_at == 0) run.finished_at = hi->measured_at;
  }
  if (run.finished_at < run.started_at) {
    return Status::InvalidArgument("finished_at: " + FormatTime(run.finished_at) +
                                   " is before started_at " + FormatTime(run.started_at));
  }

  RETURN_IF_ERROR(store_.Transact([&](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(Organization isp,
                     LoadIsp(tx, request.vantage, "vantage", StatusCode::kInvalidArgument));
    run.isp_org_id = isp.id;
    run.isp_org = isp.name;
    run.submitter_org.clear();
    if (submitter_org_id != 0) {
      ASSIGN_OR_RETURN(std::optional<Organization> by, tx.FindOrganizationById(submitter_org_id));
      if (!by) {
        return Status::NotFound("there is no organization " + std::to_string(submitter_org_id));
      }
      run.submitter_org = by->name;
    }
    if (request.serial) {
      ASSIGN_OR_RETURN(Serial current, tx.CurrentSerial());
      if (*request.serial > current) {
        return Status::InvalidArgument("serial: " + std::to_string(*request.serial) +
                                       " is ahead of the registry's serial " +
                                       std::to_string(current));
      }
    }
    ASSIGN_OR_RETURN(run.id, tx.InsertAuditRun(run));
    run.results = static_cast<std::int64_t>(results.size());
    run.not_in_force = 0;
    out.verdicts = {};
    std::unordered_map<Id, ScopeSet> orders;
    for (AuditResult& r : results) {
      ASSIGN_OR_RETURN(r.in_force, InIspView(tx, r.target, orders));
      if (!r.in_force) ++run.not_in_force;
      ++out.verdicts[static_cast<std::size_t>(r.verdict)];
      RETURN_IF_ERROR(tx.InsertAuditResult(run.id, r));
    }
    json::object verdicts;
    for (int v = 0; v < kProbeVerdictCount; ++v) {
      if (out.verdicts[static_cast<std::size_t>(v)] != 0) {
        verdicts[Name(static_cast<ProbeVerdict>(v))] = out.verdicts[static_cast<std::size_t>(v)];
      }
    }
    json::object detail{{"isp", isp.name},
                        {"isp_id", isp.id},
                        {"results", run.results},
                        {"not_in_force", run.not_in_force},
                        {"verdicts", std::move(verdicts)},
                        {"started", FormatTime(run.started_at)},
                        {"finished", FormatTime(run.finished_at)}};
    if (!run.label.empty()) detail["label"] = run.label;
    if (run.serial) detail["serial"] = *run.serial;
    if (!run.submitter_org.empty()) detail["submitted_by"] = run.submitter_org;
    return tx.AppendAudit({0, now, std::string(actor), "audit.submit", "audit-run", run.id, "",
                           json::serialize(detail)});
  }));
  out.run = std::move(run);
  return out;
}

Result<std::vector<AuditRun>> Registry::ListAuditRuns(const AuditRunFilter& filter) {
  std::vector<AuditRun> out;
  RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(out, tx.ListAuditRuns(filter));
    return Status::Ok();
  }));
  return out;
}

Result<Organization> Registry::FindIsp(std::string_view name_or_id) {
  Organization out;
  RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(out, LoadIsp(tx, name_or_id, "isp", StatusCode::kNotFound));
    return Status::Ok();
  }));
  return out;
}

Result<Compliance> Registry::ComplianceReport(std::optional<Id> isp_org_id,
                                              std::optional<Id> order_id) {
  const OverdueQuery deadlines = MakeOverdueQuery();
  ComplianceQuery q;
  q.isp_org_id = isp_org_id.value_or(0);
  q.order_id = order_id.value_or(0);
  q.live_categories = deadlines.live_categories;
  q.live_deadline_seconds = deadlines.live_deadline_seconds;
  q.default_deadline_seconds = deadlines.default_deadline_seconds;
  Compliance out;
  out.at = deadlines.now;
  RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> Status {
    out = Compliance{};
    out.at = deadlines.now;
    ASSIGN_OR_RETURN(out.serial, tx.CurrentSerial());
    std::vector<Organization> isps;
    if (isp_org_id) {
      ASSIGN_OR_RETURN(std::optional<Organization> org, tx.FindOrganizationById(*isp_org_id));
      if (!org)
        return Status::NotFound("isp: there is no organization " + std::to_string(*isp_org_id));
      if (org->kind != OrgKind::kIsp) {
        return Status::InvalidArgument("isp: \"" + org->name + "\" is of kind " +
                                       std::string(Name(org->kind)) + ", not an isp");
      }
      isps.push_back(*std::move(org));
    } else {
      ASSIGN_OR_RETURN(std::vector<Organization> all, tx.ListOrganizations());
      for (Organization& o : all) {
        if (o.kind == OrgKind::kIsp) isps.push_back(std::move(o));
      }
    }
    std::unordered_map<Id, Order> orders;
    auto order_of = [&](Id id) -> Result<const Order*> {
      auto it = orders.find(id);
      if (it == orders.end()) {
        ASSIGN_OR_RETURN(std::optional<Order> o, tx.FindOrder(id));
        if (!o) return Status::NotFound("order_id: there is no order " + std::to_string(id));
        it = orders.emplace(id, *std::move(o)).first;
      }
      return &it->second;
    };
    if (order_id) RETURN_IF_ERROR(order_of(*order_id).status());

    ASSIGN_OR_RETURN(const std::int64_t view_targets, tx.CountIspViewTargets(q.order_id));
    ASSIGN_OR_RETURN(std::vector<VerdictCount> counts, tx.CountLatestVerdicts(q));
    ASSIGN_OR_RETURN(out.late, tx.ListLateItems(q));

    std::map<Id, IspCompliance> by_isp;
    for (const Organization& o : isps) {
      IspCompliance& c = by_isp[o.id];
      c.isp_org_id = o.id;
      c.isp_org = o.name;
      c.targets = view_targets;
    }
    // (order, isp) → its row; every ISP for the one order asked for.
    std::map<std::pair<Id, Id>, OrderCompliance> by_order;
    auto order_row = [&](Id order, Id isp) -> Result<OrderCompliance*> {
      auto [it, fresh] = by_order.try_emplace({order, isp});
      if (fresh) {
        ASSIGN_OR_RETURN(const Order* o, order_of(order));
        it->second.order_id = order;
        it->second.order_body = o->body;
        it->second.order_reference = o->reference;
        it->second.isp_org_id = isp;
        it->second.isp_org = by_isp[isp].isp_org;
      }
      return &it->second;
    };
    if (order_id) {
      for (const Organization& o : isps) RETURN_IF_ERROR(order_row(*order_id, o.id).status());
    }
    for (const VerdictCount& c : counts) {
      auto isp = by_isp.find(c.isp_org_id);
      if (isp == by_isp.end()) continue;  // results of an organization that is no ISP any more
      const auto v = static_cast<std::size_t>(c.verdict);
      if (!c.in_view) {
        if (!order_id) isp->second.outside_view[v] += c.count;
      } else if (c.order_id == 0) {
        isp->second.verdicts[v] += c.count;
      } else {
        ASSIGN_OR_RETURN(OrderCompliance * row, order_row(c.order_id, c.isp_org_id));
        row->verdicts[v] += c.count;
      }
    }
    std::unordered_map<Id, std::int64_t> items;  // per order
    for (auto& [key, row] : by_order) {
      auto [it, fresh] = items.try_emplace(key.first, 0);
      if (fresh) {
        ASSIGN_OR_RETURN(it->second, tx.CountIspViewTargets(key.first));
      }
      row.items = it->second;
      row.not_measured = std::max<std::int64_t>(0, row.items - Sum(row.verdicts));
    }
    for (const LateItem& l : out.late) {
      if (auto isp = by_isp.find(l.isp_org_id); isp != by_isp.end()) ++isp->second.late;
      if (auto row = by_order.find({l.order_id, l.isp_org_id}); row != by_order.end()) {
        ++row->second.late;
      }
    }
    for (auto& [id, c] : by_isp) {
      c.not_measured = std::max<std::int64_t>(0, c.targets - Sum(c.verdicts));
      out.isps.push_back(std::move(c));
    }
    for (auto& [key, row] : by_order) out.orders.push_back(std::move(row));
    return Status::Ok();
  }));
  return out;
}

}  // namespace interdict
