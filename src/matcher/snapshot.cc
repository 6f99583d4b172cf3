// The compiled matcher: image layout in snapshot_format.h, fingerprints in fingerprint.h.
#include "matcher/snapshot.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <new>
#include <random>
#include <unordered_map>
#include <utility>

#include "matcher/fingerprint.h"
#include "matcher/image.h"
#include "matcher/snapshot_format.h"
#include "model/types.h"

namespace interdict {

using matcher::kMaxLabels;

static_assert(std::endian::native == std::endian::little, "matcher images are little-endian");

// ---------------------------------------------------------------------------------------------
// The image
AlignedBytes AllocateImage(std::size_t size) {
  constexpr std::size_t kHugePage = std::size_t{2} << 20;
  const std::size_t alignment = size >= kHugePage ? kHugePage : 64;
  auto* p = static_cast<std::byte*>(::operator new (size, std::align_val_t{alignment}));
  if (alignment == kHugePage) madvise(p, size / kHugePage * kHugePage, MADV_HUGEPAGE);
  std::memset(p, 0, size);
  return AlignedBytes(p, AlignedDelete{alignment});
}

void ImageChecksum(const std::byte* base, std::size_t size, std::uint8_t out[32]) {
  constexpr std::size_t kAt = offsetof(fmt::Header, checksum);
  const std::uint8_t zeros[32] = {};
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  unsigned int length = 0;
  const bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx.get(), base, kAt) == 1 &&
                  EVP_DigestUpdate(ctx.get(), zeros, sizeof(zeros)) == 1 &&
                  EVP_DigestUpdate(ctx.get(), base + kAt + 32, size - kAt - 32) == 1 &&
                  EVP_DigestFinal_ex(ctx.get(), out, &length) == 1;
  if (!ok) std::memset(out, 0xff, 32);  // never equal to a stored checksum by accident
}

namespace {

Status Corrupt(const std::string& what) {
  return Status::Corruption("the matcher snapshot is corrupt: " + what);
}

const char* SectionName(std::uint32_t s) {
  static constexpr const char* kNames[] = {
      "buckets",        "filter",        "extras",         "url_rules",    "strings",
      "ip_starts",      "ip_sets",       "ip_set_offsets", "ip_set_rules", "ip_rules",
      "answer_offsets", "answer_orders", "orders"};
  static_assert(std::size(kNames) == fmt::kSectionCount);
  return kNames[s];
}

// Checks that offsets[0..count] rise from 0 to `total`.
Status CheckOffsets(const std::uint32_t* offsets, std::size_t count, std::size_t total,
                    const char* what) {
  if (offsets[0] != 0) return Corrupt(std::string(what) + " do not start at 0");
  for (std::size_t i = 0; i < count; ++i) {
    if (offsets[i + 1] < offsets[i]) return Corrupt(std::string(what) + " go backwards");
  }
  if (offsets[count] != total) return Corrupt(std::string(what) + " do not end at the data");
  return Status::Ok();
}

}  // namespace

