// Views: what each kind of intermediary is told to block, at one serial, and what changed
// between two serials.
//
// An order's scope says who must apply it. A view collects, for one kind of intermediary, the
// in-force targets of the orders whose scope names it, limited to the target kinds that
// intermediary can enforce:
//   isp, vpn   domain, domain-tree, url, ip, cidr   (resolvers, firewalls, proxies)
//   search     domain, domain-tree, url, search     (delisting)
//   appstore   app                                  (removal)
// A target is in a view while at least one in-force order of that scope names it, so lifting
// one of two orders over a target leaves it in the view.
//
// Every export format and the zone-transfer server are built from ViewSet and ViewDelta.
//
// Thread-safety: plain values and free functions; ReadView and ReadDelta are as thread-safe as
// the Registry they read.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/chunked_list.h"
#include "core/status.h"
#include "model/target.h"
#include "model/types.h"
#include "registry/registry.h"

namespace interdict::feed {

enum class View : std::uint8_t { kIsp, kVpn, kSearch, kAppstore };
inline constexpr View kAllViews[] = {View::kIsp, View::kVpn, View::kSearch, View::kAppstore};

std::string_view ViewName(View view);  // "isp", "vpn", "search", "appstore"
Result<View> ParseView(std::string_view name);
Scope ViewScope(View view);
bool ViewCarries(View view, TargetKind kind);

// What a feed says about an order: enough for an intermediary to name it on a notice page.
struct FeedOrder {
  Id id = 0;
  std::string body;
  std::string reference;
  UnixTime expires_at = 0;
  ScopeSet scope = 0;
  UnixTime issued_at = 0;  // the decision's date (z-i exports name orders by it)

  friend bool operator==(const FeedOrder&, const FeedOrder&) = default;
};

// What a feed says about `order`.
FeedOrder ToFeedOrder(const Order& order);

struct FeedEntry {
  Target target;
  std::vector<Id> orders;  // the orders that put it in the view, ascending

  friend bool operator==(const FeedEntry&, const FeedEntry&) = default;
};

// Orderings of entries by target and of orders by id, each also against its key.
struct EntryLess {
  bool operator()(const FeedEntry& a, const FeedEntry& b) const { return a.target < b.target; }
  bool operator()(const FeedEntry& a, const Target& b) const { return a.target < b; }
  bool operator()(const Target& a, const FeedEntry& b) const { return a < b.target; }
};
struct OrderLess {
  bool operator()(const FeedOrder& a, const FeedOrder& b) const { return a.id < b.id; }
  bool operator()(const FeedOrder& a, Id b) const { return a.id < b; }
  bool operator()(Id a, const FeedOrder& b) const { return a < b.id; }
};
// How many entries of a view name an order.
struct OrderUse {
  Id id = 0;
  std::size_t entries = 0;
  friend bool operator==(const OrderUse&, const OrderUse&) = default;
};
struct OrderUseLess {
  bool operator()(const OrderUse& a, const OrderUse& b) const { return a.id < b.id; }
  bool operator()(const OrderUse& a, Id b) const { return a.id < b; }
  bool operator()(Id a, const OrderUse& b) const { return a < b.id; }
};
using EntryList = ChunkedList<FeedEntry, EntryLess>;
using OrderList = ChunkedList<FeedOrder, OrderLess>;
using OrderUseList = ChunkedList<OrderUse, OrderUseLess>;

// A view at one serial. Its lists share storage with the versions it was advanced from
// (core/chunked_list.h), so a copy is cheap.
struct ViewSet {
  View view = View::kIsp;
  std::string registry_id;
  Serial serial = 0;
  EntryList entries;  // sorted by target (kind, then value)
  OrderList orders;   // every order named in entries, by id
  // For each order in `orders`, how many entries name it: Advance uses it to tell when an order
  // leaves the view without reading every entry. SelectView fills it; a view assembled by hand
  // gets it from CountUses.
  OrderUseList uses;

  const FeedOrder* order(Id id) const { return orders.Find(id); }
  const FeedEntry* entry(const Target& target) const { return entries.Find(target); }
};

// The uses of `entries`' orders.
OrderUseList CountUses(const EntryList& entries);

// What changed in a view from serial `from` to serial `to`.
struct ViewDelta {
  View view = View::kIsp;
  std::string registry_id;
  Serial from = 0;
  Serial to = 0;
  std::vector<FeedEntry> added;    // in the view at `to` and not at `from` (orders at `to`)
  std::vector<FeedEntry> removed;  // in the view at `from` and not at `to` (orders at `from`)
  std::map<Id, FeedOrder> orders;  // every order named in added and removed

  bool empty() const { return added.empty() && removed.empty(); }
  const FeedOrder* order(Id id) const;
};

// The entry of `target` in `entries` (sorted by target), or null.
const FeedEntry* FindEntry(const std::vector<FeedEntry>& entries, const Target& target);

// A view's part of the in-force log after serial `from` up to `to`: each touched target's log
// entries, oldest first (only kinds the view carries, only orders of its scope), and the orders
// they name that `known` lacks, read once each. ReadDelta and Advance are built on it.
struct ViewLog {
  std::map<Target, std::vector<DeltaEntry>> ops;
  std::map<Id, FeedOrder> loaded;
};
Result<ViewLog> ReadViewLog(Registry& registry, View view, const OrderList& known, Serial from,
                            Serial to);

// The view of a snapshot of the in-force set.
ViewSet SelectView(const InForceSnapshot& snapshot, View view);

// The view now.
Result<ViewSet> ReadView(Registry& registry, View view);

// The delta from serial `from` to `now.serial`, from the registry's in-force log: the targets
// whose membership differs between the two serials. `now` must be this registry's view at its
// serial (ReadView). kInvalidArgument when `from` is after now.serial.
Result<ViewDelta> ReadDelta(Registry& registry, const ViewSet& now, Serial from);

// The delta between two views of the same registry (old.serial <= now.serial).
ViewDelta Diff(const ViewSet& old, const ViewSet& now);

}  // namespace interdict::feed
