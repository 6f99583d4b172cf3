// Table-driven tests for target normalization: each table is {input, canonical output} or
// {input, a substring the error must contain}. Every valid case is also checked for idempotence:
// normalizing the canonical output again gives the same output.
#include "model/target.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace interdict {
namespace {

struct Valid {
  std::string_view input;
  std::string_view want;
};

struct Invalid {
  std::string_view input;
  std::string_view error;  // a substring of the message
};

using Normalizer = Result<std::string> (*)(std::string_view);

void ExpectValid(Normalizer normalize, const Valid& c) {
  SCOPED_TRACE(testing::Message() << "input: \"" << c.input << "\"");
  const Result<std::string> got = normalize(c.input);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, c.want);
  const Result<std::string> again = normalize(*got);
  ASSERT_TRUE(again.ok()) << "not idempotent: " << again.status().ToString();
  EXPECT_EQ(*again, *got) << "not idempotent";
}

void ExpectInvalid(Normalizer normalize, const Invalid& c) {
  SCOPED_TRACE(testing::Message() << "input: \"" << c.input << "\"");
  const Result<std::string> got = normalize(c.input);
  ASSERT_FALSE(got.ok()) << "accepted as \"" << *got << "\"";
  EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(got.status().message().find(c.error), std::string::npos)
      << "message: " << got.status().message() << "\nwanted: " << c.error;
}

// ---------------------------------------------------------------------------------------------
// Kinds

TEST(TargetKindTest, NamesRoundTrip) {
  const std::vector<std::pair<TargetKind, std::string_view>> kinds = {
      {TargetKind::kDomain, "domain"}, {TargetKind::kDomainTree, "domain-tree"},
      {TargetKind::kUrl, "url"},       {TargetKind::kIp, "ip"},
      {TargetKind::kCidr, "cidr"},     {TargetKind::kApp, "app"},
      {TargetKind::kSearch, "search"},
  };
  ASSERT_EQ(kinds.size(), static_cast<std::size_t>(kTargetKindCount));
  for (const auto& [kind, name] : kinds) {
    EXPECT_EQ(TargetKindName(kind), name);
    const Result<TargetKind> parsed = ParseTargetKind(name);
    ASSERT_TRUE(parsed.ok()) << name;
    EXPECT_EQ(*parsed, kind);
  }
}

TEST(TargetKindTest, UnknownNameListsTheValidOnes) {
  for (std::string_view name : {"", "domains", "host", "URL-prefix"}) {
    const Result<TargetKind> parsed = ParseTargetKind(name);
    ASSERT_FALSE(parsed.ok()) << name;
    EXPECT_NE(parsed.status().message().find("domain, domain-tree, url, ip, cidr, app, search"),
              std::string::npos)
        << parsed.status().message();
  }
}

TEST(TargetKindTest, OutOfRangeKindDoesNotCrash) {
  EXPECT_EQ(TargetKindName(static_cast<TargetKind>(200)), "unknown");
  EXPECT_FALSE(NormalizeTarget(static_cast<TargetKind>(200), "example.com").ok());
}

// ---------------------------------------------------------------------------------------------
// Domains

constexpr Valid kValidDomains[] = {
    {"example.com", "example.com"},
    {"Example.COM", "example.com"},
    {"WWW.Example.Com.", "www.example.com"},  // one trailing dot removed
    {"  example.com\t\r\n", "example.com"},   // ASCII whitespace trimmed
    {"a.b", "a.b"},
    {"a-b.c-d.e", "a-b.c-d.e"},
    {"a--b.com", "a--b.com"},
    {"_dmarc.example.com", "_dmarc.example.com"},  // underscores are common in real lists
    {"my_site.example.com", "my_site.example.com"},
    {"_.com", "_.com"},
    {"123.com", "123.com"},
    {"1.2.3.com", "1.2.3.com"},
    {"example.123abc", "example.123abc"},
    {"x.y.z.w.example.org", "x.y.z.w.example.org"},
    // IDNA 2008 (UTS #46 non-transitional lookup, NFC input).
    {"пиратский-сайт.рф", "xn----7sbb3abgcd6blmehi.xn--p1ai"},
    {"ПИРАТСКИЙ-САЙТ.РФ", "xn----7sbb3abgcd6blmehi.xn--p1ai"},
    {"Пиратский-Сайт.Рф", "xn----7sbb3abgcd6blmehi.xn--p1ai"},
    {"легально.com", "xn--80affxdmh4i.com"},
    {"Легально.COM", "xn--80affxdmh4i.com"},
    {"пример.рф.", "xn--e1afmkfd.xn--p1ai"},
    {" пример.рф ", "xn--e1afmkfd.xn--p1ai"},
    {"пример\u3002рф", "xn--e1afmkfd.xn--p1ai"},           // ideographic full stop
    {"при\u00ADмер.рф", "xn--e1afmkfd.xn--p1ai"},          // a soft hyphen is ignored
    {"_dmarc.пример.рф", "_dmarc.xn--e1afmkfd.xn--p1ai"},  // ASCII labels kept as they are
    {"WWW.пример.рф", "www.xn--e1afmkfd.xn--p1ai"},
    {"сайт.онлайн", "xn--80aswg.xn--80asehdb"},
    {"bücher.de", "xn--bcher-kva.de"},
    {"faß.de", "xn--fa-hia.de"},  // non-transitional: ß is kept, not mapped to ss
    {"δοκιμή.gr", "xn--jxalpdlp.gr"},
    {"日本.jp", "xn--wgv71a.jp"},
    // A-labels are checked and lowercased.
    {"xn--80affxdmh4i.com", "xn--80affxdmh4i.com"},
    {"XN--80AFFXDMH4I.COM", "xn--80affxdmh4i.com"},
    {"xn--e1afmkfd.xn--p1ai", "xn--e1afmkfd.xn--p1ai"},
    {"xn--p1ai.xn--p1ai", "xn--p1ai.xn--p1ai"},
    {"xn--bcher-kva.de", "xn--bcher-kva.de"},
    {"xn--80affxdmh4i.рф", "xn--80affxdmh4i.xn--p1ai"},  // mixed A-label and U-label
};

