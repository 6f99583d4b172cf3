// Signed tree heads and the proof files (src/translog/tree_head.h): sign, format, parse and
// verify round trips, an independent check of the signature with OpenSSL's Ed25519, rejection of
// every changed byte, and parse errors that name the file, the line and the field.
#include "translog/tree_head.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <memory>
#include <string>
#include <vector>

namespace interdict::translog {
namespace {

SecretKey KeyFromByte(std::uint8_t b) {
  std::array<std::uint8_t, kEd25519SeedBytes> seed{};
  seed.fill(b);
  return SecretKey::FromSeed(seed);
}

MerkleTree SmallTree(std::size_t n) {
  MerkleTree t;
  for (std::size_t i = 0; i < n; ++i) t.Append(LeafHash("order event " + std::to_string(i)));
  return t;
}

TreeHead HeadOf(const MerkleTree& t, std::uint64_t timestamp_ms) {
  return TreeHead{t.size(), t.Root(), timestamp_ms};
}

// The lines of a text, without their LFs.
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t lf = text.find('\n', pos);
    out.push_back(text.substr(pos, lf - pos));
    pos = lf == std::string::npos ? text.size() : lf + 1;
  }
  return out;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

// --- tree heads
// ------------------------------------------------------------------------------------

TEST(TreeHeadTest, SignFormatParseVerify) {
  const SecretKey key = KeyFromByte(7);
  const MerkleTree tree = SmallTree(21);
  const SignedTreeHead sth = SignTreeHead(key, HeadOf(tree, 1767225600123));
  EXPECT_EQ(sth.key_id, key.key_id());
  ASSERT_TRUE(VerifyTreeHead(key.public_key(), sth).ok());

  const std::string text = FormatTreeHead(sth);
  const Result<SignedTreeHead> parsed = ParseTreeHead(text, "head.sth");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, sth);
  EXPECT_EQ(FormatTreeHead(*parsed), text);
  EXPECT_TRUE(VerifyTreeHead(key.public_key(), *parsed).ok());
  // Without the final newline too.
  EXPECT_TRUE(ParseTreeHead(text.substr(0, text.size() - 1), "head.sth").ok());
}

TEST(TreeHeadTest, FormatIsExactlyAsDocumented) {
  const SecretKey key = KeyFromByte(1);
  TreeHead head{8, LeafHash(""), 42};
  const std::string root = HashHex(head.root);
  EXPECT_EQ(TreeHeadMessage(head),
            "interdict tree head v1\nsize: 8\nroot: " + root + "\ntimestamp: 42\n");
  const SignedTreeHead sth = SignTreeHead(key, head);
  const std::vector<std::string> lines = Lines(FormatTreeHead(sth));
  ASSERT_EQ(lines.size(), 6U);
  EXPECT_EQ(lines[0], "interdict-tree-head v1");
  EXPECT_EQ(lines[1], "size: 8");
  EXPECT_EQ(lines[2], "root: " + root);
  EXPECT_EQ(lines[3], "timestamp: 42");
  EXPECT_EQ(lines[4], "key-id: " + key.key_id());
  EXPECT_EQ(lines[5].size(), 11U + 88U);  // "signature: " and 64 bytes in padded base64
}

struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// A third party checks a tree head with OpenSSL alone: the message rebuilt from the documented
// format, the public key's raw bytes, the signature's raw bytes.
TEST(TreeHeadTest, OpenSslVerifiesTheSignature) {
  const SecretKey key = KeyFromByte(9);
  const MerkleTree tree = SmallTree(5);
  const SignedTreeHead sth = SignTreeHead(key, HeadOf(tree, 1700000000000));
  const std::string message = "interdict tree head v1\nsize: 5\nroot: " + HashHex(tree.Root()) +
                              "\ntimestamp: 1700000000000\n";
  const std::unique_ptr<EVP_PKEY, PkeyDeleter> pkey(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, key.public_key().bytes.data(), key.public_key().bytes.size()));
  ASSERT_TRUE(pkey);
  const std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  ASSERT_EQ(EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()), 1);
  EXPECT_EQ(
      EVP_DigestVerify(ctx.get(), sth.signature.data(), sth.signature.size(),
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()),
      1);
}