Status SnapshotImage::Attach(bool verify_checksum) {
  if (size_ < sizeof(fmt::Header)) {
    return Corrupt("it is " + std::to_string(size_) + " bytes, shorter than its header");
  }
  header_ = reinterpret_cast<const fmt::Header*>(base_);
  const fmt::Header& h = *header_;
  if (std::memcmp(h.magic, fmt::kMagic, sizeof(h.magic)) != 0) {
    return Corrupt("not a matcher snapshot (bad magic)");
  }
  if (h.version != fmt::kVersion) {
    return Status::FailedPrecondition("matcher snapshot version " + std::to_string(h.version) +
                                      " is not supported (this build reads " +
                                      std::to_string(fmt::kVersion) + ")");
  }
  if (h.header_size != sizeof(fmt::Header)) return Corrupt("bad header size");
  if (h.image_size != size_) {
    return Corrupt("the header says " + std::to_string(h.image_size) + " bytes, the image has " +
                   std::to_string(size_) + " (truncated?)");
  }
  if (verify_checksum) {
    std::uint8_t sum[32];
    ImageChecksum(base_, size_, sum);
    if (std::memcmp(sum, h.checksum, sizeof(sum)) != 0) return Corrupt("checksum mismatch");
  }
  std::size_t count[fmt::kSectionCount];
  static constexpr std::size_t kElement[] = {sizeof(fmt::Bucket),
                                             std::size_t{4} * fmt::kFilterBlockWords,
                                             sizeof(fmt::Extra),
                                             sizeof(fmt::UrlRule),
                                             1,
                                             16,
                                             4,
                                             4,
                                             4,
                                             sizeof(fmt::IpRule),
                                             4,
                                             4,
                                             sizeof(fmt::OrderRecord)};
  static_assert(std::size(kElement) == fmt::kSectionCount);
  for (std::uint32_t s = 0; s < fmt::kSectionCount; ++s) {
    const fmt::SectionRef& r = h.sections[s];
    if (r.offset % fmt::kSectionAlign != 0 || r.offset < sizeof(fmt::Header) || r.offset > size_ ||
        r.size > size_ - r.offset || r.size % kElement[s] != 0) {
      return Corrupt(std::string("section ") + SectionName(s) + " is out of bounds");
    }
    count[s] = r.size / kElement[s];
  }
  auto at = [&](std::uint32_t s) { return base_ + h.sections[s].offset; };
  table_ = reinterpret_cast<const fmt::Bucket*>(at(fmt::kBuckets));
  filter_ = reinterpret_cast<const std::uint32_t*>(at(fmt::kFilter));
  filter_blocks_ = count[fmt::kFilter];
  extras_ = reinterpret_cast<const fmt::Extra*>(at(fmt::kExtras));
  url_rules_ = reinterpret_cast<const fmt::UrlRule*>(at(fmt::kUrlRules));
  strings_ = reinterpret_cast<const char*>(at(fmt::kStrings));
  ip_starts_ = reinterpret_cast<const U128*>(at(fmt::kIpStarts));
  ip_sets_ = reinterpret_cast<const std::uint32_t*>(at(fmt::kIpSets));
  ip_set_offsets_ = reinterpret_cast<const std::uint32_t*>(at(fmt::kIpSetOffsets));
  ip_set_rules_ = reinterpret_cast<const std::uint32_t*>(at(fmt::kIpSetRules));
  ip_rules_ = reinterpret_cast<const fmt::IpRule*>(at(fmt::kIpRules));
  answer_offsets_ = reinterpret_cast<const std::uint32_t*>(at(fmt::kAnswerOffsets));
  answer_orders_ = reinterpret_cast<const std::uint32_t*>(at(fmt::kAnswerOrders));
  orders_ = reinterpret_cast<const fmt::OrderRecord*>(at(fmt::kOrders));
  extra_count_ = count[fmt::kExtras];
  url_rule_count_ = count[fmt::kUrlRules];
  strings_size_ = count[fmt::kStrings];
  ip_intervals_ = count[fmt::kIpStarts];
  ip_set_rule_count_ = count[fmt::kIpSetRules];
  ip_rule_count_ = count[fmt::kIpRules];
  answer_order_count_ = count[fmt::kAnswerOrders];
  order_count_ = count[fmt::kOrders];

  // The table: the header's bucket count, at least one empty slot.
  buckets_ = h.bucket_count;
  if (buckets_ == 0 || buckets_ > 0xffffffffULL || count[fmt::kBuckets] != buckets_) {
    return Corrupt("the hash table does not agree with the bucket count");
  }
  if (h.min_labels > h.max_labels || h.max_labels > 127 ||
      (h.min_labels == 0) != (h.max_labels == 0)) {
    return Corrupt("bad label counts");
  }
  if (filter_blocks_ == 0 || filter_blocks_ > 0xffffffffULL) {
    return Corrupt("the filter has no blocks");
  }
  if (count[fmt::kIpSets] != ip_intervals_) return Corrupt("ip_sets and ip_starts differ");
  if (count[fmt::kIpSetOffsets] == 0 || count[fmt::kAnswerOffsets] == 0) {
    return Corrupt("an offsets section is empty");
  }
  ip_set_count_ = count[fmt::kIpSetOffsets] - 1;
  answer_count_ = count[fmt::kAnswerOffsets] - 1;
  if (answer_count_ >= fmt::kValueMask) return Corrupt("too many answers");
  RETURN_IF_ERROR(CheckOffsets(answer_offsets_, answer_count_, answer_order_count_, "answers"));
  for (std::size_t i = 0; i < answer_order_count_; ++i) {
    if (answer_orders_[i] >= order_count_) return Corrupt("an answer names a missing order");
  }
  auto string_ok = [&](std::uint32_t offset, std::uint32_t length) {
    return offset <= strings_size_ && length <= strings_size_ - offset;
  };
  for (std::size_t i = 0; i < order_count_; ++i) {
    const fmt::OrderRecord& o = orders_[i];
    if (!string_ok(o.reference_offset, o.reference_length) ||
        !string_ok(o.body_offset, o.body_length)) {
      return Corrupt("order " + std::to_string(i) + " has text out of bounds");
    }
  }
  auto answer_ok = [&](std::uint32_t a) { return a == fmt::kNone || a < answer_count_; };
  std::size_t empty_slots = 0;
  for (std::size_t i = 0; i < buckets_ * fmt::kBucketSlots; ++i) {
    const fmt::Bucket& bucket = table_[i / fmt::kBucketSlots];
    if (bucket.fp[i % fmt::kBucketSlots] == 0) {
      ++empty_slots;
      continue;
    }
    const std::uint32_t v = bucket.value[i % fmt::kBucketSlots];
    const std::uint32_t payload = v & fmt::kValueMask;
    switch (v >> fmt::kValueShift) {
      case fmt::kExactAnswer:
      case fmt::kTreeAnswer:
        if (payload >= answer_count_) return Corrupt("a slot names a missing answer");
        break;
      case fmt::kExtraIndex:
        if (payload >= extra_count_) return Corrupt("a slot names a missing extra");
        break;
      default: return Corrupt("a slot has an unknown value type");
    }
  }
  if (empty_slots == 0) return Corrupt("the hash table has no empty slot");
  for (std::size_t i = 0; i < extra_count_; ++i) {
    const fmt::Extra& e = extras_[i];
    if (!answer_ok(e.exact) || !answer_ok(e.tree) || e.url_begin > url_rule_count_ ||
        e.url_count > url_rule_count_ - e.url_begin) {
      return Corrupt("extra " + std::to_string(i) + " is out of bounds");
    }
  }
  for (std::size_t i = 0; i < url_rule_count_; ++i) {
    const fmt::UrlRule& u = url_rules_[i];
    if (!string_ok(u.path_offset, u.path_length) || u.answer >= answer_count_ ||
        u.flags > fmt::kUrlPrefix) {
      return Corrupt("URL rule " + std::to_string(i) + " is out of bounds");
    }
  }
  RETURN_IF_ERROR(
      CheckOffsets(ip_set_offsets_, ip_set_count_, ip_set_rule_count_, "IP set offsets"));
  for (std::size_t i = 0; i < ip_set_rule_count_; ++i) {
    if (ip_set_rules_[i] >= ip_rule_count_) return Corrupt("an IP set names a missing rule");
  }
  for (std::size_t i = 0; i < ip_intervals_; ++i) {
    if (i > 0 && !(ip_starts_[i - 1] < ip_starts_[i])) return Corrupt("IP intervals unsorted");
    if (ip_sets_[i] != fmt::kNone && ip_sets_[i] >= ip_set_count_) {
      return Corrupt("an IP interval names a missing set");
    }
  }
  for (std::size_t i = 0; i < ip_rule_count_; ++i) {
    const fmt::IpRule& r = ip_rules_[i];
    const bool kind_ok = r.kind == static_cast<std::uint8_t>(TargetKind::kIp)
                             ? r.prefix == 128
                             : r.kind == static_cast<std::uint8_t>(TargetKind::kCidr);
    if (r.prefix > 128 || !kind_ok || r.v4 > 1 || (r.v4 == 1 && r.prefix < 96) ||
        r.answer >= answer_count_) {
      return Corrupt("IP rule " + std::to_string(i) + " is invalid");
    }
  }
  keys_ = matcher::DeriveKeys(h.seed);
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Queries

namespace {

// A name made ready for lookup: lowercased, trailing dot gone, dots found, suffix fingerprints
// computed.
struct PreparedName {
  char text[256 + 16];  // padded for Absorb<true> and 16-byte stores
  std::size_t length = 0;
  std::uint64_t dot_bits[4];  // bit b of dot_bits[w]: byte 64 * w + b is a dot
  int dot_count = 0;
  std::uint64_t fps[kMaxLabels];
  std::uint16_t starts[kMaxLabels];
  int count = 0;
};

// Up to 8 bytes of `p` from `i`, not reading at or past `n`, in the low bytes of a word.
[[gnu::always_inline]] inline std::uint64_t LoadClipped(const char* p, std::size_t n,
                                                        std::size_t i) {
  std::uint64_t w = 0;
  if (i + 8 <= n) {
    std::memcpy(&w, p + i, 8);
  } else if (n >= 8) {
    // Load the 8 bytes that end the name and shift the ones we want down (a fixed-size load; no
    // library call, no read past the end).
    std::memcpy(&w, p + n - 8, 8);
    w >>= 8 * (8 - (n - i));
  } else {
    for (std::size_t j = i; j < n; ++j) {
      w |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[j])) << (8 * (j - i));
    }
  }
  return w;
}

