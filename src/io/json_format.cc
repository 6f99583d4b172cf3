#include "io/json_format.h"

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "core/digest.h"
#include "io/byte_source.h"

namespace interdict {
namespace {

namespace json = boost::json;

constexpr std::string_view kFormat = "interdict-orders";

// Line and column (1-based) of a byte offset, for parse errors.
std::string LineCol(std::string_view text, std::size_t offset) {
  std::size_t line = 1;
  std::size_t col = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return std::to_string(line) + ":" + std::to_string(col);
}

Result<std::string_view> StringField(const json::object& o, std::string_view key, bool required) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) {
    if (required) return Status::InvalidArgument("field \"" + std::string(key) + "\" is missing");
    return std::string_view();
  }
  if (!v->is_string()) {
    return Status::InvalidArgument("field \"" + std::string(key) + "\" is not a string");
  }
  const json::string& s = v->get_string();
  return std::string_view(s.data(), s.size());
}

// A list field given as an array of strings or as one comma-separated string.
Result<std::string> ListField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return std::string();
  if (v->is_string()) return std::string(v->get_string());
  if (!v->is_array()) {
    return Status::InvalidArgument("field \"" + std::string(key) + "\" is not a list");
  }
  std::string out;
  for (const json::value& item : v->get_array()) {
    if (!item.is_string()) {
      return Status::InvalidArgument("field \"" + std::string(key) + "\" has a non-string item");
    }
    if (!out.empty()) out.push_back(',');
    out.append(item.get_string());
  }
  return out;
}

Status ReadOrder(const json::value& v, OrderRequest* r) {
  if (!v.is_object()) return Status::InvalidArgument("is not an object");
  const json::object& o = v.get_object();
  ASSIGN_OR_RETURN(std::string_view body, StringField(o, "body", true));
  ASSIGN_OR_RETURN(std::string_view kind, StringField(o, "kind", true));
  ASSIGN_OR_RETURN(std::string_view reference, StringField(o, "reference", true));
  ASSIGN_OR_RETURN(std::string_view issued, StringField(o, "issued", true));
  ASSIGN_OR_RETURN(std::string_view effective, StringField(o, "effective", false));
  ASSIGN_OR_RETURN(std::string_view expires, StringField(o, "expires", true));
  r->body = std::string(body);
  r->reference = std::string(reference);
  Result<OrderKind> k = ParseOrderKind(kind);
  if (!k.ok()) return k.status().Prefixed("field \"kind\"");
  r->kind = *k;
  Result<UnixTime> t = ParseTime(issued);
  if (!t.ok()) return t.status().Prefixed("field \"issued\"");
  r->issued_at = *t;
  r->effective_at = r->issued_at;
  if (!effective.empty()) {
    t = ParseTime(effective);
    if (!t.ok()) return t.status().Prefixed("field \"effective\"");
    r->effective_at = *t;
  }
  t = ParseTime(expires);
  if (!t.ok()) return t.status().Prefixed("field \"expires\"");
  r->expires_at = *t;
  ASSIGN_OR_RETURN(std::string scope, ListField(o, "scope"));
  Result<ScopeSet> sc = ParseScopes(scope.empty() ? "isp" : scope);
  if (!sc.ok()) return sc.status().Prefixed("field \"scope\"");
  r->scope = *sc;
  ASSIGN_OR_RETURN(std::string categories, ListField(o, "categories"));
  Result<CategorySet> cats = ParseCategories(categories);
  if (!cats.ok()) return cats.status().Prefixed("field \"categories\"");
  r->categories = *cats;
  if (const json::value* d = o.if_contains("dynamic")) {
    if (!d->is_bool()) return Status::InvalidArgument("field \"dynamic\" is not true or false");
    r->dynamic = d->get_bool();
  }
  const json::value* targets = o.if_contains("targets");
  if (targets == nullptr || !targets->is_array()) {
    return Status::InvalidArgument("field \"targets\" is missing or not an array");
  }
  std::size_t i = 0;
  for (const json::value& tv : targets->get_array()) {
    const std::string where = "targets[" + std::to_string(i++) + "]";
    if (!tv.is_string()) return Status::InvalidArgument(where + " is not a string");
    Result<Target> target = ParseTarget(std::string_view(tv.get_string()));
    if (!target.ok()) return target.status().Prefixed(where);
    r->targets.push_back(std::move(target).value());
  }
  if (r->targets.empty()) return Status::InvalidArgument("field \"targets\" is empty");
  return Status::Ok();
}

