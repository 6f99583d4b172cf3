// log head, entries, prove, consistency, verify: the transparency log of order events
// (src/registry/transparency.h) and its proofs (src/translog).
#include <boost/json.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli.h"
#include "io/json_format.h"
#include "registry/transparency.h"
#include "sign/signing.h"
#include "translog/tree_head.h"

namespace interdict::cli {
namespace {

namespace json = boost::json;

Result<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read " + path);
  std::string text(translog::kMaxTranslogFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;  // the parsers refuse anything longer than their limit
}

Result<translog::SignedTreeHead> ReadHead(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path));
  return translog::ParseTreeHead(text, path);
}

json::object HeadJson(const translog::SignedTreeHead& h) {
  return {{"size", h.head.size},
          {"root", translog::HashHex(h.head.root)},
          {"timestamp_ms", h.head.timestamp_ms},
          {"key_id", h.key_id}};
}

Result<int> RunHead(Context& ctx, const std::string& key_path) {
  ASSIGN_OR_RETURN(Registry * reg, ctx.Open(false));
  StoredTreeHead stored;
  if (!key_path.empty()) {
    ASSIGN_OR_RETURN(const SecretKey key, ReadSecretKeyFile(key_path));
    ASSIGN_OR_RETURN(stored, reg->SignLogHead(key));
  } else {
    ASSIGN_OR_RETURN(std::vector<StoredTreeHead> heads, reg->LogHeads(1));
    if (heads.empty()) {
      return Status::NotFound("the log has no signed head yet; sign one with log head --key");
    }
    stored = heads.front();
  }
  const translog::SignedTreeHead sth = ToSignedTreeHead(stored);
  ASSIGN_OR_RETURN(std::uint64_t size, reg->LogSize());
  if (ctx.json()) {
    json::object o = HeadJson(sth);
    o["log_size"] = size;
    PrintJson(o);
  } else {
    std::cout << translog::FormatTreeHead(sth);
    if (size > sth.head.size) {
      std::cerr << "note: the log has " << size << " entries; the newest head covers "
                << sth.head.size << " (log head --key signs one for all)\n";
    }
  }
  return kExitOk;
}

Result<int> RunEntries(Context& ctx, std::uint64_t from, std::size_t limit) {
  ASSIGN_OR_RETURN(Registry * reg, ctx.Open(false));
  ASSIGN_OR_RETURN(std::vector<LogEntry> entries, reg->LogEntries(from, limit));
  for (const LogEntry& e : entries) {
    boost::system::error_code ec;
    json::value event = json::parse(e.event, ec);
    if (ec) event = e.event;  // as stored, if it does not parse (log verify says so)
    PrintJson(json::object{{"index", e.index},
                           {"leaf_hash", translog::HashHex(translog::LeafHash(e.event))},
                           {"event", event}});
  }
  return kExitOk;
}

// The size proofs are made against: --size, else the newest signed head's.
Result<std::uint64_t> ProofSize(Registry& reg, std::uint64_t size) {
  if (size != 0) return size;
  ASSIGN_OR_RETURN(std::vector<StoredTreeHead> heads, reg.LogHeads(1));
  if (heads.empty()) return Status::NotFound("no signed head: give --size");
  return heads.front().size;
}

Result<int> RunProve(Context& ctx, std::uint64_t index, std::uint64_t size) {
  ASSIGN_OR_RETURN(Registry * reg, ctx.Open(false));
  ASSIGN_OR_RETURN(size, ProofSize(*reg, size));
  ASSIGN_OR_RETURN(translog::InclusionProof proof, reg->ProveInclusion(index, size));
  std::cout << translog::FormatInclusionProof(proof);
  return kExitOk;
}

Result<int> RunConsistency(Context& ctx, std::uint64_t old_size, std::uint64_t new_size) {
  ASSIGN_OR_RETURN(Registry * reg, ctx.Open(false));
  ASSIGN_OR_RETURN(new_size, ProofSize(*reg, new_size));
  ASSIGN_OR_RETURN(translog::ConsistencyProof proof, reg->ProveConsistency(old_size, new_size));
  std::cout << translog::FormatConsistencyProof(proof);
  return kExitOk;
}

struct VerifyArgs {
  std::string pubkey;
  std::string export_file;
  std::string old_head;
  std::string new_head;
};