#if defined(__SSE2__)
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define INTERDICT_MATCHER_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define INTERDICT_MATCHER_SANITIZED 1
#endif
#endif

// 32 bytes of 0xff then 32 of zero: the 16 bytes at kPrefixMask + 32 - n keep the first n.
alignas(64) constexpr unsigned char kPrefixMask[64] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

[[gnu::always_inline]] inline __m128i LowerAscii(__m128i v) {
  // Non-ASCII bytes compare as negative and are left alone (and refused by the callers).
  const __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('A' - 1)),
                                      _mm_cmplt_epi8(v, _mm_set1_epi8('Z' + 1)));
  return _mm_or_si128(v, _mm_and_si128(upper, _mm_set1_epi8(0x20)));
}

// LowercaseAscii for the common case, a name of at most 32 bytes that starts at least 32 bytes
// before the end of its memory page: two 16-byte loads and a mask for the length, with no
// branch on the length (such branches are what a run of random names mispredicts). The loads
// read past the name but not past its page (pages are the unit of memory protection, so such
// a read cannot fault); the extra bytes are masked off. Sanitizer builds, which check reads
// byte by byte, take the general path.
[[gnu::always_inline]] inline bool LowercaseShort(const char* p, std::size_t n, PreparedName* out) {
  const __m128i m0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(kPrefixMask + 32 - n));
  const __m128i m1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(kPrefixMask + 48 - n));
  __m128i v0 = _mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), m0);
  __m128i v1 = _mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16)), m1);
  const __m128i zero = _mm_setzero_si128();
  const int high = _mm_movemask_epi8(_mm_or_si128(v0, v1));
  v0 = LowerAscii(v0);
  v1 = LowerAscii(v1);
  // Bytes n to 48 are zero: the padding Absorb<true> may read.
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out->text), v0);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out->text + 16), v1);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out->text + 32), zero);
  const __m128i dot = _mm_set1_epi8('.');
  const __m128i d0 = _mm_cmpeq_epi8(v0, dot);
  const __m128i d1 = _mm_cmpeq_epi8(v1, dot);
  out->dot_bits[0] = static_cast<std::uint32_t>(_mm_movemask_epi8(d0)) |
                     (static_cast<std::uint32_t>(_mm_movemask_epi8(d1)) << 16);
  out->dot_bits[1] = out->dot_bits[2] = out->dot_bits[3] = 0;
  const __m128i one = _mm_set1_epi8(1);
  const __m128i sums = _mm_add_epi64(_mm_sad_epu8(_mm_and_si128(d0, one), zero),
                                     _mm_sad_epu8(_mm_and_si128(d1, one), zero));
  out->dot_count = _mm_cvtsi128_si32(sums) + _mm_cvtsi128_si32(_mm_srli_si128(sums, 8));
  out->length = n;
  return high == 0;
}

