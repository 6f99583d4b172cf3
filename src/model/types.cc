#include "model/types.h"

#include <array>
#include <span>

namespace interdict {
namespace {

constexpr std::array<std::string_view, 7> kOrgKinds = {
    "authority", "rightsholder", "isp", "search", "appstore", "vpn", "auditor"};
constexpr std::array<std::string_view, 3> kOrderKinds = {"court-ruling", "administrative-decision",
                                                         "precautionary-measure"};
constexpr std::array<std::string_view, 5> kOrderStates = {"pending", "in-force", "suspended",
                                                          "lifted", "expired"};
constexpr std::array<std::string_view, 5> kReferralStates = {
    "submitted", "withdrawn", "under-review", "approved", "rejected"};
constexpr std::array<std::string_view, 4> kScopes = {"isp", "search", "appstore", "vpn"};
constexpr std::array<std::string_view, 9> kCategories = {
    "stream-ripping", "live-sports", "torrent",    "cyberlocker", "shadow-library",
    "iptv",           "link-site",   "pirate-app", "camcord"};
constexpr std::array<std::string_view, 8> kRoles = {
    "authority-admin", "authority-reviewer", "rightsholder", "isp",
    "search",          "appstore",           "vpn",          "auditor"};
constexpr std::array<std::string_view, 3> kAckReasons = {"already-blocked", "not-applicable",
                                                         "technical-error"};
constexpr std::array<std::string_view, 4> kAppealParties = {"operator", "host", "collateral",
                                                            "other"};
constexpr std::array<std::string_view, 4> kAppealStates = {"filed", "upheld", "lifted",
                                                           "partly-lifted"};
constexpr std::array<std::string_view, 3> kAppealDecisions = {"uphold", "lift", "lift-targets"};
constexpr std::array<std::string_view, kProbeVerdictCount> kVerdicts = {
    "blocked-dns", "blocked-ip", "blocked-sni", "blocked-http",
    "accessible",  "down",       "inconclusive"};

template <typename E>
std::string_view NameIn(std::span<const std::string_view> names, E v) {
  const auto i = static_cast<std::size_t>(v);
  return i < names.size() ? names[i] : std::string_view("?");
}

template <typename E>
Result<E> ParseIn(std::span<const std::string_view> names, std::string_view what,
                  std::string_view s) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == s) return static_cast<E>(i);
  }
  std::string msg = "unknown ";
  msg.append(what).append(" \"").append(s.substr(0, 64)).append("\"; expected one of ");
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) msg.append(", ");
    msg.append(names[i]);
  }
  return Status::InvalidArgument(std::move(msg));
}

std::string FormatSet(std::span<const std::string_view> names, std::uint32_t set) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if ((set & (1u << i)) == 0) continue;
    if (!out.empty()) out.push_back(',');
    out.append(names[i]);
  }
  return out;
}

template <typename E>
Result<std::uint32_t> ParseSet(std::span<const std::string_view> names, std::string_view what,
                               std::string_view list) {
  std::uint32_t set = 0;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) {
      ASSIGN_OR_RETURN(E v, ParseIn<E>(names, what, item));
      set |= 1u << static_cast<unsigned>(v);
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return set;
}

}  // namespace

std::string_view Name(OrgKind v) {
  return NameIn(kOrgKinds, v);
}
std::string_view Name(OrderKind v) {
  return NameIn(kOrderKinds, v);
}
std::string_view Name(OrderState v) {
  return NameIn(kOrderStates, v);
}
std::string_view Name(ReferralState v) {
  return NameIn(kReferralStates, v);
}
std::string_view Name(Scope v) {
  return NameIn(kScopes, v);
}
std::string_view Name(Category v) {
  return NameIn(kCategories, v);
}

Result<OrgKind> ParseOrgKind(std::string_view s) {
  return ParseIn<OrgKind>(kOrgKinds, "organization kind", s);
}
Result<OrderKind> ParseOrderKind(std::string_view s) {
  return ParseIn<OrderKind>(kOrderKinds, "order kind", s);
}
Result<OrderState> ParseOrderState(std::string_view s) {
  return ParseIn<OrderState>(kOrderStates, "order state", s);
}
Result<ReferralState> ParseReferralState(std::string_view s) {
  return ParseIn<ReferralState>(kReferralStates, "referral state", s);
}
Result<Scope> ParseScope(std::string_view s) {
  return ParseIn<Scope>(kScopes, "scope", s);
}
Result<Category> ParseCategory(std::string_view s) {
  return ParseIn<Category>(kCategories, "category", s);
}

std::string_view Name(Role v) {
  return NameIn(kRoles, v);
}

Result<Role> ParseRole(std::string_view s) {
  return ParseIn<Role>(kRoles, "role", s);
}

std::string_view Name(AckReason v) {
  return NameIn(kAckReasons, v);
}

Result<AckReason> ParseAckReason(std::string_view s) {
  return ParseIn<AckReason>(kAckReasons, "reason", s);
}

std::string_view Name(AppealParty v) {
  return NameIn(kAppealParties, v);
}

Result<AppealParty> ParseAppealParty(std::string_view s) {
  return ParseIn<AppealParty>(kAppealParties, "party", s);
}

std::string_view Name(AppealState v) {
  return NameIn(kAppealStates, v);
}

Result<AppealState> ParseAppealState(std::string_view s) {
  return ParseIn<AppealState>(kAppealStates, "appeal state", s);
}

std::string_view Name(AppealDecision v) {
  return NameIn(kAppealDecisions, v);
}

Result<AppealDecision> ParseAppealDecision(std::string_view s) {
  return ParseIn<AppealDecision>(kAppealDecisions, "decision", s);
}

std::string_view Name(ProbeVerdict v) {
  return NameIn(kVerdicts, v);
}

Result<ProbeVerdict> ParseProbeVerdict(std::string_view s) {
  return ParseIn<ProbeVerdict>(kVerdicts, "verdict", s);
}

std::string FormatScopes(ScopeSet set) {
  return FormatSet(kScopes, set);
}
std::string FormatCategories(CategorySet set) {
  return FormatSet(kCategories, set);
}
Result<ScopeSet> ParseScopes(std::string_view list) {
  return ParseSet<Scope>(kScopes, "scope", list);
}
Result<CategorySet> ParseCategories(std::string_view list) {
  return ParseSet<Category>(kCategories, "category", list);
}

}  // namespace interdict
