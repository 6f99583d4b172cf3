// serve: the registry's network services: the RPZ zone-transfer server (src/dns) and the HTTP
// API (src/http, src/api). Runs until SIGINT or SIGTERM, sweeping expired orders every few
// seconds so that expiries reach the feeds without anyone running a command.
//
// Every line serve writes on standard error goes through one ServeLog: the HTTP server's access
// and event lines, the DNS server's and the feed follower's events and serve's own, as text
// (each line stamped with the time) or as one JSON object per line (--log-format json).
#include <unistd.h>

#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "api/api.h"
#include "api/feeds.h"
#include "api/notice.h"
#include "cli.h"
#include "dns/server.h"
#include "feed/view.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "sign/signing.h"

namespace interdict::cli {
namespace {

struct ServeArgs {
  std::string dns_listen;
  std::string http_listen;
  int http_threads = 2;
  std::size_t max_body_kib = 4096;  // 10,000 acknowledgements of long names fit
  std::string tls_cert;
  std::string tls_key;
  std::string sign_key;            // secret key file: the HTTP feeds are signed with it
  double rate = 100;               // requests per second per token
  std::vector<std::string> zones;  // VIEW=NAME
  std::string notice_host;
  std::vector<std::string> notify;
  std::vector<std::string> allow_transfer = {"127.0.0.0/8", "::1"};
  std::vector<std::string> tsig_keys;
  bool require_tsig = false;
  std::string notify_key;
  int poll_ms = 50;
  int sweep_seconds = 10;
  std::uint32_t ttl = 60;
  std::string log_format = "text";  // text | json
  std::string log_level = "info";   // info | warn | error
  std::string access_log = "on";    // on | off
  std::string public_url;           // where the API and the register are reached from outside
  std::string public_redact_paths = "on";  // on | off
  std::string notice_listen;               // ADDR:PORT of the HTTP 451 notice site
  std::string notice_blocked_by;           // Link rel="blocked-by" (default PUBLIC_URL/register)
  std::string notice_intermediary;  // named on the notice page (default: "your network operator")
  std::string notice_authority;     // named on the notice page (default: the authority org)
};

// ---- The log ---------------------------------------------------------------------------------

enum class LogLevel { kInfo = 0, kWarn = 1, kError = 2 };

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

// "2026-01-02T03:04:05.678Z": RFC 3339, UTC, to the millisecond (tests time NOTIFYs by it).
std::string Stamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) %
                  std::chrono::seconds(1);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[48];
  const int n = std::snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                              tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                              tm.tm_sec, static_cast<int>(ms.count()));
  return n > 0 ? std::string(stamp, static_cast<std::size_t>(n)) : std::string();
}

// Appends `s` as a JSON string, quotes included (http::AppendJsonEscaped makes every line valid
// JSON whatever bytes a client put in its request).
void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  http::AppendJsonEscaped(out, s);
  out += '"';
}

bool AllDigits(std::string_view s) {
  return !s.empty() && s.size() <= 18 &&
         s.find_first_not_of("0123456789") == std::string_view::npos;
}

// What an event line of the servers is, from how it starts ("dns: serial 7; ..."): its event
// name and level. Lines no entry knows are info events named by their prefix.
struct EventKind {
  std::string_view prefix;
  std::string_view event;
  LogLevel level;
};
// Writes lines to standard error from a thread of its own, so that a thread logging never waits
// for write(2) or for another thread's write: Append only copies the line into a buffer under a
// mutex. The writer takes the whole buffer at once (lines written under load share one write).
// When standard error does not keep up and kMaxPending bytes wait, further lines are dropped and
// counted; the count is written when the writer catches up. The destructor writes what is left.
class LineWriter {
 public:
  LineWriter() : thread_([this] { Run(); }) {}
  ~LineWriter() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  LineWriter(const LineWriter&) = delete;
  LineWriter& operator=(const LineWriter&) = delete;

