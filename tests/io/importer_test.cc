#include "io/importer.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "io/exporter.h"
#include "testing/temp_dir.h"
#include "testing/text.h"

namespace interdict {
namespace {

constexpr UnixTime kNow = 1790000000;
const std::string kZi = std::string(INTERDICT_TESTDATA) + "/registers/zi-2014-dump.csv";
const std::string kXml = std::string(INTERDICT_TESTDATA) + "/registers/rkn-dump-2014-11-sample.xml";

bool LooksLikeIpv4(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789.") == std::string::npos;
}

class ImporterTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(registry_a_, store_a_, "a.db"); }

  void Open(std::unique_ptr<Registry>& reg, std::unique_ptr<Store>& store,
            const std::string& name) {
    Result<std::unique_ptr<Store>> s = OpenSqliteStore(dir_.File(name));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store = std::move(s).value();
    reg = std::make_unique<Registry>(*store, clock_);
  }

  ImportReport Import(Registry& reg, ImportFormat format, const std::string& path,
                      bool strict = false) {
    ImportOptions opt;
    opt.format = format;
    opt.path = path;
    opt.strict = strict;
    opt.rejects_path = dir_.File("rejects");
    Result<ImportReport> r = ImportFile(reg, "importer", opt);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : ImportReport{};
  }

  // (kind:value, body, reference, issued) of every in-force pair.
  static std::set<std::string> Pairs(Registry& reg) {
    std::set<std::string> out;
    Result<InForceSnapshot> snap = reg.Snapshot();
    EXPECT_TRUE(snap.ok());
    std::map<Id, const Order*> orders;
    for (const Order& o : snap->orders) orders[o.id] = &o;
    for (const InForceEntry& e : snap->entries) {
      const Order& o = *orders[e.order_id];
      out.insert(e.target.ToString() + "|" + o.body + "|" + o.reference + "|" +
                 FormatDate(o.issued_at));
    }
    return out;
  }

  testing::TempDir dir_;
  FakeClock clock_{kNow};
  std::unique_ptr<Store> store_a_;
  std::unique_ptr<Registry> registry_a_;
};

// Expected figures come from the raw file with a deliberately simple reading of the format:
// split on ';' and '|', trim spaces, no normalization. Bodies stay cp1251 bytes, which does not
// change which triples are distinct.
TEST_F(ImporterTest, RealZiDumpImportsWithIndependentlyCountedOrdersAndAddresses) {
  const std::vector<std::string> lines = testing::SplitOn(testing::ReadFile(kZi), '\n');
  std::set<std::string> decisions;
  std::set<std::string> ips;
  std::size_t records = 0;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    ++records;
    const std::vector<std::string> f = testing::SplitOn(lines[i], ';');
    ASSERT_EQ(f.size(), 6u) << "line " << i + 1;
    decisions.insert(f[3] + ";" + f[4] + ";" + f[5]);
    for (const std::string& ip : testing::SplitOn(f[0], '|')) {
      if (!testing::Strip(ip).empty()) ips.insert(testing::Strip(ip));
    }
    for (const std::string& d : testing::SplitOn(f[1], '|')) {
      if (LooksLikeIpv4(testing::Strip(d))) ips.insert(testing::Strip(d));  // a site with no name
    }
  }
  ASSERT_EQ(records, 2150u);  // 2151 lines minus the "Updated:" line

  const ImportReport r = Import(*registry_a_, ImportFormat::kZiCsv, kZi);
  EXPECT_TRUE(r.imported);
  EXPECT_EQ(r.records, records);
  EXPECT_EQ(r.records_rejected, 0u) << (r.errors.empty() ? "" : r.errors[0]);
  EXPECT_EQ(r.stats.orders_created, decisions.size());
  Result<std::vector<InForceEntry>> in_force_ips = registry_a_->InForce(TargetKind::kIp);
  ASSERT_TRUE(in_force_ips.ok());
  std::set<std::string> got;
  for (const InForceEntry& e : *in_force_ips) got.insert(e.target.value);
  EXPECT_EQ(got, ips);
  EXPECT_EQ(registry_a_->Counts()->orders_in_force, static_cast<std::int64_t>(decisions.size()));
  EXPECT_EQ(r.stats.serial, 1);

  // Spot checks against lines of the file.
  Result<CheckResult> url = registry_a_->Check(*ParseTarget("http://0chan.hk/h/res/214.html"));
  ASSERT_TRUE(url.ok());
  EXPECT_TRUE(url->blocked());
  bool by_10791 = false;
  for (const InForceEntry& e : url->matches) by_10791 = by_10791 || e.reference == "10791-URL-on";
  EXPECT_TRUE(by_10791);
  // "e2xlryu.fuckrkn.me " has a trailing space in the file; "легально.com" is an IDN.
  EXPECT_TRUE(registry_a_->Check(*ParseTarget("e2xlryu.fuckrkn.me"))->blocked());
  EXPECT_TRUE(registry_a_->Check(*ParseTarget("легально.com"))->blocked());
}

