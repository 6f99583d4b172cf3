#include <iconv.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/status.h"
#include "gtest/gtest.h"
#include "io/register_reader.h"
#include "testing/temp_dir.h"
#include "testing/text.h"

namespace interdict {
namespace {

using testing::TempFile;

using testing::SplitOn;
using testing::Strip;

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

constexpr std::size_t kMiB = std::size_t{1} << 20;

const std::string kZiSample = std::string(INTERDICT_TESTDATA) + "/registers/zi-2014-dump.csv";

struct ReadResult {
  std::vector<RegisterRecord> records;
  Status status;  // the first non-OK Next(), if any
};

ReadResult ReadAll(RegisterReader& reader) {
  ReadResult out;
  std::uint64_t last_bytes = 0;
  for (;;) {
    RegisterRecord record;
    Result<bool> more = reader.Next(&record);
    if (!more.ok()) {
      out.status = more.status();
      break;
    }
    EXPECT_GE(reader.bytes_read(), last_bytes) << "progress must not go backwards";
    last_bytes = reader.bytes_read();
    if (!*more) break;
    out.records.push_back(std::move(record));
  }
  return out;
}

ReadResult ReadString(std::string data, std::string name = "t.csv") {
  std::unique_ptr<RegisterReader> reader = ZiCsvFromString(std::move(data), std::move(name));
  return ReadAll(*reader);
}

// cp1251 -> UTF-8 through glibc's iconv: independent of the reader's own table.
bool IconvCp1251(std::string_view in, std::string* out) {
  iconv_t cd = iconv_open("UTF-8", "CP1251");
  if (cd == reinterpret_cast<iconv_t>(-1)) return false;
  out->assign(in.size() * 3 + 16, '\0');
  std::string copy(in);
  char* src = copy.data();
  std::size_t src_left = copy.size();
  char* dst = out->data();
  std::size_t dst_left = out->size();
  const std::size_t r = iconv(cd, &src, &src_left, &dst, &dst_left);
  iconv_close(cd);
  if (r == static_cast<std::size_t>(-1)) return false;
  out->resize(out->size() - dst_left);
  return true;
}

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

// --- single records --------------------------------------------------------------------------

struct LineCase {
  const char* name;
  std::string line;  // one record line, UTF-8 (converted to cp1251 for the reader)
  std::vector<std::string> ips, subnets, domains, urls;
  std::string body, number, date;
  std::string error;  // expected substring of record.error; empty: the record is valid
};

void PrintTo(const LineCase& c, std::ostream* os) {
  *os << c.name;
}

class ZiCsvLineTest : public ::testing::TestWithParam<LineCase> {};

TEST_P(ZiCsvLineTest, ParsesOneLine) {
  const LineCase& c = GetParam();
  const std::string cp = Cp1251(c.line);
  ReadResult r = ReadString("Updated: 2020-01-01 00:00:00 +0000\n" + cp + "\n", "x.csv");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 1u);
  const RegisterRecord& rec = r.records[0];
  EXPECT_EQ(rec.line, 2u);
  EXPECT_EQ(rec.location, "x.csv:2");
  EXPECT_EQ(rec.raw, cp);
  if (!c.error.empty()) {
    EXPECT_PRED2(Contains, rec.error, (c.error));
    return;
  }
  EXPECT_EQ(rec.error, "");
  EXPECT_EQ(rec.ips, c.ips);
  EXPECT_EQ(rec.subnets, c.subnets);
  EXPECT_EQ(rec.domains, c.domains);
  EXPECT_EQ(rec.urls, c.urls);
  EXPECT_EQ(rec.body, c.body);
  EXPECT_EQ(rec.number, c.number);
  EXPECT_EQ(rec.date, c.date);
  EXPECT_EQ(rec.id, "");
  EXPECT_EQ(rec.block_type, "");
}

using V = std::vector<std::string>;

INSTANTIATE_TEST_SUITE_P(
    Lines, ZiCsvLineTest,
    ::testing::Values(
        LineCase{"Simple", "1.2.3.4;a.ru;http://a.ru/;Роскомнадзор;101-РИ;2012-11-10", V{"1.2.3.4"},
                 V{}, V{"a.ru"}, V{"http://a.ru/"}, "Роскомнадзор", "101-РИ", "2012-11-10", ""},
        LineCase{"MultiValuesTrimmed",
                 "1.2.3.4 | 5.6.7.8|9.9.9.9 ;a.ru | b.ru;http://a.ru/x  | http://b.ru/ ;суд;2-1/13;"
                 "2013-05-23",
                 V{"1.2.3.4", "5.6.7.8", "9.9.9.9"}, V{}, V{"a.ru", "b.ru"},
                 V{"http://a.ru/x", "http://b.ru/"}, "суд", "2-1/13", "2013-05-23", ""},
        LineCase{"SubnetsSplitOff", "1.2.3.0/24 | 5.6.7.8 | 2a00::/32;;;ФСКН;1;2014-01-01",
                 V{"5.6.7.8"}, V{"1.2.3.0/24", "2a00::/32"}, V{}, V{}, "ФСКН", "1", "2014-01-01",
                 ""},
        LineCase{"EmptyValuesDropped", " | 1.2.3.4 || ;  ;  |  ;Генпрокуратура;x;2014-04-10",
                 V{"1.2.3.4"}, V{}, V{}, V{}, "Генпрокуратура", "x", "2014-04-10", ""},
        LineCase{"TrailingSpacesTrimmed",
                 "5.9.249.27;navalny.co.uk ;http://navalny.co.uk ; Генпрокуратура ;27-27-2014/"
                 "Ид1025-14 ; 2014-04-02 ",
                 V{"5.9.249.27"}, V{}, V{"navalny.co.uk"}, V{"http://navalny.co.uk"},
                 "Генпрокуратура", "27-27-2014/Ид1025-14", "2014-04-02", ""},
        LineCase{"CyrillicInUrl", "1.1.1.1;x.ru;http://x.ru/viewtopiс.php;суд;1;2013-01-01",
                 V{"1.1.1.1"}, V{}, V{"x.ru"}, V{"http://x.ru/viewtopiс.php"}, "суд", "1",
                 "2013-01-01", ""},
        LineCase{"AllSpecialCp1251", "1.1.1.1;x;u;Ђ‚ѓ„…†‡€‰Љ‹ЊЌЋЏ ™ё№єїЁЇ;n;2013-01-01",
                 V{"1.1.1.1"}, V{}, V{"x"}, V{"u"}, "Ђ‚ѓ„…†‡€‰Љ‹ЊЌЋЏ ™ё№єїЁЇ", "n", "2013-01-01",
                 ""},
        LineCase{"TooFewFields",
                 "1.2.3.4;a.ru;http://a.ru/;суд",
                 {},
                 {},
                 {},
                 {},
                 "",
                 "",
                 "",
                 "expected 6 fields separated by ';', found 4"},
        LineCase{"TooManyFields",
                 "1;2;3;4;5;2014-01-01;7",
                 {},
                 {},
                 {},
                 {},
                 "",
                 "",
                 "",
                 "expected 6 fields separated by ';', found 7"},
        LineCase{"OneField",
                 "just text",
                 {},
                 {},
                 {},
                 {},
                 "",
                 "",
                 "",
                 "expected 6 fields separated by ';', found 1"},
        LineCase{"EmptyBody",
                 "1.2.3.4;a.ru;u; ;101;2012-11-10",
                 {},
                 {},
                 {},
                 {},
                 "",
                 "",
                 "",
                 "field body: empty"},
        LineCase{"EmptyNumber",
                 "1.2.3.4;a.ru;u;суд;;2012-11-10",
                 {},
                 {},
                 {},
                 {},
                 "",
                 "",
                 "",
                 "field number: empty"},
        LineCase{
            "EmptyDate", "1.2.3.4;a.ru;u;суд;1;", {}, {}, {}, {}, "", "", "", "field date: empty"},
        LineCase{"BadDateShape",
                 "1.2.3.4;a.ru;u;суд;1;10.11.2012",
                 {},
                 {},
                 {},
                 {},
                 "",
                 "",
                 "",
                 "field date: not YYYY-MM-DD: '10.11.2012'"},
        LineCase{"BadMonth",
                 "1.2.3.4;a.ru;u;суд;1;2012-13-10",
                 {},
                 {},
                 {},
                 {},
                 "",
                 "",
                 "",
                 "field date: not YYYY-MM-DD"},
        LineCase{"BadDay",
                 "1.2.3.4;a.ru;u;суд;1;2012-12-00",
                 {},
                 {},
                 {},
                 {},
                 "",
                 "",
                 "",
                 "field date: not YYYY-MM-DD"},
        LineCase{"ShortDate",
                 "1.2.3.4;a.ru;u;суд;1;2012-1-10",
                 {},
                 {},
                 {},
                 {},
                 "",
                 "",
                 "",
                 "field date: not YYYY-MM-DD"}),
    [](const ::testing::TestParamInfo<LineCase>& p) { return std::string(p.param.name); });

// --- encodings ---------------------------------------------------------------------------------

TEST(ZiCsvEncoding, EveryHighByteMatchesIconv) {
  for (int b = 0x80; b <= 0xFF; ++b) {
    const std::string byte(1, static_cast<char>(b));
    const std::string line = "1.1.1.1;d;u;x" + byte + "y;n;2014-01-01";
    ReadResult r = ReadString(line);
    ASSERT_TRUE(r.status.ok());
    ASSERT_EQ(r.records.size(), 1u);
    std::string expected;
    if (IconvCp1251(byte, &expected)) {
      EXPECT_EQ(r.records[0].error, "") << "byte " << b;
      EXPECT_EQ(r.records[0].body, "x" + expected + "y") << "byte " << b;
    } else {
      EXPECT_EQ(b, 0x98) << "iconv rejects only 0x98";
      EXPECT_EQ(r.records[0].error, "field body: byte 0x98 at column 14 is not a cp1251 character");
    }
  }
}

TEST(ZiCsvEncoding, UnassignedByteFailsOnlyItsRecord) {
  ReadResult r = ReadString(
      "Updated: x\n"
      "1.1.1.1;d;u;суд;n;2014-01-01\n"
      "1.1.1.1;d;http://x/\x98;b;n;2014-01-01\n"
      "2.2.2.2;d;u;b;n;2014-01-01\n");
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[0].error, "");
  EXPECT_EQ(r.records[1].line, 3u);
  EXPECT_EQ(r.records[1].error, "field urls: byte 0x98 at column 20 is not a cp1251 character");
  EXPECT_EQ(r.records[1].raw, "1.1.1.1;d;http://x/\x98;b;n;2014-01-01");
  EXPECT_EQ(r.records[2].error, "");
  EXPECT_EQ(r.records[2].ips, V{"2.2.2.2"});
}

