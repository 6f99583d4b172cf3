#include <iconv.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "gtest/gtest.h"
#include "io/register_reader.h"
#include "testing/temp_dir.h"

namespace interdict {
namespace {

using testing::TempFile;

using V = std::vector<std::string>;

const std::string kXmlSample =
    std::string(INTERDICT_TESTDATA) + "/registers/rkn-dump-2014-11-sample.xml";
const std::string kZiSample = std::string(INTERDICT_TESTDATA) + "/registers/zi-2014-dump.csv";

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}
bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

struct ReadResult {
  std::vector<RegisterRecord> records;
  Status status;  // the first non-OK Next(), if any
};

ReadResult ReadAll(RegisterReader& reader) {
  ReadResult out;
  for (;;) {
    RegisterRecord record;
    Result<bool> more = reader.Next(&record);
    if (!more.ok()) {
      out.status = more.status();
      break;
    }
    if (!*more) break;
    out.records.push_back(std::move(record));
  }
  return out;
}

ReadResult ReadString(std::string data, std::string name = "t.xml") {
  Result<std::unique_ptr<RegisterReader>> reader =
      DumpXmlFromString(std::move(data), std::move(name));
  if (!reader.ok()) return {{}, reader.status()};
  return ReadAll(**reader);
}

// A register document around `contents`.
std::string Dump(const std::string& contents, const std::string& encoding = "UTF-8") {
  return "<?xml version=\"1.0\" encoding=\"" + encoding +
         "\"?>\n<reg:register updateTime=\"2020-01-01T00:00:00+03:00\" formatVersion=\"2.4\" "
         "xmlns:reg=\"http://rsoc.ru\" xmlns:tns=\"http://rsoc.ru\">" +
         contents + "</reg:register>";
}

std::string Content(const std::string& id, const std::string& inner,
                    const std::string& attrs = "") {
  return "<content id=\"" + id + "\" includeTime=\"2020-01-01T00:00:00\" entryType=\"1\"" + attrs +
         ">" + inner + "</content>";
}

const std::string kDecision = "<decision date=\"2020-01-02\" number=\"1-ab\" org=\"Суд\"/>";

std::string Cp1251(std::string_view utf8) {
  iconv_t cd = iconv_open("CP1251", "UTF-8");
  EXPECT_NE(cd, reinterpret_cast<iconv_t>(-1));
  std::string out(utf8.size() + 16, '\0');
  std::string copy(utf8);
  char* src = copy.data();
  std::size_t src_left = copy.size();
  char* dst = out.data();
  std::size_t dst_left = out.size();
  EXPECT_NE(iconv(cd, &src, &src_left, &dst, &dst_left), static_cast<std::size_t>(-1));
  iconv_close(cd);
  out.resize(out.size() - dst_left);
  return out;
}

// --- the real sample ---------------------------------------------------------------------------

class DumpXmlSampleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<RegisterReader>> reader = OpenDumpXml(kXmlSample);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    ::testing::internal::CaptureStderr();
    result_ = ReadAll(**reader);
    EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
    ASSERT_TRUE(result_.status.ok()) << result_.status.ToString();
    EXPECT_EQ((*reader)->bytes_total(), 5197u);
    EXPECT_EQ((*reader)->bytes_read(), 5197u);
  }
  ReadResult result_;
};

TEST_F(DumpXmlSampleTest, ReadsAll18Contents) {
  // ids as in the file (grep -o 'content id="[0-9]*"').
  const V ids = {"347",  "656",  "785",  "958",  "1436", "1969", "2094", "2114", "2351",
                 "2361", "2843", "2992", "3581", "3681", "4009", "4162", "4247", "4901"};
  ASSERT_EQ(result_.records.size(), 18u);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const RegisterRecord& r = result_.records[i];
    EXPECT_EQ(r.id, ids[i]);
    EXPECT_EQ(r.error, "") << r.location;
    EXPECT_EQ(r.line, 1u) << "the sample is a single line";
    EXPECT_EQ(r.location, kXmlSample + ":1: content id=" + ids[i]);
    EXPECT_EQ(r.block_type, "") << "formatVersion 2.0 has no blockType";
    EXPECT_EQ(r.urls.size(), 1u);
    EXPECT_EQ(r.domains.size(), 1u);
    EXPECT_EQ(r.ips.size(), 1u);
    EXPECT_TRUE(r.subnets.empty());
  }
}