// Copies `name` (at most 253 bytes) into out->text sixteen bytes at a time, lowercasing A-Z and
// noting where the dots are, and zeroes the 16 bytes after it. False when a byte is not ASCII.
[[gnu::always_inline]] inline bool LowercaseAscii(std::string_view name, PreparedName* out) {
  const std::size_t n = name.size();
  const char* p = name.data();
#if !defined(INTERDICT_MATCHER_SANITIZED)
  constexpr std::uintptr_t kPage = 4096;
  if (n <= 32 && (reinterpret_cast<std::uintptr_t>(p) & (kPage - 1)) <= kPage - 32) [[likely]] {
    return LowercaseShort(p, n, out);
  }
#endif
  out->dot_bits[0] = out->dot_bits[1] = out->dot_bits[2] = out->dot_bits[3] = 0;
  unsigned high = 0;
  __m128i dot_count = _mm_setzero_si128();
  for (std::size_t i = 0; i < n; i += 16) {
    __m128i v;
    if (i + 16 <= n) {
      v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    } else {
      const std::uint64_t lo = LoadClipped(p, n, i);
      const std::uint64_t hi = i + 8 < n ? LoadClipped(p, n, i + 8) : 0;
      v = _mm_set_epi64x(static_cast<long long>(hi), static_cast<long long>(lo));
    }
    high |= static_cast<unsigned>(_mm_movemask_epi8(v));
    v = LowerAscii(v);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out->text + i), v);
    const __m128i is_dot = _mm_cmpeq_epi8(v, _mm_set1_epi8('.'));
    out->dot_bits[i / 64] |=
        static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(is_dot))) << (i % 64);
    // Sum of 0/1 bytes, in two 64-bit halves.
    dot_count = _mm_add_epi64(
        dot_count, _mm_sad_epu8(_mm_and_si128(is_dot, _mm_set1_epi8(1)), _mm_setzero_si128()));
  }
  if (high != 0) return false;
  out->dot_count = _mm_cvtsi128_si32(dot_count) + _mm_cvtsi128_si32(_mm_srli_si128(dot_count, 8));
  out->length = n;
  std::memset(out->text + n, 0, 16);
  return true;
}
#else
constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;
constexpr std::uint64_t kLowSeven = 0x7f7f7f7f7f7f7f7fULL;
constexpr std::uint64_t kDots = 0x2e2e2e2e2e2e2e2eULL;

// Copies `name` (at most 253 bytes) into out->text eight bytes at a time, lowercasing A-Z and
// noting where the dots are, and zeroes the 16 bytes after it. False when a byte is not ASCII.
[[gnu::always_inline]] inline bool LowercaseAscii(std::string_view name, PreparedName* out) {
  const std::size_t n = name.size();
  const char* p = name.data();
  std::uint64_t any_high = 0;
  std::uint64_t dots = 0;
  out->dot_bits[0] = out->dot_bits[1] = out->dot_bits[2] = out->dot_bits[3] = 0;
  for (std::size_t i = 0; i < n; i += 8) {
    std::uint64_t w = LoadClipped(p, n, i);
    any_high |= w;
    w &= kLowSeven;  // non-ASCII input is refused below; keep the sums carry-free meanwhile
    const std::uint64_t at_least_a = w + 0x3f3f3f3f3f3f3f3fULL;  // high bit set if byte >= 'A'
    const std::uint64_t above_z = w + 0x2525252525252525ULL;     // high bit set if byte > 'Z'
    w |= (at_least_a & ~above_z & kHighBits) >> 2;               // +0x20 on A-Z
    std::memcpy(out->text + i, &w, 8);
    const std::uint64_t x = w ^ kDots;  // zero bytes where the dots are
    const std::uint64_t is_dot = ~(((x & kLowSeven) + kLowSeven) | x) & kHighBits;
    // One bit per byte: the first multiply gathers the eight flags into the top byte, the
    // second adds them up (no POPCNT in baseline x86-64).
    const std::uint64_t flags = is_dot >> 7;
    out->dot_bits[i / 64] |= ((flags * 0x0102040810204080ULL) >> 56) << (i % 64);
    dots += (flags * 0x0101010101010101ULL) >> 56;
  }
  if ((any_high & kHighBits) != 0) return false;
  out->dot_count = static_cast<int>(dots);
  out->length = n;
  std::memset(out->text + n, 0, 16);
  return true;
}
#endif