TEST_F(ImporterTest, ReimportingTheSameFileChangesNothing) {
  const ImportReport first = Import(*registry_a_, ImportFormat::kZiCsv, kZi);
  const Serial serial = *registry_a_->CurrentSerial();
  const ImportReport second = Import(*registry_a_, ImportFormat::kZiCsv, kZi);
  EXPECT_EQ(second.stats.orders_created, 0u);
  EXPECT_EQ(second.stats.targets_attached, 0u);
  EXPECT_EQ(second.stats.serial, 0);
  EXPECT_EQ(*registry_a_->CurrentSerial(), serial);
  EXPECT_GT(first.stats.targets_attached, 0u);
}

const char kBadZi[] =
    "Updated: 2014-04-22 11:05:00 +0000\n"
    "1.2.3.4;good.example;http://good.example/;Court;A-1;2014-01-01\n"
    "1.2.3.999;bad-ip.example;;Court;A-2;2014-01-02\n"
    "5.6.7.8;good2.example;;Court;A-3;2014-01-03\n"
    "9.9.9.9;x.example;;Court;A-4;2014-13-40\n"
    "only;three;fields\n"
    ";;;Court;A-5;2014-01-05\n";

TEST_F(ImporterTest, StrictModeImportsNothingAndReportsEveryBadLine) {
  const std::string path = dir_.File("bad.csv");
  testing::WriteFile(path, kBadZi);
  const ImportReport r = Import(*registry_a_, ImportFormat::kZiCsv, path, /*strict=*/true);
  EXPECT_FALSE(r.imported);
  EXPECT_EQ(r.records, 6u);
  ASSERT_EQ(r.errors.size(), 4u);
  EXPECT_NE(r.errors[0].find("bad.csv:3: field 'ips'"), std::string::npos) << r.errors[0];
  EXPECT_NE(r.errors[1].find("bad.csv:5: field"), std::string::npos) << r.errors[1];
  EXPECT_NE(r.errors[1].find("date"), std::string::npos) << r.errors[1];
  EXPECT_NE(r.errors[2].find("bad.csv:6:"), std::string::npos) << r.errors[2];
  EXPECT_NE(r.errors[3].find("bad.csv:7:"), std::string::npos) << r.errors[3];
  EXPECT_EQ(registry_a_->Counts()->orders, 0);
  EXPECT_EQ(*registry_a_->CurrentSerial(), 0);
}

TEST_F(ImporterTest, LenientModeImportsTheGoodLinesAndKeepsTheBadOnesByteForByte) {
  const std::string path = dir_.File("bad.csv");
  testing::WriteFile(path, kBadZi);
  const ImportReport r = Import(*registry_a_, ImportFormat::kZiCsv, path);
  EXPECT_TRUE(r.imported);
  EXPECT_EQ(r.records_rejected, 4u);
  EXPECT_EQ(r.stats.orders_created, 2u);
  EXPECT_EQ(testing::ReadFile(r.rejects_path),
            "1.2.3.999;bad-ip.example;;Court;A-2;2014-01-02\n"
            "9.9.9.9;x.example;;Court;A-4;2014-13-40\n"
            "only;three;fields\n"
            ";;;Court;A-5;2014-01-05\n");
}

TEST_F(ImporterTest, ZiExportImportsBackToTheSamePairs) {
  Import(*registry_a_, ImportFormat::kZiCsv, kZi);
  OrderRequest extra;  // kinds z-i spells in its own way: masks and subnets
  extra.body = "Суд";
  extra.reference = "2-1/2026";
  extra.issued_at = kNow - 86400;
  extra.expires_at = kNow + 86400 * 30;
  extra.targets = {*ParseTarget("*.mask.example"), *ParseTarget("cidr:10.1.0.0/16"),
                   *ParseTarget("url:http://x.example/p*")};
  ASSERT_TRUE(registry_a_->CreateOrder("t", extra).ok());
  std::ostringstream out;
  Result<ExportReport> e = ExportInForce(*registry_a_, ExportFormat::kZiCsv, out);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  const std::string path = dir_.File("export.csv");
  testing::WriteFile(path, out.str());

  std::unique_ptr<Store> store_b;
  std::unique_ptr<Registry> registry_b;
  Open(registry_b, store_b, "b.db");
  const ImportReport r = Import(*registry_b, ImportFormat::kZiCsv, path, /*strict=*/true);
  ASSERT_TRUE(r.imported) << (r.errors.empty() ? "" : r.errors[0]);
  const std::set<std::string> a = Pairs(*registry_a_);
  EXPECT_EQ(a.size(), e->targets);
  EXPECT_EQ(Pairs(*registry_b), a);
}

