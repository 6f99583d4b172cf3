#include "probe/engine.h"

#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <charconv>
#include <exception>
#include <limits>
#include <optional>
#include <random>
#include <span>
#include <utility>

#include "dns/wire.h"
#include "probe/classify.h"
#include "probe/targets.h"

// GCC 12 reports asio's coroutine frames as a new/delete mismatch (GCC bug 109224), as in
// src/http/server.cc.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

namespace interdict::probe {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using asio::awaitable;
using asio::ip::tcp;
using asio::ip::udp;
using namespace asio::experimental::awaitable_operators;  // NOLINT(google-build-using-namespace)
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
using Steady = std::chrono::steady_clock;
using ErrorCode = boost::system::error_code;

constexpr std::size_t kDnsBuffer = 4096;
constexpr std::uint16_t kEdnsSize = 1232;
constexpr std::size_t kMaxChain = 16;
constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::size_t kMaxHeadersKept = 100;

double MsSince(Steady::time_point t0) {
  return std::chrono::duration<double, std::milli>(Steady::now() - t0).count();
}

std::string EndpointText(const asio::ip::address& a, std::uint16_t port) {
  return a.is_v6() ? "[" + a.to_string() + "]:" + std::to_string(port)
                   : a.to_string() + ":" + std::to_string(port);
}

// ADDR, ADDR:PORT, [ADDR6]:PORT or a bare IPv6 address.
Result<udp::endpoint> ParseServer(std::string_view text, std::string_view option) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument(std::string(option) + ": \"" + std::string(text.substr(0, 80)) +
                                   "\": " + std::string(why));
  };
  std::string_view host = text;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return bad("no closing ']'");
    host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad("expected :PORT after ']'");
      port = rest.substr(1);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    const std::size_t colon = text.find(':');
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  ErrorCode ec;
  const asio::ip::address address = asio::ip::make_address(std::string(host), ec);
  if (ec) return bad("not an IP address");
  unsigned number = 53;
  if (!port.empty()) {
    if (std::from_chars(port.data(), port.data() + port.size(), number).ec != std::errc() ||
        number == 0 || number > 65535 ||
        std::from_chars(port.data(), port.data() + port.size(), number).ptr !=
            port.data() + port.size()) {
      return bad("bad port");
    }
  }
  return udp::endpoint(address, static_cast<std::uint16_t>(number));
}

bool IsReset(const ErrorCode& ec) {
  return ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted;
}

bool IsClosed(const ErrorCode& ec) {
  return ec == asio::error::eof || ec == ssl::error::stream_truncated ||
         ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message;
}

ConnectStatus MapConnect(const ErrorCode& ec) {
  if (!ec) return ConnectStatus::kOk;
  if (ec == asio::error::connection_refused) return ConnectStatus::kRefused;
  if (ec == beast::error::timeout || ec == asio::error::timed_out) return ConnectStatus::kTimeout;
  if (ec == asio::error::host_unreachable || ec == asio::error::network_unreachable) {
    return ConnectStatus::kUnreachable;
  }
  return ConnectStatus::kError;
}

HttpStatus MapHttp(const ErrorCode& ec) {
  if (ec == beast::error::timeout) return HttpStatus::kTimeout;
  if (IsReset(ec)) return HttpStatus::kReset;
  if (IsClosed(ec)) return HttpStatus::kClosed;
  return HttpStatus::kError;
}

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A URL to request: where a Location header points, resolved against the current URL.
struct Url {
  std::string scheme;  // "http" or "https"
  std::string host;    // a name, or an address without brackets
  std::uint16_t port = 0;
  std::string path = "/";
};

