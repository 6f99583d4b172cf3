// FeedPublisher: the feed documents the HTTP API serves, kept current with the registry.
//
// Every view is followed through the registry's in-force log (feed::Advance), so a new serial
// costs the size of the change. A document — a view's snapshot in one format, a delta from a
// given serial, a Piracy Shield–style list — is written at most once per serial, when first
// asked for, and kept until the serial moves: a thousand pollers asking for the same snapshot
// cause one rendering, and the others wait for it and share its bytes. Each document carries
// its ETag (the serial) and, when the publisher has a signing key, its detached Ed25519
// signature (sign/signing.h), so that the signature always belongs to the bytes it came with.
//
// Thread-safety: every method may be called from any number of threads. Refresh is meant for
// one follower thread; documents are immutable and shared.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>

#include "core/status.h"
#include "feed/format.h"
#include "feed/view.h"
#include "registry/registry.h"
#include "sign/signing.h"

namespace interdict::api {

// A document as served: bytes, type, the serial it is at, and its signature when signed.
struct FeedDocument {
  Serial serial = 0;
  std::string content_type;
  std::string body;
  std::string signature;  // the .sig file's text (sign/signing.h); empty when unsigned
  std::string sha256;     // of body, lowercase hex
};

// The Piracy Shield provider lists: fully qualified names, IPv4 and IPv6 addresses and networks.
enum class ShieldList : std::uint8_t { kFqdn, kIpv4, kIpv6 };

struct FeedPublisherOptions {
  feed::FormatOptions format;            // zone name, notice host, table names, ...
  std::optional<SecretKey> signing_key;  // sign every document with it
  std::size_t max_cached_deltas = 64;    // per serial; older "since" values are written again
};

class FeedPublisher {
 public:
  FeedPublisher(Registry& registry, FeedPublisherOptions options);
  ~FeedPublisher();
  FeedPublisher(const FeedPublisher&) = delete;
  FeedPublisher& operator=(const FeedPublisher&) = delete;

  // Brings every view to the registry's serial (the first call reads the whole set). True when
  // the serial moved. Documents of earlier serials are dropped.
  Result<bool> Refresh();

  // The serial the documents are at (-1 before the first Refresh). Lock-free: a conditional
  // poll compares its ETag with this and needs nothing else.
  Serial serial() const { return serial_.load(std::memory_order_acquire); }

  // The view's snapshot in `format`.
  Result<std::shared_ptr<const FeedDocument>> Snapshot(feed::View view, feed::FeedFormat format);
  // The change from serial `since` to the current serial. kInvalidArgument when `since` is
  // negative or after the current serial.
  Result<std::shared_ptr<const FeedDocument>> Delta(feed::View view, feed::FeedFormat format,
                                                    Serial since);
  // A Piracy Shield list of the isp view: one item per line, '\n' between items and none at the
  // end; the document's sha256 is the list's checksum. Domain-trees give their name.
  Result<std::shared_ptr<const FeedDocument>> Shield(ShieldList list);

  bool signs() const { return options_.signing_key.has_value(); }

 private:
  // What a document is: view, format (or list), and the serial a delta starts from (-1 for a
  // snapshot).
  using Key = std::tuple<int, int, Serial>;
  struct Slot;
  struct Views;

  Result<std::shared_ptr<const FeedDocument>> Get(const Key& key);
  Result<std::shared_ptr<const FeedDocument>> Render(const Views& views, const Key& key);
  std::shared_ptr<const FeedDocument> Finish(Serial serial, std::string content_type,
                                             std::string body) const;

  Registry& registry_;
  FeedPublisherOptions options_;
  std::atomic<Serial> serial_{-1};

  std::mutex mu_;  // guards views_ and cache_
  std::shared_ptr<const Views> views_;
  std::map<Key, std::shared_ptr<Slot>> cache_;
  std::size_t cached_deltas_ = 0;
};

// The HTTP Content-Type of a feed format's documents.
std::string_view FeedContentType(feed::FeedFormat format);

}  // namespace interdict::api