TEST(TreeHeadTest, OtherKeysAndChangedValuesAreRefused) {
  const SecretKey key = KeyFromByte(3);
  const SecretKey other = KeyFromByte(4);
  const SignedTreeHead sth = SignTreeHead(key, HeadOf(SmallTree(9), 5));

  Status s = VerifyTreeHead(other.public_key(), sth);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_EQ(s.message(),
            "the tree head names key " + key.key_id() + ", not this key (" + other.key_id() + ")");
  SignedTreeHead relabelled = sth;
  relabelled.key_id = other.key_id();
  s = VerifyTreeHead(other.public_key(), relabelled);
  EXPECT_EQ(s.message(),
            "the tree head's Ed25519 signature does not verify under key " + other.key_id());

  SignedTreeHead changed = sth;
  changed.head.size = 10;
  EXPECT_FALSE(VerifyTreeHead(key.public_key(), changed).ok());
  changed = sth;
  changed.head.timestamp_ms = 6;
  EXPECT_FALSE(VerifyTreeHead(key.public_key(), changed).ok());
  changed = sth;
  changed.head.root[31] ^= 1;
  EXPECT_FALSE(VerifyTreeHead(key.public_key(), changed).ok());
  changed = sth;
  changed.signature[0] ^= 1;
  EXPECT_FALSE(VerifyTreeHead(key.public_key(), changed).ok());
  // A feed signature's message is never a tree head's: the first lines differ.
  EXPECT_NE(TreeHeadMessage(sth.head).substr(0, kTreeHeadContext.size()),
            std::string(kSignedMessageContext));
}

// Any single changed byte of a tree head file makes it fail to parse or fail to verify.
TEST(TreeHeadTest, EveryChangedByteIsCaught) {
  const SecretKey key = KeyFromByte(5);
  const std::string text = FormatTreeHead(SignTreeHead(key, HeadOf(SmallTree(77), 1234567890)));
  int parsed_but_refused = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    for (const char c : {'0', '1', '9', 'a', 'f', 'A', 'Z', '+', '=', ' ', ':', '\n', '\x80'}) {
      if (text[i] == c) continue;
      std::string changed = text;
      changed[i] = c;
      const Result<SignedTreeHead> p = ParseTreeHead(changed, "x.sth");
      if (!p.ok()) continue;
      EXPECT_FALSE(VerifyTreeHead(key.public_key(), *p).ok()) << "byte " << i << " -> " << c;
      ++parsed_but_refused;
    }
  }
  EXPECT_GT(parsed_but_refused, 100);  // most changes of a value still parse: the signature counts
}

struct BadText {
  std::string text;
  std::string error;
};

