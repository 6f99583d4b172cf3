// Tests of the collateral-damage guard: the parsers of its data files (errors name file:line),
// the public suffix list, and each rule of Guard::Assess on real provider ranges
// (testdata/ranges) and on small hand-made data sets whose expected findings are counted here.
#include "guard/guard.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "guard/data.h"
#include "guard/psl.h"
#include "model/target.h"
#include "testing/targets.h"
#include "testing/temp_dir.h"

namespace interdict::guard {
namespace {

using Rule = Finding::Rule;
using Severity = Finding::Severity;

const std::string kRanges = std::string(INTERDICT_TESTDATA) + "/ranges/";
constexpr UnixTime kNow = 1'750'000'000;  // 2025-06-15
constexpr std::int64_t kDay = std::int64_t{24} * 3600;

bool Contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

using testing::T;

const PublicSuffixList& SystemPsl() {
  static const PublicSuffixList psl = [] {
    Result<PublicSuffixList> r = PublicSuffixList::System();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return *r;
  }();
  return psl;
}

RangeSet LoadRanges(const std::string& file) {
  const std::string path = kRanges + file;
  Result<RangeSet> set = ParseRangeSet(testing::ReadFile(path), path, ProviderNameFromPath(path));
  EXPECT_TRUE(set.ok()) << set.status().ToString();
  return set.ok() ? *set : RangeSet{};
}

Guard BuildOrDie(GuardData data, GuardOptions options = {}) {
  if (!data.public_suffixes) data.public_suffixes = SystemPsl();
  Result<Guard> g = Guard::Build(std::move(data), options);
  EXPECT_TRUE(g.ok()) << g.status().ToString();
  if (!g.ok()) std::abort();
  return *g;
}

std::vector<Finding> Assess(const Guard& g, std::string_view target,
                            const std::vector<Target>& same_request = {}) {
  return g.Assess(T(target), same_request, kNow);
}

std::vector<Finding> OfRule(const std::vector<Finding>& findings, Rule rule) {
  std::vector<Finding> out;
  std::copy_if(findings.begin(), findings.end(), std::back_inserter(out),
               [&](const Finding& f) { return f.rule == rule; });
  return out;
}

std::string Dump(const std::vector<Finding>& findings) {
  std::string out;
  for (const Finding& f : findings) {
    out += std::string(RuleName(f.rule)) + "/" + std::string(SeverityName(f.severity)) + ": " +
           f.explanation + "\n";
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Public suffixes

TEST(PublicSuffixListTest, SystemListHasPrivateEntries) {
  const PublicSuffixList& psl = SystemPsl();
  for (const char* suffix :
       {"com", "co.uk", "uk", "github.io", "blogspot.com", "s3.amazonaws.com"}) {
    EXPECT_TRUE(psl.IsPublicSuffix(suffix)) << suffix;
  }
  for (const char* site : {"example.com", "bbc.co.uk", "foo.github.io", "amazonaws.com"}) {
    EXPECT_FALSE(psl.IsPublicSuffix(site)) << site;
  }
  EXPECT_EQ(psl.RegistrableDomain("a.b.example.com"), "example.com");
  EXPECT_EQ(psl.RegistrableDomain("x.foo.github.io"), "foo.github.io");
  EXPECT_EQ(psl.RegistrableDomain("news.bbc.co.uk"), "bbc.co.uk");
  EXPECT_EQ(psl.RegistrableDomain("github.io"), "");
  EXPECT_GT(psl.rule_count(), 5000U);
}

TEST(PublicSuffixListTest, SystemSaysWhichListIsInUse) {
  if (std::FILE* f = std::fopen(std::string(kSystemPublicSuffixFile).c_str(), "rb")) {
    static_cast<void>(std::fclose(f));
    EXPECT_TRUE(SystemPsl().from_text());
    EXPECT_TRUE(Contains(SystemPsl().source(), "file /usr/share/publicsuffix/"))
        << SystemPsl().source();
  }
  // Without the file: libpsl's built-in list, which also knows the private section.
  Result<PublicSuffixList> fallback =
      PublicSuffixList::System("/nonexistent/public_suffix_list.dat");
  ASSERT_TRUE(fallback.ok()) << fallback.status().ToString();
  EXPECT_FALSE(fallback->from_text());
  EXPECT_TRUE(Contains(fallback->source(), "built-in")) << fallback->source();
  EXPECT_TRUE(fallback->IsPublicSuffix("github.io"));
  EXPECT_FALSE(fallback->IsPublicSuffix("example.com"));
  std::size_t total = 99;
  EXPECT_TRUE(fallback->SuffixesBelow("amazonaws.com", 5, &total).empty());
  EXPECT_EQ(total, 0U);
}

TEST(PublicSuffixListTest, FromTextListsSuffixesBelowAName) {
  Result<PublicSuffixList> psl = PublicSuffixList::FromText(
      "// comment\ncom\ns3.amazonaws.com\n*.compute.amazonaws.com\n!www.compute.amazonaws.com\n"
      "cn\n\xE5\x85\xAC\xE5\x8F\xB8.cn\n",
      "test list");
  ASSERT_TRUE(psl.ok()) << psl.status().ToString();
  EXPECT_TRUE(Contains(psl->source(), "test list")) << psl->source();
  std::size_t total = 0;
  std::vector<std::string> below = psl->SuffixesBelow("amazonaws.com", 10, &total);
  EXPECT_EQ(total, 2U);
  // In the order of the reversed names ("moc.swanozama.3s" < "moc.swanozama.etupmoc.*").
  EXPECT_EQ(below, (std::vector<std::string>{"s3.amazonaws.com", "*.compute.amazonaws.com"}));
  below = psl->SuffixesBelow("amazonaws.com", 1, &total);
  EXPECT_EQ(total, 2U);
  EXPECT_EQ(below.size(), 1U);
  // The U-label rule is listed as its A-label.
  below = psl->SuffixesBelow("cn", 10, &total);
  EXPECT_EQ(below, (std::vector<std::string>{"xn--55qx5d.cn"}));
  EXPECT_TRUE(psl->SuffixesBelow("example.com", 10, &total).empty());
  EXPECT_EQ(total, 0U);
  // "s3.amazonaws.comx" is not below "amazonaws.com" and "amazonaws.co" has nothing below.
  EXPECT_TRUE(psl->SuffixesBelow("amazonaws.co", 10, &total).empty());
}

TEST(PublicSuffixListTest, FromTextRejectsEmptyAndBinaryLists) {
  EXPECT_FALSE(PublicSuffixList::FromText("", "empty").ok());
  EXPECT_FALSE(PublicSuffixList::FromText("// only a comment\n", "comments").ok());
  Result<PublicSuffixList> dafsa = PublicSuffixList::FromText(".DAFSA@PSL_0   \n\x01\x02", "bin");
  ASSERT_FALSE(dafsa.ok());
  EXPECT_TRUE(Contains(dafsa.status().message(), "DAFSA")) << dafsa.status().message();
  Result<PublicSuffixList> missing = PublicSuffixList::FromFile("/nonexistent/list.dat");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(Contains(missing.status().message(), "/nonexistent/list.dat"));
}

TEST(GuardPublicSuffixTest, RefusesTreesOnPublicSuffixes) {
  const Guard g = BuildOrDie({});
  // The model refuses single-label names ("com") itself; the guard refuses them too.
  for (const char* tree : {"com", "co.uk", "github.io", "blogspot.com", "uk"}) {
    const Target target{TargetKind::kDomainTree, tree};
    const std::vector<Finding> f = g.Assess(target, {}, kNow);
    ASSERT_EQ(f.size(), 1U) << tree << "\n" << Dump(f);
    EXPECT_EQ(f[0].rule, Rule::kPublicSuffix);
    EXPECT_EQ(f[0].severity, Severity::kRefuse);
    EXPECT_EQ(f[0].explanation, std::string("domain-tree ") + tree +
                                    " would block every site under the public suffix " + tree);
    EXPECT_EQ(f[0].hits, std::vector<std::string>{tree});
  }
  // "*.github.io" is the same domain-tree.
  EXPECT_EQ(OfRule(Assess(g, "*.github.io"), Rule::kPublicSuffix).size(), 1U);
}

TEST(GuardPublicSuffixTest, AllowsSitesAndTreesOfSites) {
  const Guard g = BuildOrDie({});
  for (const char* t :
       {"domain-tree:example.com", "domain-tree:foo.github.io", "domain:example.com",
        "domain:foo.blogspot.com", "domain-tree:bbc.co.uk", "url:https://github.io/x"}) {
    EXPECT_TRUE(Assess(g, t).empty()) << t << "\n" << Dump(Assess(g, t));
  }
}

TEST(GuardPublicSuffixTest, RefusesADomainThatIsAPublicSuffix) {
  const Guard g = BuildOrDie({});
  for (const char* name : {"github.io", "co.uk", "com"}) {
    const std::vector<Finding> f = g.Assess(Target{TargetKind::kDomain, name}, {}, kNow);
    ASSERT_EQ(f.size(), 1U) << name;
    EXPECT_EQ(f[0].rule, Rule::kPublicSuffix);
    EXPECT_EQ(f[0].severity, Severity::kRefuse);
    EXPECT_TRUE(Contains(f[0].explanation, std::string("public suffix ") + name))
        << f[0].explanation;
  }
}

TEST(GuardPublicSuffixTest, RefusesATreeAbovePublicSuffixes) {
  GuardData data;
  Result<PublicSuffixList> psl =
      PublicSuffixList::FromText("com\ns3.amazonaws.com\n*.compute.amazonaws.com\n", "mini");
  ASSERT_TRUE(psl.ok());
  data.public_suffixes = *psl;
  const Guard g = BuildOrDie(std::move(data));
  const std::vector<Finding> f = Assess(g, "domain-tree:amazonaws.com");
  ASSERT_EQ(f.size(), 1U) << Dump(f);
  EXPECT_EQ(f[0].severity, Severity::kRefuse);
  EXPECT_EQ(f[0].explanation,
            "domain-tree amazonaws.com would block every site under the 2 public suffixes below "
            "it (s3.amazonaws.com, *.compute.amazonaws.com)");
  // The plain domain amazonaws.com is one name, not the suffixes under it.
  EXPECT_TRUE(Assess(g, "domain:amazonaws.com").empty());
  // With the real list the same holds.
  const Guard real = BuildOrDie({});
  EXPECT_EQ(OfRule(Assess(real, "domain-tree:amazonaws.com"), Rule::kPublicSuffix).size(), 1U);
}

// ---------------------------------------------------------------------------------------------
// Provider ranges

TEST(RangeParserTest, ReadsTheTxtAndCsvFiles) {
  const RangeSet cf = LoadRanges("cloudflare.txt");
  EXPECT_EQ(cf.provider, "cloudflare");
  ASSERT_EQ(cf.cidrs.size(), 22U);  // 15 IPv4 + 7 IPv6 lines under 3 comment lines and a blank
  EXPECT_EQ(cf.cidrs.front(), "103.21.244.0/22");
  EXPECT_EQ(cf.cidrs.back(), "2c0f:f248::/32");  // the last line has no newline
  const RangeSet aws = LoadRanges("aws-slice.csv");
  EXPECT_EQ(aws.provider, "aws-slice");
  ASSERT_EQ(aws.cidrs.size(), 200U);  // 201 lines less the header
  EXPECT_EQ(aws.cidrs.front(), "1.178.10.0/24");
  EXPECT_EQ(aws.cidrs[150], "2001:3fc0:800::/40");
}

TEST(RangeParserTest, ProviderNames) {
  EXPECT_EQ(ProviderNameFromPath("../shared/data/ranges/microsoft-azure.txt"), "microsoft-azure");
  EXPECT_EQ(ProviderNameFromPath("aws.csv"), "aws");
  EXPECT_EQ(ProviderNameFromPath("dir.d/ovh"), "ovh");
  Result<RangeSet> unnamed = ParseRangeSet("1.2.3.0/24\n", "x.txt", "");
  EXPECT_FALSE(unnamed.ok());
}

TEST(RangeParserTest, ErrorsNameFileLineAndWhy) {
  std::string text = "# provider: X\n\n";  // lines 1-2
  for (int i = 3; i <= 11; ++i) text += "10." + std::to_string(i) + ".0.0/16\n";
  text += "10.0.0/8\n";  // line 12
  Result<RangeSet> r = ParseRangeSet(text, "ranges/x.txt", "x");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "ranges/x.txt:12: not a CIDR: \"10.0.0/8\""))
      << r.status().message();

  struct Case {
    std::string text;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"10.0.0.1/8\n", "x.txt:1: not a CIDR: \"10.0.0.1/8\": host bits are set"},
      {"1.2.3.0/24\nnonsense\n", "x.txt:2: not a CIDR or address: \"nonsense\""},
      {"Type,Address\nIPv4,2606:4700::/32\n", "x.txt:2: type IPv4 but 2606:4700::/32 is an IPv6"},
      {"IPv5,1.2.3.0/24\n", "x.txt:1: unknown type \"IPv5\""},
      {"IPv4,1.2.3.0/24,extra\n", "x.txt:1: expected 2 fields (Type,Address), found 3"},
      {"1.2.3.0/24\r\n" + std::string(5000, 'a') + "\n", "x.txt:2: the line is longer than 4096"},
      {"1.2.3.0/33\n", "x.txt:1: not a CIDR"},
      {"Type,Address\nType,Address\n", "x.txt:2: unknown type \"Type\""},  // one header only
  };
  for (const Case& c : cases) {
    Result<RangeSet> got = ParseRangeSet(c.text, "x.txt", "x");
    ASSERT_FALSE(got.ok()) << c.text;
    EXPECT_TRUE(Contains(got.status().message(), c.error))
        << "want " << c.error << "\n got " << got.status().message();
  }
  // Accepted: a BOM, CRLF, comments, blank lines, bare addresses as host ranges.
  Result<RangeSet> ok =
      ParseRangeSet("\xEF\xBB\xBF# c\r\n\r\n  192.0.2.7 \r\n2001:db8::1\n", "x", "x");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->cidrs, (std::vector<std::string>{"192.0.2.7/32", "2001:db8::1/128"}));
}

class CdnGuardTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    GuardData data;
    for (const char* f :
         {"cloudflare.txt", "github.txt", "fastly.txt", "akamai.txt", "aws-slice.csv"}) {
      data.ranges.push_back(LoadRanges(f));
    }
    guard_ = new Guard(BuildOrDie(std::move(data)));
  }
  static void TearDownTestSuite() { delete guard_; }
  static Guard* guard_;
};
Guard* CdnGuardTest::guard_ = nullptr;

TEST_F(CdnGuardTest, FlagsAnAddressInsideCloudflare) {
  const std::vector<Finding> f = Assess(*guard_, "104.16.1.1");
  ASSERT_EQ(f.size(), 1U) << Dump(f);
  EXPECT_EQ(f[0].rule, Rule::kCdnRange);
  EXPECT_EQ(f[0].severity, Severity::kFlag);
  EXPECT_TRUE(Contains(f[0].explanation, "ip 104.16.1.1 is inside cloudflare range 104.16.0.0/13"))
      << f[0].explanation;
  EXPECT_EQ(f[0].hits, std::vector<std::string>{"cloudflare 104.16.0.0/13"});
}

TEST_F(CdnGuardTest, RangeEdges) {
  // 104.16.0.0/13 is 104.16.0.0 - 104.23.255.255; 104.24.0.0/14 follows it.
  EXPECT_EQ(Assess(*guard_, "104.16.0.0").size(), 1U);
  EXPECT_EQ(Assess(*guard_, "104.23.255.255").size(), 1U);
  EXPECT_TRUE(Contains(Assess(*guard_, "104.24.0.0")[0].explanation, "104.24.0.0/14"));
  EXPECT_TRUE(Assess(*guard_, "104.15.255.255").empty()) << Dump(Assess(*guard_, "104.15.255.255"));
  EXPECT_TRUE(Assess(*guard_, "104.28.0.0").empty());
  EXPECT_TRUE(Assess(*guard_, "192.0.2.1").empty());
  // A CIDR equal to a range, inside one, and a supernet holding two.
  EXPECT_TRUE(Contains(Assess(*guard_, "104.16.0.0/13")[0].explanation,
                       "cidr 104.16.0.0/13 is cloudflare range 104.16.0.0/13"));
  EXPECT_TRUE(Contains(Assess(*guard_, "104.17.0.0/16")[0].explanation, "is inside cloudflare"));
  const std::vector<Finding> f = Assess(*guard_, "104.16.0.0/12");
  ASSERT_EQ(f.size(), 1U) << Dump(f);
  EXPECT_TRUE(
      Contains(f[0].explanation,
               "cidr 104.16.0.0/12 contains 2 cloudflare ranges (104.16.0.0/13, 104.24.0.0/14)"))
      << f[0].explanation;
}

