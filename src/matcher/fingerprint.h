// Keyed 64-bit fingerprints of names and strings for the matcher's hash table. Internal to
// src/matcher.
//
// A name's fingerprint chains its labels from the right, so every suffix that starts at a label
// gets a fingerprint in one pass: fp("b.c") extends the state of fp("c"). Each step multiplies
// 64-bit words into a 128-bit product and folds it (the wyhash idea), with secrets derived from a
// per-build seed. Thread-safe: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace interdict::matcher {

__extension__ typedef unsigned __int128 U128;

enum Namespace : int { kNsName = 0, kNsApp = 1, kNsSearch = 2, kNsUrlOrigin = 3, kNsCount = 4 };

struct HashKeys {
  std::uint64_t k[7];
  std::uint64_t ns[kNsCount];
};

inline std::uint64_t SplitMix64(std::uint64_t* state) {
  std::uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

inline HashKeys DeriveKeys(std::uint64_t seed) {
  HashKeys keys{};
  std::uint64_t s = seed;
  // The top bit keeps every multiplier far from zero for short inputs.
  for (std::uint64_t& x : keys.k) x = SplitMix64(&s) | (1ULL << 63);
  for (std::uint64_t& x : keys.ns) x = SplitMix64(&s);
  return keys;
}

inline std::uint64_t Fold(std::uint64_t a, std::uint64_t b) {
  const U128 r = static_cast<U128>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}

inline std::uint64_t LoadWord(const char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// Absorbs `n` bytes at `p` into the chain state `h`. kPadded: at least 8 readable bytes follow
// p + n, so the last partial word is loaded whole and masked.
template <bool kPadded>
inline std::uint64_t Absorb(const HashKeys& keys, std::uint64_t h, const char* p, std::size_t n) {
  h = Fold(h ^ keys.k[0], static_cast<std::uint64_t>(n) ^ keys.k[1]);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) h = Fold(LoadWord(p + i) ^ keys.k[2], h ^ keys.k[3]);
  if (i < n) {
    std::uint64_t w = 0;
    if constexpr (kPadded) {
      w = LoadWord(p + i) & (~0ULL >> (8 * (8 - (n - i))));
    } else {
      std::memcpy(&w, p + i, n - i);
    }
    h = Fold(w ^ keys.k[4], h ^ keys.k[3]);
  }
  return h;
}

inline std::uint64_t Finish(const HashKeys& keys, std::uint64_t h) {
  const std::uint64_t f = Fold(h ^ keys.k[5], keys.k[6]);
  return f != 0 ? f : 1;  // 0 marks an empty slot
}

// The fingerprint of a whole string (app ids, search targets, URL origins).
inline std::uint64_t StringFingerprint(const HashKeys& keys, Namespace ns, const char* p,
                                       std::size_t n) {
  return Finish(keys, Absorb<false>(keys, keys.ns[ns], p, n));
}

inline constexpr int kMaxLabels = 128;  // a 253-byte name has at most 127 labels

// Fingerprints of every label-aligned suffix of `name` (lowercase, no trailing dot), from the
// last label (i = 0) to the whole name (i = count - 1); starts[i] is where suffix i begins.
// Returns count.
template <bool kPadded>
inline int SuffixFingerprints(const HashKeys& keys, const char* name, std::size_t n,
                              std::uint64_t* fps, std::uint16_t* starts) {
  std::uint64_t h = keys.ns[kNsName];
  int count = 0;
  std::size_t end = n;
  for (std::size_t i = n; i-- > 0;) {
    if (name[i] != '.') continue;
    h = Absorb<kPadded>(keys, h, name + i + 1, end - i - 1);
    fps[count] = Finish(keys, h);
    starts[count] = static_cast<std::uint16_t>(i + 1);
    ++count;
    end = i;
  }
  h = Absorb<kPadded>(keys, h, name, end);
  fps[count] = Finish(keys, h);
  starts[count] = 0;
  return count + 1;
}

}  // namespace interdict::matcher
