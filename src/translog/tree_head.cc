#include "translog/tree_head.h"

#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace interdict::translog {
namespace {

// The files a parser may be handed by mistake, to say what was given instead.
struct KnownFormat {
  std::string_view header;
  std::string_view what;
};
constexpr KnownFormat kKnownFormats[] = {
    {kTreeHeadHeader, "an interdict tree head"},
    {kInclusionProofHeader, "an interdict inclusion proof"},
    {kConsistencyProofHeader, "an interdict consistency proof"},
    {kSignatureHeader, "an interdict signature file"},
    {kPublicKeyHeader, "an interdict public key file"},
    {kSecretKeyHeader, "an interdict secret key file"},
};

// One field line of a parsed file: its value and its line number.
struct FieldLine {
  std::string_view value;
  int line = 0;
};

// Reads one of our files: the header line, then "field: value" lines in the order the caller
// asks for them. Every error names the file and the line. Values come back unchecked; the caller
// checks each against its field's syntax.
class FieldReader {
 public:
  FieldReader(std::string_view text, std::string_view name) : text_(text), name_(name) {}

  // Checks the file's size and its first line.
  Status Start(std::string_view header) {
    if (text_.size() > kMaxTranslogFileBytes) {
      return Status::Corruption(std::string(name_) + ": " + std::to_string(text_.size()) +
                                " bytes; a tree head or proof file has at most " +
                                std::to_string(kMaxTranslogFileBytes));
    }
    if (text_.empty()) {
      return Status::Corruption(std::string(name_) + ": empty file; expected \"" +
                                std::string(header) + "\"");
    }
    ASSIGN_OR_RETURN(const std::string_view first, NextLine());
    if (first == header) return Status::Ok();
    for (const KnownFormat& k : kKnownFormats) {
      if (first == k.header) {
        return Error(
            1, "this is " + std::string(k.what) + "; expected \"" + std::string(header) + "\"");
      }
    }
    // Same format, other version: "interdict-tree-head v2".
    const std::string_view base = header.substr(0, header.rfind(' ') + 1);
    if (first.starts_with(base)) {
      return Error(1, "unsupported format version; expected \"" + std::string(header) + "\"");
    }
    return Error(1, "expected the first line \"" + std::string(header) + "\"");
  }

  // The next line, which must be "<key>: <value>".
  Result<FieldLine> Next(std::string_view key) {
    if (AtEnd()) return Error(line_ + 1, "missing field \"" + std::string(key) + "\"");
    ASSIGN_OR_RETURN(const std::string_view l, NextLine());
    if (l.size() < key.size() + 2 || l.substr(0, key.size()) != key ||
        l.substr(key.size(), 2) != ": ") {
      return Error(line_, "expected the field \"" + std::string(key) + ": ...\"");
    }
    return FieldLine{l.substr(key.size() + 2), line_};
  }

  bool AtEnd() const { return pos_ >= text_.size(); }
  // The number of the last line read.
  int line() const { return line_; }

  // Refuses anything after the last field.
  Status End(std::string_view last_field) const {
    if (AtEnd()) return Status::Ok();
    return Error(line_ + 1, "unexpected text after the field \"" + std::string(last_field) + "\"");
  }

  Status Error(int line, std::string_view problem) const {
    return Status::Corruption(std::string(name_) + ":" + std::to_string(line) + ": " +
                              std::string(problem));
  }
  Status FieldError(const FieldLine& f, std::string_view field, std::string_view problem) const {
    return Error(f.line, std::string(field) + ": " + std::string(problem));
  }

 private:
  // The next line without its LF; REQUIRES !AtEnd().
  Result<std::string_view> NextLine() {
    const std::size_t lf = text_.find('\n', pos_);
    const std::size_t end = lf == std::string_view::npos ? text_.size() : lf;
    const std::string_view l = text_.substr(pos_, end - pos_);
    pos_ = lf == std::string_view::npos ? text_.size() : lf + 1;
    ++line_;
    if (l.find('\r') != std::string_view::npos) {
      return Error(line_, "carriage return in the line (lines end with LF only)");
    }
    return l;
  }