TEST_F(DumpXmlSampleTest, SpecificRecords) {
  ASSERT_EQ(result_.records.size(), 18u);
  const RegisterRecord& first = result_.records[0];
  EXPECT_EQ(first.date, "2012-11-10");
  EXPECT_EQ(first.number, "101-РИ");
  EXPECT_EQ(first.body, "Роскомнадзор");
  EXPECT_EQ(first.urls, V{"http://video-one.com/popular/Teen/1.html"});
  EXPECT_EQ(first.domains, V{"video-one.com"});
  EXPECT_EQ(first.ips, V{"109.69.58.58"});

  const RegisterRecord& r2992 = result_.records[11];
  EXPECT_EQ(r2992.id, "2992");
  EXPECT_EQ(r2992.body, "Роспотребнадзор");
  EXPECT_EQ(r2992.number, "617");
  EXPECT_EQ(r2992.urls, V{"http://lajli.gau.hu/~xx/suicide.htm"});

  const RegisterRecord& last = result_.records[17];
  EXPECT_EQ(last.id, "4901");
  EXPECT_EQ(last.date, "2013-02-05");
  EXPECT_EQ(last.number, "2/1/11-2304");
  EXPECT_EQ(last.body, "ФСКН");
  EXPECT_EQ(last.urls, V{"https://shop.chemical-mix.com/index.php?ukey=auxpage_oplata"});
  EXPECT_EQ(last.domains, V{"shop.chemical-mix.com"});
  EXPECT_EQ(last.ips, V{"199.59.166.133"});
}

TEST_F(DumpXmlSampleTest, AgreesWithTheZiDump) {
  // The sample README: all 18 records are in the April 2014 z-i dump with the same URL, decision
  // and authority; 17 have the same IP (content 2351's IP changed by November). The domains
  // agree for 13; for the other 5 the XML has "www." + the z-i domain (found with a python
  // regex over both files).
  Result<std::unique_ptr<RegisterReader>> zi = OpenZiCsv(kZiSample);
  ASSERT_TRUE(zi.ok());
  ReadResult zi_records = ReadAll(**zi);
  ASSERT_TRUE(zi_records.status.ok());
  std::map<std::pair<std::string, std::string>, const RegisterRecord*> by_url_and_number;
  for (const RegisterRecord& r : zi_records.records) {
    for (const std::string& url : r.urls) by_url_and_number[{url, r.number}] = &r;
  }
  std::size_t same_ip = 0;
  std::size_t same_domain = 0;
  for (const RegisterRecord& x : result_.records) {
    ASSERT_EQ(x.urls.size(), 1u);
    const auto it = by_url_and_number.find({x.urls[0], x.number});
    ASSERT_NE(it, by_url_and_number.end()) << x.location << " " << x.urls[0];
    const RegisterRecord& z = *it->second;
    EXPECT_EQ(z.body, x.body) << x.location;
    EXPECT_EQ(z.date, x.date) << x.location;
    ASSERT_EQ(z.domains.size(), 1u);
    if (z.domains == x.domains) {
      ++same_domain;
    } else {
      EXPECT_EQ(x.domains, V{"www." + z.domains[0]}) << x.location;
    }
    if (z.ips == x.ips) {
      ++same_ip;
    } else {
      EXPECT_EQ(x.id, "2351");
      EXPECT_EQ(x.ips, V{"184.164.147.13"});
      EXPECT_EQ(z.ips, V{"184.164.147.20"});
    }
  }
  EXPECT_EQ(same_ip, 17u);
  EXPECT_EQ(same_domain, 13u);

  // Two spot checks by hand: cannabay.org (z-i line 121) and video-one.com (z-i line 1340).
  EXPECT_EQ(by_url_and_number.at({"http://cannabay.org/", "2/1/11-168"})->line, 121u);
  EXPECT_EQ(result_.records[1].urls, V{"http://cannabay.org/"});
  EXPECT_EQ(by_url_and_number.at({"http://video-one.com/popular/Teen/1.html", "101-РИ"})->line,
            1340u);
}

