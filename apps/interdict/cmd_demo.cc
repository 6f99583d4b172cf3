// demo: a registry with realistic content, built through the same workflows a user runs.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli.h"
#include "core/digest.h"
#include "io/exporter.h"
#include "io/importer.h"
#include "matcher/snapshot.h"
#include "registry/matcher_cache.h"

namespace interdict::cli {
namespace {

constexpr std::int64_t kDay = 86400;

Result<std::vector<Target>> ReadDomainList(const std::string& path, std::size_t limit) {
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot open " + path);
  std::vector<Target> out;
  std::string line;
  while (std::getline(in, line) && out.size() < limit) {
    if (line.empty() || line[0] == '#') continue;
    Result<Target> t = NormalizeTarget(TargetKind::kDomainTree, line);
    if (t.ok()) out.push_back(std::move(t).value());
  }
  return out;
}

Status Seed(Registry& reg, std::string_view actor, const std::string& data) {
  const UnixTime now = reg.clock().Now();
  for (const auto& [kind, name] : std::vector<std::pair<OrgKind, std::string>>{
           {OrgKind::kAuthority, "INDECOPI"},
           {OrgKind::kAuthority, "AGCOM"},
           {OrgKind::kRightsholder, "IFPI"},
           {OrgKind::kRightsholder, "LaLiga"},
           {OrgKind::kRightsholder, "Motion Picture Association"},
           {OrgKind::kIsp, "Example Telecom"},
           {OrgKind::kSearch, "Example Search"},
           {OrgKind::kAppstore, "Example App Store"},
           {OrgKind::kAuditor, "Transparency Observatory"}}) {
    RETURN_IF_ERROR(reg.AddOrganization(actor, kind, name).status());
  }

  // IFPI refers stream-rippers with evidence; INDECOPI approves them as a dynamic order.
  ReferralRequest ripping;
  ripping.org = "IFPI";
  ripping.category = Category::kStreamRipping;
  ASSIGN_OR_RETURN(ripping.targets,
                   ParseTargets({"*.ytmp3-demo.example", "mp3-rip-demo.example",
                                 "url:https://convert-demo.example/youtube-to-mp3*"}));
  ripping.evidence.push_back({"https://ytmp3-demo.example/", now - 2 * kDay,
                              Sha256Hex("demo capture: ytmp3-demo.example front page"),
                              "converter offers MP3 downloads of label-owned videos"});
  ASSIGN_OR_RETURN(Referral r1, reg.Refer(actor, ripping));
  OrderRequest o1;
  o1.body = "INDECOPI Comisión de Derecho de Autor";
  o1.kind = OrderKind::kPrecautionaryMeasure;
  o1.reference = "Exp. 000123-2026/DDA";
  o1.issued_at = now - kDay;
  o1.expires_at = now + 180 * kDay;
  o1.scope = Bit(Scope::kIsp) | Bit(Scope::kSearch);
  o1.dynamic = true;
  o1.reason = "stream-ripping services named in IFPI referral";
  ASSIGN_OR_RETURN(Order order1, reg.ApproveAsNewOrder(actor, r1.id, o1));

  // A mirror appears; the dynamic order takes it.
  ASSIGN_OR_RETURN(Target mirror, ParseTarget("ytmp3-demo2.example"));
  RETURN_IF_ERROR(
      reg.AddTargets(actor, order1.id, std::span(&mirror, 1), "mirror of ytmp3-demo.example")
          .status());

  // LaLiga refers a live-sports stream; one target names a CDN, the authority rejects it.
  ReferralRequest sports;
  sports.org = "LaLiga";
  sports.category = Category::kLiveSports;
  ASSIGN_OR_RETURN(sports.targets, ParseTargets({"ip:104.16.0.1", "futbol-live-demo.example"}));
  sports.evidence.push_back({"http://futbol-live-demo.example/match", now - 3600,
                             Sha256Hex("demo capture: live match stream"), "live match stream"});
  ASSIGN_OR_RETURN(Referral r2, reg.Refer(actor, sports));
  RETURN_IF_ERROR(reg.Reject(actor, r2.id,
                             "104.16.0.1 is a shared Cloudflare address; blocking it would block "
                             "unrelated sites. Refer the domain alone.")
                      .status());

  // LaLiga refers the domain alone; the authority has taken it under review. The Motion
  // Picture Association's referral of a cyberlocker waits in the queue.
  sports.targets.erase(sports.targets.begin());
  ASSIGN_OR_RETURN(Referral r3, reg.Refer(actor, sports));
  RETURN_IF_ERROR(reg.StartReview(actor, r3.id).status());
  ReferralRequest locker;
  locker.org = "Motion Picture Association";
  locker.category = Category::kCyberlocker;
  ASSIGN_OR_RETURN(locker.targets,
                   ParseTargets({"filelocker-demo.example", "*.cdn.filelocker-demo.example"}));
  locker.evidence.push_back({"https://filelocker-demo.example/f/8x2k", now - 6 * 3600,
                             Sha256Hex("demo capture: film download page"),
                             "full film offered for download"});
  RETURN_IF_ERROR(reg.Refer(actor, locker).status());

  // A court order over a real piracy domain list (blocklistproject, Unlicense).
  OrderRequest o2;
  o2.body = "Tribunale di Milano";
  o2.kind = OrderKind::kCourtRuling;
  o2.reference = "RG 12345/2026";
  o2.issued_at = now - 10 * kDay;
  o2.expires_at = now + 365 * kDay;
  o2.categories = Bit(Category::kTorrent) | Bit(Category::kLinkSite);
  o2.scope = Bit(Scope::kIsp) | Bit(Scope::kVpn);
  o2.dynamic = true;
  ASSIGN_OR_RETURN(o2.targets, ReadDomainList(data + "/blocklists/piracy-nl.txt", 100000));
  ASSIGN_OR_RETURN(Order order2, reg.CreateOrder(actor, o2));
  (void)order2;

  // An app-store order, then a search-delisting order that is lifted on appeal.
  OrderRequest o3;
  o3.body = "AGCOM";
  o3.kind = OrderKind::kAdministrativeDecision;
  o3.reference = "Delibera 45/26/CSP";
  o3.issued_at = now - 5 * kDay;
  o3.expires_at = now + 90 * kDay;
  o3.scope = Bit(Scope::kAppstore);
  o3.categories = Bit(Category::kPirateApp) | Bit(Category::kIptv);
  ASSIGN_OR_RETURN(o3.targets, ParseTargets({"play:com.example.freeiptv", "apple:id1234567890"}));
  RETURN_IF_ERROR(reg.CreateOrder(actor, o3).status());

  OrderRequest o4;
  o4.body = "Juzgado Mercantil 8 de Barcelona";
  o4.kind = OrderKind::kCourtRuling;
  o4.reference = "MC 1/2026";
  o4.issued_at = now - 20 * kDay;
  o4.expires_at = now + 60 * kDay;
  o4.scope = Bit(Scope::kSearch);
  o4.categories = Bit(Category::kLiveSports);
  ASSIGN_OR_RETURN(o4.targets, ParseTargets({"search:https://streams-demo.example/laliga",
                                             "cidr:198.51.100.0/24"}));
  ASSIGN_OR_RETURN(Order order4, reg.CreateOrder(actor, o4));
  RETURN_IF_ERROR(
      reg.Lift(actor, order4.id, "lifted on appeal: the network is shared hosting").status());

  // And the Russian register's own format, as published by zapret-info in 2014.
  ImportOptions imp;
  imp.format = ImportFormat::kZiCsv;
  imp.path = data + "/registers/zi-2014-dump.csv";
  imp.rejects_path = (std::filesystem::temp_directory_path() / "interdict-demo.rejects").string();
  ASSIGN_OR_RETURN(ImportReport rep, ImportFile(reg, actor, imp));
  std::cout << "demo: imported " << rep.records - rep.records_rejected << " of " << rep.records
            << " z-i records (" << rep.records_rejected << " rejected)\n";
  return Status::Ok();
}

}  // namespace

void AddDemoCommand(CLI::App& app, Context& ctx) {
  CLI::App* demo = app.add_subcommand(
      "demo", "fill an empty registry with demo data, then print its summary and an export");
  auto data = std::make_shared<std::string>("testdata");
  demo->add_option("--data", *data, "the project's testdata folder");
  SetAction(demo, [&ctx, data]() -> Result<int> {
    ASSIGN_OR_RETURN(Registry * reg, ctx.Open());
    ASSIGN_OR_RETURN(RegistryCounts before, reg->Counts());
    if (before.organizations == 0) {
      RETURN_IF_ERROR(Seed(*reg, ctx.actor(), *data).Prefixed("demo"));
    } else {
      std::cout << "demo: the registry already has data; leaving it as it is\n";
    }
    RETURN_IF_ERROR(PrintSummary(ctx, *reg).status());
    const std::string path =
        (std::filesystem::path(ctx.globals().db).parent_path() / "export.csv").string();
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      if (!out) return Status::IOError("cannot write " + path);
      ASSIGN_OR_RETURN(ExportReport r, ExportInForce(*reg, ExportFormat::kCsv, out));
      std::cout << "export: " << r.targets << " in-force targets of " << r.orders
                << " orders at serial " << r.serial << " written to " << path << "; first lines:\n";
    }
    std::ifstream in(path);
    std::string line;
    for (int i = 0; i < 12 && std::getline(in, line); ++i) std::cout << "  " << line << "\n";

    // The compiled matcher, as `interdict check` uses it, and a few checks through it.
    bool from_cache = false;
    std::string note;
    ASSIGN_OR_RETURN(std::shared_ptr<const Snapshot> matcher,
                     CurrentMatcher(*reg, ctx.globals().db + ".matcher", &from_cache, &note));
    std::cout << "matcher: " << matcher->rule_count() << " rules of " << matcher->order_count()
              << " orders at serial " << matcher->serial() << ", " << matcher->bytes().size()
              << " bytes in " << ctx.globals().db << ".matcher\n";
    for (std::string_view q : {"www.thepiratebay.org", "thepiratebay.org.example", "1337X.TO."}) {
      const Verdict v = matcher->MatchName(q);
      std::cout << "  check " << q << ": "
                << (v.blocked()
                        ? "blocked by order " +
                              std::string(
                                  matcher->order(matcher->AnswerOrders(v.answer)[0]).reference)
                        : std::string("allowed"))
                << "\n";
    }
    return kExitOk;
  });
}

}  // namespace interdict::cli