TEST(ZiCsvEncoding, Utf8WithBomIsNotConverted) {
  const std::string data =
      "\xEF\xBB\xBFUpdated: 2020-01-01\n"
      "1.1.1.1;пример.рф;http://пример.рф/;Роскомнадзор;№ 5;2020-01-02\n";
  ReadResult r = ReadString(data);
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].error, "");
  EXPECT_EQ(r.records[0].line, 2u);
  EXPECT_EQ(r.records[0].domains, V{"пример.рф"});
  EXPECT_EQ(r.records[0].urls, V{"http://пример.рф/"});
  EXPECT_EQ(r.records[0].body, "Роскомнадзор");
  EXPECT_EQ(r.records[0].number, "№ 5");
}

TEST(ZiCsvEncoding, BomWithoutUpdatedLineAndInvalidUtf8) {
  const std::string data =
      "\xEF\xBB\xBF"
      "1.1.1.1;d;u;суд;1;2020-01-02\n"
      "1.1.1.1;d;u;\xD1\xF3\xE4;1;2020-01-02\n"  // cp1251 bytes in a UTF-8 file
      "1.1.1.1;d;u;\xED\xA0\x80;1;2020-01-02\n"  // a UTF-16 surrogate
      "1.1.1.1;d;u;\xC0\xAF;1;2020-01-02\n";     // overlong '/'
  ReadResult r = ReadString(data);
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.records.size(), 4u);
  EXPECT_EQ(r.records[0].line, 1u);
  EXPECT_EQ(r.records[0].body, "суд");
  EXPECT_EQ(r.records[0].raw, "1.1.1.1;d;u;суд;1;2020-01-02") << "the BOM is not part of a line";
  for (std::size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(r.records[i].error, "field body: invalid UTF-8 at column 13") << i;
  }
}

