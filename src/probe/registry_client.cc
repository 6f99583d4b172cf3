#include "probe/registry_client.h"

#include <openssl/ssl.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <charconv>
#include <chrono>
#include <exception>

// GCC 12 reports asio's coroutine frames as a new/delete mismatch (GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace interdict::probe {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
namespace json = boost::json;
using asio::awaitable;
using asio::ip::tcp;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

constexpr std::chrono::seconds kTimeout{120};
constexpr std::uint64_t kMaxReply = std::uint64_t{1} << 30;  // a feed of millions of targets

std::string Quoted(std::string_view s) {
  return json::serialize(json::string(s));
}

template <typename Stream>
awaitable<Status> Exchange(Stream& stream, beast::tcp_stream& lowest,
                           bhttp::request<bhttp::string_body>& req, RegistryClient::Reply& reply) {
  lowest.expires_after(kTimeout);
  auto [wec, wn] = co_await bhttp::async_write(stream, req, kNoThrow);
  static_cast<void>(wn);
  if (wec) co_return Status::IOError("sending the request: " + wec.message());
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(kMaxReply);
  lowest.expires_after(kTimeout);
  auto [rec, rn] = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
  static_cast<void>(rn);
  if (rec) co_return Status::IOError("reading the answer: " + rec.message());
  reply.status = static_cast<int>(parser.get().result_int());
  reply.body = std::move(parser.get().body());
  co_return Status::Ok();
}

// The registry's error message, when its answer is the API's JSON error.
std::string ErrorText(const RegistryClient::Reply& r) {
  std::string text = "HTTP " + std::to_string(r.status);
  try {
    const json::value v = json::parse(r.body);
    if (const json::object* o = v.if_object()) {
      const json::value* e = o->if_contains("error");
      if (e != nullptr && e->is_object()) o = &e->get_object();
      if (const json::value* m = o->if_contains("message"); m != nullptr && m->is_string()) {
        text += ": " + std::string(m->get_string());
      }
      if (const json::value* f = o->if_contains("field"); f != nullptr && f->is_string()) {
        text += " (" + std::string(f->get_string()) + ")";
      }
      return text;
    }
  } catch (const std::exception&) {
  }
  std::string body = r.body.substr(0, 200);
  for (char& c : body) {
    if (c < 0x20 || c > 0x7E) c = ' ';
  }
  return body.empty() ? text : text + ": " + body;
}

}  // namespace

std::string ResultJson(const ProbeResult& r) {
  return "{\"target\":" + Quoted(r.target.ToString()) +
         ",\"verdict\":" + Quoted(VerdictName(r.verdict)) +
         ",\"measured_at\":" + Quoted(FormatTime(r.measured_at)) +
         ",\"evidence\":" + EvidenceJson(r.measurement, r.reason) + "}";
}

std::string SubmissionJson(const RunHeader& header, std::span<const std::string> results) {
  std::string out = "{\"vantage\":" + Quoted(header.vantage);
  if (header.serial) out += ",\"serial\":" + std::to_string(*header.serial);
  out += ",\"started_at\":" + Quoted(FormatTime(header.started_at));
  out += ",\"finished_at\":" + Quoted(FormatTime(header.finished_at));
  out += ",\"results\":[";
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (i > 0) out += ",\n";
    out += results[i];
  }
  out += "]}";
  return out;
}

Result<RegistryClient> RegistryClient::Create(std::string_view url, std::string token,
                                              std::string ca_file) {
  RegistryClient c;
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("--registry \"" + std::string(url.substr(0, 100)) +
                                   "\": " + std::string(why));
  };
  std::string_view rest;
  if (url.starts_with("https://")) {
    c.tls_ = true;
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return bad("expected http://HOST[:PORT] or https://HOST[:PORT]");
  }
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  c.prefix_ = slash == std::string_view::npos ? std::string() : std::string(rest.substr(slash));
  while (!c.prefix_.empty() && c.prefix_.back() == '/') c.prefix_.pop_back();
  if (c.prefix_.find_first_of("?#") != std::string::npos) return bad("no query or fragment");
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("no closing ']'");
    c.host_ = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return bad("expected :PORT after ']'");
      port = authority.substr(close + 2);
    }
  } else {
    const std::size_t colon = authority.find(':');
    c.host_ = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (c.host_.empty()) return bad("no host");
  c.port_ = c.tls_ ? 443 : 80;
  if (!port.empty()) {
    unsigned n = 0;
    const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (ec != std::errc() || ptr != port.data() + port.size() || n == 0 || n > 65535) {
      return bad("bad port");
    }
    c.port_ = static_cast<std::uint16_t>(n);
  }
  if (token.empty()) return Status::InvalidArgument("--token: empty");
  c.token_ = std::move(token);
  c.ca_file_ = std::move(ca_file);
  return c;
}

