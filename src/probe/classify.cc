#include "probe/classify.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

namespace interdict::probe {
namespace {

Decision Make(Verdict v, std::string reason) {
  return Decision{v, std::move(reason)};
}

bool Failed(DnsStatus s) {
  return s == DnsStatus::kRcode || s == DnsStatus::kTimeout || s == DnsStatus::kError ||
         s == DnsStatus::kNotAsked;
}

std::string Join(const std::vector<std::string>& items, std::size_t max_items = 4) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < max_items; ++i) {
    if (i > 0) out += ", ";
    out += items[i];
  }
  if (items.size() > max_items) out += ", ...";
  return out;
}

// "NXDOMAIN", "NODATA", "SERVFAIL", "timeout", "addresses 0.0.0.0", "a CNAME to notice.test".
std::string DescribeDns(const DnsResult& r) {
  if (!r.notice.empty()) return "a CNAME chain to the notice host " + r.notice;
  switch (r.status) {
    case DnsStatus::kNotAsked: return "not asked";
    case DnsStatus::kAddresses: return "addresses " + Join(r.addresses);
    case DnsStatus::kNxDomain: return "NXDOMAIN";
    case DnsStatus::kNoData: return "NODATA";
    case DnsStatus::kRcode: return r.rcode.empty() ? std::string("an error code") : r.rcode;
    case DnsStatus::kTimeout: return "no answer (timeout)";
    case DnsStatus::kError: return "an error (" + r.error + ")";
  }
  return "?";
}

std::string Endpoint(const PathResult& p) {
  if (p.address.find(':') != std::string::npos) {
    return "[" + p.address + "]:" + std::to_string(p.port);
  }
  return p.address + ":" + std::to_string(p.port);
}

std::string DescribeConnect(const PathResult& p) {
  std::string s = "connect to " + Endpoint(p) + ": ";
  s += ConnectStatusName(p.connect);
  if (p.connect == ConnectStatus::kError && !p.connect_error.empty())
    s += " (" + p.connect_error + ")";
  return s;
}

std::string DescribeTls(const PathResult& p) {
  std::string s = "TLS handshake with " + Endpoint(p) + ": ";
  s += TlsStatusName(p.tls);
  if (p.tls == TlsStatus::kAlert && p.tls_alert >= 0) s += " " + std::to_string(p.tls_alert);
  if (p.tls == TlsStatus::kError && !p.tls_error.empty()) s += " (" + p.tls_error + ")";
  return s;
}

std::string DescribeHttp(const PathResult& p) {
  std::string s = "HTTP: ";
  s += HttpStatusName(p.http);
  if (!p.hops.empty()) s += " after " + std::to_string(p.hops.size()) + " response(s)";
  if (!p.http_error.empty()) s += " (" + p.http_error + ")";
  return s;
}

bool Interfered(ConnectStatus s) {
  return s == ConnectStatus::kRefused || s == ConnectStatus::kTimeout ||
         s == ConnectStatus::kUnreachable;
}

bool Interfered(TlsStatus s) {
  return s == TlsStatus::kReset || s == TlsStatus::kTimeout || s == TlsStatus::kClosed;
}

const HttpHop* BlockHop(const PathResult& p) {
  for (const HttpHop& h : p.hops) {
    if (!h.block.empty()) return &h;
  }
  return nullptr;
}

struct Net {
  std::array<std::uint8_t, 16> prefix;
  int bits;
};

bool InNet(const std::array<std::uint8_t, 16>& a, const Net& n) {
  int bits = n.bits;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const auto mask = static_cast<std::uint8_t>(bits >= 8 ? 0xFF : (0xFF << (8 - bits)) & 0xFF);
    if ((a[i] & mask) != (n.prefix[i] & mask)) return false;
  }
  return true;
}

constexpr Net V4(std::uint8_t a, std::uint8_t b, std::uint8_t c, int bits) {
  return Net{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, a, b, c, 0}, 96 + bits};
}