TEST(ZiCsvEncoding, BomOnlyInFirstBytes) {
  // A BOM later in the file is just cp1251 bytes (п»ї).
  ReadResult r = ReadString("1.1.1.1;d;u;b;1;2020-01-02\n\xEF\xBB\xBF;d;u;b;1;2020-01-02\n");
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[1].ips, V{"п»ї"});
}

// --- structure ---------------------------------------------------------------------------------

TEST(ZiCsvStructure, EmptyInput) {
  EXPECT_TRUE(ReadString("").records.empty());
  EXPECT_TRUE(ReadString("Updated: 2020-01-01\n").records.empty());
  EXPECT_TRUE(ReadString("\n\n\r\n").records.empty());
  EXPECT_TRUE(ReadString("\xEF\xBB\xBF").records.empty());
  EXPECT_TRUE(ReadString("\xEF\xBB\xBFUpdated: x").records.empty());
}

TEST(ZiCsvStructure, MissingUpdatedLineMeansFirstLineIsARecord) {
  ReadResult r = ReadString("1.1.1.1;d;u;b;1;2020-01-02\n2.2.2.2;d;u;b;1;2020-01-02");
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].line, 1u);
  EXPECT_EQ(r.records[0].ips, V{"1.1.1.1"});
  EXPECT_EQ(r.records[1].line, 2u);
  EXPECT_EQ(r.records[1].ips, V{"2.2.2.2"}) << "a last line without newline is read";
}