TEST(DumpXmlSample, FromStringGivesTheSameRecords) {
  std::ifstream in(kXmlSample, std::ios::binary | std::ios::ate);
  std::string bytes(static_cast<std::size_t>(in.tellg()), '\0');
  in.seekg(0);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ReadResult r = ReadString(bytes, "mem");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 18u);
  EXPECT_EQ(r.records[0].location, "mem:1: content id=347");
  EXPECT_EQ(r.records[17].number, "2/1/11-2304");
}

// --- format details ----------------------------------------------------------------------------

TEST(DumpXml, Utf8WithCyrillicAndAllValueElements) {
  const std::string doc =
      Dump(Content("42",
                   "<decision date=\"2017-03-01\" number=\"2-1234/17\" "
                   "org=\"Мосгорсуд\"/>"
                   "<url ts=\"2017-03-02T10:00:00+03:00\"><![CDATA[http://пример.рф/"
                   "страница?a=1&b=2]]></url>"
                   "<url>http://a.ru/x?y=1&amp;z=2</url>"
                   "<domain ts=\"x\"><![CDATA[пример.рф]]></domain>"
                   "<domain>*.mask.ru</domain>"
                   "<ip ts=\"x\">1.2.3.4</ip>"
                   "<ipv6>2a00:1450:4010:c05::65</ipv6>"
                   "<ipSubnet>10.0.0.0/8</ipSubnet>"
                   "<ipv6Subnet>2a00::/32</ipv6Subnet>"
                   "<unknown><url>http://nested/ignored</url></unknown>"
                   "<comment>ignored</comment>",
                   " blockType=\"domain-mask\" hash=\"ABCDEF\""));
  ReadResult r = ReadString(doc);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 1u);
  const RegisterRecord& rec = r.records[0];
  EXPECT_EQ(rec.error, "");
  EXPECT_EQ(rec.id, "42");
  EXPECT_EQ(rec.block_type, "domain-mask");
  EXPECT_EQ(rec.line, 2u);
  EXPECT_EQ(rec.location, "t.xml:2: content id=42");
  EXPECT_EQ(rec.date, "2017-03-01");
  EXPECT_EQ(rec.number, "2-1234/17");
  EXPECT_EQ(rec.body, "Мосгорсуд");
  EXPECT_EQ(rec.urls, (V{"http://пример.рф/страница?a=1&b=2", "http://a.ru/x?y=1&z=2"}));
  EXPECT_EQ(rec.domains, (V{"пример.рф", "*.mask.ru"}));
  EXPECT_EQ(rec.ips, (V{"1.2.3.4", "2a00:1450:4010:c05::65"}));
  EXPECT_EQ(rec.subnets, (V{"10.0.0.0/8", "2a00::/32"}));
  EXPECT_EQ(rec.raw, "");
}

TEST(DumpXml, Windows1251Document) {
  const std::string doc =
      Cp1251(Dump(Content("7",
                          "<decision date=\"2014-01-01\" number=\"27/3-286-2014/Нд6333-14\" "
                          "org=\"Генпрокуратура\"/><url>http://x.ru/путь</url>"),
                  "windows-1251"));
  ReadResult r = ReadString(doc);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].body, "Генпрокуратура");
  EXPECT_EQ(r.records[0].number, "27/3-286-2014/Нд6333-14");
  EXPECT_EQ(r.records[0].urls, V{"http://x.ru/путь"});
}

