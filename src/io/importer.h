// Bulk import into the registry from a file: the Russian register's formats (z-i dump.csv,
// RKN dump.xml) and interdict's own exports (JSON, CSV).
//
// Every record is checked and normalized first; a bad record is reported with its location and
// reason ("dump.csv:17: field urls: ...") and, unless strict, skipped while the good ones are
// imported. In strict mode one bad record imports nothing (and every bad record is still
// reported). Either way the import is one transaction with one serial: a crash part-way leaves
// the registry as it was.
//
// Thread-safety: ImportFile is reentrant; it uses the Registry's own guarantees.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "registry/registry.h"

namespace interdict {

enum class ImportFormat : std::uint8_t { kZiCsv, kDumpXml, kJson, kCsv };
// "zi-csv", "dump-xml", "json", "csv"
Result<ImportFormat> ParseImportFormat(std::string_view name);

struct ImportOptions {
  ImportFormat format = ImportFormat::kZiCsv;
  std::string path;
  bool strict = false;
  // Where rejected records go when not strict (z-i: the original lines, byte for byte; other
  // formats: one "location: reason" line each). Empty: "<path>.rejects".
  std::string rejects_path;
  // For formats without these fields (z-i, dump.xml): the orders' expiry (0: one year after the
  // import), kind, scope and categories.
  UnixTime expires_at = 0;
  OrderKind kind = OrderKind::kAdministrativeDecision;
  ScopeSet scope = Bit(Scope::kIsp);
  CategorySet categories = 0;
  // The held change this import repeats, to apply it (Registry::Import, RegistryOptions::bounds).
  Id confirm = 0;
  // Called now and then with (bytes read, bytes total); total is 0 when unknown.
  std::function<void(std::uint64_t, std::uint64_t)> progress;
};

struct ImportReport {
  ImportStats stats;
  std::size_t records = 0;  // records read (good and bad)
  std::size_t records_rejected = 0;
  std::size_t targets_read = 0;     // targets in good records
  std::vector<std::string> errors;  // one per rejected record: "<file>:<line>: <reason>"
  std::string rejects_path;         // written when records were rejected and not strict
  bool imported = false;            // false when strict mode refused the file
};

// Imports the file. A non-OK Result means nothing was imported and the file as a whole could not
// be used (unreadable, not the format, a database error); rejected records are not errors in
// that sense: they are listed in the report (and in strict mode, imported is false).
Result<ImportReport> ImportFile(Registry& registry, std::string_view actor,
                                const ImportOptions& options);

}  // namespace interdict