TEST_F(CdnGuardTest, HugeCidrsHitEveryProvider) {
  const std::vector<Finding> f = Assess(*guard_, "0.0.0.0/0");
  for (const Finding& x : f) ASSERT_EQ(x.rule, Rule::kCdnRange);
  ASSERT_EQ(f.size(), 5U) << Dump(f);
  EXPECT_TRUE(Contains(f[0].explanation, "cidr 0.0.0.0/0 contains 15 cloudflare ranges"))
      << Dump(f);
  EXPECT_TRUE(Contains(f[0].explanation, "and 10 more")) << f[0].explanation;
  EXPECT_EQ(f[0].hits.size(), 5U);
  // 1.0.0.0/8 holds AWS's 1.178.x ranges and nothing of the others.
  const std::vector<Finding> one = Assess(*guard_, "1.0.0.0/8");
  ASSERT_EQ(one.size(), 1U) << Dump(one);
  EXPECT_TRUE(Contains(one[0].explanation, "aws-slice ranges")) << one[0].explanation;
}

TEST_F(CdnGuardTest, Ipv6) {
  const std::vector<Finding> f = Assess(*guard_, "2606:4700::6810:101");
  ASSERT_EQ(f.size(), 1U) << Dump(f);
  EXPECT_TRUE(Contains(f[0].explanation, "inside cloudflare range 2606:4700::/32"));
  EXPECT_TRUE(Contains(Assess(*guard_, "2a06:98c7:ffff::/48")[0].explanation, "2a06:98c0::/29"));
  EXPECT_TRUE(Assess(*guard_, "2a06:98c8::1").empty());  // just past the /29
  EXPECT_TRUE(Assess(*guard_, "2001:db8::1").empty());
  const std::vector<Finding> aws = Assess(*guard_, "2001:3fc0:8ff:ffff::1");
  ASSERT_EQ(aws.size(), 1U);
  EXPECT_TRUE(Contains(aws[0].explanation, "aws-slice range 2001:3fc0:800::/40"));
}

