// The probe's measuring engine: for each target, DNS through the ISP resolver and the control
// resolver, then TCP connect, the TLS handshake with SNI and HTTP GET (redirects followed) on the
// ISP path and on the control path, classified by classify.h.
//
// One thread, Boost.Asio with C++20 coroutines underneath (the public header shows only plain
// values): `concurrency` targets in flight, started at most `rate` per second (a token bucket
// of one), each step bounded by `timeout`. The paths of one target and the queries of one
// step run in parallel. DNS is asked over UDP (A and AAAA on one socket, EDNS0 1232) and again
// over TCP when the answer is truncated. Every read is bounded: DNS datagrams 4096 bytes, TCP
// messages by their length prefix, HTTP headers 16 KiB, bodies 64 KiB (the first 256 bytes are
// kept as evidence). Control attempts bind `control_source`; sockets are closed with RST once
// their exchange is over, so a long run leaves no TIME_WAIT behind.
//
// Thread-safety: a Prober runs one Run at a time, on the calling thread; on_result is called
// on that thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "model/target.h"
#include "probe/fingerprints.h"
#include "probe/measurement.h"

namespace interdict::probe {

struct ProbeOptions {
  std::string resolver;          // the ISP resolver: ADDR, ADDR:PORT or [ADDR6]:PORT (port 53)
  std::string control_resolver;  // the control resolver, same form; empty: none
  std::string control_source;    // the local address of control attempts; empty: no control path
  int concurrency = 64;          // targets in flight (>= 1)
  double rate = 200;             // targets started per second; 0: no limit
  std::chrono::milliseconds timeout{3000};  // per step: one DNS query, connect, handshake, answer
  std::string ca_file;  // an extra CA (PEM) for the verification result recorded as evidence
  std::vector<std::string> notice_hosts;  // CNAME targets that mean "blocked by DNS"
  std::vector<Fingerprint> fingerprints;  // block pages
  std::uint16_t http_port = 80;    // plain http for names and addresses, and http URLs without one
  std::uint16_t https_port = 443;  // the same for https
  const Clock* clock = nullptr;    // for measured_at; nullptr: the system clock
};

struct ProbeResult {
  Target target;
  Verdict verdict = Verdict::kInconclusive;
  std::string reason;
  UnixTime measured_at = 0;  // when the target's probe started
  Measurement measurement;
};

class Prober {
 public:
  // Checks the options (addresses, the CA file); the error names the option.
  static Result<std::unique_ptr<Prober>> Create(ProbeOptions options);
  ~Prober();
  Prober(const Prober&) = delete;
  Prober& operator=(const Prober&) = delete;

  // Probes every target and returns when all have a result. `on_result(i, result)` is called as
  // each finishes (completion order; i indexes `targets`). Targets the probe cannot plan
  // (app, search) get an inconclusive result saying why.
  Status Run(const std::vector<Target>& targets,
             const std::function<void(std::size_t, ProbeResult)>& on_result);

 private:
  class Impl;
  explicit Prober(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace interdict::probe
