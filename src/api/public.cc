// The public register: every order with its public fields, its targets as published, its
// appeals' status and how to appeal, and "is this blocked, and why?", for anyone, without a
// token. As JSON (/public/...) and as small HTML pages (/register/...) that need nothing but the
// page itself: no scripts, no external assets, every value escaped.
#include <algorithm>
#include <utility>

#include "api/html.h"
#include "api/routes.h"
#include "io/model_json.h"

namespace interdict::api {
namespace {

constexpr std::size_t kMaxQuery = 4096;

bool Open(const Order& o) {
  return o.state != OrderState::kLifted && o.state != OrderState::kExpired;
}

class PublicRoutes {
 public:
  PublicRoutes(Registry& registry, ApiOptions options)
      : registry_(registry), options_(std::move(options)) {}

  // ---- JSON ----------------------------------------------------------------------------------

  HttpResponse ListOrders(const HttpRequest& req, const Principal*) {
    const Page page = ReadPage(req);
    Result<std::vector<Order>> orders = ReadOrders(req, page);
    if (!orders.ok()) return WorkflowError(orders.status());
    json::array out;
    out.reserve(orders->size());
    for (const Order& o : *orders) out.push_back(OrderJson(o));
    json::object body{{"orders", std::move(out)}};
    body["next_after"] =
        orders->size() == page.limit ? json::value(orders->back().id) : json::value(nullptr);
    return JsonResponse(200, body);
  }

  // The order with a page of its targets (?targets_offset=N&targets_limit=M, as
  // GET /v1/orders/{id}), the targets lifted on appeal and its appeals.
  HttpResponse ShowOrder(const HttpRequest& req, const Principal*) {
    const Id id = PathId(req, "id");
    const std::size_t offset = SizeParam(req, "targets_offset", 0, 0, SIZE_MAX);
    const std::size_t limit = SizeParam(req, "targets_limit", 1000, 1, 10000);
    Result<OrderDetail> d = registry_.ShowOrder(id);
    if (!d.ok()) return WorkflowError(d.status(), "id");
    Result<std::vector<Appeal>> appeals = OrderAppeals(id);
    if (!appeals.ok()) return WorkflowError(appeals.status());
    json::object o = OrderJson(d->order);
    json::array targets;
    for (std::size_t i = offset; i < d->targets.size() && i - offset < limit; ++i) {
      targets.push_back(Published(d->targets[i]));
    }
    json::array lifted;
    for (const Target& t : d->lifted_targets) lifted.push_back(Published(t));
    json::array appeal_list;
    for (const Appeal& a : *appeals) {
      json::object item{{"id", a.id},
                        {"party", Name(a.party)},
                        {"state", Name(a.state)},
                        {"filed", FormatTime(a.filed_at)}};
      item["target"] = a.target ? json::value(Published(*a.target)) : json::value(nullptr);
      item["decided"] = a.state == AppealState::kFiled ? json::value(nullptr)
                                                       : json::value(FormatTime(a.decided_at));
      appeal_list.push_back(std::move(item));
    }
    o["target_count"] = d->targets.size();
    o["targets_offset"] = offset;
    o["targets"] = std::move(targets);
    o["lifted_targets"] = std::move(lifted);
    o["appeals"] = std::move(appeal_list);
    return JsonResponse(200, o);
  }

  // ?q=VALUE: normalized as the registry does; the orders in force that block it, with the
  // rules that do.
  HttpResponse Check(const HttpRequest& req, const Principal*) {
    const Target query = ReadQuery(req);
    Result<CheckOutcome> outcome = RunCheck(query);
    if (!outcome.ok()) return WorkflowError(outcome.status(), "q");
    json::array orders;
    for (const auto& [order, rules] : outcome->orders) {
      json::object o = OrderJson(order);
      json::array r;
      for (const Target& t : rules) r.push_back(Published(t));
      o["rules"] = std::move(r);
      orders.push_back(std::move(o));
    }
    return JsonResponse(200,
                        json::object{{"query", json::object{{"kind", TargetKindName(query.kind)},
                                                            {"value", query.value}}},
                                     {"blocked", !outcome->orders.empty()},
                                     {"orders", std::move(orders)}});
  }