void WriteString(std::ostream& out, std::string_view s) {
  out << json::serialize(json::string(s));
}

// "isp,search" as ["isp","search"].
std::string ListJson(std::string_view csv) {
  json::array a;
  while (!csv.empty()) {
    const std::size_t comma = csv.find(',');
    a.emplace_back(csv.substr(0, comma));
    if (comma == std::string_view::npos) break;
    csv.remove_prefix(comma + 1);
  }
  return json::serialize(a);
}

Result<json::value> ParseDocument(std::string_view text, const std::string& name) {
  json::parse_options popt;
  popt.max_depth = 16;
  std::error_code ec;
  json::stream_parser parser({}, popt);
  const std::size_t used = parser.write_some(text.data(), text.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    return Status::InvalidArgument(name + ":" + LineCol(text, used) +
                                   ": not valid JSON: " + ec.message());
  }
  return parser.release();
}

Status ReadEvidence(const json::value& v, const std::string& base_dir, Evidence* e) {
  if (!v.is_object()) return Status::InvalidArgument("is not an object");
  const json::object& o = v.get_object();
  ASSIGN_OR_RETURN(std::string_view url, StringField(o, "url", true));
  ASSIGN_OR_RETURN(std::string_view observed, StringField(o, "observed", true));
  ASSIGN_OR_RETURN(std::string_view sha, StringField(o, "sha256", false));
  ASSIGN_OR_RETURN(std::string_view capture, StringField(o, "capture", false));
  ASSIGN_OR_RETURN(std::string_view note, StringField(o, "note", false));
  e->url = std::string(url);
  Result<UnixTime> t = ParseTime(observed);
  if (!t.ok()) return t.status().Prefixed("field \"observed\"");
  e->observed_at = *t;
  if (sha.empty() == capture.empty()) {
    return Status::InvalidArgument("give exactly one of \"sha256\" and \"capture\"");
  }
  if (!capture.empty()) {
    std::filesystem::path p(capture);
    if (p.is_relative()) p = std::filesystem::path(base_dir) / p;
    Result<std::string> digest = Sha256File(p.string());
    if (!digest.ok()) return digest.status().Prefixed("field \"capture\"");
    e->sha256 = *digest;
  } else {
    e->sha256 = std::string(sha);
    for (char& c : e->sha256) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  e->note = std::string(note);
  return Status::Ok();
}

Status ReadReferral(const json::value& v, const std::string& base_dir, ReferralRequest* r) {
  if (!v.is_object()) return Status::InvalidArgument("is not an object");
  const json::object& o = v.get_object();
  ASSIGN_OR_RETURN(std::string_view org, StringField(o, "org", true));
  ASSIGN_OR_RETURN(std::string_view category, StringField(o, "category", true));
  r->org = std::string(org);
  Result<Category> c = ParseCategory(category);
  if (!c.ok()) return c.status().Prefixed("field \"category\"");
  r->category = *c;
  const json::value* targets = o.if_contains("targets");
  if (targets == nullptr || !targets->is_array() || targets->get_array().empty()) {
    return Status::InvalidArgument("field \"targets\" is missing, empty or not an array");
  }
  std::size_t i = 0;
  for (const json::value& tv : targets->get_array()) {
    const std::string where = "targets[" + std::to_string(i++) + "]";
    if (!tv.is_string()) return Status::InvalidArgument(where + " is not a string");
    Result<Target> t = ParseTarget(std::string_view(tv.get_string()));
    if (!t.ok()) return t.status().Prefixed(where);
    r->targets.push_back(std::move(t).value());
  }
  if (const json::value* ev = o.if_contains("evidence")) {
    if (!ev->is_array()) return Status::InvalidArgument("field \"evidence\" is not an array");
    i = 0;
    for (const json::value& item : ev->get_array()) {
      Evidence e;
      RETURN_IF_ERROR(
          ReadEvidence(item, base_dir, &e).Prefixed("evidence[" + std::to_string(i++) + "]"));
      r->evidence.push_back(std::move(e));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<ReferralRequest>> ParseJsonReferrals(std::string_view text,
                                                        const std::string& name,
                                                        const std::string& base_dir) {
  ASSIGN_OR_RETURN(json::value doc, ParseDocument(text, name));
  const json::array* list = nullptr;
  if (doc.is_array()) {
    list = &doc.get_array();
  } else if (doc.is_object() && doc.get_object().contains("referrals") &&
             doc.get_object().at("referrals").is_array()) {
    list = &doc.get_object().at("referrals").get_array();
  } else {
    return Status::InvalidArgument(name +
                                   ": expected an array of referrals or {\"referrals\": [...]}");
  }
  std::vector<ReferralRequest> out;
  std::size_t i = 0;
  for (const json::value& v : *list) {
    ReferralRequest r;
    RETURN_IF_ERROR(
        ReadReferral(v, base_dir, &r).Prefixed(name + ": referrals[" + std::to_string(i++) + "]"));
    out.push_back(std::move(r));
  }
  if (out.empty()) return Status::InvalidArgument(name + ": no referrals in the file");
  return out;
}

Result<std::vector<ReferralRequest>> ReadJsonReferrals(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseJsonReferrals(text, path, std::filesystem::path(path).parent_path().string());
}

Result<std::vector<OrderRecord>> ParseJsonOrders(std::string_view text, const std::string& name) {
  ASSIGN_OR_RETURN(const json::value doc, ParseDocument(text, name));
  if (!doc.is_object()) return Status::InvalidArgument(name + ": the top level is not an object");
  const json::object& top = doc.get_object();
  const json::value* format = top.if_contains("format");
  if (format == nullptr || !format->is_string() || format->get_string() != kFormat) {
    return Status::InvalidArgument(name + ": field \"format\" must be \"" + std::string(kFormat) +
                                   "\"");
  }
  const json::value* version = top.if_contains("version");
  if (version == nullptr || !version->is_int64() || version->get_int64() != 1) {
    return Status::InvalidArgument(name + ": field \"version\" must be 1");
  }
  const json::value* orders = top.if_contains("orders");
  if (orders == nullptr || !orders->is_array()) {
    return Status::InvalidArgument(name + ": field \"orders\" is missing or not an array");
  }
  std::vector<OrderRecord> out;
  out.reserve(orders->get_array().size());
  std::size_t i = 0;
  for (const json::value& v : orders->get_array()) {
    OrderRecord jo;
    jo.location = name + ": orders[" + std::to_string(i++) + "]";
    Status st = ReadOrder(v, &jo.header);
    if (!st.ok()) jo.error = st.message();
    out.push_back(std::move(jo));
  }
  return out;
}

Result<std::vector<OrderRecord>> ReadJsonOrders(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseJsonOrders(text, path);
}

Status WriteJsonOrders(const InForceSnapshot& snap, UnixTime exported_at, std::ostream& out) {
  std::unordered_map<Id, std::vector<const Target*>> by_order;
  for (const InForceEntry& e : snap.entries) by_order[e.order_id].push_back(&e.target);
  out << "{\"format\": \"" << kFormat << "\", \"version\": 1, \"serial\": " << snap.serial
      << ", \"exported\": \"" << FormatTime(exported_at) << "\",\n \"orders\": [";
  bool first = true;
  for (const Order& o : snap.orders) {
    out << (first ? "\n  " : ",\n  ");
    first = false;
    out << "{\"id\": " << o.id << ", \"body\": ";
    WriteString(out, o.body);
    out << ", \"kind\": \"" << Name(o.kind) << "\", \"reference\": ";
    WriteString(out, o.reference);
    out << ", \"issued\": \"" << FormatTime(o.issued_at) << "\", \"effective\": \""
        << FormatTime(o.effective_at) << "\", \"expires\": \"" << FormatTime(o.expires_at)
        << "\", \"scope\": " << ListJson(FormatScopes(o.scope))
        << ", \"categories\": " << ListJson(FormatCategories(o.categories))
        << ", \"dynamic\": " << (o.dynamic ? "true" : "false") << ", \"state\": \"" << Name(o.state)
        << "\", \"targets\": [";
    bool first_target = true;
    for (const Target* t : by_order[o.id]) {
      if (!first_target) out << ", ";
      first_target = false;
      WriteString(out, t->ToString());
    }
    out << "]}";
  }
  out << "\n]}\n";
  if (!out) return Status::IOError("write failed");
  return Status::Ok();
}

}  // namespace interdict