Result<int> RunVerifyLog(Context& ctx, const VerifyArgs& a) {
  std::optional<PublicKey> key;
  if (!a.pubkey.empty()) {
    ASSIGN_OR_RETURN(key, ReadPublicKeyFile(a.pubkey));
  }
  std::vector<OrderRecord> exported;
  if (!a.export_file.empty()) {
    ASSIGN_OR_RETURN(exported, ReadJsonOrders(a.export_file));
  }
  ASSIGN_OR_RETURN(Registry * reg, ctx.Open(false));
  ASSIGN_OR_RETURN(LogVerification v, reg->VerifyLog(key ? &*key : nullptr,
                                                     a.export_file.empty() ? nullptr : &exported));
  // Two heads someone kept: both signed, the newer one an extension of the older (RFC 9162
  // 2.1.4), with the proof from this registry.
  if (!a.old_head.empty() || !a.new_head.empty()) {
    if (a.old_head.empty() || a.new_head.empty() || !key) {
      return Status::InvalidArgument("--old-head and --new-head go together, with --pubkey");
    }
    ASSIGN_OR_RETURN(const translog::SignedTreeHead older, ReadHead(a.old_head));
    ASSIGN_OR_RETURN(const translog::SignedTreeHead newer, ReadHead(a.new_head));
    Status s = translog::VerifyTreeHead(*key, older);
    if (!s.ok()) v.problems.push_back(a.old_head + ": " + s.message());
    s = translog::VerifyTreeHead(*key, newer);
    if (!s.ok()) v.problems.push_back(a.new_head + ": " + s.message());
    Result<translog::ConsistencyProof> proof =
        reg->ProveConsistency(older.head.size, newer.head.size);
    if (!proof.ok()) {
      v.problems.push_back("no consistency proof from " + std::to_string(older.head.size) + " to " +
                           std::to_string(newer.head.size) + ": " + proof.status().message());
    } else {
      s = translog::VerifyConsistency(*proof, older.head.root, newer.head.root);
      if (!s.ok()) {
        v.problems.push_back(a.new_head + " does not extend " + a.old_head + ": " + s.message());
      }
    }
  }
  if (ctx.json()) {
    json::array problems(v.problems.begin(), v.problems.end());
    PrintJson(json::object{{"valid", v.problems.empty()},
                           {"entries", v.entries},
                           {"heads_checked", v.heads_checked},
                           {"orders_checked", v.orders_checked},
                           {"export_orders_checked", v.export_orders_checked},
                           {"problems", problems}});
  } else {
    for (const std::string& p : v.problems) std::cout << p << "\n";
    std::cout << (v.problems.empty() ? "valid" : "INVALID") << ": " << v.entries << " entries, "
              << v.heads_checked << " signed heads, " << v.orders_checked << " orders";
    if (!a.export_file.empty()) std::cout << ", " << v.export_orders_checked << " exported orders";
    std::cout << "\n";
  }
  return v.problems.empty() ? kExitOk : kExitNo;
}

}  // namespace

void AddLogCommands(CLI::App& app, Context& ctx) {
  CLI::App* log = app.add_subcommand(
      "log", "the transparency log of order events (RFC 9162 Merkle tree, signed heads)");
  log->require_subcommand(1);

  CLI::App* head = log->add_subcommand(
      "head", "print the newest signed tree head; with --key, sign the current size first");
  auto key = std::make_shared<std::string>();
  head->add_option("--key", *key, "secret key file (PREFIX.key)");
  SetAction(head, [&ctx, key]() { return RunHead(ctx, *key); });

  CLI::App* entries = log->add_subcommand("entries", "print entries as JSON lines");
  auto from = std::make_shared<std::uint64_t>(0);
  auto limit = std::make_shared<std::size_t>(100);
  entries->add_option("--from", *from, "first index (default 0)");
  entries->add_option("--limit", *limit, "at most this many (default 100)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
  SetAction(entries, [&ctx, from, limit]() { return RunEntries(ctx, *from, *limit); });

  CLI::App* prove = log->add_subcommand("prove", "inclusion proof of one entry");
  auto index = std::make_shared<std::uint64_t>(0);
  auto size = std::make_shared<std::uint64_t>(0);
  prove->add_option("--index", *index, "the entry")->required();
  prove->add_option("--size", *size, "tree size (default: the newest signed head's)");
  SetAction(prove, [&ctx, index, size]() { return RunProve(ctx, *index, *size); });

  CLI::App* consistency =
      log->add_subcommand("consistency", "proof that the log at --new extends the log at --old");
  auto old_size = std::make_shared<std::uint64_t>(0);
  auto new_size = std::make_shared<std::uint64_t>(0);
  consistency->add_option("--old", *old_size, "the older size")->required();
  consistency->add_option("--new", *new_size, "the newer size (default: the newest head's)");
  SetAction(consistency,
            [&ctx, old_size, new_size]() { return RunConsistency(ctx, *old_size, *new_size); });

  CLI::App* verify = log->add_subcommand(
      "verify",
      "check the log, its heads and the register against it: exit 0 valid, 1 not, 2 error");
  auto args = std::make_shared<VerifyArgs>();
  verify->add_option("--pubkey", args->pubkey, "public key file: check the heads' signatures");
  verify->add_option("--export", args->export_file,
                     "a register export (interdict export --format json) to check against the log");
  verify->add_option("--old-head", args->old_head, "a tree head file kept earlier");
  verify->add_option("--new-head", args->new_head, "a newer tree head file: must extend the older");
  SetAction(verify, [&ctx, args]() { return RunVerifyLog(ctx, *args); });
}

}  // namespace interdict::cli