TEST(ZiCsvStructure, UpdatedOnlyCountsOnLineOne) {
  ReadResult r = ReadString("\nUpdated: 2020-01-01\n");
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].line, 2u);
  EXPECT_PRED2(Contains, r.records[0].error, ("found 1"));
}

TEST(ZiCsvStructure, CrlfAndEmptyLinesKeepLineNumbers) {
  ReadResult r = ReadString(
      "Updated: 2020-01-01\r\n"
      "1.1.1.1;d;u;b;1;2020-01-02\r\n"
      "\r\n"
      "\n"
      "2.2.2.2;d ;u ;b;2;2020-01-03 \r\n"
      "garbage line\r\n"
      "3.3.3.3;d;u;b;3;2020-01-04\r");
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.records.size(), 4u);
  EXPECT_EQ(r.records[0].line, 2u);
  EXPECT_EQ(r.records[0].date, "2020-01-02");
  EXPECT_EQ(r.records[0].raw, "1.1.1.1;d;u;b;1;2020-01-02");
  EXPECT_EQ(r.records[1].line, 5u);
  EXPECT_EQ(r.records[1].date, "2020-01-03");
  EXPECT_EQ(r.records[2].line, 6u);
  EXPECT_EQ(r.records[2].location, "t.csv:6");
  EXPECT_EQ(r.records[2].error, "expected 6 fields separated by ';', found 1");
  EXPECT_EQ(r.records[2].raw, "garbage line");
  EXPECT_EQ(r.records[3].line, 7u);
  EXPECT_EQ(r.records[3].error, "");
  EXPECT_EQ(r.records[3].date, "2020-01-04");
}

TEST(ZiCsvStructure, MalformedLinesDoNotStopTheReader) {
  std::string data = "Updated: x\n";
  for (int i = 0; i < 50; ++i) {
    data += i % 3 == 0 ? "bad;line\n" : "1.1.1.1;d;u;b;" + std::to_string(i) + ";2020-01-02\n";
  }
  ReadResult r = ReadString(data);
  ASSERT_EQ(r.records.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    const RegisterRecord& rec = r.records[static_cast<std::size_t>(i)];
    EXPECT_EQ(rec.line, static_cast<std::uint64_t>(i + 2));
    if (i % 3 == 0) {
      EXPECT_EQ(rec.error, "expected 6 fields separated by ';', found 2");
    } else {
      EXPECT_EQ(rec.error, "");
      EXPECT_EQ(rec.number, std::to_string(i));
    }
  }
}

TEST(ZiCsvStructure, RecordIsClearedBetweenCalls) {
  std::unique_ptr<RegisterReader> reader =
      ZiCsvFromString("1.1.1.1 | 1.0.0.0/8;d;u;b;1;2020-01-02\n;;;b;2;2020-01-02\nx\n", "t");
  RegisterRecord rec;
  ASSERT_TRUE(*reader->Next(&rec));
  EXPECT_EQ(rec.ips.size(), 1u);
  EXPECT_EQ(rec.subnets.size(), 1u);
  ASSERT_TRUE(*reader->Next(&rec));
  EXPECT_TRUE(rec.ips.empty());
  EXPECT_TRUE(rec.subnets.empty());
  EXPECT_TRUE(rec.domains.empty());
  EXPECT_TRUE(rec.urls.empty());
  EXPECT_EQ(rec.number, "2");
  ASSERT_TRUE(*reader->Next(&rec));
  EXPECT_NE(rec.error, "");
  EXPECT_EQ(rec.body, "");
  ASSERT_FALSE(*reader->Next(&rec));
  EXPECT_EQ(rec.error, "");
  EXPECT_EQ(rec.raw, "");
  ASSERT_FALSE(*reader->Next(&rec)) << "end of input stays the end";
}

TEST(ZiCsvStructure, Progress) {
  const std::string data = "Updated: x\n1.1.1.1;d;u;b;1;2020-01-02\n2.2.2.2;d;u;b;1;2020-01-02\n";
  std::unique_ptr<RegisterReader> reader = ZiCsvFromString(data, "t");
  EXPECT_EQ(reader->bytes_total(), data.size());
  EXPECT_EQ(reader->bytes_read(), 0u);
  RegisterRecord rec;
  ASSERT_TRUE(*reader->Next(&rec));
  EXPECT_EQ(reader->bytes_read(), data.find("2.2.2.2")) << "through the first record's newline";
  ASSERT_TRUE(*reader->Next(&rec));
  ASSERT_FALSE(*reader->Next(&rec));
  EXPECT_EQ(reader->bytes_read(), data.size());
}

// --- long inputs: chunk boundaries and over-long lines --------------------------------------

// Lines whose lengths vary over a wide range, so that several of them straddle the reader's
// 1 MiB chunk boundaries at different offsets. Returns the file and the expected numbers/urls.
struct Generated {
  std::string data;
  std::vector<std::string> numbers;
  std::vector<std::string> urls;
};