TEST_F(CdnGuardTest, Ipv4MappedAddressesAreIpv4) {
  // The model spells ::ffff:104.16.1.1 as 104.16.1.1.
  const Target mapped = T("::ffff:104.16.1.1");
  EXPECT_EQ(mapped.value, "104.16.1.1");
  EXPECT_EQ(guard_->Assess(mapped, {}, kNow).size(), 1U);
  // An IPv6 network over the mapped space covers the IPv4 addresses in it: ::/0 contains every
  // IPv4 range as well as the IPv6 ones (15 + 7 for Cloudflare).
  const std::vector<Finding> all = Assess(*guard_, "::/0");
  ASSERT_FALSE(all.empty());
  EXPECT_TRUE(Contains(all[0].explanation, "contains 22 cloudflare ranges")) << all[0].explanation;
  const std::vector<Finding> mapped_net = Assess(*guard_, "::fffe:0:0/95");
  ASSERT_FALSE(mapped_net.empty());
  EXPECT_TRUE(Contains(mapped_net[0].explanation, "contains 15 cloudflare ranges"))
      << mapped_net[0].explanation;
}

TEST(GuardBuildTest, RejectsBadValuesNamingTheEntry) {
  GuardData data;
  data.public_suffixes = SystemPsl();
  data.ranges.push_back(RangeSet{"cloudflare", {"104.16.0.0/13", "104.16.0.0/33"}});
  Result<Guard> g = Guard::Build(std::move(data));
  ASSERT_FALSE(g.ok());
  EXPECT_TRUE(Contains(g.status().message(), "ranges cloudflare: entry 2")) << g.status().message();

  GuardData pdns;
  pdns.public_suffixes = SystemPsl();
  pdns.passive_dns.push_back(PassiveDnsRecord{"a.com", "192.0.2.0/24", kNow});
  Result<Guard> g2 = Guard::Build(std::move(pdns));
  ASSERT_FALSE(g2.ok());
  EXPECT_TRUE(Contains(g2.status().message(), "passive dns: entry 1")) << g2.status().message();

  GuardData wl;
  wl.public_suffixes = SystemPsl();
  wl.whitelist.push_back(WhitelistEntry{WhitelistEntry::Kind::kAsn, "AS12", "x"});
  EXPECT_FALSE(Guard::Build(std::move(wl)).ok());
}

// ---------------------------------------------------------------------------------------------
// Passive DNS

TEST(PassiveDnsParserTest, ReadsTimesAndKeepsTheLatestObservation) {
  Result<std::vector<PassiveDnsRecord>> r = ParsePassiveDns(
      "domain,ip,last_seen\n"
      "Example.COM,192.0.2.1,1700000000\n"
      "example.com,192.0.2.1,2025-06-01T10:00:00Z\n"
      "example.com,192.0.2.1,2025-01-01\n"
      "\"b.example.org\" , ::ffff:192.0.2.1 , 2025-05-06T21:11:42+02:00\n",
      "pdns.csv");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2U);
  EXPECT_EQ((*r)[0].domain, "b.example.org");
  EXPECT_EQ((*r)[0].ip, "192.0.2.1");
  EXPECT_EQ((*r)[0].last_seen, *ParseTime("2025-05-06T19:11:42Z"));
  EXPECT_EQ((*r)[1].domain, "example.com");
  EXPECT_EQ((*r)[1].last_seen, *ParseTime("2025-06-01T10:00:00Z"));
}

TEST(PassiveDnsParserTest, ErrorsNameFileLineAndWhy) {
  struct Case {
    std::string text;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"a.com,192.0.2.1,0\nb.com,192.0.2.300,0\n", "pdns.csv:2: not an address: \"192.0.2.300\""},
      {"a.com,192.0.2.1\n", "pdns.csv:1: expected 3 fields (domain,ip,last-seen), found 2"},
      {"a.com,192.0.2.1,yesterday\n", "pdns.csv:1: last-seen \"yesterday\" is not Unix seconds"},
      {"a.com,192.0.2.1,99999999999999\n", "pdns.csv:1: last-seen \"99999999999999\" is past"},
      {"a..com,192.0.2.1,0\n", "pdns.csv:1: not a domain: \"a..com\""},
      {"# c\n\na.com,192.0.2.1,0\nx.y,ip,z\n", "pdns.csv:4: not an address"},  // header only first
  };
  for (const Case& c : cases) {
    Result<std::vector<PassiveDnsRecord>> got = ParsePassiveDns(c.text, "pdns.csv");
    ASSERT_FALSE(got.ok()) << c.text;
    EXPECT_TRUE(Contains(got.status().message(), c.error))
        << "want " << c.error << "\n got " << got.status().message();
  }
}

