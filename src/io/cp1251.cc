#include "io/cp1251.h"

#include <iconv.h>

#include <algorithm>

namespace interdict {
namespace {

// iconv_open reports failure as (iconv_t)-1.
bool Opened(void* cd) {
  // NOLINTNEXTLINE(performance-no-int-to-ptr)
  return cd != reinterpret_cast<void*>(-1);
}

}  // namespace

Cp1251Encoder::Cp1251Encoder() : cd_(iconv_open("CP1251", "UTF-8")) {}

Cp1251Encoder::~Cp1251Encoder() {
  if (ok()) iconv_close(static_cast<iconv_t>(cd_));
}

bool Cp1251Encoder::ok() const {
  return Opened(cd_);
}

Result<std::string> Cp1251Encoder::Encode(std::string_view utf8) {
  if (std::all_of(utf8.begin(), utf8.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    return std::string(utf8);
  }
  if (!ok()) return Status::Internal("iconv has no cp1251 converter");
  std::string in(utf8);
  std::string out(in.size(), '\0');  // cp1251 never needs more bytes than UTF-8
  char* src = in.data();
  std::size_t src_left = in.size();
  char* dst = out.data();
  std::size_t dst_left = out.size();
  auto* cd = static_cast<iconv_t>(cd_);
  iconv(cd, nullptr, nullptr, nullptr, nullptr);
  if (iconv(cd, &src, &src_left, &dst, &dst_left) == static_cast<std::size_t>(-1)) {
    return Status::InvalidArgument("\"" + std::string(utf8.substr(0, 80)) +
                                   "\" has characters that cp1251 cannot represent");
  }
  out.resize(out.size() - dst_left);
  return out;
}

}  // namespace interdict