bool PrepareUnicode(std::string_view name, PreparedName* out);

// Lowercases `name` into out->text and finds its dots. False when it cannot be a rule's name.
// Inlined into the lookups: it is most of the work of a miss.
[[gnu::always_inline]] inline bool PrepareText(std::string_view name, PreparedName* out) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty()) return false;
  if (name.size() <= 253 && LowercaseAscii(name, out)) return true;
  return PrepareUnicode(name, out);
}

// PrepareText for names that are not all ASCII (or too long to be).
[[gnu::noinline]] bool PrepareUnicode(std::string_view name, PreparedName* out) {
  if (std::all_of(name.begin(), name.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x80; }) ||
      name.size() > 1024) {
    return false;  // too long to be a name
  }
  // A U-label: the registry normalized its rules with IDNA 2008; do the same.
  Result<std::string> a = NormalizeDomain(name);
  if (!a.ok() || a->size() > 253) return false;
  return LowercaseAscii(*a, out);
}

bool PrepareName(const HashKeys& keys, std::string_view name, PreparedName* out) {
  if (!PrepareText(name, out)) return false;
  out->count = matcher::SuffixFingerprints<true>(keys, out->text, out->length, out->dot_bits,
                                                 out->fps, out->starts);
  return true;
}

// Picks the most specific rule among a name's looked-up suffixes: the exact rule on the whole
// name, else the tree rule on the longest suffix.
Verdict Decide(const SnapshotImage& img, const std::uint32_t* const* found,
               const std::uint16_t* starts, int count) {
  if (const std::uint32_t* whole = found[count - 1]; whole != nullptr) {
    if (const std::uint32_t a = img.ExactAnswer(whole); a != fmt::kNone) {
      return {a, TargetKind::kDomain, 0};
    }
  }
  for (int i = count - 1; i >= 0; --i) {
    if (found[i] == nullptr) continue;
    if (const std::uint32_t a = img.TreeAnswer(found[i]); a != fmt::kNone) {
      return {a, TargetKind::kDomainTree, starts[i]};
    }
  }
  return {};
}

// Looks up every suffix of a prepared name. The filter is asked about every suffix before
// anything branches on its answers, so those reads overlap; the few suffixes it lets through
// are looked up in the table.
Verdict ResolveName(const SnapshotImage& img, const std::uint64_t* fps, const std::uint16_t* starts,
                    int count) {
  // Suffix i has i + 1 labels; only those within the rules' label counts can match.
  const int first = static_cast<int>(img.header_->min_labels) - 1;
  const int last = std::min(count, static_cast<int>(img.header_->max_labels));
  bool pass[kMaxLabels];
  const std::uint32_t* found[kMaxLabels];
  for (int i = 0; i < count; ++i) found[i] = nullptr;
  for (int i = std::max(first, 0); i < last; ++i) pass[i] = img.MayContain(fps[i]);
  for (int i = std::max(first, 0); i < last; ++i) found[i] = pass[i] ? img.Find(fps[i]) : nullptr;
  return Decide(img, found, starts, count);
}

std::string FormatAddress(const fmt::IpRule& r) {
  std::uint8_t b[16];
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<std::uint8_t>(r.high >> (56 - 8 * i));
    b[8 + i] = static_cast<std::uint8_t>(r.low >> (56 - 8 * i));
  }
  char buf[INET6_ADDRSTRLEN];
  const char* s = r.v4 ? inet_ntop(AF_INET, b + 12, buf, sizeof(buf))
                       : inet_ntop(AF_INET6, b, buf, sizeof(buf));
  std::string text = s != nullptr ? s : "?";
  if (r.kind == static_cast<std::uint8_t>(TargetKind::kCidr)) {
    text += "/" + std::to_string(r.v4 ? r.prefix - 96 : r.prefix);
  }
  return text;
}

}  // namespace

Snapshot::Snapshot(std::unique_ptr<SnapshotImage> image) : image_(std::move(image)) {}
Snapshot::Snapshot(Snapshot&&) noexcept = default;
Snapshot& Snapshot::operator=(Snapshot&&) noexcept = default;
Snapshot::~Snapshot() = default;

