#include "feed/view.h"

#include <algorithm>
#include <iterator>
#include <set>
#include <utility>

#include "auth/access.h"

namespace interdict::feed {
namespace {

bool InScope(const FeedOrder& o, View view) {
  return (o.scope & Bit(ViewScope(view))) != 0;
}

const FeedOrder* Lookup(const std::map<Id, FeedOrder>& orders, Id id) {
  auto it = orders.find(id);
  return it == orders.end() ? nullptr : &it->second;
}

const FeedOrder* Lookup(const OrderList& orders, Id id) {
  return orders.Find(id);
}

// Copies the orders that `entries` name from `from` into `to`.
template <typename Orders>
void CopyOrders(const std::vector<FeedEntry>& entries, const Orders& from,
                std::map<Id, FeedOrder>* to) {
  for (const FeedEntry& e : entries) {
    for (const Id id : e.orders) {
      if (const FeedOrder* o = Lookup(from, id)) to->emplace(id, *o);
    }
  }
}

}  // namespace

FeedOrder ToFeedOrder(const Order& order) {
  return {order.id, order.body, order.reference, order.expires_at, order.scope, order.issued_at};
}

std::string_view ViewName(View view) {
  switch (view) {
    case View::kIsp: return "isp";
    case View::kVpn: return "vpn";
    case View::kSearch: return "search";
    case View::kAppstore: return "appstore";
  }
  return "?";
}

Result<View> ParseView(std::string_view name) {
  for (const View v : kAllViews) {
    if (ViewName(v) == name) return v;
  }
  return Status::InvalidArgument("unknown view \"" + std::string(name) +
                                 "\" (isp, vpn, search, appstore)");
}

Scope ViewScope(View view) {
  switch (view) {
    case View::kIsp: return Scope::kIsp;
    case View::kVpn: return Scope::kVpn;
    case View::kSearch: return Scope::kSearch;
    case View::kAppstore: return Scope::kAppstore;
  }
  return Scope::kIsp;
}

bool ViewCarries(View view, TargetKind kind) {
  return ScopeCarries(ViewScope(view), kind);  // one rule for feeds and acknowledgements
}

const FeedOrder* ViewDelta::order(Id id) const {
  return Lookup(orders, id);
}

ViewSet SelectView(const InForceSnapshot& snapshot, View view) {
  ViewSet set;
  set.view = view;
  set.registry_id = snapshot.registry_id;
  set.serial = snapshot.serial;
  // The orders of the view's scope, by id (snapshot.orders is sorted by id).
  std::vector<const Order*> in_scope;
  for (const Order& o : snapshot.orders) {
    if ((o.scope & Bit(ViewScope(view))) != 0) in_scope.push_back(&o);
  }
  auto by_id = [](const Order* o, Id id) { return o->id < id; };
  if (!std::is_sorted(in_scope.begin(), in_scope.end(),
                      [](const Order* a, const Order* b) { return a->id < b->id; })) {
    std::sort(in_scope.begin(), in_scope.end(),
              [](const Order* a, const Order* b) { return a->id < b->id; });
  }
  auto scoped = [&](Id id) {
    auto it = std::lower_bound(in_scope.begin(), in_scope.end(), id, by_id);
    return it != in_scope.end() && (*it)->id == id;
  };
  std::vector<const InForceEntry*> rows;
  rows.reserve(snapshot.entries.size());
  for (const InForceEntry& e : snapshot.entries) {
    if (ViewCarries(view, e.target.kind) && scoped(e.order_id)) rows.push_back(&e);
  }
  auto before = [](const InForceEntry* a, const InForceEntry* b) {
    if (a->target != b->target) return a->target < b->target;
    return a->order_id < b->order_id;
  };
  // The registry lists the set sorted already; sort only when it is not.
  if (!std::is_sorted(rows.begin(), rows.end(), before)) {
    std::sort(rows.begin(), rows.end(), before);
  }
  std::vector<FeedEntry> entries;
  std::vector<Id> named;
  for (const InForceEntry* e : rows) {
    if (entries.empty() || entries.back().target != e->target) entries.push_back({e->target, {}});
    std::vector<Id>& orders = entries.back().orders;
    if (orders.empty() || orders.back() != e->order_id) {
      orders.push_back(e->order_id);
      named.push_back(e->order_id);
    }
  }
  std::sort(named.begin(), named.end());
  std::vector<FeedOrder> orders;
  std::vector<OrderUse> uses;
  for (std::size_t i = 0; i < named.size();) {
    std::size_t j = i;
    while (j < named.size() && named[j] == named[i]) ++j;
    const Order& o = **std::lower_bound(in_scope.begin(), in_scope.end(), named[i], by_id);
    orders.push_back(ToFeedOrder(o));
    uses.push_back({named[i], j - i});
    i = j;
  }
  set.entries = EntryList(std::move(entries));
  set.orders = OrderList(std::move(orders));
  set.uses = OrderUseList(std::move(uses));
  return set;
}

OrderUseList CountUses(const EntryList& entries) {
  std::map<Id, std::size_t> count;
  for (const FeedEntry& e : entries) {
    for (const Id id : e.orders) ++count[id];
  }
  std::vector<OrderUse> uses;
  uses.reserve(count.size());
  for (const auto& [id, n] : count) uses.push_back({id, n});
  return OrderUseList(std::move(uses));
}

Result<ViewSet> ReadView(Registry& registry, View view) {
  ASSIGN_OR_RETURN(InForceSnapshot snapshot, registry.Snapshot());
  return SelectView(snapshot, view);
}

const FeedEntry* FindEntry(const std::vector<FeedEntry>& entries, const Target& target) {
  auto it = std::lower_bound(entries.begin(), entries.end(), target,
                             [](const FeedEntry& e, const Target& t) { return e.target < t; });
  return it != entries.end() && it->target == target ? &*it : nullptr;
}

Result<ViewLog> ReadViewLog(Registry& registry, View view, const OrderList& known, Serial from,
                            Serial to) {
  ViewLog log;
  std::set<Id> out_of_scope;
  auto relevant = [&](Id id) -> Result<bool> {
    if (known.Find(id) != nullptr || log.loaded.contains(id)) return true;
    if (out_of_scope.contains(id)) return false;
    ASSIGN_OR_RETURN(Order o, registry.FindOrder(std::to_string(id)));
    FeedOrder f = ToFeedOrder(o);
    if (!InScope(f, view)) {
      out_of_scope.insert(id);
      return false;
    }
    log.loaded.emplace(id, std::move(f));
    return true;
  };
  for (Serial s = from + 1; s <= to; ++s) {
    ASSIGN_OR_RETURN(std::vector<DeltaEntry> entries, registry.SerialDelta(s));
    for (DeltaEntry& d : entries) {
      if (!ViewCarries(view, d.target.kind)) continue;
      ASSIGN_OR_RETURN(const bool keep, relevant(d.order_id));
      if (keep) log.ops[d.target].push_back(std::move(d));
    }
  }
  return log;
}

Result<ViewDelta> ReadDelta(Registry& registry, const ViewSet& now, Serial from) {
  if (from > now.serial) {
    return Status::InvalidArgument("serial " + std::to_string(from) +
                                   " is after the registry's serial " + std::to_string(now.serial));
  }
  if (from < 0) return Status::InvalidArgument("serials start at 0");
  ViewDelta delta;
  delta.view = now.view;
  delta.registry_id = now.registry_id;
  delta.from = from;
  delta.to = now.serial;

  ASSIGN_OR_RETURN(ViewLog log, ReadViewLog(registry, now.view, now.orders, from, now.serial));

  // For each touched target: its orders now, and, undoing its ops newest first, then.
  for (const auto& [target, list] : log.ops) {
    const FeedEntry* e = now.entry(target);
    std::vector<Id> orders_now = e != nullptr ? e->orders : std::vector<Id>{};
    std::set<Id> then(orders_now.begin(), orders_now.end());
    for (std::size_t i = list.size(); i-- > 0;) {
      const DeltaEntry& op = list[i];
      if (op.op == DeltaOp::kAdd) {
        then.erase(op.order_id);
      } else {
        then.insert(op.order_id);
      }
    }
    if (then.empty() && !orders_now.empty()) {
      delta.added.push_back({target, std::move(orders_now)});
    } else if (!then.empty() && orders_now.empty()) {
      delta.removed.push_back({target, std::vector<Id>(then.begin(), then.end())});
    }
  }
  for (const std::vector<FeedEntry>* list : {&delta.added, &delta.removed}) {
    CopyOrders(*list, now.orders, &delta.orders);
    CopyOrders(*list, log.loaded, &delta.orders);
  }
  return delta;
}

ViewDelta Diff(const ViewSet& old, const ViewSet& now) {
  ViewDelta delta;
  delta.view = now.view;
  delta.registry_id = now.registry_id;
  delta.from = old.serial;
  delta.to = now.serial;
  auto a = old.entries.begin();
  auto b = now.entries.begin();
  while (a != old.entries.end() || b != now.entries.end()) {
    if (b == now.entries.end() || (a != old.entries.end() && a->target < b->target)) {
      delta.removed.push_back(*a++);
    } else if (a == old.entries.end() || b->target < a->target) {
      delta.added.push_back(*b++);
    } else {
      ++a;
      ++b;
    }
  }
  CopyOrders(delta.added, now.orders, &delta.orders);
  CopyOrders(delta.removed, old.orders, &delta.orders);
  return delta;
}

}  // namespace interdict::feed