TEST(TreeHeadTest, MalformedTextsNameTheLineAndField) {
  const SecretKey key = KeyFromByte(6);
  const std::string good = FormatTreeHead(SignTreeHead(key, HeadOf(SmallTree(3), 99)));
  const std::vector<std::string> l = Lines(good);
  auto with = [&](std::size_t line, const std::string& replacement) {
    std::vector<std::string> copy = l;
    copy[line] = replacement;
    return Join(copy);
  };
  const std::vector<BadText> cases = {
      {"", "h.sth: empty file; expected \"interdict-tree-head v1\""},
      {with(0, "interdict-tree-head v2"),
       "h.sth:1: unsupported format version; expected \"interdict-tree-head v1\""},
      {with(0, "interdict-ed25519-signature v1"),
       "h.sth:1: this is an interdict signature file; expected \"interdict-tree-head v1\""},
      {with(0, "interdict-inclusion-proof v1"),
       "h.sth:1: this is an interdict inclusion proof; expected \"interdict-tree-head v1\""},
      {with(0, "hello"), "h.sth:1: expected the first line \"interdict-tree-head v1\""},
      {with(1, "size: 03"), "h.sth:2: size: expected a number of leaves, in decimal"},
      {with(1, "size: -3"), "h.sth:2: size: expected a number of leaves, in decimal"},
      {with(1, "size: 18446744073709551616"), "h.sth:2: size: too large"},
      {with(1, "size:3"), "h.sth:2: expected the field \"size: ...\""},
      {with(1, "root: " + l[2].substr(6)), "h.sth:2: expected the field \"size: ...\""},
      {with(2, "root: " + l[2].substr(6, 63)), "h.sth:3: root: expected 64 lowercase hex digits"},
      {with(2, "root: " + std::string(64, 'A')), "h.sth:3: root: expected 64 lowercase hex digits"},
      {with(3, "timestamp: 1.5"),
       "h.sth:4: timestamp: expected Unix time in milliseconds, in decimal"},
      {with(4, "key-id: 0123"), "h.sth:5: key-id: expected 16 lowercase hex digits"},
      {with(5, "signature: AAAA"), "h.sth:6: signature: 3 bytes; expected 64 bytes"},
      {with(5, "signature: " + std::string(87, 'A') + "="),
       "h.sth:6: signature: 65 bytes; expected 64 bytes"},
      // Non-zero unused bits: a second spelling of a signature, refused.
      {with(5, "signature: " + std::string(85, 'A') + "B=="), "h.sth:6: signature: not base64"},
      {with(5, "signature: " + std::string(86, 'A') + "\xc3\xa9"),
       "h.sth:6: signature: not base64"},
      {Join({l[0], l[1], l[2], l[3], l[4]}), "h.sth:6: missing field \"signature\""},
      {good + "\n", "h.sth:7: unexpected text after the field \"signature\""},
      {good + "extra: 1\n", "h.sth:7: unexpected text after the field \"signature\""},
      {l[0] + "\r\n" + good.substr(l[0].size() + 1),
       "h.sth:1: carriage return in the line (lines end with LF only)"},
      {std::string(kMaxTranslogFileBytes + 1, 'x'),
       "h.sth: 8193 bytes; a tree head or proof file has at most 8192"},
  };
  for (const BadText& c : cases) {
    const Result<SignedTreeHead> p = ParseTreeHead(c.text, "h.sth");
    ASSERT_FALSE(p.ok()) << c.text;
    EXPECT_EQ(p.status().code(), StatusCode::kCorruption);
    EXPECT_EQ(p.status().message(), c.error);
  }
}

// --- proofs
// ----------------------------------------------------------------------------------------

TEST(ProofTextTest, EveryProofRoundTrips) {
  const MerkleTree tree = SmallTree(70);
  for (std::uint64_t size = 1; size <= tree.size(); ++size) {
    for (std::uint64_t i = 0; i < size; i += 3) {
      const InclusionProof p = *tree.ProveInclusion(i, size);
      const std::string text = FormatInclusionProof(p);
      const Result<InclusionProof> back = ParseInclusionProof(text, "p.txt");
      ASSERT_TRUE(back.ok()) << back.status().ToString();
      EXPECT_EQ(*back, p);
      EXPECT_EQ(FormatInclusionProof(*back), text);
      EXPECT_TRUE(VerifyInclusion(*back, *tree.RootAt(size)).ok());
    }
    for (std::uint64_t m = 0; m <= size; m += 2) {
      const ConsistencyProof p = *tree.ProveConsistency(m, size);
      const std::string text = FormatConsistencyProof(p);
      const Result<ConsistencyProof> back = ParseConsistencyProof(text, "c.txt");
      ASSERT_TRUE(back.ok()) << back.status().ToString();
      EXPECT_EQ(*back, p);
      EXPECT_EQ(FormatConsistencyProof(*back), text);
      EXPECT_TRUE(VerifyConsistency(*back, *tree.RootAt(m), *tree.RootAt(size)).ok());
    }
  }
}

TEST(ProofTextTest, FormatsAreExactlyAsDocumented) {
  const MerkleTree tree = SmallTree(8);
  const InclusionProof p = *tree.ProveInclusion(5, 8);
  std::string want =
      "interdict-inclusion-proof v1\nindex: 5\nsize: 8\nleaf-hash: " + HashHex(p.leaf_hash) + "\n";
  for (const Hash& h : p.hashes) want += "hash: " + HashHex(h) + "\n";
  EXPECT_EQ(FormatInclusionProof(p), want);
  const ConsistencyProof c = *tree.ProveConsistency(3, 8);
  want = "interdict-consistency-proof v1\nold-size: 3\nnew-size: 8\n";
  for (const Hash& h : c.hashes) want += "hash: " + HashHex(h) + "\n";
  EXPECT_EQ(FormatConsistencyProof(c), want);
}