Generated Generate(std::size_t min_bytes, bool crlf, bool bom) {
  Generated g;
  std::string utf8 = "Updated: x\n";
  std::uint64_t state = 12345;
  for (std::size_t i = 0; utf8.size() < min_bytes; ++i) {
    state = state * 6364136223846793005u + 1442695040888963407u;
    const std::size_t pad = static_cast<std::size_t>((state >> 33) % 3000);
    std::string url = "http://h" + std::to_string(i) + ".ru/";
    for (std::size_t k = 0; k < pad; ++k) url += "ж";  // 2 bytes in UTF-8, 1 in cp1251
    const std::string number = "N" + std::to_string(i);
    utf8 += "10.0.0.1 | 10.0.0.2;h" + std::to_string(i) + ".ru;" + url + ";суд;" + number +
            ";2014-01-01" + (crlf ? "\r\n" : "\n");
    g.numbers.push_back(number);
    g.urls.push_back(url);
  }
  g.data = bom ? "\xEF\xBB\xBF" + utf8 : Cp1251(utf8);
  return g;
}

void CheckGenerated(const Generated& g, const ReadResult& r) {
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), g.numbers.size());
  for (std::size_t i = 0; i < r.records.size(); ++i) {
    const RegisterRecord& rec = r.records[i];
    ASSERT_EQ(rec.error, "") << i;
    ASSERT_EQ(rec.line, i + 2) << i;
    ASSERT_EQ(rec.number, g.numbers[i]) << i;
    ASSERT_EQ(rec.urls, V{g.urls[i]}) << i;
    ASSERT_EQ(rec.ips, (V{"10.0.0.1", "10.0.0.2"})) << i;
    ASSERT_EQ(rec.body, "суд") << i;
    ASSERT_EQ(rec.date, "2014-01-01") << i;
  }
}

TEST(ZiCsvChunks, LinesStraddlingChunkBoundariesFromString) {
  const Generated g = Generate(5 * kMiB + 12345, /*crlf=*/false, /*bom=*/false);
  CheckGenerated(g, ReadString(g.data));
}

TEST(ZiCsvChunks, LinesStraddlingChunkBoundariesFromFile) {
  const Generated g = Generate(4 * kMiB + 777, /*crlf=*/true, /*bom=*/false);
  TempFile file(g.data);
  Result<std::unique_ptr<RegisterReader>> reader = OpenZiCsv(file.path());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->bytes_total(), g.data.size());
  CheckGenerated(g, ReadAll(**reader));
  EXPECT_EQ((*reader)->bytes_read(), g.data.size());
}

TEST(ZiCsvChunks, Utf8LinesStraddlingChunkBoundaries) {
  const Generated g = Generate(3 * kMiB + 99, /*crlf=*/false, /*bom=*/true);
  CheckGenerated(g, ReadString(g.data));
}

std::string LineOfLength(std::size_t n, const std::string& number) {
  std::string line = "1.1.1.1;d;http://x/";
  const std::string tail = ";b;" + number + ";2020-01-02";
  line.append(n - line.size() - tail.size(), 'a');
  return line + tail;
}

TEST(ZiCsvChunks, CrlfSplitExactlyAtChunkBoundary) {
  // The first chunk ends between '\r' and '\n' of line 2.
  std::string data = "Updated: x\n";
  std::string line2 = "1.1.1.1;d;http://x/";
  line2.append(kMiB - data.size() - line2.size() - std::string(";b;1;2020-01-02\r").size(), 'a');
  line2 += ";b;1;2020-01-02";
  data += line2 + "\r";
  ASSERT_EQ(data.size(), kMiB);
  data += "\n2.2.2.2;d;u;b;2;2020-01-02\r\n";
  ReadResult r = ReadString(data);
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].error, "");
  EXPECT_EQ(r.records[0].raw, line2);
  EXPECT_EQ(r.records[0].date, "2020-01-02");
  EXPECT_EQ(r.records[1].line, 3u);
  EXPECT_EQ(r.records[1].ips, V{"2.2.2.2"});
}

TEST(ZiCsvChunks, LineAtTheLimitWithCrlfAcrossARefill) {
  // The reader reads 1 MiB at a time. Line 3 starts at the last byte of the first chunk, so after
  // the second read the buffer holds exactly that line's 1 MiB and its '\r', but not its '\n':
  // the line is not over-long, since "\r\n" is its terminator.
  std::string data = "Updated: x\n";
  data += LineOfLength(kMiB - 1 - data.size() - 1, "pad") + "\n";  // line 2
  ASSERT_EQ(data.size(), kMiB - 1);
  const std::string at_limit = LineOfLength(kMiB, "limit");
  data += at_limit + "\r\n";                      // line 3
  data += LineOfLength(200000, "tail") + "\r\n";  // line 4
  ASSERT_GT(data.size(), 2 * kMiB + 1) << "large enough for the reader's full-size buffer";
  ReadResult r = ReadString(data);
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[0].number, "pad");
  EXPECT_EQ(r.records[1].line, 3u);
  EXPECT_EQ(r.records[1].error, "");
  EXPECT_EQ(r.records[1].number, "limit");
  EXPECT_EQ(r.records[1].raw, at_limit);
  EXPECT_EQ(r.records[2].number, "tail");
}

