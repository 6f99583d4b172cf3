// Block-page fingerprints: what marks an HTTP response as an ISP's or an authority's block page
// rather than the origin's answer (docs/probe.md).
//
// The file has one fingerprint per line:
//   body:SUBSTRING           the body (its first kFingerprintBodyBytes bytes) contains SUBSTRING
//   header:NAME:SUBSTRING    a header NAME (any case) has a value containing SUBSTRING
//   status:CODE              the status code is CODE (100..599)
// Blank lines and lines whose first non-blank character is '#' are ignored; leading blanks and
// trailing CRs are dropped, everything else is part of the substring (case-sensitive). A bad
// line is an error naming the file, the line and why; nothing is kept then.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace interdict::probe {

inline constexpr std::size_t kFingerprintBodyBytes = std::size_t{64} * 1024;
inline constexpr std::size_t kMaxFingerprintText = 1024;
inline constexpr std::size_t kMaxFingerprints = 10000;

struct Fingerprint {
  enum class Kind { kBody, kHeader, kStatus };
  Kind kind = Kind::kBody;
  std::string header;  // kHeader: the header name, lowercased
  std::string text;    // kBody, kHeader: the substring
  int status = 0;      // kStatus
  int line = 0;        // where it was read

  // The line as written ("body:Access denied", "header:server:blockpage", "status:403").
  std::string ToString() const;
};

Result<std::vector<Fingerprint>> ParseFingerprints(std::string_view text,
                                                   std::string_view file_name);
// Reads and parses a file (at most 16 MiB).
Result<std::vector<Fingerprint>> ReadFingerprintFile(const std::string& path);

// The first fingerprint the response matches, or nullptr. `headers` have lowercased names;
// `body` is what was read of the body.
const Fingerprint* MatchFingerprint(const std::vector<Fingerprint>& prints, int status,
                                    const std::vector<std::pair<std::string, std::string>>& headers,
                                    std::string_view body);

}  // namespace interdict::probe
