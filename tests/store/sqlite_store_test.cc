#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "store/store.h"
#include "testing/temp_dir.h"

namespace interdict {
namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<Store>> s = OpenSqliteStore(dir_.File("registry.db"));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }

  Order SampleOrder(const std::string& ref) {
    Order o;
    o.body = "Court";
    o.kind = OrderKind::kCourtRuling;
    o.reference = ref;
    o.issued_at = 1000;
    o.effective_at = 1000;
    o.expires_at = 2000;
    o.scope = Bit(Scope::kIsp);
    o.state = OrderState::kInForce;
    return o;
  }

  // Runs raw SQL on a second connection, as an outside process would.
  int RawExec(const std::string& sql, std::string* error = nullptr) {
    sqlite3* db = nullptr;
    sqlite3_open(dir_.File("registry.db").c_str(), &db);
    sqlite3_busy_timeout(db, 2000);
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    if (error != nullptr && err != nullptr) *error = err;
    sqlite3_free(err);
    sqlite3_close(db);
    return rc;
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(SqliteStoreTest, ReopeningMigratesOnceAndKeepsData) {
  ASSERT_TRUE(store_
                  ->Transact([](Transaction& tx) {
                    return tx.InsertOrganization({0, OrgKind::kIsp, "ISP", 1}).status();
                  })
                  .ok());
  store_.reset();
  Result<std::unique_ptr<Store>> again = OpenSqliteStore(dir_.File("registry.db"));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_TRUE((*again)
                  ->Read([](Transaction& tx) -> Status {
                    ASSIGN_OR_RETURN(auto orgs, tx.ListOrganizations());
                    EXPECT_EQ(orgs.size(), 1u);
                    return Status::Ok();
                  })
                  .ok());
}

TEST_F(SqliteStoreTest, NotADatabaseIsAClearError) {
  const std::string path = dir_.File("junk.db");
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs("this is not an SQLite database, just some text that is long enough to matter\n", f);
  std::fclose(f);
  Result<std::unique_ptr<Store>> s = OpenSqliteStore(path);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("junk.db"), std::string::npos) << s.status().message();
}

TEST_F(SqliteStoreTest, AnErrorRollsBackEverythingTheTransactionWrote) {
  Status st = store_->Transact([&](Transaction& tx) -> Status {
    RETURN_IF_ERROR(tx.InsertOrganization({0, OrgKind::kIsp, "ISP", 1}).status());
    RETURN_IF_ERROR(tx.InsertOrder(SampleOrder("R1")).status());
    RETURN_IF_ERROR(tx.NextSerial(1, "t", "first").status());
    return Status::IOError("disk on fire");
  });
  EXPECT_EQ(st.code(), StatusCode::kIOError);
  ASSERT_TRUE(store_
                  ->Read([](Transaction& tx) -> Status {
                    ASSIGN_OR_RETURN(RegistryCounts c, tx.Counts());
                    EXPECT_EQ(c.organizations, 0);
                    EXPECT_EQ(c.orders, 0);
                    ASSIGN_OR_RETURN(Serial s, tx.CurrentSerial());
                    EXPECT_EQ(s, 0);
                    return Status::Ok();
                  })
                  .ok());
}