TEST(ZiCsvChunks, OverLongLineIsMalformedAndReaderResynchronizes) {
  const std::string max_line = LineOfLength(kMiB, "max");
  std::string data = "Updated: x\n";
  data += "1.1.1.1;d;u;b;1;2020-01-02\n";          // line 2
  data += LineOfLength(kMiB + 1, "long") + "\n";   // line 3: one byte too long
  data += "2.2.2.2;d;u;b;2;2020-01-02\n";          // line 4
  data += max_line + "\r\n";                       // line 5: exactly the limit, CRLF
  data += std::string(3 * kMiB + 17, 'z') + "\n";  // line 6: several chunks long
  data += "3.3.3.3;d;u;b;3;2020-01-02\n";          // line 7
  data += max_line + "\n";                         // line 8
  data += std::string(2 * kMiB, 'q');              // line 9: over-long, no newline
  for (const bool from_file : {false, true}) {
    SCOPED_TRACE(from_file ? "file" : "string");
    ReadResult r;
    std::unique_ptr<TempFile> file;
    if (from_file) {
      file = std::make_unique<TempFile>(data);
      Result<std::unique_ptr<RegisterReader>> reader = OpenZiCsv(file->path());
      ASSERT_TRUE(reader.ok());
      r = ReadAll(**reader);
    } else {
      r = ReadString(data);
    }
    ASSERT_TRUE(r.status.ok());
    ASSERT_EQ(r.records.size(), 8u);
    EXPECT_EQ(r.records[0].line, 2u);
    EXPECT_EQ(r.records[0].error, "");
    EXPECT_EQ(r.records[1].line, 3u);
    EXPECT_EQ(r.records[1].error, "line is longer than 1048576 bytes (1048577 bytes); not kept");
    EXPECT_EQ(r.records[1].raw, "");
    EXPECT_EQ(r.records[2].line, 4u);
    EXPECT_EQ(r.records[2].ips, V{"2.2.2.2"});
    EXPECT_EQ(r.records[3].line, 5u);
    EXPECT_EQ(r.records[3].error, "");
    EXPECT_EQ(r.records[3].number, "max");
    EXPECT_EQ(r.records[3].raw, max_line);
    EXPECT_EQ(r.records[4].line, 6u);
    EXPECT_EQ(r.records[4].error, "line is longer than 1048576 bytes (3145745 bytes); not kept");
    EXPECT_EQ(r.records[5].line, 7u);
    EXPECT_EQ(r.records[5].ips, V{"3.3.3.3"});
    EXPECT_EQ(r.records[6].line, 8u);
    EXPECT_EQ(r.records[6].number, "max");
    EXPECT_EQ(r.records[7].line, 9u);
    EXPECT_PRED2(Contains, r.records[7].error, "(2097152 bytes)");
  }
}

// --- files -------------------------------------------------------------------------------------

TEST(ZiCsvFile, OpenErrors) {
  Result<std::unique_ptr<RegisterReader>> missing = OpenZiCsv("/nonexistent/dir/dump.csv");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kIOError);
  EXPECT_PRED2(Contains, missing.status().message(), ("/nonexistent/dir/dump.csv"));
  Result<std::unique_ptr<RegisterReader>> dir =
      OpenZiCsv(std::filesystem::temp_directory_path().string());
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.status().code(), StatusCode::kIOError);
}

TEST(ZiCsvFile, LocationUsesThePath) {
  TempFile file("Updated: x\n1.1.1.1;d;u;b;1;2020-01-02\n");
  Result<std::unique_ptr<RegisterReader>> reader = OpenZiCsv(file.path());
  ASSERT_TRUE(reader.ok());
  ReadResult r = ReadAll(**reader);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].location, file.path() + ":2");
}

// --- the real 2014 z-i dump ---------------------------------------------------------------------

