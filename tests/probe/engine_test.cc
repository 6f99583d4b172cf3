// The probe engine against real servers on 127.0.0.0/8 started by the test (probe_servers.h):
// two DNS resolvers (the ISP's and the control), origins on 127.0.0.2 (HTTPS and HTTP),
// 127.0.0.4 (HTTP only), 127.0.0.5 (HTTPS, SYNs from the ISP path dropped), nothing on
// 127.0.0.6; the control path binds 127.0.0.3. Every verdict is produced and its evidence
// checked. Then `interdict audit run` end to end: with --targets, and with --registry against
// an in-test registry (src/http) that serves a feed snapshot and records what is POSTed.
#include "probe/engine.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <boost/system/system_error.hpp>
#include <cstdio>
#include <exception>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>

#include "http/router.h"
#include "http/server.h"
#include "probe/fingerprints.h"
#include "probe_servers.h"
#include "testing/temp_dir.h"

namespace interdict::probe {
namespace {

namespace json = boost::json;
using testing::DnsEntry;
using Kind = DnsEntry::Kind;

std::map<std::string, DnsEntry> IspTable() {
  return {
      {"ok.test", {Kind::kAddresses, {"127.0.0.2"}, {}}},
      {"notfound.test", {Kind::kAddresses, {"127.0.0.4"}, {}}},
      {"451.test", {Kind::kAddresses, {"127.0.0.4"}, {}}},
      {"blockpage.test", {Kind::kAddresses, {"127.0.0.4"}, {}}},
      {"redirect.test", {Kind::kAddresses, {"127.0.0.4"}, {}}},
      {"loop.test", {Kind::kAddresses, {"127.0.0.4"}, {}}},
      {"sni-reset.test", {Kind::kAddresses, {"127.0.0.2"}, {}}},
      {"sni-silent.test", {Kind::kAddresses, {"127.0.0.2"}, {}}},
      {"ipblock.test", {Kind::kAddresses, {"127.0.0.5"}, {}}},
      {"down.test", {Kind::kAddresses, {"127.0.0.6"}, {}}},
      {"nx.test", {Kind::kNxDomain, {}, {}}},
      {"nodata.test", {Kind::kNoData, {}, {}}},
      {"zero.test", {Kind::kAddresses, {"0.0.0.0"}, {}}},
      {"notice.test", {Kind::kCname, {"127.0.0.9"}, "blocked.notice.test"}},
      {"tc.test", {Kind::kTruncate, {"127.0.0.2"}, {}}},
      {"servfail.test", {Kind::kServFail, {}, {}}},
      {"ctldrop.test", {Kind::kNxDomain, {}, {}}},
      {"v6.test", {Kind::kAddresses, {"127.0.0.2", "::1"}, {}}},
  };
}

std::map<std::string, DnsEntry> ControlTable() {
  std::map<std::string, DnsEntry> t = IspTable();
  for (const char* name :
       {"nx.test", "nodata.test", "zero.test", "notice.test", "servfail.test", "tc.test"}) {
    t[name] = {Kind::kAddresses, {"127.0.0.2"}, {}};
  }
  t["ctldrop.test"] = {Kind::kDrop, {}, {}};
  return t;
}

// The servers, shared by every test of the suite.
struct Env {
  testing::Loop loop;
  testing::TestCert cert = testing::MakeCert();
  testing::DnsServer isp_dns{loop.ioc(), IspTable()};
  testing::DnsServer control_dns{loop.ioc(), ControlTable()};
  testing::Origin main{loop.ioc(), "127.0.0.2", 0, 0, cert, true, true};
  testing::Origin http_only{loop.ioc(), "127.0.0.4", main.http_port(), main.https_port(), cert,
                            true,       false};
  testing::Origin filtered{loop.ioc(), "127.0.0.5", main.http_port(), main.https_port(), cert,
                           false,      true,        /*drop_isp=*/true};
  Env() { loop.Start(); }
  // The loop's thread must be gone before the servers it runs are destroyed (members go in
  // reverse order, the loop last).
  ~Env() { loop.Stop(); }
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;
};

Env* env_ = nullptr;
std::string env_error_;

class ProbeEngineTest : public ::testing::Test {
 protected:
  // The kernel picks the first servers' ports; the others reuse those numbers on other
  // addresses (and the DNS server its UDP port for TCP), where a test running in parallel may
  // hold one: then the whole set is made again on new ports. A suite that cannot start fails
  // every test (gtest would otherwise report them skipped, and ctest count that as a pass).
  static void SetUpTestSuite() {
    for (int attempt = 1; env_ == nullptr && env_error_.empty(); ++attempt) {
      try {
        env_ = new Env();
      } catch (const boost::system::system_error& e) {
        if (e.code() != boost::asio::error::address_in_use || attempt == 20) {
          env_error_ = e.what();
        }
      } catch (const std::exception& e) {
        env_error_ = e.what();
      }
    }
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(env_, nullptr) << "the test servers did not start: " << env_error_;
  }