constexpr Invalid kInvalidDomains[] = {
    {"", "the name is empty"},
    {"   ", "the name is empty"},
    {".", "the name is empty"},
    {"a..b", "domain \"a..b\": label 2 is empty"},
    {".example.com", "label 1 is empty"},
    {"example.com..", "label 3 is empty"},  // only one trailing dot is removed
    {"x y.com", "domain \"x y.com\": character ' ' is not allowed in label 1"},
    {"example.com/path", "character '/' is not allowed in label 2"},
    {"exa\tmple.com", "character '\\x09' is not allowed"},
    {std::string_view("exa\0mple.com", 12), "character '\\x00' is not allowed"},
    {"*.example.com", "character '*' is not allowed in label 1"},
    {"ex*ample.com", "character '*' is not allowed"},
    {"user@example.com", "character '@' is not allowed"},
    {"example.com:80", "character ':' is not allowed in label 2"},
    {"-example.com", "label 1 begins with a hyphen"},
    {"example-.com", "label 1 ends with a hyphen"},
    {"example.-com", "label 2 begins with a hyphen"},
    {"example.com-", "label 2 ends with a hyphen"},
    {"com", "a single label is not a site"},
    {"localhost", "a single label is not a site"},
    {"localhost.", "a single label is not a site"},
    {"рф", "a single label is not a site"},
    {"1.2.3.4", "the last label \"4\" is all digits"},
    {"example.123", "the last label \"123\" is all digits"},
    {"xn--zzzz.com", "label 1 (\"xn--zzzz\") is not a valid A-label"},
    {"www.xn--.com", "label 2 ends with a hyphen"},
    {"www.xn--abc-.com", "label 2 ends with a hyphen"},
    {"www.xn--ab-c.com", "label 2 (\"xn--ab-c\") is not a valid A-label"},
    {"xn--a.com", "not a valid A-label"},
    {"xn--ls8h.com", "not a valid A-label"},  // decodes to an emoji
    {"a.xn--", "label 2 ends with a hyphen"},
    {"-аб.рф", "label 1 (\"-аб\") is not a valid internationalized label"},
    {"аб-.рф", "label 1 (\"аб-\") is not a valid internationalized label"},
    {"😀.com", "label 1 (\"😀\") is not a valid internationalized label"},
    {"пример..рф", "label 2 is empty"},
    {"\xFF.com",
     "domain \"\\xFF.com\": label 1 (\"\\xFF\") is not a valid internationalized label"},
    {"\xD0.com", "string encoding error"},  // a truncated UTF-8 sequence
    {"a\"b.com", "domain \"a\\\"b.com\": character '\"' is not allowed"},
};

TEST(NormalizeDomainTest, Valid) {
  for (const Valid& c : kValidDomains) ExpectValid(NormalizeDomain, c);
}

TEST(NormalizeDomainTest, Invalid) {
  for (const Invalid& c : kInvalidDomains) ExpectInvalid(NormalizeDomain, c);
}

TEST(NormalizeDomainTest, LabelLengthLimit) {
  const std::string label63(63, 'a');
  ExpectValid(NormalizeDomain, {label63 + ".com", label63 + ".com"});
  ExpectValid(NormalizeDomain, {"x." + label63, "x." + label63});
  const std::string label64(64, 'a');
  ExpectInvalid(NormalizeDomain, {label64 + ".com", "label 1 is 64 octets, the limit is 63"});
  ExpectInvalid(NormalizeDomain, {"x." + label64, "label 2 is 64 octets, the limit is 63"});
  // A U-label whose A-label is too long.
  std::string cyrillic;
  for (int i = 0; i < 70; ++i) cyrillic += "ы";
  ExpectInvalid(NormalizeDomain, {cyrillic + ".рф", "label 1"});
}

TEST(NormalizeDomainTest, NameLengthLimit) {
  const std::string a(63, 'a');
  const std::string b(63, 'b');
  const std::string c(63, 'c');
  const std::string name253 = a + "." + b + "." + c + "." + std::string(61, 'd');
  ASSERT_EQ(name253.size(), 253u);
  ExpectValid(NormalizeDomain, {name253, name253});
  ExpectValid(NormalizeDomain, {name253 + ".", name253});  // the trailing dot does not count
  const std::string name254 = a + "." + b + "." + c + "." + std::string(62, 'd');
  ExpectInvalid(NormalizeDomain, {name254, "the name is 254 octets, the limit is 253"});
  const std::string name260 = name254 + ".efghi";
  ExpectInvalid(NormalizeDomain, {name260, "the name is 260 octets, the limit is 253"});
  // Huge inputs are rejected cheaply and the message quotes a truncated input.
  const std::string huge(1 << 20, 'a');
  const Result<std::string> got = NormalizeDomain(huge);
  ASSERT_FALSE(got.ok());
  EXPECT_LT(got.status().message().size(), 200u) << got.status().message();
  EXPECT_NE(got.status().message().find("...\""), std::string::npos);
  std::string huge_unicode;
  for (int i = 0; i < 2000; ++i) huge_unicode += "ы";
  EXPECT_FALSE(NormalizeDomain(huge_unicode + ".рф").ok());
}

TEST(NormalizeDomainTest, MessagesTruncateAtACharacterBoundary) {
  std::string name = "a";
  for (int i = 0; i < 100; ++i) name += "ж";  // 2 bytes each, so byte 80 is mid-character
  name += "..рф";
  const Result<std::string> got = NormalizeDomain(name);
  ASSERT_FALSE(got.ok());
  const std::string& msg = got.status().message();
  EXPECT_NE(msg.find("ж...\""), std::string::npos) << msg;
}