TEST_F(SqliteStoreTest, UniqueKeysAreAlreadyExists) {
  ASSERT_TRUE(
      store_->Transact([&](Transaction& tx) { return tx.InsertOrder(SampleOrder("R1")).status(); })
          .ok());
  Status dup =
      store_->Transact([&](Transaction& tx) { return tx.InsertOrder(SampleOrder("R1")).status(); });
  EXPECT_EQ(dup.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(dup.message().find("R1"), std::string::npos);
}

TEST_F(SqliteStoreTest, TargetsAreSharedByKindAndValue) {
  ASSERT_TRUE(
      store_
          ->Transact([&](Transaction& tx) -> Status {
            ASSIGN_OR_RETURN(Id a, tx.UpsertTarget({TargetKind::kDomain, "example.com"}));
            ASSIGN_OR_RETURN(Id b, tx.UpsertTarget({TargetKind::kDomain, "example.com"}));
            ASSIGN_OR_RETURN(Id c, tx.UpsertTarget({TargetKind::kDomainTree, "example.com"}));
            EXPECT_EQ(a, b);
            EXPECT_NE(a, c);
            return Status::Ok();
          })
          .ok());
}

TEST_F(SqliteStoreTest, TheInForceSetIsTheTargetsOfInForceOrdersAndItsChangesAreLogged) {
  ASSERT_TRUE(store_
                  ->Transact([&](Transaction& tx) -> Status {
                    ASSIGN_OR_RETURN(Id order, tx.InsertOrder(SampleOrder("R1")));
                    ASSIGN_OR_RETURN(Id t, tx.UpsertTarget({TargetKind::kIp, "192.0.2.1"}));
                    ASSIGN_OR_RETURN(bool attached, tx.AttachTarget(order, t, 1, 0));
                    EXPECT_TRUE(attached);
                    ASSIGN_OR_RETURN(bool again, tx.AttachTarget(order, t, 1, 0));
                    EXPECT_FALSE(again);
                    ASSIGN_OR_RETURN(Serial s1, tx.NextSerial(1, "t", "add"));
                    EXPECT_EQ(s1, 1);
                    RETURN_IF_ERROR(tx.LogInForce(s1, t, order, DeltaOp::kAdd));
                    ASSIGN_OR_RETURN(auto in_force, tx.InForceForTarget(t));
                    EXPECT_EQ(in_force.size(), 1u);
                    RETURN_IF_ERROR(tx.UpdateOrderState(order, OrderState::kLifted, "done", 2));
                    ASSIGN_OR_RETURN(auto after_lift, tx.InForceForTarget(t));
                    EXPECT_TRUE(after_lift.empty());
                    ASSIGN_OR_RETURN(auto attached_rows, tx.ListAttached(std::nullopt));
                    EXPECT_EQ(attached_rows.size(), 1u);
                    EXPECT_FALSE(attached_rows[0].in_force);
                    ASSIGN_OR_RETURN(Serial s2, tx.NextSerial(2, "t", "remove"));
                    RETURN_IF_ERROR(tx.LogInForce(s2, t, order, DeltaOp::kRemove));
                    ASSIGN_OR_RETURN(auto d1, tx.SerialDelta(1));
                    ASSIGN_OR_RETURN(auto d2, tx.SerialDelta(2));
                    EXPECT_EQ(d1.size(), 1u);
                    EXPECT_EQ(d2.size(), 1u);
                    EXPECT_EQ(d1[0].op, DeltaOp::kAdd);
                    EXPECT_EQ(d2[0].op, DeltaOp::kRemove);
                    EXPECT_EQ(d2[0].target.value, "192.0.2.1");
                    return Status::Ok();
                  })
                  .ok());
}

TEST_F(SqliteStoreTest, AppendOnlyTablesRefuseChangesFromAnyone) {
  ASSERT_TRUE(
      store_
          ->Transact([&](Transaction& tx) -> Status {
            RETURN_IF_ERROR(tx.AppendAudit({0, 1, "alice", "test", "registry", 0, "", "{}"}));
            return tx.NextSerial(1, "alice", "s").status();
          })
          .ok());
  std::string err;
  EXPECT_NE(RawExec("UPDATE audit SET actor = 'mallory'", &err), SQLITE_OK);
  EXPECT_NE(err.find("append-only"), std::string::npos) << err;
  EXPECT_NE(RawExec("DELETE FROM audit"), SQLITE_OK);
  EXPECT_NE(RawExec("DELETE FROM serials"), SQLITE_OK);
  // Serials only grow by one.
  EXPECT_NE(RawExec("INSERT INTO serials VALUES (5, 1, 'x', 'skip')", &err), SQLITE_OK);
  EXPECT_NE(RawExec("INSERT INTO serials VALUES (1, 1, 'x', 'reuse')"), SQLITE_OK);
  EXPECT_EQ(RawExec("INSERT INTO serials VALUES (2, 1, 'x', 'next')"), SQLITE_OK);
}

// Probe results (schema version 8) only grow, and each carries its run's ISP.
TEST_F(SqliteStoreTest, AuditRunsAndResultsAreAppendOnly) {
  Id run = 0;
  ASSERT_TRUE(store_
                  ->Transact([&](Transaction& tx) -> Status {
                    ASSIGN_OR_RETURN(Id isp, tx.InsertOrganization({0, OrgKind::kIsp, "ISP", 1}));
                    AuditRun r;
                    r.actor = "probe";
                    r.isp_org_id = isp;
                    r.started_at = 10;
                    r.finished_at = 20;
                    r.submitted_at = 30;
                    ASSIGN_OR_RETURN(run, tx.InsertAuditRun(r));
                    AuditResult result;
                    result.target = {TargetKind::kDomain, "x.example"};
                    result.verdict = ProbeVerdict::kBlockedDns;
                    result.measured_at = 15;
                    return tx.InsertAuditResult(run, result);
                  })
                  .ok());
  Status missing = store_->Transact([](Transaction& tx) {
    return tx.InsertAuditResult(99, AuditResult{{TargetKind::kDomain, "y.example"}});
  });
  EXPECT_EQ(missing.code(), StatusCode::kNotFound) << missing.ToString();
  Result<std::vector<AuditRun>> runs = Status::Internal("unread");
  ASSERT_TRUE(store_
                  ->Read([&](Transaction& tx) -> Status {
                    runs = tx.ListAuditRuns({});
                    return runs.status();
                  })
                  .ok());
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ(runs->front().isp_org, "ISP");
  EXPECT_EQ(runs->front().results, 1);
  EXPECT_EQ(runs->front().not_in_force, 1);
  EXPECT_FALSE(runs->front().serial.has_value());
  std::string err;
  EXPECT_NE(RawExec("UPDATE audit_results SET verdict = 'accessible'", &err), SQLITE_OK);
  EXPECT_NE(err.find("append-only"), std::string::npos) << err;
  EXPECT_NE(RawExec("DELETE FROM audit_results"), SQLITE_OK);
  EXPECT_NE(RawExec("UPDATE audit_runs SET label = 'edited'"), SQLITE_OK);
  EXPECT_NE(RawExec("DELETE FROM audit_runs"), SQLITE_OK);
  EXPECT_EQ(RawExec("SELECT isp_org_id FROM audit_results WHERE isp_org_id = 1"), SQLITE_OK);
  EXPECT_NE(
      RawExec("INSERT INTO audit_results (run_id, isp_org_id, target_kind, target_value, "
              "verdict, measured_at, in_force) VALUES (1, 1, 'domain', 'z', 'blocked', 1, 0)"),
      SQLITE_OK);  // not one of the seven verdicts
}

TEST_F(SqliteStoreTest, ReadTransactionsRefuseWrites) {
  Status st = store_->Read([](Transaction& tx) {
    return tx.InsertOrganization({0, OrgKind::kIsp, "ISP", 1}).status();
  });
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
}

// WAL readers: a Read on another thread runs while a write transaction is open, and sees the last
// commit, not the writer's uncommitted rows. With one connection it would wait for the writer.
TEST_F(SqliteStoreTest, ReadsRunBesideAnOpenWriteAndSeeTheLastCommit) {
  ASSERT_TRUE(store_
                  ->Transact([](Transaction& tx) {
                    return tx.InsertOrganization({0, OrgKind::kIsp, "Committed", 1}).status();
                  })
                  .ok());
  auto names = [this]() {
    std::vector<std::string> out;
    const Status st = store_->Read([&](Transaction& tx) -> Status {
      ASSIGN_OR_RETURN(auto orgs, tx.ListOrganizations());
      for (const Organization& o : orgs) out.push_back(o.name);
      return Status::Ok();
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return out;
  };
  std::future_status during = std::future_status::deferred;
  std::vector<std::string> seen;
  ASSERT_TRUE(
      store_
          ->Transact([&](Transaction& tx) -> Status {
            RETURN_IF_ERROR(tx.InsertOrganization({0, OrgKind::kIsp, "Uncommitted", 1}).status());
            std::future<std::vector<std::string>> reader = std::async(std::launch::async, names);
            during = reader.wait_for(std::chrono::seconds(10));
            // After the wait: a reader stuck behind this transaction finishes once it ends.
            if (during == std::future_status::ready) seen = reader.get();
            return Status::Ok();
          })
          .ok());
  EXPECT_EQ(during, std::future_status::ready) << "the read waited for the writer";
  EXPECT_EQ(seen, std::vector<std::string>{"Committed"});
  EXPECT_EQ(names(), (std::vector<std::string>{"Committed", "Uncommitted"}));
}

TEST_F(SqliteStoreTest, WithoutReadersReadsUseTheWritersConnection) {
  store_.reset();
  SqliteOptions options;
  options.readers = 0;
  Result<std::unique_ptr<Store>> s = OpenSqliteStore(dir_.File("registry.db"), options);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_TRUE((*s)->Transact([](Transaction& tx) {
                    return tx.InsertOrganization({0, OrgKind::kIsp, "Only", 1}).status();
                  })
                  .ok());
  std::size_t n = 0;
  ASSERT_TRUE((*s)->Read([&](Transaction& tx) -> Status {
                    ASSIGN_OR_RETURN(auto orgs, tx.ListOrganizations());
                    n = orgs.size();
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(n, 1u);
}

TEST_F(SqliteStoreTest, DatabaseRefusesAnOrderThatNeverExpires) {
  Order o = SampleOrder("R2");
  o.expires_at = o.effective_at;  // the registry checks this too; the schema is the backstop
  Status st = store_->Transact([&](Transaction& tx) { return tx.InsertOrder(o).status(); });
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("CHECK"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace interdict