  // ---- HTML ----------------------------------------------------------------------------------

  HttpResponse ListPage(const HttpRequest& req, const Principal*) {
    return Render([&]() -> HttpResponse {
      const Page page = ReadPage(req);
      Result<std::vector<Order>> orders = ReadOrders(req, page);
      if (!orders.ok()) return ErrorPage(orders.status());
      std::string b = "<h1>Register of blocking orders</h1>\n";
      b += "<p>Every order that requires intermediaries to block access to a site, with the "
           "authority or court that issued it, its dates and what it names. Anyone affected may "
           "appeal an order; see an order's page for how.</p>\n";
      b += CheckForm("");
      if (orders->empty()) {
        b += "<p>No orders.</p>\n";
      } else {
        b += "<table>\n<thead><tr><th>Reference</th><th>Issued by</th><th>Kind</th>"
             "<th>Issued</th><th>Expires</th><th>State</th></tr></thead>\n<tbody>\n";
        for (const Order& o : *orders) {
          b += "<tr><td><a href=\"";
          AppendHtml(b, OrderPath(o.id));
          b += "\">";
          AppendHtml(b, o.reference);
          b += "</a></td><td>";
          AppendHtml(b, o.body);
          b += "</td><td>";
          AppendHtml(b, Name(o.kind));
          b += "</td><td>";
          AppendHtml(b, FormatDate(o.issued_at));
          b += "</td><td>";
          AppendHtml(b, FormatDate(o.expires_at));
          b += "</td><td>";
          AppendHtml(b, StateText(o));
          b += "</td></tr>\n";
        }
        b += "</tbody>\n</table>\n";
      }
      if (orders->size() == page.limit) {
        b += "<p><a href=\"";
        AppendHtml(b, options_.public_url + "/register?after=" + std::to_string(orders->back().id));
        b += "\">Next page</a></p>\n";
      }
      return HtmlResponse(200, HtmlPage("en", "Register of blocking orders", b));
    });
  }

