// The probe's parsers and renderings: fingerprint files, target files, the feed snapshot, the
// plan of each target kind, evidence JSON and its size limit, result and submission JSON.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "probe/fingerprints.h"
#include "probe/measurement.h"
#include "probe/registry_client.h"
#include "probe/targets.h"

namespace interdict::probe {
namespace {

namespace json = boost::json;

TEST(ProbeFingerprints, ParsesEachKind) {
  Result<std::vector<Fingerprint>> r = ParseFingerprints(
      "# block pages\n"
      "\n"
      "body:Access restricted by order\r\n"
      "  header:X-Blocked-By:isp\n"
      "status:403\n"
      "body:a:b # not a comment\n",
      "prints.txt");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 4U);
  EXPECT_EQ((*r)[0].kind, Fingerprint::Kind::kBody);
  EXPECT_EQ((*r)[0].text, "Access restricted by order");
  EXPECT_EQ((*r)[0].line, 3);
  EXPECT_EQ((*r)[1].kind, Fingerprint::Kind::kHeader);
  EXPECT_EQ((*r)[1].header, "x-blocked-by");
  EXPECT_EQ((*r)[1].text, "isp");
  EXPECT_EQ((*r)[1].ToString(), "header:x-blocked-by:isp");
  EXPECT_EQ((*r)[2].status, 403);
  EXPECT_EQ((*r)[3].text, "a:b # not a comment");
}

TEST(ProbeFingerprints, ErrorsNameFileLineAndWhy) {
  struct Case {
    const char* text;
    const char* want;
  };
  for (const Case& c : {
           Case{"body:x\nnonsense\n", "f.txt:2: expected body:TEXT"},
           Case{"cookie:x\n", "f.txt:1: unknown kind \"cookie\""},
           Case{"body:\n", "f.txt:1: empty text"},
           Case{"header:X-A\n", "f.txt:1: expected header:NAME:TEXT"},
           Case{"header::x\n", "f.txt:1: empty header name"},
           Case{"header:X A:x\n", "f.txt:1: header name \"X A\" is not an HTTP token"},
           Case{"status:45\n", "f.txt:1: status \"45\" is not a three-digit code"},
           Case{"status:999\n", "f.txt:1: status 999 is outside 100..599"},
           Case{"\n\n# c\nstatus:abc", "f.txt:4: status \"abc\""},
       }) {
    Result<std::vector<Fingerprint>> r = ParseFingerprints(c.text, "f.txt");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().message().rfind(c.want, 0), 0U) << r.status().message();
  }
  EXPECT_FALSE(ParseFingerprints("body:" + std::string(kMaxFingerprintText + 1, 'x'), "f").ok());
  EXPECT_FALSE(ReadFingerprintFile("/nonexistent/prints.txt").ok());
}

TEST(ProbeFingerprints, Matches) {
  const std::vector<Fingerprint> prints =
      *ParseFingerprints("body:Blocked\nheader:server:filter\nstatus:403\n", "f");
  EXPECT_EQ(MatchFingerprint(prints, 200, {}, "<h1>Blocked</h1>"), &prints[0]);
  EXPECT_EQ(MatchFingerprint(prints, 200, {{"server", "isp-filter/1"}}, ""), &prints[1]);
  EXPECT_EQ(MatchFingerprint(prints, 403, {}, ""), &prints[2]);
  EXPECT_EQ(MatchFingerprint(prints, 200, {{"x-server", "filter"}}, "blocked"), nullptr);
  // Only the first kFingerprintBodyBytes of a body are looked at.
  EXPECT_EQ(MatchFingerprint(prints, 200, {}, std::string(kFingerprintBodyBytes, 'a') + "Blocked"),
            nullptr);
}

TEST(ProbeTargets, ParsesATargetsFile) {
  Result<TargetList> r = ParseTargetsFile(
      "# targets\n"
      "domain:x.test\n"
      "  domain-tree:tree.test  \n"
      "url:https://u.test/a?b=1\n"
      "ip:192.0.2.1\n"
      "*.wild.test\n"
      "203.0.113.0/24\n"
      "play:com.example.app\n"
      "Bare.TEST\n",
      "t.txt");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->targets.size(), 7U);
  EXPECT_EQ(r->skipped, 1U);
  EXPECT_EQ(r->targets[0].ToString(), "domain:x.test");
  EXPECT_EQ(r->targets[1].ToString(), "domain-tree:tree.test");
  EXPECT_EQ(r->targets[4].ToString(), "domain-tree:wild.test");
  EXPECT_EQ(r->targets[5].ToString(), "cidr:203.0.113.0/24");
  EXPECT_EQ(r->targets[6].ToString(), "domain:bare.test");
  Result<TargetList> bad = ParseTargetsFile("domain:ok.test\n\nip:300.1.1.1\n", "t.txt");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().rfind("t.txt:3: ", 0), 0U) << bad.status().message();
}

