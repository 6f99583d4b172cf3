// appeal: appeals against orders, filed for an affected party and decided by the authority
// (Registry::FileAppeal / DecideAppeal). The command line is the authority's: it shows the
// appellant's contact.
#include <boost/json.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli.h"

namespace interdict::cli {
namespace {

namespace json = boost::json;

void PrintAppeal(const Context& ctx, const Appeal& a) {
  if (ctx.json()) {
    PrintJson(ToJson(a, true));
    return;
  }
  std::cout << "appeal " << a.id << " against order " << a.order_id << " (" << a.order_body << " "
            << a.order_reference << ")"
            << (a.target ? ", target " + a.target->ToString() : std::string(", the whole order"))
            << ": " << Name(a.state) << "\n"
            << "  party      " << Name(a.party) << "\n"
            << "  name       " << a.name << "\n"
            << "  contact    " << a.contact << "\n"
            << "  filed      " << FormatTime(a.filed_at) << "\n";
  if (a.state != AppealState::kFiled) {
    std::cout << "  decided    " << FormatTime(a.decided_at) << " by " << a.decided_by << "\n"
              << "  reason     " << a.reason << "\n";
  }
  for (const Target& t : a.lifted_targets) std::cout << "  lifted     " << t.ToString() << "\n";
  std::cout << "  statement\n" << a.statement << "\n";
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("--statement-file: cannot open " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

void AddAppealCommands(CLI::App& app, Context& ctx) {
  CLI::App* appeal = app.add_subcommand("appeal", "appeals against orders, and their decisions");
  appeal->require_subcommand(1);

  CLI::App* file = appeal->add_subcommand("file", "file an appeal; prints its id");
  struct FileOpts {
    std::string order, target, party, name, contact, statement, statement_file;
  };
  auto f = std::make_shared<FileOpts>();
  file->add_option("--order", f->order, "the order, by id or reference")->required();
  file->add_option("--target", f->target, "one target of the order (default: the whole order)");
  file->add_option("--party", f->party, "operator, host, collateral or other")->required();
  file->add_option("--name", f->name, "who appeals")->required();
  file->add_option("--contact", f->contact, "an e-mail address or an http(s) URL")->required();
  file->add_option("--statement", f->statement, "why (at most 10,000 bytes)");
  file->add_option("--statement-file", f->statement_file, "read the statement from a file");
  SetAction(file, [&ctx, f]() -> Result<int> {
    if (f->statement.empty() == f->statement_file.empty()) {
      return Status::InvalidArgument("give exactly one of --statement and --statement-file");
    }
    AppealRequest r;
    if (!f->target.empty()) {
      Result<Target> t = ParseTarget(f->target);
      if (!t.ok()) return t.status().Prefixed("--target");
      r.target = *std::move(t);
    }
    Result<AppealParty> party = ParseAppealParty(f->party);
    if (!party.ok()) return party.status().Prefixed("--party");
    r.party = *party;
    r.name = f->name;
    r.contact = f->contact;
    if (!f->statement_file.empty()) {
      ASSIGN_OR_RETURN(r.statement, ReadFile(f->statement_file));
    } else {
      r.statement = f->statement;
    }
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    ASSIGN_OR_RETURN(Order o, reg->FindOrder(f->order));
    r.order_id = o.id;
    ASSIGN_OR_RETURN(Appeal a, reg->FileAppeal(ctx.actor(), r));
    if (ctx.json()) {
      PrintJson(ToJson(a, true));
    } else {
      std::cout << a.id << "\n";
    }
    return kExitOk;
  });

  CLI::App* list = appeal->add_subcommand("list", "appeals, by id");
  struct ListOpts {
    std::string order, state;
  };
  auto l = std::make_shared<ListOpts>();
  list->add_option("--order", l->order, "against this order, by id or reference");
  list->add_option("--state", l->state, "filed, upheld, lifted or partly-lifted");
  SetAction(list, [&ctx, l]() -> Result<int> {
    AppealFilter filter;
    if (!l->state.empty()) {
      Result<AppealState> st = ParseAppealState(l->state);
      if (!st.ok()) return st.status().Prefixed("--state");
      filter.state = *st;
    }
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    if (!l->order.empty()) {
      ASSIGN_OR_RETURN(Order o, reg->FindOrder(l->order));
      filter.order_id = o.id;
    }
    ASSIGN_OR_RETURN(std::vector<Appeal> appeals, reg->ListAppeals(filter));
    if (ctx.json()) {
      json::array out;
      for (const Appeal& a : appeals) out.push_back(ToJson(a, true));
      PrintJson(out);
      return kExitOk;
    }
    for (const Appeal& a : appeals) {
      std::cout << a.id << "\t" << Name(a.state) << "\t" << a.order_id << " " << a.order_reference
                << "\t" << (a.target ? a.target->ToString() : std::string("(whole order)")) << "\t"
                << Name(a.party) << "\t" << a.name << "\t" << FormatTime(a.filed_at) << "\n";
    }
    return kExitOk;
  });

  CLI::App* show = appeal->add_subcommand("show", "an appeal, with its contact and statement");
  auto show_id = std::make_shared<Id>(0);
  show->add_option("id", *show_id, "appeal id")->required();
  SetAction(show, [&ctx, show_id]() -> Result<int> {
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    ASSIGN_OR_RETURN(Appeal a, reg->GetAppeal(*show_id));
    PrintAppeal(ctx, a);
    return kExitOk;
  });

  CLI::App* decide = appeal->add_subcommand(
      "decide", "decide a filed appeal: uphold the order, lift it, or lift some of its targets");
  struct DecideOpts {
    Id id = 0;
    std::string decision, reason;
    std::vector<std::string> targets;
  };
  auto d = std::make_shared<DecideOpts>();
  decide->add_option("id", d->id, "appeal id")->required();
  decide->add_option("--decision", d->decision, "uphold, lift or lift-targets")->required();
  decide->add_option("--reason", d->reason, "why (required)")->required();
  decide->add_option("--target", d->targets,
                     "lift-targets: a target to lift (repeatable; default: the appealed target)");
  SetAction(decide, [&ctx, d]() -> Result<int> {
    Result<AppealDecision> decision = ParseAppealDecision(d->decision);
    if (!decision.ok()) return decision.status().Prefixed("--decision");
    ASSIGN_OR_RETURN(std::vector<Target> targets, ParseTargets(d->targets));
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    ASSIGN_OR_RETURN(Appeal a,
                     reg->DecideAppeal(ctx.actor(), d->id, *decision, d->reason, targets));
    PrintAppeal(ctx, a);
    return kExitOk;
  });
}

}  // namespace interdict::cli
