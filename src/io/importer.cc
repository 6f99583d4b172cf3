#include "io/importer.h"

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "io/byte_source.h"
#include "io/csv_format.h"
#include "io/json_format.h"
#include "io/register_reader.h"

namespace interdict {
namespace {

constexpr std::int64_t kDefaultValiditySeconds = std::int64_t{365} * 86400;

// Collects rejects and writes them to the rejects file at the end.
class Rejects {
 public:
  void Add(std::string error, std::string raw) {
    errors_.push_back(std::move(error));
    raws_.push_back(std::move(raw));
  }
  std::size_t size() const { return errors_.size(); }
  std::vector<std::string>& errors() { return errors_; }

  // z-i: the original lines (cp1251 bytes as read); other formats: "location: reason" lines.
  Status Write(const std::string& path, bool raw_lines) const {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) return Status::IOError("cannot write rejects file " + path);
    for (std::size_t i = 0; i < errors_.size(); ++i) {
      out << (raw_lines ? raws_[i] : errors_[i]) << '\n';
    }
    out.flush();
    if (!out) return Status::IOError("cannot write rejects file " + path);
    return Status::Ok();
  }

 private:
  std::vector<std::string> errors_;
  std::vector<std::string> raws_;
};

// Normalizes every value of one field into `out`; the first bad value rejects the record.
Status AddAll(const std::vector<std::string>& values, std::string_view field,
              const std::function<Result<Target>(std::string_view)>& normalize,
              std::vector<Target>* out) {
  for (const std::string& v : values) {
    Result<Target> t = normalize(v);
    if (!t.ok()) return t.status().Prefixed("field '" + std::string(field) + "'");
    out->push_back(std::move(t).value());
  }
  return Status::Ok();
}

Result<Target> AsIp(std::string_view v) {
  return NormalizeTarget(TargetKind::kIp, v);
}
Result<Target> AsCidr(std::string_view v) {
  // Registers sometimes list a single address as a /32 or /128 subnet; keep it a cidr.
  return NormalizeTarget(TargetKind::kCidr, v);
}
Result<Target> AsUrl(std::string_view v) {
  return NormalizeTarget(TargetKind::kUrl, v);
}
// The registers' domain column holds the host of the blocked URL, which is an address when
// the site has no name: such a value is an ip target.
Result<Target> AsDomainOrMask(std::string_view v) {
  if (v.starts_with("*.")) return NormalizeTarget(TargetKind::kDomainTree, v);
  if (Result<Target> ip = NormalizeTarget(TargetKind::kIp, v); ip.ok()) return ip;
  return NormalizeTarget(TargetKind::kDomain, v);
}
Result<Target> AsTree(std::string_view v) {
  return NormalizeTarget(TargetKind::kDomainTree, v);
}

// Maps a register record to an order header and its targets.
//   z-i and xml blockType default: every ip, subnet, domain (`*.x` → domain-tree) and url;
//   blockType domain: domains and addresses; domain-mask: domains as trees and addresses;
//   blockType ip: addresses and subnets only.
Status RecordToOrder(const RegisterRecord& rec, const ImportOptions& opt, UnixTime default_expiry,
                     OrderRequest* header, std::vector<Target>* targets) {
  targets->clear();
  if (rec.body.empty()) return Status::InvalidArgument("field 'body' is empty");
  if (rec.number.empty()) return Status::InvalidArgument("field 'number' is empty");
  Result<UnixTime> date = ParseDate(rec.date);
  if (!date.ok()) return date.status().Prefixed("field 'date'");
  header->body = rec.body;
  header->reference = rec.number;
  header->issued_at = *date;
  header->effective_at = *date;
  header->expires_at = opt.expires_at != 0 ? opt.expires_at : default_expiry;
  header->kind = opt.kind;
  header->scope = opt.scope;
  header->categories = opt.categories;
  header->dynamic = false;
  const std::string& bt = rec.block_type;
  RETURN_IF_ERROR(AddAll(rec.ips, "ips", AsIp, targets));
  RETURN_IF_ERROR(AddAll(rec.subnets, "subnets", AsCidr, targets));
  if (bt != "ip") {
    RETURN_IF_ERROR(
        AddAll(rec.domains, "domains", bt == "domain-mask" ? AsTree : AsDomainOrMask, targets));
  }
  if (bt.empty() || bt == "default") RETURN_IF_ERROR(AddAll(rec.urls, "urls", AsUrl, targets));
  if (targets->empty()) return Status::InvalidArgument("the record blocks nothing");
  if (header->expires_at <= header->effective_at) {
    return Status::InvalidArgument("field 'date': decision date " + rec.date +
                                   " is not before the expiry " + FormatDate(header->expires_at));
  }
  return Status::Ok();
}

bool IsRecordError(const Status& s) {
  return s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kFailedPrecondition;
}

Status ImportRegister(ImportBatch& batch, RegisterReader& reader, const ImportOptions& opt,
                      UnixTime default_expiry, ImportReport* report, Rejects* rejects) {
  RegisterRecord rec;
  OrderRequest header;
  std::vector<Target> targets;
  std::uint64_t next_progress = 0;
  for (;;) {
    ASSIGN_OR_RETURN(bool more, reader.Next(&rec));
    if (!more) break;
    ++report->records;
    if (opt.progress && reader.bytes_read() >= next_progress) {
      opt.progress(reader.bytes_read(), reader.bytes_total());
      next_progress = reader.bytes_read() + (1u << 20);
    }
    Status st = rec.error.empty() ? RecordToOrder(rec, opt, default_expiry, &header, &targets)
                                  : Status::InvalidArgument(rec.error);
    // In strict mode the first reject dooms the import: keep checking, stop writing.
    if (st.ok() && !(opt.strict && rejects->size() > 0)) st = batch.Add(header, targets);
    if (!st.ok()) {
      if (!IsRecordError(st)) return st.Prefixed(rec.location);
      rejects->Add(rec.location + ": " + st.message(), rec.raw);
      continue;
    }
    report->targets_read += targets.size();
  }
  if (opt.progress) opt.progress(reader.bytes_read(), reader.bytes_total());
  return Status::Ok();
}

Status ImportRecords(ImportBatch& batch, const ImportOptions& opt, ImportReport* report,
                     Rejects* rejects) {
  std::vector<OrderRecord> orders;
  if (opt.format == ImportFormat::kJson) {
    ASSIGN_OR_RETURN(orders, ReadJsonOrders(opt.path));
  } else {
    ASSIGN_OR_RETURN(std::string text, ReadFileToString(opt.path));
    ASSIGN_OR_RETURN(orders, ParseCsvOrders(text, opt.path));
  }
  std::size_t done = 0;
  for (OrderRecord& o : orders) {
    ++report->records;
    Status st = o.error.empty() ? Status::Ok() : Status::InvalidArgument(o.error);
    if (st.ok() && !(opt.strict && rejects->size() > 0)) st = batch.Add(o.header, o.header.targets);
    if (!st.ok()) {
      if (!IsRecordError(st)) return st.Prefixed(o.location);
      rejects->Add(o.location + ": " + st.message(), "");
    } else {
      report->targets_read += o.header.targets.size();
    }
    if (opt.progress && (++done % 1024) == 0) opt.progress(done, orders.size());
  }
  return Status::Ok();
}

}  // namespace

