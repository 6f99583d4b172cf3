#include "http/router.h"

#include <algorithm>
#include <string_view>

namespace interdict::http {
namespace {

struct Segment {
  std::string text;  // literal text, or the parameter's name
  bool param = false;
};

std::vector<Segment> SplitPattern(std::string_view pattern) {
  std::vector<Segment> out;
  if (!pattern.empty() && pattern.front() == '/') pattern.remove_prefix(1);
  for (;;) {
    const std::size_t slash = pattern.find('/');
    const std::string_view s = pattern.substr(0, slash);
    Segment seg;
    if (s.size() >= 2 && s.front() == '{' && s.back() == '}') {
      seg.text = std::string(s.substr(1, s.size() - 2));
      seg.param = true;
    } else {
      seg.text = std::string(s);
    }
    out.push_back(std::move(seg));
    if (slash == std::string_view::npos) break;
    pattern.remove_prefix(slash + 1);
  }
  return out;
}

// Up to this many segments are matched without allocating; longer paths match nothing.
constexpr std::size_t kMaxSegments = 32;

}  // namespace

struct Router::Route {
  std::string pattern;
  std::vector<Segment> segments;
  struct Method {
    std::string name;
    Handler handler;
    Execution execution;
  };
  std::vector<Method> methods;

  const Method* Find(std::string_view method) const {
    for (const Method& m : methods) {
      if (m.name == method) return &m;
    }
    return nullptr;
  }
};

Router::Router() = default;
Router::~Router() = default;

void Router::Add(std::string method, std::string pattern, Handler handler, Execution execution) {
  for (auto& r : routes_) {
    if (r->pattern != pattern) continue;
    for (Route::Method& m : r->methods) {
      if (m.name == method) {
        m.handler = std::move(handler);
        m.execution = execution;
        return;
      }
    }
    r->methods.push_back({std::move(method), std::move(handler), execution});
    return;
  }
  auto route = std::make_unique<Route>();
  route->segments = SplitPattern(pattern);
  route->pattern = std::move(pattern);
  route->methods.push_back({std::move(method), std::move(handler), execution});
  routes_.push_back(std::move(route));
}

void Router::SetFallback(Handler handler, Execution execution) {
  fallback_ = std::move(handler);
  fallback_execution_ = execution;
}

HttpResponse Router::Dispatch(HttpRequest& request) const {
  Resolved r = Resolve(request);
  if (r.handler == nullptr) return std::move(r.answer);
  return (*r.handler)(request);
}

Router::Resolved Router::Resolve(HttpRequest& request) const {
  const auto answer = [](HttpResponse response) {
    Resolved r;
    r.answer = std::move(response);
    return r;
  };
  // Split the raw path (before '?') into segments; decode only those that need it.
  std::string_view raw =
      request.target.empty() ? std::string_view(request.path) : std::string_view(request.target);
  raw = raw.substr(0, raw.find('?'));
  if (!raw.empty() && raw.front() == '/') raw.remove_prefix(1);
  std::string_view segs[kMaxSegments];
  std::size_t n = 0;
  std::vector<std::string> decoded;  // only for segments with '%'
  const auto not_found = [&]() {
    if (!fallback_) return answer(HttpResponse::Error(404, "not_found", "no such resource"));
    request.path_params.clear();
    Resolved r;
    r.handler = &fallback_;
    r.execution = fallback_execution_;
    return r;
  };
  for (;;) {
    if (n == kMaxSegments) return not_found();
    const std::size_t slash = raw.find('/');
    segs[n++] = raw.substr(0, slash);
    if (slash == std::string_view::npos) break;
    raw.remove_prefix(slash + 1);
  }
  if (!request.target.empty()) {
    std::size_t need = 0;
    for (std::size_t i = 0; i < n; ++i) need += segs[i].find('%') != std::string_view::npos;
    if (need > 0) {
      decoded.reserve(need);
      for (std::size_t i = 0; i < n; ++i) {
        if (segs[i].find('%') == std::string_view::npos) continue;
        std::string& d = decoded.emplace_back();
        if (!PercentDecode(segs[i], d, false)) {
          return answer(
              HttpResponse::Error(400, "bad_request", "malformed percent-encoding in the path"));
        }
        segs[i] = d;
      }
    }
  }

  const Route* best = nullptr;
  const Route* best_any = nullptr;  // best match of the path, whatever the method
  auto better = [](const Route* a, const Route* b) {
    // True when a is more specific than b: a literal at the first segment where they differ.
    if (b == nullptr) return true;
    for (std::size_t i = 0; i < a->segments.size(); ++i) {
      if (a->segments[i].param != b->segments[i].param) return !a->segments[i].param;
    }
    return false;
  };
  const bool head = request.method == "HEAD";
  for (const auto& r : routes_) {
    if (r->segments.size() != n) continue;
    bool match = true;
    for (std::size_t i = 0; i < n && match; ++i) {
      const Segment& s = r->segments[i];
      match = s.param ? !segs[i].empty() : s.text == segs[i];
    }
    if (!match) continue;
    if (better(r.get(), best_any)) best_any = r.get();
    if ((r->Find(request.method) != nullptr || (head && r->Find("GET") != nullptr)) &&
        better(r.get(), best)) {
      best = r.get();
    }
  }
  if (best == nullptr) {
    if (best_any == nullptr) return not_found();
    std::string allow;
    bool has_get = false;
    bool has_head = false;
    for (const Route::Method& m : best_any->methods) {
      if (!allow.empty()) allow += ", ";
      allow += m.name;
      has_get |= m.name == "GET";
      has_head |= m.name == "HEAD";
    }
    if (has_get && !has_head) allow += ", HEAD";
    HttpResponse r = HttpResponse::Error(405, "method_not_allowed",
                                         "method " + request.method + " not allowed here");
    r.headers.emplace_back("Allow", std::move(allow));
    return answer(std::move(r));
  }
  request.path_params.clear();
  for (std::size_t i = 0; i < n; ++i) {
    if (best->segments[i].param) {
      request.path_params.emplace(best->segments[i].text, std::string(segs[i]));
    }
  }
  const Route::Method* m = best->Find(request.method);
  if (m == nullptr) m = best->Find("GET");  // HEAD
  Resolved r;
  r.handler = &m->handler;
  r.execution = m->execution;
  return r;
}

std::vector<std::pair<std::string, std::string>> Router::Routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& route : routes_) {
    for (const Route::Method& m : route->methods) out.emplace_back(m.name, route->pattern);
  }
  return out;
}

}  // namespace interdict::http