  std::string_view text_;
  std::string_view name_;
  std::size_t pos_ = 0;
  int line_ = 0;
};

// A decimal number without leading zeros that fits in 64 bits; `what` says what it counts.
Result<std::uint64_t> ParseDecimal(const FieldReader& r, const FieldLine& f, std::string_view field,
                                   std::string_view what) {
  const std::string_view v = f.value;
  const std::string expected = "expected " + std::string(what) + ", in decimal";
  if (v.empty() || v.size() > 20 || (v.size() > 1 && v[0] == '0')) {
    return r.FieldError(f, field, expected);
  }
  std::uint64_t n = 0;
  for (const char c : v) {
    if (c < '0' || c > '9') return r.FieldError(f, field, expected);
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (n > (UINT64_MAX - d) / 10) return r.FieldError(f, field, "too large");
    n = n * 10 + d;
  }
  return n;
}

Result<Hash> ParseHash(const FieldReader& r, const FieldLine& f, std::string_view field) {
  const std::optional<Hash> h = HashFromHex(f.value);
  if (!h) return r.FieldError(f, field, "expected 64 lowercase hex digits");
  return *h;
}

// Reads exactly `want` "hash: <hex>" lines and then the end of the file. `what` names the proof
// for the messages ("the proof of leaf 5 in a tree of 8").
Result<std::vector<Hash>> ParseHashLines(FieldReader& r, std::size_t want, std::string_view what) {
  std::vector<Hash> hashes;
  hashes.reserve(want);
  const std::string count =
      std::string(what) + " has " + std::to_string(want) + (want == 1 ? " hash" : " hashes");
  while (hashes.size() < want) {
    if (r.AtEnd()) {
      return r.Error(r.line() + 1, "missing field \"hash\": " + count + ", this file " +
                                       std::to_string(hashes.size()));
    }
    ASSIGN_OR_RETURN(const FieldLine f, r.Next("hash"));
    ASSIGN_OR_RETURN(const Hash h, ParseHash(r, f, "hash"));
    hashes.push_back(h);
  }
  if (!r.AtEnd()) {
    return r.Error(r.line() + 1, "unexpected text after the last hash: " + count);
  }
  return hashes;
}

void AppendField(std::string& out, std::string_view key, std::string_view value) {
  out += key;
  out += ": ";
  out += value;
  out += '\n';
}

}  // namespace

// --- signing -------------------------------------------------------------------------------------

std::string TreeHeadMessage(const TreeHead& head) {
  std::string m(kTreeHeadContext);
  AppendField(m, "size", std::to_string(head.size));
  AppendField(m, "root", HashHex(head.root));
  AppendField(m, "timestamp", std::to_string(head.timestamp_ms));
  return m;
}

SignedTreeHead SignTreeHead(const SecretKey& key, const TreeHead& head) {
  SignedTreeHead sth;
  sth.head = head;
  sth.key_id = key.key_id();
  sth.signature = key.SignMessage(TreeHeadMessage(head));
  return sth;
}

Status VerifyTreeHead(const PublicKey& key, const SignedTreeHead& sth) {
  if (sth.key_id != key.key_id) {
    return Status::Corruption("the tree head names key " + sth.key_id + ", not this key (" +
                              key.key_id + ")");
  }
  if (!VerifyMessage(key, TreeHeadMessage(sth.head), sth.signature)) {
    return Status::Corruption("the tree head's Ed25519 signature does not verify under key " +
                              key.key_id);
  }
  return Status::Ok();
}

// --- text forms ----------------------------------------------------------------------------------

std::string FormatTreeHead(const SignedTreeHead& sth) {
  std::string out(kTreeHeadHeader);
  out += '\n';
  AppendField(out, "size", std::to_string(sth.head.size));
  AppendField(out, "root", HashHex(sth.head.root));
  AppendField(out, "timestamp", std::to_string(sth.head.timestamp_ms));
  AppendField(out, "key-id", sth.key_id);
  AppendField(out, "signature", EncodeBase64(sth.signature));
  return out;
}

