// The transparency log as the registry keeps it: one entry per order event, signed heads after
// each change, proofs that verify against them (RFC 9162 2.1.3, 2.1.4), and verification that
// catches a register or a log edited behind the registry's back, naming what was touched.
#include "registry/transparency.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <boost/json.hpp>
#include <sstream>

#include "io/json_format.h"
#include "registry/registry.h"
#include "sign/signing.h"
#include "testing/targets.h"
#include "testing/temp_dir.h"

namespace interdict {
namespace {

namespace json = boost::json;

constexpr UnixTime kNow = 1790000000;  // 2026-09-21
constexpr std::int64_t kDay = 86400;
constexpr std::string_view kActor = "tester";

using testing::T;

class TransparencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<Store>> s = OpenSqliteStore(dir_.File("registry.db"));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    Result<KeyPair> pair = GenerateKeyPair();
    ASSERT_TRUE(pair.ok());
    public_key_ = pair->public_key;
    RegistryOptions options;
    options.log_key = std::make_shared<const SecretKey>(std::move(pair->secret));
    registry_ = std::make_unique<Registry>(*store_, clock_, options);
  }

  OrderRequest Request(std::string ref, std::vector<std::string_view> targets,
                       bool dynamic = false) {
    OrderRequest r;
    r.body = "Court of Lima";
    r.reference = std::move(ref);
    r.expires_at = kNow + 30 * kDay;
    r.categories = Bit(Category::kTorrent);
    r.dynamic = dynamic;
    for (std::string_view t : targets) r.targets.push_back(T(t));
    return r;
  }

  // Three orders and their events: create x3, add-targets, lift, renew.
  void MakeHistory() {
    Result<Order> a = registry_->CreateOrder(kActor, Request("A-1", {"a.example", "*.a.example"}));
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    Result<Order> b = registry_->CreateOrder(kActor, Request("B-2", {"b.example"}, true));
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    ASSERT_TRUE(
        registry_->AddTargets(kActor, b->id, std::vector<Target>{T("b2.example")}, "mirror").ok());
    Result<Order> c = registry_->CreateOrder(kActor, Request("C-3", {"203.0.113.7"}));
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ASSERT_TRUE(registry_->Lift(kActor, c->id, "appeal upheld").ok());
    ASSERT_TRUE(registry_->Renew(kActor, a->id, kNow + 90 * kDay, "extended").ok());
  }