// n observations of distinct registrable domains site<i>.com on `ip`, seen `age` seconds ago.
void AddSites(std::vector<PassiveDnsRecord>* records, const std::string& ip, int first, int n,
              std::int64_t age = kDay) {
  for (int i = first; i < first + n; ++i) {
    records->push_back(PassiveDnsRecord{"site" + std::to_string(i) + ".com", ip, kNow - age});
  }
}

TEST(GuardSharedAddressTest, ThresholdIsExclusive) {
  std::vector<PassiveDnsRecord> at;
  AddSites(&at, "192.0.2.1", 0, 10);
  std::vector<PassiveDnsRecord> above = at;
  AddSites(&above, "192.0.2.1", 10, 1);

  GuardData d1;
  d1.passive_dns = at;
  EXPECT_TRUE(Assess(BuildOrDie(std::move(d1)), "192.0.2.1").empty());  // exactly 10: not flagged

  GuardData d2;
  d2.passive_dns = above;
  const Guard g = BuildOrDie(std::move(d2));
  const std::vector<Finding> f = Assess(g, "192.0.2.1");
  ASSERT_EQ(f.size(), 1U);
  EXPECT_EQ(f[0].rule, Rule::kSharedAddress);
  EXPECT_EQ(f[0].severity, Severity::kFlag);
  EXPECT_TRUE(Contains(f[0].explanation, "ip 192.0.2.1 served 11 registrable domains"))
      << f[0].explanation;
  EXPECT_TRUE(Contains(f[0].explanation, "in the last 30 days")) << f[0].explanation;
  EXPECT_TRUE(Contains(f[0].explanation, ", and 6 more")) << f[0].explanation;
  EXPECT_EQ(f[0].hits.size(), 5U);
  // Another address of the data set, and one next to it, are clean.
  EXPECT_TRUE(Assess(g, "192.0.2.2").empty());
  // A configured threshold.
  GuardData d3;
  d3.passive_dns = at;
  GuardOptions low;
  low.shared_address_threshold = 9;
  EXPECT_EQ(Assess(BuildOrDie(std::move(d3), low), "192.0.2.1").size(), 1U);
}

TEST(GuardSharedAddressTest, CountsRegistrableDomainsOnce) {
  std::vector<PassiveDnsRecord> records;
  AddSites(&records, "192.0.2.1", 0, 9);
  // Three names of one site, two github.io sites (distinct: github.io is a public suffix).
  for (const char* name : {"a.example.com", "b.example.com", "example.com"}) {
    records.push_back(PassiveDnsRecord{name, "192.0.2.1", kNow - kDay});
  }
  GuardData d;
  d.passive_dns = records;
  // 9 + example.com = 10: not flagged.
  const Guard g10 = BuildOrDie(d);
  EXPECT_TRUE(Assess(g10, "192.0.2.1").empty()) << Dump(Assess(g10, "192.0.2.1"));
  d.passive_dns.push_back(PassiveDnsRecord{"x.foo.github.io", "192.0.2.1", kNow - kDay});
  const Guard g11 = BuildOrDie(d);
  const std::vector<Finding> f = Assess(g11, "192.0.2.1");
  ASSERT_EQ(f.size(), 1U);
  EXPECT_TRUE(Contains(f[0].explanation, "11 registrable domains")) << f[0].explanation;
  // The most recently seen come first among the samples: all seen together, so by name.
  EXPECT_EQ(f[0].hits[0], "example.com");
  EXPECT_EQ(f[0].hits[1], "foo.github.io");
}

TEST(GuardSharedAddressTest, LeavesOutTheRequestsOwnDomains) {
  std::vector<PassiveDnsRecord> records;
  AddSites(&records, "192.0.2.1", 0, 10);
  records.push_back(PassiveDnsRecord{"pirate.example", "192.0.2.1", kNow - kDay});
  records.push_back(PassiveDnsRecord{"cdn.pirate.example", "192.0.2.1", kNow - kDay});
  GuardData d;
  d.passive_dns = records;
  const Guard g = BuildOrDie(std::move(d));
  EXPECT_EQ(Assess(g, "192.0.2.1").size(), 1U);  // 11 with pirate.example
  // The request blocks pirate.example's tree: 10 others remain.
  EXPECT_TRUE(Assess(g, "192.0.2.1", {T("*.pirate.example"), T("192.0.2.1")}).empty());
  // Only the apex: cdn.pirate.example still counts (as pirate.example).
  EXPECT_EQ(Assess(g, "192.0.2.1", {T("pirate.example")}).size(), 1U);
  EXPECT_TRUE(Assess(g, "192.0.2.1", {T("pirate.example"), T("cdn.pirate.example")}).empty());
  // A URL's host counts as the domain it names.
  EXPECT_TRUE(
      Assess(g, "192.0.2.1", {T("https://pirate.example/x"), T("https://cdn.pirate.example/y")})
          .empty());
  // AssessAll passes the other targets.
  const std::vector<Target> request = {T("*.pirate.example"), T("192.0.2.1"), T("192.0.2.2")};
  const std::vector<std::vector<Finding>> all = g.AssessAll(request, kNow);
  ASSERT_EQ(all.size(), 3U);
  EXPECT_TRUE(all[1].empty()) << Dump(all[1]);
}