// Resolves `location` against `base`. Only http and https are followed; `ports` gives the port
// of a URL without one (the configured --http-port / --https-port).
std::optional<Url> ResolveLocation(const Url& base, std::string_view location,
                                   std::uint16_t http_port, std::uint16_t https_port) {
  if (location.empty() || location.size() > 4096) return std::nullopt;
  if (const std::size_t hash = location.find('#'); hash != std::string_view::npos) {
    location = location.substr(0, hash);
  }
  Url out = base;
  std::string_view rest;
  const std::string lowered = Lower(location.substr(0, 8));
  if (lowered.starts_with("http://") || lowered.starts_with("https://")) {
    out.scheme = lowered.starts_with("https") ? "https" : "http";
    rest = location.substr(out.scheme.size() + 3);
  } else if (location.starts_with("//")) {
    rest = location.substr(2);
  } else if (location.front() == '/') {
    out.path = std::string(location);
    return out;
  } else if (location.find(':') != std::string_view::npos &&
             location.find(':') < location.find('/')) {
    return std::nullopt;  // another scheme
  } else {
    std::string_view dir = base.path.substr(0, base.path.find('?'));
    dir = dir.substr(0, dir.rfind('/') + 1);
    out.path = std::string(dir) + std::string(location);
    return out;
  }
  // rest = authority [path]
  const std::size_t end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, end);
  out.path = end == std::string_view::npos ? "/" : std::string(rest.substr(end));
  if (out.path.front() == '?') out.path = "/" + out.path;
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return std::nullopt;
      port = authority.substr(close + 2);
    }
  } else {
    const std::size_t colon = authority.find(':');
    out.host = Lower(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return std::nullopt;
  out.port = out.scheme == "https" ? https_port : http_port;
  if (!port.empty()) {
    unsigned n = 0;
    const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (ec != std::errc() || ptr != port.data() + port.size() || n == 0 || n > 65535) {
      return std::nullopt;
    }
    out.port = static_cast<std::uint16_t>(n);
  }
  return out;
}

// A connection of one path: TCP, and TLS over it once the handshake starts. Closed with RST
// (SO_LINGER 0) when dropped: the probe has read what it needs.
struct Conn {
  std::optional<beast::tcp_stream> tcp;
  std::optional<ssl::stream<beast::tcp_stream&>> tls;

  Conn() = default;
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  ~Conn() { Abort(); }

  void Abort() {
    tls.reset();
    if (tcp) {
      ErrorCode ec;
      tcp::socket& s = tcp->socket();
      if (s.is_open()) {
        s.set_option(asio::socket_base::linger(true, 0), ec);
        s.close(ec);
      }
      tcp.reset();
    }
  }
};

struct ConnectOutcome {
  ConnectStatus status = ConnectStatus::kNotTried;
  double ms = 0;
  std::string error;
};

struct HandshakeOutcome {
  TlsStatus status = TlsStatus::kNotTried;
  double ms = 0;
  std::string error;
  std::string version;
  std::string verify;
  int alert = -1;
};

struct DnsQuery {
  std::uint16_t type = 0;
  std::uint16_t id = 0;
  std::vector<std::uint8_t> wire;
  std::optional<dns::Message> answer;
  bool truncated = false;
};

}  // namespace

class Prober::Impl {
 public:
  explicit Impl(ProbeOptions options) : opt_(std::move(options)) {}

  Status Init() {
    ASSIGN_OR_RETURN(resolver_, ParseServer(opt_.resolver, "--resolver"));
    if (!opt_.control_resolver.empty()) {
      ASSIGN_OR_RETURN(control_resolver_, ParseServer(opt_.control_resolver, "--control-resolver"));
    }
    if (!opt_.control_source.empty()) {
      ErrorCode ec;
      control_source_ = asio::ip::make_address(opt_.control_source, ec);
      if (ec) {
        return Status::InvalidArgument("--control-source: \"" + opt_.control_source +
                                       "\" is not an IP address");
      }
    }
    if (opt_.concurrency < 1) return Status::InvalidArgument("--concurrency: must be at least 1");
    if (opt_.rate < 0) return Status::InvalidArgument("--rate: must not be negative");
    if (opt_.timeout.count() <= 0) return Status::InvalidArgument("--timeout: must be positive");
    for (const std::string& host : opt_.notice_hosts) {
      Result<dns::Name> name = dns::Name::FromText(host);
      if (!name.ok()) return name.status().Prefixed("--notice-host \"" + host + "\"");
      notices_.push_back(std::move(name).value());
    }
    ErrorCode ec;
    tls_.set_options(
        ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3, ec);
    tls_.set_verify_mode(ssl::verify_none, ec);  // verification is evidence, never a failure
    tls_.set_default_verify_paths(ec);
    if (!opt_.ca_file.empty()) {
      tls_.load_verify_file(opt_.ca_file, ec);
      if (ec) return Status::InvalidArgument("--ca-file " + opt_.ca_file + ": " + ec.message());
    }
    static constexpr unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_CTX_set_alpn_protos(tls_.native_handle(), kAlpn, sizeof kAlpn);
    if (opt_.clock == nullptr) opt_.clock = &system_clock_;
    rng_.seed(std::random_device{}());
    return Status::Ok();
  }

