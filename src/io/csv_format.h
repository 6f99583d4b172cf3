// interdict's CSV format: one line per (target, order), RFC 4180 quoting, a header line naming
// the columns (in any order):
//
//   kind,value,order_id,body,order_kind,reference,issued,effective,expires,scope,categories,dynamic
//
// Written by `export --format csv` for spreadsheets and read back by `import --format csv`,
// which groups lines into orders by (body, reference, issued). Required columns: kind, value,
// body, order_kind, reference, issued, expires; order_id is informative. Thread-safety:
// reentrant.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "io/order_record.h"
#include "registry/registry.h"

namespace interdict {

// A file without the required header is an error; a bad line comes back with `error` set.
Result<std::vector<OrderRecord>> ParseCsvOrders(std::string_view text, const std::string& name);

// Writes the snapshot's in-force pairs, one line each; returns how many.
Result<std::size_t> WriteCsvOrders(const InForceSnapshot& snapshot, std::ostream& out);

}  // namespace interdict
