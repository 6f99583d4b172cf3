// init, org, summary, sweep, serial, audit (the trail; its compliance subcommands are in
// cmd_audit.cc).
#include <boost/json.hpp>
#include <iostream>

#include "cli.h"

namespace interdict::cli {
namespace {

namespace json = boost::json;

json::value CountsJson(const RegistryCounts& c, Serial serial) {
  return json::object{{"serial", serial},
                      {"organizations", c.organizations},
                      {"orders", c.orders},
                      {"orders_in_force", c.orders_in_force},
                      {"targets", c.targets},
                      {"targets_in_force", c.targets_in_force},
                      {"referrals_open", c.referrals_open},
                      {"audit_entries", c.audit_entries}};
}

json::value ParseDetail(const std::string& detail) {
  std::error_code ec;
  json::value v = json::parse(detail, ec);
  if (ec) return json::value(detail);
  return v;
}

}  // namespace

Result<int> PrintSummary(Context& ctx, Registry& reg) {
  ASSIGN_OR_RETURN(RegistryCounts c, reg.Counts());
  ASSIGN_OR_RETURN(Serial serial, reg.CurrentSerial());
  if (ctx.json()) {
    PrintJson(CountsJson(c, serial));
    return kExitOk;
  }
  std::cout << "registry " << ctx.globals().db << "\n"
            << "  serial             " << serial << "\n"
            << "  organizations      " << c.organizations << "\n"
            << "  orders             " << c.orders << " (" << c.orders_in_force << " in force)\n"
            << "  targets            " << c.targets << " (" << c.targets_in_force << " in force)\n"
            << "  open referrals     " << c.referrals_open << "\n"
            << "  audit entries      " << c.audit_entries << "\n";
  return kExitOk;
}

void AddRegistryCommands(CLI::App& app, Context& ctx) {
  CLI::App* init = app.add_subcommand("init", "create the registry database (or migrate it)");
  SetAction(init, [&ctx]() -> Result<int> {
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open(false));
    (void)reg;
    if (ctx.json()) {
      PrintJson(json::object{{"db", ctx.globals().db}, {"ok", true}});
    } else {
      std::cout << "registry ready at " << ctx.globals().db << "\n";
    }
    return kExitOk;
  });

  CLI::App* org = app.add_subcommand("org", "organizations");
  org->require_subcommand(1);
  CLI::App* org_add = org->add_subcommand("add", "add an organization");
  auto kind = std::make_shared<std::string>();
  auto name = std::make_shared<std::string>();
  org_add
      ->add_option("--kind", *kind,
                   "authority, rightsholder, isp, search, appstore, vpn or auditor")
      ->required();
  org_add->add_option("--name", *name, "unique name")->required();
  SetAction(org_add, [&ctx, kind, name]() -> Result<int> {
    ASSIGN_OR_RETURN(OrgKind k, ParseOrgKind(*kind));
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    ASSIGN_OR_RETURN(Organization o, reg->AddOrganization(ctx.actor(), k, *name));
    if (ctx.json()) {
      PrintJson(json::object{{"id", o.id}, {"kind", Name(o.kind)}, {"name", o.name}});
    } else {
      std::cout << o.id << "\n";
    }
    return kExitOk;
  });
  CLI::App* org_list = org->add_subcommand("list", "list organizations");
  SetAction(org_list, [&ctx]() -> Result<int> {
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    ASSIGN_OR_RETURN(std::vector<Organization> orgs, reg->ListOrganizations());
    json::array out;
    for (const Organization& o : orgs) {
      if (ctx.json()) {
        out.push_back(json::object{{"id", o.id}, {"kind", Name(o.kind)}, {"name", o.name}});
      } else {
        std::cout << o.id << "\t" << Name(o.kind) << "\t" << o.name << "\n";
      }
    }
    if (ctx.json()) PrintJson(out);
    return kExitOk;
  });

  CLI::App* summary = app.add_subcommand("summary", "counts and the current serial");
  SetAction(summary, [&ctx]() -> Result<int> {
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    return PrintSummary(ctx, *reg);
  });