  HttpResponse OrderPage(const HttpRequest& req, const Principal*) {
    return Render([&]() -> HttpResponse {
      const Id id = PathId(req, "id");
      const std::size_t offset = SizeParam(req, "targets_offset", 0, 0, SIZE_MAX);
      constexpr std::size_t kLimit = 1000;
      Result<OrderDetail> d = registry_.ShowOrder(id);
      if (!d.ok()) return ErrorPage(d.status());
      Result<std::vector<Appeal>> appeals = OrderAppeals(id);
      if (!appeals.ok()) return ErrorPage(appeals.status());
      const Order& o = d->order;
      std::string b = "<p><a href=\"";
      AppendHtml(b, options_.public_url + "/register");
      b += "\">Register of blocking orders</a></p>\n<h1>Order ";
      AppendHtml(b, o.reference);
      b += "</h1>\n<dl>\n";
      auto row = [&b](std::string_view term, std::string_view value) {
        b += "<dt>";
        AppendHtml(b, term);
        b += "</dt><dd>";
        AppendHtml(b, value);
        b += "</dd>\n";
      };
      row("Issued by", o.body);
      row("Reference", o.reference);
      row("Kind", Name(o.kind));
      row("State", StateText(o));
      row("Issued", FormatTime(o.issued_at));
      row("Effective", FormatTime(o.effective_at));
      row("Expires", FormatTime(o.expires_at));
      if (o.state == OrderState::kLifted) row("Lifted", FormatTime(o.updated_at));
      row("Categories", FormatCategories(o.categories));
      row("Applies to", FormatScopes(o.scope));
      b += "</dl>\n<h2>Targets (";
      b += std::to_string(d->targets.size());
      b += ")</h2>\n";
      AppendTargets(b, d->targets, offset, kLimit);
      if (offset + kLimit < d->targets.size()) {
        b += "<p><a href=\"";
        AppendHtml(b, OrderPath(o.id) + "?targets_offset=" + std::to_string(offset + kLimit));
        b += "\">More targets</a></p>\n";
      }
      if (!d->lifted_targets.empty()) {
        b += "<h2>Lifted on appeal</h2>\n";
        AppendTargets(b, d->lifted_targets, 0, d->lifted_targets.size());
      }
      b += "<h2>Appeals</h2>\n";
      if (appeals->empty()) {
        b += "<p>None.</p>\n";
      } else {
        b += "<table>\n<thead><tr><th>Appeal</th><th>By</th><th>Against</th><th>Filed</th>"
             "<th>State</th><th>Decided</th></tr></thead>\n<tbody>\n";
        for (const Appeal& a : *appeals) {
          b += "<tr><td>";
          b += std::to_string(a.id);
          b += "</td><td>";
          AppendHtml(b, Name(a.party));
          b += "</td><td>";
          AppendHtml(b, a.target ? PublishedText(*a.target) : std::string("the whole order"));
          b += "</td><td>";
          AppendHtml(b, FormatDate(a.filed_at));
          b += "</td><td>";
          AppendHtml(b, Name(a.state));
          b += "</td><td>";
          if (a.state != AppealState::kFiled) AppendHtml(b, FormatDate(a.decided_at));
          b += "</td></tr>\n";
        }
        b += "</tbody>\n</table>\n";
      }
      b += "<h2>How to appeal</h2>\n";
      if (!Open(o)) {
        b += "<p>This order no longer blocks anything; it cannot be appealed.</p>\n";
      } else {
        b += "<p>The operator of a blocked site, its host, the owner of a site blocked with it "
             "(a shared address, for instance) or anyone else affected may appeal this order, or "
             "one of its targets. Send a JSON request to <code>POST ";
        AppendHtml(b, options_.public_url + "/v1/appeals");
        b += "</code> with the order id <code>";
        b += std::to_string(o.id);
        b += "</code>; no account is needed. The contact you give is shown to the authority "
             "only; the appeal's status is public, on this page.</p>\n<pre><code>";
        AppendHtml(b, "{\"order_id\": " + std::to_string(o.id) +
                          ", \"target\": \"domain:example.com\", \"party\": \"operator\", "
                          "\"name\": \"...\", \"contact\": \"you@example.org\", "
                          "\"statement\": \"...\"}");
        b += "</code></pre>\n<p class=\"note\">target: one target of the order, or leave it out "
             "to appeal the whole order. party: operator, host, collateral or other.</p>\n";
      }
      return HtmlResponse(200, HtmlPage("en", "Order " + o.reference, b));
    });
  }

  HttpResponse CheckPage(const HttpRequest& req, const Principal*) {
    return Render([&]() -> HttpResponse {
      const std::string* q = req.Param("q");
      std::string b = "<p><a href=\"";
      AppendHtml(b, options_.public_url + "/register");
      b += "\">Register of blocking orders</a></p>\n<h1>Is it blocked?</h1>\n";
      b += CheckForm(q != nullptr ? *q : "");
      if (q == nullptr || q->empty()) {
        return HtmlResponse(200, HtmlPage("en", "Is it blocked?", b));
      }
      // A value that is no target is answered under the form, which shows it again.
      Result<Target> parsed =
          q->size() > kMaxQuery
              ? Status::InvalidArgument("longer than " + std::to_string(kMaxQuery) + " bytes")
              : ParseTarget(*q);
      Result<CheckOutcome> outcome =
          parsed.ok() ? RunCheck(*parsed) : Result<CheckOutcome>(parsed.status());
      if (!outcome.ok()) {
        b += "<p><strong>Cannot check this value:</strong> ";
        AppendHtml(b, outcome.status().message());
        b += "</p>\n";
        return HtmlResponse(WorkflowError(outcome.status()).status,
                            HtmlPage("en", "Is it blocked?", b));
      }
      const Target& query = *parsed;
      if (outcome->orders.empty()) {
        b += "<p><code>";
        AppendHtml(b, query.ToString());
        b += "</code> is not blocked: no order in force names it.</p>\n";
      } else {
        b += "<p><strong>Blocked.</strong> <code>";
        AppendHtml(b, query.ToString());
        b += "</code> is blocked by ";
        b += std::to_string(outcome->orders.size());
        b += outcome->orders.size() == 1 ? " order" : " orders";
        b += ":</p>\n<table>\n<thead><tr><th>Order</th><th>Issued by</th><th>Issued</th>"
             "<th>Expires</th><th>Because it names</th></tr></thead>\n<tbody>\n";
        for (const auto& [order, rules] : outcome->orders) {
          b += "<tr><td><a href=\"";
          AppendHtml(b, OrderPath(order.id));
          b += "\">";
          AppendHtml(b, order.reference);
          b += "</a></td><td>";
          AppendHtml(b, order.body);
          b += "</td><td>";
          AppendHtml(b, FormatDate(order.issued_at));
          b += "</td><td>";
          AppendHtml(b, FormatDate(order.expires_at));
          b += "</td><td>";
          for (std::size_t i = 0; i < rules.size(); ++i) {
            if (i > 0) b += "<br>";
            b += "<code>";
            AppendHtml(b, PublishedText(rules[i]));
            b += "</code>";
          }
          b += "</td></tr>\n";
        }
        b += "</tbody>\n</table>\n<p>Each order's page says how to appeal it.</p>\n";
      }
      return HtmlResponse(200, HtmlPage("en", "Is it blocked?", b));
    });
  }

