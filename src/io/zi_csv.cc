// The zapret-info `dump.csv` reader.
//
// The file is read in chunks into one buffer that holds at most one over-long line plus one chunk,
// so memory stays constant whatever the file size. Lines are split on raw bytes first (`;`, `|`,
// space and `\r` are ASCII, and cp1251 is ASCII-compatible), and only the values that hold bytes
// >= 0x80 go through the cp1251 table.

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "io/byte_source.h"
#include "io/register_reader.h"

namespace interdict {
namespace {

constexpr std::size_t kChunk = std::size_t{1} << 20;    // bytes asked of the source per read
constexpr std::size_t kMaxLine = std::size_t{1} << 20;  // longest accepted line, without "\r\n"
constexpr std::size_t kCapacity = kMaxLine + 1 + kChunk;
constexpr std::size_t kFields = 6;
constexpr std::string_view kUpdatedPrefix = "Updated:";
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// Unicode code points of cp1251 bytes 0x80..0xFF; 0 marks the one unassigned byte, 0x98.
constexpr char16_t kCp1251[128] = {
    0x0402, 0x0403, 0x201A, 0x0453, 0x201E, 0x2026, 0x2020, 0x2021,  // 0x80
    0x20AC, 0x2030, 0x0409, 0x2039, 0x040A, 0x040C, 0x040B, 0x040F,  // 0x88
    0x0452, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,  // 0x90
    0x0000, 0x2122, 0x0459, 0x203A, 0x045A, 0x045C, 0x045B, 0x045F,  // 0x98
    0x00A0, 0x040E, 0x045E, 0x0408, 0x00A4, 0x0490, 0x00A6, 0x00A7,  // 0xA0
    0x0401, 0x00A9, 0x0404, 0x00AB, 0x00AC, 0x00AD, 0x00AE, 0x0407,  // 0xA8
    0x00B0, 0x00B1, 0x0406, 0x0456, 0x0491, 0x00B5, 0x00B6, 0x00B7,  // 0xB0
    0x0451, 0x2116, 0x0454, 0x00BB, 0x0458, 0x0405, 0x0455, 0x0457,  // 0xB8
    0x0410, 0x0411, 0x0412, 0x0413, 0x0414, 0x0415, 0x0416, 0x0417,  // 0xC0
    0x0418, 0x0419, 0x041A, 0x041B, 0x041C, 0x041D, 0x041E, 0x041F,  // 0xC8
    0x0420, 0x0421, 0x0422, 0x0423, 0x0424, 0x0425, 0x0426, 0x0427,  // 0xD0
    0x0428, 0x0429, 0x042A, 0x042B, 0x042C, 0x042D, 0x042E, 0x042F,  // 0xD8
    0x0430, 0x0431, 0x0432, 0x0433, 0x0434, 0x0435, 0x0436, 0x0437,  // 0xE0
    0x0438, 0x0439, 0x043A, 0x043B, 0x043C, 0x043D, 0x043E, 0x043F,  // 0xE8
    0x0440, 0x0441, 0x0442, 0x0443, 0x0444, 0x0445, 0x0446, 0x0447,  // 0xF0
    0x0448, 0x0449, 0x044A, 0x044B, 0x044C, 0x044D, 0x044E, 0x044F,  // 0xF8
};

// The UTF-8 encoding of each cp1251 byte 0x80..0xFF (2 or 3 bytes; length 0 for 0x98).
struct Utf8Seq {
  std::uint8_t len = 0;
  char bytes[3] = {};
};

struct Cp1251Table {
  Utf8Seq seq[128];
  constexpr Cp1251Table() {
    for (std::size_t i = 0; i < 128; ++i) {
      const unsigned cp = kCp1251[i];
      Utf8Seq& s = seq[i];
      if (cp == 0) {
        s.len = 0;
      } else if (cp < 0x800) {
        s.len = 2;
        s.bytes[0] = static_cast<char>(0xC0 | (cp >> 6));
        s.bytes[1] = static_cast<char>(0x80 | (cp & 0x3F));
      } else {
        s.len = 3;
        s.bytes[0] = static_cast<char>(0xE0 | (cp >> 12));
        s.bytes[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        s.bytes[2] = static_cast<char>(0x80 | (cp & 0x3F));
      }
    }
  }
};

constexpr Cp1251Table kCp1251Utf8;

bool IsAscii(std::string_view s) {
  unsigned char acc = 0;
  for (const char c : s) acc |= static_cast<unsigned char>(c);
  return acc < 0x80;
}

// Length of the valid UTF-8 prefix of s (s.size() when all of s is valid). Rejects overlong
// forms, surrogates and code points above U+10FFFF.
std::size_t ValidUtf8Prefix(std::string_view s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return i;
    }
    if (n - i < len) return i;
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if (c1 < lo || c1 > hi) return i;
    for (std::size_t k = 2; k < len; ++k) {
      const auto ck = static_cast<unsigned char>(s[i + k]);
      if (ck < 0x80 || ck > 0xBF) return i;
    }
    i += len;
  }
  return n;
}

std::string_view Trim(std::string_view s) {
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return s.substr(b, e - b);
}

// At most max bytes of the UTF-8 string s, cut at a character boundary.
std::string Utf8Prefix(const std::string& s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n) + "...";
}