TEST(DumpXml, ValuesAreTrimmedAndJoined) {
  const std::string doc = Dump(
      Content("1", kDecision + "\n  <url>\n    <![CDATA[http://a.ru/]]>\n  </url>"
                               "<url>http://b.ru/<![CDATA[x?y]]>z</url>"
                               "<url></url><url/><url>   </url><domain/><ip><![CDATA[]]></ip>"));
  ReadResult r = ReadString(doc);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].error, "");
  EXPECT_EQ(r.records[0].urls, (V{"http://a.ru/", "http://b.ru/x?yz"}));
  EXPECT_TRUE(r.records[0].domains.empty());
  EXPECT_TRUE(r.records[0].ips.empty());
}

TEST(DumpXml, PrettyPrintedLineNumbers) {
  std::string doc =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<reg:register updateTime=\"x\" formatVersion=\"2.4\" xmlns:reg=\"http://rsoc.ru\">\n";
  for (int i = 0; i < 500; ++i) {
    doc += "<content id=\"" + std::to_string(i) + "\" blockType=\"default\">\n" +
           "  <decision date=\"2020-01-02\" number=\"" + std::to_string(i) + "\" org=\"X\"/>\n" +
           "  <url><![CDATA[http://h" + std::to_string(i) + ".ru/]]></url>\n" + "</content>\n";
  }
  doc += "</reg:register>\n";
  ReadResult r = ReadString(doc);
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.records.size(), 500u);
  for (std::size_t i = 0; i < 500; ++i) {
    ASSERT_EQ(r.records[i].line, 3 + 4 * i) << i;
    ASSERT_EQ(r.records[i].number, std::to_string(i));
    ASSERT_EQ(r.records[i].block_type, "default");
  }
}

TEST(DumpXml, ContentsMayBeWrapped) {
  ReadResult r = ReadString(Dump("<wrapper>" + Content("1", kDecision) + "</wrapper>" +
                                 "<other><x/></other>" + Content("2", kDecision)));
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].id, "1");
  EXPECT_EQ(r.records[1].id, "2");
}

TEST(DumpXml, EmptyRegister) {
  ReadResult r = ReadString(Dump(""));
  EXPECT_TRUE(r.status.ok());
  EXPECT_TRUE(r.records.empty());
}

// --- malformed records -------------------------------------------------------------------------

struct BadContentCase {
  const char* name;
  std::string content;  // the middle one of three contents
  std::string error;    // expected substring of its record's error
};

void PrintTo(const BadContentCase& c, std::ostream* os) {
  *os << c.name;
}

class DumpXmlBadContentTest : public ::testing::TestWithParam<BadContentCase> {};

TEST_P(DumpXmlBadContentTest, MarksTheRecordAndContinues) {
  const BadContentCase& c = GetParam();
  ReadResult r = ReadString(Dump(Content("1", kDecision) + "\n" + c.content + "\n" +
                                 Content("3", kDecision + "<ip>3.3.3.3</ip>")));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[0].error, "");
  EXPECT_EQ(r.records[1].line, 3u);
  EXPECT_EQ(r.records[1].id, "2");
  EXPECT_PRED2(Contains, r.records[1].error, c.error);
  EXPECT_EQ(r.records[2].error, "");
  EXPECT_EQ(r.records[2].line, 4u);
  EXPECT_EQ(r.records[2].ips, V{"3.3.3.3"});
}