 private:
  // The orders that block a query, each with the rules of it that do, by order id.
  struct CheckOutcome {
    std::vector<std::pair<Order, std::vector<Target>>> orders;
  };

  Result<std::vector<Order>> ReadOrders(const HttpRequest& req, const Page& page) {
    OrderFilter filter;
    filter.after_id = page.after;
    filter.limit = page.limit;
    if (const std::string* s = req.Param("state")) {
      Result<OrderState> st = ParseOrderState(*s);
      if (!st.ok()) Refuse("state", st.status().message());
      filter.state = *st;
    }
    return registry_.ListOrders(filter);
  }

  Result<std::vector<Appeal>> OrderAppeals(Id order_id) {
    AppealFilter filter;
    filter.order_id = order_id;
    filter.limit = 1000;
    return registry_.ListAppeals(filter);
  }

  static Target ReadQuery(const HttpRequest& req) {
    const std::string* q = req.Param("q");
    if (q == nullptr || q->empty()) Refuse("q", "is required: a name, address, URL or app id");
    if (q->size() > kMaxQuery) {
      Refuse("q", "is longer than " + std::to_string(kMaxQuery) + " bytes");
    }
    Result<Target> t = ParseTarget(*q);
    if (!t.ok()) Refuse("q", t.status().message());
    return *std::move(t);
  }

  Result<CheckOutcome> RunCheck(const Target& query) {
    ASSIGN_OR_RETURN(CheckResult result, registry_.Check(query));
    std::vector<Id> ids;
    for (const InForceEntry& e : result.matches) ids.push_back(e.order_id);
    ASSIGN_OR_RETURN(std::vector<Order> orders, registry_.GetOrders(ids));
    CheckOutcome out;
    for (Order& o : orders) {
      std::vector<Target> rules;
      for (const InForceEntry& e : result.matches) {
        if (e.order_id == o.id && std::find(rules.begin(), rules.end(), e.target) == rules.end()) {
          rules.push_back(e.target);
        }
      }
      out.orders.emplace_back(std::move(o), std::move(rules));
    }
    return out;
  }

  // A target as the register publishes it: URLs (and URL search targets) as scheme://host/…
  // when paths are redacted.
  std::string PublishedText(const Target& t) const {
    if (!options_.public_redact_paths) return t.ToString();
    const bool url = t.kind == TargetKind::kUrl ||
                     (t.kind == TargetKind::kSearch && t.value.find("://") != std::string::npos);
    if (!url) return t.ToString();
    std::string_view v = t.value;
    if (!v.empty() && v.back() == '*') v.remove_suffix(1);
    const UrlParts u = SplitCanonicalUrl(v);
    if (!u.valid) return t.ToString();
    return std::string(TargetKindName(t.kind)) + ":" + std::string(u.origin) + "/\u2026";
  }