TEST_F(ImporterTest, JsonExportImportsBackWithEveryOrderField) {
  OrderRequest o;
  o.body = "Tribunale di Milano";
  o.kind = OrderKind::kPrecautionaryMeasure;
  o.reference = "RG \"7\"/2026";
  o.issued_at = kNow - 86400;
  o.effective_at = kNow - 3600;
  o.expires_at = kNow + 86400 * 90;
  o.scope = Bit(Scope::kIsp) | Bit(Scope::kVpn);
  o.categories = Bit(Category::kLiveSports) | Bit(Category::kIptv);
  o.dynamic = true;
  o.targets = {*ParseTarget("*.calcio.example"), *ParseTarget("app:play:com.iptv.x"),
               *ParseTarget("search:https://calcio.example/live"), *ParseTarget("2001:db8::1")};
  ASSERT_TRUE(registry_a_->CreateOrder("t", o).ok());
  Import(*registry_a_, ImportFormat::kDumpXml, kXml);
  std::ostringstream out;
  ASSERT_TRUE(ExportInForce(*registry_a_, ExportFormat::kJson, out).ok());
  const std::string path = dir_.File("export.json");
  testing::WriteFile(path, out.str());

  std::unique_ptr<Store> store_b;
  std::unique_ptr<Registry> registry_b;
  Open(registry_b, store_b, "b.db");
  const ImportReport r = Import(*registry_b, ImportFormat::kJson, path, /*strict=*/true);
  ASSERT_TRUE(r.imported) << (r.errors.empty() ? "" : r.errors[0]);
  EXPECT_EQ(Pairs(*registry_b), Pairs(*registry_a_));
  Result<Order> back = registry_b->FindOrder("RG \"7\"/2026");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->kind, o.kind);
  EXPECT_EQ(back->effective_at, o.effective_at);
  EXPECT_EQ(back->expires_at, o.expires_at);
  EXPECT_EQ(back->scope, o.scope);
  EXPECT_EQ(back->categories, o.categories);
  EXPECT_TRUE(back->dynamic);
}

TEST_F(ImporterTest, CsvExportImportsBackWithEveryOrderField) {
  OrderRequest o;
  o.body = "Juzgado, \"Mercantil\" 8";  // a comma and quotes: the CSV must quote them
  o.kind = OrderKind::kCourtRuling;
  o.reference = "MC 1/2026";
  o.issued_at = kNow - 86400;
  o.effective_at = kNow - 60;
  o.expires_at = kNow + 86400 * 60;
  o.scope = Bit(Scope::kSearch) | Bit(Scope::kIsp);
  o.categories = Bit(Category::kLiveSports);
  o.dynamic = true;
  o.targets = {*ParseTarget("url:https://streams.example/a,b?x=1"), *ParseTarget("*.s.example"),
               *ParseTarget("apple:id42")};
  ASSERT_TRUE(registry_a_->CreateOrder("t", o).ok());
  Import(*registry_a_, ImportFormat::kZiCsv, kZi);
  std::ostringstream out;
  Result<ExportReport> e = ExportInForce(*registry_a_, ExportFormat::kCsv, out);
  ASSERT_TRUE(e.ok());
  const std::string path = dir_.File("export.csv");
  testing::WriteFile(path, out.str());

  std::unique_ptr<Store> store_b;
  std::unique_ptr<Registry> registry_b;
  Open(registry_b, store_b, "b.db");
  const ImportReport r = Import(*registry_b, ImportFormat::kCsv, path, /*strict=*/true);
  ASSERT_TRUE(r.imported) << (r.errors.empty() ? "" : r.errors[0]);
  EXPECT_EQ(r.records, e->targets);
  EXPECT_EQ(Pairs(*registry_b), Pairs(*registry_a_));
  Result<Order> back = registry_b->FindOrder("MC 1/2026");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->body, o.body);
  EXPECT_EQ(back->effective_at, o.effective_at);
  EXPECT_EQ(back->expires_at, o.expires_at);
  EXPECT_EQ(back->scope, o.scope);
  EXPECT_EQ(back->categories, o.categories);
  EXPECT_TRUE(back->dynamic);
}

