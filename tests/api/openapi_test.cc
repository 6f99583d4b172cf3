// The OpenAPI document (src/api/openapi.json, compiled in and served at /openapi.json) against
// the API itself: the same (method, path) pairs as the router holds, in both directions; every
// operation named, answered and given its roles, and those roles the ones the guard lets
// through; every path parameter declared; every $ref resolvable.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cctype>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/api.h"
#include "feed/feed_testing.h"
#include "http/message.h"
#include "http/metrics.h"
#include "http/router.h"

namespace interdict::api {
namespace {

namespace json = boost::json;

using Route = std::pair<std::string, std::string>;  // (method, pattern)

// The methods an OpenAPI path item may hold; its other keys (parameters, summary, ...) are not
// operations.
constexpr std::string_view kMethods[] = {"get",  "put",   "post",    "delete",
                                         "head", "patch", "options", "trace"};

bool IsMethod(std::string_view key) {
  for (std::string_view m : kMethods) {
    if (key == m) return true;
  }
  return false;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

json::value Document() {
  json::value doc;
  try {
    doc = json::parse(OpenApiDocument());
  } catch (const std::exception& e) {
    ADD_FAILURE() << "src/api/openapi.json is not valid JSON: " << e.what();
  }
  return doc;
}

// Every operation of the document: (method, path) → operation object.
std::map<Route, const json::object*> Operations(const json::value& doc) {
  std::map<Route, const json::object*> out;
  const json::value* paths_value = doc.is_object() ? doc.as_object().if_contains("paths") : nullptr;
  const json::object* paths = paths_value != nullptr ? paths_value->if_object() : nullptr;
  if (paths == nullptr) {
    ADD_FAILURE() << "the document has no \"paths\" object";
    return out;
  }
  for (const auto& [path, item] : *paths) {
    if (!item.is_object()) {
      ADD_FAILURE() << "path item " << path << " is not an object";
      continue;
    }
    for (const auto& [key, op] : item.as_object()) {
      if (!IsMethod(key)) continue;
      if (!op.is_object()) {
        ADD_FAILURE() << key << " " << path << " is not an object";
        continue;
      }
      out[{Upper(key), std::string(path)}] = &op.as_object();
    }
  }
  return out;
}

// A JSON pointer ("#/components/schemas/Order") into `doc`, or null.
const json::value* Resolve(const json::value& doc, std::string_view ref) {
  if (!ref.starts_with("#")) return nullptr;
  ref.remove_prefix(1);
  const json::value* at = &doc;
  while (!ref.empty()) {
    if (ref.front() != '/') return nullptr;
    ref.remove_prefix(1);
    const std::size_t slash = ref.find('/');
    std::string token(ref.substr(0, slash));
    ref = slash == std::string_view::npos ? std::string_view() : ref.substr(slash);
    std::string name;  // ~1 is '/', ~0 is '~'
    for (std::size_t i = 0; i < token.size(); ++i) {
      if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
        name.push_back(token[i + 1] == '1' ? '/' : '~');
        ++i;
      } else {
        name.push_back(token[i]);
      }
    }
    if (at->is_object()) {
      at = at->as_object().if_contains(name);
    } else if (at->is_array()) {
      std::size_t index = 0;
      for (char c : name) {
        if (c < '0' || c > '9') return nullptr;
        index = index * 10 + static_cast<std::size_t>(c - '0');
      }
      if (name.empty() || index >= at->as_array().size()) return nullptr;
      at = &at->as_array()[index];
    } else {
      return nullptr;
    }
    if (at == nullptr) return nullptr;
  }
  return at;
}

// `v`, or what its $ref names.
const json::value* Deref(const json::value& doc, const json::value& v) {
  if (!v.is_object()) return &v;
  const json::value* ref = v.as_object().if_contains("$ref");
  if (ref == nullptr || !ref->is_string()) return &v;
  return Resolve(doc, ref->as_string());
}

// Every $ref in `v`, with where it is.
void CollectRefs(const json::value& v, const std::string& where,
                 std::vector<std::pair<std::string, std::string>>& out) {
  if (v.is_object()) {
    for (const auto& [key, child] : v.as_object()) {
      if (key == "$ref" && child.is_string()) {
        out.emplace_back(where, std::string(child.as_string()));
      } else {
        CollectRefs(child, where + "/" + std::string(key), out);
      }
    }
  } else if (v.is_array()) {
    for (std::size_t i = 0; i < v.as_array().size(); ++i) {
      CollectRefs(v.as_array()[i], where + "/" + std::to_string(i), out);
    }
  }
}

// The names of the {parameters} of a path template.
std::set<std::string> TemplateParams(std::string_view path) {
  std::set<std::string> out;
  for (std::size_t open = path.find('{'); open != std::string_view::npos;
       open = path.find('{', open + 1)) {
    const std::size_t close = path.find('}', open);
    if (close == std::string_view::npos) break;
    out.emplace(path.substr(open + 1, close - open - 1));
  }
  return out;
}

// The API registered on a router over an empty registry, with a token for every role.
class OpenApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Registry& reg = r_.registry();
    const std::map<Role, OrgKind> kinds = {
        {Role::kAuthorityAdmin, OrgKind::kAuthority},
        {Role::kAuthorityReviewer, OrgKind::kAuthority},
        {Role::kRightsholder, OrgKind::kRightsholder},
        {Role::kIsp, OrgKind::kIsp},
        {Role::kSearch, OrgKind::kSearch},
        {Role::kAppstore, OrgKind::kAppstore},
        {Role::kVpn, OrgKind::kVpn},
        {Role::kAuditor, OrgKind::kAuditor},
    };
    for (const auto& [role, kind] : kinds) {
      Result<Organization> org =
          reg.AddOrganization("test", kind, "org of " + std::string(Name(role)));
      ASSERT_TRUE(org.ok()) << org.status().ToString();
      auto token = reg.CreateToken("test", org->id, role, "test");
      ASSERT_TRUE(token.ok()) << token.status().ToString();
      tokens_[role] = token->second;
    }
    feeds_ = std::make_unique<FeedPublisher>(reg, FeedPublisherOptions{});
    ApiOptions options;
    options.rate_burst = 1e6;  // every role on every route, at once
    options.rate_per_second = 1e6;
    api_ = std::make_unique<Api>(reg, *feeds_, metrics_, options);
    api_->Register(router_);
  }

