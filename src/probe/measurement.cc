#include "probe/measurement.h"

#include <array>
#include <boost/json.hpp>
#include <cmath>

namespace interdict::probe {
namespace {

namespace json = boost::json;

constexpr std::array<std::string_view, kVerdictCount> kVerdictNames = {
    "blocked-dns", "blocked-ip", "blocked-sni", "blocked-http",
    "accessible",  "down",       "inconclusive"};

// How much of the measurement the evidence keeps; each level drops more.
struct Detail {
  std::size_t body = kBodyHeadBytes;  // escaped body bytes kept per hop
  bool server = true;                 // Server headers
  bool middle_hops = true;            // hops other than the first and the last
  std::size_t text = 300;             // longest URL, error or location kept
};

double Ms(double ms) {
  return std::round(ms * 10.0) / 10.0;
}

std::string EscapeBytesImpl(std::string_view bytes);

// Text from the network, as printable ASCII (so the JSON is valid UTF-8), cut after n bytes.
json::string Cut(std::string_view s, std::size_t n) {
  if (s.size() <= n) return json::string(EscapeBytesImpl(s));
  return json::string(EscapeBytesImpl(s.substr(0, n)) + "...");
}

json::object DnsJson(const DnsResult& r, const Detail& d) {
  json::object o;
  o["server"] = r.server;
  o["result"] = DnsStatusName(r.status);
  if (!r.rcode.empty()) o["rcode"] = r.rcode;
  if (!r.chain.empty()) {
    json::array chain;
    for (std::size_t i = 0; i < r.chain.size() && i < 8; ++i)
      chain.push_back(Cut(r.chain[i], d.text));
    o["cname"] = std::move(chain);
  }
  if (!r.addresses.empty()) {
    json::array a;
    for (std::size_t i = 0; i < r.addresses.size() && i < 8; ++i) a.emplace_back(r.addresses[i]);
    o["addresses"] = std::move(a);
  }
  if (!r.notice.empty()) o["notice"] = r.notice;
  if (r.tcp) o["tcp"] = true;
  o["ms"] = Ms(r.ms);
  if (!r.error.empty()) o["error"] = Cut(r.error, d.text);
  return o;
}

json::object HopJson(const HttpHop& h, const Detail& d) {
  json::object o;
  o["url"] = Cut(h.url, d.text);
  o["status"] = h.status;
  o["ms"] = Ms(h.ms);
  if (!h.location.empty()) o["location"] = Cut(h.location, d.text);
  if (!h.block.empty()) o["block"] = Cut(h.block, d.text);
  if (d.server && !h.server.empty()) o["server"] = Cut(h.server, 80);
  o["body_bytes"] = h.body_bytes;
  if (d.body > 0 && !h.body_head.empty()) {
    o["body"] = EscapeBytes(h.body_head.substr(0, std::min(d.body, h.body_head.size())));
  }
  return o;
}

json::object PathJson(const PathResult& p, const Detail& d) {
  json::object o;
  if (!p.source.empty()) o["source"] = p.source;
  o["address"] = p.address;
  o["port"] = p.port;
  json::object c{{"result", ConnectStatusName(p.connect)}, {"ms", Ms(p.connect_ms)}};
  if (!p.connect_error.empty()) c["error"] = Cut(p.connect_error, d.text);
  o["connect"] = std::move(c);
  if (p.tls != TlsStatus::kNotTried) {
    json::object t{{"result", TlsStatusName(p.tls)}, {"ms", Ms(p.tls_ms)}};
    if (!p.tls_version.empty()) t["version"] = p.tls_version;
    if (p.tls_alert >= 0) t["alert"] = p.tls_alert;
    if (!p.verify.empty()) t["verify"] = Cut(p.verify, d.text);
    if (!p.tls_error.empty()) t["error"] = Cut(p.tls_error, d.text);
    o["tls"] = std::move(t);
  }
  if (p.http != HttpStatus::kNotTried) {
    json::object h{{"result", HttpStatusName(p.http)}};
    if (!p.http_error.empty()) h["error"] = Cut(p.http_error, d.text);
    json::array hops;
    for (std::size_t i = 0; i < p.hops.size(); ++i) {
      if (!d.middle_hops && i != 0 && i + 1 != p.hops.size()) continue;
      hops.push_back(HopJson(p.hops[i], d));
    }
    if (!hops.empty()) h["hops"] = std::move(hops);
    o["http"] = std::move(h);
  }
  return o;
}

std::string Render(const Measurement& m, std::string_view reason, const Detail& d) {
  json::object o;
  o["reason"] = Cut(reason, std::max<std::size_t>(d.text * 2, 200));
  if (!m.host.empty()) {
    o["host"] = m.host;
    json::object dns{{"isp", DnsJson(m.isp_dns, d)}};
    if (m.control_resolver) dns["control"] = DnsJson(m.control_dns, d);
    o["dns"] = std::move(dns);
  }
  if (m.isp.connect != ConnectStatus::kNotTried) {
    o["scheme"] = m.scheme;
    o["path"] = Cut(m.path, d.text);
    if (!m.fallback.empty()) o["fallback"] = m.fallback;
    o["isp"] = PathJson(m.isp, d);
    if (m.control.configured && m.control.connect != ConnectStatus::kNotTried) {
      o["control"] = PathJson(m.control, d);
    }
  }
  return json::serialize(o);
}

}  // namespace

std::string_view VerdictName(Verdict v) {
  return kVerdictNames[static_cast<std::size_t>(v)];
}

Result<Verdict> ParseVerdict(std::string_view name) {
  for (std::size_t i = 0; i < kVerdictNames.size(); ++i) {
    if (kVerdictNames[i] == name) return static_cast<Verdict>(i);
  }
  return Status::InvalidArgument("unknown verdict \"" + std::string(name.substr(0, 40)) + "\"");
}

std::string_view DnsStatusName(DnsStatus s) {
  switch (s) {
    case DnsStatus::kNotAsked: return "not-asked";
    case DnsStatus::kAddresses: return "addresses";
    case DnsStatus::kNxDomain: return "nxdomain";
    case DnsStatus::kNoData: return "nodata";
    case DnsStatus::kRcode: return "rcode";
    case DnsStatus::kTimeout: return "timeout";
    case DnsStatus::kError: return "error";
  }
  return "?";
}

std::string_view ConnectStatusName(ConnectStatus s) {
  switch (s) {
    case ConnectStatus::kNotTried: return "not-tried";
    case ConnectStatus::kOk: return "ok";
    case ConnectStatus::kRefused: return "refused";
    case ConnectStatus::kTimeout: return "timeout";
    case ConnectStatus::kUnreachable: return "unreachable";
    case ConnectStatus::kError: return "error";
  }
  return "?";
}

std::string_view TlsStatusName(TlsStatus s) {
  switch (s) {
    case TlsStatus::kNotTried: return "not-tried";
    case TlsStatus::kOk: return "ok";
    case TlsStatus::kReset: return "reset";
    case TlsStatus::kTimeout: return "timeout";
    case TlsStatus::kClosed: return "closed";
    case TlsStatus::kAlert: return "alert";
    case TlsStatus::kError: return "error";
  }
  return "?";
}

std::string_view HttpStatusName(HttpStatus s) {
  switch (s) {
    case HttpStatus::kNotTried: return "not-tried";
    case HttpStatus::kResponse: return "response";
    case HttpStatus::kReset: return "reset";
    case HttpStatus::kTimeout: return "timeout";
    case HttpStatus::kClosed: return "closed";
    case HttpStatus::kError: return "error";
  }
  return "?";
}

std::string EscapeBytes(std::string_view bytes) {
  return EscapeBytesImpl(bytes);
}

namespace {

std::string EscapeBytesImpl(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size());
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\\') {
      out += "\\\\";
    } else if (c >= 0x20 && c < 0x7F) {
      out += ch;
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

}  // namespace

std::string EvidenceJson(const Measurement& m, std::string_view reason) {
  const std::array<Detail, 5> levels = {
      Detail{},
      Detail{64, true, true, 300},
      Detail{0, false, true, 200},
      Detail{0, false, false, 120},
      Detail{0, false, false, 40},
  };
  for (const Detail& d : levels) {
    std::string s = Render(m, reason, d);
    if (s.size() <= kMaxEvidenceBytes) return s;
  }
  // Last resort: the reason alone (cut), which always fits.
  json::object o{{"reason", Cut(reason, 1000)}, {"truncated", true}};
  return json::serialize(o);
}

}  // namespace interdict::probe