// The IDN top-level domains the implementation converts without libidn2 must agree with libidn2;
// upper case bypasses that table and goes through libidn2.
TEST(NormalizeDomainTest, KnownIdnTopLevelDomainsAgreeWithLibidn2) {
  const Valid tlds[] = {
      {"рф", "xn--p1ai"},   {"рус", "xn--p1acf"},       {"бел", "xn--90ais"},
      {"укр", "xn--j1amh"}, {"онлайн", "xn--80asehdb"}, {"сайт", "xn--80aswg"},
      {"орг", "xn--c1avg"}, {"москва", "xn--80adxhks"}, {"срб", "xn--90a3ac"},
      {"мкд", "xn--d1alf"}, {"қаз", "xn--80ao21a"},     {"дети", "xn--d1acj3b"},
      {"ком", "xn--j1aef"}, {"нет", "xn--e1apq"},       {"католик", "xn--80aqecdr1a"},
  };
  const std::vector<std::string_view> upper = {"РФ",   "РУС",  "БЕЛ",    "УКР", "ОНЛАЙН",
                                               "САЙТ", "ОРГ",  "МОСКВА", "СРБ", "МКД",
                                               "ҚАЗ",  "ДЕТИ", "КОМ",    "НЕТ", "КАТОЛИК"};
  ASSERT_EQ(upper.size(), std::size(tlds));
  for (std::size_t i = 0; i < upper.size(); ++i) {
    const std::string want = "x." + std::string(tlds[i].want);
    ExpectValid(NormalizeDomain, {"x." + std::string(tlds[i].input), want});
    ExpectValid(NormalizeDomain, {"x." + std::string(upper[i]), want});
    // The A-label form is accepted as is (its check is skipped for these labels).
    ExpectValid(NormalizeDomain, {want, want});
  }
}

// ---------------------------------------------------------------------------------------------
// URLs

constexpr Valid kValidUrls[] = {
    {"http://example.com/", "http://example.com/"},
    {"http://example.com", "http://example.com/"},           // empty path
    {"HTTP://Example.COM/Path", "http://example.com/Path"},  // the path keeps its case
    {"HtTpS://WWW.EXAMPLE.COM./", "https://www.example.com/"},
    {"  http://example.com/a  \n", "http://example.com/a"},
    // Ports.
    {"http://example.com:80/", "http://example.com/"},
    {"https://example.com:443/x", "https://example.com/x"},
    {"http://example.com:443/", "http://example.com:443/"},
    {"https://example.com:80/", "https://example.com:80/"},
    {"http://example.com:8080/a", "http://example.com:8080/a"},
    {"http://example.com:0080/", "http://example.com/"},
    {"http://example.com:08080/", "http://example.com:8080/"},
    {"http://example.com:/", "http://example.com/"},  // empty port
    {"http://example.com:65535/", "http://example.com:65535/"},
    // Percent-encoding (RFC 3986 §6.2.2.2).
    {"http://example.com/%7euser/%41%62c", "http://example.com/~user/Abc"},
    {"http://example.com/a%2fb%2Fc", "http://example.com/a%2Fb%2Fc"},
    {"http://example.com/%c3%a9t%C3%A9", "http://example.com/%C3%A9t%C3%A9"},
    {"http://example.com/a%20b", "http://example.com/a%20b"},
    {"http://example.com/a b", "http://example.com/a%20b"},
    {"http://example.com/a\"b<c>d{e}f|g\\h^i`j",
     "http://example.com/a%22b%3Cc%3Ed%7Be%7Df%7Cg%5Ch%5Ei%60j"},
    {"http://example.com/[x]", "http://example.com/%5Bx%5D"},
    {"http://example.com/50%", "http://example.com/50%25"},  // a stray '%' is data
    {"http://example.com/%zz%4", "http://example.com/%25zz%254"},
    {"http://example.com/%25", "http://example.com/%25"},
    {"http://example.com/!$&'()*+,;=:@", "http://example.com/!$&'()*+,;=:@"},
    {"http://example.com/a%2A", "http://example.com/a%2A"},     // a literal star at the end
    {"http://example.com/a*#frag", "http://example.com/a%2A"},  // ... is escaped, not a prefix
    {"http://example.com/a*?", "http://example.com/a%2A"},
    {"http://example.com/?q=*&r=*#", "http://example.com/?q=*&r=%2A"},
    {"http://example.com/a*b", "http://example.com/a*b"},
    // Raw UTF-8 and other bytes from real registers.
    {"http://bratva.name/xenforo/index.php?threads/Метамфетамин-на-фольге.772/",
     "http://bratva.name/xenforo/index.php?threads/"
     "%D0%9C%D0%B5%D1%82%D0%B0%D0%BC%D1%84%D0%B5%D1%82%D0%B0%D0%BC%D0%B8%D0%BD-%D0%BD%D0%B0-"
     "%D1%84%D0%BE%D0%BB%D1%8C%D0%B3%D0%B5.772/"},
    {"http://example.com/при\u00ADмер",
     "http://example.com/%D0%BF%D1%80%D0%B8%C2%AD%D0%BC%D0%B5%D1%80"},
    {"http://example.com/\xFF\x01", "http://example.com/%FF%01"},
    {"http://example.com/a\tb", "http://example.com/a%09b"},
    // Dot segments (RFC 3986 §5.2.4), also when percent-encoded.
    {"http://example.com/a/./b/../c", "http://example.com/a/c"},
    {"http://example.com/a/b/../../..", "http://example.com/"},
    {"http://example.com/../../x", "http://example.com/x"},
    {"http://example.com/a/%2e%2E/b/%2e/c", "http://example.com/b/c"},
    {"http://example.com/a/.", "http://example.com/a/"},
    {"http://example.com/a/..", "http://example.com/"},
    {"http://example.com/a/..//b", "http://example.com//b"},
    {"http://example.com/a/.b/..c/...", "http://example.com/a/.b/..c/..."},
    {"http://example.com/a%2F..%2Fb", "http://example.com/a%2F..%2Fb"},  // %2F is no separator
    // Query and fragment.
    {"http://example.com/?b=2&a=1", "http://example.com/?b=2&a=1"},  // order kept
    {"http://example.com?q=1", "http://example.com/?q=1"},
    {"http://example.com/p?", "http://example.com/p"},  // an empty query is dropped
    {"http://example.com/p?#x", "http://example.com/p"},
    {"http://example.com/p#frag", "http://example.com/p"},
    {"http://example.com/p?q=%7e%3d%3D#frag", "http://example.com/p?q=~%3D%3D"},
    {"http://example.com/p?q=a b&r=я", "http://example.com/p?q=a%20b&r=%D1%8F"},
    {"http://example.com/p?a[]=1&x=?/:@", "http://example.com/p?a%5B%5D=1&x=?/:@"},
    {"http://example.com/p?q=/../x", "http://example.com/p?q=/../x"},  // no dot segments in queries
    // Prefix rules: a trailing star.
    {"http://Example.com/dl*", "http://example.com/dl*"},
    {"http://example.com*", "http://example.com/*"},
    {"http://example.com/*", "http://example.com/*"},
    {"http://example.com:80*", "http://example.com/*"},
    {"http://example.com/a b *", "http://example.com/a%20b%20*"},
    {"http://example.com/page?*", "http://example.com/page?*"},  // "page with any query"
    {"http://example.com/page?a=1*", "http://example.com/page?a=1*"},
    {"http://example.com/a**", "http://example.com/a**"},
    {"http://example.com/a/../b*", "http://example.com/b*"},
    {"http://example.com/x#frag*", "http://example.com/x*"},
    // Hosts.
    {"http://192.0.2.1/", "http://192.0.2.1/"},
    {"http://192.0.2.1:8080/x", "http://192.0.2.1:8080/x"},
    {"http://1.2.3.4.nip.io/", "http://1.2.3.4.nip.io/"},  // not the address 1.2.3.4
    {"http://192.0.2.1x.example/a", "http://192.0.2.1x.example/a"},
    {"http://2ch.hk/b/", "http://2ch.hk/b/"},
    {"http://%31%39%32.0.2.1/", "http://192.0.2.1/"},
    {"http://[2001:DB8::1]/", "http://[2001:db8::1]/"},
    {"http://[2001:0db8:0:0:0:0:0:0001]:8080/", "http://[2001:db8::1]:8080/"},
    {"http://[::FFFF:192.0.2.1]/", "http://192.0.2.1/"},  // an IPv4-mapped host is IPv4
    {"http://пример.рф/путь", "http://xn--e1afmkfd.xn--p1ai/%D0%BF%D1%83%D1%82%D1%8C"},
    {"http://ПРИМЕР.РФ/", "http://xn--e1afmkfd.xn--p1ai/"},
    {"http://%D0%BF%D1%80%D0%B8%D0%BC%D0%B5%D1%80.%D1%80%D1%84/", "http://xn--e1afmkfd.xn--p1ai/"},
    {"http://xn--e1afmkfd.xn--p1ai/", "http://xn--e1afmkfd.xn--p1ai/"},
    {"http://ex%41mple.com/", "http://example.com/"},
    {"http://my_site.example.com/", "http://my_site.example.com/"},
};