  // The status of `method path` as `role` (no body).
  int StatusOf(const std::string& method, const std::string& path, Role role) {
    http::HttpRequest req;
    req.method = method;
    req.remote = "127.0.0.1";
    EXPECT_TRUE(http::ParseTarget(path, req).ok()) << path;
    req.headers.emplace_back("authorization", "Bearer " + tokens_.at(role));
    return router_.Dispatch(req).status;
  }

  feed::feedtest::TestRegistry r_;
  std::map<Role, std::string> tokens_;
  http::Metrics metrics_;
  std::unique_ptr<FeedPublisher> feeds_;
  std::unique_ptr<Api> api_;
  http::Router router_;
};

TEST_F(OpenApiTest, IsAnOpenApi3Document) {
  const json::value doc = Document();
  ASSERT_TRUE(doc.is_object());
  const json::object& o = doc.as_object();
  ASSERT_TRUE(o.contains("openapi") && o.at("openapi").is_string());
  EXPECT_TRUE(o.at("openapi").as_string().starts_with("3.")) << o.at("openapi");
  ASSERT_TRUE(o.contains("info") && o.at("info").is_object());
  EXPECT_TRUE(o.at("info").as_object().contains("title"));
  EXPECT_TRUE(o.at("info").as_object().contains("version"));
  // Bearer tokens everywhere unless an operation says otherwise.
  const json::value* scheme = Resolve(doc, "#/components/securitySchemes/bearerAuth");
  ASSERT_NE(scheme, nullptr);
  EXPECT_EQ(scheme->at("type"), "http");
  EXPECT_EQ(scheme->at("scheme"), "bearer");
  ASSERT_TRUE(o.contains("security"));
  EXPECT_EQ(o.at("security"), json::parse(R"([{"bearerAuth":[]}])"));
}

