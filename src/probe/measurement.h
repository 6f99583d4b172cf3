// What the compliance probe measures about one target, step by step, and the verdict it draws.
//
// A Measurement is the record of one target's probe: the answers of the ISP resolver and of the
// control resolver, then for each path (the ISP path: the default route; the control path: the
// --control-source uplink) the TCP connect, the TLS handshake with SNI and the HTTP exchange with
// its redirects. Steps that were not run stay kNotTried. The classifier (classify.h) reads only
// this record; the engine (engine.h) fills it; EvidenceJson turns it into the evidence object
// submitted to the registry (at most kMaxEvidenceBytes serialized).
//
// Thread-safety: plain values; distinct objects may be used from distinct threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace interdict::probe {

// The verdicts of docs/probe.md, spelled as the registry stores them.
enum class Verdict : std::uint8_t {
  kBlockedDns = 0,
  kBlockedIp,
  kBlockedSni,
  kBlockedHttp,
  kAccessible,
  kDown,
  kInconclusive,
};
inline constexpr int kVerdictCount = 7;

// "blocked-dns", "blocked-ip", "blocked-sni", "blocked-http", "accessible", "down",
// "inconclusive".
std::string_view VerdictName(Verdict v);
Result<Verdict> ParseVerdict(std::string_view name);

// ---- DNS ------------------------------------------------------------------------------------

enum class DnsStatus : std::uint8_t {
  kNotAsked = 0,  // no resolver of this kind, or the target is an address
  kAddresses,     // NOERROR with at least one A or AAAA at the end of the CNAME chain
  kNxDomain,      // NXDOMAIN
  kNoData,        // NOERROR without an address
  kRcode,         // another response code (SERVFAIL, REFUSED, ...)
  kTimeout,       // no valid answer within the step's timeout
  kError,         // a malformed answer or a socket error
};
std::string_view DnsStatusName(DnsStatus s);

struct DnsResult {
  DnsStatus status = DnsStatus::kNotAsked;
  std::string server;                  // "ADDR:PORT" asked
  std::string rcode;                   // "NOERROR", "NXDOMAIN", ... when an answer came
  std::vector<std::string> chain;      // CNAME targets in order, without the trailing dot
  std::vector<std::string> addresses;  // A answers, then AAAA answers (text)
  std::string notice;                  // the notice host the chain reached, if any
  bool tcp = false;                    // the UDP answer was truncated; this one came over TCP
  double ms = 0;
  std::string error;
};

// ---- Connections ----------------------------------------------------------------------------

enum class ConnectStatus : std::uint8_t {
  kNotTried = 0,
  kOk,
  kRefused,      // RST to the SYN
  kTimeout,      // no answer within the step's timeout
  kUnreachable,  // ICMP host/network unreachable or administratively prohibited
  kError,        // anything else (a local error: the source address cannot be bound, ...)
};
std::string_view ConnectStatusName(ConnectStatus s);

enum class TlsStatus : std::uint8_t {
  kNotTried = 0,
  kOk,
  kReset,    // RST after the ClientHello
  kTimeout,  // silence after the ClientHello
  kClosed,   // the connection closed (FIN) before the handshake completed
  kAlert,    // the peer sent a TLS alert
  kError,    // anything else (not TLS, a protocol error)
};
std::string_view TlsStatusName(TlsStatus s);

enum class HttpStatus : std::uint8_t {
  kNotTried = 0,
  kResponse,  // the chain ended with a response (not a redirect, or the redirect limit reached)
  kReset,     // RST after the request
  kTimeout,   // no response within the step's timeout
  kClosed,    // closed before a complete response header
  kError,     // a malformed response, or a redirect that could not be followed
};
std::string_view HttpStatusName(HttpStatus s);

// One request and its response in a chain of redirects.
struct HttpHop {
  std::string url;
  int status = 0;
  std::string location;        // the Location header of a redirect
  std::string server;          // the Server header
  std::string body_head;       // the first bytes of the body (kBodyHeadBytes at most), raw
  std::size_t body_bytes = 0;  // bytes of body read (up to the engine's body limit)
  double ms = 0;               // from sending the request to the end of the body read
  // Why this response is a block page: "status:451" or the fingerprint it matched. Empty
  // otherwise.
  std::string block;
};

inline constexpr std::size_t kBodyHeadBytes = 256;
inline constexpr int kMaxRedirects = 5;

// One path to the target.
struct PathResult {
  // ISP path: always; control path: when a control source address is configured.
  bool configured = false;
  std::string source;   // the local address bound, empty for the default route
  std::string address;  // the address connected to
  std::uint16_t port = 0;

  ConnectStatus connect = ConnectStatus::kNotTried;
  double connect_ms = 0;
  std::string connect_error;

  TlsStatus tls = TlsStatus::kNotTried;
  double tls_ms = 0;
  std::string tls_error;
  std::string tls_version;  // "TLSv1.3"
  int tls_alert = -1;       // the alert number received, when tls == kAlert
  std::string verify;       // the certificate's verification result ("ok" or OpenSSL's reason)

  HttpStatus http = HttpStatus::kNotTried;
  std::string http_error;
  std::vector<HttpHop> hops;  // requests made, in order (redirects followed)
};

// One target's whole probe.
struct Measurement {
  std::string host;               // the name resolved (empty for an address target)
  bool control_resolver = false;  // a control resolver was configured
  DnsResult isp_dns;
  DnsResult control_dns;

  std::string scheme;  // "https" or "http": the scheme the paths below used
  std::string path;    // the request path ("/" for names and addresses)
  // Why plain http was used for a name: "https: isp timeout, control refused". Empty otherwise.
  std::string fallback;
  PathResult isp;
  PathResult control;
};

// Evidence objects are at most this many bytes serialized (the registry's limit).
inline constexpr std::size_t kMaxEvidenceBytes = 4096;

// The evidence object: every step that ran, with its result, timing, status codes and the
// first bytes of bodies (escaped: printable ASCII kept, other bytes as \xHH), plus `reason`.
// Fields are dropped, least useful first (bodies, then Server headers, then redirect hops),
// until it fits kMaxEvidenceBytes.
std::string EvidenceJson(const Measurement& m, std::string_view reason);

// Bytes as printable ASCII: 0x20..0x7E kept except '\\', which is doubled; others as \xHH.
std::string EscapeBytes(std::string_view bytes);

}  // namespace interdict::probe
