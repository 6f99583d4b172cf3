// The HTTP server on real sockets (127.0.0.1, port 0), with a small client on plain POSIX
// sockets that writes raw bytes and reads responses: keep-alive, pipelining, limits, errors,
// timeouts, graceful stop, metrics; and TLS with a self-signed certificate made by the openssl
// command in a temporary folder.
#include "http/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "http/http_client.h"
#include "http/metrics.h"
#include "testing/temp_dir.h"

namespace interdict::http {
namespace {

using namespace std::chrono_literals;
using test_client::Client;
using test_client::Get;
using test_client::Response;
using test_client::TakeResponse;

HttpServerOptions Listen(std::string listen, std::string cert = {}, std::string key = {}) {
  HttpServerOptions o;
  o.listen = std::move(listen);
  o.tls_cert_file = std::move(cert);
  o.tls_key_file = std::move(key);
  return o;
}

HttpResponse Text(std::string body) {
  HttpResponse r;
  r.content_type = "text/plain";
  r.body = std::move(body);
  return r;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add("GET", "/hello", [](const HttpRequest&) { return Text("hello"); });
    router_.Add("GET", "/echo/{name}", [](const HttpRequest& r) {
      std::string out = "path=" + r.path + "\nname=" + r.path_params.at("name") + "\n";
      for (const auto& [k, v] : r.params) out += "param " + k + "=" + v + "\n";
      out += "remote=" + r.remote + "\n";
      if (const std::string* a = r.Header("x-test")) out += "x-test=" + *a + "\n";
      return Text(out);
    });
    router_.Add("POST", "/body", [](const HttpRequest& r) {
      return Text("got " + std::to_string(r.body.size()) + ": " + r.body.substr(0, 32));
    });
    router_.Add("GET", "/throw",
                [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
    router_.Add("GET", "/slow", [this](const HttpRequest&) {
      slow_started_ = true;
      std::this_thread::sleep_for(400ms);
      return Text("slow done");
    });
    router_.Add("GET", "/etag", [](const HttpRequest& r) {
      const std::string* inm = r.Header("if-none-match");
      if (inm != nullptr && *inm == "\"v1\"") {
        HttpResponse nm;
        nm.status = 304;
        nm.headers.emplace_back("ETag", "\"v1\"");
        return nm;
      }
      HttpResponse ok = HttpResponse::Json(200, R"({"v":1})");
      ok.headers.emplace_back("ETag", "\"v1\"");
      ok.headers.emplace_back("X-Bad", "a\r\nInjected: yes");
      return ok;
    });
    RegisterHealthAndMetrics(router_, metrics_);
  }

  void StartServer(HttpServerOptions options = {}) {
    options.listen = "127.0.0.1:0";
    options.metrics = &metrics_;
    options.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mu_);
      log_.push_back(line);
    };
    options.access_log = options.log;
    server_ = std::make_unique<HttpServer>(router_, std::move(options));
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_NE(server_->port(), 0);
  }

  std::vector<std::string> Log() {
    std::lock_guard<std::mutex> lock(log_mu_);
    return log_;
  }

  void TearDown() override {
    if (server_) server_->Stop();
  }

  Router router_;
  Metrics metrics_;
  std::unique_ptr<HttpServer> server_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
  std::atomic<bool> slow_started_{false};
};

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  StartServer();
  Client c(server_->port());
  for (int i = 0; i < 5; ++i) {
    c.Send(Get("/hello"));
    auto r = c.Read();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "hello");
    EXPECT_EQ(r->Header("content-type"), "text/plain");
    EXPECT_EQ(r->Header("server"), "interdict");
    EXPECT_NE(r->Header("date").find(" GMT"), std::string::npos);
    EXPECT_EQ(r->Header("connection"), "");
  }
  EXPECT_EQ(server_->connections(), 1u);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  StartServer();
  Client c(server_->port());
  c.Send(Get("/echo/one") + Get("/hello") + Get("/echo/two") + Get("/nope"));
  auto a = c.Read();
  auto b = c.Read();
  auto d = c.Read();
  auto e = c.Read();
  ASSERT_TRUE(a && b && d && e);
  EXPECT_NE(a->body.find("name=one"), std::string::npos);
  EXPECT_EQ(b->body, "hello");
  EXPECT_NE(d->body.find("name=two"), std::string::npos);
  EXPECT_EQ(e->status, 404);
}

