// The probe's registry client: reads the ISP view's JSON snapshot from the registry's feed and
// submits results to POST /v1/audit/runs, with the auditor's bearer token, over HTTP or HTTPS
// (Boost.Beast; HTTPS verifies the registry's certificate against the system CAs and the
// extra CA file). Also the JSON of one result and of a submission (docs/probe.md).
//
// Thread-safety: a RegistryClient is used from one thread at a time; each call runs its own
// I/O to completion. The JSON functions are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "probe/engine.h"
#include "probe/targets.h"

namespace interdict::probe {

// The largest submission batch the registry takes.
inline constexpr std::size_t kMaxBatch = 5000;

// {"target":"domain:x.test","verdict":"blocked-dns","measured_at":"...","evidence":{...}}
std::string ResultJson(const ProbeResult& r);

struct RunHeader {
  std::string vantage;
  std::optional<std::int64_t> serial;
  UnixTime started_at = 0;
  UnixTime finished_at = 0;
};

// The body of POST /v1/audit/runs for `results` (1..kMaxBatch items, each from ResultJson).
std::string SubmissionJson(const RunHeader& header, std::span<const std::string> results);

class RegistryClient {
 public:
  // `url`: http(s)://host[:port][/prefix]. InvalidArgument when it is not such a URL.
  static Result<RegistryClient> Create(std::string_view url, std::string token,
                                       std::string ca_file = {});

  // GET {url}/feeds/isp/snapshot?format=json.
  Result<TargetList> FetchIspSnapshot();
  // POST {url}/v1/audit/runs; returns the run id of a 201 answer. Other answers are errors
  // quoting the registry's message.
  Result<std::int64_t> SubmitRun(const std::string& body);

  struct Reply {
    int status = 0;
    std::string body;
  };
  // One request (GET without a body, POST with a JSON one); errors are network failures.
  Result<Reply> Request(std::string_view method, std::string_view target, std::string body);

 private:
  RegistryClient() = default;

  bool tls_ = false;
  std::string host_;
  std::uint16_t port_ = 0;
  std::string prefix_;  // path prefix without a trailing '/'
  std::string token_;
  std::string ca_file_;
};

}  // namespace interdict::probe
