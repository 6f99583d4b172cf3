// Compliance probes over HTTP on a real server: a run submitted with an auditor's token is written
// whole or refused with the bad result's field named; runs are listed; the report counts latest
// verdicts per ISP and per order and lists the items still accessible after their deadline.
#include <boost/json.hpp>
#include <string>

#include "api/api_fixture.h"

namespace interdict::api {
namespace {

namespace json = boost::json;
using feed::feedtest::kDay;
using feed::feedtest::kNow;

class AuditApiTest : public ApiFixture {
 protected:
  // One result as the probe sends it.
  static std::string Item(const std::string& target, const std::string& verdict, UnixTime at,
                          const std::string& extra = R"(,"evidence":{"dns":"NXDOMAIN"})") {
    return R"({"target":")" + target + R"(","verdict":")" + verdict + R"(","measured_at":")" +
           FormatTime(at) + "\"" + extra + "}";
  }
  static std::string Run(const std::string& vantage, const std::vector<std::string>& results,
                         const std::string& extra = R"("label":"lima-1",)") {
    std::string body = R"({"vantage":")" + vantage + "\"," + extra + R"("results":[)";
    for (std::size_t i = 0; i < results.size(); ++i) body += (i ? "," : "") + results[i];
    return body + "]}";
  }
  std::size_t RunCount() {
    const Response r = Send("GET", "/v1/audit/runs", Role::kAuditor);
    EXPECT_EQ(r.status, 200) << r.body;
    return Body(r).at("runs").as_array().size();
  }
  UnixTime Now() { return r_.clock().Now(); }
};

TEST_F(AuditApiTest, AnAuditorSubmitsARunAndReadsTheReport) {
  const Response posted =
      Send("POST", "/v1/audit/runs", Role::kAuditor,
           Run("ISP One",
               {Item("domain:stream.example", "blocked-dns", Now() - 60),
                Item("ip:203.0.113.7", "accessible", Now() - 30),
                Item("gone.example", "down", Now() - 10, "")},
               R"("label":"lima-1","serial":1,"started_at":")" + FormatTime(Now() - 120) +
                   R"(","finished_at":")" + FormatTime(Now()) + "\","));
  ASSERT_EQ(posted.status, 201) << posted.body;
  const json::value w = Body(posted);
  EXPECT_EQ(w.at("accepted").as_int64(), 3);
  EXPECT_EQ(w.at("not_in_force").as_int64(), 1);
  EXPECT_EQ(w.at("vantage").as_string(), "ISP One");
  EXPECT_EQ(w.at("isp_id").as_int64(), isp_);
  EXPECT_EQ(w.at("verdicts").at("accessible").as_int64(), 1);

  const Response runs = Send("GET", "/v1/audit/runs", Role::kAuthorityReviewer);
  ASSERT_EQ(runs.status, 200) << runs.body;
  const json::value run = Body(runs).at("runs").at(0);
  EXPECT_EQ(run.at("id").as_int64(), w.at("run_id").as_int64());
  EXPECT_EQ(run.at("vantage").as_string(), "ISP One");
  EXPECT_EQ(run.at("label").as_string(), "lima-1");
  EXPECT_EQ(run.at("serial").as_int64(), 1);
  EXPECT_EQ(run.at("started").as_string(), FormatTime(Now() - 120));
  EXPECT_EQ(run.at("submitted_by").as_string(), "Observatory");
  EXPECT_EQ(run.at("actor").as_string().find("api:Observatory/auditor#"), 0u);
  EXPECT_EQ(run.at("results").as_int64(), 3);
  EXPECT_TRUE(Body(runs).at("next_after").is_null());
  EXPECT_EQ(Body(Send("GET", "/v1/audit/runs?isp=ISP%20Two", Role::kAuditor))
                .at("runs")
                .as_array()
                .size(),
            0u);
  EXPECT_EQ(Body(Send("GET", "/v1/audit/runs?limit=1", Role::kAuditor)).at("next_after").as_int64(),
            w.at("run_id").as_int64());

  const Response report = Send("GET", "/v1/audit/report", Role::kAuditor);
  ASSERT_EQ(report.status, 200) << report.body;
  const json::value c = Body(report);
  ASSERT_EQ(c.at("isps").as_array().size(), 2u);  // ISP One and ISP Two
  const json::value one = c.at("isps").at(0);
  EXPECT_EQ(one.at("isp").as_string(), "ISP One");
  EXPECT_EQ(one.at("targets").as_int64(), 4);  // the fixture's order R-1
  EXPECT_EQ(one.at("verdicts").at("blocked-dns").as_int64(), 1);
  EXPECT_EQ(one.at("verdicts").at("accessible").as_int64(), 1);
  EXPECT_EQ(one.at("blocked").as_int64(), 1);
  EXPECT_EQ(one.at("not_measured").as_int64(), 2);
  EXPECT_EQ(one.at("not_in_force").at("down").as_int64(), 1);
  EXPECT_EQ(c.at("isps").at(1).at("not_measured").as_int64(), 4);
  ASSERT_EQ(c.at("orders").as_array().size(), 1u);
  EXPECT_EQ(c.at("orders").at(0).at("order_reference").as_string(), "R-1");
  EXPECT_EQ(c.at("orders").at(0).at("items").as_int64(), 4);
  EXPECT_EQ(c.at("late").as_array().size(), 0u);

  const Response just_two =
      Send("GET", "/v1/audit/report?isp=%23" + std::to_string(other_isp_) + "&order=1",
           Role::kAuthorityAdmin);
  ASSERT_EQ(just_two.status, 200) << just_two.body;
  EXPECT_EQ(Body(just_two).at("isps").as_array().size(), 1u);
  EXPECT_EQ(Body(just_two).at("orders").at(0).at("isp").as_string(), "ISP Two");
}