INSTANTIATE_TEST_SUITE_P(
    Contents, DumpXmlBadContentTest,
    ::testing::Values(
        BadContentCase{"NoDecision", Content("2", "<url>http://a/</url>"),
                       "content has no <decision>"},
        BadContentCase{"EmptyContent", "<content id=\"2\"/>", "content has no <decision>"},
        BadContentCase{"NoDate", Content("2", "<decision number=\"1\" org=\"x\"/>"),
                       "<decision> has no 'date' attribute"},
        BadContentCase{"NoNumber", Content("2", "<decision date=\"2020-01-01\" org=\"x\"/>"),
                       "<decision> has no 'number' attribute"},
        BadContentCase{"NoOrg", Content("2", "<decision date=\"2020-01-01\" number=\"1\"/>"),
                       "<decision> has no 'org' attribute"},
        BadContentCase{"EmptyOrg",
                       Content("2", "<decision date=\"2020-01-01\" number=\"1\" org=\" \"/>"),
                       "<decision> attribute 'org' is empty"},
        BadContentCase{"BadDate",
                       Content("2", "<decision date=\"01.01.2020\" number=\"1\" org=\"x\"/>"),
                       "<decision> attribute 'date' is not YYYY-MM-DD: '01.01.2020'"},
        BadContentCase{"TwoDecisions", Content("2", kDecision + kDecision),
                       "content has more than one <decision>"},
        BadContentCase{"DecisionNestedTooDeep", Content("2", "<x>" + kDecision + "</x>"),
                       "content has no <decision>"}),
    [](const ::testing::TestParamInfo<BadContentCase>& p) { return std::string(p.param.name); });

TEST(DumpXml, OverLongValue) {
  const std::string big(std::size_t{1} << 20, 'a');
  ReadResult r = ReadString(Dump(Content("1", kDecision + "<url>http://" + big + "</url>") +
                                 Content("2", kDecision + "<url>http://ok/</url>")));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].error, "<url> value is longer than 1048576 bytes");
  EXPECT_TRUE(r.records[0].urls.empty());
  EXPECT_EQ(r.records[1].urls, V{"http://ok/"});
}

TEST(DumpXml, RecordIsClearedBetweenCalls) {
  Result<std::unique_ptr<RegisterReader>> reader = DumpXmlFromString(
      Dump(Content("1", kDecision + "<ip>1.1.1.1</ip><ipSubnet>1.0.0.0/8</ipSubnet>",
                   " blockType=\"ip\"") +
           Content("2", "")),
      "t");
  ASSERT_TRUE(reader.ok());
  RegisterRecord rec;
  ASSERT_TRUE(*(*reader)->Next(&rec));
  EXPECT_EQ(rec.block_type, "ip");
  EXPECT_EQ(rec.subnets.size(), 1u);
  ASSERT_TRUE(*(*reader)->Next(&rec));
  EXPECT_EQ(rec.id, "2");
  EXPECT_EQ(rec.block_type, "");
  EXPECT_TRUE(rec.ips.empty());
  EXPECT_TRUE(rec.subnets.empty());
  EXPECT_EQ(rec.body, "");
  EXPECT_NE(rec.error, "");
  ASSERT_FALSE(*(*reader)->Next(&rec));
  ASSERT_FALSE(*(*reader)->Next(&rec));
}

// --- broken documents --------------------------------------------------------------------------

struct BadDocCase {
  const char* name;
  std::string doc;
  // Records returned before the error, at most: libxml2 reads ahead, so a small document can
  // fail before its first record comes out.
  std::size_t max_records;
  std::string prefix;  // expected start of the message
};

void PrintTo(const BadDocCase& c, std::ostream* os) {
  *os << c.name;
}

class DumpXmlBadDocTest : public ::testing::TestWithParam<BadDocCase> {};

TEST_P(DumpXmlBadDocTest, FailsWithLocatedStatusAndPrintsNothing) {
  const BadDocCase& c = GetParam();
  ::testing::internal::CaptureStderr();
  ReadResult r = ReadString(c.doc, "bad.xml");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "") << "libxml2 must not print";
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.code(), StatusCode::kCorruption);
  EXPECT_PRED2(StartsWith, r.status.message(), c.prefix);
  EXPECT_LE(r.records.size(), c.max_records);
}