void AppendNumber(std::string* out, std::uint64_t n) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, n);
  out->append(buf, r.ptr);
}

std::string HexByte(unsigned char c) {
  constexpr char kHex[] = "0123456789ABCDEF";
  std::string s = "0x";
  s.push_back(kHex[c >> 4]);
  s.push_back(kHex[c & 0xF]);
  return s;
}

class ZiCsvReader final : public RegisterReader {
 public:
  ZiCsvReader(std::unique_ptr<ByteSource> source, std::string name)
      : source_(std::move(source)), name_(std::move(name)) {
    // Small inputs get a buffer of their size; anything that can hold a full chunk gets the
    // full capacity. Refill() grows the buffer when an input turns out larger than announced.
    const std::uint64_t total = source_->total();
    const std::size_t want =
        total > 0 && total < kCapacity ? static_cast<std::size_t>(total) + 1 : kCapacity;
    buf_.resize(want);
  }

  Result<bool> Next(RegisterRecord* record) override;
  std::uint64_t bytes_read() const override { return consumed_; }
  std::uint64_t bytes_total() const override { return source_->total(); }

 private:
  // Moves the unconsumed bytes to the front of the buffer and reads more after them.
  Status Refill();
  // Fills *record from one line (without its line terminator). Returns false when the line is
  // not a record (empty, or the "Updated:" header).
  bool ParseLine(std::string_view line, RegisterRecord* record);
  // Converts the field's trimmed values (split on '|' when multi) into out; on an encoding error
  // sets record->error and returns false.
  bool ConvertValue(std::string_view value, std::string_view line, const char* field,
                    std::string* out, RegisterRecord* record) const;
  void StartRecord(RegisterRecord* record, std::uint64_t line) const;

  std::unique_ptr<ByteSource> source_;
  std::string name_;
  std::vector<char> buf_;
  std::size_t begin_ = 0;  // first unconsumed byte in buf_
  std::size_t end_ = 0;    // end of the valid bytes in buf_
  bool eof_ = false;
  bool bom_checked_ = false;
  bool utf8_ = false;           // the input began with a UTF-8 BOM
  bool line_is_ascii_ = false;  // the line being parsed holds no byte >= 0x80
  std::uint64_t consumed_ = 0;  // bytes of input before buf_[begin_]
  std::uint64_t line_no_ = 0;   // lines consumed so far
  Status failed_;               // sticky input-level error
};