Result<ImportFormat> ParseImportFormat(std::string_view name) {
  if (name == "zi-csv") return ImportFormat::kZiCsv;
  if (name == "dump-xml") return ImportFormat::kDumpXml;
  if (name == "json") return ImportFormat::kJson;
  if (name == "csv") return ImportFormat::kCsv;
  return Status::InvalidArgument("unknown import format \"" + std::string(name) +
                                 "\"; expected zi-csv, dump-xml, json or csv");
}

Result<ImportReport> ImportFile(Registry& registry, std::string_view actor,
                                const ImportOptions& options) {
  ImportReport report;
  Rejects rejects;
  const UnixTime default_expiry = registry.clock().Now() + kDefaultValiditySeconds;
  std::unique_ptr<RegisterReader> reader;
  if (options.format == ImportFormat::kZiCsv) {
    ASSIGN_OR_RETURN(reader, OpenZiCsv(options.path));
  } else if (options.format == ImportFormat::kDumpXml) {
    ASSIGN_OR_RETURN(reader, OpenDumpXml(options.path));
  }
  Result<ImportStats> stats = registry.Import(
      actor, options.path,
      [&](ImportBatch& batch) {
        RETURN_IF_ERROR(
            reader ? ImportRegister(batch, *reader, options, default_expiry, &report, &rejects)
                   : ImportRecords(batch, options, &report, &rejects));
        if (options.strict && rejects.size() > 0) {
          return Status::FailedPrecondition(std::to_string(rejects.size()) + " of " +
                                            std::to_string(report.records) +
                                            " records are bad; strict mode imports nothing");
        }
        return Status::Ok();
      },
      options.confirm);
  report.records_rejected = rejects.size();
  if (stats.ok()) {
    report.stats = *stats;
    report.imported = true;
    if (report.records_rejected > 0) {
      report.rejects_path =
          options.rejects_path.empty() ? options.path + ".rejects" : options.rejects_path;
      RETURN_IF_ERROR(rejects.Write(report.rejects_path, options.format == ImportFormat::kZiCsv)
                          .Prefixed("the import succeeded, but"));
    }
  } else if (!options.strict || report.records_rejected == 0) {
    return stats.status();
  }
  // In strict mode with rejects, imported stays false and the errors say why.
  report.errors = std::move(rejects.errors());
  return report;
}

}  // namespace interdict