TEST(ProbeTargets, ParsesTheFeedSnapshot) {
  Result<TargetList> r = ParseFeedSnapshot(
      R"({"format":"interdict-feed","version":1,"registry":"r","view":"isp","serial":42,
          "entries":[{"kind":"domain","value":"a.test","orders":[1]},
                     {"kind":"app","value":"play:x.y","orders":[1]},
                     {"kind":"cidr","value":"198.51.100.0/24","orders":[2]}],
          "orders":[]})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->serial, 42);
  EXPECT_EQ(r->skipped, 1U);
  ASSERT_EQ(r->targets.size(), 2U);
  EXPECT_EQ(r->targets[1].ToString(), "cidr:198.51.100.0/24");
  EXPECT_FALSE(ParseFeedSnapshot("[]").ok());
  EXPECT_FALSE(ParseFeedSnapshot(R"({"format":"other","entries":[]})").ok());
  EXPECT_FALSE(ParseFeedSnapshot(R"({"format":"interdict-feed","added":[]})").ok());
  Result<TargetList> bad = ParseFeedSnapshot(
      R"({"format":"interdict-feed","entries":[{"kind":"domain","value":"ok.test"},{"kind":"ip","value":"x"}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("entries[1].value"), std::string::npos);
  EXPECT_FALSE(ParseFeedSnapshot("{\"format\":").ok());
}

TEST(ProbeTargets, PlansEachKind) {
  auto plan = [](const char* text) {
    Result<ProbePlan> p = PlanTarget(*ParseTarget(text), 8080, 8443);
    EXPECT_TRUE(p.ok()) << text << ": " << p.status().message();
    return p.ok() ? *p : ProbePlan{};
  };
  ProbePlan p = plan("domain:x.test");
  EXPECT_EQ(p.host, "x.test");
  EXPECT_EQ(p.scheme, "https");
  EXPECT_EQ(p.port, 8443);
  EXPECT_TRUE(p.http_fallback);
  EXPECT_EQ(p.http_port, 8080);
  p = plan("url:http://u.test/a/b?c=d");
  EXPECT_EQ(p.host, "u.test");
  EXPECT_EQ(p.scheme, "http");
  EXPECT_EQ(p.port, 8080);
  EXPECT_FALSE(p.http_fallback);
  EXPECT_EQ(p.path, "/a/b?c=d");
  p = plan("url:https://u.test:9443/dl/*");
  EXPECT_EQ(p.port, 9443);
  EXPECT_EQ(p.path, "/dl/");
  p = plan("url:https://[2001:db8::1]/x");
  EXPECT_EQ(p.address, "2001:db8::1");
  EXPECT_TRUE(p.host.empty());
  p = plan("ip:192.0.2.7");
  EXPECT_EQ(p.address, "192.0.2.7");
  EXPECT_TRUE(p.http_fallback);
  EXPECT_EQ(plan("cidr:198.51.100.0/24").address, "198.51.100.1");
  EXPECT_EQ(plan("cidr:198.51.100.8/31").address, "198.51.100.8");
  EXPECT_EQ(plan("cidr:2001:db8::/64").address, "2001:db8::1");
  EXPECT_FALSE(PlanTarget(*ParseTarget("play:com.x"), 80, 443).ok());
  EXPECT_EQ(Authority("x.test", "https", 443), "x.test");
  EXPECT_EQ(Authority("x.test", "http", 8080), "x.test:8080");
  EXPECT_EQ(Authority("::1", "https", 443), "[::1]");
}

