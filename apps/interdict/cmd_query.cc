// targets, check: what is blocked, and is this blocked.
#include <boost/json.hpp>
#include <iostream>

#include "cli.h"

namespace interdict::cli {
namespace {

namespace json = boost::json;

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
      "check", "is this domain, URL, IP or app blocked? exit 0 blocked, 1 not, 2 error");
  auto value = std::make_shared<std::string>();
  check->add_option("value", *value, "what to check (kind:value or inferred)")->required();
  SetAction(check, [&ctx, value]() -> Result<int> {
    ASSIGN_OR_RETURN(Target query, ParseTarget(*value));
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    ASSIGN_OR_RETURN(CheckResult r, reg->Check(query));
    if (ctx.json()) {
      json::array matches;
      for (const InForceEntry& e : r.matches) matches.push_back(ToJson(e));
      PrintJson(json::object{{"query", r.query.ToString()},
                             {"blocked", r.blocked()},
                             {"matches", std::move(matches)}});
    } else if (r.blocked()) {
      for (const InForceEntry& e : r.matches) {
        std::cout << "blocked\t" << r.query.value << "\t" << e.target.ToString() << "\torder "
                  << e.order_id << "\t" << e.body << " " << e.reference << "\n";
      }
    } else {
      std::cout << "allowed\t" << r.query.value << "\n";
    }
    return r.blocked() ? kExitOk : kExitNo;
  });
}

}  // namespace interdict::cli
