// Acknowledgements and overdue reports over HTTP, and the Piracy Shield ticket-item routes.
#include <algorithm>
#include <cctype>
#include <utility>

#include "api/routes.h"
#include "io/model_json.h"

namespace interdict::api {
namespace {

// The organization a request is about: an intermediary's own (naming another is refused), or
// any (or the one named) for the authority and auditors.
std::optional<Id> OrgOfRequest(const HttpRequest& req, const Principal& p, std::string_view verb) {
  const std::optional<Id> named = IdParam(req, "org_id");
  if (ScopeOfRole(p.role)) {
    if (named && *named != p.org_id) {
      Refuse("org_id",
             "role " + std::string(Name(p.role)) + " may " + std::string(verb) +
                 " its own organization's items only",
             403);
    }
    return p.org_id;
  }
  return named;
}

// A slice [offset, offset + limit) of `all` as a JSON array, with the paging fields.
template <typename T>
json::object Slice(const std::vector<T>& all, const HttpRequest& req, const char* key) {
  const std::size_t offset = SizeParam(req, "offset", 0, 0, SIZE_MAX);
  const std::size_t limit = SizeParam(req, "limit", 1000, 1, 10000);
  json::array items;
  for (std::size_t i = offset; i < all.size() && i < offset + limit; ++i) {
    items.push_back(ToJson(all[i]));
  }
  json::object o{{key, std::move(items)}, {"total", all.size()}, {"offset", offset}};
  return o;
}

// "ALREADY_BLOCKED", "already-blocked", "Already_Blocked" all name kAlreadyBlocked.
Result<AckReason> ReadReason(std::string_view text) {
  std::string name(text);
  for (char& c : name) {
    c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return ParseAckReason(name);
}

class AckRoutes {
 public:
  AckRoutes(Registry& registry, const ApiOptions& options)
      : registry_(registry), options_(options) {}

  // {"org_id"?: N, "items": [{"order_id", "target", "status": "processed" | "unprocessed",
  //  "reason"?, "note"?}]}: all written, or none and the refused items listed.
  HttpResponse Acknowledge(const HttpRequest& req, const Principal& p) {
    const json::value body = ParseBody(req);
    Fields f(body, "");
    f.OnlyKnown({"org_id", "items"});
    if (const std::optional<std::int64_t> org = f.Int("org_id", false); org && *org != p.org_id) {
      Refuse("org_id", "a token acknowledges for its own organization only", 403);
    }
    const json::value* items = f.Find("items");
    if (items == nullptr || !items->is_array() || items->get_array().empty()) {
      Refuse("items", "must be a non-empty array of acknowledgements");
    }
    const json::array& list = items->get_array();
    if (list.size() > options_.max_items) {
      Refuse("items",
             "has " + std::to_string(list.size()) + " items; at most " +
                 std::to_string(options_.max_items) + " per request",
             413);
    }
    std::vector<AckItem> acks;
    acks.reserve(list.size());
    json::array errors;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string where = "items[" + std::to_string(i) + "]";
      try {
        acks.push_back(ReadItem(list[i], where));
      } catch (const BadRequest& bad) {
        errors.push_back(
            json::object{{"index", i}, {"field", bad.field}, {"message", bad.message}});
      }
    }
    if (errors.empty()) {
      Result<AckResult> result =
          registry_.Acknowledge(Actor(p), p.org_id, *ScopeOfRole(p.role), acks);
      if (!result.ok()) return WorkflowError(result.status());
      if (result->ok()) {
        return JsonResponse(
            200, json::object{{"written", result->written}, {"replaced", result->replaced}});
      }
      for (const AckError& e : result->errors) {
        errors.push_back(
            json::object{{"index", e.index},
                         {"field", "items[" + std::to_string(e.index) + "]." + e.field},
                         {"message", e.message}});
      }
    }
    BadRequest bad;
    bad.status = 400;
    bad.field = errors.size() == 1 ? std::string(errors[0].at("field").as_string()) : "items";
    bad.message = std::to_string(errors.size()) + " of " + std::to_string(list.size()) +
                  " items were refused; nothing was written";
    bad.items = std::move(errors);
    Throw(std::move(bad));
  }

  HttpResponse List(const HttpRequest& req, const Principal& p) {
    const std::optional<Id> org = OrgOfRequest(req, p, "read");
    const std::optional<Id> order = IdParam(req, "order_id");
    Result<std::vector<Acknowledgement>> acks =
        registry_.Acknowledgements(org.value_or(0), order.value_or(0));
    if (!acks.ok()) return WorkflowError(acks.status());
    return JsonResponse(200, Slice(*acks, req, "acknowledgements"));
  }

  HttpResponse Overdue(const HttpRequest& req, const Principal& p) {
    const std::optional<Id> org = OrgOfRequest(req, p, "read");
    Result<std::vector<OverdueItem>> items = registry_.Overdue(org, IdParam(req, "order_id"));
    if (!items.ok()) return WorkflowError(items.status());
    return JsonResponse(200, Slice(*items, req, "overdue"));
  }

  HttpResponse Summary(const HttpRequest&, const Principal&) {
    Result<OverdueSummary> s = registry_.SummarizeOverdue();
    if (!s.ok()) return WorkflowError(s.status());
    json::array by_org;
    json::array by_order;
    for (const OverdueCount& c : s->by_org) by_org.push_back(ToJson(c));
    for (const OverdueCount& c : s->by_order) by_order.push_back(ToJson(c));
    return JsonResponse(200, json::object{{"total", s->total},
                                          {"by_org", std::move(by_org)},
                                          {"by_order", std::move(by_order)}});
  }

  // Piracy Shield: POST /api/v1/ticket/item/set/processed {"value": "..."} and
  // .../unprocessed {"value", "reason", "note"?, "timestamp"?}. The value is an FQDN or an
  // address of the isp lists; every in-force item of the isp view with that exact value is
  // acknowledged. Answers {"status": "success"|"error", ...} as that platform does.
  HttpResponse ShieldSet(const HttpRequest& req, const Principal& p, bool processed) {
    try {
      const json::value body = ParseBody(req);
      Fields f(body, "");
      f.OnlyKnown({"value", "reason", "note", "timestamp"});
      const std::string value = f.String("value", true, 300);
      std::optional<AckReason> reason;
      if (!processed) {
        Result<AckReason> r = ReadReason(f.String("reason", true, 64));
        if (!r.ok()) Refuse("reason", r.status().message());
        reason = *r;
      } else if (!f.String("reason", false).empty()) {
        Refuse("reason", "a processed item takes no reason");
      }
      const std::string note = f.String("note", false);
      Result<Target> target = ParseTarget(value);
      if (!target.ok()) Refuse("value", target.status().message());
      Result<CheckResult> found = registry_.Check(*target);
      if (!found.ok()) return WorkflowError(found.status());
      std::vector<AckItem> items;
      for (const InForceEntry& e : found->matches) {
        if (e.target.value != target->value) continue;  // an ancestor's or a network's rule
        items.push_back({e.order_id, e.target, processed, reason, note});
      }
      if (items.empty()) Refuse("value", "\"" + value + "\" is not an item of the isp lists");
      Result<AckResult> result = registry_.Acknowledge(Actor(p), p.org_id, Scope::kIsp, items);
      if (!result.ok()) return WorkflowError(result.status());
      if (!result->ok()) Refuse("value", result->errors.front().message);
      return JsonResponse(200, json::object{{"status", "success"},
                                            {"message", "acknowledged"},
                                            {"data", json::object{{"items", result->written}}}});
    } catch (const BadRequest& bad) {
      return JsonResponse(bad.status, json::object{{"status", "error"},
                                                   {"code", bad.code},
                                                   {"field", bad.field},
                                                   {"message", bad.message}});
    }
  }

  HttpResponse ShieldProcessed(const HttpRequest& req, const Principal& p) {
    return ShieldSet(req, p, true);
  }
  HttpResponse ShieldUnprocessed(const HttpRequest& req, const Principal& p) {
    return ShieldSet(req, p, false);
  }

 private:
  static AckItem ReadItem(const json::value& v, const std::string& where) {
    Fields f(v, where);
    f.OnlyKnown({"order_id", "target", "status", "reason", "note"});
    AckItem item;
    item.order_id = *f.Int("order_id", true);
    const json::value* t = f.Find("target");
    if (t == nullptr || !t->is_string())
      Refuse(f.Path("target"), "must be a \"kind:value\" string");
    Result<Target> target = ParseTarget(std::string_view(t->get_string()));
    if (!target.ok()) Refuse(f.Path("target"), target.status().message());
    item.target = std::move(target).value();
    const std::string status = f.String("status", true, 32);
    if (status != "processed" && status != "unprocessed") {
      Refuse(f.Path("status"), "must be \"processed\" or \"unprocessed\"");
    }
    item.processed = status == "processed";
    const std::string reason = f.String("reason", false, 64);
    if (!reason.empty()) {
      Result<AckReason> r = ReadReason(reason);
      if (!r.ok()) Refuse(f.Path("reason"), r.status().message());
      item.reason = *r;
    }
    item.note = f.String("note", false);
    return item;
  }

  Registry& registry_;
  const ApiOptions options_;
};

}  // namespace

void AddAckRoutes(RouteSink& sink, Registry& registry, const ApiOptions& options) {
  auto routes = std::make_shared<AckRoutes>(registry, options);
  auto on = [&routes](auto method) { return On(routes, method); };
  const RoleSet readers = kIntermediaries | kAuthority | Roles({Role::kAuditor});
  sink.Add("POST", "/v1/acks", kIntermediaries, "acknowledge items", on(&AckRoutes::Acknowledge));
  sink.Add("GET", "/v1/acks", readers, "read acknowledgements", on(&AckRoutes::List));
  sink.Add("GET", "/v1/overdue", readers, "read overdue items", on(&AckRoutes::Overdue));
  sink.Add("GET", "/v1/overdue/summary", kAuthority | Roles({Role::kAuditor}),
           "read the overdue summary", on(&AckRoutes::Summary));
  sink.Add("POST", "/api/v1/ticket/item/set/processed", Roles({Role::kIsp}),
           "acknowledge isp list items", on(&AckRoutes::ShieldProcessed));
  sink.Add("POST", "/api/v1/ticket/item/set/unprocessed", Roles({Role::kIsp}),
           "acknowledge isp list items", on(&AckRoutes::ShieldUnprocessed));
}

}  // namespace interdict::api
