#include "probe/fingerprints.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <fstream>
#include <iterator>

namespace interdict::probe {
namespace {

bool IsTokenChar(char c) {
  // RFC 9110 tchar.
  if (std::isalnum(static_cast<unsigned char>(c)) != 0) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Shown(std::string_view s) {
  std::string out;
  for (const char c : s.substr(0, 40)) {
    out += (c >= 0x20 && c < 0x7F) ? c : '?';
  }
  if (s.size() > 40) out += "...";
  return "\"" + out + "\"";
}

}  // namespace

std::string Fingerprint::ToString() const {
  switch (kind) {
    case Kind::kBody: return "body:" + text;
    case Kind::kHeader: return "header:" + header + ":" + text;
    case Kind::kStatus: return "status:" + std::to_string(status);
  }
  return "?";
}

Result<std::vector<Fingerprint>> ParseFingerprints(std::string_view text,
                                                   std::string_view file_name) {
  std::vector<Fingerprint> out;
  int number = 0;
  while (!text.empty()) {
    ++number;
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::size_t start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos || line[start] == '#') continue;
    line.remove_prefix(start);
    auto error = [&](const std::string& why) {
      return Status::InvalidArgument(std::string(file_name) + ":" + std::to_string(number) + ": " +
                                     why);
    };
    if (out.size() >= kMaxFingerprints) {
      return error("more than " + std::to_string(kMaxFingerprints) + " fingerprints");
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return error("expected body:TEXT, header:NAME:TEXT or status:CODE, found " + Shown(line));
    }
    const std::string_view kind = line.substr(0, colon);
    std::string_view rest = line.substr(colon + 1);
    Fingerprint f;
    f.line = number;
    if (kind == "body") {
      f.kind = Fingerprint::Kind::kBody;
    } else if (kind == "header") {
      f.kind = Fingerprint::Kind::kHeader;
      const std::size_t c2 = rest.find(':');
      if (c2 == std::string_view::npos) return error("expected header:NAME:TEXT");
      const std::string_view name = rest.substr(0, c2);
      if (name.empty()) return error("empty header name");
      if (!std::all_of(name.begin(), name.end(), IsTokenChar)) {
        return error("header name " + Shown(name) + " is not an HTTP token");
      }
      f.header = Lower(name);
      rest = rest.substr(c2 + 1);
    } else if (kind == "status") {
      f.kind = Fingerprint::Kind::kStatus;
      if (rest.size() != 3 ||
          !std::all_of(rest.begin(), rest.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return error("status " + Shown(rest) + " is not a three-digit code");
      }
      f.status = (rest[0] - '0') * 100 + (rest[1] - '0') * 10 + (rest[2] - '0');
      if (f.status < 100 || f.status > 599) {
        return error("status " + std::to_string(f.status) + " is outside 100..599");
      }
      out.push_back(std::move(f));
      continue;
    } else {
      return error("unknown kind " + Shown(kind) + " (body, header or status)");
    }
    if (rest.empty()) return error("empty text: it would match every response");
    if (rest.size() > kMaxFingerprintText) {
      return error("text longer than " + std::to_string(kMaxFingerprintText) + " bytes");
    }
    f.text = std::string(rest);
    out.push_back(std::move(f));
  }
  return out;
}

Result<std::vector<Fingerprint>> ReadFingerprintFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError(path + ": cannot open: " + ErrnoText(errno));
  std::string text;
  constexpr std::size_t kLimit = std::size_t{16} << 20;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kLimit) return Status::InvalidArgument(path + ": larger than 16 MiB");
  }
  if (in.bad()) return Status::IOError(path + ": read failed");
  return ParseFingerprints(text, path);
}

const Fingerprint* MatchFingerprint(const std::vector<Fingerprint>& prints, int status,
                                    const std::vector<std::pair<std::string, std::string>>& headers,
                                    std::string_view body) {
  body = body.substr(0, kFingerprintBodyBytes);
  for (const Fingerprint& f : prints) {
    switch (f.kind) {
      case Fingerprint::Kind::kStatus:
        if (status == f.status) return &f;
        break;
      case Fingerprint::Kind::kBody:
        if (body.find(f.text) != std::string_view::npos) return &f;
        break;
      case Fingerprint::Kind::kHeader:
        for (const auto& [name, value] : headers) {
          if (name == f.header && value.find(f.text) != std::string::npos) return &f;
        }
        break;
    }
  }
  return nullptr;
}

}  // namespace interdict::probe