std::string_view Snapshot::bytes() const {
  return {reinterpret_cast<const char*>(image_->base_), image_->size_};
}
std::uint64_t Snapshot::serial() const {
  return image_->header_->serial;
}
std::string_view Snapshot::source() const {
  const char* s = image_->header_->source;
  return {s, strnlen(s, sizeof(image_->header_->source))};
}
std::size_t Snapshot::rule_count() const {
  return static_cast<std::size_t>(image_->header_->rule_count);
}
std::size_t Snapshot::order_count() const {
  return image_->order_count_;
}

Verdict Snapshot::MatchName(std::string_view name) const {
  PreparedName q;
  const SnapshotImage& img = *image_;
  if (!PrepareName(img.keys_, name, &q)) return {};
  return ResolveName(img, q.fps, q.starts, q.count);
}

namespace {

// One group of names on its way through Snapshot::MatchNames.
struct NameGroup {
  static constexpr std::size_t kSize = 8;
  static constexpr int kLabels = 8;  // names with more labels go through MatchName
  std::size_t base = 0;
  std::size_t n = 0;
  std::size_t pending = 0;  // suffixes the filter let through, in passed[]
  int count[kSize];         // suffixes of each name; 0: cannot match; -1: through MatchName
  std::uint64_t fps[kSize * kLabels];
  std::uint16_t starts[kSize * kLabels];
  std::uint16_t passed[kSize * kLabels];
};

}  // namespace

void Snapshot::MatchNames(std::span<const std::string_view> names, std::span<Verdict> out) const {
  // Groups of names go through three stages, each a pass over one group that issues its memory
  // reads without waiting on any of them: (1) hash every suffix of every name and prefetch its
  // filter block; (2) a group later, ask the filter about each suffix, keep the few it lets
  // through (without branching on its answers) and prefetch their table buckets; (3) a group
  // later still, read those buckets and decide the names that had one. The stages run on
  // different groups, so the reads one issues arrive while the others compute; a name whose
  // suffixes all miss the filter (most of them) is answered in stage 2.
  constexpr std::size_t kG = NameGroup::kSize;
  constexpr int kL = NameGroup::kLabels;
  const SnapshotImage& img = *image_;
  // Suffix j has j + 1 labels; only those within the rules' label counts can match.
  const std::size_t first = img.header_->min_labels > 0 ? img.header_->min_labels - 1 : 0;
  const std::size_t most = img.header_->max_labels;
  const std::size_t total = std::min(names.size(), out.size());
  // A table and filter this small stay in cache: nothing waits on memory, and one name at a
  // time does less work than the stages (measured: 24 against 22 million names a second).
  constexpr std::size_t kInCache = std::size_t{1} << 20;
  if (img.buckets_ * sizeof(fmt::Bucket) + img.filter_blocks_ * 16 <= kInCache) {
    for (std::size_t i = 0; i < total; ++i) out[i] = MatchName(names[i]);
    return;
  }
  const std::size_t groups = (total + kG - 1) / kG;
  PreparedName scratch;
  NameGroup ring[3];
  for (std::size_t t = 0; t < groups + 2; ++t) {
    if (t < groups) {  // stage 1
      NameGroup& g = ring[t % 3];
      g.base = t * kG;
      g.n = std::min(kG, total - g.base);
      for (std::size_t i = 0; i < g.n; ++i) {
        int& count = g.count[i];
        if (!PrepareText(names[g.base + i], &scratch)) {
          count = 0;
        } else if (scratch.dot_count >= kL) {
          count = -1;
        } else {
          count = matcher::SuffixFingerprints<true>(
              img.keys_, scratch.text, scratch.length, scratch.dot_bits, g.fps + i * kL,
              g.starts + i * kL, [&img](std::uint64_t fp) { img.PrefetchFilter(fp); });
        }
      }
    }
    if (t >= 1 && t - 1 < groups) {  // stage 2
      NameGroup& g = ring[(t - 1) % 3];
      std::size_t pending = 0;
      for (std::size_t i = 0; i < g.n; ++i) {
        const std::size_t before = pending;
        const std::size_t last = std::min(static_cast<std::size_t>(std::max(g.count[i], 0)), most);
        for (std::size_t j = first; j < last; ++j) {
          const std::size_t k = i * kL + j;
          g.passed[pending] = static_cast<std::uint16_t>(k);
          pending += img.MayContain(g.fps[k]) ? 1U : 0U;
        }
        if (pending == before && g.count[i] >= 0) out[g.base + i] = Verdict{};
      }
      for (std::size_t p = 0; p < pending; ++p) img.PrefetchBucket(g.fps[g.passed[p]]);
      g.pending = pending;
    }
    if (t >= 2) {  // stage 3
      const NameGroup& g = ring[(t - 2) % 3];
      const std::uint32_t* found[kG * kL];
      std::size_t p = 0;
      while (p < g.pending) {
        // The suffixes that passed, name by name (passed[] is in order).
        const std::size_t i = g.passed[p] / kL;
        const std::uint32_t** f = found + i * kL;
        for (int j = 0; j < g.count[i]; ++j) f[j] = nullptr;
        for (; p < g.pending && g.passed[p] / kL == i; ++p) {
          const std::uint64_t fp = g.fps[g.passed[p]];
          found[g.passed[p]] = img.Finish(img.Start(fp), fp);
        }
        out[g.base + i] = Decide(img, f, g.starts + i * kL, g.count[i]);
      }
      for (std::size_t i = 0; i < g.n; ++i) {
        if (g.count[i] < 0) out[g.base + i] = MatchName(names[g.base + i]);
      }
    }
  }
}

