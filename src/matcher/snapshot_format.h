// The on-disk (and in-memory) layout of a compiled matcher snapshot. Internal to src/matcher and
// its tests; readers outside use Snapshot.
//
// An image is a Header followed by sections, each starting at a multiple of 64 bytes. All
// integers are little-endian; the format is only built and read on little-endian hosts. The
// checksum is SHA-256 over the whole image with the checksum field zeroed.
//
//   buckets       Bucket[]        the hash table: one cache line per bucket with five 64-bit
//                                 keyed fingerprints (0 = empty), their values (see Value
//                                 below), and how many keys moved on past this bucket because
//                                 it was full (saturating at 255). A key lives in its home
//                                 bucket or, when that is full, in the following ones
//                                 (wrapping); a lookup that does not find its key in a bucket
//                                 nobody moved past stops there.
//   filter        u32[4 * blocks] a split-block Bloom filter over the same fingerprints: a name
//                                 suffix it rejects is not probed in the table. 12 bits per
//                                 key; each key sets one bit in each of the four words of one
//                                 16-byte block
//   extras        Extra[]         keys with more than one kind of rule
//   url_rules     UrlRule[]       URL rules, grouped by origin, sorted by path
//   strings       bytes           URL paths, order references and bodies
//   ip_starts     u128[]          start of each address interval (IPv4 as ::ffff:0:0/96)
//   ip_sets       u32[]           per interval: an index into ip_set_offsets, or kNone
//   ip_set_offsets u32[sets + 1]  each set is ip_set_rules[offsets[i], offsets[i+1])
//   ip_set_rules  u32[]           indexes into ip_rules, longest prefix first
//   ip_rules      IpRule[]
//   answer_offsets u32[answers + 1]  each answer is answer_orders[offsets[i], offsets[i+1])
//   answer_orders u32[]           indexes into orders
//   orders        OrderRecord[]
#pragma once

#include <cstdint>

namespace interdict::matcher_format {

inline constexpr char kMagic[8] = {'I', 'N', 'T', 'D', 'M', 'A', 'T', 'C'};
inline constexpr std::uint32_t kVersion = 3;
inline constexpr std::uint32_t kBucketSlots = 5;
inline constexpr std::uint32_t kNone = 0xffffffffU;
inline constexpr std::uint64_t kSectionAlign = 64;

enum Section : std::uint32_t {
  kBuckets,
  kFilter,
  kExtras,
  kUrlRules,
  kStrings,
  kIpStarts,
  kIpSets,
  kIpSetOffsets,
  kIpSetRules,
  kIpRules,
  kAnswerOffsets,
  kAnswerOrders,
  kOrders,
  kSectionCount,
};

struct SectionRef {
  std::uint64_t offset;  // from the start of the image
  std::uint64_t size;    // bytes
};

struct Header {
  char magic[8];
  std::uint32_t version;
  std::uint32_t header_size;  // sizeof(Header)
  std::uint64_t image_size;
  std::uint64_t serial;
  std::uint64_t seed;          // the fingerprint key; the hash secrets derive from it
  std::uint64_t rule_count;    // distinct (kind, value) rules
  std::uint64_t bucket_count;  // buckets in the table
  std::uint32_t min_labels;    // the fewest and most labels of a domain or domain-tree rule
  std::uint32_t max_labels;    // (a lookup skips suffixes outside that range); 0, 0: none
  char source[32];             // what it was compiled from (a registry id), zero-padded
  std::uint8_t checksum[32];
  SectionRef sections[kSectionCount];
};

// A slot value: the top three bits say what the low 29 bits are.
enum ValueType : std::uint32_t {
  kExactAnswer = 0,  // an exact domain rule (or an app/search rule): the answer
  kTreeAnswer = 1,   // a domain-tree rule: the answer
  kExtraIndex = 2,   // an index into extras
};
inline constexpr std::uint32_t kValueShift = 29;
inline constexpr std::uint32_t kValueMask = (1U << kValueShift) - 1;

struct Bucket {
  std::uint64_t fp[kBucketSlots];
  std::uint32_t value[kBucketSlots];
  std::uint8_t overflow;
  std::uint8_t pad[3];
};
static_assert(sizeof(Bucket) == 64, "a bucket is one cache line");

inline constexpr std::uint32_t kFilterBitsPerKey = 12;
inline constexpr std::uint32_t kFilterBlockWords = 4;
// The bit a key sets in word `word` of its block: five bits of the key's fingerprint per word,
// its bits 32-51 (the block is chosen by bits 0-31; the fingerprint is a full-width hash, so
// the fields are independent).
inline constexpr std::uint32_t FilterBit(std::uint32_t key, std::uint32_t word) {
  return (key >> (5 * word)) & 31U;
}

struct Extra {
  std::uint32_t exact;      // answer of the exact rule on this key, or kNone
  std::uint32_t tree;       // answer of the tree rule on this key, or kNone
  std::uint32_t url_begin;  // URL rules of this origin: url_rules[url_begin, url_begin+url_count)
  std::uint32_t url_count;
};

enum UrlRuleFlags : std::uint32_t { kUrlPrefix = 1 };
struct UrlRule {
  std::uint32_t path_offset;  // into strings: the path, query included, without a trailing '*'
  std::uint32_t path_length;
  std::uint32_t answer;
  std::uint32_t flags;
};

struct IpRule {
  std::uint64_t high;  // the network address, as a 128-bit big-endian number in two halves
  std::uint64_t low;
  std::uint8_t prefix;  // 0..128 in the IPv6 space
  std::uint8_t kind;    // TargetKind::kIp or kCidr
  std::uint8_t v4;      // 1 when the rule was written as IPv4 (prefix - 96 is its length)
  std::uint8_t pad;
  std::uint32_t answer;
};

struct OrderRecord {
  std::int64_t id;
  std::uint32_t reference_offset;  // into strings
  std::uint32_t reference_length;
  std::uint32_t body_offset;
  std::uint32_t body_length;
};

static_assert(sizeof(Header) == 64 + 32 + 32 + 16 * kSectionCount, "the header has no padding");
static_assert(sizeof(IpRule) == 24);
static_assert(sizeof(OrderRecord) == 24);

}  // namespace interdict::matcher_format
