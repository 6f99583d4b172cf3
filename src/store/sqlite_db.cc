#include "store/sqlite_db.h"

#include <filesystem>
#include <limits>

namespace interdict::sqlite {
namespace {

int Length(std::string_view v) {
  // SQLite takes an int length; a larger value is refused rather than silently truncated.
  return v.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())
             ? -1
             : static_cast<int>(v.size());
}

}  // namespace

Status ErrorStatus(sqlite3* db, int rc, std::string_view context) {
  std::string msg(context);
  msg.append(": ").append(db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return Status::AlreadyExists(std::move(msg));
      }
      // CHECK, NOT NULL and FOREIGN KEY failures mean the registry let bad data through.
      return Status::Internal(std::move(msg));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return Status::Corruption(std::move(msg));
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
    case SQLITE_MISUSE: return Status::InvalidArgument(std::move(msg));
    default: return Status::IOError(std::move(msg));
  }
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement& Statement::Bind(int pos, std::int64_t v) {
  const int rc = sqlite3_bind_int64(stmt_, pos, v);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
  return *this;
}

Statement& Statement::Bind(int pos, std::string_view v) {
  const int len = Length(v);
  const int rc =
      len < 0 ? SQLITE_TOOBIG : sqlite3_bind_text(stmt_, pos, v.data(), len, SQLITE_STATIC);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
  return *this;
}

Statement& Statement::BindBlob(int pos, std::string_view bytes) {
  const int len = Length(bytes);
  const int rc =
      len < 0 ? SQLITE_TOOBIG : sqlite3_bind_blob(stmt_, pos, bytes.data(), len, SQLITE_STATIC);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
  return *this;
}

Statement& Statement::BindNull(int pos) {
  const int rc = sqlite3_bind_null(stmt_, pos);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
  return *this;
}

Result<bool> Statement::Step() {
  if (bind_error_ != SQLITE_OK) {
    return ErrorStatus(nullptr, bind_error_, sqlite3_sql(stmt_));
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return ErrorStatus(db_, sqlite3_extended_errcode(db_), sqlite3_sql(stmt_));
}

Status Statement::Run() {
  for (;;) {
    ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = SQLITE_OK;
}

std::int64_t Statement::Int(int col) const {
  return sqlite3_column_int64(stmt_, col);
}

std::string_view Statement::TextView(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  const int n = sqlite3_column_bytes(stmt_, col);
  if (p == nullptr || n <= 0) return {};
  return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)};
}

std::string Statement::Text(int col) const {
  return std::string(TextView(col));
}

std::string_view Statement::Sql() const {
  const char* sql = sqlite3_sql(stmt_);
  return sql == nullptr ? std::string_view() : std::string_view(sql);
}

bool Statement::IsNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, bool create) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (create) {
    flags |= SQLITE_OPEN_CREATE;
    const auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(parent, ec);
      if (ec) {
        return Status::IOError("cannot create folder " + parent.string() + ": " + ec.message());
      }
    }
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status s = ErrorStatus(raw, rc, "cannot open database " + path);
    sqlite3_close(raw);
    return s;
  }
  sqlite3_extended_result_codes(raw, 1);
  // More lookaside memory: small allocations of statement execution (cursors, records) come
  // from it instead of malloc.
  sqlite3_db_config(raw, SQLITE_DBCONFIG_LOOKASIDE, nullptr, 1200, 1000);
  return std::unique_ptr<Database>(new Database(raw));
}

Database::~Database() {
  cache_.clear();  // finalize statements before closing
  sqlite3_close(db_);
}

Status Database::Exec(std::string_view sql) {
  char* err = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    sqlite3_free(err);
    return ErrorStatus(db_, sqlite3_extended_errcode(db_), "\"" + text.substr(0, 80) + "\"");
  }
  return Status::Ok();
}

Result<Statement*> Database::Prepare(std::string_view sql) {
  if (auto hit = by_address_.find(sql.data()); hit != by_address_.end()) {
    if (hit->second->Sql() == sql) return hit->second;
  }
  auto it = cache_.find(sql);
  if (it != cache_.end()) {
    by_address_[sql.data()] = it->second.get();
    return it->second.get();
  }
  sqlite3_stmt* stmt = nullptr;
  const int len = Length(sql);
  const int rc =
      sqlite3_prepare_v3(db_, sql.data(), len, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return ErrorStatus(db_, rc, "prepare \"" + std::string(sql.substr(0, 120)) + "\"");
  }
  auto owned = std::make_unique<Statement>(db_, stmt);
  Statement* out = owned.get();
  cache_.emplace(std::string(sql), std::move(owned));
  by_address_[sql.data()] = out;
  return out;
}

std::int64_t Database::LastInsertRowid() const {
  return sqlite3_last_insert_rowid(db_);
}
int Database::Changes() const {
  return sqlite3_changes(db_);
}

}  // namespace interdict::sqlite
