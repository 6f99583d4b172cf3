#include "matcher_data.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <span>
#include <unordered_set>
#include <utility>

namespace interdict::bench {
namespace {

#ifndef INTERDICT_BLOCKLISTS_DEFAULT
#define INTERDICT_BLOCKLISTS_DEFAULT "../shared/data/blocklists"
#endif

using Rng = std::mt19937_64;

std::size_t Below(Rng& rng, std::size_t n) {
  return static_cast<std::size_t>(rng() % n);
}
bool Chance(Rng& rng, unsigned percent) {
  return rng() % 100 < percent;
}

template <typename T, std::size_t N>
const T& Pick(Rng& rng, const std::array<T, N>& list) {
  return list[Below(rng, N)];
}

// A suffix with a weight: public suffixes (one or two labels) and a few hosting domains under
// which sites get their own name.
struct WeightedSuffix {
  std::string_view suffix;
  unsigned weight;
};

// Heavy on com/net/org/ru/to/io, then the ccTLDs and new gTLDs seen in the real lists; about
// one name in seven sits under a two-label suffix.
// clang-format off
constexpr std::array<WeightedSuffix, 46> kRuleSuffixes = {{
    {"com", 380}, {"net", 80}, {"org", 45}, {"ru", 60}, {"to", 25}, {"io", 30}, {"de", 25},
    {"info", 20}, {"br", 8}, {"com.br", 25}, {"co.uk", 25}, {"uk", 4}, {"in", 8},
    {"co.in", 10}, {"com.au", 15}, {"pl", 10}, {"fr", 10}, {"it", 10}, {"nl", 10}, {"tv", 12},
    {"me", 10}, {"su", 8}, {"cc", 8}, {"co", 10}, {"xyz", 12}, {"top", 10}, {"online", 8},
    {"site", 8}, {"club", 5}, {"ws", 4}, {"ca", 8}, {"eu", 8}, {"es", 8}, {"jp", 6}, {"cn", 6},
    {"us", 6}, {"biz", 5}, {"ua", 8}, {"com.ua", 10}, {"kz", 3}, {"by", 3}, {"bid", 6},
    {"blogspot.com", 30}, {"github.io", 10}, {"herokuapp.com", 8}, {"com.tr", 8},
}};

// Suffixes of the popular names the queries are made of.
constexpr std::array<WeightedSuffix, 20> kQuerySuffixes = {{
    {"com", 500}, {"net", 90}, {"org", 60}, {"ru", 40}, {"io", 40}, {"de", 30}, {"co.uk", 25},
    {"com.br", 20}, {"fr", 15}, {"jp", 15}, {"to", 5}, {"tv", 10}, {"me", 10}, {"info", 10},
    {"nl", 10}, {"it", 10}, {"es", 10}, {"pl", 10}, {"ca", 10}, {"in", 10},
}};
// clang-format on

template <std::size_t N>
std::string_view PickSuffix(Rng& rng, const std::array<WeightedSuffix, N>& list) {
  unsigned total = 0;
  for (const auto& s : list) total += s.weight;
  auto r = static_cast<unsigned>(rng() % total);
  for (const auto& s : list) {
    if (r < s.weight) return s.suffix;
    r -= s.weight;
  }
  return list[0].suffix;
}

// Word pieces that second-level labels of pirate, ad and phishing sites are made of.
constexpr std::array<std::string_view, 64> kSyllables = {
    "kino", "film",   "stream",  "torrent", "live",   "sport",   "music",  "free",
    "hd",   "online", "watch",   "mp3",     "tube",   "warez",   "serial", "match",
    "tv",   "radio",  "books",   "games",   "movie",  "zona",    "seed",   "pirate",
    "bay",  "rut",    "tracker", "load",    "down",   "file",    "share",  "cloud",
    "ads",  "click",  "track",   "pixel",   "stat",   "metric",  "count",  "banner",
    "pay",  "bank",   "secure",  "login",   "verify", "account", "update", "mail",
    "net",  "web",    "top",     "best",    "my",     "go",      "get",    "up",
    "ka",   "ro",     "ma",      "zo",      "li",     "ne",      "ta",     "vi",
};

// Names people look up all day; misses are made from these.
constexpr std::array<std::string_view, 96> kWords = {
    "google",   "apple",  "amazon", "micro", "cloud",  "weather", "news",  "shop",   "bank",
    "travel",   "photo",  "video",  "music", "search", "social",  "chat",  "maps",   "mail",
    "office",   "store",  "market", "sport", "health", "school",  "city",  "energy", "green",
    "blue",     "red",    "bright", "smart", "fast",   "open",    "home",  "family", "garden",
    "kitchen",  "auto",   "motor",  "bike",  "pixel",  "data",    "stack", "code",   "dev",
    "tech",     "labs",   "works",  "media", "press",  "daily",   "times", "post",   "journal",
    "radio",    "global", "world",  "north", "south",  "east",    "west",  "river",  "lake",
    "mountain", "coffee", "pizza",  "food",  "fresh",  "farm",    "wine",  "book",   "learn",
    "study",    "jobs",   "career", "money", "pay",    "wallet",  "trade", "crypto", "game",
    "play",     "fun",    "kids",   "pet",   "dog",    "cat",     "star",  "sun",    "moon",
    "sky",      "ocean",  "rock",   "stone", "gold",   "silver",
};

constexpr std::array<std::string_view, 24> kQueryHosts = {
    "www",  "api",   "mail", "cdn",  "static", "img",   "m",     "app",
    "auth", "login", "docs", "blog", "shop",   "media", "video", "assets",
    "www",  "www",   "www",  "api",  "ws",     "push",  "edge",  "beta",
};

constexpr std::array<std::string_view, 16> kSubLabels = {
    "cdn", "m",  "static", "img",    "api", "mail", "stream", "video",
    "s1",  "s2", "ww2",    "mirror", "dl",  "ru",   "en",     "tracker",
};

constexpr char kAlnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";

std::string RandomAlnum(Rng& rng, std::size_t length) {
  std::string s;
  s.reserve(length);
  for (std::size_t i = 0; i < length; ++i) {
    // Mostly letters: digits are about one character in seven.
    const std::size_t pick = Chance(rng, 85) ? Below(rng, 26) : 26 + Below(rng, 10);
    s.push_back(kAlnum[pick]);
  }
  return s;
}

// A second-level label of 4-15 characters: word pieces, random letters and digits, or two
// parts joined by a hyphen.
std::string SecondLevelLabel(Rng& rng) {
  const std::size_t target = 4 + Below(rng, 12);
  std::string label;
  const auto style = Below(rng, 100);
  if (style < 50) {
    while (label.size() < target) label += Pick(rng, kSyllables);
    if (Chance(rng, 20)) label += std::to_string(Below(rng, 1000));
  } else if (style < 85) {
    label = RandomAlnum(rng, target);
  } else {
    const std::size_t left = std::max<std::size_t>(2, target / 2);
    label = std::string(Pick(rng, kSyllables)).substr(0, left);
    label += '-';
    label += Chance(rng, 50) ? std::string(Pick(rng, kSyllables))
                             : RandomAlnum(rng, std::max<std::size_t>(2, target - left));
  }
  if (label.size() > 15) label.resize(15);
  while (label.back() == '-') label.pop_back();
  return label;
}

std::string SubdomainLabel(Rng& rng) {
  const auto r = Below(rng, 100);
  if (r < 35) return "www";
  if (r < 65) return std::string(Pick(rng, kSubLabels));
  return RandomAlnum(rng, 1 + Below(rng, 8));
}

// A rule name: about a third carry one to three subdomain labels.
std::string RuleName(Rng& rng) {
  std::string name;
  if (Chance(rng, 33)) {
    const auto r = Below(rng, 100);
    const int labels = r < 50 ? 1 : r < 80 ? 2 : 3;
    for (int i = 0; i < labels; ++i) {
      // "www" only as the leftmost label.
      std::string label = SubdomainLabel(rng);
      if (i > 0 && label == "www") label = RandomAlnum(rng, 2 + Below(rng, 4));
      name += label;
      name += '.';
    }
  }
  name += SecondLevelLabel(rng);
  name += '.';
  name += PickSuffix(rng, kRuleSuffixes);
  return name;
}

std::string PathSegment(Rng& rng) {
  switch (Below(rng, 4)) {
    case 0: return std::string(Pick(rng, kSyllables));
    case 1: return std::to_string(Below(rng, 100000));
    case 2: return RandomAlnum(rng, 3 + Below(rng, 10));
    default: return std::string(Pick(rng, kWords)) + "-" + std::string(Pick(rng, kSyllables));
  }
}

std::string RuleUrl(Rng& rng) {
  std::string url = Chance(rng, 60) ? "https://" : "http://";
  url += RuleName(rng);
  const auto segments = 1 + Below(rng, 3);
  for (std::size_t i = 0; i < segments; ++i) {
    url += '/';
    url += PathSegment(rng);
  }
  if (Chance(rng, 25)) {
    url += "/*";  // a prefix rule: everything below this path
  } else if (Chance(rng, 30)) {
    url += ".html";
  }
  return url;
}

// An IPv4 /16-/32 or, one time in ten, an IPv6 range or address. Returns the kind.
TargetKind RuleAddress(Rng& rng, std::string* out) {
  if (Chance(rng, 90)) {
    // Lengths: many single addresses and /24s, fewer larger ranges.
    static constexpr std::array<unsigned, 12> kLengths = {32, 32, 32, 32, 24, 24,
                                                          24, 28, 29, 22, 20, 16};
    const unsigned length = Pick(rng, kLengths);
    auto address = static_cast<std::uint32_t>(rng());
    address = (address & 0x00ffffffU) | ((1 + static_cast<std::uint32_t>(Below(rng, 223))) << 24);
    if (length < 32) address &= ~((std::uint32_t{1} << (32 - length)) - 1);
    *out = std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 255) + "." +
           std::to_string((address >> 8) & 255) + "." + std::to_string(address & 255);
    if (length == 32) return TargetKind::kIp;
    *out += "/" + std::to_string(length);
    return TargetKind::kCidr;
  }
  char buf[64];
  const unsigned a = 0x2a00U + static_cast<unsigned>(Below(rng, 0x10));
  const auto b = static_cast<unsigned>(Below(rng, 0x10000));
  const auto c = static_cast<unsigned>(Below(rng, 0x10000));
  switch (Below(rng, 3)) {
    case 0: std::snprintf(buf, sizeof buf, "%x:%x::/32", a, b); return TargetKind::kCidr;
    case 1: std::snprintf(buf, sizeof buf, "%x:%x:%x::/48", a, b, c); break;
    default:
      std::snprintf(buf, sizeof buf, "%x:%x:%x::%x", a, b, c,
                    static_cast<unsigned>(1 + Below(rng, 0xfffe)));
      *out = buf;
      return TargetKind::kIp;
  }
  *out = buf;
  return TargetKind::kCidr;
}

std::string Canonical(TargetKind kind, const std::string& value) {
  Result<Target> t = NormalizeTarget(kind, value);
  if (!t.ok()) return {};
  return std::move(t->value);
}

// The is-it-blocked question asked the simplest way, to keep blocked names out of the misses.
class NameOracle {
 public:
  explicit NameOracle(const std::vector<BenchRule>& rules) {
    for (const auto& r : rules) {
      if (r.kind == TargetKind::kDomain) exact_.insert(r.value);
      if (r.kind == TargetKind::kDomainTree) tree_.insert(r.value);
    }
  }
  // `name` lowercase, without a trailing dot.
  bool Blocked(std::string_view name) const {
    if (exact_.contains(name)) return true;
    while (true) {
      if (tree_.contains(name)) return true;
      const auto dot = name.find('.');
      if (dot == std::string_view::npos) return false;
      name.remove_prefix(dot + 1);
    }
  }

