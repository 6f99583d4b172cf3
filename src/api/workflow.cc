// Referrals, review and orders over HTTP: the JSON routes of the registry's workflow.
#include <array>
#include <utility>

#include "api/routes.h"
#include "io/model_json.h"

namespace interdict::api {
namespace {

// Evidence as a rights holder sends it over HTTP: the capture's digest, never a file path.
Evidence ReadEvidence(const json::value& v, const std::string& path) {
  Fields f(v, path);
  f.OnlyKnown({"url", "observed", "sha256", "note"});
  Evidence e;
  e.url = f.String("url", true, 4096);
  e.observed_at = f.Time("observed", true);
  e.sha256 = f.String("sha256", true, 64);
  for (char& c : e.sha256) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (e.sha256.size() != 64 ||
      e.sha256.find_first_not_of("0123456789abcdef") != std::string::npos) {
    Refuse(f.Path("sha256"), "must be the 64 hex digits of the capture's SHA-256");
  }
  e.note = f.String("note", false, 4000);
  return e;
}

// An order's header from a request ("order" of an approval, or the body of POST /v1/orders).
OrderRequest ReadOrderHeader(const Fields& f) {
  OrderRequest r;
  r.body = f.String("body", true, 500);
  r.reference = f.String("reference", true, 200);
  const std::string kind = f.String("kind", false, 64);
  if (!kind.empty()) {
    Result<OrderKind> k = ParseOrderKind(kind);
    if (!k.ok()) Refuse(f.Path("kind"), k.status().message());
    r.kind = *k;
  }
  r.issued_at = f.Time("issued", false);
  r.effective_at = f.Time("effective", false);
  r.expires_at = f.Time("expires", false);  // 0: the registry's default for the kind
  const std::string scope = f.List("scope");
  Result<ScopeSet> sc = ParseScopes(scope.empty() ? "isp" : scope);
  if (!sc.ok()) Refuse(f.Path("scope"), sc.status().message());
  r.scope = *sc;
  Result<CategorySet> cats = ParseCategories(f.List("categories"));
  if (!cats.ok()) Refuse(f.Path("categories"), cats.status().message());
  r.categories = *cats;
  r.dynamic = f.Bool("dynamic", false);
  return r;
}

// The per-item results of a bulk request: one entry per input item.
json::array ItemResults(const TargetList& list, const std::vector<std::string>& results,
                        const std::vector<std::string>& notes) {
  json::array items;
  items.reserve(list.position.size());
  for (std::size_t i = 0; i < list.position.size(); ++i) {
    const auto at = static_cast<std::size_t>(list.position[i]);
    const Target& t = list.targets[at];
    json::object o{{"index", i}, {"kind", TargetKindName(t.kind)}, {"value", t.value}};
    if (list.repeats[i] >= 0) {
      o["result"] = "repeated";
      o["repeats"] = list.repeats[i];
    } else {
      o["result"] = results[at];
      if (!notes[at].empty()) o["duplicate_of"] = notes[at];
    }
    items.push_back(std::move(o));
  }
  return items;
}

// Whether `p` may see referral `r`: rights holders see their own organization's only.
void CheckReferralReader(const Principal& p, const Referral& r) {
  if (p.role == Role::kRightsholder && r.org_id != p.org_id) {
    Refuse("id",
           "referral " + std::to_string(r.id) +
               " belongs to another organization; role "
               "rightsholder sees its own organization's only",
           403);
  }
}

json::object ReferralList(const std::vector<Referral>& referrals, const Page& page) {
  json::array out;
  out.reserve(referrals.size());
  for (const Referral& r : referrals) out.push_back(ToJson(r, false));
  json::object o{{"referrals", std::move(out)}};
  o["next_after"] =
      referrals.size() == page.limit ? json::value(referrals.back().id) : json::value(nullptr);
  return o;
}

std::vector<ReferralState> ReadStates(const HttpRequest& req) {
  std::vector<ReferralState> states;
  const std::string* text = req.Param("state");
  if (text == nullptr) return states;
  std::string_view list = *text;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    Result<ReferralState> s = ParseReferralState(list.substr(0, comma));
    if (!s.ok()) Refuse("state", s.status().message());
    bool seen = false;
    for (ReferralState have : states) seen = seen || have == *s;
    if (!seen) states.push_back(*s);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return states;
}

class WorkflowRoutes {
 public:
  WorkflowRoutes(Registry& registry, const ApiOptions& options)
      : registry_(registry), options_(options) {}

