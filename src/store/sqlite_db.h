// Thin RAII layer over the SQLite C API, private to the store module: a connection, prepared
// statements with typed binds, and SQLite errors turned into Status with the failing SQL.
//
// Thread-safety: none; the owner (SqliteStore) serializes use of a connection.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"

namespace interdict::sqlite {

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binds by 1-based position. Chainable; errors surface at Step(). Text is bound without a
  // copy: REQUIRES the bytes to stay valid until the statement is reset (StatementScope).
  Statement& Bind(int pos, std::int64_t v);
  Statement& Bind(int pos, std::string_view v);
  Statement& BindNull(int pos);
  // Binds bytes as a BLOB, without a copy (same lifetime rule as text).
  Statement& BindBlob(int pos, std::string_view bytes);

  // Runs one step: true when a row is available, false when done.
  Result<bool> Step();
  // Runs to completion, ignoring rows.
  Status Run();
  // Ready for reuse with new binds.
  void Reset();

  std::int64_t Int(int col) const;
  std::string Text(int col) const;
  std::string_view TextView(int col) const;  // valid until the next Step/Reset
  bool IsNull(int col) const;
  // The SQL text the statement was prepared from.
  std::string_view Sql() const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int bind_error_ = SQLITE_OK;
};

// Resets a cached statement when the scope ends, so a failed path leaves it reusable.
class StatementScope {
 public:
  explicit StatementScope(Statement& s) : s_(s) {}
  ~StatementScope() { s_.Reset(); }
  StatementScope(const StatementScope&) = delete;
  StatementScope& operator=(const StatementScope&) = delete;
  Statement* operator->() { return &s_; }
  Statement& operator*() { return s_; }

 private:
  Statement& s_;
};

class Database {
 public:
  static Result<std::unique_ptr<Database>> Open(const std::string& path, bool create);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements without results (DDL, PRAGMA, BEGIN/COMMIT).
  Status Exec(std::string_view sql);
  // A prepared statement, cached by its SQL text for the connection's lifetime.
  Result<Statement*> Prepare(std::string_view sql);

  std::int64_t LastInsertRowid() const;
  int Changes() const;
  sqlite3* raw() const { return db_; }

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  // Looked up by string_view so that a cache hit allocates nothing.
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  sqlite3* db_;
  std::unordered_map<std::string, std::unique_ptr<Statement>, SqlHash, std::equal_to<>> cache_;
  // Hot statements are string literals: remember them by address too, so that most calls skip
  // hashing the SQL text. An entry is trusted only if its text still matches.
  std::unordered_map<const char*, Statement*> by_address_;
};

// Maps an SQLite result code to a Status, e.g. a UNIQUE violation to kAlreadyExists.
Status ErrorStatus(sqlite3* db, int rc, std::string_view context);

}  // namespace interdict::sqlite
