// The RPZ zone-transfer server inside `interdict serve`: authoritative for one Response Policy
// Zone per view, over UDP and TCP on one address and port. It follows the registry (polling its
// serial, so changes made by other processes are seen within the poll interval), moves each
// zone forward by replaying the in-force log, and sends NOTIFY (RFC 1996) to the configured
// secondaries on every new serial, retrying until they acknowledge. Queries are answered by
// Responder (SOA, AXFR, IXFR, TSIG, transfer ACL).
//
// Threads: one network thread (Boost.Asio, coroutines) and one thread that follows the
// registry; zone versions pass between them as shared_ptr<const RpzZone> under a mutex held
// only to swap them.
//
// Thread-safety: Start and Stop from one thread; port() and counters from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "dns/responder.h"
#include "dns/rpz_zone.h"
#include "dns/tsig.h"
#include "registry/registry.h"

namespace interdict::dns {

struct DnsServerOptions {
  std::string listen = "127.0.0.1:5300";  // ADDR:PORT or [ADDR6]:PORT; port 0 picks a free one
  std::vector<RpzZoneSettings> zones;     // at least one; origins must differ
  TransferPolicy policy;                  // who may transfer
  std::vector<std::string> notify;        // ADDR:PORT of secondaries to NOTIFY
  std::optional<TsigKey> notify_key;      // signs NOTIFY messages when set
  std::chrono::milliseconds poll{50};     // how often the registry's serial is read
  std::size_t max_tcp_connections = 64;
  std::chrono::seconds tcp_idle{30};
  // Receives one line per event (serial change, transfer, NOTIFY, error). May be empty.
  std::function<void(std::string_view)> log;
};

class DnsServer {
 public:
  DnsServer(Registry& registry, DnsServerOptions options);
  ~DnsServer();
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  // Loads every zone at the registry's serial, binds UDP and TCP, and starts the threads.
  Status Start();
  // Stops the threads and closes the sockets. Idempotent.
  void Stop();

  std::uint16_t port() const { return port_.load(); }
  // The registry serial of the zones now served (the same for every zone).
  Serial serial() const { return serial_.load(); }

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<std::uint16_t> port_{0};
  std::atomic<Serial> serial_{0};
};

// Splits "ADDR:PORT" / "[ADDR6]:PORT" into an address and a port.
Result<std::pair<std::string, std::uint16_t>> SplitHostPort(std::string_view text);

}  // namespace interdict::dns
