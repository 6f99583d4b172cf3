// The transparency log's Merkle tree (src/translog/merkle.h): the RFC 6962 / 9162 reference
// vectors, every root and proof of every tree up to 130 leaves against a naive recursive
// implementation of the RFC written here, rejection of every kind of damaged proof, tamper
// detection, and loading from a leaf source.
#include "translog/merkle.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/digest.h"

namespace interdict::translog {
namespace {

// --- an independent reference: RFC 9162 2.1 as written, on core/digest.h's SHA-256 ------------

Hash Unhex(std::string_view hex) {
  Hash out{};
  EXPECT_EQ(hex.size(), 64U) << hex;
  for (std::size_t i = 0; i < out.size() && 2 * i + 1 < hex.size(); ++i) {
    out[i] = static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(2 * i, 2)), nullptr, 16));
  }
  return out;
}

std::string Bytes(const Hash& h) {
  return {reinterpret_cast<const char*>(h.data()), h.size()};
}

Hash RefLeaf(std::string_view data) {
  return Unhex(Sha256Hex(std::string(1, '\0') + std::string(data)));
}

Hash RefNode(const Hash& l, const Hash& r) {
  return Unhex(Sha256Hex(std::string(1, '\1') + Bytes(l) + Bytes(r)));
}

// The largest power of two smaller than n (n > 1), by counting.
std::size_t SplitPoint(std::size_t n) {
  std::size_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

using Leaves = std::span<const Hash>;

// MTH(D[n]) over leaf hashes. Memoized by the span's address and length (the tests ask for the
// same subtrees many times over), which changes nothing in what is computed.
Hash RefRoot(Leaves d) {
  static std::map<std::pair<const Hash*, std::size_t>, Hash> memo;
  if (d.empty()) return Unhex(Sha256Hex(""));
  if (d.size() == 1) return d[0];
  const auto key = std::make_pair(d.data(), d.size());
  if (const auto it = memo.find(key); it != memo.end()) return it->second;
  const std::size_t k = SplitPoint(d.size());
  const Hash h = RefNode(RefRoot(d.subspan(0, k)), RefRoot(d.subspan(k)));
  memo.emplace(key, h);
  return h;
}

// PATH(m, D[n]).
std::vector<Hash> RefPath(std::size_t m, Leaves d) {
  if (d.size() <= 1) return {};
  const std::size_t k = SplitPoint(d.size());
  std::vector<Hash> out;
  if (m < k) {
    out = RefPath(m, d.subspan(0, k));
    out.push_back(RefRoot(d.subspan(k)));
  } else {
    out = RefPath(m - k, d.subspan(k));
    out.push_back(RefRoot(d.subspan(0, k)));
  }
  return out;
}

// SUBPROOF(m, D[n], b).
std::vector<Hash> RefSubproof(std::size_t m, Leaves d, bool b) {
  if (m == d.size()) {
    if (b) return {};
    return {RefRoot(d)};
  }
  const std::size_t k = SplitPoint(d.size());
  std::vector<Hash> out;
  if (m <= k) {
    out = RefSubproof(m, d.subspan(0, k), b);
    out.push_back(RefRoot(d.subspan(k)));
  } else {
    out = RefSubproof(m - k, d.subspan(k), false);
    out.push_back(RefRoot(d.subspan(0, k)));
  }
  return out;
}

// PROOF(m, D[n]); empty for m == 0 (our convention: every tree extends the empty one).
std::vector<Hash> RefConsistency(std::size_t m, Leaves d) {
  if (m == 0) return {};
  return RefSubproof(m, d, true);
}

// Distinct, deterministic leaf data.
std::vector<Hash> MakeLeaves(std::size_t n) {
  std::vector<Hash> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(RefLeaf("event " + std::to_string(i * 31)));
  return out;
}

MerkleTree TreeOf(const std::vector<Hash>& leaves) {
  MerkleTree t;
  for (const Hash& h : leaves) t.Append(h);
  return t;
}

Hash FlipBit(Hash h, std::size_t bit) {
  h[bit / 8] = static_cast<std::uint8_t>(h[bit / 8] ^ (1U << (bit % 8)));
  return h;
}

// --- the reference vectors
// ------------------------------------------------------------------------

// The leaves and roots of Certificate Transparency's reference test tree (RFC 6962), and proofs
// in it, as published in transparency-dev/merkle, proof/verify_test.go (commit 02194e9a; also in
// certificate-transparency-go's merkletree tests): `leaves`, `roots`, `inclusionProofs` (1-based
// leaf numbers there, 0-based indexes here) and `consistencyProofs`.
const std::vector<std::string> kRefData = {
    std::string(""),
    std::string("\x00", 1),
    std::string("\x10"),
    std::string("\x20\x21"),
    std::string("\x30\x31"),
    std::string("\x40\x41\x42\x43"),
    std::string("\x50\x51\x52\x53\x54\x55\x56\x57"),
    std::string("\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f"),
};
const char* const kRefRoots[] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};
constexpr std::string_view kEmptyRootHex =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct RefInclusion {
  std::uint64_t index;
  std::uint64_t size;
  std::vector<std::string_view> proof;
};
const std::vector<RefInclusion> kRefInclusion = {
    {0, 1, {}},
    {0,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {5,
     8,
     {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 3, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {1,
     5,
     {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

struct RefConsistencyVector {
  std::uint64_t old_size;
  std::uint64_t new_size;
  std::vector<std::string_view> proof;
};
const std::vector<RefConsistencyVector> kRefConsistency = {
    {1, 1, {}},
    {1,
     8,
     {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6,
     8,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2,
     5,
     {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {6,
     7,
     {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

std::vector<Hash> UnhexAll(const std::vector<std::string_view>& hexes) {
  std::vector<Hash> out;
  out.reserve(hexes.size());
  for (const std::string_view h : hexes) out.push_back(Unhex(h));
  return out;
}

MerkleTree RefTree() {
  MerkleTree t;
  for (const std::string& d : kRefData) t.Append(LeafHash(d));
  return t;
}

TEST(MerkleHashTest, EmptyTreeIsSha256OfNothing) {
  EXPECT_EQ(HashHex(EmptyRoot()), kEmptyRootHex);
  EXPECT_EQ(MerkleTree().Root(), EmptyRoot());
  EXPECT_EQ(MerkleTree().size(), 0U);
  const Result<Hash> r = MerkleTree().RootAt(0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, EmptyRoot());
}

TEST(MerkleHashTest, LeafAndNodeHashesArePrefixedSha256) {
  for (const std::string& d : kRefData) EXPECT_EQ(LeafHash(d), RefLeaf(d));
  const Hash a = LeafHash("a");
  const Hash b = LeafHash("b");
  EXPECT_EQ(NodeHash(a, b), RefNode(a, b));
  EXPECT_NE(NodeHash(a, b), NodeHash(b, a));
  // A leaf and a node over the same 64 bytes never collide: the prefixes differ.
  EXPECT_NE(LeafHash(Bytes(a) + Bytes(b)), NodeHash(a, b));
  const std::vector<std::uint8_t> raw = {0x20, 0x21};
  EXPECT_EQ(LeafHash(raw), LeafHash(std::string("\x20\x21")));
}

TEST(MerkleHashTest, HexRoundTripsAndRefusesOtherSpellings) {
  const Hash h = LeafHash("x");
  const std::string hex = HashHex(h);
  ASSERT_EQ(hex.size(), 64U);
  EXPECT_EQ(HashFromHex(hex), h);
  std::string upper = hex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper != hex) {
    EXPECT_FALSE(HashFromHex(upper).has_value());
  }
  EXPECT_FALSE(HashFromHex(hex.substr(1)).has_value());
  EXPECT_FALSE(HashFromHex(hex + "0").has_value());
  EXPECT_FALSE(HashFromHex("").has_value());
  EXPECT_FALSE(HashFromHex(std::string(63, '0') + "g").has_value());
}

TEST(MerkleReferenceTest, RootsMatchTheReferenceTree) {
  const MerkleTree t = RefTree();
  ASSERT_EQ(t.size(), 8U);
  EXPECT_EQ(HashHex(t.Root()), kRefRoots[7]);
  for (std::uint64_t n = 1; n <= 8; ++n) {
    const Result<Hash> r = t.RootAt(n);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(HashHex(*r), kRefRoots[n - 1]) << "size " << n;
  }
  // Appending one at a time gives the same roots.
  MerkleTree grown;
  for (std::size_t i = 0; i < kRefData.size(); ++i) {
    grown.Append(LeafHash(kRefData[i]));
    EXPECT_EQ(HashHex(grown.Root()), kRefRoots[i]) << "size " << i + 1;
  }
}

TEST(MerkleReferenceTest, InclusionProofsMatchTheReferenceVectors) {
  const MerkleTree t = RefTree();
  for (const RefInclusion& v : kRefInclusion) {
    SCOPED_TRACE("leaf " + std::to_string(v.index) + " of " + std::to_string(v.size));
    const Result<InclusionProof> p = t.ProveInclusion(v.index, v.size);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(p->hashes, UnhexAll(v.proof));
    EXPECT_EQ(p->leaf_hash, LeafHash(kRefData[v.index]));
    const Hash root = Unhex(kRefRoots[v.size - 1]);
    EXPECT_TRUE(
        VerifyInclusion(LeafHash(kRefData[v.index]), v.index, v.size, UnhexAll(v.proof), root)
            .ok());
  }
}

TEST(MerkleReferenceTest, ConsistencyProofsMatchTheReferenceVectors) {
  const MerkleTree t = RefTree();
  for (const RefConsistencyVector& v : kRefConsistency) {
    SCOPED_TRACE(std::to_string(v.old_size) + " to " + std::to_string(v.new_size));
    const Result<ConsistencyProof> p = t.ProveConsistency(v.old_size, v.new_size);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(p->hashes, UnhexAll(v.proof));
    const Status s = VerifyConsistency(v.old_size, v.new_size, Unhex(kRefRoots[v.old_size - 1]),
                                       Unhex(kRefRoots[v.new_size - 1]), UnhexAll(v.proof));
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
}

// --- every tree up to 130 leaves ----------------------------------------------------------------

constexpr std::size_t kMaxSize = 130;

// The leaves of the property tests and, by the reference, the root of every prefix.
struct Reference {
  std::vector<Hash> leaves;
  std::vector<Hash> roots;  // roots[n]: MTH of the first n leaves

  explicit Reference(std::size_t n) : leaves(MakeLeaves(n)) {
    for (std::size_t i = 0; i <= n; ++i) roots.push_back(RefRoot(Prefix(i)));
  }
  Leaves Prefix(std::size_t n) const { return {leaves.data(), n}; }
};

// Every way of damaging an inclusion proof that must be refused. A proof does not carry its tree
// size (the signed tree head does), so "wrong size" means the claim that the leaf is in the tree
// of another size, under that tree's root.
void ExpectInclusionDamageRefused(const Reference& ref, std::uint64_t index, std::uint64_t size,
                                  const std::vector<Hash>& proof, bool every_bit) {
  const Hash& leaf = ref.leaves[index];
  const Hash& root = ref.roots[size];
  EXPECT_FALSE(VerifyInclusion(leaf, index, size, proof, FlipBit(root, 0)).ok());
  EXPECT_FALSE(VerifyInclusion(FlipBit(leaf, 255), index, size, proof, root).ok());
  if (size > 1) {
    EXPECT_FALSE(VerifyInclusion(ref.leaves[(index + 1) % size], index, size, proof, root).ok());
  }
  for (const std::uint64_t i : {index - 1, index + 1, index ^ 1, index ^ 2, index ^ 4,
                                std::uint64_t{0}, size - 1, size, size + 1, UINT64_MAX}) {
    if (i == index) continue;
    EXPECT_FALSE(VerifyInclusion(leaf, i, size, proof, root).ok()) << "index " << i;
  }
  for (const std::uint64_t s : {size - 1, size + 1, size * 2, size / 2, size + 64}) {
    if (s == size || s >= ref.roots.size()) continue;
    if (index < s && RefPath(index, ref.Prefix(s)) == proof) continue;  // a proof for both
    EXPECT_FALSE(VerifyInclusion(leaf, index, s, proof, ref.roots[s]).ok()) << "size " << s;
  }
  // Truncated, extended at either end.
  if (!proof.empty()) {
    const std::vector<Hash> truncated(proof.begin(), proof.end() - 1);
    EXPECT_FALSE(VerifyInclusion(leaf, index, size, truncated, root).ok());
    const std::vector<Hash> headless(proof.begin() + 1, proof.end());
    EXPECT_FALSE(VerifyInclusion(leaf, index, size, headless, root).ok());
  }
  for (const Hash& extra : {root, leaf, Hash{}}) {
    std::vector<Hash> extended = proof;
    extended.push_back(extra);
    EXPECT_FALSE(VerifyInclusion(leaf, index, size, extended, root).ok());
    extended = proof;
    extended.insert(extended.begin(), extra);
    EXPECT_FALSE(VerifyInclusion(leaf, index, size, extended, root).ok());
  }
  // Single-bit flips in each hash: every bit, or one bit per hash that moves around.
  for (std::size_t j = 0; j < proof.size(); ++j) {
    for (std::size_t bit = 0; bit < 256; ++bit) {
      if (!every_bit && bit != (index * 37 + j * 11) % 256) continue;
      std::vector<Hash> flipped = proof;
      flipped[j] = FlipBit(flipped[j], bit);
      EXPECT_FALSE(VerifyInclusion(leaf, index, size, flipped, root).ok())
          << "hash " << j << " bit " << bit;
    }
  }
}

TEST(MerklePropertyTest, EveryRootAndInclusionProofUpTo130Leaves) {
  const Reference ref(kMaxSize);
  const MerkleTree tree = TreeOf(ref.leaves);
  for (std::uint64_t size = 1; size <= kMaxSize; ++size) {
    SCOPED_TRACE("size " + std::to_string(size));
    const Hash& root = ref.roots[size];
    ASSERT_EQ(*tree.RootAt(size), root);
    for (std::uint64_t index = 0; index < size; ++index) {
      const Result<InclusionProof> p = tree.ProveInclusion(index, size);
      ASSERT_TRUE(p.ok()) << p.status().ToString();
      ASSERT_EQ(p->hashes, RefPath(index, ref.Prefix(size))) << "index " << index;
      ASSERT_EQ(p->hashes.size(), InclusionProofLength(index, size));
      ASSERT_EQ(p->leaf_hash, ref.leaves[index]);
      const Status ok = VerifyInclusion(*p, root);
      ASSERT_TRUE(ok.ok()) << "index " << index << ": " << ok.ToString();
      ExpectInclusionDamageRefused(ref, index, size, p->hashes, /*every_bit=*/size <= 20);
    }
  }
}

// Every way of damaging a consistency proof that must be refused; as above, a wrong size comes
// with the root of that size.
void ExpectConsistencyDamageRefused(const Reference& ref, std::uint64_t m, std::uint64_t n,
                                    const std::vector<Hash>& proof, bool every_bit) {
  const Hash& old_root = ref.roots[m];
  const Hash& new_root = ref.roots[n];
  EXPECT_FALSE(VerifyConsistency(m, n, FlipBit(old_root, 3), new_root, proof).ok());
  EXPECT_FALSE(VerifyConsistency(m, n, old_root, FlipBit(new_root, 3), proof).ok());
  EXPECT_FALSE(VerifyConsistency(m, n, new_root, old_root, proof).ok());
  for (const std::uint64_t om : {m - 1, m + 1, m ^ 2, m * 2}) {
    if (om == m || om > n || RefConsistency(om, ref.Prefix(n)) == proof) continue;
    EXPECT_FALSE(VerifyConsistency(om, n, ref.roots[om], new_root, proof).ok()) << "old " << om;
  }
  for (const std::uint64_t on : {n - 1, n + 1, n * 2, n / 2}) {
    if (on == n || on < m || on >= ref.roots.size()) continue;
    if (RefConsistency(m, ref.Prefix(on)) == proof) continue;
    EXPECT_FALSE(VerifyConsistency(m, on, old_root, ref.roots[on], proof).ok()) << "new " << on;
  }
  EXPECT_FALSE(VerifyConsistency(m, n, old_root, new_root, {}).ok());
  const std::vector<Hash> truncated(proof.begin(), proof.end() - 1);
  EXPECT_FALSE(VerifyConsistency(m, n, old_root, new_root, truncated).ok());
  for (const Hash& extra : {old_root, new_root, proof[0], Hash{}}) {
    std::vector<Hash> extended = proof;
    extended.push_back(extra);
    EXPECT_FALSE(VerifyConsistency(m, n, old_root, new_root, extended).ok());
    extended = proof;
    extended.insert(extended.begin(), extra);
    EXPECT_FALSE(VerifyConsistency(m, n, old_root, new_root, extended).ok());
  }
  for (std::size_t j = 0; j < proof.size(); ++j) {
    for (std::size_t bit = 0; bit < 256; ++bit) {
      if (!every_bit && bit != (m * 13 + n * 7 + j * 5) % 256) continue;
      std::vector<Hash> flipped = proof;
      flipped[j] = FlipBit(flipped[j], bit);
      EXPECT_FALSE(VerifyConsistency(m, n, old_root, new_root, flipped).ok())
          << "hash " << j << " bit " << bit;
    }
  }
}

TEST(MerklePropertyTest, EveryConsistencyProofUpTo130Leaves) {
  const Reference ref(kMaxSize);
  const MerkleTree tree = TreeOf(ref.leaves);
  for (std::uint64_t n = 0; n <= kMaxSize; ++n) {
    for (std::uint64_t m = 0; m <= n; ++m) {
      SCOPED_TRACE(std::to_string(m) + " to " + std::to_string(n));
      const Result<ConsistencyProof> p = tree.ProveConsistency(m, n);
      ASSERT_TRUE(p.ok()) << p.status().ToString();
      ASSERT_EQ(p->hashes, RefConsistency(m, ref.Prefix(n)));
      ASSERT_EQ(p->hashes.size(), ConsistencyProofLength(m, n));
      const Status ok = VerifyConsistency(*p, ref.roots[m], ref.roots[n]);
      ASSERT_TRUE(ok.ok()) << ok.ToString();
      if (m > 0 && m < n) ExpectConsistencyDamageRefused(ref, m, n, p->hashes, n <= 16);
    }
  }
}

TEST(MerklePropertyTest, LargerTreeAgreesWithTheReference) {
  const std::vector<Hash> leaves = MakeLeaves(1500);
  const MerkleTree tree = TreeOf(leaves);
  for (const std::uint64_t n : {1023U, 1024U, 1025U, 1499U, 1500U}) {
    const Leaves prefix(leaves.data(), n);
    const Hash root = RefRoot(prefix);
    EXPECT_EQ(*tree.RootAt(n), root);
    for (const std::uint64_t i : {std::uint64_t{0}, n / 3, n / 2, n - 2, n - 1}) {
      const Result<InclusionProof> p = tree.ProveInclusion(i, n);
      ASSERT_TRUE(p.ok());
      EXPECT_EQ(p->hashes, RefPath(i, prefix));
      EXPECT_TRUE(VerifyInclusion(*p, root).ok());
    }
    for (const std::uint64_t m : {std::uint64_t{1}, std::uint64_t{512}, n / 2 + 1, n - 1}) {
      const Result<ConsistencyProof> p = tree.ProveConsistency(m, n);
      ASSERT_TRUE(p.ok());
      EXPECT_EQ(p->hashes, RefConsistency(m, prefix));
      EXPECT_TRUE(VerifyConsistency(*p, RefRoot(Leaves(leaves.data(), m)), root).ok());
    }
  }
}

// --- errors
// ---------------------------------------------------------------------------------------

TEST(MerkleVerifyTest, ErrorsSayWhatIsWrong) {
  const MerkleTree t = RefTree();
  const InclusionProof p = *t.ProveInclusion(5, 8);
  const Hash root = t.Root();

  Status s = VerifyInclusion(p.leaf_hash, 8, 8, p.hashes, root);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "leaf index 8 is not below the tree size 8");

  s = VerifyInclusion(p.leaf_hash, 5, 8, std::span(p.hashes).first(2), root);
  EXPECT_EQ(s.message(), "proof has 2 hashes, expected 3");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);

  s = VerifyInclusion(p.leaf_hash, 5, 8, p.hashes, FlipBit(root, 7));
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_EQ(
      s.message().rfind("root mismatch: the proof leads to " + HashHex(root).substr(0, 16), 0), 0U)
      << s.message();

  const std::vector<Hash> too_long(65);
  s = VerifyInclusion(p.leaf_hash, 5, 8, too_long, root);
  EXPECT_EQ(s.message(), "proof has 65 hashes; at most 64 are accepted");

  s = VerifyInclusion(p.leaf_hash, 0, 0, {}, EmptyRoot());
  EXPECT_EQ(s.message(), "leaf index 0 is not below the tree size 0");

  const ConsistencyProof c = *t.ProveConsistency(6, 8);
  const Hash root6 = *t.RootAt(6);
  s = VerifyConsistency(8, 6, root, root6, c.hashes);
  EXPECT_EQ(s.message(), "old size 8 is larger than new size 6");
  s = VerifyConsistency(6, 8, root6, root, std::span(c.hashes).first(1));
  EXPECT_EQ(s.message(), "proof has 1 hashes, expected 3");
  s = VerifyConsistency(6, 8, FlipBit(root6, 1), root, c.hashes);
  EXPECT_EQ(s.message().rfind("old root mismatch", 0), 0U) << s.message();
  s = VerifyConsistency(6, 8, root6, FlipBit(root, 1), c.hashes);
  EXPECT_EQ(s.message().rfind("new root mismatch", 0), 0U) << s.message();
}

TEST(MerkleVerifyTest, TrivialConsistencyCases) {
  const MerkleTree t = RefTree();
  const Hash root5 = *t.RootAt(5);
  EXPECT_TRUE(VerifyConsistency(0, 0, EmptyRoot(), EmptyRoot(), {}).ok());
  EXPECT_FALSE(VerifyConsistency(0, 0, EmptyRoot(), root5, {}).ok());
  EXPECT_TRUE(VerifyConsistency(0, 5, EmptyRoot(), root5, {}).ok());
  EXPECT_FALSE(VerifyConsistency(0, 5, root5, root5, {}).ok());
  EXPECT_TRUE(VerifyConsistency(5, 5, root5, root5, {}).ok());
  const Status differ = VerifyConsistency(5, 5, root5, t.Root(), {});
  EXPECT_EQ(differ.code(), StatusCode::kCorruption);
  EXPECT_EQ(differ.message(), "root mismatch: two different roots for the same size 5");
  const std::vector<Hash> one = {root5};
  EXPECT_EQ(VerifyConsistency(5, 5, root5, root5, one).message(), "proof has 1 hashes, expected 0");
  EXPECT_FALSE(VerifyConsistency(0, 5, EmptyRoot(), root5, one).ok());
  EXPECT_FALSE(VerifyConsistency(4, 5, *t.RootAt(4), root5, {}).ok());
}

TEST(MerkleVerifyTest, HugeNumbersNeverCrash) {
  const Hash h = LeafHash("x");
  const std::vector<Hash> proof64(64, h);
  for (const std::uint64_t size :
       {UINT64_MAX, UINT64_MAX - 1, std::uint64_t{1} << 63, (std::uint64_t{1} << 63) + 1}) {
    for (const std::uint64_t index : {std::uint64_t{0}, size / 2, size - 1, size - 2}) {
      const std::size_t len = InclusionProofLength(index, size);
      EXPECT_LE(len, kMaxProofHashes);
      const std::vector<Hash> proof(len, h);
      EXPECT_EQ(VerifyInclusion(h, index, size, proof, h).code(), StatusCode::kCorruption);
      EXPECT_FALSE(VerifyInclusion(h, index, size, proof64, h).ok());
    }
    for (const std::uint64_t old_size : {std::uint64_t{1}, size / 2, size - 1, size / 3 + 1}) {
      const std::size_t len = ConsistencyProofLength(old_size, size);
      const std::vector<Hash> proof(len <= kMaxProofHashes ? len : 0, h);
      EXPECT_FALSE(VerifyConsistency(old_size, size, h, h, proof).ok());
      EXPECT_FALSE(VerifyConsistency(old_size, size, h, h, proof64).ok());
    }
  }
}

TEST(MerkleTreeTest, ProofRequestsOutsideTheTreeAreRefused) {
  const MerkleTree t = RefTree();
  EXPECT_EQ(t.ProveInclusion(0, 9).status().message(), "no tree of size 9: the log has 8 leaves");
  EXPECT_EQ(t.ProveInclusion(3, 3).status().message(), "leaf index 3 is not below the tree size 3");
  EXPECT_EQ(t.ProveConsistency(2, 9).status().message(), "no tree of size 9: the log has 8 leaves");
  EXPECT_EQ(t.ProveConsistency(5, 4).status().message(), "old size 5 is larger than new size 4");
  EXPECT_EQ(t.RootAt(9).status().message(), "no root at size 9: the log has 8 leaves");
  EXPECT_EQ(t.LeafAt(8).status().message(), "no leaf 8: the log has 8 leaves");
  EXPECT_EQ(*t.LeafAt(7), LeafHash(kRefData[7]));
  EXPECT_TRUE(t.ProveConsistency(0, 8)->hashes.empty());
  EXPECT_TRUE(t.ProveConsistency(8, 8)->hashes.empty());
}

// --- tampering
// --------------------------------------------------------------------------------------

TEST(MerkleTamperTest, ChangingOneLeafChangesTheRootAndBreaksOldProofs) {
  std::vector<Hash> leaves = MakeLeaves(37);
  const MerkleTree honest = TreeOf(leaves);
  const InclusionProof proof3 = *honest.ProveInclusion(3, 37);
  const InclusionProof proof20 = *honest.ProveInclusion(20, 37);
  const ConsistencyProof grown = *honest.ProveConsistency(10, 37);
  ASSERT_TRUE(VerifyInclusion(proof3, honest.Root()).ok());

  leaves[3] = LeafHash("a quietly rewritten order event");
  const MerkleTree forged = TreeOf(leaves);
  EXPECT_NE(forged.Root(), honest.Root());
  // The old proofs do not fit the forged root: not for the changed leaf, nor for any other.
  EXPECT_EQ(VerifyInclusion(proof3, forged.Root()).code(), StatusCode::kCorruption);
  EXPECT_EQ(VerifyInclusion(proof20, forged.Root()).code(), StatusCode::kCorruption);
  // The forged leaf has no proof against the honest root either.
  const InclusionProof forged3 = *forged.ProveInclusion(3, 37);
  EXPECT_FALSE(VerifyInclusion(forged3, honest.Root()).ok());
  // And the forged tree is not an extension of the honest tree's earlier head.
  const ConsistencyProof forged_growth = *forged.ProveConsistency(10, 37);
  EXPECT_FALSE(VerifyConsistency(forged_growth, *honest.RootAt(10), forged.Root()).ok());
  EXPECT_FALSE(VerifyConsistency(grown, *honest.RootAt(10), forged.Root()).ok());
  // Roots before the change are unchanged.
  EXPECT_EQ(*forged.RootAt(3), *honest.RootAt(3));
  EXPECT_NE(*forged.RootAt(4), *honest.RootAt(4));
}

// --- sources
// ----------------------------------------------------------------------------------------

// A source that fails after a number of reads, to check that the tree is left as it was.
class FailingSource final : public LeafSource {
 public:
  FailingSource(const MemoryLeafSource& inner, int reads_ok) : inner_(inner), left_(reads_ok) {}
  Result<std::uint64_t> Size() const override { return inner_.Size(); }
  Status ReadLeaves(std::uint64_t first, std::span<Hash> out) const override {
    if (left_-- <= 0) return Status::IOError("disk on fire");
    return inner_.ReadLeaves(first, out);
  }

 private:
  const MemoryLeafSource& inner_;
  mutable int left_;
};

TEST(MerkleTreeTest, LoadsAndFollowsALeafSource) {
  const std::vector<Hash> leaves = MakeLeaves(10000);
  MemoryLeafSource source(std::vector<Hash>(leaves.begin(), leaves.begin() + 6000));
  Result<MerkleTree> loaded = MerkleTree::Load(source);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const MerkleTree direct = TreeOf(leaves);
  EXPECT_EQ(loaded->size(), 6000U);
  EXPECT_EQ(loaded->Root(), *direct.RootAt(6000));

  // Another process appends; Sync takes the new rows.
  for (std::size_t i = 6000; i < leaves.size(); ++i) source.Append(leaves[i]);
  ASSERT_TRUE(loaded->Sync(source).ok());
  EXPECT_EQ(loaded->Root(), direct.Root());
  ASSERT_TRUE(loaded->Sync(source).ok());  // nothing new
  EXPECT_EQ(loaded->size(), 10000U);

  // A shorter store, or another log, is refused and the tree stays as it was.
  MemoryLeafSource shorter(std::vector<Hash>(leaves.begin(), leaves.begin() + 10));
  EXPECT_EQ(loaded->Sync(shorter).code(), StatusCode::kCorruption);
  MemoryLeafSource other = source;
  other.leaves()[9999] = LeafHash("other");
  other.Append(LeafHash("more"));
  const Status s = loaded->Sync(other);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("not the same log"), std::string::npos) << s.message();
  EXPECT_EQ(loaded->Root(), direct.Root());

  // A read error half-way leaves the tree as it was.
  MemoryLeafSource longer = source;
  for (int i = 0; i < 9000; ++i) longer.Append(LeafHash("later " + std::to_string(i)));
  const FailingSource failing(longer, 2);
  EXPECT_EQ(loaded->Sync(failing).code(), StatusCode::kIOError);
  EXPECT_EQ(loaded->size(), 10000U);
  EXPECT_EQ(loaded->Root(), direct.Root());

  // Reads beyond the end of a memory source are errors, not crashes.
  std::array<Hash, 2> two{};
  EXPECT_EQ(source.ReadLeaves(9999, two).code(), StatusCode::kNotFound);
  EXPECT_EQ(source.ReadLeaves(UINT64_MAX, two).code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace interdict::translog