TEST(GuardSharedAddressTest, WindowAndCidrs) {
  std::vector<PassiveDnsRecord> records;
  AddSites(&records, "198.51.100.1", 0, 6);
  AddSites(&records, "198.51.100.200", 6, 5);
  AddSites(&records, "198.51.100.201", 100, 20, 31 * kDay);  // too old for a 30-day window
  AddSites(&records, "198.51.101.1", 200, 20);               // outside the /24
  GuardData d;
  d.passive_dns = records;
  const Guard g = BuildOrDie(d);
  EXPECT_TRUE(Assess(g, "198.51.100.1").empty());
  const std::vector<Finding> f = Assess(g, "198.51.100.0/24");
  ASSERT_EQ(f.size(), 1U);
  EXPECT_TRUE(Contains(f[0].explanation, "cidr 198.51.100.0/24 served 11 registrable domains"))
      << f[0].explanation;
  EXPECT_TRUE(Assess(g, "198.51.100.0/25").empty());  // only the 6 on .1
  // A 60-day window counts the old ones too.
  GuardOptions wide;
  wide.shared_address_window_seconds = 60 * kDay;
  EXPECT_TRUE(Contains(Assess(BuildOrDie(d, wide), "198.51.100.201")[0].explanation,
                       "20 registrable domains"));
  // IPv6.
  GuardData v6;
  AddSites(&v6.passive_dns, "2001:db8::1", 0, 11);
  const Guard g6 = BuildOrDie(std::move(v6));
  EXPECT_EQ(Assess(g6, "2001:db8::/64").size(), 1U);
  EXPECT_TRUE(Assess(g6, "2001:db8:1::/64").empty());
}

// ---------------------------------------------------------------------------------------------
// Whitelist

constexpr std::string_view kWhitelist =
    "# what must never be blocked\n"
    "domain-tree:*.google.com   Google\n"
    "domain:drive.usercontent.google.example\tGoogle Drive downloads\n"
    "domain:drive.example       Example Drive\n"
    "cidr:140.82.112.0/20       GitHub\n"
    "ip:8.8.8.8                 Google Public DNS\n"
    "asn:AS36459                GitHub\n";

TEST(WhitelistParserTest, ReadsEntries) {
  Result<std::vector<WhitelistEntry>> r = ParseWhitelist(kWhitelist, "wl.txt");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 6U);
  EXPECT_EQ((*r)[0], (WhitelistEntry{WhitelistEntry::Kind::kDomainTree, "google.com", "Google"}));
  EXPECT_EQ((*r)[1].note, "Google Drive downloads");
  EXPECT_EQ((*r)[5], (WhitelistEntry{WhitelistEntry::Kind::kAsn, "36459", "GitHub"}));
}

TEST(WhitelistParserTest, ErrorsNameFileLineAndWhy) {
  struct Case {
    std::string text;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"domain:a.com A\nhost:b.com B\n", "wl.txt:2: unknown kind \"host\""},
      {"domain:a.com\n", "wl.txt:1: no note after \"domain:a.com\""},
      {"asn:ASX1 x\n", "wl.txt:1: not an AS number: \"ASX1\""},
      {"asn:4294967296 x\n", "wl.txt:1: AS number \"4294967296\" is out of range"},
      {"cidr:10.0.0.1/8 x\n", "wl.txt:1: not a CIDR: \"10.0.0.1/8\": host bits"},
      {"google.com Google\n", "wl.txt:1: expected KIND:VALUE NOTE"},
      {"domain-tree:*.*.x y\n", "wl.txt:1: not a domain-tree"},
  };
  for (const Case& c : cases) {
    Result<std::vector<WhitelistEntry>> got = ParseWhitelist(c.text, "wl.txt");
    ASSERT_FALSE(got.ok()) << c.text;
    EXPECT_TRUE(Contains(got.status().message(), c.error))
        << "want " << c.error << "\n got " << got.status().message();
  }
}

Guard WhitelistGuard() {
  GuardData d;
  d.whitelist = *ParseWhitelist(kWhitelist, "wl.txt");
  d.prefix_asns = *ParsePrefixAsns(
      "prefix,asn\n"
      "140.82.112.0/20,AS36459\n"
      "140.82.0.0/16,36459\n"
      "140.82.121.0/24,64500\n"  // a more specific prefix of another AS inside GitHub's
      "2a0a:a440::/29,36459\n"
      "192.0.2.0/24,64501\n",
      "asn.csv");
  return BuildOrDie(std::move(d));
}

TEST(GuardWhitelistTest, DomainsInsideAWhitelistedTree) {
  const Guard g = WhitelistGuard();
  std::vector<Finding> f = Assess(g, "drive.google.com");
  ASSERT_EQ(f.size(), 1U) << Dump(f);
  EXPECT_EQ(f[0].rule, Rule::kWhitelist);
  EXPECT_EQ(f[0].severity, Severity::kFlag);
  EXPECT_EQ(f[0].explanation,
            "domain drive.google.com is inside whitelisted domain-tree google.com (Google)");
  EXPECT_EQ(f[0].hits, std::vector<std::string>{"domain-tree:google.com"});
  EXPECT_TRUE(Contains(Assess(g, "google.com")[0].explanation,
                       "domain google.com is whitelisted domain-tree google.com"));
  EXPECT_EQ(Assess(g, "*.mail.google.com").size(), 1U);
  EXPECT_TRUE(Assess(g, "google.com.evil.example").empty());
  EXPECT_TRUE(Assess(g, "notgoogle.com").empty());
}

TEST(GuardWhitelistTest, TreesAboveAWhitelistedName) {
  const Guard g = WhitelistGuard();
  // *.usercontent.google.example would hit the whitelisted drive.usercontent.google.example.
  std::vector<Finding> f = Assess(g, "*.usercontent.google.example");
  ASSERT_EQ(f.size(), 1U) << Dump(f);
  EXPECT_EQ(f[0].explanation,
            "domain-tree usercontent.google.example would block whitelisted domain "
            "drive.usercontent.google.example (Google Drive downloads)");
  EXPECT_EQ(Assess(g, "*.google.example").size(), 1U);
  // A whitelisted domain is one name: its subdomains and siblings are not whitelisted.
  EXPECT_TRUE(Assess(g, "x.drive.usercontent.google.example").empty());
  EXPECT_TRUE(Assess(g, "*.x.drive.usercontent.google.example").empty());
  EXPECT_TRUE(Assess(g, "*.other.google.example").empty());
  // A tree on the whitelisted name itself blocks it.
  f = Assess(g, "*.drive.example");
  ASSERT_EQ(f.size(), 1U) << Dump(f);
  EXPECT_TRUE(Contains(f[0].explanation, "would block whitelisted domain drive.example"));
  EXPECT_EQ(Assess(g, "drive.example").size(), 1U);
}

