#include "http/server.h"

#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <condition_variable>
#include <ctime>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include "http/request_parser.h"

// GCC 12 at -O2 reports asio's coroutine frames (allocated by awaitable_frame_base's own
// operator new, freed by its matching operator delete) as a new/delete mismatch: a known false
// positive of -Wmismatched-new-delete with coroutines (GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace interdict::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using asio::awaitable;
using asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

using Clock = std::chrono::steady_clock;

// "ADDR:PORT" / "[ADDR6]:PORT".
Result<tcp::endpoint> ParseListen(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Status::InvalidArgument("listen address \"" + std::string(text) +
                                     "\": expected [ADDR6]:PORT");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      return Status::InvalidArgument("listen address \"" + std::string(text) +
                                     "\": expected ADDR:PORT (or [ADDR6]:PORT)");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  const auto r = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || r.ec != std::errc() || r.ptr != port.data() + port.size() || value > 65535) {
    return Status::InvalidArgument("listen address \"" + std::string(text) + "\": bad port");
  }
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(std::string(host), ec);
  if (ec) {
    return Status::InvalidArgument("listen address \"" + std::string(text) + "\": bad address");
  }
  return tcp::endpoint(addr, static_cast<std::uint16_t>(value));
}

// "Sun, 06 Nov 1994 08:49:37 GMT", formatted once a second per thread.
std::string_view HttpDate() {
  thread_local std::time_t cached = -1;
  thread_local char buf[32];
  thread_local std::size_t len = 0;
  const std::time_t now = std::time(nullptr);
  if (now != cached) {
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    gmtime_r(&now, &tm);
    const int n = std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                                kDays[tm.tm_wday % 7], tm.tm_mday, kMonths[tm.tm_mon % 12],
                                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    len = n > 0 ? static_cast<std::size_t>(n) : 0;
    cached = now;
  }
  return {buf, len};
}

// "2026-01-02T03:04:05.678Z" (access log).
void AppendLogTime(std::string& out) {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  std::tm tm{};
  gmtime_r(&ts.tv_sec, &tm);
  char buf[40];
  const int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                              tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                              tm.tm_sec, static_cast<int>(ts.tv_nsec / 1000000));
  if (n > 0) out.append(buf, static_cast<std::size_t>(n));
}