  Status Run(const std::vector<Target>& targets,
             const std::function<void(std::size_t, ProbeResult)>& on_result) {
    std::size_t next = 0;
    Steady::time_point next_slot = Steady::now();
    std::exception_ptr failure;
    const std::size_t workers =
        std::min<std::size_t>(static_cast<std::size_t>(opt_.concurrency), targets.size());
    for (std::size_t w = 0; w < workers; ++w) {
      asio::co_spawn(ioc_, Worker(targets, next, next_slot, on_result),
                     [&failure](const std::exception_ptr& e) {
                       if (e && !failure) failure = e;
                     });
    }
    ioc_.run();
    ioc_.restart();
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        return Status::Internal(std::string("probe: ") + e.what());
      }
    }
    return Status::Ok();
  }

 private:
  awaitable<void> Worker(const std::vector<Target>& targets, std::size_t& next,
                         Steady::time_point& next_slot,
                         const std::function<void(std::size_t, ProbeResult)>& on_result) {
    asio::steady_timer pace(ioc_);
    const auto interval = opt_.rate > 0 ? std::chrono::duration_cast<Steady::duration>(
                                              std::chrono::duration<double>(1.0 / opt_.rate))
                                        : Steady::duration::zero();
    while (next < targets.size()) {
      const std::size_t i = next++;
      if (opt_.rate > 0) {
        const Steady::time_point now = Steady::now();
        const Steady::time_point slot = std::max(now, next_slot);
        next_slot = slot + interval;
        if (slot > now) {
          pace.expires_at(slot);
          co_await pace.async_wait(kNoThrow);
        }
      }
      ProbeResult result;
      bool failed = false;
      std::string what;
      try {
        result = co_await ProbeOne(targets[i]);
      } catch (const std::exception& e) {
        failed = true;
        what = e.what();
      }
      if (failed) {
        result = ProbeResult{};
        result.target = targets[i];
        result.measured_at = opt_.clock->Now();
        result.reason = "the probe failed: " + what;
      }
      on_result(i, std::move(result));
    }
  }

  std::uint16_t NextId() { return static_cast<std::uint16_t>(rng_() & 0xFFFF); }

  // ---- DNS ----------------------------------------------------------------------------------

  std::vector<std::uint8_t> BuildQuery(const dns::Name& name, std::uint16_t type,
                                       std::uint16_t id) {
    dns::MessageWriter w(dns::kMaxUdpSizeWithoutEdns);
    w.header().id = id;
    w.header().rd = true;
    w.AddQuestion({name, type, dns::kClassIN});
    dns::Edns edns;
    edns.udp_payload_size = kEdnsSize;
    w.AddEdns(edns);
    return w.Finish();
  }

  static bool Answers(const dns::Message& m, const DnsQuery& q, const dns::Name& name) {
    return m.header.qr && m.header.id == q.id && m.question.size() == 1 &&
           m.question[0].type == q.type && m.question[0].klass == dns::kClassIN &&
           m.question[0].name == name;
  }

  // The same query over TCP (after a truncated UDP answer). Reads are bounded by the length
  // prefix, at most 65535 bytes.
  awaitable<void> TcpQuery(const udp::endpoint& server, const dns::Name& name, DnsQuery& q,
                           std::string& error) {
    beast::tcp_stream s(ioc_);
    s.expires_after(opt_.timeout);
    auto [cec] = co_await s.async_connect(tcp::endpoint(server.address(), server.port()), kNoThrow);
    if (cec) {
      error = "tcp: " + cec.message();
      co_return;
    }
    std::vector<std::uint8_t> frame;
    if (!dns::AppendTcpFrame(q.wire, &frame).ok()) co_return;
    auto [wec, wn] = co_await asio::async_write(s, asio::buffer(frame), kNoThrow);
    static_cast<void>(wn);
    std::array<std::uint8_t, 2> prefix{};
    auto [pec, pn] = co_await asio::async_read(s, asio::buffer(prefix), kNoThrow);
    static_cast<void>(pn);
    if (wec || pec) {
      error = "tcp: " + (wec ? wec : pec).message();
      co_return;
    }
    const std::size_t size = (std::size_t{prefix[0]} << 8) | prefix[1];
    std::vector<std::uint8_t> message(size);
    auto [rec, rn] = co_await asio::async_read(s, asio::buffer(message), kNoThrow);
    if (rec || rn != size) {
      error = "tcp: " + rec.message();
      co_return;
    }
    Result<dns::Message> m = dns::ParseMessage(message);
    if (!m.ok()) {
      error = "tcp: " + m.status().message();
    } else if (Answers(*m, q, name)) {
      q.answer = std::move(m).value();
    } else {
      error = "tcp: an answer to another question";
    }
    ErrorCode ec;
    s.socket().set_option(asio::socket_base::linger(true, 0), ec);
  }

  bool IsNotice(const dns::Name& n) const {
    return std::any_of(notices_.begin(), notices_.end(),
                       [&](const dns::Name& notice) { return n.IsSubdomainOf(notice); });
  }

  static std::string NameText(const dns::Name& n) {
    std::string s = n.ToText();
    if (s.size() > 1 && s.back() == '.') s.pop_back();
    return s;
  }

  // Follows the CNAME chain from `qname` within one answer; adds the chain (once) and the
  // addresses of the query's type at its end.
  void Collect(const dns::Name& qname, const DnsQuery& q, DnsResult& r) const {
    const dns::Message& m = *q.answer;
    dns::Name current = qname;
    for (std::size_t step = 0; step < kMaxChain; ++step) {
      bool moved = false;
      for (const dns::Record& rec : m.answer) {
        if (rec.type != dns::kTypeCNAME || !(rec.name == current)) continue;
        Result<dns::Name> target = dns::Rdata::DecodeCname(rec.rdata);
        if (!target.ok()) break;
        const std::string text = NameText(*target);
        if (std::find(r.chain.begin(), r.chain.end(), text) == r.chain.end()) {
          r.chain.push_back(text);
        }
        if (r.notice.empty() && IsNotice(*target)) r.notice = text;
        current = std::move(target).value();
        moved = true;
        break;
      }
      if (!moved) break;
    }
    for (const dns::Record& rec : m.answer) {
      if (rec.type != q.type || rec.klass != dns::kClassIN || !(rec.name == current)) continue;
      if (q.type == dns::kTypeA && rec.rdata.size() == 4) {
        asio::ip::address_v4::bytes_type b{};
        std::copy(rec.rdata.begin(), rec.rdata.end(), b.begin());
        r.addresses.push_back(asio::ip::address_v4(b).to_string());
      } else if (q.type == dns::kTypeAAAA && rec.rdata.size() == 16) {
        asio::ip::address_v6::bytes_type b{};
        std::copy(rec.rdata.begin(), rec.rdata.end(), b.begin());
        r.addresses.push_back(asio::ip::address_v6(b).to_string());
      }
    }
  }

  awaitable<DnsResult> Resolve(udp::endpoint server, std::string host) {
    DnsResult r;
    r.server = EndpointText(server.address(), server.port());
    const Steady::time_point t0 = Steady::now();
    Result<dns::Name> parsed = dns::Name::FromText(host);
    if (!parsed.ok()) {
      r.status = DnsStatus::kError;
      r.error = parsed.status().message();
      co_return r;
    }
    const dns::Name name = std::move(parsed).value();
    std::array<DnsQuery, 2> queries;
    queries[0].type = dns::kTypeA;
    queries[1].type = dns::kTypeAAAA;
    queries[0].id = NextId();
    queries[1].id = static_cast<std::uint16_t>(queries[0].id + 1 + (NextId() % 0xFFFE));
    for (DnsQuery& q : queries) q.wire = BuildQuery(name, q.type, q.id);

    std::string error;
    udp::socket sock(ioc_);
    ErrorCode ec;
    sock.open(server.protocol(), ec);
    if (!ec) sock.connect(server, ec);  // the kernel then drops datagrams from anyone else
    for (std::size_t i = 0; i < queries.size() && !ec; ++i) {
      auto [sec, sn] = co_await sock.async_send(asio::buffer(queries[i].wire), kNoThrow);
      static_cast<void>(sn);
      ec = sec;
    }
    if (ec) {
      r.status = DnsStatus::kError;
      r.error = ec.message();
      r.ms = MsSince(t0);
      co_return r;
    }
    asio::steady_timer deadline(ioc_);
    deadline.expires_after(opt_.timeout);
    std::vector<std::uint8_t> buf(kDnsBuffer);
    auto pending = [&] {
      return std::any_of(queries.begin(), queries.end(),
                         [](const DnsQuery& q) { return !q.answer && !q.truncated; });
    };
    while (pending()) {
      auto got = co_await (sock.async_receive(asio::buffer(buf), kNoThrow) ||
                           deadline.async_wait(kNoThrow));
      if (got.index() == 1) break;  // the deadline
      auto [rec, n] = std::get<0>(got);
      if (rec) {
        error = rec.message();
        break;
      }
      Result<dns::Message> m = dns::ParseMessage(std::span<const std::uint8_t>(buf.data(), n));
      if (!m.ok()) {
        error = "malformed answer: " + m.status().message();
        continue;
      }
      for (DnsQuery& q : queries) {
        if (q.answer || q.truncated || !Answers(*m, q, name)) continue;
        if (m->header.tc) {
          q.truncated = true;
        } else {
          q.answer = std::move(m).value();
        }
        break;
      }
    }
    sock.close(ec);
    for (DnsQuery& q : queries) {
      if (!q.truncated) continue;
      r.tcp = true;
      co_await TcpQuery(server, name, q, error);
    }
    r.ms = MsSince(t0);

    const DnsQuery* primary = queries[0].answer ? &queries[0] : nullptr;
    if (primary == nullptr && queries[1].answer) primary = &queries[1];
    if (primary == nullptr) {
      r.status = error.empty() ? DnsStatus::kTimeout : DnsStatus::kError;
      r.error = error;
      co_return r;
    }
    std::uint16_t rcode = primary->answer->header.rcode;
    if (primary->answer->edns) {
      rcode = static_cast<std::uint16_t>(rcode | (primary->answer->edns->extended_rcode << 4));
    }
    r.rcode = dns::RcodeName(rcode);
    for (const DnsQuery& q : queries) {
      if (q.answer) Collect(name, q, r);
    }
    if (rcode == dns::kRcodeNxDomain) {
      r.status = DnsStatus::kNxDomain;
    } else if (rcode != dns::kRcodeNoError) {
      r.status = DnsStatus::kRcode;
    } else {
      r.status = r.addresses.empty() ? DnsStatus::kNoData : DnsStatus::kAddresses;
    }
    co_return r;
  }

  // The first address a resolver gives for a redirect's host (ISP path: whatever the ISP
  // resolver answers, block pages included).
  awaitable<std::optional<asio::ip::address>> ResolveAny(const udp::endpoint& server,
                                                         const std::string& host,
                                                         std::string& error) {
    DnsResult r = co_await Resolve(server, host);
    for (const std::string& a : r.addresses) {
      ErrorCode ec;
      const asio::ip::address address = asio::ip::make_address(a, ec);
      if (!ec) co_return address;
    }
    error = "the redirect's host " + host + " does not resolve (" +
            std::string(DnsStatusName(r.status)) + (r.rcode.empty() ? "" : " " + r.rcode) + ")";
    co_return std::nullopt;
  }

  // ---- TCP, TLS -----------------------------------------------------------------------------

  awaitable<ConnectOutcome> Connect(Conn& c, const tcp::endpoint& to,
                                    const std::optional<asio::ip::address>& source) {
    ConnectOutcome out;
    c.tcp.emplace(ioc_);
    tcp::socket& sock = c.tcp->socket();
    ErrorCode ec;
    sock.open(to.protocol(), ec);
    if (!ec && source) {
      if (source->is_v4() != to.address().is_v4()) {
        out.status = ConnectStatus::kError;
        out.error = "the control source " + source->to_string() + " cannot reach " +
                    to.address().to_string();
        co_return out;
      }
      // Ports are picked at connect time, per destination, not at bind time.
      const int one = 1;
      setsockopt(sock.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      sock.bind(tcp::endpoint(*source, 0), ec);
    }
    if (ec) {
      out.status = ConnectStatus::kError;
      out.error = (source ? "bind " + source->to_string() + ": " : "socket: ") + ec.message();
      co_return out;
    }
    ErrorCode ignored;
    sock.set_option(tcp::no_delay(true), ignored);
    const Steady::time_point t0 = Steady::now();
    c.tcp->expires_after(opt_.timeout);
    auto [cec] = co_await c.tcp->async_connect(to, kNoThrow);
    out.ms = MsSince(t0);
    out.status = MapConnect(cec);
    if (cec) out.error = cec.message();
    co_return out;
  }

  // `sni` empty: an address (no SNI; the certificate is checked against the address).
  awaitable<HandshakeOutcome> Handshake(Conn& c, const std::string& sni,
                                        const std::string& address) {
    HandshakeOutcome out;
    c.tls.emplace(*c.tcp, tls_);
    SSL* s = c.tls->native_handle();
    if (!sni.empty()) {
      SSL_ctrl(s, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(sni.c_str()));
      SSL_set1_host(s, sni.c_str());
    } else {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s), address.c_str());
    }
    const Steady::time_point t0 = Steady::now();
    c.tcp->expires_after(opt_.timeout);
    auto [ec] = co_await c.tls->async_handshake(ssl::stream_base::client, kNoThrow);
    out.ms = MsSince(t0);
    if (!ec) {
      out.status = TlsStatus::kOk;
      out.version = SSL_get_version(s);
      const long verify = SSL_get_verify_result(s);
      out.verify = verify == X509_V_OK ? "ok" : X509_verify_cert_error_string(verify);
      co_return out;
    }
    out.error = ec.message();
    if (ec == beast::error::timeout) {
      out.status = TlsStatus::kTimeout;
    } else if (IsReset(ec)) {
      out.status = TlsStatus::kReset;
    } else if (IsClosed(ec)) {
      out.status = TlsStatus::kClosed;
    } else if (ec.category() == asio::error::get_ssl_category()) {
      const int reason = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
      if (reason >= SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256) {
        out.status = TlsStatus::kAlert;
        out.alert = reason - SSL_AD_REASON_OFFSET;
      } else {
        out.status = TlsStatus::kError;
      }
    } else {
      out.status = TlsStatus::kError;
    }
    co_return out;
  }

  // ---- HTTP ---------------------------------------------------------------------------------

  // One GET on an open stream. False (and p.http, p.http_error set) when no response came.
  template <typename Stream>
  awaitable<bool> Exchange(Stream& stream, beast::tcp_stream& lowest, const Url& url, HttpHop& hop,
                           PathResult& p) {
    const std::string authority = Authority(url.host, url.scheme, url.port);
    hop.url = url.scheme + "://" + authority + url.path;
    bhttp::request<bhttp::empty_body> req{bhttp::verb::get, url.path, 11};
    req.set(bhttp::field::host, authority);
    req.set(bhttp::field::user_agent, "interdict-probe/0.1");
    req.set(bhttp::field::accept, "*/*");
    req.set(bhttp::field::connection, "close");
    const Steady::time_point t0 = Steady::now();
    lowest.expires_after(opt_.timeout);
    auto [wec, wn] = co_await bhttp::async_write(stream, req, kNoThrow);
    static_cast<void>(wn);
    if (wec) {
      p.http = MapHttp(wec);
      p.http_error = "request to " + hop.url + ": " + wec.message();
      co_return false;
    }
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::buffer_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    lowest.expires_after(opt_.timeout);
    auto [hec, hn] = co_await bhttp::async_read_header(stream, buffer, parser, kNoThrow);
    static_cast<void>(hn);
    if (hec) {
      p.http = MapHttp(hec);
      p.http_error = "response from " + hop.url + ": " + hec.message();
      co_return false;
    }
    auto& res = parser.get();
    hop.status = static_cast<int>(res.result_int());
    std::vector<std::pair<std::string, std::string>> headers;
    for (const auto& field : res) {
      if (headers.size() >= kMaxHeadersKept) break;
      headers.emplace_back(Lower(field.name_string()), std::string(field.value()));
      if (headers.back().first == "location" && hop.location.empty()) {
        hop.location = headers.back().second;
      } else if (headers.back().first == "server" && hop.server.empty()) {
        hop.server = headers.back().second;
      }
    }
    std::string body;
    std::array<char, 16384> chunk{};
    lowest.expires_after(opt_.timeout);
    while (!parser.is_done() && body.size() < kFingerprintBodyBytes) {
      res.body().data = chunk.data();
      res.body().size = chunk.size();
      auto [bec, bn] = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
      static_cast<void>(bn);
      body.append(chunk.data(), chunk.size() - res.body().size);
      if (bec && bec != bhttp::error::need_buffer) break;  // the body ends here
    }
    hop.ms = MsSince(t0);
    hop.body_bytes = body.size();
    hop.body_head = body.substr(0, kBodyHeadBytes);
    if (hop.status == 451) {
      hop.block = "status:451";
    } else if (const Fingerprint* f =
                   MatchFingerprint(opt_.fingerprints, hop.status, headers, body)) {
      hop.block = f->ToString();
    }
    co_return true;
  }

  // The HTTP exchange of one path on its open connection, then its redirects on new ones.
  awaitable<void> HttpChain(PathResult& p, Conn& first, Url url, bool control) {
    Conn later;
    Conn* c = &first;
    asio::ip::address address = asio::ip::make_address(p.address);
    for (int hop_index = 0;; ++hop_index) {
      if (hop_index > 0) {
        later.Abort();
        c = &later;
        const tcp::endpoint to(address, url.port);
        const ConnectOutcome co =
            co_await Connect(later, to, control ? control_source_ : std::nullopt);
        if (co.status != ConnectStatus::kOk) {
          p.http = HttpStatus::kError;
          p.http_error = "redirect: connect to " + EndpointText(address, url.port) + ": " +
                         std::string(ConnectStatusName(co.status));
          co_return;
        }
        if (url.scheme == "https") {
          const bool literal = IsAddressText(url.host);
          const HandshakeOutcome ho =
              co_await Handshake(later, literal ? std::string() : url.host, address.to_string());
          if (ho.status != TlsStatus::kOk) {
            p.http = HttpStatus::kError;
            p.http_error = "redirect: TLS handshake with " + url.host + ": " +
                           std::string(TlsStatusName(ho.status));
            co_return;
          }
        }
      }
      HttpHop hop;
      bool ok = false;
      if (url.scheme == "https") {
        ok = co_await Exchange(*c->tls, *c->tcp, url, hop, p);
      } else {
        ok = co_await Exchange(*c->tcp, *c->tcp, url, hop, p);
      }
      if (!ok) co_return;
      p.hops.push_back(std::move(hop));
      const HttpHop& last = p.hops.back();
      std::optional<Url> next;
      if (IsRedirect(last.status) && hop_index < kMaxRedirects) {
        next = ResolveLocation(url, last.location, opt_.http_port, opt_.https_port);
      }
      if (!next) {
        p.http = HttpStatus::kResponse;
        co_return;
      }
      if (next->host != url.host) {
        if (IsAddressText(next->host)) {
          address = asio::ip::make_address(next->host);
        } else {
          std::string error;
          const udp::endpoint& server =
              control && control_resolver_ ? *control_resolver_ : resolver_;
          std::optional<asio::ip::address> a = co_await ResolveAny(server, next->host, error);
          if (!a) {
            p.http = HttpStatus::kError;
            p.http_error = error;
            co_return;
          }
          address = *a;
        }
      }
      url = std::move(*next);
    }
  }

  static bool IsAddressText(const std::string& text) {
    ErrorCode ec;
    asio::ip::make_address(text, ec);
    return !ec;
  }

  // ---- One target ---------------------------------------------------------------------------

  static void Apply(PathResult& p, const ConnectOutcome& o) {
    p.connect = o.status;
    p.connect_ms = o.ms;
    p.connect_error = o.error;
  }

  static void Apply(PathResult& p, const HandshakeOutcome& o) {
    p.tls = o.status;
    p.tls_ms = o.ms;
    p.tls_error = o.error;
    p.tls_version = o.version;
    p.verify = o.verify;
    p.tls_alert = o.alert;
  }

  awaitable<void> ConnectPath(PathResult& p, Conn& c, asio::ip::address to, std::uint16_t port,
                              std::optional<asio::ip::address> source) {
    if (!p.configured) co_return;
    p.address = to.to_string();
    p.port = port;
    Apply(p, co_await Connect(c, tcp::endpoint(to, port), source));
  }

  awaitable<void> HandshakePath(PathResult& p, Conn& c, std::string sni) {
    if (!p.configured || p.connect != ConnectStatus::kOk) co_return;
    Apply(p, co_await Handshake(c, sni, p.address));
  }

  awaitable<void> HttpPath(PathResult& p, Conn& c, Url url, bool control) {
    if (!p.configured || p.connect != ConnectStatus::kOk) co_return;
    if (url.scheme == "https" && p.tls != TlsStatus::kOk) co_return;
    co_await HttpChain(p, c, std::move(url), control);
  }

  static ProbeResult Finish(ProbeResult r, Decision d) {
    r.verdict = d.verdict;
    r.reason = std::move(d.reason);
    return r;
  }

  // Picks the control path's address: the control resolver's answer (of the control source's
  // family when it has one), else the ISP path's.
  std::string ControlAddress(const Measurement& m, const std::string& isp_address) const {
    if (!m.control_resolver || m.control_dns.status != DnsStatus::kAddresses) return isp_address;
    const std::vector<std::string>& list = m.control_dns.addresses;
    if (control_source_) {
      const bool v4 = control_source_->is_v4();
      for (const std::string& a : list) {
        if ((a.find(':') == std::string::npos) == v4) return a;
      }
    }
    return list.front();
  }

  awaitable<ProbeResult> ProbeOne(const Target& target) {
    ProbeResult out;
    out.target = target;
    out.measured_at = opt_.clock->Now();
    Result<ProbePlan> planned = PlanTarget(target, opt_.http_port, opt_.https_port);
    if (!planned.ok()) {
      co_return Finish(std::move(out), {Verdict::kInconclusive, planned.status().message()});
    }
    const ProbePlan& plan = *planned;
    Measurement& m = out.measurement;
    m.host = plan.host;
    m.path = plan.path;
    m.control_resolver = control_resolver_.has_value();
    m.isp.configured = true;
    m.control.configured = control_source_.has_value();
    if (control_source_) m.control.source = control_source_->to_string();

    std::string isp_text = plan.address;
    std::string control_text = plan.address;
    if (!plan.host.empty()) {
      if (control_resolver_) {
        std::tie(m.isp_dns, m.control_dns) =
            co_await (Resolve(resolver_, plan.host) && Resolve(*control_resolver_, plan.host));
      } else {
        m.isp_dns = co_await Resolve(resolver_, plan.host);
      }
      if (std::optional<Decision> d = DecideDns(m)) co_return Finish(std::move(out), *d);
      isp_text = UsableAddresses(m).front();
      control_text = ControlAddress(m, isp_text);
    }
    ErrorCode ec;
    ErrorCode control_ec;
    const asio::ip::address isp_address = asio::ip::make_address(isp_text, ec);
    const asio::ip::address control_address = asio::ip::make_address(control_text, control_ec);
    if (ec || control_ec) {
      co_return Finish(std::move(out),
                       {Verdict::kInconclusive, "bad address " + isp_text + " / " + control_text});
    }

    Conn isp_conn;
    Conn control_conn;
    m.scheme = plan.scheme;
    std::uint16_t port = plan.port;
    co_await (ConnectPath(m.isp, isp_conn, isp_address, port, std::nullopt) &&
              ConnectPath(m.control, control_conn, control_address, port, control_source_));
    if (plan.http_fallback && m.isp.connect != ConnectStatus::kOk &&
        m.control.connect != ConnectStatus::kOk) {
      m.fallback = "https: the ISP path " + std::string(ConnectStatusName(m.isp.connect));
      if (m.control.configured) {
        m.fallback += ", the control path " + std::string(ConnectStatusName(m.control.connect));
      }
      isp_conn.Abort();
      control_conn.Abort();
      m.scheme = "http";
      port = plan.http_port;
      co_await (ConnectPath(m.isp, isp_conn, isp_address, port, std::nullopt) &&
                ConnectPath(m.control, control_conn, control_address, port, control_source_));
    }
    if (std::optional<Decision> d = DecideConnect(m)) co_return Finish(std::move(out), *d);

    const std::string& name = plan.host;  // empty for an address: no SNI
    if (m.scheme == "https") {
      co_await (HandshakePath(m.isp, isp_conn, name) &&
                HandshakePath(m.control, control_conn, name));
      if (std::optional<Decision> d = DecideTls(m)) co_return Finish(std::move(out), *d);
    }
    Url url;
    url.scheme = m.scheme;
    url.host = plan.host.empty() ? plan.address : plan.host;
    url.port = port;
    url.path = plan.path;
    co_await (HttpPath(m.isp, isp_conn, url, false) &&
              HttpPath(m.control, control_conn, url, true));
    co_return Finish(std::move(out), DecideHttp(m));
  }

  ProbeOptions opt_;
  asio::io_context ioc_{1};
  udp::endpoint resolver_;
  std::optional<udp::endpoint> control_resolver_;
  std::optional<asio::ip::address> control_source_;
  ssl::context tls_{ssl::context::tls_client};
  std::vector<dns::Name> notices_;
  std::mt19937 rng_;
  SystemClock system_clock_;
};

Prober::Prober(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Prober::~Prober() = default;

Result<std::unique_ptr<Prober>> Prober::Create(ProbeOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<Prober>(new Prober(std::move(impl)));
}

Status Prober::Run(const std::vector<Target>& targets,
                   const std::function<void(std::size_t, ProbeResult)>& on_result) {
  return impl_->Run(targets, on_result);
}

}  // namespace interdict::probe