// The expected numbers were computed outside the reader, twice, and agree:
//   python3: lines = open(f,'rb').read().split(b'\n')[1:], skipping empty ones, decoded cp1251;
//            fields split on ';' (all 2150 lines have 6), values split on '|' and strip(' \t');
//   LC_ALL=C awk -F';' with split($n, a, "|") and the same trimming (scripts in the report).
// The dump has no subnets (no '/' in any ips value), no empty field, no CR, no byte 0x98.
constexpr std::size_t kZiRecords = 2150;
constexpr std::size_t kZiDistinctIps = 1483;
constexpr std::size_t kZiDistinctDomains = 1084;
constexpr std::size_t kZiDistinctUrls = 2217;
constexpr std::size_t kZiDistinctDecisions = 1755;  // (body, number, date), each trimmed
constexpr std::size_t kZiIpValues = 3616;
constexpr std::size_t kZiMultiIpRecords = 492;

class ZiCsvSampleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<RegisterReader>> reader = OpenZiCsv(kZiSample);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    total_ = (*reader)->bytes_total();
    result_ = ReadAll(**reader);
    read_ = (*reader)->bytes_read();
    ASSERT_TRUE(result_.status.ok()) << result_.status.ToString();
  }
  const RegisterRecord& AtLine(std::uint64_t line) {
    for (const RegisterRecord& r : result_.records) {
      if (r.line == line) return r;
    }
    ADD_FAILURE() << "no record at line " << line;
    static const RegisterRecord kNone;
    return kNone;
  }

  ReadResult result_;
  std::uint64_t total_ = 0;
  std::uint64_t read_ = 0;
};

TEST_F(ZiCsvSampleTest, CountsMatchPrecomputedFacts) {
  std::set<std::string> ips, domains, urls;
  std::set<std::tuple<std::string, std::string, std::string>> decisions;
  std::size_t ip_values = 0, multi_ip = 0;
  for (const RegisterRecord& r : result_.records) {
    EXPECT_EQ(r.error, "") << r.location;
    EXPECT_TRUE(r.subnets.empty()) << r.location;
    ips.insert(r.ips.begin(), r.ips.end());
    domains.insert(r.domains.begin(), r.domains.end());
    urls.insert(r.urls.begin(), r.urls.end());
    decisions.emplace(r.body, r.number, r.date);
    ip_values += r.ips.size();
    if (r.ips.size() > 1) ++multi_ip;
  }
  EXPECT_EQ(result_.records.size(), kZiRecords);
  EXPECT_EQ(ips.size(), kZiDistinctIps);
  EXPECT_EQ(domains.size(), kZiDistinctDomains);
  EXPECT_EQ(urls.size(), kZiDistinctUrls);
  EXPECT_EQ(decisions.size(), kZiDistinctDecisions);
  EXPECT_EQ(ip_values, kZiIpValues);
  EXPECT_EQ(multi_ip, kZiMultiIpRecords);
  EXPECT_EQ(total_, 269719u);
  EXPECT_EQ(read_, total_);
}

TEST_F(ZiCsvSampleTest, MatchesAnIndependentIconvSplit) {
  // Whole-file iconv, then plain splitting: a second implementation of the format.
  const std::string bytes = testing::ReadFile(kZiSample);
  std::string utf8;
  ASSERT_TRUE(IconvCp1251(bytes, &utf8));
  std::vector<std::string> lines = SplitOn(utf8, '\n');
  const std::vector<std::string> raw_lines = SplitOn(bytes, '\n');
  ASSERT_EQ(lines.size(), raw_lines.size());
  ASSERT_EQ(lines.front().rfind("Updated: ", 0), 0u);
  std::size_t next = 0;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    ASSERT_LT(next, result_.records.size());
    const RegisterRecord& rec = result_.records[next++];
    EXPECT_EQ(rec.line, i + 1);
    EXPECT_EQ(rec.raw, raw_lines[i]) << "raw keeps the original cp1251 bytes";
    const std::vector<std::string> f = SplitOn(lines[i], ';');
    ASSERT_EQ(f.size(), 6u) << i;
    const auto values = [](const std::string& field) {
      std::vector<std::string> out;
      for (const std::string& v : SplitOn(field, '|')) {
        if (!Strip(v).empty()) out.push_back(Strip(v));
      }
      return out;
    };
    EXPECT_EQ(rec.ips, values(f[0])) << rec.location;
    EXPECT_EQ(rec.domains, values(f[1])) << rec.location;
    EXPECT_EQ(rec.urls, values(f[2])) << rec.location;
    EXPECT_EQ(rec.body, Strip(f[3])) << rec.location;
    EXPECT_EQ(rec.number, Strip(f[4])) << rec.location;
    EXPECT_EQ(rec.date, Strip(f[5])) << rec.location;
  }
  EXPECT_EQ(next, result_.records.size());
}