constexpr std::array<Net, 21> kBogons = {
    V4(0, 0, 0, 8),
    V4(10, 0, 0, 8),
    V4(100, 64, 0, 10),
    V4(127, 0, 0, 8),
    V4(169, 254, 0, 16),
    V4(172, 16, 0, 12),
    V4(192, 0, 0, 24),
    V4(192, 0, 2, 24),
    V4(192, 168, 0, 16),
    V4(198, 18, 0, 15),
    V4(198, 51, 100, 24),
    V4(203, 0, 113, 24),
    V4(224, 0, 0, 4),
    V4(240, 0, 0, 4),
    Net{{}, 128},                                                // ::
    Net{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128},  // ::1
    Net{{0x01, 0, 0, 0, 0, 0, 0, 0}, 64},                        // 100::/64
    Net{{0x20, 0x01, 0x0d, 0xb8}, 32},                           // 2001:db8::/32
    Net{{0xfc}, 7},                                              // fc00::/7
    Net{{0xfe, 0x80}, 10},                                       // fe80::/10
    Net{{0xff}, 8},                                              // ff00::/8
};

}  // namespace

bool IsBogon(std::string_view address) {
  if (address.size() >= INET6_ADDRSTRLEN) return true;
  char text[INET6_ADDRSTRLEN] = {};
  std::memcpy(text, address.data(), address.size());
  std::array<std::uint8_t, 16> a{};
  if (inet_pton(AF_INET, text, a.data() + 12) == 1) {
    a[10] = 0xFF;
    a[11] = 0xFF;
  } else if (inet_pton(AF_INET6, text, a.data()) != 1) {
    return true;
  }
  return std::any_of(kBogons.begin(), kBogons.end(), [&](const Net& n) { return InNet(a, n); });
}

std::vector<std::string> UsableAddresses(const Measurement& m) {
  std::vector<std::string> v4;
  std::vector<std::string> v6;
  const std::vector<std::string>& control = m.control_dns.addresses;
  for (const std::string& a : m.isp_dns.addresses) {
    const bool shared = m.control_resolver && m.control_dns.notice.empty() &&
                        std::find(control.begin(), control.end(), a) != control.end();
    if (IsBogon(a) && !shared) continue;
    (a.find(':') == std::string::npos ? v4 : v6).push_back(a);
  }
  v4.insert(v4.end(), v6.begin(), v6.end());
  return v4;
}

std::optional<Decision> DecideDns(const Measurement& m) {
  if (m.host.empty()) return std::nullopt;  // an address: nothing to resolve
  const DnsResult& isp = m.isp_dns;
  const DnsResult& ctl = m.control_dns;
  const bool has_ctl = m.control_resolver;
  const std::string isp_text = "the ISP resolver answers " + DescribeDns(isp);
  const std::string ctl_text = "the control resolver answers " + DescribeDns(ctl);

  if (has_ctl && !ctl.notice.empty()) {
    return Make(Verdict::kInconclusive, ctl_text + ": it is filtered too");
  }
  const bool ctl_absent =
      has_ctl && (ctl.status == DnsStatus::kNxDomain || ctl.status == DnsStatus::kNoData);
  const bool ctl_answers = has_ctl && ctl.status == DnsStatus::kAddresses;
  const std::vector<std::string> usable = UsableAddresses(m);
  const bool isp_answers =
      isp.status == DnsStatus::kAddresses && isp.notice.empty() && !usable.empty();

  if (ctl_absent) {
    if (isp_answers) return Make(Verdict::kInconclusive, isp_text + " but " + ctl_text);
    return Make(Verdict::kDown, ctl_text + " (and " + isp_text + ")");
  }
  if (!isp.notice.empty()) return Make(Verdict::kBlockedDns, isp_text);
  if (Failed(isp.status)) return Make(Verdict::kInconclusive, isp_text);

  const char* missing = !has_ctl ? ": no control resolver to compare with" : nullptr;
  if (isp.status == DnsStatus::kNxDomain || isp.status == DnsStatus::kNoData) {
    if (ctl_answers) return Make(Verdict::kBlockedDns, isp_text + " while " + ctl_text);
    return Make(Verdict::kInconclusive, isp_text + (missing ? missing : "; " + ctl_text));
  }
  if (usable.empty()) {  // only bogons the control does not give
    if (ctl_answers) {
      return Make(Verdict::kBlockedDns, isp_text + " (bogons) while " + ctl_text);
    }
    return Make(Verdict::kInconclusive,
                isp_text + " (bogons)" + (missing ? missing : "; " + ctl_text));
  }
  return std::nullopt;
}

