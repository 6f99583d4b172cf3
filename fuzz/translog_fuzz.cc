// Fuzz target for the transparency log's text forms and verifiers (src/translog/tree_head.h,
// src/translog/merkle.h). Each input goes to the three parsers, which must not crash; an error
// must name the file; a text that parses must format back to exactly the same bytes and parse
// again to the same value. Then what parsed goes to the verifiers: a tree head is checked against
// the fixed key the seed corpus is signed with, and whatever verifies must be exactly what that
// key signs; an inclusion proof must lead to some root, verify against it and fail against any
// other; a consistency proof must be refused for roots it cannot connect (and never crash). A
// violation aborts.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sign/signing.h"
#include "translog/merkle.h"
#include "translog/tree_head.h"

namespace {

namespace tl = interdict::translog;

constexpr std::string_view kName = "fuzz.input";

[[noreturn]] void Fail(std::string_view what, std::string_view detail) {
  (void)std::fprintf(stderr, "%.*s: %.*s\n", static_cast<int>(what.size()), what.data(),
                     static_cast<int>(detail.size()), detail.data());
  std::abort();
}

// The error must start with the file name given, so that a person can find the bad file.
void CheckError(std::string_view parser, const interdict::Status& s) {
  if (s.message().rfind(std::string(kName) + ":", 0) != 0) Fail(parser, s.message());
}

// A text that parsed formats back to itself, give or take the final newline.
void CheckCanonical(std::string_view parser, std::string_view input, const std::string& again) {
  if (again != input && again != std::string(input) + "\n") Fail(parser, again);
}

// The key the seed corpus's tree heads are signed with: seed bytes 0x01 .. 0x20.
const interdict::SecretKey& CorpusKey() {
  static const interdict::SecretKey key = [] {
    std::array<std::uint8_t, interdict::kEd25519SeedBytes> seed{};
    for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(i + 1);
    return interdict::SecretKey::FromSeed(seed);
  }();
  return key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const interdict::Result<tl::SignedTreeHead> sth = tl::ParseTreeHead(input, kName);
  if (!sth.ok()) {
    CheckError("ParseTreeHead", sth.status());
  } else {
    const std::string text = tl::FormatTreeHead(*sth);
    CheckCanonical("ParseTreeHead", input, text);
    const interdict::Result<tl::SignedTreeHead> again = tl::ParseTreeHead(text, kName);
    if (!again.ok() || !(*again == *sth)) Fail("ParseTreeHead round trip", text);
    const interdict::Status v = tl::VerifyTreeHead(CorpusKey().public_key(), *sth);
    // Whatever verifies must be exactly what the key signs (Ed25519 is deterministic).
    if (v.ok() && tl::SignTreeHead(CorpusKey(), sth->head) != *sth) Fail("VerifyTreeHead", text);
  }

  const interdict::Result<tl::InclusionProof> inc = tl::ParseInclusionProof(input, kName);
  if (!inc.ok()) {
    CheckError("ParseInclusionProof", inc.status());
  } else {
    const std::string text = tl::FormatInclusionProof(*inc);
    CheckCanonical("ParseInclusionProof", input, text);
    const interdict::Result<tl::InclusionProof> again = tl::ParseInclusionProof(text, kName);
    if (!again.ok() || !(*again == *inc)) Fail("ParseInclusionProof round trip", text);
    // The parser checked the length, so the proof leads to a root, and only to that one.
    const interdict::Result<tl::Hash> root =
        tl::RootFromInclusionProof(inc->leaf_hash, inc->index, inc->size, inc->hashes);
    if (!root.ok()) Fail("RootFromInclusionProof", root.status().message());
    if (!tl::VerifyInclusion(*inc, *root).ok()) Fail("VerifyInclusion", text);
    tl::Hash other = *root;
    other[0] ^= 1;
    if (tl::VerifyInclusion(*inc, other).ok()) Fail("VerifyInclusion other root", text);
  }

  const interdict::Result<tl::ConsistencyProof> con = tl::ParseConsistencyProof(input, kName);
  if (!con.ok()) {
    CheckError("ParseConsistencyProof", con.status());
  } else {
    const std::string text = tl::FormatConsistencyProof(*con);
    CheckCanonical("ParseConsistencyProof", input, text);
    const interdict::Result<tl::ConsistencyProof> again = tl::ParseConsistencyProof(text, kName);
    if (!again.ok() || !(*again == *con)) Fail("ParseConsistencyProof round trip", text);
    // Roots it cannot connect: all-zero roots (no SHA-256 output is known to be zero, and the
    // empty tree's root is not zero) connect nothing, except a tree to itself at the same size;
    // two different roots never connect a size to itself.
    const tl::Hash zero{};
    const bool same_tree = con->old_size == con->new_size && con->old_size > 0;
    if (!same_tree && tl::VerifyConsistency(*con, zero, zero).ok()) {
      Fail("VerifyConsistency zero roots", text);
    }
    if (con->old_size == con->new_size && tl::VerifyConsistency(*con, zero, tl::EmptyRoot()).ok()) {
      Fail("VerifyConsistency different roots", text);
    }
    // A proof with its first hash as both roots: whatever it says, it must not crash.
    if (!con->hashes.empty()) {
      (void)tl::VerifyConsistency(*con, con->hashes.front(), con->hashes.back());
    }
  }
  return 0;
}
