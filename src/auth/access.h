// Access: which organizations each role of an API token fits, what an authenticated request is
// (Principal), the token secrets, and which view each intermediary acknowledges. The roles and
// acknowledgement reasons, with their names, are in model/types.h. The tokens themselves are kept
// by the registry (Registry::CreateToken, Authenticate), which stores only the SHA-256 of each
// secret.
//
// Thread-safety: plain values and reentrant functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "model/target.h"
#include "model/types.h"

namespace interdict {

// Whether an organization of `kind` may hold a token with `role`: the authority roles need an
// authority, rightsholder a rightsholder, isp/search/appstore/vpn an organization of that same
// kind, auditor an auditor or an authority.
bool RoleFitsOrg(Role role, OrgKind kind);

// What an authenticated request is: the token, its organization and its role.
struct Principal {
  Id token_id = 0;
  Id org_id = 0;
  OrgKind org_kind = OrgKind::kAuditor;
  std::string org_name;
  Role role = Role::kAuditor;
};

// Token secrets: "idt_" and 64 lowercase hex digits (256 random bits). Shown once when created;
// the registry keeps TokenHash(secret) only.
inline constexpr std::string_view kTokenPrefix = "idt_";
inline constexpr std::size_t kTokenLength = 4 + 64;
// A new random secret (libsodium randombytes_buf).
Result<std::string> GenerateTokenSecret();
// Whether `secret` has the form of a token secret (it may still be unknown or revoked).
bool IsWellFormedTokenSecret(std::string_view secret);
// The 32 raw bytes of SHA-256 over the secret's text, as stored in api_tokens.hash.
std::string TokenHash(std::string_view secret);

// The view an intermediary organization acknowledges: isp, search, appstore and vpn
// organizations their own scope; nullopt for the other kinds.
std::optional<Scope> IntermediaryScope(OrgKind kind);
// Whether the view of `scope` carries targets of `kind` (feed::ViewCarries asks this too):
// isp and vpn domains, trees, URLs, addresses and networks; search domains, trees, URLs and
// delistings; appstore apps.
bool ScopeCarries(Scope scope, TargetKind kind);

}  // namespace interdict
