// The Registry's side of the collateral-damage guard (src/guard): the data sets it keeps, the
// assessment of targets against them, the overrides authority admins record, and the check every
// order, approval and added target passes inside its transaction.
#include <boost/json.hpp>
#include <mutex>

#include "registry/registry.h"
#include "registry/transparency.h"

namespace interdict {
namespace {

namespace json = boost::json;

Status ValidateActor(std::string_view actor) {
  if (actor.empty())
    return Status::InvalidArgument("an actor name is required for the audit trail");
  return Status::Ok();
}

// Parses one set into `data`; errors name the set's source and line.
Status AddSet(const GuardSet& set, guard::GuardData& data) {
  const std::string& file = set.source.empty() ? set.name : set.source;
  if (set.kind == "ranges") {
    ASSIGN_OR_RETURN(guard::RangeSet ranges, guard::ParseRangeSet(set.content, file, set.name));
    data.ranges.push_back(std::move(ranges));
  } else if (set.kind == "pdns") {
    ASSIGN_OR_RETURN(std::vector<guard::PassiveDnsRecord> r,
                     guard::ParsePassiveDns(set.content, file));
    data.passive_dns.insert(data.passive_dns.end(), r.begin(), r.end());
  } else if (set.kind == "whitelist") {
    ASSIGN_OR_RETURN(std::vector<guard::WhitelistEntry> r,
                     guard::ParseWhitelist(set.content, file));
    data.whitelist.insert(data.whitelist.end(), r.begin(), r.end());
  } else if (set.kind == "prefix-asn") {
    ASSIGN_OR_RETURN(std::vector<guard::PrefixAsn> r, guard::ParsePrefixAsns(set.content, file));
    data.prefix_asns.insert(data.prefix_asns.end(), r.begin(), r.end());
  } else if (set.kind == "popular") {
    ASSIGN_OR_RETURN(std::vector<guard::PopularSite> r,
                     guard::ParsePopularSites(set.content, file));
    data.popular.insert(data.popular.end(), r.begin(), r.end());
  } else {
    return Status::InvalidArgument("guard data: unknown kind \"" + set.kind +
                                   "\" (ranges, pdns, whitelist, prefix-asn, popular)");
  }
  return Status::Ok();
}

std::string FindingsText(const std::vector<guard::Finding>& findings) {
  std::string out;
  for (const guard::Finding& f : findings) {
    if (!out.empty()) out += "; ";
    out += std::string(guard::RuleName(f.rule)) + ": " + f.explanation;
  }
  return out;
}

}  // namespace

bool TargetAssessment::refused() const {
  for (const guard::Finding& f : findings) {
    if (f.severity == guard::Finding::Severity::kRefuse) return true;
    if (!override_) return true;
  }
  return false;
}

Result<std::shared_ptr<const guard::Guard>> Registry::LoadGuard(Transaction& tx) {
  ASSIGN_OR_RETURN(std::string version, tx.GuardVersion());
  {
    std::lock_guard<std::mutex> lock(guard_mu_);
    if (guard_ && guard_version_ == version) return guard_;
  }
  ASSIGN_OR_RETURN(std::vector<GuardSet> sets, tx.ListGuardSets(true));
  guard::GuardData data;
  for (const GuardSet& set : sets) RETURN_IF_ERROR(AddSet(set, data));
  ASSIGN_OR_RETURN(guard::Guard built, guard::Guard::Build(std::move(data), options_.guard));
  auto shared = std::make_shared<const guard::Guard>(std::move(built));
  std::lock_guard<std::mutex> lock(guard_mu_);
  guard_ = shared;
  guard_version_ = version;
  return shared;
}

Result<std::vector<TargetAssessment>> Registry::AssessIn(Transaction& tx,
                                                         std::span<const Target> targets,
                                                         UnixTime now) {
  ASSIGN_OR_RETURN(std::shared_ptr<const guard::Guard> g, LoadGuard(tx));
  std::vector<std::vector<guard::Finding>> all = g->AssessAll(targets, now);
  std::vector<TargetAssessment> out;
  out.reserve(targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    TargetAssessment a;
    a.target = targets[i];
    a.findings = std::move(all[i]);
    if (!a.findings.empty()) {
      ASSIGN_OR_RETURN(std::vector<GuardOverride> overrides, tx.ListGuardOverrides(&targets[i]));
      if (!overrides.empty()) a.override_ = overrides.back();
    }
    out.push_back(std::move(a));
  }
  return out;
}

Status Registry::CheckGuard(Transaction& tx, std::span<const Target> targets, UnixTime now) {
  ASSIGN_OR_RETURN(std::vector<TargetAssessment> assessed, AssessIn(tx, targets, now));
  std::string refused;
  std::size_t count = 0;
  for (const TargetAssessment& a : assessed) {
    if (!a.refused()) continue;
    ++count;
    if (!refused.empty()) refused += "\n";
    refused += "  " + a.target.ToString() + ": " + FindingsText(a.findings);
  }
  if (count == 0) return Status::Ok();
  bool overridable = true;
  for (const TargetAssessment& a : assessed) {
    for (const guard::Finding& f : a.findings) {
      overridable &= f.severity != guard::Finding::Severity::kRefuse;
    }
  }
  return Status::FailedPrecondition(
      "collateral damage: " + std::to_string(count) + " target(s) would block more than the " +
      "order means to:\n" + refused +
      (overridable ? "\nan authority admin may record an override for each, with a reason "
                     "(interdict guard override TARGET --reason TEXT)"
                   : ""));
}

Result<std::vector<TargetAssessment>> Registry::Assess(std::span<const Target> targets) {
  std::vector<TargetAssessment> out;
  const UnixTime now = clock_.Now();
  RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(out, AssessIn(tx, targets, now));
    return Status::Ok();
  }));
  return out;
}

