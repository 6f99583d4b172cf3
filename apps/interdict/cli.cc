#include "cli.h"

#include <boost/json.hpp>
#include <iostream>

namespace interdict::cli {
namespace {

namespace json = boost::json;

int g_exit_code = kExitOk;

}  // namespace

Result<Registry*> Context::Open(bool sweep) {
  if (!registry_) {
    // Read once at start-up, before any thread exists.
    // NOLINTNEXTLINE(concurrency-mt-unsafe)
    if (const char* now = std::getenv("INTERDICT_NOW"); now != nullptr && *now != '\0') {
      Result<UnixTime> t = ParseTime(now);
      if (!t.ok()) return t.status().Prefixed("$INTERDICT_NOW");
      clock_ = std::make_unique<FakeClock>(*t);
    } else {
      clock_ = std::make_unique<SystemClock>();
    }
    ASSIGN_OR_RETURN(store_, OpenSqliteStore(globals_.db));
    registry_ = std::make_unique<Registry>(*store_, *clock_);
  }
  if (sweep) {
    Result<SweepReport> swept = registry_->Sweep(globals_.actor);
    if (!swept.ok()) return swept.status().Prefixed("expiry sweep");
    if (!globals_.json && (!swept->expired.empty() || !swept->activated.empty())) {
      std::cerr << "note: " << swept->expired.size() << " order(s) expired and "
                << swept->activated.size() << " became effective (serial " << swept->serial
                << ")\n";
    }
  }
  return registry_.get();
}

void SetAction(CLI::App* cmd, Action action) {
  cmd->callback([action = std::move(action)]() {
    Result<int> code = action();
    if (!code.ok()) {
      std::cerr << "interdict: " << code.status().message() << "\n";
      g_exit_code = kExitError;
      return;
    }
    g_exit_code = *code;
  });
}

int ExitCode() {
  return g_exit_code;
}

void PrintJson(const json::value& v) {
  std::cout << json::serialize(v) << "\n";
}

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

json::value ToJson(const Referral& r) {
  json::array targets;
  for (const ReferralTarget& t : r.targets) {
    json::object o{{"kind", TargetKindName(t.target.kind)}, {"value", t.target.value}};
    if (!t.duplicate_of.empty()) o["duplicate_of"] = t.duplicate_of;
    targets.push_back(std::move(o));
  }
  json::array evidence;
  for (const Evidence& e : r.evidence) {
    evidence.push_back(json::object{{"url", e.url},
                                    {"observed", FormatTime(e.observed_at)},
                                    {"sha256", e.sha256},
                                    {"note", e.note}});
  }
  json::object o{{"id", r.id},
                 {"org", r.org_name},
                 {"category", Name(r.category)},
                 {"state", Name(r.state)},
                 {"submitted", FormatTime(r.submitted_at)},
                 {"updated", FormatTime(r.updated_at)},
                 {"reason", r.reason},
                 {"targets", std::move(targets)},
                 {"evidence", std::move(evidence)}};
  if (r.order_id != 0) o["order_id"] = r.order_id;
  return o;
}

json::value ToJson(const InForceEntry& e) {
  json::object o{
      {"kind", TargetKindName(e.target.kind)}, {"value", e.target.value}, {"order_id", e.order_id},
      {"order_reference", e.reference},        {"body", e.body},          {"in_force", e.in_force}};
  return o;
}

Result<std::vector<Target>> ParseTargets(const std::vector<std::string>& values) {
  std::vector<Target> out;
  out.reserve(values.size());
  for (const std::string& v : values) {
    Result<Target> t = ParseTarget(v);
    if (!t.ok()) return t.status().Prefixed("--target \"" + v.substr(0, 80) + "\"");
    out.push_back(std::move(t).value());
  }
  return out;
}

}  // namespace interdict::cli
