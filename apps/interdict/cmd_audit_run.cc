// audit run: the compliance probe (src/probe, docs/probe.md). Measures the ISP view's in-force
// targets (or a file's) from one vantage point and submits the verdicts to the registry.
#include <sys/resource.h>

#include <array>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>

#include "cli.h"
#include "probe/engine.h"
#include "probe/fingerprints.h"
#include "probe/registry_client.h"
#include "probe/targets.h"

namespace interdict::cli {
namespace {

namespace json = boost::json;
using namespace interdict::probe;  // NOLINT(google-build-using-namespace)

struct AuditRunOptions {
  std::string vantage;
  std::string resolver;
  std::string registry;
  std::string token;
  std::string targets_file;
  std::string control_resolver;
  std::string control_source;
  int concurrency = 64;
  double rate = 200;
  double timeout = 3;
  std::string ca_file;
  std::vector<std::string> notice_hosts;
  std::string fingerprints;
  std::string output;
  bool no_submit = false;
  std::size_t limit = 0;
  std::uint16_t http_port = 80;
  std::uint16_t https_port = 443;
};

Result<std::string> ReadWholeFile(const std::string& path, std::string_view option) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(std::string(option) + " " + path + ": cannot open");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::IOError(std::string(option) + " " + path + ": read failed");
  return text;
}

// Each target in flight holds a few sockets: let the process have as many as it may.
void RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    static_cast<void>(setrlimit(RLIMIT_NOFILE, &limit));
  }
}

Result<int> RunAudit(Context& ctx, const AuditRunOptions& o) {
  if (o.registry.empty() == o.targets_file.empty()) {
    return Status::InvalidArgument(
        "audit run: give either --registry URL --token T or --targets FILE");
  }
  if (!o.registry.empty() && o.token.empty()) {
    return Status::InvalidArgument("audit run: --registry needs --token");
  }
  if (o.vantage.empty()) return Status::InvalidArgument("--vantage: empty");
  if (o.timeout <= 0 || o.timeout > 600) {
    return Status::InvalidArgument("--timeout: must be more than 0 and at most 600 seconds");
  }

  ProbeOptions options;
  options.resolver = o.resolver;
  options.control_resolver = o.control_resolver;
  options.control_source = o.control_source;
  options.concurrency = o.concurrency;
  options.rate = o.rate;
  options.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(o.timeout * 1000.0));
  options.ca_file = o.ca_file;
  options.notice_hosts = o.notice_hosts;
  options.http_port = o.http_port;
  options.https_port = o.https_port;
  if (!o.fingerprints.empty()) {
    Result<std::vector<Fingerprint>> prints = ReadFingerprintFile(o.fingerprints);
    if (!prints.ok()) return prints.status().Prefixed("--fingerprints");
    options.fingerprints = std::move(prints).value();
  }
  // $INTERDICT_NOW sets the clock here as everywhere (measured_at, started_at, finished_at).
  std::unique_ptr<Clock> clock;
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read before any thread exists
  if (const char* now = std::getenv("INTERDICT_NOW"); now != nullptr && *now != '\0') {
    Result<UnixTime> t = ParseTime(now);
    if (!t.ok()) return t.status().Prefixed("$INTERDICT_NOW");
    clock = std::make_unique<FakeClock>(*t);
  } else {
    clock = std::make_unique<SystemClock>();
  }
  options.clock = clock.get();
  ASSIGN_OR_RETURN(std::unique_ptr<Prober> prober, Prober::Create(options));

  std::optional<RegistryClient> registry;
  TargetList list;
  if (!o.registry.empty()) {
    ASSIGN_OR_RETURN(RegistryClient client, RegistryClient::Create(o.registry, o.token, o.ca_file));
    registry.emplace(std::move(client));
    ASSIGN_OR_RETURN(list, registry->FetchIspSnapshot());
  } else {
    ASSIGN_OR_RETURN(std::string text, ReadWholeFile(o.targets_file, "--targets"));
    ASSIGN_OR_RETURN(list, ParseTargetsFile(text, o.targets_file));
  }
  if (o.limit > 0 && list.targets.size() > o.limit) list.targets.resize(o.limit);

  RaiseFileLimit();
  std::vector<std::string> lines(list.targets.size());
  std::array<std::size_t, kVerdictCount> counts{};
  const UnixTime started_at = clock->Now();
  const auto t0 = std::chrono::steady_clock::now();
  RETURN_IF_ERROR(prober->Run(list.targets, [&](std::size_t i, ProbeResult r) {
    ++counts[static_cast<std::size_t>(r.verdict)];
    lines[i] = ResultJson(r);
  }));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const UnixTime finished_at = clock->Now();

  if (!o.output.empty()) {
    std::ofstream out(o.output, std::ios::binary | std::ios::trunc);
    for (const std::string& line : lines) out << line << '\n';
    out.flush();
    if (!out) return Status::IOError("--output " + o.output + ": cannot write");
  }

  json::array run_ids;
  if (registry && !o.no_submit && !lines.empty()) {
    const RunHeader header{o.vantage, list.serial, started_at, finished_at};
    for (std::size_t start = 0; start < lines.size(); start += kMaxBatch) {
      const std::size_t n = std::min(kMaxBatch, lines.size() - start);
      const std::string body =
          SubmissionJson(header, std::span<const std::string>(lines).subspan(start, n));
      Result<std::int64_t> id = registry->SubmitRun(body);
      if (!id.ok()) {
        return id.status().Prefixed("submitting results " + std::to_string(start + 1) + ".." +
                                    std::to_string(start + n) + " (" +
                                    std::to_string(run_ids.size()) + " batch(es) accepted)");
      }
      run_ids.push_back(*id);
    }
  }

  const double per_minute = seconds > 0 ? static_cast<double>(lines.size()) * 60.0 / seconds : 0;
  if (ctx.json()) {
    json::object verdicts;
    for (int v = 0; v < kVerdictCount; ++v) {
      verdicts[VerdictName(static_cast<Verdict>(v))] = counts[static_cast<std::size_t>(v)];
    }
    json::object out{{"vantage", o.vantage},
                     {"serial", list.serial ? json::value(*list.serial) : json::value(nullptr)},
                     {"targets", lines.size()},
                     {"skipped", list.skipped},
                     {"seconds", seconds},
                     {"targets_per_minute", per_minute},
                     {"verdicts", std::move(verdicts)},
                     {"run_ids", std::move(run_ids)}};
    PrintJson(out);
  } else {
    std::cout << "vantage            " << o.vantage << "\n";
    if (list.serial) std::cout << "feed serial        " << *list.serial << "\n";
    std::cout << "targets probed     " << lines.size() << "\n"
              << "skipped            " << list.skipped << "\n";
    for (int v = 0; v < kVerdictCount; ++v) {
      std::string name(VerdictName(static_cast<Verdict>(v)));
      name.resize(19, ' ');
      std::cout << name << counts[static_cast<std::size_t>(v)] << "\n";
    }
    std::ostringstream rate;
    rate.setf(std::ios::fixed);
    rate.precision(2);
    rate << seconds;
    std::cout << "seconds            " << rate.str() << "\n";
    rate.str("");
    rate.precision(0);
    rate << per_minute;
    std::cout << "targets/min        " << rate.str() << "\n";
    if (!run_ids.empty()) {
      std::cout << "run ids           ";
      for (const json::value& id : run_ids) std::cout << " " << id.as_int64();
      std::cout << "\n";
    }
  }
  return kExitOk;
}

}  // namespace

