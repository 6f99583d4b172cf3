// The transparency log's Merkle tree (RFC 9162, Certificate Transparency v2, section 2.1): leaf
// and node hashing, an append-only tree of leaf hashes with its root at every size it has had,
// inclusion and consistency proofs, and their verification.
//
// Hashing (RFC 9162 2.1.1). A leaf's hash is SHA-256(0x00 || data), an interior node's is
// SHA-256(0x01 || left || right), and the root of the empty tree is SHA-256 of no bytes. A tree of
// n > 1 leaves splits at k, the largest power of two below n: MTH(D[n]) = NodeHash(MTH(D[0:k]),
// MTH(D[k:n])). Any RFC 6962 / 9162 implementation computes the same roots and checks the same
// proofs.
//
// Where the leaves come from. MerkleTree keeps the tree in memory; a store that keeps the log's
// leaf hashes in a table hands them to it through LeafSource (Load, then Sync to take the rows
// appended since, by this process or another). Nothing else is read from the store: every
// interior hash is recomputed from the leaves.
//
// Untrusted input. The Verify functions take proofs, sizes and roots from anyone: they check
// every length before using it and never crash. They return OK, or an error that says why the
// proof fails: InvalidArgument when the sizes, index and proof length do not fit together
// ("proof has 3 hashes, expected 4"), Corruption when the hashes do not lead to the given root
// ("root mismatch: ..."). Only OK means verified.
//
// Thread-safety: the free functions are reentrant. A MerkleTree may be read (any const method)
// from several threads at once; Append, Sync and assignment need exclusive access.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace interdict::translog {

inline constexpr std::size_t kHashBytes = 32;
using Hash = std::array<std::uint8_t, kHashBytes>;

// Proofs longer than this are refused unread (a tree of 2^63 leaves needs at most 64 hashes).
inline constexpr std::size_t kMaxProofHashes = 64;

// --- hashing -------------------------------------------------------------------------------------

Hash LeafHash(std::span<const std::uint8_t> data);
Hash LeafHash(std::string_view data);
Hash NodeHash(const Hash& left, const Hash& right);
// The root of the tree of no leaves: SHA-256 of the empty string.
Hash EmptyRoot();

// 64 lowercase hex digits.
std::string HashHex(const Hash& hash);
// The hash written as exactly 64 lowercase hex digits; nullopt for anything else.
std::optional<Hash> HashFromHex(std::string_view hex);

// --- proofs --------------------------------------------------------------------------------------

// That leaf `index`, whose hash is `leaf_hash`, is in the tree of `size` leaves: the audit path
// of RFC 9162 2.1.3.1, from the leaf's sibling up to the root's child. A plain value.
struct InclusionProof {
  std::uint64_t index = 0;
  std::uint64_t size = 0;
  Hash leaf_hash{};
  std::vector<Hash> hashes;

  friend bool operator==(const InclusionProof&, const InclusionProof&) = default;
};

// That the tree of `old_size` leaves is a prefix of the tree of `new_size` leaves (RFC 9162
// 2.1.4.1). A plain value.
struct ConsistencyProof {
  std::uint64_t old_size = 0;
  std::uint64_t new_size = 0;
  std::vector<Hash> hashes;

  friend bool operator==(const ConsistencyProof&, const ConsistencyProof&) = default;
};

// How many hashes a correct proof has. REQUIRES index < size, resp. old_size <= new_size. The
// consistency proof between equal sizes, or from size 0, is empty.
std::size_t InclusionProofLength(std::uint64_t index, std::uint64_t size);
std::size_t ConsistencyProofLength(std::uint64_t old_size, std::uint64_t new_size);

// --- verification (RFC 9162 2.1.3.2 and 2.1.4.2) -------------------------------------------------

// The root that the proof leads to from the leaf; an error when index >= size or the proof has
// the wrong length. VerifyInclusion compares it with `root`.
Result<Hash> RootFromInclusionProof(const Hash& leaf_hash, std::uint64_t index, std::uint64_t size,
                                    std::span<const Hash> proof);
Status VerifyInclusion(const Hash& leaf_hash, std::uint64_t index, std::uint64_t size,
                       std::span<const Hash> proof, const Hash& root);
Status VerifyInclusion(const InclusionProof& proof, const Hash& root);

