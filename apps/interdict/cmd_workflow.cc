// refer, review, order: the workflow from a rights holder's referral to an order in force.
#include <boost/json.hpp>
#include <iostream>

#include "cli.h"
#include "core/digest.h"
#include "io/json_format.h"

namespace interdict::cli {
namespace {

namespace json = boost::json;

// --evidence "url=https://...,observed=2026-11-20T10:00:00Z,sha256=<hex>|capture=FILE,note=..."
// The note comes last and may contain commas.
Result<Evidence> ParseEvidence(std::string_view spec) {
  Evidence e;
  std::string capture;
  std::string observed;
  while (!spec.empty()) {
    const std::size_t eq = spec.find('=');
    if (eq == std::string_view::npos) {
      return Status::InvalidArgument("--evidence: expected key=value, got \"" +
                                     std::string(spec.substr(0, 40)) + "\"");
    }
    const std::string_view key = spec.substr(0, eq);
    spec.remove_prefix(eq + 1);
    std::string_view value;
    if (key == "note") {
      value = spec;
      spec = {};
    } else {
      const std::size_t comma = spec.find(',');
      value = spec.substr(0, comma);
      spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    }
    if (key == "url") {
      e.url = std::string(value);
    } else if (key == "observed") {
      observed = std::string(value);
    } else if (key == "sha256") {
      e.sha256 = std::string(value);
      for (char& c : e.sha256) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (key == "capture") {
      capture = std::string(value);
    } else if (key == "note") {
      e.note = std::string(value);
    } else {
      return Status::InvalidArgument("--evidence: unknown key \"" + std::string(key) +
                                     "\"; expected url, observed, sha256, capture, note");
    }
  }
  if (e.url.empty()) return Status::InvalidArgument("--evidence: url= is required");
  if (observed.empty()) return Status::InvalidArgument("--evidence: observed= is required");
  Result<UnixTime> t = ParseTime(observed);
  if (!t.ok()) return t.status().Prefixed("--evidence observed");
  e.observed_at = *t;
  if (capture.empty() == e.sha256.empty()) {
    return Status::InvalidArgument("--evidence: give exactly one of sha256= and capture=");
  }
  if (!capture.empty()) {
    ASSIGN_OR_RETURN(e.sha256, Sha256File(capture));
  }
  return e;
}

void PrintReferral(const Context& ctx, const Referral& r) {
  if (ctx.json()) {
    PrintJson(ToJson(r));
    return;
  }
  std::cout << "referral " << r.id << " from " << r.org_name << " (" << Name(r.category)
            << "): " << Name(r.state);
  if (!r.reason.empty()) std::cout << " - " << r.reason;
  if (r.order_id != 0) std::cout << " - order " << r.order_id;
  std::cout << "\n";
  for (const ReferralTarget& t : r.targets) {
    std::cout << "  " << t.target.ToString();
    if (!t.duplicate_of.empty()) std::cout << "  [duplicate: " << t.duplicate_of << "]";
    std::cout << "\n";
  }
  for (const Evidence& e : r.evidence) {
    std::cout << "  evidence " << e.url << " observed " << FormatTime(e.observed_at) << " sha256 "
              << e.sha256 << (e.note.empty() ? "" : " - ") << e.note << "\n";
  }
}

void PrintOrder(const Context& ctx, const Order& o) {
  if (ctx.json()) {
    PrintJson(ToJson(o));
  } else {
    std::cout << o.id << "\n";
  }
}

// --confirm N: the step repeats held change N (see `interdict held`), to apply it.
void AddConfirm(CLI::App* cmd, Id& confirm) {
  cmd->add_option("--confirm", confirm,
                  "apply a change held for exceeding the registry's bounds: its id (interdict "
                  "held); the step must be the same change");
}

// Options of an order's header, shared by `order create` and `review approve`.
struct OrderOptions {
  std::string body;
  std::string kind = "court-ruling";
  std::string reference;
  std::string issued;
  std::string effective;
  std::string expires;
  std::vector<std::string> scope;
  std::vector<std::string> categories;
  bool dynamic = false;
  std::string reason;
  Id confirm = 0;

  void Add(CLI::App* cmd, bool required) {
    auto* b = cmd->add_option("--body", body, "the issuing body (court, authority)");
    auto* r = cmd->add_option("--ref", reference, "the body's reference number for the order");
    cmd->add_option("--expires", expires,
                    "expiry date, YYYY-MM-DD or RFC 3339 (default: 48 hours for live-sports "
                    "orders, a year for the others)");
    if (required) {
      b->required();
      r->required();
    }
    cmd->add_option("--kind", kind,
                    "court-ruling, administrative-decision or precautionary-measure");
    cmd->add_option("--issued", issued, "issue date (default: now)");
    cmd->add_option("--effective", effective, "effective date (default: the issue date)");
    cmd->add_option("--scope", scope, "isp, search, appstore, vpn (repeat or comma-separate)")
        ->delimiter(',');
    cmd->add_option("--category", categories,
                    "stream-ripping, live-sports, torrent, cyberlocker, shadow-library, iptv, "
                    "link-site, pirate-app, camcord")
        ->delimiter(',');
    cmd->add_flag("--dynamic", dynamic, "the order accepts new targets later (mirrors)");
    cmd->add_option("--reason", reason, "a note for the audit trail");
    AddConfirm(cmd, confirm);
  }

  Result<OrderRequest> ToRequest() const {
    OrderRequest r;
    r.body = body;
    r.reference = reference;
    ASSIGN_OR_RETURN(r.kind, ParseOrderKind(kind));
    if (!issued.empty()) {
      Result<UnixTime> t = ParseTime(issued);
      if (!t.ok()) return t.status().Prefixed("--issued");
      r.issued_at = *t;
    }
    if (!effective.empty()) {
      Result<UnixTime> t = ParseTime(effective);
      if (!t.ok()) return t.status().Prefixed("--effective");
      r.effective_at = *t;
    }
    if (!expires.empty()) {
      Result<UnixTime> t = ParseTime(expires);
      if (!t.ok()) return t.status().Prefixed("--expires");
      r.expires_at = *t;
    }
    std::string joined;
    for (const std::string& s : scope) joined += s + ",";
    Result<ScopeSet> sc = ParseScopes(joined.empty() ? "isp" : joined);
    if (!sc.ok()) return sc.status().Prefixed("--scope");
    r.scope = *sc;
    joined.clear();
    for (const std::string& c : categories) joined += c + ",";
    Result<CategorySet> cats = ParseCategories(joined);
    if (!cats.ok()) return cats.status().Prefixed("--category");
    r.categories = *cats;
    r.dynamic = dynamic;
    r.confirm = confirm;
    r.reason = reason;
    return r;
  }
};

void AddRefer(CLI::App& app, Context& ctx) {
  CLI::App* refer = app.add_subcommand("refer", "submit a referral from a rights holder");
  refer->require_subcommand(0, 1);
  struct Opts {
    std::string org, category, file;
    std::vector<std::string> targets, evidence;
  };
  auto o = std::make_shared<Opts>();
  refer->add_option("--org", o->org, "the referring rightsholder organization");
  refer->add_option("--category", o->category, "the category of infringement");
  refer->add_option("--target", o->targets,
                    "targets (kind:value, or a value whose kind is inferred)");
  refer->add_option("--evidence", o->evidence,
                    "url=...,observed=TIME,sha256=HEX|capture=FILE[,note=TEXT] (repeatable)");
  refer->add_option("--file", o->file, "submit the referrals in a JSON file, all or none");
  SetAction(refer, [&ctx, o, refer]() -> Result<int> {
    if (!refer->get_subcommands().empty()) return ExitCode();  // a sub-subcommand ran
    std::vector<ReferralRequest> requests;
    if (!o->file.empty()) {
      if (!o->org.empty() || !o->targets.empty()) {
        return Status::InvalidArgument("--file replaces --org/--category/--target/--evidence");
      }
      ASSIGN_OR_RETURN(requests, ReadJsonReferrals(o->file));
    } else {
      if (o->org.empty() || o->category.empty() || o->targets.empty()) {
        return Status::InvalidArgument("refer needs --org, --category and --target (or --file)");
      }
      ReferralRequest r;
      r.org = o->org;
      ASSIGN_OR_RETURN(r.category, ParseCategory(o->category));
      ASSIGN_OR_RETURN(r.targets, ParseTargets(o->targets));
      for (const std::string& spec : o->evidence) {
        ASSIGN_OR_RETURN(Evidence e, ParseEvidence(spec));
        r.evidence.push_back(std::move(e));
      }
      requests.push_back(std::move(r));
    }
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    ASSIGN_OR_RETURN(std::vector<Referral> done, reg->ReferAll(ctx.actor(), requests));
    if (ctx.json()) {
      json::array out;
      for (const Referral& r : done) out.push_back(ToJson(r));
      PrintJson(out);
    } else {
      for (const Referral& r : done) PrintReferral(ctx, r);
    }
    return kExitOk;
  });

  CLI::App* withdraw =
      refer->add_subcommand("withdraw", "withdraw a submitted referral (revoke window)");
  auto id = std::make_shared<Id>(0);
  auto reason = std::make_shared<std::string>();
  withdraw->add_option("id", *id, "referral id")->required();
  withdraw->add_option("--reason", *reason, "why");
  SetAction(withdraw, [&ctx, id, reason]() -> Result<int> {
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    ASSIGN_OR_RETURN(Referral r, reg->Withdraw(ctx.actor(), *id, *reason));
    PrintReferral(ctx, r);
    return kExitOk;
  });
  CLI::App* show = refer->add_subcommand("show", "show a referral with its targets and evidence");
  auto show_id = std::make_shared<Id>(0);
  show->add_option("id", *show_id, "referral id")->required();
  SetAction(show, [&ctx, show_id]() -> Result<int> {
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    ASSIGN_OR_RETURN(Referral r, reg->GetReferral(*show_id));
    PrintReferral(ctx, r);
    return kExitOk;
  });
}

void AddReview(CLI::App& app, Context& ctx) {
  CLI::App* review = app.add_subcommand("review", "review referrals");
  review->require_subcommand(1);

  CLI::App* list = review->add_subcommand("list", "referrals awaiting a decision");
  auto all = std::make_shared<bool>(false);
  list->add_flag("--all", *all, "every referral, decided or not");
  SetAction(list, [&ctx, all]() -> Result<int> {
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    std::vector<ReferralState> states;
    if (!*all) states = {ReferralState::kSubmitted, ReferralState::kUnderReview};
    ASSIGN_OR_RETURN(std::vector<Referral> referrals, reg->ListReferrals(states));
    json::array out;
    for (const Referral& r : referrals) {
      if (ctx.json()) {
        out.push_back(ToJson(r));
        continue;
      }
      std::size_t dups = 0;
      for (const ReferralTarget& t : r.targets) dups += t.duplicate_of.empty() ? 0u : 1u;
      std::cout << r.id << "\t" << Name(r.state) << "\t" << r.org_name << "\t" << Name(r.category)
                << "\t" << r.targets.size() << " target(s), " << dups << " duplicate(s), "
                << r.evidence.size() << " evidence\t" << FormatTime(r.submitted_at) << "\n";
    }
    if (ctx.json()) PrintJson(out);
    return kExitOk;
  });

  CLI::App* start = review->add_subcommand("start", "take a submitted referral under review");
  auto start_id = std::make_shared<Id>(0);
  start->add_option("id", *start_id, "referral id")->required();
  SetAction(start, [&ctx, start_id]() -> Result<int> {
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    ASSIGN_OR_RETURN(Referral r, reg->StartReview(ctx.actor(), *start_id));
    PrintReferral(ctx, r);
    return kExitOk;
  });

  CLI::App* approve = review->add_subcommand(
      "approve", "approve into an existing dynamic order (--order) or a new order (--body ...)");
  auto approve_id = std::make_shared<Id>(0);
  auto order_id = std::make_shared<Id>(0);
  auto order = std::make_shared<OrderOptions>();
  approve->add_option("id", *approve_id, "referral id")->required();
  approve->add_option("--order", *order_id, "attach to this dynamic order");
  order->Add(approve, false);
  SetAction(approve, [&ctx, approve_id, order_id, order]() -> Result<int> {
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    if (*order_id != 0) {
      if (!order->body.empty() || !order->reference.empty()) {
        return Status::InvalidArgument("give either --order or a new order's --body and --ref");
      }
      ASSIGN_OR_RETURN(Referral r, reg->Approve(ctx.actor(), *approve_id, *order_id, order->reason,
                                                order->confirm));
      PrintReferral(ctx, r);
      return kExitOk;
    }
    if (order->body.empty() || order->reference.empty()) {
      return Status::InvalidArgument(
          "approve needs --order ID, or --body and --ref for a new order");
    }
    ASSIGN_OR_RETURN(OrderRequest req, order->ToRequest());
    ASSIGN_OR_RETURN(Order o, reg->ApproveAsNewOrder(ctx.actor(), *approve_id, std::move(req)));
    PrintOrder(ctx, o);
    return kExitOk;
  });

  CLI::App* reject = review->add_subcommand("reject", "reject a referral, with a reason");
  auto reject_id = std::make_shared<Id>(0);
  auto reason = std::make_shared<std::string>();
  reject->add_option("id", *reject_id, "referral id")->required();
  reject->add_option("--reason", *reason, "why (required)")->required();
  SetAction(reject, [&ctx, reject_id, reason]() -> Result<int> {
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    ASSIGN_OR_RETURN(Referral r, reg->Reject(ctx.actor(), *reject_id, *reason));
    PrintReferral(ctx, r);
    return kExitOk;
  });
}

void AddOrder(CLI::App& app, Context& ctx) {
  CLI::App* order = app.add_subcommand("order", "blocking orders");
  order->require_subcommand(1);

  CLI::App* create = order->add_subcommand("create", "issue an order; prints its id");
  auto opts = std::make_shared<OrderOptions>();
  auto targets = std::make_shared<std::vector<std::string>>();
  opts->Add(create, true);
  create
      ->add_option("--target", *targets, "targets (kind:value, or a value whose kind is inferred)")
      ->required();
  SetAction(create, [&ctx, opts, targets]() -> Result<int> {
    ASSIGN_OR_RETURN(OrderRequest req, opts->ToRequest());
    if (opts->categories.empty()) {
      return Status::InvalidArgument("order create needs at least one --category");
    }
    ASSIGN_OR_RETURN(req.targets, ParseTargets(*targets));
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    ASSIGN_OR_RETURN(Order o, reg->CreateOrder(ctx.actor(), req));
    PrintOrder(ctx, o);
    return kExitOk;
  });

  CLI::App* add = order->add_subcommand("add-target", "add targets to a dynamic order");
  auto add_id = std::make_shared<std::string>();
  auto add_targets = std::make_shared<std::vector<std::string>>();
  auto add_reason = std::make_shared<std::string>();
  auto add_confirm = std::make_shared<Id>(0);
  add->add_option("order", *add_id, "order id or reference (a number is tried as an id first)")
      ->required();
  add->add_option("--target", *add_targets, "targets to add")->required();
  add->add_option("--reason", *add_reason, "e.g. the mirror it chases");
  AddConfirm(add, *add_confirm);
  SetAction(add, [&ctx, add_id, add_targets, add_reason, add_confirm]() -> Result<int> {
    ASSIGN_OR_RETURN(std::vector<Target> parsed, ParseTargets(*add_targets));
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    ASSIGN_OR_RETURN(Order o, reg->FindOrder(*add_id));
    ASSIGN_OR_RETURN(std::size_t n, reg->AddTargets(ctx.actor(), o.id, parsed, *add_reason, nullptr,
                                                    *add_confirm));
    if (ctx.json()) {
      PrintJson(json::object{{"order_id", o.id}, {"added", n}});
    } else {
      std::cout << n << " target(s) added to order " << o.id << "\n";
    }
    return kExitOk;
  });

  struct StateChange {
    const char* name;
    const char* help;
    Result<Order> (Registry::*fn)(std::string_view, Id, std::string_view, Id);
  };
  static constexpr StateChange kChanges[] = {
      {"lift", "lift an order (final); its targets leave the in-force set", &Registry::Lift},
      {"suspend", "suspend an order (e.g. pending appeal)", &Registry::Suspend},
      {"resume", "resume a suspended order", &Registry::Resume},
  };
  for (const StateChange& change : kChanges) {
    CLI::App* cmd = order->add_subcommand(change.name, change.help);
    auto id = std::make_shared<std::string>();
    auto reason = std::make_shared<std::string>();
    auto confirm = std::make_shared<Id>(0);
    cmd->add_option("order", *id, "order id or reference (a number is tried as an id first)")
        ->required();
    cmd->add_option("--reason", *reason, "why (required)")->required();
    AddConfirm(cmd, *confirm);
    SetAction(cmd, [&ctx, id, reason, confirm, fn = change.fn]() -> Result<int> {
      ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
      ASSIGN_OR_RETURN(Order found, reg->FindOrder(*id));
      ASSIGN_OR_RETURN(Order o, (reg->*fn)(ctx.actor(), found.id, *reason, *confirm));
      if (ctx.json()) {
        PrintJson(ToJson(o));
      } else {
        std::cout << "order " << o.id << " is " << Name(o.state) << "\n";
      }
      return kExitOk;
    });
  }

  CLI::App* renew = order->add_subcommand(
      "renew", "extend an order's expiry (before it expires; reason required)");
  auto renew_id = std::make_shared<std::string>();
  auto renew_expires = std::make_shared<std::string>();
  auto renew_reason = std::make_shared<std::string>();
  renew->add_option("order", *renew_id, "order id or reference (a number is tried as an id first)")
      ->required();
  renew->add_option("--expires", *renew_expires, "the new expiry, YYYY-MM-DD or RFC 3339")
      ->required();
  renew->add_option("--reason", *renew_reason, "why (required)")->required();
  SetAction(renew, [&ctx, renew_id, renew_expires, renew_reason]() -> Result<int> {
    Result<UnixTime> expires = ParseTime(*renew_expires);
    if (!expires.ok()) return expires.status().Prefixed("--expires");
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    ASSIGN_OR_RETURN(Order found, reg->FindOrder(*renew_id));
    ASSIGN_OR_RETURN(Order o, reg->Renew(ctx.actor(), found.id, *expires, *renew_reason));
    if (ctx.json()) {
      PrintJson(ToJson(o));
    } else {
      std::cout << "order " << o.id << " now expires " << FormatTime(o.expires_at) << "\n";
    }
    return kExitOk;
  });

  CLI::App* reconfirm = order->add_subcommand(
      "reconfirm",
      "re-confirm an order's address targets (all, or --target): their age starts again "
      "(address targets lapse when not re-confirmed in time; reason required)");
  auto rc_id = std::make_shared<std::string>();
  auto rc_targets = std::make_shared<std::vector<std::string>>();
  auto rc_reason = std::make_shared<std::string>();
  reconfirm->add_option("order", *rc_id, "order id or reference (a number is tried as an id first)")
      ->required();
  reconfirm->add_option("--target", *rc_targets,
                        "ip or cidr targets (default: all of the order's)");
  reconfirm->add_option("--reason", *rc_reason, "why they are still right (required)")->required();
  SetAction(reconfirm, [&ctx, rc_id, rc_targets, rc_reason]() -> Result<int> {
    ASSIGN_OR_RETURN(std::vector<Target> parsed, ParseTargets(*rc_targets));
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    ASSIGN_OR_RETURN(Order o, reg->FindOrder(*rc_id));
    ASSIGN_OR_RETURN(std::size_t n, reg->Reconfirm(ctx.actor(), o.id, parsed, *rc_reason));
    if (ctx.json()) {
      PrintJson(json::object{{"order_id", o.id}, {"reconfirmed", n}});
    } else {
      std::cout << n << " address target(s) of order " << o.id << " re-confirmed\n";
    }
    return kExitOk;
  });

  CLI::App* due = order->add_subcommand(
      "due", "address targets that lapse within --days unless re-confirmed (oldest first)");
  auto due_days = std::make_shared<std::int64_t>(14);
  due->add_option("--days", *due_days, "look this many days ahead (default 14)")
      ->check(CLI::NonNegativeNumber);
  SetAction(due, [&ctx, due_days]() -> Result<int> {
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    ASSIGN_OR_RETURN(std::vector<AgedTarget> items, reg->AddressTargetsDue(*due_days * 86400));
    if (ctx.json()) {
      json::array out;
      for (const AgedTarget& a : items) {
        out.push_back(json::object{{"order_id", a.order_id},
                                   {"target", a.target.ToString()},
                                   {"confirmed", FormatTime(a.confirmed_at)}});
      }
      PrintJson(out);
    } else {
      for (const AgedTarget& a : items) {
        std::cout << a.order_id << "\t" << a.target.ToString() << "\tconfirmed "
                  << FormatTime(a.confirmed_at) << "\n";
      }
    }
    return kExitOk;
  });

  CLI::App* show = order->add_subcommand("show", "an order with its targets");
  auto show_id = std::make_shared<std::string>();
  show->add_option("order", *show_id, "order id or reference (a number is tried as an id first)")
      ->required();
  SetAction(show, [&ctx, show_id]() -> Result<int> {
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    ASSIGN_OR_RETURN(Order found, reg->FindOrder(*show_id));
    ASSIGN_OR_RETURN(OrderDetail d, reg->ShowOrder(found.id));
    if (ctx.json()) {
      json::value v = ToJson(d.order);
      json::array target_list;
      for (const Target& t : d.targets) {
        target_list.push_back(json::object{{"kind", TargetKindName(t.kind)}, {"value", t.value}});
      }
      v.as_object()["targets"] = std::move(target_list);
      json::array lifted_list;
      for (const Target& t : d.lifted_targets) {
        lifted_list.push_back(json::object{{"kind", TargetKindName(t.kind)}, {"value", t.value}});
      }
      v.as_object()["lifted_targets"] = std::move(lifted_list);
      v.as_object()["targets_in_force"] = d.targets_in_force;
      PrintJson(v);
      return kExitOk;
    }
    const Order& o = d.order;
    std::cout << "order " << o.id << ": " << o.body << " " << o.reference << " (" << Name(o.kind)
              << ")\n"
              << "  state      " << Name(o.state)
              << (o.state_reason.empty() ? "" : " - " + o.state_reason) << "\n"
              << "  issued     " << FormatTime(o.issued_at) << "\n"
              << "  effective  " << FormatTime(o.effective_at) << "\n"
              << "  expires    " << FormatTime(o.expires_at) << "\n"
              << "  scope      " << FormatScopes(o.scope) << "\n"
              << "  categories " << FormatCategories(o.categories) << "\n"
              << "  dynamic    " << (o.dynamic ? "yes" : "no") << "\n"
              << "  targets    " << d.targets.size() << " (" << d.targets_in_force
              << " in force)\n";
    for (const Target& t : d.targets) std::cout << "    " << t.ToString() << "\n";
    if (!d.lifted_targets.empty()) {
      std::cout << "  lifted on appeal " << d.lifted_targets.size() << "\n";
      for (const Target& t : d.lifted_targets) std::cout << "    " << t.ToString() << "\n";
    }
    return kExitOk;
  });

  CLI::App* list = order->add_subcommand("list", "orders");
  auto state = std::make_shared<std::string>();
  list->add_option("--state", *state, "pending, in-force, suspended, lifted or expired");
  SetAction(list, [&ctx, state]() -> Result<int> {
    OrderFilter f;
    if (!state->empty()) {
      ASSIGN_OR_RETURN(f.state, ParseOrderState(*state));
    }
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    ASSIGN_OR_RETURN(std::vector<Order> orders, reg->ListOrders(f));
    json::array out;
    for (const Order& o : orders) {
      if (ctx.json()) {
        out.push_back(ToJson(o));
      } else {
        std::cout << o.id << "\t" << Name(o.state) << "\t" << o.body << "\t" << o.reference << "\t"
                  << FormatDate(o.issued_at) << "\texpires " << FormatDate(o.expires_at) << "\n";
      }
    }
    if (ctx.json()) PrintJson(out);
    return kExitOk;
  });
}

}  // namespace

void AddWorkflowCommands(CLI::App& app, Context& ctx) {
  AddRefer(app, ctx);
  AddReview(app, ctx);
  AddOrder(app, ctx);
}

}  // namespace interdict::cli