  // `line` ends in a newline.
  void Append(std::string_view line) {
    bool wake = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (pending_.size() + line.size() > kMaxPending) {
        ++dropped_;
        return;
      }
      wake = pending_.empty();
      pending_ += line;
    }
    if (wake) cv_.notify_one();
  }

 private:
  static constexpr std::size_t kMaxPending = std::size_t{8} << 20;

  void Run() {
    std::string out;
    for (;;) {
      std::uint64_t dropped = 0;
      bool stop = false;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !pending_.empty(); });
        out.swap(pending_);
        pending_.clear();
        dropped = std::exchange(dropped_, 0);
        stop = stop_;
      }
      if (dropped > 0) {
        out += Stamp() + " log: standard error fell behind; " + std::to_string(dropped) +
               " line(s) dropped\n";
      }
      WriteAll(out);
      out.clear();
      if (stop) return;
    }
  }

  static void WriteAll(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::write(STDERR_FILENO, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // standard error is gone: nothing else to tell
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::string pending_;        // guarded by mu_
  std::uint64_t dropped_ = 0;  // guarded by mu_
  bool stop_ = false;          // guarded by mu_
  std::thread thread_;         // last: starts once the rest is built
};

constexpr EventKind kEventKinds[] = {
    {"dns: serving ", "dns.start", LogLevel::kInfo},
    {"dns: serial ", "dns.serial", LogLevel::kInfo},
    {"dns: transfer to ", "dns.transfer", LogLevel::kInfo},
    {"dns: NOTIFY ", "dns.notify", LogLevel::kInfo},
    {"dns: cannot sign NOTIFY", "dns.notify", LogLevel::kError},
    {"dns: cannot follow the registry", "dns.follow", LogLevel::kError},
    {"dns: too many TCP connections", "dns.overload", LogLevel::kWarn},
    {"http: listening on ", "http.start", LogLevel::kInfo},
    {"http: stopping", "http.stop", LogLevel::kInfo},
    {"http: stopped", "http.stop", LogLevel::kInfo},
    {"http: accept: ", "http.accept", LogLevel::kWarn},
    {"http: too many connections", "http.overload", LogLevel::kWarn},
    {"http: connection failed", "http.connection", LogLevel::kWarn},
    {"http: handler for ", "http.handler", LogLevel::kError},
    {"http: unexpected exception", "http.error", LogLevel::kError},
    {"http: dropped a malformed", "http.response", LogLevel::kWarn},
};

class ServeLog {
 public:
  ServeLog(bool json, LogLevel level, bool access) : json_(json), level_(level), access_(access) {}

  bool json() const { return json_; }
  // Whether access lines are wanted at all (the HTTP server formats none otherwise).
  bool access() const { return access_; }

  // A line from the HTTP or DNS server: an access line ("ts=... method=GET path=/x status=200
  // bytes=12 us=85 remote=::1") or an event ("dns: serial 7; ...").
  void Line(std::string_view line) {
    if (line.starts_with("ts=")) {
      Access(line);
      return;
    }
    std::string_view event = line.substr(0, line.find(':'));
    if (event.size() == line.size() || event.size() > 16) event = "serve";
    LogLevel level = LogLevel::kInfo;
    for (const EventKind& k : kEventKinds) {
      if (line.starts_with(k.prefix)) {
        event = k.event;
        level = k.level;
        break;
      }
    }
    if (level == LogLevel::kInfo && (line.ends_with(": no answer") || line.ends_with("lost)"))) {
      level = LogLevel::kWarn;
    }
    Event(level, event, line);
  }

  // An event: `text` is the whole line of the text format ("serve: stopping").
  void Event(LogLevel level, std::string_view event, std::string_view text) {
    if (level < level_) return;
    if (!json_) {
      Write(std::string(text));
      return;
    }
    std::string out = Head(level, event);
    out += ",\"msg\":";
    AppendJsonString(out, text);
    // The serial an event is about ("dns: serial 7; ...", "dns: NOTIFY zone. serial 7 to ...").
    if (const std::size_t at = text.find("serial "); at != std::string_view::npos) {
      std::string_view digits = text.substr(at + 7);
      digits = digits.substr(0, digits.find_first_not_of("0123456789"));
      if (AllDigits(digits)) {
        out += ",\"serial\":";
        out += digits;
      }
    }
    out += '}';
    Write(std::move(out));
  }

 private:
  // key=value pairs separated by spaces; a word without '=' belongs to the value before it.
  void Access(std::string_view line) {
    // A response that could not be written ("error=write") is a warning.
    const LogLevel level =
        line.find(" error=") != std::string_view::npos ? LogLevel::kWarn : LogLevel::kInfo;
    if (!access_ || level < level_) return;
    if (!json_) {
      Write(std::string(line));
      return;
    }
    std::vector<std::pair<std::string_view, std::string>> fields;
    while (!line.empty()) {
      const std::size_t space = line.find(' ');
      const std::string_view word = line.substr(0, space);
      line = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
      const std::size_t eq = word.find('=');
      if (eq != std::string_view::npos && eq > 0) {
        fields.emplace_back(word.substr(0, eq), std::string(word.substr(eq + 1)));
      } else if (!fields.empty()) {
        fields.back().second += ' ';
        fields.back().second += word;
      }
    }
    std::string out = Head(level, "access");
    for (const auto& [key, value] : fields) {
      // ts: the line's own stamp, the same as Head's to the millisecond.
      if (key == "ts" || key == "level" || key == "event") continue;
      out += ',';
      AppendJsonString(out, key);
      out += ':';
      if ((key == "status" || key == "bytes" || key == "us") && AllDigits(value)) {
        out += value;
      } else {
        AppendJsonString(out, value);
      }
    }
    out += '}';
    Write(std::move(out));
  }

  std::string Head(LogLevel level, std::string_view event) const {
    std::string out;
    out.reserve(200);
    out += "{\"ts\":\"";
    out += Stamp();
    out += "\",\"level\":\"";
    out += LevelName(level);
    out += "\",\"event\":";
    AppendJsonString(out, event);
    return out;
  }

  // Whole lines, so that lines from different threads never interleave.
  void Write(std::string line) {
    if (!json_) line.insert(0, Stamp() + " ");
    line += '\n';
    writer_.Append(line);
  }

  const bool json_;
  const LogLevel level_;
  const bool access_;
  LineWriter writer_;
};

// ---- Options ---------------------------------------------------------------------------------

// A CLI11 check from one of the library's parsers: a bad value, on the command line or in a
// config file, is refused while the command line is read, before anything starts.
CLI::Validator Check(std::string name, std::function<Status(const std::string&)> parse) {
  return {[parse = std::move(parse)](std::string& value) -> std::string {
            const Status s = parse(value);
            return s.ok() ? std::string() : s.message();
          },
          "", std::move(name)};
}

Status CheckListen(const std::string& text) {
  ASSIGN_OR_RETURN(auto host_port, dns::SplitHostPort(text));
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(host_port.first, ec);
  if (ec) return Status::InvalidArgument("\"" + text + "\": bad address");
  return Status::Ok();
}

// "VIEW=ZONE" of --zone; the error names the value.
Result<dns::RpzZoneSettings> ParseZone(const std::string& z) {
  const std::size_t eq = z.find('=');
  if (eq == std::string::npos) {
    return Status::InvalidArgument(z + ": expected VIEW=ZONE (isp=rpz.example.)");
  }
  dns::RpzZoneSettings s;
  Result<feed::View> view = feed::ParseView(z.substr(0, eq));
  if (!view.ok()) return view.status().Prefixed(z);
  s.view = *view;
  Result<dns::Name> origin = dns::Name::FromText(z.substr(eq + 1));
  if (!origin.ok()) return origin.status().Prefixed(z);
  if (origin->is_root()) return Status::InvalidArgument(z + ": not the root");
  s.origin = *std::move(origin);
  return s;
}

// --public-url, --notice-blocked-by: an absolute http(s) URL.
Status CheckUrl(const std::string& text) {
  if (!text.starts_with("http://") && !text.starts_with("https://")) {
    return Status::InvalidArgument("\"" + text + "\": expected an http:// or https:// URL");
  }
  Result<std::string> url = NormalizeUrl(text);
  if (!url.ok()) return Status::InvalidArgument("\"" + text + "\": " + url.status().message());
  return Status::Ok();
}

// The base URL of a server listening at `listen` on `port` ("http://127.0.0.1:8080").
std::string BaseUrl(const std::string& listen, std::uint16_t port, bool tls) {
  Result<std::pair<std::string, std::uint16_t>> hp = dns::SplitHostPort(listen);
  std::string host = hp.ok() ? hp->first : "localhost";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(port);
}

// The notice page names the authority keeping the register: --notice-authority, else the
// registry's authority organization when there is exactly one.
Result<std::string> NoticeAuthority(Registry& registry, const ServeArgs& a) {
  if (!a.notice_authority.empty()) return a.notice_authority;
  ASSIGN_OR_RETURN(std::vector<Organization> orgs, registry.ListOrganizations());
  std::string name;
  int authorities = 0;
  for (const Organization& o : orgs) {
    if (o.kind != OrgKind::kAuthority) continue;
    ++authorities;
    name = o.name;
  }
  return authorities == 1 ? name : std::string();
}

// --rate: CLI11's PositiveNumber would print the largest double in its message.
Status CheckRate(const std::string& text) {
  double v = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() || !(v > 0) || !std::isfinite(v)) {
    return Status::InvalidArgument("\"" + text + "\": expected a number above 0");
  }
  return Status::Ok();
}