Status ZiCsvReader::Refill() {
  const std::size_t pending = end_ - begin_;
  if (begin_ > 0) {
    if (pending > 0) std::memmove(buf_.data(), buf_.data() + begin_, pending);
    begin_ = 0;
    end_ = pending;
  }
  if (end_ == buf_.size()) {  // only a buffer sized for a small input can be full here
    buf_.resize(std::min(kCapacity, std::max(buf_.size() * 2, std::size_t{4096})));
  }
  const std::size_t room = buf_.size() - end_;
  ASSIGN_OR_RETURN(const std::size_t n, source_->Read(buf_.data() + end_, std::min(room, kChunk)));
  if (n == 0) eof_ = true;
  end_ += n;
  return Status::Ok();
}

void ZiCsvReader::StartRecord(RegisterRecord* record, std::uint64_t line) const {
  record->line = line;
  record->location.assign(name_);
  record->location.push_back(':');
  AppendNumber(&record->location, line);
}

bool ZiCsvReader::ConvertValue(std::string_view value, std::string_view line, const char* field,
                               std::string* out, RegisterRecord* record) const {
  if (line_is_ascii_) {
    out->assign(value);
    return true;
  }
  // Column of the value in the line, for messages (1-based, in bytes).
  const auto column = [&](std::size_t i) {
    return static_cast<std::uint64_t>(value.data() - line.data()) + i + 1;
  };
  if (utf8_) {
    const std::size_t valid = ValidUtf8Prefix(value);
    if (valid != value.size()) {
      record->error = std::string("field ") + field + ": invalid UTF-8 at column ";
      AppendNumber(&record->error, column(valid));
      return false;
    }
    out->assign(value);
    return true;
  }
  out->clear();
  out->reserve(value.size() * 2);
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c < 0x80) {
      out->push_back(static_cast<char>(c));
      continue;
    }
    const Utf8Seq& s = kCp1251Utf8.seq[c - 0x80];
    if (s.len == 0) {
      record->error = std::string("field ") + field + ": byte " + HexByte(c) + " at column ";
      AppendNumber(&record->error, column(i));
      record->error += " is not a cp1251 character";
      return false;
    }
    out->append(s.bytes, s.len);
  }
  return true;
}

bool ZiCsvReader::ParseLine(std::string_view line, RegisterRecord* record) {
  if (line.empty()) return false;
  if (line_no_ == 1 && line.substr(0, kUpdatedPrefix.size()) == kUpdatedPrefix) return false;

  StartRecord(record, line_no_);
  record->raw.assign(line);

  std::string_view fields[kFields];
  std::size_t count = 0;
  std::size_t start = 0;
  for (;;) {
    const std::size_t semi = line.find(';', start);
    const std::size_t stop = semi == std::string_view::npos ? line.size() : semi;
    if (count < kFields) fields[count] = line.substr(start, stop - start);
    ++count;
    if (semi == std::string_view::npos) break;
    start = semi + 1;
  }
  if (count != kFields) {
    record->error = "expected 6 fields separated by ';', found ";
    AppendNumber(&record->error, count);
    return true;
  }

  line_is_ascii_ = IsAscii(line);
  // Multi-valued fields: ips (with subnets split off), domains, urls.
  struct Multi {
    const char* name;
    std::vector<std::string>* out;
  };
  const Multi multi[3] = {
      {"ips", &record->ips}, {"domains", &record->domains}, {"urls", &record->urls}};
  for (std::size_t f = 0; f < 3; ++f) {
    std::string_view rest = fields[f];
    for (;;) {
      const std::size_t bar = rest.find('|');
      const std::string_view value = Trim(rest.substr(0, bar));
      if (!value.empty()) {
        std::vector<std::string>* out = multi[f].out;
        if (f == 0 && value.find('/') != std::string_view::npos) out = &record->subnets;
        out->emplace_back();
        if (!ConvertValue(value, line, multi[f].name, &out->back(), record)) return true;
      }
      if (bar == std::string_view::npos) break;
      rest.remove_prefix(bar + 1);
    }
  }
  if (!ConvertValue(Trim(fields[3]), line, "body", &record->body, record) ||
      !ConvertValue(Trim(fields[4]), line, "number", &record->number, record) ||
      !ConvertValue(Trim(fields[5]), line, "date", &record->date, record)) {
    return true;
  }
  if (record->body.empty()) {
    record->error = "field body: empty";
  } else if (record->number.empty()) {
    record->error = "field number: empty";
  } else if (!ParseDate(record->date).ok()) {
    record->error = record->date.empty()
                        ? "field date: empty"
                        : "field date: not YYYY-MM-DD: '" + Utf8Prefix(record->date, 32) + "'";
  }
  return true;
}