TEST(GuardWhitelistTest, UrlsAreCheckedByHost) {
  const Guard g = WhitelistGuard();
  std::vector<Finding> f = Assess(g, "https://drive.google.com/file/d/123/view");
  ASSERT_EQ(f.size(), 1U) << Dump(f);
  EXPECT_TRUE(Contains(f[0].explanation,
                       "(host drive.google.com) is inside whitelisted "
                       "domain-tree google.com"))
      << f[0].explanation;
  EXPECT_EQ(Assess(g, "http://8.8.8.8/x").size(), 1U);
  EXPECT_TRUE(Assess(g, "https://example.com/google.com").empty());
  EXPECT_EQ(Assess(g, "search:https://drive.google.com/x").size(), 1U);
}

TEST(GuardWhitelistTest, AddressesAndCidrs) {
  const Guard g = WhitelistGuard();
  EXPECT_TRUE(Contains(Assess(g, "8.8.8.8")[0].explanation,
                       "ip 8.8.8.8 is whitelisted ip 8.8.8.8 (Google Public DNS)"));
  EXPECT_TRUE(Contains(Assess(g, "8.8.0.0/16")[0].explanation, "contains whitelisted ip 8.8.8.8"));
  EXPECT_TRUE(Assess(g, "8.8.8.9").empty());
  const std::vector<Finding> f = OfRule(Assess(g, "140.82.113.4"), Rule::kWhitelist);
  ASSERT_EQ(f.size(), 2U) << Dump(f);  // the cidr entry and the asn entry
  EXPECT_TRUE(Contains(f[0].explanation, "is inside whitelisted cidr 140.82.112.0/20 (GitHub)"))
      << f[0].explanation;
}

TEST(GuardWhitelistTest, AsnsByLongestPrefix) {
  const Guard g = WhitelistGuard();
  std::vector<Finding> f = Assess(g, "140.82.1.1");  // in 140.82.0.0/16 only
  ASSERT_EQ(f.size(), 1U) << Dump(f);
  EXPECT_EQ(f[0].explanation,
            "ip 140.82.1.1 is in whitelisted asn AS36459 (GitHub), announced as 140.82.0.0/16");
  EXPECT_EQ(f[0].hits, (std::vector<std::string>{"asn:36459", "140.82.0.0/16"}));
  // 140.82.121.0/24 is another AS's more specific prefix: not GitHub's (only the whitelisted
  // cidr 140.82.112.0/20 holds it).
  for (const char* t : {"140.82.121.9", "140.82.121.0/24"}) {
    f = Assess(g, t);
    ASSERT_EQ(f.size(), 1U) << Dump(f);
    EXPECT_EQ(f[0].hits, std::vector<std::string>{"cidr:140.82.112.0/20"}) << Dump(f);
  }
  // A /23 over it still covers GitHub's 140.82.120.0/24 (and the whitelisted cidr).
  f = OfRule(Assess(g, "140.82.120.0/23"), Rule::kWhitelist);
  ASSERT_EQ(f.size(), 2U) << Dump(f);
  EXPECT_TRUE(Contains(f[1].explanation, "covers addresses of whitelisted asn AS36459"))
      << f[1].explanation;
  EXPECT_TRUE(Contains(f[1].explanation, "140.82.112.0/20")) << f[1].explanation;
  EXPECT_EQ(Assess(g, "2a0a:a440::1").size(), 1U);
  EXPECT_TRUE(Assess(g, "192.0.2.1").empty());  // AS64501 is not whitelisted
  EXPECT_TRUE(Assess(g, "140.83.0.1").empty());
}

TEST(PrefixAsnParserTest, Errors) {
  Result<std::vector<PrefixAsn>> r = ParsePrefixAsns("1.2.3.0/24,13335\n1.2.4.0/24,0\n", "a.csv");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "a.csv:2: AS number \"0\" is out of range"))
      << r.status().message();
  r = ParsePrefixAsns("1.2.3.0/24\n", "a.csv");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "a.csv:1: expected 2 fields")) << r.status().message();
}

// ---------------------------------------------------------------------------------------------
// Popular sites

constexpr std::string_view kTranco =
    "rank,domain\n"
    "1,google.com\n"
    "2,youtube.com\n"
    "3,blogspot.com\n"
    "40,mail.example.net\n"
    "41,api.example.net\n"
    "9000,youtube.com\n"  // a second listing keeps the best rank
    "10001,rare.example\n";

Guard PopularGuard(GuardOptions options = {}) {
  GuardData d;
  Result<std::vector<PopularSite>> sites = ParsePopularSites(kTranco, "top.csv");
  EXPECT_TRUE(sites.ok()) << sites.status().ToString();
  d.popular = *sites;
  return BuildOrDie(std::move(d), options);
}

TEST(PopularParserTest, ReadsBothForms) {
  Result<std::vector<PopularSite>> r = ParsePopularSites(kTranco, "top.csv");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 6U);
  EXPECT_EQ((*r)[1], (PopularSite{2, "youtube.com"}));
  r = ParsePopularSites("# list\nexample.org\nWWW.Example.NET.\n", "top.txt");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, (std::vector<PopularSite>{{1, "example.org"}, {2, "www.example.net"}}));
  r = ParsePopularSites("1,a.com\n-2,b.com\n", "top.csv");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "top.csv:2: rank \"-2\" is not a number"))
      << r.status().message();
  r = ParsePopularSites("1,a.com\n2,b com\n", "top.csv");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "top.csv:2: not a domain")) << r.status().message();
}

