// Routes requests to handlers by method and path pattern.
//
// A pattern is a path of '/'-separated segments, each literal ("feeds") or a parameter
// ("{view}") that matches one whole non-empty segment: "/feeds/{view}/snapshot". Matching is on
// the path's segments, each percent-decoded on its own (so "%2F" inside a segment does not split
// it); parameter values land in HttpRequest::path_params. When several patterns match, the one
// with a literal at the first segment where they differ wins ("/feeds/all" over "/feeds/{view}").
// Unknown path: 404, or the fallback handler when one is set (a site that answers every path,
// whatever the method); known path, other method: 405 with Allow. HEAD runs the GET handler when
// no HEAD route exists (the server sends its headers, without the body).
//
// Thread-safety: Add before serving, from one thread; Dispatch from any number of threads.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "http/message.h"

namespace interdict::http {

using Handler = std::function<HttpResponse(const HttpRequest&)>;

// Where the server runs a handler. kInline: on the network thread that read the request (fast,
// in-memory work: feed polls, health). kBlocking: on the server's worker pool, so that work that
// may wait (a registry transaction, which holds the store's one writer) never holds a network
// thread while other connections' requests queue behind it.
enum class Execution { kInline, kBlocking };

class Router {
 public:
  Router();
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Adds a route. A second route with the same method and pattern replaces the first.
  void Add(std::string method, std::string pattern, Handler handler,
           Execution execution = Execution::kInline);
  // Runs `handler` for every request whose path no route matches, whatever its method, instead
  // of answering 404 (a malformed path is still 400).
  void SetFallback(Handler handler, Execution execution = Execution::kInline);

  // What a request resolves to: its handler and where to run it, or (handler == nullptr) the
  // router's own answer (404, 405, 400 for a malformed path).
  struct Resolved {
    const Handler* handler = nullptr;
    Execution execution = Execution::kInline;
    HttpResponse answer;
  };
  // Finds the route for request.method and request.path and fills request.path_params.
  Resolved Resolve(HttpRequest& request) const;

  // Resolve, then run the handler there and then (or return the router's answer). Exceptions of
  // the handler propagate (the server turns them into 500).
  HttpResponse Dispatch(HttpRequest& request) const;

  // Every (method, pattern) added, in the order added (for documentation checks).
  std::vector<std::pair<std::string, std::string>> Routes() const;

 private:
  struct Route;
  std::vector<std::unique_ptr<Route>> routes_;
  Handler fallback_;  // empty: 404
  Execution fallback_execution_ = Execution::kInline;
};

}  // namespace interdict::http