Result<dns::DnsServerOptions> BuildOptions(const ServeArgs& a, ServeLog& log) {
  dns::DnsServerOptions o;
  o.listen = a.dns_listen;
  o.poll = std::chrono::milliseconds(a.poll_ms);
  o.log = [&log](std::string_view line) { log.Line(line); };
  std::optional<dns::Name> notice;
  if (!a.notice_host.empty()) {
    ASSIGN_OR_RETURN(notice, dns::Name::FromText(a.notice_host));
  }
  std::vector<std::string> zones = a.zones;
  if (zones.empty()) zones = {"isp=rpz.isp.interdict.", "vpn=rpz.vpn.interdict."};
  for (const std::string& z : zones) {
    Result<dns::RpzZoneSettings> zone = ParseZone(z);
    if (!zone.ok()) return zone.status().Prefixed("--zone");
    dns::RpzZoneSettings s = *std::move(zone);
    s.notice = notice;
    s.ttl = a.ttl;
    o.zones.push_back(std::move(s));
  }
  for (const std::string& n : a.allow_transfer) {
    Result<dns::Network> net = dns::Network::Parse(n);
    if (!net.ok()) return net.status().Prefixed("--allow-transfer");
    o.policy.allow.push_back(*net);
  }
  for (const std::string& k : a.tsig_keys) {
    Result<dns::TsigKey> key = dns::ParseTsigKey(k);
    if (!key.ok()) return key.status().Prefixed("--tsig-key");
    if (!a.notify_key.empty()) {
      Result<dns::Name> want = dns::Name::FromText(a.notify_key);
      if (want.ok() && *want == key->name) o.notify_key = *key;
    }
    RETURN_IF_ERROR(o.policy.keys.Add(*std::move(key)).Prefixed("--tsig-key"));
  }
  if (!a.notify_key.empty() && !o.notify_key) {
    return Status::InvalidArgument("--notify-key " + a.notify_key + ": no --tsig-key of that name");
  }
  if (a.require_tsig && o.policy.keys.empty()) {
    return Status::InvalidArgument("--require-tsig needs at least one --tsig-key");
  }
  o.policy.require_tsig = a.require_tsig;
  o.notify = a.notify;
  return o;
}