Result<bool> ZiCsvReader::Next(RegisterRecord* record) {
  record->line = 0;
  record->location.clear();
  record->id.clear();
  record->block_type.clear();
  record->ips.clear();
  record->subnets.clear();
  record->domains.clear();
  record->urls.clear();
  record->body.clear();
  record->number.clear();
  record->date.clear();
  record->raw.clear();
  record->error.clear();
  if (!failed_.ok()) return failed_;

  for (;;) {
    if (!bom_checked_) {
      if (end_ - begin_ < kUtf8Bom.size() && !eof_) {
        failed_ = Refill();
        if (!failed_.ok()) return failed_;
        continue;
      }
      bom_checked_ = true;
      if (std::string_view(buf_.data() + begin_, end_ - begin_).substr(0, kUtf8Bom.size()) ==
          kUtf8Bom) {
        utf8_ = true;
        begin_ += kUtf8Bom.size();
        consumed_ += kUtf8Bom.size();
      }
    }

    const char* const base = buf_.data() + begin_;
    const std::size_t pending = end_ - begin_;
    const void* const nl = pending > 0 ? std::memchr(base, '\n', pending) : nullptr;
    std::size_t len = 0;   // line length without '\n'
    std::size_t used = 0;  // bytes the line takes in the buffer, '\n' included
    if (nl != nullptr) {
      len = static_cast<std::size_t>(static_cast<const char*>(nl) - base);
      used = len + 1;
    } else if (eof_) {
      if (pending == 0) return false;
      len = used = pending;
    } else if (pending > kMaxLine + 1) {  // + 1: room for a '\r' before the '\n'
      // Over-long line: count it to its end without keeping it, then report it.
      const std::uint64_t start_line = line_no_ + 1;
      std::uint64_t total_len = 0;
      for (;;) {
        const char* p = buf_.data() + begin_;
        const std::size_t avail = end_ - begin_;
        const void* found = avail > 0 ? std::memchr(p, '\n', avail) : nullptr;
        if (found != nullptr) {
          const auto k = static_cast<std::size_t>(static_cast<const char*>(found) - p);
          total_len += k;
          begin_ += k + 1;
          consumed_ += k + 1;
          break;
        }
        total_len += avail;
        consumed_ += avail;
        begin_ = end_;
        if (eof_) break;
        failed_ = Refill();
        if (!failed_.ok()) return failed_;
      }
      ++line_no_;
      StartRecord(record, start_line);
      record->error = "line is longer than ";
      AppendNumber(&record->error, kMaxLine);
      record->error += " bytes (";
      AppendNumber(&record->error, total_len);
      record->error += " bytes); not kept";
      return true;
    } else {
      failed_ = Refill();
      if (!failed_.ok()) return failed_;
      continue;
    }

    ++line_no_;
    std::string_view line(base, len);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    begin_ += used;
    consumed_ += used;
    if (line.size() > kMaxLine) {
      StartRecord(record, line_no_);
      record->error = "line is longer than ";
      AppendNumber(&record->error, kMaxLine);
      record->error += " bytes (";
      AppendNumber(&record->error, line.size());
      record->error += " bytes); not kept";
      return true;
    }
    if (ParseLine(line, record)) return true;
  }
}

}  // namespace

Result<std::unique_ptr<RegisterReader>> OpenZiCsv(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source, OpenFileSource(path));
  std::unique_ptr<RegisterReader> reader = std::make_unique<ZiCsvReader>(std::move(source), path);
  return reader;
}

std::unique_ptr<RegisterReader> ZiCsvFromString(std::string data, std::string name) {
  return std::make_unique<ZiCsvReader>(MakeStringSource(std::move(data)), std::move(name));
}

}  // namespace interdict
