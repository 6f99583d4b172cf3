// targets, check: what is blocked, and is this blocked.
#include <boost/json.hpp>
#include <iostream>

#include "cli.h"
#include "matcher/snapshot.h"
#include "registry/matcher_cache.h"

namespace interdict::cli {
namespace {

namespace json = boost::json;

struct CheckOptions {
  std::string value;
  bool batch = false;
  std::string snapshot;
};

Result<int> PrintMatcherInfo(Context& ctx, const Snapshot& s, const std::string& path) {
  if (ctx.json()) {
    PrintJson(json::object{{"file", path},
                           {"serial", s.serial()},
                           {"source", s.source()},
                           {"rules", s.rule_count()},
                           {"orders", s.order_count()},
                           {"bytes", s.bytes().size()}});
  } else {
    std::cout << path << ": serial " << s.serial() << ", registry " << s.source() << ", "
              << s.rule_count() << " rules, " << s.order_count() << " orders, " << s.bytes().size()
              << " bytes\n";
  }
  return kExitOk;
}

// Answers checks from a compiled matcher. The matcher has no false negatives; a block it reports
// is confirmed against the registry when there is one (see ARCHITECTURE.md, "Matcher").
class Checker {
 public:
  static Result<Checker> Open(Context& ctx, const std::string& snapshot_file) {
    Checker c;
    if (!snapshot_file.empty()) {
      ASSIGN_OR_RETURN(Snapshot s, Snapshot::Load(snapshot_file));
      c.snapshot_ = std::make_shared<const Snapshot>(std::move(s));
      return c;
    }
    ASSIGN_OR_RETURN(c.registry_, ctx.Open());
    bool from_cache = false;
    std::string note;
    ASSIGN_OR_RETURN(c.snapshot_, CurrentMatcher(*c.registry_, ctx.globals().db + ".matcher",
                                                 &from_cache, &note));
    if (!note.empty() && !ctx.json()) std::cerr << "note: matcher cache: " << note << "\n";
    return c;
  }

  Result<CheckResult> Check(const Target& query) {
    if (query.kind == TargetKind::kUrl && !query.value.empty() && query.value.back() == '*') {
      return Status::InvalidArgument("check takes a URL, not a URL prefix rule");
    }
    CheckResult r{query, snapshot_->Explain(query)};
    if (r.blocked() && registry_ != nullptr) {
      ASSIGN_OR_RETURN(r, registry_->Check(query));
    }
    return r;
  }

 private:
  Registry* registry_ = nullptr;
  std::shared_ptr<const Snapshot> snapshot_;
};

std::string References(const CheckResult& r) {
  std::string out;
  for (const InForceEntry& e : r.matches) {
    if (out.find(e.reference) != std::string::npos) continue;
    if (!out.empty()) out.push_back(',');
    out.append(e.reference);
  }
  return out;
}

Result<int> RunBatch(Context& ctx, Checker& checker) {
  std::string line;
  int errors = 0;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    Result<Target> query = ParseTarget(line);
    Result<CheckResult> r =
        query.ok() ? checker.Check(*query) : Result<CheckResult>(query.status());
    if (!r.ok()) {
      ++errors;
      if (ctx.json()) {
        PrintJson(json::object{{"value", line}, {"error", r.status().message()}});
      } else {
        std::cout << line << "\terror\t" << r.status().message() << "\n";
      }
      continue;
    }
    if (ctx.json()) {
      json::array matches;
      for (const InForceEntry& e : r->matches) matches.push_back(ToJson(e));
      PrintJson(json::object{{"value", line},
                             {"query", r->query.ToString()},
                             {"blocked", r->blocked()},
                             {"matches", std::move(matches)}});
    } else {
      std::cout << line << "\t" << (r->blocked() ? "blocked" : "allowed") << "\t" << References(*r)
                << "\n";
    }
  }
  if (std::cin.bad()) return Status::IOError("cannot read standard input");
  if (errors > 0) {
    std::cerr << "interdict: " << errors << " value(s) could not be checked\n";
    return kExitError;
  }
  return kExitOk;
}

Result<int> RunCheck(Context& ctx, const CheckOptions& opts) {
  if (opts.batch != opts.value.empty()) {
    return Status::InvalidArgument("check takes a value, or --batch and values on standard input");
  }
  Target query;
  if (!opts.batch) {
    ASSIGN_OR_RETURN(query, ParseTarget(opts.value));
  }
  ASSIGN_OR_RETURN(Checker checker, Checker::Open(ctx, opts.snapshot));
  if (opts.batch) return RunBatch(ctx, checker);
  ASSIGN_OR_RETURN(CheckResult r, checker.Check(query));
  if (ctx.json()) {
    json::array matches;
    for (const InForceEntry& e : r.matches) matches.push_back(ToJson(e));
    PrintJson(json::object{
        {"query", r.query.ToString()}, {"blocked", r.blocked()}, {"matches", std::move(matches)}});
  } else if (r.blocked()) {
    for (const InForceEntry& e : r.matches) {
      std::cout << "blocked\t" << r.query.value << "\t" << e.target.ToString() << "\torder "
                << e.order_id << "\t" << e.body << " " << e.reference << "\n";
    }
  } else {
    std::cout << "allowed\t" << r.query.value << "\n";
  }
  return r.blocked() ? kExitOk : kExitNo;
}

}  // namespace

