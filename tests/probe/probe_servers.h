// Local servers for the probe's engine tests, on 127.0.0.0/8 only, one Asio thread:
//
//  - DnsServer: a UDP and TCP responder on 127.0.0.1, port 0, answering from a table per name:
//    addresses, NXDOMAIN, NODATA, SERVFAIL, a CNAME (with the target's addresses), a truncated
//    UDP answer (the full one over TCP), or no answer at all.
//  - Origin: an HTTP and an HTTPS listener on one address (self-signed certificate made with
//    the OpenSSL API). Sites are chosen by Host (and SNI); a peer other than the control source
//    (127.0.0.3) is "the ISP path" and can be sent a 451, a block page, a reset or silence after
//    its ClientHello, as a filtering ISP would. A listener may drop SYNs from 127.0.0.1 with a
//    BPF socket filter (an IP block on the ISP path only, without root).
#pragma once

#include <linux/filter.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "dns/wire.h"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace interdict::probe::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using asio::awaitable;
using asio::ip::tcp;
using asio::ip::udp;
inline constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

inline constexpr const char* kControlSource = "127.0.0.3";

// One io_context on its own thread; servers are created before Start.
class Loop {
 public:
  Loop() = default;
  ~Loop() { Stop(); }
  asio::io_context& ioc() { return ioc_; }
  void Start() {
    thread_ = std::thread([this] { ioc_.run(); });
  }
  void Stop() {
    work_.reset();
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  asio::io_context ioc_{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      asio::make_work_guard(ioc_)};
  std::thread thread_;
};

struct DnsEntry {
  enum class Kind { kAddresses, kNxDomain, kNoData, kServFail, kCname, kTruncate, kDrop };
  Kind kind = Kind::kAddresses;
  std::vector<std::string> addresses;  // kAddresses, kCname (the target's), kTruncate (over TCP)
  std::string cname;                   // kCname
};

class DnsServer {
 public:
  DnsServer(asio::io_context& ioc, std::map<std::string, DnsEntry> table)
      : table_(std::move(table)),
        udp_(ioc, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        tcp_(ioc) {
    const std::uint16_t port = udp_.local_endpoint().port();
    const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    tcp_.open(ep.protocol());
    tcp_.set_option(tcp::acceptor::reuse_address(true));
    tcp_.bind(ep);
    tcp_.listen();
    asio::co_spawn(ioc, ServeUdp(), asio::detached);
    asio::co_spawn(ioc, ServeTcp(), asio::detached);
  }
  std::uint16_t port() const { return udp_.local_endpoint().port(); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port()); }
  int queries() const { return queries_.load(); }

 private:
  std::optional<std::vector<std::uint8_t>> Answer(std::span<const std::uint8_t> bytes, bool tcp) {
    Result<dns::Message> q = dns::ParseMessage(bytes);
    if (!q.ok() || q->question.size() != 1) return std::nullopt;
    ++queries_;
    const dns::Question& question = q->question[0];
    std::string name = question.name.Lowercase().ToText();
    if (!name.empty() && name.back() == '.') name.pop_back();
    dns::MessageWriter w(tcp ? dns::kMaxMessageSize : 1232);
    w.header().id = q->header.id;
    w.header().qr = true;
    w.header().rd = q->header.rd;
    w.header().ra = true;
    const auto it = table_.find(name);
    if (it == table_.end()) {
      w.header().rcode = dns::kRcodeNxDomain;
      w.AddQuestion(question);
      return w.Finish();
    }
    const DnsEntry& e = it->second;
    if (e.kind == DnsEntry::Kind::kDrop) return std::nullopt;
    w.AddQuestion(question);
    switch (e.kind) {
      case DnsEntry::Kind::kNxDomain: w.header().rcode = dns::kRcodeNxDomain; break;
      case DnsEntry::Kind::kServFail: w.header().rcode = dns::kRcodeServFail; break;
      case DnsEntry::Kind::kNoData: break;
      case DnsEntry::Kind::kTruncate:
        if (!tcp) {
          w.header().tc = true;
          break;
        }
        AddAddresses(w, question.name, question.type, e.addresses);
        break;
      case DnsEntry::Kind::kCname: {
        const dns::Name target = *dns::Name::FromText(e.cname);
        w.AddRecord(dns::Section::kAnswer, {question.name, dns::kTypeCNAME, dns::kClassIN, 60,
                                            dns::Rdata::EncodeCname(target)});
        AddAddresses(w, target, question.type, e.addresses);
        break;
      }
      case DnsEntry::Kind::kAddresses:
        AddAddresses(w, question.name, question.type, e.addresses);
        break;
      case DnsEntry::Kind::kDrop: break;
    }
    return w.Finish();
  }