TEST_F(OpenApiTest, DocumentsExactlyTheRegisteredRoutes) {
  std::set<Route> registered;
  for (const Route& r : router_.Routes()) registered.insert(r);
  ASSERT_FALSE(registered.empty());
  const json::value doc = Document();
  std::set<Route> documented;
  for (const auto& [route, op] : Operations(doc)) documented.insert(route);
  for (const Route& r : registered) {
    EXPECT_TRUE(documented.contains(r))
        << r.first << " " << r.second << " is registered but not in src/api/openapi.json";
  }
  for (const Route& r : documented) {
    EXPECT_TRUE(registered.contains(r))
        << r.first << " " << r.second << " is in src/api/openapi.json but not registered";
  }
}

TEST_F(OpenApiTest, EveryOperationHasAnIdResponsesAndRoles) {
  const json::value doc = Document();
  std::map<std::string, Route> ids;
  for (const auto& [route, op] : Operations(doc)) {
    const std::string name = route.first + " " + route.second;
    const json::value* id = op->if_contains("operationId");
    if (id == nullptr || !id->is_string() || id->as_string().empty()) {
      ADD_FAILURE() << name << " has no operationId";
    } else {
      auto [it, fresh] = ids.emplace(std::string(id->as_string()), route);
      EXPECT_TRUE(fresh) << name << ": operationId " << *id << " is also that of "
                         << it->second.first << " " << it->second.second;
    }
    const json::value* responses = op->if_contains("responses");
    EXPECT_TRUE(responses != nullptr && responses->is_object() && !responses->as_object().empty())
        << name << " has no responses";
    const json::value* roles = op->if_contains("x-interdict-roles");
    if (roles == nullptr || !roles->is_array()) {
      ADD_FAILURE() << name << " has no x-interdict-roles array";
      continue;
    }
    for (const json::value& role : roles->as_array()) {
      EXPECT_TRUE(role.is_string() && ParseRole(role.as_string()).ok())
          << name << ": " << role << " is not a role";
    }
    // Public exactly when it has no roles: security [] overrides the global bearer token.
    const json::value* security = op->if_contains("security");
    const bool is_public =
        security != nullptr && security->is_array() && security->as_array().empty();
    EXPECT_EQ(is_public, roles->as_array().empty()) << name;
    if (!is_public) {
      EXPECT_TRUE(responses != nullptr && responses->as_object().contains("401")) << name;
      EXPECT_TRUE(responses != nullptr && responses->as_object().contains("403")) << name;
      EXPECT_TRUE(responses != nullptr && responses->as_object().contains("429")) << name;
    }
  }
}

// x-interdict-roles against the guard: every role it lists gets past it, every other role is
// refused with 403. (Path parameters are filled with an id that names nothing, and the
// intermediaries' own view, so that no handler refuses with 403 on its own.)
TEST_F(OpenApiTest, TheRolesAreTheOnesTheGuardLetsThrough) {
  const json::value doc = Document();
  const std::map<Role, std::string> own_view = {{Role::kIsp, "isp"},
                                                {Role::kVpn, "vpn"},
                                                {Role::kSearch, "search"},
                                                {Role::kAppstore, "appstore"}};
  for (const auto& [route, op] : Operations(doc)) {
    const json::value* roles = op->if_contains("x-interdict-roles");
    if (roles == nullptr || !roles->is_array() || roles->as_array().empty()) continue;
    std::set<std::string> listed;
    for (const json::value& r : roles->as_array()) {
      if (r.is_string()) listed.emplace(r.as_string());
    }
    for (const auto& [role, token] : tokens_) {
      std::string path = route.second;
      auto fill = [&](const std::string& param, const std::string& value) {
        const std::size_t at = path.find("{" + param + "}");
        if (at != std::string::npos) path.replace(at, param.size() + 2, value);
      };
      fill("id", "999999");
      fill("view", own_view.contains(role) ? own_view.at(role) : "isp");
      const int status = StatusOf(route.first, path, role);
      EXPECT_NE(status, 401) << route.first << " " << path << " as " << Name(role);
      EXPECT_EQ(status != 403, listed.contains(std::string(Name(role))))
          << route.first << " " << path << " as " << Name(role) << " answers " << status;
    }
  }
}