  // `expire` is the name for cron; `sweep` the older one.
  CLI::App* sweep = app.add_subcommand(
      "expire", "expire orders past their expiry, activate due ones (for cron; serve does it too)");
  sweep->alias("sweep");
  SetAction(sweep, [&ctx]() -> Result<int> {
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open(false));
    ASSIGN_OR_RETURN(SweepReport r, reg->Sweep(ctx.actor()));
    if (ctx.json()) {
      json::array expired(r.expired.begin(), r.expired.end());
      json::array activated(r.activated.begin(), r.activated.end());
      json::array lapsed;
      for (const AgedTarget& a : r.lapsed) {
        lapsed.push_back(json::object{{"order_id", a.order_id}, {"target", a.target.ToString()}});
      }
      PrintJson(json::object{{"expired", expired},
                             {"activated", activated},
                             {"lapsed", lapsed},
                             {"serial", r.serial}});
    } else {
      std::cout << r.expired.size() << " expired, " << r.activated.size() << " activated, "
                << r.lapsed.size() << " address target(s) lapsed";
      if (r.serial != 0) std::cout << ", serial " << r.serial;
      std::cout << "\n";
    }
    return kExitOk;
  });

  CLI::App* held = app.add_subcommand(
      "held", "changes held for exceeding the registry's bounds (--bound-pairs, --bound-fraction)");
  auto held_all = std::make_shared<bool>(false);
  held->add_flag("--all", *held_all, "confirmed ones too");
  SetAction(held, [&ctx, held_all]() -> Result<int> {
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    ASSIGN_OR_RETURN(std::vector<HeldChange> changes, reg->HeldChanges(!*held_all));
    if (ctx.json()) {
      json::array out;
      for (const HeldChange& c : changes) out.push_back(ToJson(c));
      PrintJson(out);
      return kExitOk;
    }
    for (const HeldChange& c : changes) {
      std::cout << c.id << "\t" << c.kind << "\t" << c.summary << "\t+" << c.added << " -"
                << c.removed << " of " << c.in_force << "\theld " << FormatTime(c.held_at) << " by "
                << c.actor;
      if (c.confirmed_at != 0) {
        std::cout << "\tconfirmed " << FormatTime(c.confirmed_at) << " by " << c.confirmed_by;
      }
      std::cout << "\n";
    }
    return kExitOk;
  });

  CLI::App* serial = app.add_subcommand("serial", "the registry serial and its deltas");
  auto delta = std::make_shared<Serial>(0);
  auto after = std::make_shared<Serial>(-1);
  serial->add_option("--delta", *delta, "print the changes made at this serial");
  serial->add_option("--since", *after, "list the serials after this one");
  SetAction(serial, [&ctx, delta, after]() -> Result<int> {
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    if (*delta > 0) {
      ASSIGN_OR_RETURN(std::vector<DeltaEntry> d, reg->SerialDelta(*delta));
      json::array out;
      for (const DeltaEntry& e : d) {
        const char* op = e.op == DeltaOp::kAdd ? "add" : "remove";
        if (ctx.json()) {
          out.push_back(json::object{{"op", op},
                                     {"kind", TargetKindName(e.target.kind)},
                                     {"value", e.target.value},
                                     {"order_id", e.order_id}});
        } else {
          std::cout << op << "\t" << TargetKindName(e.target.kind) << "\t" << e.target.value << "\t"
                    << e.order_id << "\n";
        }
      }
      if (ctx.json()) PrintJson(json::object{{"serial", *delta}, {"changes", out}});
      return kExitOk;
    }
    if (*after >= 0) {
      ASSIGN_OR_RETURN(std::vector<SerialInfo> list, reg->ListSerials(*after, 0));
      json::array out;
      for (const SerialInfo& s : list) {
        if (ctx.json()) {
          out.push_back(json::object{{"serial", s.serial},
                                     {"at", FormatTime(s.at)},
                                     {"actor", s.actor},
                                     {"summary", s.summary}});
        } else {
          std::cout << s.serial << "\t" << FormatTime(s.at) << "\t" << s.actor << "\t" << s.summary
                    << "\n";
        }
      }
      if (ctx.json()) PrintJson(out);
      return kExitOk;
    }
    ASSIGN_OR_RETURN(Serial s, reg->CurrentSerial());
    if (ctx.json()) {
      PrintJson(json::object{{"serial", s}});
    } else {
      std::cout << s << "\n";
    }
    return kExitOk;
  });

  // `audit` alone lists the audit trail; its subcommands are compliance probes' (cmd_audit.cc:
  // report, submit, runs; `run`, the probe, is added to the same command).
  CLI::App* audit = app.add_subcommand("audit", "the audit trail, and compliance probes");
  audit->require_subcommand(0, 1);
  AddComplianceCommands(*audit, ctx);
  auto entity = std::make_shared<std::string>();
  auto entity_id = std::make_shared<Id>(0);
  auto limit = std::make_shared<std::size_t>(0);
  audit->add_option("--entity", *entity, "order, referral, organization or registry");
  audit->add_option("--id", *entity_id, "the entity's id");
  audit->add_option("--limit", *limit, "at most this many entries");
  AddAuditRunCommand(*audit, ctx);
  SetAction(audit, [&ctx, audit, entity, entity_id, limit]() -> Result<int> {
    // `audit SUB ...` ran SUB's action (CLI11 runs this callback after it): keep its exit code.
    if (!audit->get_subcommands().empty()) return ExitCode();
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    ASSIGN_OR_RETURN(std::vector<AuditEntry> list, reg->Audit({*entity, *entity_id, *limit}));
    json::array out;
    for (const AuditEntry& a : list) {
      if (ctx.json()) {
        out.push_back(json::object{{"id", a.id},
                                   {"at", FormatTime(a.at)},
                                   {"actor", a.actor},
                                   {"action", a.action},
                                   {"entity", a.entity},
                                   {"entity_id", a.entity_id},
                                   {"reason", a.reason},
                                   {"detail", ParseDetail(a.detail)}});
      } else {
        std::cout << a.id << "\t" << FormatTime(a.at) << "\t" << a.actor << "\t" << a.action << "\t"
                  << a.entity << " " << a.entity_id << "\t" << a.reason << "\n";
      }
    }
    if (ctx.json()) PrintJson(out);
    return kExitOk;
  });
}

}  // namespace interdict::cli