  static void AddAddresses(dns::MessageWriter& w, const dns::Name& owner, std::uint16_t type,
                           const std::vector<std::string>& addresses) {
    for (const std::string& a : addresses) {
      const bool v6 = a.find(':') != std::string::npos;
      if (type == dns::kTypeA && !v6) {
        w.AddRecord(dns::Section::kAnswer,
                    {owner, dns::kTypeA, dns::kClassIN, 60, *dns::Rdata::EncodeA(a)});
      } else if (type == dns::kTypeAAAA && v6) {
        w.AddRecord(dns::Section::kAnswer,
                    {owner, dns::kTypeAAAA, dns::kClassIN, 60, *dns::Rdata::EncodeAaaa(a)});
      }
    }
  }

  awaitable<void> ServeUdp() {
    std::vector<std::uint8_t> buf(4096);
    for (;;) {
      udp::endpoint from;
      auto [ec, n] = co_await udp_.async_receive_from(asio::buffer(buf), from, kNoThrow);
      if (ec == asio::error::operation_aborted) co_return;
      if (ec) continue;
      if (auto answer = Answer(std::span<const std::uint8_t>(buf.data(), n), false)) {
        co_await udp_.async_send_to(asio::buffer(*answer), from, kNoThrow);
      }
    }
  }

  awaitable<void> ServeTcp() {
    for (;;) {
      auto [ec, socket] = co_await tcp_.async_accept(kNoThrow);
      if (ec == asio::error::operation_aborted) co_return;
      if (ec) continue;
      asio::co_spawn(tcp_.get_executor(), TcpSession(std::move(socket)), asio::detached);
    }
  }

  awaitable<void> TcpSession(tcp::socket s) {
    std::array<std::uint8_t, 2> prefix{};
    auto [ec, n] = co_await asio::async_read(s, asio::buffer(prefix), kNoThrow);
    if (ec) co_return;
    std::vector<std::uint8_t> query((std::size_t{prefix[0]} << 8) | prefix[1]);
    auto [ec2, n2] = co_await asio::async_read(s, asio::buffer(query), kNoThrow);
    if (ec2) co_return;
    if (auto answer = Answer(query, true)) {
      std::vector<std::uint8_t> frame;
      static_cast<void>(dns::AppendTcpFrame(*answer, &frame));
      co_await asio::async_write(s, asio::buffer(frame), kNoThrow);
    }
  }

  std::map<std::string, DnsEntry> table_;
  udp::socket udp_;
  tcp::acceptor tcp_;
  std::atomic<int> queries_{0};
};

// A self-signed certificate and key for "*.test" (PEM), made with the OpenSSL API.
struct TestCert {
  std::string cert_pem;
  std::string key_pem;
};

inline TestCert MakeCert() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) throw std::runtime_error("EVP_EC_gen");
  X509* x = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("probe-test"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509_sign(x, key, EVP_sha256());
  TestCert out;
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, x);
  char* data = nullptr;
  long len = BIO_get_mem_data(b, &data);
  out.cert_pem.assign(data, static_cast<std::size_t>(len));
  BIO_free(b);
  b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr);
  len = BIO_get_mem_data(b, &data);
  out.key_pem.assign(data, static_cast<std::size_t>(len));
  BIO_free(b);
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

// Drops every packet from 127.0.0.1 to this socket (a listener: its SYNs never get an answer).
inline void DropFromIspSource(int fd) {
  static sock_filter code[] = {
      {BPF_LD | BPF_W | BPF_ABS, 0, 0, static_cast<__u32>(SKF_NET_OFF + 12)},
      {BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0x7f000001},
      {BPF_RET | BPF_K, 0, 0, 0},
      {BPF_RET | BPF_K, 0, 0, 0xffffffff},
  };
  sock_fprog prog{4, code};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0) {
    throw std::runtime_error("SO_ATTACH_FILTER");
  }
}

// The sites (by Host, without port) and what each path gets:
//   ok.test, *.ok.test   200 "hello from the origin"
//   notfound.test        404
//   451.test             ISP path: 451; control: 200
//   blockpage.test       ISP path: 200 with "Access restricted by order"; control: 200 origin
//   redirect.test        / → 302 /a → 301 /b → 200
//   loop.test            always 302 to the next /N
//   sni-reset.test       (TLS) ISP path: RST after the ClientHello
//   sni-silent.test      (TLS) ISP path: silence after the ClientHello
class Origin {
 public:
  // `https_port`/`http_port` 0: a free port (the first origin's ports are then reused by the
  // others, so one probe run with one --http-port/--https-port reaches them all).
  Origin(asio::io_context& ioc, const std::string& address, std::uint16_t http_port,
         std::uint16_t https_port, const TestCert& cert, bool serve_http, bool serve_https,
         bool drop_isp = false)
      : tls_(ssl::context::tls_server), http_(ioc), https_(ioc) {
    tls_.use_certificate_chain(asio::buffer(cert.cert_pem));
    tls_.use_private_key(asio::buffer(cert.key_pem), ssl::context::pem);
    const auto addr = asio::ip::make_address(address);
    if (serve_http) Listen(http_, tcp::endpoint(addr, http_port), drop_isp);
    if (serve_https) Listen(https_, tcp::endpoint(addr, https_port), drop_isp);
    if (serve_http) asio::co_spawn(ioc, Accept(http_, false), asio::detached);
    if (serve_https) asio::co_spawn(ioc, Accept(https_, true), asio::detached);
  }
  std::uint16_t http_port() const { return http_.local_endpoint().port(); }
  std::uint16_t https_port() const { return https_.local_endpoint().port(); }

