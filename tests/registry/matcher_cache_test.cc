#include "registry/matcher_cache.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "io/importer.h"
#include "store/store.h"
#include "testing/temp_dir.h"

namespace interdict {
namespace {

constexpr UnixTime kNow = 1790000000;  // 2026-09-21
constexpr std::string_view kActor = "tester";

using Entries = std::set<std::string>;

Entries AsSet(const std::vector<InForceEntry>& v) {
  Entries out;
  for (const InForceEntry& e : v) {
    out.insert(e.target.ToString() + " @" + std::to_string(e.order_id) + " " + e.reference);
  }
  return out;
}

class MatcherCacheTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(dir_.File("registry.db")); }

  void Open(const std::string& path) {
    registry_.reset();
    Result<std::unique_ptr<Store>> s = OpenSqliteStore(path);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    registry_ = std::make_unique<Registry>(*store_, clock_);
  }

  Order Create(std::string ref, const std::vector<std::string_view>& targets) {
    OrderRequest r;
    r.body = "Court of Lima";
    r.reference = std::move(ref);
    r.expires_at = kNow + 86400 * 30;
    for (std::string_view t : targets) r.targets.push_back(ParseTarget(t).value());
    Result<Order> o = registry_->CreateOrder(kActor, r);
    EXPECT_TRUE(o.ok()) << o.status().ToString();
    return o.ok() ? *o : Order{};
  }

  testing::TempDir dir_;
  FakeClock clock_{kNow};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Registry> registry_;
};

// The compiled matcher answers every query exactly as the registry's own Check does: the same
// rules and the same orders.
TEST_F(MatcherCacheTest, CompiledAnswersEqualTheRegistrysCheck) {
  ImportOptions import;
  import.format = ImportFormat::kZiCsv;
  import.path = std::string(INTERDICT_TESTDATA) + "/registers/zi-2014-dump.csv";
  Result<ImportReport> report = ImportFile(*registry_, kActor, import);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  Create("A-1",
         {"*.example.com", "example.com", "*.tree.example.net", "http://example.org/dl/*",
          "http://example.org/page", "https://example.org/q?x=1", "10.0.0.0/8", "10.1.2.0/24",
          "2001:db8::/32", "192.0.2.7", "play:com.pirate.tv", "search:https://example.org/leak"});
  Create("A-2", {"www.example.com", "10.1.2.0/24", "*.example.com", "2001:db8::/48"});

  Result<InForceSnapshot> in_force = registry_->Snapshot();
  ASSERT_TRUE(in_force.ok());
  ASSERT_GT(in_force->entries.size(), 1000U);
  Result<Snapshot> compiled = CompileInForce(*in_force);
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  EXPECT_EQ(compiled->serial(), static_cast<std::uint64_t>(in_force->serial));

  // Queries: every in-force value, variations of it, and things near the hand-made rules.
  std::vector<Target> queries;
  std::mt19937_64 rng(1);
  for (const InForceEntry& e : in_force->entries) {
    const Target& t = e.target;
    queries.push_back(t);
    switch (t.kind) {
      case TargetKind::kDomain:
      case TargetKind::kDomainTree:
        queries.push_back({TargetKind::kDomain, "w" + std::to_string(rng() % 9) + "." + t.value});
        queries.push_back({TargetKind::kDomain, "x" + t.value});
        break;
      case TargetKind::kUrl:
        if (t.value.back() == '*') {
          queries.back() = {TargetKind::kUrl, t.value.substr(0, t.value.size() - 1) + "more"};
        } else {
          queries.push_back({TargetKind::kUrl, t.value + "?utm=1"});
          queries.push_back({TargetKind::kUrl, t.value + "x"});
        }
        break;
      default: break;
    }
  }
  for (std::string_view q : {"example.com",
                             "a.b.example.com",
                             "www.example.com",
                             "tree.example.net",
                             "x.tree.example.net",
                             "http://example.org/dl/file",
                             "http://example.org/dl",
                             "http://example.org/page?ref=2",
                             "https://example.org/q?x=2",
                             "https://example.org/q?x=1",
                             "http://www.example.com/anything",
                             "http://10.1.2.3/x",
                             "10.1.2.3",
                             "10.200.0.1",
                             "11.0.0.1",
                             "2001:db8::1",
                             "2001:db8:1::1",
                             "192.0.2.7",
                             "::ffff:192.0.2.7",
                             "cidr:10.1.2.0/24",
                             "cidr:10.1.0.0/16",
                             "app:play:com.pirate.tv",
                             "search:https://example.org/leak",
                             "unrelated.org"}) {
    queries.push_back(ParseTarget(q).value());
  }
  std::size_t blocked = 0;
  for (const Target& q : queries) {
    if (q.kind == TargetKind::kUrl && q.value.back() == '*') continue;  // not a query
    Result<CheckResult> want = registry_->Check(q);
    ASSERT_TRUE(want.ok()) << q.ToString() << ": " << want.status().ToString();
    EXPECT_EQ(AsSet(compiled->Explain(q)), AsSet(want->matches)) << q.ToString();
    blocked += want->blocked();
  }
  EXPECT_GT(blocked, queries.size() / 3);
  EXPECT_LT(blocked, queries.size());
}

TEST_F(MatcherCacheTest, CacheIsUsedOnlyForThisRegistryAtThisSerial) {
  Create("A-1", {"one.example"});
  const std::string cache = dir_.File("registry.db.matcher");
  bool from_cache = true;
  std::string note;
  auto m = CurrentMatcher(*registry_, cache, &from_cache, &note);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_FALSE(from_cache);
  EXPECT_EQ(note, "");
  EXPECT_TRUE((*m)->MatchName("one.example").blocked());

  m = CurrentMatcher(*registry_, cache, &from_cache, &note);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(from_cache);

  // A new serial: compiled again.
  Create("A-2", {"two.example"});
  m = CurrentMatcher(*registry_, cache, &from_cache, &note);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(from_cache);
  EXPECT_TRUE((*m)->MatchName("two.example").blocked());

  // A damaged cache is replaced, and says why.
  std::string bytes = testing::ReadFile(cache);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 1);
  testing::WriteFile(cache, bytes);
  m = CurrentMatcher(*registry_, cache, &from_cache, &note);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(from_cache);
  EXPECT_NE(note.find("checksum"), std::string::npos) << note;
  m = CurrentMatcher(*registry_, cache, &from_cache, &note);
  EXPECT_TRUE(from_cache);

  // Another registry at the same serial does not use this one's cache.
  Open(dir_.File("other.db"));
  Create("B-1", {"three.example"});
  Create("B-2", {"four.example"});
  m = CurrentMatcher(*registry_, cache, &from_cache, &note);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(from_cache);
  EXPECT_FALSE((*m)->MatchName("one.example").blocked());
  EXPECT_TRUE((*m)->MatchName("four.example").blocked());
}

}  // namespace
}  // namespace interdict