  HttpResponse Refer(const HttpRequest& req, const Principal& p) {
    const json::value body = ParseBody(req);
    Fields f(body, "");
    f.OnlyKnown({"category", "targets", "evidence"});
    ReferralRequest r;
    r.org = p.org_name;
    Result<Category> category = ParseCategory(f.String("category", true, 64));
    if (!category.ok()) Refuse("category", category.status().message());
    r.category = *category;
    TargetList list = ReadTargets(f, "targets", options_.max_items);
    if (const json::value* ev = f.Find("evidence"); ev != nullptr && !ev->is_null()) {
      if (!ev->is_array()) Refuse("evidence", "must be an array");
      if (ev->get_array().size() > 100) Refuse("evidence", "has more than 100 items");
      std::size_t i = 0;
      for (const json::value& item : ev->get_array()) {
        r.evidence.push_back(ReadEvidence(item, "evidence[" + std::to_string(i++) + "]"));
      }
    }
    r.targets = list.targets;
    Result<Referral> made = registry_.Refer(Actor(p), r);
    if (!made.ok()) return WorkflowError(made.status());
    std::vector<std::string> results;
    std::vector<std::string> notes;
    for (const ReferralTarget& t : made->targets) {
      results.emplace_back(t.duplicate_of.empty() ? "accepted" : "duplicate");
      notes.push_back(t.duplicate_of);
    }
    json::object out{{"referral", ToJson(*made, false)},
                     {"items", ItemResults(list, results, notes)}};
    HttpResponse resp = JsonResponse(201, out);
    resp.headers.emplace_back("Location", "/v1/referrals/" + std::to_string(made->id));
    return resp;
  }

  HttpResponse ListReferrals(const HttpRequest& req, const Principal& p) {
    const Page page = ReadPage(req);
    ReferralFilter filter;
    filter.states = ReadStates(req);
    filter.after_id = page.after;
    filter.limit = page.limit;
    filter.details = false;
    const std::optional<Id> org = IdParam(req, "org_id");
    if (p.role == Role::kRightsholder) {
      if (org && *org != p.org_id) {
        Refuse("org_id", "role rightsholder reads its own organization's referrals only", 403);
      }
      filter.org_id = p.org_id;
    } else if (org) {
      filter.org_id = *org;
    }
    Result<std::vector<Referral>> list = registry_.ListReferrals(filter);
    if (!list.ok()) return WorkflowError(list.status());
    return JsonResponse(200, ReferralList(*list, page));
  }

  HttpResponse ShowReferral(const HttpRequest& req, const Principal& p) {
    Result<Referral> r = registry_.GetReferral(PathId(req, "id"));
    if (!r.ok()) return WorkflowError(r.status(), "id");
    CheckReferralReader(p, *r);
    return JsonResponse(200, ToJson(*r));
  }

  HttpResponse Withdraw(const HttpRequest& req, const Principal& p) {
    const Id id = PathId(req, "id");
    std::string reason;
    if (!req.body.empty()) {
      const json::value body = ParseBody(req);
      Fields f(body, "");
      f.OnlyKnown({"reason"});
      reason = f.String("reason", false);
    }
    // Another organization's referral is refused before anything is read into the answer.
    Result<Referral> r = registry_.GetReferral(id);
    if (!r.ok()) return WorkflowError(r.status(), "id");
    if (r->org_id != p.org_id) {
      Refuse("id", "referral " + std::to_string(id) + " belongs to another organization", 403);
    }
    Result<Referral> done = registry_.Withdraw(Actor(p), id, reason);
    if (!done.ok()) return WorkflowError(done.status());
    return JsonResponse(200, ToJson(*done, false));
  }

  HttpResponse Queue(const HttpRequest& req, const Principal&) {
    const Page page = ReadPage(req);
    ReferralFilter filter;
    filter.states = {ReferralState::kSubmitted, ReferralState::kUnderReview};
    filter.after_id = page.after;
    filter.limit = page.limit;
    filter.details = false;
    Result<std::vector<Referral>> list = registry_.ListReferrals(filter);
    if (!list.ok()) return WorkflowError(list.status());
    return JsonResponse(200, ReferralList(*list, page));
  }

  HttpResponse StartReview(const HttpRequest& req, const Principal& p) {
    Result<Referral> r = registry_.StartReview(Actor(p), PathId(req, "id"));
    if (!r.ok()) return WorkflowError(r.status(), "id");
    return JsonResponse(200, ToJson(*r, false));
  }

