// ranges import, pdns import, popular import, whitelist import, asn import; guard list, check,
// override, overrides: the collateral-damage guard's data and decisions (src/guard,
// src/registry/collateral.cc).
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli.h"
#include "guard/data.h"

namespace interdict::cli {
namespace {

namespace json = boost::json;

// Data files are read whole; the largest public range list (Azure) is about 1 MB.
constexpr std::uintmax_t kMaxGuardFile = std::uintmax_t{256} << 20;

Result<std::string> ReadDataFile(const std::string& path) {
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return Status::IOError("cannot read " + path + ": " + ec.message());
  if (size > kMaxGuardFile) {
    return Status::InvalidArgument(path + ": larger than " + std::to_string(kMaxGuardFile >> 20) +
                                   " MiB");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) return Status::IOError("cannot read " + path);
  return text.str();
}

Result<int> RunImport(Context& ctx, const std::string& kind, const std::vector<std::string>& files,
                      const std::string& name) {
  if (!name.empty() && files.size() > 1) {
    return Status::InvalidArgument("--name names one file's set; give one file with it");
  }
  ASSIGN_OR_RETURN(Registry * reg, ctx.Open(false));
  json::array done;
  for (const std::string& file : files) {
    GuardSet set;
    set.kind = kind;
    set.name = !name.empty()      ? name
               : kind == "ranges" ? guard::ProviderNameFromPath(file)
                                  : std::filesystem::path(file).filename().string();
    set.source = file;
    ASSIGN_OR_RETURN(set.content, ReadDataFile(file));
    ASSIGN_OR_RETURN(GuardSet stored, reg->ImportGuardSet(ctx.actor(), std::move(set)));
    if (!ctx.json()) {
      std::cout << kind << " " << stored.name << ": " << stored.bytes << " bytes from " << file
                << "\n";
    }
    done.push_back(json::object{{"kind", kind}, {"name", stored.name}, {"bytes", stored.bytes}});
  }
  if (ctx.json()) PrintJson(done);
  return kExitOk;
}

Result<int> RunCheck(Context& ctx, const std::vector<std::string>& spelled) {
  ASSIGN_OR_RETURN(std::vector<Target> targets, ParseTargets(spelled));
  ASSIGN_OR_RETURN(Registry * reg, ctx.Open(false));
  ASSIGN_OR_RETURN(std::vector<TargetAssessment> assessed, reg->Assess(targets));
  bool any_refused = false;
  json::array out;
  for (const TargetAssessment& a : assessed) {
    any_refused |= a.refused();
    json::array findings;
    for (const guard::Finding& f : a.findings) {
      findings.push_back(json::object{{"rule", guard::RuleName(f.rule)},
                                      {"severity", guard::SeverityName(f.severity)},
                                      {"explanation", f.explanation}});
      if (!ctx.json()) {
        std::cout << a.target.ToString() << "\t" << guard::SeverityName(f.severity) << "\t"
                  << guard::RuleName(f.rule) << "\t" << f.explanation << "\n";
      }
    }
    if (!ctx.json()) {
      if (a.findings.empty()) std::cout << a.target.ToString() << "\tclear\n";
      if (!a.findings.empty() && a.override_) {
        std::cout << a.target.ToString() << "\toverridden\t#" << a.override_->id << " by "
                  << a.override_->actor << ": " << a.override_->reason << "\n";
      }
    }
    out.push_back(json::object{{"target", a.target.ToString()},
                               {"refused", a.refused()},
                               {"findings", std::move(findings)},
                               {"override", a.override_ ? json::value(a.override_->id) : nullptr}});
  }
  if (ctx.json()) PrintJson(out);
  return any_refused ? kExitNo : kExitOk;
}

Result<int> RunOverride(Context& ctx, const std::string& spelled, const std::string& reason) {
  ASSIGN_OR_RETURN(Target target, ParseTarget(spelled));
  ASSIGN_OR_RETURN(Registry * reg, ctx.Open(false));
  ASSIGN_OR_RETURN(GuardOverride o, reg->OverrideGuard(ctx.actor(), target, reason));
  if (ctx.json()) {
    PrintJson(
        json::object{{"id", o.id}, {"target", o.target.ToString()}, {"findings", o.findings}});
  } else {
    std::cout << "override " << o.id << ": " << o.target.ToString() << " (" << o.findings << ")\n";
  }
  return kExitOk;
}

Result<int> RunList(Context& ctx, bool overrides) {
  ASSIGN_OR_RETURN(Registry * reg, ctx.Open(false));
  json::array out;
  if (overrides) {
    ASSIGN_OR_RETURN(std::vector<GuardOverride> all, reg->GuardOverrides());
    for (const GuardOverride& o : all) {
      out.push_back(json::object{{"id", o.id},
                                 {"target", o.target.ToString()},
                                 {"findings", o.findings},
                                 {"reason", o.reason},
                                 {"actor", o.actor},
                                 {"at", FormatTime(o.at)}});
      if (!ctx.json()) {
        std::cout << o.id << "\t" << o.target.ToString() << "\t" << FormatTime(o.at) << "\t"
                  << o.actor << "\t" << o.reason << "\n";
      }
    }
  } else {
    ASSIGN_OR_RETURN(std::vector<GuardSet> sets, reg->GuardSets());
    for (const GuardSet& s : sets) {
      out.push_back(json::object{{"kind", s.kind},
                                 {"name", s.name},
                                 {"source", s.source},
                                 {"bytes", s.bytes},
                                 {"imported", FormatTime(s.imported_at)},
                                 {"actor", s.actor}});
      if (!ctx.json()) {
        std::cout << s.kind << "\t" << s.name << "\t" << s.bytes << " bytes\t"
                  << FormatTime(s.imported_at) << "\t" << s.source << "\n";
      }
    }
  }
  if (ctx.json()) PrintJson(out);
  return kExitOk;
}

}  // namespace

void AddGuardCommands(CLI::App& app, Context& ctx) {
  struct DataKind {
    const char* command;
    const char* kind;
    const char* help;
  };
  static constexpr DataKind kKinds[] = {
      {"ranges", "ranges",
       "CDN and cloud address ranges (one CIDR per line, or Type,Address CSV); the provider is "
       "the file's base name"},
      {"pdns", "pdns", "passive DNS observations: domain,ip,last-seen"},
      {"popular", "popular", "a popular-sites list: rank,domain (Tranco) or one domain per line"},
      {"whitelist", "whitelist",
       "critical services: KIND:VALUE NOTE (domain, domain-tree, cidr, ip, asn)"},
      {"asn", "prefix-asn", "a prefix-to-ASN table: cidr,asn (for the whitelist's asn entries)"},
  };
  for (const DataKind& k : kKinds) {
    CLI::App* group =
        app.add_subcommand(k.command, std::string("collateral-damage guard: ") + k.help);
    group->require_subcommand(1);
    CLI::App* import = group->add_subcommand(
        "import", "import (replacing the set of the same name); a bad line is refused, naming it");
    auto files = std::make_shared<std::vector<std::string>>();
    auto name = std::make_shared<std::string>();
    import->add_option("file", *files, "data files")->required();
    import->add_option("--name", *name, "the set's name (default: from the file name)");
    SetAction(import, [&ctx, kind = std::string(k.kind), files, name]() {
      return RunImport(ctx, kind, *files, *name);
    });
  }

  CLI::App* g = app.add_subcommand("guard", "the collateral-damage guard: data, checks, overrides");
  g->require_subcommand(1);
  CLI::App* list = g->add_subcommand("list", "the data sets imported");
  SetAction(list, [&ctx]() { return RunList(ctx, false); });
  CLI::App* overrides = g->add_subcommand("overrides", "every override recorded (public)");
  SetAction(overrides, [&ctx]() { return RunList(ctx, true); });
  CLI::App* check = g->add_subcommand(
      "check", "what ordering these targets would hit: exit 0 clear, 1 refused, 2 error");
  auto targets = std::make_shared<std::vector<std::string>>();
  check->add_option("target", *targets, "targets (kind:value, or a value)")->required();
  SetAction(check, [&ctx, targets]() { return RunCheck(ctx, *targets); });
  CLI::App* override_cmd = g->add_subcommand(
      "override", "let a flagged target be ordered (authority admin; reason required; public)");
  auto target = std::make_shared<std::string>();
  auto reason = std::make_shared<std::string>();
  override_cmd->add_option("target", *target, "the target")->required();
  override_cmd->add_option("--reason", *reason, "why (required)")->required();
  SetAction(override_cmd, [&ctx, target, reason]() { return RunOverride(ctx, *target, *reason); });
}

}  // namespace interdict::cli