 private:
  static void Listen(tcp::acceptor& a, const tcp::endpoint& ep, bool drop_isp) {
    a.open(ep.protocol());
    a.set_option(tcp::acceptor::reuse_address(true));
    if (drop_isp) DropFromIspSource(a.native_handle());
    a.bind(ep);
    a.listen(1024);
  }

  awaitable<void> Accept(tcp::acceptor& a, bool tls) {
    for (;;) {
      auto [ec, socket] = co_await a.async_accept(kNoThrow);
      if (ec == asio::error::operation_aborted) co_return;
      if (ec) continue;
      asio::co_spawn(a.get_executor(), Session(std::move(socket), tls), asio::detached);
    }
  }

  static bool IsControl(const tcp::socket& s) {
    boost::system::error_code ec;
    return s.remote_endpoint(ec).address().to_string() == kControlSource;
  }

  static void Reset(tcp::socket& s) {
    boost::system::error_code ec;
    s.set_option(asio::socket_base::linger(true, 0), ec);
    s.close(ec);
  }

  awaitable<void> Session(tcp::socket s, bool tls) {
    const bool control = IsControl(s);
    if (!tls) {
      beast::tcp_stream stream(std::move(s));
      co_await Serve(stream, control);
      co_return;
    }
    // What an SNI filter sees: the ClientHello in clear, peeked before the handshake.
    std::array<char, 4096> hello{};
    asio::steady_timer wait(s.get_executor());
    std::size_t n = 0;
    boost::system::error_code nb;
    s.non_blocking(true, nb);
    for (int tries = 0; tries < 50 && n < 5; ++tries) {
      auto [wec] = co_await s.async_wait(tcp::socket::wait_read, kNoThrow);
      if (wec) co_return;
      boost::system::error_code ec;
      n = s.receive(asio::buffer(hello), asio::socket_base::message_peek, ec);
      if (ec && ec != asio::error::would_block) co_return;
      if (n == 0 && !ec) co_return;  // closed
      if (n < 5) {
        wait.expires_after(std::chrono::milliseconds(10));
        co_await wait.async_wait(kNoThrow);
      }
    }
    const std::string_view peeked(hello.data(), n);
    if (!control && peeked.find("sni-reset.test") != std::string_view::npos) {
      Reset(s);
      co_return;
    }
    if (!control && peeked.find("sni-silent.test") != std::string_view::npos) {
      std::array<char, 4096> sink{};
      while (true) {  // read and never answer, until the client gives up
        auto [ec, got] = co_await s.async_read_some(asio::buffer(sink), kNoThrow);
        if (ec) co_return;
      }
    }
    ssl::stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(s)), tls_);
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::server, kNoThrow);
    if (hec) co_return;
    co_await Serve(stream, control);
  }

  template <typename Stream>
  awaitable<void> Serve(Stream& stream, bool control) {
    beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> req;
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
    auto [ec, n] = co_await bhttp::async_read(stream, buffer, req, kNoThrow);
    if (ec) co_return;
    std::string host(req[bhttp::field::host]);
    host = host.substr(0, host.find(':'));
    const std::string target(req.target());
    bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
    res.set(bhttp::field::server, "probe-test-origin");
    res.set(bhttp::field::content_type, "text/html");
    res.body() = "<html><body>hello from the origin " + host + "</body></html>";
    if (host == "notfound.test") {
      res.result(bhttp::status::not_found);
      res.body() = "not here";
    } else if (host == "451.test" && !control) {
      res.result(bhttp::status::unavailable_for_legal_reasons);
      res.body() = "blocked by order 12";
    } else if (host == "blockpage.test" && !control) {
      res.body() = "<html><title>Notice</title><h1>Access restricted by order</h1></html>";
    } else if (host == "redirect.test" && target == "/") {
      res.result(bhttp::status::found);
      res.set(bhttp::field::location, "/a");
    } else if (host == "redirect.test" && target == "/a") {
      res.result(bhttp::status::moved_permanently);
      res.set(bhttp::field::location, "http://redirect.test/b");
    } else if (host == "loop.test") {
      res.result(bhttp::status::found);
      res.set(bhttp::field::location, "/" + std::to_string(target.size()));
    }
    res.prepare_payload();
    res.keep_alive(false);
    co_await bhttp::async_write(stream, res, kNoThrow);
    boost::system::error_code ignored;
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  ssl::context tls_;
  tcp::acceptor http_;
  tcp::acceptor https_;
};

}  // namespace interdict::probe::testing
