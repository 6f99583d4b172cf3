// The registry's SQL schema as numbered migrations, shared by the SQLite store (and written in
// the subset of SQL that PostgreSQL also accepts where that costs nothing).
#pragma once

#include <span>
#include <string_view>

namespace interdict {

struct Migration {
  int version;
  std::string_view description;
  std::string_view sql;
};

// Migrations in increasing version order; a database at version N applies those above N.
std::span<const Migration> SqliteMigrations();

}  // namespace interdict