Result<RegistryClient::Reply> RegistryClient::Request(std::string_view method,
                                                      std::string_view target, std::string body) {
  asio::io_context ioc;
  Reply reply;
  Status status = Status::Internal("the request did not run");
  bhttp::request<bhttp::string_body> req{method == "POST" ? bhttp::verb::post : bhttp::verb::get,
                                         prefix_ + std::string(target), 11};
  const bool v6 = host_.find(':') != std::string::npos;
  const bool standard = port_ == (tls_ ? 443 : 80);
  req.set(bhttp::field::host,
          (v6 ? "[" + host_ + "]" : host_) + (standard ? "" : ":" + std::to_string(port_)));
  req.set(bhttp::field::authorization, "Bearer " + token_);
  req.set(bhttp::field::user_agent, "interdict-probe/0.1");
  req.set(bhttp::field::accept, "application/json");
  req.set(bhttp::field::connection, "close");
  if (method == "POST") {
    req.set(bhttp::field::content_type, "application/json");
    req.body() = std::move(body);
    req.prepare_payload();
  }
  std::optional<ssl::context> tls;
  if (tls_) {
    tls.emplace(ssl::context::tls_client);
    boost::system::error_code ec;
    tls->set_default_verify_paths(ec);
    if (!ca_file_.empty()) {
      tls->load_verify_file(ca_file_, ec);
      if (ec) return Status::InvalidArgument("--ca-file " + ca_file_ + ": " + ec.message());
    }
    tls->set_verify_mode(ssl::verify_peer);
  }
  auto run = [&]() -> awaitable<void> {
    tcp::resolver resolver(ioc);
    auto [rec, endpoints] = co_await resolver.async_resolve(host_, std::to_string(port_), kNoThrow);
    if (rec) {
      status = Status::IOError("resolving " + host_ + ": " + rec.message());
      co_return;
    }
    beast::tcp_stream tcp_stream(ioc);
    tcp_stream.expires_after(kTimeout);
    auto [cec, ep] = co_await tcp_stream.async_connect(endpoints, kNoThrow);
    static_cast<void>(ep);
    if (cec) {
      status = Status::IOError("connecting to " + host_ + ":" + std::to_string(port_) + ": " +
                               cec.message());
      co_return;
    }
    if (!tls) {
      status = co_await Exchange(tcp_stream, tcp_stream, req, reply);
      co_return;
    }
    ssl::stream<beast::tcp_stream&> stream(tcp_stream, *tls);
    SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(host_.c_str()));
    SSL_set1_host(stream.native_handle(), host_.c_str());
    tcp_stream.expires_after(kTimeout);
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, kNoThrow);
    if (hec) {
      status = Status::IOError("TLS with " + host_ + ": " + hec.message());
      co_return;
    }
    status = co_await Exchange(stream, tcp_stream, req, reply);
  };
  std::exception_ptr failure;
  asio::co_spawn(ioc, run(), [&failure](const std::exception_ptr& e) { failure = e; });
  ioc.run();
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      return Status::IOError(std::string("registry: ") + e.what());
    }
  }
  if (!status.ok()) return status.Prefixed("registry " + host_);
  return reply;
}

Result<TargetList> RegistryClient::FetchIspSnapshot() {
  ASSIGN_OR_RETURN(Reply r, Request("GET", "/feeds/isp/snapshot?format=json", {}));
  if (r.status != 200) {
    return Status::FailedPrecondition("registry: the ISP feed: " + ErrorText(r));
  }
  return ParseFeedSnapshot(r.body);
}

Result<std::int64_t> RegistryClient::SubmitRun(const std::string& body) {
  ASSIGN_OR_RETURN(Reply r, Request("POST", "/v1/audit/runs", body));
  if (r.status != 201 && r.status != 200) {
    return Status::FailedPrecondition("registry refused the results: " + ErrorText(r));
  }
  try {
    const json::value v = json::parse(r.body);
    const json::object* o = v.if_object();
    const json::value* id = o == nullptr ? nullptr : o->if_contains("run_id");
    if (id != nullptr && id->is_int64()) return id->get_int64();
  } catch (const std::exception&) {
  }
  return Status::Corruption("registry: the answer to the submission has no run_id");
}

}  // namespace interdict::probe
