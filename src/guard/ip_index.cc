// Address keys from canonical text (inet_pton of what the model's normalizers wrote) and back.
#include "guard/ip_index.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace interdict::guard::internal {
namespace {

constexpr std::uint64_t kV4Max = 0xFFFFFFFFu;
constexpr std::uint64_t kAllOnes = ~std::uint64_t{0};

std::uint64_t Load64(const std::array<unsigned char, 16>& b, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | b[at + i];
  return v;
}

// Ones in the low `bits` bits (0 to 64).
std::uint64_t LowOnes(unsigned bits) {
  return bits >= 64 ? kAllOnes : (std::uint64_t{1} << bits) - 1;
}

// The interval of an IPv4 network.
std::optional<IpInterval> V4Network(std::uint64_t addr, unsigned length) {
  const std::uint64_t host = LowOnes(32 - length);
  if ((addr & host) != 0) return std::nullopt;
  return IpInterval{IpKey{0, 0, addr}, IpKey{0, 0, addr | host}};
}

}  // namespace

std::optional<IpInterval> IntervalOf(std::string_view text) {
  const std::size_t slash = text.find('/');
  const std::string_view address = text.substr(0, slash);
  std::optional<unsigned> length;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    unsigned value = 0;
    for (const char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    length = value;
  }
  std::array<char, INET6_ADDRSTRLEN> z{};
  if (address.empty() || address.size() >= z.size()) return std::nullopt;
  for (std::size_t i = 0; i < address.size(); ++i) {
    if (address[i] == '\0') return std::nullopt;
    z[i] = address[i];
  }
  std::array<unsigned char, 16> bytes{};
  if (inet_pton(AF_INET, z.data(), bytes.data()) == 1) {
    const unsigned len = length.value_or(32);
    if (len > 32) return std::nullopt;
    const std::uint64_t addr = (std::uint64_t{bytes[0]} << 24) | (std::uint64_t{bytes[1]} << 16) |
                               (std::uint64_t{bytes[2]} << 8) | bytes[3];
    return V4Network(addr, len);
  }
  if (inet_pton(AF_INET6, z.data(), bytes.data()) != 1) return std::nullopt;
  const unsigned len = length.value_or(128);
  if (len > 128) return std::nullopt;
  const std::uint64_t hi = Load64(bytes, 0);
  const std::uint64_t lo = Load64(bytes, 8);
  if (hi == 0 && (lo >> 32) == 0xFFFFu && len >= 96) return V4Network(lo & kV4Max, len - 96);
  const std::uint64_t host_hi = len >= 64 ? 0 : LowOnes(64 - len);
  const std::uint64_t host_lo = len >= 64 ? LowOnes(128 - len) : kAllOnes;
  if ((hi & host_hi) != 0 || (lo & host_lo) != 0) return std::nullopt;
  return IpInterval{IpKey{1, hi, lo}, IpKey{1, hi | host_hi, lo | host_lo}};
}

std::optional<IpInterval> MappedV4Part(const IpInterval& v6) {
  constexpr IpKey kFirst{1, 0, std::uint64_t{0xFFFF} << 32};
  constexpr IpKey kLast{1, 0, (std::uint64_t{0xFFFF} << 32) | kV4Max};
  if (v6.first.v6 == 0 || v6.last < kFirst || kLast < v6.first) return std::nullopt;
  const IpKey first = std::max(v6.first, kFirst);
  const IpKey last = std::min(v6.last, kLast);
  return IpInterval{IpKey{0, 0, first.lo & kV4Max}, IpKey{0, 0, last.lo & kV4Max}};
}

std::optional<IpKey> Next(const IpKey& k) {
  if (k.v6 == 0) {
    if (k.lo >= kV4Max) return std::nullopt;
    return IpKey{0, 0, k.lo + 1};
  }
  if (k.lo != kAllOnes) return IpKey{1, k.hi, k.lo + 1};
  if (k.hi == kAllOnes) return std::nullopt;
  return IpKey{1, k.hi + 1, 0};
}

IpKey Prev(const IpKey& k) {
  if (k.lo != 0) return IpKey{k.v6, k.hi, k.lo - 1};
  return IpKey{k.v6, k.hi - 1, kAllOnes};
}

std::string FormatIpKey(const IpKey& k) {
  std::array<unsigned char, 16> bytes{};
  std::array<char, INET6_ADDRSTRLEN> buf{};
  int family = AF_INET6;
  if (k.v6 == 0) {
    family = AF_INET;
    for (std::size_t i = 0; i < 4; ++i) {
      bytes[i] = static_cast<unsigned char>(k.lo >> (24 - 8 * i));
    }
  } else {
    for (std::size_t i = 0; i < 8; ++i) {
      bytes[i] = static_cast<unsigned char>(k.hi >> (56 - 8 * i));
      bytes[8 + i] = static_cast<unsigned char>(k.lo >> (56 - 8 * i));
    }
  }
  if (inet_ntop(family, bytes.data(), buf.data(), static_cast<socklen_t>(buf.size())) == nullptr) {
    return {};
  }
  return {buf.data()};
}

}  // namespace interdict::guard::internal
