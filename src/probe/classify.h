// The probe's classifier: a pure function from a Measurement (measurement.h) to a verdict and
// the reason for it. docs/probe.md states every rule; the short version:
//
//   DNS      the ISP resolver answers NXDOMAIN, NODATA, a CNAME chain through a notice host, or
//            only bogon addresses not among the control's answers, while the control resolver
//            has addresses → blocked-dns. The control has none (NXDOMAIN, NODATA) → down.
//   connect  the ISP path is refused, times out or is unreachable while the control path
//            connects → blocked-ip; both fail → down; no control path → inconclusive.
//   TLS      reset, silence or a close after the ClientHello on the ISP path while the control
//            path completes the handshake → blocked-sni; both fail → down.
//   HTTP     451 or a block-page fingerprint on the ISP path (and not on the control path) →
//            blocked-http; the origin's answer (any status, the same as the control's when
//            there is one) → accessible.
//   anything else → inconclusive. A blocked-* verdict always rests on a control measurement
//   that succeeded, except a CNAME to a notice host and an HTTP 451 or fingerprint, which name
//   the block themselves.
//
// The engine calls the stage functions after each step to stop measuring once the verdict is
// known; Classify applies them in order.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "probe/measurement.h"

namespace interdict::probe {

struct Decision {
  Verdict verdict = Verdict::kInconclusive;
  std::string reason;
};

// Each stage decides from the steps up to it, or returns nothing when the next step is needed.
std::optional<Decision> DecideDns(const Measurement& m);
std::optional<Decision> DecideConnect(const Measurement& m);
std::optional<Decision> DecideTls(const Measurement& m);
Decision DecideHttp(const Measurement& m);

// The verdict of a whole measurement.
Decision Classify(const Measurement& m);

// Whether the text address is a bogon: 0.0.0.0/8, 10/8, 100.64/10, 127/8, 169.254/16,
// 172.16/12, 192.0.0/24, 192.0.2/24, 192.168/16, 198.18/15, 198.51.100/24, 203.0.113/24,
// 224/4, 240/4; ::, ::1, IPv4-mapped bogons, 100::/64, 2001:db8::/32, fc00::/7, fe80::/10,
// ff00::/8. Text that is not an address counts as a bogon.
bool IsBogon(std::string_view address);

// The addresses of the ISP answer that may be connected to: not bogons, or bogons that the
// control resolver gave too. IPv4 first.
std::vector<std::string> UsableAddresses(const Measurement& m);

}  // namespace interdict::probe
