// Fuzz target for the probe's block-page fingerprint files (src/probe/fingerprints.h): the
// parser must not crash; an error names the file and a line; every parsed fingerprint prints
// back (ToString) to a line that parses to the same fingerprint; matching a response built
// from the input never reads out of bounds. A violation aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "probe/fingerprints.h"

namespace {

using interdict::Result;
using interdict::probe::Fingerprint;

[[noreturn]] void Fail(std::string_view what, std::string_view detail) {
  (void)std::fprintf(stderr, "%.*s: %.*s\n", static_cast<int>(what.size()), what.data(),
                     static_cast<int>(detail.size()), detail.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Result<std::vector<Fingerprint>> r = interdict::probe::ParseFingerprints(text, "fuzz");
  if (!r.ok()) {
    if (r.status().message().rfind("fuzz:", 0) != 0)
      Fail("error without file:line", r.status().message());
    return 0;
  }
  for (const Fingerprint& f : *r) {
    if (f.line <= 0) Fail("fingerprint without a line", f.ToString());
    const std::string line = f.ToString();
    if (line.find('\n') != std::string::npos) Fail("fingerprint spans lines", line);
    Result<std::vector<Fingerprint>> again = interdict::probe::ParseFingerprints(line, "again");
    if (!again.ok() || again->size() != 1 || (*again)[0].ToString() != line) {
      Fail("fingerprint does not print back", line);
    }
  }
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"server", std::string(text.substr(0, 64))}, {"x-a", std::string(text)}};
  static_cast<void>(interdict::probe::MatchFingerprint(*r, 200, headers, text));
  return 0;
}
