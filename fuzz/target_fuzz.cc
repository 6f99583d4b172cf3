// Fuzz target for target normalization: every normalizer and ParseTarget run on the input, must
// not crash, and must be idempotent: normalizing a successful output again gives the same output,
// and a Target's ToString() parses back to the same Target. A violation aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "model/target.h"

namespace {

using interdict::Result;
using interdict::Target;
using interdict::TargetKind;

[[noreturn]] void Fail(std::string_view what, std::string_view first, std::string_view second) {
  (void)std::fprintf(stderr, "%.*s\n  first:  \"%.*s\"\n  second: \"%.*s\"\n",
                     static_cast<int>(what.size()), what.data(), static_cast<int>(first.size()),
                     first.data(), static_cast<int>(second.size()), second.data());
  std::abort();
}

void CheckIdempotent(std::string_view name, Result<std::string> (*normalize)(std::string_view),
                     std::string_view input) {
  const Result<std::string> first = normalize(input);
  if (!first.ok()) {
    if (first.status().message().empty()) Fail(name, "error without a message", input);
    return;
  }
  const Result<std::string> second = normalize(*first);
  if (!second.ok()) Fail(name, *first, second.status().message());
  if (*second != *first) Fail(name, *first, *second);
}

void CheckTarget(std::string_view name, const Result<Target>& first) {
  if (!first.ok()) return;
  const std::string text = first->ToString();
  const Result<Target> again = interdict::NormalizeTarget(first->kind, first->value);
  if (!again.ok()) Fail(name, text, again.status().message());
  if (*again != *first) Fail(name, text, again->ToString());
  const Result<Target> parsed = interdict::ParseTarget(text);
  if (!parsed.ok()) Fail(name, text, parsed.status().message());
  if (*parsed != *first) Fail(name, text, parsed->ToString());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  CheckIdempotent("NormalizeDomain", interdict::NormalizeDomain, input);
  CheckIdempotent("NormalizeUrl", interdict::NormalizeUrl, input);
  CheckIdempotent("NormalizeIp", interdict::NormalizeIp, input);
  CheckIdempotent("NormalizeCidr", interdict::NormalizeCidr, input);
  CheckIdempotent("NormalizeApp", interdict::NormalizeApp, input);

  for (int k = 0; k < interdict::kTargetKindCount; ++k) {
    const auto kind = static_cast<TargetKind>(k);
    CheckTarget(interdict::TargetKindName(kind), interdict::NormalizeTarget(kind, input));
  }
  CheckTarget("ParseTarget", interdict::ParseTarget(input));

  const Result<TargetKind> kind = interdict::ParseTargetKind(input);
  if (kind.ok() && interdict::TargetKindName(*kind).size() != input.size()) {
    Fail("ParseTargetKind", input, interdict::TargetKindName(*kind));
  }
  return 0;
}
