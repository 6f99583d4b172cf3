// import, export, demo.
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>

#include "cli.h"
#include "feed/format.h"
#include "feed/view.h"
#include "io/exporter.h"
#include "io/importer.h"
#include "sign/signing.h"

namespace interdict::cli {
namespace {

namespace json = boost::json;

// A one-line progress bar on stderr, only when stderr is a terminal.
class ProgressBar {
 public:
  ProgressBar() : enabled_(isatty(STDERR_FILENO) != 0) {}
  ~ProgressBar() {
    if (drawn_) std::cerr << "\n";
  }
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void Update(std::uint64_t done, std::uint64_t total) {
    if (!enabled_) return;
    drawn_ = true;
    constexpr int kWidth = 40;
    if (total == 0) {
      std::cerr << "\r" << done / (1u << 20) << " MiB read" << std::flush;
      return;
    }
    const int filled = static_cast<int>(std::min<std::uint64_t>(done, total) * kWidth / total);
    std::cerr << "\r[" << std::string(static_cast<std::size_t>(filled), '#')
              << std::string(static_cast<std::size_t>(kWidth - filled), ' ') << "] "
              << std::min<std::uint64_t>(done, total) * 100 / total << "%" << std::flush;
  }

 private:
  bool enabled_;
  bool drawn_ = false;
};

struct ImportArgs {
  std::string format;
  std::string file;
  bool strict = false;
  std::string rejects;
  std::string expires;
  std::string order_kind = "administrative-decision";
  std::vector<std::string> scope;
  std::vector<std::string> categories;
  Id confirm = 0;
};

Result<int> RunImport(Context& ctx, const ImportArgs& a) {
  ImportOptions opt;
  ASSIGN_OR_RETURN(opt.format, ParseImportFormat(a.format));
  opt.path = a.file;
  opt.strict = a.strict;
  opt.confirm = a.confirm;
  opt.rejects_path = a.rejects;
  if (!a.expires.empty()) {
    Result<UnixTime> t = ParseTime(a.expires);
    if (!t.ok()) return t.status().Prefixed("--expires");
    opt.expires_at = *t;
  }
  ASSIGN_OR_RETURN(opt.kind, ParseOrderKind(a.order_kind));
  std::string joined;
  for (const std::string& s : a.scope) joined += s + ",";
  if (!joined.empty()) {
    ASSIGN_OR_RETURN(opt.scope, ParseScopes(joined));
  }
  joined.clear();
  for (const std::string& c : a.categories) joined += c + ",";
  ASSIGN_OR_RETURN(opt.categories, ParseCategories(joined));
  ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
  ProgressBar bar;
  opt.progress = [&bar](std::uint64_t done, std::uint64_t total) { bar.Update(done, total); };
  ASSIGN_OR_RETURN(ImportReport r, ImportFile(*reg, ctx.actor(), opt));
  opt.progress = nullptr;
  for (const std::string& e : r.errors) std::cerr << e << "\n";
  if (ctx.json()) {
    json::array errors(r.errors.begin(), r.errors.end());
    PrintJson(json::object{{"imported", r.imported},
                           {"records", r.records},
                           {"records_rejected", r.records_rejected},
                           {"targets_read", r.targets_read},
                           {"orders_created", r.stats.orders_created},
                           {"orders_extended", r.stats.orders_extended},
                           {"targets_attached", r.stats.targets_attached},
                           {"targets_in_force", r.stats.targets_in_force},
                           {"serial", r.stats.serial},
                           {"rejects_file", r.rejects_path},
                           {"errors", std::move(errors)}});
  } else if (r.imported) {
    std::cout << "imported " << r.records - r.records_rejected << " of " << r.records
              << " records: " << r.stats.orders_created << " new orders, "
              << r.stats.orders_extended << " extended, " << r.stats.targets_attached
              << " targets attached, " << r.stats.targets_in_force << " newly in force";
    if (r.stats.serial != 0) std::cout << ", serial " << r.stats.serial;
    std::cout << "\n";
    if (r.records_rejected > 0) {
      std::cout << r.records_rejected << " records rejected; written to " << r.rejects_path << "\n";
    }
  }
  if (!r.imported) {
    return Status::FailedPrecondition(std::to_string(r.records_rejected) + " of " +
                                      std::to_string(r.records) +
                                      " records are bad; --strict imported nothing");
  }
  // Without --strict, importing the good records and setting the bad ones aside is success.
  return kExitOk;
}

struct ExportArgs {
  std::string format;
  std::string output;
  std::string view;
  std::int64_t since = 0;
  bool has_since = false;
  std::string zone;
  std::string notice_host;
  std::string sign_key;
};

// Writes a document through `write`: to standard output, or beside `output` and renamed over
// it, so that a reader never sees half a document.
template <typename Report>
Result<Report> WriteDocument(const std::string& output,
                             const std::function<Result<Report>(std::ostream&)>& write) {
  if (output.empty() || output == "-") return write(std::cout);
  const std::string tmp = output + ".tmp";
  Report r;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::IOError("cannot write " + tmp);
    Result<Report> written = write(out);
    if (written.ok()) {
      out.flush();
      if (!out) written = Status::IOError("cannot write " + tmp);
    }
    if (!written.ok()) {
      out.close();
      std::error_code ignored;
      std::filesystem::remove(tmp, ignored);
      return written.status();
    }
    r = *std::move(written);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, output, ec);
  if (ec) return Status::IOError("cannot rename " + tmp + " to " + output + ": " + ec.message());
  return r;
}

// The in-force set as a whole (no --view): csv, json, zi-csv, as `import` reads them back.
Result<int> RunExportInForce(Context& ctx, const ExportArgs& a) {
  if (a.has_since || !a.zone.empty() || !a.notice_host.empty()) {
    return Status::InvalidArgument("--since, --zone and --notice-host need --view");
  }
  ASSIGN_OR_RETURN(ExportFormat f, ParseExportFormat(a.format));
  ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
  ASSIGN_OR_RETURN(ExportReport r, WriteDocument<ExportReport>(a.output, [&](std::ostream& out) {
                     return ExportInForce(*reg, f, out);
                   }));
  std::cerr << "exported " << r.targets << " in-force target(s) of " << r.orders
            << " order(s) at serial " << r.serial;
  if (r.skipped > 0) std::cerr << "; " << r.skipped << " the format cannot express were left out";
  std::cerr << "\n";
  return kExitOk;
}

// One view, whole or as a delta (--since), in a feed format.
Result<int> RunExportView(Context& ctx, const ExportArgs& a) {
  ASSIGN_OR_RETURN(const feed::View view, feed::ParseView(a.view));
  ASSIGN_OR_RETURN(const feed::FeedFormat format, feed::ParseFeedFormat(a.format));
  if ((!a.zone.empty() || !a.notice_host.empty()) && format != feed::FeedFormat::kRpz) {
    return Status::InvalidArgument("--zone and --notice-host apply to --format rpz");
  }
  feed::FormatOptions options;
  if (!a.zone.empty()) options.rpz_zone = a.zone;
  options.notice_host = a.notice_host;
  ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
  ASSIGN_OR_RETURN(const feed::ViewSet now, feed::ReadView(*reg, view));
  if (a.has_since && a.since > now.serial) {
    return Status::InvalidArgument("--since " + std::to_string(a.since) +
                                   " is after the registry's serial " + std::to_string(now.serial));
  }
  if (format == feed::FeedFormat::kZiCsv) {
    ASSIGN_OR_RETURN(options.updated_at, feed::SerialTime(*reg, now.serial));
  }
  std::optional<feed::ViewDelta> delta;
  if (a.has_since) {
    ASSIGN_OR_RETURN(delta, feed::ReadDelta(*reg, now, a.since));
  }
  ASSIGN_OR_RETURN(const feed::FormatReport r,
                   WriteDocument<feed::FormatReport>(a.output, [&](std::ostream& out) {
                     return delta ? feed::WriteDelta(now, *delta, format, options, out)
                                  : feed::WriteView(now, format, options, out);
                   }));
  std::cerr << "exported the " << a.view << " view";
  if (delta) std::cerr << " delta from serial " << delta->from << " to " << delta->to;
  if (!delta) std::cerr << " at serial " << now.serial;
  std::cerr << " as " << a.format << ": " << r.written << " entr" << (r.written == 1 ? "y" : "ies")
            << " written, " << r.skipped << " left out\n";
  for (const std::string& note : r.notes) std::cerr << "note: " << note << "\n";
  return kExitOk;
}

Result<int> RunExport(Context& ctx, const ExportArgs& a) {
  if (!a.sign_key.empty() && (a.output.empty() || a.output == "-")) {
    return Status::InvalidArgument("--sign needs -o FILE: the signature is written to FILE.sig");
  }
  ASSIGN_OR_RETURN(const int code,
                   a.view.empty() ? RunExportInForce(ctx, a) : RunExportView(ctx, a));
  if (!a.sign_key.empty()) {
    RETURN_IF_ERROR(WriteDetachedSignature(a.sign_key, a.output));
    std::cerr << "signed: " << a.output << ".sig\n";
  }
  return code;
}

}  // namespace

