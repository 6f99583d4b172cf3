// audit report, audit submit, audit runs: compliance probes' results on the local registry.
// (`interdict audit` alone lists the audit trail, cmd_registry.cc; `audit run`, the probe
// itself, is added beside these.)
#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <iostream>

#include "cli.h"

namespace interdict::cli {
namespace {

namespace json = boost::json;

// Rows printed as aligned columns: the first `text_columns` left-aligned, the others (numbers)
// right-aligned.
void PrintTable(const std::vector<std::vector<std::string>>& rows, std::size_t text_columns) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()), 0);
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i > 0) line += "  ";
      const std::string pad(width[i] - row[i].size(), ' ');
      line += i < text_columns ? row[i] + (i + 1 < row.size() ? pad : "") : pad + row[i];
    }
    std::cout << line << "\n";
  }
}

std::vector<std::string> VerdictHeaders() {
  std::vector<std::string> out;
  for (int v = 0; v < kProbeVerdictCount; ++v) {
    out.emplace_back(Name(static_cast<ProbeVerdict>(v)));
  }
  return out;
}

void AppendTally(std::vector<std::string>* row, const VerdictTally& t) {
  for (const std::int64_t n : t) row->push_back(std::to_string(n));
}

void PrintReport(const Compliance& c) {
  std::cout << "compliance at " << FormatTime(c.at) << ", serial " << c.serial << "\n\n";
  std::vector<std::vector<std::string>> isps;
  std::vector<std::string> head = {"isp", "targets"};
  for (const std::string& v : VerdictHeaders()) head.push_back(v);
  head.insert(head.end(), {"not-measured", "late", "not-in-force"});
  isps.push_back(head);
  for (const IspCompliance& i : c.isps) {
    std::vector<std::string> row = {i.isp_org, std::to_string(i.targets)};
    AppendTally(&row, i.verdicts);
    std::int64_t outside = 0;
    for (const std::int64_t n : i.outside_view) outside += n;
    row.insert(row.end(),
               {std::to_string(i.not_measured), std::to_string(i.late), std::to_string(outside)});
    isps.push_back(std::move(row));
  }
  PrintTable(isps, 1);
  if (!c.orders.empty()) {
    std::cout << "\n";
    std::vector<std::vector<std::string>> orders;
    head = {"order", "isp", "items"};
    for (const std::string& v : VerdictHeaders()) head.push_back(v);
    head.insert(head.end(), {"not-measured", "late"});
    orders.push_back(head);
    for (const OrderCompliance& o : c.orders) {
      std::vector<std::string> row = {std::to_string(o.order_id) + " " + o.order_reference,
                                      o.isp_org, std::to_string(o.items)};
      AppendTally(&row, o.verdicts);
      row.insert(row.end(), {std::to_string(o.not_measured), std::to_string(o.late)});
      orders.push_back(std::move(row));
    }
    PrintTable(orders, 2);
  }
  std::cout << "\nlate items (accessible, measured after their deadline): " << c.late.size()
            << "\n";
  if (c.late.empty()) return;
  std::vector<std::vector<std::string>> late = {
      {"isp", "order", "target", "deadline", "measured", "acknowledged"}};
  for (const LateItem& l : c.late) {
    late.push_back({l.isp_org, std::to_string(l.order_id) + " " + l.order_reference,
                    l.target.ToString(), FormatTime(l.deadline), FormatTime(l.measured_at),
                    l.acknowledged.empty() ? "-" : l.acknowledged});
  }
  PrintTable(late, 6);
}

// A string field of a result line: absent or not a string is an error naming it.
Result<std::string> StringField(const json::object& o, std::string_view key, bool required) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) {
    if (required) return Status::InvalidArgument(std::string(key) + ": is required");
    return std::string();
  }
  if (!v->is_string()) return Status::InvalidArgument(std::string(key) + ": must be a string");
  return std::string(v->get_string());
}

// One line of `audit run --output`: {"target", "verdict", "measured_at", "evidence"?}.
Result<AuditResultInput> ParseResultLine(std::string_view line) {
  std::error_code ec;
  json::value v = json::parse(line, ec);
  if (ec) return Status::InvalidArgument("not valid JSON: " + ec.message());
  if (!v.is_object()) return Status::InvalidArgument("must be a JSON object");
  const json::object& o = v.get_object();
  for (const auto& kv : o) {
    const std::string_view key = kv.key();
    if (key != "target" && key != "verdict" && key != "measured_at" && key != "evidence") {
      return Status::InvalidArgument(std::string(key) +
                                     ": is not a field of a result (known: target, verdict, "
                                     "measured_at, evidence)");
    }
  }
  AuditResultInput in;
  ASSIGN_OR_RETURN(in.target, StringField(o, "target", true));
  ASSIGN_OR_RETURN(in.verdict, StringField(o, "verdict", true));
  ASSIGN_OR_RETURN(in.measured_at, StringField(o, "measured_at", true));
  if (const json::value* e = o.if_contains("evidence"); e != nullptr && !e->is_null()) {
    if (!e->is_object()) return Status::InvalidArgument("evidence: must be a JSON object");
    in.evidence = json::serialize(*e);
  }
  return in;
}

