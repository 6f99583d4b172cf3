// Status and Result<T>: interdict's one error type.
//
// Every fallible function returns Status (no value) or Result<T> (a value or a Status). Messages
// say what failed and where ("referrals.json:12: targets[3]: ..."); callers add context with
// Status::Prefixed as an error travels up. Exceptions never cross a module boundary: code that
// calls a throwing library catches and converts at the call site.
//
// Thread-safety: plain values; distinct objects may be used from distinct threads.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace interdict {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // the caller's input is malformed (bad target, bad date, bad line)
  kNotFound,            // a named entity does not exist
  kAlreadyExists,       // a unique entity would be created twice
  kFailedPrecondition,  // the entity is in a state that forbids the operation
  kCorruption,          // stored or received data breaks its own format
  kIOError,             // the operating system or the database failed
  kPermissionDenied,    // the actor may not do this
  kInternal,            // a bug: an invariant that should hold did not
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK

  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string msg) {
    return {StatusCode::kInvalidArgument, std::move(msg)};
  }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status AlreadyExists(std::string msg) {
    return {StatusCode::kAlreadyExists, std::move(msg)};
  }
  static Status FailedPrecondition(std::string msg) {
    return {StatusCode::kFailedPrecondition, std::move(msg)};
  }
  static Status Corruption(std::string msg) { return {StatusCode::kCorruption, std::move(msg)}; }
  static Status IOError(std::string msg) { return {StatusCode::kIOError, std::move(msg)}; }
  static Status PermissionDenied(std::string msg) {
    return {StatusCode::kPermissionDenied, std::move(msg)};
  }
  static Status Internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is "<context>: <message>". OK stays OK.
  Status Prefixed(std::string_view context) const;

  // "invalid argument: <message>", or "ok".
  std::string ToString() const;

 private:
  Status(StatusCode code, std::string msg) : code_(code), message_(std::move(msg)) {}

  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value of type T, or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!status_.ok() && "a Result built from a Status must carry an error");
    if (status_.ok()) status_ = Status::Internal("Result built from an OK status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  // REQUIRES: ok()
  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

// The text of an errno value (strerror without its shared buffer).
std::string ErrnoText(int err);

}  // namespace interdict

#define INTERDICT_CONCAT_INNER_(a, b) a##b
#define INTERDICT_CONCAT_(a, b) INTERDICT_CONCAT_INNER_(a, b)

// NOLINTBEGIN(bugprone-macro-parentheses): `lhs` is a declaration and `tmp` a name.

// Evaluates a Status expression and returns it from the enclosing function when it is an error.
#define RETURN_IF_ERROR(expr) \
  RETURN_IF_ERROR_IMPL_(INTERDICT_CONCAT_(interdict_status_, __COUNTER__), expr)
#define RETURN_IF_ERROR_IMPL_(tmp, expr) \
  do {                                   \
    ::interdict::Status tmp = (expr);    \
    if (!tmp.ok()) return tmp;           \
  } while (false)

#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()

// `ASSIGN_OR_RETURN(auto x, MakeX());` declares x from a Result or returns its error. A type
// with a comma in it needs an alias or `auto`.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(INTERDICT_CONCAT_(interdict_result_, __COUNTER__), lhs, expr)

// NOLINTEND(bugprone-macro-parentheses)