 private:
  std::unordered_set<std::string_view> exact_;
  std::unordered_set<std::string_view> tree_;
};

std::string PopularName(Rng& rng) {
  const std::string_view word = Pick(rng, kWords);
  std::string second(word);
  switch (Below(rng, 6)) {
    case 0: second += Pick(rng, kWords); break;
    case 1: second += "-" + std::string(Pick(rng, kWords)); break;
    case 2: second += std::to_string(Below(rng, 100)); break;
    case 3: second += Pick(rng, kSyllables); break;
    default: second = std::string(Pick(rng, kWords)) + std::string(Pick(rng, kWords)); break;
  }
  const std::string_view suffix = PickSuffix(rng, kQuerySuffixes);
  switch (Below(rng, 10)) {
    case 0:
    case 1:
    case 2: return "www." + second + "." + std::string(suffix);
    case 3: return "api." + second + ".com";
    case 4: return second + "." + std::string(suffix);
    case 5: return std::string(Pick(rng, kQueryHosts)) + "." + second + "." + std::string(suffix);
    case 6: return RandomAlnum(rng, 8 + Below(rng, 6)) + ".cloudfront.net";
    case 7: return second + ".s3.amazonaws.com";
    case 8: {
      const std::string_view outer = Pick(rng, kQueryHosts);
      std::string_view inner = Pick(rng, kQueryHosts);
      if (inner == outer) inner = "eu";
      return std::string(outer) + "." + std::string(inner) + "." + second + "." +
             std::string(suffix);
    }
    default: return "edge-" + std::to_string(Below(rng, 64)) + "." + second + ".net";
  }
}

// Puts a few characters of `name` in upper case.
void MixCase(Rng& rng, std::string& name) {
  for (char& c : name) {
    if (c >= 'a' && c <= 'z' && Chance(rng, 40)) c = static_cast<char>(c - 'a' + 'A');
  }
}

void AddAddressQueries(RuleSet& set, Rng& rng) {
  std::vector<const BenchRule*> ranges;
  for (const auto& r : set.rules) {
    if (r.kind == TargetKind::kIp || r.kind == TargetKind::kCidr) ranges.push_back(&r);
  }
  if (ranges.empty()) return;
  set.ip_queries.reserve(kQueryCount);
  char text[INET6_ADDRSTRLEN];
  for (std::size_t i = 0; i < kQueryCount; ++i) {
    std::array<unsigned char, 16> bytes{};
    int family = AF_INET;
    const bool hit = Chance(rng, 10);
    if (hit) {
      // An address inside a rule: the rule's network with random host bits.
      const std::string& v = ranges[Below(rng, ranges.size())]->value;
      const auto slash = v.find('/');
      const std::string network = v.substr(0, slash);
      family = network.find(':') == std::string::npos ? AF_INET : AF_INET6;
      const unsigned bits = family == AF_INET ? 32 : 128;
      const unsigned length = slash == std::string::npos
                                  ? bits
                                  : static_cast<unsigned>(std::atoi(v.c_str() + slash + 1));
      if (inet_pton(family, network.c_str(), bytes.data()) != 1) std::abort();
      for (unsigned bit = length; bit < bits; ++bit) {
        if (Chance(rng, 50))
          bytes[bit / 8] = static_cast<unsigned char>(bytes[bit / 8] | (0x80U >> (bit % 8)));
      }
    } else if (Chance(rng, 90)) {
      const auto a = static_cast<std::uint32_t>(rng());
      for (std::size_t k = 0; k < 4; ++k) {
        bytes[k] = static_cast<unsigned char>(a >> (24 - 8 * k));
      }
    } else {
      family = AF_INET6;
      const auto hi = rng();
      const auto lo = rng();
      for (std::size_t k = 0; k < 8; ++k) {
        bytes[k] = static_cast<unsigned char>(hi >> (56 - 8 * k));
        bytes[8 + k] = static_cast<unsigned char>(lo >> (56 - 8 * k));
      }
      bytes[0] = 0x2a;
      bytes[1] = static_cast<unsigned char>(bytes[1] & 0x0f);
    }
    if (inet_ntop(family, bytes.data(), text, sizeof text) == nullptr) std::abort();
    set.ip_queries.emplace_back(text);
    set.ip_query_is_hit.push_back(hit);
  }
}

// Copies `strings` back to back into `bytes` and points `views` at the copies.
void Pack(const std::vector<std::string>& strings, std::string* bytes,
          std::vector<std::string_view>* views) {
  std::size_t total = 0;
  for (const auto& s : strings) total += s.size();
  bytes->clear();
  bytes->reserve(total);
  for (const auto& s : strings) *bytes += s;
  views->clear();
  views->reserve(strings.size());
  std::size_t at = 0;
  for (const auto& s : strings) {
    views->push_back(std::string_view(*bytes).substr(at, s.size()));
    at += s.size();
  }
}

void CountNameRules(RuleSet& set) {
  set.name_rules = 0;
  for (const auto& r : set.rules) {
    set.name_rules += r.kind == TargetKind::kDomain || r.kind == TargetKind::kDomainTree;
  }
}

}  // namespace

