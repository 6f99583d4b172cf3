// The classifier's table: one row per rule of docs/probe.md, including the cases that must not
// be reported as blocked (the site down from both paths, no control to compare with).
#include "probe/classify.h"

#include <gtest/gtest.h>

#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace interdict::probe {
namespace {

DnsResult Answer(std::vector<std::string> addresses) {
  DnsResult r;
  r.status = DnsStatus::kAddresses;
  r.rcode = "NOERROR";
  r.addresses = std::move(addresses);
  return r;
}

DnsResult Status(DnsStatus s, std::string rcode = "") {
  DnsResult r;
  r.status = s;
  r.rcode = std::move(rcode);
  return r;
}

HttpHop Hop(int status, std::string block = "") {
  HttpHop h;
  h.url = "https://x.test/";
  h.status = status;
  h.block = std::move(block);
  return h;
}

// A name target measured with both resolvers and both paths, everything succeeding (an
// accessible site); each row changes what it tests.
Measurement Base() {
  Measurement m;
  m.host = "x.test";
  m.control_resolver = true;
  m.isp_dns = Answer({"198.51.7.1"});
  m.control_dns = Answer({"198.51.7.1"});
  m.scheme = "https";
  m.path = "/";
  for (PathResult* p : {&m.isp, &m.control}) {
    p->configured = true;
    p->address = "198.51.7.1";
    p->port = 443;
    p->connect = ConnectStatus::kOk;
    p->tls = TlsStatus::kOk;
    p->http = HttpStatus::kResponse;
    p->hops = {Hop(200)};
  }
  m.control.source = "192.0.2.9";
  return m;
}

struct Row {
  const char* name;
  std::function<void(Measurement&)> change;
  Verdict want;
};

// Rows print as their name (in test listings and failures).
void PrintTo(const Row& row, std::ostream* os) {
  *os << row.name;
}

class ClassifyTable : public ::testing::TestWithParam<Row> {};

TEST_P(ClassifyTable, Verdict) {
  Measurement m = Base();
  GetParam().change(m);
  const Decision d = Classify(m);
  EXPECT_EQ(VerdictName(d.verdict), VerdictName(GetParam().want)) << d.reason;
  EXPECT_FALSE(d.reason.empty());
}

const Row kRows[] = {
    // accessible
    {"origin_200", [](Measurement&) {}, Verdict::kAccessible},
    {"origin_404", [](Measurement& m) { m.isp.hops = m.control.hops = {Hop(404)}; },
     Verdict::kAccessible},
    {"no_control_at_all_but_answer",
     [](Measurement& m) {
       m.control_resolver = false;
       m.control = PathResult{};
       m.isp_dns = Answer({"198.51.7.1"});
     },
     Verdict::kAccessible},
    {"redirects_followed",
     [](Measurement& m) {
       m.isp.hops = m.control.hops = {Hop(302), Hop(301), Hop(200)};
     },
     Verdict::kAccessible},
    {"loopback_answer_shared_with_control",
     [](Measurement& m) { m.isp_dns = m.control_dns = Answer({"127.0.0.2"}); },
     Verdict::kAccessible},
    {"redirect_target_down_on_both",
     [](Measurement& m) {
       m.isp.hops = m.control.hops = {Hop(302)};
       m.isp.http = m.control.http = HttpStatus::kError;
     },
     Verdict::kAccessible},
    // blocked-dns
    {"isp_nxdomain", [](Measurement& m) { m.isp_dns = Status(DnsStatus::kNxDomain, "NXDOMAIN"); },
     Verdict::kBlockedDns},
    {"isp_nodata", [](Measurement& m) { m.isp_dns = Status(DnsStatus::kNoData, "NOERROR"); },
     Verdict::kBlockedDns},
    {"isp_zero_address", [](Measurement& m) { m.isp_dns = Answer({"0.0.0.0"}); },
     Verdict::kBlockedDns},
    {"isp_loopback_and_v6_zero",
     [](Measurement& m) {
       m.isp_dns = Answer({"127.0.0.1", "::"});
     },
     Verdict::kBlockedDns},
    {"isp_cname_to_notice",
     [](Measurement& m) {
       m.isp_dns = Answer({"198.51.7.99"});
       m.isp_dns.chain = {"blocked.authority.test"};
       m.isp_dns.notice = "blocked.authority.test";
     },
     Verdict::kBlockedDns},
    {"notice_cname_without_control",
     [](Measurement& m) {
       m.control_resolver = false;
       m.isp_dns.notice = "blocked.authority.test";
     },
     Verdict::kBlockedDns},
    // down
    {"control_nxdomain_too",
     [](Measurement& m) {
       m.isp_dns = Status(DnsStatus::kNxDomain, "NXDOMAIN");
       m.control_dns = Status(DnsStatus::kNxDomain, "NXDOMAIN");
     },
     Verdict::kDown},
    {"control_nxdomain_isp_notice",
     [](Measurement& m) {
       m.isp_dns.notice = "blocked.authority.test";
       m.control_dns = Status(DnsStatus::kNxDomain, "NXDOMAIN");
     },
     Verdict::kDown},
    {"connect_fails_both",
     [](Measurement& m) { m.isp.connect = m.control.connect = ConnectStatus::kTimeout; },
     Verdict::kDown},
    {"refused_both",
     [](Measurement& m) {
       m.isp.connect = ConnectStatus::kRefused;
       m.control.connect = ConnectStatus::kRefused;
     },
     Verdict::kDown},
    {"tls_fails_both", [](Measurement& m) { m.isp.tls = m.control.tls = TlsStatus::kReset; },
     Verdict::kDown},
    {"http_fails_both",
     [](Measurement& m) {
       m.isp.hops.clear();
       m.control.hops.clear();
       m.isp.http = m.control.http = HttpStatus::kTimeout;
     },
     Verdict::kDown},
    // blocked-ip
    {"isp_timeout_control_ok", [](Measurement& m) { m.isp.connect = ConnectStatus::kTimeout; },
     Verdict::kBlockedIp},
    {"isp_refused_control_ok", [](Measurement& m) { m.isp.connect = ConnectStatus::kRefused; },
     Verdict::kBlockedIp},
    {"isp_unreachable_control_ok",
     [](Measurement& m) { m.isp.connect = ConnectStatus::kUnreachable; }, Verdict::kBlockedIp},
    // blocked-sni
    {"tls_reset", [](Measurement& m) { m.isp.tls = TlsStatus::kReset; }, Verdict::kBlockedSni},
    {"tls_silence", [](Measurement& m) { m.isp.tls = TlsStatus::kTimeout; }, Verdict::kBlockedSni},
    {"tls_fin", [](Measurement& m) { m.isp.tls = TlsStatus::kClosed; }, Verdict::kBlockedSni},
    // blocked-http
    {"http_451", [](Measurement& m) { m.isp.hops = {Hop(451, "status:451")}; },
     Verdict::kBlockedHttp},
    {"fingerprint", [](Measurement& m) { m.isp.hops = {Hop(200, "body:Blocked")}; },
     Verdict::kBlockedHttp},
    {"block_page_after_redirect",
     [](Measurement& m) {
       m.isp.hops = {Hop(302), Hop(451, "status:451")};
     },
     Verdict::kBlockedHttp},
    {"http_451_without_control",
     [](Measurement& m) {
       m.control = PathResult{};
       m.isp.hops = {Hop(451, "status:451")};
     },
     Verdict::kBlockedHttp},
    // inconclusive
    {"no_control_resolver_nxdomain",
     [](Measurement& m) {
       m.control_resolver = false;
       m.isp_dns = Status(DnsStatus::kNxDomain, "NXDOMAIN");
     },
     Verdict::kInconclusive},
    {"no_control_resolver_bogon",
     [](Measurement& m) {
       m.control_resolver = false;
       m.isp_dns = Answer({"0.0.0.0"});
     },
     Verdict::kInconclusive},
    {"control_resolver_timeout_isp_nx",
     [](Measurement& m) {
       m.isp_dns = Status(DnsStatus::kNxDomain, "NXDOMAIN");
       m.control_dns = Status(DnsStatus::kTimeout);
     },
     Verdict::kInconclusive},
    {"isp_servfail", [](Measurement& m) { m.isp_dns = Status(DnsStatus::kRcode, "SERVFAIL"); },
     Verdict::kInconclusive},
    {"isp_resolver_timeout", [](Measurement& m) { m.isp_dns = Status(DnsStatus::kTimeout); },
     Verdict::kInconclusive},
    {"control_resolver_filtered_too",
     [](Measurement& m) { m.control_dns.notice = "blocked.authority.test"; },
     Verdict::kInconclusive},
    {"isp_answers_control_nx",
     [](Measurement& m) { m.control_dns = Status(DnsStatus::kNxDomain, "NXDOMAIN"); },
     Verdict::kInconclusive},
    {"no_control_path_instead_of_blocked_ip",
     [](Measurement& m) {
       m.control = PathResult{};
       m.isp.connect = ConnectStatus::kTimeout;
     },
     Verdict::kInconclusive},
    {"no_control_path_tls_reset",
     [](Measurement& m) {
       m.control = PathResult{};
       m.isp.tls = TlsStatus::kReset;
     },
     Verdict::kInconclusive},
    {"control_bind_error",
     [](Measurement& m) {
       m.isp.connect = ConnectStatus::kTimeout;
       m.control.connect = ConnectStatus::kError;
     },
     Verdict::kInconclusive},
    {"isp_local_error_control_ok", [](Measurement& m) { m.isp.connect = ConnectStatus::kError; },
     Verdict::kInconclusive},
    {"tls_alert_control_ok",
     [](Measurement& m) {
       m.isp.tls = TlsStatus::kAlert;
       m.isp.tls_alert = 40;
     },
     Verdict::kInconclusive},
    {"tls_reset_control_cannot_connect",
     [](Measurement& m) {
       m.isp.tls = TlsStatus::kReset;
       m.control.connect = ConnectStatus::kTimeout;
     },
     Verdict::kInconclusive},
    {"http_reset_control_answers",
     [](Measurement& m) {
       m.isp.hops.clear();
       m.isp.http = HttpStatus::kReset;
     },
     Verdict::kInconclusive},
    {"control_sees_block_page_too",
     [](Measurement& m) { m.isp.hops = m.control.hops = {Hop(451, "status:451")}; },
     Verdict::kInconclusive},
    {"status_differs_from_control", [](Measurement& m) { m.isp.hops = {Hop(403)}; },
     Verdict::kInconclusive},
    {"http_timeout_no_control",
     [](Measurement& m) {
       m.control = PathResult{};
       m.isp.hops.clear();
       m.isp.http = HttpStatus::kTimeout;
     },
     Verdict::kInconclusive},
};

INSTANTIATE_TEST_SUITE_P(ProbeClassify, ClassifyTable, ::testing::ValuesIn(kRows),
                         [](const ::testing::TestParamInfo<Row>& row) {
                           return std::string(row.param.name);
                         });

TEST(ProbeClassify, EveryVerdictIsReachable) {
  bool seen[kVerdictCount] = {};
  for (const Row& row : kRows) seen[static_cast<int>(row.want)] = true;
  for (int v = 0; v < kVerdictCount; ++v) EXPECT_TRUE(seen[v]) << VerdictName(Verdict(v));
}

TEST(ProbeClassify, AddressTargetSkipsDns) {
  Measurement m = Base();
  m.host.clear();
  m.control_resolver = false;
  m.isp_dns = m.control_dns = DnsResult{};
  EXPECT_EQ(Classify(m).verdict, Verdict::kAccessible);
  m.isp.connect = ConnectStatus::kTimeout;
  EXPECT_EQ(Classify(m).verdict, Verdict::kBlockedIp);
}

TEST(ProbeClassify, VerdictNamesRoundTrip) {
  const char* names[] = {"blocked-dns", "blocked-ip", "blocked-sni", "blocked-http",
                         "accessible",  "down",       "inconclusive"};
  for (int v = 0; v < kVerdictCount; ++v) {
    EXPECT_EQ(VerdictName(static_cast<Verdict>(v)), names[v]);
    ASSERT_TRUE(ParseVerdict(names[v]).ok());
    EXPECT_EQ(*ParseVerdict(names[v]), static_cast<Verdict>(v));
  }
  EXPECT_FALSE(ParseVerdict("blocked").ok());
}

TEST(ProbeClassify, Bogons) {
  for (const char* a : {"0.0.0.0",
                        "10.1.2.3",
                        "127.0.0.1",
                        "169.254.1.1",
                        "172.16.0.1",
                        "192.168.1.1",
                        "100.64.0.1",
                        "192.0.2.1",
                        "198.18.0.1",
                        "224.0.0.1",
                        "255.255.255.255",
                        "::",
                        "::1",
                        "fe80::1",
                        "fd00::1",
                        "2001:db8::1",
                        "::ffff:127.0.0.1",
                        "ff02::1",
                        "not-an-address",
                        ""}) {
    EXPECT_TRUE(IsBogon(a)) << a;
  }
  for (const char* a : {"1.1.1.1", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2a00:1450::1",
                        "::ffff:8.8.8.8", "11.0.0.1"}) {
    EXPECT_FALSE(IsBogon(a)) << a;
  }
}

TEST(ProbeClassify, UsableAddressesPreferIpv4AndSkipBogons) {
  Measurement m = Base();
  m.isp_dns = Answer({"2a00:1450::1", "0.0.0.0", "198.51.7.1"});
  m.control_dns = Answer({"198.51.7.1"});
  EXPECT_EQ(UsableAddresses(m), (std::vector<std::string>{"198.51.7.1", "2a00:1450::1"}));
}

}  // namespace
}  // namespace interdict::probe