constexpr Invalid kInvalidUrls[] = {
    {"", "the URL is empty"},
    {" \t", "the URL is empty"},
    {"*", "there is no scheme"},
    {"example.com/path", "there is no scheme"},
    {"//example.com/", "there is no scheme"},
    {":x", "there is no scheme"},
    {"1http://x.com/", "the scheme \"1http\" is malformed"},
    {"ftp://example.com/", "the scheme \"ftp\" is not supported; only http and https are"},
    {"FTP://example.com/", "the scheme \"ftp\" is not supported"},
    {"javascript:alert(1)", "the scheme \"javascript\" is not supported"},
    {"http:example.com", "there is no host"},
    {"http:/example.com", "there is no host"},
    {"http:///path", "there is no host"},
    {"http://", "there is no host"},
    {"http://:80/", "there is no host"},
    {"http://user@example.com/", "userinfo"},
    {"https://user:password@example.com/", "userinfo"},
    {"http://@example.com/", "userinfo"},
    {"http://example.com:x/", "port \"x\" is not a number"},
    {"http://example.com:80x/", "port \"80x\" is not a number"},
    {"http://example.com:0/", "port \"0\" is out of range"},
    {"http://example.com:65536/", "port \"65536\" is out of range"},
    {"http://example.com:99999999999999999999/", "is out of range"},
    {"http://a:b:c/", "port \"c\" is not a number"},
    {"http://[::1/", "cannot parse the host and port \"[::1\""},
    {"http://[fe80::1%25eth0]/", "zone ids"},
    {"http://[v1.x]/", "IPvFuture hosts"},
    {"http://[1.2.3.4]/", "cannot parse the host and port"},
    {"http://exa mple.com/", "host \"exa mple.com\": character ' ' is not allowed in label 1"},
    {"http://a..b/", "host \"a..b\": label 2 is empty"},
    {"http://localhost/", "host \"localhost\": a single label is not a site"},
    {"http://-x.com/", "label 1 begins with a hyphen"},
    {"http://xn--zzzz.com/", "not a valid A-label"},
    {"http://010.0.0.1/", "host \"010.0.0.1\": octet 1 (\"010\") has a leading zero"},
    {"http://1.2.3/", "host \"1.2.3\": not an IPv4 or IPv6 address"},
    {"http://%00.com/", "character '\\x00' is not allowed"},
    {"http://*.example.com/", "character '*' is not allowed"},
    {"http://example.com**", "character '*' is not allowed"},
};