// 0 < old_size < new_size: the RFC's algorithm. old_size == new_size: the proof must be empty
// and the roots equal. old_size == 0: the proof must be empty and old_root be EmptyRoot() (every
// tree extends the empty one). old_size > new_size: an error.
Status VerifyConsistency(std::uint64_t old_size, std::uint64_t new_size, const Hash& old_root,
                         const Hash& new_root, std::span<const Hash> proof);
Status VerifyConsistency(const ConsistencyProof& proof, const Hash& old_root, const Hash& new_root);

// --- where leaves are stored ---------------------------------------------------------------------

// The log's leaf hashes, in order, as kept by someone else (a store's table). Implementations
// say their own thread-safety; MerkleTree only calls them from Load and Sync.
class LeafSource {
 public:
  virtual ~LeafSource() = default;

  // How many leaves there are.
  virtual Result<std::uint64_t> Size() const = 0;
  // Fills `out` with the hashes of leaves first, first + 1, ...; an error (NotFound) when that
  // goes past Size(). MerkleTree reads in batches of at most kLeafBatch.
  virtual Status ReadLeaves(std::uint64_t first, std::span<Hash> out) const = 0;

  static constexpr std::size_t kLeafBatch = 4096;
};

// A LeafSource in memory, for tests and tools. Thread-safety: like a std::vector.
class MemoryLeafSource final : public LeafSource {
 public:
  MemoryLeafSource() = default;
  explicit MemoryLeafSource(std::vector<Hash> leaves) : leaves_(std::move(leaves)) {}

  void Append(const Hash& leaf_hash) { leaves_.push_back(leaf_hash); }
  std::vector<Hash>& leaves() { return leaves_; }

  Result<std::uint64_t> Size() const override { return std::uint64_t{leaves_.size()}; }
  Status ReadLeaves(std::uint64_t first, std::span<Hash> out) const override;

 private:
  std::vector<Hash> leaves_;
};

// --- the tree ------------------------------------------------------------------------------------

// An append-only Merkle tree of leaf hashes, kept whole in memory: level 0 holds the leaf hashes,
// level h the root of every complete, aligned subtree of 2^h leaves (leaves [i·2^h, (i+1)·2^h)).
// The last node of each level whose bit is set in the size is the "frontier" (compact range) of
// the tree, and any earlier size has its own frontier among the stored nodes.
//
// Costs, for n leaves: memory 2n hashes (64 bytes a leaf, 64 MiB for a million). Append: one
// NodeHash amortized, at most log2(n). Root, RootAt: O(log n) NodeHash. ProveInclusion,
// ProveConsistency: O(log n) stored nodes read, O(log² n) NodeHash in the worst case (the right
// edge of an earlier size is not stored and is rebuilt from its complete subtrees). No I/O.
class MerkleTree {
 public:
  MerkleTree() = default;

  // The tree of every leaf in `source`, read in batches (O(n)).
  static Result<MerkleTree> Load(const LeafSource& source);
  // Appends the leaves the source has beyond size(): how a tree follows a store that this or
  // another process appends to. Refuses a source shorter than the tree, or one whose leaf at
  // size() - 1 differs from the tree's (a different log), leaving the tree as it was.
  Status Sync(const LeafSource& source);

  std::uint64_t size() const { return levels_.empty() ? 0 : levels_[0].size(); }
  // Appends one leaf by its hash (LeafHash of the event's bytes); its index is the old size().
  void Append(const Hash& leaf_hash);

  // The root now, and at an earlier size (0 <= size <= size(); 0 gives EmptyRoot()).
  Hash Root() const;
  Result<Hash> RootAt(std::uint64_t size) const;
  // The hash of leaf `index` (< size()).
  Result<Hash> LeafAt(std::uint64_t index) const;

  // Proofs for any size up to size(): index < size <= size(), old_size <= new_size <= size().
  // Errors are InvalidArgument, naming the numbers at fault.
  Result<InclusionProof> ProveInclusion(std::uint64_t index, std::uint64_t size) const;
  Result<ConsistencyProof> ProveConsistency(std::uint64_t old_size, std::uint64_t new_size) const;

 private:
  // MTH of leaves [begin, end), begin < end <= size(). O(1) for a stored subtree, O(log n) for
  // a range that starts at a multiple of its size rounded up to a power of two (all the ranges
  // the proofs and roots ask for).
  Hash Subtree(std::uint64_t begin, std::uint64_t end) const;

  std::vector<std::vector<Hash>> levels_;
};

}  // namespace interdict::translog
