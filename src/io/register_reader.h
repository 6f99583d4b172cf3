// Readers for the Russian register's published formats: the zapret-info `dump.csv` ("z-i")
// and RKN's `dump.xml`. They turn bytes into RegisterRecords with raw UTF-8 strings; they do not
// normalize targets or touch the store (the importer in io/importer.h does that).
//
// A reader is a single-threaded stream: one thread calls Next() until it returns false.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace interdict {

// One register entry: the decision (body, number, date) and what it blocks.
struct RegisterRecord {
  // 1-based line of the record's start in the file. xml: of the <content> start tag; past line
  // 65535 libxml2 only knows the parser's position, which may be a few lines ahead.
  std::uint64_t line = 0;
  std::string location;              // "<file>:<line>" (xml: "<file>:<line>: content id=<id>")
  std::string id;                    // xml content id; empty for z-i
  std::string block_type;            // xml blockType ("", "default", "domain", "domain-mask", "ip")
  std::vector<std::string> ips;      // addresses as written (trimmed)
  std::vector<std::string> subnets;  // CIDRs as written (trimmed)
  std::vector<std::string> domains;  // as written, may be U-labels or `*.x` masks (trimmed)
  std::vector<std::string> urls;     // as written (trimmed)
  std::string body;                  // decision org, UTF-8 ("Роскомнадзор") (trimmed)
  std::string number;                // decision number ("27/3-286-2014/Нд6333-14") (trimmed)
  std::string date;                  // decision date as written (trimmed), normally YYYY-MM-DD
  // The record's original bytes. z-i: the line in the file's encoding, without its "\n" or
  // "\r\n" (and without a UTF-8 BOM on line 1); empty for a line over 1 MiB, which is not kept.
  // xml: empty.
  std::string raw;
  std::string error;  // non-empty: the record is malformed; says which field and why
};

class RegisterReader {
 public:
  virtual ~RegisterReader() = default;

  // Reads the next record into *record (cleared first). Returns false at end of input.
  // A malformed record comes back with record->error set, so the caller can report it and go on;
  // a non-OK Result means the input as a whole is unusable (unreadable file, broken XML).
  virtual Result<bool> Next(RegisterRecord* record) = 0;

  // Bytes of input consumed so far, and the input's total size when known (0 otherwise),
  // for progress reporting.
  virtual std::uint64_t bytes_read() const = 0;
  virtual std::uint64_t bytes_total() const = 0;
};

// Opens a z-i dump.csv (cp1251; first line "Updated: ..."; then
// `ips;domains;urls;body;number;date` with several values in a field split by `|`; a file that
// starts with a UTF-8 BOM is read as UTF-8). Streams in 1 MiB chunks; a line over 1 MiB is a
// malformed record. `path` is the name used in locations and messages.
Result<std::unique_ptr<RegisterReader>> OpenZiCsv(const std::string& path);

// Opens an RKN dump.xml (any encoding its XML declaration names; windows-1251 in practice).
// Streams with libxml2's text reader; no network, no DTD loading, no entity substitution.
Result<std::unique_ptr<RegisterReader>> OpenDumpXml(const std::string& path);

// Same readers over bytes in memory (tests and fuzz targets). `name` appears in locations.
std::unique_ptr<RegisterReader> ZiCsvFromString(std::string data, std::string name);
Result<std::unique_ptr<RegisterReader>> DumpXmlFromString(std::string data, std::string name);

}  // namespace interdict
