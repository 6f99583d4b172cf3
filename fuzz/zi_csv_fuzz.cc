// Fuzz target for the z-i dump.csv reader: reads every record of arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "io/register_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::unique_ptr<interdict::RegisterReader> reader = interdict::ZiCsvFromString(
      std::string(reinterpret_cast<const char*>(data), size), "fuzz.csv");
  interdict::RegisterRecord record;
  std::uint64_t last = 0;
  // Every line yields at most one record, so a reader that does not progress is a bug.
  for (std::size_t records = 0; records <= size + 1; ++records) {
    interdict::Result<bool> more = reader->Next(&record);
    if (!more.ok() || !*more) break;
    if (reader->bytes_read() < last || reader->bytes_read() > size) __builtin_trap();
    last = reader->bytes_read();
    if (record.line == 0 || record.location.empty()) __builtin_trap();
  }
  return 0;
}