Result<SignedTreeHead> ParseTreeHead(std::string_view text, std::string_view name) {
  FieldReader r(text, name);
  RETURN_IF_ERROR(r.Start(kTreeHeadHeader));
  SignedTreeHead sth;
  ASSIGN_OR_RETURN(const FieldLine size, r.Next("size"));
  ASSIGN_OR_RETURN(sth.head.size, ParseDecimal(r, size, "size", "a number of leaves"));
  ASSIGN_OR_RETURN(const FieldLine root, r.Next("root"));
  ASSIGN_OR_RETURN(sth.head.root, ParseHash(r, root, "root"));
  ASSIGN_OR_RETURN(const FieldLine timestamp, r.Next("timestamp"));
  ASSIGN_OR_RETURN(sth.head.timestamp_ms,
                   ParseDecimal(r, timestamp, "timestamp", "Unix time in milliseconds"));
  ASSIGN_OR_RETURN(const FieldLine key_id, r.Next("key-id"));
  if (key_id.value.size() != kKeyIdHexChars ||
      key_id.value.find_first_not_of("0123456789abcdef") != std::string_view::npos) {
    return r.FieldError(key_id, "key-id", "expected 16 lowercase hex digits");
  }
  sth.key_id = std::string(key_id.value);
  ASSIGN_OR_RETURN(const FieldLine signature, r.Next("signature"));
  const Status decoded = DecodeBase64Exact(signature.value, sth.signature);
  if (!decoded.ok()) return r.FieldError(signature, "signature", decoded.message());
  RETURN_IF_ERROR(r.End("signature"));
  return sth;
}

std::string FormatInclusionProof(const InclusionProof& proof) {
  std::string out(kInclusionProofHeader);
  out += '\n';
  AppendField(out, "index", std::to_string(proof.index));
  AppendField(out, "size", std::to_string(proof.size));
  AppendField(out, "leaf-hash", HashHex(proof.leaf_hash));
  for (const Hash& h : proof.hashes) AppendField(out, "hash", HashHex(h));
  return out;
}

Result<InclusionProof> ParseInclusionProof(std::string_view text, std::string_view name) {
  FieldReader r(text, name);
  RETURN_IF_ERROR(r.Start(kInclusionProofHeader));
  InclusionProof proof;
  ASSIGN_OR_RETURN(const FieldLine index, r.Next("index"));
  ASSIGN_OR_RETURN(proof.index, ParseDecimal(r, index, "index", "a leaf index"));
  ASSIGN_OR_RETURN(const FieldLine size, r.Next("size"));
  ASSIGN_OR_RETURN(proof.size, ParseDecimal(r, size, "size", "a number of leaves"));
  if (proof.index >= proof.size) {
    return r.FieldError(index, "index",
                        "leaf " + std::to_string(proof.index) + " is not below the size " +
                            std::to_string(proof.size));
  }
  ASSIGN_OR_RETURN(const FieldLine leaf, r.Next("leaf-hash"));
  ASSIGN_OR_RETURN(proof.leaf_hash, ParseHash(r, leaf, "leaf-hash"));
  // At most 64 for any index < size < 2^64.
  const std::size_t want = InclusionProofLength(proof.index, proof.size);
  ASSIGN_OR_RETURN(proof.hashes, ParseHashLines(r, want,
                                                "the proof of leaf " + std::to_string(proof.index) +
                                                    " in a tree of " + std::to_string(proof.size)));
  return proof;
}

std::string FormatConsistencyProof(const ConsistencyProof& proof) {
  std::string out(kConsistencyProofHeader);
  out += '\n';
  AppendField(out, "old-size", std::to_string(proof.old_size));
  AppendField(out, "new-size", std::to_string(proof.new_size));
  for (const Hash& h : proof.hashes) AppendField(out, "hash", HashHex(h));
  return out;
}

Result<ConsistencyProof> ParseConsistencyProof(std::string_view text, std::string_view name) {
  FieldReader r(text, name);
  RETURN_IF_ERROR(r.Start(kConsistencyProofHeader));
  ConsistencyProof proof;
  ASSIGN_OR_RETURN(const FieldLine old_size, r.Next("old-size"));
  ASSIGN_OR_RETURN(proof.old_size, ParseDecimal(r, old_size, "old-size", "a number of leaves"));
  ASSIGN_OR_RETURN(const FieldLine new_size, r.Next("new-size"));
  ASSIGN_OR_RETURN(proof.new_size, ParseDecimal(r, new_size, "new-size", "a number of leaves"));
  if (proof.old_size > proof.new_size) {
    return r.FieldError(old_size, "old-size", "larger than new-size");
  }
  const std::size_t want = ConsistencyProofLength(proof.old_size, proof.new_size);
  if (want > kMaxProofHashes) {
    return r.FieldError(new_size, "new-size",
                        "a proof between these sizes would have " + std::to_string(want) +
                            " hashes; at most " + std::to_string(kMaxProofHashes) +
                            " are accepted");
  }
  ASSIGN_OR_RETURN(proof.hashes,
                   ParseHashLines(r, want,
                                  "the proof from size " + std::to_string(proof.old_size) + " to " +
                                      std::to_string(proof.new_size)));
  return proof;
}

}  // namespace interdict::translog