TEST_F(HttpServerTest, NotFoundMethodNotAllowedAndHead) {
  StartServer();
  Client c(server_->port());
  c.Send(Get("/missing"));
  auto nf = c.Read();
  ASSERT_TRUE(nf);
  EXPECT_EQ(nf->status, 404);
  EXPECT_EQ(nf->Header("content-type"), "application/json");
  EXPECT_EQ(nf->body, R"({"error":{"code":"not_found","message":"no such resource"}})");

  c.Send("DELETE /hello HTTP/1.1\r\nHost: t\r\n\r\n");
  auto na = c.Read();
  ASSERT_TRUE(na);
  EXPECT_EQ(na->status, 405);
  EXPECT_EQ(na->Header("allow"), "GET, HEAD");

  // HEAD: the GET's headers and Content-Length, no body; the connection stays usable.
  c.Send("HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n" + Get("/hello"));
  auto h = c.Read(/*head=*/true);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(h->Header("content-length"), "5");
  EXPECT_EQ(h->body, "");
  auto g = c.Read();
  ASSERT_TRUE(g);
  EXPECT_EQ(g->body, "hello");
}

TEST_F(HttpServerTest, PercentDecodingQueryParamsAndHeaders) {
  StartServer();
  Client c(server_->port());
  c.Send(Get("/echo/a%20b%2Fc?x=1&y=two+words&z=%C3%A9&x=3", "X-Test: yes\r\n"));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body,
            "path=/echo/a b/c\nname=a b/c\nparam x=1\nparam y=two words\nparam z=\xC3\xA9\n"
            "param x=3\nremote=127.0.0.1\nx-test=yes\n");
}

TEST_F(HttpServerTest, MalformedPercentEncodingIs400AndCloses) {
  StartServer();
  Client c(server_->port());
  c.Send(Get("/echo/a%zz"));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(c.ClosedWithin(2s));
}

TEST_F(HttpServerTest, MalformedRequestIs400AndCloses) {
  StartServer();
  for (const std::string& bad :
       {std::string("GARBAGE\r\n\r\n"), std::string("GET /hello HTTP/1.1\r\nNo colon here\r\n\r\n"),
        std::string("GET /hello HTTP/9.9\r\n\r\n"),
        std::string("POST /body HTTP/1.1\r\nContent-Length: 12x\r\n\r\n"),
        std::string("GET hello HTTP/1.1\r\n\r\n")}) {
    Client c(server_->port());
    c.Send(bad);
    auto r = c.Read();
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(r->status, 400) << bad;
    EXPECT_NE(r->body.find("bad_request"), std::string::npos);
    EXPECT_TRUE(c.ClosedWithin(2s)) << bad;
  }
}

TEST_F(HttpServerTest, RequestBodies) {
  StartServer();
  Client c(server_->port());
  c.Send("POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world");
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "got 11: hello world");
  c.Send(
      "POST /body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "got 11: hello world");
  // Expect: 100-continue gets its interim response before the body is sent.
  c.Send("POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  auto interim = c.Read(false, 2s);
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  EXPECT_EQ(c.Rest(), "");
  c.Send("abc");
  r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "got 3: abc");
}

TEST_F(HttpServerTest, ContentLengthAboveTheLimitIs413BeforeTheBody) {
  HttpServerOptions o;
  o.max_body = 1024;
  StartServer(o);
  Client c(server_->port());
  // Only the header is sent: the answer must not wait for the body.
  c.Send("POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000\r\n\r\n");
  auto r = c.Read(false, 2s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_NE(r->body.find("body_too_large"), std::string::npos);
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(c.ClosedWithin(3s));
}

TEST_F(HttpServerTest, ChunkedBodyGrowingAboveTheLimitIs413) {
  HttpServerOptions o;
  o.max_body = 1024;
  StartServer(o);
  Client c(server_->port());
  std::string req = "POST /body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 8; ++i) req += "200\r\n" + std::string(512, 'x') + "\r\n";
  c.Send(req);
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(c.ClosedWithin(3s));
}

TEST_F(HttpServerTest, HeaderAboveTheLimitIs431) {
  HttpServerOptions o;
  o.max_header = 1024;
  StartServer(o);
  Client c(server_->port());
  c.Send(Get("/hello", "X-Big: " + std::string(2000, 'a') + "\r\n"));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
}

TEST_F(HttpServerTest, HandlerExceptionIs500AndLogged) {
  StartServer();
  Client c(server_->port());
  c.Send(Get("/throw") + Get("/hello"));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body, R"({"error":{"code":"internal","message":"internal server error"}})");
  auto after = c.Read();  // the connection survives
  ASSERT_TRUE(after);
  EXPECT_EQ(after->body, "hello");
  bool logged = false;
  for (const std::string& line : Log()) logged |= line.find("threw: boom") != std::string::npos;
  EXPECT_TRUE(logged);
}