void AddTransferCommands(CLI::App& app, Context& ctx) {
  CLI::App* import = app.add_subcommand("import", "bulk import from a register file");
  auto a = std::make_shared<ImportArgs>();
  import->add_option("--format", a->format, "zi-csv, dump-xml, json or csv")->required();
  import->add_option("file", a->file, "the file to import")->required()->check(CLI::ExistingFile);
  import->add_flag("--strict", a->strict, "import nothing if any record is bad");
  import->add_option("--rejects", a->rejects, "where rejected records go (default FILE.rejects)");
  import->add_option("--expires", a->expires,
                     "expiry of imported orders for formats without one (default: in one year)");
  import->add_option("--order-kind", a->order_kind, "kind of imported orders (zi-csv, dump-xml)");
  import->add_option("--scope", a->scope, "scope of imported orders (default isp)")->delimiter(',');
  import->add_option("--category", a->categories, "categories of imported orders")->delimiter(',');
  import->add_option("--confirm", a->confirm,
                     "apply an import held for exceeding the registry's bounds: the held "
                     "change's id (interdict held); the import must be the same change");
  SetAction(import, [&ctx, a]() { return RunImport(ctx, *a); });

  CLI::App* exp = app.add_subcommand("export", "export the in-force set, or a view as a feed");
  auto e = std::make_shared<ExportArgs>();
  exp->add_option("--format", e->format,
                  "without --view: csv, json or zi-csv; with --view: rpz, hosts, domains, unbound, "
                  "nft, ipset, bird, csv, json or zi-csv")
      ->required();
  exp->add_option("--output,-o", e->output, "file to write (default: standard output)");
  exp->add_option("--view", e->view, "the view to export: isp, vpn, search or appstore");
  CLI::Option* since =
      exp->add_option("--since", e->since, "write the change since this serial (needs --view)");
  exp->add_option("--zone", e->zone, "rpz: the zone's name (default rpz.interdict.invalid.)");
  exp->add_option("--notice-host", e->notice_host,
                  "rpz: answer with a CNAME to this host instead of NXDOMAIN");
  exp->add_option("--sign", e->sign_key, "sign the document with this secret key file (FILE.sig)");
  SetAction(exp, [&ctx, e, since]() {
    e->has_since = since->count() > 0;
    return RunExport(ctx, *e);
  });
}

}  // namespace interdict::cli