INSTANTIATE_TEST_SUITE_P(
    Docs, DumpXmlBadDocTest,
    ::testing::Values(
        BadDocCase{"Empty", "", 0, "bad.xml: XML error: the input is empty"},
        BadDocCase{"NotXml", "Updated: 2014-04-22\n1.2.3.4;a;b;c;d;e\n", 0,
                   "bad.xml:1: XML error:"},
        BadDocCase{"WrongRoot", "<?xml version=\"1.0\"?>\n<html><content/></html>", 0,
                   "bad.xml:2: not an RKN register dump: root element <html>"},
        BadDocCase{"MismatchedTag",
                   Dump(Content("1", kDecision) + "\n\n<content id=\"2\">" + kDecision + "</url>"),
                   1, "bad.xml:4: XML error:"},
        BadDocCase{"Truncated", Dump(Content("1", kDecision)).substr(0, 300) + "\n", 1, "bad.xml:"},
        BadDocCase{"TruncatedInCdata",
                   Dump(Content("1", kDecision)).substr(0, 150) +
                       Content("2", kDecision + "<url><![CDATA[http://a"),
                   0, "bad.xml:"},
        BadDocCase{"TwoRoots", Dump(Content("1", kDecision)) + "\n<reg:register/>", 1,
                   "bad.xml:3: XML error:"},
        BadDocCase{"UnsupportedEncoding",
                   "<?xml version=\"1.0\" encoding=\"x-no-such-encoding\"?><reg:register/>", 0,
                   "bad.xml:1: XML error:"},
        BadDocCase{"UnassignedCp1251Byte",
                   Cp1251(Dump(Content("1", kDecision), "windows-1251")) + "<!-- \x98 -->", 1,
                   "bad.xml:"},
        BadDocCase{"InvalidUtf8",
                   Dump(Content("1", "<decision date=\"2020-01-01\" number=\"\xC0\" org=\"x\"/>")),
                   0, "bad.xml:2: XML error:"},
        BadDocCase{"BinaryGarbage", std::string("\0\xFF\xFE<\x01\x02", 6), 0, "bad.xml:"}),
    [](const ::testing::TestParamInfo<BadDocCase>& p) { return std::string(p.param.name); });

TEST(DumpXml, ErrorIsSticky) {
  Result<std::unique_ptr<RegisterReader>> reader = DumpXmlFromString("<a><b></a>", "t");
  ASSERT_TRUE(reader.ok());
  RegisterRecord rec;
  Result<bool> first = (*reader)->Next(&rec);
  ASSERT_FALSE(first.ok());
  Result<bool> second = (*reader)->Next(&rec);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().message(), first.status().message());
}

// --- hostile documents -------------------------------------------------------------------------

std::string BillionLaughs(const std::string& use) {
  std::string doc = "<?xml version=\"1.0\"?>\n<!DOCTYPE reg:register [\n <!ENTITY l0 \"lol\">\n";
  for (int i = 1; i <= 9; ++i) {
    std::string refs;
    for (int k = 0; k < 10; ++k) refs += "&l" + std::to_string(i - 1) + ";";
    doc += " <!ENTITY l" + std::to_string(i) + " \"" + refs + "\">\n";
  }
  return doc + "]>\n<reg:register xmlns:reg=\"http://rsoc.ru\">" + use + "</reg:register>";
}

TEST(DumpXmlHostile, BillionLaughsDoesNotBlowUp) {
  const std::string uses[] = {
      Content("1", kDecision + "<url>&l9;</url>"),
      Content("1", "<decision date=\"2020-01-01\" number=\"1\" org=\"&l9;\"/>"),
  };
  for (const std::string& use : uses) {
    const auto start = std::chrono::steady_clock::now();
    ::testing::internal::CaptureStderr();
    ReadResult r = ReadString(BillionLaughs(use));
    EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
    const auto seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(seconds, 5.0);
    // Either libxml2 rejects the document (entity loop / amplification), or the entity is left
    // unexpanded and the record is malformed; never 10^9 "lol"s.
    if (r.status.ok()) {
      ASSERT_EQ(r.records.size(), 1u);
      EXPECT_NE(r.records[0].error, "");
      EXPECT_LT(
          r.records[0].body.size() + (r.records[0].urls.empty() ? 0 : r.records[0].urls[0].size()),
          1000u);
    } else {
      EXPECT_EQ(r.status.code(), StatusCode::kCorruption);
    }
  }
}

