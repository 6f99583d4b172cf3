// Fuzz target for the probe's inputs (src/probe/targets.h): the same bytes as a targets file
// and as the registry's JSON feed snapshot. Neither parser may crash; a targets-file error names
// the file and a line; every target either parser keeps is canonical (ParseTarget of its text
// gives it back) and plannable (PlanTarget succeeds). A violation aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "model/target.h"
#include "probe/targets.h"

namespace {

using interdict::Result;
using interdict::Target;
using interdict::probe::TargetList;

[[noreturn]] void Fail(std::string_view what, std::string_view detail) {
  (void)std::fprintf(stderr, "%.*s: %.*s\n", static_cast<int>(what.size()), what.data(),
                     static_cast<int>(detail.size()), detail.data());
  std::abort();
}

void Check(const TargetList& list) {
  for (const Target& t : list.targets) {
    const std::string text = t.ToString();
    Result<Target> again = interdict::ParseTarget(text);
    if (!again.ok() || *again != t) Fail("target not canonical", text);
    Result<interdict::probe::ProbePlan> plan = interdict::probe::PlanTarget(t, 80, 443);
    if (!plan.ok()) Fail("kept target cannot be planned", text);
    if (plan->host.empty() == plan->address.empty()) Fail("plan needs a host or an address", text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (Result<TargetList> r = interdict::probe::ParseTargetsFile(text, "fuzz"); r.ok()) {
    Check(*r);
  } else if (r.status().message().rfind("fuzz:", 0) != 0) {
    Fail("error without file:line", r.status().message());
  }
  if (Result<TargetList> r = interdict::probe::ParseFeedSnapshot(text); r.ok()) Check(*r);
  return 0;
}