Result<GuardSet> Registry::ImportGuardSet(std::string_view actor, GuardSet set) {
  RETURN_IF_ERROR(ValidateActor(actor));
  if (set.name.empty() || set.name.size() > 200) {
    return Status::InvalidArgument("guard data: a name of 1 to 200 bytes is required");
  }
  // Parsed now, so that a bad file is refused (naming its line) before anything is written.
  guard::GuardData check;
  RETURN_IF_ERROR(AddSet(set, check));
  set.actor = std::string(actor);
  set.imported_at = clock_.Now();
  set.bytes = static_cast<std::int64_t>(set.content.size());
  RETURN_IF_ERROR(store_.Transact([&](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(set.id, tx.PutGuardSet(set));
    return tx.AppendAudit({0, set.imported_at, set.actor, "guard.import", "guard", set.id, "",
                           json::serialize(json::object{{"kind", set.kind},
                                                        {"name", set.name},
                                                        {"source", set.source},
                                                        {"bytes", set.bytes}})});
  }));
  set.content.clear();
  return set;
}

Result<std::vector<GuardSet>> Registry::GuardSets() {
  std::vector<GuardSet> out;
  RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(out, tx.ListGuardSets(false));
    return Status::Ok();
  }));
  return out;
}

Result<GuardOverride> Registry::OverrideGuard(std::string_view actor, const Target& target,
                                              std::string_view reason) {
  RETURN_IF_ERROR(ValidateActor(actor));
  if (reason.empty() || reason.size() > 2000) {
    return Status::InvalidArgument("reason: an override needs a written reason (1-2000 bytes)");
  }
  const UnixTime now = clock_.Now();
  GuardOverride o;
  RETURN_IF_ERROR(store_.Transact([&](Transaction& tx) -> Status {
    const Target one[] = {target};
    ASSIGN_OR_RETURN(std::vector<TargetAssessment> assessed, AssessIn(tx, one, now));
    const std::vector<guard::Finding>& findings = assessed.front().findings;
    if (findings.empty()) {
      return Status::FailedPrecondition(target.ToString() +
                                        ": the guard finds nothing to override");
    }
    for (const guard::Finding& f : findings) {
      if (f.severity == guard::Finding::Severity::kRefuse) {
        return Status::FailedPrecondition(target.ToString() + " is never ordered (" +
                                          std::string(guard::RuleName(f.rule)) +
                                          "): " + f.explanation);
      }
    }
    o.target = target;
    o.findings = FindingsText(findings);
    o.reason = std::string(reason);
    o.actor = std::string(actor);
    o.at = now;
    ASSIGN_OR_RETURN(o.id, tx.InsertGuardOverride(o));
    RETURN_IF_ERROR(tx.AppendAudit(
        {0, now, o.actor, "guard.override", "guard", o.id, o.reason,
         json::serialize(json::object{{"target", target.ToString()}, {"findings", o.findings}})}));
    LogAppender log = Log(tx, now, actor);
    RETURN_IF_ERROR(log.GuardOverridden(o));
    return log.Close();
  }));
  return o;
}

Result<std::vector<GuardOverride>> Registry::GuardOverrides() {
  std::vector<GuardOverride> out;
  RETURN_IF_ERROR(store_.Read([&](Transaction& tx) -> Status {
    ASSIGN_OR_RETURN(out, tx.ListGuardOverrides(nullptr));
    return Status::Ok();
  }));
  return out;
}

}  // namespace interdict
