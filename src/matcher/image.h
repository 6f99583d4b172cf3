// SnapshotImage: the bytes of a compiled snapshot (owned or mapped) and typed views of its
// sections, checked once by Attach. Internal to src/matcher. Immutable after Attach; safe to
// read from any number of threads.
#pragma once

#include <arpa/inet.h>
#include <sys/mman.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <string_view>

#include "core/status.h"
#include "matcher/fingerprint.h"
#include "matcher/snapshot_format.h"

namespace interdict {

namespace fmt = matcher_format;
using matcher::HashKeys;
using matcher::U128;

struct AlignedDelete {
  std::size_t alignment = 64;
  void operator()(std::byte* p) const { ::operator delete (p, std::align_val_t{alignment}); }
};
using AlignedBytes = std::unique_ptr<std::byte[], AlignedDelete>;

// Zeroed bytes aligned for every section type; large images are aligned to 2 MiB and asked to
// live on transparent huge pages, so random probes into the table do not miss the TLB.
AlignedBytes AllocateImage(std::size_t size);

// Addresses live in the IPv6 space, IPv4 as ::ffff:a.b.c.d (only IPv4 rules apply to those).
inline bool IsV4Mapped(const std::uint8_t b[16]) {
  static constexpr std::uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(b, kPrefix, sizeof(kPrefix)) == 0;
}

// 16 bytes in network order as one number.
inline U128 ToU128(const std::uint8_t b[16]) {
  U128 v = 0;
  for (int i = 0; i < 16; ++i) v = (v << 8) | b[i];
  return v;
}

// Parses an IPv4 or IPv6 address into the IPv6 space; *v4 says it was written as IPv4.
inline bool ParseAddress(std::string_view text, std::uint8_t out[16], bool* v4) {
  char buf[64];
  if (text.empty() || text.size() >= sizeof(buf)) return false;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  std::uint8_t a4[4];
  if (inet_pton(AF_INET, buf, a4) == 1) {
    std::memset(out, 0, 10);
    out[10] = 0xff;
    out[11] = 0xff;
    std::memcpy(out + 12, a4, 4);
    *v4 = true;
    return true;
  }
  *v4 = false;
  return inet_pton(AF_INET6, buf, out) == 1;
}

// Bit j set when slot j of the bucket holds `fp`.
inline unsigned MatchMask(const fmt::Bucket& bucket, std::uint64_t fp) {
#if defined(__SSE2__)
  // SSE2 has no 64-bit compare: compare 32-bit halves, and keep lanes where both halves match.
  const __m128i needle = _mm_set1_epi64x(static_cast<long long>(fp));
  const auto* v = reinterpret_cast<const __m128i*>(bucket.fp);
  const __m128i eq01 = _mm_cmpeq_epi32(_mm_load_si128(v), needle);
  const __m128i eq23 = _mm_cmpeq_epi32(_mm_load_si128(v + 1), needle);
  const __m128i both01 = _mm_and_si128(eq01, _mm_shuffle_epi32(eq01, _MM_SHUFFLE(2, 3, 0, 1)));
  const __m128i both23 = _mm_and_si128(eq23, _mm_shuffle_epi32(eq23, _MM_SHUFFLE(2, 3, 0, 1)));
  static_assert(fmt::kBucketSlots == 5);
  return static_cast<unsigned>(_mm_movemask_pd(_mm_castsi128_pd(both01))) |
         (static_cast<unsigned>(_mm_movemask_pd(_mm_castsi128_pd(both23))) << 2) |
         (static_cast<unsigned>(bucket.fp[4] == fp) << 4);
#else
  unsigned mask = 0;
  for (unsigned j = 0; j < fmt::kBucketSlots; ++j) {
    mask |= static_cast<unsigned>(bucket.fp[j] == fp) << j;
  }
  return mask;
#endif
}

class SnapshotImage {
 public:
  SnapshotImage() = default;
  SnapshotImage(const SnapshotImage&) = delete;
  SnapshotImage& operator=(const SnapshotImage&) = delete;
  ~SnapshotImage() {
    if (mapped_ != nullptr) munmap(mapped_, size_);
  }

  void Own(AlignedBytes bytes, std::size_t size) {
    owned_ = std::move(bytes);
    base_ = owned_.get();
    size_ = size;
  }
  void Map(void* mapped, std::size_t size) {
    mapped_ = mapped;
    base_ = static_cast<const std::byte*>(mapped);
    size_ = size;
  }
  Status Attach(bool verify_checksum);

  // Whether `fp` may be a key: false means it certainly is not. Reads one 16-byte block and
  // does not branch on it.
  bool MayContain(std::uint64_t fp) const {
    const std::uint32_t* block = FilterBlock(fp);
    const auto key = static_cast<std::uint32_t>(fp >> 32);
    std::uint32_t all = 1;
#pragma GCC unroll 4
    for (std::uint32_t i = 0; i < fmt::kFilterBlockWords; ++i) {
      all &= block[i] >> fmt::FilterBit(key, i);
    }
    return (all & 1U) != 0;
  }
  const std::uint32_t* FilterBlock(std::uint64_t fp) const {
    const auto block =
        static_cast<std::uint64_t>((static_cast<U128>(fp & 0xffffffffULL) * filter_blocks_) >> 32);
    return filter_ + block * fmt::kFilterBlockWords;
  }
  void PrefetchFilter(std::uint64_t fp) const {
    __builtin_prefetch(FilterBlock(fp));
  }
  void PrefetchBucket(std::uint64_t fp) const {
    __builtin_prefetch(&table_[Bucket(fp)]);
  }