TEST(NormalizeUrlTest, Valid) {
  for (const Valid& c : kValidUrls) ExpectValid(NormalizeUrl, c);
}

TEST(NormalizeUrlTest, Invalid) {
  for (const Invalid& c : kInvalidUrls) ExpectInvalid(NormalizeUrl, c);
}

TEST(NormalizeUrlTest, LengthLimit) {
  const std::string head = "http://example.com/";
  const std::string at_limit = head + std::string(8192 - head.size(), 'x');
  ExpectValid(NormalizeUrl, {at_limit, at_limit});
  ExpectInvalid(NormalizeUrl, {at_limit + "x", "the URL is 8193 bytes, the limit is 8192"});
  // Short enough to read, too long once the raw bytes are percent-encoded.
  std::string raw = head;
  for (int i = 0; i < 2000; ++i) raw += "я";
  ExpectInvalid(NormalizeUrl, {raw, "the normalized URL is 12019 bytes, the limit is 8192"});
  // A prefix rule at the limit stays at the limit.
  const std::string prefix_at_limit = head + std::string(8192 - head.size() - 1, 'x') + "*";
  ExpectValid(NormalizeUrl, {prefix_at_limit, prefix_at_limit});
}

// ---------------------------------------------------------------------------------------------
// IPs and CIDRs

