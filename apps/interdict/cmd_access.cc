// token, ack, overdue: API access tokens, intermediaries' acknowledgements and what is overdue
// (src/auth/access.h, Registry::CreateToken / Acknowledge / Overdue).
#include <boost/json.hpp>
#include <iostream>

#include "auth/access.h"
#include "cli.h"

namespace interdict::cli {
namespace {

namespace json = boost::json;

// An organization by id ("3") or by name.
Result<Organization> ResolveOrg(Registry& reg, std::string_view id_or_name) {
  ASSIGN_OR_RETURN(std::vector<Organization> orgs, reg.ListOrganizations());
  for (const Organization& o : orgs) {
    if (o.name == id_or_name) return o;
  }
  const bool numeric = !id_or_name.empty() && id_or_name.size() < 19 &&
                       id_or_name.find_first_not_of("0123456789") == std::string_view::npos;
  if (numeric) {
    const Id id = std::stoll(std::string(id_or_name));
    for (const Organization& o : orgs) {
      if (o.id == id) return o;
    }
  }
  return Status::NotFound("--org: there is no organization with id or name \"" +
                          std::string(id_or_name) + "\"");
}

void AddToken(CLI::App& app, Context& ctx) {
  CLI::App* token = app.add_subcommand("token", "API access tokens (stored as hashes)");
  token->require_subcommand(1);

  CLI::App* create = token->add_subcommand("create", "create a token; prints its secret once");
  struct CreateOpts {
    std::string org, role, label;
  };
  auto c = std::make_shared<CreateOpts>();
  create->add_option("--org", c->org, "the organization, by id or name")->required();
  create
      ->add_option("--role", c->role,
                   "authority-admin, authority-reviewer, rightsholder, isp, search, appstore, "
                   "vpn or auditor")
      ->required();
  create->add_option("--label", c->label, "what the token is for (at most 200 bytes)");
  SetAction(create, [&ctx, c]() -> Result<int> {
    Result<Role> role = ParseRole(c->role);
    if (!role.ok()) return role.status().Prefixed("--role");
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    ASSIGN_OR_RETURN(Organization org, ResolveOrg(*reg, c->org));
    Result<std::pair<ApiToken, std::string>> made =
        reg->CreateToken(ctx.actor(), org.id, *role, c->label);
    if (!made.ok()) return made.status();  // names the field: "role: ..."
    const auto& [t, secret] = *made;
    if (ctx.json()) {
      json::object o = ToJson(t).as_object();
      o["token"] = secret;
      PrintJson(o);
    } else {
      std::cout << secret << "\n";
    }
    std::cerr << "token " << t.id << " for " << t.org_name << " (" << Name(t.role)
              << "): the secret above is not stored and will not be shown again\n";
    return kExitOk;
  });

  CLI::App* revoke = token->add_subcommand("revoke", "revoke a token: it stops working at once");
  auto id = std::make_shared<Id>(0);
  revoke->add_option("ID", *id, "the token's id (token list)")->required();
  SetAction(revoke, [&ctx, id]() -> Result<int> {
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    ASSIGN_OR_RETURN(ApiToken t, reg->RevokeToken(ctx.actor(), *id));
    if (ctx.json()) {
      PrintJson(ToJson(t));
    } else {
      std::cout << "token " << t.id << " revoked\n";
    }
    return kExitOk;
  });

  CLI::App* list = token->add_subcommand("list", "list tokens (never their secrets)");
  SetAction(list, [&ctx]() -> Result<int> {
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    ASSIGN_OR_RETURN(std::vector<ApiToken> tokens, reg->ListTokens());
    if (ctx.json()) {
      json::array out;
      for (const ApiToken& t : tokens) out.push_back(ToJson(t));
      PrintJson(out);
      return kExitOk;
    }
    for (const ApiToken& t : tokens) {
      std::cout << t.id << "\t" << t.org_name << "\t" << Name(t.role) << "\t"
                << FormatTime(t.created_at) << "\t"
                << (t.revoked() ? "revoked " + FormatTime(t.revoked_at) : std::string("active"))
                << "\t" << t.label << "\n";
    }
    return kExitOk;
  });
}

void AddAck(CLI::App& app, Context& ctx) {
  CLI::App* ack = app.add_subcommand(
      "ack", "an intermediary acknowledges items of its view: processed, or not and why");
  struct Opts {
    std::string org, scope, order, unprocessed, note;
    std::vector<std::string> targets;
  };
  auto o = std::make_shared<Opts>();
  ack->add_option("--org", o->org, "the intermediary organization, by id or name")->required();
  ack->add_option("--scope", o->scope, "its view: isp, search, appstore or vpn")->required();
  ack->add_option("--order", o->order, "the order, by id or reference")->required();
  ack->add_option("--target", o->targets, "a target of the order in the view (repeatable)")
      ->required();
  ack->add_option("--unprocessed", o->unprocessed,
                  "not processed, because: already-blocked, not-applicable or technical-error");
  ack->add_option("--note", o->note, "a note (at most 1000 bytes)");
  SetAction(ack, [&ctx, o]() -> Result<int> {
    Result<Scope> scope = ParseScope(o->scope);
    if (!scope.ok()) return scope.status().Prefixed("--scope");
    std::optional<AckReason> reason;
    if (!o->unprocessed.empty()) {
      Result<AckReason> r = ParseAckReason(o->unprocessed);
      if (!r.ok()) return r.status().Prefixed("--unprocessed");
      reason = *r;
    }
    Result<std::vector<Target>> targets = ParseTargets(o->targets);
    if (!targets.ok()) return targets.status().Prefixed("--target");
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    ASSIGN_OR_RETURN(Organization org, ResolveOrg(*reg, o->org));
    Result<Order> order = reg->FindOrder(o->order);
    if (!order.ok()) return order.status().Prefixed("--order");
    std::vector<AckItem> items;
    for (Target& t : *targets) {
      items.push_back({order->id, std::move(t), !reason.has_value(), reason, o->note});
    }
    ASSIGN_OR_RETURN(AckResult result, reg->Acknowledge(ctx.actor(), org.id, *scope, items));
    if (!result.ok()) {
      for (const AckError& e : result.errors) {
        const std::string field = e.field == "order_id" ? "--order" : "--" + e.field;
        std::cerr << "interdict: " << field;
        if (items.size() > 1) std::cerr << " (" << items[e.index].target.ToString() << ")";
        std::cerr << ": " << e.message << "\n";
      }
      std::cerr << "interdict: nothing was acknowledged\n";
      return kExitError;
    }
    if (ctx.json()) {
      PrintJson(json::object{{"acknowledged", result.written},
                             {"replaced", result.replaced},
                             {"status", reason ? "unprocessed" : "processed"}});
    } else {
      std::cout << result.written << " item(s) acknowledged as "
                << (reason ? "unprocessed (" + std::string(Name(*reason)) + ")"
                           : std::string("processed"))
                << (result.replaced > 0
                        ? ", " + std::to_string(result.replaced) + " replacing an earlier one"
                        : std::string())
                << "\n";
    }
    return kExitOk;
  });
}

void AddOverdue(CLI::App& app, Context& ctx) {
  CLI::App* overdue = app.add_subcommand(
      "overdue", "items past their acknowledgement deadline without a processed acknowledgement");
  struct Opts {
    std::string org, order;
    bool summary = false;
  };
  auto o = std::make_shared<Opts>();
  overdue->add_option("--org", o->org, "one intermediary organization, by id or name");
  overdue->add_option("--order", o->order, "one order, by id or reference");
  overdue->add_flag("--summary", o->summary, "counts per organization and per order");
  SetAction(overdue, [&ctx, o]() -> Result<int> {
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    if (o->summary) {
      if (!o->org.empty() || !o->order.empty()) {
        return Status::InvalidArgument("--summary counts everything; it takes no --org or --order");
      }
      ASSIGN_OR_RETURN(OverdueSummary s, reg->SummarizeOverdue());
      if (ctx.json()) {
        json::array by_org;
        json::array by_order;
        for (const OverdueCount& c : s.by_org) by_org.push_back(ToJson(c));
        for (const OverdueCount& c : s.by_order) by_order.push_back(ToJson(c));
        PrintJson(json::object{
            {"total", s.total}, {"by_org", std::move(by_org)}, {"by_order", std::move(by_order)}});
        return kExitOk;
      }
      std::cout << "overdue items: " << s.total << "\n";
      for (const OverdueCount& c : s.by_org) {
        std::cout << "  org " << c.org_id << " " << c.org_name << ": " << c.overdue << " ("
                  << c.unprocessed << " unprocessed)\n";
      }
      for (const OverdueCount& c : s.by_order) {
        std::cout << "  order " << c.order_id << " " << c.order_reference << ": " << c.overdue
                  << " (" << c.unprocessed << " unprocessed)\n";
      }
      return kExitOk;
    }
    std::optional<Id> org_id;
    std::optional<Id> order_id;
    if (!o->org.empty()) {
      ASSIGN_OR_RETURN(Organization org, ResolveOrg(*reg, o->org));
      org_id = org.id;
    }
    if (!o->order.empty()) {
      Result<Order> order = reg->FindOrder(o->order);
      if (!order.ok()) return order.status().Prefixed("--order");
      order_id = order->id;
    }
    Result<std::vector<OverdueItem>> items = reg->Overdue(org_id, order_id);
    if (!items.ok()) return items.status();  // names the field: "org: ..."
    if (ctx.json()) {
      json::array out;
      for (const OverdueItem& i : *items) out.push_back(ToJson(i));
      PrintJson(out);
      return kExitOk;
    }
    for (const OverdueItem& i : *items) {
      std::cout << i.org_name << "\t" << i.order_id << " " << i.order_reference << "\t"
                << i.target.ToString() << "\tdue " << FormatTime(i.deadline) << "\t";
      if (i.unprocessed_reason) {
        std::cout << "unprocessed: " << Name(*i.unprocessed_reason);
        if (!i.note.empty()) std::cout << " - " << i.note;
      } else {
        std::cout << "no acknowledgement";
      }
      std::cout << "\n";
    }
    return kExitOk;
  });
}

}  // namespace

void AddAccessCommands(CLI::App& app, Context& ctx) {
  AddToken(app, ctx);
  AddAck(app, ctx);
  AddOverdue(app, ctx);
}

}  // namespace interdict::cli