TEST_F(HttpServerTest, ResponseHeadersNotModifiedAndInjection) {
  StartServer();
  Client c(server_->port());
  c.Send(Get("/etag"));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("etag"), "\"v1\"");
  EXPECT_EQ(r->Header("x-bad"), "");  // dropped: it held CR LF
  EXPECT_EQ(r->Header("injected"), "");
  c.Send(Get("/etag", "If-None-Match: \"v1\"\r\n"));
  auto nm = c.Read();
  ASSERT_TRUE(nm);
  EXPECT_EQ(nm->status, 304);
  EXPECT_EQ(nm->Header("content-length"), "");
  EXPECT_EQ(nm->body, "");
  c.Send(Get("/hello"));
  auto h = c.Read();
  ASSERT_TRUE(h);
  EXPECT_EQ(h->body, "hello");
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  StartServer();
  Client c(server_->port());
  c.Send(Get("/hello", "Connection: close\r\n"));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "hello");
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(c.ClosedWithin(2s));

  // HTTP/1.0: closes unless asked to keep alive.
  Client d(server_->port());
  d.Send("GET /hello HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(d.Read());
  EXPECT_TRUE(d.ClosedWithin(2s));
  Client e(server_->port());
  e.Send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  auto k = e.Read();
  ASSERT_TRUE(k);
  EXPECT_EQ(k->Header("connection"), "keep-alive");
  e.Send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_TRUE(e.Read());
}

TEST_F(HttpServerTest, IdleTimeoutClosesTheConnection) {
  HttpServerOptions o;
  o.idle_timeout = 1s;
  StartServer(o);
  Client c(server_->port());
  c.Send(Get("/hello"));
  ASSERT_TRUE(c.Read());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.ClosedWithin(3s));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 800ms);
  // A connection that never sends anything is closed too.
  Client d(server_->port());
  EXPECT_TRUE(d.ClosedWithin(3s));
}

TEST_F(HttpServerTest, ReadTimeoutClosesAStalledRequest) {
  HttpServerOptions o;
  o.read_timeout = 1s;
  StartServer(o);
  Client c(server_->port());
  c.Send("GET /hello HTTP/1.1\r\nHost:");
  EXPECT_TRUE(c.ClosedWithin(3s));
}

TEST_F(HttpServerTest, GracefulStopFinishesTheRequestInFlight) {
  StartServer();
  Client idle(server_->port());
  idle.Send(Get("/hello"));
  ASSERT_TRUE(idle.Read());
  Client busy(server_->port());
  busy.Send(Get("/slow"));
  while (!slow_started_) std::this_thread::sleep_for(1ms);
  const auto start = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  auto r = busy.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "slow done");
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(busy.ClosedWithin(2s));
  EXPECT_TRUE(idle.ClosedWithin(2s));
  EXPECT_EQ(server_->connections(), 0u);
  // No longer accepting.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(server_->port());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_NE(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  close(fd);
  server_->Stop();  // idempotent
}