constexpr Valid kValidIps[] = {
    {"192.0.2.1", "192.0.2.1"},
    {" 10.0.0.1\n", "10.0.0.1"},
    {"0.0.0.0", "0.0.0.0"},
    {"255.255.255.255", "255.255.255.255"},
    {"0.10.100.200", "0.10.100.200"},
    // IPv6, RFC 5952 text.
    {"2001:DB8::1", "2001:db8::1"},
    {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
    {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},     // the first of two equal runs
    {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},  // one zero group is not compressed
    {"2001:db8:0:0:0:1:0:0", "2001:db8::1:0:0"},       // the longest run
    {"::", "::"},
    {"::1", "::1"},
    {"0:0:0:0:0:0:0:1", "::1"},
    {"FE80::ABCD", "fe80::abcd"},
    // An IPv4-mapped address is its IPv4 address.
    {"::ffff:192.0.2.1", "192.0.2.1"},
    {"::FFFF:C000:0201", "192.0.2.1"},
    {"::fffe:c000:201", "::fffe:c000:201"},
};

constexpr Invalid kInvalidIps[] = {
    {"", "the address is empty"},
    {"010.0.0.1", "ip \"010.0.0.1\": octet 1 (\"010\") has a leading zero"},
    {"10.0.0.01", "octet 4 (\"01\") has a leading zero"},
    {"10.00.0.1", "octet 2 (\"00\") has a leading zero"},
    {"256.0.0.1", "not an IPv4 or IPv6 address"},
    {"1.2.3", "not an IPv4 or IPv6 address"},
    {"1.2.3.4.5", "not an IPv4 or IPv6 address"},
    {"1.2.3.4/32", "not an IPv4 or IPv6 address"},
    {"0x7f.0.0.1", "not an IPv4 or IPv6 address"},
    {"2130706433", "not an IPv4 or IPv6 address"},
    {"example.com", "not an IPv4 or IPv6 address"},
    {"1:2:3:4:5:6:7:8:9", "not an IPv4 or IPv6 address"},
    {"2001:db8:::1", "not an IPv4 or IPv6 address"},
    {"[::1]", "not an IPv4 or IPv6 address"},
    {"fe80::1%eth0", "zone ids"},
    {"::ffff:010.0.0.1", "not an IPv4 or IPv6 address"},
};

TEST(NormalizeIpTest, Valid) {
  for (const Valid& c : kValidIps) ExpectValid(NormalizeIp, c);
}

TEST(NormalizeIpTest, Invalid) {
  for (const Invalid& c : kInvalidIps) ExpectInvalid(NormalizeIp, c);
  ExpectInvalid(NormalizeIp, {std::string_view("1.2.3.4\0", 8), "not an IPv4 or IPv6 address"});
  ExpectInvalid(NormalizeIp, {std::string(100, '1'), "not an IPv4 or IPv6 address"});
}

constexpr Valid kValidCidrs[] = {
    {"10.0.0.0/8", "10.0.0.0/8"},
    {" 192.0.2.0/24 ", "192.0.2.0/24"},
    {"192.0.2.128/25", "192.0.2.128/25"},
    {"192.0.2.1/32", "192.0.2.1/32"},
    {"0.0.0.0/0", "0.0.0.0/0"},
    {"192.0.2.0/23", "192.0.2.0/23"},
    {"2001:DB8::/32", "2001:db8::/32"},
    {"2001:0db8:0000::/48", "2001:db8::/48"},
    {"::/0", "::/0"},
    {"::1/128", "::1/128"},
    {"2001:db8:0:0:8000::/65", "2001:db8:0:0:8000::/65"},
    // Networks inside ::ffff:0:0/96 are IPv4 networks; the /96 itself and wider stay IPv6.
    {"::ffff:10.0.0.0/104", "10.0.0.0/8"},
    {"::ffff:192.0.2.1/128", "192.0.2.1/32"},
    {"::ffff:0.0.0.0/96", "0.0.0.0/0"},
};

constexpr Invalid kInvalidCidrs[] = {
    {"10.0.0.1/8", "cidr \"10.0.0.1/8\": host bits are set; did you mean 10.0.0.0/8?"},
    {"192.0.2.1/24", "did you mean 192.0.2.0/24?"},
    {"192.0.3.0/23", "did you mean 192.0.2.0/23?"},
    {"2001:db8::1/32", "did you mean 2001:db8::/32?"},
    {"2001:db8::8000:0:0:0/64", "did you mean 2001:db8::/64?"},
    {"10.0.0.0", "no \"/prefix-length\""},
    {"10.0.0.0/", "the prefix length is empty"},
    {"10.0.0.0/33", "the prefix length 33 is over 32 for an IPv4 address"},
    {"::/129", "the prefix length 129 is over 128 for an IPv6 address"},
    {"10.0.0.0/08", "the prefix length \"08\" has a leading zero"},
    {"10.0.0.0/+8", "the prefix length \"+8\" is not a decimal number"},
    {"10.0.0.0/-8", "is not a decimal number"},
    {"10.0.0.0/8/8", "is not a decimal number"},
    {"10.0.0.0/0008", "has a leading zero"},
    {"10.0.0.0/1000", "is out of range"},
    {"10.0.0.0/99999999999999999999", "is out of range"},
    {"010.0.0.0/8", "octet 1 (\"010\") has a leading zero"},
    {"example.com/8", "not an IPv4 or IPv6 address"},
    {"/8", "the address is empty"},
};

TEST(NormalizeCidrTest, Valid) {
  for (const Valid& c : kValidCidrs) ExpectValid(NormalizeCidr, c);
}

TEST(NormalizeCidrTest, Invalid) {
  for (const Invalid& c : kInvalidCidrs) ExpectInvalid(NormalizeCidr, c);
}

// ---------------------------------------------------------------------------------------------
// Apps

constexpr Valid kValidApps[] = {
    {"play:com.example.app", "play:com.example.app"},
    {"PLAY:com.Example.App", "play:com.Example.App"},  // package names are case-sensitive
    {" play: org.telegram.messenger ", "play:org.telegram.messenger"},
    {"play:a.b", "play:a.b"},
    {"play:com.example_1.app2", "play:com.example_1.app2"},
    {"apple:id123456", "apple:id123456"},
    {"apple:123456", "apple:id123456"},
    {"Apple:ID123456", "apple:id123456"},
    {"amazon:B00ABCDEFG", "amazon:B00ABCDEFG"},
    {"amazon:b00abcdefg", "amazon:B00ABCDEFG"},
    {"huawei:C100123456", "huawei:C100123456"},
    {"huawei:c100123456", "huawei:C100123456"},
    {"samsung:com.example.app", "samsung:com.example.app"},
    {"samsung:000001234567", "samsung:000001234567"},
    {"microsoft:9NBLGGH4NNS1", "microsoft:9NBLGGH4NNS1"},
    {"microsoft:Some-App_1.0", "microsoft:Some-App_1.0"},
};

constexpr Invalid kInvalidApps[] = {
    {"", "expected \"store:id\""},
    {"com.example.app", "expected \"store:id\""},
    {"fdroid:org.example",
     "unknown store \"fdroid\"; the known stores are play, apple, amazon, "
     "huawei, samsung, microsoft"},
    {":x", "unknown store \"\""},
    {"play:", "the play id is empty"},
    {"play:com", "at least two segments"},
    {"play:com.", "segment 2 is empty"},
    {"play:.com", "segment 1 is empty"},
    {"play:com..app", "segment 2 is empty"},
    {"play:com.1app", "segment 2 (\"1app\") must begin with a letter"},
    {"play:com._app", "must begin with a letter"},
    {"play:com.ex-ample", "character '-' is not allowed in a package name"},
    {"play:com.ex ample", "character ' ' is not allowed"},
    {"apple:id", "has no digits"},
    {"apple:idx123", "has 'x' where a digit should be"},
    {"apple:12a", "has 'a' where a digit should be"},
    {"apple:id0123", "begins with 0"},
    {"apple:123456789012345678901", "more than 20 digits"},
    {"amazon:B00ABCDEF", "an ASIN is 10 characters"},
    {"amazon:B00ABCDEFGH", "an ASIN is 10 characters"},
    {"amazon:B00ABC-EFG", "character '-' is not allowed in an ASIN"},
    {"huawei:100123456", "an AppGallery id is \"C\" followed by digits"},
    {"huawei:C", "has no digits"},
    {"huawei:C12x", "where a digit should be"},
    {"samsung:a/b", "character '/' is not allowed in a samsung id"},
    {"microsoft:a b", "character ' ' is not allowed in a microsoft id"},
};

TEST(NormalizeAppTest, Valid) {
  for (const Valid& c : kValidApps) ExpectValid(NormalizeApp, c);
}

TEST(NormalizeAppTest, Invalid) {
  for (const Invalid& c : kInvalidApps) ExpectInvalid(NormalizeApp, c);
}

TEST(NormalizeAppTest, Lengths) {
  const std::string segment(127, 'a');
  const std::string play255 = "play:" + segment + "." + segment;
  ExpectValid(NormalizeApp, {play255, play255});
  ExpectInvalid(NormalizeApp,
                {play255 + "b", "the package name is 256 characters, the limit is 255"});
  const std::string ms128 = "microsoft:" + std::string(128, 'A');
  ExpectValid(NormalizeApp, {ms128, ms128});
  ExpectInvalid(NormalizeApp, {ms128 + "A", "the id is 129 characters, the limit is 128"});
}

// ---------------------------------------------------------------------------------------------
// NormalizeTarget: domain-tree and search

struct KindCase {
  TargetKind kind;
  std::string_view input;
  std::string_view want;  // a value, or an error substring
};

constexpr KindCase kValidKindCases[] = {
    {TargetKind::kDomainTree, "*.example.com", "example.com"},
    {TargetKind::kDomainTree, "*.Example.COM.", "example.com"},
    {TargetKind::kDomainTree, "example.com", "example.com"},
    {TargetKind::kDomainTree, " *.пример.рф ", "xn--e1afmkfd.xn--p1ai"},
    {TargetKind::kSearch, "Example.com", "example.com"},
    {TargetKind::kSearch, "HTTPS://Example.com/x?q=1#top", "https://example.com/x?q=1"},
    {TargetKind::kSearch, "пример.рф", "xn--e1afmkfd.xn--p1ai"},
    {TargetKind::kDomain, "Example.com", "example.com"},
    {TargetKind::kUrl, "http://example.com", "http://example.com/"},
    {TargetKind::kIp, "2001:DB8::1", "2001:db8::1"},
    {TargetKind::kCidr, "10.0.0.0/8", "10.0.0.0/8"},
    {TargetKind::kApp, "apple:1", "apple:id1"},
};

constexpr KindCase kInvalidKindCases[] = {
    {TargetKind::kDomainTree, "*.*.example.com", "'*' is only allowed as a leading \"*.\""},
    {TargetKind::kDomainTree, "www.*.example.com", "'*' is only allowed as a leading"},
    {TargetKind::kDomainTree, "*example.com", "'*' is only allowed as a leading"},
    {TargetKind::kDomainTree, "example.*", "'*' is only allowed as a leading"},
    {TargetKind::kDomainTree, "*.", "the name is empty"},
    {TargetKind::kDomainTree, "*.com", "a single label is not a site"},
    {TargetKind::kDomain, "*.example.com", "a leading \"*.\" marks a domain-tree target"},
    {TargetKind::kSearch, "http://example.com/*", "not a prefix"},
    {TargetKind::kSearch, "ftp://example.com/", "the scheme \"ftp\" is not supported"},
    {TargetKind::kSearch, "example.com/x", "character '/' is not allowed"},
    {TargetKind::kSearch, "", "the name is empty"},
    {TargetKind::kIp, "example.com", "not an IPv4 or IPv6 address"},
};

TEST(NormalizeTargetTest, Valid) {
  for (const KindCase& c : kValidKindCases) {
    SCOPED_TRACE(testing::Message() << TargetKindName(c.kind) << " \"" << c.input << "\"");
    const Result<Target> got = NormalizeTarget(c.kind, c.input);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->kind, c.kind);
    EXPECT_EQ(got->value, c.want);
    const Result<Target> again = NormalizeTarget(c.kind, got->value);
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(*again, *got);
  }
}

