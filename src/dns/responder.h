// The authoritative side of the RPZ transfer server, without sockets: one query in, the
// response message(s) out. Answers SOA and NS at each zone's apex, the CNAME of each trigger,
// NXDOMAIN below the apex otherwise, AXFR (RFC 5936) and IXFR (RFC 1995) over TCP, and refuses
// names outside its zones. Transfers are allowed by source network and, when configured, only
// with a valid TSIG signature (RFC 8945, HMAC-SHA256); signed queries get signed answers.
//
// Every byte of a query is untrusted: a query that does not parse gets FORMERR when its header
// can be read, and nothing otherwise.
//
// Thread-safety: Handle may be called from several threads at once if the ZoneTable allows it;
// a Transfer is used by one thread.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "dns/rpz_zone.h"
#include "dns/tsig.h"
#include "dns/wire.h"

namespace interdict::dns {

// An address (IPv4 as IPv4-mapped IPv6) and a network of them.
struct Address {
  std::array<std::uint8_t, 16> bytes{};
  static Result<Address> Parse(std::string_view text);  // "127.0.0.1", "::1"
  std::string ToString() const;
};
struct Network {
  Address base;
  int prefix = 128;                                     // over the 128-bit form
  static Result<Network> Parse(std::string_view text);  // "127.0.0.0/8", "::1", "10.0.0.1"
  bool Contains(const Address& a) const;
};

struct TransferPolicy {
  std::vector<Network> allow;  // sources allowed to transfer; empty: none
  TsigKeyRing keys;            // keys that may sign queries
  bool require_tsig = false;   // transfers must carry a valid signature by one of `keys`
};

// What the responder serves: the current version of each zone, and the change of a zone since
// an older serial (for IXFR).
class ZoneTable {
 public:
  virtual ~ZoneTable() = default;
  // The zone whose origin is `name` or an ancestor of it (the closest), or null.
  virtual std::shared_ptr<const RpzZone> Find(const Name& name) const = 0;
  // The owners removed and added between registry serial `from` and zone.registry_serial().
  virtual Result<feed::RpzOwnerDelta> Changes(const RpzZone& zone, Serial from) = 0;
};

// The response to a zone transfer, one TCP message at a time.
class Transfer {
 public:
  virtual ~Transfer() = default;
  // The next message; false when the transfer is complete.
  virtual bool Next(std::vector<std::uint8_t>* message) = 0;
  // Records sent so far.
  virtual std::size_t records() const = 0;
};

struct Reply {
  std::vector<std::uint8_t> message;  // the single response (empty with `stream` or `drop`)
  std::unique_ptr<Transfer> stream;   // AXFR / IXFR over TCP
  bool drop = false;                  // send nothing
};

class Responder {
 public:
  // `now` gives Unix seconds for TSIG time checks.
  Responder(ZoneTable& zones, TransferPolicy policy, std::function<std::int64_t()> now);

  Reply Handle(std::span<const std::uint8_t> query, const Address& peer, bool tcp);

 private:
  ZoneTable& zones_;
  TransferPolicy policy_;
  std::function<std::int64_t()> now_;
};

}  // namespace interdict::dns
