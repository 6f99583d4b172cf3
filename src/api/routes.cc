#include "api/routes.h"

#include <charconv>
#include <unordered_map>
#include <utility>

namespace interdict::api {

void Throw(BadRequest&& bad) {
  throw BadRequest(std::move(bad));
}

void Refuse(std::string field, std::string message, int status) {
  BadRequest bad;
  bad.status = status;
  bad.code = status == 404   ? "not_found"
             : status == 413 ? "too_many_items"
             : status == 403 ? "forbidden"
             : status == 409 ? "conflict"
                             : "invalid";
  bad.field = std::move(field);
  bad.message = std::move(message);
  Throw(std::move(bad));
}

std::string Actor(const Principal& p) {
  return "api:" + p.org_name + "/" + std::string(Name(p.role)) + "#" + std::to_string(p.token_id);
}

bool IsAuthority(const Principal* who) {
  return who != nullptr && (kAuthority & RoleBit(who->role)) != 0;
}

std::optional<Scope> ScopeOfRole(Role role) {
  switch (role) {
    case Role::kIsp: return Scope::kIsp;
    case Role::kSearch: return Scope::kSearch;
    case Role::kAppstore: return Scope::kAppstore;
    case Role::kVpn: return Scope::kVpn;
    default: return std::nullopt;
  }
}

HttpResponse WorkflowError(const Status& s, std::string_view field) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      return HttpResponse::Error(400, "invalid", s.message(), field);
    case StatusCode::kNotFound: return HttpResponse::Error(404, "not_found", s.message(), field);
    case StatusCode::kAlreadyExists:
      return HttpResponse::Error(409, "already_exists", s.message(), field);
    case StatusCode::kFailedPrecondition:
      return HttpResponse::Error(409, "conflict", s.message(), field);
    case StatusCode::kPermissionDenied: return HttpResponse::Error(403, "forbidden", s.message());
    default: return HttpResponse::Error(500, "internal", s.message());
  }
}

HttpResponse JsonResponse(int status, const json::value& v) {
  return HttpResponse::Json(status, json::serialize(v));
}

