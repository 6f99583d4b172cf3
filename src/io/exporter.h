// Export of the in-force set: interdict CSV (spreadsheets) and JSON, which ImportFile reads back
// with every order field, and z-i dump.csv (which ImportFile reads back as the same (target,
// order) pairs; z-i has no expiry, scope or kind, so those take the importer's defaults).
//
// Thread-safety: reentrant.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "core/status.h"
#include "registry/registry.h"

namespace interdict {

enum class ExportFormat : std::uint8_t { kCsv, kJson, kZiCsv };
Result<ExportFormat> ParseExportFormat(std::string_view name);  // "csv", "json", "zi-csv"

struct ExportReport {
  std::size_t orders = 0;
  std::size_t targets = 0;  // (target, order) pairs written
  std::size_t skipped = 0;  // pairs the format cannot express (z-i: app and search targets)
  Serial serial = 0;        // the serial the export reflects
};

Result<ExportReport> ExportInForce(Registry& registry, ExportFormat format, std::ostream& out);

}  // namespace interdict