struct SubmitFlags {
  std::string file;
  std::string vantage;
  std::string label;
  Serial serial = -1;
};

Result<int> Submit(Context& ctx, const SubmitFlags& f) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (f.file != "-") {
    file.open(f.file, std::ios::binary);
    if (!file) return Status::IOError(f.file + ": cannot be read");
    in = &file;
  }
  AuditRunRequest run;
  run.vantage = f.vantage;
  run.label = f.label;
  if (f.serial >= 0) run.serial = f.serial;
  std::vector<std::size_t> lines;  // the line of each result
  std::string line;
  for (std::size_t n = 1; std::getline(*in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    Result<AuditResultInput> r = ParseResultLine(line);
    if (!r.ok()) return r.status().Prefixed(f.file + ":" + std::to_string(n));
    run.results.push_back(*std::move(r));
    lines.push_back(n);
    if (run.results.size() > kMaxAuditResults) {
      return Status::InvalidArgument(f.file + ": more than " + std::to_string(kMaxAuditResults) +
                                     " results; split the file");
    }
  }
  if (in->bad()) return Status::IOError(f.file + ": read error");
  if (run.results.empty()) return Status::InvalidArgument(f.file + ": no results");
  ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
  ASSIGN_OR_RETURN(AuditSubmission s, reg->SubmitAuditRun(ctx.actor(), 0, run));
  if (!s.ok()) {
    std::string msg;
    for (const AuditItemError& e : s.errors) {
      if (!msg.empty()) msg += "\n";
      msg += f.file + ":" + std::to_string(lines[e.index]) + ": " + e.field + ": " + e.message;
    }
    return Status::InvalidArgument(msg + "\nnothing was submitted");
  }
  if (ctx.json()) {
    PrintJson(json::object{{"run_id", s.run.id},
                           {"accepted", s.run.results},
                           {"not_in_force", s.run.not_in_force},
                           {"vantage", s.run.isp_org},
                           {"isp_id", s.run.isp_org_id}});
  } else {
    std::cout << "run " << s.run.id << ": " << s.run.results
              << (s.run.results == 1 ? " result" : " results") << " for " << s.run.isp_org << " ("
              << s.run.not_in_force << " not in force)\n";
  }
  return kExitOk;
}

}  // namespace

void AddComplianceCommands(CLI::App& audit, Context& ctx) {
  CLI::App* report =
      audit.add_subcommand("report", "compliance per ISP and per order, and the late items");
  auto isp = std::make_shared<std::string>();
  auto order = std::make_shared<std::string>();
  report->add_option("--isp", *isp, "one ISP organization (name or #ID)");
  report->add_option("--order", *order, "one order (id or reference)");
  SetAction(report, [&ctx, isp, order]() -> Result<int> {
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    std::optional<Id> isp_id;
    std::optional<Id> order_id;
    if (!isp->empty()) {
      Result<Organization> org = reg->FindIsp(*isp);
      if (!org.ok()) return org.status();  // "isp: ..."
      isp_id = org->id;
    }
    if (!order->empty()) {
      Result<Order> o = reg->FindOrder(*order);
      if (!o.ok()) return o.status().Prefixed("--order");
      order_id = o->id;
    }
    ASSIGN_OR_RETURN(Compliance c, reg->ComplianceReport(isp_id, order_id));
    if (ctx.json()) {
      PrintJson(ToJson(c));
    } else {
      PrintReport(c);
    }
    return kExitOk;
  });

  CLI::App* submit = audit.add_subcommand(
      "submit", "submit a probe's results (JSON lines, as `audit run --output` writes them)");
  auto flags = std::make_shared<SubmitFlags>();
  submit->add_option("file", flags->file, "the results, one JSON object per line (- for stdin)")
      ->required();
  submit->add_option("--vantage", flags->vantage, "the ISP organization measured (name or #ID)")
      ->required();
  submit->add_option("--label", flags->label, "where the probe ran");
  submit->add_option("--serial", flags->serial, "the feed serial the targets came from");
  SetAction(submit, [&ctx, flags]() { return Submit(ctx, *flags); });

  CLI::App* runs = audit.add_subcommand("runs", "the probe runs submitted");
  auto runs_isp = std::make_shared<std::string>();
  runs->add_option("--isp", *runs_isp, "of one ISP organization (name or #ID)");
  SetAction(runs, [&ctx, runs_isp]() -> Result<int> {
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    AuditRunFilter filter;
    if (!runs_isp->empty()) {
      Result<Organization> org = reg->FindIsp(*runs_isp);
      if (!org.ok()) return org.status();
      filter.isp_org_id = org->id;
    }
    ASSIGN_OR_RETURN(std::vector<AuditRun> list, reg->ListAuditRuns(filter));
    json::array out;
    for (const AuditRun& r : list) {
      if (ctx.json()) {
        out.push_back(ToJson(r));
      } else {
        std::cout << r.id << "\t" << r.isp_org << "\t" << r.label << "\t"
                  << FormatTime(r.started_at) << "\t" << r.results << " measured\t"
                  << r.not_in_force << " not in force\t" << r.actor << "\n";
      }
    }
    if (ctx.json()) PrintJson(out);
    return kExitOk;
  });
}

}  // namespace interdict::cli
