// Appeals over HTTP: anyone affected files one (no token), anyone reads their status (the
// contact only the authority), the authority decides.
#include <utility>

#include "api/routes.h"
#include "io/model_json.h"

namespace interdict::api {
namespace {

// The field a registry error names ("contact: is longer than ..." → "contact"), or "".
std::string FieldOf(const Status& s) {
  const std::string& m = s.message();
  const std::size_t colon = m.find(": ");
  if (colon == std::string::npos) return {};
  std::string field = m.substr(0, colon);
  for (const char* known : {"order_id", "target", "party", "name", "contact", "statement",
                            "decision", "reason", "targets"}) {
    if (field == known) return field;
  }
  if (field.starts_with("targets[") && field.back() == ']') return field;
  return {};
}

class AppealRoutes {
 public:
  AppealRoutes(Registry& registry, ApiOptions options)
      : registry_(registry), options_(std::move(options)) {}

  // {"order_id", "target"?, "party", "name", "contact", "statement"}: public.
  HttpResponse File(const HttpRequest& req, const Principal* who) {
    const json::value body = ParseBody(req);
    Fields f(body, "");
    f.OnlyKnown({"order_id", "target", "party", "name", "contact", "statement"});
    AppealRequest r;
    const std::optional<std::int64_t> order = f.Int("order_id", true);
    if (*order < 1) Refuse("order_id", "must be a positive integer id");
    r.order_id = *order;
    const std::string target = f.String("target", false, 4096);
    if (!target.empty()) {
      Result<Target> t = ParseTarget(target);
      if (!t.ok()) Refuse("target", t.status().message());
      r.target = *std::move(t);
    }
    Result<AppealParty> party = ParseAppealParty(f.String("party", true, 64));
    if (!party.ok()) Refuse("party", party.status().message());
    r.party = *party;
    r.name = f.String("name", true, kMaxAppealName);
    r.contact = f.String("contact", true, kMaxAppealContact);
    r.statement = f.String("statement", true, kMaxAppealStatement);
    const std::string actor = who != nullptr ? Actor(*who) : "api:public@" + req.remote;
    Result<Appeal> a = registry_.FileAppeal(actor, r);
    if (!a.ok()) return WorkflowError(a.status(), FieldOf(a.status()));
    // The appellant sees the contact it sent.
    HttpResponse resp = JsonResponse(201, ToJson(*a, true));
    resp.headers.emplace_back("Location", "/v1/appeals/" + std::to_string(a->id));
    return resp;
  }

  // ?order=N&state=S, paged: public, the contact for the authority only.
  HttpResponse List(const HttpRequest& req, const Principal* who) {
    const Page page = ReadPage(req);
    AppealFilter filter;
    filter.after_id = page.after;
    filter.limit = page.limit;
    if (const std::optional<Id> order = IdParam(req, "order")) filter.order_id = *order;
    if (const std::string* s = req.Param("state")) {
      Result<AppealState> st = ParseAppealState(*s);
      if (!st.ok()) Refuse("state", st.status().message());
      filter.state = *st;
    }
    Result<std::vector<Appeal>> list = registry_.ListAppeals(filter);
    if (!list.ok()) return WorkflowError(list.status());
    json::array out;
    out.reserve(list->size());
    for (const Appeal& a : *list) out.push_back(ToJson(a, IsAuthority(who)));
    json::object o{{"appeals", std::move(out)}};
    o["next_after"] =
        list->size() == page.limit ? json::value(list->back().id) : json::value(nullptr);
    return JsonResponse(200, o);
  }

  HttpResponse Show(const HttpRequest& req, const Principal* who) {
    Result<Appeal> a = registry_.GetAppeal(PathId(req, "id"));
    if (!a.ok()) return WorkflowError(a.status(), "id");
    return JsonResponse(200, ToJson(*a, IsAuthority(who)));
  }

  // {"decision": "uphold" | "lift" | "lift-targets", "reason", "targets"?}: the authority.
  HttpResponse Decide(const HttpRequest& req, const Principal& p) {
    const Id id = PathId(req, "id");
    const json::value body = ParseBody(req);
    Fields f(body, "");
    f.OnlyKnown({"decision", "reason", "targets"});
    Result<AppealDecision> decision = ParseAppealDecision(f.String("decision", true, 64));
    if (!decision.ok()) Refuse("decision", decision.status().message());
    const std::string reason = f.String("reason", true, kMaxAppealReason);
    TargetList list;
    if (const json::value* t = f.Find("targets"); t != nullptr && !t->is_null()) {
      list = ReadTargets(f, "targets", options_.max_items);
    }
    Result<Appeal> a = registry_.DecideAppeal(Actor(p), id, *decision, reason, list.targets);
    if (!a.ok()) {
      std::string field = FieldOf(a.status());
      // The registry counts the distinct targets; name the request's item.
      if (field.starts_with("targets[")) {
        const auto at = std::stoll(field.substr(8, field.size() - 9));
        for (std::size_t i = 0; i < list.position.size(); ++i) {
          if (list.position[i] == at) {
            field = "targets[" + std::to_string(i) + "]";
            break;
          }
        }
      }
      return WorkflowError(a.status(), field);
    }
    return JsonResponse(200, ToJson(*a, true));
  }

 private:
  Registry& registry_;
  const ApiOptions options_;
};

}  // namespace

void AddAppealRoutes(RouteSink& sink, Registry& registry, const ApiOptions& options) {
  auto routes = std::make_shared<AppealRoutes>(registry, options);
  sink.AddPublic("POST", "/v1/appeals", OnPublic(routes, &AppealRoutes::File));
  sink.AddPublic("GET", "/v1/appeals", OnPublic(routes, &AppealRoutes::List));
  sink.AddPublic("GET", "/v1/appeals/{id}", OnPublic(routes, &AppealRoutes::Show));
  sink.Add("POST", "/v1/appeals/{id}/decide", kAuthority, "decide appeals",
           On(routes, &AppealRoutes::Decide));
}

}  // namespace interdict::api