TEST_F(AuditApiTest, ABadResultIsNamedAndNothingIsWritten) {
  Response r = Send("POST", "/v1/audit/runs", Role::kAuditor,
                    Run("ISP One", {Item("stream.example", "blocked-dns", Now()),
                                    Item("stream.example", "blocked", Now())}));
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(Field(r), "results[1].verdict");
  EXPECT_NE(r.body.find("inconclusive"), std::string::npos);  // the seven are listed
  ASSERT_EQ(Body(r).at("items").as_array().size(), 1u);

  // Several at once, found by the API (types, unknown fields) and by the registry (values).
  r = Send("POST", "/v1/audit/runs", Role::kAuditor,
           Run("ISP One", {R"({"target":"stream.example","verdict":5,"measured_at":"2026-09-21"})",
                           Item("a..example", "down", Now()),
                           Item("stream.example", "down", Now(), R"(,"evidence":[1])"),
                           Item("stream.example", "down", Now(), R"(,"colour":"red")"),
                           Item("stream.example", "down", Now() + kDay)}));
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(Field(r), "results");
  std::vector<std::string> fields;
  json::value refused = Body(r);
  for (const json::value& item : refused.at("items").as_array()) {
    fields.emplace_back(item.at("field").as_string());
  }
  // The API's own checks first; the registry's only when those pass.
  EXPECT_EQ(fields, (std::vector<std::string>{"results[0].verdict", "results[2].evidence",
                                              "results[3].colour"}));
  r = Send("POST", "/v1/audit/runs", Role::kAuditor,
           Run("ISP One",
               {Item("a..example", "down", Now()), Item("stream.example", "down", Now() + kDay)}));
  ASSERT_EQ(r.status, 400) << r.body;
  fields.clear();
  refused = Body(r);
  for (const json::value& item : refused.at("items").as_array()) {
    fields.emplace_back(item.at("field").as_string());
  }
  EXPECT_EQ(fields, (std::vector<std::string>{"results[0].target", "results[1].measured_at"}));

  // The vantage must be an ISP organization.
  r = Send("POST", "/v1/audit/runs", Role::kAuditor,
           Run("Nobody", {Item("stream.example", "down", Now())}));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(Field(r), "vantage");
  r = Send("POST", "/v1/audit/runs", Role::kAuditor,
           Run("IFPI", {Item("stream.example", "down", Now())}));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(Field(r), "vantage");
  EXPECT_NE(r.body.find("not an isp"), std::string::npos);

  // Run-level fields.
  r = Send("POST", "/v1/audit/runs", Role::kAuditor,
           Run("ISP One", {Item("stream.example", "down", Now())}, R"("serial":99,)"));
  EXPECT_EQ(Field(r), "serial");
  r = Send("POST", "/v1/audit/runs", Role::kAuditor,
           Run("ISP One", {Item("stream.example", "down", Now())}, R"("vintage":1,)"));
  EXPECT_EQ(Field(r), "vintage");
  r = Send("POST", "/v1/audit/runs", Role::kAuditor, R"({"vantage":"ISP One","results":[]})");
  EXPECT_EQ(Field(r), "results");
  r = Send("POST", "/v1/audit/runs", Role::kAuditor,
           Run("ISP One", {Item("stream.example", "down", Now())}, R"("started_at":"tomorrow",)"));
  EXPECT_EQ(Field(r), "started_at");

  // More than 5000 results is 413.
  std::vector<std::string> many(5001, Item("stream.example", "down", Now(), ""));
  r = Send("POST", "/v1/audit/runs", Role::kAuditor, Run("ISP One", many));
  EXPECT_EQ(r.status, 413) << r.body.substr(0, 300);
  EXPECT_EQ(Field(r), "results");

  EXPECT_EQ(RunCount(), 0u);
  const json::value report = Body(Send("GET", "/v1/audit/report", Role::kAuditor));
  EXPECT_EQ(report.at("isps").at(0).at("not_measured").as_int64(), 4);
}