TEST(NormalizeTargetTest, Invalid) {
  for (const KindCase& c : kInvalidKindCases) {
    SCOPED_TRACE(testing::Message() << TargetKindName(c.kind) << " \"" << c.input << "\"");
    const Result<Target> got = NormalizeTarget(c.kind, c.input);
    ASSERT_FALSE(got.ok()) << got->ToString();
    EXPECT_NE(got.status().message().find(c.want), std::string::npos) << got.status().message();
  }
}

// ---------------------------------------------------------------------------------------------
// ParseTarget

constexpr KindCase kParseCases[] = {
    // Inferred.
    {TargetKind::kDomain, "Example.com", "example.com"},
    {TargetKind::kDomain, "пиратский-сайт.рф", "xn----7sbb3abgcd6blmehi.xn--p1ai"},
    {TargetKind::kDomainTree, "*.Example.com", "example.com"},
    {TargetKind::kUrl, "HTTP://Example.com/a", "http://example.com/a"},
    {TargetKind::kUrl, "http://example.com/dl*", "http://example.com/dl*"},
    {TargetKind::kIp, "192.0.2.1", "192.0.2.1"},
    {TargetKind::kIp, "2001:DB8::1", "2001:db8::1"},
    {TargetKind::kIp, "::1", "::1"},
    {TargetKind::kCidr, "192.0.2.0/24", "192.0.2.0/24"},
    {TargetKind::kCidr, "2001:db8::/32", "2001:db8::/32"},
    {TargetKind::kApp, "play:com.example.app", "play:com.example.app"},
    {TargetKind::kApp, "apple:id1", "apple:id1"},
    {TargetKind::kApp, "Apple:123", "apple:id123"},
    {TargetKind::kApp, "amazon:b00abcdefg", "amazon:B00ABCDEFG"},
    {TargetKind::kApp, "huawei:C1", "huawei:C1"},
    {TargetKind::kApp, "samsung:x", "samsung:x"},
    {TargetKind::kApp, "microsoft:x", "microsoft:x"},
    {TargetKind::kDomain, "  example.com  ", "example.com"},
    // Explicit.
    {TargetKind::kDomain, "domain:Example.com", "example.com"},
    {TargetKind::kDomainTree, "domain-tree:example.com", "example.com"},
    {TargetKind::kDomainTree, "domain-tree:*.example.com", "example.com"},
    {TargetKind::kUrl, "url:http://example.com", "http://example.com/"},
    {TargetKind::kUrl, "URL:http://example.com/*", "http://example.com/*"},
    {TargetKind::kIp, "ip:::1", "::1"},
    {TargetKind::kIp, "ip:10.0.0.1", "10.0.0.1"},
    {TargetKind::kCidr, "cidr:2001:db8::/32", "2001:db8::/32"},
    {TargetKind::kApp, "app:play:com.x", "play:com.x"},
    {TargetKind::kApp, "app:apple:1", "apple:id1"},
    {TargetKind::kSearch, "search:example.com", "example.com"},
    {TargetKind::kSearch, "search:https://example.com/x", "https://example.com/x"},
    {TargetKind::kDomain, "domain: example.com", "example.com"},
};

constexpr Invalid kParseErrors[] = {
    {"", "domain \"\": the name is empty"},
    {"localhost", "domain \"localhost\": a single label is not a site"},
    {"010.0.0.1", "ip \"010.0.0.1\": octet 1"},
    {"fe80::1%eth0", "ip \"fe80::1%eth0\": zone ids"},
    {"1.2.3.4:80", "ip \"1.2.3.4:80\": not an IPv4 or IPv6 address"},
    {"10.0.0.1/8", "cidr \"10.0.0.1/8\": host bits are set; did you mean 10.0.0.0/8?"},
    {"ftp://example.com/", "url \"ftp://example.com/\": the scheme \"ftp\" is not supported"},
    {"play:com", "app \"play:com\": a package name has at least two segments"},
    {"domain:*.example.com", "domain-tree"},
    {"ip:example.com", "ip \"example.com\": not an IPv4 or IPv6 address"},
    {"app:fdroid:x", "unknown store \"fdroid\""},
    {"search:http://x.com/*", "not a prefix"},
    {"foo:bar", "domain \"foo:bar\": character ':' is not allowed in label 1"},
    {"example.com/path", "character '/' is not allowed"},
    {"*.*.example.com", "'*' is only allowed as a leading"},
};

