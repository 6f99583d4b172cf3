#include "auth/access.h"

#include <sodium.h>

#include <array>
#include <span>

#include "core/digest.h"

namespace interdict {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

bool RoleFitsOrg(Role role, OrgKind kind) {
  switch (role) {
    case Role::kAuthorityAdmin:
    case Role::kAuthorityReviewer: return kind == OrgKind::kAuthority;
    case Role::kRightsholder: return kind == OrgKind::kRightsholder;
    case Role::kIsp: return kind == OrgKind::kIsp;
    case Role::kSearch: return kind == OrgKind::kSearch;
    case Role::kAppstore: return kind == OrgKind::kAppstore;
    case Role::kVpn: return kind == OrgKind::kVpn;
    case Role::kAuditor: return kind == OrgKind::kAuditor || kind == OrgKind::kAuthority;
  }
  return false;
}

Result<std::string> GenerateTokenSecret() {
  // sodium_init() is thread-safe and idempotent; the static makes it run once per process.
  static const bool ready = sodium_init() >= 0;
  if (!ready) return Status::Internal("libsodium failed to initialize (sodium_init)");
  std::array<unsigned char, 32> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string secret(kTokenPrefix);
  secret.reserve(kTokenLength);
  for (unsigned char b : bytes) {
    secret.push_back(kHex[b >> 4]);
    secret.push_back(kHex[b & 0xf]);
  }
  sodium_memzero(bytes.data(), bytes.size());
  return secret;
}

bool IsWellFormedTokenSecret(std::string_view secret) {
  if (secret.size() != kTokenLength || !secret.starts_with(kTokenPrefix)) return false;
  for (char c : secret.substr(kTokenPrefix.size())) {
    if (HexValue(c) < 0) return false;
  }
  return true;
}

std::string TokenHash(std::string_view secret) {
  const std::string hex = Sha256Hex(secret);
  std::string raw;
  raw.reserve(hex.size() / 2);
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    raw.push_back(static_cast<char>(HexValue(hex[i]) * 16 + HexValue(hex[i + 1])));
  }
  return raw;
}

std::optional<Scope> IntermediaryScope(OrgKind kind) {
  switch (kind) {
    case OrgKind::kIsp: return Scope::kIsp;
    case OrgKind::kSearch: return Scope::kSearch;
    case OrgKind::kAppstore: return Scope::kAppstore;
    case OrgKind::kVpn: return Scope::kVpn;
    default: return std::nullopt;
  }
}

bool ScopeCarries(Scope scope, TargetKind kind) {
  switch (scope) {
    case Scope::kIsp:
    case Scope::kVpn:
      return kind == TargetKind::kDomain || kind == TargetKind::kDomainTree ||
             kind == TargetKind::kUrl || kind == TargetKind::kIp || kind == TargetKind::kCidr;
    case Scope::kSearch:
      return kind == TargetKind::kDomain || kind == TargetKind::kDomainTree ||
             kind == TargetKind::kUrl || kind == TargetKind::kSearch;
    case Scope::kAppstore: return kind == TargetKind::kApp;
  }
  return false;
}

}  // namespace interdict