void AppendInt(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

bool HasCrLf(std::string_view s) {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

// Methods the metrics tell apart; anything else is "OTHER".
constexpr std::array<std::string_view, 7> kMethods = {"GET",    "HEAD",  "POST",   "PUT",
                                                      "DELETE", "PATCH", "OPTIONS"};
constexpr std::size_t kMethodSlots = kMethods.size() + 1;
constexpr int kMinCode = 100;
constexpr int kCodes = 500;  // 100..599

std::size_t MethodIndex(std::string_view m) {
  for (std::size_t i = 0; i < kMethods.size(); ++i) {
    if (kMethods[i] == m) return i;
  }
  return kMethods.size();
}

bool IsParseError(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(Router& router, HttpServerOptions options)
      : router_(router), opt_(std::move(options)), limits_{opt_.max_header, opt_.max_body} {
    if (opt_.threads < 1) opt_.threads = 1;
    if (opt_.blocking_threads < 1) opt_.blocking_threads = 1;
  }

  ~Impl() { Stop(); }

  Status Start() {
    if (started_) return Status::FailedPrecondition("the HTTP server is already started");
    ASSIGN_OR_RETURN(const tcp::endpoint endpoint, ParseListen(opt_.listen));
    if (opt_.tls_cert_file.empty() != opt_.tls_key_file.empty()) {
      return Status::InvalidArgument("TLS needs both a certificate and a key file");
    }
    if (!opt_.tls_cert_file.empty()) {
      tls_.emplace(ssl::context::tls_server);
      tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                        ssl::context::single_dh_use);
      boost::system::error_code ec;
      tls_->use_certificate_chain_file(opt_.tls_cert_file, ec);
      if (ec) {
        return Status::InvalidArgument("TLS certificate " + opt_.tls_cert_file + ": " +
                                       ec.message());
      }
      tls_->use_private_key_file(opt_.tls_key_file, ssl::context::pem, ec);
      if (ec) return Status::InvalidArgument("TLS key " + opt_.tls_key_file + ": " + ec.message());
    }
    boost::system::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec && endpoint.address().is_v6()) acceptor_.set_option(asio::ip::v6_only(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      acceptor_.close();
      return Status::IOError("cannot listen on " + opt_.listen + ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint(ec).port();

    if (opt_.metrics != nullptr) {
      requests_ = &opt_.metrics->AddCounter("interdict_http_requests_total",
                                            "HTTP requests answered, by method and status code.",
                                            {"method", "code"});
      duration_ = &opt_.metrics
                       ->AddHistogram("interdict_http_request_duration_seconds",
                                      "Time from a request's complete header to its response sent.")
                       .WithLabels({});
      connections_gauge_ =
          &opt_.metrics->AddGauge("interdict_http_connections", "Open HTTP connections.")
               .WithLabels({});
      counters_ = std::make_unique<std::atomic<Counter*>[]>(kMethodSlots * kCodes);
    }

    started_ = true;
    pool_.emplace(static_cast<std::size_t>(opt_.blocking_threads));
    asio::co_spawn(acceptor_.get_executor(), Accept(), [](const std::exception_ptr&) {});
    for (int i = 0; i < opt_.threads; ++i) {
      threads_.emplace_back([this] { Run(); });
    }
    Log(std::string("http: listening on ") + (tls_ ? "https://" : "http://") +
        (endpoint.address().is_v6() ? "[" + endpoint.address().to_string() + "]"
                                    : endpoint.address().to_string()) +
        ":" + std::to_string(port_.load()));
    return Status::Ok();
  }

  void Stop() {
    if (!started_ || stopped_) return;
    stopped_ = true;
    stopping_ = true;
    asio::post(acceptor_.get_executor(), [this] {
      boost::system::error_code ec;
      acceptor_.close(ec);
    });
    {
      std::lock_guard<std::mutex> lock(conns_mu_);
      for (const auto& c : conns_) {
        asio::post(c->executor, [c] {
          if (c->idle && c->lowest != nullptr) c->lowest->cancel();
        });
      }
    }
    {
      std::unique_lock<std::mutex> lock(conns_mu_);
      conns_cv_.wait_for(lock, opt_.stop_grace, [this] { return conns_.empty(); });
      if (!conns_.empty()) {
        Log("http: stopping with " + std::to_string(conns_.size()) + " connection(s) still busy");
      }
    }
    io_.stop();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
    // A blocking handler still running uses its connection's request, which lives in a coroutine
    // frame that io_ destroys: wait for it. Its completion goes to the stopped io_ and is dropped.
    pool_->join();
    Log("http: stopped");
  }

  std::uint16_t port() const { return port_.load(); }
  std::size_t connections() const { return connections_.load(); }

 private:
  // What Stop needs of a connection; touched only on the connection's strand (but the set of
  // them under conns_mu_).
  struct Conn {
    asio::any_io_executor executor;
    beast::tcp_stream* lowest = nullptr;  // null once the connection's coroutine ends
    bool idle = false;
  };

  void Log(const std::string& line) const {
    if (opt_.log) opt_.log(line);
  }

  void Run() {
    for (;;) {
      try {
        io_.run();
        return;
      } catch (const std::exception& e) {
        Log(std::string("http: unexpected exception on a network thread: ") + e.what());
      } catch (...) {
        Log("http: unexpected exception on a network thread");
      }
    }
  }

  awaitable<void> Accept() {
    asio::steady_timer backoff(acceptor_.get_executor());
    for (;;) {
      auto strand = asio::make_strand(io_);
      auto [ec, socket] = co_await acceptor_.async_accept(strand, kNoThrow);
      if (ec == asio::error::operation_aborted || stopping_) co_return;
      if (ec) {
        // Out of file descriptors, mostly: wait for connections to close.
        Log("http: accept: " + ec.message());
        backoff.expires_after(std::chrono::milliseconds(50));
        co_await backoff.async_wait(kNoThrow);
        continue;
      }
      if (connections_.load() >= opt_.max_connections) {
        Log("http: too many connections (" + std::to_string(opt_.max_connections) +
            "); closing a new one");
        socket.close(ec);
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      ++connections_;
      if (connections_gauge_ != nullptr) connections_gauge_->Add(1);
      asio::co_spawn(strand, Session(tcp::socket(std::move(socket))),
                     [](const std::exception_ptr&) {});
    }
  }

  // Registers the connection for Stop; unregisters (and counts it gone) on destruction.
  struct ConnGuard {
    Impl* impl;
    std::shared_ptr<Conn> conn;
    ~ConnGuard() {
      conn->lowest = nullptr;
      {
        std::lock_guard<std::mutex> lock(impl->conns_mu_);
        impl->conns_.erase(conn);
      }
      impl->conns_cv_.notify_all();
      --impl->connections_;
      if (impl->connections_gauge_ != nullptr) impl->connections_gauge_->Add(-1);
    }
  };

  awaitable<void> Session(tcp::socket socket) {
    auto conn = std::make_shared<Conn>();
    conn->executor = socket.get_executor();
    {
      std::lock_guard<std::mutex> lock(conns_mu_);
      conns_.insert(conn);
    }
    ConnGuard guard{this, conn};
    try {
      boost::system::error_code ec;
      const auto remote = socket.remote_endpoint(ec);
      std::string peer = ec ? std::string("?") : remote.address().to_string();
      beast::tcp_stream tcp(std::move(socket));
      if (stopping_) co_return;
      if (tls_) {
        beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp), *tls_);
        beast::tcp_stream& lowest = beast::get_lowest_layer(stream);
        conn->lowest = &lowest;
        lowest.expires_after(opt_.read_timeout);
        auto [hec] = co_await stream.async_handshake(ssl::stream_base::server, kNoThrow);
        if (hec) co_return;
        if (co_await Serve(stream, lowest, *conn, std::move(peer))) {
          lowest.expires_after(std::chrono::seconds(2));
          co_await stream.async_shutdown(kNoThrow);
        }
      } else {
        conn->lowest = &tcp;
        if (co_await Serve(tcp, tcp, *conn, std::move(peer))) {
          tcp.socket().shutdown(tcp::socket::shutdown_send, ec);
        }
      }
    } catch (const std::exception& e) {
      Log(std::string("http: connection failed: ") + e.what());
    } catch (...) {
      Log("http: connection failed");
    }
  }

  // Reads requests and writes responses until the connection ends. True when the connection
  // is still up and should be shut down politely.
  template <typename Stream>
  awaitable<bool> Serve(Stream& stream, beast::tcp_stream& tcp, Conn& conn, std::string peer) {
    beast::flat_buffer buffer;
    HttpRequest request;
    request.remote = std::move(peer);
    std::string head;
    head.reserve(512);
    for (;;) {
      // Wait for the next request (idle).
      if (buffer.size() == 0) {
        if (stopping_) co_return true;
        conn.idle = true;
        tcp.expires_after(opt_.idle_timeout);
        auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), kNoThrow);
        conn.idle = false;
        if (ec) co_return false;  // closed by the peer, idle timeout, or Stop
        buffer.commit(n);
      }
      tcp.expires_after(opt_.read_timeout);
      RequestParser parser(request, limits_);
      auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, kNoThrow);
      (void)n;
      const Clock::time_point start = Clock::now();
      if (!ec && !parser.is_done()) {
        if (parser.expect_continue()) {
          static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
          auto [wec, wn] = co_await asio::async_write(
              stream, asio::buffer(kContinue.data(), kContinue.size()), kNoThrow);
          if (wec) co_return false;
        }
        auto [rec, rn] = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
        ec = rec;
      }
      if (ec) {
        if (!IsParseError(ec)) co_return false;  // timeout, reset, closed mid-request
        HttpResponse error;
        if (ec == bhttp::error::body_limit) {
          error = HttpResponse::Error(
              413, "body_too_large",
              "the request body is larger than " + std::to_string(opt_.max_body) + " bytes");
        } else if (ec == bhttp::error::header_limit) {
          error = HttpResponse::Error(
              431, "header_too_large",
              "the request header is larger than " + std::to_string(opt_.max_header) + " bytes");
        } else if (parser.bad_target()) {
          error = HttpResponse::Error(400, "bad_request", "malformed request target");
        } else {
          error = HttpResponse::Error(400, "bad_request", "malformed request: " + ec.message());
        }
        if (request.method.empty() || !parser.got_some()) request.method = "-";
        if (!co_await Respond(stream, tcp, request, error, head, false, start, false)) {
          co_return false;
        }
        if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
          // Read what the client still sends (up to a second, 1 MiB) after our half-close, so
          // that closing with unread data does not reset the connection before the client has
          // read the error.
          boost::system::error_code sec;
          tcp.socket().shutdown(tcp::socket::shutdown_send, sec);
          tcp.expires_after(std::chrono::seconds(1));
          std::size_t drained = 0;
          while (drained < (1u << 20)) {
            buffer.clear();
            auto [dec, dn] = co_await tcp.async_read_some(buffer.prepare(16384), kNoThrow);
            if (dec) break;
            drained += dn;
          }
          co_return false;
        }
        co_return true;
      }
      http::Router::Resolved route = router_.Resolve(request);
      HttpResponse response;
      if (route.handler == nullptr) {
        response = std::move(route.answer);
      } else if (route.execution == Execution::kBlocking) {
        const Handler& handler = *route.handler;
        response = co_await asio::co_spawn(
            pool_->get_executor(),
            [this, &handler, &request]() -> awaitable<HttpResponse> {
              co_return Handle(handler, request);
            },
            asio::use_awaitable);
      } else {
        response = Handle(*route.handler, request);
      }
      const bool keep_alive = parser.keep_alive() && !stopping_;
      if (!co_await Respond(stream, tcp, request, response, head, keep_alive, start,
                            parser.http_version() == 10)) {
        co_return false;
      }
      if (!keep_alive) co_return true;
    }
  }

  HttpResponse Handle(const Handler& handler, const HttpRequest& request) {
    try {
      return handler(request);
    } catch (const std::exception& e) {
      Log("http: handler for " + request.method + " " + request.path + " threw: " + e.what());
    } catch (...) {
      Log("http: handler for " + request.method + " " + request.path + " threw");
    }
    return HttpResponse::Error(500, "internal", "internal server error");
  }

  // Writes the response; records metrics and the access log. False when the write failed.
  template <typename Stream>
  awaitable<bool> Respond(Stream& stream, beast::tcp_stream& tcp, const HttpRequest& request,
                          const HttpResponse& response, std::string& head, bool keep_alive,
                          Clock::time_point start, bool http10) {
    const int status = response.status >= 100 && response.status <= 599 ? response.status : 500;
    const bool no_body = status < 200 || status == 204 || status == 304;
    const bool send_body = !no_body && request.method != "HEAD";
    head.clear();
    head += "HTTP/1.1 ";
    AppendInt(head, static_cast<std::uint64_t>(status));
    head.push_back(' ');
    const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
    head.append(reason.data(), reason.size());
    head += "\r\nServer: interdict\r\nDate: ";
    head += HttpDate();
    head += "\r\n";
    if (!no_body) {
      if (!response.content_type.empty() && !HasCrLf(response.content_type)) {
        head += "Content-Type: ";
        head += response.content_type;
        head += "\r\n";
      }
      head += "Content-Length: ";
      AppendInt(head, response.Bytes().size());
      head += "\r\n";
    }
    if (!keep_alive) {
      head += "Connection: close\r\n";
    } else if (http10) {
      head += "Connection: keep-alive\r\n";
    }
    for (const auto& [name, value] : response.headers) {
      if (name.empty() || HasCrLf(name) || HasCrLf(value) || name.find(':') != std::string::npos) {
        Log("http: dropped a malformed response header from " + request.path);
        continue;
      }
      head += name;
      head += ": ";
      head += value;
      head += "\r\n";
    }
    head += "\r\n";
    const std::array<asio::const_buffer, 2> parts = {
        asio::buffer(head), send_body
                                ? asio::buffer(response.Bytes().data(), response.Bytes().size())
                                : asio::const_buffer()};
    tcp.expires_after(opt_.read_timeout);
    auto [ec, written] = co_await asio::async_write(stream, parts, kNoThrow);
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
    Record(request.method, status, us);
    if (opt_.access_log) {
      std::string line;
      line.reserve(160);
      line += "ts=";
      AppendLogTime(line);
      line += " method=";
      line += request.method;
      line += " path=";
      const std::string_view target = request.target;
      line += target.empty() ? std::string_view("-") : target.substr(0, target.find('?'));
      line += " status=";
      AppendInt(line, static_cast<std::uint64_t>(status));
      line += " bytes=";
      AppendInt(line, send_body ? response.Bytes().size() : 0);
      line += " us=";
      AppendInt(line, static_cast<std::uint64_t>(us));
      line += " remote=";
      line += request.remote;
      if (ec) line += " error=write";
      opt_.access_log(line);
    }
    co_return !ec;
  }

  void Record(std::string_view method, int status, std::int64_t us) {
    if (requests_ == nullptr) return;
    const std::size_t m = MethodIndex(method);
    std::atomic<Counter*>& slot =
        counters_[m * kCodes + static_cast<std::size_t>(status - kMinCode)];
    Counter* c = slot.load(std::memory_order_acquire);
    if (c == nullptr) {
      char code[4];
      const auto r = std::to_chars(code, code + sizeof code, status);
      c = &requests_->WithLabels({m < kMethods.size() ? kMethods[m] : std::string_view("OTHER"),
                                  std::string_view(code, static_cast<std::size_t>(r.ptr - code))});
      slot.store(c, std::memory_order_release);
    }
    c->Inc();
    duration_->Observe(static_cast<double>(us) / 1e6);
  }

  Router& router_;
  HttpServerOptions opt_;
  ParserLimits limits_;
  std::atomic<std::uint16_t> port_{0};
  std::atomic<std::size_t> connections_{0};
  std::atomic<bool> stopping_{false};
  bool started_ = false;  // Start/Stop thread only
  bool stopped_ = false;
  std::mutex conns_mu_;
  std::condition_variable conns_cv_;
  std::unordered_set<std::shared_ptr<Conn>> conns_;  // guarded by conns_mu_
  CounterFamily* requests_ = nullptr;
  Histogram* duration_ = nullptr;
  Gauge* connections_gauge_ = nullptr;
  std::unique_ptr<std::atomic<Counter*>[]> counters_;  // [method][code - 100]
  std::optional<ssl::context> tls_;
  std::vector<std::thread> threads_;
  std::optional<asio::thread_pool> pool_;  // from Start on
  // Last: destroyed first, with the coroutine frames still pending in it (they use the above).
  asio::io_context io_{opt_.threads > 0 ? opt_.threads : 1};
  tcp::acceptor acceptor_{asio::make_strand(io_)};
};

HttpServer::HttpServer(Router& router, HttpServerOptions options)
    : impl_(std::make_unique<Impl>(router, std::move(options))) {}

HttpServer::~HttpServer() = default;

Status HttpServer::Start() {
  return impl_->Start();
}

void HttpServer::Stop() {
  impl_->Stop();
}

std::uint16_t HttpServer::port() const {
  return impl_->port();
}

std::size_t HttpServer::connections() const {
  return impl_->connections();
}

}  // namespace interdict::http
