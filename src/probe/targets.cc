#include "probe/targets.h"

#include <arpa/inet.h>

#include <array>
#include <boost/json.hpp>
#include <charconv>
#include <cstring>

namespace interdict::probe {
namespace {

namespace json = boost::json;

std::string Shown(std::string_view s) {
  std::string out;
  for (const char c : s.substr(0, 80)) out += (c >= 0x20 && c < 0x7F) ? c : '?';
  return "\"" + out + (s.size() > 80 ? "...\"" : "\"");
}

// "a.b.c.d/n" or "x::/n" → the first usable address.
Result<std::string> FirstUsable(std::string_view cidr) {
  const std::size_t slash = cidr.find('/');
  if (slash == std::string_view::npos || slash >= INET6_ADDRSTRLEN) {
    return Status::InvalidArgument("not a network: " + Shown(cidr));
  }
  char text[INET6_ADDRSTRLEN] = {};
  std::memcpy(text, cidr.data(), slash);
  int bits = 0;
  const std::string_view len = cidr.substr(slash + 1);
  if (std::from_chars(len.data(), len.data() + len.size(), bits).ec != std::errc()) {
    return Status::InvalidArgument("bad prefix length in " + Shown(cidr));
  }
  std::array<std::uint8_t, 16> a{};
  int family = AF_INET;
  std::size_t size = 4;
  if (inet_pton(AF_INET, text, a.data()) != 1) {
    if (inet_pton(AF_INET6, text, a.data()) != 1) {
      return Status::InvalidArgument("not a network: " + Shown(cidr));
    }
    family = AF_INET6;
    size = 16;
  }
  const int host_bits = static_cast<int>(size * 8) - bits;
  if (host_bits >= 2) {  // skip the network address itself
    for (std::size_t i = size; i-- > 0;) {
      if (++a[i] != 0) break;
    }
  }
  char out[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(family, a.data(), out, sizeof out) == nullptr) {
    return Status::Internal("inet_ntop failed");
  }
  return std::string(out);
}

bool IsAddress(std::string_view host) {
  if (host.size() >= INET6_ADDRSTRLEN) return false;
  char text[INET6_ADDRSTRLEN] = {};
  std::memcpy(text, host.data(), host.size());
  std::array<std::uint8_t, 16> a{};
  return inet_pton(AF_INET, text, a.data()) == 1 || inet_pton(AF_INET6, text, a.data()) == 1;
}

}  // namespace

bool IsProbed(TargetKind kind) {
  switch (kind) {
    case TargetKind::kDomain:
    case TargetKind::kDomainTree:
    case TargetKind::kUrl:
    case TargetKind::kIp:
    case TargetKind::kCidr: return true;
    case TargetKind::kApp:
    case TargetKind::kSearch: return false;
  }
  return false;
}

std::string Authority(std::string_view host, std::string_view scheme, std::uint16_t port) {
  std::string out =
      host.find(':') != std::string_view::npos ? "[" + std::string(host) + "]" : std::string(host);
  const bool standard = (scheme == "https" && port == 443) || (scheme == "http" && port == 80);
  if (!standard) out += ":" + std::to_string(port);
  return out;
}

Result<TargetList> ParseTargetsFile(std::string_view text, std::string_view file_name) {
  TargetList out;
  int number = 0;
  while (!text.empty()) {
    ++number;
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    const std::size_t start = line.find_first_not_of(" \t\r");
    if (start == std::string_view::npos || line[start] == '#') continue;
    line.remove_prefix(start);
    line = line.substr(0, line.find_last_not_of(" \t\r") + 1);
    Result<Target> t = ParseTarget(line);
    if (!t.ok()) {
      return Status::InvalidArgument(std::string(file_name) + ":" + std::to_string(number) + ": " +
                                     Shown(line) + ": " + t.status().message());
    }
    if (IsProbed(t->kind)) {
      out.targets.push_back(std::move(t).value());
    } else {
      ++out.skipped;
    }
  }
  return out;
}

Result<TargetList> ParseFeedSnapshot(std::string_view text) {
  TargetList out;
  try {
    json::parse_options options;
    options.max_depth = 16;
    const json::value doc = json::parse(text, {}, options);
    const json::object* root = doc.if_object();
    if (root == nullptr) return Status::Corruption("feed: not a JSON object");
    const json::value* format = root->if_contains("format");
    if (format == nullptr || !format->is_string() || format->get_string() != "interdict-feed") {
      return Status::Corruption("feed: \"format\" is not \"interdict-feed\"");
    }
    if (const json::value* serial = root->if_contains("serial"); serial != nullptr) {
      if (!serial->is_int64() || serial->get_int64() < 0) {
        return Status::Corruption("feed: \"serial\" is not a serial number");
      }
      out.serial = serial->get_int64();
    }
    const json::value* entries = root->if_contains("entries");
    if (entries == nullptr || !entries->is_array()) {
      return Status::Corruption("feed: no \"entries\" array (a delta, not a snapshot?)");
    }
    const json::array& list = entries->get_array();
    out.targets.reserve(list.size());
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string where = "feed: entries[" + std::to_string(i) + "]";
      const json::object* e = list[i].if_object();
      const json::value* kind = e == nullptr ? nullptr : e->if_contains("kind");
      const json::value* value = e == nullptr ? nullptr : e->if_contains("value");
      if (kind == nullptr || value == nullptr || !kind->is_string() || !value->is_string()) {
        return Status::Corruption(where + ": expected {\"kind\": ..., \"value\": ...}");
      }
      Result<TargetKind> k = ParseTargetKind(kind->get_string());
      if (!k.ok()) return Status::Corruption(where + ".kind: " + k.status().message());
      if (!IsProbed(*k)) {
        ++out.skipped;
        continue;
      }
      Result<Target> t = NormalizeTarget(*k, value->get_string());
      if (!t.ok()) return Status::Corruption(where + ".value: " + t.status().message());
      out.targets.push_back(std::move(t).value());
    }
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("feed: not JSON: ") + e.what());
  }
  return out;
}

