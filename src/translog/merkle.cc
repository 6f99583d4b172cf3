#include "translog/merkle.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <bit>
#include <initializer_list>
#include <memory>
#include <utility>

namespace interdict::translog {
namespace {

constexpr std::uint8_t kLeafPrefix = 0x00;
constexpr std::uint8_t kNodePrefix = 0x01;

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct MdDeleter {
  void operator()(EVP_MD* md) const { EVP_MD_free(md); }
};

// SHA-256 over the concatenation of `parts`. OpenSSL with the algorithm fetched once and one
// context per thread, reused: three times faster than EVP_Digest, which fetches and allocates
// on every call, and appending a million leaves costs a million NodeHash calls. Should OpenSSL
// fail (out of memory), libsodium's SHA-256, which cannot fail, gives the same digest.
Hash Sha256(std::initializer_list<std::span<const std::uint8_t>> parts) {
  static const std::unique_ptr<EVP_MD, MdDeleter> md(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  thread_local const std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  Hash out{};
  if (md && ctx && EVP_DigestInit_ex2(ctx.get(), md.get(), nullptr) == 1) {
    bool ok = true;
    for (const auto& p : parts) ok = ok && EVP_DigestUpdate(ctx.get(), p.data(), p.size()) == 1;
    unsigned n = 0;
    if (ok && EVP_DigestFinal_ex(ctx.get(), out.data(), &n) == 1 && n == out.size()) return out;
  }
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  for (const auto& p : parts) crypto_hash_sha256_update(&state, p.data(), p.size());
  crypto_hash_sha256_final(&state, out.data());
  return out;
}

std::string ShortHex(const Hash& h) {
  return HashHex(h).substr(0, 16) + "...";
}

// RFC 9162's decomposition of an inclusion path (as in transparency-dev/merkle): `inner` levels
// where the path and the tree's right edge differ, then `border` levels along the right edge.
struct PathShape {
  std::size_t inner = 0;
  std::size_t border = 0;
};
PathShape InclusionShape(std::uint64_t index, std::uint64_t size) {
  const auto inner = static_cast<std::size_t>(std::bit_width(index ^ (size - 1)));
  const auto border = static_cast<std::size_t>(std::popcount(inner >= 64 ? 0 : index >> inner));
  return {inner, border};
}

Status WrongLength(std::size_t got, std::size_t want) {
  return Status::InvalidArgument("proof has " + std::to_string(got) + " hashes, expected " +
                                 std::to_string(want));
}

Status TooLong(std::size_t got) {
  return Status::InvalidArgument("proof has " + std::to_string(got) + " hashes; at most " +
                                 std::to_string(kMaxProofHashes) + " are accepted");
}

Status Mismatch(std::string_view what, const Hash& computed, const Hash& given) {
  return Status::Corruption(std::string(what) + " mismatch: the proof leads to " +
                            ShortHex(computed) + ", the given root is " + ShortHex(given));
}

}  // namespace

// --- hashing -------------------------------------------------------------------------------------

Hash LeafHash(std::span<const std::uint8_t> data) {
  const std::array<std::uint8_t, 1> prefix = {kLeafPrefix};
  return Sha256({prefix, data});
}

Hash LeafHash(std::string_view data) {
  return LeafHash(std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
}

Hash NodeHash(const Hash& left, const Hash& right) {
  const std::array<std::uint8_t, 1> prefix = {kNodePrefix};
  return Sha256({prefix, left, right});
}

Hash EmptyRoot() {
  return Sha256({});
}

std::string HashHex(const Hash& hash) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(hash.size() * 2);
  for (const std::uint8_t b : hash) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

std::optional<Hash> HashFromHex(std::string_view hex) {
  if (hex.size() != kHashBytes * 2) return std::nullopt;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  Hash out{};
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = digit(hex[2 * i]);
    const int lo = digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return out;
}

// --- proof lengths -------------------------------------------------------------------------------

std::size_t InclusionProofLength(std::uint64_t index, std::uint64_t size) {
  const PathShape s = InclusionShape(index, size);
  return s.inner + s.border;
}

std::size_t ConsistencyProofLength(std::uint64_t old_size, std::uint64_t new_size) {
  if (old_size == 0 || old_size >= new_size) return 0;
  // The path of the old tree's last leaf in the new tree, without the levels below the largest
  // complete subtree ending at old_size (2^shift leaves), whose root seeds the proof: the old root
  // itself when old_size is a power of two, else the proof's first hash.
  const PathShape s = InclusionShape(old_size - 1, new_size);
  const auto shift = static_cast<std::size_t>(std::countr_zero(old_size));
  const std::size_t seed = std::has_single_bit(old_size) ? 0 : 1;
  return seed + (s.inner - shift) + s.border;
}

// --- verification --------------------------------------------------------------------------------

Result<Hash> RootFromInclusionProof(const Hash& leaf_hash, std::uint64_t index, std::uint64_t size,
                                    std::span<const Hash> proof) {
  if (index >= size) {
    return Status::InvalidArgument("leaf index " + std::to_string(index) +
                                   " is not below the tree size " + std::to_string(size));
  }
  if (proof.size() > kMaxProofHashes) return TooLong(proof.size());
  const std::size_t want = InclusionProofLength(index, size);
  if (proof.size() != want) return WrongLength(proof.size(), want);

  // RFC 9162 2.1.3.2, steps 2 to 5.
  std::uint64_t fn = index;
  std::uint64_t sn = size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return WrongLength(proof.size(), want);  // unreachable after the length check
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      if ((fn & 1) == 0) {
        while (fn != 0 && (fn & 1) == 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return WrongLength(proof.size(), want);  // unreachable after the length check
  return r;
}

Status VerifyInclusion(const Hash& leaf_hash, std::uint64_t index, std::uint64_t size,
                       std::span<const Hash> proof, const Hash& root) {
  ASSIGN_OR_RETURN(const Hash computed, RootFromInclusionProof(leaf_hash, index, size, proof));
  if (computed != root) return Mismatch("root", computed, root);
  return Status::Ok();
}

Status VerifyInclusion(const InclusionProof& proof, const Hash& root) {
  return VerifyInclusion(proof.leaf_hash, proof.index, proof.size, proof.hashes, root);
}

Status VerifyConsistency(std::uint64_t old_size, std::uint64_t new_size, const Hash& old_root,
                         const Hash& new_root, std::span<const Hash> proof) {
  if (old_size > new_size) {
    return Status::InvalidArgument("old size " + std::to_string(old_size) +
                                   " is larger than new size " + std::to_string(new_size));
  }
  if (proof.size() > kMaxProofHashes) return TooLong(proof.size());
  const std::size_t want = ConsistencyProofLength(old_size, new_size);
  if (want > kMaxProofHashes) {
    return Status::InvalidArgument("a proof between sizes " + std::to_string(old_size) + " and " +
                                   std::to_string(new_size) + " would have " +
                                   std::to_string(want) + " hashes; at most " +
                                   std::to_string(kMaxProofHashes) + " are accepted");
  }
  if (proof.size() != want) return WrongLength(proof.size(), want);

  if (old_size == 0) {
    if (old_root != EmptyRoot()) {
      return Status::Corruption("old root mismatch: the tree of size 0 has root " +
                                ShortHex(EmptyRoot()) + ", the given root is " +
                                ShortHex(old_root));
    }
    if (new_size == 0 && new_root != old_root) {
      return Status::Corruption("new root mismatch: the tree of size 0 has root " +
                                ShortHex(EmptyRoot()) + ", the given root is " +
                                ShortHex(new_root));
    }
    return Status::Ok();
  }
  if (old_size == new_size) {
    if (old_root != new_root) {
      return Status::Corruption("root mismatch: two different roots for the same size " +
                                std::to_string(old_size));
    }
    return Status::Ok();
  }

  // RFC 9162 2.1.4.2, steps 2 to 7. The proof is non-empty here (want >= 1 when old < new).
  std::vector<Hash> path;
  path.reserve(proof.size() + 1);
  if (std::has_single_bit(old_size)) path.push_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());

  std::uint64_t fn = old_size - 1;
  std::uint64_t sn = new_size - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0];
  Hash sr = path[0];
  for (std::size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return WrongLength(proof.size(), want);  // unreachable after the length check
    if ((fn & 1) != 0 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      if ((fn & 1) == 0) {
        while (fn != 0 && (fn & 1) == 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return WrongLength(proof.size(), want);  // unreachable after the length check
  if (fr != old_root) return Mismatch("old root", fr, old_root);
  if (sr != new_root) return Mismatch("new root", sr, new_root);
  return Status::Ok();
}

Status VerifyConsistency(const ConsistencyProof& proof, const Hash& old_root,
                         const Hash& new_root) {
  return VerifyConsistency(proof.old_size, proof.new_size, old_root, new_root, proof.hashes);
}

// --- sources -------------------------------------------------------------------------------------

Status MemoryLeafSource::ReadLeaves(std::uint64_t first, std::span<Hash> out) const {
  if (first > leaves_.size() || out.size() > leaves_.size() - first) {
    return Status::NotFound("leaves " + std::to_string(first) + " to " +
                            std::to_string(first + out.size()) + " asked of a log of " +
                            std::to_string(leaves_.size()));
  }
  std::copy_n(leaves_.begin() + static_cast<std::ptrdiff_t>(first), out.size(), out.begin());
  return Status::Ok();
}

// --- the tree ------------------------------------------------------------------------------------

Result<MerkleTree> MerkleTree::Load(const LeafSource& source) {
  MerkleTree tree;
  RETURN_IF_ERROR(tree.Sync(source));
  return tree;
}

Status MerkleTree::Sync(const LeafSource& source) {
  ASSIGN_OR_RETURN(const std::uint64_t total, source.Size());
  const std::uint64_t have = size();
  if (total < have) {
    return Status::Corruption("the log's store has " + std::to_string(total) +
                              " leaves, fewer than the " + std::to_string(have) +
                              " already in the tree");
  }
  if (have > 0) {
    std::array<Hash, 1> last{};
    RETURN_IF_ERROR(source.ReadLeaves(have - 1, last));
    if (last[0] != levels_[0].back()) {
      return Status::Corruption("the log's store has another leaf " + std::to_string(have - 1) +
                                " than the tree: not the same log");
    }
  }
  // Read everything first, so that a failed read leaves the tree as it was.
  std::vector<Hash> batch;
  std::vector<Hash> all;
  all.reserve(total - have);
  for (std::uint64_t next = have; next < total;) {
    batch.resize(std::min<std::uint64_t>(LeafSource::kLeafBatch, total - next));
    RETURN_IF_ERROR(source.ReadLeaves(next, batch));
    all.insert(all.end(), batch.begin(), batch.end());
    next += batch.size();
  }
  for (const Hash& h : all) Append(h);
  return Status::Ok();
}

void MerkleTree::Append(const Hash& leaf_hash) {
  if (levels_.empty()) levels_.emplace_back();
  levels_[0].push_back(leaf_hash);
  // Every level whose count became even has completed a pair: its parent joins the level above.
  for (std::size_t h = 0; levels_[h].size() % 2 == 0; ++h) {
    const std::vector<Hash>& level = levels_[h];
    const Hash parent = NodeHash(level[level.size() - 2], level[level.size() - 1]);
    if (levels_.size() == h + 1) levels_.emplace_back();
    levels_[h + 1].push_back(parent);
  }
}

Hash MerkleTree::Subtree(std::uint64_t begin, std::uint64_t end) const {
  const std::uint64_t n = end - begin;
  if (std::has_single_bit(n) && (begin & (n - 1)) == 0) {  // a stored, aligned subtree
    const auto h = static_cast<std::size_t>(std::countr_zero(n));
    return levels_[h][begin >> h];
  }
  const std::uint64_t k = std::bit_floor(n - 1);  // the largest power of two below n
  return NodeHash(Subtree(begin, begin + k), Subtree(begin + k, end));
}

Hash MerkleTree::Root() const {
  return size() == 0 ? EmptyRoot() : Subtree(0, size());
}

Result<Hash> MerkleTree::RootAt(std::uint64_t size) const {
  if (size > this->size()) {
    return Status::InvalidArgument("no root at size " + std::to_string(size) + ": the log has " +
                                   std::to_string(this->size()) + " leaves");
  }
  return size == 0 ? EmptyRoot() : Subtree(0, size);
}

Result<Hash> MerkleTree::LeafAt(std::uint64_t index) const {
  if (index >= size()) {
    return Status::InvalidArgument("no leaf " + std::to_string(index) + ": the log has " +
                                   std::to_string(size()) + " leaves");
  }
  return levels_[0][index];
}

Result<InclusionProof> MerkleTree::ProveInclusion(std::uint64_t index, std::uint64_t size) const {
  if (size > this->size()) {
    return Status::InvalidArgument("no tree of size " + std::to_string(size) + ": the log has " +
                                   std::to_string(this->size()) + " leaves");
  }
  if (index >= size) {
    return Status::InvalidArgument("leaf index " + std::to_string(index) +
                                   " is not below the tree size " + std::to_string(size));
  }
  InclusionProof proof;
  proof.index = index;
  proof.size = size;
  proof.leaf_hash = levels_[0][index];
  // PATH(m, D[begin:end]) of RFC 9162 2.1.3.1, from the root down; the RFC lists the hashes from
  // the leaf up, hence the reversal.
  std::uint64_t begin = 0;
  std::uint64_t end = size;
  while (end - begin > 1) {
    const std::uint64_t k = std::bit_floor(end - begin - 1);
    if (index < begin + k) {
      proof.hashes.push_back(Subtree(begin + k, end));
      end = begin + k;
    } else {
      proof.hashes.push_back(Subtree(begin, begin + k));
      begin += k;
    }
  }
  std::reverse(proof.hashes.begin(), proof.hashes.end());
  return proof;
}

Result<ConsistencyProof> MerkleTree::ProveConsistency(std::uint64_t old_size,
                                                      std::uint64_t new_size) const {
  if (new_size > size()) {
    return Status::InvalidArgument("no tree of size " + std::to_string(new_size) +
                                   ": the log has " + std::to_string(size()) + " leaves");
  }
  if (old_size > new_size) {
    return Status::InvalidArgument("old size " + std::to_string(old_size) +
                                   " is larger than new size " + std::to_string(new_size));
  }
  ConsistencyProof proof;
  proof.old_size = old_size;
  proof.new_size = new_size;
  if (old_size == 0 || old_size == new_size) return proof;
  // SUBPROOF(m, D[begin:end], complete) of RFC 9162 2.1.4.1, from the root down, m counted from
  // `begin`; reversed at the end like the inclusion path.
  std::uint64_t begin = 0;
  std::uint64_t end = new_size;
  std::uint64_t m = old_size;
  bool complete = true;
  while (m != end - begin) {
    const std::uint64_t k = std::bit_floor(end - begin - 1);
    if (m <= k) {
      proof.hashes.push_back(Subtree(begin + k, end));
      end = begin + k;
    } else {
      proof.hashes.push_back(Subtree(begin, begin + k));
      begin += k;
      m -= k;
      complete = false;
    }
  }
  if (!complete) proof.hashes.push_back(Subtree(begin, end));
  std::reverse(proof.hashes.begin(), proof.hashes.end());
  return proof;
}

}  // namespace interdict::translog