RuleSet GenerateRuleSet(std::string name, std::size_t rule_count, std::uint64_t seed) {
  RuleSet set;
  set.name = std::move(name);
  set.order_count = 50000;
  Rng rng(seed);
  std::unordered_set<std::string> seen;  // kind byte + value
  seen.reserve(rule_count * 2);
  set.rules.reserve(rule_count);
  while (set.rules.size() < rule_count) {
    BenchRule rule;
    const auto mix = Below(rng, 100);
    if (mix < 60) {
      rule.kind = TargetKind::kDomain;
      rule.value = RuleName(rng);
    } else if (mix < 95) {
      rule.kind = TargetKind::kDomainTree;
      rule.value = RuleName(rng);
    } else if (mix < 99) {
      rule.kind = TargetKind::kUrl;
      rule.value = Canonical(rule.kind, RuleUrl(rng));
    } else {
      std::string address;
      rule.kind = RuleAddress(rng, &address);
      rule.value = Canonical(rule.kind, address);
    }
    if (rule.value.empty()) continue;  // not canonicalizable; draw again
    std::string key(1, static_cast<char>('0' + static_cast<int>(rule.kind)));
    key += rule.value;
    if (!seen.insert(std::move(key)).second) continue;
    rule.order = static_cast<std::uint32_t>(Below(rng, set.order_count));
    set.rules.push_back(std::move(rule));
  }
  CountNameRules(set);
  return set;
}

