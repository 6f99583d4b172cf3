// Time for the registry: instants as Unix seconds (UTC), a Clock interface so tests can set the
// time, and the two text forms interdict reads and writes (RFC 3339 instants, ISO dates).
//
// Thread-safety: the functions are pure; SystemClock is thread-safe; FakeClock is not.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace interdict {

using UnixTime = std::int64_t;  // seconds since 1970-01-01T00:00:00Z

class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixTime Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  UnixTime Now() const override;
};

// A clock that only moves when told to (tests).
class FakeClock final : public Clock {
 public:
  explicit FakeClock(UnixTime now) : now_(now) {}
  UnixTime Now() const override { return now_; }
  void Set(UnixTime now) { now_ = now; }
  void Advance(std::int64_t seconds) { now_ += seconds; }

 private:
  UnixTime now_;
};

// Reads `YYYY-MM-DD` (midnight UTC), `YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]`, the space-separated
// variant, and z-i's `YYYY-MM-DD HH:MM:SS +0000`, for instants from 1970 to 9999 (what
// FormatTime writes back). Errors say which part is wrong.
Result<UnixTime> ParseTime(std::string_view text);

// Reads only `YYYY-MM-DD` (a calendar date, midnight UTC).
Result<UnixTime> ParseDate(std::string_view text);

// `2026-11-23T10:00:00Z`.
std::string FormatTime(UnixTime t);
// `2026-11-23`.
std::string FormatDate(UnixTime t);

}  // namespace interdict
