// Signed tree heads of the transparency log, and the text forms of tree heads and proofs.
//
// A tree head says "the log had `size` entries, with this root, at this time", signed with the
// authority's Ed25519 key (src/sign/signing.h). With an inclusion proof it shows that an order
// event is in the log; with a consistency proof between two heads, that the log only grew.
//
// What is signed: pure Ed25519 over these ASCII bytes (TreeHeadMessage):
//
//   "interdict tree head v1\n" "size: " <decimal> "\n" "root: " <64 hex> "\n"
//   "timestamp: " <decimal> "\n"
//
// The first line keeps these signatures apart from the key's feed signatures. As in .sig files,
// the key id is not signed: it says which key to try.
//
// File formats: those of src/sign/signing.h (ASCII, LF line ends, a missing final LF accepted, CR
// not; the first line names the format and version, then "field: value" lines, exactly these
// fields in exactly this order; lowercase hex, canonical padded base64; decimals without leading
// zeros).
//
//   tree head                      inclusion proof                consistency proof
//   interdict-tree-head v1         interdict-inclusion-proof v1   interdict-consistency-proof v1
//   size: <leaves>                 index: <leaf index>            old-size: <leaves>
//   root: <64 hex>                 size: <leaves>                 new-size: <leaves>
//   timestamp: <Unix ms>           leaf-hash: <64 hex>            hash: <64 hex>
//   key-id: <16 hex>               hash: <64 hex>                 ...
//   signature: <base64, 64 bytes>  ...
//
// The hash lines are the proof, in RFC 9162 order (from the leaf up). A proof file must have
// exactly the number of hashes its numbers call for (InclusionProofLength,
// ConsistencyProofLength), never more than kMaxProofHashes; index < size; old-size <= new-size.
//
// Thread-safety: reentrant functions over plain values.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "sign/signing.h"
#include "translog/merkle.h"

namespace interdict::translog {

inline constexpr std::string_view kTreeHeadHeader = "interdict-tree-head v1";
inline constexpr std::string_view kInclusionProofHeader = "interdict-inclusion-proof v1";
inline constexpr std::string_view kConsistencyProofHeader = "interdict-consistency-proof v1";
inline constexpr std::string_view kTreeHeadContext = "interdict tree head v1\n";
// Tree head and proof files are at most this long (a proof of 64 hashes is about 4.7 KB);
// anything longer is refused without parsing.
inline constexpr std::size_t kMaxTranslogFileBytes = 8192;

// What a tree head says. A plain value.
struct TreeHead {
  std::uint64_t size = 0;
  Hash root{};
  std::uint64_t timestamp_ms = 0;  // Unix time in milliseconds

  friend bool operator==(const TreeHead&, const TreeHead&) = default;
};

// A tree head with its signature. A plain value.
struct SignedTreeHead {
  TreeHead head;
  std::string key_id;                                            // 16 hex
  std::array<std::uint8_t, kEd25519SignatureBytes> signature{};  // over TreeHeadMessage(head)

  friend bool operator==(const SignedTreeHead&, const SignedTreeHead&) = default;
};

// The exact bytes that are signed.
std::string TreeHeadMessage(const TreeHead& head);

// REQUIRES: a key (not default-constructed or moved from).
SignedTreeHead SignTreeHead(const SecretKey& key, const TreeHead& head);
// OK when the head names `key` and its signature holds under it; otherwise an error
// (Corruption) saying which.
Status VerifyTreeHead(const PublicKey& key, const SignedTreeHead& sth);

// Text forms. Parsers take untrusted bytes: every length is checked, and an error (Corruption)
// names the file (`name`), the line and, when one is at fault, the field:
// "head.sth:3: root: expected 64 lowercase hex digits". A text that parses formats back to the
// same bytes (with a final LF).
std::string FormatTreeHead(const SignedTreeHead& sth);
Result<SignedTreeHead> ParseTreeHead(std::string_view text, std::string_view name);
std::string FormatInclusionProof(const InclusionProof& proof);
Result<InclusionProof> ParseInclusionProof(std::string_view text, std::string_view name);
std::string FormatConsistencyProof(const ConsistencyProof& proof);
Result<ConsistencyProof> ParseConsistencyProof(std::string_view text, std::string_view name);

}  // namespace interdict::translog