// Keeps the HTTP feeds at the registry's serial: a thread that refreshes the publisher.
class FeedFollower {
 public:
  FeedFollower(api::FeedPublisher& feeds, std::chrono::milliseconds poll, ServeLog& log)
      : feeds_(feeds), poll_(poll), log_(log), thread_([this] { Run(); }) {}
  ~FeedFollower() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, poll_, [this] { return stop_; })) {
      lock.unlock();
      Result<bool> moved = feeds_.Refresh();
      if (!moved.ok()) {
        log_.Event(LogLevel::kError, "http.follow",
                   "http: cannot follow the registry: " + moved.status().message());
      }
      lock.lock();
    }
  }

  api::FeedPublisher& feeds_;
  std::chrono::milliseconds poll_;
  ServeLog& log_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;  // last: starts after the members it uses
};

// The rpz documents of the HTTP feeds carry the isp zone's name and the notice host.
Result<api::FeedPublisherOptions> FeedOptions(const ServeArgs& a) {
  api::FeedPublisherOptions o;
  o.format.rpz_zone = "rpz.isp.interdict.";
  for (const std::string& z : a.zones) {
    if (z.starts_with("isp=")) o.format.rpz_zone = z.substr(4);
  }
  o.format.notice_host = a.notice_host;
  if (!a.sign_key.empty()) {
    ASSIGN_OR_RETURN(SecretKey key, ReadSecretKeyFile(a.sign_key));
    o.signing_key = std::move(key);
  }
  return o;
}

