// Fuzz target for interdict's CSV order format (`import --format csv`): any bytes give records
// or an error, never a crash; a record read without error has exactly one target.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "io/csv_format.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  interdict::Result<std::vector<interdict::OrderRecord>> records =
      interdict::ParseCsvOrders(text, "fuzz.csv");
  if (records.ok()) {
    for (const interdict::OrderRecord& r : *records) {
      if (r.error.empty() && r.header.targets.size() != 1) __builtin_trap();
    }
  }
  return 0;
}