json::value ParseBody(const HttpRequest& req) {
  json::parse_options opt;
  opt.max_depth = 64;
  std::error_code ec;
  json::stream_parser parser({}, opt);
  const std::size_t used = parser.write_some(req.body.data(), req.body.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    std::size_t line = 1;
    std::size_t col = 1;
    for (std::size_t i = 0; i < used && i < req.body.size(); ++i) {
      if (req.body[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    Refuse("body", "not valid JSON at line " + std::to_string(line) + ", column " +
                       std::to_string(col) + ": " + ec.message());
  }
  return parser.release();
}

Fields::Fields(const json::value& v, std::string path) : path_(std::move(path)) {
  if (!v.is_object()) Refuse(path_.empty() ? "body" : path_, "must be a JSON object");
  object_ = &v.get_object();
}

std::string Fields::Path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

std::string Fields::String(std::string_view key, bool required, std::size_t max_bytes) const {
  const json::value* v = Find(key);
  if (v == nullptr || v->is_null()) {
    if (required) Refuse(Path(key), "is required");
    return {};
  }
  if (!v->is_string()) Refuse(Path(key), "must be a string");
  const json::string& s = v->get_string();
  if (s.size() > max_bytes) {
    Refuse(Path(key), "is longer than " + std::to_string(max_bytes) + " bytes");
  }
  if (required && s.empty()) Refuse(Path(key), "must not be empty");
  return std::string(s);
}

std::optional<std::int64_t> Fields::Int(std::string_view key, bool required) const {
  const json::value* v = Find(key);
  if (v == nullptr || v->is_null()) {
    if (required) Refuse(Path(key), "is required");
    return std::nullopt;
  }
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(v->get_uint64());
  }
  Refuse(Path(key), "must be an integer");
}

bool Fields::Bool(std::string_view key, bool fallback) const {
  const json::value* v = Find(key);
  if (v == nullptr || v->is_null()) return fallback;
  if (!v->is_bool()) Refuse(Path(key), "must be true or false");
  return v->get_bool();
}

UnixTime Fields::Time(std::string_view key, bool required) const {
  const std::string text = String(key, required, 64);
  if (text.empty()) return 0;
  Result<UnixTime> t = ParseTime(text);
  if (!t.ok()) Refuse(Path(key), t.status().message());
  return *t;
}

std::string Fields::List(std::string_view key) const {
  const json::value* v = Find(key);
  if (v == nullptr || v->is_null()) return {};
  if (v->is_string()) return std::string(v->get_string());
  if (!v->is_array()) Refuse(Path(key), "must be an array of strings");
  std::string out;
  for (const json::value& item : v->get_array()) {
    if (!item.is_string()) Refuse(Path(key), "must be an array of strings");
    if (!out.empty()) out.push_back(',');
    out.append(item.get_string());
  }
  return out;
}

void Fields::OnlyKnown(std::initializer_list<std::string_view> known) const {
  for (const auto& [key, value] : *object_) {
    bool ok = false;
    for (std::string_view k : known) ok = ok || k == key;
    if (!ok) {
      std::string list;
      for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      Refuse(Path(key), "is not a field of this request (known: " + list + ")");
    }
  }
}

TargetList ReadTargets(const Fields& body, std::string_view key, std::size_t max_items) {
  const json::value* v = body.Find(key);
  if (v == nullptr || !v->is_array()) Refuse(body.Path(key), "must be an array of targets");
  const json::array& items = v->get_array();
  if (items.empty()) Refuse(body.Path(key), "must name at least one target");
  if (items.size() > max_items) {
    Refuse(body.Path(key),
           "has " + std::to_string(items.size()) + " items; at most " + std::to_string(max_items) +
               " per request",
           413);
  }
  TargetList out;
  out.position.reserve(items.size());
  out.repeats.reserve(items.size());
  json::array errors;
  std::unordered_map<std::string, std::int64_t> seen;  // "kind:value" → first input index
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string where = body.Path(key) + "[" + std::to_string(i) + "]";
    const json::value& item = items[i];
    Result<Target> t = Status::InvalidArgument("must be a \"kind:value\" string or an object");
    if (item.is_string()) {
      t = ParseTarget(std::string_view(item.get_string()));
    } else if (item.is_object()) {
      const json::object& o = item.get_object();
      const json::value* kind = o.if_contains("kind");
      const json::value* value = o.if_contains("value");
      bool only_known = true;
      for (const auto& kv : o)
        only_known = only_known && (kv.key() == "kind" || kv.key() == "value");
      if (!only_known) {
        t = Status::InvalidArgument("an object target has only \"kind\" and \"value\"");
      } else if (value == nullptr || !value->is_string() ||
                 (kind != nullptr && !kind->is_string())) {
        t = Status::InvalidArgument("an object target needs a string \"value\" (and \"kind\")");
      } else if (kind == nullptr) {
        t = ParseTarget(std::string_view(value->get_string()));
      } else if (Result<TargetKind> k = ParseTargetKind(std::string_view(kind->get_string()));
                 !k.ok()) {
        t = k.status();
      } else {
        t = NormalizeTarget(*k, std::string_view(value->get_string()));
      }
    }
    if (!t.ok()) {
      errors.push_back(
          json::object{{"index", i}, {"field", where}, {"message", t.status().message()}});
      out.position.push_back(-1);
      out.repeats.push_back(-1);
      continue;
    }
    auto [it, fresh] = seen.emplace(t->ToString(), static_cast<std::int64_t>(i));
    if (fresh) {
      out.position.push_back(static_cast<std::int64_t>(out.targets.size()));
      out.repeats.push_back(-1);
      out.targets.push_back(std::move(t).value());
    } else {
      out.position.push_back(out.position[static_cast<std::size_t>(it->second)]);
      out.repeats.push_back(it->second);
    }
  }
  if (!errors.empty()) {
    BadRequest bad;
    bad.field =
        errors.size() == 1 ? std::string(errors[0].at("field").as_string()) : body.Path(key);
    bad.message = std::to_string(errors.size()) + " of " + std::to_string(items.size()) +
                  " targets are not valid; nothing was written";
    bad.items = std::move(errors);
    Throw(std::move(bad));
  }
  return out;
}

namespace {

std::optional<std::int64_t> ParseInt(std::string_view s) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

Page ReadPage(const HttpRequest& req) {
  Page page;
  if (const std::string* limit = req.Param("limit")) {
    std::optional<std::int64_t> n = ParseInt(*limit);
    if (!n || *n < 1 || *n > 1000) Refuse("limit", "must be an integer from 1 to 1000");
    page.limit = static_cast<std::size_t>(*n);
  }
  if (const std::string* after = req.Param("after")) {
    std::optional<std::int64_t> n = ParseInt(*after);
    if (!n || *n < 0) Refuse("after", "must be an id (an integer of 0 or more)");
    page.after = *n;
  }
  return page;
}

std::optional<Id> IdParam(const HttpRequest& req, std::string_view name) {
  const std::string* text = req.Param(name);
  if (text == nullptr) return std::nullopt;
  std::optional<std::int64_t> n = ParseInt(*text);
  if (!n || *n < 1) Refuse(std::string(name), "must be a positive integer id");
  return *n;
}

std::size_t SizeParam(const HttpRequest& req, std::string_view name, std::size_t fallback,
                      std::size_t min, std::size_t max) {
  const std::string* text = req.Param(name);
  if (text == nullptr) return fallback;
  std::optional<std::int64_t> n = ParseInt(*text);
  if (!n || *n < 0 || static_cast<std::uint64_t>(*n) < min ||
      static_cast<std::uint64_t>(*n) > max) {
    Refuse(std::string(name),
           "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return static_cast<std::size_t>(*n);
}

Id PathId(const HttpRequest& req, std::string_view name) {
  auto it = req.path_params.find(std::string(name));
  std::optional<std::int64_t> n;
  if (it != req.path_params.end()) n = ParseInt(it->second);
  if (!n || *n < 1) Refuse(std::string(name), "must be a positive integer id", 404);
  return *n;
}

}  // namespace interdict::api
