// Fuzz target for interdict's JSON formats (orders for import, referrals for `refer --file`) and
// the time parser they use. Any input must give a value or an error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/time.h"
#include "io/json_format.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)interdict::ParseJsonOrders(text, "fuzz.json");
  // An empty base folder: "capture" paths resolve against the current folder and, when they
  // exist, are only read and hashed.
  (void)interdict::ParseJsonReferrals(text, "fuzz.json", "/nonexistent-fuzz-dir");
  if (size < 64) {
    interdict::Result<interdict::UnixTime> t = interdict::ParseTime(text);
    if (t.ok()) {
      // What we print, we read back to the same instant.
      interdict::Result<interdict::UnixTime> again =
          interdict::ParseTime(interdict::FormatTime(*t));
      if (!again.ok() || *again != *t) __builtin_trap();
    }
  }
  return 0;
}