RuleSet LoadRuleSet(std::string name, const std::string& dir, const std::vector<std::string>& files,
                    std::uint64_t seed) {
  RuleSet set;
  set.name = std::move(name);
  Rng rng(seed);
  std::unordered_set<std::string> seen;
  std::vector<std::string> names;
  for (const auto& file : files) {
    std::string path = dir;
    path += '/';
    path += file;
    std::ifstream in(path);
    if (!in) {
      set.unavailable = "cannot read " + path +
                        " (set INTERDICT_BLOCKLISTS to the directory with the blocklists)";
      return set;
    }
    std::string line;
    while (std::getline(in, line)) {
      std::string_view v(line);
      if (const auto hash = v.find('#'); hash != std::string_view::npos) v = v.substr(0, hash);
      while (!v.empty() && (v.back() == '\r' || v.back() == ' ' || v.back() == '\t')) {
        v.remove_suffix(1);
      }
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      if (v.empty() || v.front() == '!') continue;
      // Hosts format: "0.0.0.0 name" or "127.0.0.1 name".
      if (const auto space = v.find_first_of(" \t"); space != std::string_view::npos) {
        v = v.substr(space + 1);
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      }
      Result<std::string> normalized = NormalizeDomain(v);
      if (!normalized.ok()) {
        ++set.skipped_lines;
        continue;
      }
      if (seen.insert(*normalized).second) names.push_back(std::move(normalized).value());
    }
  }
  set.order_count = static_cast<std::uint32_t>(std::max<std::size_t>(1, names.size() / 20));
  set.rules.reserve(names.size());
  for (auto& n : names) {
    BenchRule rule;
    rule.kind = Chance(rng, 35) ? TargetKind::kDomainTree : TargetKind::kDomain;
    rule.value = std::move(n);
    rule.order = static_cast<std::uint32_t>(Below(rng, set.order_count));
    set.rules.push_back(std::move(rule));
  }
  CountNameRules(set);
  return set;
}

