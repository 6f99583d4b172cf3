#include "api/notice.h"

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <optional>
#include <utility>
#include <vector>

#include "api/html.h"

namespace interdict::api {
namespace {

// Every text of the notice pages, one entry per language; {name} marks a value filled in (and
// escaped) by Fill. The first entry is the default language.
struct NoticeText {
  std::string_view lang;
  std::string_view title;            // 451
  std::string_view blocked_named;    // {host}, {intermediary}
  std::string_view blocked_unnamed;  // {host}
  std::string_view order;            // {reference}, {body}, {date}
  std::string_view order_link;       // the link to the order's page in the register
  std::string_view kept_by;          // {authority}
  std::string_view appeal_heading;
  std::string_view appeal;             // {appeal_url}
  std::string_view register_link;      // the link to the register
  std::string_view not_blocked_title;  // 404
  std::string_view not_blocked;        // {host}
  std::string_view bad_host_title;     // 400
  std::string_view bad_host;
};

constexpr NoticeText kTexts[] = {
    {
        "en",
        "Unavailable for legal reasons",
        "{intermediary} has blocked access to {host} to comply with:",
        "Your network operator has blocked access to {host} to comply with:",
        "Order {reference}, issued by {body} on {date}.",
        "The order in the public register",
        "The register of blocking orders is kept by {authority}.",
        "How to appeal",
        "If you operate or host this site, or your site was blocked with it, you may appeal the "
        "order: send a request to POST {appeal_url} with the order's number (no account is "
        "needed). The order's page in the register explains how.",
        "Public register of blocking orders",
        "Not blocked",
        "No blocking order names {host}. If you were sent here, the block may have been lifted.",
        "Bad request",
        "This request names no valid host.",
    },
    {
        "es",
        "No disponible por razones legales",
        "{intermediary} ha bloqueado el acceso a {host} para cumplir con:",
        "Su operador de red ha bloqueado el acceso a {host} para cumplir con:",
        "Orden {reference}, dictada por {body} el {date}.",
        "La orden en el registro p\u00fablico",
        "El registro de \u00f3rdenes de bloqueo lo lleva {authority}.",
        "C\u00f3mo recurrir",
        "Si usted opera o aloja este sitio, o su sitio qued\u00f3 bloqueado junto con \u00e9l, "
        "puede recurrir la orden: env\u00ede una solicitud a POST {appeal_url} con el n\u00famero "
        "de la orden (no necesita una cuenta). La p\u00e1gina de la orden en el registro explica "
        "c\u00f3mo.",
        "Registro p\u00fablico de \u00f3rdenes de bloqueo",
        "No bloqueado",
        "Ninguna orden de bloqueo nombra {host}. Si lleg\u00f3 aqu\u00ed, puede que el bloqueo se "
        "haya levantado.",
        "Solicitud incorrecta",
        "Esta solicitud no nombra un host v\u00e1lido.",
    },
};

const NoticeText& TextFor(std::string_view lang) {
  for (const NoticeText& t : kTexts) {
    if (t.lang == lang) return t;
  }
  return kTexts[0];
}

// `text` with each {name} replaced by its value, all of it escaped for HTML.
std::string Fill(std::string_view text,
                 std::initializer_list<std::pair<std::string_view, std::string_view>> values) {
  std::string out;
  while (!text.empty()) {
    const std::size_t open = text.find('{');
    const std::size_t close = open == std::string_view::npos ? open : text.find('}', open);
    if (close == std::string_view::npos) {
      AppendHtml(out, text);
      break;
    }
    AppendHtml(out, text.substr(0, open));
    const std::string_view name = text.substr(open + 1, close - open - 1);
    bool found = false;
    for (const auto& [key, value] : values) {
      if (key == name) {
        AppendHtml(out, value);
        found = true;
        break;
      }
    }
    if (!found) AppendHtml(out, text.substr(open, close - open + 1));
    text.remove_prefix(close + 1);
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A q-value ("0.9", "1", "0.25"); nullopt when malformed.
std::optional<double> ParseQ(std::string_view s) {
  if (s.empty() || s.size() > 5 || (s[0] != '0' && s[0] != '1')) return std::nullopt;
  double q = s[0] - '0';
  if (s.size() == 1) return q;
  if (s[1] != '.') return std::nullopt;
  double scale = 0.1;
  for (std::size_t i = 2; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    q += (s[i] - '0') * scale;
    scale /= 10;
  }
  return q > 1 ? std::nullopt : std::optional<double>(q);
}

// The host a Host header names, as the registry spells it: an IPv6 literal without brackets,
// the port dropped, a name lowercased with IDN labels as A-labels; nullopt for anything else.
std::optional<Target> HostTarget(std::string_view host) {
  host = Trim(host);
  if (host.empty()) return std::nullopt;
  if (host.front() == '[') {
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view rest = host.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' ||
                          rest.find_first_not_of("0123456789", 1) != std::string_view::npos)) {
      return std::nullopt;
    }
    Result<std::string> ip = NormalizeIp(host.substr(1, close - 1));
    if (!ip.ok()) return std::nullopt;
    return Target{TargetKind::kIp, *std::move(ip)};
  }
  const std::size_t colon = host.rfind(':');
  if (colon != std::string_view::npos && host.find(':') == colon) {
    if (host.find_first_not_of("0123456789", colon + 1) != std::string_view::npos) {
      return std::nullopt;
    }
    host = host.substr(0, colon);
  }
  if (Result<std::string> ip = NormalizeIp(host); ip.ok()) {
    return Target{TargetKind::kIp, *std::move(ip)};
  }
  Result<std::string> name = NormalizeDomain(host);
  if (!name.ok()) return std::nullopt;
  return Target{TargetKind::kDomain, *std::move(name)};
}

}  // namespace

std::string_view NoticeLanguage(std::string_view header) {
  std::string_view best = kTexts[0].lang;
  double best_q = -1;
  while (!header.empty()) {
    const std::size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    const std::size_t semi = item.find(';');
    std::string tag(Trim(item.substr(0, semi)));
    std::transform(tag.begin(), tag.end(), tag.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    double q = 1;
    for (std::string_view params = semi == std::string_view::npos ? "" : item.substr(semi + 1);
         !params.empty();) {
      const std::size_t next = params.find(';');
      const std::string_view p = Trim(params.substr(0, next));
      params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
      if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
        const std::optional<double> parsed = ParseQ(Trim(p.substr(2)));
        q = parsed ? *parsed : 0;  // a malformed weight refuses rather than prefers
      }
    }
    if (q <= 0 || tag.empty()) continue;
    const std::string_view primary = std::string_view(tag).substr(0, tag.find('-'));
    std::optional<std::string_view> lang;
    if (tag == "*") {
      lang = kTexts[0].lang;
    } else {
      for (const NoticeText& t : kTexts) {
        if (t.lang == primary) lang = t.lang;
      }
    }
    if (lang && q > best_q) {
      best = *lang;
      best_q = q;
    }
  }
  return best;
}

NoticeSite::NoticeSite(Registry& registry, NoticeOptions options)
    : registry_(registry), options_(std::move(options)) {
  if (options_.blocked_by.empty()) options_.blocked_by = options_.public_url + "/register";
}

void NoticeSite::Register(http::Router& router) {
  router.SetFallback([this](const http::HttpRequest& req) { return Answer(req); },
                     http::Execution::kBlocking);
}

http::HttpResponse NoticeSite::Answer(const http::HttpRequest& req) const {
  const std::string* accept = req.Header("accept-language");
  const NoticeText& text = TextFor(NoticeLanguage(accept != nullptr ? *accept : ""));
  const auto respond = [&](int status, std::string_view title, const std::string& body) {
    http::HttpResponse r = HtmlResponse(status, HtmlPage(text.lang, title, body));
    r.headers.emplace_back("Cache-Control", "no-store");
    r.headers.emplace_back("Content-Language", std::string(text.lang));
    r.headers.emplace_back("Vary", "Accept-Language");
    return r;
  };
  const std::string* host_header = req.Header("host");
  const std::optional<Target> host =
      host_header != nullptr ? HostTarget(*host_header) : std::nullopt;
  if (!host) {
    return respond(
        400, text.bad_host_title,
        "<h1>" + Html(text.bad_host_title) + "</h1>\n<p>" + Html(text.bad_host) + "</p>\n");
  }
  Result<CheckResult> checked = registry_.Check(*host);
  std::vector<Order> orders;
  if (checked.ok() && checked->blocked()) {
    std::vector<Id> ids;
    for (const InForceEntry& e : checked->matches) ids.push_back(e.order_id);
    Result<std::vector<Order>> found = registry_.GetOrders(ids);
    if (!found.ok()) checked = found.status();
    if (found.ok()) orders = *std::move(found);
  }
  if (!checked.ok()) {
    http::HttpResponse r = http::HttpResponse::Error(500, "internal", checked.status().message());
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }
  const std::string register_url = options_.public_url + "/register";
  std::string register_link =
      "<p><a href=\"" + Html(register_url) + "\">" + Html(text.register_link) + "</a></p>\n";
  if (orders.empty()) {
    return respond(404, text.not_blocked_title,
                   "<h1>" + Html(text.not_blocked_title) + "</h1>\n<p>" +
                       Fill(text.not_blocked, {{"host", host->value}}) + "</p>\n" + register_link);
  }
  std::string b = "<h1>451 ";
  AppendHtml(b, text.title);
  b += "</h1>\n<p>";
  b += options_.intermediary.empty()
           ? Fill(text.blocked_unnamed, {{"host", host->value}})
           : Fill(text.blocked_named,
                  {{"host", host->value}, {"intermediary", options_.intermediary}});
  b += "</p>\n<ul>\n";
  for (const Order& o : orders) {
    const std::string date = FormatDate(o.issued_at);
    b += "<li>";
    b += Fill(text.order, {{"reference", o.reference}, {"body", o.body}, {"date", date}});
    b += " <a href=\"";
    AppendHtml(b, options_.public_url + "/register/orders/" + std::to_string(o.id));
    b += "\">";
    AppendHtml(b, text.order_link);
    b += "</a></li>\n";
  }
  b += "</ul>\n";
  if (!options_.authority.empty()) {
    b += "<p>" + Fill(text.kept_by, {{"authority", options_.authority}}) + "</p>\n";
  }
  b += "<h2>";
  AppendHtml(b, text.appeal_heading);
  b += "</h2>\n<p>";
  b += Fill(text.appeal, {{"appeal_url", options_.public_url + "/v1/appeals"}});
  b += "</p>\n";
  b += register_link;
  http::HttpResponse r = respond(451, text.title, b);
  r.headers.emplace_back("Link", "<" + options_.blocked_by + ">; rel=\"blocked-by\"");
  return r;
}

}  // namespace interdict::api