  static ProbeOptions Options(bool control = true) {
    ProbeOptions o;
    o.resolver = env_->isp_dns.address();
    if (control) {
      o.control_resolver = env_->control_dns.address();
      o.control_source = testing::kControlSource;
    }
    o.concurrency = 16;
    o.rate = 0;
    o.timeout = std::chrono::milliseconds(1500);  // sanitizers and a loaded machine are slow
    o.notice_hosts = {"notice.test"};
    o.fingerprints = *ParseFingerprints("body:Access restricted by order\n", "f");
    o.http_port = env_->main.http_port();
    o.https_port = env_->main.https_port();
    return o;
  }

  static std::map<std::string, ProbeResult> Probe(const ProbeOptions& o,
                                                  const std::vector<std::string>& texts) {
    std::vector<Target> targets;
    targets.reserve(texts.size());
    for (const std::string& t : texts) targets.push_back(*ParseTarget(t));
    Result<std::unique_ptr<Prober>> prober = Prober::Create(o);
    EXPECT_TRUE(prober.ok()) << prober.status().message();
    std::map<std::string, ProbeResult> out;
    if (!prober.ok()) return out;
    const Status s = (*prober)->Run(
        targets, [&](std::size_t i, ProbeResult r) { out[texts[i]] = std::move(r); });
    EXPECT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(out.size(), texts.size());
    return out;
  }