void GenerateQueries(RuleSet& set, std::uint64_t seed) {
  Rng rng(seed);
  const NameOracle oracle(set.rules);
  std::vector<const BenchRule*> names;
  for (const auto& r : set.rules) {
    if (r.kind == TargetKind::kDomain || r.kind == TargetKind::kDomainTree) names.push_back(&r);
  }
  set.queries.clear();
  set.queries.reserve(kQueryCount);
  set.query_is_hit.clear();
  set.hit_queries = 0;
  for (std::size_t i = 0; i < kQueryCount; ++i) {
    std::string q;
    const bool hit = !names.empty() && Chance(rng, 10);
    if (hit) {
      const BenchRule& r = *names[Below(rng, names.size())];
      if (r.kind == TargetKind::kDomainTree && Chance(rng, 60)) {
        switch (Below(rng, 4)) {
          case 0: q = "www." + r.value; break;
          case 1: q = "x" + std::to_string(Below(rng, 10)) + ".cdn." + r.value; break;
          case 2: q = "m." + r.value; break;
          default: q = RandomAlnum(rng, 1 + Below(rng, 10)) + "." + r.value; break;
        }
        if (q.size() > 253) q = r.value;
      } else {
        q = r.value;
      }
      ++set.hit_queries;
    } else {
      do {
        q = PopularName(rng);
      } while (oracle.Blocked(q));
    }
    if (Chance(rng, 3)) MixCase(rng, q);
    if (Chance(rng, 3)) q.push_back('.');
    set.queries.push_back(std::move(q));
    set.query_is_hit.push_back(hit);
  }
  Pack(set.queries, &set.query_bytes, &set.query_views);
  AddAddressQueries(set, rng);
  Pack(set.ip_queries, &set.ip_query_bytes, &set.ip_query_views);
}

std::string BlocklistDir() {
  const char* env = std::getenv("INTERDICT_BLOCKLISTS");
  if (env != nullptr && *env != '\0') return env;
  return INTERDICT_BLOCKLISTS_DEFAULT;
}

NameShape MeasureNames(const RuleSet& set) {
  NameShape shape;
  std::size_t n = 0;
  double length = 0;
  double labels = 0;
  for (const auto& r : set.rules) {
    if (r.kind != TargetKind::kDomain && r.kind != TargetKind::kDomainTree) continue;
    ++n;
    length += static_cast<double>(r.value.size());
    labels += static_cast<double>(1 + std::count(r.value.begin(), r.value.end(), '.'));
  }
  if (n > 0) {
    shape.avg_length = length / static_cast<double>(n);
    shape.avg_labels = labels / static_cast<double>(n);
  }
  return shape;
}

}  // namespace interdict::bench
