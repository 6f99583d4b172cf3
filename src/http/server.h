// The HTTP/1.1 server of `interdict serve`: Boost.Beast and Asio (C++20 coroutines) underneath,
// plain HttpRequest / HttpResponse values and a Router on top.
//
// `threads` threads run one io_context; each connection is a coroutine on its own strand, so a
// connection's requests are handled one after another (pipelined requests are answered in
// order) while connections run in parallel. Routes added with Execution::kInline run on the
// network threads; Execution::kBlocking routes run on a separate pool of `blocking_threads`, and
// the connection's coroutine waits for them without holding a network thread, so a long
// registry transaction does not delay other connections' feed polls. Keep-alive by default;
// "Connection: close" (or HTTP/1.0 without keep-alive) closes after the response. Limits: a request
// header above max_header → 431; a body above max_body → 413 (from Content-Length, before the body
// is read; or while a chunked body is read); other parse errors → 400; each closes the connection.
// A connection waiting for its next request closes after idle_timeout; a request (or response) that
// takes longer than read_timeout to arrive (or leave) closes it too. Every response carries Date
// and "Server: interdict". Exceptions thrown by handlers become 500 responses (and a log line).
//
// Thread-safety: Start and Stop from one thread; port() from any thread. The router (and the
// metrics) must outlive the server.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"
#include "http/metrics.h"
#include "http/router.h"

namespace interdict::http {

struct HttpServerOptions {
  std::string listen = "127.0.0.1:8080";  // ADDR:PORT or [ADDR6]:PORT; port 0 picks a free one
  int threads = 2;                 // network threads: read requests, run inline handlers, write
  int blocking_threads = 2;        // the worker pool of Execution::kBlocking handlers
  std::size_t max_body = 1 << 20;  // larger → 413, before the body is read
  std::size_t max_header = std::size_t{16} * 1024;  // request line and fields; larger → 431
  std::chrono::seconds idle_timeout{60};            // between requests on a keep-alive connection
  std::chrono::seconds read_timeout{30};            // to receive one request, or send one response
  std::size_t max_connections = 10000;  // further connections are accepted and closed at once
  // Both set: HTTPS only (TLS 1.2 or later), PEM files.
  std::string tls_cert_file, tls_key_file;
  // One line per server event ("http: listening on ..."). May be empty. Called on any thread.
  std::function<void(const std::string&)> log;
  // One line per request ("ts=... method=GET path=/x status=200 bytes=12 us=85 remote=::1").
  // May be empty: nothing is formatted then. Called on the network threads.
  std::function<void(const std::string&)> access_log;
  // When set: interdict_http_requests_total{method,code},
  // interdict_http_request_duration_seconds and interdict_http_connections are recorded there.
  Metrics* metrics = nullptr;
  // Stop waits this long for requests in flight before closing every connection.
  std::chrono::milliseconds stop_grace{5000};
};

class HttpServer {
 public:
  HttpServer(Router& router, HttpServerOptions options);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the threads. The error names the address and the reason.
  Status Start();
  // Graceful: stops accepting, closes idle keep-alive connections, lets requests in flight
  // finish (each answered with "Connection: close") for up to stop_grace, then closes the rest
  // and joins the threads. Idempotent.
  void Stop();

  std::uint16_t port() const;
  // Open connections now.
  std::size_t connections() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace interdict::http