TEST(GuardPopularTest, FlagsListedSitesAndNamesUnderThem) {
  const Guard g = PopularGuard();
  std::vector<Finding> f = Assess(g, "youtube.com");
  ASSERT_EQ(f.size(), 1U) << Dump(f);
  EXPECT_EQ(f[0].rule, Rule::kPopular);
  EXPECT_EQ(f[0].severity, Severity::kFlag);
  EXPECT_EQ(f[0].explanation, "domain youtube.com is #2 on the popular-sites list");
  EXPECT_EQ(Assess(g, "www.youtube.com")[0].explanation,
            "domain www.youtube.com is under youtube.com, #2 on the popular-sites list");
  EXPECT_TRUE(Contains(Assess(g, "*.google.com")[0].explanation,
                       "domain-tree google.com would block google.com, which is #1"));
  // A blogspot.com blog is its own site (blogspot.com is a public suffix).
  EXPECT_TRUE(Assess(g, "someblog.blogspot.com").empty());
  EXPECT_TRUE(Assess(g, "example.org").empty());
  // Beyond the top 10,000.
  EXPECT_TRUE(Assess(g, "rare.example").empty());
  GuardOptions options;
  options.popular_top = 20000;
  EXPECT_EQ(Assess(PopularGuard(options), "rare.example").size(), 1U);
  options.popular_top = 1;
  EXPECT_TRUE(Assess(PopularGuard(options), "youtube.com").empty());
  // Not for addresses or URLs.
  EXPECT_TRUE(Assess(g, "https://www.youtube.com/watch?v=x").empty());
}

TEST(GuardPopularTest, TreesAboveListedNames) {
  const Guard g = PopularGuard();
  // example.net is not listed, but two names under it are.
  const std::vector<Finding> f = Assess(g, "*.example.net");
  ASSERT_EQ(f.size(), 1U) << Dump(f);
  EXPECT_EQ(f[0].explanation,
            "domain-tree example.net would block 2 sites below it on the popular-sites list: "
            "mail.example.net (#40), api.example.net (#41)");
  EXPECT_EQ(f[0].hits, (std::vector<std::string>{"mail.example.net", "api.example.net"}));
  // The plain domain example.net is one name.
  EXPECT_TRUE(Assess(g, "example.net").empty());
  EXPECT_TRUE(Assess(g, "*.other.example.net").empty());
}

// ---------------------------------------------------------------------------------------------
// All together

TEST(GuardTest, NamesAndKindsAndStats) {
  EXPECT_EQ(RuleName(Rule::kPublicSuffix), "public-suffix");
  EXPECT_EQ(RuleName(Rule::kCdnRange), "cdn-range");
  EXPECT_EQ(RuleName(Rule::kSharedAddress), "shared-address");
  EXPECT_EQ(RuleName(Rule::kWhitelist), "whitelist");
  EXPECT_EQ(RuleName(Rule::kPopular), "popular");
  EXPECT_EQ(SeverityName(Severity::kRefuse), "refuse");
  EXPECT_EQ(SeverityName(Severity::kFlag), "flag");

  GuardData d;
  d.ranges.push_back(LoadRanges("cloudflare.txt"));
  d.ranges.push_back(RangeSet{"cloudflare", {"104.16.0.0/16", "192.0.2.0/24"}});  // merged
  d.whitelist = *ParseWhitelist(kWhitelist, "wl.txt");
  d.popular = *ParsePopularSites(kTranco, "top.csv");
  const Guard g = BuildOrDie(std::move(d));
  const Guard::Stats s = g.stats();
  EXPECT_EQ(s.providers, 1U);
  EXPECT_EQ(s.ranges, 23U);  // 22 + 192.0.2.0/24; 104.16.0.0/16 is inside 104.16.0.0/13
  EXPECT_EQ(s.whitelist, 6U);
  EXPECT_EQ(s.popular, 5U);
  EXPECT_TRUE(Contains(Assess(g, "192.0.2.1")[0].explanation, "cloudflare range 192.0.2.0/24"));
  // App targets are not assessed; several rules can fire on one target.
  EXPECT_TRUE(Assess(g, "play:com.google.android.youtube").empty());
  const std::vector<Finding> both = Assess(g, "*.google.com");
  ASSERT_EQ(both.size(), 2U) << Dump(both);
  EXPECT_EQ(both[0].rule, Rule::kWhitelist);
  EXPECT_EQ(both[1].rule, Rule::kPopular);
}

TEST(GuardTest, ConcurrentAssessAgreesWithSerial) {
  GuardData d;
  d.ranges.push_back(LoadRanges("cloudflare.txt"));
  AddSites(&d.passive_dns, "192.0.2.1", 0, 20);
  d.whitelist = *ParseWhitelist(kWhitelist, "wl.txt");
  const Guard g = BuildOrDie(std::move(d));
  const std::vector<Target> targets = {T("104.16.1.1"), T("192.0.2.0/24"), T("*.google.com"),
                                       T("*.co.uk"), T("example.com")};
  const std::vector<std::vector<Finding>> want = g.AssessAll(targets, kNow);
  ASSERT_EQ(want[4].size(), 0U);
  for (std::size_t i = 0; i < 4; ++i) ASSERT_EQ(want[i].size(), 1U) << i << "\n" << Dump(want[i]);
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const Guard copy = g;  // NOLINT(performance-unnecessary-copy-initialization): copies share
      for (int round = 0; round < 200; ++round) {
        const std::vector<std::vector<Finding>> got = copy.AssessAll(targets, kNow);
        for (std::size_t i = 0; i < got.size(); ++i) {
          if (got[i].size() != want[i].size() ||
              (!got[i].empty() && got[i][0].explanation != want[i][0].explanation)) {
            ++mismatches[static_cast<std::size_t>(t)];
          }
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace interdict::guard