TEST(ParseTargetTest, InfersAndReadsExplicitKinds) {
  for (const KindCase& c : kParseCases) {
    SCOPED_TRACE(testing::Message() << "\"" << c.input << "\"");
    const Result<Target> got = ParseTarget(c.input);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(TargetKindName(got->kind), TargetKindName(c.kind));
    EXPECT_EQ(got->value, c.want);
  }
}

TEST(ParseTargetTest, Errors) {
  for (const Invalid& c : kParseErrors) {
    SCOPED_TRACE(testing::Message() << "\"" << c.input << "\"");
    const Result<Target> got = ParseTarget(c.input);
    ASSERT_FALSE(got.ok()) << got->ToString();
    EXPECT_NE(got.status().message().find(c.error), std::string::npos) << got.status().message();
  }
}

TEST(ParseTargetTest, ToStringSpellsKindAndValue) {
  EXPECT_EQ((Target{TargetKind::kDomainTree, "example.com"}).ToString(), "domain-tree:example.com");
  EXPECT_EQ((Target{TargetKind::kApp, "play:com.x"}).ToString(), "app:play:com.x");
  EXPECT_EQ((Target{TargetKind::kIp, "::1"}).ToString(), "ip:::1");
}

// ToString() reads back to the same Target, for every kind and every valid case in the tables.
TEST(ParseTargetTest, ToStringRoundTrips) {
  std::vector<Target> targets;
  int per_kind[kTargetKindCount] = {};
  auto add = [&](TargetKind kind, std::string_view input) {
    const Result<Target> t = NormalizeTarget(kind, input);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    targets.push_back(*t);
    ++per_kind[static_cast<int>(kind)];
  };
  for (const Valid& c : kValidDomains) {
    add(TargetKind::kDomain, c.input);
    add(TargetKind::kDomainTree, c.input);
    add(TargetKind::kSearch, c.input);
  }
  for (const Valid& c : kValidUrls) {
    add(TargetKind::kUrl, c.input);
    if (c.want.back() != '*') add(TargetKind::kSearch, c.input);
  }
  for (const Valid& c : kValidIps) add(TargetKind::kIp, c.input);
  for (const Valid& c : kValidCidrs) add(TargetKind::kCidr, c.input);
  for (const Valid& c : kValidApps) add(TargetKind::kApp, c.input);
  for (const KindCase& c : kParseCases) {
    const Result<Target> t = ParseTarget(c.input);
    ASSERT_TRUE(t.ok());
    targets.push_back(*t);
  }
  for (int kind = 0; kind < kTargetKindCount; ++kind) EXPECT_GT(per_kind[kind], 0) << kind;
  for (const Target& t : targets) {
    SCOPED_TRACE(t.ToString());
    const Result<Target> back = ParseTarget(t.ToString());
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, t);
  }
}

TEST(ParseTargetTest, TargetsCompareByKindThenValue) {
  const Target a{TargetKind::kDomain, "b.com"};
  const Target b{TargetKind::kDomainTree, "a.com"};
  EXPECT_LT(a, b);
  EXPECT_EQ(a, (Target{TargetKind::kDomain, "b.com"}));
  EXPECT_NE(a, (Target{TargetKind::kDomainTree, "b.com"}));
}

}  // namespace
}  // namespace interdict

namespace interdict {
namespace {

TEST(SplitCanonicalUrlTest, OriginHostAndPath) {
  UrlParts p = SplitCanonicalUrl("https://[2001:db8::1]:8443/a/b?x=1");
  ASSERT_TRUE(p.valid);
  EXPECT_EQ(p.origin, "https://[2001:db8::1]:8443");
  EXPECT_EQ(p.host, "2001:db8::1");
  EXPECT_EQ(p.path, "/a/b?x=1");
  p = SplitCanonicalUrl("http://example.com:8080/");
  EXPECT_EQ(p.host, "example.com");
  EXPECT_EQ(p.path, "/");
  EXPECT_FALSE(SplitCanonicalUrl("example.com/x").valid);
  EXPECT_FALSE(SplitCanonicalUrl("http://example.com").valid);
}

TEST(UrlPathMatchesTest, ExactPrefixAndQueryStrings) {
  EXPECT_TRUE(UrlPathMatches("/movie", false, "/movie"));
  EXPECT_TRUE(UrlPathMatches("/movie", false, "/movie?utm=1"));
  EXPECT_FALSE(UrlPathMatches("/movie", false, "/movie2"));
  EXPECT_FALSE(UrlPathMatches("/movie", false, "/movie/"));
  EXPECT_TRUE(UrlPathMatches("/watch?v=1", false, "/watch?v=1"));
  EXPECT_FALSE(UrlPathMatches("/watch?v=1", false, "/watch?v=2"));
  EXPECT_FALSE(UrlPathMatches("/watch?v=1", false, "/watch"));
  EXPECT_TRUE(UrlPathMatches("/dl/", true, "/dl/a.torrent"));
  EXPECT_TRUE(UrlPathMatches("/dl/", true, "/dl/"));
  EXPECT_FALSE(UrlPathMatches("/dl/", true, "/dl"));
  EXPECT_TRUE(UrlPathMatches("/page?", true, "/page?x=1"));
  EXPECT_FALSE(UrlPathMatches("/page?", true, "/page2"));
}

}  // namespace
}  // namespace interdict