// A public operation (no roles, security []) answers without a token: never 401 or 403. (Path
// parameters name nothing; the answer may be 400 or 404, never a refusal for who asked.)
TEST_F(OpenApiTest, PublicOperationsNeedNoToken) {
  const json::value doc = Document();
  int public_ops = 0;
  for (const auto& [route, op] : Operations(doc)) {
    const json::value* roles = op->if_contains("x-interdict-roles");
    if (roles == nullptr || !roles->is_array() || !roles->as_array().empty()) continue;
    ++public_ops;
    std::string path = route.second;
    const std::size_t at = path.find("{id}");
    if (at != std::string::npos) path.replace(at, 4, "999999");
    http::HttpRequest req;
    req.method = route.first;
    req.remote = "127.0.0.1";
    ASSERT_TRUE(http::ParseTarget(path, req).ok()) << path;
    const int status = router_.Dispatch(req).status;
    EXPECT_NE(status, 401) << route.first << " " << path;
    EXPECT_NE(status, 403) << route.first << " " << path;
    EXPECT_LT(status, 500) << route.first << " " << path;
  }
  EXPECT_GE(public_ops, 11);  // health, the document, appeals (3), the register (6)
}

TEST_F(OpenApiTest, EveryPathParameterIsDeclared) {
  const json::value doc = Document();
  for (const auto& [route, op] : Operations(doc)) {
    const std::string name = route.first + " " + route.second;
    std::set<std::string> declared;
    auto collect = [&](const json::value* params) {
      if (params == nullptr) return;
      ASSERT_TRUE(params->is_array()) << name << ": parameters is not an array";
      for (const json::value& p : params->as_array()) {
        const json::value* param = Deref(doc, p);
        ASSERT_NE(param, nullptr) << name << ": unresolved parameter " << p;
        ASSERT_TRUE(param->is_object()) << name;
        const json::object& o = param->as_object();
        if (!o.contains("in") || o.at("in") != "path") continue;
        EXPECT_TRUE(o.contains("required") && o.at("required") == true)
            << name << ": path parameter " << o.at("name") << " is not required";
        declared.emplace(o.at("name").as_string());
      }
    };
    std::string pointer = "#/paths/";
    for (char c : route.second) pointer += c == '/' ? "~1" : c == '~' ? "~0" : std::string(1, c);
    const json::value* item = Resolve(doc, pointer);
    ASSERT_NE(item, nullptr) << name;
    collect(item->as_object().if_contains("parameters"));
    collect(op->if_contains("parameters"));
    EXPECT_EQ(declared, TemplateParams(route.second)) << name;
  }
}

TEST_F(OpenApiTest, EveryRefResolves) {
  const json::value doc = Document();
  std::vector<std::pair<std::string, std::string>> refs;
  CollectRefs(doc, "#", refs);
  EXPECT_FALSE(refs.empty());
  for (const auto& [where, ref] : refs) {
    EXPECT_NE(Resolve(doc, ref), nullptr) << where << ": $ref " << ref << " resolves to nothing";
  }
}

}  // namespace
}  // namespace interdict::api
