#include "feed/format.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <set>
#include <sstream>

#include "feed/feed_testing.h"
#include "io/importer.h"
#include "testing/text.h"

namespace interdict::feed {
namespace {

using feedtest::HaveTool;
using feedtest::RunCommand;
using feedtest::T;
using feedtest::TestRegistry;
using interdict::testing::ReadFile;
using interdict::testing::SplitOn;
using interdict::testing::TempDir;
using interdict::testing::WriteFile;

UnixTime Time(std::string_view text) {
  Result<UnixTime> t = ParseTime(text);
  EXPECT_TRUE(t.ok()) << text;
  return t.ok() ? *t : 0;
}

// `v` with `e` added (its entries are a sorted, shared list).
void AddEntry(ViewSet* v, FeedEntry e) {
  v->entries = v->entries.Merge({std::move(e)}, std::vector<Target>{});
}

// `v` with the body of order `id` changed.
void SetBody(ViewSet* v, Id id, std::string body) {
  FeedOrder o = *v->order(id);
  o.body = std::move(body);
  v->orders = v->orders.Merge({o}, std::vector<Id>{});
}

// The small view of the golden tests: one of each kind the isp view carries, an order whose body
// needs quoting, and a target named by both orders.
ViewSet Sample() {
  ViewSet v;
  v.view = View::kIsp;
  v.registry_id = "reg-1";
  v.serial = 7;
  v.entries = {{T("example.com"), {1}},
               {T("*.example.org"), {1, 2}},
               {T("url:https://example.net/x"), {1}},
               {T("2001:db8::1"), {2}},
               {T("192.0.2.0/24"), {1}}};
  v.orders = {FeedOrder{1, "Court A", "R-1", Time("2027-06-01"),
                        Bit(Scope::kIsp) | Bit(Scope::kVpn), Time("2026-11-20T10:00:00Z")},
              FeedOrder{2, "Tribunal \"B\", Lima", "B/2", Time("2027-01-01"), Bit(Scope::kIsp),
                        Time("2026-10-01")}};
  v.uses = CountUses(v.entries);
  return v;
}

// The same view at serial 5: old.example, 198.51.100.7 and 192.0.0.0/16 instead of 2001:db8::1
// and 192.0.2.0/24.
ViewSet SampleBefore() {
  ViewSet v = Sample();
  v.serial = 5;
  v.entries = {{T("example.com"), {1}},      {T("old.example"), {1}},
               {T("*.example.org"), {1, 2}}, {T("url:https://example.net/x"), {1}},
               {T("198.51.100.7"), {2}},     {T("192.0.0.0/16"), {1}}};
  return v;
}

std::string Write(const ViewSet& v, FeedFormat f, const FormatOptions& o = {},
                  FormatReport* report = nullptr) {
  std::ostringstream out;
  Result<FormatReport> r = WriteView(v, f, o, out);
  EXPECT_TRUE(r.ok()) << FeedFormatName(f) << ": " << r.status().ToString();
  if (r.ok() && report != nullptr) *report = *r;
  return out.str();
}

std::string WriteD(const ViewSet& now, const ViewDelta& d, FeedFormat f,
                   const FormatOptions& o = {}, FormatReport* report = nullptr) {
  std::ostringstream out;
  Result<FormatReport> r = WriteDelta(now, d, f, o, out);
  EXPECT_TRUE(r.ok()) << FeedFormatName(f) << ": " << r.status().ToString();
  if (r.ok() && report != nullptr) *report = *r;
  return out.str();
}

// The lines of a document that are not comments.
std::string Body(const std::string& doc, char comment) {
  std::string out;
  for (const std::string& line : SplitOn(doc, '\n')) {
    if (line.empty() || line[0] == comment) continue;
    out += line + "\n";
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Names, options, counts

TEST(FeedFormatNames, RoundTripAndUnknown) {
  for (const FeedFormat f : kAllFeedFormats) {
    Result<FeedFormat> back = ParseFeedFormat(FeedFormatName(f));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, f);
  }
  Result<FeedFormat> bad = ParseFeedFormat("yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("rpz, hosts, domains, unbound, nft, ipset, bird, csv, "
                                        "json, zi-csv"),
            std::string::npos);
}

TEST(FeedFormatOptions, BadNamesAreRefusedBeforeWriting) {
  const ViewSet v = Sample();
  auto refuses = [&](FeedFormat f, const FormatOptions& o, std::string_view words) {
    std::ostringstream out;
    Result<FormatReport> r = WriteView(v, f, o, out);
    ASSERT_FALSE(r.ok()) << FeedFormatName(f);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(words), std::string::npos) << r.status().message();
    EXPECT_TRUE(out.str().empty());
  };
  FormatOptions o;
  o.rpz_zone = "bad zone.";
  refuses(FeedFormat::kRpz, o, "the rpz zone");
  o = {};
  o.rpz_zone = ".";
  refuses(FeedFormat::kRpz, o, "root");
  o = {};
  o.notice_host = "a..b";
  refuses(FeedFormat::kRpz, o, "the notice host");
  o = {};
  o.nft_family = "ip";
  refuses(FeedFormat::kNft, o, "inet or bridge");
  o = {};
  o.nft_table = "my table";
  refuses(FeedFormat::kNft, o, "the nft table");
  o = {};
  o.ipset_name = std::string(25, 'x');
  refuses(FeedFormat::kIpset, o, "the ipset name");
  o = {};
  o.bird_protocol = "a-b";
  refuses(FeedFormat::kBird, o, "the BIRD protocol name");
  o = {};
  o.ipset_maxelem = 1;
  ViewSet two = v;
  AddEntry(&two, {T("198.51.100.7"), {1}});
  std::ostringstream out;
  EXPECT_EQ(WriteView(two, FeedFormat::kIpset, o, out).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(out.str().empty());
  EXPECT_TRUE(WriteView(v, FeedFormat::kIpset, o, out).ok());  // one network per family fits
}

TEST(FeedFormatReport, CountsWhatEachFormatLeavesOut) {
  const ViewSet v = Sample();
  FormatReport r;
  Write(v, FeedFormat::kRpz, {}, &r);
  EXPECT_EQ(r.written, 4u);
  EXPECT_EQ(r.skipped, 1u);
  EXPECT_EQ(r.skipped_by_kind[static_cast<std::size_t>(TargetKind::kUrl)], 1u);
  EXPECT_EQ(r.notes, std::vector<std::string>{"1 url target not expressible in rpz"});

  Write(v, FeedFormat::kHosts, {}, &r);
  EXPECT_EQ(r.written, 2u);
  EXPECT_EQ(r.skipped, 3u);
  EXPECT_EQ(r.narrowed, 1u);
  EXPECT_EQ(r.notes,
            (std::vector<std::string>{
                "1 url target not expressible in hosts", "1 ip target not expressible in hosts",
                "1 cidr target not expressible in hosts",
                "1 domain-tree target written as the name only (a hosts file cannot "
                "block the names under a name)"}));

  Write(v, FeedFormat::kNft, {}, &r);
  EXPECT_EQ(r.written, 2u);
  EXPECT_EQ(r.skipped, 3u);

  Write(v, FeedFormat::kCsv, {}, &r);
  EXPECT_EQ(r.written, 5u);
  EXPECT_EQ(r.skipped, 0u);
  EXPECT_TRUE(r.notes.empty());

  // An appstore view has nothing an rpz zone can say.
  ViewSet apps;
  apps.view = View::kAppstore;
  apps.registry_id = "reg-1";
  apps.entries = {{T("play:com.a"), {1}}, {T("play:com.b"), {1}}};
  const std::string zone = Write(apps, FeedFormat::kRpz, {}, &r);
  EXPECT_EQ(r.written, 0u);
  EXPECT_EQ(r.notes, std::vector<std::string>{"2 app targets not expressible in rpz"});
  EXPECT_NE(zone.find("; 2 app targets not expressible in rpz\n"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Golden documents

TEST(FeedFormatGolden, Rpz) {
  EXPECT_EQ(Write(Sample(), FeedFormat::kRpz),
            "; interdict rpz feed, snapshot\n"
            "; registry: reg-1\n"
            "; view: isp\n"
            "; serial: 7\n"
            "; entries: 4 written, 1 left out\n"
            "; 1 url target not expressible in rpz\n"
            "; every trigger answers NXDOMAIN (CNAME .)\n"
            "$ORIGIN rpz.interdict.invalid.\n"
            "$TTL 300\n"
            "@ SOA localhost. hostmaster.localhost. 7 60 60 864000 60\n"
            "@ NS localhost.\n"
            "*.example.org CNAME .\n"
            "128.1.zz.db8.2001.rpz-ip CNAME .\n"
            "24.0.2.0.192.rpz-ip CNAME .\n"
            "example.com CNAME .\n"
            "example.org CNAME .\n");

  FormatOptions o;
  o.rpz_zone = "Blocked.ISP.Example";
  o.notice_host = "notice.example.";
  o.ttl = 60;
  const std::string doc = Write(Sample(), FeedFormat::kRpz, o);
  EXPECT_EQ(Body(doc, ';'),
            "$ORIGIN blocked.isp.example.\n"
            "$TTL 60\n"
            "@ SOA localhost. hostmaster.localhost. 7 60 60 864000 60\n"
            "@ NS localhost.\n"
            "*.example.org CNAME notice.example.\n"
            "128.1.zz.db8.2001.rpz-ip CNAME notice.example.\n"
            "24.0.2.0.192.rpz-ip CNAME notice.example.\n"
            "example.com CNAME notice.example.\n"
            "example.org CNAME notice.example.\n");
  EXPECT_NE(doc.find("; every trigger answers with a CNAME to the notice host\n"),
            std::string::npos);

  // The SOA serial is the registry serial modulo 2^32.
  ViewSet big = Sample();
  big.serial = (std::int64_t{1} << 32) + 9;
  EXPECT_NE(Write(big, FeedFormat::kRpz).find("@ SOA localhost. hostmaster.localhost. 9 60 "),
            std::string::npos);
}

TEST(FeedFormatGolden, RpzLeavesOutNamesTooLongForTheZone) {
  std::string label(60, 'a');
  const std::string name = label + "." + label + "." + label + "." + label.substr(0, 50) + ".ex";
  ASSERT_EQ(name.size(), 236u);
  ViewSet v = Sample();
  const std::string tree = name.substr(6);  // 230 characters
  v.entries = {{T(name), {1}}, {T("*." + tree), {1}}};
  // Under rpz.interdict.invalid. (22 characters) 236 + 22 > 253: out. The tree's own name
  // (230 characters) fits, its "*." form (232) does not.
  FormatReport r;
  const std::string doc = Write(v, FeedFormat::kRpz, {}, &r);
  EXPECT_EQ(r.too_long, 2u);
  EXPECT_EQ(r.written, 1u);
  EXPECT_EQ(r.skipped, 1u);
  EXPECT_NE(doc.find("; 2 targets have a trigger name too long under the zone "
                     "rpz.interdict.invalid. (left out)\n"),
            std::string::npos);
  EXPECT_NE(doc.find("\n" + tree + " CNAME .\n"), std::string::npos);
  EXPECT_EQ(doc.find("\n" + name + " CNAME"), std::string::npos);
  EXPECT_EQ(doc.find("*." + tree + " CNAME"), std::string::npos);
  // Under a short zone they all fit.
  FormatOptions o;
  o.rpz_zone = "z";
  Write(v, FeedFormat::kRpz, o, &r);
  EXPECT_EQ(r.too_long, 0u);
  EXPECT_EQ(r.written, 2u);
}

TEST(FeedFormatGolden, HostsAndDomains) {
  EXPECT_EQ(Write(Sample(), FeedFormat::kDomains),
            "# interdict domains feed, snapshot\n"
            "# registry: reg-1\n"
            "# view: isp\n"
            "# serial: 7\n"
            "# entries: 2 written, 3 left out\n"
            "# 1 url target not expressible in domains\n"
            "# 1 ip target not expressible in domains\n"
            "# 1 cidr target not expressible in domains\n"
            "# one name per line; \"*.name\" is the name and every name under it\n"
            "example.com\n"
            "*.example.org\n");
  EXPECT_EQ(Body(Write(Sample(), FeedFormat::kHosts), '#'),
            "0.0.0.0 example.com\n"
            "0.0.0.0 example.org\n");

  // A domain and a domain-tree on one name: two lines in domains, one in hosts.
  ViewSet v = Sample();
  v.entries = {{T("x.example"), {1}}, {T("*.x.example"), {1}}};
  EXPECT_EQ(Body(Write(v, FeedFormat::kDomains), '#'), "x.example\n*.x.example\n");
  EXPECT_EQ(Body(Write(v, FeedFormat::kHosts), '#'), "0.0.0.0 x.example\n");
}

TEST(FeedFormatGolden, Unbound) {
  EXPECT_EQ(Body(Write(Sample(), FeedFormat::kUnbound), '#'),
            "server:\n"
            "local-zone: \"example.org.\" always_nxdomain\n"
            "local-data: \"example.com. A 0.0.0.0\"\n"
            "local-data: \"example.com. AAAA ::\"\n");
}

TEST(FeedFormatGolden, Nft) {
  EXPECT_EQ(Write(Sample(), FeedFormat::kNft),
            "# interdict nft feed, snapshot\n"
            "# registry: reg-1\n"
            "# view: isp\n"
            "# serial: 7\n"
            "# entries: 2 written, 3 left out\n"
            "# 1 domain target not expressible in nft\n"
            "# 1 domain-tree target not expressible in nft\n"
            "# 1 url target not expressible in nft\n"
            "# apply with `nft -f FILE`: one transaction replaces the sets' contents at once;\n"
            "# a network inside another one is left out (intervals may not overlap)\n"
            "table inet interdict {\n"
            "\tset v4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t}\n"
            "\tset v6 {\n\t\ttype ipv6_addr\n\t\tflags interval\n\t}\n"
            "\tchain forward {\n"
            "\t\ttype filter hook forward priority filter; policy accept;\n\t}\n"
            "\tchain output {\n"
            "\t\ttype filter hook output priority filter; policy accept;\n\t}\n"
            "}\n"
            "flush chain inet interdict forward\n"
            "flush chain inet interdict output\n"
            "flush set inet interdict v4\n"
            "flush set inet interdict v6\n"
            "add rule inet interdict forward ip daddr @v4 counter drop\n"
            "add rule inet interdict forward ip6 daddr @v6 counter drop\n"
            "add rule inet interdict output ip daddr @v4 counter drop\n"
            "add rule inet interdict output ip6 daddr @v6 counter drop\n"
            "add element inet interdict v4 {\n\t192.0.2.0/24\n}\n"
            "add element inet interdict v6 {\n\t2001:db8::1\n}\n");

  // Nested networks: only the outermost go in (an interval set refuses overlaps); an address
  // and the /32 of it are one element.
  ViewSet v = Sample();
  v.entries = {{T("10.0.0.0/8"), {1}},        {T("10.1.2.3"), {1}},
               {T("192.0.2.0/24"), {1}},      {T("192.0.2.1"), {1}},
               {T("cidr:192.0.2.1/32"), {1}}, {T("192.0.2.128/25"), {1}},
               {T("198.51.100.7"), {1}},      {T("cidr:198.51.100.7/32"), {1}},
               {T("2001:db8::/32"), {1}},     {T("2001:db8:1::/48"), {1}},
               {T("2001:db9::1"), {1}}};
  FormatOptions no_rules;
  no_rules.nft_drop_rules = false;
  no_rules.nft_table = "blocks";
  no_rules.nft_family = "bridge";
  EXPECT_EQ(Body(Write(v, FeedFormat::kNft, no_rules), '#'),
            "table bridge blocks {\n"
            "\tset v4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t}\n"
            "\tset v6 {\n\t\ttype ipv6_addr\n\t\tflags interval\n\t}\n"
            "}\n"
            "flush set bridge blocks v4\n"
            "flush set bridge blocks v6\n"
            "add element bridge blocks v4 {\n\t10.0.0.0/8,\n\t192.0.2.0/24,\n\t198.51.100.7\n}\n"
            "add element bridge blocks v6 {\n\t2001:db8::/32,\n\t2001:db9::1\n}\n");
}

TEST(FeedFormatGolden, Ipset) {
  EXPECT_EQ(Body(Write(Sample(), FeedFormat::kIpset), '#'),
            "create interdict-v4 hash:net family inet maxelem 1048576 -exist\n"
            "create interdict-v4-new hash:net family inet maxelem 1048576 -exist\n"
            "flush interdict-v4-new\n"
            "add interdict-v4-new 192.0.2.0/24\n"
            "swap interdict-v4-new interdict-v4\n"
            "destroy interdict-v4-new\n"
            "create interdict-v6 hash:net family inet6 maxelem 1048576 -exist\n"
            "create interdict-v6-new hash:net family inet6 maxelem 1048576 -exist\n"
            "flush interdict-v6-new\n"
            "add interdict-v6-new 2001:db8::1\n"
            "swap interdict-v6-new interdict-v6\n"
            "destroy interdict-v6-new\n");
  // A /0 is its two halves; an ip and its /32 are one element; nested networks all stay.
  ViewSet v = Sample();
  v.entries = {{T("0.0.0.0/0"), {1}},
               {T("0.0.0.0/1"), {1}},
               {T("192.0.2.1"), {1}},
               {T("cidr:192.0.2.1/32"), {1}},
               {T("::/0"), {1}}};
  FormatOptions o;
  o.ipset_name = "blk";
  o.ipset_maxelem = 65536;
  EXPECT_EQ(Body(Write(v, FeedFormat::kIpset, o), '#'),
            "create blk-v4 hash:net family inet maxelem 65536 -exist\n"
            "create blk-v4-new hash:net family inet maxelem 65536 -exist\n"
            "flush blk-v4-new\n"
            "add blk-v4-new 0.0.0.0/1\n"
            "add blk-v4-new 128.0.0.0/1\n"
            "add blk-v4-new 192.0.2.1\n"
            "swap blk-v4-new blk-v4\n"
            "destroy blk-v4-new\n"
            "create blk-v6 hash:net family inet6 maxelem 65536 -exist\n"
            "create blk-v6-new hash:net family inet6 maxelem 65536 -exist\n"
            "flush blk-v6-new\n"
            "add blk-v6-new ::/1\n"
            "add blk-v6-new 8000::/1\n"
            "swap blk-v6-new blk-v6\n"
            "destroy blk-v6-new\n");
}

TEST(FeedFormatGolden, Bird) {
  const std::string community =
      " blackhole { bgp_community.add((65535, 666)); bgp_community.add((65535, 65281)); };\n";
  EXPECT_EQ(Body(Write(Sample(), FeedFormat::kBird), '#'),
            "protocol static interdict_v4 {\n\tipv4;\n\troute 192.0.2.0/24" + community +
                "}\n"
                "protocol static interdict_v6 {\n\tipv6;\n\troute 2001:db8::1/128" +
                community + "}\n");
}

TEST(FeedFormatGolden, CsvAndJson) {
  const std::string o1 = "1,Court A,R-1,2026-11-20T10:00:00Z,2027-06-01T00:00:00Z,\"isp,vpn\"";
  const std::string o2 =
      "2,\"Tribunal \"\"B\"\", Lima\",B/2,2026-10-01T00:00:00Z,"
      "2027-01-01T00:00:00Z,isp";
  EXPECT_EQ(Write(Sample(), FeedFormat::kCsv),
            "kind,value,order_id,body,reference,issued,expires,scope\n"
            "domain,example.com," +
                o1 +
                "\n"
                "domain-tree,example.org," +
                o1 +
                "\n"
                "domain-tree,example.org," +
                o2 +
                "\n"
                "url,https://example.net/x," +
                o1 +
                "\n"
                "ip,2001:db8::1," +
                o2 +
                "\n"
                "cidr,192.0.2.0/24," +
                o1 + "\n");
  EXPECT_EQ(
      Write(Sample(), FeedFormat::kJson),
      "{\"format\":\"interdict-feed\",\"version\":1,\"registry\":\"reg-1\",\"view\":\"isp\","
      "\"serial\":7,\n"
      "\"entries\":[\n"
      "{\"kind\":\"domain\",\"value\":\"example.com\",\"orders\":[1]},\n"
      "{\"kind\":\"domain-tree\",\"value\":\"example.org\",\"orders\":[1,2]},\n"
      "{\"kind\":\"url\",\"value\":\"https://example.net/x\",\"orders\":[1]},\n"
      "{\"kind\":\"ip\",\"value\":\"2001:db8::1\",\"orders\":[2]},\n"
      "{\"kind\":\"cidr\",\"value\":\"192.0.2.0/24\",\"orders\":[1]}],\n"
      "\"orders\":[\n"
      "{\"id\":1,\"body\":\"Court A\",\"reference\":\"R-1\",\"issued\":\"2026-11-20T10:00:00Z\","
      "\"expires\":\"2027-06-01T00:00:00Z\",\"scope\":[\"isp\",\"vpn\"]},\n"
      "{\"id\":2,\"body\":\"Tribunal \\\"B\\\", Lima\",\"reference\":\"B/2\","
      "\"issued\":\"2026-10-01T00:00:00Z\",\"expires\":\"2027-01-01T00:00:00Z\","
      "\"scope\":[\"isp\"]}]}\n");
}

TEST(FeedFormatGolden, ZiCsv) {
  FormatOptions o;
  o.updated_at = Time("2026-11-20T10:00:00Z");
  ViewSet v = Sample();
  SetBody(&v, 2, "Суд Москвы");
  const std::string doc = Write(v, FeedFormat::kZiCsv, o);
  const std::string moscow = "\xd1\xf3\xe4 \xcc\xee\xf1\xea\xe2\xfb";  // cp1251
  EXPECT_EQ(doc,
            "Updated: 2026-11-20 10:00:00 +0000\n"
            ";example.com;;Court A;R-1;2026-11-20\n"
            ";*.example.org;;Court A;R-1;2026-11-20\n"
            ";*.example.org;;" +
                moscow +
                ";B/2;2026-10-01\n"
                ";;https://example.net/x;Court A;R-1;2026-11-20\n"
                "2001:db8::1;;;" +
                moscow +
                ";B/2;2026-10-01\n"
                "192.0.2.0/24;;;Court A;R-1;2026-11-20\n");
  // A body z-i cannot hold is an error, not a silent change.
  SetBody(&v, 2, "Court; Lima");
  std::ostringstream out;
  EXPECT_EQ(WriteView(v, FeedFormat::kZiCsv, o, out).status().code(), StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------------
// Golden deltas

TEST(FeedFormatGoldenDelta, RpzIsNsupdateInput) {
  const ViewSet now = Sample();
  const ViewDelta d = Diff(SampleBefore(), now);
  EXPECT_EQ(WriteD(now, d, FeedFormat::kRpz),
            "; interdict rpz feed, delta\n"
            "; registry: reg-1\n"
            "; view: isp\n"
            "; from serial: 5\n"
            "; serial: 7\n"
            "; entries: 5 written, 0 left out\n"
            "; nsupdate input for the zone's primary: `nsupdate [-k KEY] FILE` (add a\n"
            "; \"server\" line first to name it); the last message sets the SOA serial\n"
            "zone rpz.interdict.invalid.\n"
            "update delete 16.0.0.0.192.rpz-ip.rpz.interdict.invalid. CNAME\n"
            "update delete 32.7.100.51.198.rpz-ip.rpz.interdict.invalid. CNAME\n"
            "update delete old.example.rpz.interdict.invalid. CNAME\n"
            "update add 128.1.zz.db8.2001.rpz-ip.rpz.interdict.invalid. 300 CNAME .\n"
            "update add 24.0.2.0.192.rpz-ip.rpz.interdict.invalid. 300 CNAME .\n"
            "update add rpz.interdict.invalid. 300 SOA localhost. hostmaster.localhost. 7 60 60 "
            "864000 60\n"
            "send\n");

  // Batches: at most nsupdate_batch updates per message, the SOA in the last one.
  FormatOptions o;
  o.nsupdate_batch = 2;
  o.notice_host = "notice.example";
  EXPECT_EQ(Body(WriteD(now, d, FeedFormat::kRpz, o), ';'),
            "zone rpz.interdict.invalid.\n"
            "update delete 16.0.0.0.192.rpz-ip.rpz.interdict.invalid. CNAME\n"
            "update delete 32.7.100.51.198.rpz-ip.rpz.interdict.invalid. CNAME\n"
            "send\n"
            "zone rpz.interdict.invalid.\n"
            "update delete old.example.rpz.interdict.invalid. CNAME\n"
            "update add 128.1.zz.db8.2001.rpz-ip.rpz.interdict.invalid. 300 CNAME "
            "notice.example.\n"
            "send\n"
            "zone rpz.interdict.invalid.\n"
            "update add 24.0.2.0.192.rpz-ip.rpz.interdict.invalid. 300 CNAME notice.example.\n"
            "update add rpz.interdict.invalid. 300 SOA localhost. hostmaster.localhost. 7 60 60 "
            "864000 60\n"
            "send\n");

  // A shared owner stays: the domain goes, the tree on the same name stays.
  ViewSet before = now;
  before.serial = 6;
  AddEntry(&before, {T("example.org"), {1}});
  EXPECT_EQ(Body(WriteD(now, Diff(before, now), FeedFormat::kRpz), ';'),
            "zone rpz.interdict.invalid.\n"
            "update add rpz.interdict.invalid. 300 SOA localhost. hostmaster.localhost. 7 60 60 "
            "864000 60\n"
            "send\n");
}

TEST(FeedFormatGoldenDelta, LineFormats) {
  const ViewSet now = Sample();
  const ViewDelta d = Diff(SampleBefore(), now);
  EXPECT_EQ(WriteD(now, d, FeedFormat::kDomains),
            "# interdict domains feed, delta\n"
            "# registry: reg-1\n"
            "# view: isp\n"
            "# from serial: 5\n"
            "# serial: 7\n"
            "# entries: 1 written, 4 left out\n"
            "# 2 ip targets not expressible in domains\n"
            "# 2 cidr targets not expressible in domains\n"
            "# \"-LINE\" removes a line of the document at the first serial, \"+LINE\" adds one\n"
            "-old.example\n");
  EXPECT_EQ(Body(WriteD(now, d, FeedFormat::kHosts), '#'), "-0.0.0.0 old.example\n");
  EXPECT_EQ(Body(WriteD(now, d, FeedFormat::kNft), '#'),
            "delete element inet interdict v4 {\n\t192.0.0.0/16,\n\t198.51.100.7\n}\n"
            "add element inet interdict v4 {\n\t192.0.2.0/24\n}\n"
            "add element inet interdict v6 {\n\t2001:db8::1\n}\n");
  EXPECT_EQ(Body(WriteD(now, d, FeedFormat::kIpset), '#'),
            "del interdict-v4 192.0.0.0/16 -exist\n"
            "del interdict-v4 198.51.100.7 -exist\n"
            "add interdict-v4 192.0.2.0/24 -exist\n"
            "add interdict-v6 2001:db8::1 -exist\n");
  EXPECT_EQ(Body(WriteD(now, d, FeedFormat::kUnbound), '#'), "local_datas_remove old.example.\n");
  const std::string o1 = "1,Court A,R-1,2026-11-20T10:00:00Z,2027-06-01T00:00:00Z,\"isp,vpn\"";
  const std::string o2 =
      "2,\"Tribunal \"\"B\"\", Lima\",B/2,2026-10-01T00:00:00Z,"
      "2027-01-01T00:00:00Z,isp";
  EXPECT_EQ(WriteD(now, d, FeedFormat::kCsv),
            "op,kind,value,order_id,body,reference,issued,expires,scope\n"
            "remove,domain,old.example," +
                o1 +
                "\n"
                "remove,ip,198.51.100.7," +
                o2 +
                "\n"
                "remove,cidr,192.0.0.0/16," +
                o1 +
                "\n"
                "add,ip,2001:db8::1," +
                o2 +
                "\n"
                "add,cidr,192.0.2.0/24," +
                o1 + "\n");
  const std::string json = WriteD(now, d, FeedFormat::kJson);
  EXPECT_EQ(json.substr(0, json.find("\n\"orders\":[") + 1),
            "{\"format\":\"interdict-feed-delta\",\"version\":1,\"registry\":\"reg-1\","
            "\"view\":\"isp\",\"from\":5,\"serial\":7,\n"
            "\"removed\":[\n"
            "{\"kind\":\"domain\",\"value\":\"old.example\",\"orders\":[1]},\n"
            "{\"kind\":\"ip\",\"value\":\"198.51.100.7\",\"orders\":[2]},\n"
            "{\"kind\":\"cidr\",\"value\":\"192.0.0.0/16\",\"orders\":[1]}],\n"
            "\"added\":[\n"
            "{\"kind\":\"ip\",\"value\":\"2001:db8::1\",\"orders\":[2]},\n"
            "{\"kind\":\"cidr\",\"value\":\"192.0.2.0/24\",\"orders\":[1]}],\n");
  // BIRD and z-i: the whole document at the later serial.
  const std::string bird = WriteD(now, d, FeedFormat::kBird);
  EXPECT_EQ(Body(bird, '#'), Body(Write(now, FeedFormat::kBird), '#'));
  EXPECT_NE(bird.find("# from serial: 5\n# serial: 7\n"), std::string::npos);
  EXPECT_NE(bird.find("# this delta is the whole file at its serial"), std::string::npos);
  EXPECT_EQ(WriteD(now, d, FeedFormat::kZiCsv), Write(now, FeedFormat::kZiCsv));
}

TEST(FeedFormatGoldenDelta, UnboundAddsBackNamesOfARemovedZone) {
  ViewSet before = Sample();
  before.serial = 5;
  before.entries = {{T("x.example"), {1}},
                    {T("*.x.example"), {1}},
                    {T("a.x.example"), {1}},
                    {T("*.y.example"), {1}},
                    {T("other.example"), {1}}};
  ViewSet now = Sample();
  now.entries = {{T("x.example"), {1}},
                 {T("a.x.example"), {1}},
                 {T("b.y.example"), {1}},
                 {T("other.example"), {1}},
                 {T("*.new.example"), {1}}};
  // Removing the zone x.example takes the local data inside it: x.example and a.x.example are
  // added again. y.example's zone goes too; b.y.example is new anyway.
  EXPECT_EQ(Body(WriteD(now, Diff(before, now), FeedFormat::kUnbound), '#'),
            "local_zones_remove x.example.\n"
            "local_zones_remove y.example.\n"
            "local_zones new.example. always_nxdomain\n"
            "local_datas a.x.example. A 0.0.0.0\n"
            "local_datas a.x.example. AAAA ::\n"
            "local_datas b.y.example. A 0.0.0.0\n"
            "local_datas b.y.example. AAAA ::\n"
            "local_datas x.example. A 0.0.0.0\n"
            "local_datas x.example. AAAA ::\n");
}

TEST(FeedFormatDelta, ADeltaThatDoesNotEndAtTheViewIsRefused) {
  const ViewSet now = Sample();
  ViewDelta d = Diff(SampleBefore(), now);
  d.to = 6;
  std::ostringstream out;
  EXPECT_EQ(WriteDelta(now, d, FeedFormat::kDomains, {}, out).status().code(),
            StatusCode::kInvalidArgument);
  d = Diff(SampleBefore(), now);
  d.added.push_back({T("not-there.example"), {1}});
  EXPECT_EQ(WriteDelta(now, d, FeedFormat::kRpz, {}, out).status().code(),
            StatusCode::kInvalidArgument);
  d = Diff(SampleBefore(), now);
  d.removed.push_back({T("example.com"), {1}});
  EXPECT_EQ(WriteDelta(now, d, FeedFormat::kNft, {}, out).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(out.str().empty());
}

// ---------------------------------------------------------------------------------------------
// Round trips: the document at M with the delta from M to N applied is the document at N

// An rpz zone as the test reads it back: owners, their CNAME target, the SOA serial.
struct Zone {
  std::set<std::string> owners;
  std::string serial;
};

Zone ParseZone(const std::string& text) {
  Zone z;
  for (const std::string& line : SplitOn(text, '\n')) {
    if (line.empty() || line[0] == ';' || line[0] == '$') continue;
    const std::vector<std::string> f = SplitOn(line, ' ');
    if (f[0] == "@") {
      if (f[1] == "SOA") z.serial = f[4];
      continue;
    }
    EXPECT_EQ(f.size(), 3u) << line;
    EXPECT_EQ(f[1], "CNAME") << line;
    EXPECT_TRUE(z.owners.insert(f[0]).second) << "owner twice: " << line;
  }
  return z;
}

// Applies nsupdate input to a zone: every delete must find its owner, every add must be new.
void ApplyUpdate(const std::string& text, const std::string& zone, Zone* z) {
  const std::string suffix = "." + zone;
  for (const std::string& line : SplitOn(text, '\n')) {
    if (line.empty() || line[0] == ';' || line == "send" || line.starts_with("zone ")) continue;
    const std::vector<std::string> f = SplitOn(line, ' ');
    ASSERT_GE(f.size(), 4u) << line;
    ASSERT_EQ(f[0], "update") << line;
    if (f[1] == "add" && f[4] == "SOA") {
      EXPECT_EQ(f[2], zone);
      z->serial = f[7];
      continue;
    }
    ASSERT_TRUE(f[2].ends_with(suffix)) << line;
    const std::string owner = f[2].substr(0, f[2].size() - suffix.size());
    if (f[1] == "delete") {
      EXPECT_EQ(z->owners.erase(owner), 1u) << "deletes what is not there: " << line;
    } else {
      EXPECT_EQ(f[4], "CNAME") << line;
      EXPECT_TRUE(z->owners.insert(owner).second) << "adds what is there: " << line;
    }
  }
}

// The lines of a domains or hosts document, and a "-line"/"+line" delta applied to them.
std::set<std::string> Lines(const std::string& text) {
  std::set<std::string> out;
  for (const std::string& line : SplitOn(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    EXPECT_TRUE(out.insert(line).second) << "line twice: " << line;
  }
  return out;
}

void ApplyLines(const std::string& delta, std::set<std::string>* lines) {
  for (const std::string& line : SplitOn(delta, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '-') {
      EXPECT_EQ(lines->erase(line.substr(1)), 1u) << "removes what is not there: " << line;
    } else {
      ASSERT_EQ(line[0], '+') << line;
      EXPECT_TRUE(lines->insert(line.substr(1)).second) << "adds what is there: " << line;
    }
  }
}

// The elements of an nft or ipset document per set, and a delta applied to them the way the
// kernel would: deleting what is absent fails; nft refuses an element that overlaps another.
using Sets = std::map<std::string, std::set<std::string>>;

Sets NftSets(const std::string& text) {
  Sets sets;
  std::string current;
  for (const std::string& line : SplitOn(text, '\n')) {
    if (line.starts_with("add element ") || line.starts_with("delete element ")) {
      current = (line[0] == 'a' ? "+" : "-") + SplitOn(line, ' ')[4];
      continue;
    }
    if (!current.empty() && line == "}") {
      current.clear();
      continue;
    }
    if (!current.empty()) {
      std::string e = interdict::testing::Strip(line);
      if (!e.empty() && e.back() == ',') e.pop_back();
      sets[current].insert(e);
    }
  }
  return sets;
}

void ApplyNft(const std::string& delta, Sets* state) {
  const Sets d = NftSets(delta);
  for (const char* set : {"v4", "v6"}) {
    std::set<std::string>& s = (*state)["+" + std::string(set)];
    auto it = d.find("-" + std::string(set));
    if (it != d.end()) {
      for (const std::string& e : it->second) EXPECT_EQ(s.erase(e), 1u) << "delete absent " << e;
    }
    it = d.find("+" + std::string(set));
    if (it != d.end()) {
      for (const std::string& e : it->second) EXPECT_TRUE(s.insert(e).second) << "add twice " << e;
    }
  }
}

// No two elements of an nft interval set may overlap (the kernel refuses it).
void ExpectNoOverlap(const std::set<std::string>& elements) {
  struct Range {
    int family;
    std::array<unsigned char, 16> bytes;
    int prefix;
  };
  std::vector<Range> ranges;
  for (const std::string& e : elements) {
    Range r{};
    const std::size_t slash = e.find('/');
    const std::string addr = e.substr(0, slash);
    r.family = addr.find(':') == std::string::npos ? AF_INET : AF_INET6;
    ASSERT_EQ(inet_pton(r.family, addr.c_str(), r.bytes.data()), 1) << e;
    const int bits = r.family == AF_INET ? 32 : 128;
    r.prefix = slash == std::string::npos ? bits : std::stoi(e.substr(slash + 1));
    ranges.push_back(r);
  }
  auto inside = [](const Range& outer, const Range& inner) {
    if (outer.family != inner.family || outer.prefix > inner.prefix) return false;
    for (int bit = 0; bit < outer.prefix; ++bit) {
      const auto byte = static_cast<std::size_t>(bit / 8);
      const int mask = 0x80 >> (bit % 8);
      if ((outer.bytes[byte] & mask) != (inner.bytes[byte] & mask)) return false;
    }
    return true;
  };
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    for (std::size_t j = 0; j < ranges.size(); ++j) {
      if (i == j) continue;
      EXPECT_FALSE(inside(ranges[i], ranges[j])) << "overlapping nft elements";
    }
  }
}

std::set<std::string> IpsetLines(const std::string& text, bool delta) {
  std::set<std::string> out;
  for (const std::string& line : SplitOn(text, '\n')) {
    const std::vector<std::string> f = SplitOn(line, ' ');
    if (!delta && f[0] == "add") out.insert(f[1].substr(0, f[1].size() - 4) + " " + f[2]);
    if (delta && (f[0] == "add" || f[0] == "del")) out.insert(f[0] + " " + f[1] + " " + f[2]);
  }
  return out;
}

void ApplyIpset(const std::string& delta, std::set<std::string>* state) {
  for (const std::string& line : IpsetLines(delta, true)) {
    const std::string element = line.substr(4);
    if (line.starts_with("del ")) {
      EXPECT_EQ(state->erase(element), 1u) << line;
    } else {
      EXPECT_TRUE(state->insert(element).second) << line;
    }
  }
}

TEST(FeedFormatRoundTrip, SnapshotPlusDeltaIsTheLaterSnapshot) {
  TestRegistry r;
  feedtest::RandomWorkflow w(r, 42);
  for (int step = 1; step <= 200; ++step) {
    w.Step();
    if (step % 50 != 0) continue;
    const feedtest::Views now = w.Now();
    for (const View v : {View::kIsp, View::kSearch}) {
      const auto vi = static_cast<std::size_t>(v);
      const ViewSet& n = now[vi];
      const Zone zone_n = ParseZone(Write(n, FeedFormat::kRpz));
      EXPECT_EQ(zone_n.serial, std::to_string(n.serial));
      for (const auto& [m, then] : w.history()) {
        SCOPED_TRACE(std::string(ViewName(v)) + " from " + std::to_string(m) + " to " +
                     std::to_string(n.serial));
        Result<ViewDelta> d = ReadDelta(r.registry(), n, m);
        ASSERT_TRUE(d.ok()) << d.status().ToString();
        const ViewSet& at_m = then[vi];

        Zone zone = ParseZone(Write(at_m, FeedFormat::kRpz));
        ApplyUpdate(WriteD(n, *d, FeedFormat::kRpz), "rpz.interdict.invalid.", &zone);
        EXPECT_EQ(zone.owners, zone_n.owners);
        EXPECT_EQ(zone.serial, zone_n.serial);

        for (const FeedFormat f : {FeedFormat::kDomains, FeedFormat::kHosts}) {
          std::set<std::string> lines = Lines(Write(at_m, f));
          ApplyLines(WriteD(n, *d, f), &lines);
          EXPECT_EQ(lines, Lines(Write(n, f))) << FeedFormatName(f);
        }

        Sets sets = NftSets(Write(at_m, FeedFormat::kNft));
        ApplyNft(WriteD(n, *d, FeedFormat::kNft), &sets);
        Sets want = NftSets(Write(n, FeedFormat::kNft));
        EXPECT_EQ(sets["+v4"], want["+v4"]);
        EXPECT_EQ(sets["+v6"], want["+v6"]);
        ExpectNoOverlap(want["+v4"]);
        ExpectNoOverlap(want["+v6"]);

        std::set<std::string> ipset = IpsetLines(Write(at_m, FeedFormat::kIpset), false);
        ApplyIpset(WriteD(n, *d, FeedFormat::kIpset), &ipset);
        EXPECT_EQ(ipset, IpsetLines(Write(n, FeedFormat::kIpset), false));
      }
    }
  }
}

// The documents of one registry, view and serial are the same bytes each time they are written
// (no time of writing in them), so a signature can be made again.
TEST(FeedFormatRoundTrip, DocumentsAreReproducible) {
  TestRegistry r;
  feedtest::RandomWorkflow w(r, 5);
  for (int step = 0; step < 60; ++step) w.Step();
  const ViewSet a = r.View(View::kIsp);
  r.clock().Advance(3600);  // time passes; the serial does not move
  const ViewSet b = r.View(View::kIsp);
  ASSERT_EQ(a.serial, b.serial);
  Result<UnixTime> when = SerialTime(r.registry(), a.serial);
  ASSERT_TRUE(when.ok()) << when.status().ToString();
  FormatOptions o;
  o.updated_at = *when;
  for (const FeedFormat f : kAllFeedFormats) {
    EXPECT_EQ(Write(a, f, o), Write(b, f, o)) << FeedFormatName(f);
  }
  EXPECT_EQ(*SerialTime(r.registry(), 0), 0);
  EXPECT_EQ(SerialTime(r.registry(), a.serial + 1).status().code(), StatusCode::kNotFound);
}

// The z-i document of a view reads back through our own z-i importer as the same (target,
// order reference) pairs, apps and search targets left out.
TEST(FeedFormatRoundTrip, ZiCsvImportsBack) {
  TestRegistry r;
  feedtest::RandomWorkflow w(r, 9);
  for (int step = 0; step < 80; ++step) w.Step();
  const ViewSet v = r.View(View::kIsp);
  ASSERT_FALSE(v.entries.empty());
  FormatOptions o;
  o.updated_at = *SerialTime(r.registry(), v.serial);
  const std::string path = r.dir().File("view.csv");
  WriteFile(path, Write(v, FeedFormat::kZiCsv, o));

  TestRegistry back;
  back.clock().Set(r.clock().Now());  // the orders' dates are not in its future
  ImportOptions io;
  io.format = ImportFormat::kZiCsv;
  io.path = path;
  io.strict = true;
  io.expires_at = r.clock().Now() + 400 * feedtest::kDay;
  Result<ImportReport> imported = ImportFile(back.registry(), feedtest::kActor, io);
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  ASSERT_TRUE(imported->imported);
  std::set<std::pair<Target, std::string>> want;
  for (const FeedEntry& e : v.entries) {
    for (const Id id : e.orders) want.insert({e.target, v.order(id)->reference});
  }
  std::set<std::pair<Target, std::string>> got;
  const ViewSet imported_view = back.View(View::kIsp);
  for (const FeedEntry& e : imported_view.entries) {
    for (const Id id : e.orders) got.insert({e.target, imported_view.order(id)->reference});
  }
  EXPECT_EQ(got, want);
}

// ---------------------------------------------------------------------------------------------
// The documents as the real programs read them. A missing program skips its test (install them
// with scripts/deps.sh); the nft and ipset checks run in a network namespace of their own.

// A view of the random workflow rich in nested networks and shared names.
struct Fixture {
  TestRegistry r;
  std::map<Serial, feedtest::Views> history;
  ViewSet now;

  Fixture() {
    feedtest::RandomWorkflow w(r, 77);
    for (int step = 0; step < 120; ++step) w.Step();
    history = w.history();
    now = r.View(View::kIsp);
  }
};

bool CanUnshareNet() {
  std::string out;
  return RunCommand("unshare -n true", &out) == 0;
}

TEST(FeedFormatTools, NftLoadsSnapshotsAndDeltasAtomically) {
  if (!HaveTool("nft")) {
    GTEST_SKIP() << "nft is not installed (scripts/deps.sh installs nftables)";
  }
  if (!CanUnshareNet()) {
    GTEST_SKIP() << "cannot make a network namespace (unshare -n)";
  }
  Fixture fx;
  TempDir dir;
  std::string out;
  const std::string now_file = dir.File("now.nft");
  WriteFile(now_file, Write(fx.now, FeedFormat::kNft));
  // Loaded twice: the second load replaces the contents (and does not duplicate the rules).
  ASSERT_EQ(RunCommand("unshare -n sh -c 'nft -f " + now_file + " && nft -f " + now_file +
                           " && nft list table inet interdict'",
                       &out),
            0)
      << out;
  const std::string listed_now = out;
  std::size_t rules = 0;
  for (std::size_t p = listed_now.find(" drop"); p != std::string::npos;
       p = listed_now.find(" drop", p + 1)) {
    ++rules;
  }
  EXPECT_EQ(rules, 4u) << listed_now;

  int pairs = 0;
  for (const auto& [m, then] : fx.history) {
    if (m % 7 != 0 && m + 1 != fx.now.serial) continue;  // a sample of starting serials
    SCOPED_TRACE("from serial " + std::to_string(m));
    Result<ViewDelta> d = ReadDelta(fx.r.registry(), fx.now, m);
    ASSERT_TRUE(d.ok());
    const std::string m_file = dir.File("m.nft");
    const std::string d_file = dir.File("d.nft");
    WriteFile(m_file, Write(then[0], FeedFormat::kNft));
    WriteFile(d_file, WriteD(fx.now, *d, FeedFormat::kNft));
    std::string command = "unshare -n sh -c 'nft -f ";
    command.append(m_file).append(" && nft -f ").append(d_file);
    command.append(" && nft list table inet interdict'");
    ASSERT_EQ(RunCommand(command, &out), 0) << out << "\n" << ReadFile(d_file);
    EXPECT_EQ(out, listed_now);
    ++pairs;
  }
  EXPECT_GT(pairs, 5);

  // Overlapping intervals are what nft refuses; the writer leaves them out (proof that the
  // check above would catch them).
  WriteFile(dir.File("overlap.nft"),
            "table inet t {\n\tset s {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t}\n}\n"
            "add element inet t s { 10.0.0.0/8, 10.1.0.0/16 }\n");
  EXPECT_NE(RunCommand("unshare -n nft -f " + dir.File("overlap.nft"), &out), 0);
  EXPECT_NE(out.find("conflicting intervals"), std::string::npos) << out;
}

TEST(FeedFormatTools, NftCheckModeAcceptsTheSnapshot) {
  if (!HaveTool("nft")) {
    GTEST_SKIP() << "nft is not installed (scripts/deps.sh installs nftables)";
  }
  Fixture fx;
  TempDir dir;
  std::string out;
  WriteFile(dir.File("now.nft"), Write(fx.now, FeedFormat::kNft));
  const int rc = RunCommand("nft -c -f " + dir.File("now.nft"), &out);
  if (rc != 0 && out.find("Operation not permitted") != std::string::npos) {
    GTEST_SKIP() << "nft -c needs CAP_NET_ADMIN here: " << out;
  }
  EXPECT_EQ(rc, 0) << out;
}

TEST(FeedFormatTools, IpsetRestoresSnapshotsAndDeltas) {
  if (!HaveTool("ipset")) {
    GTEST_SKIP() << "ipset is not installed (scripts/deps.sh)";
  }
  if (!CanUnshareNet()) {
    GTEST_SKIP() << "cannot make a network namespace (unshare -n)";
  }
  Fixture fx;
  TempDir dir;
  std::string out;
  const std::string now_file = dir.File("now.ipset");
  WriteFile(now_file, Write(fx.now, FeedFormat::kIpset));
  const int rc =
      RunCommand("unshare -n sh -c 'ipset restore < " + now_file + " && ipset restore < " +
                     now_file + " && ipset save | sed \"s/ initval 0x[0-9a-f]*//\" | sort'",
                 &out);
  if (rc != 0 && (out.find("Kernel error") != std::string::npos ||
                  out.find("Operation not permitted") != std::string::npos)) {
    GTEST_SKIP() << "ipset cannot run here (no kernel module or privilege): " << out;
  }
  ASSERT_EQ(rc, 0) << out;
  const std::string saved_now = out;
  EXPECT_EQ(saved_now.find("-new"), std::string::npos) << "the temporary set was left behind";
  int pairs = 0;
  for (const auto& [m, then] : fx.history) {
    if (m % 7 != 0 && m + 1 != fx.now.serial) continue;
    SCOPED_TRACE("from serial " + std::to_string(m));
    Result<ViewDelta> d = ReadDelta(fx.r.registry(), fx.now, m);
    ASSERT_TRUE(d.ok());
    WriteFile(dir.File("m.ipset"), Write(then[0], FeedFormat::kIpset));
    WriteFile(dir.File("d.ipset"), WriteD(fx.now, *d, FeedFormat::kIpset));
    ASSERT_EQ(RunCommand("unshare -n sh -c 'ipset restore < " + dir.File("m.ipset") +
                             " && ipset restore < " + dir.File("d.ipset") +
                             " && ipset save | sed \"s/ initval 0x[0-9a-f]*//\" | sort'",
                         &out),
              0)
        << out;
    EXPECT_EQ(out, saved_now);
    ++pairs;
  }
  EXPECT_GT(pairs, 5);
}

TEST(FeedFormatTools, BirdParsesTheConfiguration) {
  if (!HaveTool("bird")) {
    GTEST_SKIP() << "bird is not installed (scripts/deps.sh installs bird2)";
  }
  Fixture fx;
  TempDir dir;
  std::string out;
  for (const ViewSet* v : {&fx.now, &fx.history.begin()->second[0]}) {  // full and empty
    WriteFile(dir.File("bird.conf"), Write(*v, FeedFormat::kBird));
    EXPECT_EQ(RunCommand("bird -p -c " + dir.File("bird.conf"), &out), 0)
        << out << ReadFile(dir.File("bird.conf"));
  }
  // A broken file fails, so the check means something.
  WriteFile(dir.File("bad.conf"),
            "protocol static x {\n\tipv4;\n\troute 10.0.0.0/8 blackhole\n}\n");
  EXPECT_NE(RunCommand("bird -p -c " + dir.File("bad.conf"), &out), 0);
}

TEST(FeedFormatTools, UnboundChecksTheConfiguration) {
  if (!HaveTool("unbound-checkconf")) {
    GTEST_SKIP() << "unbound is not installed (scripts/deps.sh)";
  }
  Fixture fx;
  TempDir dir;
  std::string out;
  WriteFile(dir.File("unbound.conf"), Write(fx.now, FeedFormat::kUnbound));
  EXPECT_EQ(RunCommand("unbound-checkconf " + dir.File("unbound.conf"), &out), 0) << out;
  WriteFile(dir.File("bad.conf"), "server:\nlocal-zone: \"x.example.\" no_such_type\n");
  EXPECT_NE(RunCommand("unbound-checkconf " + dir.File("bad.conf"), &out), 0);
}

TEST(FeedFormatTools, NamedChecksTheZone) {
  if (!HaveTool("named-checkzone")) {
    GTEST_SKIP() << "named-checkzone is not installed (scripts/deps.sh installs bind9-utils)";
  }
  Fixture fx;
  TempDir dir;
  std::string out;
  FormatOptions o;
  o.notice_host = "notice.example.";
  for (const FormatOptions& opt : {FormatOptions{}, o}) {
    WriteFile(dir.File("rpz.zone"), Write(fx.now, FeedFormat::kRpz, opt));
    EXPECT_EQ(RunCommand("named-checkzone -q rpz.interdict.invalid " + dir.File("rpz.zone"), &out),
              0)
        << out;
  }
}

// ---------------------------------------------------------------------------------------------
// Live resolvers, each in a network namespace of its own (fixed ports on a private loopback).

// What a resolver loading the unbound document of `v` answers for an A query of `name`: NXDOMAIN
// at or under a domain-tree; 0.0.0.0 for an exact name; otherwise what the upstream answers
// (192.0.2.99 for every name under "example." in the test).
std::string UnboundExpected(const ViewSet& v, const std::string& name) {
  bool exact = false;
  for (const FeedEntry& e : v.entries) {
    const std::string& t = e.target.value;
    const bool at_or_under = name == t || (name.size() > t.size() && name.ends_with("." + t));
    if (e.target.kind == TargetKind::kDomainTree && at_or_under) return "NXDOMAIN";
    if (e.target.kind == TargetKind::kDomain && name == t) exact = true;
  }
  return exact ? "NOERROR 0.0.0.0" : "NOERROR 192.0.2.99";
}

std::vector<std::string> NamesToAsk(const std::vector<const ViewSet*>& views) {
  std::set<std::string> names = {"unrelated.example"};
  for (const ViewSet* v : views) {
    for (const FeedEntry& e : v->entries) {
      if (e.target.kind != TargetKind::kDomain && e.target.kind != TargetKind::kDomainTree) {
        continue;
      }
      names.insert(e.target.value);
      names.insert("www." + e.target.value);
      names.insert("a.b." + e.target.value);
    }
  }
  return {names.begin(), names.end()};
}

// Starts a stub upstream (every name under "example." is 192.0.2.99), Unbound A on a.unbound
// and Unbound B on b.unbound, asks A, applies the delta to A with unbound-control, asks A and B.
constexpr std::string_view kUnboundScript = R"sh(set -u
D=$1
ip link set lo up || exit 3
cd "$D" || exit 3
common() {
  printf 'server:\n\tinterface: 127.0.0.1\n\tport: %s\n\tdo-daemonize: no\n\tusername: ""\n' "$1"
  printf '\tchroot: ""\n\tdirectory: "%s"\n\tpidfile: ""\n\tuse-syslog: no\n' "$D"
  printf '\tlogfile: "%s/unbound-%s.log"\n\tmodule-config: "iterator"\n' "$D" "$1"
  printf '\tdo-not-query-localhost: no\n'
}
{ common 5300; printf '\tlocal-zone: "example." redirect\n\tlocal-data: "example. 60 A 192.0.2.99"\n'; } >stub.conf
for x in a b; do
  port=5301; [ "$x" = b ] && port=5302
  { common $port
    printf '\tinclude: "%s/%s.unbound"\nforward-zone:\n\tname: "."\n' "$D" "$x"
    printf '\tforward-addr: 127.0.0.1@5300\nremote-control:\n\tcontrol-enable: yes\n'
    printf '\tcontrol-interface: "%s/%s.ctl"\n\tcontrol-use-cert: no\n' "$D" "$x"; } >$x.conf
done
unbound -d -c stub.conf & p0=$!
unbound -d -c a.conf & p1=$!
unbound -d -c b.conf & p2=$!
trap 'kill $p0 $p1 $p2 2>/dev/null; wait 2>/dev/null' EXIT
q() {
  dig @127.0.0.1 -p "$1" +time=2 +tries=1 +noall +comments +answer "$2" A |
    awk '/status:/ {s=$6; sub(",","",s)} $4=="A" {a=a" "$5} END {print s a}'
}
# Asks every name in one dig run; prints "TAG name STATUS [addresses]".
ask() {
  sed 's/$/ A/' names >batch
  dig @127.0.0.1 -p "$1" +time=2 +tries=1 +noall +comments +question +answer -f batch |
    awk -v tag="$2" '
      function out() { if (n != "") print tag, n, s a }
      /status:/ { out(); s = $6; sub(",", "", s); a = ""; n = "" }
      /^;[^; ]/ { n = substr($1, 2); sub(/\.$/, "", n) }
      $4 == "A" && $1 !~ /^;/ { a = a " " $5 }
      END { out() }'
}
for i in $(seq 100); do
  [ -n "$(q 5300 probe.example)" ] && unbound-control -c a.conf status >/dev/null 2>&1 &&
    unbound-control -c b.conf status >/dev/null 2>&1 && break
  sleep 0.1
done
ask 5301 M
for c in local_zones_remove local_datas_remove local_zones local_datas; do
  sed -n "s/^$c //p" delta | unbound-control -c a.conf "$c" >/dev/null || echo "FAILED $c"
done
ask 5301 D
ask 5302 N
)sh";

bool CanRunLive(const std::vector<std::string>& tools, std::string* why) {
  for (const std::string& t : tools) {
    if (!HaveTool(t)) {
      *why = t + " is not installed (scripts/deps.sh)";
      return false;
    }
  }
  std::string out;
  if (RunCommand("unshare -n sh -c 'ip link set lo up'", &out) != 0) {
    *why = "cannot make a network namespace with a loopback (unshare -n, ip): " + out;
    return false;
  }
  return true;
}

// Runs `script` with a temporary folder as its argument, in a network namespace of its own.
std::string RunLive(const TempDir& dir, std::string_view script) {
  WriteFile(dir.File("run.sh"), std::string(script));
  std::string out;
  const int rc =
      RunCommand("unshare -n sh " + dir.File("run.sh") + " " + dir.path().string(), &out);
  EXPECT_EQ(rc, 0) << out;
  return out;
}

// Loads the document at M into one Unbound, applies the delta M→N with unbound-control, loads
// the document at N into another, and asks both about every name (and names under them):
// before the delta the first answers as the view at M says, after it both answer as the view at
// N says.
void CheckUnboundLive(const ViewSet& m, const ViewSet& n, const ViewDelta& d) {
  TempDir dir;
  WriteFile(dir.File("a.unbound"), Write(m, FeedFormat::kUnbound));
  WriteFile(dir.File("b.unbound"), Write(n, FeedFormat::kUnbound));
  WriteFile(dir.File("delta"), WriteD(n, d, FeedFormat::kUnbound));
  const std::vector<std::string> names = NamesToAsk({&m, &n});
  std::string list;
  for (const std::string& name : names) list += name + "\n";
  WriteFile(dir.File("names"), list);
  const std::string out = RunLive(dir, kUnboundScript);
  std::map<std::string, std::string> answers;
  for (const std::string& line : SplitOn(out, '\n')) {
    if (line.empty()) continue;
    EXPECT_FALSE(line.starts_with("FAILED")) << line;
    const std::size_t a = line.find(' ');
    const std::size_t b = line.find(' ', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    answers[line.substr(0, b)] = line.substr(b + 1);
  }
  for (const std::string& name : names) {
    EXPECT_EQ(answers["M " + name], UnboundExpected(m, name)) << "at M: " << name;
    EXPECT_EQ(answers["D " + name], UnboundExpected(n, name)) << "after the delta: " << name;
    EXPECT_EQ(answers["N " + name], UnboundExpected(n, name)) << "at N: " << name;
  }
}

TEST(FeedFormatLive, UnboundAnswersAsTheViewSaysBeforeAndAfterADelta) {
  std::string why;
  if (!CanRunLive({"unbound", "unbound-control", "dig"}, &why)) GTEST_SKIP() << why;
  // The hard case: zones removed over exact names, exact names removed inside zones, a zone
  // added over an exact name's own zone.
  ViewSet m = Sample();
  m.serial = 5;
  m.entries = {{T("x.example"), {1}},   {T("*.x.example"), {1}},   {T("a.x.example"), {1}},
               {T("*.y.example"), {1}}, {T("other.example"), {1}}, {T("b.z.example"), {1}},
               {T("w.example"), {1}}};
  ViewSet n = Sample();
  n.entries = {{T("x.example"), {1}},      {T("a.x.example"), {1}}, {T("*.a.x.example"), {1}},
               {T("c.y.example"), {1}},    {T("*.z.example"), {1}}, {T("*.w.example"), {1}},
               {T("*.other.example"), {1}}};
  {
    SCOPED_TRACE("handmade");
    CheckUnboundLive(m, n, Diff(m, n));
  }
  // And pairs of serials of a random workflow.
  TestRegistry r;
  feedtest::RandomWorkflow w(r, 31);
  for (int step = 0; step < 120; ++step) w.Step();
  const ViewSet now = r.View(View::kIsp);
  int pairs = 0;
  for (const auto& [s, then] : w.history()) {
    if (s % 40 != 3) continue;
    SCOPED_TRACE("from serial " + std::to_string(s));
    Result<ViewDelta> d = ReadDelta(r.registry(), now, s);
    ASSERT_TRUE(d.ok());
    CheckUnboundLive(then[0], now, *d);
    ++pairs;
  }
  EXPECT_GE(pairs, 2);
}

// Starts BIND as the primary of the zone (with it as its response policy zone too), transfers
// the zone, sends the delta with nsupdate, transfers it again, asks about the blocked names.
constexpr std::string_view kNamedScript = R"sh(set -u
D=$1
ip link set lo up || exit 3
cd "$D" || exit 3
{
  printf 'options {\n\tdirectory "%s";\n\tlisten-on port 5310 { 127.0.0.1; };\n' "$D"
  printf '\tlisten-on-v6 { none; };\n\tpid-file none;\n\trecursion yes;\n'
  printf '\tallow-recursion { 127.0.0.1; };\n\tdnssec-validation no;\n'
  printf '\tresponse-policy { zone "rpz.interdict.invalid"; } qname-wait-recurse no'
  printf ' min-update-interval 0;\n'
  printf '};\ncontrols { };\n'
  printf 'zone "rpz.interdict.invalid" {\n\ttype primary;\n\tfile "%s/rpz.zone";\n' "$D"
  printf '\tallow-update { 127.0.0.1; };\n\tallow-transfer { 127.0.0.1; };\n};\n'
} >named.conf
named -g -c "$D/named.conf" >named.log 2>&1 & p=$!
trap 'kill $p 2>/dev/null; wait $p 2>/dev/null' EXIT
for i in $(seq 100); do
  dig @127.0.0.1 -p 5310 +time=1 +tries=1 +short rpz.interdict.invalid SOA | grep -q '^[^;]' &&
    break
  sleep 0.1
done
axfr() {  # retried while the zone is still loading
  for i in $(seq 50); do
    dig @127.0.0.1 -p 5310 +time=2 +tries=1 +onesoa +nocmd +nostats +nocomments \
      rpz.interdict.invalid AXFR >axfr.txt
    grep -q 'IN.SOA' axfr.txt && break
    sleep 0.1
  done
  cat axfr.txt
}
echo "== before"; axfr
{ echo "server 127.0.0.1 5310"; cat delta; } | nsupdate || echo "NSUPDATE FAILED"
echo "== after"; axfr
sleep 1  # BIND applies a policy zone's changes to its policy a moment after the update
echo "== ask"
for n in $(cat names); do
  echo "Q $n $(dig @127.0.0.1 -p 5310 +time=2 +tries=1 +noall +comments "$n" A |
    awk '/status:/ {s=$6; sub(",","",s)} END {print s}')"
done
echo "== log"; cat named.log
)sh";

// The owners and SOA serial of an AXFR listing (dig's text).
Zone ParseAxfr(const std::string& text, const std::string& zone) {
  Zone z;
  for (const std::string& line : SplitOn(text, '\n')) {
    std::vector<std::string> f;
    for (const std::string& part : SplitOn(line, '\t')) {
      for (const std::string& word : SplitOn(part, ' ')) {
        if (!word.empty()) f.push_back(word);
      }
    }
    if (f.size() < 5 || f[0].starts_with(";")) continue;
    if (f[3] == "SOA" && f.size() >= 7) z.serial = f[6];
    if (f[3] != "CNAME") continue;
    EXPECT_TRUE(f[0].ends_with("." + zone)) << line;
    z.owners.insert(f[0].substr(0, f[0].size() - zone.size() - 1));
  }
  return z;
}

// BIND loads the zone of M as a response policy zone without a complaint about any trigger,
// takes the delta M→N through nsupdate, then transfers exactly the zone of N with N's serial,
// and answers NXDOMAIN for the names the view blocks.
void CheckNamedLive(const ViewSet& m, const ViewSet& n, const ViewDelta& d) {
  TempDir dir;
  WriteFile(dir.File("rpz.zone"), Write(m, FeedFormat::kRpz));
  WriteFile(dir.File("delta"), WriteD(n, d, FeedFormat::kRpz));
  std::vector<std::string> blocked;
  for (const FeedEntry& e : n.entries) {
    if (e.target.kind == TargetKind::kDomain || e.target.kind == TargetKind::kDomainTree) {
      blocked.push_back(e.target.value);
      if (e.target.kind == TargetKind::kDomainTree) blocked.push_back("www." + e.target.value);
    }
  }
  std::string names;
  for (const std::string& b : blocked) names += b + "\n";
  WriteFile(dir.File("names"), names);
  const std::string out = RunLive(dir, kNamedScript);
  const std::size_t before = out.find("== before\n");
  const std::size_t after = out.find("== after\n");
  const std::size_t ask = out.find("== ask\n");
  const std::size_t log = out.find("== log\n");
  ASSERT_TRUE(before != std::string::npos && after != std::string::npos &&
              ask != std::string::npos && log != std::string::npos)
      << out;
  EXPECT_EQ(out.find("NSUPDATE FAILED"), std::string::npos) << out;
  const std::string zone = "rpz.interdict.invalid.";
  const Zone at_m = ParseAxfr(out.substr(before, after - before), zone);
  const Zone at_n = ParseAxfr(out.substr(after, ask - after), zone);
  EXPECT_EQ(at_m.owners, ParseZone(Write(m, FeedFormat::kRpz)).owners)
      << out.substr(before, after - before);
  EXPECT_EQ(at_m.serial, std::to_string(m.serial));
  EXPECT_EQ(at_n.owners, ParseZone(Write(n, FeedFormat::kRpz)).owners);
  EXPECT_EQ(at_n.serial, std::to_string(n.serial));
  for (const std::string& b : blocked) {
    EXPECT_NE(out.find("Q " + b + " NXDOMAIN\n", ask), std::string::npos)
        << b << "\n"
        << out.substr(ask, log - ask);
  }
  // BIND complains about trigger names it cannot read ("invalid prefix length", "not the
  // canonical", "too small prefix length"), at load and at update.
  const std::string named_log = out.substr(log);
  for (const std::string& line : SplitOn(named_log, '\n')) {
    if (line.find("rpz") == std::string::npos) continue;
    for (const char* bad : {"invalid prefix", "canonical", "too small", "failed", "bad"}) {
      EXPECT_EQ(line.find(bad), std::string::npos) << line;
    }
  }
  EXPECT_NE(named_log.find("rpz.interdict.invalid/IN: loaded serial " + std::to_string(m.serial)),
            std::string::npos)
      << named_log;
}

TEST(FeedFormatLive, BindLoadsTheZoneAndTakesTheDeltaThroughNsupdate) {
  std::string why;
  if (!CanRunLive({"named", "nsupdate", "dig"}, &why)) GTEST_SKIP() << why;
  // Every trigger shape, which BIND must read back as the address it names.
  ViewSet m = Sample();
  m.serial = 5;
  m.entries = {};
  for (const char* t :
       {"x.example", "*.x.example", "*.tree.example", "0.0.0.0/0", "10.0.0.0/8", "192.0.2.1",
        "cidr:198.51.100.0/24", "::/0", "::1", "2001:db8::/32", "2001:db8:0:0:1::/80",
        "2001:db8:1:2:3:4::/96", "::2:3:4:5:6", "2001:0:0:1:2:0:0:3", "2001:db8:1:2:3:4:5:6",
        "2001:db8:0:1:2:3:4:5", "cidr:2001:db8::1/128"}) {
    AddEntry(&m, {T(t), {1}});
  }
  ViewSet n = m;
  n.serial = 9;
  n.entries = {};
  for (const char* t : {"x.example", "*.y.example", "0.0.0.0/1", "::1", "2001:db8::/32",
                        "cidr:192.0.2.1/32", "203.0.113.0/24"}) {
    AddEntry(&n, {T(t), {1}});
  }
  {
    SCOPED_TRACE("handmade");
    CheckNamedLive(m, n, Diff(m, n));
  }
  TestRegistry r;
  feedtest::RandomWorkflow w(r, 13);
  for (int step = 0; step < 100; ++step) w.Step();
  const ViewSet now = r.View(View::kIsp);
  int pairs = 0;
  for (const auto& [s, then] : w.history()) {
    if (s % 30 != 1) continue;
    SCOPED_TRACE("from serial " + std::to_string(s));
    Result<ViewDelta> d = ReadDelta(r.registry(), now, s);
    ASSERT_TRUE(d.ok());
    CheckNamedLive(then[0], now, *d);
    ++pairs;
  }
  EXPECT_GE(pairs, 2);
}

}  // namespace
}  // namespace interdict::feed