Result<ProbePlan> PlanTarget(const Target& target, std::uint16_t http_port,
                             std::uint16_t https_port) {
  ProbePlan p;
  p.target = target;
  p.http_port = http_port;
  switch (target.kind) {
    case TargetKind::kDomain:
    case TargetKind::kDomainTree:
      p.host = target.value;
      p.scheme = "https";
      p.port = https_port;
      p.http_fallback = true;
      return p;
    case TargetKind::kIp:
    case TargetKind::kCidr: {
      if (target.kind == TargetKind::kIp) {
        p.address = target.value;
      } else {
        ASSIGN_OR_RETURN(p.address, FirstUsable(target.value));
      }
      p.scheme = "https";
      p.port = https_port;
      p.http_fallback = true;
      return p;
    }
    case TargetKind::kUrl: {
      std::string url = target.value;
      if (!url.empty() && url.back() == '*') url.pop_back();  // a prefix rule: its prefix
      const UrlParts parts = SplitCanonicalUrl(url);
      if (!parts.valid) return Status::InvalidArgument("cannot split the URL " + Shown(url));
      p.scheme = url.starts_with("https:") ? "https" : "http";
      p.port = p.scheme == "https" ? https_port : http_port;
      // An explicit port follows the host in the origin ("scheme://host:port").
      std::string_view origin = parts.origin;
      const std::size_t authority_start = origin.find("//") + 2;
      std::string_view authority = origin.substr(authority_start);
      const std::size_t close = authority.rfind(']');
      const std::size_t colon = authority.rfind(':');
      if (colon != std::string_view::npos && (close == std::string_view::npos || colon > close)) {
        int port = 0;
        const std::string_view digits = authority.substr(colon + 1);
        if (std::from_chars(digits.data(), digits.data() + digits.size(), port).ec != std::errc() ||
            port <= 0 || port > 65535) {
          return Status::InvalidArgument("bad port in " + Shown(url));
        }
        p.port = static_cast<std::uint16_t>(port);
      }
      if (IsAddress(parts.host)) {
        p.address = std::string(parts.host);
      } else {
        p.host = std::string(parts.host);
      }
      p.path = parts.path.empty() ? "/" : std::string(parts.path);
      return p;
    }
    case TargetKind::kApp:
    case TargetKind::kSearch: break;
  }
  return Status::InvalidArgument("the probe does not measure " +
                                 std::string(TargetKindName(target.kind)) + " targets");
}

}  // namespace interdict::probe