void AddAuditRunCommand(CLI::App& audit, Context& ctx) {
  CLI::App* run = audit.add_subcommand(
      "run", "probe the in-force targets of the ISP view (or a file's) and submit the verdicts");
  auto o = std::make_shared<AuditRunOptions>();
  run->add_option("--vantage", o->vantage, "the ISP organization measured (name or #ID)")
      ->required();
  run->add_option("--resolver", o->resolver, "the ISP resolver, ADDR[:PORT]")->required();
  run->add_option("--registry", o->registry, "the registry's URL (http[s]://host[:port])");
  run->add_option("--token", o->token, "an auditor's API token");
  run->add_option("--targets", o->targets_file,
                  "a file of targets, one per line (instead of --registry)");
  run->add_option("--control-resolver", o->control_resolver, "the control resolver, ADDR[:PORT]");
  run->add_option("--control-source", o->control_source,
                  "local address for control connections (an uplink that bypasses the ISP)");
  run->add_option("--concurrency", o->concurrency, "targets in flight (default 64)")
      ->check(CLI::Range(1, 100000));
  run->add_option("--rate", o->rate, "targets started per second (default 200; 0 = unlimited)")
      ->check(CLI::Range(0.0, 1e6));
  run->add_option("--timeout", o->timeout, "seconds for each step (default 3)");
  run->add_option("--ca-file", o->ca_file,
                  "an extra CA (PEM): certificate checks are evidence only");
  run->add_option("--notice-host", o->notice_hosts, "a CNAME target that means blocked by DNS");
  run->add_option("--fingerprints", o->fingerprints, "block-page fingerprints file");
  run->add_option("--output", o->output, "write one JSON result per line to FILE");
  run->add_flag("--no-submit", o->no_submit, "with --registry: measure but do not submit");
  run->add_option("--limit", o->limit, "probe only the first N targets");
  run->add_option("--http-port", o->http_port, "origin port of plain HTTP (default 80)")
      ->check(CLI::Range(1, 65535));
  run->add_option("--https-port", o->https_port, "origin port of HTTPS (default 443)")
      ->check(CLI::Range(1, 65535));
  SetAction(run, [&ctx, o]() -> Result<int> { return RunAudit(ctx, *o); });
}

}  // namespace interdict::cli