  // "confirm": the held change a step repeats, to apply it (Registry::TransactBounded); only an
  // authority admin confirms.
  static Id ReadConfirm(const Fields& f, const Principal& p) {
    const std::optional<std::int64_t> confirm = f.Int("confirm", false);
    if (!confirm) return 0;
    if (*confirm <= 0) Refuse("confirm", "must be the id of a held change");
    if (p.role != Role::kAuthorityAdmin) {
      Refuse("confirm", "only an authority admin confirms a held change", 403);
    }
    return *confirm;
  }

  // {"order_id": N, "reason": ".."} into an existing dynamic order, or {"order": {header},
  // "reason": ".."} as a new order for the referral's targets; "confirm"? as above.
  HttpResponse Approve(const HttpRequest& req, const Principal& p) {
    const Id id = PathId(req, "id");
    const json::value body = ParseBody(req);
    Fields f(body, "");
    f.OnlyKnown({"order_id", "order", "reason", "confirm"});
    const std::string reason = f.String("reason", false);
    const Id confirm = ReadConfirm(f, p);
    const std::optional<std::int64_t> order_id = f.Int("order_id", false);
    const json::value* order = f.Find("order");
    if (order_id.has_value() == (order != nullptr && !order->is_null())) {
      Refuse("order", "give exactly one of order_id (an existing dynamic order) and order");
    }
    if (order_id) {
      Result<Referral> r = registry_.Approve(Actor(p), id, *order_id, reason, confirm);
      if (!r.ok()) return WorkflowError(r.status());
      return JsonResponse(200, json::object{{"referral", ToJson(*r, false)}});
    }
    Fields of(*order, "order");
    of.OnlyKnown({"body", "reference", "kind", "issued", "effective", "expires", "scope",
                  "categories", "dynamic"});
    OrderRequest request = ReadOrderHeader(of);
    request.reason = reason;
    request.confirm = confirm;
    Result<Order> o = registry_.ApproveAsNewOrder(Actor(p), id, std::move(request));
    if (!o.ok()) return WorkflowError(o.status());
    Result<Referral> r = registry_.GetReferral(id);
    if (!r.ok()) return WorkflowError(r.status());
    HttpResponse resp =
        JsonResponse(201, json::object{{"referral", ToJson(*r, false)}, {"order", ToJson(*o)}});
    resp.headers.emplace_back("Location", "/v1/orders/" + std::to_string(o->id));
    return resp;
  }

  HttpResponse Reject(const HttpRequest& req, const Principal& p) {
    const Id id = PathId(req, "id");
    const json::value body = ParseBody(req);
    Fields f(body, "");
    f.OnlyKnown({"reason"});
    const std::string reason = f.String("reason", true);
    Result<Referral> r = registry_.Reject(Actor(p), id, reason);
    if (!r.ok()) return WorkflowError(r.status());
    return JsonResponse(200, ToJson(*r, false));
  }

  HttpResponse CreateOrder(const HttpRequest& req, const Principal& p) {
    const json::value body = ParseBody(req);
    Fields f(body, "");
    f.OnlyKnown({"body", "reference", "kind", "issued", "effective", "expires", "scope",
                 "categories", "dynamic", "targets", "reason", "confirm"});
    OrderRequest request = ReadOrderHeader(f);
    request.reason = f.String("reason", false);
    request.confirm = ReadConfirm(f, p);
    TargetList list = ReadTargets(f, "targets", options_.max_items);
    request.targets = list.targets;
    Result<Order> o = registry_.CreateOrder(Actor(p), request);
    if (!o.ok()) return WorkflowError(o.status());
    const std::vector<std::string> results(list.targets.size(), "attached");
    const std::vector<std::string> notes(list.targets.size());
    HttpResponse resp = JsonResponse(
        201, json::object{{"order", ToJson(*o)}, {"items", ItemResults(list, results, notes)}});
    resp.headers.emplace_back("Location", "/v1/orders/" + std::to_string(o->id));
    return resp;
  }

  HttpResponse ListOrders(const HttpRequest& req, const Principal&) {
    const Page page = ReadPage(req);
    OrderFilter filter;
    filter.after_id = page.after;
    filter.limit = page.limit;
    if (const std::string* s = req.Param("state")) {
      Result<OrderState> st = ParseOrderState(*s);
      if (!st.ok()) Refuse("state", st.status().message());
      filter.state = *st;
    }
    if (const std::string* s = req.Param("kind")) {
      Result<OrderKind> k = ParseOrderKind(*s);
      if (!k.ok()) Refuse("kind", k.status().message());
      filter.kind = *k;
    }
    if (const std::string* s = req.Param("scope")) {
      Result<ScopeSet> sc = ParseScopes(*s);
      if (!sc.ok()) Refuse("scope", sc.status().message());
      filter.scope = *sc;
    }
    if (const std::string* s = req.Param("category")) {
      Result<CategorySet> c = ParseCategories(*s);
      if (!c.ok()) Refuse("category", c.status().message());
      filter.categories = *c;
    }
    if (const std::string* s = req.Param("body")) filter.body = *s;
    Result<std::vector<Order>> orders = registry_.ListOrders(filter);
    if (!orders.ok()) return WorkflowError(orders.status());
    json::array out;
    out.reserve(orders->size());
    for (const Order& o : *orders) out.push_back(ToJson(o));
    json::object o{{"orders", std::move(out)}};
    o["next_after"] =
        orders->size() == page.limit ? json::value(orders->back().id) : json::value(nullptr);
    return JsonResponse(200, o);
  }

