// Due process over HTTP: the transparency log (its signed head, entries and proofs, for anyone)
// and the collateral-damage guard (assessment for the authority, overrides recorded by an
// authority admin and readable by anyone).
#include "registry/transparency.h"

#include <boost/json.hpp>
#include <charconv>
#include <utility>

#include "api/routes.h"
#include "sign/signing.h"
#include "translog/tree_head.h"

namespace interdict::api {
namespace {

json::array Hashes(const std::vector<translog::Hash>& hashes) {
  json::array out;
  out.reserve(hashes.size());
  for (const translog::Hash& h : hashes) out.emplace_back(translog::HashHex(h));
  return out;
}

// An unsigned integer query parameter; `fallback` when absent.
std::uint64_t U64Param(const HttpRequest& req, std::string_view name, std::uint64_t fallback) {
  const std::string* v = req.Param(name);
  if (v == nullptr) return fallback;
  std::uint64_t out = 0;
  const auto r = std::from_chars(v->data(), v->data() + v->size(), out);
  if (v->empty() || r.ec != std::errc() || r.ptr != v->data() + v->size()) {
    Refuse(std::string(name), "not a non-negative integer");
  }
  return out;
}

HttpResponse Text(std::string body) {
  HttpResponse r;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

json::object FindingJson(const guard::Finding& f) {
  json::array hits(f.hits.begin(), f.hits.end());
  return {{"rule", guard::RuleName(f.rule)},
          {"severity", guard::SeverityName(f.severity)},
          {"explanation", f.explanation},
          {"hits", std::move(hits)}};
}

json::object OverrideJson(const GuardOverride& o) {
  return {{"id", o.id},
          {"target", o.target.ToString()},
          {"findings", o.findings},
          {"reason", o.reason},
          {"actor", o.actor},
          {"at", FormatTime(o.at)}};
}

class TransparencyRoutes {
 public:
  explicit TransparencyRoutes(Registry& registry) : registry_(registry) {}

  // The newest signed head; ?format=text gives the tree head file (translog/tree_head.h).
  HttpResponse Head(const HttpRequest& req, const Principal*) {
    Result<std::vector<StoredTreeHead>> heads = registry_.LogHeads(1);
    if (!heads.ok()) return WorkflowError(heads.status());
    if (heads->empty()) {
      return HttpResponse::Error(404, "not_found", "the log has no signed head yet");
    }
    const translog::SignedTreeHead sth = ToSignedTreeHead(heads->front());
    if (const std::string* f = req.Param("format"); f != nullptr && *f == "text") {
      return Text(translog::FormatTreeHead(sth));
    }
    return JsonResponse(200, json::object{{"size", sth.head.size},
                                          {"root", translog::HashHex(sth.head.root)},
                                          {"timestamp_ms", sth.head.timestamp_ms},
                                          {"key_id", sth.key_id},
                                          {"signature", EncodeBase64(sth.signature)}});
  }

  // ?from=N&limit=M (1..1000, default 100): entries with their bytes as stored.
  HttpResponse Entries(const HttpRequest& req, const Principal*) {
    const std::uint64_t from = U64Param(req, "from", 0);
    const std::size_t limit = SizeParam(req, "limit", 100, 1, 1000);
    Result<std::vector<LogEntry>> entries = registry_.LogEntries(from, limit);
    if (!entries.ok()) return WorkflowError(entries.status());
    json::array out;
    out.reserve(entries->size());
    for (const LogEntry& e : *entries) {
      out.push_back(json::object{{"index", e.index},
                                 {"leaf_hash", translog::HashHex(translog::LeafHash(e.event))},
                                 {"data", e.event}});
    }
    return JsonResponse(200, json::object{{"entries", std::move(out)}});
  }

  // ?index=I&size=S: the inclusion proof (RFC 9162 2.1.3); ?format=text for the proof file.
  HttpResponse Proof(const HttpRequest& req, const Principal*) {
    if (req.Param("index") == nullptr || req.Param("size") == nullptr) {
      Refuse(req.Param("index") == nullptr ? "index" : "size", "is required");
    }
    const std::uint64_t index = U64Param(req, "index", 0);
    const std::uint64_t size = U64Param(req, "size", 0);
    Result<translog::InclusionProof> p = registry_.ProveInclusion(index, size);
    if (!p.ok()) return WorkflowError(p.status(), "index");
    if (const std::string* f = req.Param("format"); f != nullptr && *f == "text") {
      return Text(translog::FormatInclusionProof(*p));
    }
    return JsonResponse(200, json::object{{"index", p->index},
                                          {"size", p->size},
                                          {"leaf_hash", translog::HashHex(p->leaf_hash)},
                                          {"hashes", Hashes(p->hashes)}});
  }

  // ?old=A&new=B: the consistency proof (RFC 9162 2.1.4); ?format=text for the proof file.
  HttpResponse Consistency(const HttpRequest& req, const Principal*) {
    if (req.Param("old") == nullptr || req.Param("new") == nullptr) {
      Refuse(req.Param("old") == nullptr ? "old" : "new", "is required");
    }
    const std::uint64_t old_size = U64Param(req, "old", 0);
    const std::uint64_t new_size = U64Param(req, "new", 0);
    Result<translog::ConsistencyProof> p = registry_.ProveConsistency(old_size, new_size);
    if (!p.ok()) return WorkflowError(p.status(), "old");
    if (const std::string* f = req.Param("format"); f != nullptr && *f == "text") {
      return Text(translog::FormatConsistencyProof(*p));
    }
    return JsonResponse(200, json::object{{"old_size", p->old_size},
                                          {"new_size", p->new_size},
                                          {"hashes", Hashes(p->hashes)}});
  }

  HttpResponse Overrides(const HttpRequest&, const Principal*) {
    Result<std::vector<GuardOverride>> all = registry_.GuardOverrides();
    if (!all.ok()) return WorkflowError(all.status());
    json::array out;
    for (const GuardOverride& o : *all) out.push_back(OverrideJson(o));
    return JsonResponse(200, json::object{{"overrides", std::move(out)}});
  }

  // {"targets": [...]}: what the guard finds for each, and whether an order may carry it.
  HttpResponse Assess(const HttpRequest& req, const Principal&) {
    const json::value body = ParseBody(req);
    Fields f(body, "");
    f.OnlyKnown({"targets"});
    const TargetList list = ReadTargets(f, "targets", 10000);
    Result<std::vector<TargetAssessment>> assessed = registry_.Assess(list.targets);
    if (!assessed.ok()) return WorkflowError(assessed.status());
    json::array items;
    for (const TargetAssessment& a : *assessed) {
      json::array findings;
      for (const guard::Finding& finding : a.findings) findings.push_back(FindingJson(finding));
      json::object item{{"target", a.target.ToString()},
                        {"refused", a.refused()},
                        {"findings", std::move(findings)}};
      item["override"] = a.override_ ? json::value(OverrideJson(*a.override_)) : nullptr;
      items.push_back(std::move(item));
    }
    return JsonResponse(200, json::object{{"items", std::move(items)}});
  }

  // {"target": "...", "reason": "..."}: an authority admin's override of a flagged target.
  HttpResponse Override(const HttpRequest& req, const Principal& p) {
    const json::value body = ParseBody(req);
    Fields f(body, "");
    f.OnlyKnown({"target", "reason"});
    const std::string spelled = f.String("target", true, 4096);
    Result<Target> t = ParseTarget(spelled);
    if (!t.ok()) Refuse("target", t.status().message());
    Result<GuardOverride> o = registry_.OverrideGuard(Actor(p), *t, f.String("reason", true, 2000));
    if (!o.ok()) {
      return WorkflowError(o.status(),
                           o.status().code() == StatusCode::kInvalidArgument ? "reason" : "target");
    }
    return JsonResponse(201, OverrideJson(*o));
  }

 private:
  Registry& registry_;
};

}  // namespace

void AddTransparencyRoutes(RouteSink& sink, Registry& registry) {
  auto routes = std::make_shared<TransparencyRoutes>(registry);
  auto pub = [&routes](auto method) { return OnPublic(routes, method); };
  sink.AddPublic("GET", "/v1/log/head", pub(&TransparencyRoutes::Head));
  sink.AddPublic("GET", "/v1/log/entries", pub(&TransparencyRoutes::Entries));
  sink.AddPublic("GET", "/v1/log/proof", pub(&TransparencyRoutes::Proof));
  sink.AddPublic("GET", "/v1/log/consistency", pub(&TransparencyRoutes::Consistency));
  sink.AddPublic("GET", "/v1/guard/overrides", pub(&TransparencyRoutes::Overrides));
  sink.Add("POST", "/v1/guard/assess", kAuthority, "assess targets",
           On(routes, &TransparencyRoutes::Assess));
  sink.Add("POST", "/v1/guard/overrides", Roles({Role::kAuthorityAdmin}),
           "override the collateral-damage guard", On(routes, &TransparencyRoutes::Override));
}

}  // namespace interdict::api