void LogSweep(ServeLog& log, const Result<SweepReport>& swept) {
  if (!swept.ok()) {
    log.Event(LogLevel::kError, "serve.sweep",
              "serve: expiry sweep failed: " + swept.status().message());
  } else if (!swept->expired.empty() || !swept->activated.empty()) {
    log.Event(LogLevel::kInfo, "serve.sweep",
              "serve: " + std::to_string(swept->expired.size()) + " order(s) expired, " +
                  std::to_string(swept->activated.size()) + " became effective (serial " +
                  std::to_string(swept->serial) + ")");
  }
}

Result<int> Serve(Context& ctx, const ServeArgs& a, ServeLog& log) {
  if (a.dns_listen.empty() && a.http_listen.empty() && a.notice_listen.empty()) {
    return Status::InvalidArgument(
        "nothing to serve: give --dns-listen, --http-listen and/or --notice-listen ADDR:PORT");
  }
  if (!a.notice_listen.empty() && a.public_url.empty() && a.http_listen.empty()) {
    return Status::InvalidArgument(
        "--notice-listen links to the public register: give --public-url (or --http-listen)");
  }
  if (a.poll_ms < 1 || a.poll_ms > 60000) {
    return Status::InvalidArgument("--poll-ms must be between 1 and 60000");
  }
  if (a.http_threads < 1 || a.http_threads > 64) {
    return Status::InvalidArgument("--http-threads must be between 1 and 64");
  }
  if (!(a.rate > 0)) return Status::InvalidArgument("--rate must be above 0");
  if (a.tls_cert.empty() != a.tls_key.empty()) {
    return Status::InvalidArgument("--tls-cert and --tls-key go together");
  }
  std::string public_url = a.public_url;  // links append "/register", "/v1/appeals"
  while (public_url.ends_with('/')) public_url.pop_back();
  ASSIGN_OR_RETURN(dns::DnsServerOptions options, BuildOptions(a, log));
  ASSIGN_OR_RETURN(api::FeedPublisherOptions feed_options, FeedOptions(a));
  // The feeds' key signs the transparency log's heads too, unless --log-key names another.
  if (!a.sign_key.empty()) ctx.DefaultLogKey(a.sign_key);
  // The first sweep is logged like the later ones.
  ASSIGN_OR_RETURN(Registry * registry, ctx.Open(/*sweep=*/false));
  Result<SweepReport> swept = registry->Sweep(ctx.actor());
  if (!swept.ok()) return swept.status().Prefixed("expiry sweep");
  // Changes made without the key (the command line without --log-key) get a signed head now and
  // after every sweep; serve's own changes sign theirs as they are made.
  std::optional<SecretKey> log_key;
  if (!a.sign_key.empty()) {
    ASSIGN_OR_RETURN(log_key, ReadSecretKeyFile(a.sign_key));
    RETURN_IF_ERROR(registry->SignLogHead(*log_key).status().Prefixed("transparency log"));
  }
  LogSweep(log, swept);

  // The worker threads inherit this mask, so SIGINT and SIGTERM reach sigtimedwait below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::unique_ptr<dns::DnsServer> dns;
  if (!a.dns_listen.empty()) {
    dns = std::make_unique<dns::DnsServer>(*registry, std::move(options));
    RETURN_IF_ERROR(dns->Start());
    // The chosen port on standard output, for scripts that asked for port 0.
    std::cout << "dns " << dns->port() << std::endl;
  }

  // The HTTP API: its feeds follow the registry on their own thread.
  std::unique_ptr<api::FeedPublisher> feeds;
  std::unique_ptr<FeedFollower> follower;
  http::Metrics metrics;
  http::Router router;
  std::unique_ptr<api::Api> api;
  std::unique_ptr<http::HttpServer> http_server;
  if (!a.http_listen.empty()) {
    feeds = std::make_unique<api::FeedPublisher>(*registry, std::move(feed_options));
    RETURN_IF_ERROR(feeds->Refresh().status());
    follower = std::make_unique<FeedFollower>(*feeds, std::chrono::milliseconds(a.poll_ms), log);
    api::ApiOptions api_options;
    api_options.rate_per_second = a.rate;
    api_options.rate_burst = 2 * a.rate;
    api_options.public_url = public_url;
    api_options.public_redact_paths = a.public_redact_paths != "off";
    api = std::make_unique<api::Api>(*registry, *feeds, metrics, api_options);
    api->Register(router);
    http::HttpServerOptions o;
    o.listen = a.http_listen;
    o.threads = a.http_threads;
    o.max_body = a.max_body_kib * 1024;
    o.tls_cert_file = a.tls_cert;
    o.tls_key_file = a.tls_key;
    o.metrics = &metrics;
    o.log = [&log](const std::string& line) { log.Line(line); };
    if (log.access()) o.access_log = o.log;
    http_server = std::make_unique<http::HttpServer>(router, std::move(o));
    RETURN_IF_ERROR(http_server->Start());
    std::cout << "http " << http_server->port() << std::endl;
  }

  // The HTTP 451 notice site of the names the zones point at the notice host: its own server,
  // answering every host and path.
  std::unique_ptr<api::NoticeSite> notice;
  http::Router notice_router;
  std::unique_ptr<http::HttpServer> notice_server;
  if (!a.notice_listen.empty()) {
    api::NoticeOptions n;
    n.public_url = !public_url.empty()
                       ? public_url
                       : BaseUrl(a.http_listen, http_server->port(), !a.tls_cert.empty());
    n.blocked_by = a.notice_blocked_by;
    n.intermediary = a.notice_intermediary;
    ASSIGN_OR_RETURN(n.authority, NoticeAuthority(*registry, a));
    notice = std::make_unique<api::NoticeSite>(*registry, std::move(n));
    notice->Register(notice_router);
    http::HttpServerOptions o;
    o.listen = a.notice_listen;
    o.threads = 1;
    o.max_body = std::size_t{16} * 1024;  // a notice request carries no body to speak of
    o.log = [&log](const std::string& line) { log.Line(line); };
    if (log.access()) o.access_log = o.log;
    notice_server = std::make_unique<http::HttpServer>(notice_router, std::move(o));
    RETURN_IF_ERROR(notice_server->Start());
    std::cout << "notice " << notice_server->port() << std::endl;
  }

  auto last_sweep = std::chrono::steady_clock::now();
  for (;;) {
    timespec wait{1, 0};
    const int sig = sigtimedwait(&stop_signals, nullptr, &wait);
    if (sig == SIGINT || sig == SIGTERM) break;
    if (std::chrono::steady_clock::now() - last_sweep >= std::chrono::seconds(a.sweep_seconds)) {
      last_sweep = std::chrono::steady_clock::now();
      LogSweep(log, registry->Sweep(ctx.actor()));
      if (log_key) {
        const Result<StoredTreeHead> head = registry->SignLogHead(*log_key);
        if (!head.ok()) {
          log.Event(LogLevel::kError, "serve.log",
                    "serve: cannot sign the transparency log's head: " + head.status().message());
        }
      }
    }
  }
  log.Event(LogLevel::kInfo, "serve.stop", "serve: stopping");
  if (notice_server) notice_server->Stop();
  if (http_server) http_server->Stop();
  follower.reset();
  if (dns) dns->Stop();
  return kExitOk;
}