  // The order with a page of its targets: ?targets_offset=N&targets_limit=M (default 0, 1000;
  // at most 10000).
  HttpResponse ShowOrder(const HttpRequest& req, const Principal&) {
    const Id id = PathId(req, "id");
    const std::size_t offset = SizeParam(req, "targets_offset", 0, 0, SIZE_MAX);
    const std::size_t limit = SizeParam(req, "targets_limit", 1000, 1, 10000);
    Result<OrderDetail> d = registry_.ShowOrder(id);
    if (!d.ok()) return WorkflowError(d.status(), "id");
    json::object o = ToJson(d->order).as_object();
    json::array targets;
    for (std::size_t i = offset; i < d->targets.size() && i < offset + limit; ++i) {
      targets.emplace_back(d->targets[i].ToString());
    }
    o["target_count"] = d->targets.size();
    o["targets_in_force"] = d->targets_in_force;
    o["targets_offset"] = offset;
    o["targets"] = std::move(targets);
    json::array lifted;
    for (const Target& t : d->lifted_targets) lifted.emplace_back(t.ToString());
    o["lifted_targets"] = std::move(lifted);
    return JsonResponse(200, o);
  }

  HttpResponse AddTargets(const HttpRequest& req, const Principal& p) {
    const Id id = PathId(req, "id");
    const json::value body = ParseBody(req);
    Fields f(body, "");
    f.OnlyKnown({"targets", "reason", "confirm"});
    const std::string reason = f.String("reason", false);
    const Id confirm = ReadConfirm(f, p);
    TargetList list = ReadTargets(f, "targets", options_.max_items);
    std::vector<bool> fresh;
    Result<std::size_t> added =
        registry_.AddTargets(Actor(p), id, list.targets, reason, &fresh, confirm);
    if (!added.ok()) return WorkflowError(added.status());
    std::vector<std::string> results;
    results.reserve(fresh.size());
    for (bool attached : fresh) results.emplace_back(attached ? "attached" : "already-attached");
    const std::vector<std::string> notes(list.targets.size());
    return JsonResponse(
        200, json::object{{"added", *added}, {"items", ItemResults(list, results, notes)}});
  }

  HttpResponse Renew(const HttpRequest& req, const Principal& p) {
    const Id id = PathId(req, "id");
    const json::value body = ParseBody(req);
    Fields f(body, "");
    f.OnlyKnown({"expires", "reason"});
    const UnixTime expires = f.Time("expires", true);
    Result<Order> o = registry_.Renew(Actor(p), id, expires, f.String("reason", true));
    if (!o.ok()) {
      return WorkflowError(o.status(),
                           o.status().code() == StatusCode::kInvalidArgument ? "expires" : "");
    }
    return JsonResponse(200, ToJson(*o));
  }

  HttpResponse Lift(const HttpRequest& req, const Principal& p) {
    const Id id = PathId(req, "id");
    const json::value body = ParseBody(req);
    Fields f(body, "");
    f.OnlyKnown({"reason", "confirm"});
    const std::string reason = f.String("reason", true);
    Result<Order> o = registry_.Lift(Actor(p), id, reason, ReadConfirm(f, p));
    if (!o.ok()) return WorkflowError(o.status());
    return JsonResponse(200, ToJson(*o));
  }

  // {"targets"?: ["ip:..", ..], "reason"}: re-confirms address targets (all when none named).
  HttpResponse Reconfirm(const HttpRequest& req, const Principal& p) {
    const Id id = PathId(req, "id");
    const json::value body = ParseBody(req);
    Fields f(body, "");
    f.OnlyKnown({"targets", "reason"});
    const std::string reason = f.String("reason", true);
    std::vector<Target> targets;
    if (f.Find("targets") != nullptr)
      targets = ReadTargets(f, "targets", options_.max_items).targets;
    Result<std::size_t> n = registry_.Reconfirm(Actor(p), id, targets, reason);
    if (!n.ok()) return WorkflowError(n.status());
    return JsonResponse(200, json::object{{"order_id", id}, {"reconfirmed", *n}});
  }