// One network thread and one worker: a blocking handler waits on the worker pool, and the network
// thread goes on answering other connections. Run inline, the held request would take the only
// network thread and the second request could not be answered until the gate opens.
TEST_F(HttpServerTest, BlockingHandlersRunOffTheNetworkThreads) {
  std::mutex gate_mu;
  std::condition_variable gate_cv;
  bool open = false;
  std::atomic<int> entered{0};
  router_.Add(
      "POST", "/held",
      [&](const HttpRequest&) {
        ++entered;
        std::unique_lock<std::mutex> lock(gate_mu);
        gate_cv.wait_for(lock, 10s, [&] { return open; });
        return Text(open ? "released" : "gate timed out");
      },
      Execution::kBlocking);
  HttpServerOptions options;
  options.threads = 1;
  options.blocking_threads = 1;
  StartServer(options);
  Client held(server_->port());
  held.Send("POST /held HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n");
  while (entered.load() == 0) std::this_thread::sleep_for(1ms);
  Client fast(server_->port());
  for (int i = 0; i < 3; ++i) {
    fast.Send(Get("/hello"));
    const auto start = std::chrono::steady_clock::now();
    auto r = fast.Read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "hello");
    // The gate holds for up to 10 s: an answer before it opened came from a free thread.
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  }
  {
    std::lock_guard<std::mutex> lock(gate_mu);
    open = true;
  }
  gate_cv.notify_all();
  auto r = held.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "released");
  EXPECT_EQ(entered.load(), 1);
}

// Stop while a blocking handler runs: it finishes, its answer is sent, nothing is left behind.
TEST_F(HttpServerTest, StopWaitsForABlockingHandler) {
  std::atomic<bool> started{false};
  router_.Add(
      "GET", "/slow-worker",
      [&](const HttpRequest& r) {
        started = true;
        std::this_thread::sleep_for(300ms);
        return Text("worker done " + r.path);
      },
      Execution::kBlocking);
  StartServer();
  Client c(server_->port());
  c.Send(Get("/slow-worker"));
  while (!started) std::this_thread::sleep_for(1ms);
  server_->Stop();
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "worker done /slow-worker");
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_EQ(server_->connections(), 0u);
}

TEST_F(HttpServerTest, MetricsCountRequests) {
  StartServer();
  {
    Client c(server_->port());
    for (int i = 0; i < 7; ++i) c.Send(Get("/hello"));
    for (int i = 0; i < 7; ++i) ASSERT_TRUE(c.Read());
    c.Send(Get("/missing") + "POST /hello HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    ASSERT_TRUE(c.Read());
    ASSERT_TRUE(c.Read());
    c.Send(Get("/healthz"));
    auto h = c.Read();
    ASSERT_TRUE(h);
    EXPECT_EQ(h->body, R"({"status":"ok"})");
    c.Send(Get("/metrics"));
    auto m = c.Read();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->Header("content-type").rfind("text/plain; version=0.0.4", 0), 0u);
    const std::string& text = m->body;
    // Every sample line: name{labels} value.
    std::istringstream lines(text);
    std::string line;
    std::map<std::string, double> samples;
    while (std::getline(lines, line)) {
      if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) continue;
      const std::size_t space = line.rfind(' ');
      ASSERT_NE(space, std::string::npos) << line;
      samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
    }
    EXPECT_EQ(samples["interdict_http_requests_total{method=\"GET\",code=\"200\"}"], 8);
    EXPECT_EQ(samples["interdict_http_requests_total{method=\"GET\",code=\"404\"}"], 1);
    EXPECT_EQ(samples["interdict_http_requests_total{method=\"POST\",code=\"405\"}"], 1);
    EXPECT_EQ(samples["interdict_http_request_duration_seconds_count"], 10);
    EXPECT_EQ(samples["interdict_http_request_duration_seconds_bucket{le=\"+Inf\"}"], 10);
    EXPECT_EQ(samples["interdict_http_connections"], 1);
    EXPECT_NE(text.find("# TYPE interdict_http_request_duration_seconds histogram\n"),
              std::string::npos);
  }
  // The access log: one line per request (the last one is written after its response).
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  auto count = [this] {
    std::size_t n = 0;
    for (const std::string& l : Log()) n += l.rfind("ts=", 0) == 0;
    return n;
  };
  while (count() < 11 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  std::size_t lines = 0;
  for (const std::string& l : Log()) {
    if (l.rfind("ts=", 0) != 0) continue;
    ++lines;
    EXPECT_NE(l.find(" method="), std::string::npos);
    EXPECT_NE(l.find(" remote=127.0.0.1"), std::string::npos) << l;
  }
  EXPECT_EQ(lines, 11u);
  bool found = false;
  for (const std::string& l : Log()) {
    found |= l.find("method=GET path=/missing status=404 bytes=") != std::string::npos;
  }
  EXPECT_TRUE(found);
}