void AddQueryCommands(CLI::App& app, Context& ctx) {
  CLI::App* targets = app.add_subcommand("targets", "targets of orders");
  targets->require_subcommand(1);
  CLI::App* list = targets->add_subcommand("list", "targets with their orders");
  auto in_force = std::make_shared<bool>(false);
  auto kind = std::make_shared<std::string>();
  list->add_flag("--in-force", *in_force, "only the in-force set");
  list->add_option("--kind", *kind, "domain, domain-tree, url, ip, cidr, app or search");
  SetAction(list, [&ctx, in_force, kind]() -> Result<int> {
    std::optional<TargetKind> k;
    if (!kind->empty()) {
      ASSIGN_OR_RETURN(k, ParseTargetKind(*kind));
    }
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    std::vector<InForceEntry> entries;
    if (*in_force) {
      ASSIGN_OR_RETURN(entries, reg->InForce(k));
    } else {
      ASSIGN_OR_RETURN(entries, reg->AllTargets(k));
    }
    if (ctx.json()) {
      json::array out;
      out.reserve(entries.size());
      for (const InForceEntry& e : entries) out.push_back(ToJson(e));
      PrintJson(out);
      return kExitOk;
    }
    for (const InForceEntry& e : entries) {
      std::cout << TargetKindName(e.target.kind) << "\t" << e.target.value << "\t" << e.reference
                << "\t" << (e.in_force ? "in-force" : "not-in-force") << "\n";
    }
    return kExitOk;
  });

  CLI::App* check = app.add_subcommand(
      "check",
      "is this domain, URL, IP or app blocked? exit 0 blocked, 1 not, 2 error.\n"
      "Answers from the compiled matcher (cached in DB.matcher, rebuilt when the serial moves);\n"
      "a block it finds is confirmed against the registry.");
  auto opts = std::make_shared<CheckOptions>();
  check->add_option("value", opts->value, "what to check (kind:value or inferred)");
  check->add_flag("--batch", opts->batch,
                  "read values from standard input, one per line; print value<TAB>"
                  "blocked|allowed|error<TAB>order references (comma-separated) or the error");
  check->add_option("--snapshot", opts->snapshot,
                    "answer from this compiled matcher file (`interdict matcher compile`) "
                    "instead of the registry");
  SetAction(check, [&ctx, opts]() -> Result<int> { return RunCheck(ctx, *opts); });

  CLI::App* matcher = app.add_subcommand("matcher", "the compiled matcher for enforcement points");
  matcher->require_subcommand(1);
  CLI::App* compile = matcher->add_subcommand(
      "compile", "compile the in-force set into a matcher file that loads with mmap");
  auto output = std::make_shared<std::string>();
  compile->add_option("-o,--output", *output, "file to write")->required();
  SetAction(compile, [&ctx, output]() -> Result<int> {
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    ASSIGN_OR_RETURN(InForceSnapshot current, reg->Snapshot());
    ASSIGN_OR_RETURN(Snapshot compiled, CompileInForce(current));
    RETURN_IF_ERROR(compiled.Save(*output));
    return PrintMatcherInfo(ctx, compiled, *output);
  });
  CLI::App* info = matcher->add_subcommand("info", "check a matcher file and describe it");
  auto input = std::make_shared<std::string>();
  info->add_option("file", *input, "matcher file")->required();
  SetAction(info, [&ctx, input]() -> Result<int> {
    ASSIGN_OR_RETURN(Snapshot loaded, Snapshot::Load(*input));
    return PrintMatcherInfo(ctx, loaded, *input);
  });
}

}  // namespace interdict::cli