Result<int> RunServe(Context& ctx, const ServeArgs& a) {
  const LogLevel level = a.log_level == "error"  ? LogLevel::kError
                         : a.log_level == "warn" ? LogLevel::kWarn
                                                 : LogLevel::kInfo;
  // Outlives the servers, whose threads write to it until they stop.
  ServeLog log(a.log_format == "json", level, a.access_log != "off");
  Result<int> code = Serve(ctx, a, log);
  // In JSON, a failure is a log line like any other (in text, main prints "interdict: ...").
  if (!code.ok() && log.json()) {
    log.Event(LogLevel::kError, "serve.error", "interdict: " + code.status().message());
    return kExitError;
  }
  return code;
}

}  // namespace

void AddServeCommand(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<ServeArgs>();
  CLI::App* serve = app.add_subcommand(
      "serve",
      "serve the HTTP API and RPZ zones over DNS (AXFR/IXFR, NOTIFY) until SIGINT/SIGTERM");
  serve->footer(
      "Config file: every option above can come from a TOML file instead, given as\n"
      "`interdict --config FILE serve` (or `serve --config FILE`): keys without their dashes\n"
      "under [serve] (http-listen = \"127.0.0.1:8080\", zone = [\"isp=rpz.example.\"]), global\n"
      "ones such as db at the top. The command line overrides the file; an unknown key or a bad\n"
      "value is an error naming the file and line. See docs/serve.example.toml.");
  const CLI::Validator listen = Check("ADDR:PORT", CheckListen);
  serve
      ->add_option("--dns-listen", a->dns_listen,
                   "ADDR:PORT for the RPZ server, UDP and TCP (port 0: any free port, printed)")
      ->check(listen);
  serve
      ->add_option("--zone", a->zones,
                   "VIEW=ZONE, one per zone served (default isp=rpz.isp.interdict. and "
                   "vpn=rpz.vpn.interdict.)")
      ->check(Check("VIEW=ZONE", [](const std::string& z) { return ParseZone(z).status(); }));
  serve
      ->add_option("--notice-host", a->notice_host,
                   "triggers answer with a CNAME to this host (a page naming the order) instead "
                   "of NXDOMAIN")
      ->check(Check("NAME", [](const std::string& n) { return dns::Name::FromText(n).status(); }));
  serve->add_option("--ttl", a->ttl, "TTL of the zone's records (default 60)");
  serve->add_option("--notify", a->notify, "ADDR:PORT of a secondary to NOTIFY on each serial")
      ->check(listen);
  serve
      ->add_option("--allow-transfer", a->allow_transfer,
                   "networks that may transfer the zones (default 127.0.0.0/8 and ::1)")
      ->check(
          Check("NETWORK", [](const std::string& n) { return dns::Network::Parse(n).status(); }));
  serve
      ->add_option("--tsig-key", a->tsig_keys,
                   "[hmac-sha256:]NAME:BASE64SECRET, a key that may sign transfer requests")
      ->check(Check("KEY", [](const std::string& k) { return dns::ParseTsigKey(k).status(); }));
  serve->add_flag("--require-tsig", a->require_tsig,
                  "transfers must be signed with one of the --tsig-key keys");
  serve->add_option("--notify-key", a->notify_key, "sign NOTIFY messages with this key's name");
  serve
      ->add_option("--http-listen", a->http_listen,
                   "ADDR:PORT for the HTTP API ([::1]:PORT for IPv6; port 0: any free port, "
                   "printed)")
      ->check(listen);
  serve->add_option("--http-threads", a->http_threads, "HTTP worker threads (default 2)")
      ->check(CLI::Range(1, 64));
  serve
      ->add_option("--max-body-kib", a->max_body_kib,
                   "largest request body in KiB; larger ones get 413 (default 4096)")
      ->check(CLI::Range(1, 65536));
  serve->add_option("--tls-cert", a->tls_cert, "PEM certificate chain: serve HTTPS")
      ->check(CLI::ExistingFile);
  serve->add_option("--tls-key", a->tls_key, "PEM private key of --tls-cert")
      ->check(CLI::ExistingFile);
  serve
      ->add_option("--sign-key", a->sign_key,
                   "secret key file (keys generate): sign every HTTP feed document")
      ->check(CLI::ExistingFile);
  serve->add_option("--rate", a->rate, "HTTP requests per second per token (default 100)")
      ->check(Check("RATE", CheckRate));
  serve
      ->add_option("--poll-ms", a->poll_ms,
                   "how often to look for changes made by other processes (default 50)")
      ->check(CLI::Range(1, 60000));
  serve
      ->add_option("--log-format", a->log_format,
                   "standard error as text lines (default) or json, one object per line")
      ->check(CLI::IsMember({"text", "json"}));
  serve
      ->add_option("--log-level", a->log_level,
                   "least level logged: info (default; access lines), warn or error")
      ->check(CLI::IsMember({"info", "warn", "error"}));
  serve->add_option("--access-log", a->access_log, "one line per HTTP request: on (default) or off")
      ->check(CLI::IsMember({"on", "off"}));
  const CLI::Validator url = Check("URL", CheckUrl);
  serve
      ->add_option("--public-url", a->public_url,
                   "where the API and the public register are reached from outside "
                   "(https://register.example), for the links of the register and the notice "
                   "page (default: links relative to the API; the notice page: the "
                   "--http-listen address)")
      ->check(url);
  serve
      ->add_option("--public-redact-paths", a->public_redact_paths,
                   "the public register shows URL targets as scheme://host/... without their "
                   "path: on (default) or off")
      ->check(CLI::IsMember({"on", "off"}));
  serve
      ->add_option("--notice-listen", a->notice_listen,
                   "ADDR:PORT for the notice site of --notice-host: HTTP 451 with the blocking "
                   "order(s) for any blocked Host, 404 for any other (port 0: any free port, "
                   "printed)")
      ->check(listen);
  serve
      ->add_option("--notice-blocked-by", a->notice_blocked_by,
                   "the URL of the 451 answers' Link rel=\"blocked-by\", who implements the block "
                   "(default: PUBLIC_URL/register)")
      ->check(url);
  serve->add_option("--notice-intermediary", a->notice_intermediary,
                    "the implementing intermediary named on the notice page (default: \"your "
                    "network operator\")");
  serve->add_option("--notice-authority", a->notice_authority,
                    "who keeps the register, named on the notice page (default: the registry's "
                    "authority organization, when there is one)");
  SetAction(serve, [&ctx, a]() { return RunServe(ctx, *a); });
}

}  // namespace interdict::cli