TEST_F(ImporterTest, CsvErrorsNameTheLineAndColumn) {
  const std::string path = dir_.File("bad.csv");
  testing::WriteFile(path,
                     "kind,value,body,order_kind,reference,issued,expires\n"
                     "domain,ok.example,Court,court-ruling,R1,2026-01-01,2027-01-01\n"
                     "domain,\"bad\nline\",Court,court-ruling,R1,2026-01-01,2027-01-01\n"
                     "cidr,10.0.0.1/8,Court,court-ruling,R1,2026-01-01,2027-01-01\n"
                     "domain,x.example,Court,court-ruling,R1,2026-01-01,\n");
  const ImportReport r = Import(*registry_a_, ImportFormat::kCsv, path, /*strict=*/true);
  EXPECT_FALSE(r.imported);
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_NE(r.errors[0].find("bad.csv:3: column value"), std::string::npos) << r.errors[0];
  EXPECT_NE(r.errors[1].find("bad.csv:5: column value"), std::string::npos) << r.errors[1];
  EXPECT_NE(r.errors[1].find("host bits"), std::string::npos) << r.errors[1];
  EXPECT_NE(r.errors[2].find("bad.csv:6: column expires is empty"), std::string::npos)
      << r.errors[2];
  testing::WriteFile(path, "kind,value\ndomain,x.example\n");
  ImportOptions opt;
  opt.format = ImportFormat::kCsv;
  opt.path = path;
  Result<ImportReport> no_header = ImportFile(*registry_a_, "t", opt);
  ASSERT_FALSE(no_header.ok());
  EXPECT_NE(no_header.status().message().find("bad.csv:1: the header has no column \"body\""),
            std::string::npos)
      << no_header.status().message();
}

TEST_F(ImporterTest, JsonErrorsNameTheOrderAndField) {
  const std::string path = dir_.File("bad.json");
  testing::WriteFile(
      path,
      "{\"format\": \"interdict-orders\", \"version\": 1, \"orders\": [\n"
      " {\"body\": \"B\", \"kind\": \"court-ruling\", \"reference\": \"1\", \"issued\": "
      "\"2026-01-01\", \"expires\": \"2027-01-01\", \"targets\": [\"ok.example\"]},\n"
      " {\"body\": \"B\", \"kind\": \"court-ruling\", \"reference\": \"2\", \"issued\": "
      "\"2026-01-01\", \"targets\": [\"ok.example\"]},\n"
      " {\"body\": \"B\", \"kind\": \"court-ruling\", \"reference\": \"3\", \"issued\": "
      "\"2026-01-01\", \"expires\": \"2027-01-01\", \"targets\": [\"a..b\"]}]}\n");
  const ImportReport r = Import(*registry_a_, ImportFormat::kJson, path, /*strict=*/true);
  EXPECT_FALSE(r.imported);
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_NE(r.errors[0].find("orders[1]: field \"expires\" is missing"), std::string::npos)
      << r.errors[0];
  EXPECT_NE(r.errors[1].find("orders[2]: targets[0]"), std::string::npos) << r.errors[1];

  testing::WriteFile(path, "{\"format\": \"interdict-orders\",\n \"version\": 1, \"orders\": [}");
  ImportOptions opt;
  opt.format = ImportFormat::kJson;
  opt.path = path;
  Result<ImportReport> broken = ImportFile(*registry_a_, "t", opt);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("bad.json:2:"), std::string::npos)
      << broken.status().message();
}

TEST_F(ImporterTest, DumpXmlSampleImports) {
  const ImportReport r = Import(*registry_a_, ImportFormat::kDumpXml, kXml);
  EXPECT_TRUE(r.imported);
  EXPECT_EQ(r.records, 18u);
  EXPECT_EQ(r.records_rejected, 0u) << (r.errors.empty() ? "" : r.errors[0]);
  EXPECT_TRUE(registry_a_->Check(*ParseTarget("http://cannabay.org/"))->blocked());
  EXPECT_TRUE(registry_a_->Check(*ParseTarget("109.69.58.58"))->blocked());
}

}  // namespace
}  // namespace interdict