TEST_F(HttpServerTest, ManyConcurrentConnections) {
  HttpServerOptions o;
  o.threads = 2;
  StartServer(o);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      Client c(server_->port());
      for (int i = 0; i < 50; ++i) {
        c.Send(Get("/hello"));
        auto r = c.Read();
        if (r && r->body == "hello") ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 400);
}

TEST_F(HttpServerTest, MaxConnections) {
  HttpServerOptions o;
  o.max_connections = 1;
  StartServer(o);
  Client a(server_->port());
  a.Send(Get("/hello"));
  ASSERT_TRUE(a.Read());
  Client b(server_->port());
  EXPECT_TRUE(b.ClosedWithin(2s));
}

TEST(HttpServerStart, ErrorsNameTheAddress) {
  Router router;
  HttpServer taken(router, Listen("127.0.0.1:0"));
  ASSERT_TRUE(taken.Start().ok());
  HttpServer clash(router, Listen("127.0.0.1:" + std::to_string(taken.port())));
  const Status s = clash.Start();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("127.0.0.1:" + std::to_string(taken.port())), std::string::npos)
      << s.message();
  for (const char* bad : {"nonsense", "127.0.0.1", "1.2.3:80", "127.0.0.1:99999", "[::1:80"}) {
    HttpServer b(router, Listen(bad));
    const Status e = b.Start();
    EXPECT_FALSE(e.ok()) << bad;
    EXPECT_NE(e.message().find(bad), std::string::npos) << e.message();
  }
  HttpServer tls(router, Listen("127.0.0.1:0", "/nonexistent/cert.pem", "/nonexistent/key.pem"));
  EXPECT_FALSE(tls.Start().ok());
}

TEST(HttpServerStart, Ipv6Loopback) {
  Router router;
  router.Add("GET", "/", [](const HttpRequest& r) { return Text(r.remote); });
  HttpServer server(router, Listen("[::1]:0"));
  const Status s = server.Start();
  if (!s.ok()) GTEST_SKIP() << "no IPv6 loopback: " << s.message();
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(server.port());
  a.sin6_addr = in6addr_loopback;
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  const std::string req = Get("/", "Connection: close\r\n");
  ASSERT_EQ(send(fd, req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;)
    got.append(buf, static_cast<std::size_t>(n));
  close(fd);
  EXPECT_NE(got.find("\r\n\r\n::1"), std::string::npos) << got;
}

TEST(HttpServerTls, RoundTripWithASelfSignedCertificate) {
  testing::TempDir dir;
  const std::string cert = dir.File("cert.pem");
  const std::string key = dir.File("key.pem");
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
      "-subj /CN=localhost -keyout " +
      key + " -out " + cert + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "no openssl command";

  Router router;
  router.Add("GET", "/secure", [](const HttpRequest& r) { return Text("secure " + r.remote); });
  HttpServer server(router, Listen("127.0.0.1:0", cert, key));
  ASSERT_TRUE(server.Start().ok());

  namespace asio = boost::asio;
  asio::io_context io;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.load_verify_file(cert);
  ctx.set_verify_mode(asio::ssl::verify_peer);
  asio::ssl::stream<asio::ip::tcp::socket> stream(io, ctx);
  stream.lowest_layer().connect(
      asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()));
  stream.handshake(asio::ssl::stream_base::client);
  const std::string req = Get("/secure") + Get("/secure", "Connection: close\r\n");
  asio::write(stream, asio::buffer(req));
  std::string got;
  boost::system::error_code ec;
  char buf[4096];
  for (;;) {
    const std::size_t n = stream.read_some(asio::buffer(buf), ec);
    got.append(buf, n);
    if (ec) break;
  }
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) << ec.message();
  auto first = TakeResponse(got, false);
  auto second = TakeResponse(got, false);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->body, "secure 127.0.0.1");
  EXPECT_EQ(second->Header("connection"), "close");

  // Plain HTTP to the HTTPS port gets no HTTP answer.
  Client plain(server.port());
  plain.Send(Get("/secure"));
  EXPECT_FALSE(plain.Read(false, 2s));
  server.Stop();
}

}  // namespace
}  // namespace interdict::http