  // SQL on a second connection, as someone with the database file would run it.
  void Tamper(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(dir_.File("registry.db").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    EXPECT_EQ(rc, SQLITE_OK) << (err != nullptr ? err : "") << "\n" << sql;
    sqlite3_free(err);
    sqlite3_close(db);
  }

  std::vector<std::string> Problems(const std::vector<OrderRecord>* exported = nullptr) {
    Result<LogVerification> v = registry_->VerifyLog(&public_key_, exported);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? v->problems : std::vector<std::string>{"verification failed"};
  }

  static bool Mentions(const std::vector<std::string>& problems, std::string_view a,
                       std::string_view b = {}) {
    for (const std::string& p : problems) {
      if (p.find(a) != std::string::npos && p.find(b) != std::string::npos) return true;
    }
    return false;
  }

  testing::TempDir dir_;
  FakeClock clock_{kNow};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Registry> registry_;
  PublicKey public_key_;
};

TEST_F(TransparencyTest, EveryOrderEventIsOneEntry) {
  MakeHistory();
  Result<std::vector<LogEntry>> entries = registry_->LogEntries(0, 100);
  ASSERT_TRUE(entries.ok());
  std::vector<std::string> events;
  for (const LogEntry& e : *entries) {
    json::value v = json::parse(e.event);
    events.push_back(std::string(v.at("event").as_string()));
    EXPECT_EQ(v.at("v").as_int64(), 1);
    EXPECT_EQ(v.at("actor").as_string(), kActor);
  }
  EXPECT_EQ(events, (std::vector<std::string>{"order.create", "order.create", "order.add-targets",
                                              "order.create", "order.lift", "order.renew"}));
  const json::value first = json::parse((*entries)[0].event);
  EXPECT_EQ(first.at("order").at("reference").as_string(), "A-1");
  EXPECT_EQ(first.at("order").at("kind").as_string(), "court-ruling");
  EXPECT_EQ(first.at("targets").as_array().size(), 2u);
  const json::value added = json::parse((*entries)[2].event);
  EXPECT_EQ(added.at("targets").at(0).as_string(), "domain:b2.example");
  EXPECT_EQ(json::parse((*entries)[4].event).at("state").as_string(), "lifted");
  // A transaction that adds nothing new writes no entry.
  Result<Order> b = registry_->FindOrder("B-2");
  ASSERT_TRUE(
      registry_->AddTargets(kActor, b->id, std::vector<Target>{T("b2.example")}, "again").ok());
  EXPECT_EQ(*registry_->LogSize(), 6u);
}

TEST_F(TransparencyTest, EachChangeSignsAHeadAndProofsVerifyAgainstIt) {
  MakeHistory();
  Result<std::vector<StoredTreeHead>> heads = registry_->LogHeads(0);
  ASSERT_TRUE(heads.ok());
  // One head per transaction that appended: six of them, sizes 6 down to 1.
  ASSERT_EQ(heads->size(), 6u);
  for (std::size_t i = 0; i < heads->size(); ++i) {
    EXPECT_EQ((*heads)[i].size, 6u - i);
    EXPECT_TRUE(translog::VerifyTreeHead(public_key_, ToSignedTreeHead((*heads)[i])).ok());
  }
  // The stored root is the RFC 9162 root of the entries' leaf hashes.
  translog::MemoryLeafSource leaves;
  const std::vector<LogEntry> entries = *registry_->LogEntries(0, 100);  // not a temporary
  for (const LogEntry& e : entries) leaves.Append(translog::LeafHash(e.event));
  Result<translog::MerkleTree> tree = translog::MerkleTree::Load(leaves);
  ASSERT_TRUE(tree.ok());
  for (const StoredTreeHead& h : *heads) {
    EXPECT_EQ(ToSignedTreeHead(h).head.root, *tree->RootAt(h.size)) << "size " << h.size;
  }
  // Inclusion of every entry in the newest head; consistency of every older head with it.
  const translog::SignedTreeHead newest = ToSignedTreeHead(heads->front());
  for (std::uint64_t i = 0; i < newest.head.size; ++i) {
    Result<translog::InclusionProof> p = registry_->ProveInclusion(i, newest.head.size);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_TRUE(translog::VerifyInclusion(*p, newest.head.root).ok()) << "entry " << i;
  }
  for (const StoredTreeHead& h : *heads) {
    Result<translog::ConsistencyProof> p = registry_->ProveConsistency(h.size, newest.head.size);
    ASSERT_TRUE(p.ok());
    EXPECT_TRUE(
        translog::VerifyConsistency(*p, ToSignedTreeHead(h).head.root, newest.head.root).ok());
  }
  EXPECT_FALSE(registry_->ProveInclusion(0, 7).ok());  // past the log
  EXPECT_TRUE(Problems().empty());
}

TEST_F(TransparencyTest, WithoutAKeyEntriesAreLoggedAndSignedLater) {
  Registry unsigned_registry(*store_, clock_);
  ASSERT_TRUE(unsigned_registry.CreateOrder(kActor, Request("U-1", {"u.example"})).ok());
  EXPECT_EQ(*unsigned_registry.LogSize(), 1u);
  EXPECT_TRUE(unsigned_registry.LogHeads(0)->empty());
  Result<KeyPair> pair = GenerateKeyPair();
  ASSERT_TRUE(pair.ok());
  Result<StoredTreeHead> head = unsigned_registry.SignLogHead(pair->secret);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->size, 1u);
  // Signing again at the same size returns the same head.
  EXPECT_EQ(unsigned_registry.SignLogHead(pair->secret)->timestamp_ms, head->timestamp_ms);
  EXPECT_EQ(unsigned_registry.LogHeads(0)->size(), 1u);
}

TEST_F(TransparencyTest, AnImportLogsEachOrderOnceWithItsTargets) {
  Result<ImportStats> stats = registry_->Import(kActor, "test", [&](ImportBatch& batch) {
    OrderRequest h = Request("I-1", {});
    RETURN_IF_ERROR(batch.Add(h, std::vector<Target>{T("i1.example")}));
    RETURN_IF_ERROR(batch.Add(h, std::vector<Target>{T("i2.example")}));
    OrderRequest g = Request("I-2", {});
    return batch.Add(g, std::vector<Target>{T("i3.example")});
  });
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  Result<std::vector<LogEntry>> entries = registry_->LogEntries(0, 100);
  ASSERT_EQ(entries->size(), 2u);
  const json::value first = json::parse((*entries)[0].event);
  EXPECT_EQ(first.at("order").at("reference").as_string(), "I-1");
  EXPECT_EQ(first.at("targets").as_array().size(), 2u);
  EXPECT_EQ(registry_->LogHeads(0)->size(), 1u);  // one transaction, one head
  EXPECT_TRUE(Problems().empty());
}

TEST_F(TransparencyTest, EditingAnOrderInTheDatabaseIsCaughtAndNamed) {
  MakeHistory();
  ASSERT_TRUE(Problems().empty());
  Tamper("UPDATE orders SET reference = 'A-1-edited' WHERE reference = 'A-1'");
  const std::vector<std::string> problems = Problems();
  ASSERT_FALSE(problems.empty());
  EXPECT_TRUE(Mentions(problems, "order 1 (A-1-edited): reference", "log entry 0"))
      << problems.front();
}

TEST_F(TransparencyTest, AnExpiryMovedInTheDatabaseIsCaught) {
  MakeHistory();
  Tamper("UPDATE orders SET expires_at = expires_at + 86400 WHERE reference = 'B-2'");
  EXPECT_TRUE(Mentions(Problems(), "order 2 (B-2): expires"));
}

