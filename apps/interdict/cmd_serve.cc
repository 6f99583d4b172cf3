// serve: the registry's network services: the RPZ zone-transfer server (src/dns) and the HTTP
// API (src/http, src/api). Runs until SIGINT or SIGTERM, sweeping expired orders every few
// seconds so that expiries reach the feeds without anyone running a command.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "api/api.h"
#include "api/feeds.h"
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
};

std::mutex log_mu;

// One line on standard error, stamped with UTC time to the millisecond (tests time NOTIFYs).
void LogLine(std::string_view line) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) %
                  std::chrono::seconds(1);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  (void)std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
  char millis[8];
  (void)std::snprintf(millis, sizeof(millis), ".%03dZ", static_cast<int>(ms.count()));
  std::lock_guard<std::mutex> lock(log_mu);
  std::cerr << stamp << millis << " " << line << std::endl;
}

Result<dns::DnsServerOptions> BuildOptions(const ServeArgs& a) {
  dns::DnsServerOptions o;
  o.listen = a.dns_listen;
  o.poll = std::chrono::milliseconds(a.poll_ms);
  o.log = LogLine;
  std::optional<dns::Name> notice;
  if (!a.notice_host.empty()) {
    ASSIGN_OR_RETURN(notice, dns::Name::FromText(a.notice_host));
  }
  std::vector<std::string> zones = a.zones;
  if (zones.empty()) zones = {"isp=rpz.isp.interdict.", "vpn=rpz.vpn.interdict."};
  for (const std::string& z : zones) {
    const std::size_t eq = z.find('=');
    if (eq == std::string::npos) {
      return Status::InvalidArgument("--zone " + z + ": expected VIEW=ZONE (isp=rpz.example.)");
    }
    dns::RpzZoneSettings s;
    ASSIGN_OR_RETURN(s.view, feed::ParseView(z.substr(0, eq)));
    Result<dns::Name> origin = dns::Name::FromText(z.substr(eq + 1));
    if (!origin.ok()) return origin.status().Prefixed("--zone " + z);
    if (origin->is_root()) return Status::InvalidArgument("--zone " + z + ": not the root");
    s.origin = *std::move(origin);
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
  FeedFollower(api::FeedPublisher& feeds, std::chrono::milliseconds poll)
      : feeds_(feeds), poll_(poll), thread_([this] { Run(); }) {}
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
      if (!moved.ok()) LogLine("http: cannot follow the registry: " + moved.status().message());
      lock.lock();
    }
  }

  api::FeedPublisher& feeds_;
  std::chrono::milliseconds poll_;
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

Result<int> RunServe(Context& ctx, const ServeArgs& a) {
  if (a.dns_listen.empty() && a.http_listen.empty()) {
    return Status::InvalidArgument(
        "nothing to serve: give --dns-listen ADDR:PORT and/or --http-listen ADDR:PORT");
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
  ASSIGN_OR_RETURN(dns::DnsServerOptions options, BuildOptions(a));
  ASSIGN_OR_RETURN(api::FeedPublisherOptions feed_options, FeedOptions(a));
  ASSIGN_OR_RETURN(Registry * registry, ctx.Open());

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
    follower = std::make_unique<FeedFollower>(*feeds, std::chrono::milliseconds(a.poll_ms));
    api::ApiOptions api_options;
    api_options.rate_per_second = a.rate;
    api_options.rate_burst = 2 * a.rate;
    api = std::make_unique<api::Api>(*registry, *feeds, metrics, api_options);
    api->Register(router);
    http::HttpServerOptions o;
    o.listen = a.http_listen;
    o.threads = a.http_threads;
    o.tls_cert_file = a.tls_cert;
    o.tls_key_file = a.tls_key;
    o.metrics = &metrics;
    o.log = [](const std::string& line) { LogLine(line); };
    http_server = std::make_unique<http::HttpServer>(router, std::move(o));
    RETURN_IF_ERROR(http_server->Start());
    std::cout << "http " << http_server->port() << std::endl;
  }

  auto last_sweep = std::chrono::steady_clock::now();
  for (;;) {
    timespec wait{1, 0};
    const int sig = sigtimedwait(&stop_signals, nullptr, &wait);
    if (sig == SIGINT || sig == SIGTERM) break;
    if (std::chrono::steady_clock::now() - last_sweep >= std::chrono::seconds(a.sweep_seconds)) {
      last_sweep = std::chrono::steady_clock::now();
      Result<SweepReport> swept = registry->Sweep(ctx.actor());
      if (!swept.ok()) {
        LogLine("serve: expiry sweep failed: " + swept.status().message());
      } else if (!swept->expired.empty() || !swept->activated.empty()) {
        LogLine("serve: " + std::to_string(swept->expired.size()) + " order(s) expired, " +
                std::to_string(swept->activated.size()) + " became effective (serial " +
                std::to_string(swept->serial) + ")");
      }
    }
  }
  LogLine("serve: stopping");
  if (http_server) http_server->Stop();
  follower.reset();
  if (dns) dns->Stop();
  return kExitOk;
}

}  // namespace

void AddServeCommand(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<ServeArgs>();
  CLI::App* serve = app.add_subcommand(
      "serve",
      "serve the HTTP API and RPZ zones over DNS (AXFR/IXFR, NOTIFY) until SIGINT/SIGTERM");
  serve->add_option("--dns-listen", a->dns_listen,
                    "ADDR:PORT for the RPZ server, UDP and TCP (port 0: any free port, printed)");
  serve->add_option("--zone", a->zones,
                    "VIEW=ZONE, one per zone served (default isp=rpz.isp.interdict. and "
                    "vpn=rpz.vpn.interdict.)");
  serve->add_option("--notice-host", a->notice_host,
                    "triggers answer with a CNAME to this host (a page naming the order) instead "
                    "of NXDOMAIN");
  serve->add_option("--ttl", a->ttl, "TTL of the zone's records (default 60)");
  serve->add_option("--notify", a->notify, "ADDR:PORT of a secondary to NOTIFY on each serial");
  serve->add_option("--allow-transfer", a->allow_transfer,
                    "networks that may transfer the zones (default 127.0.0.0/8 and ::1)");
  serve->add_option("--tsig-key", a->tsig_keys,
                    "[hmac-sha256:]NAME:BASE64SECRET, a key that may sign transfer requests");
  serve->add_flag("--require-tsig", a->require_tsig,
                  "transfers must be signed with one of the --tsig-key keys");
  serve->add_option("--notify-key", a->notify_key, "sign NOTIFY messages with this key's name");
  serve->add_option("--http-listen", a->http_listen,
                    "ADDR:PORT for the HTTP API ([::1]:PORT for IPv6; port 0: any free port, "
                    "printed)");
  serve->add_option("--http-threads", a->http_threads, "HTTP worker threads (default 2)");
  serve->add_option("--tls-cert", a->tls_cert, "PEM certificate chain: serve HTTPS");
  serve->add_option("--tls-key", a->tls_key, "PEM private key of --tls-cert");
  serve->add_option("--sign-key", a->sign_key,
                    "secret key file (keys generate): sign every HTTP feed document");
  serve->add_option("--rate", a->rate, "HTTP requests per second per token (default 100)");
  serve->add_option("--poll-ms", a->poll_ms,
                    "how often to look for changes made by other processes (default 50)");
  SetAction(serve, [&ctx, a]() { return RunServe(ctx, *a); });
}

}  // namespace interdict::cli
