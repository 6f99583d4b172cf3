// SnapshotImage: the bytes of a compiled snapshot (owned or mapped) and typed views of its
// sections, checked once by Attach. Internal to src/matcher. Immutable after Attach; safe to
// read from any number of threads.
#pragma once

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
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
  void operator()(std::byte* p) const { ::operator delete (p, std::align_val_t{64}); }
};
using AlignedBytes = std::unique_ptr<std::byte[], AlignedDelete>;

// Zeroed bytes aligned for every section type.
AlignedBytes AllocateImage(std::size_t size);

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

  // Returns the slot holding `fp`, or -1.
  std::int64_t Find(std::uint64_t fp) const {
    std::uint64_t b = Bucket(fp);
    for (std::uint64_t step = 0; step < buckets_; ++step) {
      const std::uint64_t* s = fps_ + b * fmt::kBucketSlots;
      unsigned match = 0;
      unsigned empty = 0;
      for (unsigned j = 0; j < fmt::kBucketSlots; ++j) {
        match |= static_cast<unsigned>(s[j] == fp) << j;
        empty |= static_cast<unsigned>(s[j] == 0) << j;
      }
      if (match != 0) {
        return static_cast<std::int64_t>(b * fmt::kBucketSlots) + std::countr_zero(match);
      }
      if (empty != 0) return -1;
      if (++b == buckets_) b = 0;
    }
    return -1;
  }
  std::uint64_t Bucket(std::uint64_t fp) const {
    return static_cast<std::uint64_t>((static_cast<U128>(fp >> 32) * buckets_) >> 32);
  }
  void Prefetch(std::uint64_t fp) const {
    __builtin_prefetch(fps_ + Bucket(fp) * fmt::kBucketSlots);
  }

  // The answers of the exact and the tree rule stored under a slot.
  std::uint32_t ExactAnswer(std::int64_t slot) const {
    const std::uint32_t v = values_[slot];
    switch (v >> fmt::kValueShift) {
      case fmt::kExactAnswer: return v & fmt::kValueMask;
      case fmt::kExtraIndex: return extras_[v & fmt::kValueMask].exact;
      default: return fmt::kNone;
    }
  }
  std::uint32_t TreeAnswer(std::int64_t slot) const {
    const std::uint32_t v = values_[slot];
    switch (v >> fmt::kValueShift) {
      case fmt::kTreeAnswer: return v & fmt::kValueMask;
      case fmt::kExtraIndex: return extras_[v & fmt::kValueMask].tree;
      default: return fmt::kNone;
    }
  }
  const fmt::Extra* ExtraOf(std::int64_t slot) const {
    const std::uint32_t v = values_[slot];
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
  const std::uint64_t* fps_ = nullptr;
  const std::uint32_t* values_ = nullptr;
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