TEST(DumpXmlHostile, ExternalEntitiesAreNotLoaded) {
  TempFile secret("SECRET-CONTENTS");
  const std::string doc =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE r [\n <!ENTITY xxe SYSTEM \"file://" + secret.path() +
      "\">\n <!ENTITY net SYSTEM \"http://127.0.0.1:9/x\">\n]>\n"
      "<reg:register xmlns:reg=\"http://rsoc.ru\">" +
      Content("1", kDecision + "<url>&xxe;</url><domain>&net;</domain>") + "</reg:register>";
  ::testing::internal::CaptureStderr();
  ReadResult r = ReadString(doc);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].error, "<url> holds the entity reference &xxe; which is not expanded");
  EXPECT_TRUE(r.records[0].urls.empty());
  EXPECT_TRUE(r.records[0].domains.empty());
}

TEST(DumpXmlHostile, ExternalDtdIsNotLoaded) {
  TempFile dtd("<!ENTITY e \"FROM-DTD\">");
  const std::string doc = "<?xml version=\"1.0\"?>\n<!DOCTYPE reg:register SYSTEM \"file://" +
                          dtd.path() + "\">\n<reg:register xmlns:reg=\"http://rsoc.ru\">" +
                          Content("1", kDecision + "<url>http://a/</url>") + "</reg:register>";
  ReadResult r = ReadString(doc);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].urls, V{"http://a/"});
}

// --- files and streaming -----------------------------------------------------------------------

TEST(DumpXmlFile, OpenErrors) {
  Result<std::unique_ptr<RegisterReader>> missing = OpenDumpXml("/nonexistent/dir/dump.xml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kIOError);
  EXPECT_PRED2(Contains, missing.status().message(), "/nonexistent/dir/dump.xml");
  Result<std::unique_ptr<RegisterReader>> dir =
      OpenDumpXml(std::filesystem::temp_directory_path().string());
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.status().code(), StatusCode::kIOError);
}

TEST(DumpXmlFile, LargeGeneratedDumpStreams) {
  std::string doc =
      "<?xml version=\"1.0\" encoding=\"windows-1251\"?><reg:register "
      "updateTime=\"x\" formatVersion=\"2.4\" xmlns:reg=\"http://rsoc.ru\">";
  const std::size_t n = 40000;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string s = std::to_string(i);
    doc += "<content id=\"" + s + "\" blockType=\"default\" hash=\"H" + s +
           "\"><decision date=\"2014-01-01\" number=\"N" + s + "\" org=\"\xD1\xF3\xE4\"/>" +
           "<url><![CDATA[http://h" + s + ".ru/\xEF\xF3\xF2\xFC]]></url><domain><![CDATA[h" + s +
           ".ru]]></domain><ip>10.0." + std::to_string(i % 256) + ".1</ip></content>";
  }
  doc += "</reg:register>";
  TempFile file(doc);
  Result<std::unique_ptr<RegisterReader>> reader = OpenDumpXml(file.path());
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->bytes_total(), doc.size());
  RegisterRecord rec;
  std::size_t count = 0;
  std::uint64_t last = 0;
  for (;;) {
    Result<bool> more = (*reader)->Next(&rec);
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    if (!*more) break;
    ASSERT_EQ(rec.error, "");
    ASSERT_EQ(rec.id, std::to_string(count));
    ASSERT_EQ(rec.number, "N" + std::to_string(count));
    ASSERT_EQ(rec.body, "Суд");
    ASSERT_EQ(rec.urls, V{"http://h" + std::to_string(count) + ".ru/путь"});
    ASSERT_GE((*reader)->bytes_read(), last);
    last = (*reader)->bytes_read();
    ++count;
  }
  EXPECT_EQ(count, n);
  EXPECT_EQ((*reader)->bytes_read(), doc.size());
}

}  // namespace
}  // namespace interdict