TEST_F(ZiCsvSampleTest, SpecificRecords) {
  ASSERT_EQ(result_.records.size(), kZiRecords);
  const RegisterRecord& first = result_.records.front();
  EXPECT_EQ(first.line, 2u);
  EXPECT_EQ(first.location, kZiSample + ":2");
  EXPECT_EQ(first.ips, V{"108.162.206.77"});
  EXPECT_EQ(first.domains, V{"0chan.hk"});
  EXPECT_EQ(first.urls, V{"http://0chan.hk/h/"});
  EXPECT_EQ(first.body, "Роскомнадзор");
  EXPECT_EQ(first.number, "9843-URL-on");
  EXPECT_EQ(first.date, "2013-08-06");
  EXPECT_EQ(first.raw,
            "108.162.206.77;0chan.hk;http://0chan.hk/h/;\xD0\xEE\xF1\xEA\xEE\xEC\xED\xE0"
            "\xE4\xE7\xEE\xF0;9843-URL-on;2013-08-06");

  const RegisterRecord& last = result_.records.back();
  EXPECT_EQ(last.line, 2151u);
  EXPECT_EQ(last.ips, (V{"141.101.113.144", "141.101.123.144"}));
  EXPECT_EQ(last.domains, V{"www.world-chemical.com"});
  EXPECT_EQ(last.urls, V{"https://www.world-chemical.com/catalog/"
                         "?url=%CC%FF%E3%EA%E8%E9%20%CC%E8%EA%F1%20(%C0%E2%E3%E0%ED)"});
  EXPECT_EQ(last.body, "ФСКН");
  EXPECT_EQ(last.number, "2/1/11-18198");
  EXPECT_EQ(last.date, "2014-03-17");

  // Cyrillic body and number (Генпрокуратура, "Нд").
  const RegisterRecord& gp = AtLine(4);
  EXPECT_EQ(gp.domains, V{"0iei6mu.fuckrkn.me"});
  EXPECT_EQ(gp.body, "Генпрокуратура");
  EXPECT_EQ(gp.number, "27/3-286-2014/Нд6333-14");
  EXPECT_EQ(gp.date, "2014-04-09");

  // Trailing spaces after the domain and URL in the file.
  const RegisterRecord& navalny = AtLine(904);
  EXPECT_EQ(navalny.domains, V{"navalny.co.uk"});
  EXPECT_EQ(navalny.urls, V{"http://navalny.co.uk"});
  EXPECT_EQ(navalny.raw.substr(0, 26), "5.9.249.27;navalny.co.uk ;");
  const RegisterRecord& e2 = AtLine(296);
  EXPECT_EQ(e2.domains, V{"e2xlryu.fuckrkn.me"});
}

TEST_F(ZiCsvSampleTest, RecordWithManyIpsAndUrls) {
  // Line 921, a nnm-club.me court order: 81 IPs and 54 URLs (some followed by two spaces before
  // the '|'), three of them written with a Cyrillic 'с' in "viewtopiс.php" (kept as written).
  const RegisterRecord* nnm = &AtLine(921);
  EXPECT_EQ(nnm->domains, V{"nnm-club.me"});
  EXPECT_EQ(nnm->ips.size(), 81u);
  EXPECT_EQ(nnm->ips.front(), "159.253.137.76");
  EXPECT_EQ(nnm->ips.back(), "95.141.18.162");
  EXPECT_EQ(nnm->urls.size(), 54u);
  EXPECT_EQ(nnm->urls.front(), "http://nnm-club.me/forum/viewtopic.php?p=5557839");
  EXPECT_EQ(nnm->urls.back(), "http://nnm-club.me/forum/viewtopiс.php?t=660703");
  EXPECT_EQ(nnm->body, "Мосгорсуд");
  EXPECT_EQ(nnm->number, "определение о предварительном обеспечении по заявлению № 2и-0035/2013");

  const RegisterRecord* free_torrents = nullptr;
  for (const RegisterRecord& r : result_.records) {
    if (r.domains == V{"free-torrents.org"} && r.ips.size() == 3) free_torrents = &r;
  }
  ASSERT_NE(free_torrents, nullptr);
  EXPECT_EQ(free_torrents->ips, (V{"185.10.208.62", "5.45.66.120", "5.45.68.129"}));
  EXPECT_EQ(free_torrents->urls, (V{"http://free-torrents.org/forum/viewtopic.php?t=127358",
                                    "http://free-torrents.org/forum/viewtopic.php?t=57820"}));
}

TEST_F(ZiCsvSampleTest, FromStringGivesTheSameRecords) {
  ReadResult r = ReadString(testing::ReadFile(kZiSample), kZiSample);
  ASSERT_EQ(r.records.size(), result_.records.size());
  for (std::size_t i = 0; i < r.records.size(); ++i) {
    EXPECT_EQ(r.records[i].raw, result_.records[i].raw);
    EXPECT_EQ(r.records[i].location, result_.records[i].location);
    EXPECT_EQ(r.records[i].urls, result_.records[i].urls);
  }
}

}  // namespace
}  // namespace interdict