TEST_F(AuditApiTest, TheReportListsItemsStillAccessibleAfterTheirDeadline) {
  // R-1 (torrent) was issued at kNow: its items are due within 24 hours.
  r_.clock().Set(kNow + 2 * 3600);
  ASSERT_EQ(Send("POST", "/v1/audit/runs", Role::kAuditor,
                 Run("ISP One", {Item("stream.example", "accessible", Now())}))
                .status,
            201);
  EXPECT_EQ(Body(Send("GET", "/v1/audit/report", Role::kAuditor)).at("late").as_array().size(), 0u);
  r_.clock().Set(kNow + 25 * 3600);
  ASSERT_EQ(Send("POST", "/v1/audit/runs", Role::kAuthorityAdmin,
                 Run("ISP One", {Item("stream.example", "accessible", Now()),
                                 Item("203.0.113.7", "blocked-ip", Now())}))
                .status,
            201);
  const Response r = Send("GET", "/v1/audit/report?isp=ISP%20One", Role::kAuditor);
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value late = Body(r).at("late");
  ASSERT_EQ(late.as_array().size(), 1u) << r.body;
  EXPECT_EQ(late.at(0).at("target").as_string(), "domain:stream.example");
  EXPECT_EQ(late.at(0).at("order_reference").as_string(), "R-1");
  EXPECT_EQ(late.at(0).at("deadline").as_string(), FormatTime(kNow + kDay));
  EXPECT_EQ(late.at(0).at("measured").as_string(), FormatTime(kNow + 25 * 3600));
  EXPECT_TRUE(late.at(0).at("acknowledged").is_null());
  EXPECT_EQ(Body(r).at("isps").at(0).at("late").as_int64(), 1);
  EXPECT_EQ(Body(r).at("orders").at(0).at("late").as_int64(), 1);

  // Unknown names and orders.
  Response bad = Send("GET", "/v1/audit/report?isp=Nobody", Role::kAuditor);
  EXPECT_EQ(bad.status, 404);
  EXPECT_EQ(Field(bad), "isp");
  bad = Send("GET", "/v1/audit/report?isp=IFPI", Role::kAuditor);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Field(bad), "isp");
  bad = Send("GET", "/v1/audit/report?order=999", Role::kAuditor);
  EXPECT_EQ(bad.status, 404);
  EXPECT_EQ(Field(bad), "order");
  bad = Send("GET", "/v1/audit/report?order=x", Role::kAuditor);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Field(bad), "order");
}

}  // namespace
}  // namespace interdict::api