  json::object Published(const Target& t) const {
    const std::string text = PublishedText(t);
    const std::string_view kind = TargetKindName(t.kind);
    json::object o{{"kind", kind}, {"value", text.substr(kind.size() + 1)}};
    if (text != t.ToString()) o["redacted"] = true;
    return o;
  }

  std::string OrderPath(Id id) const {
    return options_.public_url + "/register/orders/" + std::to_string(id);
  }

  // An order's public fields, where its page is, and how to appeal it.
  json::object OrderJson(const Order& o) const {
    json::object j = ToJson(o).as_object();
    j.erase("state_reason");  // a note of the authority's, not a public field
    j["lifted"] = o.state == OrderState::kLifted ? json::value(FormatTime(o.updated_at))
                                                 : json::value(nullptr);
    j["register_url"] = OrderPath(o.id);
    j["appeal"] = json::object{{"open", Open(o)},
                               {"method", "POST"},
                               {"url", options_.public_url + "/v1/appeals"},
                               {"order_id", o.id}};
    return j;
  }

  static std::string StateText(const Order& o) { return std::string(Name(o.state)); }

  void AppendTargets(std::string& b, const std::vector<Target>& targets, std::size_t offset,
                     std::size_t limit) const {
    if (targets.empty() || offset >= targets.size()) {
      b += "<p>None.</p>\n";
      return;
    }
    b += "<ul>\n";
    for (std::size_t i = offset; i < targets.size() && i - offset < limit; ++i) {
      b += "<li><code>";
      AppendHtml(b, PublishedText(targets[i]));
      b += "</code></li>\n";
    }
    b += "</ul>\n";
  }

  std::string CheckForm(std::string_view value) const {
    std::string b = "<form action=\"";
    AppendHtml(b, options_.public_url + "/register/check");
    b += "\" method=\"get\"><p><label>Is it blocked? A name, address, URL or app id: <input "
         "type=\"text\" name=\"q\" size=\"40\" value=\"";
    AppendHtml(b, value);
    b += "\"></label> <button type=\"submit\">Check</button></p></form>\n";
    return b;
  }

  // Runs an HTML page's handler: refused input and registry errors become HTML pages too.
  template <typename F>
  static HttpResponse Render(F&& make) {
    try {
      return make();
    } catch (const BadRequest& bad) {
      return MessagePage(bad.status, (bad.field.empty() ? "" : bad.field + ": ") + bad.message);
    }
  }

  static HttpResponse ErrorPage(const Status& s) {
    const HttpResponse json = WorkflowError(s);
    return MessagePage(json.status, s.message());
  }

  static HttpResponse MessagePage(int status, const std::string& message) {
    std::string b = "<h1>";
    b += status == 404 ? "Not found" : "Cannot answer";
    b += "</h1>\n<p>";
    AppendHtml(b, message);
    b += "</p>\n<p><a href=\"/register\">Register of blocking orders</a></p>\n";
    return HtmlResponse(status, HtmlPage("en", status == 404 ? "Not found" : "Error", b));
  }

  Registry& registry_;
  const ApiOptions options_;
};

}  // namespace

void AddPublicRoutes(RouteSink& sink, Registry& registry, const ApiOptions& options) {
  auto routes = std::make_shared<PublicRoutes>(registry, options);
  auto on = [&routes](auto method) { return OnPublic(routes, method); };
  sink.AddPublic("GET", "/public/orders", on(&PublicRoutes::ListOrders));
  sink.AddPublic("GET", "/public/orders/{id}", on(&PublicRoutes::ShowOrder));
  sink.AddPublic("GET", "/public/check", on(&PublicRoutes::Check));
  sink.AddPublic("GET", "/register", on(&PublicRoutes::ListPage));
  sink.AddPublic("GET", "/register/orders/{id}", on(&PublicRoutes::OrderPage));
  sink.AddPublic("GET", "/register/check", on(&PublicRoutes::CheckPage));
}

}  // namespace interdict::api