  // ?days=N (default 14): address targets that lapse within N days unless re-confirmed.
  HttpResponse Due(const HttpRequest& req, const Principal& /*p*/) {
    const std::size_t days = SizeParam(req, "days", 14, 0, 3650);
    Result<std::vector<AgedTarget>> due =
        registry_.AddressTargetsDue(static_cast<std::int64_t>(days) * 86400);
    if (!due.ok()) return WorkflowError(due.status());
    json::array items;
    for (const AgedTarget& a : *due) {
      items.push_back(json::object{{"order_id", a.order_id},
                                   {"target", a.target.ToString()},
                                   {"confirmed", FormatTime(a.confirmed_at)}});
    }
    return JsonResponse(200, json::object{{"items", std::move(items)}});
  }

  // ?all=true: confirmed ones too.
  HttpResponse Held(const HttpRequest& req, const Principal& /*p*/) {
    const std::string* all_param = req.Param("all");
    const bool all = all_param != nullptr && *all_param == "true";
    Result<std::vector<HeldChange>> held = registry_.HeldChanges(!all);
    if (!held.ok()) return WorkflowError(held.status());
    json::array items;
    for (const HeldChange& c : *held) items.push_back(ToJson(c));
    return JsonResponse(200, json::object{{"items", std::move(items)}});
  }

 private:
  Registry& registry_;
  const ApiOptions options_;
};

}  // namespace

void AddWorkflowRoutes(RouteSink& sink, Registry& registry, const ApiOptions& options) {
  // Each handler holds the routes object, so it lives as long as the router.
  auto routes = std::make_shared<WorkflowRoutes>(registry, options);
  auto on = [&routes](auto method) { return On(routes, method); };
  const RoleSet readers = kAuthority | Roles({Role::kRightsholder, Role::kAuditor});
  const RoleSet admin = Roles({Role::kAuthorityAdmin});
  const RoleSet rightsholder = Roles({Role::kRightsholder});
  sink.Add("POST", "/v1/referrals", rightsholder, "submit referrals", on(&WorkflowRoutes::Refer));
  sink.Add("GET", "/v1/referrals", readers, "read referrals", on(&WorkflowRoutes::ListReferrals));
  sink.Add("GET", "/v1/referrals/{id}", readers, "read referrals",
           on(&WorkflowRoutes::ShowReferral));
  sink.Add("POST", "/v1/referrals/{id}/withdraw", rightsholder, "withdraw referrals",
           on(&WorkflowRoutes::Withdraw));
  sink.Add("GET", "/v1/review/queue", kAuthority, "review referrals", on(&WorkflowRoutes::Queue));
  sink.Add("POST", "/v1/review/{id}/start", kAuthority, "review referrals",
           on(&WorkflowRoutes::StartReview));
  sink.Add("POST", "/v1/review/{id}/approve", kAuthority, "review referrals",
           on(&WorkflowRoutes::Approve));
  sink.Add("POST", "/v1/review/{id}/reject", kAuthority, "review referrals",
           on(&WorkflowRoutes::Reject));
  sink.Add("POST", "/v1/orders", admin, "issue orders", on(&WorkflowRoutes::CreateOrder));
  sink.Add("GET", "/v1/orders", kAnyRole, "read orders", on(&WorkflowRoutes::ListOrders));
  sink.Add("GET", "/v1/orders/{id}", kAnyRole, "read orders", on(&WorkflowRoutes::ShowOrder));
  sink.Add("POST", "/v1/orders/{id}/targets", admin, "add targets to orders",
           on(&WorkflowRoutes::AddTargets));
  sink.Add("POST", "/v1/orders/{id}/lift", admin, "lift orders", on(&WorkflowRoutes::Lift));
  sink.Add("POST", "/v1/orders/{id}/renew", admin, "renew orders", on(&WorkflowRoutes::Renew));
  sink.Add("POST", "/v1/orders/{id}/reconfirm", admin, "re-confirm address targets",
           on(&WorkflowRoutes::Reconfirm));
  sink.Add("GET", "/v1/reconfirm/due", kAuthority, "read address targets due for re-confirmation",
           on(&WorkflowRoutes::Due));
  sink.Add("GET", "/v1/held", kAuthority, "read held changes", on(&WorkflowRoutes::Held));
}

}  // namespace interdict::api
