#include "core/time.h"

#include <chrono>
#include <cstdio>

namespace interdict {
namespace {

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;

bool ReadDigits(std::string_view text, std::size_t pos, std::size_t count, int* out) {
  if (pos + count > text.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

constexpr UnixTime kLastTime = 253402300799;  // 9999-12-31T23:59:59Z

std::string Quoted(std::string_view text) {
  std::string out = "\"";
  out.append(text.substr(0, 64));
  if (text.size() > 64) out.append("...");
  out.append("\"");
  return out;
}

Result<UnixTime> DateAt(std::string_view text) {
  int y = 0;
  int m = 0;
  int d = 0;
  if (text.size() < 10 || !ReadDigits(text, 0, 4, &y) || text[4] != '-' ||
      !ReadDigits(text, 5, 2, &m) || text[7] != '-' || !ReadDigits(text, 8, 2, &d)) {
    return Status::InvalidArgument("date " + Quoted(text) + " is not of the form YYYY-MM-DD");
  }
  const year_month_day ymd{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(m)},
                           std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return Status::InvalidArgument("date " + Quoted(text) + " does not exist");
  if (y < 1970) return Status::InvalidArgument("date " + Quoted(text) + " is before 1970");
  return static_cast<UnixTime>(sys_days{ymd}.time_since_epoch().count()) * 86400;
}

}  // namespace

UnixTime SystemClock::Now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<UnixTime> ParseDate(std::string_view text) {
  if (text.size() != 10) {
    return Status::InvalidArgument("date " + Quoted(text) + " is not of the form YYYY-MM-DD");
  }
  return DateAt(text);
}

Result<UnixTime> ParseTime(std::string_view text) {
  ASSIGN_OR_RETURN(UnixTime day, DateAt(text));
  if (text.size() == 10) return day;
  const char sep = text[10];
  int hh = 0;
  int mm = 0;
  int ss = 0;
  if ((sep != 'T' && sep != 't' && sep != ' ') || !ReadDigits(text, 11, 2, &hh) ||
      text.size() < 16 || text[13] != ':' || !ReadDigits(text, 14, 2, &mm)) {
    return Status::InvalidArgument("time " + Quoted(text) +
                                   " is not of the form YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]");
  }
  std::size_t pos = 16;
  if (pos < text.size() && text[pos] == ':') {
    if (!ReadDigits(text, pos + 1, 2, &ss)) {
      return Status::InvalidArgument("time " + Quoted(text) + ": seconds are not two digits");
    }
    pos += 3;
    // Fractions of a second are accepted and dropped.
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    }
  }
  if (hh > 23 || mm > 59 || ss > 60) {
    return Status::InvalidArgument("time " + Quoted(text) +
                                   ": hour, minute or second out of range");
  }
  if (pos < text.size() && text[pos] == ' ') ++pos;  // "2014-04-22 11:05:00 +0000"
  std::int64_t offset = 0;
  if (pos == text.size()) {
    // No zone: read as UTC.
  } else if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    const int sign = text[pos] == '-' ? -1 : 1;
    int oh = 0;
    int om = 0;
    if (!ReadDigits(text, pos + 1, 2, &oh)) {
      return Status::InvalidArgument("time " + Quoted(text) + ": bad zone offset");
    }
    pos += 3;
    if (pos < text.size() && text[pos] == ':') ++pos;
    if (!ReadDigits(text, pos, 2, &om) || oh > 23 || om > 59) {
      return Status::InvalidArgument("time " + Quoted(text) + ": bad zone offset");
    }
    pos += 2;
    offset = std::int64_t{sign} * (std::int64_t{oh} * 3600 + std::int64_t{om} * 60);
  }
  if (pos != text.size()) {
    return Status::InvalidArgument("time " + Quoted(text) + ": unexpected text after the time");
  }
  const UnixTime t = day + std::int64_t{hh} * 3600 + std::int64_t{mm} * 60 + ss - offset;
  if (t < 0 || t > kLastTime) {
    return Status::InvalidArgument("time " + Quoted(text) + " is outside 1970 to 9999");
  }
  return t;
}

std::string FormatTime(UnixTime t) {
  const auto secs = std::chrono::sys_seconds{std::chrono::seconds{t}};
  const auto day = std::chrono::floor<days>(secs);
  const year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{secs - day};
  char buf[48];
  (void)std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02lldZ",
                      static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                      static_cast<unsigned>(ymd.day()), static_cast<long>(hms.hours().count()),
                      static_cast<long>(hms.minutes().count()),
                      static_cast<long long>(hms.seconds().count()));
  return buf;
}

std::string FormatDate(UnixTime t) {
  return FormatTime(t).substr(0, 10);
}

}  // namespace interdict
