// A compiled, immutable snapshot of the in-force set at one registry serial: the structure every
// enforcement point asks "is this name, URL, address or app blocked, and by which order?".
//
// A Snapshot is one contiguous little-endian image (see snapshot_format.h): the same bytes are
// built in memory, written to a file, and mapped back with mmap and no parsing. Lookups read the
// image in place; the hot paths (MatchName, MatchNames, MatchIp) do not allocate, except to
// normalize a name that has non-ASCII bytes.
//
// Names, app ids, search targets and URL origins are found through one bucketized hash table of
// 64-bit fingerprints keyed with a secret chosen per build; URL paths and IP ranges are compared
// exactly. ARCHITECTURE.md explains the choice and the false-match bound (about n / 2^64 per
// probe for n keys: near 2^-42 per lookup at a million rules); Explain() results can be
// confirmed against the registry, as `interdict check` does.
//
// Thread-safety: a Snapshot is immutable after Build/Load; every const method may be called from
// any number of threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "model/target.h"

namespace interdict {

struct InForceEntry;
class SnapshotImage;

// The answer of a hot-path lookup. `answer` indexes the snapshot's answer lists (the orders
// behind one rule); kNoAnswer means not blocked.
struct Verdict {
  static constexpr std::uint32_t kNoAnswer = 0xffffffffU;
  std::uint32_t answer = kNoAnswer;
  TargetKind kind = TargetKind::kDomain;  // the kind of rule that matched
  // For name lookups, the matched rule is the query's suffix starting at this byte of the
  // normalized query (0 = the whole name).
  std::uint16_t offset = 0;
  bool blocked() const { return answer != kNoAnswer; }
};

// One order as the snapshot knows it.
struct SnapshotOrder {
  std::int64_t id = 0;
  std::string_view reference;
  std::string_view body;
};

class Snapshot {
 public:
  Snapshot(Snapshot&&) noexcept;
  Snapshot& operator=(Snapshot&&) noexcept;
  ~Snapshot();

  // Reads a compiled snapshot file with mmap. The header, every section bound and every index
  // are checked, so a corrupt or truncated file is an error and never a crash; the SHA-256
  // checksum is verified unless `verify_checksum` is false (the fuzz target turns it off to
  // reach the structural checks).
  static Result<Snapshot> Load(const std::string& path, bool verify_checksum = true);
  // The same checks on an image already in memory (the bytes are copied).
  static Result<Snapshot> FromBytes(std::string_view bytes, bool verify_checksum = true);

  // Writes the image to `path` atomically (temp file, fsync, rename).
  Status Save(const std::string& path) const;
  // The image bytes, as Save writes them.
  std::string_view bytes() const;

  std::uint64_t serial() const;
  // What the snapshot was compiled from (SnapshotBuildOptions::source), e.g. a registry id.
  std::string_view source() const;
  std::size_t rule_count() const;  // (target, kind) rules, each with one or more orders
  std::size_t order_count() const;

  // --- hot paths -------------------------------------------------------------------------
  // A host name (SNI, Host header without port, DNS qname): any case, optional trailing dot,
  // U-labels accepted (normalized with IDNA 2008 first). Returns the most specific rule: an
  // exact domain rule on the name, else the domain-tree rule on the name or its nearest
  // ancestor. A name of up to 32 bytes is read 16 bytes at a time, possibly past its end but
  // never past the end of its memory page; those bytes are ignored.
  Verdict MatchName(std::string_view name) const;
  // Many names at once, answering out[i] for names[i]; interleaves the memory accesses of up
  // to 24 lookups. Only the first min(names.size(), out.size()) names are looked up.
  void MatchNames(std::span<const std::string_view> names, std::span<Verdict> out) const;
  // An IPv4 or IPv6 address in text form (IPv4-mapped IPv6 matches IPv4 rules). Returns the
  // longest-prefix rule.
  Verdict MatchIp(std::string_view address) const;
  // An address as 16 bytes in network order (IPv4 as ::ffff:a.b.c.d).
  Verdict MatchIp16(const std::uint8_t address[16]) const;
  // An app id "store:id", or a search target, exactly as canonicalized.
  Verdict MatchApp(std::string_view app) const;

  // The orders behind a verdict's answer.
  std::span<const std::uint32_t> AnswerOrders(std::uint32_t answer) const;
  SnapshotOrder order(std::uint32_t index) const;

  // --- full answers ----------------------------------------------------------------------
  // Every rule that blocks `query`, with every order behind it, as the registry's Check reports
  // them: for a domain, the exact rule and the tree rules on it and its ancestors; for a URL,
  // the exact and prefix URL rules on it and then the rules on its host; for an IP, the exact
  // rule and every CIDR containing it, longest prefix first; for a CIDR, app or search target,
  // the rule on exactly that value. `query` must be canonical (NormalizeTarget).
  std::vector<InForceEntry> Explain(const Target& query) const;

 private:
  explicit Snapshot(std::unique_ptr<SnapshotImage> image);
  friend class SnapshotBuilder;
  std::unique_ptr<SnapshotImage> image_;
};

struct SnapshotBuildOptions {
  // The fingerprint key. 0 draws a fresh random key for every build (the default: a rule that
  // was referred cannot be crafted against a key that did not exist yet); tests fix it.
  std::uint64_t seed = 0;
  // Hash table fill, in (0.5, 0.95].
  double max_load = 0.85;
  // Recorded in the image: what it is compiled from (at most 32 bytes).
  std::string source;
};

// Collects rules and compiles them. Not thread-safe; one builder per build.
class SnapshotBuilder {
 public:
  explicit SnapshotBuilder(SnapshotBuildOptions options = {});
  ~SnapshotBuilder();
  SnapshotBuilder(const SnapshotBuilder&) = delete;
  SnapshotBuilder& operator=(const SnapshotBuilder&) = delete;

  // Registers an order and returns its index for AddRule.
  std::uint32_t AddOrder(std::int64_t id, std::string_view reference, std::string_view body);
  // Adds a rule: `value` is the canonical form of a target of `kind` (NormalizeTarget). The
  // same (kind, value) may be added for several orders.
  Status AddRule(TargetKind kind, std::string_view value, std::uint32_t order);
  std::size_t pending_rules() const;

  // Compiles everything added so far. The builder is left empty.
  Result<Snapshot> Build(std::uint64_t serial);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace interdict