  // A look into a key's home bucket that does not branch on what it reads, so that the loads
  // of many probes can be in flight at once; Finish completes it.
  struct Probe {
    const fmt::Bucket* bucket;
    unsigned match;  // bit j: slot j holds the key
    bool more;       // keys moved on past this bucket: the key may be further on
  };
  Probe Start(std::uint64_t fp) const {
    const fmt::Bucket& bucket = table_[Bucket(fp)];
    return {&bucket, MatchMask(bucket, fp), bucket.overflow != 0};
  }
  const std::uint32_t* Finish(const Probe& p, std::uint64_t fp) const {
    if (p.match != 0) return &p.bucket->value[std::countr_zero(p.match)];
    if (!p.more) return nullptr;
    std::uint64_t b = static_cast<std::uint64_t>(p.bucket - table_) + 1;
    return FindFrom(b == buckets_ ? 0 : b, fp, buckets_ - 1);
  }

  // The value stored under `fp`, or null.
  const std::uint32_t* Find(std::uint64_t fp) const {
    return FindFrom(Bucket(fp), fp, buckets_);
  }

  // Linear probing from bucket b, over at most `limit` buckets.
  const std::uint32_t* FindFrom(std::uint64_t b, std::uint64_t fp, std::uint64_t limit) const {
    for (std::uint64_t step = 0; step < limit; ++step) {
      const fmt::Bucket& bucket = table_[b];
      if (const unsigned match = MatchMask(bucket, fp); match != 0) {
        return &bucket.value[std::countr_zero(match)];
      }
      // Keys only move on past a full bucket, and the bucket counts them when they do.
      if (bucket.overflow == 0) return nullptr;
      if (++b == buckets_) b = 0;
    }
    return nullptr;
  }
  std::uint64_t Bucket(std::uint64_t fp) const {
    return static_cast<std::uint64_t>((static_cast<U128>(fp >> 32) * buckets_) >> 32);
  }

  // The answers of the exact and the tree rule stored under a value.
  std::uint32_t ExactAnswer(const std::uint32_t* value) const {
    const std::uint32_t v = *value;
    switch (v >> fmt::kValueShift) {
      case fmt::kExactAnswer: return v & fmt::kValueMask;
      case fmt::kExtraIndex: return extras_[v & fmt::kValueMask].exact;
      default: return fmt::kNone;
    }
  }
  std::uint32_t TreeAnswer(const std::uint32_t* value) const {
    const std::uint32_t v = *value;
    switch (v >> fmt::kValueShift) {
      case fmt::kTreeAnswer: return v & fmt::kValueMask;
      case fmt::kExtraIndex: return extras_[v & fmt::kValueMask].tree;
      default: return fmt::kNone;
    }
  }
  const fmt::Extra* ExtraOf(const std::uint32_t* value) const {
    const std::uint32_t v = *value;
    if ((v >> fmt::kValueShift) != fmt::kExtraIndex) return nullptr;
    return &extras_[v & fmt::kValueMask];
  }

  // The interval containing `address`: an index into ip_set_offsets, or kNone.
  std::uint32_t IpSet(U128 address) const {
    const U128* end = ip_starts_ + ip_intervals_;
    const U128* it = std::upper_bound(ip_starts_, end, address);
    if (it == ip_starts_) return fmt::kNone;
    return ip_sets_[it - ip_starts_ - 1];
  }
  std::span<const std::uint32_t> IpSetRules(std::uint32_t set) const {
    return {ip_set_rules_ + ip_set_offsets_[set], ip_set_rules_ + ip_set_offsets_[set + 1]};
  }

  std::string_view String(std::uint32_t offset, std::uint32_t length) const {
    return {strings_ + offset, length};
  }

  const std::byte* base_ = nullptr;
  std::size_t size_ = 0;
  const fmt::Header* header_ = nullptr;
  HashKeys keys_{};
  const fmt::Bucket* table_ = nullptr;
  const std::uint32_t* filter_ = nullptr;
  std::uint64_t filter_blocks_ = 0;
  std::uint64_t buckets_ = 0;
  const fmt::Extra* extras_ = nullptr;
  std::size_t extra_count_ = 0;
  const fmt::UrlRule* url_rules_ = nullptr;
  std::size_t url_rule_count_ = 0;
  const char* strings_ = nullptr;
  std::size_t strings_size_ = 0;
  const U128* ip_starts_ = nullptr;
  const std::uint32_t* ip_sets_ = nullptr;
  std::size_t ip_intervals_ = 0;
  const std::uint32_t* ip_set_offsets_ = nullptr;
  std::size_t ip_set_count_ = 0;
  const std::uint32_t* ip_set_rules_ = nullptr;
  std::size_t ip_set_rule_count_ = 0;
  const fmt::IpRule* ip_rules_ = nullptr;
  std::size_t ip_rule_count_ = 0;
  const std::uint32_t* answer_offsets_ = nullptr;
  std::size_t answer_count_ = 0;
  const std::uint32_t* answer_orders_ = nullptr;
  std::size_t answer_order_count_ = 0;
  const fmt::OrderRecord* orders_ = nullptr;
  std::size_t order_count_ = 0;

 private:
  AlignedBytes owned_;
  void* mapped_ = nullptr;
};

// SHA-256 of an image with its checksum field read as zeros.
void ImageChecksum(const std::byte* base, std::size_t size, std::uint8_t out[32]);

}  // namespace interdict