TEST_F(TransparencyTest, ATargetSlippedIntoTheDatabaseIsCaught) {
  MakeHistory();
  Tamper(
      "INSERT INTO targets (kind, value) VALUES ('domain', 'slipped.example');"
      "INSERT INTO order_targets (order_id, target_id, added_at) VALUES (2, "
      "(SELECT id FROM targets WHERE value = 'slipped.example'), 0)");
  EXPECT_TRUE(Mentions(Problems(), "domain:slipped.example", "no log entry attaches it"));
}

TEST_F(TransparencyTest, DeletingAnEventIsCaughtAndNamed) {
  MakeHistory();
  // The triggers refuse it; someone with the file drops them first.
  Tamper(
      "DROP TRIGGER translog_append_only_d; DROP TRIGGER translog_next;"
      "DELETE FROM translog WHERE idx = 2");
  const std::vector<std::string> problems = Problems();
  EXPECT_TRUE(Mentions(problems, "log entry 2 is missing"));
  // Its target is now attached in the register with no entry for it, and the heads above it no
  // longer match the rebuilt tree.
  EXPECT_TRUE(Mentions(problems, "domain:b2.example", "no log entry attaches it"));
  EXPECT_TRUE(Mentions(problems, "tree head of size 6"));
}

TEST_F(TransparencyTest, EditingAnEventIsCaughtAndNamed) {
  MakeHistory();
  Tamper(
      "DROP TRIGGER translog_append_only_u;"
      "UPDATE translog SET event = replace(event, 'appeal upheld', 'no reason') WHERE idx = 4");
  const std::vector<std::string> problems = Problems();
  EXPECT_TRUE(Mentions(problems, "log entry 4: its bytes do not hash"));
}

TEST_F(TransparencyTest, AForgedHeadIsCaught) {
  MakeHistory();
  Tamper(
      "DROP TRIGGER translog_heads_append_only_u;"
      "UPDATE translog_heads SET timestamp_ms = timestamp_ms + 1 WHERE size = 3");
  EXPECT_TRUE(Mentions(Problems(), "tree head of size 3"));
}

TEST_F(TransparencyTest, AppealDecisionsAreLoggedAndAnUndoneLiftIsCaught) {
  MakeHistory();
  Result<Order> a = registry_->FindOrder("A-1");
  AppealRequest req;
  req.order_id = a->id;
  req.target = T("*.a.example");
  req.party = AppealParty::kCollateral;
  req.name = "Shop under a.example";
  req.contact = "owner@shop.a.example";
  req.statement = "my shop is a subdomain";
  Result<Appeal> filed = registry_->FileAppeal(kActor, req);
  ASSERT_TRUE(filed.ok()) << filed.status().ToString();
  Result<Appeal> decided =
      registry_->DecideAppeal(kActor, filed->id, AppealDecision::kLiftTargets, "collateral", {});
  ASSERT_TRUE(decided.ok()) << decided.status().ToString();
  Result<std::vector<LogEntry>> entries = registry_->LogEntries(6, 10);
  ASSERT_EQ(entries->size(), 1u);
  const json::value e = json::parse(entries->front().event);
  EXPECT_EQ(e.at("event").as_string(), "order.lift-targets");
  EXPECT_EQ(e.at("lifted").at(0).as_string(), "domain-tree:a.example");
  EXPECT_TRUE(Problems().empty());
  // Re-enforcing the lifted target behind the log's back.
  Tamper(
      "DROP TRIGGER order_targets_lift_final;"
      "UPDATE order_targets SET lifted_at = NULL, lifted_by_appeal = NULL WHERE lifted_at IS NOT "
      "NULL");
  EXPECT_TRUE(Mentions(Problems(), "domain-tree:a.example", "is enforced in the register"));
}

TEST_F(TransparencyTest, AnExportIsCheckedAgainstTheLog) {
  MakeHistory();
  Result<InForceSnapshot> snap = registry_->Snapshot();
  ASSERT_TRUE(snap.ok());
  std::ostringstream out;
  ASSERT_TRUE(WriteJsonOrders(*snap, kNow, out).ok());
  Result<std::vector<OrderRecord>> good = ParseJsonOrders(out.str(), "export.json");
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  ASSERT_EQ(good->size(), 2u);  // A-1 and B-2 are in force
  EXPECT_TRUE(Problems(&*good).empty());
  // An export that adds a target, drops one, or shows a lifted order as in force is not the log.
  std::string text = out.str();
  text.replace(text.find("domain:b2.example"), 17, "domain:zz.example");
  Result<std::vector<OrderRecord>> bad = ParseJsonOrders(text, "export.json");
  ASSERT_TRUE(bad.ok());
  const std::vector<std::string> problems = Problems(&*bad);
  EXPECT_TRUE(Mentions(problems, "domain:zz.example", "not in the log"));
  EXPECT_TRUE(Mentions(problems, "domain:b2.example", "missing from the export"));
}

}  // namespace
}  // namespace interdict