std::optional<Decision> DecideConnect(const Measurement& m) {
  const PathResult& isp = m.isp;
  const PathResult& ctl = m.control;
  if (isp.connect == ConnectStatus::kOk) return std::nullopt;
  if (isp.connect == ConnectStatus::kNotTried) {
    return Make(Verdict::kInconclusive, "the ISP path was not measured");
  }
  const std::string isp_text = "the ISP path: " + DescribeConnect(isp);
  if (!ctl.configured) {
    return Make(Verdict::kInconclusive,
                isp_text + "; no control path (--control-source) to compare with");
  }
  const std::string ctl_text = "the control path: " + DescribeConnect(ctl);
  if (ctl.connect == ConnectStatus::kOk) {
    if (Interfered(isp.connect)) return Make(Verdict::kBlockedIp, isp_text + " while " + ctl_text);
    return Make(Verdict::kInconclusive, isp_text + " while " + ctl_text);
  }
  if (Interfered(ctl.connect) && Interfered(isp.connect)) {
    return Make(Verdict::kDown, isp_text + " and " + ctl_text);
  }
  return Make(Verdict::kInconclusive, isp_text + "; " + ctl_text);
}

std::optional<Decision> DecideTls(const Measurement& m) {
  const PathResult& isp = m.isp;
  const PathResult& ctl = m.control;
  if (m.scheme != "https" || isp.tls == TlsStatus::kOk) return std::nullopt;
  if (isp.tls == TlsStatus::kNotTried) {
    return Make(Verdict::kInconclusive, "the TLS handshake was not measured");
  }
  const std::string isp_text = "the ISP path: " + DescribeTls(isp);
  if (!ctl.configured) {
    return Make(Verdict::kInconclusive,
                isp_text + "; no control path (--control-source) to compare with");
  }
  if (ctl.connect != ConnectStatus::kOk) {
    return Make(Verdict::kInconclusive, isp_text + "; the control path: " + DescribeConnect(ctl));
  }
  const std::string ctl_text = "the control path: " + DescribeTls(ctl);
  if (ctl.tls == TlsStatus::kOk) {
    if (Interfered(isp.tls)) return Make(Verdict::kBlockedSni, isp_text + " while " + ctl_text);
    return Make(Verdict::kInconclusive, isp_text + " while " + ctl_text);
  }
  if (ctl.tls == TlsStatus::kNotTried) return Make(Verdict::kInconclusive, isp_text);
  return Make(Verdict::kDown, isp_text + " and " + ctl_text);
}

Decision DecideHttp(const Measurement& m) {
  const PathResult& isp = m.isp;
  const PathResult& ctl = m.control;
  if (const HttpHop* hop = BlockHop(isp); hop != nullptr) {
    const std::string isp_text =
        "the ISP path gets a block page (" + hop->block + ") from " + hop->url;
    if (const HttpHop* c = BlockHop(ctl); c != nullptr) {
      return Make(Verdict::kInconclusive,
                  isp_text + ", and so does the control path (" + c->block + ")");
    }
    return Make(Verdict::kBlockedHttp, isp_text);
  }
  if (isp.http == HttpStatus::kResponse && !isp.hops.empty()) {
    const HttpHop& last = isp.hops.back();
    const std::string isp_text =
        "the ISP path gets HTTP " + std::to_string(last.status) + " from " + last.url;
    if (ctl.configured && ctl.http == HttpStatus::kResponse && !ctl.hops.empty() &&
        ctl.hops.back().status != last.status) {
      return Make(Verdict::kInconclusive, isp_text + " where the control path gets HTTP " +
                                              std::to_string(ctl.hops.back().status));
    }
    return Make(Verdict::kAccessible, isp_text + " (the origin's answer)");
  }
  if (isp.http == HttpStatus::kNotTried) {
    return Make(Verdict::kInconclusive, "the HTTP exchange was not measured");
  }
  const std::string isp_text = "the ISP path: " + DescribeHttp(isp);
  if (!ctl.configured || ctl.http == HttpStatus::kNotTried) {
    return Make(Verdict::kInconclusive, isp_text + "; no control answer to compare with");
  }
  if (ctl.http == HttpStatus::kResponse) {
    return Make(Verdict::kInconclusive, isp_text + " while the control path gets an answer");
  }
  if (!isp.hops.empty()) {
    return Make(Verdict::kAccessible,
                isp_text +
                    ": the origin answered, and its redirect fails from the control "
                    "path too (" +
                    DescribeHttp(ctl) + ")");
  }
  return Make(Verdict::kDown, isp_text + " and the control path: " + DescribeHttp(ctl));
}

Decision Classify(const Measurement& m) {
  if (std::optional<Decision> d = DecideDns(m)) return *std::move(d);
  if (std::optional<Decision> d = DecideConnect(m)) return *std::move(d);
  if (std::optional<Decision> d = DecideTls(m)) return *std::move(d);
  return DecideHttp(m);
}

}  // namespace interdict::probe
