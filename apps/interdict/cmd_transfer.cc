// import, export, demo.
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli.h"
#include "io/exporter.h"
#include "io/importer.h"

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
};

Result<int> RunImport(Context& ctx, const ImportArgs& a) {
  ImportOptions opt;
  ASSIGN_OR_RETURN(opt.format, ParseImportFormat(a.format));
  opt.path = a.file;
  opt.strict = a.strict;
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

Result<int> RunExport(Context& ctx, const std::string& format, const std::string& output) {
  ASSIGN_OR_RETURN(ExportFormat f, ParseExportFormat(format));
  ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
  ExportReport r;
  if (output.empty() || output == "-") {
    ASSIGN_OR_RETURN(r, ExportInForce(*reg, f, std::cout));
  } else {
    // Write beside the destination and rename, so a reader never sees half an export.
    const std::string tmp = output + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) return Status::IOError("cannot write " + tmp);
      ASSIGN_OR_RETURN(r, ExportInForce(*reg, f, out));
    }
    std::error_code ec;
    std::filesystem::rename(tmp, output, ec);
    if (ec) return Status::IOError("cannot rename " + tmp + " to " + output + ": " + ec.message());
  }
  std::cerr << "exported " << r.targets << " in-force target(s) of " << r.orders
            << " order(s) at serial " << r.serial;
  if (r.skipped > 0) std::cerr << "; " << r.skipped << " the format cannot express were left out";
  std::cerr << "\n";
  return kExitOk;
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
  SetAction(import, [&ctx, a]() { return RunImport(ctx, *a); });

  CLI::App* exp = app.add_subcommand("export", "export the in-force set");
  auto format = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  exp->add_option("--format", *format, "csv, json or zi-csv")->required();
  exp->add_option("--output,-o", *output, "file to write (default: standard output)");
  SetAction(exp, [&ctx, format, output]() { return RunExport(ctx, *format, *output); });
}

}  // namespace interdict::cli