Verdict Snapshot::MatchIp16(const std::uint8_t address[16]) const {
  const SnapshotImage& img = *image_;
  const std::uint32_t set = img.IpSet(ToU128(address));
  if (set == fmt::kNone) return {};
  const bool v4 = IsV4Mapped(address);
  for (const std::uint32_t i : img.IpSetRules(set)) {
    const fmt::IpRule& r = img.ip_rules_[i];
    if (v4 && r.v4 == 0) continue;  // an IPv6 network does not cover IPv4 addresses
    return {r.answer, static_cast<TargetKind>(r.kind), 0};
  }
  return {};
}

Verdict Snapshot::MatchIp(std::string_view address) const {
  std::uint8_t a[16];
  bool v4 = false;
  if (!ParseAddress(address, a, &v4)) return {};
  return MatchIp16(a);
}

Verdict Snapshot::MatchApp(std::string_view app) const {
  const SnapshotImage& img = *image_;
  for (const matcher::Namespace ns : {matcher::kNsApp, matcher::kNsSearch}) {
    const std::uint32_t* slot =
        img.Find(matcher::StringFingerprint(img.keys_, ns, app.data(), app.size()));
    if (slot == nullptr) continue;
    if (const std::uint32_t a = img.ExactAnswer(slot); a != fmt::kNone) {
      return {a, ns == matcher::kNsApp ? TargetKind::kApp : TargetKind::kSearch, 0};
    }
  }
  return {};
}

std::span<const std::uint32_t> Snapshot::AnswerOrders(std::uint32_t answer) const {
  const SnapshotImage& img = *image_;
  if (answer >= img.answer_count_) return {};
  return {img.answer_orders_ + img.answer_offsets_[answer],
          img.answer_orders_ + img.answer_offsets_[answer + 1]};
}

SnapshotOrder Snapshot::order(std::uint32_t index) const {
  const SnapshotImage& img = *image_;
  if (index >= img.order_count_) return {};
  const fmt::OrderRecord& o = img.orders_[index];
  return {o.id, img.String(o.reference_offset, o.reference_length),
          img.String(o.body_offset, o.body_length)};
}

// ---------------------------------------------------------------------------------------------
// Explain: every rule and order, in the registry's order.

namespace {

class Explainer {
 public:
  Explainer(const Snapshot& snapshot, const SnapshotImage& img) : snapshot_(snapshot), img_(img) {}

  void Add(TargetKind kind, const std::string& value, std::uint32_t answer) {
    if (answer == fmt::kNone) return;
    for (const std::uint32_t o : snapshot_.AnswerOrders(answer)) {
      const SnapshotOrder order = snapshot_.order(o);
      InForceEntry e;
      e.target = {kind, value};
      e.order_id = order.id;
      e.body = std::string(order.body);
      e.reference = std::string(order.reference);
      e.in_force = true;
      out_.push_back(std::move(e));
    }
  }

  void Host(std::string_view host) {
    std::uint8_t a[16];
    bool v4 = false;
    if (ParseAddress(host, a, &v4)) {
      Ip(a);
      return;
    }
    PreparedName q;
    if (!PrepareName(img_.keys_, host, &q)) return;
    const std::string_view text(q.text, q.length);
    const std::uint32_t* whole = img_.Find(q.fps[q.count - 1]);
    if (whole != nullptr) Add(TargetKind::kDomain, std::string(text), img_.ExactAnswer(whole));
    for (int i = q.count - 1; i >= 0; --i) {
      const std::uint32_t* slot = img_.Find(q.fps[i]);
      if (slot != nullptr) {
        Add(TargetKind::kDomainTree, std::string(text.substr(q.starts[i])), img_.TreeAnswer(slot));
      }
    }
  }

  void Ip(const std::uint8_t a[16]) {
    const std::uint32_t set = img_.IpSet(ToU128(a));
    if (set == fmt::kNone) return;
    // Exact address rules first, then CIDRs from the longest prefix.
    const bool v4 = IsV4Mapped(a);
    for (const bool exact : {true, false}) {
      for (const std::uint32_t r : img_.IpSetRules(set)) {
        const fmt::IpRule& rule = img_.ip_rules_[r];
        if ((rule.kind == static_cast<std::uint8_t>(TargetKind::kIp)) != exact) continue;
        if (v4 && rule.v4 == 0) continue;
        Add(static_cast<TargetKind>(rule.kind), FormatAddress(rule), rule.answer);
      }
    }
  }

