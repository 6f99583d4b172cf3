// Compliance probes over HTTP: a probe (`interdict audit run`) submits what it measured from
// inside an ISP's network with an auditor's (or an authority admin's) token; the authority and
// auditors list the runs and read the compliance report per ISP and per order, with the items
// still accessible after their deadline.
#include <algorithm>
#include <utility>

#include "api/routes.h"
#include "io/model_json.h"

namespace interdict::api {
namespace {

// The field a registry error names ("vantage: there is no ..." → "vantage"), or "".
std::string FieldOf(const Status& s) {
  const std::string& m = s.message();
  const std::size_t colon = m.find(": ");
  if (colon == std::string::npos) return {};
  const std::string field = m.substr(0, colon);
  for (const char* known :
       {"vantage", "label", "serial", "started_at", "finished_at", "results", "isp"}) {
    if (field == known) return field;
  }
  return {};
}

class AuditRoutes {
 public:
  AuditRoutes(Registry& registry, ApiOptions options)
      : registry_(registry), options_(std::move(options)) {}

  // {"vantage", "label"?, "serial"?, "started_at"?, "finished_at"?, "results": [{"target",
  //  "verdict", "measured_at", "evidence"?}]}: the whole run written, or nothing and every
  // refused result listed.
  HttpResponse Submit(const HttpRequest& req, const Principal& p) {
    const json::value body = ParseBody(req);
    Fields f(body, "");
    f.OnlyKnown({"vantage", "label", "serial", "started_at", "finished_at", "results"});
    AuditRunRequest run;
    run.vantage = f.String("vantage", true, 300);
    run.label = f.String("label", false, kMaxAuditLabel);
    if (const std::optional<std::int64_t> serial = f.Int("serial", false)) {
      if (*serial < 0) Refuse("serial", "must be 0 or more");
      run.serial = *serial;
    }
    run.started_at = f.Time("started_at", false);
    run.finished_at = f.Time("finished_at", false);
    const json::value* results = f.Find("results");
    if (results == nullptr || !results->is_array() || results->get_array().empty()) {
      Refuse("results", "must be a non-empty array of results");
    }
    const json::array& list = results->get_array();
    const std::size_t limit = std::min(options_.max_items, kMaxAuditResults);
    if (list.size() > limit) {
      Refuse("results",
             "has " + std::to_string(list.size()) + " results; at most " + std::to_string(limit) +
                 " per request",
             413);
    }
    run.results.reserve(list.size());
    json::array errors;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string where = "results[" + std::to_string(i) + "]";
      try {
        run.results.push_back(ReadResult(list[i], where));
      } catch (const BadRequest& bad) {
        errors.push_back(
            json::object{{"index", i}, {"field", bad.field}, {"message", bad.message}});
        run.results.emplace_back();
      }
    }
    if (errors.empty()) {
      Result<AuditSubmission> s = registry_.SubmitAuditRun(Actor(p), p.org_id, run);
      if (!s.ok()) return WorkflowError(s.status(), FieldOf(s.status()));
      if (s->ok()) {
        json::object verdicts;
        for (int v = 0; v < kProbeVerdictCount; ++v) {
          verdicts[Name(static_cast<ProbeVerdict>(v))] = s->verdicts[static_cast<std::size_t>(v)];
        }
        return JsonResponse(201, json::object{{"run_id", s->run.id},
                                              {"accepted", s->run.results},
                                              {"not_in_force", s->run.not_in_force},
                                              {"vantage", s->run.isp_org},
                                              {"isp_id", s->run.isp_org_id},
                                              {"verdicts", std::move(verdicts)}});
      }
      for (const AuditItemError& e : s->errors) {
        errors.push_back(
            json::object{{"index", e.index},
                         {"field", "results[" + std::to_string(e.index) + "]." + e.field},
                         {"message", e.message}});
      }
    }
    BadRequest bad;
    bad.field = errors.size() == 1 ? std::string(errors[0].at("field").as_string()) : "results";
    bad.message = std::to_string(errors.size()) + " of " + std::to_string(list.size()) +
                  " results were refused; nothing was written";
    bad.items = std::move(errors);
    Throw(std::move(bad));
  }

  // ?isp=NAME|#ID, paged by id.
  HttpResponse List(const HttpRequest& req, const Principal&) {
    const Page page = ReadPage(req);
    AuditRunFilter filter;
    filter.after_id = page.after;
    filter.limit = page.limit;
    if (const std::string* isp = req.Param("isp")) {
      Result<Organization> org = registry_.FindIsp(*isp);
      if (!org.ok()) return WorkflowError(org.status(), "isp");
      filter.isp_org_id = org->id;
    }
    Result<std::vector<AuditRun>> runs = registry_.ListAuditRuns(filter);
    if (!runs.ok()) return WorkflowError(runs.status());
    json::array out;
    out.reserve(runs->size());
    for (const AuditRun& r : *runs) out.push_back(ToJson(r));
    json::object o{{"runs", std::move(out)}};
    o["next_after"] =
        runs->size() == page.limit ? json::value(runs->back().id) : json::value(nullptr);
    return JsonResponse(200, o);
  }

  // ?isp=NAME|#ID&order=ID: the compliance report.
  HttpResponse Report(const HttpRequest& req, const Principal&) {
    std::optional<Id> isp;
    if (const std::string* name = req.Param("isp")) {
      Result<Organization> org = registry_.FindIsp(*name);
      if (!org.ok()) return WorkflowError(org.status(), "isp");
      isp = org->id;
    }
    const std::optional<Id> order = IdParam(req, "order");
    Result<Compliance> c = registry_.ComplianceReport(isp, order);
    if (!c.ok()) {
      if (c.status().code() == StatusCode::kNotFound) {
        return WorkflowError(
            Status::NotFound("order: there is no order " + std::to_string(order.value_or(0))),
            "order");
      }
      return WorkflowError(c.status());
    }
    return JsonResponse(200, ToJson(*c));
  }

 private:
  static AuditResultInput ReadResult(const json::value& v, const std::string& where) {
    Fields f(v, where);
    f.OnlyKnown({"target", "verdict", "measured_at", "evidence"});
    AuditResultInput in;
    in.target = f.String("target", true, 4096);
    in.verdict = f.String("verdict", true, 64);
    in.measured_at = f.String("measured_at", true, 64);
    if (const json::value* e = f.Find("evidence"); e != nullptr && !e->is_null()) {
      if (!e->is_object()) Refuse(f.Path("evidence"), "must be a JSON object");
      in.evidence = json::serialize(*e);
    }
    return in;
  }

  Registry& registry_;
  const ApiOptions options_;
};

}  // namespace

void AddAuditRoutes(RouteSink& sink, Registry& registry, const ApiOptions& options) {
  auto routes = std::make_shared<AuditRoutes>(registry, options);
  const RoleSet readers = kAuthority | Roles({Role::kAuditor});
  sink.Add("POST", "/v1/audit/runs", Roles({Role::kAuditor, Role::kAuthorityAdmin}),
           "submit compliance probe results", On(routes, &AuditRoutes::Submit));
  sink.Add("GET", "/v1/audit/runs", readers, "read compliance probe runs",
           On(routes, &AuditRoutes::List));
  sink.Add("GET", "/v1/audit/report", readers, "read the compliance report",
           On(routes, &AuditRoutes::Report));
}

}  // namespace interdict::api
