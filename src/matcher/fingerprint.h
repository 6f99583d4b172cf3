// Keyed 64-bit fingerprints of names and strings for the matcher's hash table. Internal to
// src/matcher.
//
// A name's fingerprint chains its labels from the right, so every suffix that starts at a label
// gets a fingerprint in one pass: fp("b.c") extends the state of fp("c"). Each step multiplies
// two 64-bit words of up to 16 bytes of the label, the second xored with the chain state, into
// a 128-bit product and folds the halves together (the wyhash construction), with secrets
// derived from a per-build seed. Thread-safe: pure functions.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace interdict::matcher {

__extension__ using U128 = unsigned __int128;

enum Namespace : int { kNsName = 0, kNsApp = 1, kNsSearch = 2, kNsUrlOrigin = 3, kNsCount = 4 };

struct HashKeys {
  std::uint64_t k[5];
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

// For the last r bytes (r = 0..16) of what Absorb reads, as two little-endian words: mask[r][0]
// and mask[r][1] keep those bytes, and length[r] spreads r over the top bits of the second
// word's first five bytes.
struct TailTable {
  std::uint64_t mask[17][2];
  std::uint64_t length[17];
};
inline constexpr TailTable kTail = [] {
  TailTable t{};
  for (int r = 0; r <= 16; ++r) {
    for (int b = 0; b < r; ++b) t.mask[r][b / 8] |= std::uint64_t{0xff} << (8 * (b % 8));
    for (int b = 0; b < 5; ++b) {
      t.length[r] |= static_cast<std::uint64_t>((r >> b) & 1) << (8 * b + 7);
    }
  }
  return t;
}();

// Absorbs the `n` bytes at `p` (one label, or a whole string) into the chain state `h`: one
// 64x64->128-bit multiply per 16 bytes, the state joining the second word (the wyhash loop),
// so a label of up to 16 bytes costs one multiply and no branch on its length. The last 0-16
// bytes are zero-padded, use their own keys (a label that ends after 16 bytes differs from one
// that goes on) and carry their count in the top bits of their bytes: a name's bytes are ASCII
// by then, so the padding cannot alias a label that ends in NUL bytes. kPadded: at least 16
// readable bytes follow p + n, so the last words are loaded whole and masked.
template <bool kPadded>
inline std::uint64_t Absorb(const HashKeys& keys, std::uint64_t h, const char* p, std::size_t n) {
  std::size_t i = 0;
  for (; n - i > 16; i += 16) {
    h = Fold(LoadWord(p + i) ^ keys.k[3], LoadWord(p + i + 8) ^ h ^ keys.k[4]);
  }
  const std::size_t r = n - i;
  std::uint64_t w0 = 0;
  std::uint64_t w1 = 0;
  if constexpr (kPadded) {
    w0 = LoadWord(p + i) & kTail.mask[r][0];
    w1 = LoadWord(p + i + 8) & kTail.mask[r][1];
  } else {
    char tail[16] = {};
    std::memcpy(tail, p + i, r);
    w0 = LoadWord(tail);
    w1 = LoadWord(tail + 8);
  }
  return Fold(w0 ^ keys.k[1], w1 ^ kTail.length[r] ^ h ^ keys.k[2]);
}

// The fingerprint of a chain state: the state itself, except that 0 marks an empty slot.
inline std::uint64_t Finish(std::uint64_t h) {
  return h != 0 ? h : 1;
}

// The fingerprint of a whole string (app ids, search targets, URL origins). Their bytes need not
// be ASCII, so their length also joins the starting state.
inline std::uint64_t StringFingerprint(const HashKeys& keys, Namespace ns, const char* p,
                                       std::size_t n) {
  return Finish(Absorb<false>(keys, keys.ns[ns] ^ (n * keys.k[0]), p, n));
}

inline constexpr int kMaxLabels = 128;  // a 253-byte name has at most 127 labels

// Fingerprints of every label-aligned suffix of `name` (lowercase, no trailing dot), from the
// last label (i = 0) to the whole name (i = count - 1); starts[i] is where suffix i begins.
// dot_bits marks the name's dots: bit b of dot_bits[w] is byte 64 * w + b. on_fp gets each
// fingerprint as soon as it is known (MatchNames prefetches its filter block). Returns count.
template <bool kPadded, typename OnFp = void (*)(std::uint64_t)>
[[gnu::always_inline]] inline int SuffixFingerprints(
    const HashKeys& keys, const char* name, std::size_t n, const std::uint64_t* dot_bits,
    std::uint64_t* fps, std::uint16_t* starts, OnFp on_fp = [](std::uint64_t) {}) {
  std::uint64_t h = keys.ns[kNsName];
  std::size_t end = n;
  int count = 0;
  for (std::size_t w = (n + 63) / 64; w-- > 0;) {
    for (std::uint64_t bits = dot_bits[w]; bits != 0;) {
      const int top = 63 - std::countl_zero(bits);
      bits &= ~(1ULL << top);
      const std::size_t begin = w * 64 + static_cast<std::size_t>(top) + 1;
      h = Absorb<kPadded>(keys, h, name + begin, end - begin);
      fps[count] = Finish(h);
      on_fp(fps[count]);
      starts[count] = static_cast<std::uint16_t>(begin);
      ++count;
      end = begin - 1;
    }
  }
  h = Absorb<kPadded>(keys, h, name, end);
  fps[count] = Finish(h);
  on_fp(fps[count]);
  starts[count] = 0;
  return count + 1;
}

// The fingerprint of a whole name, equal to the last one SuffixFingerprints gives.
inline std::uint64_t NameFingerprint(const HashKeys& keys, const char* name, std::size_t n) {
  std::uint64_t h = keys.ns[kNsName];
  std::size_t end = n;
  for (std::size_t i = n; i-- > 0;) {
    if (name[i] != '.') continue;
    h = Absorb<false>(keys, h, name + i + 1, end - i - 1);
    end = i;
  }
  return Finish(Absorb<false>(keys, h, name, end));
}

}  // namespace interdict::matcher