  void Cidr(std::string_view cidr) {
    const std::size_t slash = cidr.find('/');
    std::uint8_t a[16];
    bool v4 = false;
    if (slash == std::string_view::npos || !ParseAddress(cidr.substr(0, slash), a, &v4)) return;
    const std::uint32_t set = img_.IpSet(ToU128(a));
    if (set == fmt::kNone) return;
    for (const std::uint32_t r : img_.IpSetRules(set)) {
      const fmt::IpRule& rule = img_.ip_rules_[r];
      if (rule.kind != static_cast<std::uint8_t>(TargetKind::kCidr)) continue;
      std::string text = FormatAddress(rule);
      if (text == cidr) Add(TargetKind::kCidr, text, rule.answer);
    }
  }

  void Url(std::string_view url) {
    const UrlParts u = SplitCanonicalUrl(url);
    if (!u.valid) return;
    const std::uint32_t* slot = img_.Find(matcher::StringFingerprint(
        img_.keys_, matcher::kNsUrlOrigin, u.origin.data(), u.origin.size()));
    if (const fmt::Extra* e = slot != nullptr ? img_.ExtraOf(slot) : nullptr; e != nullptr) {
      for (std::uint32_t i = e->url_begin; i < e->url_begin + e->url_count; ++i) {
        const fmt::UrlRule& r = img_.url_rules_[i];
        const std::string_view rule = img_.String(r.path_offset, r.path_length);
        const bool prefix = (r.flags & fmt::kUrlPrefix) != 0;
        if (!UrlPathMatches(rule, prefix, u.path)) continue;
        std::string value(u.origin);
        value.append(rule);
        if (prefix) value.push_back('*');
        Add(TargetKind::kUrl, value, r.answer);
      }
    }
    Host(u.host);
  }

  void Exact(matcher::Namespace ns, TargetKind kind, std::string_view value) {
    const std::uint32_t* slot =
        img_.Find(matcher::StringFingerprint(img_.keys_, ns, value.data(), value.size()));
    if (slot != nullptr) Add(kind, std::string(value), img_.ExactAnswer(slot));
  }

  std::vector<InForceEntry> Take() { return std::move(out_); }

 private:
  const Snapshot& snapshot_;
  const SnapshotImage& img_;
  std::vector<InForceEntry> out_;
};

}  // namespace

std::vector<InForceEntry> Snapshot::Explain(const Target& query) const {
  Explainer x(*this, *image_);
  switch (query.kind) {
    case TargetKind::kDomain:
    case TargetKind::kDomainTree:
    case TargetKind::kIp: x.Host(query.value); break;
    case TargetKind::kCidr: x.Cidr(query.value); break;
    case TargetKind::kUrl:
      if (!query.value.empty() && query.value.back() != '*') x.Url(query.value);
      break;
    case TargetKind::kApp: x.Exact(matcher::kNsApp, TargetKind::kApp, query.value); break;
    case TargetKind::kSearch: x.Exact(matcher::kNsSearch, TargetKind::kSearch, query.value); break;
  }
  return x.Take();
}

// ---------------------------------------------------------------------------------------------
// Loading and saving

Result<Snapshot> Snapshot::FromBytes(std::string_view bytes, bool verify_checksum) {
  auto image = std::make_unique<SnapshotImage>();
  AlignedBytes copy = AllocateImage(std::max<std::size_t>(bytes.size(), 1));
  std::memcpy(copy.get(), bytes.data(), bytes.size());
  image->Own(std::move(copy), bytes.size());
  RETURN_IF_ERROR(image->Attach(verify_checksum));
  return Snapshot(std::move(image));
}

Result<Snapshot> Snapshot::Load(const std::string& path, bool verify_checksum) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot open " + path + ": " + ErrnoText(errno));
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    close(fd);
    return Status::IOError("cannot stat " + path + ": " + ErrnoText(err));
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size < sizeof(fmt::Header)) {
    close(fd);
    return Status::Corruption(path + ": the matcher snapshot is corrupt: it is " +
                              std::to_string(size) + " bytes, shorter than its header");
  }
  void* mapped = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int err = errno;
  close(fd);
  if (mapped == MAP_FAILED) return Status::IOError("cannot map " + path + ": " + ErrnoText(err));
  madvise(mapped, size, MADV_WILLNEED);
  madvise(mapped, size, MADV_HUGEPAGE);  // honoured where the kernel maps read-only files so
  auto image = std::make_unique<SnapshotImage>();
  image->Map(mapped, size);
  if (Status s = image->Attach(verify_checksum); !s.ok()) {
    return s.Prefixed(path);
  }
  return Snapshot(std::move(image));
}

Status Snapshot::Save(const std::string& path) const {
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("cannot create " + tmp + ": " + ErrnoText(errno));
  const std::string_view data = bytes();
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      close(fd);
      unlink(tmp.c_str());
      return Status::IOError("cannot write " + tmp + ": " + ErrnoText(err));
    }
    done += static_cast<std::size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    return Status::IOError("cannot flush " + tmp + ": " + ErrnoText(err));
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    return Status::IOError("cannot rename " + tmp + " to " + path + ": " + ErrnoText(err));
  }
  return Status::Ok();
}

}  // namespace interdict
