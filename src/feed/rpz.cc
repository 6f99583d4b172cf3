#include "feed/rpz.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace interdict::feed {
namespace {

// The rpz-ip owner of address `addr` (canonical text) with prefix `prefix`; empty when the
// text is not an address (a target that passed normalization always is).
std::string RpzIpOwner(const std::string& addr, int prefix) {
  std::array<std::uint8_t, 16> b{};
  if (inet_pton(AF_INET, addr.c_str(), b.data()) == 1) {
    return std::to_string(prefix) + "." + std::to_string(b[3]) + "." + std::to_string(b[2]) + "." +
           std::to_string(b[1]) + "." + std::to_string(b[0]) + ".rpz-ip";
  }
  if (inet_pton(AF_INET6, addr.c_str(), b.data()) != 1) return {};
  std::array<unsigned, 8> g{};
  for (std::size_t i = 0; i < 8; ++i) g[i] = (unsigned{b[2 * i]} << 8) | b[2 * i + 1];
  // The longest run of two or more zero groups becomes "zz" (the first such run on a tie).
  std::size_t best = 8;
  std::size_t best_len = 1;
  for (std::size_t i = 0; i < 8;) {
    if (g[i] != 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  std::string owner = std::to_string(prefix);
  std::array<char, 8> hex{};
  for (std::size_t k = 8; k-- > 0;) {
    if (best < 8 && k >= best && k < best + best_len) {
      if (k == best) owner += ".zz";
      continue;
    }
    char* end = std::to_chars(hex.data(), hex.data() + hex.size(), g[k], 16).ptr;
    owner += '.';
    owner.append(hex.data(), static_cast<std::size_t>(end - hex.data()));
  }
  return owner + ".rpz-ip";
}

bool IsV4(const std::string& addr) {
  return addr.find(':') == std::string::npos;
}

// RPZ reads a name whose last label is one of these as an address or name-server trigger, not
// as a query name; a domain target ending in one cannot be written as a QNAME trigger.
bool EndsInRpzLabel(std::string_view name) {
  const std::size_t dot = name.rfind('.');
  const std::string_view last = dot == std::string_view::npos ? name : name.substr(dot + 1);
  return last == "rpz-ip" || last == "rpz-nsip" || last == "rpz-nsdname" || last == "rpz-client-ip";
}

// The trigger of network `addr`/`prefix`, 0 < prefix <= full. Producers: the network as a cidr,
// its address as an ip when it is one address, and the family's /0 when it is one of the two
// halves a /0 is written as.
RpzTrigger NetworkTrigger(const std::string& addr, int prefix) {
  const bool v4 = IsV4(addr);
  const int full = v4 ? 32 : 128;
  RpzTrigger t{RpzIpOwner(addr, prefix),
               {{TargetKind::kCidr, addr + "/" + std::to_string(prefix)}}};
  if (prefix == full) t.producers.push_back({TargetKind::kIp, addr});
  if (prefix == 1) t.producers.push_back({TargetKind::kCidr, v4 ? "0.0.0.0/0" : "::/0"});
  return t;
}

}  // namespace

std::vector<RpzTrigger> RpzTriggers(const Target& target) {
  const std::string& v = target.value;
  switch (target.kind) {
    case TargetKind::kDomain:
      if (EndsInRpzLabel(v)) return {};
      return {{v, {{TargetKind::kDomain, v}, {TargetKind::kDomainTree, v}}}};
    case TargetKind::kDomainTree:
      if (EndsInRpzLabel(v)) return {};
      return {{v, {{TargetKind::kDomain, v}, {TargetKind::kDomainTree, v}}},
              {"*." + v, {{TargetKind::kDomainTree, v}}}};
    case TargetKind::kIp: {
      RpzTrigger t = NetworkTrigger(v, IsV4(v) ? 32 : 128);
      if (t.owner.empty()) return {};
      return {std::move(t)};
    }
    case TargetKind::kCidr: {
      const std::size_t slash = v.find('/');
      if (slash == std::string::npos) return {};
      const std::string addr = v.substr(0, slash);
      const int prefix = std::atoi(v.c_str() + slash + 1);
      if (prefix > 0) {
        RpzTrigger t = NetworkTrigger(addr, prefix);
        if (t.owner.empty()) return {};
        return {std::move(t)};
      }
      // RPZ prefix lengths start at 1 (BIND ignores a 0 with a complaint): a /0 is its two /1s.
      if (IsV4(addr)) return {NetworkTrigger("0.0.0.0", 1), NetworkTrigger("128.0.0.0", 1)};
      return {NetworkTrigger("::", 1), NetworkTrigger("8000::", 1)};
    }
    case TargetKind::kUrl:
    case TargetKind::kApp:
    case TargetKind::kSearch: return {};
  }
  return {};
}

std::vector<std::string> RpzOwners(const ViewSet& view) {
  std::vector<std::string> owners;
  owners.reserve(view.entries.size() * 3 / 2);
  for (const FeedEntry& e : view.entries) {
    for (RpzTrigger& t : RpzTriggers(e.target)) owners.push_back(std::move(t.owner));
  }
  std::sort(owners.begin(), owners.end());
  owners.erase(std::unique(owners.begin(), owners.end()), owners.end());
  return owners;
}

RpzOwnerDelta RpzDelta(const ViewSet& now, const ViewDelta& delta) {
  auto in = [](const std::vector<FeedEntry>& entries, const Target& t) {
    return FindEntry(entries, t) != nullptr;
  };
  auto in_now = [&now](const Target& t) { return now.entry(t) != nullptr; };
  auto sorted = [](std::vector<FeedEntry> v) {
    std::sort(v.begin(), v.end(),
              [](const FeedEntry& a, const FeedEntry& b) { return a.target < b.target; });
    return v;
  };
  const std::vector<FeedEntry> added = sorted(delta.added);
  const std::vector<FeedEntry> removed = sorted(delta.removed);
  auto at_from = [&](const Target& t) { return (in_now(t) && !in(added, t)) || in(removed, t); };
  RpzOwnerDelta out;
  for (const std::vector<FeedEntry>* list : {&added, &removed}) {
    for (const FeedEntry& e : *list) {
      for (const RpzTrigger& t : RpzTriggers(e.target)) {
        const bool then = std::any_of(t.producers.begin(), t.producers.end(), at_from);
        const bool now_in = std::any_of(t.producers.begin(), t.producers.end(), in_now);
        if (then && !now_in) out.removed.push_back(t.owner);
        if (!then && now_in) out.added.push_back(t.owner);
      }
    }
  }
  for (std::vector<std::string>* v : {&out.removed, &out.added}) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }
  return out;
}

}  // namespace interdict::feed
