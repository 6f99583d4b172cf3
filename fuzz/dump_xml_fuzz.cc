// Fuzz target for the RKN dump.xml reader: reads every record of arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "io/register_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  interdict::Result<std::unique_ptr<interdict::RegisterReader>> reader =
      interdict::DumpXmlFromString(std::string(reinterpret_cast<const char*>(data), size),
                                   "fuzz.xml");
  if (!reader.ok()) return 0;
  interdict::RegisterRecord record;
  // A record needs at least a "<content/>" start tag, so more records than bytes is a bug.
  for (std::size_t records = 0; records <= size + 1; ++records) {
    interdict::Result<bool> more = (*reader)->Next(&record);
    if (!more.ok() || !*more) break;
    if ((*reader)->bytes_read() > size) __builtin_trap();
  }
  return 0;
}
