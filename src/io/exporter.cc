#include "io/exporter.h"

#include <memory>
#include <unordered_map>

#include "io/cp1251.h"
#include "io/csv_format.h"
#include "io/json_format.h"

namespace interdict {
namespace {

// One line per (target, order): z-i has one column per kind and no expiry.
Status WriteZiCsv(const InForceSnapshot& snap, UnixTime now, std::ostream& out,
                  ExportReport* report) {
  Cp1251Encoder enc;
  if (!enc.ok()) return Status::Internal("iconv has no cp1251 converter");
  std::unordered_map<Id, std::pair<std::string, std::string>> encoded;  // body, reference
  for (const Order& o : snap.orders) {
    Result<std::string> body = enc.Encode(o.body);
    Result<std::string> ref = enc.Encode(o.reference);
    if (!body.ok() || !ref.ok()) {
      return (body.ok() ? ref.status() : body.status())
          .Prefixed("order " + std::to_string(o.id) + " cannot be written as z-i");
    }
    if (o.body.find_first_of(";\n") != std::string::npos ||
        o.reference.find_first_of(";\n") != std::string::npos) {
      return Status::InvalidArgument("order " + std::to_string(o.id) +
                                     ": body or reference holds ';' or a line break, which z-i "
                                     "cannot express");
    }
    encoded[o.id] = {*std::move(body), *std::move(ref)};
  }
  std::unordered_map<Id, const Order*> orders;
  for (const Order& o : snap.orders) orders[o.id] = &o;
  std::string now_text = FormatTime(now);
  now_text = now_text.substr(0, 10) + " " + now_text.substr(11, 8) + " +0000";
  out << "Updated: " << now_text << '\n';
  for (const InForceEntry& e : snap.entries) {
    std::string ips;
    std::string domains;
    std::string urls;
    switch (e.target.kind) {
      case TargetKind::kIp:
      case TargetKind::kCidr: ips = e.target.value; break;
      case TargetKind::kDomain: domains = e.target.value; break;
      case TargetKind::kDomainTree: domains = "*." + e.target.value; break;
      case TargetKind::kUrl:
        if (e.target.value.find_first_of(";|") != std::string::npos) {
          ++report->skipped;
          continue;
        }
        urls = e.target.value;
        break;
      case TargetKind::kApp:
      case TargetKind::kSearch: ++report->skipped; continue;
    }
    const auto& [body, ref] = encoded.at(e.order_id);
    out << ips << ';' << domains << ';' << urls << ';' << body << ';' << ref << ';'
        << FormatDate(orders.at(e.order_id)->issued_at) << '\n';
    ++report->targets;
  }
  return Status::Ok();
}

}  // namespace

Result<ExportFormat> ParseExportFormat(std::string_view name) {
  if (name == "csv") return ExportFormat::kCsv;
  if (name == "json") return ExportFormat::kJson;
  if (name == "zi-csv") return ExportFormat::kZiCsv;
  return Status::InvalidArgument("unknown export format \"" + std::string(name) +
                                 "\"; expected csv, json or zi-csv");
}

Result<ExportReport> ExportInForce(Registry& registry, ExportFormat format, std::ostream& out) {
  ASSIGN_OR_RETURN(InForceSnapshot snap, registry.Snapshot());
  ExportReport report;
  report.serial = snap.serial;
  report.orders = snap.orders.size();
  const UnixTime now = registry.clock().Now();
  switch (format) {
    case ExportFormat::kCsv: {
      ASSIGN_OR_RETURN(report.targets, WriteCsvOrders(snap, out));
      break;
    }
    case ExportFormat::kJson:
      RETURN_IF_ERROR(WriteJsonOrders(snap, now, out));
      report.targets = snap.entries.size();
      break;
    case ExportFormat::kZiCsv: RETURN_IF_ERROR(WriteZiCsv(snap, now, out, &report)); break;
  }
  out.flush();
  if (!out) return Status::IOError("cannot write the export");
  return report;
}

}  // namespace interdict
