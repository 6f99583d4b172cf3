// UTF-8 to cp1251 (Windows-1251), the encoding of the Russian register's z-i dump, with glibc's
// iconv. A character cp1251 lacks is an error, not a '?'.
//
// Thread-safety: one encoder per thread (iconv keeps state between calls).
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace interdict {

class Cp1251Encoder {
 public:
  Cp1251Encoder();
  ~Cp1251Encoder();
  Cp1251Encoder(const Cp1251Encoder&) = delete;
  Cp1251Encoder& operator=(const Cp1251Encoder&) = delete;

  // False when iconv has no cp1251 converter (then Encode fails on anything not ASCII).
  bool ok() const;
  // ASCII passes through unchanged; InvalidArgument for characters cp1251 cannot represent.
  Result<std::string> Encode(std::string_view utf8);

 private:
  void* cd_;  // iconv_t
};

}  // namespace interdict