Measurement BigMeasurement() {
  Measurement m;
  m.host = "x.test";
  m.control_resolver = true;
  m.isp_dns.status = DnsStatus::kAddresses;
  m.isp_dns.addresses = {"198.51.7.1"};
  m.scheme = "https";
  m.path = "/";
  for (PathResult* p : {&m.isp, &m.control}) {
    p->configured = true;
    p->connect = ConnectStatus::kOk;
    p->tls = TlsStatus::kOk;
    p->http = HttpStatus::kResponse;
    for (int i = 0; i < 6; ++i) {
      HttpHop h;
      h.url = "https://x.test/" + std::string(300, 'p');
      h.status = 302;
      h.location = std::string(500, 'l');
      h.server = std::string(200, 's');
      h.body_head = std::string(256, '\x01');
      p->hops.push_back(h);
    }
  }
  return m;
}

TEST(ProbeEvidence, IsValidJsonWithinTheLimit) {
  Measurement m = BigMeasurement();
  m.isp.hops[0].body_head = "caf\xc3\xa9 \\ \"q\"\n";
  const std::string s = EvidenceJson(m, "the reason");
  EXPECT_LE(s.size(), kMaxEvidenceBytes);
  const json::value v = json::parse(s);  // valid UTF-8 JSON, or this throws
  EXPECT_EQ(v.at("reason").as_string(), "the reason");
  EXPECT_EQ(v.at("scheme").as_string(), "https");
  EXPECT_EQ(v.at("isp").at("http").at("result").as_string(), "response");

  Measurement small;
  small.host = "x.test";
  small.isp_dns.status = DnsStatus::kNxDomain;
  small.isp_dns.rcode = "NXDOMAIN";
  small.isp.hops.push_back({});
  const json::value w = json::parse(EvidenceJson(small, "r"));
  EXPECT_EQ(w.at("dns").at("isp").at("result").as_string(), "nxdomain");
  EXPECT_FALSE(w.as_object().contains("isp"));  // no connect was made
  // The body is kept, escaped, when there is room.
  Measurement one = BigMeasurement();
  one.isp.hops.resize(1);
  one.control.hops.resize(1);
  one.isp.hops[0].body_head = "caf\xc3\xa9\\";
  const json::value x = json::parse(EvidenceJson(one, "r"));
  EXPECT_EQ(x.at("isp").at("http").at("hops").at(0).at("body").as_string(), "caf\\xc3\\xa9\\\\");
  EXPECT_EQ(EscapeBytes(std::string("a\0b", 3)), "a\\x00b");
}

TEST(ProbeEvidence, ResultAndSubmissionJson) {
  ProbeResult r;
  r.target = *ParseTarget("domain:x.test");
  r.verdict = Verdict::kBlockedSni;
  r.reason = "why";
  r.measured_at = 1800000000;
  const std::string line = ResultJson(r);
  const json::value v = json::parse(line);
  EXPECT_EQ(v.at("target").as_string(), "domain:x.test");
  EXPECT_EQ(v.at("verdict").as_string(), "blocked-sni");
  EXPECT_EQ(v.at("measured_at").as_string(), "2027-01-15T08:00:00Z");
  EXPECT_EQ(v.at("evidence").at("reason").as_string(), "why");
  const std::vector<std::string> lines = {line, line};
  const json::value body =
      json::parse(SubmissionJson(RunHeader{"ISP One", 42, 1800000000, 1800000060}, lines));
  EXPECT_EQ(body.at("vantage").as_string(), "ISP One");
  EXPECT_EQ(body.at("serial").as_int64(), 42);
  EXPECT_EQ(body.at("finished_at").as_string(), "2027-01-15T08:01:00Z");
  EXPECT_EQ(body.at("results").as_array().size(), 2U);
  const json::value no_serial =
      json::parse(SubmissionJson(RunHeader{"#3", std::nullopt, 0, 0}, lines));
  EXPECT_FALSE(no_serial.as_object().contains("serial"));
}

TEST(ProbeRegistryClient, ChecksTheUrl) {
  EXPECT_TRUE(RegistryClient::Create("http://127.0.0.1:8080", "idt_x").ok());
  EXPECT_TRUE(RegistryClient::Create("https://register.test/base/", "idt_x").ok());
  EXPECT_TRUE(RegistryClient::Create("http://[::1]:80", "idt_x").ok());
  EXPECT_FALSE(RegistryClient::Create("ftp://x", "idt_x").ok());
  EXPECT_FALSE(RegistryClient::Create("http://:80", "idt_x").ok());
  EXPECT_FALSE(RegistryClient::Create("http://x:99999", "idt_x").ok());
  EXPECT_FALSE(RegistryClient::Create("http://x", "").ok());
}

}  // namespace
}  // namespace interdict::probe
