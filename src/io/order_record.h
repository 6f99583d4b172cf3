// One order-bearing record read from an interchange file (interdict JSON, interdict CSV): the
// order's header with its targets, or the reason it could not be read.
#pragma once

#include <string>

#include "registry/registry.h"

namespace interdict {

struct OrderRecord {
  std::string location;  // "<file>: orders[3]" (JSON), "<file>:17" (CSV)
  OrderRequest header;   // with targets
  std::string error;     // non-empty: the record is malformed (field and reason)
};

}  // namespace interdict