TEST(ProofTextTest, MalformedInclusionProofs) {
  const MerkleTree tree = SmallTree(8);
  const std::vector<std::string> l = Lines(FormatInclusionProof(*tree.ProveInclusion(5, 8)));
  ASSERT_EQ(l.size(), 7U);  // header, index, size, leaf-hash, 3 hashes
  auto with = [&](std::size_t line, const std::string& replacement) {
    std::vector<std::string> copy = l;
    copy[line] = replacement;
    return Join(copy);
  };
  std::vector<std::string> four = l;
  four.push_back(l[6]);
  std::vector<std::string> many(l.begin(), l.begin() + 4);
  for (int i = 0; i < 70; ++i) many.push_back(l[4]);
  const std::vector<BadText> cases = {
      {with(1, "index: 8"), "p:2: index: leaf 8 is not below the size 8"},
      {with(1, "index: 00"), "p:2: index: expected a leaf index, in decimal"},
      {with(2, "size: 0"), "p:2: index: leaf 5 is not below the size 0"},
      {with(3, "leaf-hash: " + l[3].substr(11, 62)),
       "p:4: leaf-hash: expected 64 lowercase hex digits"},
      {with(5, "hash: " + std::string(64, 'g')), "p:6: hash: expected 64 lowercase hex digits"},
      {with(5, "hash " + l[5].substr(6)), "p:6: expected the field \"hash: ...\""},
      {Join({l[0], l[1], l[2], l[3], l[4], l[5]}),
       "p:7: missing field \"hash\": the proof of leaf 5 in a tree of 8 has 3 hashes, this file 2"},
      {Join(four),
       "p:8: unexpected text after the last hash: the proof of leaf 5 in a tree of 8 has 3 "
       "hashes"},
      {Join(many),
       "p:8: unexpected text after the last hash: the proof of leaf 5 in a tree of 8 has 3 "
       "hashes"},
      {with(0, "interdict-consistency-proof v1"),
       "p:1: this is an interdict consistency proof; expected \"interdict-inclusion-proof v1\""},
  };
  for (const BadText& c : cases) {
    const Result<InclusionProof> p = ParseInclusionProof(c.text, "p");
    ASSERT_FALSE(p.ok()) << c.text;
    EXPECT_EQ(p.status().message(), c.error);
  }
  // Size 1: no hashes at all.
  const Result<InclusionProof> one = ParseInclusionProof(
      "interdict-inclusion-proof v1\nindex: 0\nsize: 1\nleaf-hash: " + std::string(64, '0') + "\n",
      "p");
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_TRUE(one->hashes.empty());
}

TEST(ProofTextTest, MalformedConsistencyProofs) {
  const MerkleTree tree = SmallTree(8);
  const std::vector<std::string> l = Lines(FormatConsistencyProof(*tree.ProveConsistency(6, 8)));
  ASSERT_EQ(l.size(), 6U);
  auto with = [&](std::size_t line, const std::string& replacement) {
    std::vector<std::string> copy = l;
    copy[line] = replacement;
    return Join(copy);
  };
  const std::vector<BadText> cases = {
      {with(1, "old-size: 9"), "c:2: old-size: larger than new-size"},
      {with(2, "new-size: 18446744073709551615"),
       "c:7: missing field \"hash\": the proof from size 6 to 18446744073709551615 has 64 "
       "hashes, this file 3"},
      {Join({l[0], "old-size: 3", "new-size: 18446744073709551615"}),
       "c:3: new-size: a proof between these sizes would have 65 hashes; at most 64 are "
       "accepted"},
      {with(1, "old-size: 8"),
       "c:4: unexpected text after the last hash: the proof from size 8 to 8 has 0 hashes"},
      {Join({l[0], l[1], l[2]}),
       "c:4: missing field \"hash\": the proof from size 6 to 8 has 3 hashes, this file 0"},
      {with(3, "hash: " + l[3].substr(6) + " "), "c:4: hash: expected 64 lowercase hex digits"},
      {with(2, "old-size: 8"), "c:3: expected the field \"new-size: ...\""},
  };
  for (const BadText& c : cases) {
    const Result<ConsistencyProof> p = ParseConsistencyProof(c.text, "c");
    ASSERT_FALSE(p.ok()) << c.text;
    EXPECT_EQ(p.status().message(), c.error);
  }
}

}  // namespace
}  // namespace interdict::translog