  static json::value Evidence(const ProbeResult& r) {
    const std::string s = EvidenceJson(r.measurement, r.reason);
    EXPECT_LE(s.size(), kMaxEvidenceBytes);
    return json::parse(s);
  }
};

#define EXPECT_VERDICT(results, target, want)                           \
  do {                                                                  \
    const ProbeResult& r_ = (results).at(target);                       \
    EXPECT_EQ(VerdictName(r_.verdict), want)                            \
        << (target) << ": " << EvidenceJson(r_.measurement, r_.reason); \
  } while (false)

TEST_F(ProbeEngineTest, EveryVerdictWithItsEvidence) {
  const std::vector<std::string> targets = {
      "domain:ok.test",        "domain:notfound.test",     "domain:451.test",
      "domain:blockpage.test", "domain:redirect.test",     "domain:loop.test",
      "domain:sni-reset.test", "domain:sni-silent.test",   "domain:ipblock.test",
      "ip:127.0.0.5",          "domain:down.test",         "domain:gone.test",
      "domain:nx.test",        "domain:nodata.test",       "domain:zero.test",
      "domain:notice.test",    "domain:tc.test",           "domain:servfail.test",
      "domain:ctldrop.test",   "url:https://ok.test/page", "url:http://451.test/x",
      "ip:127.0.0.2",          "domain-tree:ok.test",      "domain:v6.test",
  };
  const auto results = Probe(Options(), targets);
  ASSERT_EQ(results.size(), targets.size());

  EXPECT_VERDICT(results, "domain:ok.test", "accessible");
  EXPECT_VERDICT(results, "domain:notfound.test", "accessible");
  EXPECT_VERDICT(results, "domain:451.test", "blocked-http");
  EXPECT_VERDICT(results, "domain:blockpage.test", "blocked-http");
  EXPECT_VERDICT(results, "domain:redirect.test", "accessible");
  EXPECT_VERDICT(results, "domain:loop.test", "accessible");
  EXPECT_VERDICT(results, "domain:sni-reset.test", "blocked-sni");
  EXPECT_VERDICT(results, "domain:sni-silent.test", "blocked-sni");
  EXPECT_VERDICT(results, "domain:ipblock.test", "blocked-ip");
  EXPECT_VERDICT(results, "ip:127.0.0.5", "blocked-ip");
  EXPECT_VERDICT(results, "domain:down.test", "down");
  EXPECT_VERDICT(results, "domain:gone.test", "down");
  EXPECT_VERDICT(results, "domain:nx.test", "blocked-dns");
  EXPECT_VERDICT(results, "domain:nodata.test", "blocked-dns");
  EXPECT_VERDICT(results, "domain:zero.test", "blocked-dns");
  EXPECT_VERDICT(results, "domain:notice.test", "blocked-dns");
  EXPECT_VERDICT(results, "domain:tc.test", "accessible");
  EXPECT_VERDICT(results, "domain:servfail.test", "inconclusive");
  EXPECT_VERDICT(results, "domain:ctldrop.test", "inconclusive");
  EXPECT_VERDICT(results, "url:https://ok.test/page", "accessible");
  EXPECT_VERDICT(results, "url:http://451.test/x", "blocked-http");
  EXPECT_VERDICT(results, "ip:127.0.0.2", "accessible");
  EXPECT_VERDICT(results, "domain-tree:ok.test", "accessible");
  EXPECT_VERDICT(results, "domain:v6.test", "accessible");

  // Evidence: answers, timings, status codes, first bytes.
  json::value e = Evidence(results.at("domain:ok.test"));
  EXPECT_EQ(e.at("scheme").as_string(), "https");
  EXPECT_EQ(e.at("dns").at("isp").at("addresses").at(0).as_string(), "127.0.0.2");
  EXPECT_EQ(e.at("isp").at("tls").at("result").as_string(), "ok");
  EXPECT_NE(e.at("isp").at("tls").at("verify").as_string(), "ok");  // self-signed: evidence only
  EXPECT_EQ(e.at("isp").at("http").at("hops").at(0).at("status").as_int64(), 200);
  EXPECT_EQ(e.at("isp").at("http").at("hops").at(0).at("server").as_string(), "probe-test-origin");
  EXPECT_EQ(std::string(e.at("isp").at("http").at("hops").at(0).at("body").as_string()),
            "<html><body>hello from the origin ok.test</body></html>");
  EXPECT_EQ(e.at("control").at("source").as_string(), "127.0.0.3");
  EXPECT_TRUE(e.at("isp").at("connect").at("ms").is_number());

  e = Evidence(results.at("domain:notfound.test"));
  EXPECT_EQ(e.at("scheme").as_string(), "http");
  EXPECT_EQ(e.at("fallback").as_string(), "https: the ISP path refused, the control path refused");
  EXPECT_EQ(e.at("isp").at("http").at("hops").at(0).at("status").as_int64(), 404);

  e = Evidence(results.at("domain:451.test"));
  EXPECT_EQ(e.at("isp").at("http").at("hops").at(0).at("block").as_string(), "status:451");
  EXPECT_EQ(e.at("isp").at("http").at("hops").at(0).at("body").as_string(), "blocked by order 12");
  EXPECT_EQ(e.at("control").at("http").at("hops").at(0).at("status").as_int64(), 200);

  e = Evidence(results.at("domain:blockpage.test"));
  EXPECT_EQ(e.at("isp").at("http").at("hops").at(0).at("block").as_string(),
            "body:Access restricted by order");

  e = Evidence(results.at("domain:redirect.test"));
  const json::array& hops = e.at("isp").at("http").at("hops").as_array();
  ASSERT_EQ(hops.size(), 3U);
  EXPECT_EQ(hops[0].at("status").as_int64(), 302);
  EXPECT_EQ(hops[0].at("location").as_string(), "/a");
  EXPECT_EQ(hops[1].at("status").as_int64(), 301);
  EXPECT_EQ(hops[2].at("status").as_int64(), 200);
  EXPECT_NE(hops[2].at("url").as_string().find("/b"), json::string::npos);

  e = Evidence(results.at("domain:loop.test"));
  EXPECT_EQ(e.at("isp").at("http").at("hops").as_array().size(),
            static_cast<std::size_t>(kMaxRedirects) + 1);

  e = Evidence(results.at("domain:sni-reset.test"));
  EXPECT_EQ(e.at("isp").at("tls").at("result").as_string(), "reset");
  EXPECT_EQ(e.at("control").at("tls").at("result").as_string(), "ok");
  e = Evidence(results.at("domain:sni-silent.test"));
  EXPECT_EQ(e.at("isp").at("tls").at("result").as_string(), "timeout");
  EXPECT_GE(e.at("isp").at("tls").at("ms").to_number<double>(), 1400.0);

  e = Evidence(results.at("domain:ipblock.test"));
  EXPECT_EQ(e.at("isp").at("connect").at("result").as_string(), "timeout");
  EXPECT_EQ(e.at("control").at("connect").at("result").as_string(), "ok");

  e = Evidence(results.at("domain:down.test"));
  EXPECT_EQ(e.at("isp").at("connect").at("result").as_string(), "refused");
  EXPECT_EQ(e.at("control").at("connect").at("result").as_string(), "refused");

  e = Evidence(results.at("domain:nx.test"));
  EXPECT_EQ(e.at("dns").at("isp").at("rcode").as_string(), "NXDOMAIN");
  EXPECT_EQ(e.at("dns").at("control").at("addresses").at(0).as_string(), "127.0.0.2");
  e = Evidence(results.at("domain:notice.test"));
  EXPECT_EQ(e.at("dns").at("isp").at("cname").at(0).as_string(), "blocked.notice.test");
  EXPECT_EQ(e.at("dns").at("isp").at("notice").as_string(), "blocked.notice.test");
  e = Evidence(results.at("domain:zero.test"));
  EXPECT_EQ(e.at("dns").at("isp").at("addresses").at(0).as_string(), "0.0.0.0");
  e = Evidence(results.at("domain:tc.test"));
  EXPECT_TRUE(e.at("dns").at("isp").at("tcp").as_bool());
  e = Evidence(results.at("domain:servfail.test"));
  EXPECT_EQ(e.at("dns").at("isp").at("rcode").as_string(), "SERVFAIL");
  e = Evidence(results.at("domain:ctldrop.test"));
  EXPECT_EQ(e.at("dns").at("control").at("result").as_string(), "timeout");
  e = Evidence(results.at("domain:v6.test"));
  EXPECT_EQ(e.at("dns").at("isp").at("addresses").as_array().size(), 2U);
  EXPECT_EQ(e.at("isp").at("address").as_string(), "127.0.0.2");
}

TEST_F(ProbeEngineTest, WithoutControlNothingIsBlockedByComparison) {
  const auto results =
      Probe(Options(/*control=*/false),
            {"domain:nx.test", "ip:127.0.0.5", "domain:sni-reset.test", "domain:zero.test",
             "domain:notice.test", "domain:451.test", "domain:ok.test"});
  EXPECT_VERDICT(results, "domain:nx.test", "inconclusive");
  EXPECT_VERDICT(results, "ip:127.0.0.5", "inconclusive");
  EXPECT_VERDICT(results, "domain:sni-reset.test", "inconclusive");
  EXPECT_VERDICT(results, "domain:zero.test", "inconclusive");
  // A notice-host CNAME and a 451 name the block themselves.
  EXPECT_VERDICT(results, "domain:notice.test", "blocked-dns");
  EXPECT_VERDICT(results, "domain:451.test", "inconclusive");  // 127.0.0.4 is a bogon
  EXPECT_VERDICT(results, "domain:ok.test", "inconclusive");
}

TEST_F(ProbeEngineTest, RateLimitPacesStarts) {
  ProbeOptions o = Options();
  o.rate = 20;  // one start every 50 ms
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<Target> list(6, *ParseTarget("domain:nx.test"));
  std::size_t done = 0;
  auto prober = Prober::Create(o);
  ASSERT_TRUE(prober.ok());
  ASSERT_TRUE((*prober)
                  ->Run(list,
                        [&](std::size_t, const ProbeResult& r) {
                          EXPECT_EQ(r.verdict, Verdict::kBlockedDns);
                          ++done;
                        })
                  .ok());
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(done, 6U);
  EXPECT_GE(ms, 240.0);  // five intervals of 50 ms between six starts
}

TEST_F(ProbeEngineTest, BadOptionsAreRefused) {
  ProbeOptions o = Options();
  o.resolver = "not-an-address";
  EXPECT_FALSE(Prober::Create(o).ok());
  o = Options();
  o.control_source = "127.0.0.x";
  EXPECT_FALSE(Prober::Create(o).ok());
  o = Options();
  o.resolver = "[::1]:5353";
  EXPECT_TRUE(Prober::Create(o).ok());
  o.resolver = "127.0.0.1:0";
  EXPECT_FALSE(Prober::Create(o).ok());
  o = Options();
  o.ca_file = "/nonexistent.pem";
  EXPECT_FALSE(Prober::Create(o).ok());
}

// Throughput on loopback: many targets of mixed kinds; prints targets per minute.
TEST_F(ProbeEngineTest, Throughput) {
  ProbeOptions o = Options();
  o.concurrency = 256;
  o.timeout = std::chrono::seconds(10);  // no target here waits for a timeout unless overloaded
  std::vector<Target> list;
  const char* kinds[] = {"domain:ok.test",  "domain:nx.test",   "domain:notfound.test",
                         "domain:451.test", "domain:zero.test", "domain:down.test"};
  list.reserve(1200);
  for (int i = 0; i < 1200; ++i) list.push_back(*ParseTarget(kinds[i % 6]));
  std::array<int, kVerdictCount> counts{};
  auto prober = Prober::Create(o);
  ASSERT_TRUE(prober.ok());
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(
      (*prober)
          ->Run(list, [&](std::size_t,
                          const ProbeResult& r) { ++counts[static_cast<std::size_t>(r.verdict)]; })
          .ok());
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("probe throughput: %zu targets in %.2f s = %.0f targets/min\n", list.size(), s,
              static_cast<double>(list.size()) * 60.0 / s);
  EXPECT_EQ(counts[static_cast<std::size_t>(Verdict::kAccessible)], 400);
  EXPECT_EQ(counts[static_cast<std::size_t>(Verdict::kBlockedDns)], 400);
  EXPECT_EQ(counts[static_cast<std::size_t>(Verdict::kBlockedHttp)], 200);
  EXPECT_EQ(counts[static_cast<std::size_t>(Verdict::kDown)], 200);
}

// ---- The command line ------------------------------------------------------------------------

struct CliRun {
  int exit_code = -1;
  std::string out;
};

CliRun RunCli(const std::string& args) {
  const std::string cmd = std::string(INTERDICT_BINARY) + " " + args + " 2>&1";
  CliRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string CommonArgs() {
  const Env& env = *env_;
  return "--resolver " + env.isp_dns.address() + " --control-resolver " +
         env.control_dns.address() + " --control-source 127.0.0.3 --timeout 1.5 --rate 0" +
         " --notice-host notice.test --http-port " + std::to_string(env.main.http_port()) +
         " --https-port " + std::to_string(env.main.https_port());
}

TEST_F(ProbeEngineTest, CliWithTargetsFile) {
  interdict::testing::TempDir dir;
  {
    std::ofstream f(dir.File("targets.txt"));
    f << "# three targets and an app\ndomain:ok.test\nnx.test\nip:127.0.0.5\nplay:com.x\n";
    std::ofstream p(dir.File("prints.txt"));
    p << "body:Access restricted by order\n";
  }
  const CliRun r =
      RunCli("--db " + dir.File("unused.db") + " --json audit run --vantage 'ISP One' " +
             CommonArgs() + " --targets " + dir.File("targets.txt") + " --fingerprints " +
             dir.File("prints.txt") + " --output " + dir.File("out.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json::value v = json::parse(r.out);
  EXPECT_EQ(v.at("vantage").as_string(), "ISP One");
  EXPECT_TRUE(v.at("serial").is_null());
  EXPECT_EQ(v.at("targets").as_int64(), 3);
  EXPECT_EQ(v.at("skipped").as_int64(), 1);
  EXPECT_EQ(v.at("verdicts").at("accessible").as_int64(), 1);
  EXPECT_EQ(v.at("verdicts").at("blocked-dns").as_int64(), 1);
  EXPECT_EQ(v.at("verdicts").at("blocked-ip").as_int64(), 1);
  EXPECT_EQ(v.at("verdicts").as_object().size(), 7U);
  EXPECT_TRUE(v.at("run_ids").as_array().empty());
  EXPECT_TRUE(v.at("targets_per_minute").is_number());
  std::istringstream lines(interdict::testing::ReadFile(dir.File("out.jsonl")));
  std::string line;
  std::vector<std::string> verdicts;
  while (std::getline(lines, line)) {
    const json::value l = json::parse(line);
    verdicts.emplace_back(l.at("verdict").as_string());
    EXPECT_TRUE(l.at("evidence").is_object());
  }
  EXPECT_EQ(verdicts, (std::vector<std::string>{"accessible", "blocked-dns", "blocked-ip"}));
  EXPECT_FALSE(std::filesystem::exists(dir.File("unused.db")));  // the registry is not opened

  // Text summary; bad flags exit 2.
  const CliRun text =
      RunCli("audit run --vantage X " + CommonArgs() + " --targets " + dir.File("targets.txt"));
  EXPECT_EQ(text.exit_code, 0) << text.out;
  EXPECT_NE(text.out.find("blocked-ip         1"), std::string::npos) << text.out;
  EXPECT_EQ(RunCli("audit run --vantage X --resolver 127.0.0.1:53").exit_code, 2);
  EXPECT_EQ(RunCli("audit run --vantage X --resolver nope --targets " + dir.File("targets.txt"))
                .exit_code,
            2);
  EXPECT_EQ(RunCli("audit run --vantage X " + CommonArgs() + " --targets /nonexistent").exit_code,
            2);
}

TEST_F(ProbeEngineTest, CliWithRegistry) {
  std::mutex mu;
  std::vector<std::string> posted;
  std::vector<std::string> auth;
  int answer = 201;
  http::Router router;
  router.Add("GET", "/feeds/isp/snapshot", [&](const http::HttpRequest& req) {
    const std::string* a = req.Header("authorization");
    std::lock_guard<std::mutex> lock(mu);
    auth.push_back(a ? *a : "");
    EXPECT_NE(req.Param("format"), nullptr);
    return http::HttpResponse::Json(
        200, R"({"format":"interdict-feed","version":1,"registry":"r","view":"isp","serial":42,
"entries":[{"kind":"domain","value":"sni-reset.test","orders":[1]},
{"kind":"domain","value":"gone.test","orders":[1]},
{"kind":"app","value":"play:com.x","orders":[2]},
{"kind":"url","value":"http://451.test/x","orders":[2]}],"orders":[]})");
  });
  router.Add("POST", "/v1/audit/runs", [&](const http::HttpRequest& req) {
    std::lock_guard<std::mutex> lock(mu);
    posted.push_back(req.body);
    const std::string* a = req.Header("authorization");
    auth.push_back(a ? *a : "");
    if (answer != 201) {
      return http::HttpResponse::Error(answer, "invalid", "results[0].verdict: bad",
                                       "results[0].verdict");
    }
    return http::HttpResponse::Json(201, R"({"run_id":7,"accepted":3})");
  });
  http::HttpServerOptions so;
  so.listen = "127.0.0.1:0";
  so.threads = 1;
  so.blocking_threads = 1;
  http::HttpServer server(router, so);
  ASSERT_TRUE(server.Start().ok());
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port());

  const CliRun r = RunCli("--json audit run --vantage 'ISP One' --registry " + url +
                          " --token idt_secret " + CommonArgs());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json::value v = json::parse(r.out);
  EXPECT_EQ(v.at("serial").as_int64(), 42);
  EXPECT_EQ(v.at("targets").as_int64(), 3);
  EXPECT_EQ(v.at("skipped").as_int64(), 1);
  EXPECT_EQ(v.at("run_ids").at(0).as_int64(), 7);
  {
    std::lock_guard<std::mutex> lock(mu);
    ASSERT_EQ(posted.size(), 1U);
    for (const std::string& a : auth) EXPECT_EQ(a, "Bearer idt_secret");
    const json::value body = json::parse(posted[0]);
    EXPECT_EQ(body.at("vantage").as_string(), "ISP One");
    EXPECT_EQ(body.at("serial").as_int64(), 42);
    EXPECT_TRUE(body.at("started_at").is_string());
    EXPECT_TRUE(body.at("finished_at").is_string());
    const json::array& results = body.at("results").as_array();
    ASSERT_EQ(results.size(), 3U);
    std::map<std::string, std::string> got;
    for (const json::value& item : results) {
      got[std::string(item.at("target").as_string())] = item.at("verdict").as_string();
      EXPECT_TRUE(item.at("measured_at").is_string());
      EXPECT_LE(json::serialize(item.at("evidence")).size(), kMaxEvidenceBytes);
    }
    EXPECT_EQ(got["domain:sni-reset.test"], "blocked-sni");
    EXPECT_EQ(got["domain:gone.test"], "down");
    EXPECT_EQ(got["url:http://451.test/x"], "blocked-http");
  }

  // --no-submit measures only; a refused submission is exit 2 with the registry's message.
  const CliRun quiet = RunCli("--json audit run --vantage X --no-submit --registry " + url +
                              " --token idt_secret " + CommonArgs());
  EXPECT_EQ(quiet.exit_code, 0) << quiet.out;
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(posted.size(), 1U);
    answer = 400;
  }
  const CliRun refused =
      RunCli("audit run --vantage X --registry " + url + " --token idt_secret " + CommonArgs());
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.out.find("results[0].verdict"), std::string::npos) << refused.out;
  EXPECT_EQ(RunCli("audit run --vantage X --registry http://127.0.0.1:1 --token t " + CommonArgs())
                .exit_code,
            2);
  server.Stop();
}

}  // namespace
}  // namespace interdict::probe
